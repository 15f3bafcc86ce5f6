//! Forward and reverse accessors: add, remove, clear, reads, target forms,
//! descriptors and filters.

use m2m::{Key, Model, StatementLog, SyncMode};

use crate::models::*;

dual! {
    fn add_returns_the_number_of_new_links() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c"]);
        let a = article(&conn, "x");
        assert_eq!(a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap(), 2);
        assert_eq!(a.tags().add(&conn, [&ts[2]]).unwrap(), 1);
        assert_eq!(a.tags().count(&conn).unwrap(), 3);
        assert_eq!(rows_in(&conn, "articles_tags"), 3);
    }
}

dual! {
    fn add_is_idempotent_and_leaves_existing_links_untouched() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap();
        log_junction(&conn, "articles_tags", "article_id", "tag_id");
        assert_eq!(a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap(), 0);
        assert_eq!(take_log(&conn), vec![], "existing links were rewritten");
        assert_eq!(a.tags().add(&conn, [&ts[1], &ts[2]]).unwrap(), 1);
        assert_eq!(take_log(&conn), vec![("ins".to_owned(), ts[2].id)]);
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), row_ids(&ts));
    }
}

dual! {
    fn repeated_targets_count_once() {
        let conn = db();
        let ts = tags(&conn, &["a", "b"]);
        let a = article(&conn, "x");
        assert_eq!(
            a.tags()
                .add(&conn, [&ts[0], &ts[1], &ts[0], &ts[1], &ts[0]])
                .unwrap(),
            2
        );
        assert_eq!(a.tags().count(&conn).unwrap(), 2);
        assert_eq!(a.tags().remove(&conn, [ts[0].id, ts[0].id]).unwrap(), 1);
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![ts[1].id]);
        let r = a
            .tags()
            .sync(&conn, [ts[0].id, ts[0].id], SyncMode::Add)
            .unwrap();
        assert_eq!(ids(&r.added), vec![ts[0].id]);
        let r = a.tags().toggle(&conn, [ts[1].id, ts[1].id]).unwrap();
        assert_eq!(ids(&r.removed), vec![ts[1].id]);
        assert!(
            r.added.is_empty(),
            "a repeated target was toggled twice: {r:?}"
        );
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![ts[0].id]);
    }
}

