//! Column and key types: which Rust types a model stores and the type SQLite
//! declares for each column ([`SqlType`]), and which can be a key
//! ([`PrimaryKey`]).

use std::fmt;
use std::hash::Hash;

use rusqlite::types::{FromSql, ToSql, Value};

/// A Rust type stored in one column, and the column type SQLite declares
/// for it in `CREATE TABLE`.
///
/// Every stored field of a model has a type implementing it, besides
/// rusqlite's [`ToSql`](rusqlite::types::ToSql) and
/// [`FromSql`](rusqlite::types::FromSql), which read and write the value.
/// m2m implements it for the integers up to `i64` (`INTEGER`; not `u64`,
/// which SQLite's signed integers cannot hold whole), `f32` and `f64` (`REAL`),
/// `bool` (`INTEGER`), `String` (`TEXT`), `Vec<u8>` and `[u8; N]` (`BLOB`),
/// rusqlite's dynamic [`Value`] (no declared type: any value), and
/// `Option<T>` (`T`'s type; the column is then nullable).
///
/// Features of m2m add the types rusqlite reads and writes with its
/// feature of the same name (m2m turns it on), declared as rusqlite stores
/// them:
///
/// | feature | types | declared | stored as |
/// |---|---|---|---|
/// | `chrono` | `NaiveDate`, `NaiveTime`, `NaiveDateTime`, `DateTime<Utc>`, `DateTime<FixedOffset>`, `DateTime<Local>` | `TEXT` | ISO 8601 text (`2024-05-01 12:30:00+00:00`; `Local` is stored in UTC) |
/// | `time` | `Date`, `Time`, `PrimitiveDateTime`, `OffsetDateTime`, `UtcDateTime` | `TEXT` | ISO 8601 text |
/// | `uuid` | `Uuid` | `BLOB` | its 16 bytes, big-endian; also a [`PrimaryKey`] |
/// | `serde_json` | `Value` | `TEXT` | JSON text; `null` is SQL `NULL`, so store it in an `Option<Value>` |
///
/// A type of your own implements it next to `ToSql` and `FromSql`:
///
/// ```
/// use m2m::rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
/// use m2m::{Model, SqlType};
///
/// /// Stored as text: `"#ff8800"`.
/// #[derive(Debug, Clone, PartialEq)]
/// struct Color(String);
///
/// impl SqlType for Color {
///     const SQLITE: &'static str = "TEXT";
/// }
/// impl ToSql for Color {
///     fn to_sql(&self) -> m2m::rusqlite::Result<ToSqlOutput<'_>> {
///         self.0.to_sql()
///     }
/// }
/// impl FromSql for Color {
///     fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
///         String::column_result(value).map(Color)
///     }
/// }
///
/// #[derive(Model, Debug, PartialEq)]
/// struct Label {
///     id: i64,
///     color: Color,
/// }
///
/// # fn main() -> m2m::Result<()> {
/// assert_eq!(Label::TABLE.columns()[1].sql_type(), "TEXT");
/// let conn = m2m::open_in_memory()?;
/// Label::create_table(&conn)?;
/// let mut label = Label { id: 0, color: Color("#ff8800".into()) };
/// label.insert(&conn)?;
/// assert_eq!(Label::get(&conn, label.id)?, Some(label));
/// # Ok(())
/// # }
/// ```
///
/// A list, a relation wrapped in `Option` or named through a type alias, or
/// any other type without this trait is refused at compile time, at the
/// field's type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a column",
    label = "not a column type",
    note = "a column holds one value: an integer up to `i64` (SQLite's integers are signed 64-bit, so not `u64`), `f64`, `bool`, `String`, `Vec<u8>`, ..., or an `Option` of one",
    note = "a relation is a `ManyToMany<T>` field written as such, not wrapped in `Option` or hidden behind a type alias",
    note = "dates and times, uuids and JSON values are columns with m2m's features `chrono`, `time`, `uuid` and `serde_json`",
    note = "a list can be stored by serializing it, e.g. to JSON text in a `String` field",
    note = "a field that is not stored takes `#[model(skip)]`",
    note = "a type of your own implements `m2m::SqlType` besides rusqlite's `ToSql` and `FromSql`"
)]
pub trait SqlType: rusqlite::types::ToSql + rusqlite::types::FromSql {
    /// The column's declared type in SQLite: `INTEGER`, `REAL`, `TEXT`,
    /// `BLOB`, or empty for none (the column then takes any value).
    const SQLITE: &'static str;

