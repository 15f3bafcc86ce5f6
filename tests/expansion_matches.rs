//! The derive's output for the three structs of the hand-written expansion
//! (`contract/hand_expanded.rs`) describes the same tables and relations and
//! behaves the same at run time.
#![allow(missing_docs)]

use m2m_core::{Key, ManyToMany, Model, SyncMode};

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "articles")]
pub struct Article {
    pub id: i64,
    pub title: String,
    #[model(index)]
    pub body: Option<String>,
    #[many_to_many(related_name = "articles")]
    pub tags: ManyToMany<Tag>,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Tag {
    pub id: i64,
    #[model(unique)]
    pub name: String,
}

#[derive(Model)]
pub struct User {
    pub id: i64,
    pub name: String,
    #[many_to_many(symmetrical)]
    pub friends: ManyToMany<Self>,
    #[many_to_many(related_name = "followers")]
    pub following: ManyToMany<User>,
}

/// What the hand-written expansion printed for `Article::schema_sql()`.
const ARTICLE_SQL: &str = r#"CREATE TABLE IF NOT EXISTS "articles" (
    "id" INTEGER PRIMARY KEY,
    "title" TEXT NOT NULL,
    "body" TEXT
);
CREATE INDEX IF NOT EXISTS "articles_body_idx" ON "articles" ("body");
CREATE TABLE IF NOT EXISTS "articles_tags" (
    "article_id" INTEGER NOT NULL REFERENCES "articles" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "tag_id" INTEGER NOT NULL REFERENCES "tag" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY ("article_id", "tag_id")
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS "articles_tags_tag_id_idx" ON "articles_tags" ("tag_id");
"#;

/// What the hand-written expansion printed for `User::schema_sql()`.
const USER_SQL: &str = r#"CREATE TABLE IF NOT EXISTS "user" (
    "id" INTEGER PRIMARY KEY,
    "name" TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS "user_friends" (
    "from_user_id" INTEGER NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "to_user_id" INTEGER NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY ("from_user_id", "to_user_id"),
    CHECK ("from_user_id" <= "to_user_id")
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS "user_friends_to_user_id_idx" ON "user_friends" ("to_user_id");
CREATE TABLE IF NOT EXISTS "user_following" (
    "from_user_id" INTEGER NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "to_user_id" INTEGER NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY ("from_user_id", "to_user_id")
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS "user_following_to_user_id_idx" ON "user_following" ("to_user_id");
"#;

#[test]
fn schema_matches_the_hand_expansion() {
    assert_eq!(Article::schema_sql(), ARTICLE_SQL);
    assert_eq!(User::schema_sql(), USER_SQL);
    let conn = m2m_core::open_in_memory().unwrap();
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    User::create_table(&conn).unwrap();
}

#[test]
fn tables_match_the_hand_expansion() {
    let t = Article::TABLE;
    assert_eq!(
        (t.model, t.name, t.pk, t.auto_key),
        ("Article", "articles", 0, true)
    );
    let cols: Vec<_> = t
        .columns
        .iter()
        .map(|c| (c.name, c.sql_type, c.nullable, c.unique, c.index))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", "INTEGER", false, false, false),
            ("title", "TEXT", false, false, false),
            ("body", "TEXT", true, false, true),
        ]
    );
    let t = Tag::TABLE;
    assert_eq!((t.model, t.name, t.pk, t.auto_key), ("Tag", "tag", 0, true));
    assert!(t.columns[1].unique);
    assert_eq!(User::TABLE.name, "user");
}

#[test]
fn relations_match_the_hand_expansion() {
    let def = |d: &m2m_core::RelationDef| {
        (
            d.name,
            d.junction,
            d.source,
            d.target,
            d.symmetrical,
            d.declared,
        )
    };
    assert_eq!(
        def(Article::TAGS.def()),
        (
            "Article.tags",
            "articles_tags",
            "article_id",
            "tag_id",
            false,
            true
        )
    );
    assert_eq!(Article::TAGS.def().owner.name, "articles");
    assert_eq!(Article::TAGS.def().target_table.name, "tag");
    assert_eq!(
        def(Tag::ARTICLES.def()),
        (
            "Tag.articles",
            "articles_tags",
            "tag_id",
            "article_id",
            false,
            false
        )
    );
    assert_eq!(Tag::ARTICLES.def().owner.name, "tag");
    assert_eq!(Tag::ARTICLES.def().target_table.name, "articles");
    assert_eq!(
        def(User::FRIENDS.def()),
        (
            "User.friends",
            "user_friends",
            "from_user_id",
            "to_user_id",
            true,
            true
        )
    );
    assert_eq!(
        def(User::FOLLOWING.def()),
        (
            "User.following",
            "user_following",
            "from_user_id",
            "to_user_id",
            false,
            true
        )
    );
    assert_eq!(
        def(User::FOLLOWERS.def()),
        (
            "User.followers",
            "user_following",
            "to_user_id",
            "from_user_id",
            false,
            false
        )
    );
}

/// The hand expansion's run-time smoke test, on the derived models.
#[test]
fn behaves_like_the_hand_expansion() {
    let conn = m2m_core::open_in_memory().unwrap();
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    User::create_table(&conn).unwrap();
    let mut tags = Vec::new();
    for n in ["a", "b", "c", "d"] {
        let mut t = Tag {
            id: 0,
            name: n.into(),
        };
        t.insert(&conn).unwrap();
        tags.push(t);
    }
    let mut a = Article {
        id: 0,
        title: "t".into(),
        body: None,
        tags: Default::default(),
    };
    a.insert(&conn).unwrap();
    assert_eq!(Article::get(&conn, a.id).unwrap(), Some(a.clone()));
    assert_eq!(
        a.tags().add(&conn, [&tags[0], &tags[1], &tags[1]]).unwrap(),
        2
    );
    assert_eq!(a.tags().add(&conn, [&tags[0]]).unwrap(), 0);
    assert_eq!(a.tags().count(&conn).unwrap(), 2);
    assert_eq!(tags[0].articles().fetch_all(&conn).unwrap().len(), 1);
    let r = a.tags().set(&conn, [&tags[1], &tags[2]]).unwrap();
    assert_eq!(r.added, vec![tags[2].key()]);
    assert_eq!(r.removed, vec![tags[0].key()]);
    let e = a
        .tags()
        .add(&conn, [Key::<Tag>::new(99), tags[3].key()])
        .unwrap_err();
    assert!(matches!(e, m2m_core::Error::MissingTarget { .. }));
    assert_eq!(
        a.tags().keys(&conn).unwrap(),
        vec![tags[1].key(), tags[2].key()]
    );
    a.tags().set(&conn, [99]).unwrap_err();
    assert_eq!(
        a.tags().keys(&conn).unwrap(),
        vec![tags[1].key(), tags[2].key()]
    );
    let r = a.tags().toggle(&conn, [2, 4]).unwrap();
    assert_eq!((r.added.len(), r.removed.len()), (1, 1));
    let r = Article::TAGS
        .of_key(a.id)
        .sync(&conn, [1], SyncMode::Add)
        .unwrap();
    assert_eq!(r.added.len(), 1);
    assert_eq!(
        a.tags()
            .filter(|c| c.name.eq("a"))
            .fetch_all(&conn)
            .unwrap()
            .len(),
        1
    );
    let mut users = Vec::new();
    for n in ["x", "y", "z"] {
        let mut u = User {
            id: 0,
            name: n.into(),
            friends: Default::default(),
            following: Default::default(),
        };
        u.insert(&conn).unwrap();
        users.push(u);
    }
    users[2]
        .friends()
        .add(&conn, [&users[0], &users[2]])
        .unwrap();
    assert_eq!(users[0].friends().fetch_all(&conn).unwrap().len(), 1);
    assert_eq!(users[2].friends().count(&conn).unwrap(), 2);
    assert!(users[0].friends().contains(&conn, &users[2]).unwrap());
    assert_eq!(
        users[0]
            .friends()
            .filter(|c| c.name.ne("q"))
            .count(&conn)
            .unwrap(),
        1
    );
    users[0].following().add(&conn, [&users[1]]).unwrap();
    assert_eq!(
        users[1].followers().keys(&conn).unwrap(),
        vec![users[0].key()]
    );
    assert!(users[0].followers().keys(&conn).unwrap().is_empty());
    let c = a
        .tags()
        .create(
            &conn,
            Tag {
                id: 0,
                name: "new".into(),
            },
        )
        .unwrap();
    assert!(a.tags().contains(&conn, &c).unwrap());
    tags[1].delete(&conn).unwrap();
    assert!(!a.tags().contains(&conn, 2).unwrap());
    assert_eq!(
        Tag::query()
            .filter(|c| c.name.like("%e%"))
            .count(&conn)
            .unwrap(),
        1
    );
}

/// The hand expansion's eager-loading smoke test, on the derived models.
#[test]
fn prefetches_like_the_hand_expansion() {
    let mut conn = m2m_core::open_in_memory().unwrap();
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    User::create_table(&conn).unwrap();
    let mut tags = Vec::new();
    for n in ["rust", "sqlite", "c"] {
        let mut t = Tag {
            id: 0,
            name: n.into(),
        };
        t.insert(&conn).unwrap();
        tags.push(t);
    }
    let mut arts = Vec::new();
    for i in 0..5 {
        let mut a = Article {
            id: 0,
            title: format!("a{i}"),
            body: None,
            tags: Default::default(),
        };
        a.insert(&conn).unwrap();
        arts.push(a);
    }
    arts[0].tags().add(&conn, [&tags[0], &tags[1]]).unwrap();
    arts[1].tags().add(&conn, [&tags[0]]).unwrap();
    arts[2].tags().add(&conn, [&tags[1], &tags[2]]).unwrap();
    let log = m2m_core::StatementLog::attach(&mut conn).unwrap();
    let p = Article::TAGS.prefetch(&conn, &arts).unwrap();
    assert_eq!(log.count(), 1);
    assert_eq!(p.get(&arts[0]).len(), 2);
    assert!(p.get(&arts[4]).is_empty());
    log.clear();
    let loaded = Article::query()
        .prefetch(Article::TAGS)
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(log.count(), 2, "{:?}", log.statements());
    assert_eq!(loaded[2].tags.get().unwrap().len(), 2);
    let both = Article::query()
        .linked_to_all(Article::TAGS, [&tags[0], &tags[1]])
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(both.len(), 1);
    let any = Article::query()
        .linked_to_any(Article::TAGS, [&tags[0], &tags[1]])
        .count(&conn)
        .unwrap();
    assert_eq!(any, 3);
    let rust = Article::query()
        .filter_related(Article::TAGS, |c| c.name.eq("rust"))
        .count(&conn)
        .unwrap();
    assert_eq!(rust, 2);
    let not_rust = Article::query()
        .exclude_related(Article::TAGS, |c| c.name.eq("rust"))
        .count(&conn)
        .unwrap();
    assert_eq!(not_rust, 3);
    log.clear();
    let counted = Article::query()
        .with_count(Article::TAGS)
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(log.count(), 1);
    assert_eq!(
        counted.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        vec![2, 1, 2, 0, 0]
    );
    let rev = Tag::ARTICLES.prefetch(&conn, &tags).unwrap();
    assert_eq!(rev.get(&tags[0]).len(), 2);
    let mut us = Vec::new();
    for n in ["x", "y", "z"] {
        let mut u = User {
            id: 0,
            name: n.into(),
            friends: Default::default(),
            following: Default::default(),
        };
        u.insert(&conn).unwrap();
        us.push(u);
    }
    us[1]
        .friends()
        .add(&conn, [&us[0], &us[2], &us[1]])
        .unwrap();
    let f = User::FRIENDS.prefetch(&conn, &us).unwrap();
    assert_eq!(f.get(&us[0]).len(), 1);
    assert_eq!(
        f.get(&us[1]).iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let wc = User::query()
        .with_count(User::FRIENDS)
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(
        wc.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        vec![1, 3, 1]
    );
    let fr = User::query()
        .filter_related(User::FRIENDS, |c| c.name.eq("x"))
        .count(&conn)
        .unwrap();
    assert_eq!(fr, 1);
    let big: Vec<i64> = (1..=100_000).collect();
    let p = Article::TAGS.prefetch(&conn, big).unwrap();
    assert_eq!(p.len(), 100_000);
}
