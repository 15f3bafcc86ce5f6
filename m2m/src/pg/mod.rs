//! The PostgreSQL backend (feature `postgres`): a connection on the
//! rust-postgres crates ([`PgConnection`]), its transactions
//! ([`PgTransaction`]), and, in its submodules, every piece of SQL text m2m
//! runs on PostgreSQL: statements (`sql`), DDL (`ddl`) and schema
//! introspection (`introspect`); `value` converts values.
//!
//! The same models and the same calls run here as on SQLite:
//!
//! ```no_run
//! use m2m::{ManyToMany, Model};
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! struct Tag { id: i64, name: String }
//! #[derive(Model, Debug)]
//! struct Post { id: i64, #[many_to_many(related_name = "posts")] tags: ManyToMany<Tag> }
//!
//! # fn main() -> m2m::Result<()> {
//! let mut conn = m2m::pg::connect("host=127.0.0.1 user=app dbname=app")?;
//! Tag::create_table(&conn)?;
//! Post::create_table(&conn)?;
//! let mut rust = Tag { id: 0, name: "rust".into() };
//! rust.insert(&conn)?;
//! let mut post = Post { id: 0, tags: ManyToMany::default() };
//! post.insert(&conn)?;
//! let tx = conn.transaction()?;          // commits on `commit`, rolls back on drop
//! post.tags().add(&tx, [&rust])?;
//! tx.commit()?;
//! assert_eq!(post.tags().fetch_all(&conn)?, vec![rust]);
//! # Ok(())
//! # }
//! ```
//!
//! # How it differs from SQLite, and why
//!
//! - **Transactions are guards** on `&mut PgConnection`: [`transaction`](PgConnection::transaction)
//!   opens one (`BEGIN`), [`PgTransaction::savepoint`] nests a savepoint in
//!   it, `commit` ends it and dropping it rolls it back, as rusqlite's do.
//!   m2m knows a transaction is open only through these guards: do not send
//!   `BEGIN` yourself through [`PgConnection::with_client`].
//! - **A failed call leaves your transaction usable.** PostgreSQL aborts a
//!   whole transaction on any failed statement, where SQLite undoes only the
//!   statement. So inside your transaction every writing call runs in a
//!   savepoint of its own (`SAVEPOINT`, the call, `RELEASE`: two more round
//!   trips), which a failure rolls back to; on its own connection (no
//!   transaction open) a one-statement call is one round trip, and a
//!   several-statement call is one `BEGIN` ... `COMMIT`.
//! - **Lists are arrays.** A list of keys is one array parameter
//!   (`= ANY($2)`, `unnest($2)`), so a statement's text never grows with the
//!   input and any number of keys works.
//! - **Prepared statements are cached per connection**: each statement text
//!   is prepared once (one extra round trip the first time).
//! - **Foreign keys are always enforced**, and created `NOT DEFERRABLE`, so
//!   a link to a missing row fails at the call ([`Error::MissingTarget`](crate::Error::MissingTarget)).
//! - **Errors** keep their meaning: a unique violation (SQLSTATE 23505) is
//!   [`Error::is_unique_violation`](crate::Error::is_unique_violation);
//!   a serialization failure (40001), a deadlock (40P01) or a lock timeout
//!   (55P03) is [`Error::is_busy`](crate::Error::is_busy): the call wrote
//!   nothing, and the transaction is to be retried from its start.
//!
//! The SQL the dialect uses, and what CockroachDB, YugabyteDB and Citus
//! make of it, is listed in the crate's `POSTGRES.md`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::{Error, Result};

pub(crate) mod ddl;
pub(crate) mod introspect;
pub(crate) mod sql;
#[doc(hidden)]
pub mod value;

pub(crate) use sql::Pg;

pub use postgres;

/// Connects to a PostgreSQL server (a libpq-style string such as
/// `"host=127.0.0.1 user=app dbname=app"`, or a `postgresql://` URL),
/// without TLS.
///
/// For TLS, or a client you configured yourself, make the
/// `postgres::Client` and wrap it with [`PgConnection::new`].
pub fn connect(params: &str) -> Result<PgConnection> {
    let client = postgres::Client::connect(params, postgres::NoTls)
        .map_err(|e| Error::postgres("connecting to PostgreSQL", e))?;
    Ok(PgConnection::new(client))
}

/// A PostgreSQL connection the calls run on (`&conn`, like a
/// `rusqlite::Connection`): a `postgres::Client` with the prepared
/// statements m2m used on it.
pub struct PgConnection {
    client: RefCell<postgres::Client>,
    cache: RefCell<HashMap<Box<str>, postgres::Statement>>,
    /// Open transactions and savepoints of the user's guards.
    depth: Cell<u32>,
    /// Open atomic units of m2m's calls.
    units: Cell<u32>,
    round_trips: Cell<u64>,
    last_key: Cell<i64>,
    log: RefCell<Option<Arc<Mutex<Vec<String>>>>>,
}

