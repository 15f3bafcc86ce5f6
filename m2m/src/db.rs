//! The seam between the calls and the database: the [`Db`] trait every call
//! takes, and the few operations the calls run through it (prepare, bind,
//! execute, read rows, open an atomic unit). Each backend answers them in
//! its own module (`sqlite`); the calls themselves are written once.

use std::fmt;

pub(crate) use crate::dialect::{List, Statements};
use crate::error::{DbError, DbResult, Op};
use crate::types::{PrimaryKey, SqlType};
use crate::value::{RowReader, SqlValue};

/// A connection the calls run on: rusqlite's `Connection`, `Transaction` or
/// `Savepoint`, so `&conn` and `&tx` work wherever a call takes `&C`.
///
/// Code generic over `C: Db` runs on any of them:
///
/// ```
/// use m2m::{Db, ManyToMany, Model};
///
/// #[derive(Model)]
/// struct Tag { id: i64, name: String }
/// #[derive(Model)]
/// struct Post { id: i64, #[many_to_many(related_name = "posts")] tags: ManyToMany<Tag> }
///
/// fn tag_all<C: Db>(conn: &C, post: &Post, tags: &[Tag]) -> m2m::Result<usize> {
///     post.tags().add(conn, tags)
/// }
///
/// # fn main() -> m2m::Result<()> {
/// let mut conn = m2m::open_in_memory()?;
/// Tag::create_table(&conn)?;
/// Post::create_table(&conn)?;
/// let mut rust = Tag { id: 0, name: "rust".into() };
/// rust.insert(&conn)?;
/// let mut post = Post { id: 0, tags: ManyToMany::default() };
/// post.insert(&conn)?;
/// let tx = conn.transaction()?;
/// assert_eq!(tag_all(&tx, &post, &[rust])?, 1);
/// tx.commit()?;
/// # Ok(())
/// # }
/// ```
///
/// A pooled connection (r2d2, deadpool) derefs to a `rusqlite::Connection`:
/// pass `&*pooled`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a connection m2m can run on",
    label = "expected a `rusqlite::Connection`, `Transaction` or `Savepoint` here",
    note = "a pooled connection derefs to one: pass `&*conn`"
)]
pub trait Db: sealed::Sealed {
    #[doc(hidden)]
    /// The backend's session behind this connection.
    fn __session(&self) -> Session<'_>;
}

mod sealed {
    pub trait Sealed {}
}

impl sealed::Sealed for rusqlite::Connection {}
impl sealed::Sealed for rusqlite::Transaction<'_> {}
impl sealed::Sealed for rusqlite::Savepoint<'_> {}

impl Db for rusqlite::Connection {
    fn __session(&self) -> Session<'_> {
        Session::Sqlite(self)
    }
}
impl Db for rusqlite::Transaction<'_> {
    fn __session(&self) -> Session<'_> {
        Session::Sqlite(self)
    }
}
impl Db for rusqlite::Savepoint<'_> {
    fn __session(&self) -> Session<'_> {
        Session::Sqlite(self)
    }
}

/// A connection as the calls see it: one variant per backend.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub enum Session<'c> {
    /// SQLite, through rusqlite.
    Sqlite(&'c rusqlite::Connection),
}

impl fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Session::Sqlite(_) => f.write_str("Session(SQLite)"),
        }
    }
}

/// A prepared (and cached) statement of a session.
pub(crate) enum Stmt<'c> {
    Sqlite(rusqlite::CachedStatement<'c>),
}

/// One result row, whatever the backend.
pub(crate) enum Row<'a, 'r> {
    Sqlite(&'a rusqlite::Row<'r>),
}

impl RowReader for Row<'_, '_> {
    type Error = DbError;
    fn get<V: SqlType>(&self, index: usize) -> DbResult<V> {
        match self {
            Row::Sqlite(row) => row.get(index).map_err(DbError::Sqlite),
        }
    }
    fn get_key<K: PrimaryKey>(&self, index: usize) -> DbResult<K> {
        self.get(index)
    }
    fn not_a_column(index: usize) -> DbError {
        DbError::Sqlite(rusqlite::Error::InvalidColumnIndex(index))
    }
}

