//! Misuse and failure: unsaved rows, missing keys, atomicity (alone and
//! inside a user's transaction), cascades, and separate junction tables.

use m2m::{Error, Key, Model, SyncMode};

use crate::models::*;

/// Whether a transaction is open on the connection.
trait TxState {
    fn in_transaction(&self) -> bool;
}

impl TxState for m2m::rusqlite::Connection {
    fn in_transaction(&self) -> bool {
        !self.is_autocommit()
    }
}

impl TxState for m2m::rusqlite::Transaction<'_> {
    fn in_transaction(&self) -> bool {
        !self.is_autocommit()
    }
}

/// PostgreSQL refuses a savepoint outside a transaction block.
fn pg_in_transaction(conn: &impl TestDb) -> bool {
    let open = conn.try_exec("SAVEPOINT m2m_probe").is_ok();
    if open {
        conn.exec("RELEASE SAVEPOINT m2m_probe");
    }
    open
}

impl TxState for m2m::pg::PgConnection {
    fn in_transaction(&self) -> bool {
        pg_in_transaction(self)
    }
}

impl TxState for m2m::pg::PgTransaction<'_> {
    fn in_transaction(&self) -> bool {
        pg_in_transaction(self)
    }
}

dual! {
    fn every_call_on_an_unsaved_owner_is_unsaved() {
        let conn = db();
        let t = tag(&conn, "a");
        let a = new_article("unsaved");
        assert_unsaved(a.tags().add(&conn, [&t]));
        assert_unsaved(a.tags().remove(&conn, [&t]));
        assert_unsaved(a.tags().set(&conn, [&t]));
        assert_unsaved(a.tags().set(&conn, Vec::<&Tag>::new()));
        assert_unsaved(a.tags().clear(&conn));
        assert_unsaved(a.tags().sync(&conn, [&t], SyncMode::Replace));
        assert_unsaved(a.tags().sync(&conn, [&t], SyncMode::Add));
        assert_unsaved(a.tags().sync(&conn, [&t], SyncMode::Remove));
        assert_unsaved(a.tags().toggle(&conn, [&t]));
        assert_unsaved(a.tags().create(&conn, new_tag("b")));
        assert_unsaved(a.tags().fetch_all(&conn));
        assert_unsaved(a.tags().fetch_one(&conn));
        assert_unsaved(a.tags().count(&conn));
        assert_unsaved(a.tags().exists(&conn));
        assert_unsaved(a.tags().contains(&conn, &t));
        assert_unsaved(a.tags().keys(&conn));
        assert_unsaved(a.tags().filter(|c| c.name.eq("a")).fetch_all(&conn));
        assert_unsaved(a.tags().filter(|c| c.name.eq("a")).fetch_one(&conn));
        assert_unsaved(a.tags().filter(|c| c.name.eq("a")).count(&conn));
        assert_unsaved(a.tags().filter(|c| c.name.eq("a")).exists(&conn));
        assert_unsaved(a.tags().query().fetch_all(&conn));
        assert_unsaved(Article::TAGS.of_key(0).add(&conn, [&t]));
        // Reverse and self relations too.
        let t0 = new_tag("unsaved");
        assert_unsaved(t0.articles().fetch_all(&conn));
        assert_unsaved(t0.articles().add(&conn, Vec::<i64>::new()));
        let u = new_user("unsaved");
        assert_unsaved(u.friends().count(&conn));
        assert_unsaved(u.friends().filter(|c| c.name.eq("x")).fetch_all(&conn));
        assert_unsaved(u.followers().keys(&conn));
        // Nothing was written by any of it.
        assert_eq!(rows_in(&conn, "tag"), 1);
        assert_eq!(rows_in(&conn, "articles_tags"), 0);
    }
}