dual! {
    /// A target listed many times is one key all the way down: the call runs
    /// the statements of a list naming it once, and reports it once.
    fn repeated_targets_run_the_statements_of_one() {
        let mut conn = db();
        let ts = tags(&conn, &["a", "b", "c"]);
        let a = article(&conn, "x");
        let (k0, k1, k2) = (ts[0].id, ts[1].id, ts[2].id);
        let log = StatementLog::attach(&mut conn).unwrap();
        let statements = |n: usize, what: &str| {
            assert_eq!(log.count(), n, "{what}: {:#?}", log.statements());
            log.clear();
        };

        assert_eq!(a.tags().add(&conn, [k0; 3]).unwrap(), 1);
        statements(1, "add of one key three times");
        // One key: one DELETE, no transaction around it.
        assert_eq!(a.tags().remove(&conn, [k0; 3]).unwrap(), 1);
        statements(1, "remove of one key three times");
        assert_eq!(a.tags().remove(&conn, [k0; 3]).unwrap(), 0);
        statements(1, "remove of one unlinked key three times");
        let r = a
            .tags()
            .sync(&conn, [k0, k0, k1, k1], SyncMode::Add)
            .unwrap();
        assert_eq!((ids(&r.added), ids(&r.removed)), (vec![k0, k1], vec![]));
        statements(1, "sync add of two keys twice each");
        let r = a.tags().sync(&conn, [k1; 4], SyncMode::Remove).unwrap();
        assert_eq!((ids(&r.added), ids(&r.removed)), (vec![], vec![k1]));
        statements(1, "sync remove of one key four times");
        // Two keys: on SQLite BEGIN, one DELETE each, COMMIT; on PostgreSQL
        // one DELETE of the key array.
        let two_keys = if conn.is_pg() { 1 } else { 4 };
        a.tags().add(&conn, [k1]).unwrap();
        log.clear();
        assert_eq!(a.tags().remove(&conn, [k0, k1, k0, k1, k0]).unwrap(), 2);
        statements(two_keys, "remove of two keys, repeated");
        a.tags().add(&conn, [k0, k1]).unwrap();
        log.clear();
        let r = a
            .tags()
            .sync(&conn, [k1, k0, k1, k0], SyncMode::Remove)
            .unwrap();
        assert_eq!((ids(&r.added), ids(&r.removed)), (vec![], vec![k0, k1]));
        statements(two_keys, "sync remove of two keys, repeated");

        // set: BEGIN, unlink the others, link the new, COMMIT (PostgreSQL
        // also locks the owner's row, to wait for other writers of its links,
        // in the round trip of its BEGIN).
        let set = 4;
        a.tags().add(&conn, [k0]).unwrap();
        log.clear();
        let r = a.tags().set(&conn, [k1, k2, k1, k2, k2]).unwrap();
        assert_eq!((ids(&r.added), ids(&r.removed)), (vec![k1, k2], vec![k0]));
        statements(set, "set to two keys, repeated");
        let r = a.tags().sync(&conn, [k2, k2], SyncMode::Replace).unwrap();
        assert_eq!((ids(&r.added), ids(&r.removed)), (vec![], vec![k1]));
        statements(set, "sync replace by one key twice");
        // toggle: BEGIN, one DELETE per key (PostgreSQL: one of the key
        // array), link the rest, COMMIT.
        let r = a.tags().toggle(&conn, [k0, k2, k0, k2, k0]).unwrap();
        assert_eq!((ids(&r.added), ids(&r.removed)), (vec![k0], vec![k2]));
        statements(
            if conn.is_pg() { 4 } else { 5 },
            "toggle of two keys, repeated",
        );
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![k0]);
    }
}

dual! {
    fn an_empty_list_changes_nothing() {
        let conn = db();
        let ts = tags(&conn, &["a", "b"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, &ts).unwrap();
        let none: Vec<&Tag> = Vec::new();
        let no_keys: Vec<Key<Tag>> = Vec::new();
        log_junction(&conn, "articles_tags", "article_id", "tag_id");

        assert_eq!(a.tags().add(&conn, none.clone()).unwrap(), 0);
        assert_eq!(a.tags().remove(&conn, none.clone()).unwrap(), 0);
        assert!(a.tags().toggle(&conn, none.clone()).unwrap().is_empty());
        assert!(
            a.tags()
                .sync(&conn, no_keys.clone(), SyncMode::Add)
                .unwrap()
                .is_empty()
        );
        assert!(
            a.tags()
                .sync(&conn, no_keys, SyncMode::Remove)
                .unwrap()
                .is_empty()
        );
        assert_eq!(a.tags().remove(&conn, Vec::<i64>::new()).unwrap(), 0);

        assert_eq!(take_log(&conn), vec![]);
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), row_ids(&ts));
    }
}

dual! {
    fn remove_ignores_absent_links() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c"]);
        let a = article(&conn, "x");
        let other = article(&conn, "y");
        a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap();
        other.tags().add(&conn, [&ts[2]]).unwrap();
        assert_eq!(
            a.tags().remove(&conn, [&ts[2]]).unwrap(),
            0,
            "not linked to a"
        );
        assert_eq!(
            a.tags().remove(&conn, [ts[0].id, ts[2].id, 12345]).unwrap(),
            1
        );
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![ts[1].id]);
        assert_eq!(
            ids(&other.tags().keys(&conn).unwrap()),
            vec![ts[2].id],
            "other owner untouched"
        );
        assert_eq!(a.tags().remove(&conn, [&ts[1]]).unwrap(), 1);
        assert!(!a.tags().exists(&conn).unwrap());
    }
}

