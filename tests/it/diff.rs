//! `set` as a diff, `sync` in its three modes, `toggle`, and `create`.

use m2m::{Key, Model, SyncMode};

use crate::models::*;

/// Whether no transaction is open on the connection.
trait Autocommit {
    fn no_transaction_open(&self) -> bool;
}

impl Autocommit for m2m::rusqlite::Connection {
    fn no_transaction_open(&self) -> bool {
        self.is_autocommit()
    }
}

impl Autocommit for m2m::pg::PgConnection {
    fn no_transaction_open(&self) -> bool {
        // Outside a transaction block each statement is its own transaction,
        // so the transaction started with this statement.
        self.int("SELECT CASE WHEN now() = statement_timestamp() THEN 1 ELSE 0 END") == 1
    }
}

dual! {
    fn set_reports_sorted_added_and_removed_keys() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c", "d", "e", "f"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0], &ts[1], &ts[2]]).unwrap();
        // Given in descending order; reported ascending.
        let r = a
            .tags()
            .set(&conn, [&ts[5], &ts[4], &ts[2], &ts[3]])
            .unwrap();
        assert_eq!(ids(&r.added), vec![ts[3].id, ts[4].id, ts[5].id]);
        assert_eq!(ids(&r.removed), vec![ts[0].id, ts[1].id]);
        assert!(r.updated.is_empty());
        assert!(!r.is_empty());
        assert_eq!(
            ids(&a.tags().keys(&conn).unwrap()),
            vec![ts[2].id, ts[3].id, ts[4].id, ts[5].id]
        );
        // Setting the same list again changes nothing.
        let r = a
            .tags()
            .set(&conn, [&ts[2], &ts[3], &ts[4], &ts[5]])
            .unwrap();
        assert!(r.is_empty(), "{r:?}");
    }
}

dual! {
    fn set_leaves_kept_links_untouched() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c", "d"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0], &ts[1], &ts[2]]).unwrap();
        log_junction(&conn, "articles_tags", "article_id", "tag_id");
        a.tags().set(&conn, [&ts[1], &ts[2], &ts[3]]).unwrap();
        let mut log = take_log(&conn);
        log.sort();
        assert_eq!(
            log,
            vec![("del".to_owned(), ts[0].id), ("ins".to_owned(), ts[3].id)],
            "only the diff may be written"
        );
    }
}

dual! {
    fn set_only_touches_its_own_owner() {
        let conn = db();
        let ts = tags(&conn, &["a", "b"]);
        let a = article(&conn, "x");
        let b = article(&conn, "y");
        a.tags().add(&conn, &ts).unwrap();
        b.tags().add(&conn, &ts).unwrap();
        a.featured_tags().add(&conn, &ts).unwrap();
        let r = a.tags().set(&conn, [&ts[1]]).unwrap();
        assert_eq!(ids(&r.removed), vec![ts[0].id]);
        assert_eq!(ids(&b.tags().keys(&conn).unwrap()), row_ids(&ts));
        assert_eq!(ids(&a.featured_tags().keys(&conn).unwrap()), row_ids(&ts));
    }
}

dual! {
    fn set_to_empty_clears() {
        let conn = db();
        let ts = tags(&conn, &["a", "b"]);
        let a = article(&conn, "x");
        let b = article(&conn, "y");
        a.tags().add(&conn, &ts).unwrap();
        b.tags().add(&conn, [&ts[0]]).unwrap();
        let r = a.tags().set(&conn, Vec::<&Tag>::new()).unwrap();
        assert_eq!(ids(&r.removed), row_ids(&ts));
        assert!(r.added.is_empty());
        assert_eq!(a.tags().count(&conn).unwrap(), 0);
        assert_eq!(
            b.tags().count(&conn).unwrap(),
            1,
            "other owners keep theirs"
        );
        let r = a.tags().set(&conn, Vec::<i64>::new()).unwrap();
        assert!(r.is_empty());
    }
}

dual! {
    fn sync_replace_is_set() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap();
        let r = a
            .tags()
            .sync(&conn, [ts[2].id, ts[1].id], SyncMode::Replace)
            .unwrap();
        assert_eq!(ids(&r.added), vec![ts[2].id]);
        assert_eq!(ids(&r.removed), vec![ts[0].id]);
        assert_eq!(
            ids(&a.tags().keys(&conn).unwrap()),
            vec![ts[1].id, ts[2].id]
        );
        let r = a
            .tags()
            .sync(&conn, Vec::<i64>::new(), SyncMode::Replace)
            .unwrap();
        assert_eq!(ids(&r.removed), vec![ts[1].id, ts[2].id]);
        assert!(!a.tags().exists(&conn).unwrap());
    }
}

