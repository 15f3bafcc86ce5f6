//! The models of the reliability suite: one of each kind of relation, and
//! helpers that read tables with plain SQL (never through the library).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use m2m::rusqlite::Connection;
use m2m::{ManyToMany, Model};

use crate::backend::TestDb;

/// The owner of a plain forward relation (`labels`, reverse `Label::posts`).
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "posts")]
pub struct Post {
    pub id: i64,
    pub title: String,
    pub body: Option<String>,
    #[many_to_many(related_name = "posts")]
    pub labels: ManyToMany<Label>,
}

/// The target of `Post.labels`; its unique name lets a test make an insert fail.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Label {
    pub id: i64,
    #[model(unique)]
    pub name: String,
}

/// A symmetrical self relation.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Person {
    pub id: i64,
    pub name: String,
    #[many_to_many(symmetrical)]
    pub friends: ManyToMany<Self>,
}

/// The through model of `Member.clubs`: one row per link, with pivot data.
#[derive(Model, Debug, Clone, PartialEq, Default)]
pub struct Membership {
    pub id: i64,
    pub member_id: i64,
    pub club_id: i64,
    pub role: String,
    pub note: Option<String>,
}

/// The target of `Member.clubs`.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Club {
    pub id: i64,
    pub name: String,
}

/// The owner of a relation with pivot data (reverse `Club::members`).
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub name: String,
    #[many_to_many(
        through_model = Membership,
        source = "member_id",
        target = "club_id",
        related_name = "members"
    )]
    pub clubs: ManyToMany<Club>,
}

/// The through model of the symmetrical `Colleague.colleagues`: one row per
/// pair, smaller key in `from_colleague_id`, with the same pivot columns as
/// [`Membership`].
#[derive(Model, Debug, Clone, PartialEq, Default)]
pub struct Collab {
    pub id: i64,
    pub from_colleague_id: i64,
    pub to_colleague_id: i64,
    pub role: String,
    pub note: Option<String>,
}

/// A symmetrical self relation with pivot data.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Colleague {
    pub id: i64,
    pub name: String,
    #[many_to_many(through_model = Collab, symmetrical)]
    pub colleagues: ManyToMany<Self>,
}

/// A through model with a unique pivot column: a seat is sold once, whatever
/// the pair.
#[derive(Model, Debug, Clone, PartialEq, Default)]
pub struct Ticket {
    pub id: i64,
    pub fan_id: i64,
    pub show_id: i64,
    #[model(unique)]
    pub seat: String,
}

/// The target of `Fan.shows`.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Show {
    pub id: i64,
    pub name: String,
}

/// The owner of a relation whose through model has a unique pivot column.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Fan {
    pub id: i64,
    pub name: String,
    #[many_to_many(
        through_model = Ticket,
        source = "fan_id",
        target = "show_id",
        related_name = "fans"
    )]
    pub shows: ManyToMany<Show>,
}

/// A text-keyed target.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Word {
    #[model(primary_key)]
    pub code: String,
    pub text: String,
}

/// A text-keyed owner of a relation to text-keyed rows.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Doc {
    #[model(primary_key)]
    pub slug: String,
    #[many_to_many(related_name = "docs")]
    pub words: ManyToMany<Word>,
}

/// Creates every table of this module on `conn`.
pub fn create_all(conn: &impl m2m::Db) {
    Label::create_table(conn).unwrap();
    Post::create_table(conn).unwrap();
    Person::create_table(conn).unwrap();
    Club::create_table(conn).unwrap();
    Member::create_table(conn).unwrap();
    Colleague::create_table(conn).unwrap();
    Show::create_table(conn).unwrap();
    Fan::create_table(conn).unwrap();
    Word::create_table(conn).unwrap();
    Doc::create_table(conn).unwrap();
}

/// A fresh in-memory database set up by the library, with every table.
pub fn db() -> Connection {
    let conn = m2m::open_in_memory().unwrap();
    create_all(&conn);
    conn
}

/// Every row of `table` as text, in a fixed order, read with plain SQL:
/// the ground truth a failed call must leave as it was. With the row's
/// physical identity first (SQLite: its rowid, when it has one;
/// PostgreSQL: its `ctid`), so a row deleted and inserted again is a change.
pub fn snapshot(conn: &impl TestDb, table: &str) -> Vec<Vec<String>> {
    let sql = if conn.is_pg() {
        // ctid: the row version's place; unchanged unless the row was written.
        let mut rows = conn.texts(&format!("SELECT ctid::text, * FROM \"{table}\""));
        rows.sort();
        return rows;
    } else if conn.int(&format!(
        "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_schema WHERE name = '{table}'"
    )) == 1
    {
        format!("SELECT * FROM \"{table}\" ORDER BY 1, 2")
    } else {
        format!("SELECT rowid, * FROM \"{table}\" ORDER BY rowid")
    };
    conn.texts(&sql)
}

/// Every user table of the database with its rows (see [`snapshot`]), by name.
pub fn snapshot_all(conn: &impl TestDb) -> BTreeMap<String, Vec<Vec<String>>> {
    let names = if conn.is_pg() {
        conn.texts(
            "SELECT table_name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
        )
    } else {
        conn.texts(
            "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
    };
    names
        .into_iter()
        .map(|r| {
            let name = r[0].clone();
            let rows = snapshot(conn, &name);
            (name, rows)
        })
        .collect()
}

/// A directory under the system's temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("m2m-reliability-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Number of rows in a table, counted with plain SQL.
pub fn rows_in(conn: &impl TestDb, table: &str) -> i64 {
    conn.rows_in(table)
}
