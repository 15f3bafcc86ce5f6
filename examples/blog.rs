//! A small blog on a real SQLite file: articles with tags, and users with
//! friends (symmetrical) and followers (directional).
//!
//! Run it with `cargo run --example blog`. It prints what it does and ends
//! in assertions, so `cargo test` checks it too.

use m2m::{Key, ManyToMany, Model, SyncMode};

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "articles")]
struct Article {
    id: i64,
    title: String,
    body: Option<String>,
    #[many_to_many(related_name = "articles")]
    tags: ManyToMany<Tag>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "tags")]
struct Tag {
    id: i64,
    #[model(unique)]
    name: String,
}

#[derive(Model, Debug, Clone)]
#[model(table = "users")]
struct User {
    id: i64,
    name: String,
    #[many_to_many(symmetrical)]
    friends: ManyToMany<Self>,
    #[many_to_many(related_name = "followers")]
    following: ManyToMany<User>,
}

fn names<T>(rows: &[T], name: impl Fn(&T) -> &str) -> String {
    rows.iter().map(name).collect::<Vec<_>>().join(", ")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A file the demo leaves behind for you to open (`sqlite3 <path>`),
    // started afresh on each run.
    let path = std::env::temp_dir().join("m2m-blog.db");
    for stale in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", path.display()));
    }
    let conn = m2m::open(&path)?;
    println!("database: {}", path.display());
    run(&conn)?;
    drop(conn);
    println!("ok: the database is kept at {}", path.display());
    Ok(())
}

