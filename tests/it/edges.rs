//! The edges where data could be lost, mixed or made unreadable: narrow
//! integer keys, schemas that do not match, connections without foreign
//! keys, NaN, extreme limits, long lists of blobs, index names, blob keys.

use m2m::rusqlite::Connection;
use m2m::{Error, Key, ManyToMany, Model, Schema, SyncMode};

use crate::models::*;

// ----- narrow integer keys ---------------------------------------------------

#[derive(Model, Debug, Clone, PartialEq)]
struct Tiny {
    id: u8,
    name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Small {
    id: i8,
    name: String,
    #[many_to_many(related_name = "smalls")]
    tags: ManyToMany<Tag>,
}

fn tiny(conn: &Connection, name: &str) -> m2m::Result<Tiny> {
    let mut t = Tiny {
        id: 0,
        name: name.into(),
    };
    t.insert(conn)?;
    Ok(t)
}

#[test]
fn a_narrow_key_gets_a_key_that_fits_or_fails_having_written_nothing() {
    let conn = m2m::open_in_memory().unwrap();
    Tiny::create_table(&conn).unwrap();
    for i in 1..=255u8 {
        assert_eq!(tiny(&conn, &format!("t{i}")).unwrap().id, i);
    }
    // Every key a u8 holds is taken: an error, and nothing written.
    let err = tiny(&conn, "one too many").unwrap_err();
    assert!(
        matches!(
            err,
            Error::KeysExhausted {
                model: "Tiny",
                max: 255
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("i64"), "{err}");
    assert_eq!(rows_in(&conn, "tiny"), 255);
    // Every read still works.
    assert_eq!(Tiny::query().count(&conn).unwrap(), 255);
    assert_eq!(Tiny::query().fetch_all(&conn).unwrap().len(), 255);

    // A freed key is given again, though SQLite's next rowid would be 256.
    assert!(
        Tiny::get(&conn, 10u8)
            .unwrap()
            .unwrap()
            .delete(&conn)
            .unwrap()
    );
    assert!(
        Tiny::get(&conn, 255u8)
            .unwrap()
            .unwrap()
            .delete(&conn)
            .unwrap()
    );
    assert_eq!(tiny(&conn, "again").unwrap().id, 255);
    assert_eq!(tiny(&conn, "gap").unwrap().id, 10);
    assert_eq!(Tiny::get(&conn, 10u8).unwrap().unwrap().name, "gap");
    assert_eq!(Tiny::query().fetch_all(&conn).unwrap().len(), 255);
}

#[test]
fn a_signed_narrow_key_with_relations_stays_readable() {
    let conn = db();
    Small::create_table(&conn).unwrap();
    let rust = tag(&conn, "rust");
    for i in 1..=127 {
        let mut s = Small {
            id: 0,
            name: format!("s{i}"),
            tags: ManyToMany::default(),
        };
        s.insert(&conn).unwrap();
        assert_eq!(s.id, i);
        s.tags().add(&conn, [&rust]).unwrap();
    }
    let mut extra = Small {
        id: 0,
        name: "x".into(),
        tags: ManyToMany::default(),
    };
    assert!(matches!(
        extra.insert(&conn),
        Err(Error::KeysExhausted { max: 127, .. })
    ));
    assert_eq!(extra.id, 0);
    assert_eq!(rust.smalls().count(&conn).unwrap(), 127);
    assert_eq!(rust.smalls().fetch_all(&conn).unwrap().len(), 127);
}

#[test]
fn a_narrow_key_table_made_without_the_check_is_not_poisoned() {
    let conn = m2m::open_in_memory().unwrap();
    // Made by another tool, without the range CHECK, with a row at the top.
    conn.execute_batch(
        "CREATE TABLE tiny (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         INSERT INTO tiny VALUES (255, 'top');",
    )
    .unwrap();
    Tiny::create_table(&conn).unwrap();
    let t = tiny(&conn, "next").unwrap();
    assert_eq!(t.id, 1, "the smallest free key");
    let max: i64 = conn
        .query_row("SELECT max(id) FROM tiny", [], |r| r.get(0))
        .unwrap();
    assert_eq!(max, 255, "no row with a key past u8 is left behind");
    assert_eq!(Tiny::query().count(&conn).unwrap(), 2);
}

// ----- schemas that exist already ---------------------------------------------

fn schema_error(r: m2m::Result<()>) -> (String, String) {
    match r {
        Err(Error::Schema { table, problem }) => (table.to_owned(), problem),
        other => panic!("expected Error::Schema, got {other:?}"),
    }
}

#[test]
fn create_table_refuses_a_table_with_other_columns() {
    let conn = m2m::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE tag (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
        .unwrap();
    let (table, problem) = schema_error(Tag::create_table(&conn));
    assert_eq!(table, "tag");
    assert!(problem.contains("lacks the column `name`"), "{problem}");
    assert!(problem.contains("`label`"), "{problem}");
}

#[test]
fn create_table_refuses_another_key() {
    let conn = m2m::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE tag (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
        .unwrap();
    let (table, problem) = schema_error(Tag::create_table(&conn));
    assert_eq!(table, "tag");
    assert!(problem.contains("INTEGER"), "{problem}");

    let conn = m2m::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE tag (id INTEGER NOT NULL, name TEXT PRIMARY KEY NOT NULL)")
        .unwrap();
    let (_, problem) = schema_error(Tag::create_table(&conn));
    assert!(problem.contains("primary key is (name)"), "{problem}");
}

#[test]
fn create_table_refuses_a_junction_without_its_pair_key_or_foreign_keys() {
    let conn = m2m::open_in_memory().unwrap();
    Tag::create_table(&conn).unwrap();
    conn.execute_batch(
        "CREATE TABLE articles_tags (article_id INTEGER NOT NULL, tag_id INTEGER NOT NULL)",
    )
    .unwrap();
    let (table, problem) = schema_error(Article::create_table(&conn));
    assert_eq!(table, "articles_tags");
    assert!(problem.contains("primary key"), "{problem}");
    assert!(problem.contains("FOREIGN KEY (article_id)"), "{problem}");
    assert!(problem.contains("FOREIGN KEY (tag_id)"), "{problem}");

    // The pair key, but foreign keys that do not cascade.
    let conn = m2m::open_in_memory().unwrap();
    Tag::create_table(&conn).unwrap();
    conn.execute_batch(
        "CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT);
         CREATE TABLE articles_tags (
             article_id INTEGER NOT NULL REFERENCES articles (id),
             tag_id INTEGER NOT NULL REFERENCES tag (id) ON DELETE CASCADE,
             PRIMARY KEY (article_id, tag_id)) WITHOUT ROWID;",
    )
    .unwrap();
    let (table, problem) = schema_error(Article::create_table(&conn));
    assert_eq!(table, "articles_tags");
    assert!(problem.contains("FOREIGN KEY (article_id)"), "{problem}");
    assert!(!problem.contains("FOREIGN KEY (tag_id)"), "{problem}");
}

mod shop {
    use m2m::Model;
    #[derive(Model, Debug)]
    pub struct Item {
        pub id: i64,
        pub name: String,
    }
}

mod warehouse {
    use m2m::Model;
    /// Same struct name as `shop::Item`, so the same default table.
    #[derive(Model, Debug)]
    pub struct Item {
        pub id: i64,
        pub shelf: i64,
        pub weight: f64,
    }
}

#[test]
fn two_models_claiming_one_table_are_refused() {
    let conn = m2m::open_in_memory().unwrap();
    shop::Item::create_table(&conn).unwrap();
    let (table, problem) = schema_error(warehouse::Item::create_table(&conn));
    assert_eq!(table, "item");
    assert!(problem.contains("`shelf`"), "{problem}");
}

/// `Post.tags` defaults its junction to `post_tags`: the table of this model.
#[derive(Model, Debug)]
#[model(table = "post_tags")]
struct PostTags {
    id: i64,
    note: String,
}

#[derive(Model, Debug)]
struct Post {
    id: i64,
    #[many_to_many(related_name = "posts")]
    tags: ManyToMany<Tag>,
}

#[test]
fn a_default_junction_named_like_another_models_table_is_refused() {
    let conn = db();
    PostTags::create_table(&conn).unwrap();
    let (table, problem) = schema_error(Post::create_table(&conn));
    assert_eq!(table, "post_tags");
    assert!(problem.contains("through = "), "{problem}");

    // The other way round: the model finds the junction in its place.
    let conn = db();
    Post::create_table(&conn).unwrap();
    let (table, problem) = schema_error(PostTags::create_table(&conn));
    assert_eq!(table, "post_tags");
    assert!(problem.contains("lacks the column `id`"), "{problem}");
}

#[test]
fn verify_schema_lists_every_difference_and_nothing_when_it_fits() {
    let conn = db();
    let all = [
        Schema::of::<Tag>(),
        Schema::of::<Article>(),
        Schema::of::<User>(),
        Schema::of::<Language>(),
        Schema::of::<Country>(),
        Schema::of::<File>(),
        Schema::of::<BlogPost>(),
    ];
    assert_eq!(m2m::verify_schema(&conn, &all).unwrap(), vec![]);

    // Names are compared as SQLite does: without case.
    let conn = m2m::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE TAG (ID INTEGER PRIMARY KEY, Name text NOT NULL UNIQUE);")
        .unwrap();
    assert_eq!(
        m2m::verify_schema(&conn, &[Schema::of::<Tag>()]).unwrap(),
        vec![]
    );

    let conn = m2m::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE tag (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE articles (id INTEGER PRIMARY KEY, title BLOB NOT NULL, body TEXT NOT NULL, extra TEXT NOT NULL);",
    )
    .unwrap();
    let problems =
        m2m::verify_schema(&conn, &[Schema::of::<Tag>(), Schema::of::<Article>()]).unwrap();
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    for needle in [
        "table `tag`: column `name` allows NULL",
        "table `tag`: lacks a unique constraint on (name)",
        "table `articles`: column `title` is declared `BLOB`",
        "table `articles`: column `body` is `NOT NULL`",
        "table `articles`: has `NOT NULL` columns without a default that the model does not write (`extra`)",
        "table `articles_tags`: does not exist",
        "table `articles_featured_tags`: does not exist",
    ] {
        assert!(
            text.iter().any(|t| t.contains(needle)),
            "{needle} not in {text:#?}"
        );
    }
}

// ----- a through model shared by two relations ---------------------------------

#[derive(Model, Debug, Clone, Default, PartialEq)]
struct Tagging {
    id: i64,
    owner_id: i64,
    tag_id: i64,
}

#[derive(Model, Debug)]
struct Photo {
    id: i64,
    #[many_to_many(through_model = Tagging, source = "owner_id", related_name = "photos")]
    tags: ManyToMany<Tag>,
}

#[derive(Model, Debug)]
struct Video {
    id: i64,
    #[many_to_many(through_model = Tagging, source = "owner_id", related_name = "videos")]
    tags: ManyToMany<Tag>,
}

#[test]
fn a_through_model_is_never_rebuilt_under_another_relation() {
    let conn = db();
    Photo::create_table(&conn).unwrap();
    let mut photo = Photo {
        id: 0,
        tags: ManyToMany::default(),
    };
    photo.insert(&conn).unwrap();
    let rust = tag(&conn, "rust");

    // Before and after the first relation has links, the second is refused.
    for _ in 0..2 {
        let (table, problem) = schema_error(Video::create_table(&conn));
        assert_eq!(table, "tagging");
        assert!(problem.contains("another relation"), "{problem}");
        assert!(problem.contains("Video.tags"), "{problem}");
        photo.tags().add(&conn, [&rust]).unwrap();
    }
    // The first relation is intact, and so is a restart.
    assert_eq!(photo.tags().keys(&conn).unwrap(), vec![rust.key()]);
    Photo::create_table(&conn).unwrap();
    assert!(rust.delete(&conn).unwrap());
    assert_eq!(rows_in(&conn, "tagging"), 0, "the link died with its row");
}

// ----- foreign keys off or deferred ---------------------------------------------

#[test]
fn writes_are_refused_on_a_connection_without_foreign_keys() {
    let conn = db();
    let mut a = article(&conn, "a");
    let rust = tag(&conn, "rust");
    a.tags().add(&conn, [&rust]).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();

    let refused = |r: m2m::Result<()>| match r {
        Err(e @ Error::ForeignKeysOff { .. }) => {
            assert!(e.to_string().contains("configure"), "{e}");
        }
        other => panic!("expected ForeignKeysOff, got {other:?}"),
    };
    refused(a.tags().add(&conn, [Key::<Tag>::new(99)]).map(drop));
    refused(a.tags().remove(&conn, [&rust]).map(drop));
    refused(a.tags().set(&conn, [99]).map(drop));
    refused(a.tags().clear(&conn).map(drop));
    refused(a.tags().sync(&conn, [99], SyncMode::Add).map(drop));
    refused(a.tags().toggle(&conn, [&rust]).map(drop));
    refused(a.tags().create(&conn, new_tag("new")).map(drop));
    refused(rust.delete(&conn).map(drop));
    refused(a.update(&conn));
    refused(a.save(&conn));
    refused(new_tag("x").insert(&conn));
    // Reads work, and nothing was written.
    assert_eq!(a.tags().keys(&conn).unwrap(), vec![rust.key()]);
    assert_eq!(rows_in(&conn, "tag"), 1);

    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    assert_missing_target(a.tags().add(&conn, [99]), "Article.tags", "99");
}

#[test]
fn deferred_foreign_keys_still_refuse_a_missing_key_at_the_call() {
    let mut conn = db();
    let a = article(&conn, "a");
    let rust = tag(&conn, "rust");
    let tx = conn.transaction().unwrap();
    tx.execute_batch("PRAGMA defer_foreign_keys = ON").unwrap();
    tag(&tx, "kept");
    assert_missing_target(
        a.tags().add(&tx, [rust.key(), Key::new(404)]),
        "Article.tags",
        "404",
    );
    assert_missing_target(a.tags().set(&tx, [404]), "Article.tags", "404");
    assert_missing_target(
        a.tags().sync(&tx, [404], SyncMode::Add),
        "Article.tags",
        "404",
    );
    assert_missing_target(a.tags().toggle(&tx, [404]), "Article.tags", "404");
    assert!(matches!(
        Article::TAGS.of_key(999).add(&tx, [&rust]),
        Err(Error::MissingOwner { .. })
    ));
    a.tags().add(&tx, [&rust]).unwrap();
    // The caller's transaction commits with its own work and the good link.
    tx.commit().unwrap();
    assert_eq!(a.tags().keys(&conn).unwrap(), vec![rust.key()]);
    assert_eq!(rows_in(&conn, "tag"), 2);
}

// ----- floats --------------------------------------------------------------------

#[derive(Model, Debug, Clone, PartialEq, Default)]
struct Reading {
    id: i64,
    value: f64,
    limit: Option<f64>,
}

#[derive(Model, Debug, Clone, PartialEq, Default)]
struct Weight {
    id: i64,
    meter_id: i64,
    tag_id: i64,
    weight: f64,
}

#[derive(Model, Debug)]
struct Meter {
    id: i64,
    #[many_to_many(through_model = Weight, related_name = "meters")]
    tags: ManyToMany<Tag>,
}

/// The meter table and one meter in it.
fn meter(conn: &Connection) -> Meter {
    Meter::create_table(conn).unwrap();
    let mut m = Meter {
        id: 0,
        tags: ManyToMany::default(),
    };
    m.insert(conn).unwrap();
    m
}

#[track_caller]
fn assert_nan_refused<T: std::fmt::Debug>(r: m2m::Result<T>, column: &str) {
    match r {
        Err(e @ Error::InvalidValue { .. }) => {
            let Error::InvalidValue { column: c, .. } = &e else {
                unreachable!()
            };
            assert_eq!(*c, column);
            assert!(e.to_string().contains("NaN"), "{e}");
        }
        other => panic!("expected InvalidValue for {column}, got {other:?}"),
    }
}

#[test]
fn nan_is_refused_naming_the_column_and_infinity_round_trips() {
    let conn = db();
    Reading::create_table(&conn).unwrap();
    let mut r = Reading {
        id: 0,
        value: 1.0,
        limit: Some(f64::NAN),
    };
    assert_nan_refused(r.insert(&conn), "limit");
    r.limit = None;
    r.value = f64::NAN;
    assert_nan_refused(r.insert(&conn), "value");
    assert_eq!(rows_in(&conn, "reading"), 0);

    r.value = f64::INFINITY;
    r.limit = Some(f64::NEG_INFINITY);
    r.insert(&conn).unwrap();
    assert_eq!(Reading::get(&conn, r.id).unwrap(), Some(r.clone()));
    r.value = f64::NAN;
    assert_nan_refused(r.update(&conn), "value");
    assert_nan_refused(r.save(&conn), "value");
    assert_eq!(
        Reading::get(&conn, r.id).unwrap().unwrap().value,
        f64::INFINITY
    );
    assert_nan_refused(
        Reading::query()
            .filter(|c| c.value.eq(f64::NAN))
            .fetch_all(&conn),
        "value",
    );
    assert_nan_refused(
        Reading::query()
            .filter(|c| c.value.in_([1.0, f64::NAN]))
            .fetch_all(&conn),
        "value",
    );
}

#[test]
fn nan_pivot_data_is_refused_and_sync_with_stays_quiet() {
    let conn = db();
    let m = meter(&conn);
    let rust = tag(&conn, "rust");
    let nan = Weight {
        weight: f64::NAN,
        ..Weight::default()
    };
    assert_nan_refused(m.tags().add_with(&conn, &rust, nan.clone()), "weight");
    assert_nan_refused(
        m.tags()
            .sync_with(&conn, [(&rust, nan.clone())], SyncMode::Add),
        "weight",
    );
    assert_eq!(rows_in(&conn, "weight"), 0);
    m.tags()
        .add_with(
            &conn,
            &rust,
            Weight {
                weight: 2.5,
                ..Weight::default()
            },
        )
        .unwrap();
    assert_nan_refused(
        m.tags().update_pivot(&conn, &rust, |w| w.weight = f64::NAN),
        "weight",
    );
    assert_eq!(m.tags().pivot(&conn, &rust).unwrap().unwrap().weight, 2.5);
    let same = [(
        &rust,
        Weight {
            weight: 2.5,
            ..Weight::default()
        },
    )];
    assert!(
        m.tags()
            .sync_with(&conn, same.clone(), SyncMode::Add)
            .unwrap()
            .is_empty()
    );
    assert!(
        m.tags()
            .sync_with(&conn, same, SyncMode::Add)
            .unwrap()
            .is_empty()
    );
}

// ----- query limits and long lists ---------------------------------------------

#[test]
fn the_largest_limit_and_offset_mean_no_limit_and_nothing() {
    let conn = db();
    tags(&conn, &["a", "b", "c"]);
    assert_eq!(
        Tag::query().limit(u64::MAX).fetch_all(&conn).unwrap().len(),
        3
    );
    assert_eq!(Tag::query().limit(u64::MAX).count(&conn).unwrap(), 3);
    assert_eq!(
        Tag::query().offset(u64::MAX).fetch_all(&conn).unwrap(),
        vec![]
    );
    assert_eq!(Tag::query().offset(u64::MAX).count(&conn).unwrap(), 0);
    assert!(!Tag::query().offset(u64::MAX).exists(&conn).unwrap());
    assert_eq!(
        Tag::query()
            .limit(u64::MAX)
            .offset(1)
            .fetch_all(&conn)
            .unwrap()
            .len(),
        2
    );
    assert_eq!(Tag::query().limit(i64::MAX as u64).count(&conn).unwrap(), 3);
}

#[test]
fn in_takes_any_number_of_blobs() {
    let conn = db();
    let mut f = File {
        id: 0,
        name: "f".into(),
        size: 1.0,
        hidden: false,
        data: vec![0, 1, 2, 255],
        note: None,
    };
    f.insert(&conn).unwrap();
    let mut many: Vec<Vec<u8>> = (0..40_000u32).map(|i| i.to_be_bytes().to_vec()).collect();
    many.push(vec![0, 1, 2, 255]);
    let found = File::query()
        .filter(|c| c.data.in_(many.iter()))
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(found, vec![f.clone()]);
    assert_eq!(
        File::query()
            .filter(|c| c.data.in_([&[0u8, 1, 2][..]]))
            .count(&conn)
            .unwrap(),
        0
    );
    let texts: Vec<String> = (0..40_000).map(|i| format!("n{i}")).collect();
    assert_eq!(
        File::query()
            .filter(|c| c.name.in_(texts.iter()))
            .count(&conn)
            .unwrap(),
        0
    );
}

#[test]
fn error_texts_stay_short_whatever_the_input() {
    let conn = db();
    let c = country(&conn, "FR", "France");
    let huge = "x".repeat(1_000_000);
    let err = c.languages().add(&conn, [huge.as_str()]).unwrap_err();
    assert!(matches!(err, Error::MissingTarget { .. }), "{err:?}");
    assert!(
        err.to_string().len() < 300,
        "{} bytes",
        err.to_string().len()
    );
}

// ----- index names ----------------------------------------------------------------

#[derive(Model, Debug)]
#[model(table = "a_b")]
struct AB {
    id: i64,
    #[model(index)]
    c: i64,
}

#[derive(Model, Debug)]
#[model(table = "a")]
struct A {
    id: i64,
    #[model(index)]
    b_c: i64,
}

#[test]
fn index_names_do_not_collide_across_models() {
    let conn = m2m::open_in_memory().unwrap();
    AB::create_table(&conn).unwrap();
    A::create_table(&conn).unwrap();
    let indexed = |table: &str| -> i64 {
        conn.query_row("SELECT count(*) FROM pragma_index_list(?1)", [table], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(indexed("a_b"), 1);
    assert_eq!(indexed("a"), 1);
}

// ----- blob keys ------------------------------------------------------------------

#[derive(Model, Debug, Clone, PartialEq)]
struct Blob {
    id: Vec<u8>,
    name: String,
    #[many_to_many(symmetrical)]
    peers: ManyToMany<Self>,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Shelf {
    id: Vec<u8>,
    #[many_to_many(related_name = "shelves")]
    blobs: ManyToMany<Blob>,
}

fn blob(conn: &Connection, id: &[u8]) -> Blob {
    let mut b = Blob {
        id: id.to_vec(),
        name: format!("{id:?}"),
        peers: ManyToMany::default(),
    };
    b.insert(conn).unwrap();
    b
}

#[test]
fn blob_keys_work_on_every_side() {
    let conn = m2m::open_in_memory().unwrap();
    Blob::create_table(&conn).unwrap();
    Shelf::create_table(&conn).unwrap();
    // Bytes that are not UTF-8, a NUL, and one that reads like JSON.
    let (a, b, c) = (
        blob(&conn, &[0xff, 0]),
        blob(&conn, b"\"x\""),
        blob(&conn, &[]),
    );
    let mut s = Shelf {
        id: vec![1, 2, 3],
        blobs: ManyToMany::default(),
    };
    s.insert(&conn).unwrap();

    assert_eq!(s.blobs().add(&conn, [&a, &b, &b]).unwrap(), 2);
    assert!(s.blobs().contains(&conn, &a).unwrap());
    assert_eq!(s.blobs().keys(&conn).unwrap(), vec![b.key(), a.key()]);
    let r = s.blobs().set(&conn, [&b, &c]).unwrap();
    assert_eq!((r.added, r.removed), (vec![c.key()], vec![a.key()]));
    let r = s.blobs().toggle(&conn, [&a, &c]).unwrap();
    assert_eq!((r.added, r.removed), (vec![a.key()], vec![c.key()]));
    let r = s.blobs().sync(&conn, [&b], SyncMode::Remove).unwrap();
    assert_eq!(r.removed, vec![b.key()]);
    assert_eq!(a.shelves().fetch_all(&conn).unwrap(), vec![s.clone()]);
    let pre = Shelf::BLOBS.prefetch(&conn, [&s]).unwrap();
    assert_eq!(pre.get(&s), &[a.clone()][..]);
    let back = Blob::SHELVES.prefetch(&conn, [&a, &b]).unwrap();
    assert_eq!(back.get(&a).len(), 1);
    assert!(back.get(&b).is_empty());
    let linked = Shelf::query()
        .linked_to_any(Shelf::BLOBS, [&a])
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(linked, vec![s.clone()]);
    assert_missing_target(
        s.blobs().add(&conn, [vec![9u8, 9]]),
        "Shelf.blobs",
        "x'0909'",
    );
    assert_eq!(s.blobs().remove(&conn, [&a]).unwrap(), 1);

    // Symmetrical, with blob keys on both sides.
    assert_eq!(a.peers().add(&conn, [&b, &c]).unwrap(), 2);
    assert!(b.peers().contains(&conn, &a).unwrap());
    assert_eq!(c.peers().keys(&conn).unwrap(), vec![a.key()]);
    assert_eq!(a.peers().count(&conn).unwrap(), 2);
}

#[test]
fn add_with_refuses_a_missing_key_whether_or_not_foreign_keys_are_deferred() {
    let mut conn = db();
    let m = meter(&conn);
    let rust = tag(&conn, "rust");
    for deferred in [false, true] {
        let tx = conn.transaction().unwrap();
        if deferred {
            tx.execute_batch("PRAGMA defer_foreign_keys = ON").unwrap();
        }
        assert_missing_target(
            m.tags().add_with(&tx, 404, Weight::default()),
            "Meter.tags",
            "404",
        );
        assert!(matches!(
            Meter::TAGS
                .of_key(999)
                .add_with(&tx, &rust, Weight::default()),
            Err(Error::MissingOwner { .. })
        ));
        assert!(m.tags().add_with(&tx, &rust, Weight::default()).unwrap());
        assert!(!m.tags().add_with(&tx, &rust, Weight::default()).unwrap());
        tx.commit().unwrap();
        assert_eq!(rows_in(&conn, "weight"), 1);
        m.tags().clear(&conn).unwrap();
    }
}