    /// The column's declared type in PostgreSQL. By default the type that
    /// holds what [`SQLITE`](Self::SQLITE) holds: `INTEGER` is `BIGINT`,
    /// `REAL` is `DOUBLE PRECISION`, `BLOB` is `BYTEA`, `TEXT` (and none) is
    /// `TEXT`.
    ///
    /// On PostgreSQL a value travels as the SQLite value its `ToSql` gives
    /// (and is read back through its `FromSql`), converted to and from the
    /// column's PostgreSQL type: a type of your own works on both backends
    /// with this one trait. m2m's own implementations use PostgreSQL's
    /// native types where there is one (`SMALLINT` for `i16`, `BOOLEAN`,
    /// `UUID`, `JSONB`, `TIMESTAMPTZ`, ...; see the table above).
    const PG: &'static str = default_pg(Self::SQLITE);

    #[doc(hidden)]
    /// Both declared types, for the derive.
    const TYPES: ColumnTypes = ColumnTypes {
        sqlite: Self::SQLITE,
        pg: Self::PG,
    };

    #[doc(hidden)]
    #[cfg(feature = "postgres")]
    /// The value as PostgreSQL takes it: by default the SQLite value its
    /// `ToSql` gives, converted to the column's type when it is bound.
    fn __to_pg(&self) -> rusqlite::Result<crate::pg::value::PgParam<'_>> {
        crate::pg::value::PgParam::from_sqlite(self)
    }

    #[doc(hidden)]
    #[cfg(feature = "postgres")]
    /// [`__to_pg`](Self::__to_pg), owning its value (for a list parameter).
    fn __to_pg_owned(&self) -> rusqlite::Result<crate::pg::value::PgParam<'static>> {
        crate::pg::value::PgParam::from_sqlite(self)?
            .into_owned()
            .ok_or_else(|| {
                rusqlite::Error::ToSqlConversionFailure(
                    "a value borrowed by PostgreSQL's own conversion".into(),
                )
            })
    }

    #[doc(hidden)]
    #[cfg(feature = "postgres")]
    /// The value of a PostgreSQL column: by default read as the SQLite value
    /// it corresponds to, through the type's `FromSql`.
    fn __from_pg(raw: crate::pg::value::PgRaw<'_>) -> crate::pg::value::FromPgResult<Self>
    where
        Self: Sized,
    {
        raw.through_sqlite()
    }
}

/// The declared types of one column, on each backend (the derive's
/// `ColumnDef`s take them from [`SqlType::TYPES`]).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct ColumnTypes {
    /// SQLite's.
    pub sqlite: &'static str,
    /// PostgreSQL's.
    pub pg: &'static str,
}

/// PostgreSQL's type for a column SQLite declares `sqlite`.
pub const fn default_pg(sqlite: &'static str) -> &'static str {
    const fn is(a: &str, b: &str) -> bool {
        crate::__private::same_name(a, b)
    }
    if is(sqlite, "INTEGER") {
        "BIGINT"
    } else if is(sqlite, "REAL") {
        "DOUBLE PRECISION"
    } else if is(sqlite, "BLOB") {
        "BYTEA"
    } else if is(sqlite, "TEXT") || sqlite.is_empty() {
        "TEXT"
    } else {
        sqlite
    }
}

macro_rules! sql_types {
    ($sqlite:literal, $pg:literal: $($t:ty),*) => {$(
        impl SqlType for $t {
            const SQLITE: &'static str = $sqlite;
            const PG: &'static str = $pg;
        }
    )*};
}

/// Types read from their own PostgreSQL type by `postgres` directly (the
/// common case, and the fast one), from another through their SQLite value.
macro_rules! fast_types {
    ($sqlite:literal, $pg:literal, $pg_type:ident: $($t:ty),*) => {$(
        impl SqlType for $t {
            const SQLITE: &'static str = $sqlite;
            const PG: &'static str = $pg;
            #[cfg(feature = "postgres")]
            fn __from_pg(raw: crate::pg::value::PgRaw<'_>) -> crate::pg::value::FromPgResult<Self> {
                raw.native_if(&postgres::types::Type::$pg_type)
            }
        }
    )*};
}

/// Types PostgreSQL reads and writes itself (`postgres`'s `ToSql` and
/// `FromSql`, with the `postgres` crate's feature of the same name).
#[allow(unused_macros)]
macro_rules! native_types {
    ($sqlite:literal, $pg:literal: $($t:ty),*) => {$(
        impl SqlType for $t {
            const SQLITE: &'static str = $sqlite;
            const PG: &'static str = $pg;
            #[cfg(feature = "postgres")]
            fn __to_pg(&self) -> rusqlite::Result<crate::pg::value::PgParam<'_>> {
                Ok(crate::pg::value::PgParam::Native(self))
            }
            #[cfg(feature = "postgres")]
            fn __to_pg_owned(&self) -> rusqlite::Result<crate::pg::value::PgParam<'static>> {
                Ok(crate::pg::value::PgParam::Boxed(Box::new(self.clone())))
            }
            #[cfg(feature = "postgres")]
            fn __from_pg(raw: crate::pg::value::PgRaw<'_>) -> crate::pg::value::FromPgResult<Self> {
                raw.native()
            }
        }
    )*};
}

