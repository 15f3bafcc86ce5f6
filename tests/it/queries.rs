//! The typed query: predicates, combinators, ordering, paging, and values
//! that must be bound, never spliced.

use m2m::Model;

use crate::models::*;

/// Articles with explicit keys inserted out of key order:
/// (id, title, body)
const ROWS: &[(i64, &str, Option<&str>)] = &[
    (5, "beta", Some("b1")),
    (2, "alpha", None),
    (9, "gamma", Some("g")),
    (7, "beta", Some("b2")),
    (3, "Alphabet", None),
];

fn seeded<C: m2m::Db>(conn: C) -> C {
    for (id, title, body) in ROWS {
        let mut a = new_article(title);
        a.id = *id;
        a.body = body.map(str::to_owned);
        a.insert(&conn).unwrap();
    }
    conn
}

fn ids_of(rows: Vec<Article>) -> Vec<i64> {
    row_ids(&rows)
}

dual! {
    fn default_order_is_by_key() {
        let conn = seeded(db());
        assert_eq!(
            ids_of(Article::query().fetch_all(&conn).unwrap()),
            vec![2, 3, 5, 7, 9]
        );
        assert_eq!(Article::query().fetch_one(&conn).unwrap().unwrap().id, 2);
    }
}

dual! {
    fn comparison_predicates() {
        let conn = seeded(db());
        let q = |f: fn(&<Article as Model>::Columns) -> m2m::Expr<Article>| {
            ids_of(Article::query().filter(f).fetch_all(&conn).unwrap())
        };
        assert_eq!(q(|c| c.id.eq(5)), vec![5]);
        assert_eq!(q(|c| c.id.ne(5)), vec![2, 3, 7, 9]);
        assert_eq!(q(|c| c.id.lt(5)), vec![2, 3]);
        assert_eq!(q(|c| c.id.le(5)), vec![2, 3, 5]);
        assert_eq!(q(|c| c.id.gt(5)), vec![7, 9]);
        assert_eq!(q(|c| c.id.ge(5)), vec![5, 7, 9]);
        assert_eq!(q(|c| c.title.eq("beta")), vec![5, 7]);
        assert_eq!(q(|c| c.title.ne("beta")), vec![2, 3, 9]);
        assert_eq!(
            q(|c| c.title.lt("beta")),
            vec![2, 3],
            "text compares bytewise: 'A' < 'a' < 'b'"
        );
        assert_eq!(q(|c| c.title.eq("nothing")), Vec::<i64>::new());
        let owned = String::from("gamma");
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.title.eq(&owned))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![9]
        );
    }
}

dual! {
    fn like_uses_sqlite_wildcards() {
        let conn = seeded(db());
        let like = |p: &str| {
            ids_of(
                Article::query()
                    .filter(|c| c.title.like(p))
                    .fetch_all(&conn)
                    .unwrap(),
            )
        };
        assert_eq!(like("alpha%"), vec![2, 3], "ASCII case-insensitive prefix");
        assert_eq!(like("%a"), vec![2, 5, 7, 9]);
        assert_eq!(like("b_ta"), vec![5, 7]);
        assert_eq!(like("beta"), vec![5, 7]);
        assert_eq!(like("zzz%"), Vec::<i64>::new());
    }
}

dual! {
    fn null_predicates() {
        let conn = seeded(db());
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.body.is_null())
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![2, 3]
        );
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.body.is_not_null())
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![5, 7, 9]
        );
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.body.eq("g"))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![9]
        );
    }
}

dual! {
    fn in_list_and_the_empty_list() {
        let conn = seeded(db());
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.id.in_([9, 2, 4]))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![2, 9]
        );
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.title.in_(["gamma", "alpha"]))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![2, 9]
        );
        let none: Vec<i64> = Vec::new();
        assert_eq!(
            Article::query()
                .filter(|c| c.id.in_(none.clone()))
                .count(&conn)
                .unwrap(),
            0
        );
        assert!(
            !Article::query()
                .filter(|c| c.id.in_(none.clone()))
                .exists(&conn)
                .unwrap()
        );
        assert_eq!(
            Article::query()
                .filter(|c| c.id.in_(none.clone()).not())
                .count(&conn)
                .unwrap(),
            5,
            "NOT (empty IN) matches every row"
        );
        assert_eq!(
            Article::query()
                .filter(|c| c.id.in_(none).or(c.id.eq(3)))
                .count(&conn)
                .unwrap(),
            1
        );
    }
}

