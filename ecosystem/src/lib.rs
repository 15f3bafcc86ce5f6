//! m2m with the crates an application runs it with: connection pools
//! (`r2d2` + `r2d2_sqlite`, `deadpool-sqlite`), an async web framework
//! (`axum`) and a migration tool (`rusqlite_migration`).
//!
//! The examples are the point of this crate; each ends in assertions, so
//! `cargo test` runs them:
//!
//! - `pool_r2d2`: an r2d2 pool whose every connection is set up by
//!   [`m2m::configure`], written from 4 threads;
//! - `pool_deadpool`: the same with deadpool-sqlite and 4 tokio tasks;
//! - `axum_handler`: an HTTP handler linking tags to a post, with an error
//!   type that `?` converts into and that maps to status codes;
//! - `migrations`: [`m2m::schema_sql`] as a `rusqlite_migration`
//!   migration, checked by [`m2m::verify_schema`];
//! - `pool_r2d2_postgres`: the r2d2 example on PostgreSQL, with
//!   [`PgManager`] (PostgreSQL's DDL from [`m2m::pg::schema_sql`], checked by
//!   the same [`m2m::verify_schema`]);
//! - `axum_postgres`: the handler on PostgreSQL, its blocking calls on
//!   tokio's blocking threads (`spawn_blocking`) with an r2d2 connection.
//!
//! This library holds what the two pool examples share: the models and the
//! concurrent workload, written once against `&impl Db` so it runs on any
//! pool's connection.

use m2m::{Db, ManyToMany, Model, Schema, SyncMode};

/// An r2d2 connection manager for m2m's PostgreSQL connection
/// (`m2m::pg::PgConnection`): r2d2 pools anything that can be opened and
/// checked, so this is all a pool of them needs. `setup` runs on every new
/// connection (the place for `SET lock_timeout = ...` and the like).
#[derive(Debug, Clone)]
pub struct PgManager {
    /// The connection string.
    pub url: String,
    /// Statements run on every new connection.
    pub setup: &'static str,
}

impl r2d2::ManageConnection for PgManager {
    type Connection = m2m::pg::PgConnection;
    type Error = m2m::Error;

    fn connect(&self) -> Result<Self::Connection, Self::Error> {
        let conn = m2m::pg::connect(&self.url)?;
        conn.batch_execute(self.setup)?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        conn.batch_execute("")
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.is_closed()
    }
}

/// A tag.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Tag {
    /// The key.
    pub id: i64,
    /// Its name, unique.
    #[model(unique)]
    pub name: String,
}

/// A post with tags.
#[derive(Model, Debug, Clone)]
pub struct Post {
    /// The key.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its tags; a tag's posts are `tag.posts()`.
    #[many_to_many(related_name = "posts")]
    pub tags: ManyToMany<Tag>,
}

/// Every model of the app, for [`m2m::schema_sql`] and
/// [`m2m::verify_schema`].
pub fn schema() -> [Schema; 2] {
    [Schema::of::<Tag>(), Schema::of::<Post>()]
}

/// How many threads or tasks write at once.
pub const WORKERS: usize = 4;

/// The rows the concurrent workload writes links between.
#[derive(Debug, Clone)]
pub struct Seed {
    /// Two posts every worker writes to.
    pub posts: [i64; 2],
    /// Tags every worker links.
    pub shared: [i64; 2],
    /// One tag per worker.
    pub own: [i64; WORKERS],
    /// A tag every worker links and unlinks again.
    pub scratch: i64,
}

