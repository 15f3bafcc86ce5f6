//! The one error type of the crate.

use std::fmt;

/// Result alias used by every fallible call of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call of this crate.
///
/// The variants a program usually handles on its own are [`Error::Unsaved`],
/// [`Error::MissingTarget`], [`Error::MissingOwner`] and [`Error::NotFound`].
/// [`Error::Schema`] and [`Error::UnsupportedKey`] point at a setup mistake;
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
    /// A key type that cannot be sent in a batch (a blob) was used in a relation write.
    #[error("`{model}` keys of this type cannot be used in relation calls: {reason}")]
    UnsupportedKey {
        /// The Rust name of the model.
        model: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The database schema does not match what a model declares.
    #[error("table `{table}`: {problem}")]
    Schema {
        /// The table concerned.
        table: &'static str,
        /// What is wrong and how to fix it.
        problem: String,
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
    pub(crate) fn sqlite(context: impl fmt::Display, source: rusqlite::Error) -> Self {
        Error::Sqlite {
            context: context.to_string(),
            source,
        }
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
    pub fn is_busy(&self) -> bool {
        matches!(
            self.sqlite_error()
                .and_then(rusqlite::Error::sqlite_error_code),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }

    /// True when a `UNIQUE` or primary-key constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self.sqlite_error(),
            Some(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        )
    }
}

impl From<rusqlite::Error> for Error {
    fn from(source: rusqlite::Error) -> Self {
        Error::sqlite("sqlite", source)
    }
}

/// True when `e` is a foreign-key constraint failure.
pub(crate) fn is_foreign_key_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}
