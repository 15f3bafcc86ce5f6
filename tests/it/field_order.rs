//! Models whose relation and skipped fields come before, between and after
//! their columns, with the key in the middle: a row is read by column, not
//! by field position, on every path (get, query, relation fetches, pivot
//! rows, prefetch, counts).

use m2m::{ManyToMany, Model};

/// Relation and skipped fields first, in the middle and last, among columns
/// of different types; the key is neither first nor last.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "gadgets")]
pub struct Gadget {
    #[many_to_many(related_name = "gadgets")]
    pub parts: ManyToMany<Part>,
    #[model(skip)]
    pub cache: Vec<String>,
    pub name: String,
    pub weight: i64,
    #[many_to_many(
        through_model = Fitting,
        source = "gadget_id",
        target = "part_id",
        related_name = "fitted_in"
    )]
    pub fittings: ManyToMany<Part>,
    pub price: Option<f64>,
    #[model(skip)]
    pub dirty: bool,
    pub id: i64,
    pub active: bool,
    pub serial: Option<String>,
    #[many_to_many(related_name = "spare_for")]
    pub spares: ManyToMany<Part>,
}

/// A target whose first field is skipped and whose key sits between columns.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Part {
    #[model(skip)]
    pub scratch: String,
    pub label: String,
    #[model(skip)]
    pub hits: u32,
    pub id: i64,
    pub grams: Option<f64>,
    pub spare: bool,
    pub count: i64,
}

/// A through model whose link columns, key and pivot columns are mixed,
/// with a skipped field first.
#[derive(Model, Debug, Clone, PartialEq, Default)]
pub struct Fitting {
    #[model(skip)]
    pub seen: bool,
    pub torque: Option<f64>,
    pub gadget_id: i64,
    pub note: String,
    pub id: i64,
    pub part_id: i64,
    pub tight: bool,
}

fn gadget(
    name: &str,
    weight: i64,
    price: Option<f64>,
    active: bool,
    serial: Option<&str>,
) -> Gadget {
    Gadget {
        parts: ManyToMany::default(),
        // Skipped fields are not stored: a loaded row has their defaults.
        cache: vec!["not stored".into()],
        name: name.into(),
        weight,
        fittings: ManyToMany::default(),
        price,
        dirty: true,
        id: 0,
        active,
        serial: serial.map(str::to_owned),
        spares: ManyToMany::default(),
    }
}

fn part(label: &str, grams: Option<f64>, spare: bool, count: i64) -> Part {
    Part {
        scratch: "not stored".into(),
        label: label.into(),
        hits: 7,
        id: 0,
        grams,
        spare,
        count,
    }
}

/// What loading `g` gives back: skipped fields at their defaults, relation
/// slots unloaded.
fn stored_gadget(g: &Gadget) -> Gadget {
    Gadget {
        cache: Vec::new(),
        dirty: false,
        parts: ManyToMany::default(),
        fittings: ManyToMany::default(),
        spares: ManyToMany::default(),
        ..g.clone()
    }
}

fn stored_part(p: &Part) -> Part {
    Part {
        scratch: String::new(),
        hits: 0,
        ..p.clone()
    }
}

fn stored_parts(ps: &[&Part]) -> Vec<Part> {
    ps.iter().map(|p| stored_part(p)).collect()
}

fn workshop<C: crate::models::Empty + m2m::Db>(db: fn() -> C) -> (C, Vec<Gadget>, Vec<Part>) {
    let conn = crate::models::empty(db);
    Part::create_table(&conn).unwrap();
    Gadget::create_table(&conn).unwrap();
    let mut gadgets = vec![
        gadget("drill", -3, Some(12.5), true, None),
        gadget("saw", 9, None, false, Some("it's -- 🦀")),
        gadget("", 0, Some(-0.25), true, Some("")),
    ];
    for g in &mut gadgets {
        g.insert(&conn).unwrap();
        assert_ne!(g.id, 0);
    }
    let mut parts = vec![
        part("bit", Some(1.5), false, 40),
        part("blade", None, true, -1),
        part("screw", Some(0.0), true, 0),
    ];
    for p in &mut parts {
        p.insert(&conn).unwrap();
        assert_ne!(p.id, 0);
    }
    (conn, gadgets, parts)
}

dual! {
    fn rows_round_trip_whatever_the_field_order() {
        let (conn, g, p) = workshop(db);
        for x in &g {
            assert_eq!(Gadget::get(&conn, x.id).unwrap(), Some(stored_gadget(x)));
        }
        for x in &p {
            assert_eq!(Part::get(&conn, x.id).unwrap(), Some(stored_part(x)));
        }
        let all = Gadget::query().fetch_all(&conn).unwrap();
        assert_eq!(all, g.iter().map(stored_gadget).collect::<Vec<_>>());
        let heavy = Gadget::query()
            .filter(|c| c.weight.ge(0).and(c.active.eq(false)))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(heavy, vec![stored_gadget(&g[1])]);
        let priced = Gadget::query()
            .filter(|c| c.price.is_not_null())
            .order_by(|c| c.price.desc())
            .fetch_one(&conn)
            .unwrap();
        assert_eq!(priced, Some(stored_gadget(&g[0])));
        let spare = Part::query()
            .filter(|c| c.spare.eq(true))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(spare, stored_parts(&[&p[1], &p[2]]));

        // update and save write each column to its own place.
        let mut changed = g[1].clone();
        changed.name = "jigsaw".into();
        changed.weight = i64::MIN;
        changed.price = Some(f64::MAX);
        changed.active = true;
        changed.serial = None;
        changed.update(&conn).unwrap();
        assert_eq!(
            Gadget::get(&conn, changed.id).unwrap(),
            Some(stored_gadget(&changed))
        );
        let mut saved = p[0].clone();
        saved.grams = None;
        saved.count = i64::MAX;
        saved.save(&conn).unwrap();
        assert_eq!(
            Part::get(&conn, saved.id).unwrap(),
            Some(stored_part(&saved))
        );
    }
}

