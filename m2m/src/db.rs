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
#[cfg(feature = "postgres")]
impl sealed::Sealed for crate::pg::PgConnection {}
#[cfg(feature = "postgres")]
impl sealed::Sealed for crate::pg::PgTransaction<'_> {}

#[cfg(feature = "postgres")]
impl Db for crate::pg::PgConnection {
    fn __session(&self) -> Session<'_> {
        Session::Pg(self)
    }
}
#[cfg(feature = "postgres")]
impl Db for crate::pg::PgTransaction<'_> {
    fn __session(&self) -> Session<'_> {
        Session::Pg(self.connection())
    }
}

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
    /// PostgreSQL, through rust-postgres.
    #[cfg(feature = "postgres")]
    Pg(&'c crate::pg::PgConnection),
}

impl fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Session::Sqlite(_) => f.write_str("Session(SQLite)"),
            #[cfg(feature = "postgres")]
            Session::Pg(_) => f.write_str("Session(PostgreSQL)"),
        }
    }
}

/// A prepared (and cached) statement of a session.
pub(crate) enum Stmt<'c> {
    Sqlite(rusqlite::CachedStatement<'c>),
    #[cfg(feature = "postgres")]
    Pg(PgStmt<'c>),
}

/// A PostgreSQL statement and its parameters, encoded as they are bound.
#[cfg(feature = "postgres")]
pub(crate) struct PgStmt<'c> {
    conn: &'c crate::pg::PgConnection,
    stmt: postgres::Statement,
    /// The text, kept only while a statement log is attached.
    sql: Option<Box<str>>,
    write: bool,
    params: Vec<crate::pg::value::Encoded>,
}

#[cfg(feature = "postgres")]
impl PgStmt<'_> {
    /// The bound parameters, as the client takes them.
    fn params(&self) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p as &(dyn postgres::types::ToSql + Sync))
            .collect()
    }

    fn query(&self) -> DbResult<Vec<postgres::Row>> {
        let params = self.params();
        Ok(self.conn.run(self.sql.as_deref(), self.write, |c| {
            c.query(&self.stmt, &params)
        })?)
    }

    fn execute(&self) -> DbResult<usize> {
        let params = self.params();
        if self.stmt.columns().is_empty() {
            let n = self.conn.run(self.sql.as_deref(), self.write, |c| {
                c.execute(&self.stmt, &params)
            })?;
            return Ok(usize::try_from(n).unwrap_or(usize::MAX));
        }
        // An insert that returns the key the database assigned: kept as the
        // connection's last inserted key (SQLite's `last_insert_rowid`).
        let rows = self.conn.run(self.sql.as_deref(), self.write, |c| {
            c.query(&self.stmt, &params)
        })?;
        if let Some(row) = rows.first() {
            let key: i64 = Row::Pg(row, std::marker::PhantomData).get(0)?;
            self.conn.set_last_key(key);
        }
        Ok(rows.len())
    }
}

/// One result row, whatever the backend.
pub(crate) enum Row<'a, 'r> {
    Sqlite(&'a rusqlite::Row<'r>),
    #[cfg(feature = "postgres")]
    Pg(&'a postgres::Row, std::marker::PhantomData<&'r ()>),
}

impl RowReader for Row<'_, '_> {
    type Error = DbError;
    fn get<V: SqlType>(&self, index: usize) -> DbResult<V> {
        match self {
            Row::Sqlite(row) => row.get(index).map_err(DbError::Sqlite),
            #[cfg(feature = "postgres")]
            Row::Pg(row, _) => {
                let raw: crate::pg::value::PgRaw<'_> = row.try_get(index)?;
                V::__from_pg(raw).map_err(|e| DbError::Convert(e.to_string()))
            }
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
            #[cfg(feature = "postgres")]
            Session::Pg(_) => &crate::pg::Pg,
        }
    }

