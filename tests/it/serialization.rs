//! The `serde` feature: keys as raw values, slots as their loaded list (or
//! `null`, or left out), sync reports as lists of raw keys.

use m2m::{Db, Key, ManyToMany, Model, SyncReport};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::models::empty;

#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tag {
    id: i64,
    name: String,
}

/// The slot renders as `null` when not loaded.
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[model(table = "articles")]
struct Article {
    id: i64,
    title: String,
    #[many_to_many(related_name = "articles")]
    tags: ManyToMany<Tag>,
}

/// The slot is left out when not loaded, and absent reads as unloaded.
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Note {
    id: i64,
    #[serde(default, skip_serializing_if = "ManyToMany::is_not_loaded")]
    tags: ManyToMany<Tag>,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Country {
    #[model(primary_key)]
    code: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Item {
    id: Uuid,
}

/// This module's tables on a fresh connection, two tags, and an article
/// with both.
fn setup<C: Db>(conn: C) -> (C, Vec<Tag>, Article) {
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    Note::create_table(&conn).unwrap();
    let tags: Vec<Tag> = ["rust", "sql"]
        .into_iter()
        .map(|name| {
            let mut t = Tag {
                id: 0,
                name: name.into(),
            };
            t.insert(&conn).unwrap();
            t
        })
        .collect();
    let mut a = Article {
        id: 0,
        title: "Hello".into(),
        tags: ManyToMany::new(),
    };
    a.insert(&conn).unwrap();
    a.tags().add(&conn, &tags).unwrap();
    (conn, tags, a)
}

dual! {
    fn serde_prefetched_relation_renders_as_its_list() {
        let (conn, _, _) = setup(empty(db));
        let mut bare = Article {
            id: 0,
            title: "Empty".into(),
            tags: ManyToMany::new(),
        };
        bare.insert(&conn).unwrap();
        let articles = Article::query()
            .prefetch(Article::TAGS)
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(
            serde_json::to_value(&articles).unwrap(),
            json!([
                {"id": 1, "title": "Hello", "tags": [{"id": 1, "name": "rust"}, {"id": 2, "name": "sql"}]},
                {"id": 2, "title": "Empty", "tags": []},
            ])
        );
        assert_eq!(
            serde_json::to_string(&articles[0]).unwrap(),
            r#"{"id":1,"title":"Hello","tags":[{"id":1,"name":"rust"},{"id":2,"name":"sql"}]}"#
        );
    }
}

dual! {
    fn serde_unloaded_slot_is_null_or_skipped() {
        let (conn, tags, a) = setup(empty(db));
        let plain = Article::get(&conn, a.id).unwrap().unwrap();
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"id":1,"title":"Hello","tags":null}"#
        );
        let mut n = Note {
            id: 0,
            tags: ManyToMany::new(),
        };
        n.insert(&conn).unwrap();
        n.tags().add(&conn, [&tags[1]]).unwrap();
        let plain = Note::get(&conn, n.id).unwrap().unwrap();
        assert!(plain.tags.is_not_loaded());
        assert_eq!(serde_json::to_string(&plain).unwrap(), r#"{"id":1}"#);
        let loaded = Note::query()
            .prefetch(Note::TAGS)
            .fetch_one(&conn)
            .unwrap()
            .unwrap();
        assert!(!loaded.tags.is_not_loaded());
        assert_eq!(
            serde_json::to_string(&loaded).unwrap(),
            r#"{"id":1,"tags":[{"id":2,"name":"sql"}]}"#
        );
    }
}

dual! {
    fn serde_key_round_trips_as_its_raw_value() {
        let k = Key::<Tag>::new(3);
        assert_eq!(serde_json::to_string(&k).unwrap(), "3");
        assert_eq!(serde_json::from_str::<Key<Tag>>("3").unwrap(), k);
        let keys = vec![Key::<Tag>::new(1), Key::new(2)];
        assert_eq!(serde_json::to_string(&keys).unwrap(), "[1,2]");
        assert_eq!(
            serde_json::from_str::<Vec<Key<Tag>>>("[1,2]").unwrap(),
            keys
        );

        let fr = Key::<Country>::new("FR".into());
        assert_eq!(serde_json::to_string(&fr).unwrap(), r#""FR""#);
        assert_eq!(serde_json::from_str::<Key<Country>>(r#""FR""#).unwrap(), fr);

        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let item = Key::<Item>::new(id);
        let text = r#""01234567-89ab-cdef-0123-456789abcdef""#;
        assert_eq!(serde_json::to_string(&item).unwrap(), text);
        assert_eq!(serde_json::from_str::<Key<Item>>(text).unwrap(), item);

        assert!(serde_json::from_str::<Key<Tag>>(r#""3""#).is_err());
    }
}

dual! {
    fn serde_many_to_many_round_trips() {
        let (conn, tags, _) = setup(empty(db));
        let loaded = Article::query()
            .prefetch(Article::TAGS)
            .fetch_one(&conn)
            .unwrap()
            .unwrap();
        let text = serde_json::to_string(&loaded).unwrap();
        let back: Article = serde_json::from_str(&text).unwrap();
        assert_eq!(back, loaded);
        assert_eq!(back.tags.get(), Some(&tags[..]));

        let slot: ManyToMany<Tag> = serde_json::from_str("[]").unwrap();
        assert_eq!(slot.get(), Some(&[][..]), "an empty list is loaded");
        let slot: ManyToMany<Tag> = serde_json::from_str("null").unwrap();
        assert!(slot.is_not_loaded());
        let back: Article = serde_json::from_str(r#"{"id":1,"title":"Hello","tags":null}"#).unwrap();
        assert!(back.tags.is_not_loaded());

        let note: Note = serde_json::from_str(r#"{"id":4}"#).unwrap();
        assert!(note.tags.is_not_loaded(), "absent with `#[serde(default)]`");
        let note: Note = serde_json::from_str(r#"{"id":4,"tags":[{"id":9,"name":"x"}]}"#).unwrap();
        assert_eq!(note.tags.get().unwrap()[0].name, "x");
        assert_eq!(
            serde_json::to_string(&note).unwrap(),
            r#"{"id":4,"tags":[{"id":9,"name":"x"}]}"#
        );
        assert!(serde_json::from_str::<ManyToMany<Tag>>(r#"{"id":1}"#).is_err());
        // serde's derive reads an absent field of a type read as an option as
        // `null`, so even without `#[serde(default)]` it is an unloaded slot.
        let back: Article = serde_json::from_str(r#"{"id":1,"title":"x"}"#).unwrap();
        assert!(back.tags.is_not_loaded());
    }
}

dual! {
    fn serde_sync_report_renders_its_keys() {
        let (conn, tags, a) = setup(empty(db));
        let mut go = Tag {
            id: 0,
            name: "go".into(),
        };
        go.insert(&conn).unwrap();
        let report = a.tags().set(&conn, [&tags[1], &go]).unwrap();
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"added":[3],"removed":[1],"updated":[]}"#
        );
        assert_eq!(
            serde_json::to_value(SyncReport::<Tag>::default()).unwrap(),
            json!({"added": [], "removed": [], "updated": []})
        );
    }
}
