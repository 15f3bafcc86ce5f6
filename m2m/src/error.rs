//! The one error type of the crate.

use std::fmt;

/// Result alias used by every fallible call of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call of this crate.
///
/// The variants a program usually handles on its own are [`Error::Unsaved`],
/// [`Error::MissingTarget`], [`Error::MissingOwner`] and [`Error::NotFound`].
/// [`Error::InvalidValue`] refuses a value SQLite cannot store as given;
/// [`Error::Schema`], [`Error::NotUnique`] and [`Error::ForeignKeysOff`]
/// point at a setup mistake;
/// [`Error::Sqlite`] wraps SQLite's own error with the operation that failed
/// ([`Error::is_busy`] and [`Error::is_unique_violation`] classify it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A model whose integer key is still `0` was used where a stored row is needed.
    #[error("{model} is not saved: insert it before {action}")]
    Unsaved {
        /// The Rust name of the model.
        model: &'static str,
        /// What the call was about to do with it.
        action: &'static str,
    },
    /// A relation write named a target key that has no row; nothing was written.
    #[error("relation `{relation}`: no target row has key {key}; nothing was written")]
    MissingTarget {
        /// The relation, as `Owner.field`.
        relation: &'static str,
        /// The missing key, rendered as SQL would show it.
        key: String,
    },
    /// A relation write was made from an owner key that has no row; nothing was written.
    #[error("relation `{relation}`: no owner row has key {key}; nothing was written")]
    MissingOwner {
        /// The relation, as `Owner.field`.
        relation: &'static str,
        /// The missing key, rendered as SQL would show it.
        key: String,
    },
    /// `update` found no row with the model's key.
    #[error("no `{table}` row has key {key}")]
    NotFound {
        /// The table that was searched.
        table: &'static str,
        /// The key that was looked for.
        key: String,
    },
    /// A value SQLite cannot store as given (a NaN float, which it would
    /// turn into NULL); nothing was written.
    #[error("{context}: column `{column}`: {reason}")]
    InvalidValue {
        /// The operation, e.g. ``Reading: insert``.
        context: String,
        /// The column the value was for.
        column: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A value given to a query could not be turned into an SQL value (its
    /// `ToSql` failed); the query ran nothing.
    #[error("{context}: {message}")]
    Conversion {
        /// The operation, e.g. ``Tag: query``.
        context: String,
        /// What the conversion reported.
        message: String,
    },
    /// Every key an integer key type narrower than `i64` can hold is taken,
    /// so `insert` has no key to give the row; nothing was written.
    #[error(
        "{model}: every key from 1 to {max} is taken, so the row cannot get one; use a wider key type (`i64`)"
    )]
    KeysExhausted {
        /// The Rust name of the model.
        model: &'static str,
        /// The largest key the type holds.
        max: i64,
    },
    /// The connection does not enforce foreign keys, which m2m relies on to
    /// refuse links to missing rows and to remove the links of deleted rows;
    /// the call wrote nothing.
    #[error(
        "{context}: foreign keys are off on this connection; m2m needs them to refuse links to missing rows and to remove the links of deleted rows: open it with `m2m::open`, call `m2m::configure(&conn)`, or run `PRAGMA foreign_keys = ON` outside a transaction"
    )]
    ForeignKeysOff {
        /// The operation that was refused.
        context: String,
    },
    /// A row was to be found by a column that is neither the key nor
    /// `#[model(unique)]`, so a value may name many rows
    /// ([`Model::get_or_insert`](crate::Model::get_or_insert),
    /// [`Related::connect_or_create`](crate::Related::connect_or_create));
    /// nothing was written.
    #[error(
        "{model}: column `{column}` is not unique, so a value may name many rows: mark its field `#[model(unique)]` to find a row by it, or find by the key"
    )]
    NotUnique {
        /// The Rust name of the model.
        model: &'static str,
        /// The column that was given.
        column: &'static str,
    },
    /// The database schema does not match what a model declares.
    #[error("table `{table}`: {problem}")]
    Schema {
        /// The table concerned.
        table: &'static str,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// PostgreSQL (or the connection to it) reported an error while running
    /// `context` (feature `postgres`).
    #[cfg(feature = "postgres")]
    #[error("{context}: {}", pg_message(source))]
    Postgres {
        /// The operation, e.g. ``Article.tags: add``.
        context: String,
        /// The client's error.
        #[source]
        source: postgres::Error,
    },
    /// SQLite reported an error while running `context`.
    #[error("{context}: {source}")]
    Sqlite {
        /// The operation, e.g. ``Article.tags: add``.
        context: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
}

impl Error {
    /// SQLite's error with the operation that failed; a value refused before
    /// it reached SQLite (see [`bad_value`]) becomes [`Error::InvalidValue`].
    pub(crate) fn sqlite(context: impl fmt::Display, source: rusqlite::Error) -> Self {
        let context = short(context.to_string());
        if let rusqlite::Error::ToSqlConversionFailure(inner) = &source
            && let Some(bad) = inner.downcast_ref::<BadValue>()
        {
            return Error::InvalidValue {
                context,
                column: bad.column,
                reason: bad.reason,
            };
        }
        Error::Sqlite { context, source }
    }

    /// PostgreSQL's error with the operation that failed.
    #[cfg(feature = "postgres")]
    pub(crate) fn postgres(context: impl fmt::Display, source: postgres::Error) -> Self {
        Error::Postgres {
            context: short(context.to_string()),
            source,
        }
    }

    /// The PostgreSQL error underneath, if this is one (feature `postgres`).
    #[cfg(feature = "postgres")]
    pub fn postgres_error(&self) -> Option<&postgres::Error> {
        match self {
            Error::Postgres { source, .. } => Some(source),
            _ => None,
        }
    }

    /// PostgreSQL's SQLSTATE of the error, if it has one.
    #[cfg(feature = "postgres")]
    fn pg_state(&self) -> Option<&postgres::error::SqlState> {
        self.postgres_error().and_then(postgres::Error::code)
    }

    /// The SQLite error underneath, if this is one.
    pub fn sqlite_error(&self) -> Option<&rusqlite::Error> {
        match self {
            Error::Sqlite { source, .. } => Some(source),
            _ => None,
        }
    }

    /// True when SQLite gave up waiting for a lock (`SQLITE_BUSY` or
    /// `SQLITE_LOCKED`) after the connection's busy timeout: the call wrote
    /// nothing and may be retried.
    ///
    /// On PostgreSQL: a serialization failure (SQLSTATE 40001), a deadlock
    /// (40P01) or a lock timeout (55P03); the transaction it happened in is
    /// to be rolled back and run again.
    pub fn is_busy(&self) -> bool {
        #[cfg(feature = "postgres")]
        if let Some(state) = self.pg_state() {
            use postgres::error::SqlState;
            return [
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::T_R_DEADLOCK_DETECTED,
                SqlState::LOCK_NOT_AVAILABLE,
            ]
            .contains(state);
        }
        matches!(
            self.sqlite_error()
                .and_then(rusqlite::Error::sqlite_error_code),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }

    /// True when a `UNIQUE` or primary-key constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        #[cfg(feature = "postgres")]
        if let Some(state) = self.pg_state() {
            return *state == postgres::error::SqlState::UNIQUE_VIOLATION;
        }
        self.sqlite_error()
            .is_some_and(|e| is_constraint(e, Constraint::Unique))
    }

    /// The database's error with what the call was doing.
    pub(crate) fn db(context: impl fmt::Display, source: DbError) -> Self {
        match source {
            DbError::Sqlite(e) => Error::sqlite(context, e),
            #[cfg(feature = "postgres")]
            DbError::Pg(e) => Error::postgres(context, e),
            DbError::Convert(message) => Error::Conversion {
                context: short(context.to_string()),
                message,
            },
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(source: rusqlite::Error) -> Self {
        Error::sqlite("sqlite", source)
    }
}

/// PostgreSQL's message with its detail (`Key (id)=(7) ...`), or the
/// client's error.
#[cfg(feature = "postgres")]
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_owned(),
        },
        None => e.to_string(),
    }
}

