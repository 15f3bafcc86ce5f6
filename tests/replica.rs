//! Beyond one server: a streaming standby (`pg_basebackup -R`) started by
//! the harness. Writes go to the primary; once the standby has replayed
//! them (`wal_position` on the primary, `wait_for_replay` on the standby),
//! the same relation reads give the same answers there, and a write there
//! is refused with PostgreSQL's error (a standby is read-only).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use m2m::{ManyToMany, Model};

#[derive(Model, Debug, Clone, PartialEq)]
struct Tag {
    id: i64,
    #[model(unique)]
    name: String,
}

#[derive(Model, Debug, Clone, PartialEq, Default)]
struct Tagging {
    id: i64,
    post_id: i64,
    tag_id: i64,
    weight: i32,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Post {
    id: i64,
    title: String,
    #[many_to_many(related_name = "posts", through_model = Tagging, source = "post_id", target = "tag_id")]
    tags: ManyToMany<Tag>,
}

#[test]
fn a_standby_reads_what_the_primary_wrote_once_replayed() {
    let pair = m2m_pg_harness::standby();
    let primary = m2m::pg::connect(&pair.primary_url()).unwrap();
    Tag::create_table(&primary).unwrap();
    Post::create_table(&primary).unwrap();

    let mut tags = Vec::new();
    for name in ["rust", "sql", "orm"] {
        let mut t = Tag {
            id: 0,
            name: name.into(),
        };
        t.insert(&primary).unwrap();
        tags.push(t);
    }
    let mut posts = Vec::new();
    for title in ["a", "b"] {
        let mut p = Post {
            id: 0,
            title: title.into(),
            tags: ManyToMany::default(),
        };
        p.insert(&primary).unwrap();
        posts.push(p);
    }
    posts[0].tags().add(&primary, [&tags[0], &tags[1]]).unwrap();
    posts[1].tags().set(&primary, [&tags[1], &tags[2]]).unwrap();
    posts[0]
        .tags()
        .update_pivot(&primary, &tags[0], |p| p.weight = 7)
        .unwrap();

    let written = primary.wal_position().unwrap();
    let standby = m2m::pg::connect(&pair.standby_url()).unwrap();
    assert!(
        standby
            .wait_for_replay(&written, Duration::from_secs(30))
            .unwrap(),
        "the standby did not replay {written} within 30 s"
    );

    // The same reads, the same answers, on both servers.
    for conn in [&primary, &standby] {
        let names: Vec<String> = posts[0]
            .tags()
            .fetch_all(conn)
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["rust", "sql"]);
        assert_eq!(tags[1].posts().count(conn).unwrap(), 2);
        assert!(posts[1].tags().contains(conn, &tags[2]).unwrap());
        let loaded = Post::query()
            .order_by(|c| c.title.asc())
            .prefetch(Post::TAGS)
            .fetch_all(conn)
            .unwrap();
        let counts: Vec<usize> = loaded.iter().map(|p| p.tags.get().unwrap().len()).collect();
        assert_eq!(counts, [2, 2]);
        let (tag, pivot) = posts[0]
            .tags()
            .fetch_with_pivot(conn)
            .unwrap()
            .into_iter()
            .next()
            .unwrap();
        assert_eq!((tag.name.as_str(), pivot.weight), ("rust", 7));
        let linked = Post::query()
            .filter_related(Post::TAGS, |c| c.name.eq("orm"))
            .fetch_all(conn)
            .unwrap();
        assert_eq!(linked.len(), 1);
    }

    // A write on the standby is refused, and names the call.
    let err = posts[0].tags().add(&standby, [&tags[2]]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Post.tags: add"), "{text}");
    assert!(text.contains("read-only"), "{text}");
    assert!(!posts[0].tags().contains(&primary, &tags[2]).unwrap());
}