dual! {
    fn clear_removes_only_this_owners_links() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c"]);
        let a = article(&conn, "x");
        let b = article(&conn, "y");
        a.tags().add(&conn, &ts).unwrap();
        b.tags().add(&conn, [&ts[0]]).unwrap();
        a.featured_tags().add(&conn, [&ts[1]]).unwrap();
        assert_eq!(a.tags().clear(&conn).unwrap(), 3);
        assert_eq!(a.tags().clear(&conn).unwrap(), 0);
        assert_eq!(a.tags().count(&conn).unwrap(), 0);
        assert_eq!(ids(&b.tags().keys(&conn).unwrap()), vec![ts[0].id]);
        assert_eq!(ids(&a.featured_tags().keys(&conn).unwrap()), vec![ts[1].id]);
        assert_eq!(rows_in(&conn, "tag"), 3, "clear deletes links, not tags");
        // From the reverse side.
        assert_eq!(ts[0].articles().clear(&conn).unwrap(), 1);
        assert!(!b.tags().exists(&conn).unwrap());
    }
}

dual! {
    fn fetch_all_is_ordered_by_target_key() {
        let conn = db();
        // Keys 1, 2, 3 with names in another order than the keys.
        let ts = tags(&conn, &["c", "a", "b"]);
        let a = article(&conn, "x");
        a.tags().add(&conn, [&ts[2], &ts[0], &ts[1]]).unwrap();
        assert_eq!(a.tags().fetch_all(&conn).unwrap(), ts);
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), row_ids(&ts));
        // Reverse side too, with owners linked in reverse key order.
        let a2 = article(&conn, "y");
        let a3 = article(&conn, "z");
        ts[0].articles().add(&conn, [&a3, &a2, &a]).unwrap();
        assert_eq!(
            row_ids(&ts[0].articles().fetch_all(&conn).unwrap()),
            vec![a.id, a2.id, a3.id]
        );
        assert_eq!(
            ids(&ts[0].articles().keys(&conn).unwrap()),
            vec![a.id, a2.id, a3.id]
        );
    }
}

dual! {
    fn fetch_all_returns_full_rows() {
        let conn = db();
        let t = tag(&conn, "t");
        let mut a = new_article("with body");
        a.body = Some("text".into());
        a.insert(&conn).unwrap();
        t.articles().add(&conn, [&a]).unwrap();
        assert_eq!(t.articles().fetch_all(&conn).unwrap(), vec![a.clone()]);
        assert_eq!(t.articles().fetch_one(&conn).unwrap(), Some(a));
    }
}

dual! {
    fn fetch_one_is_the_smallest_key() {
        let conn = db();
        let ts = tags(&conn, &["z", "y", "x"]);
        let a = article(&conn, "x");
        assert_eq!(a.tags().fetch_one(&conn).unwrap(), None);
        a.tags().add(&conn, [&ts[2], &ts[1]]).unwrap();
        assert_eq!(a.tags().fetch_one(&conn).unwrap(), Some(ts[1].clone()));
        a.tags().add(&conn, [&ts[0]]).unwrap();
        assert_eq!(a.tags().fetch_one(&conn).unwrap(), Some(ts[0].clone()));
    }
}

dual! {
    fn count_exists_contains_keys() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c"]);
        let a = article(&conn, "x");
        let b = article(&conn, "y");
        assert_eq!(a.tags().count(&conn).unwrap(), 0);
        assert!(!a.tags().exists(&conn).unwrap());
        assert!(a.tags().keys(&conn).unwrap().is_empty());
        assert!(!a.tags().contains(&conn, &ts[0]).unwrap());

        a.tags().add(&conn, [&ts[0], &ts[2]]).unwrap();
        b.tags().add(&conn, [&ts[1]]).unwrap();
        assert_eq!(a.tags().count(&conn).unwrap(), 2);
        assert!(a.tags().exists(&conn).unwrap());
        assert!(a.tags().contains(&conn, &ts[0]).unwrap());
        assert!(a.tags().contains(&conn, ts[2].key()).unwrap());
        assert!(a.tags().contains(&conn, ts[2].id).unwrap());
        assert!(
            !a.tags().contains(&conn, &ts[1]).unwrap(),
            "linked to b, not a"
        );
        assert!(!a.tags().contains(&conn, 999).unwrap());
        assert_eq!(
            a.tags().keys(&conn).unwrap(),
            vec![ts[0].key(), ts[2].key()]
        );
        assert_eq!(ts[1].articles().count(&conn).unwrap(), 1);
        assert!(ts[1].articles().contains(&conn, &b).unwrap());
        assert!(!ts[1].articles().contains(&conn, &a).unwrap());
    }
}