dual! {
    fn an_unsaved_target_is_unsaved_and_nothing_is_written() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap();
        let before = a.tags().keys(&conn).unwrap();
        let fresh = new_tag("fresh");
        assert_unsaved(a.tags().add(&conn, [&ts[2], &fresh]));
        assert_unsaved(a.tags().set(&conn, [&ts[2], &fresh]));
        assert_unsaved(a.tags().toggle(&conn, [&ts[0], &ts[2], &fresh]));
        assert_unsaved(a.tags().sync(&conn, [&ts[2], &fresh], SyncMode::Add));
        assert_unsaved(a.tags().sync(&conn, [&ts[2], &fresh], SyncMode::Replace));
        assert_unsaved(a.tags().sync(&conn, [&ts[0], &fresh], SyncMode::Remove));
        assert_unsaved(a.tags().remove(&conn, [&ts[0], &fresh]));
        assert_unsaved(a.tags().add(&conn, [Key::<Tag>::new(0)]));
        assert_unsaved(a.tags().contains(&conn, &fresh));
        assert_eq!(a.tags().keys(&conn).unwrap(), before);
        assert_eq!(rows_in(&conn, "tag"), 3);
    }
}

dual! {
    fn a_missing_target_names_the_relation_and_key_and_writes_nothing() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c", "d"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap();
        let before = a.tags().keys(&conn).unwrap();
        log_junction(&conn, "articles_tags", "article_id", "tag_id");
        let (c, d) = (ts[2].id, ts[3].id);

        // The missing key first, in the middle, and last.
        for list in [vec![999, c, d], vec![c, 999, d], vec![c, d, 999]] {
            assert_missing_target(a.tags().add(&conn, list.clone()), "Article.tags", "999");
            assert_eq!(a.tags().keys(&conn).unwrap(), before, "add {list:?}");
            assert_missing_target(a.tags().set(&conn, list.clone()), "Article.tags", "999");
            assert_eq!(a.tags().keys(&conn).unwrap(), before, "set {list:?}");
            assert_missing_target(a.tags().toggle(&conn, list.clone()), "Article.tags", "999");
            assert_eq!(a.tags().keys(&conn).unwrap(), before, "toggle {list:?}");
            assert_missing_target(
                a.tags().sync(&conn, list.clone(), SyncMode::Add),
                "Article.tags",
                "999",
            );
            assert_eq!(a.tags().keys(&conn).unwrap(), before, "sync Add {list:?}");
            assert_missing_target(
                a.tags().sync(&conn, list.clone(), SyncMode::Replace),
                "Article.tags",
                "999",
            );
            assert_eq!(
                a.tags().keys(&conn).unwrap(),
                before,
                "sync Replace {list:?}"
            );
        }
        // A toggle that would also unlink, and a set that would also remove.
        let with_linked = vec![ts[0].id, c, 999];
        assert_missing_target(
            a.tags().toggle(&conn, with_linked.clone()),
            "Article.tags",
            "999",
        );
        assert_missing_target(a.tags().set(&conn, [999]), "Article.tags", "999");
        assert_eq!(a.tags().keys(&conn).unwrap(), before);
        assert_eq!(take_log(&conn), vec![], "a failed call left writes behind");
        assert!(
            !conn.in_transaction(),
            "a failed call left a transaction open"
        );

        // The reverse relation names itself.
        assert_missing_target(
            ts[0].articles().add(&conn, [a.id, 4242]),
            "Tag.articles",
            "4242",
        );
        assert_missing_target(
            a.featured_tags().add(&conn, [Key::new(31337)]),
            "Article.featured_tags",
            "31337",
        );
        assert_eq!(
            rows_in(&conn, Article::FEATURED_TAGS.def().junction_table()),
            0
        );
        // The calls work once the input is valid.
        assert_eq!(a.tags().add(&conn, [c, d]).unwrap(), 2);
    }
}

