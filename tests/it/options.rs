//! Model and relation options: column names, indexes, column types, junction
//! names and columns, default reverse accessors, and the relation slot.

use m2m::rusqlite::Connection;
use m2m::{Key, ManyToMany, Model};

use crate::models::*;

fn columns(conn: &Connection, table: &str) -> Vec<(String, String, bool)> {
    let mut stmt = conn
        .prepare("SELECT name, type, \"notnull\" FROM pragma_table_info(?1) ORDER BY cid")
        .unwrap();
    stmt.query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
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

#[test]
fn column_option_renames_and_indexes_the_column() {
    let conn = db();
    let cols = columns(&conn, "files");
    assert_eq!(
        cols.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        ["id", "file_name", "size", "hidden", "data", "note"]
    );
    assert_eq!(cols[2].1, "REAL");
    assert_eq!(cols[4].1, "BLOB");
    assert!(!cols[5].2, "Option<i64> is nullable");
    assert!(cols[1].2 && cols[3].2, "other columns are NOT NULL");
    let indexed: bool = conn
        .query_row(
            "SELECT EXISTS(SELECT 1 FROM pragma_index_list('files') AS l
               JOIN pragma_index_info(l.name) AS i WHERE i.name = 'file_name')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(indexed, "#[model(index)] creates an index");
}

#[test]
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

#[test]
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
    let stored: i64 = conn
        .query_row(
            "SELECT count(*) FROM post_labels WHERE post = ?1",
            [p.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 2);
    assert_eq!(p.labels().fetch_all(&conn).unwrap(), ts);
    assert!(ts[0].delete(&conn).unwrap());
    assert_eq!(
        ids(&p.labels().keys(&conn).unwrap()),
        vec![ts[1].id],
        "cascades"
    );
}

#[test]
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

#[test]
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

#[test]
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