    /// The statement, prepared once per connection and cached.
    pub(crate) fn prepare(self, sql: &str) -> DbResult<Stmt<'c>> {
        match self {
            Session::Sqlite(c) => Ok(Stmt::Sqlite(c.prepare_cached(sql)?)),
            #[cfg(feature = "postgres")]
            Session::Pg(c) => {
                let stmt = c.prepare(sql)?;
                let n = stmt.params().len();
                Ok(Stmt::Pg(PgStmt {
                    conn: c,
                    stmt,
                    sql: c.logging().then(|| sql.into()),
                    // Every statement of the dialect that writes starts so.
                    write: !sql.starts_with("SELECT"),
                    params: (0..n).map(|_| crate::pg::value::Encoded(None)).collect(),
                }))
            }
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

    /// True on PostgreSQL.
    pub(crate) fn is_pg(self) -> bool {
        match self {
            Session::Sqlite(_) => false,
            #[cfg(feature = "postgres")]
            Session::Pg(_) => true,
        }
    }

    /// True when a transaction is open (the call then nests in it).
    pub(crate) fn in_transaction(self) -> bool {
        match self {
            Session::Sqlite(c) => !c.is_autocommit(),
            #[cfg(feature = "postgres")]
            Session::Pg(c) => c.in_transaction(),
        }
    }

    /// True when the connection enforces foreign keys (asked of the
    /// connection's flags, not with a statement).
    pub(crate) fn foreign_keys_on(self) -> DbResult<bool> {
        match self {
            Session::Sqlite(c) => Ok(crate::sqlite::foreign_keys_on(c)?),
            // PostgreSQL always enforces them.
            #[cfg(feature = "postgres")]
            Session::Pg(_) => Ok(true),
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
            // m2m's foreign keys are `NOT DEFERRABLE` there.
            #[cfg(feature = "postgres")]
            Session::Pg(_) => Ok(false),
        }
    }

    /// True when `v` is SQL NULL (a `None`). A value that cannot be
    /// converted is not: it fails where it is bound.
    pub(crate) fn is_null(self, v: &dyn SqlValue) -> bool {
        match self {
            Session::Sqlite(_) => crate::sqlite::is_null(v),
            #[cfg(feature = "postgres")]
            Session::Pg(_) => v.pg().is_ok_and(|p| p.is_null()),
        }
    }

    /// The key the database gave the row the last insert made (SQLite; on
    /// PostgreSQL the insert returns it).
    pub(crate) fn last_insert_id(self) -> i64 {
        match self {
            Session::Sqlite(c) => c.last_insert_rowid(),
            #[cfg(feature = "postgres")]
            Session::Pg(c) => c.last_key(),
        }
    }

    /// After a failed statement inside an atomic unit that the call goes on
    /// from: PostgreSQL refuses every statement of a transaction after a
    /// failed one, so the unit is rolled back to its start (each unit opens
    /// with a savepoint there). SQLite undid the statement alone already.
    pub(crate) fn recover(self) -> DbResult<()> {
        match self {
            Session::Sqlite(_) => Ok(()),
            #[cfg(feature = "postgres")]
            Session::Pg(c) => Ok(c.recover()?),
        }
    }

    /// After an insert leaving the key to the database collided with a
    /// row's key: PostgreSQL's identity sequence does not see keys given
    /// explicitly (SQLite's rowid does), so it is moved past the largest.
    /// Returns true when the insert is worth trying again.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub(crate) fn resync_key(self, t: &crate::TableDef) -> DbResult<bool> {
        match self {
            Session::Sqlite(_) => Ok(false),
            #[cfg(feature = "postgres")]
            Session::Pg(_) => {
                let sql = crate::pg::sql::resync_key(t);
                self.rows(&sql, &[], |_| Ok(()))?;
                Ok(true)
            }
        }
    }

    /// What the database has under the table name `name`.
    pub(crate) fn existing(self, name: &str) -> DbResult<crate::catalog::Existing> {
        match self {
            Session::Sqlite(c) => Ok(crate::sqlite::introspect::existing(c, name)?),
            #[cfg(feature = "postgres")]
            Session::Pg(_) => crate::pg::introspect::existing(self, name),
        }
    }

    /// True when the table has at least one row.
    pub(crate) fn has_rows(self, table: &str) -> DbResult<bool> {
        self.one(&self.sql().has_rows(table), &[])
    }

    /// The DDL that creates `table`, its indexes and its relations' junctions.
    pub(crate) fn create_sql(
        self,
        table: &crate::TableDef,
        relations: &[&crate::RelationDef],
    ) -> String {
        match self {
            Session::Sqlite(_) => crate::sqlite::ddl::create_sql(table, relations),
            #[cfg(feature = "postgres")]
            Session::Pg(_) => crate::pg::ddl::create_sql(table, relations),
        }
    }

    /// The DDL that builds an empty through table again with the relation's
    /// foreign keys.
    pub(crate) fn rebuild_sql(self, r: &crate::RelationDef, p: &crate::TableDef) -> String {
        match self {
            Session::Sqlite(_) => crate::sqlite::ddl::rebuild_through(r, p),
            #[cfg(feature = "postgres")]
            Session::Pg(_) => crate::pg::ddl::rebuild_through(r, p),
        }
    }

