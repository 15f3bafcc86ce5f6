//! Get-or-create: `Model::get_or_insert` finds or inserts a row by a unique
//! column, `Related::connect_or_create` links or creates a target by one;
//! a seed script may run twice.

use m2m::{Error, ManyToMany, Model};

use crate::models::*;

/// A model with two unique columns (one nullable), a float and a field that
/// is not stored.
#[derive(Model, Debug, Clone, PartialEq)]
struct Plant {
    id: i64,
    #[model(unique)]
    slug: String,
    #[model(unique)]
    code: Option<String>,
    height: f64,
    #[model(skip)]
    note: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Garden {
    id: i64,
    #[model(unique)]
    name: String,
    #[many_to_many(related_name = "gardens")]
    plants: ManyToMany<Plant>,
}

/// A key narrower than `i64`: SQLite's next rowid may be past its range.
#[derive(Model, Debug, Clone, PartialEq)]
struct Shelf {
    id: u8,
    #[model(unique)]
    name: String,
}

fn garden_db<C: m2m::Db>(conn: C) -> C {
    Plant::create_table(&conn).unwrap();
    Garden::create_table(&conn).unwrap();
    Shelf::create_table(&conn).unwrap();
    conn
}

fn plant(slug: &str, height: f64) -> Plant {
    Plant {
        id: 0,
        slug: slug.to_owned(),
        code: None,
        height,
        note: String::new(),
    }
}

fn garden(conn: &impl m2m::Db, name: &str) -> Garden {
    let mut g = Garden {
        id: 0,
        name: name.to_owned(),
        plants: ManyToMany::default(),
    };
    g.insert(conn).unwrap();
    g
}

/// Every row of the tables and junctions the seed writes, as text.
fn everything(conn: &impl TestDb) -> Vec<String> {
    // PostgreSQL spells SQLite's quote() quote_nullable().
    let quote = if conn.is_pg() {
        "quote_nullable"
    } else {
        "quote"
    };
    let mut out = Vec::new();
    for (table, row) in [
        ("tag", "CAST(id AS TEXT) || ' ' || name".to_owned()),
        (
            "articles",
            format!("CAST(id AS TEXT) || ' ' || title || ' ' || {quote}(body)"),
        ),
        (
            "articles_tags",
            "CAST(article_id AS TEXT) || ' ' || CAST(tag_id AS TEXT)".to_owned(),
        ),
        (
            "articles_featured_tags",
            "CAST(article_id AS TEXT) || ' ' || CAST(tag_id AS TEXT)".to_owned(),
        ),
    ] {
        let sql = format!("SELECT '{table}: ' || {row} FROM \"{table}\"");
        let mut rows: Vec<String> = conn.texts(&sql).into_iter().map(|r| r[0].clone()).collect();
        rows.sort(); // by bytes, whatever the database's collation
        out.extend(rows);
    }
    out
}

dual! {
    fn get_or_insert_inserts_first_then_finds_the_same_row() {
        let conn = db();
        let mut first = new_tag("rust");
        assert!(first.get_or_insert(&conn, |c| c.name).unwrap());
        assert_ne!(first.id, 0);
        assert_eq!(Tag::get(&conn, first.id).unwrap(), Some(first.clone()));

        let mut again = new_tag("rust");
        assert!(!again.get_or_insert(&conn, |c| c.name).unwrap());
        assert_eq!(again, first, "found: same key, same row");
        assert_eq!(rows_in(&conn, "tag"), 1);

        // Another value is another row.
        let mut other = new_tag("sql");
        assert!(other.get_or_insert(&conn, |c| c.name).unwrap());
        assert_ne!(other.id, first.id);
        assert_eq!(rows_in(&conn, "tag"), 2);
    }
}

dual! {
    fn a_found_row_replaces_self_and_nothing_of_self_is_written() {
        let conn = garden_db(db());
        let mut stored = plant("fern", 1.5);
        stored.code = Some("F1".into());
        assert!(stored.get_or_insert(&conn, |c| c.slug).unwrap());

        let mut mine = plant("fern", 9.0);
        mine.note = "not stored".into();
        assert!(!mine.get_or_insert(&conn, |c| c.slug).unwrap());
        assert_eq!(mine.id, stored.id);
        assert_eq!(mine.height, 1.5, "the stored row wins");
        assert_eq!(mine.code.as_deref(), Some("F1"));
        assert_eq!(mine.note, "", "a skip field is loaded as `get` loads it");
        assert_eq!(Plant::get(&conn, stored.id).unwrap().unwrap().height, 1.5);

        // Found by the other unique column, too.
        let mut by_code = plant("another slug", 3.0);
        by_code.code = Some("F1".into());
        assert!(!by_code.get_or_insert(&conn, |c| c.code).unwrap());
        assert_eq!((by_code.id, by_code.slug.as_str()), (stored.id, "fern"));
        assert_eq!(rows_in(&conn, "plant"), 1);
    }
}

/// A seed script: tags by name, articles by key, links by tag name.
fn seed(conn: &impl m2m::Db) -> m2m::Result<(usize, Vec<Article>)> {
    let mut inserted = 0;
    for name in ["rust", "sql", "web"] {
        let mut t = new_tag(name);
        inserted += usize::from(t.get_or_insert(conn, |c| c.name)?);
    }
    let mut articles = Vec::new();
    for (id, title, tags) in [
        (1, "Hello", &["rust", "sql"][..]),
        (2, "Again", &["sql", "new"][..]),
    ] {
        let mut a = new_article(title);
        a.id = id;
        inserted += usize::from(a.get_or_insert(conn, |c| c.id)?);
        for name in tags {
            a.tags()
                .connect_or_create(conn, new_tag(name), |c| c.name)?;
        }
        articles.push(a);
    }
    Ok((inserted, articles))
}

dual! {
    fn a_seed_run_twice_leaves_the_same_rows_and_links() {
        let conn = db();
        let (inserted, articles) = seed(&conn).unwrap();
        assert_eq!(inserted, 5, "three tags and two articles");
        let once = everything(&conn);
        assert_eq!(rows_in(&conn, "tag"), 4, "`new` made by connect_or_create");
        assert_eq!(rows_in(&conn, "articles_tags"), 4);

        let (inserted, again) = seed(&conn).unwrap();
        assert_eq!(inserted, 0);
        assert_eq!(again, articles);
        assert_eq!(everything(&conn), once);

        let names = |a: &Article| -> Vec<String> {
            a.tags()
                .fetch_all(&conn)
                .unwrap()
                .into_iter()
                .map(|t| t.name)
                .collect()
        };
        assert_eq!(names(&articles[0]), ["rust", "sql"]);
        assert_eq!(names(&articles[1]), ["sql", "new"]);
    }
}

dual! {
    fn a_column_that_is_not_unique_is_refused_and_says_what_to_write() {
        let conn = db();
        let e = new_article("Hello")
            .get_or_insert(&conn, |c| c.title)
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(
                e,
                Error::NotUnique {
                    model: "Article",
                    column: "title"
                }
            ),
            "{e:?}"
        );
        assert!(msg.contains("`title`"), "{msg}");
        assert!(msg.contains("#[model(unique)]"), "{msg}");
        assert_eq!(rows_in(&conn, "articles"), 0);

        let rust = tag(&conn, "rust");
        let e = rust
            .articles()
            .connect_or_create(&conn, new_article("Hello"), |c| c.title)
            .unwrap_err();
        assert!(matches!(e, Error::NotUnique { .. }), "{e:?}");
        assert_eq!(rows_in(&conn, "articles"), 0);
        assert_eq!(rows_in(&conn, "articles_tags"), 0);
    }
}