/// Creates the tables and the rows of the workload.
pub fn seed(conn: &impl Db) -> m2m::Result<Seed> {
    Tag::create_table(conn)?;
    Post::create_table(conn)?;
    let tag = |name: String| -> m2m::Result<i64> {
        let mut t = Tag { id: 0, name };
        t.insert(conn)?;
        Ok(t.id)
    };
    let shared = [tag("shared-0".into())?, tag("shared-1".into())?];
    let mut own = [0; WORKERS];
    for (i, k) in own.iter_mut().enumerate() {
        *k = tag(format!("own-{i}"))?;
    }
    let scratch = tag("scratch".into())?;
    let mut posts = [0; 2];
    for (i, k) in posts.iter_mut().enumerate() {
        let mut p = Post {
            id: 0,
            title: format!("post {i}"),
            tags: ManyToMany::default(),
        };
        p.insert(conn)?;
        *k = p.id;
    }
    Ok(Seed {
        posts,
        shared,
        own,
        scratch,
    })
}

/// What one worker's calls reported, summed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// New links made by `add` of the shared tags to the first post.
    pub shared_added: usize,
    /// Links made to the scratch tag.
    pub scratch_added: usize,
    /// Links to the scratch tag removed.
    pub scratch_removed: usize,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.shared_added += o.shared_added;
        self.scratch_added += o.scratch_added;
        self.scratch_removed += o.scratch_removed;
    }
}

/// One round of worker `w`, on whatever connection the pool gave it: every
/// worker writes the same relations of the same two posts.
///
/// - first post: `add` the shared tags and the worker's own tag, then link
///   the scratch tag (`sync` Add) and unlink it (`remove`);
/// - second post: `set` to the shared tags (the same set from every worker),
///   then `sync` Remove of the worker's own tag (never linked there).
pub fn round(conn: &impl Db, s: &Seed, w: usize) -> m2m::Result<Tally> {
    let mut t = Tally::default();
    let first = Post::TAGS.of_key(s.posts[0]);
    t.shared_added += first.add(conn, s.shared)?;
    first.add(conn, [s.own[w]])?;
    t.scratch_added += first.sync(conn, [s.scratch], SyncMode::Add)?.added.len();
    t.scratch_removed += first.remove(conn, [s.scratch])?;

    let second = Post::TAGS.of_key(s.posts[1]);
    second.set(conn, s.shared)?;
    let gone = second.sync(conn, [s.own[w]], SyncMode::Remove)?;
    assert!(
        gone.removed.is_empty(),
        "an own tag was never linked to the second post"
    );
    Ok(t)
}

/// Checks the links after every worker's rounds: exactly the expected ones,
/// and each link made once however many workers raced to make it.
pub fn check(conn: &impl Db, s: &Seed, total: Tally) -> m2m::Result<()> {
    let keys = |post: i64| -> m2m::Result<Vec<i64>> {
        let mut k: Vec<i64> = Post::TAGS
            .of_key(post)
            .keys(conn)?
            .into_iter()
            .map(|k| k.into_inner())
            .collect();
        k.sort();
        Ok(k)
    };
    let mut first: Vec<i64> = s.shared.iter().chain(&s.own).copied().collect();
    first.sort();
    assert_eq!(keys(s.posts[0])?, first);
    assert_eq!(keys(s.posts[1])?, s.shared.to_vec());
    // Concurrent adds of the same link: exactly one of them made it.
    assert_eq!(total.shared_added, 2);
    // Every scratch link made was removed once, and it is gone.
    assert!(total.scratch_added > 0);
    assert_eq!(total.scratch_added, total.scratch_removed);
    // The reverse side agrees.
    let scratch_posts = Tag::POSTS.of_key(s.scratch).count(conn)?;
    assert_eq!(scratch_posts, 0);
    assert_eq!(Tag::POSTS.of_key(s.shared[0]).count(conn)?, 2);
    Ok(())
}

/// Asserts that [`m2m::configure`] ran on this connection: foreign
/// keys on and m2m's busy timeout (a per-connection setting SQLite does not
/// default to; the bundled SQLite may default foreign keys to on).
pub fn assert_configured(conn: &m2m::rusqlite::Connection) {
    let pragma = |name: &str| -> i64 {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .expect("PRAGMA")
    };
    assert_eq!(pragma("foreign_keys"), 1);
    assert_eq!(pragma("busy_timeout"), m2m::BUSY_TIMEOUT.as_millis() as i64);
}