/// The demo, on any backend: the PostgreSQL example
/// (`cargo run --example blog_postgres`) runs this same function.
pub fn run<C: m2m::Db>(conn: &C) -> Result<(), Box<dyn std::error::Error>> {
    Tag::create_table(conn)?;
    Article::create_table(conn)?;
    User::create_table(conn)?;

    // Tags and articles.
    let mut tags = Vec::new();
    for name in ["rust", "sqlite", "orm", "async"] {
        let mut tag = Tag {
            id: 0,
            name: name.into(),
        };
        tag.insert(conn)?;
        tags.push(tag);
    }
    let [rust, sqlite, orm, asynk] = [&tags[0], &tags[1], &tags[2], &tags[3]];

    let mut intro = Article {
        id: 0,
        title: "Many-to-many in Rust".into(),
        body: Some("Typed accessors, checked at compile time.".into()),
        tags: ManyToMany::default(),
    };
    intro.insert(conn)?;
    let mut tips = Article {
        id: 0,
        title: "SQLite tips".into(),
        body: None,
        tags: ManyToMany::default(),
    };
    tips.insert(conn)?;

    let added = intro.tags().add(conn, [rust, sqlite, orm])?;
    println!("tagged {:?} with {added} tags", intro.title);
    let again = intro.tags().add(conn, [rust])?;
    println!("adding `rust` again adds {again} (links are unique)");
    tips.tags().add(conn, [sqlite])?;

    let intro_tags = intro.tags().fetch_all(conn)?;
    println!("{:?}: {}", intro.title, names(&intro_tags, |t| &t.name));
    let sqlite_articles = sqlite.articles().fetch_all(conn)?;
    println!("tagged sqlite: {}", names(&sqlite_articles, |a| &a.title));

    // `set` is a diff: it reports what changed and leaves the rest alone.
    let report = intro.tags().set(conn, [rust, asynk])?;
    println!(
        "set intro's tags to rust+async: added {:?}, removed {:?}",
        report.added, report.removed
    );

    // A service receiving ids in a request syncs without loading the article.
    let ids = vec![sqlite.id, orm.id];
    let report = Article::TAGS
        .of_key(tips.id)
        .sync(conn, ids, SyncMode::Add)?;
    println!("request added {} tags to tips", report.added.len());

    let rust_articles = Tag::ARTICLES.of_key(rust.id).count(conn)?;
    let matching = tips.tags().filter(|c| c.name.like("s%")).fetch_all(conn)?;
    println!(
        "tips' tags starting with s: {}",
        names(&matching, |t| &t.name)
    );

    // A missing key is an error naming the relation and the key; nothing is written.
    let before = intro.tags().keys(conn)?;
    let result = intro.tags().add(conn, [Key::<Tag>::new(404), sqlite.key()]);
    let Err(err) = result else {
        return Err("a missing tag must be refused".into());
    };
    println!("error: {err}");
    assert_eq!(intro.tags().keys(conn)?, before);

    // Listing: every article with its tags in two statements, however many
    // articles there are (no query per article).
    let listed = Article::query()
        .order_by(|c| c.title.asc())
        .prefetch(Article::TAGS)
        .fetch_all(conn)?;
    for article in &listed {
        let tags = article.tags.get().unwrap_or_default();
        println!("  {:<22} [{}]", article.title, names(tags, |t| &t.name));
    }
    // Tags with their article counts in one statement.
    let counted = Tag::query()
        .order_by(|c| c.name.asc())
        .with_count(Tag::ARTICLES)
        .fetch_all(conn)?;
    for (tag, n) in &counted {
        println!("  #{:<8} {n} article(s)", tag.name);
    }
    // Articles tagged both rust and async; articles with any tag matching s%.
    let both = Article::query()
        .linked_to_all(Article::TAGS, [rust, asynk])
        .fetch_all(conn)?;
    let s_tagged = Article::query()
        .filter_related(Article::TAGS, |c| c.name.like("s%"))
        .count(conn)?;
    println!("tagged rust and async: {}", names(&both, |a| &a.title));
    println!("articles with an s-tag: {s_tagged}");

    // Users: friends are mutual, following is not.
    let mut users = Vec::new();
    for name in ["ada", "grace", "linus"] {
        let mut user = User {
            id: 0,
            name: name.into(),
            friends: ManyToMany::default(),
            following: ManyToMany::default(),
        };
        user.insert(conn)?;
        users.push(user);
    }
    let (ada, grace, linus) = (&users[0], &users[1], &users[2]);
    ada.friends().add(conn, [grace, linus])?;
    ada.following().add(conn, [grace])?;
    linus.following().add(conn, [grace])?;
    let grace_friends = grace.friends().fetch_all(conn)?;
    let grace_followers = grace.followers().fetch_all(conn)?;
    println!("grace's friends: {}", names(&grace_friends, |u| &u.name));
    println!(
        "grace's followers: {}",
        names(&grace_followers, |u| &u.name)
    );
    println!("grace follows {} people", grace.following().count(conn)?);

    // Deleting a row removes its links, never the rows on the other side.
    sqlite.delete(conn)?;
    println!(
        "deleted `sqlite`; tips now has {} tags",
        tips.tags().count(conn)?
    );

    assert_eq!(names(&intro_tags, |t| &t.name), "rust, sqlite, orm");
    assert_eq!(
        names(&sqlite_articles, |a| &a.title),
        "Many-to-many in Rust, SQLite tips"
    );
    assert_eq!(rust_articles, 1);
    assert_eq!(names(&matching, |t| &t.name), "sqlite");
    assert!(matches!(err, m2m::Error::MissingTarget { .. }));
    assert_eq!(names(&grace_friends, |u| &u.name), "ada");
    assert_eq!(names(&grace_followers, |u| &u.name), "ada, linus");
    assert_eq!(grace.following().count(conn)?, 0);
    assert_eq!(tips.tags().count(conn)?, 1);
    assert_eq!(Tag::query().count(conn)?, 3);
    assert_eq!(listed.len(), 2);
    assert_eq!(
        names(listed[0].tags.get().unwrap_or_default(), |t| &t.name),
        "rust, async"
    );
    let counts: Vec<(&str, u64)> = counted.iter().map(|(t, n)| (t.name.as_str(), *n)).collect();
    assert_eq!(
        counts,
        [("async", 1), ("orm", 1), ("rust", 1), ("sqlite", 1)]
    );
    assert_eq!(names(&both, |a| &a.title), "Many-to-many in Rust");
    assert_eq!(s_tagged, 1);
    Ok(())
}
