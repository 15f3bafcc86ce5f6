//! Models shared by every test module, and a fresh database with all tables.

use m2m::rusqlite::Connection;
use m2m::{Db, Error, Key, ManyToMany, Model};

pub use crate::backend::TestDb;
#[allow(unused_imports)]
pub use crate::dual;

/// An article with two relations to the same model (`tags` and
/// `featured_tags`): they must never share a junction table.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "articles")]
pub struct Article {
    pub id: i64,
    pub title: String,
    pub body: Option<String>,
    #[many_to_many(related_name = "articles")]
    pub tags: ManyToMany<Tag>,
    #[many_to_many(related_name = "featured_in")]
    pub featured_tags: ManyToMany<Tag>,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Tag {
    pub id: i64,
    #[model(unique)]
    pub name: String,
}

/// Self relations: `friends` is symmetrical, `following`/`followers` directional.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub name: String,
    #[many_to_many(symmetrical)]
    pub friends: ManyToMany<Self>,
    #[many_to_many(related_name = "followers")]
    pub following: ManyToMany<User>,
}

/// A `String`-keyed model whose key is not its first field.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Language {
    pub name: String,
    #[model(primary_key)]
    pub code: String,
}

/// A `String`-keyed model related to another `String`-keyed model.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Country {
    #[model(primary_key)]
    pub code: String,
    pub name: String,
    #[many_to_many(related_name = "countries")]
    pub languages: ManyToMany<Language>,
}

/// Column options (`column`, `index`) and non-text column types, with an
/// `i32` key.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "files")]
pub struct File {
    pub id: i32,
    #[model(column = "file_name", index)]
    pub name: String,
    pub size: f64,
    pub hidden: bool,
    pub data: Vec<u8>,
    pub note: Option<i64>,
}

/// Relation options: a named junction with named columns and no reverse
/// accessor (`labels`), and a relation with every default (`topics`, whose
/// reverse accessor is `Tag::blog_post_set`).
#[derive(Model, Debug, Clone, PartialEq)]
pub struct BlogPost {
    pub id: i64,
    pub title: String,
    #[many_to_many(
        through = "post_labels",
        source = "post",
        target = "label",
        related_name = "+"
    )]
    pub labels: ManyToMany<Tag>,
    pub topics: ManyToMany<Tag>,
}

/// A fresh in-memory database set up by the library, with every table.
pub fn db() -> Connection {
    crate::fixture::sqlite()
}

/// Creates every table of the models.
pub fn create_all(conn: &impl Db) {
    Tag::create_table(conn).unwrap();
    Article::create_table(conn).unwrap();
    User::create_table(conn).unwrap();
    Language::create_table(conn).unwrap();
    Country::create_table(conn).unwrap();
    File::create_table(conn).unwrap();
    BlogPost::create_table(conn).unwrap();
}

pub fn new_tag(name: &str) -> Tag {
    Tag {
        id: 0,
        name: name.to_owned(),
    }
}

pub fn new_article(title: &str) -> Article {
    Article {
        id: 0,
        title: title.to_owned(),
        body: None,
        tags: ManyToMany::default(),
        featured_tags: ManyToMany::default(),
    }
}

pub fn new_user(name: &str) -> User {
    User {
        id: 0,
        name: name.to_owned(),
        friends: ManyToMany::default(),
        following: ManyToMany::default(),
    }
}

/// Inserts a tag and returns it with its key.
pub fn tag(conn: &impl Db, name: &str) -> Tag {
    let mut t = new_tag(name);
    t.insert(conn).unwrap();
    assert_ne!(t.id, 0);
    t
}

/// Inserts tags named `names`, in order.
pub fn tags(conn: &impl Db, names: &[&str]) -> Vec<Tag> {
    names.iter().map(|n| tag(conn, n)).collect()
}

/// Inserts an article and returns it with its key.
pub fn article(conn: &impl Db, title: &str) -> Article {
    let mut a = new_article(title);
    a.insert(conn).unwrap();
    assert_ne!(a.id, 0);
    a
}