dual! {
    fn the_key_finds_by_key() {
        let conn = db();
        // A String key.
        let mut fr = Language {
            name: "French".into(),
            code: "fr".into(),
        };
        assert!(fr.get_or_insert(&conn, |c| c.code).unwrap());
        let mut again = Language {
            name: "Français".into(),
            code: "fr".into(),
        };
        assert!(!again.get_or_insert(&conn, |c| c.code).unwrap());
        assert_eq!(again.name, "French");
        assert_eq!(rows_in(&conn, "language"), 1);

        // An integer key given explicitly.
        let mut a = new_article("Hello");
        a.id = 7;
        assert!(a.get_or_insert(&conn, |c| c.id).unwrap());
        assert_eq!(a.id, 7);
        let mut b = new_article("Other");
        b.id = 7;
        assert!(!b.get_or_insert(&conn, |c| c.id).unwrap());
        assert_eq!(b.title, "Hello");

        // An integer key still 0 names no row.
        assert_unsaved_model(new_article("x").get_or_insert(&conn, |c| c.id), "Article");
        assert_eq!(rows_in(&conn, "articles"), 1);
    }
}

dual! {
    fn a_null_value_or_a_nan_is_refused_and_nothing_is_written() {
        let conn = garden_db(db());
        let e = plant("fern", 1.0)
            .get_or_insert(&conn, |c| c.code)
            .unwrap_err();
        match &e {
            Error::InvalidValue { column, reason, .. } => {
                assert_eq!(*column, "code");
                assert!(reason.contains("NULL"), "{reason}");
            }
            other => panic!("expected InvalidValue, got {other:?}"),
        }

        let e = plant("fern", f64::NAN)
            .get_or_insert(&conn, |c| c.slug)
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidValue {
                    column: "height",
                    ..
                }
            ),
            "{e:?}"
        );

        let g = garden(&conn, "kew");
        let e = g
            .plants()
            .connect_or_create(&conn, plant("fern", f64::NAN), |c| c.slug)
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidValue {
                    column: "height",
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(rows_in(&conn, "plant"), 0);
        assert_eq!(rows_in(&conn, "garden_plants"), 0);
    }
}