dual! {
    fn sync_add_links_and_keeps_the_rest() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c", "d"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap();
        let r = a
            .tags()
            .sync(&conn, [ts[3].id, ts[1].id, ts[2].id], SyncMode::Add)
            .unwrap();
        assert_eq!(ids(&r.added), vec![ts[2].id, ts[3].id]);
        assert!(r.removed.is_empty());
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), row_ids(&ts));
    }
}

dual! {
    fn sync_remove_unlinks_and_keeps_the_rest() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c", "d"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0], &ts[1], &ts[2]]).unwrap();
        let r = a
            .tags()
            .sync(&conn, [ts[3].id, ts[2].id, ts[0].id], SyncMode::Remove)
            .unwrap();
        assert_eq!(
            ids(&r.removed),
            vec![ts[0].id, ts[2].id],
            "d was never linked"
        );
        assert!(r.added.is_empty());
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![ts[1].id]);
    }
}

dual! {
    fn toggle_links_the_unlinked_and_unlinks_the_linked() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c", "d"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap();
        let r = a.tags().toggle(&conn, [&ts[3], &ts[1], &ts[2]]).unwrap();
        assert_eq!(ids(&r.added), vec![ts[2].id, ts[3].id]);
        assert_eq!(ids(&r.removed), vec![ts[1].id]);
        assert_eq!(
            ids(&a.tags().keys(&conn).unwrap()),
            vec![ts[0].id, ts[2].id, ts[3].id]
        );
        // Toggling the same list again undoes it.
        let r = a.tags().toggle(&conn, [&ts[3], &ts[1], &ts[2]]).unwrap();
        assert_eq!(ids(&r.added), vec![ts[1].id]);
        assert_eq!(ids(&r.removed), vec![ts[2].id, ts[3].id]);
        assert_eq!(
            ids(&a.tags().keys(&conn).unwrap()),
            vec![ts[0].id, ts[1].id]
        );
        // From the reverse side.
        let b = article(&conn, "y");
        let r = ts[0].articles().toggle(&conn, [&a, &b]).unwrap();
        assert_eq!(ids(&r.added), vec![b.id]);
        assert_eq!(ids(&r.removed), vec![a.id]);
        assert!(!a.tags().contains(&conn, &ts[0]).unwrap());
        assert!(b.tags().contains(&conn, &ts[0]).unwrap());
    }
}

dual! {
    fn create_inserts_links_and_returns_the_target_with_its_key() {
        let conn = db();
        let a = article(&conn, "x");
        let t = a.tags().create(&conn, new_tag("new")).unwrap();
        assert_ne!(t.id, 0);
        assert_eq!(t.name, "new");
        assert_eq!(Tag::get(&conn, t.id).unwrap(), Some(t.clone()));
        assert_eq!(a.tags().fetch_all(&conn).unwrap(), vec![t.clone()]);
        // Reverse side creates an article linked to the tag.
        let made = t.articles().create(&conn, new_article("made")).unwrap();
        assert_ne!(made.id, 0);
        assert_eq!(
            Article::get(&conn, made.id).unwrap().map(|a| a.title),
            Some("made".into())
        );
        assert_eq!(ids(&made.tags().keys(&conn).unwrap()), vec![t.id]);
        // Explicit key.
        let k = Article::TAGS
            .of_key(a.id)
            .create(
                &conn,
                Tag {
                    id: 77,
                    name: "seventy-seven".into(),
                },
            )
            .unwrap();
        assert_eq!(k.id, 77);
        assert!(a.tags().contains(&conn, Key::new(77)).unwrap());
    }
}

dual! {
    fn create_is_atomic() {
        let conn = db();
        let a = article(&conn, "x");
        tag(&conn, "taken");
        // The insert fails on the unique name: nothing is linked or inserted.
        let e = a.tags().create(&conn, new_tag("taken")).unwrap_err();
        assert!(e.is_unique_violation(), "{e:?}");
        assert_eq!(rows_in(&conn, "tag"), 1);
        assert_eq!(rows_in(&conn, "articles_tags"), 0);
        // The link fails (owner missing): the inserted tag is rolled back.
        let e = Article::TAGS
            .of_key(999)
            .create(&conn, new_tag("orphan"))
            .unwrap_err();
        assert!(matches!(e, m2m::Error::MissingOwner { .. }), "{e:?}");
        assert_eq!(rows_in(&conn, "tag"), 1, "the new tag must be rolled back");
        assert!(
            Tag::query()
                .filter(|c| c.name.eq("orphan"))
                .fetch_one(&conn)
                .unwrap()
                .is_none()
        );
        assert!(conn.no_transaction_open(), "no transaction left open");
    }
}