impl<'c> Session<'c> {
    /// This backend's SQL.
    pub(crate) fn sql(self) -> &'static dyn Statements {
        match self {
            Session::Sqlite(_) => &crate::sqlite::Sqlite,
        }
    }

    /// The statement, prepared once per connection and cached.
    pub(crate) fn prepare(self, sql: &str) -> DbResult<Stmt<'c>> {
        match self {
            Session::Sqlite(c) => Ok(Stmt::Sqlite(c.prepare_cached(sql)?)),
        }
    }

    /// Runs a statement that changes rows; returns how many.
    pub(crate) fn execute(self, sql: &str, params: &[&dyn SqlValue]) -> DbResult<usize> {
        let mut stmt = self.prepare(sql)?;
        stmt.bind_all(params)?;
        stmt.execute()
    }

    /// Runs a query and maps every row.
    pub(crate) fn rows<R>(
        self,
        sql: &str,
        params: &[&dyn SqlValue],
        map: impl FnMut(&Row<'_, '_>) -> DbResult<R>,
    ) -> DbResult<Vec<R>> {
        let mut stmt = self.prepare(sql)?;
        stmt.bind_all(params)?;
        stmt.rows(map)
    }

    /// Runs a query that yields one value.
    pub(crate) fn one<V: SqlType>(self, sql: &str, params: &[&dyn SqlValue]) -> DbResult<V> {
        let mut stmt = self.prepare(sql)?;
        stmt.bind_all(params)?;
        stmt.first()
    }

    /// True when a transaction is open (the call then nests in it).
    pub(crate) fn in_transaction(self) -> bool {
        match self {
            Session::Sqlite(c) => !c.is_autocommit(),
        }
    }

    /// True when the connection enforces foreign keys (asked of the
    /// connection's flags, not with a statement).
    pub(crate) fn foreign_keys_on(self) -> DbResult<bool> {
        match self {
            Session::Sqlite(c) => Ok(crate::sqlite::foreign_keys_on(c)?),
        }
    }

    /// Refuses a write on a connection that does not enforce foreign keys:
    /// there a link to a missing row would be written, and a deleted row's
    /// links kept for a new row that reuses its key to inherit. (Asking
    /// costs no statement: the connection answers from its flags.)
    pub(crate) fn require_foreign_keys(self, op: Op) -> crate::Result<()> {
        match self.foreign_keys_on() {
            Ok(true) => Ok(()),
            Ok(false) => Err(crate::Error::ForeignKeysOff {
                context: op.to_string(),
            }),
            Err(e) => Err(crate::Error::db(op, e)),
        }
    }

    /// True when the open transaction defers foreign-key checks to its end.
    pub(crate) fn foreign_keys_deferred(self) -> DbResult<bool> {
        match self {
            Session::Sqlite(_) => self.one(crate::sqlite::sql::DEFER_FOREIGN_KEYS, &[]),
        }
    }

    /// True when `v` is SQL NULL (a `None`). A value that cannot be
    /// converted is not: it fails where it is bound.
    pub(crate) fn is_null(self, v: &dyn SqlValue) -> bool {
        match self {
            Session::Sqlite(_) => crate::sqlite::is_null(v),
        }
    }

    /// The key the database gave the row the last insert made.
    pub(crate) fn last_insert_id(self) -> i64 {
        match self {
            Session::Sqlite(c) => c.last_insert_rowid(),
        }
    }

    /// What the database has under the table name `name`.
    pub(crate) fn existing(self, name: &str) -> DbResult<crate::catalog::Existing> {
        match self {
            Session::Sqlite(c) => Ok(crate::sqlite::introspect::existing(c, name)?),
        }
    }

    /// True when the table has at least one row.
    pub(crate) fn has_rows(self, table: &str) -> DbResult<bool> {
        match self {
            Session::Sqlite(_) => self.one(&self.sql().has_rows(table), &[]),
        }
    }

    /// The DDL that creates `table`, its indexes and its relations' junctions.
    pub(crate) fn create_sql(
        self,
        table: &crate::TableDef,
        relations: &[&crate::RelationDef],
    ) -> String {
        match self {
            Session::Sqlite(_) => crate::sqlite::ddl::create_sql(table, relations),
        }
    }

    /// The DDL that builds an empty through table again with the relation's
    /// foreign keys.
    pub(crate) fn rebuild_sql(self, r: &crate::RelationDef, p: &crate::TableDef) -> String {
        match self {
            Session::Sqlite(_) => crate::sqlite::ddl::rebuild_through(r, p),
        }
    }

    /// Runs several statements of DDL, in order.
    pub(crate) fn batch(self, sql: &str) -> DbResult<()> {
        match self {
            Session::Sqlite(c) => Ok(c.execute_batch(sql)?),
        }
    }
}