impl fmt::Debug for PgConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConnection")
            .field("transaction_depth", &self.depth.get())
            .field("cached_statements", &self.cache.borrow().len())
            .finish_non_exhaustive()
    }
}

/// The isolation level of a transaction ([`PgConnection::transaction_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Isolation {
    /// PostgreSQL's default: each statement sees what was committed before it.
    ReadCommitted,
    /// One snapshot for the transaction.
    RepeatableRead,
    /// As if transactions ran one at a time; a conflict fails with
    /// [`Error::is_busy`](crate::Error::is_busy), and the transaction is to be retried.
    Serializable,
}

impl PgConnection {
    /// Wraps a client you connected yourself.
    pub fn new(client: postgres::Client) -> Self {
        PgConnection {
            client: RefCell::new(client),
            cache: RefCell::new(HashMap::new()),
            depth: Cell::new(0),
            units: Cell::new(0),
            round_trips: Cell::new(0),
            last_key: Cell::new(0),
            log: RefCell::new(None),
        }
    }

    /// Runs `f` with the client, for SQL of your own.
    ///
    /// Open transactions with [`transaction`](Self::transaction), not with
    /// `BEGIN` here: m2m's calls nest in a transaction they know of.
    pub fn with_client<R>(&self, f: impl FnOnce(&mut postgres::Client) -> R) -> R {
        f(&mut self.client.borrow_mut())
    }

    /// Runs statements of your own, separated by `;`, without parameters.
    pub fn batch_execute(&self, sql: &str) -> Result<()> {
        self.simple(sql)
            .map_err(|e| Error::postgres("running a batch", e))
    }

    /// The client, given back.
    pub fn into_inner(self) -> postgres::Client {
        self.client.into_inner()
    }

    /// True when the connection to the server is lost.
    pub fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    /// How many round trips to the server this connection has made
    /// (statements, and preparing one the first time it runs).
    pub fn round_trips(&self) -> u64 {
        self.round_trips.get()
    }

    /// Opens a transaction (`BEGIN`): commit it with
    /// [`PgTransaction::commit`]; dropped, it rolls back.
    pub fn transaction(&mut self) -> Result<PgTransaction<'_>> {
        self.begin("BEGIN")
    }

    /// Opens a transaction at the given isolation level.
    pub fn transaction_with(&mut self, isolation: Isolation) -> Result<PgTransaction<'_>> {
        self.begin(match isolation {
            Isolation::ReadCommitted => "BEGIN ISOLATION LEVEL READ COMMITTED",
            Isolation::RepeatableRead => "BEGIN ISOLATION LEVEL REPEATABLE READ",
            Isolation::Serializable => "BEGIN ISOLATION LEVEL SERIALIZABLE",
        })
    }

    fn begin(&self, sql: &str) -> Result<PgTransaction<'_>> {
        self.simple(sql)
            .map_err(|e| Error::postgres("opening a transaction", e))?;
        self.depth.set(1);
        Ok(PgTransaction {
            conn: self,
            level: 1,
            open: true,
        })
    }

    /// Runs statements without parameters, as one round trip.
    pub(crate) fn simple(&self, sql: &str) -> std::result::Result<(), postgres::Error> {
        self.trip(sql);
        self.client.borrow_mut().batch_execute(sql)
    }

    fn trip(&self, sql: &str) {
        self.round_trips.set(self.round_trips.get() + 1);
        if let Some(log) = &*self.log.borrow() {
            log.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(sql.to_owned());
        }
    }

    /// The statement, prepared once per connection.
    pub(crate) fn prepare(
        &self,
        sql: &str,
    ) -> std::result::Result<postgres::Statement, postgres::Error> {
        if let Some(s) = self.cache.borrow().get(sql) {
            return Ok(s.clone());
        }
        // Preparing locks the tables a statement names (a write's in ROW
        // EXCLUSIVE mode) and can fail on a lock timeout: in the user's
        // transaction, with no unit of m2m's open, in a savepoint as `run`.
        let guard = self.depth.get() > 0 && self.units.get() == 0;
        if guard {
            self.simple("SAVEPOINT m2m_call")?;
        }
        self.round_trips.set(self.round_trips.get() + 1);
        let out = self.client.borrow_mut().prepare(sql);
        if guard {
            match &out {
                Ok(_) => self.simple("RELEASE m2m_call")?,
                // Nothing more to undo when this fails: the connection is gone.
                Err(_) => {
                    let _ = self.simple("ROLLBACK TO m2m_call; RELEASE m2m_call");
                }
            }
        }
        let stmt = out?;
        self.cache.borrow_mut().insert(sql.into(), stmt.clone());
        Ok(stmt)
    }

    /// Runs a prepared statement with encoded parameters; a writing one in
    /// the user's transaction (and no unit of m2m's open) runs in a
    /// savepoint, so its failure leaves the transaction usable.
    pub(crate) fn run<R>(
        &self,
        sql: &str,
        write: bool,
        f: impl FnOnce(&mut postgres::Client) -> std::result::Result<R, postgres::Error>,
    ) -> std::result::Result<R, postgres::Error> {
        let guard = write && self.depth.get() > 0 && self.units.get() == 0;
        if guard {
            self.simple("SAVEPOINT m2m_call")?;
        }
        self.trip(sql);
        let out = f(&mut self.client.borrow_mut());
        if guard {
            match &out {
                Ok(_) => self.simple("RELEASE m2m_call")?,
                // Nothing more to undo when this fails: the connection is gone.
                Err(_) => {
                    let _ = self.simple("ROLLBACK TO m2m_call; RELEASE m2m_call");
                }
            }
        }
        out
    }

    pub(crate) fn set_last_key(&self, key: i64) {
        self.last_key.set(key);
    }

    pub(crate) fn last_key(&self) -> i64 {
        self.last_key.get()
    }

    pub(crate) fn in_transaction(&self) -> bool {
        self.depth.get() > 0
    }

    /// Rolls an open unit back to its start (see `Session::recover`); with
    /// none open, a failed statement undid itself already.
    pub(crate) fn recover(&self) -> std::result::Result<(), postgres::Error> {
        if self.units.get() > 0 {
            self.simple("ROLLBACK TO m2m_write")
        } else {
            Ok(())
        }
    }

    /// True while an atomic unit of m2m's is open.
    pub(crate) fn in_unit(&self) -> bool {
        self.units.get() > 0
    }

    pub(crate) fn unit_opened(&self) {
        self.units.set(self.units.get() + 1);
    }

    pub(crate) fn unit_closed(&self) {
        self.units.set(self.units.get().saturating_sub(1));
    }

    /// Starts recording the statements this connection sends (the trace
    /// feature's [`StatementLog`](crate::StatementLog)).
    pub(crate) fn set_log(&self, log: Option<Arc<Mutex<Vec<String>>>>) {
        *self.log.borrow_mut() = log;
    }
}