dual! {
    fn a_conflict_on_another_unique_column_is_still_an_error() {
        let conn = garden_db(db());
        let mut a = plant("fern", 1.0);
        a.code = Some("X".into());
        assert!(a.get_or_insert(&conn, |c| c.slug).unwrap());
        let mut b = plant("moss", 1.0);
        b.code = Some("X".into());
        let e = b.get_or_insert(&conn, |c| c.slug).unwrap_err();
        assert!(e.is_unique_violation(), "{e:?}");
        assert_eq!(b.id, 0, "self is left as it was");
        assert_eq!(rows_in(&conn, "plant"), 1);
    }
}

dual! {
    fn connect_or_create_twice_links_once() {
        let conn = db();
        let post = article(&conn, "Hello");
        let made = post
            .tags()
            .connect_or_create(&conn, new_tag("rust"), |c| c.name)
            .unwrap();
        assert_ne!(made.id, 0);
        let found = post
            .tags()
            .connect_or_create(&conn, new_tag("rust"), |c| c.name)
            .unwrap();
        assert_eq!(found, made);
        assert_eq!(post.tags().keys(&conn).unwrap(), vec![made.key()]);
        assert_eq!(rows_in(&conn, "tag"), 1);
        assert_eq!(rows_in(&conn, "articles_tags"), 1);

        // An existing target is linked, not inserted; the other side sees it.
        let sql = tag(&conn, "sql");
        let linked = post
            .tags()
            .connect_or_create(&conn, new_tag("sql"), |c| c.name)
            .unwrap();
        assert_eq!(linked, sql);
        assert!(sql.articles().contains(&conn, &post).unwrap());
        assert_eq!(rows_in(&conn, "tag"), 2);

        // The same target by the reverse accessor: one link, seen from both sides.
        let again = sql
            .articles()
            .connect_or_create(&conn, post.clone(), |c| c.id)
            .unwrap();
        assert_eq!(again.id, post.id);
        assert_eq!(rows_in(&conn, "articles_tags"), 2);
    }
}

dual! {
    fn connect_or_create_runs_inside_a_users_transaction() {
        let mut conn = db();
        let post = article(&conn, "Hello");
        {
            let tx = conn.transaction().unwrap();
            post.tags()
                .connect_or_create(&tx, new_tag("rust"), |c| c.name)
                .unwrap();
            let mut t = new_tag("sql");
            assert!(t.get_or_insert(&tx, |c| c.name).unwrap());
            assert_eq!(rows_in(&tx, "tag"), 2);
            // Dropped: rolled back with the caller's transaction.
        }
        assert_eq!(rows_in(&conn, "tag"), 0);
        assert_eq!(rows_in(&conn, "articles_tags"), 0);

        let tx = conn.transaction().unwrap();
        let rust = post
            .tags()
            .connect_or_create(&tx, new_tag("rust"), |c| c.name)
            .unwrap();
        // A failing call inside leaves the transaction's earlier work intact.
        let e = Article::TAGS
            .of_key(999)
            .connect_or_create(&tx, new_tag("sql"), |c| c.name)
            .unwrap_err();
        assert!(matches!(e, Error::MissingOwner { .. }), "{e:?}");
        tx.commit().unwrap();
        assert_eq!(Tag::query().fetch_all(&conn).unwrap(), vec![rust.clone()]);
        assert_eq!(post.tags().keys(&conn).unwrap(), vec![rust.key()]);
    }
}

