//! `uuid::Uuid` keys (feature `uuid`) on every side of every relation: one
//! test per call, owner and target both keyed by uuid.

use m2m::{Db, Error, Key, ManyToMany, Model, SyncMode};
use uuid::Uuid;

use crate::models::{TestDb, assert_missing_target, assert_unsaved_model, empty, rows_in};

#[derive(Model, Debug, Clone, PartialEq)]
struct Label {
    id: Uuid,
    #[model(unique)]
    name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Doc {
    id: Uuid,
    title: String,
    #[many_to_many(related_name = "docs")]
    labels: ManyToMany<Label>,
}

/// A symmetrical self relation keyed by uuid.
#[derive(Model, Debug, Clone, PartialEq)]
struct Peer {
    id: Uuid,
    name: String,
    #[many_to_many(symmetrical)]
    friends: ManyToMany<Self>,
}

/// A through model holding two uuid keys (its own key is SQLite's rowid).
#[derive(Model, Debug, Clone, PartialEq, Default)]
struct Seat {
    id: i64,
    member_id: Uuid,
    team_id: Uuid,
    role: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Team {
    id: Uuid,
    name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Member {
    id: Uuid,
    name: String,
    #[many_to_many(through_model = Seat, related_name = "members")]
    teams: ManyToMany<Team>,
}

/// A uuid whose bytes do not sort like `n`, so key order is the blobs'
/// order and not the order of creation.
fn uuid(n: u8) -> Uuid {
    let mut b = [n; 16];
    b[0] = n.wrapping_mul(97);
    Uuid::from_bytes(b)
}

/// The tables of this module's models, on a fresh connection.
fn with_tables<C: Db>(conn: C) -> C {
    Label::create_table(&conn).unwrap();
    Doc::create_table(&conn).unwrap();
    Peer::create_table(&conn).unwrap();
    Team::create_table(&conn).unwrap();
    Member::create_table(&conn).unwrap();
    conn
}

fn label(conn: &impl Db, n: u8) -> Label {
    let mut l = Label {
        id: uuid(n),
        name: format!("label{n}"),
    };
    l.insert(conn).unwrap();
    l
}

fn labels(conn: &impl Db, ns: &[u8]) -> Vec<Label> {
    ns.iter().map(|&n| label(conn, n)).collect()
}

fn doc(conn: &impl Db, n: u8) -> Doc {
    let mut d = Doc {
        id: uuid(n),
        title: format!("doc{n}"),
        labels: ManyToMany::new(),
    };
    d.insert(conn).unwrap();
    d
}

fn peer(conn: &impl Db, n: u8) -> Peer {
    let mut p = Peer {
        id: uuid(n),
        name: format!("peer{n}"),
        friends: ManyToMany::new(),
    };
    p.insert(conn).unwrap();
    p
}

fn team(conn: &impl Db, n: u8) -> Team {
    let mut t = Team {
        id: uuid(n),
        name: format!("team{n}"),
    };
    t.insert(conn).unwrap();
    t
}

fn member(conn: &impl Db, n: u8) -> Member {
    let mut m = Member {
        id: uuid(n),
        name: format!("member{n}"),
        teams: ManyToMany::new(),
    };
    m.insert(conn).unwrap();
    m
}

/// The uuids of `keys`.
fn raw<T: Model<Pk = Uuid>>(keys: &[Key<T>]) -> Vec<Uuid> {
    keys.iter().map(|k| *k.get()).collect()
}

/// The uuids of `ns`, in key order.
fn sorted(ns: &[u8]) -> Vec<Uuid> {
    let mut v: Vec<Uuid> = ns.iter().map(|&n| uuid(n)).collect();
    v.sort();
    v
}

/// The rows, in key order.
fn by_key<T: Model<Pk = Uuid> + Clone>(rows: &[T]) -> Vec<T> {
    let mut v = rows.to_vec();
    v.sort_by_key(|r| *r.pk());
    v
}

/// A uuid as `TestDb::texts` shows it: hex of the blob, or PostgreSQL's text.
fn parse(text: &str) -> Uuid {
    Uuid::parse_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn uuid_columns_are_blobs() {
    assert_eq!(Label::TABLE.columns()[0].sql_type(), "BLOB");
    assert_eq!(Seat::TABLE.columns()[1].sql_type(), "BLOB");
    assert_eq!(Seat::TABLE.columns()[2].sql_type(), "BLOB");
    assert_eq!(Label::TABLE.columns()[0].pg_type(), "UUID");
    assert_eq!(Seat::TABLE.columns()[1].pg_type(), "UUID");
    assert_eq!(Seat::TABLE.columns()[2].pg_type(), "UUID");
}

dual! {
    fn uuid_keys_are_stored_natively() {
        let conn = with_tables(empty(db));
        let l = label(&conn, 1);
        let stored = if conn.is_pg() {
            "SELECT pg_typeof(id)::text, id::text FROM label"
        } else {
            "SELECT typeof(id), length(id) FROM label"
        };
        let want = if conn.is_pg() {
            vec![vec!["uuid".to_owned(), l.id.hyphenated().to_string()]]
        } else {
            vec![vec!["blob".to_owned(), "16".to_owned()]]
        };
        assert_eq!(conn.texts(stored), want);
        assert_eq!(Label::get(&conn, l.id).unwrap(), Some(l.clone()));
        let by_ref: &Uuid = &l.id;
        assert_eq!(Label::get(&conn, by_ref).unwrap(), Some(l));
        assert_eq!(Label::get(&conn, uuid(2)).unwrap(), None);
    }
}

dual! {
    fn uuid_nil_key_is_refused() {
        let conn = with_tables(empty(db));
        let mut ghost = Doc {
            id: Uuid::nil(),
            title: "forgot the key".into(),
            labels: ManyToMany::new(),
        };
        match ghost.insert(&conn) {
            Err(e @ Error::InvalidValue { .. }) => {
                assert!(e.to_string().contains("nil uuid"), "{e}")
            }
            other => panic!("expected InvalidValue, got {other:?}"),
        }
        assert!(matches!(ghost.save(&conn), Err(Error::InvalidValue { .. })));
        assert_eq!(rows_in(&conn, "doc"), 0);
        let l = label(&conn, 1);
        assert_unsaved_model(ghost.labels().add(&conn, [&l]), "Doc");
        let d = doc(&conn, 2);
        assert_unsaved_model(d.labels().add(&conn, [Uuid::nil()]), "Label");
        assert_unsaved_model(l.docs().add(&conn, [&ghost]), "Doc");
    }
}

dual! {
    fn uuid_add() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3]);
        let d = doc(&conn, 9);
        assert_eq!(d.labels().add(&conn, [&ls[0], &ls[1]]).unwrap(), 2);
        assert_eq!(d.labels().add(&conn, [uuid(2), uuid(3)]).unwrap(), 1);
        assert_eq!(d.labels().add(&conn, vec![Key::new(uuid(1))]).unwrap(), 0);
        assert_eq!(raw(&d.labels().keys(&conn).unwrap()), sorted(&[1, 2, 3]));
    }
}

dual! {
    fn uuid_add_of_a_missing_target() {
        let conn = with_tables(empty(db));
        label(&conn, 1);
        let d = doc(&conn, 9);
        let missing = Uuid::from_bytes([0xab; 16]);
        assert_missing_target(
            d.labels().add(&conn, [uuid(1), missing]),
            "Doc.labels",
            "x'abababababababababababababababab'",
        );
        assert_eq!(d.labels().count(&conn).unwrap(), 0);
    }
}

dual! {
    fn uuid_remove() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3]);
        let d = doc(&conn, 9);
        d.labels().add(&conn, &ls).unwrap();
        assert_eq!(d.labels().remove(&conn, [&ls[0]]).unwrap(), 1);
        assert_eq!(d.labels().remove(&conn, [uuid(1), uuid(3)]).unwrap(), 1);
        assert_eq!(raw(&d.labels().keys(&conn).unwrap()), [uuid(2)]);
    }
}

