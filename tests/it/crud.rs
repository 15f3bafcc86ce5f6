//! Row CRUD, `create_table`, the DDL text and the column constraints.

use m2m::{Error, Model};

use crate::models::*;

dual! {
    fn insert_assigns_the_integer_key_when_zero_and_writes_it_back() {
        let conn = db();
        let mut a = new_tag("a");
        a.insert(&conn).unwrap();
        let mut b = new_tag("b");
        b.insert(&conn).unwrap();
        assert_ne!(a.id, 0);
        assert_ne!(b.id, 0);
        assert_ne!(a.id, b.id);
        assert_eq!(Tag::get(&conn, a.id).unwrap(), Some(a.clone()));
        assert_eq!(Tag::get(&conn, b.id).unwrap(), Some(b));
        let stored = conn.int("SELECT id FROM tag WHERE name = 'a'");
        assert_eq!(stored, a.id);
    }
}

dual! {
    fn insert_with_an_explicit_key_stores_it_as_given() {
        let conn = db();
        let mut t = Tag {
            id: 42,
            name: "answer".into(),
        };
        t.insert(&conn).unwrap();
        assert_eq!(t.id, 42);
        assert_eq!(Tag::get(&conn, 42).unwrap(), Some(t));
        let next = tag(&conn, "next");
        if conn.is_pg() {
            // PG's identity sequence ignores explicit keys (resynced only on a collision).
            assert_ne!(next.id, 42);
            assert_eq!(Tag::get(&conn, next.id).unwrap(), Some(next));
        } else {
            // The next auto key follows the largest one (SQLite's rowid).
            assert_eq!(next.id, 43);
        }

        // Negative and extreme keys are keys like any other.
        for id in [-7, i64::MAX] {
            let mut t = Tag {
                id,
                name: format!("k{id}"),
            };
            t.insert(&conn).unwrap();
            assert_eq!(t.id, id);
            assert_eq!(
                Tag::get(&conn, id).unwrap().map(|t| t.name),
                Some(format!("k{id}"))
            );
        }
    }
}

dual! {
    fn insert_of_an_existing_key_is_a_unique_violation() {
        let conn = db();
        let t = tag(&conn, "a");
        let mut dup = Tag {
            id: t.id,
            name: "other".into(),
        };
        let e = dup.insert(&conn).unwrap_err();
        assert!(e.is_unique_violation(), "{e:?}");
        assert_eq!(Tag::get(&conn, t.id).unwrap(), Some(t));
    }
}

dual! {
    fn unique_column_violation_is_reported_as_such() {
        let conn = db();
        tag(&conn, "rust");
        let e = new_tag("rust").insert(&conn).unwrap_err();
        assert!(e.is_unique_violation(), "{e:?}");
        assert!(!e.is_busy());
        // The database's own error is kept: SQLite's, or PostgreSQL's.
        if conn.is_pg() {
            assert!(e.postgres_error().is_some(), "{e:?}");
        } else {
            assert!(e.sqlite_error().is_some(), "{e:?}");
        }
        assert!(
            std::error::Error::source(&e).is_some(),
            "the database's error is the source"
        );
        assert!(
            e.to_string().contains("Tag"),
            "the message says what failed: {e}"
        );
        assert_eq!(rows_in(&conn, "tag"), 1);
        // A different error is not classified as a unique violation.
        let e = Error::Unsaved {
            model: "Tag",
            action: "x",
        };
        assert!(!e.is_unique_violation());
    }
}

dual! {
    fn update_writes_every_column() {
        let conn = db();
        let mut a = article(&conn, "old");
        a.body = Some("text".into());
        a.title = "new".into();
        a.update(&conn).unwrap();
        let got = Article::get(&conn, a.id).unwrap().unwrap();
        assert_eq!(got.title, "new");
        assert_eq!(got.body.as_deref(), Some("text"));

        // Back to NULL.
        a.body = None;
        a.update(&conn).unwrap();
        assert_eq!(Article::get(&conn, a.id).unwrap().unwrap().body, None);
        // Other rows are untouched.
        let other = article(&conn, "other");
        a.title = "newer".into();
        a.update(&conn).unwrap();
        assert_eq!(
            Article::get(&conn, other.id).unwrap().unwrap().title,
            "other"
        );
    }
}