/// Inserts a user and returns it with its key.
pub fn user(conn: &impl Db, name: &str) -> User {
    let mut u = new_user(name);
    u.insert(conn).unwrap();
    assert_ne!(u.id, 0);
    u
}

pub fn language(conn: &impl Db, code: &str, name: &str) -> Language {
    let mut l = Language {
        name: name.to_owned(),
        code: code.to_owned(),
    };
    l.insert(conn).unwrap();
    assert_eq!(l.code, code, "a String key is inserted as given");
    l
}

pub fn country(conn: &impl Db, code: &str, name: &str) -> Country {
    let mut c = Country {
        code: code.to_owned(),
        name: name.to_owned(),
        languages: ManyToMany::default(),
    };
    c.insert(conn).unwrap();
    c
}

/// The raw values of integer keys, in the order given.
pub fn ids<T: Model<Pk = i64>>(keys: &[Key<T>]) -> Vec<i64> {
    keys.iter().map(|k| *k.get()).collect()
}

/// The keys of integer-keyed rows, in the order given.
pub fn row_ids<T: Model<Pk = i64>>(rows: &[T]) -> Vec<i64> {
    rows.iter().map(|r| *r.pk()).collect()
}

/// Number of rows in a table (or junction table), counted with plain SQL.
pub fn rows_in(conn: &impl TestDb, table: &str) -> i64 {
    conn.rows_in(table)
}

/// Asserts that `r` is `Error::Unsaved`.
#[track_caller]
pub fn assert_unsaved<T: std::fmt::Debug>(r: m2m::Result<T>) {
    match r {
        Err(Error::Unsaved { .. }) => {}
        other => panic!("expected Error::Unsaved, got {other:?}"),
    }
}

/// Asserts that `r` is `Error::Unsaved` about `model`, and says so.
#[track_caller]
pub fn assert_unsaved_model<T: std::fmt::Debug>(r: m2m::Result<T>, model: &str) {
    match r {
        Err(e @ Error::Unsaved { .. }) => {
            let msg = e.to_string();
            let Error::Unsaved { model: m, .. } = e else {
                unreachable!()
            };
            assert_eq!(m, model, "model named by Unsaved");
            assert!(msg.contains(model), "message {msg:?} should name {model}");
        }
        other => panic!("expected Error::Unsaved for {model}, got {other:?}"),
    }
}

/// Asserts that `r` is `Error::MissingTarget` for `relation` and `key`
/// (rendered as SQL shows it), and that its message names both.
#[track_caller]
pub fn assert_missing_target<T: std::fmt::Debug>(r: m2m::Result<T>, relation: &str, key: &str) {
    match r {
        Err(e @ Error::MissingTarget { .. }) => {
            let msg = e.to_string();
            let Error::MissingTarget {
                relation: rel,
                key: k,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!(rel, relation, "relation named by MissingTarget");
            assert_eq!(k, key, "key named by MissingTarget");
            assert!(
                msg.contains(relation),
                "message {msg:?} should name {relation}"
            );
            assert!(msg.contains(key), "message {msg:?} should name {key}");
        }
        other => panic!("expected Error::MissingTarget for {relation} key {key}, got {other:?}"),
    }
}

/// Records every insert into and delete from a junction table in the
/// table `log`, to prove which rows a call touched.
pub fn log_junction(conn: &impl TestDb, junction: &str, source: &str, target: &str) {
    conn.log_junction(junction, source, target);
}

/// The logged junction writes (op, target) in order, then clears the log.
pub fn take_log(conn: &impl TestDb) -> Vec<(String, i64)> {
    conn.take_log()
}

/// A connection of some backend to a database without tables.
pub trait Empty: Sized {
    fn empty() -> Self;
}

impl Empty for m2m::rusqlite::Connection {
    fn empty() -> Self {
        crate::backend::sqlite()
    }
}

impl Empty for m2m::pg::PgConnection {
    fn empty() -> Self {
        crate::backend::postgres()
    }
}

/// A database without tables on the backend of `db` (pass the `db` of
/// `dual!` itself, uncalled): `let conn = empty(db);`.
pub fn empty<C: Empty>(_db: fn() -> C) -> C {
    C::empty()
}