dual! {
    fn uuid_set() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3, 4]);
        let d = doc(&conn, 9);
        d.labels().add(&conn, [&ls[0], &ls[1]]).unwrap();
        let r = d.labels().set(&conn, [&ls[1], &ls[2], &ls[3]]).unwrap();
        assert_eq!(raw(&r.added), sorted(&[3, 4]));
        assert_eq!(raw(&r.removed), [uuid(1)]);
        assert!(r.updated.is_empty());
        assert_eq!(raw(&d.labels().keys(&conn).unwrap()), sorted(&[2, 3, 4]));
    }
}

dual! {
    fn uuid_sync_replace() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3]);
        let d = doc(&conn, 9);
        d.labels().add(&conn, [&ls[0], &ls[1]]).unwrap();
        let r = d
            .labels()
            .sync(&conn, [uuid(2), uuid(3)], SyncMode::Replace)
            .unwrap();
        assert_eq!(
            (raw(&r.added), raw(&r.removed)),
            (vec![uuid(3)], vec![uuid(1)])
        );
        assert_eq!(raw(&d.labels().keys(&conn).unwrap()), sorted(&[2, 3]));
    }
}

dual! {
    fn uuid_sync_add() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3]);
        let d = doc(&conn, 9);
        d.labels().add(&conn, [&ls[0]]).unwrap();
        let r = d.labels().sync(&conn, &ls, SyncMode::Add).unwrap();
        assert_eq!(raw(&r.added), sorted(&[2, 3]));
        assert!(r.removed.is_empty());
        assert_eq!(raw(&d.labels().keys(&conn).unwrap()), sorted(&[1, 2, 3]));
    }
}

