//! # m2m
//!
//! Many-to-many relations for plain Rust structs on SQLite and PostgreSQL,
//! checked at compile time. Write `#[derive(Model)]` on your structs, mark a
//! `ManyToMany<T>` field, and get typed accessors from both sides, run by
//! this crate over [`rusqlite`] (the default) or, with the feature
//! `postgres`, over rust-postgres (`m2m::pg`): the same model code and the
//! same calls on both.
//!
//! ```
//! use m2m::{ManyToMany, Model};
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! struct Tag {
//!     id: i64,
//!     #[model(unique)]
//!     name: String,
//! }
//!
//! #[derive(Model, Debug, Clone)]
//! #[model(table = "articles")]
//! struct Article {
//!     id: i64,
//!     title: String,
//!     #[many_to_many(related_name = "articles")]
//!     tags: ManyToMany<Tag>,
//! }
//!
//! # fn main() -> m2m::Result<()> {
//! let conn = m2m::open_in_memory()?;
//! Tag::create_table(&conn)?;
//! Article::create_table(&conn)?;
//!
//! let mut rust = Tag { id: 0, name: "rust".into() };
//! let mut sql = Tag { id: 0, name: "sql".into() };
//! rust.insert(&conn)?;
//! sql.insert(&conn)?;
//! let mut post = Article { id: 0, title: "Hello".into(), tags: ManyToMany::default() };
//! post.insert(&conn)?;
//!
//! assert_eq!(post.tags().add(&conn, [&rust, &sql])?, 2);
//! assert_eq!(post.tags().add(&conn, [&rust])?, 0); // already linked
//! assert_eq!(rust.articles().fetch_all(&conn)?[0].title, "Hello");
//!
//! let report = post.tags().set(&conn, [&sql])?; // a diff
//! assert_eq!(report.removed, vec![rust.key()]);
//! assert!(post.tags().contains(&conn, &sql)?);
//! # Ok(())
//! # }
//! ```
//!
//! ## What the derive generates
//!
//! For the `Article` above, `#[derive(Model)]` emits data and thin wrappers
//! only; every SQL statement is written by this crate:
//!
//! | item | what it is |
//! |---|---|
//! | `impl Model for Article` | table description ([`Model::TABLE`]), key access, row mapping; gives [`insert`](Model::insert), [`update`](Model::update), [`save`](Model::save), [`delete`](Model::delete), [`get`](Model::get), [`get_or_insert`](Model::get_or_insert), [`query`](Model::query), [`create_table`](Model::create_table), [`schema_sql`](Model::schema_sql), [`key`](Model::key) |
//! | `struct ArticleColumns` | one typed [`Column`] per column, handed to [`Query::filter`] and [`Query::order_by`] closures |
//! | `article.tags()` | the accessor, a [`Related`]`<Article, Tag>` |
//! | `Article::TAGS` | the descriptor, a [`Relation`]`<Article, Tag>`; `Article::TAGS.of_key(id)` gives the accessor without loading the article |
//! | `tag.articles()`, `Tag::ARTICLES` | the reverse accessor and descriptor, named by `related_name` (the target must be in the same crate) |
//! | `impl IntoKey<Article> for i64` (and `&i64`) | lets a raw key stand for a row: `Article::get(&conn, 3)`, `tags().add(&conn, [1, 2])`, `tags().add(&conn, &ids)` |
//!
//! The forward accessor and descriptor take the relation field's
//! visibility; the reverse ones take the owner struct's (`Article`'s), since
//! whoever can name an `Article` may ask a tag for its articles, even when
//! the `tags` field itself is private.
//!
//! ## Connections
//!
//! Every call that touches the database takes `&C` where `C:` [`Db`]:
//! rusqlite's `Connection`, `Transaction` or `Savepoint`, so `&conn` and
//! `&tx` work as they are, and code generic over `C: Db` runs on any of them
//! (a pooled connection derefs to a `Connection`: pass `&*pooled`). A call
//! that writes several statements runs them as one unit: a transaction of
//! its own, or a savepoint inside yours.
//!
//! With the feature `postgres`, `m2m::pg::connect(params)` (or
//! `PgConnection::new(client)`) is a connection too, and its transactions
//! (`conn.transaction()`, a guard that commits on `commit()` and rolls
//! back on drop; `tx.savepoint()` nests) are as well: the calls, their
//! results and their errors are the same there (see the `pg` module for what
//! differs underneath, and why).
//!
//! ## Accessor calls
//!
//! Targets are anything that iterates into something naming a `T` ([`IntoKey`]):
//! `[&a, &b]`, `&tags` (of `Tag`s or `&Tag`s), `vec![Key::new(3)]`, `[1, 2]`,
//! `&ids` (a `Vec<i64>`), `&["rust", "sql"]` for a `String` key. A row of
//! another model does not compile. See [`Related`] for every call: `add`, `remove`, `set`,
//! `clear`, `sync` ([`SyncMode`]), `toggle`, `create`, `connect_or_create`,
//! `fetch_all`, `fetch_one`, `count`, `exists`, `contains`, `keys`,
//! `filter`, `query`.
//!
//! ## Seed data
//!
//! A seed script can run twice: [`Model::get_or_insert`] finds a row by a
//! `#[model(unique)]` column (or the key) or inserts it, and
//! [`Related::connect_or_create`] links a target found that way, inserting
//! it first when there is none. Both are atomic and race-free: concurrent
//! writers with the same value insert one row, and none of them fails.
//!
//! ```
//! # use m2m::{ManyToMany, Model};
//! # #[derive(Model, Debug, Clone, PartialEq)]
//! # struct Tag { id: i64, #[model(unique)] name: String }
//! # #[derive(Model, Debug, Clone)]
//! # #[model(table = "articles")]
//! # struct Article { id: i64, title: String, #[many_to_many(related_name = "articles")] tags: ManyToMany<Tag> }
//! # fn main() -> m2m::Result<()> {
//! # let conn = m2m::open_in_memory()?;
//! # Tag::create_table(&conn)?;
//! # Article::create_table(&conn)?;
//! # let mut post = Article { id: 0, title: "Hello".into(), tags: ManyToMany::default() };
//! # post.insert(&conn)?;
//! let mut rust = Tag { id: 0, name: "rust".into() };
//! assert!(rust.get_or_insert(&conn, |c| c.name)?); // inserted
//! let mut again = Tag { id: 0, name: "rust".into() };
//! assert!(!again.get_or_insert(&conn, |c| c.name)?); // found
//! assert_eq!(again.id, rust.id);
//!
//! for _ in 0..2 {
//!     let sql = post.tags().connect_or_create(&conn, Tag { id: 0, name: "sql".into() }, |c| c.name)?;
//!     assert!(post.tags().contains(&conn, &sql)?);
//! }
//! assert_eq!(post.tags().count(&conn)?, 1);
//! # Ok(())
//! # }
//! ```
//!
//! # Attributes
//!
//! ## Container: `#[model(...)]` on the struct
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `table = "name"` | the table's name | snake_case of the struct's name (`BlogPost` → `blog_post`) |
//!
//! ## Fields: `#[model(...)]` on a column
//!
//! | key | meaning |
//! |---|---|
//! | `primary_key` | this field is the key (otherwise the field named `id` is) |
//! | `column = "name"` | the column's name (default: the field's name, `r#` removed) |
//! | `unique` | a `UNIQUE` column |
//! | `index` | an index on the column |
//! | `skip` | not stored; `Default::default()` when loaded |
//!
//! Every field whose type implements [`SqlType`] and rusqlite's
//! `ToSql + FromSql` is a column; `Option<T>` makes it nullable. The column's
//! declared SQL type is `SqlType::SQLITE`:
//!
//! | Rust type | declared | feature |
//! |---|---|---|
//! | `i8` to `i64`, `u8` to `u32`, `isize`, `bool` | `INTEGER` | |
//! | `f32`, `f64` | `REAL` | |
//! | `String` | `TEXT` | |
//! | `Vec<u8>`, `[u8; N]` | `BLOB` | |
//! | `rusqlite::types::Value` | none (any value) | |
//! | `chrono::{NaiveDate, NaiveTime, NaiveDateTime}`, `chrono::DateTime<Utc>`, `DateTime<FixedOffset>`, `DateTime<Local>` | `TEXT` | `chrono` |
//! | `time::{Date, Time, PrimitiveDateTime, OffsetDateTime, UtcDateTime}` | `TEXT` | `time` |
//! | `uuid::Uuid` | `BLOB` (16 bytes) | `uuid` |
//! | `serde_json::Value` | `TEXT` | `serde_json` |
//!
//! A type of your own implements `SqlType` to declare one. Any
//! other field type (a list, a relation wrapped in `Option`) is a compile
//! error at the field, saying what to write. An integer key is SQLite's
//! rowid: `0` means "not saved yet" and `insert` assigns it. Other key types
//! (`String`, `Vec<u8>`, `uuid::Uuid`, or your own type with
//! `impl PrimaryKey`) are inserted as given; a nil uuid counts as "not saved"
//! and is refused (see [`PrimaryKey`]).
//!
//! ```
//! use m2m::Model;
//!
//! #[derive(Model)]
//! #[model(table = "countries")]
//! struct Country {
//!     #[model(primary_key)]
//!     code: String,
//!     #[model(column = "display_name", index)]
//!     name: String,
//!     population: Option<i64>,
//!     #[model(skip)]
//!     cached_label: String,
//! }
//!
//! # fn main() -> m2m::Result<()> {
//! let conn = m2m::open_in_memory()?;
//! Country::create_table(&conn)?;
//! let mut fr = Country { code: "FR".into(), name: "France".into(), population: None, cached_label: String::new() };
//! fr.insert(&conn)?;
//! assert_eq!(Country::get(&conn, "FR")?.map(|c| c.name), Some("France".to_string()));
//! # Ok(())
//! # }
//! ```
//!
//! ## Relations: `#[many_to_many(...)]` on a `ManyToMany<T>` field
//!
//! A `ManyToMany<T>` field is a relation (the attribute is only needed to
//! change a default). It is not a column: it is a slot that holds eager-loaded
//! targets ([`ManyToMany::get`]) and is empty after a plain load.
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `through = "table"` | the junction table | `{owner_table}_{field}` |
//! | `related_name = "name"` | the reverse accessor on `T`; `"+"` for none | `{owner_snake}_set` |
//! | `symmetrical` | a self relation seen the same from both sides | off |
//! | `source = "col"`, `target = "col"` | the junction's columns | `{owner_snake}_id`, `{target_snake}_id`; `from_{snake}_id`, `to_{snake}_id` for a self relation |
//!
//! `{owner_snake}` is the snake_case of the struct's name, whatever its
//! table is called. Without `related_name` the reverse accessor is
//! `{owner_snake}_set` (`tag.article_set()`); a call to `tag.articles()`
//! then fails with rustc suggesting `article_set`. Name the reverse of a
//! self relation: for `p.followers()` on a relation `following` declared
//! without `related_name`, rustc suggests the similarly spelled forward
//! accessor `following`, which reads the other direction. The junction has both columns `NOT NULL` with foreign
//! keys `ON DELETE CASCADE` to both sides, the pair as primary key (no
//! duplicate links; the table is `WITHOUT ROWID`, clustered on the pair) and
//! an index on the second column. Two relations never share a junction
//! unless you name the same `through` for both on different models, which
//! you should not. Names are compared as SQLite does, ignoring ASCII case:
//! `through = "Tag"` is the table `tag`, and is refused at compile time
//! when `tag` is the target's table.
//!
//! ```
//! use m2m::{ManyToMany, Model};
//!
//! #[derive(Model)]
//! struct User {
//!     id: i64,
//!     name: String,
//!     // friends: mutual; stored once per pair
//!     #[many_to_many(symmetrical)]
//!     friends: ManyToMany<Self>,
//!     // following / followers: directional
//!     #[many_to_many(related_name = "followers", through = "follows")]
//!     following: ManyToMany<User>,
//! }
//!
//! # fn main() -> m2m::Result<()> {
//! let conn = m2m::open_in_memory()?;
//! User::create_table(&conn)?;
//! let mut a = User { id: 0, name: "a".into(), friends: ManyToMany::default(), following: ManyToMany::default() };
//! let mut b = User { id: 0, name: "b".into(), friends: ManyToMany::default(), following: ManyToMany::default() };
//! a.insert(&conn)?;
//! b.insert(&conn)?;
//! a.friends().add(&conn, [&b])?;
//! assert!(b.friends().contains(&conn, &a)?); // mutual
//! a.following().add(&conn, [&b])?;
//! assert_eq!(b.followers().keys(&conn)?, vec![a.key()]);
//! assert_eq!(a.followers().count(&conn)?, 0); // directional
//! # Ok(())
//! # }
//! ```
//!
//! ## Pivot data: `through_model`
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `through_model = Path` | a model used as the junction, carrying pivot columns | none |
//! | `source = "field"`, `target = "field"` | the through model's fields holding the owner's and the target's keys | `{owner_snake}_id`, `{target_snake}_id` (`from_…`/`to_…` for a self relation) |
//!
//! The through model is an ordinary model (queries, CRUD) with an integer
//! key SQLite assigns. The owner's `create_table` creates its table with
//! foreign keys to both sides (`ON DELETE CASCADE`) and a unique index on the
//! pair; a through table made first by the through model's own
//! `create_table` is rebuilt with them while empty. The relation's
//! descriptor is `Relation<Student, Course, Enrollment>` and its accessor
//! gains the pivot calls ([`Related::add_with`], [`Related::pivot`],
//! [`Related::update_pivot`], [`Related::fetch_with_pivot`],
//! [`Related::filter_pivot`], [`Related::sync_with`],
//! [`Relation::prefetch_with_pivot`]); on a plain relation they do not
//! compile. `add`, `set`, `sync`, `toggle` and `create` work too, giving new
//! links the through model's `Default` data (so they need `P: Default`), and
//! keep the rows of kept links untouched. A symmetrical relation with a
//! through model keeps one row, and so one pivot, per pair.
//!
//! ```
//! use m2m::{ManyToMany, Model, SyncMode};
//!
//! #[derive(Model, Debug, Clone, PartialEq, Default)]
//! struct Membership { id: i64, person_id: i64, club_id: i64, role: String }
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! struct Club { id: i64, name: String }
//!
//! #[derive(Model, Debug)]
//! struct Person {
//!     id: i64,
//!     #[many_to_many(through_model = Membership, related_name = "members")]
//!     clubs: ManyToMany<Club>,
//! }
//!
//! # fn main() -> m2m::Result<()> {
//! let conn = m2m::open_in_memory()?;
//! Club::create_table(&conn)?;
//! Person::create_table(&conn)?;
//! let mut chess = Club { id: 0, name: "chess".into() };
//! chess.insert(&conn)?;
//! let mut kim = Person { id: 0, clubs: ManyToMany::default() };
//! kim.insert(&conn)?;
//!
//! kim.clubs().add_with(&conn, &chess, Membership { role: "captain".into(), ..Default::default() })?;
//! let m = chess.members().pivot(&conn, &kim)?.expect("linked");
//! assert_eq!((m.person_id, m.club_id, m.role.as_str()), (kim.id, chess.id, "captain"));
//! let report = kim.clubs().sync_with(&conn, [(&chess, Membership { role: "member".into(), ..Default::default() })], SyncMode::Add)?;
//! assert_eq!(report.updated, vec![chess.key()]);
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! Only `derive` is on by default; each other feature pulls in its crate
//! only when asked.
//!
//! | feature | gives |
//! |---|---|
//! | `derive` (default) | `#[derive(Model)]`, re-exported |
//! | `chrono`, `time`, `uuid`, `serde_json` | the column types above; each turns on rusqlite's feature of the same name, so enable m2m's, not rusqlite's. `uuid` also makes `Uuid` a key, on every side of every relation |
//! | `serde` | `Serialize` and `Deserialize` for [`Key`] and [`ManyToMany`], `Serialize` for [`SyncReport`]; with `uuid`, turns on uuid's `serde` so uuid keys serialize |
//! | `trace` | `StatementLog`: count the statements a piece of code runs |
//!
//! With `serde`, what an API returns reads as plain data:
//!
//! - a [`Key<T>`](Key) is its raw value (`3`, `"FR"`), in both directions;
//! - a [`SyncReport`] is `{"added": [..], "removed": [..], "updated": [..]}`
//!   of raw keys (serialized only: it reports a call);
//! - a [`ManyToMany<T>`](ManyToMany) is its loaded list, and `null` when
//!   not loaded, since an empty list would claim there are no links. Write
//!   `#[serde(skip_serializing_if = "ManyToMany::is_not_loaded")]` to leave
//!   it out instead. A list deserializes to a loaded slot; `null` or an
//!   absent field (best marked `#[serde(default)]`) to an unloaded one.
//!
//! ```
//! # #[cfg(feature = "serde")]
//! # fn main() -> m2m::Result<()> {
//! use m2m::{ManyToMany, Model};
//! use serde::Serialize;
//!
//! #[derive(Model, Serialize)]
//! struct Tag { id: i64, name: String }
//!
//! #[derive(Model, Serialize)]
//! struct Article {
//!     id: i64,
//!     title: String,
//!     #[serde(skip_serializing_if = "ManyToMany::is_not_loaded")]
//!     tags: ManyToMany<Tag>,
//! }
//!
//! let conn = m2m::open_in_memory()?;
//! Tag::create_table(&conn)?;
//! Article::create_table(&conn)?;
//! let mut rust = Tag { id: 0, name: "rust".into() };
//! rust.insert(&conn)?;
//! let mut post = Article { id: 0, title: "Hello".into(), tags: ManyToMany::new() };
//! post.insert(&conn)?;
//! post.tags().add(&conn, [&rust])?;
//!
//! let loaded = Article::query().prefetch(Article::TAGS).fetch_all(&conn)?;
//! assert_eq!(
//!     serde_json::to_string(&loaded).unwrap(),
//!     r#"[{"id":1,"title":"Hello","tags":[{"id":1,"name":"rust"}]}]"#
//! );
//! let plain = Article::get(&conn, post.id)?; // tags not loaded: left out
//! assert_eq!(serde_json::to_string(&plain).unwrap(), r#"{"id":1,"title":"Hello"}"#);
//! let report = post.tags().toggle(&conn, [&rust])?;
//! assert_eq!(
//!     serde_json::to_string(&report).unwrap(),
//!     r#"{"added":[],"removed":[1],"updated":[]}"#
//! );
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "serde"))]
//! # fn main() {}
//! ```
//!
//! # Guarantees and decisions
//!
//! - **Atomic writes.** Each call is all or nothing. `add`, `clear` and
//!   `sync` in `Add` mode are one statement each; `remove` and `sync` in
//!   `Remove` mode (one prepared single-row delete per key: SQLite deletes a
//!   row found by its key in one pass, an `IN` list in two), `set`,
//!   `toggle`, `create`, `get_or_insert` and `connect_or_create` run
//!   several inside a transaction, or a savepoint when you already have a
//!   transaction open, so they nest in yours and a failure leaves your
//!   earlier work intact.
//! - **Get-or-create inserts first.** `get_or_insert` runs `INSERT ... ON
//!   CONFLICT (column) DO NOTHING` and reads the row by the column only
//!   when that skipped it: a concurrent writer with the same value waits
//!   for the lock, then finds the row, instead of failing on the unique
//!   constraint; and inside your transaction no read starts a snapshot that
//!   another writer could make stale before the insert. A found row is
//!   loaded into the value given; nothing of that value is written.
//! - **Checked inputs.** An unsaved owner or target (integer key `0`) is
//!   [`Error::Unsaved`] before anything is written. A target key with no row
//!   is [`Error::MissingTarget`] naming the relation and the key, and nothing
//!   of the call is kept; an owner key with no row is [`Error::MissingOwner`].
//!   Missing rows are detected by SQLite's foreign keys, which [`open`],
//!   [`open_in_memory`] and [`configure`] turn on. On a connection without
//!   them every write is refused with [`Error::ForeignKeysOff`] (there a link
//!   to a missing row would be written, and a deleted row's links kept for a
//!   new row to inherit). Inside a transaction that defers them
//!   (`PRAGMA defer_foreign_keys`), link writes check their keys first, so a
//!   missing one is an error at the call, not at your `COMMIT`.
//! - **Values are stored as given.** A NaN float, which SQLite would store
//!   as NULL, is refused with [`Error::InvalidValue`] naming the column
//!   (infinities round trip). `limit(u64::MAX)` means no limit,
//!   `offset(u64::MAX)` skips every row.
//! - **Schemas are checked.** `create_table` compares what exists with what
//!   the model needs and fails with [`Error::Schema`] naming the table and
//!   the difference; [`verify_schema`] lists the same for databases you
//!   migrate yourself. Two models never share a table: a table or junction
//!   another model made, or a through model another relation uses, is
//!   refused. Index names are `"table.column"`, which cannot collide.
//! - **Idempotence.** `add` leaves existing links as they are; `remove`
//!   ignores absent ones; repeated targets count once; an empty list changes
//!   nothing (and `set` with an empty list empties the relation, as asked).
//!   `get_or_insert` and `connect_or_create` are the repeatable forms of
//!   `insert` and `create`.
//! - **`set` is a diff.** Kept links are not touched; only the difference is
//!   written, and [`SyncReport`] lists it.
//! - **Deletes.** Deleting a row removes its links on every relation (the
//!   junctions cascade) and leaves the rows on the other side alone. `save`
//!   on a stored row updates it in place, so its links survive.
//! - **Integer keys are SQLite rowids** (`INTEGER PRIMARY KEY`, without
//!   `AUTOINCREMENT`, which would cost every insert a write): SQLite may give
//!   a new row the key of the deleted row with the largest key, so a `Key`
//!   kept across a delete can come to name a newer row. Relation calls check
//!   their owner and targets at the time of the call (`create` checks its
//!   owner before inserting for this reason).
//!   A key narrower than `i64` (`u8`, `i32`, ...) gets a `CHECK` of its
//!   range; when SQLite's next rowid would not fit, `insert` takes the
//!   smallest free key, and with none left fails with
//!   [`Error::KeysExhausted`], so no row ever holds a key its type cannot
//!   read.
//! - **Symmetrical relations** store each pair once, the smaller key first;
//!   both sides read and write that one row, and a self-link appears once.
//! - **Busy databases.** A connection from [`open`] waits up to
//!   [`BUSY_TIMEOUT`] for another writer; after that a call fails with an
//!   error for which [`Error::is_busy`] is true, having written nothing.
//! - **No SQL built from values.** Values are always bound parameters; lists
//!   of values travel as one JSON array parameter (blobs as hex inside it),
//!   so one call may name any number of targets or `in_` values, of any
//!   type, well past SQLite's parameter limit, with the same cached
//!   statement.
//!
//! # A map of the crate
//!
//! For a maintainer: where a thing lives, bottom to top.
//!
//! | module | holds |
//! |---|---|
//! | `def` | the static descriptions the derive emits ([`TableDef`], [`ColumnDef`], [`RelationDef`], [`Junction`]) and the statement cache they carry; imports nothing of the runtime |
//! | `types`, `value` | which Rust types are columns and keys ([`SqlType`], [`PrimaryKey`]); how values cross to a backend (rows read, values bound) |
//! | `error`, `catalog` | the one error type, backend errors before context; what a database reports of a table |
//! | `dialect` | `Statements`, the interface each dialect's SQL implements |
//! | `db` | the seam: [`Db`], and the session every call runs through (prepare, bind, rows, atomic units; its dialect's SQL) |
//! | `sqlite/` | the SQLite backend: connections ([`open`], [`configure`]), and every piece of SQLite's SQL: statements (`sql.rs`), DDL (`ddl.rs`), introspection (`introspect.rs`). A second backend is a sibling module and a variant of the session |
//! | `model`, `key`, `slot` | [`Model`] and the row calls, [`Key`] and [`IntoKey`], [`ManyToMany`] |
//! | `serialize` | the `serde` feature: `Serialize`/`Deserialize` for [`Key`], [`ManyToMany`], [`SyncReport`] |
//! | `relation`, `related`, `pivot`, `prefetch`, `query` | the typed API: descriptors ([`Relation`]), the accessor and its calls ([`Related`]), pivot calls, eager loading, typed queries |
//! | `verify` | schema checks ([`verify_schema`]) |
//! | `__private` | what generated code calls and names, nothing else |
//!
//! Modules import downwards, except within the typed API, whose types name
//! each other by nature: [`Model`] returns a [`Key`] and a [`Query`], and a
//! descriptor gives an accessor that gives a query that takes descriptors.
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate self as m2m;