dual! {
    fn relations_and_pivot_rows_round_trip_whatever_the_field_order() {
        let (conn, g, p) = workshop(db);
        g[0].parts().add(&conn, [&p[0], &p[2]]).unwrap();
        g[0].spares().add(&conn, [&p[1]]).unwrap();
        g[1].parts().add(&conn, [&p[2]]).unwrap();
        let fit = Fitting {
            torque: Some(2.75),
            note: "snug".into(),
            tight: true,
            seen: true,
            ..Default::default()
        };
        assert!(g[0].fittings().add_with(&conn, &p[1], fit.clone()).unwrap());
        assert!(
            g[2].fittings()
                .add_with(&conn, &p[1], Fitting::default())
                .unwrap()
        );

        assert_eq!(
            g[0].parts().fetch_all(&conn).unwrap(),
            stored_parts(&[&p[0], &p[2]])
        );
        assert_eq!(
            g[0].spares().fetch_all(&conn).unwrap(),
            stored_parts(&[&p[1]])
        );
        assert_eq!(
            g[0].parts()
                .filter(|c| c.count.eq(0))
                .fetch_all(&conn)
                .unwrap(),
            stored_parts(&[&p[2]])
        );
        assert_eq!(
            p[2].gadgets().fetch_all(&conn).unwrap(),
            vec![stored_gadget(&g[0]), stored_gadget(&g[1])]
        );
        assert_eq!(
            p[1].spare_for().fetch_one(&conn).unwrap(),
            Some(stored_gadget(&g[0]))
        );

        // Pivot rows: every field in its place, the key fields filled in.
        let want_fit = Fitting {
            seen: false,
            gadget_id: g[0].id,
            part_id: p[1].id,
            ..fit
        };
        let got = g[0].fittings().pivot(&conn, &p[1]).unwrap().unwrap();
        assert_ne!(got.id, 0);
        assert_eq!(
            got,
            Fitting {
                id: got.id,
                ..want_fit.clone()
            }
        );
        let want_fit = Fitting {
            id: got.id,
            ..want_fit
        };
        assert_eq!(
            g[0].fittings().fetch_with_pivot(&conn).unwrap(),
            vec![(stored_part(&p[1]), want_fit.clone())]
        );
        assert!(
            g[0].fittings()
                .update_pivot(&conn, &p[1], |f| {
                    f.torque = None;
                    f.note = "loose".into();
                    f.tight = false;
                })
                .unwrap()
        );
        let loosened = Fitting {
            torque: None,
            note: "loose".into(),
            tight: false,
            ..want_fit
        };
        assert_eq!(
            g[0].fittings().pivot(&conn, &p[1]).unwrap(),
            Some(loosened.clone())
        );
        assert_eq!(
            p[1].fitted_in()
                .filter_pivot(|c| c.note.eq("loose"))
                .fetch_all(&conn)
                .unwrap(),
            vec![stored_gadget(&g[0])]
        );
        let by_part = Part::FITTED_IN.prefetch(&conn, &p).unwrap();
        assert_eq!(
            by_part.get(&p[1]),
            &[stored_gadget(&g[0]), stored_gadget(&g[2])][..]
        );

        // Query prefetch fills each slot with full rows, and leaves every
        // column of the owner in place.
        let loaded = Gadget::query()
            .prefetch(Gadget::PARTS)
            .prefetch(Gadget::FITTINGS)
            .prefetch(Gadget::SPARES)
            .fetch_all(&conn)
            .unwrap();
        let want: [(Vec<Part>, Vec<Part>, Vec<Part>); 3] = [
            (
                stored_parts(&[&p[0], &p[2]]),
                stored_parts(&[&p[1]]),
                stored_parts(&[&p[1]]),
            ),
            (stored_parts(&[&p[2]]), Vec::new(), Vec::new()),
            (Vec::new(), stored_parts(&[&p[1]]), Vec::new()),
        ];
        assert_eq!(loaded.len(), 3);
        for ((mut got, orig), (parts, fittings, spares)) in loaded.into_iter().zip(&g).zip(want) {
            assert_eq!(got.parts.take(), Some(parts), "{}", orig.name);
            assert_eq!(got.fittings.take(), Some(fittings), "{}", orig.name);
            assert_eq!(got.spares.take(), Some(spares), "{}", orig.name);
            assert_eq!(got, stored_gadget(orig));
        }
        let counted = Gadget::query()
            .with_count(Gadget::PARTS)
            .fetch_all(&conn)
            .unwrap();
        let want: Vec<(Gadget, u64)> = g.iter().map(stored_gadget).zip([2, 1, 0]).collect();
        assert_eq!(counted, want);
    }
}
