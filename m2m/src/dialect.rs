//! The interface each SQL dialect implements ([`Statements`]): every
//! statement and query fragment the calls need, built from the static
//! descriptions. SQLite's is `sqlite::Sqlite`; the calls reach it through
//! their session (`db::Session::sql`), never by name.

use rusqlite::types::{ToSql, Value};

use crate::def::{RelationDef, TableDef};
use crate::error::DbResult;
use crate::value::SqlValue;

/// The SQL of one dialect: every statement the calls run through a
/// session, built from the static descriptions (and cached in them).
/// SQLite's is `crate::sqlite::Sqlite`; a second dialect implements this.
pub(crate) trait Statements: Sync {
    /// `INSERT INTO t (cols but key, key) VALUES (...)`: the key is bound last so
    /// the derive's column binder serves insert, update and upsert alike.
    fn insert<'a>(&self, t: &'a TableDef, with_key: bool) -> &'a str;
    /// `UPDATE t SET a = ?, ... WHERE key = ?`; `None` when there is nothing to set.
    fn update<'a>(&self, t: &'a TableDef) -> Option<&'a str>;
    /// Insert, or update in place on a key conflict. Never `INSERT OR REPLACE`:
    /// that deletes the old row first, and the junctions would cascade.
    fn upsert<'a>(&self, t: &'a TableDef) -> &'a str;
    /// Inserts the row's columns (key excepted) with the smallest key from 1 to
    /// `max` that no row has; inserts nothing when every one is taken.
    fn insert_in_gap<'a>(&self, t: &'a TableDef, max: i64) -> &'a str;
    /// `insert`, inserting nothing when another row holds the row's value of
    /// column `column` (an index into `t`'s columns, a unique one or the
    /// key): `INSERT ... ON CONFLICT (column) DO NOTHING`. A conflict on
    /// any other constraint is still an error.
    fn insert_unless<'a>(&self, t: &'a TableDef, with_key: bool, column: usize) -> &'a str;
    /// The row whose column `column` (an index into `t`'s columns) is ?1,
    /// its columns in order.
    fn get_by<'a>(&self, t: &'a TableDef, column: usize) -> &'a str;
    /// Deletes the row with this rowid.
    fn delete_rowid<'a>(&self, t: &'a TableDef) -> &'a str;
    /// Deletes the row with key ?1.
    fn delete<'a>(&self, t: &'a TableDef) -> &'a str;
    /// The row with key ?1, its columns in order.
    fn get<'a>(&self, t: &'a TableDef) -> &'a str;
    /// `SELECT EXISTS(row with key ?1)` on a table.
    fn row_exists<'a>(&self, t: &'a TableDef) -> &'a str;
    /// Links the owner ?1 to every key of the JSON array ?2, skipping pairs
    /// that exist (only those: `OR IGNORE` would also hide a violation of
    /// another constraint of a through model). With a through model, its other columns are ?3, ?4, ... in
    /// column order.
    fn add<'a>(&self, r: &'a RelationDef, returning: bool, blobs: bool) -> &'a str;
    /// Links owner ?1 to the one target ?2 with pivot columns ?3, ... (skipping
    /// an existing pair): `add_with`'s statement, without `json_each`.
    ///
    /// With `checked` (inside a caller's transaction, where foreign keys may be
    /// deferred to its `COMMIT`), the statement finds both rows itself, so a
    /// missing one inserts nothing; it costs two index look-ups, about 5% of the
    /// call, so a call outside a transaction (where SQLite checks the foreign
    /// keys at the statement's end whatever the pragma says) goes without.
    fn insert_one<'a>(&self, r: &'a RelationDef, p: &TableDef, checked: bool) -> &'a str;
    /// The through row of (owner ?1, target ?2).
    fn pivot_get<'a>(&self, r: &'a RelationDef, p: &TableDef) -> &'a str;
    /// [`pivot_get`](Self::pivot_get) for a read-modify-write
    /// (`update_pivot`), locking the row until the unit ends (PostgreSQL:
    /// `FOR NO KEY UPDATE`); SQLite's unit holds the write lock already.
    fn pivot_get_for_update<'a>(&self, r: &'a RelationDef, p: &TableDef) -> &'a str {
        self.pivot_get(r, p)
    }
    /// Writes the pivot columns (?3, ...) of (owner ?1, target ?2); `None`
    /// when the through model has no column besides its keys.
    fn pivot_update<'a>(&self, r: &'a RelationDef, p: &TableDef) -> Option<&'a str>;
    /// `(target columns..., through columns...)` of owner ?1, in target key order.
    fn fetch_with_pivot<'a>(&self, r: &'a RelationDef, p: &TableDef) -> &'a str;
    /// `(target key, through columns...)` of owner ?1 for the targets in ?2.
    fn pivots_of<'a>(&self, r: &'a RelationDef, p: &TableDef, blobs: bool) -> &'a str;
    /// Like `prefetch`, with the through row's columns after the target's.
    fn prefetch_with_pivot<'a>(&self, r: &'a RelationDef, p: &TableDef, blobs: bool) -> &'a str;
    /// Unlinks owner ?1 from the one target ?2 (a single-row delete).
    fn remove_one<'a>(&self, r: &'a RelationDef) -> &'a str;
    /// Deletes the owner's links to the targets in ?2 in one statement
    /// (`returning` their keys); `None` where deleting key by key is faster
    /// (SQLite: see `Related::unlink`).
    fn remove_many<'a>(&self, r: &'a RelationDef, returning: bool) -> Option<&'a str>;
    /// Deletes the owner's links whose target is not in ?2 (the first half of `set`).
    fn remove_others<'a>(&self, r: &'a RelationDef, blobs: bool) -> &'a str;
    /// Deletes every link of owner ?1.
    fn clear<'a>(&self, r: &'a RelationDef) -> &'a str;
    /// The target keys of owner ?1, from the junction alone, in key order.
    fn keys<'a>(&self, r: &'a RelationDef) -> &'a str;
    /// The number of links of owner ?1, from the junction alone.
    fn count<'a>(&self, r: &'a RelationDef) -> &'a str;
    /// Whether owner ?1 has a link, from the junction alone.
    fn exists<'a>(&self, r: &'a RelationDef) -> &'a str;
    /// Whether owner ?1 is linked to target ?2, from the junction alone.
    fn contains<'a>(&self, r: &'a RelationDef) -> &'a str;
    /// The owner's targets, in target key order.
    fn fetch<'a>(&self, r: &'a RelationDef, one: bool) -> &'a str;
    /// `(owner key, target columns...)` for every owner key in the JSON array ?1.
    ///
    /// One statement whatever the number of owners: the keys are one parameter,
    /// and the junction is walked from each key (the CROSS JOINs fix that order).
    fn prefetch<'a>(&self, r: &'a RelationDef, blobs: bool) -> &'a str;
    /// The first key of ?2 with no target row (after a foreign-key failure).
    fn missing_target<'a>(&self, r: &'a RelationDef, blobs: bool) -> &'a str;
    /// `SELECT EXISTS(any row)` of a table.
    fn has_rows(&self, table: &str) -> String {
        format!("SELECT EXISTS(SELECT 1 FROM {})", ident(table))
    }
    /// `values` (checked: no NaN) as the one parameter the list-reading
    /// statements take; `column` names them in an error.
    fn list(&self, column: &'static str, values: &[&dyn SqlValue]) -> DbResult<List>;

    // Typed queries: conditions are written when the query runs, each
    // pushing its parameters (in order) as it writes them.

    /// `"table"."column"`.
    fn column(&self, table: &str, column: &str) -> String {
        qualified(table, column)
    }
    /// `column <op> <value>`; `op` is one of `=`, `<>`, `<`, `<=`, `>`,
    /// `>=`, `LIKE` (ASCII case-insensitive, as SQLite's).
    fn compare(&self, column: &str, op: &str, value: &Value, p: &mut Vec<Param>) -> String;
    /// `column IS NULL` / `column IS NOT NULL`.
    fn is_null(&self, column: &str, null: bool) -> String {
        if null {
            format!("{column} IS NULL")
        } else {
            format!("{column} IS NOT NULL")
        }
    }
    /// `column IN (values)`, the values one list parameter.
    fn in_list(&self, column: &str, values: &[Value], p: &mut Vec<Param>) -> String;
    /// A condition no row meets.
    fn nothing(&self) -> String;
    /// `(a) AND (b)` / `(a) OR (b)`.
    fn join(&self, a: &str, and: bool, b: &str) -> String {
        let op = if and { "AND" } else { "OR" };
        format!("({a}) {op} ({b})")
    }
    /// `NOT (a)`.
    fn not(&self, a: &str) -> String {
        format!("NOT ({a})")
    }
    /// `column ASC` / `column DESC`.
    fn order(&self, column: &str, ascending: bool) -> String;
    /// The rows of `t` whose key is (not) among the owners `sub` selects.
    fn key_in(&self, t: &TableDef, negate: bool, sub: &str) -> String {
        let not = if negate { "NOT " } else { "" };
        format!("{} {not}IN ({sub})", pk_qualified(t))
    }
    /// The target keys of owner `owner` (a relation query's scope).
    fn scope(&self, r: &RelationDef, owner: &Value, p: &mut Vec<Param>) -> String;
    /// The owners linked to a target meeting `cond`.
    fn owners_where(&self, r: &RelationDef, cond: &Cond<'_>, p: &mut Vec<Param>) -> String;
    /// The owners linked to any (or, with `all`, every one) of `keys`.
    fn owners_linked(
        &self,
        r: &RelationDef,
        keys: &[Value],
        all: bool,
        p: &mut Vec<Param>,
    ) -> String;
    /// The target keys of `owner` whose through row meets `cond`.
    fn pivot_scope(
        &self,
        r: &RelationDef,
        cond: &Cond<'_>,
        owner: &Value,
        p: &mut Vec<Param>,
    ) -> String;
    /// A correlated count of the owner row's links, for a select list.
    fn count_column<'a>(&self, r: &'a RelationDef) -> &'a str;
    /// The columns of `t`, in order, for a select list.
    fn select_list<'a>(&self, t: &'a TableDef) -> &'a str;
    /// `SELECT what FROM t WHERE (c1) AND ... ORDER BY ..., key LIMIT .. OFFSET ..`
    /// (ordered by the terms, then the key, when `order` is given).
    fn select(
        &self,
        t: &TableDef,
        what: &str,
        conditions: &[String],
        order: Option<&[String]>,
        limit: Option<u64>,
        offset: Option<u64>,
    ) -> String;
    /// The number of rows `select` yields.
    fn count_of(&self, select: &str) -> String;
    /// Whether `select` yields a row.
    fn exists_of(&self, select: &str) -> String {
        format!("SELECT EXISTS({select})")
    }
}