    /// Runs several statements of DDL, in order.
    pub(crate) fn batch(self, sql: &str) -> DbResult<()> {
        match self {
            Session::Sqlite(c) => Ok(c.execute_batch(sql)?),
            #[cfg(feature = "postgres")]
            Session::Pg(c) => Ok(c.simple(sql)?),
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
            #[cfg(feature = "postgres")]
            Stmt::Pg(s) => {
                let ty = s
                    .stmt
                    .params()
                    .get(i.wrapping_sub(1))
                    .ok_or_else(|| DbError::Convert(format!("no parameter {i}")))?;
                let v = v.pg()?;
                if let crate::pg::value::PgParam::Real(f) = v
                    && f.is_nan()
                {
                    return Err(crate::error::bad_value(column, crate::error::NAN).into());
                }
                let mut out = bytes::BytesMut::new();
                let set = v.encode(ty, &mut out).map_err(|e| {
                    DbError::Convert(if column.is_empty() {
                        e.to_string()
                    } else {
                        format!("column `{column}`: {e}")
                    })
                })?;
                s.params[i - 1] = crate::pg::value::Encoded(set.then_some(out));
                Ok(())
            }
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
            #[cfg(feature = "postgres")]
            Stmt::Pg(s) => s.execute(),
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
            #[cfg(feature = "postgres")]
            Stmt::Pg(s) => match s.query()?.first() {
                Some(row) => Row::Pg(row, std::marker::PhantomData).get(0),
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
            #[cfg(feature = "postgres")]
            Stmt::Pg(s) => {
                for row in &s.query()? {
                    f(&Row::Pg(row, std::marker::PhantomData))?;
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
        let sql = session.unit(nested);
        session.unit_sql(sql.begin)?;
        session.unit_opened();
        Ok(Atomic {
            session,
            nested,
            open: true,
        })
    }

    /// [`begin`](Self::begin), then waits for (and holds) the lock of
    /// `t`'s row `key` against other writers, for a call that reads before
    /// it writes. SQLite's `BEGIN IMMEDIATE` (or the caller's write
    /// transaction) holds the database's one writer lock already; on
    /// PostgreSQL the row is locked `FOR NO KEY UPDATE`, in the round trip of the
    /// unit's opening when the key can be written into it.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub(crate) fn begin_locking(
        session: Session<'c>,
        t: &crate::TableDef,
        key: &dyn SqlValue,
    ) -> DbResult<Self> {
        match session {
            Session::Sqlite(_) => Self::begin(session),
            #[cfg(feature = "postgres")]
            Session::Pg(c) => {
                let nested = session.in_transaction();
                let sql = session.unit(nested);
                let param = key.pg()?;
                let literal = crate::pg::sql::lock_row_literal(t, &param);
                let opened = match &literal {
                    Some(lock) => c.simple_settled(&format!("{}; {lock}", sql.begin)),
                    None => c.simple_settled(sql.begin),
                };
                if let Err(e) = opened {
                    // The lock failed (a timeout, a deadlock) after the unit
                    // opened: undo it, as a dropped unit does.
                    let _ = c.simple(sql.rollback);
                    return Err(e.into());
                }
                session.unit_opened();
                let unit = Atomic {
                    session,
                    nested,
                    open: true,
                };
                if literal.is_none() {
                    session.one::<i64>(crate::pg::sql::lock_row(t), &[key])?;
                }
                Ok(unit)
            }
        }
    }

    pub(crate) fn commit(mut self) -> DbResult<()> {
        let sql = self.session.unit(self.nested);
        self.open = false;
        self.session.unit_closed();
        self.session.unit_sql(sql.commit)
    }
}

impl Drop for Atomic<'_> {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        self.session.unit_closed();
        // An error here can only mean the database already rolled back;
        // nothing is left to undo.
        let sql = self.session.unit(self.nested);
        let _ = self.session.batch(sql.rollback);
    }
}

impl Session<'_> {
    /// How this backend opens, commits and undoes an atomic unit, on its
    /// own or nested in the caller's transaction.
    fn unit(self, nested: bool) -> &'static crate::dialect::Unit {
        match self {
            Session::Sqlite(_) => {
                if nested {
                    &crate::sqlite::sql::SAVEPOINT
                } else {
                    &crate::sqlite::sql::TRANSACTION
                }
            }
            #[cfg(feature = "postgres")]
            Session::Pg(_) => {
                if nested {
                    &crate::pg::sql::SAVEPOINT
                } else {
                    &crate::pg::sql::TRANSACTION
                }
            }
        }
    }

    /// Runs a statement opening or closing a unit: SQLite's from its
    /// statement cache, PostgreSQL's as a simple query (`BEGIN; SAVEPOINT`
    /// is one round trip).
    fn unit_sql(self, sql: &str) -> DbResult<()> {
        match self {
            Session::Sqlite(_) => self.execute(sql, &[]).map(drop),
            #[cfg(feature = "postgres")]
            Session::Pg(c) => Ok(c.simple_settled(sql)?),
        }
    }

    fn unit_opened(self) {
        #[cfg(feature = "postgres")]
        if let Session::Pg(c) = self {
            c.unit_opened();
        }
    }

    fn unit_closed(self) {
        #[cfg(feature = "postgres")]
        if let Session::Pg(c) = self {
            c.unit_closed();
        }
    }
}