dual! {
    fn uuid_sync_remove() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3]);
        let d = doc(&conn, 9);
        d.labels().add(&conn, [&ls[0], &ls[1]]).unwrap();
        let r = d
            .labels()
            .sync(&conn, [&ls[1], &ls[2]], SyncMode::Remove)
            .unwrap();
        assert!(r.added.is_empty());
        assert_eq!(raw(&r.removed), [uuid(2)]);
        assert_eq!(raw(&d.labels().keys(&conn).unwrap()), [uuid(1)]);
    }
}

dual! {
    fn uuid_toggle() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3]);
        let d = doc(&conn, 9);
        d.labels().add(&conn, [&ls[0], &ls[1]]).unwrap();
        let r = d.labels().toggle(&conn, [uuid(2), uuid(3)]).unwrap();
        assert_eq!(raw(&r.added), [uuid(3)]);
        assert_eq!(raw(&r.removed), [uuid(2)]);
        assert_eq!(raw(&d.labels().keys(&conn).unwrap()), sorted(&[1, 3]));
    }
}

dual! {
    fn uuid_create() {
        let conn = with_tables(empty(db));
        let d = doc(&conn, 9);
        let made = d
            .labels()
            .create(
                &conn,
                Label {
                    id: uuid(5),
                    name: "new".into(),
                },
            )
            .unwrap();
        assert_eq!(made.id, uuid(5), "inserted with the key it was given");
        assert_eq!(Label::get(&conn, uuid(5)).unwrap(), Some(made.clone()));
        assert_eq!(d.labels().fetch_all(&conn).unwrap(), vec![made]);
        let unset = Label {
            id: Uuid::nil(),
            name: "unset".into(),
        };
        assert!(d.labels().create(&conn, unset).is_err());
        assert_eq!(rows_in(&conn, "label"), 1);
    }
}

dual! {
    fn uuid_fetch_all() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3]);
        let d = doc(&conn, 9);
        d.labels().add(&conn, [&ls[2], &ls[0]]).unwrap();
        assert_eq!(
            d.labels().fetch_all(&conn).unwrap(),
            by_key(&[ls[0].clone(), ls[2].clone()])
        );
        assert_eq!(
            d.labels().fetch_one(&conn).unwrap(),
            by_key(&[ls[0].clone(), ls[2].clone()]).into_iter().next()
        );
    }
}

dual! {
    fn uuid_count() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3]);
        let d = doc(&conn, 9);
        assert_eq!(d.labels().count(&conn).unwrap(), 0);
        assert!(!d.labels().exists(&conn).unwrap());
        d.labels().add(&conn, &ls).unwrap();
        assert_eq!(d.labels().count(&conn).unwrap(), 3);
        assert!(d.labels().exists(&conn).unwrap());
    }
}

