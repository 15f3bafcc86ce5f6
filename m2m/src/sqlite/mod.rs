//! The SQLite backend: connections set up the way the library expects,
//! SQLite's answers to the calls' few questions (bind a value, is a
//! constraint violated, are foreign keys on), and, in its submodules, every
//! piece of SQL text m2m runs on SQLite: statements (`sql`), DDL (`ddl`) and
//! schema introspection (`introspect`).

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::config::DbConfig;

use rusqlite::types::{ToSql, Value, ValueRef};

use crate::{Error, Result};

pub(crate) mod ddl;
pub(crate) mod introspect;
pub(crate) mod sql;

pub(crate) use sql::Sqlite;

/// How long a connection set up here waits for another writer before a call
/// fails with a busy error ([`Error::is_busy`]).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens (or creates) a database file and [`configure`]s it.
///
/// ```
/// # fn main() -> m2m::Result<()> {
/// let dir = std::env::temp_dir().join(format!("m2m-doc-open-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let conn = m2m::open(dir.join("app.db"))?;
/// let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
/// assert_eq!(mode, "wal");
/// # drop(conn); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok(())
/// # }
/// ```
pub fn open(path: impl AsRef<Path>) -> Result<Connection> {
    let path = path.as_ref();
    let conn = Connection::open(path)
        .map_err(|e| Error::sqlite(format_args!("opening {}", path.display()), e))?;
    configure(&conn)?;
    Ok(conn)
}

/// Opens a private in-memory database and [`configure`]s it.
pub fn open_in_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()
        .map_err(|e| Error::sqlite("opening an in-memory database", e))?;
    configure(&conn)?;
    Ok(conn)
}

/// Sets up a connection you opened yourself:
///
/// - `foreign_keys = ON`: junction rows refer to both sides, deleting a row
///   removes its links, and a link to a missing row is refused;
/// - WAL journal and `synchronous = NORMAL` for files (readers do not block
///   the writer; a commit does not wait for the disk);
/// - a busy timeout of [`BUSY_TIMEOUT`];
/// - a prepared-statement cache of 256 statements;
/// - SQLite's query planner stability guarantee, so a cached statement keeps
///   its plan instead of being re-planned when a bound value changes.
pub fn configure(conn: &Connection) -> Result<()> {
    let run = || -> rusqlite::Result<()> {
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // An in-memory database answers "memory" and keeps its journal.
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(())
    };
    run().map_err(|e| Error::sqlite("configuring the connection", e))
}

/// True when the connection enforces foreign keys (SQLite answers from the
/// connection's flags: no statement runs).
pub(crate) fn foreign_keys_on(conn: &Connection) -> rusqlite::Result<bool> {
    conn.db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY)
}

/// Binds `v` as parameter `i`, refusing a NaN (SQLite would store NULL) with
/// an error naming `column`.
pub(crate) fn bind(
    stmt: &mut rusqlite::Statement<'_>,
    i: usize,
    column: &'static str,
    v: &dyn crate::value::SqlValue,
) -> rusqlite::Result<()> {
    let out = v.sqlite()?;
    check_value(column, value_ref(&out)?)?;
    stmt.raw_bind_parameter(i, out)
}

/// The plain value inside a `ToSql` output.
pub(crate) fn value_ref<'a>(
    out: &'a rusqlite::types::ToSqlOutput<'a>,
) -> rusqlite::Result<ValueRef<'a>> {
    use rusqlite::types::ToSqlOutput;
    match out {
        ToSqlOutput::Borrowed(v) => Ok(*v),
        ToSqlOutput::Owned(v) => Ok(v.into()),
        // Other outputs (zeroblob, arrays) are not key or column values.
        _ => Err(rusqlite::Error::ToSqlConversionFailure(
            "value is not a plain SQLite value".into(),
        )),
    }
}

/// Refuses a value SQLite cannot store as given: a NaN float becomes NULL.
pub(crate) fn check_value(column: &'static str, v: ValueRef<'_>) -> rusqlite::Result<()> {
    match v {
        ValueRef::Real(f) if f.is_nan() => Err(crate::error::bad_value(column, crate::error::NAN)),
        _ => Ok(()),
    }
}

/// True when `v` binds as NULL.
pub(crate) fn is_null(v: &dyn crate::value::SqlValue) -> bool {
    v.sqlite()
        .is_ok_and(|out| matches!(value_ref(&out), Ok(ValueRef::Null)))
}

/// The owned value of anything `ToSql`.
pub(crate) fn to_value<V: ToSql + ?Sized>(v: &V) -> rusqlite::Result<Value> {
    use rusqlite::types::ToSqlOutput;
    match v.to_sql()? {
        ToSqlOutput::Borrowed(v) => Value::try_from(v).map_err(rusqlite::Error::from),
        ToSqlOutput::Owned(v) => Ok(v),
        // Other outputs (zeroblob, arrays) are not key or column values.
        _ => Err(rusqlite::Error::ToSqlConversionFailure(
            "value is not a plain SQLite value".into(),
        )),
    }
}

/// A value as SQL would print it, for error messages; a long text or blob
/// is cut (an error message stays short whatever the input).
pub(crate) fn render(v: &Value) -> String {
    const MAX: usize = 64;
    match v {
        Value::Null => "NULL".to_owned(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => {
            let cut: String = t.chars().take(MAX).collect();
            let more = if cut.len() < t.len() { "..." } else { "" };
            format!("'{}'{more}", cut.replace('\'', "''"))
        }
        Value::Blob(b) => {
            let hex: String = b.iter().take(MAX / 2).map(|x| format!("{x:02x}")).collect();
            let more = if b.len() > MAX / 2 { "..." } else { "" };
            format!("x'{hex}'{more}")
        }
    }
}

/// A key as SQL would print it, for messages.
pub(crate) fn render_key(k: &dyn crate::value::SqlValue) -> String {
    k.sqlite()
        .and_then(|out| to_value(&out))
        .map_or_else(|_| "?".to_owned(), |v| render(&v))
}
