//! Connections set up the way the library expects.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::config::DbConfig;

use crate::{Error, Result};

/// How long a connection set up here waits for another writer before a call
/// fails with a busy error ([`Error::is_busy`]).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens (or creates) a database file and [`configure`]s it.
///
/// ```
/// # fn main() -> m2m_core::Result<()> {
/// let dir = std::env::temp_dir().join(format!("m2m-doc-open-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let conn = m2m_core::open(dir.join("app.db"))?;
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

/// Refuses a write on a connection that does not enforce foreign keys:
/// there a link to a missing row would be written and a deleted row's links
/// kept, so counts, fetches and new rows reusing its key would disagree.
/// (Asking costs no statement: SQLite answers from the connection's flags.)
pub(crate) fn require_foreign_keys(
    conn: &Connection,
    context: impl FnOnce() -> String,
) -> Result<()> {
    match conn.db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::ForeignKeysOff { context: context() }),
        Err(e) => Err(Error::sqlite(context(), e)),
    }
}