#[test]
fn connect_or_create_defers_nothing_to_a_users_commit() {
    let mut conn = db();
    let tx = conn.transaction().unwrap();
    tx.execute_batch("PRAGMA defer_foreign_keys = ON").unwrap();
    let e = Article::TAGS
        .of_key(999)
        .connect_or_create(&tx, new_tag("rust"), |c| c.name)
        .unwrap_err();
    assert!(matches!(e, Error::MissingOwner { .. }), "{e:?}");
    assert_eq!(rows_in(&tx, "tag"), 0);
    tx.commit().unwrap();
}

dual! {
    fn a_failed_connect_or_create_writes_nothing() {
        let conn = db();
        // A missing owner: checked before the target is inserted.
        let e = Article::TAGS
            .of_key(999)
            .connect_or_create(&conn, new_tag("rust"), |c| c.name)
            .unwrap_err();
        match &e {
            Error::MissingOwner { relation, key } => {
                assert_eq!((*relation, key.as_str()), ("Article.tags", "999"));
            }
            other => panic!("expected MissingOwner, got {other:?}"),
        }
        assert_eq!(rows_in(&conn, "tag"), 0);

        // The link refused after the target was inserted: the insert is undone.
        let post = article(&conn, "Hello");
        if conn.is_pg() {
            conn.exec(
                "CREATE FUNCTION no_links() RETURNS trigger LANGUAGE plpgsql AS $f$
                 BEGIN RAISE EXCEPTION 'no links'; END $f$;
                 CREATE TRIGGER no_links BEFORE INSERT ON articles_tags
                 FOR EACH ROW EXECUTE FUNCTION no_links();",
            );
        } else {
            conn.exec(
                "CREATE TRIGGER no_links BEFORE INSERT ON articles_tags BEGIN SELECT RAISE(ABORT, 'no links'); END",
            );
        }
        let e = post
            .tags()
            .connect_or_create(&conn, new_tag("rust"), |c| c.name)
            .unwrap_err();
        assert!(e.to_string().contains("no links"), "{e}");
        assert_eq!(rows_in(&conn, "tag"), 0);
        assert_eq!(rows_in(&conn, "articles_tags"), 0);
    }
}

#[test]
fn unsaved_owners_and_connections_without_foreign_keys_are_refused() {
    let conn = db();
    let unsaved = new_article("draft");
    assert_unsaved_model(
        unsaved
            .tags()
            .connect_or_create(&conn, new_tag("rust"), |c| c.name),
        "Article",
    );
    assert_eq!(rows_in(&conn, "tag"), 0);

    let post = article(&conn, "Hello");
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    let e = new_tag("rust")
        .get_or_insert(&conn, |c| c.name)
        .unwrap_err();
    assert!(matches!(e, Error::ForeignKeysOff { .. }), "{e:?}");
    let e = post
        .tags()
        .connect_or_create(&conn, new_tag("rust"), |c| c.name)
        .unwrap_err();
    assert!(matches!(e, Error::ForeignKeysOff { .. }), "{e:?}");
    assert_eq!(rows_in(&conn, "tag"), 0);
}

dual! {
    fn a_narrow_key_past_its_range_finds_or_takes_a_free_key() {
        let conn = garden_db(db());
        let mut top = Shelf {
            id: 255,
            name: "top".into(),
        };
        top.insert(&conn).unwrap();
        // The next rowid (256) does not fit a u8: found by name all the same...
        let mut again = Shelf {
            id: 0,
            name: "top".into(),
        };
        assert!(!again.get_or_insert(&conn, |c| c.name).unwrap());
        assert_eq!(again.id, 255);
        // ...and a new name takes the smallest free key.
        let mut low = Shelf {
            id: 0,
            name: "low".into(),
        };
        assert!(low.get_or_insert(&conn, |c| c.name).unwrap());
        if conn.is_pg() {
            // PG's identity never saw 255 and the conflicting insert above used up key 1.
            assert_eq!(low.id, 2);
        } else {
            assert_eq!(low.id, 1);
        }
        assert_eq!(Shelf::get(&conn, low.id).unwrap(), Some(low));
        assert_eq!(rows_in(&conn, "shelf"), 2);
    }
}
