//! Model and relation options: column names, indexes, column types, junction
//! names and columns, default reverse accessors, and the relation slot.

use m2m::{Key, ManyToMany, Model};

use crate::models::*;

/// Each column of `table` as (name, declared type, NOT NULL), in order.
fn columns(conn: &impl TestDb, table: &str) -> Vec<(String, String, bool)> {
    let sql = if conn.is_pg() {
        format!(
            "SELECT column_name, data_type, CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = '{table}'
             ORDER BY ordinal_position"
        )
    } else {
        format!("SELECT name, type, \"notnull\" FROM pragma_table_info('{table}') ORDER BY cid")
    };
    conn.texts(&sql)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2] == "1"))
        .collect()
}

fn file(name: &str, size: f64) -> File {
    File {
        id: 0,
        name: name.into(),
        size,
        hidden: false,
        data: vec![0, 1, 2, 255],
        note: None,
    }
}

dual! {
    fn column_option_renames_and_indexes_the_column() {
        let conn = db();
        let cols = columns(&conn, "files");
        assert_eq!(
            cols.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
            ["id", "file_name", "size", "hidden", "data", "note"]
        );
        // Each dialect's name for a float and for bytes.
        let (real, blob) = if conn.is_pg() {
            ("double precision", "bytea")
        } else {
            ("REAL", "BLOB")
        };
        assert_eq!(cols[2].1, real);
        assert_eq!(cols[4].1, blob);
        assert!(!cols[5].2, "Option<i64> is nullable");
        assert!(cols[1].2 && cols[3].2, "other columns are NOT NULL");
        let indexed = conn.int(if conn.is_pg() {
            "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()
               AND tablename = 'files' AND indexdef LIKE '%(file_name)'"
        } else {
            "SELECT EXISTS(SELECT 1 FROM pragma_index_list('files') AS l
               JOIN pragma_index_info(l.name) AS i WHERE i.name = 'file_name')"
        }) == 1;
        assert!(indexed, "#[model(index)] creates an index");
    }
}

dual! {
    fn non_text_columns_round_trip_and_query() {
        let conn = db();
        let mut a = file("a.txt", 1.5);
        a.insert(&conn).unwrap();
        assert_ne!(a.id, 0, "an i32 key is assigned too");
        let mut b = File {
            hidden: true,
            note: Some(-3),
            data: Vec::new(),
            ..file("b.bin", 1e10)
        };
        b.insert(&conn).unwrap();
        assert_eq!(File::get(&conn, a.id).unwrap(), Some(a.clone()));
        assert_eq!(File::get(&conn, b.id).unwrap(), Some(b.clone()));
        let q = |f: fn(&<File as Model>::Columns) -> m2m::Expr<File>| {
            File::query().filter(f).fetch_all(&conn).unwrap()
        };
        assert_eq!(q(|c| c.name.eq("b.bin")), vec![b.clone()]);
        assert_eq!(q(|c| c.hidden.eq(true)), vec![b.clone()]);
        assert_eq!(q(|c| c.size.lt(2.0)), vec![a.clone()]);
        assert_eq!(q(|c| c.data.eq(&[0u8, 1, 2, 255][..])), vec![a.clone()]);
        assert_eq!(q(|c| c.note.eq(-3)), vec![b.clone()]);
        assert_eq!(q(|c| c.note.is_null()), vec![a.clone()]);
        assert_eq!(
            File::query()
                .order_by(|c| c.size.desc())
                .fetch_all(&conn)
                .unwrap(),
            vec![b.clone(), a.clone()]
        );
        b.name = "renamed".into();
        b.save(&conn).unwrap();
        assert_eq!(File::get(&conn, b.id).unwrap().unwrap().name, "renamed");
    }
}