dual! {
    fn uuid_contains() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2]);
        let d = doc(&conn, 9);
        d.labels().add(&conn, [&ls[0]]).unwrap();
        assert!(d.labels().contains(&conn, &ls[0]).unwrap());
        assert!(d.labels().contains(&conn, uuid(1)).unwrap());
        assert!(!d.labels().contains(&conn, &ls[1]).unwrap());
        assert!(!d.labels().contains(&conn, uuid(7)).unwrap());
    }
}

dual! {
    fn uuid_keys() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[4, 1, 3, 2]);
        let d = doc(&conn, 9);
        d.labels().add(&conn, &ls).unwrap();
        let keys = d.labels().keys(&conn).unwrap();
        assert_eq!(raw(&keys), sorted(&[1, 2, 3, 4]), "in key (byte) order");
        assert_eq!(keys[0], by_key(&ls)[0].key());
    }
}

dual! {
    fn uuid_relation_prefetch() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3]);
        let (a, b, c) = (doc(&conn, 7), doc(&conn, 8), doc(&conn, 9));
        a.labels().add(&conn, [&ls[0], &ls[1]]).unwrap();
        b.labels().add(&conn, [&ls[2]]).unwrap();
        let got = Doc::LABELS.prefetch(&conn, [&a, &b, &c]).unwrap();
        assert_eq!(got.get(&a), by_key(&ls[..2]));
        assert_eq!(got.get(uuid(8)), [ls[2].clone()]);
        assert!(got.get(&c).is_empty());
    }
}

dual! {
    fn uuid_query_prefetch() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3]);
        let (a, b) = (doc(&conn, 7), doc(&conn, 8));
        a.labels().add(&conn, &ls).unwrap();
        let docs = Doc::query().prefetch(Doc::LABELS).fetch_all(&conn).unwrap();
        assert_eq!(docs.len(), 2);
        for d in &docs {
            let want = if d.id == a.id { by_key(&ls) } else { vec![] };
            assert_eq!(d.labels.get(), Some(&want[..]), "{}", d.title);
        }
        assert!(docs.iter().any(|d| d.id == b.id));
    }
}

dual! {
    fn uuid_reverse_side() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2]);
        let (a, b) = (doc(&conn, 7), doc(&conn, 8));
        assert_eq!(ls[0].docs().add(&conn, [&a, &b]).unwrap(), 2);
        assert_eq!(raw(&ls[0].docs().keys(&conn).unwrap()), sorted(&[7, 8]));
        assert!(a.labels().contains(&conn, &ls[0]).unwrap());
        let r = Label::DOCS.of_key(uuid(1)).set(&conn, [uuid(8)]).unwrap();
        assert_eq!(raw(&r.removed), [uuid(7)]);
        assert_eq!(ls[1].docs().toggle(&conn, [&a]).unwrap().added.len(), 1);
        assert_eq!(
            Label::DOCS.prefetch(&conn, &ls).unwrap().get(&ls[1]),
            vec![a.clone()]
        );
        assert_eq!(ls[0].docs().fetch_all(&conn).unwrap(), vec![b.clone()]);
        assert!(a.delete(&conn).unwrap());
        assert_eq!(ls[1].docs().count(&conn).unwrap(), 0, "links cascade");
    }
}