/// A context string cut to a readable length: an error message stays short
/// whatever the input it is about.
fn short(mut s: String) -> String {
    const MAX: usize = 200;
    if s.len() > MAX {
        let mut cut = MAX;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// Why [`bad_value`] refuses a NaN.
pub(crate) const NAN: &str =
    "NaN cannot be stored (SQLite turns it into NULL, so it would read back as something else)";

/// A value refused before it reached SQLite, carried through rusqlite's
/// conversion error up to [`Error::sqlite`].
#[derive(Debug)]
pub(crate) struct BadValue {
    column: &'static str,
    reason: &'static str,
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column `{}`: {}", self.column, self.reason)
    }
}

impl std::error::Error for BadValue {}

pub(crate) fn bad_value(column: &'static str, reason: &'static str) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(BadValue { column, reason }))
}

/// What a call was doing, for the context of its errors:
/// `Article.tags: add`. Formatted only when an error happens.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Op {
    subject: &'static str,
    op: &'static str,
}

impl Op {
    pub(crate) const fn new(subject: &'static str, op: &'static str) -> Self {
        Op { subject, op }
    }

    /// The error mapping of this operation, for `map_err`.
    pub(crate) fn fail(self) -> impl Fn(DbError) -> Error + Copy {
        move |e| Error::db(self, e)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.op)
    }
}