dual! {
    fn missing_target_on_self_relations() {
        let conn = db();
        let u = user(&conn, "a");
        let v = user(&conn, "b");
        assert_missing_target(u.friends().add(&conn, [v.id, 999]), "User.friends", "999");
        assert_missing_target(
            u.following().set(&conn, [999, v.id]),
            "User.following",
            "999",
        );
        assert_missing_target(v.followers().toggle(&conn, [999]), "User.followers", "999");
        assert!(!u.friends().exists(&conn).unwrap());
        assert!(!u.following().exists(&conn).unwrap());
        assert!(!v.followers().exists(&conn).unwrap());
    }
}

dual! {
    fn a_missing_owner_is_missing_owner() {
        let conn = db();
        let ts = tags(&conn, &["a", "b"]);
        let art = article(&conn, "x");
        let r = Article::TAGS.of_key(999).add(&conn, [&ts[0], &ts[1]]);
        match r {
            Err(e @ Error::MissingOwner { .. }) => {
                let msg = e.to_string();
                let Error::MissingOwner { relation, key, .. } = e else {
                    unreachable!()
                };
                assert_eq!(relation, "Article.tags");
                assert_eq!(key, "999");
                assert!(msg.contains("Article.tags") && msg.contains("999"), "{msg}");
            }
            other => panic!("expected MissingOwner, got {other:?}"),
        }
        for r in [
            Article::TAGS.of_key(999).set(&conn, [&ts[0]]).map(drop),
            Article::TAGS.of_key(999).toggle(&conn, [&ts[0]]).map(drop),
            Article::TAGS
                .of_key(999)
                .sync(&conn, [&ts[0]], SyncMode::Add)
                .map(drop),
            Article::TAGS
                .of_key(999)
                .sync(&conn, [&ts[0]], SyncMode::Replace)
                .map(drop),
            Tag::ARTICLES.of_key(999).add(&conn, [&art]).map(drop),
        ] {
            assert!(matches!(r, Err(Error::MissingOwner { .. })), "{r:?}");
        }
        assert_eq!(rows_in(&conn, "articles_tags"), 0);
        assert_eq!(rows_in(&conn, "tag"), 2);
        assert!(!conn.in_transaction());
    }
}

dual! {
    fn a_failed_call_inside_a_user_transaction_keeps_the_users_writes() {
        let mut conn = db();
        let ts = tags(&conn, &["a", "b"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0]]).unwrap();

        let tx = conn.transaction().unwrap();
        let t_new = tag(&tx, "in-tx");
        a.tags().add(&tx, [&t_new]).unwrap();
        let mut a2 = article(&tx, "in-tx article");
        a2.body = Some("b".into());
        a2.update(&tx).unwrap();
        let before = a.tags().keys(&tx).unwrap();
        assert_eq!(ids(&before), vec![ts[0].id, t_new.id]);

        // Multi-row calls that fail half-way (the removal already ran).
        assert_missing_target(a.tags().set(&tx, [ts[1].id, 999]), "Article.tags", "999");
        assert_eq!(a.tags().keys(&tx).unwrap(), before);
        assert_missing_target(a.tags().toggle(&tx, [ts[0].id, 999]), "Article.tags", "999");
        assert_eq!(a.tags().keys(&tx).unwrap(), before);
        assert_missing_target(a.tags().add(&tx, [ts[1].id, 999]), "Article.tags", "999");
        assert_eq!(a.tags().keys(&tx).unwrap(), before);
        assert_missing_target(
            a.tags().sync(&tx, [999, ts[1].id], SyncMode::Replace),
            "Article.tags",
            "999",
        );
        assert_eq!(a.tags().keys(&tx).unwrap(), before);
        assert!(
            tx.in_transaction(),
            "the user's transaction must still be open"
        );
        // A successful call after the failures, still in the transaction.
        assert_eq!(a2.tags().add(&tx, [&ts[1]]).unwrap(), 1);
        tx.commit().unwrap();

        assert_eq!(
            ids(&a.tags().keys(&conn).unwrap()),
            vec![ts[0].id, t_new.id]
        );
        assert_eq!(Tag::get(&conn, t_new.id).unwrap(), Some(t_new));
        assert_eq!(Article::get(&conn, a2.id).unwrap(), Some(a2.clone()));
        assert_eq!(ids(&a2.tags().keys(&conn).unwrap()), vec![ts[1].id]);
    }
}