dual! {
    fn reverse_accessor_sees_and_writes_the_same_links() {
        let conn = db();
        let ts = tags(&conn, &["a", "b"]);
        let a = article(&conn, "x");
        let b = article(&conn, "y");
        a.tags().add(&conn, &ts).unwrap();
        assert_eq!(
            row_ids(&ts[0].articles().fetch_all(&conn).unwrap()),
            vec![a.id]
        );
        assert_eq!(ts[1].articles().count(&conn).unwrap(), 1);

        // Writes through the reverse side land in the same junction table.
        assert_eq!(ts[0].articles().add(&conn, [&a, &b]).unwrap(), 1);
        assert_eq!(rows_in(&conn, "articles_tags"), 3);
        assert_eq!(ids(&b.tags().keys(&conn).unwrap()), vec![ts[0].id]);
        assert_eq!(ts[0].articles().remove(&conn, [&a]).unwrap(), 1);
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![ts[1].id]);
        let r = ts[1].articles().set(&conn, [&b]).unwrap();
        assert_eq!(ids(&r.added), vec![b.id]);
        assert_eq!(ids(&r.removed), vec![a.id]);
        assert!(a.tags().keys(&conn).unwrap().is_empty());
        assert_eq!(ids(&b.tags().keys(&conn).unwrap()), row_ids(&ts));
    }
}

dual! {
    fn descriptors_work_from_a_bare_key() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c"]);
        let a = article(&conn, "x");
        assert_eq!(Article::TAGS.of_key(a.id).add(&conn, [&ts[0]]).unwrap(), 1);
        assert_eq!(
            Article::TAGS
                .of_key(a.key())
                .add(&conn, [ts[1].id])
                .unwrap(),
            1
        );
        assert_eq!(Article::TAGS.of_key(&a).count(&conn).unwrap(), 2);
        assert_eq!(
            ids(&a.tags().keys(&conn).unwrap()),
            vec![ts[0].id, ts[1].id]
        );
        assert_eq!(
            row_ids(&Tag::ARTICLES.of_key(ts[0].id).fetch_all(&conn).unwrap()),
            vec![a.id]
        );
        assert_eq!(
            Tag::ARTICLES
                .of_key(ts[2].key())
                .add(&conn, [a.id])
                .unwrap(),
            1
        );
        assert_eq!(Article::TAGS.of_key(a.id).fetch_all(&conn).unwrap(), ts);
        let r = Article::TAGS
            .of_key(a.id)
            .sync(&conn, [ts[2].id], SyncMode::Replace)
            .unwrap();
        assert_eq!(ids(&r.removed), vec![ts[0].id, ts[1].id]);
        assert!(r.added.is_empty());
        assert_eq!(Article::TAGS.of_key(a.id).clear(&conn).unwrap(), 1);
        assert!(!a.tags().exists(&conn).unwrap());
        // The descriptor names its relation.
        assert_eq!(Article::TAGS.def().name(), "Article.tags");
        assert_eq!(Tag::ARTICLES.def().name(), "Tag.articles");
        assert_eq!(
            Tag::ARTICLES.def().junction_table(),
            Article::TAGS.def().junction_table()
        );
    }
}

