//! Tables made by a migration tool instead of `create_table`:
//! `m2m::schema_sql` is the first `rusqlite_migration` migration, a
//! later one adds a column, and `m2m::verify_schema` checks the file
//! against the models after each step. A hand-written migration that gets
//! the junction table wrong is reported, not silently used.
//!
//! `cargo run --example migrations`; it ends in assertions, so `cargo test`
//! runs it too.

use m2m::rusqlite::Connection;
use m2m::{Schema, verify_schema};
use rusqlite_migration::{M, Migrations};

/// The app's models when it shipped.
mod v1 {
    use m2m::{ManyToMany, Model};

    #[derive(Model)]
    pub struct Tag {
        pub id: i64,
        #[model(unique)]
        pub name: String,
    }

    #[derive(Model)]
    pub struct Post {
        pub id: i64,
        pub title: String,
        #[many_to_many(related_name = "posts")]
        pub tags: ManyToMany<Tag>,
    }
}

/// The same tables a release later: posts have a summary.
mod v2 {
    use m2m::{ManyToMany, Model};

    #[derive(Model)]
    pub struct Tag {
        pub id: i64,
        #[model(unique)]
        pub name: String,
    }

    #[derive(Model)]
    pub struct Post {
        pub id: i64,
        pub title: String,
        pub summary: Option<String>,
        #[many_to_many(related_name = "posts")]
        pub tags: ManyToMany<Tag>,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("m2m-ecosystem-migrations-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;

    let models_v1 = [Schema::of::<v1::Tag>(), Schema::of::<v1::Post>()];
    let models_v2 = [Schema::of::<v2::Tag>(), Schema::of::<v2::Post>()];

    // The first migration is m2m's DDL of every model, as one script.
    let initial = m2m::schema_sql(&models_v1);
    let add_summary = "ALTER TABLE post ADD COLUMN summary TEXT;";
    let first = Migrations::new(vec![M::up(&initial)]);
    first.validate()?;

    let mut conn = Connection::open(dir.join("app.db"))?;
    m2m::configure(&conn)?;
    first.to_latest(&mut conn)?;
    assert_eq!(verify_schema(&conn, &models_v1)?, vec![]);
    // The next release's models see what is missing before its migration.
    let before = verify_schema(&conn, &models_v2)?;
    assert!(
        before
            .iter()
            .any(|p| p.table == "post" && p.problem.contains("`summary`")),
        "{before:?}"
    );

    // A release later: the same list plus one migration.
    let second = Migrations::new(vec![M::up(&initial), M::up(add_summary)]);
    second.validate()?;
    second.to_latest(&mut conn)?;
    assert_eq!(verify_schema(&conn, &models_v2)?, vec![]);
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    assert_eq!(version, 2);
    drop(conn);

    // A hand-written junction without its pair key and foreign keys: the
    // migration runs, and verify_schema says what is wrong with it.
    let wrong = "CREATE TABLE tag (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                 CREATE TABLE post (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
                 CREATE TABLE post_tags (post_id INTEGER, tag_id INTEGER);";
    let mut conn = Connection::open(dir.join("wrong.db"))?;
    m2m::configure(&conn)?;
    Migrations::new(vec![M::up(wrong)]).to_latest(&mut conn)?;
    let problems = verify_schema(&conn, &models_v1)?;
    assert!(!problems.is_empty());
    assert!(
        problems.iter().all(|p| p.table == "post_tags"),
        "{problems:?}"
    );
    for p in &problems {
        println!("wrong migration: {p}");
    }
    drop(conn);

    println!("migrations: schema_sql as migration 1, a column in migration 2, both verified");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