/// What the database refused, before the calls give it context.
#[derive(Debug)]
pub(crate) enum DbError {
    Sqlite(rusqlite::Error),
    #[cfg(feature = "postgres")]
    Pg(postgres::Error),
    /// A value that could not be converted for the database or from it.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Convert(String),
}

#[cfg(feature = "postgres")]
impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> Self {
        DbError::Pg(e)
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::Sqlite(e)
    }
}

pub(crate) type DbResult<T> = std::result::Result<T, DbError>;

impl DbError {
    /// A foreign key refused a row: a missing owner or target.
    pub(crate) fn is_foreign_key_violation(&self) -> bool {
        match self {
            DbError::Sqlite(e) => is_constraint(e, Constraint::ForeignKey),
            #[cfg(feature = "postgres")]
            DbError::Pg(e) => e.code() == Some(&postgres::error::SqlState::FOREIGN_KEY_VIOLATION),
            DbError::Convert(_) => false,
        }
    }

    /// A unique or primary-key constraint refused a row.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlite(e) => is_constraint(e, Constraint::Unique),
            #[cfg(feature = "postgres")]
            DbError::Pg(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            DbError::Convert(_) => false,
        }
    }

    /// A `CHECK` refused a row.
    pub(crate) fn is_check_violation(&self) -> bool {
        match self {
            DbError::Sqlite(e) => is_constraint(e, Constraint::Check),
            #[cfg(feature = "postgres")]
            DbError::Pg(e) => e.code() == Some(&postgres::error::SqlState::CHECK_VIOLATION),
            DbError::Convert(_) => false,
        }
    }
}

/// The constraints the calls tell apart in SQLite's errors.
#[derive(Clone, Copy)]
enum Constraint {
    ForeignKey,
    Check,
    Unique,
}

/// True when `e` is a violation of that kind of constraint.
fn is_constraint(e: &rusqlite::Error, kind: Constraint) -> bool {
    use rusqlite::ffi;
    let rusqlite::Error::SqliteFailure(f, _) = e else {
        return false;
    };
    match kind {
        Constraint::ForeignKey => f.extended_code == ffi::SQLITE_CONSTRAINT_FOREIGNKEY,
        Constraint::Check => f.extended_code == ffi::SQLITE_CONSTRAINT_CHECK,
        Constraint::Unique => {
            f.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        }
    }
}