dual! {
    fn through_source_and_target_name_the_junction() {
        let conn = db();
        let def = BlogPost::LABELS.def();
        assert_eq!(def.junction_table(), "post_labels");
        assert_eq!((def.source(), def.target()), ("post", "label"));
        assert_eq!(
            columns(&conn, "post_labels")
                .into_iter()
                .map(|c| c.0)
                .collect::<Vec<_>>(),
            ["post", "label"]
        );
        let ts = tags(&conn, &["a", "b"]);
        let mut p = BlogPost {
            id: 0,
            title: "p".into(),
            labels: ManyToMany::default(),
            topics: ManyToMany::default(),
        };
        p.insert(&conn).unwrap();
        assert_eq!(p.labels().add(&conn, &ts).unwrap(), 2);
        let stored = conn.int(&format!(
            "SELECT count(*) FROM post_labels WHERE post = {}",
            p.id
        ));
        assert_eq!(stored, 2);
        assert_eq!(p.labels().fetch_all(&conn).unwrap(), ts);
        assert!(ts[0].delete(&conn).unwrap());
        assert_eq!(
            ids(&p.labels().keys(&conn).unwrap()),
            vec![ts[1].id],
            "cascades"
        );
    }
}

dual! {
    fn defaults_name_the_junction_and_the_reverse_accessor() {
        let conn = db();
        let def = BlogPost::TOPICS.def();
        assert_eq!(
            def.junction_table(),
            "blog_post_topics",
            "{{owner_table}}_{{field}}"
        );
        assert_eq!((def.source(), def.target()), ("blog_post_id", "tag_id"));
        assert_eq!(
            Tag::BLOG_POST_SET.def().junction_table(),
            "blog_post_topics"
        );
        assert_eq!(Tag::BLOG_POST_SET.def().name(), "Tag.blog_post_set");
        let t = tag(&conn, "t");
        let mut p = BlogPost {
            id: 0,
            title: "p".into(),
            labels: ManyToMany::default(),
            topics: ManyToMany::default(),
        };
        p.insert(&conn).unwrap();
        assert_eq!(t.blog_post_set().add(&conn, [&p]).unwrap(), 1);
        assert_eq!(ids(&p.topics().keys(&conn).unwrap()), vec![t.id]);
        assert!(p.labels().keys(&conn).unwrap().is_empty());
        // Self relations default to from_/to_ columns.
        assert_eq!(
            (User::FRIENDS.def().source(), User::FRIENDS.def().target()),
            ("from_user_id", "to_user_id")
        );
        assert_eq!(User::FRIENDS.def().junction_table(), "user_friends");
        assert_eq!(
            (
                User::FOLLOWERS.def().source(),
                User::FOLLOWERS.def().target()
            ),
            ("to_user_id", "from_user_id")
        );
    }
}

dual! {
    fn the_relation_slot_is_not_loaded_by_plain_reads() {
        let conn = db();
        let t = tag(&conn, "t");
        let a = article(&conn, "x");
        a.tags().add(&conn, [&t]).unwrap();
        let slot: ManyToMany<Tag> = ManyToMany::default();
        assert!(!slot.is_loaded());
        assert_eq!(slot.get(), None);
        assert_eq!(slot.clone(), slot);
        let loaded = Article::get(&conn, a.id).unwrap().unwrap();
        assert!(!loaded.tags.is_loaded(), "get does not load relations");
        assert!(
            Article::query().fetch_all(&conn).unwrap()[0]
                .tags
                .get()
                .is_none()
        );
    }
}

dual! {
    fn keys_are_typed_values() {
        let conn = db();
        let t = tag(&conn, "t");
        let k: Key<Tag> = t.key();
        assert_eq!(k, Key::new(t.id));
        assert_eq!(*k.get(), t.id);
        assert_eq!(k.into_inner(), t.id);
        assert_eq!(Key::<Tag>::new(3).to_string(), "3");
        assert!(Key::<Tag>::new(2) < Key::<Tag>::new(3));
        assert_eq!(Tag::get(&conn, Key::<Tag>::new(t.id)).unwrap(), Some(t));
        let l = language(&conn, "fr", "French");
        assert_eq!(l.key().get(), "fr");
    }
}