// Not `u64` or `usize`: SQLite's integers are signed 64-bit, and rusqlite
// reads and writes them only with a feature that fails at run time on large
// values; the compile error says to use `i64`.
sql_types!("INTEGER", "SMALLINT": i8, u8);
fast_types!("INTEGER", "SMALLINT", INT2: i16);
sql_types!("INTEGER", "INTEGER": u16);
fast_types!("INTEGER", "INTEGER", INT4: i32);
sql_types!("INTEGER", "BIGINT": isize, u32);
fast_types!("INTEGER", "BIGINT", INT8: i64);
fast_types!("INTEGER", "BOOLEAN", BOOL: bool);
fast_types!("REAL", "REAL", FLOAT4: f32);
fast_types!("REAL", "DOUBLE PRECISION", FLOAT8: f64);
// Written out (not by the macro): a compile error about a type that is no
// column points at these as the closest ones, and reads better plain.
impl SqlType for String {
    const SQLITE: &'static str = "TEXT";
    const PG: &'static str = "TEXT";
    #[cfg(feature = "postgres")]
    fn __from_pg(raw: crate::pg::value::PgRaw<'_>) -> crate::pg::value::FromPgResult<Self> {
        raw.native_if(&postgres::types::Type::TEXT)
    }
}

impl SqlType for Vec<u8> {
    const SQLITE: &'static str = "BLOB";
    const PG: &'static str = "BYTEA";
    #[cfg(feature = "postgres")]
    fn __from_pg(raw: crate::pg::value::PgRaw<'_>) -> crate::pg::value::FromPgResult<Self> {
        raw.native_if(&postgres::types::Type::BYTEA)
    }
}
// A dynamic value: any type in SQLite; text in PostgreSQL, whose columns
// have one type.
sql_types!("", "TEXT": Value);

impl<const N: usize> SqlType for [u8; N] {
    const SQLITE: &'static str = "BLOB";
    const PG: &'static str = "BYTEA";
}

#[cfg(feature = "chrono")]
native_types!("TEXT", "DATE": chrono::NaiveDate);
#[cfg(feature = "chrono")]
native_types!("TEXT", "TIME": chrono::NaiveTime);
#[cfg(feature = "chrono")]
native_types!("TEXT", "TIMESTAMP": chrono::NaiveDateTime);
#[cfg(feature = "chrono")]
native_types!("TEXT", "TIMESTAMPTZ":
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::FixedOffset>,
    chrono::DateTime<chrono::Local>
);

#[cfg(feature = "time")]
native_types!("TEXT", "DATE": time::Date);
#[cfg(feature = "time")]
native_types!("TEXT", "TIME": time::Time);
#[cfg(feature = "time")]
native_types!("TEXT", "TIMESTAMP": time::PrimitiveDateTime);
#[cfg(feature = "time")]
native_types!("TEXT", "TIMESTAMPTZ": time::OffsetDateTime);
// `postgres` has no `UtcDateTime`: stored as the same ISO text as on SQLite.
#[cfg(feature = "time")]
sql_types!("TEXT", "TEXT": time::UtcDateTime);

#[cfg(feature = "uuid")]
native_types!("BLOB", "UUID": uuid::Uuid);

// rusqlite writes JSON numbers as SQLite numbers; a `TEXT` column turns them
// into their text, which reads back as the same JSON number.
// JSON `null` is SQL `NULL` on PostgreSQL too (as rusqlite writes it), so a
// `NOT NULL` column refuses it and an `Option<Value>` reads it as `None`.
#[cfg(feature = "serde_json")]
impl SqlType for serde_json::Value {
    const SQLITE: &'static str = "TEXT";
    const PG: &'static str = "JSONB";
    #[cfg(feature = "postgres")]
    fn __to_pg(&self) -> rusqlite::Result<crate::pg::value::PgParam<'_>> {
        Ok(match self {
            serde_json::Value::Null => crate::pg::value::PgParam::Null,
            v => crate::pg::value::PgParam::Native(v),
        })
    }
    #[cfg(feature = "postgres")]
    fn __to_pg_owned(&self) -> rusqlite::Result<crate::pg::value::PgParam<'static>> {
        Ok(match self {
            serde_json::Value::Null => crate::pg::value::PgParam::Null,
            v => crate::pg::value::PgParam::Boxed(Box::new(v.clone())),
        })
    }
    #[cfg(feature = "postgres")]
    fn __from_pg(raw: crate::pg::value::PgRaw<'_>) -> crate::pg::value::FromPgResult<Self> {
        raw.native()
    }
}