dual! {
    fn and_or_not() {
        let conn = seeded(db());
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.title.eq("beta").and(c.body.eq("b2")))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![7]
        );
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.id.eq(2).or(c.id.eq(9)))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![2, 9]
        );
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.title.eq("beta").not())
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![2, 3, 9]
        );
        // Grouping is kept: a AND (b OR c) differs from (a AND b) OR c.
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.title.eq("beta").and(c.id.eq(5).or(c.id.eq(9))))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![5]
        );
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.title.eq("beta").and(c.id.eq(5)).or(c.id.eq(9)))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![5, 9]
        );
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.id.eq(2).or(c.id.eq(3)).not())
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![5, 7, 9]
        );
        // Two filter calls must both hold.
        assert_eq!(
            ids_of(
                Article::query()
                    .filter(|c| c.id.gt(2))
                    .filter(|c| c.body.is_null().or(c.title.eq("gamma")))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![3, 9]
        );
    }
}

dual! {
    fn order_by_asc_desc_and_ties_broken_by_later_terms() {
        let conn = seeded(db());
        assert_eq!(
            ids_of(
                Article::query()
                    .order_by(|c| c.id.desc())
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![9, 7, 5, 3, 2]
        );
        // 'Alphabet' < 'alpha' < 'beta' = 'beta' < 'gamma' (bytewise).
        assert_eq!(
            ids_of(
                Article::query()
                    .order_by(|c| c.title.asc())
                    .order_by(|c| c.body.desc())
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![3, 2, 7, 5, 9]
        );
        assert_eq!(
            ids_of(
                Article::query()
                    .order_by(|c| c.title.desc())
                    .order_by(|c| c.body.asc())
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![9, 5, 7, 2, 3]
        );
        assert_eq!(
            Article::query()
                .order_by(|c| c.title.desc())
                .fetch_one(&conn)
                .unwrap()
                .unwrap()
                .id,
            9
        );
    }
}

dual! {
    fn limit_and_offset() {
        let conn = seeded(db());
        assert_eq!(
            ids_of(Article::query().limit(2).fetch_all(&conn).unwrap()),
            vec![2, 3]
        );
        assert_eq!(
            ids_of(
                Article::query()
                    .limit(2)
                    .offset(1)
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![3, 5]
        );
        assert_eq!(
            ids_of(Article::query().offset(3).fetch_all(&conn).unwrap()),
            vec![7, 9]
        );
        assert_eq!(
            Article::query().offset(10).fetch_all(&conn).unwrap(),
            Vec::<Article>::new()
        );
        assert_eq!(
            Article::query().limit(0).fetch_all(&conn).unwrap(),
            Vec::<Article>::new()
        );
        assert_eq!(
            ids_of(
                Article::query()
                    .order_by(|c| c.id.desc())
                    .limit(2)
                    .offset(1)
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![7, 5]
        );
        assert_eq!(
            Article::query()
                .offset(2)
                .fetch_one(&conn)
                .unwrap()
                .unwrap()
                .id,
            5
        );
        assert_eq!(Article::query().limit(2).count(&conn).unwrap(), 2);
        assert_eq!(Article::query().offset(4).count(&conn).unwrap(), 1);
        assert!(!Article::query().offset(5).exists(&conn).unwrap());
        assert!(Article::query().offset(4).exists(&conn).unwrap());
    }
}

dual! {
    fn fetch_one_count_exists() {
        let conn = seeded(db());
        assert_eq!(
            Article::query()
                .filter(|c| c.title.eq("beta"))
                .fetch_one(&conn)
                .unwrap()
                .map(|a| (a.id, a.body)),
            Some((5, Some("b1".into())))
        );
        assert_eq!(
            Article::query()
                .filter(|c| c.title.eq("x"))
                .fetch_one(&conn)
                .unwrap(),
            None
        );
        assert_eq!(Article::query().count(&conn).unwrap(), 5);
        assert_eq!(
            Article::query()
                .filter(|c| c.title.eq("beta"))
                .count(&conn)
                .unwrap(),
            2
        );
        assert!(
            Article::query()
                .filter(|c| c.id.eq(9))
                .exists(&conn)
                .unwrap()
        );
        assert!(
            !Article::query()
                .filter(|c| c.id.eq(8))
                .exists(&conn)
                .unwrap()
        );
        assert_eq!(Tag::query().count(&conn).unwrap(), 0);
        assert!(!Tag::query().exists(&conn).unwrap());
        assert_eq!(Tag::query().fetch_one(&conn).unwrap(), None);
    }
}

dual! {
    fn hostile_values_are_bound_and_round_trip() {
        let conn = db();
        let names = [
            "it's",
            "Robert'); DROP TABLE tag;--",
            "-- comment",
            "\"double\" quotes",
            "emoji 🦀🎉",
            "back\\slash",
            "percent % under _",
            "line\nbreak\ttab",
            "",
        ];
        let mut stored = Vec::new();
        for n in names {
            stored.push(tag(&conn, n));
        }
        for t in &stored {
            assert_eq!(Tag::get(&conn, t.id).unwrap().as_ref(), Some(t));
            let found = Tag::query()
                .filter(|c| c.name.eq(t.name.as_str()))
                .fetch_all(&conn)
                .unwrap();
            assert_eq!(found, vec![t.clone()], "eq {:?}", t.name);
        }
        assert_eq!(
            rows_in(&conn, "tag"),
            names.len() as i64,
            "nothing was dropped"
        );
        assert_eq!(
            Tag::query()
                .filter(|c| c.name.in_(["it's", "emoji 🦀🎉", "-- comment"]))
                .count(&conn)
                .unwrap(),
            3
        );
        assert_eq!(
            Tag::query()
                .filter(|c| c.name.like("%🦀%"))
                .fetch_all(&conn)
                .unwrap(),
            vec![stored[4].clone()]
        );
        let mut a = new_article("O'Brien -- \"x\" 🦀");
        a.body = Some("'; DELETE FROM articles; --".into());
        a.insert(&conn).unwrap();
        assert_eq!(Article::get(&conn, a.id).unwrap(), Some(a.clone()));
        assert_eq!(
            Article::query()
                .filter(|c| c.body.eq("'; DELETE FROM articles; --"))
                .fetch_all(&conn)
                .unwrap(),
            vec![a]
        );
    }
}

/// The first 300 characters of an error (SQLite's message can carry the
/// whole statement text).
fn short(e: &m2m::Error) -> String {
    e.to_string().chars().take(300).collect()
}

dual! {
    fn in_list_longer_than_the_parameter_limit() {
        let conn = db();
        for id in [1, 50_000, 99_999] {
            let mut t = new_tag(&format!("t{id}"));
            t.id = id;
            t.insert(&conn).unwrap();
        }
        // 100,000 values: far above SQLite's 32,766 bound parameters.
        let wanted: Vec<i64> = (0..100_000).collect();
        let found = Tag::query()
            .filter(|c| c.id.in_(wanted.clone()))
            .fetch_all(&conn)
            .map_err(|e| short(&e));
        assert_eq!(found.map(|v| row_ids(&v)), Ok(vec![1, 50_000, 99_999]));
        let outside = Tag::query()
            .filter(|c| c.id.in_(wanted).not())
            .count(&conn)
            .map_err(|e| short(&e));
        assert_eq!(outside, Ok(0));
    }
}

dual! {
    /// A query (with its eager loads) can be built on one thread and run on
    /// another: an async handler builds it, `spawn_blocking` runs it.
    fn a_query_is_send_and_runs_on_another_thread() {
        fn send<T: Send>(t: T) -> T {
            t
        }
        let conn = db();
        let rust = tag(&conn, "rust");
        let a = article(&conn, "a");
        a.tags().add(&conn, [&rust]).unwrap();
        let q = send(
            Article::query()
                .filter(|c| c.title.eq("a"))
                .prefetch(Article::TAGS),
        );
        let rows = std::thread::spawn(move || q.fetch_all(&conn).unwrap())
            .join()
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].tags.get().map(<[Tag]>::len), Some(1));
    }
}