dual! {
fn uuid_symmetrical_self_relation() {
    let conn = with_tables(empty(db));
    let (a, b, c) = (peer(&conn, 1), peer(&conn, 2), peer(&conn, 3));
    assert_eq!(b.friends().add(&conn, [&a, &c]).unwrap(), 2);
    assert_eq!(a.friends().add(&conn, [&b]).unwrap(), 0, "stored once");
    assert_eq!(rows_in(&conn, "peer_friends"), 2);
    assert!(a.friends().contains(&conn, &b).unwrap());
    assert!(c.friends().contains(&conn, uuid(2)).unwrap());
    assert_eq!(raw(&b.friends().keys(&conn).unwrap()), sorted(&[1, 3]));
    assert_eq!(a.friends().fetch_all(&conn).unwrap(), vec![b.clone()]);
    // Each pair is stored smaller key first, by the blobs' order.
    let pairs = conn.texts("SELECT from_peer_id, to_peer_id FROM peer_friends");
    assert_eq!(pairs.len(), 2);
    for p in &pairs {
        assert!(parse(&p[0]) < parse(&p[1]), "{p:?}");
    }
    let r = c.friends().toggle(&conn, [&b, &a]).unwrap();
    assert_eq!(
        (raw(&r.added), raw(&r.removed)),
        (vec![uuid(1)], vec![uuid(2)])
    );
    assert_eq!(a.friends().remove(&conn, [&c]).unwrap(), 1);
    let people = Peer::query()
        .prefetch(Peer::FRIENDS)
        .fetch_all(&conn)
        .unwrap();
    let of = |p: &Peer| {
        raw(&p
            .friends
            .get()
            .unwrap()
            .iter()
            .map(Model::key)
            .collect::<Vec<_>>())
    };
    // Left: a-b (c-b went with the toggle, a-c with the remove).
    for p in &people {
        let want = match p.id {
            id if id == a.id => vec![uuid(2)],
            id if id == b.id => vec![uuid(1)],
            _ => vec![],
        };
        assert_eq!(of(p), want, "{}", p.name);
    }
    // A self-link appears once.
    assert_eq!(a.friends().add(&conn, [&a]).unwrap(), 1);
    assert_eq!(raw(&a.friends().keys(&conn).unwrap()), sorted(&[1, 2]));
}
}

dual! {
    fn uuid_through_add_with_pivot_update_pivot() {
        let conn = with_tables(empty(db));
        let (chess, go) = (team(&conn, 1), team(&conn, 2));
        let kim = member(&conn, 9);
        let captain = Seat {
            role: "captain".into(),
            ..Default::default()
        };
        assert!(kim.teams().add_with(&conn, &chess, captain).unwrap());
        let seat = chess.members().pivot(&conn, &kim).unwrap().unwrap();
        assert_eq!(
            (seat.member_id, seat.team_id, seat.role.as_str()),
            (kim.id, chess.id, "captain")
        );
        assert_eq!(kim.teams().pivot(&conn, uuid(2)).unwrap(), None);
        assert!(
            kim.teams()
                .update_pivot(&conn, uuid(1), |s| s.role = "coach".into())
                .unwrap()
        );
        assert!(
            !kim.teams()
                .update_pivot(&conn, &go, |s| s.role = "never".into())
                .unwrap()
        );
        assert_eq!(
            kim.teams().pivot(&conn, &chess).unwrap().unwrap().role,
            "coach"
        );
        // Plain calls work too, with the through model's default data.
        assert_eq!(kim.teams().add(&conn, [&go]).unwrap(), 1);
        assert_eq!(raw(&kim.teams().keys(&conn).unwrap()), sorted(&[1, 2]));
        assert_eq!(go.members().pivot(&conn, &kim).unwrap().unwrap().role, "");
    }
}

dual! {
    fn uuid_through_sync_with() {
        let conn = with_tables(empty(db));
        let (a, b, c) = (team(&conn, 1), team(&conn, 2), team(&conn, 3));
        let kim = member(&conn, 9);
        let seat = |role: &str| Seat {
            role: role.into(),
            ..Default::default()
        };
        kim.teams().add_with(&conn, &a, seat("x")).unwrap();
        kim.teams().add_with(&conn, &b, seat("y")).unwrap();
        let r = kim
            .teams()
            .sync_with(&conn, [(&b, seat("y")), (&c, seat("z"))], SyncMode::Replace)
            .unwrap();
        assert_eq!(raw(&r.added), [uuid(3)]);
        assert_eq!(raw(&r.removed), [uuid(1)]);
        assert!(r.updated.is_empty());
        let r = kim
            .teams()
            .sync_with(&conn, [(uuid(2), seat("w"))], SyncMode::Add)
            .unwrap();
        assert_eq!(raw(&r.updated), [uuid(2)]);
        assert_eq!(kim.teams().pivot(&conn, &b).unwrap().unwrap().role, "w");
        let r = kim
            .teams()
            .sync_with(&conn, [(&c, seat(""))], SyncMode::Remove)
            .unwrap();
        assert_eq!(raw(&r.removed), [uuid(3)]);
        assert_eq!(raw(&kim.teams().keys(&conn).unwrap()), [uuid(2)]);
    }
}