dual! {
    fn every_target_form_is_accepted() {
        let conn = db();
        let ts = tags(&conn, &["a", "b", "c", "d", "e", "f", "g"]);
        let a = article(&conn, "x");
        // [&a, &b]
        assert_eq!(a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap(), 2);
        // &vec_of_models
        let more = vec![ts[1].clone(), ts[2].clone()];
        assert_eq!(a.tags().add(&conn, &more).unwrap(), 1);
        // vec![Key::new(..)]
        assert_eq!(a.tags().add(&conn, vec![Key::new(ts[3].id)]).unwrap(), 1);
        // raw keys
        assert_eq!(a.tags().add(&conn, [ts[4].id, ts[5].id]).unwrap(), 2);
        // &Vec<Key<Tag>> and an iterator
        let keys = vec![ts[6].key()];
        assert_eq!(a.tags().add(&conn, &keys).unwrap(), 1);
        assert_eq!(a.tags().remove(&conn, ts.iter().take(2)).unwrap(), 2);
        assert_eq!(
            a.tags()
                .remove(&conn, ts.iter().map(Tag::key).skip(5))
                .unwrap(),
            2
        );
        assert_eq!(
            ids(&a.tags().keys(&conn).unwrap()),
            vec![ts[2].id, ts[3].id, ts[4].id]
        );
    }
}

dual! {
    fn filter_on_a_relation_sees_only_related_rows() {
        let conn = db();
        let ts = tags(&conn, &["rust", "ruby", "go", "rune"]);
        let a = article(&conn, "x");
        let b = article(&conn, "y");
        a.tags().add(&conn, [&ts[0], &ts[1], &ts[2]]).unwrap();
        b.tags().add(&conn, [&ts[3]]).unwrap();
        let r_tags = a
            .tags()
            .filter(|c| c.name.like("r%"))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(
            r_tags,
            vec![ts[0].clone(), ts[1].clone()],
            "rune is not a's"
        );
        assert_eq!(
            a.tags().filter(|c| c.name.like("r%")).count(&conn).unwrap(),
            2
        );
        assert!(
            !a.tags()
                .filter(|c| c.name.eq("rune"))
                .exists(&conn)
                .unwrap()
        );
        assert!(
            b.tags()
                .filter(|c| c.name.eq("rune"))
                .exists(&conn)
                .unwrap()
        );
        assert_eq!(
            a.tags()
                .filter(|c| c.name.ne("go"))
                .order_by(|c| c.name.asc())
                .fetch_all(&conn)
                .unwrap(),
            vec![ts[1].clone(), ts[0].clone()]
        );
        assert_eq!(
            a.tags()
                .query()
                .order_by(|c| c.id.desc())
                .limit(2)
                .fetch_all(&conn)
                .unwrap(),
            vec![ts[2].clone(), ts[1].clone()]
        );
        assert_eq!(a.tags().query().count(&conn).unwrap(), 3);
        assert_eq!(
            a.tags()
                .filter(|c| c.name.like("r%"))
                .fetch_one(&conn)
                .unwrap(),
            Some(ts[0].clone())
        );
        // Reverse side.
        assert_eq!(
            row_ids(
                &ts[3]
                    .articles()
                    .filter(|c| c.title.eq("y"))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            vec![b.id]
        );
        assert!(
            ts[3]
                .articles()
                .filter(|c| c.title.eq("x"))
                .fetch_all(&conn)
                .unwrap()
                .is_empty()
        );
        // A bare-key accessor filters the same way.
        assert_eq!(
            Article::TAGS
                .of_key(b.id)
                .filter(|c| c.name.like("ru%"))
                .count(&conn)
                .unwrap(),
            1
        );
    }
}

dual! {
    fn extreme_integer_keys_link() {
        let conn = db();
        let mut keys = Vec::new();
        for id in [i64::MIN, -1, i64::MAX, 1 << 53, (1 << 53) + 1] {
            let mut t = Tag {
                id,
                name: format!("k{id}"),
            };
            t.insert(&conn).unwrap();
            keys.push(id);
        }
        keys.sort();
        let a = article(&conn, "x");
        assert_eq!(a.tags().add(&conn, keys.clone()).unwrap(), 5);
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), keys);
        assert_eq!(row_ids(&a.tags().fetch_all(&conn).unwrap()), keys);
        let r = a.tags().set(&conn, [i64::MAX, (1 << 53) + 1]).unwrap();
        assert_eq!(ids(&r.removed), vec![i64::MIN, -1, 1 << 53]);
        assert!(r.added.is_empty());
        assert_eq!(a.tags().remove(&conn, [i64::MAX]).unwrap(), 1);
        assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![(1 << 53) + 1]);
    }
}