/// A transaction, or a savepoint in one, on a [`PgConnection`]: the calls
/// take `&tx`. [`commit`](Self::commit) ends it; dropped without, it rolls
/// back.
pub struct PgTransaction<'c> {
    conn: &'c PgConnection,
    level: u32,
    open: bool,
}

impl fmt::Debug for PgTransaction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgTransaction")
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

impl<'c> PgTransaction<'c> {
    /// Opens a savepoint inside this transaction: commit it to keep its
    /// writes (in this transaction), drop it to undo them.
    pub fn savepoint(&mut self) -> Result<PgTransaction<'_>> {
        let level = self.level + 1;
        self.conn
            .simple(&format!("SAVEPOINT m2m_tx_{level}"))
            .map_err(|e| Error::postgres("opening a savepoint", e))?;
        self.conn.depth.set(level);
        Ok(PgTransaction {
            conn: self.conn,
            level,
            open: true,
        })
    }

    /// The same as [`savepoint`](Self::savepoint), as rusqlite names it on a
    /// transaction.
    pub fn transaction(&mut self) -> Result<PgTransaction<'_>> {
        self.savepoint()
    }

    /// Commits (a savepoint: releases it, keeping its writes in the
    /// transaction around it).
    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        self.conn.depth.set(self.level - 1);
        let sql = if self.level == 1 {
            "COMMIT".to_owned()
        } else {
            format!("RELEASE m2m_tx_{}", self.level)
        };
        self.conn
            .simple(&sql)
            .map_err(|e| Error::postgres("committing", e))
    }

    /// Rolls back (what dropping it does, with the error reported).
    pub fn rollback(mut self) -> Result<()> {
        self.open = false;
        self.undo().map_err(|e| Error::postgres("rolling back", e))
    }

    fn undo(&self) -> std::result::Result<(), postgres::Error> {
        self.conn.depth.set(self.level - 1);
        if self.level == 1 {
            self.conn.simple("ROLLBACK")
        } else {
            self.conn.simple(&format!(
                "ROLLBACK TO m2m_tx_{0}; RELEASE m2m_tx_{0}",
                self.level
            ))
        }
    }

    /// The connection this transaction is on.
    pub fn connection(&self) -> &PgConnection {
        self.conn
    }
}

impl Drop for PgTransaction<'_> {
    fn drop(&mut self) {
        if self.open {
            // A failure means the connection is gone, and the server has
            // rolled back already.
            let _ = self.undo();
        }
    }
}
