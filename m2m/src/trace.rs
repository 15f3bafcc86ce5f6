//! Counting the statements a piece of code runs, for tests that prove a
//! call does not issue one query per row (feature `trace`, which turns on
//! rusqlite's `trace`).

use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use rusqlite::trace::{TraceEvent, TraceEventCodes};

/// Records every SQL statement a connection starts on the attaching
/// thread, while attached (feature `trace`).
///
/// ```
/// use m2m::StatementLog;
/// # fn main() -> m2m::Result<()> {
/// let mut conn = m2m::open_in_memory()?;
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

type Sink = Arc<Mutex<Vec<String>>>;

thread_local! {
    /// The log of the statements this thread runs on traced connections.
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
}

/// The trace callback: a plain function, as every rusqlite release of the
/// supported range takes one (0.40 takes nothing else), so the log is
/// found through the running thread.
fn record(event: TraceEvent<'_>) {
    // Trigger sub-programs are reported as "-- ..." comments; they are part
    // of the statement that fired them, not new ones.
    if let TraceEvent::Stmt(_, sql) = event
        && !sql.starts_with("--")
    {
        SINK.with(|sink| {
            if let Some(sink) = &*sink.borrow() {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(sql.to_owned());
            }
        });
    }
}

/// `trace_v2` returns `()` in rusqlite 0.40 and a `Result` after it.
trait Traced {
    fn into_result(self) -> rusqlite::Result<()>;
}
impl Traced for () {
    fn into_result(self) -> rusqlite::Result<()> {
        Ok(())
    }
}
impl Traced for rusqlite::Result<()> {
    fn into_result(self) -> rusqlite::Result<()> {
        self
    }
}

impl StatementLog {
    /// Starts recording the statements `conn` runs on this thread (replacing
    /// any trace callback it had, and the log this thread had).
    pub fn attach(conn: &mut Connection) -> crate::Result<Self> {
        let log = StatementLog::default();
        SINK.with(|sink| *sink.borrow_mut() = Some(Arc::clone(&log.statements)));
        conn.trace_v2(
            TraceEventCodes::SQLITE_TRACE_STMT,
            Some(record as fn(TraceEvent<'_>)),
        )
        .into_result()
        .map_err(|e| crate::Error::sqlite("attaching the statement log", e))?;
        Ok(log)
    }

    /// Stops recording on `conn`.
    pub fn detach(conn: &mut Connection) -> crate::Result<()> {
        conn.trace_v2(TraceEventCodes::empty(), None::<fn(TraceEvent<'_>)>)
            .into_result()
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
