//! Counting the statements a piece of code runs, for tests that prove a
//! call does not issue one query per row (feature `trace`, which turns on
//! rusqlite's `trace`).

use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use rusqlite::trace::{TraceEvent, TraceEventCodes};

/// Records every SQL statement a connection starts, while attached
/// (feature `trace`).
///
/// ```
/// use m2m_core::StatementLog;
/// # fn main() -> m2m_core::Result<()> {
/// let mut conn = m2m_core::open_in_memory()?;
/// let log = StatementLog::attach(&mut conn)?;
/// conn.execute_batch("CREATE TABLE t (x); SELECT 1;")?;
/// assert_eq!(log.count(), 2);
/// log.clear();
/// assert_eq!(log.count(), 0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct StatementLog {
    statements: Arc<Mutex<Vec<String>>>,
}

impl StatementLog {
    /// Starts recording on `conn` (replacing any trace callback it had).
    pub fn attach(conn: &mut Connection) -> crate::Result<Self> {
        let log = StatementLog::default();
        let sink = Arc::clone(&log.statements);
        conn.trace_v2(
            TraceEventCodes::SQLITE_TRACE_STMT,
            Some(move |event: TraceEvent<'_>| {
                // Trigger sub-programs are reported as "-- ..." comments; they
                // are part of the statement that fired them, not new ones.
                if let TraceEvent::Stmt(_, sql) = event
                    && !sql.starts_with("--")
                {
                    sink.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(sql.to_owned());
                }
            }),
        )
        .map_err(|e| crate::Error::sqlite("attaching the statement log", e))?;
        Ok(log)
    }

    /// Stops recording on `conn`.
    pub fn detach(conn: &mut Connection) -> crate::Result<()> {
        conn.trace_v2(TraceEventCodes::empty(), None::<fn(TraceEvent<'_>)>)
            .map_err(|e| crate::Error::sqlite("detaching the statement log", e))
    }

    /// How many statements ran since attaching or the last [`clear`](Self::clear).
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// The statements' SQL, in order (with bound values expanded).
    pub fn statements(&self) -> Vec<String> {
        self.lock().clone()
    }

    /// Forgets what was recorded so far.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.statements
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