dual! {
    fn update_of_a_missing_row_is_not_found() {
        let conn = db();
        let t = Tag {
            id: 999,
            name: "ghost".into(),
        };
        match t.update(&conn) {
            Err(Error::NotFound { table, key }) => {
                assert_eq!(table, "tag");
                assert_eq!(key, "999");
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert_eq!(rows_in(&conn, "tag"), 0, "update must not insert");
    }
}

dual! {
    fn update_of_an_unsaved_row_is_unsaved() {
        let conn = db();
        assert_unsaved(new_tag("x").update(&conn));
        assert_eq!(rows_in(&conn, "tag"), 0);
    }
}

dual! {
    fn save_inserts_an_unsaved_row() {
        let conn = db();
        let mut t = new_tag("fresh");
        t.save(&conn).unwrap();
        assert_ne!(t.id, 0);
        assert_eq!(Tag::get(&conn, t.id).unwrap(), Some(t));
    }
}

dual! {
    fn save_with_an_explicit_key_inserts_then_updates() {
        let conn = db();
        let mut t = Tag {
            id: 7,
            name: "seven".into(),
        };
        t.save(&conn).unwrap();
        assert_eq!(Tag::get(&conn, 7).unwrap(), Some(t.clone()));
        t.name = "SEVEN".into();
        t.save(&conn).unwrap();
        assert_eq!(Tag::get(&conn, 7).unwrap(), Some(t));
        assert_eq!(rows_in(&conn, "tag"), 1);
    }
}

dual! {
    fn save_of_a_stored_row_updates_in_place_and_keeps_its_links() {
        let conn = db();
        let ts = tags(&conn, &["a", "b"]);
        let mut a = article(&conn, "draft");
        a.tags().add(&conn, &ts).unwrap();
        a.featured_tags().add(&conn, [&ts[1]]).unwrap();
        let mut t0 = ts[0].clone();

        // Prove the rows are never deleted and re-inserted.
        if conn.is_pg() {
            conn.exec(
                "CREATE TABLE deleted (tbl TEXT);
                 CREATE FUNCTION note_delete() RETURNS trigger LANGUAGE plpgsql AS $f$
                 BEGIN INSERT INTO deleted VALUES (TG_TABLE_NAME); RETURN OLD; END $f$;
                 CREATE TRIGGER art_del AFTER DELETE ON articles FOR EACH ROW EXECUTE FUNCTION note_delete();
                 CREATE TRIGGER tag_del AFTER DELETE ON tag FOR EACH ROW EXECUTE FUNCTION note_delete();",
            );
        } else {
            conn.exec(
                "CREATE TEMP TABLE deleted (tbl TEXT);
                 CREATE TEMP TRIGGER art_del AFTER DELETE ON main.articles BEGIN INSERT INTO deleted VALUES ('articles'); END;
                 CREATE TEMP TRIGGER tag_del AFTER DELETE ON main.tag BEGIN INSERT INTO deleted VALUES ('tag'); END;",
            );
        }

        a.title = "published".into();
        a.body = Some("body".into());
        a.save(&conn).unwrap();
        t0.name = "A".into();
        t0.save(&conn).unwrap();

        assert_eq!(rows_in(&conn, "deleted"), 0, "save deleted a row");
        let got = Article::get(&conn, a.id).unwrap().unwrap();
        assert_eq!(got.title, "published");
        assert_eq!(got.body.as_deref(), Some("body"));
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), row_ids(&ts));
        assert_eq!(ids(&a.featured_tags().keys(&conn).unwrap()), vec![ts[1].id]);
        assert_eq!(
            row_ids(&t0.articles().fetch_all(&conn).unwrap()),
            vec![a.id]
        );
        assert_eq!(Tag::get(&conn, t0.id).unwrap().unwrap().name, "A");
    }
}

dual! {
    fn delete_reports_whether_a_row_went() {
        let conn = db();
        let t = tag(&conn, "a");
        let keep = tag(&conn, "b");
        assert!(t.delete(&conn).unwrap());
        assert_eq!(Tag::get(&conn, t.id).unwrap(), None);
        assert!(!t.delete(&conn).unwrap(), "second delete finds nothing");
        assert_eq!(Tag::get(&conn, keep.id).unwrap(), Some(keep));
    }
}

dual! {
    fn delete_removes_links_but_not_the_other_side() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c"]);
        let a1 = article(&conn, "one");
        let a2 = article(&conn, "two");
        a1.tags().add(&conn, &ts).unwrap();
        a2.tags().add(&conn, [&ts[0], &ts[1]]).unwrap();
        a1.featured_tags().add(&conn, [&ts[0]]).unwrap();

        assert!(a1.delete(&conn).unwrap());
        assert_eq!(rows_in(&conn, "tag"), 3, "tags stay");
        assert_eq!(rows_in(&conn, Article::TAGS.def().junction_table()), 2);
        assert_eq!(
            rows_in(&conn, Article::FEATURED_TAGS.def().junction_table()),
            0
        );
        assert_eq!(
            row_ids(&ts[0].articles().fetch_all(&conn).unwrap()),
            vec![a2.id]
        );
        assert!(ts[0].featured_in().keys(&conn).unwrap().is_empty());
        assert_eq!(
            ids(&a2.tags().keys(&conn).unwrap()),
            vec![ts[0].id, ts[1].id]
        );

        assert!(ts[1].delete(&conn).unwrap());
        assert_eq!(ids(&a2.tags().keys(&conn).unwrap()), vec![ts[0].id]);
        assert!(
            Article::get(&conn, a2.id).unwrap().is_some(),
            "article stays"
        );
    }
}