// ----- spelling both dialects share ---------------------------------------

/// `name` as a quoted SQL identifier. Names are checked to be plain
/// identifiers at compile time; quoting keeps keywords (`order`) usable.
pub(crate) fn ident(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    s.push('"');
    s.push_str(&name.replace('"', "\"\""));
    s.push('"');
    s
}

/// `"table"."column"`.
pub(crate) fn qualified(table: &str, column: &str) -> String {
    format!("{}.{}", ident(table), ident(column))
}

/// The key column of a table, qualified.
pub(crate) fn pk_qualified(t: &TableDef) -> String {
    qualified(t.name, t.pk_column().name)
}

/// A relation's junction and its two key columns, quoted. A symmetrical
/// relation stores each pair once, smaller key in `s`, so both sides read
/// and write the same row.
pub(crate) struct Names {
    pub(crate) j: String,
    pub(crate) s: String,
    pub(crate) t: String,
}

pub(crate) fn names(r: &RelationDef) -> Names {
    Names {
        j: ident(r.junction_table()),
        s: ident(r.source),
        t: ident(r.target),
    }
}

/// A condition written into a statement, pushing its parameters.
pub(crate) type Cond<'a> = dyn Fn(&mut Vec<Param>) -> String + 'a;

/// A parameter of a typed query: a value, or a list of them (one
/// parameter).
pub(crate) enum Param {
    Value(Value),
    /// PostgreSQL's array parameter (SQLite writes a list as JSON text).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    List(List),
}

