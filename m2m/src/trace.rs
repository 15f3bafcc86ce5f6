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

#[doc(hidden)]
pub type Sink = Arc<Mutex<Vec<String>>>;

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

/// A connection whose statements a [`StatementLog`] can record:
/// `rusqlite::Connection`, and with the `postgres` feature
/// `m2m::pg::PgConnection`.
pub trait Traceable: sealed::Sealed {
    #[doc(hidden)]
    fn attach_log(&mut self, sink: Sink) -> crate::Result<()>;
    #[doc(hidden)]
    fn detach_log(&mut self) -> crate::Result<()>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for rusqlite::Connection {}
    #[cfg(feature = "postgres")]
    impl Sealed for crate::pg::PgConnection {}
}

impl Traceable for Connection {
    fn attach_log(&mut self, sink: Sink) -> crate::Result<()> {
        SINK.with(|s| *s.borrow_mut() = Some(sink));
        self.trace_v2(
            TraceEventCodes::SQLITE_TRACE_STMT,
            Some(record as fn(TraceEvent<'_>)),
        )
        .into_result()
        .map_err(|e| crate::Error::sqlite("attaching the statement log", e))
    }

    fn detach_log(&mut self) -> crate::Result<()> {
        self.trace_v2(TraceEventCodes::empty(), None::<fn(TraceEvent<'_>)>)
            .into_result()
            .map_err(|e| crate::Error::sqlite("detaching the statement log", e))
    }
}

#[cfg(feature = "postgres")]
impl Traceable for crate::pg::PgConnection {
    fn attach_log(&mut self, sink: Sink) -> crate::Result<()> {
        self.set_log(Some(sink));
        Ok(())
    }

    fn detach_log(&mut self) -> crate::Result<()> {
        self.set_log(None);
        Ok(())
    }
}

impl StatementLog {
    /// Starts recording the statements `conn` runs (on SQLite: on this
    /// thread, replacing any trace callback it had, and the log this thread
    /// had). On PostgreSQL every statement the connection sends is one,
    /// `SAVEPOINT`s and `BEGIN`s included (each a round trip).
    pub fn attach<C: Traceable>(conn: &mut C) -> crate::Result<Self> {
        let log = StatementLog::default();
        conn.attach_log(Arc::clone(&log.statements))?;
        Ok(log)
    }

    /// Stops recording on `conn`.
    pub fn detach<C: Traceable>(conn: &mut C) -> crate::Result<()> {
        conn.detach_log()
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