dual! {
    fn get_of_a_missing_key_is_none() {
        let conn = db();
        assert_eq!(Tag::get(&conn, 1).unwrap(), None);
        let t = tag(&conn, "a");
        assert_eq!(Tag::get(&conn, t.id + 1).unwrap(), None);
        assert_eq!(Tag::get(&conn, t.key()).unwrap(), Some(t.clone()));
        assert_eq!(Tag::get(&conn, &t).unwrap(), Some(t));
    }
}

dual! {
    fn create_table_is_idempotent_and_keeps_data() {
        let conn = db();
        let t = tag(&conn, "a");
        let a = article(&conn, "x");
        a.tags().add(&conn, [&t]).unwrap();
        Tag::create_table(&conn).unwrap();
        Article::create_table(&conn).unwrap();
        User::create_table(&conn).unwrap();
        Article::create_table(&conn).unwrap();
        assert_eq!(Tag::get(&conn, t.id).unwrap(), Some(t.clone()));
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![t.id]);
    }
}

/// Lower-cased, quote-free, whitespace-collapsed DDL, for text checks.
fn normalized(sql: &str) -> String {
    sql.replace(['"', '`', '[', ']'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

dual! {
    fn schema_sql_declares_the_junction_table() {
        let ddl = normalized(&Article::schema_sql());
        assert!(ddl.contains("create table if not exists articles"), "{ddl}");
        assert!(
            ddl.contains("create table if not exists articles_tags"),
            "{ddl}"
        );
        assert!(ddl.contains("on delete cascade"), "{ddl}");
        assert!(ddl.contains("primary key (article_id, tag_id)"), "{ddl}");
        assert!(
            ddl.contains("on articles_tags (tag_id)"),
            "index on the second column: {ddl}"
        );
        assert!(
            ddl.contains("create table if not exists articles_featured_tags"),
            "{ddl}"
        );
        // A model without relations of its own declares no junction.
        let tag_ddl = normalized(&Tag::schema_sql());
        assert!(!tag_ddl.contains("articles_tags"), "{tag_ddl}");
        assert!(tag_ddl.contains("unique"), "{tag_ddl}");
    }
}

dual! {
    fn junction_table_in_the_catalog_cascades_and_is_keyed_by_the_pair() {
        let conn = db();
        let def = Article::TAGS.def();
        assert_eq!(def.junction_table(), "articles_tags");
        // Each backend's catalog: foreign keys (table, column, on delete);
        // columns (name, NOT NULL, place in the primary key); whether an index
        // leads with tag_id.
        let (fks, cols, indexed) = if conn.is_pg() {
            (
                "SELECT cl.relname, a.attname,
                        CASE c.confdeltype WHEN 'c' THEN 'CASCADE' ELSE c.confdeltype::text END
                 FROM pg_constraint c
                 JOIN pg_class cl ON cl.oid = c.confrelid
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                 WHERE c.conrelid = '\"articles_tags\"'::regclass AND c.contype = 'f'
                 ORDER BY a.attname",
                "SELECT a.attname, CASE WHEN a.attnotnull THEN 1 ELSE 0 END,
                        COALESCE(array_position(p.conkey, a.attnum), 0)
                 FROM pg_attribute a
                 LEFT JOIN pg_constraint p ON p.conrelid = a.attrelid AND p.contype = 'p'
                 WHERE a.attrelid = '\"articles_tags\"'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum",
                "SELECT count(*) FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                 WHERE i.indrelid = '\"articles_tags\"'::regclass AND a.attname = 'tag_id'",
            )
        } else {
            (
                "SELECT \"table\", \"from\", on_delete FROM pragma_foreign_key_list('articles_tags') ORDER BY \"from\"",
                "SELECT name, \"notnull\", pk FROM pragma_table_info('articles_tags') ORDER BY cid",
                "SELECT count(*) FROM pragma_index_list('articles_tags') AS l
                   JOIN pragma_index_info(l.name) AS i WHERE i.seqno = 0 AND i.name = 'tag_id'",
            )
        };
        // Foreign keys to both sides, ON DELETE CASCADE.
        assert_eq!(
            conn.texts(fks),
            vec![
                vec!["articles", "article_id", "CASCADE"],
                vec!["tag", "tag_id", "CASCADE"],
            ]
        );
        // Both columns NOT NULL, and the pair is the primary key.
        assert_eq!(
            conn.texts(cols),
            vec![vec!["article_id", "1", "1"], vec!["tag_id", "1", "2"]]
        );
        // An index leads with the second column.
        assert!(conn.int(indexed) > 0);
        // Duplicate links are refused by the table itself.
        let t = tag(&conn, "a");
        let a = article(&conn, "x");
        let link = format!("INSERT INTO articles_tags VALUES ({}, {})", a.id, t.id);
        conn.exec(&link);
        assert!(conn.try_exec(&link).is_err());
    }
}

dual! {
    fn option_columns_are_nullable_and_others_are_not() {
        let conn = db();
        // Each column's name and whether it is NOT NULL, from the catalog.
        let sql = if conn.is_pg() {
            "SELECT column_name, CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = 'articles'
             ORDER BY ordinal_position"
        } else {
            "SELECT name, \"notnull\" FROM pragma_table_info('articles') ORDER BY cid"
        };
        let cols: Vec<(String, bool)> = conn
            .texts(sql)
            .into_iter()
            .map(|r| (r[0].clone(), r[1] == "1"))
            .collect();
        assert!(cols.contains(&("body".into(), false)), "{cols:?}");
        assert!(cols.contains(&("title".into(), true)), "{cols:?}");
        // Relation slots are not columns.
        assert!(
            !cols
                .iter()
                .any(|(n, _)| n == "tags" || n == "featured_tags"),
            "{cols:?}"
        );

        let mut a = new_article("no body");
        a.insert(&conn).unwrap();
        assert_eq!(Article::get(&conn, a.id).unwrap().unwrap().body, None);
        assert!(
            conn.try_exec("INSERT INTO articles (title, body) VALUES (NULL, 'x')")
                .is_err(),
            "title is NOT NULL"
        );
    }
}

dual! {
    fn string_primary_key_is_not_null() {
        let conn = db();
        let r = conn.try_exec("INSERT INTO language (name, code) VALUES ('x', NULL)");
        assert!(r.is_err(), "a NULL text key must be refused");
    }
}

dual! {
    /// `Error` is a `std::error::Error + Send + Sync + 'static`: it boxes,
    /// crosses a thread, comes back by downcast as the same variant, and a
    /// database failure keeps the database's error as its source.
    fn the_error_type_travels() {
        type Boxed = Box<dyn std::error::Error + Send + Sync>;
        let conn = db();
        let e = new_tag("x").update(&conn).unwrap_err();
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
        assert!(boxed.to_string().contains("Tag"), "{boxed}");
        let boxed = std::thread::spawn(move || boxed).join().unwrap();
        assert!(boxed.source().is_none(), "Unsaved has no cause: {boxed:?}");
        let back: Box<Error> = boxed.downcast().unwrap();
        assert!(
            matches!(*back, Error::Unsaved { model: "Tag", .. }),
            "{back:?}"
        );

        tag(&conn, "taken");
        let e = new_tag("taken").insert(&conn).unwrap_err();
        let boxed: Boxed = e.into();
        let source = boxed.source().expect("a database failure has a source");
        if conn.is_pg() {
            // PostgreSQL's failure is the postgres crate's error.
            let pg = source
                .downcast_ref::<m2m::pg::postgres::Error>()
                .expect("the source is postgres's error");
            assert_eq!(
                pg.code(),
                Some(&m2m::pg::postgres::error::SqlState::UNIQUE_VIOLATION),
                "{pg:?}"
            );
        } else {
            let sqlite = source
                .downcast_ref::<m2m::rusqlite::Error>()
                .expect("the source is rusqlite's error");
            assert_eq!(
                sqlite.sqlite_error_code(),
                Some(m2m::rusqlite::ErrorCode::ConstraintViolation),
                "{sqlite:?}"
            );
        }
        // postgres's Display prefixes "db error: "; m2m quotes the server's message.
        let reason = match source.downcast_ref::<m2m::pg::postgres::Error>() {
            Some(pg) => pg.as_db_error().unwrap().message().to_owned(),
            None => source.to_string(),
        };
        let text = boxed.to_string();
        assert!(
            text.contains("Tag") && text.contains(&reason),
            "the message names the model and the database's reason: {text}"
        );
        let back: Box<Error> = boxed.downcast().unwrap();
        assert!(back.is_unique_violation(), "{back:?}");
    }
}