impl Stmt<'_> {
    /// Binds `v` as parameter `i` (from 1), refusing a value the database
    /// would not store as given (a NaN) with an error naming `column`.
    pub(crate) fn bind(
        &mut self,
        i: usize,
        column: &'static str,
        v: &dyn SqlValue,
    ) -> DbResult<()> {
        match self {
            Stmt::Sqlite(s) => Ok(crate::sqlite::bind(s, i, column, v)?),
        }
    }

    fn bind_all(&mut self, params: &[&dyn SqlValue]) -> DbResult<()> {
        for (i, p) in params.iter().enumerate() {
            self.bind(i + 1, "", *p)?;
        }
        Ok(())
    }

    /// Runs it; returns how many rows it changed.
    pub(crate) fn execute(&mut self) -> DbResult<usize> {
        match self {
            Stmt::Sqlite(s) => Ok(s.raw_execute()?),
        }
    }

    /// Runs it and maps every row.
    pub(crate) fn rows<R>(
        &mut self,
        mut map: impl FnMut(&Row<'_, '_>) -> DbResult<R>,
    ) -> DbResult<Vec<R>> {
        let mut out = Vec::new();
        self.each(|row| {
            out.push(map(row)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Runs it and reads the first column of its first row (and steps no
    /// further: the statement is reset when it is next used).
    pub(crate) fn first<V: SqlType>(&mut self) -> DbResult<V> {
        match self {
            Stmt::Sqlite(s) => match s.raw_query().next()? {
                Some(row) => Ok(row.get(0)?),
                None => Err(DbError::Sqlite(rusqlite::Error::QueryReturnedNoRows)),
            },
        }
    }

    /// Runs it and hands every row to `f`.
    pub(crate) fn each(&mut self, mut f: impl FnMut(&Row<'_, '_>) -> DbResult<()>) -> DbResult<()> {
        match self {
            Stmt::Sqlite(s) => {
                let mut rows = s.raw_query();
                while let Some(row) = rows.next()? {
                    f(&Row::Sqlite(row))?;
                }
                Ok(())
            }
        }
    }
}

/// Makes the statements run until [`Atomic::commit`] one unit: a
/// transaction when the connection has none open, a savepoint inside the
/// caller's transaction otherwise. Dropped without commit, it undoes them
/// and leaves any outer transaction as it was.
pub(crate) struct Atomic<'c> {
    session: Session<'c>,
    nested: bool,
    open: bool,
}

impl<'c> Atomic<'c> {
    pub(crate) fn begin(session: Session<'c>) -> DbResult<Self> {
        let nested = session.in_transaction();
        let sql = session.dialect_unit(nested);
        session.execute(sql.begin, &[])?;
        Ok(Atomic {
            session,
            nested,
            open: true,
        })
    }

    pub(crate) fn commit(mut self) -> DbResult<()> {
        let sql = self.session.dialect_unit(self.nested);
        self.session.execute(sql.commit, &[])?;
        self.open = false;
        Ok(())
    }
}

impl Drop for Atomic<'_> {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        // An error here can only mean the database already rolled back;
        // nothing is left to undo.
        let sql = self.session.dialect_unit(self.nested);
        let _ = self.session.batch(sql.rollback);
    }
}

impl Session<'_> {
    /// How this backend opens, commits and undoes an atomic unit, on its
    /// own or nested in the caller's transaction.
    fn dialect_unit(self, nested: bool) -> &'static crate::sqlite::sql::Unit {
        match self {
            Session::Sqlite(_) => {
                if nested {
                    &crate::sqlite::sql::SAVEPOINT
                } else {
                    &crate::sqlite::sql::TRANSACTION
                }
            }
        }
    }
}
