//! How values cross between a model's fields and the database, whatever the
//! backend: a row being read ([`RowReader`]), a value being bound
//! ([`SqlValue`]) and the sink a model hands its columns to ([`ValueSink`]).
//! The derive's generated code calls these (through `__private`).

use rusqlite::types::ToSqlOutput;

/// A row being read by a model's `__from_row`: each field's column, by
/// index, as the field's type.
pub trait RowReader {
    /// What a failed read is.
    type Error;
    /// Column `index` as a `V`.
    fn get<V: crate::SqlType>(&self, index: usize) -> Result<V, Self::Error>;
    /// The key column, asked of its `PrimaryKey` bound alone (so a type that
    /// is no key is one error, not also "no column").
    fn get_key<K: crate::PrimaryKey>(&self, index: usize) -> Result<K, Self::Error>;
    /// The error of a field that is no column: never returned, since such a
    /// model does not compile (see `__private::Stored`).
    fn not_a_column(index: usize) -> Self::Error;
}

impl RowReader for rusqlite::Row<'_> {
    type Error = rusqlite::Error;
    fn get<V: crate::SqlType>(&self, index: usize) -> rusqlite::Result<V> {
        rusqlite::Row::get(self, index)
    }
    fn get_key<K: crate::PrimaryKey>(&self, index: usize) -> rusqlite::Result<K> {
        rusqlite::Row::get(self, index)
    }
    fn not_a_column(index: usize) -> rusqlite::Error {
        rusqlite::Error::InvalidColumnIndex(index)
    }
}

/// A column value on its way into a statement, whatever the backend.
pub trait SqlValue {
    /// The value as SQLite takes it.
    fn sqlite(&self) -> rusqlite::Result<ToSqlOutput<'_>>;
    /// The value as PostgreSQL takes it.
    #[cfg(feature = "postgres")]
    fn pg(&self) -> rusqlite::Result<crate::pg::value::PgParam<'_>>;
    /// The value as PostgreSQL takes it, owned.
    #[cfg(feature = "postgres")]
    fn pg_owned(&self) -> rusqlite::Result<crate::pg::value::PgParam<'static>>;
}

impl<T: crate::SqlType> SqlValue for T {
    fn sqlite(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        self.to_sql()
    }
    #[cfg(feature = "postgres")]
    fn pg(&self) -> rusqlite::Result<crate::pg::value::PgParam<'_>> {
        self.__to_pg()
    }
    #[cfg(feature = "postgres")]
    fn pg_owned(&self) -> rusqlite::Result<crate::pg::value::PgParam<'static>> {
        self.__to_pg_owned()
    }
}

/// Where a model's `__bind_columns` puts its column values (every column
/// but the key, in column order).
pub trait ValueSink {
    /// The next column's value.
    fn put(&mut self, value: &dyn SqlValue) -> Result<(), BindError>;
}

/// A value the database refused as a parameter (the runtime adds context).
#[derive(Debug)]
pub struct BindError(pub(crate) crate::error::DbError);