dual! {
    fn uuid_through_fetch_with_pivot() {
        let conn = with_tables(empty(db));
        let (a, b) = (team(&conn, 1), team(&conn, 2));
        let (kim, lee) = (member(&conn, 8), member(&conn, 9));
        let seat = |role: &str| Seat {
            role: role.into(),
            ..Default::default()
        };
        kim.teams().add_with(&conn, &a, seat("a")).unwrap();
        kim.teams().add_with(&conn, &b, seat("b")).unwrap();
        lee.teams().add_with(&conn, &a, seat("c")).unwrap();
        let mut got: Vec<(Uuid, String)> = kim
            .teams()
            .fetch_with_pivot(&conn)
            .unwrap()
            .into_iter()
            .map(|(t, s)| {
                assert_eq!((s.team_id, s.member_id), (t.id, kim.id));
                (t.id, s.role)
            })
            .collect();
        got.sort();
        let mut want = vec![(a.id, "a".to_string()), (b.id, "b".to_string())];
        want.sort();
        assert_eq!(got, want);
        let by_team = Team::MEMBERS.prefetch_with_pivot(&conn, [&a]).unwrap();
        let mut roles: Vec<_> = by_team
            .get(&a)
            .iter()
            .map(|(m, s)| (m.id, s.role.clone()))
            .collect();
        roles.sort();
        let mut want = vec![(kim.id, "a".to_string()), (lee.id, "c".to_string())];
        want.sort();
        assert_eq!(roles, want);
        let captains = kim
            .teams()
            .filter_pivot(|s| s.role.eq("b"))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(captains, vec![b.clone()]);
    }
}

dual! {
    fn uuid_linked_to_any() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2, 3]);
        let (a, b, c) = (doc(&conn, 7), doc(&conn, 8), doc(&conn, 9));
        a.labels().add(&conn, [&ls[0]]).unwrap();
        b.labels().add(&conn, [&ls[1], &ls[2]]).unwrap();
        c.labels().add(&conn, [&ls[2]]).unwrap();
        let ids = |q: m2m::Query<Doc>| {
            let mut v: Vec<Uuid> = q
                .fetch_all(&conn)
                .unwrap()
                .into_iter()
                .map(|d| d.id)
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            ids(Doc::query().linked_to_any(Doc::LABELS, [uuid(1), uuid(2)])),
            sorted(&[7, 8])
        );
        assert_eq!(
            ids(Doc::query().linked_to_all(Doc::LABELS, [&ls[1], &ls[2]])),
            [uuid(8)]
        );
        assert_eq!(
            ids(Doc::query().linked_to_any(Doc::LABELS, Vec::<Uuid>::new())),
            Vec::<Uuid>::new()
        );
        let mut labelled: Vec<Uuid> = Label::query()
            .linked_to_any(Label::DOCS, [&b])
            .fetch_all(&conn)
            .unwrap()
            .into_iter()
            .map(|l| l.id)
            .collect();
        labelled.sort();
        assert_eq!(labelled, sorted(&[2, 3]), "the reverse side");
    }
}

dual! {
    fn uuid_filter_related() {
        let conn = with_tables(empty(db));
        let ls = labels(&conn, &[1, 2]);
        let (a, b) = (doc(&conn, 7), doc(&conn, 8));
        a.labels().add(&conn, [&ls[0]]).unwrap();
        b.labels().add(&conn, [&ls[1]]).unwrap();
        let got = Doc::query()
            .filter_related(Doc::LABELS, |l| l.name.eq("label2"))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(got, vec![b.clone()]);
        let got = Doc::query()
            .filter_related(Doc::LABELS, |l| l.id.eq(uuid(1)))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(got, vec![a.clone()]);
        let got = Doc::query()
            .filter(|d| d.id.in_([uuid(8), uuid(3)]))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(got, vec![b.clone()], "uuids in an `in_` list");
        let got = Label::query()
            .exclude_related(Label::DOCS, |d| d.id.eq(uuid(7)))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(got, vec![ls[1].clone()]);
        let got = a
            .labels()
            .filter(|l| l.name.like("label%"))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(got, vec![ls[0].clone()]);
    }
}