impl std::fmt::Debug for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Param::Value(v) => v.fmt(f),
            Param::List(l) => write!(f, "List({})", l.json),
        }
    }
}

impl Param {
    /// The parameter, to be bound.
    pub(crate) fn as_sql(&self) -> &dyn SqlValue {
        match self {
            Param::Value(v) => v,
            Param::List(l) => l,
        }
    }
}

/// An encoded list, bound as its JSON text; `blobs` picks the statement
/// form that decodes them ([`list_rows`]).
///
/// On PostgreSQL the list is its values, bound as one array.
pub(crate) struct List {
    pub(crate) json: String,
    pub(crate) blobs: bool,
    #[cfg(feature = "postgres")]
    pub(crate) pg: Vec<crate::pg::value::PgParam<'static>>,
}

impl SqlValue for List {
    fn sqlite(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        self.json.to_sql()
    }
    #[cfg(feature = "postgres")]
    fn pg(&self) -> rusqlite::Result<crate::pg::value::PgParam<'_>> {
        Ok(crate::pg::value::PgParam::Array(
            self.pg
                .iter()
                .map(crate::pg::value::PgParam::borrowed)
                .collect(),
        ))
    }
    #[cfg(feature = "postgres")]
    fn pg_owned(&self) -> rusqlite::Result<crate::pg::value::PgParam<'static>> {
        Err(rusqlite::Error::ToSqlConversionFailure(
            "a list inside a list".into(),
        ))
    }
}

/// The statements of one atomic unit, in a dialect.
pub(crate) struct Unit {
    pub(crate) begin: &'static str,
    pub(crate) commit: &'static str,
    pub(crate) rollback: &'static str,
}