impl<T: SqlType> SqlType for Option<T> {
    const SQLITE: &'static str = T::SQLITE;
    const PG: &'static str = T::PG;
    #[cfg(feature = "postgres")]
    fn __to_pg(&self) -> rusqlite::Result<crate::pg::value::PgParam<'_>> {
        match self {
            Some(v) => v.__to_pg(),
            None => Ok(crate::pg::value::PgParam::Null),
        }
    }
    #[cfg(feature = "postgres")]
    fn __to_pg_owned(&self) -> rusqlite::Result<crate::pg::value::PgParam<'static>> {
        match self {
            Some(v) => v.__to_pg_owned(),
            None => Ok(crate::pg::value::PgParam::Null),
        }
    }
    #[cfg(feature = "postgres")]
    fn __from_pg(raw: crate::pg::value::PgRaw<'_>) -> crate::pg::value::FromPgResult<Self> {
        if raw.is_null() {
            Ok(None)
        } else {
            T::__from_pg(raw).map(Some)
        }
    }
}

/// A type that can be a model's primary key.
///
/// Implemented for the integer types that fit SQLite's signed 64-bit
/// integers (`i8` to `i64`, `u8` to `u32`; assigned by SQLite on insert when
/// `0`; a type narrower than `i64` gets a `CHECK` of its range, see
/// [`Error::KeysExhausted`](crate::Error::KeysExhausted)), `String` and
/// `Vec<u8>`, and with the `uuid` feature `uuid::Uuid`. A key type of your own implements it with an empty
/// `impl PrimaryKey for MyId {}` if it is
/// `SqlType + ToSql + FromSql + Clone + Ord + Hash + Debug`; such keys are
/// inserted as given. The key column and the junction columns that refer to
/// it declare its [`SqlType`].
///
/// Every key type works on every side of every relation, as owner and as
/// target: integer, text and blob keys travel the same way in relation
/// calls and eager loading (a list of keys is one parameter).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a primary key",
    label = "not a primary key type",
    note = "a key is an `i64` (or a narrower integer: `i32`, `u32`, ...; SQLite's integers are signed 64-bit, so not `u64`), a `String`, a `Vec<u8>`, a `uuid::Uuid` (m2m's feature `uuid`), or a type with `impl m2m::PrimaryKey`"
)]
pub trait PrimaryKey:
    SqlType + ToSql + FromSql + Clone + Ord + Hash + fmt::Debug + 'static
{
    /// True when the key is an alias of SQLite's rowid, assigned on insert.
    const AUTO: bool = false;
    #[doc(hidden)]
    /// The values an integer key narrower than `i64` can hold: its table
    /// gets a `CHECK`, so SQLite never assigns a rowid the type cannot read.
    const INT_RANGE: Option<(i64, i64)> = None;
    /// True when the value means "not stored yet" (`0` for integers).
    fn is_unset(&self) -> bool {
        false
    }
    /// The key SQLite assigned as rowid, for [`PrimaryKey::AUTO`] keys.
    fn from_rowid(rowid: i64) -> Option<Self> {
        let _ = rowid;
        None
    }
}

macro_rules! integer_keys {
    ($($t:ty),*) => {$(
        impl PrimaryKey for $t {
            const AUTO: bool = true;
            const INT_RANGE: Option<(i64, i64)> = if <$t>::BITS < 64 {
                Some((<$t>::MIN as i64, <$t>::MAX as i64))
            } else {
                None
            };
            fn is_unset(&self) -> bool {
                *self == 0
            }
            fn from_rowid(rowid: i64) -> Option<Self> {
                <$t>::try_from(rowid).ok()
            }
        }
    )*};
}
integer_keys!(i8, i16, i32, i64, u8, u16, u32);

impl PrimaryKey for String {}

impl PrimaryKey for Vec<u8> {}

/// Inserted as given, like a `String` key: m2m does not make uuids (make
/// them with the `uuid` crate's `v4` or `v7` features). The nil uuid (all
/// zeros) counts as "not saved", so a forgotten key (`Uuid::nil()`,
/// `Default::default()`) is caught instead of keying a row by zeros:
/// `insert` and `save` refuse it with
/// [`Error::InvalidValue`](crate::Error::InvalidValue) naming the key
/// column, and relation calls with [`Error::Unsaved`](crate::Error::Unsaved).
#[cfg(feature = "uuid")]
impl PrimaryKey for uuid::Uuid {
    fn is_unset(&self) -> bool {
        self.is_nil()
    }
}