dual! {
    fn a_successful_call_in_a_rolled_back_transaction_leaves_nothing() {
        let mut conn = db();
        let ts = tags(&conn, &["a", "b", "c", "d"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap();
        let before = a.tags().keys(&conn).unwrap();
        {
            let tx = conn.transaction().unwrap();
            let r = a.tags().set(&tx, [&ts[2], &ts[3]]).unwrap();
            assert_eq!(ids(&r.removed), vec![ts[0].id, ts[1].id]);
            a.tags().toggle(&tx, [&ts[0], &ts[2]]).unwrap();
            assert_eq!(a.tags().add(&tx, [&ts[1]]).unwrap(), 1);
            a.tags().create(&tx, new_tag("e")).unwrap();
            assert_eq!(a.tags().count(&tx).unwrap(), 4);
            tx.rollback().unwrap();
        }
        assert_eq!(a.tags().keys(&conn).unwrap(), before);
        assert_eq!(rows_in(&conn, "tag"), 4);
        {
            // Dropped without commit: rolled back too.
            let tx = conn.transaction().unwrap();
            a.tags().clear(&tx).unwrap();
            ts[2].articles().add(&tx, [&a]).unwrap();
        }
        assert_eq!(a.tags().keys(&conn).unwrap(), before);
    }
}

dual! {
    fn deleting_either_side_removes_only_its_links() {
        let conn = db();
        let ts = tags(&conn, &["a", "b"]);
        let a = article(&conn, "x");
        let b = article(&conn, "y");
        a.tags().add(&conn, &ts).unwrap();
        b.tags().add(&conn, &ts).unwrap();
        assert!(ts[0].delete(&conn).unwrap());
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![ts[1].id]);
        assert_eq!(ids(&b.tags().keys(&conn).unwrap()), vec![ts[1].id]);
        assert_eq!(rows_in(&conn, "articles"), 2);
        assert!(b.delete(&conn).unwrap());
        assert_eq!(
            row_ids(&ts[1].articles().fetch_all(&conn).unwrap()),
            vec![a.id]
        );
        assert_eq!(rows_in(&conn, "tag"), 1);
        assert_eq!(rows_in(&conn, "articles_tags"), 1);
    }
}

dual! {
    fn two_relations_between_the_same_models_never_share_links() {
        let conn = db();
        assert_ne!(
            Article::TAGS.def().junction_table(),
            Article::FEATURED_TAGS.def().junction_table()
        );
        assert_eq!(
            Tag::FEATURED_IN.def().junction_table(),
            Article::FEATURED_TAGS.def().junction_table()
        );
        let ts = tags(&conn, &["a", "b", "c"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap();
        assert_eq!(
            a.featured_tags().add(&conn, [&ts[1], &ts[2]]).unwrap(),
            2,
            "tags' links are not featured"
        );
        assert_eq!(
            ids(&a.tags().keys(&conn).unwrap()),
            vec![ts[0].id, ts[1].id]
        );
        assert_eq!(
            ids(&a.featured_tags().keys(&conn).unwrap()),
            vec![ts[1].id, ts[2].id]
        );
        assert_eq!(
            row_ids(&ts[2].featured_in().fetch_all(&conn).unwrap()),
            vec![a.id]
        );
        assert!(ts[2].articles().fetch_all(&conn).unwrap().is_empty());
        assert!(ts[0].featured_in().keys(&conn).unwrap().is_empty());
        assert_eq!(a.tags().filter(|c| c.name.eq("c")).count(&conn).unwrap(), 0);
        assert_eq!(
            a.featured_tags()
                .filter(|c| c.name.eq("c"))
                .count(&conn)
                .unwrap(),
            1
        );
        let r = a.featured_tags().set(&conn, [&ts[0]]).unwrap();
        assert_eq!(ids(&r.removed), vec![ts[1].id, ts[2].id]);
        assert_eq!(
            ids(&a.tags().keys(&conn).unwrap()),
            vec![ts[0].id, ts[1].id]
        );
        assert_eq!(a.tags().clear(&conn).unwrap(), 2);
        assert_eq!(ids(&a.featured_tags().keys(&conn).unwrap()), vec![ts[0].id]);
        assert_eq!(rows_in(&conn, "articles_tags"), 0);
        assert_eq!(rows_in(&conn, "articles_featured_tags"), 1);
    }
}

dual! {
    fn unsaved_names_the_model_that_is_unsaved() {
        let conn = db();
        let t = tag(&conn, "a");
        let a = article(&conn, "x");
        assert_unsaved_model(new_article("o").tags().add(&conn, [&t]), "Article");
        assert_unsaved_model(a.tags().add(&conn, [&new_tag("n")]), "Tag");
        assert_unsaved_model(new_tag("o").articles().add(&conn, [&a]), "Tag");
        assert_unsaved_model(t.articles().set(&conn, [&new_article("n")]), "Article");
        assert_unsaved_model(new_tag("o").update(&conn), "Tag");
    }
}

dual! {
    fn symmetrical_failures_write_nothing() {
        let conn = db();
        let a = user(&conn, "a");
        let b = user(&conn, "b");
        let c = user(&conn, "c");
        a.friends().add(&conn, [&b]).unwrap();
        c.friends().add(&conn, [&a]).unwrap();
        log_junction(
            &conn,
            User::FRIENDS.def().junction_table(),
            "from_user_id",
            "to_user_id",
        );
        // From the side whose key is smaller and from the larger one.
        assert_missing_target(a.friends().set(&conn, [c.id, 999]), "User.friends", "999");
        assert_missing_target(c.friends().set(&conn, [999]), "User.friends", "999");
        assert_missing_target(
            b.friends().toggle(&conn, [a.id, 999, c.id]),
            "User.friends",
            "999",
        );
        assert_missing_target(
            c.friends().sync(&conn, [b.id, 999], SyncMode::Replace),
            "User.friends",
            "999",
        );
        assert_eq!(take_log(&conn), vec![]);
        assert_eq!(ids(&a.friends().keys(&conn).unwrap()), vec![b.id, c.id]);
        assert_eq!(ids(&b.friends().keys(&conn).unwrap()), vec![a.id]);
        assert_eq!(ids(&c.friends().keys(&conn).unwrap()), vec![a.id]);
    }
}

dual! {
    fn calls_nest_inside_a_users_savepoint() {
        let mut conn = db();
        let ts = tags(&conn, &["a", "b", "c"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0]]).unwrap();
        {
            let mut tx = conn.transaction().unwrap();
            a.tags().add(&tx, [&ts[1]]).unwrap();
            {
                let sp = tx.savepoint().unwrap();
                let r = a.tags().set(&sp, [&ts[2]]).unwrap();
                assert_eq!(ids(&r.removed), vec![ts[0].id, ts[1].id]);
                assert_missing_target(a.tags().toggle(&sp, [ts[2].id, 999]), "Article.tags", "999");
                assert_eq!(ids(&a.tags().keys(&sp).unwrap()), vec![ts[2].id]);
                // Dropped: the savepoint rolls back, the transaction goes on.
            }
            assert_eq!(ids(&a.tags().keys(&tx).unwrap()), vec![ts[0].id, ts[1].id]);
            {
                let sp = tx.savepoint().unwrap();
                a.tags().toggle(&sp, [&ts[0], &ts[2]]).unwrap();
                sp.commit().unwrap();
            }
            tx.commit().unwrap();
        }
        assert_eq!(
            ids(&a.tags().keys(&conn).unwrap()),
            vec![ts[1].id, ts[2].id]
        );
    }
}