mod catalog;
mod db;
mod ddl;
mod def;
mod dialect;
mod error;
mod key;
mod model;
#[cfg(feature = "postgres")]
pub mod pg;
mod pivot;
mod prefetch;
mod query;
mod related;
mod relation;
#[cfg(feature = "serde")]
mod serialize;
mod slot;
mod sqlite;
#[cfg(feature = "trace")]
mod trace;
mod types;
mod value;
mod verify;

pub use db::Db;
pub use def::{ColumnDef, Junction, RelationDef, TableDef};
pub use error::{Error, Result};
pub use key::{IntoKey, Key};
#[cfg(feature = "derive")]
pub use m2m_derive::Model;
pub use model::Model;
pub use prefetch::Prefetched;
pub use query::{Column, Expr, Order, Query, SlotRelation, SqlArg, WithCount};
pub use related::Related;
pub use relation::{Forward, Pivot, Relation, Reverse, SyncMode, SyncReport, Through};
pub use rusqlite;
pub use slot::ManyToMany;
pub use sqlite::{BUSY_TIMEOUT, configure, open, open_in_memory};
#[cfg(feature = "trace")]
pub use trace::{StatementLog, Traceable};
pub use types::{PrimaryKey, SqlType};
pub use verify::{Schema, SchemaProblem, schema_sql, verify_schema};

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
