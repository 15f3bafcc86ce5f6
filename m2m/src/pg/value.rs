//! Values between a model's fields and PostgreSQL.
//!
//! A value is bound as a [`PgParam`]: by default the SQLite value its
//! `rusqlite::ToSql` gives (so every [`SqlType`](crate::SqlType) works on
//! both backends), encoded for the type PostgreSQL gave the parameter when
//! the statement was prepared (an `i64` bound to an `INTEGER` column is
//! sent as PostgreSQL's 4-byte integer, range-checked). Types PostgreSQL
//! has natively (uuids, JSON, dates and times) go through `postgres`'s own
//! `ToSql`. A column is read as a [`PgRaw`] and decoded the same two ways.

use std::borrow::Cow;
use std::error::Error as StdError;

use bytes::{BufMut, BytesMut};
use postgres::types::{FromSql, IsNull, Kind, ToSql, Type, to_sql_checked};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

type BoxError = Box<dyn StdError + Sync + Send>;

/// What reading a PostgreSQL column as a Rust type gives.
pub type FromPgResult<T> = Result<T, BoxError>;

/// A value on its way to PostgreSQL, before the parameter's type is known.
#[doc(hidden)]
pub enum PgParam<'a> {
    /// SQL `NULL`.
    Null,
    /// An integer (SQLite's only integer type), sent as the parameter's.
    Int(i64),
    /// A float.
    Real(f64),
    /// Text (also JSON text, and dates or times as SQLite stores them).
    Text(Cow<'a, str>),
    /// Bytes (also a uuid's 16).
    Blob(Cow<'a, [u8]>),
    /// A value `postgres` encodes itself.
    Native(&'a (dyn ToSql + Sync)),
    /// An owned value `postgres` encodes itself (in a list).
    Boxed(Box<dyn ToSql + Sync + Send>),
    /// A list, sent as one array parameter (`= ANY($1)`).
    Array(Vec<PgParam<'a>>),
}

impl<'a> PgParam<'a> {
    /// The SQLite value `v`'s `ToSql` gives, to be converted when bound.
    pub fn from_sqlite<T: rusqlite::ToSql + ?Sized>(v: &'a T) -> rusqlite::Result<Self> {
        Ok(match v.to_sql()? {
            ToSqlOutput::Borrowed(r) => Self::from_ref(r)?,
            ToSqlOutput::Owned(v) => Self::from_value(v)?,
            // Other outputs (zeroblob, arrays) are not column values.
            _ => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "value is not a plain SQLite value".into(),
                ));
            }
        })
    }

    fn from_ref(r: ValueRef<'a>) -> rusqlite::Result<Self> {
        Ok(match r {
            ValueRef::Null => PgParam::Null,
            ValueRef::Integer(i) => PgParam::Int(i),
            ValueRef::Real(f) => PgParam::Real(f),
            ValueRef::Text(t) => PgParam::Text(Cow::Borrowed(
                std::str::from_utf8(t)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            )),
            ValueRef::Blob(b) => PgParam::Blob(Cow::Borrowed(b)),
        })
    }

    /// An owned SQLite value.
    pub(crate) fn from_value(v: Value) -> rusqlite::Result<PgParam<'static>> {
        Ok(match v {
            Value::Null => PgParam::Null,
            Value::Integer(i) => PgParam::Int(i),
            Value::Real(f) => PgParam::Real(f),
            Value::Text(t) => PgParam::Text(Cow::Owned(t)),
            Value::Blob(b) => PgParam::Blob(Cow::Owned(b)),
        })
    }

    /// The same value, owning what it borrowed; `None` for a borrowed
    /// native value (see [`SqlType::__to_pg_owned`](crate::SqlType)).
    pub(crate) fn into_owned(self) -> Option<PgParam<'static>> {
        Some(match self {
            PgParam::Null => PgParam::Null,
            PgParam::Int(i) => PgParam::Int(i),
            PgParam::Real(f) => PgParam::Real(f),
            PgParam::Text(t) => PgParam::Text(Cow::Owned(t.into_owned())),
            PgParam::Blob(b) => PgParam::Blob(Cow::Owned(b.into_owned())),
            PgParam::Native(_) => return None,
            PgParam::Boxed(b) => PgParam::Boxed(b),
            PgParam::Array(items) => PgParam::Array(
                items
                    .into_iter()
                    .map(PgParam::into_owned)
                    .collect::<Option<_>>()?,
            ),
        })
    }

    /// The same value, borrowed from `self`.
    pub(crate) fn borrowed(&self) -> PgParam<'_> {
        match self {
            PgParam::Null => PgParam::Null,
            PgParam::Int(i) => PgParam::Int(*i),
            PgParam::Real(f) => PgParam::Real(*f),
            PgParam::Text(t) => PgParam::Text(Cow::Borrowed(t)),
            PgParam::Blob(b) => PgParam::Blob(Cow::Borrowed(b)),
            PgParam::Native(v) => PgParam::Native(*v),
            PgParam::Boxed(b) => PgParam::Native(&**b),
            PgParam::Array(items) => PgParam::Array(items.iter().map(PgParam::borrowed).collect()),
        }
    }

    /// True for `NULL`.
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, PgParam::Null)
    }

    /// Encodes the value as a parameter of type `ty`; `Ok(false)` for NULL.
    pub(crate) fn encode(&self, ty: &Type, out: &mut BytesMut) -> Result<bool, BoxError> {
        let refuse = |what: &str| -> BoxError {
            format!("{what} cannot be stored in a column of type {}", ty.name()).into()
        };
        match self {
            PgParam::Null => return Ok(false),
            PgParam::Native(v) => {
                return Ok(matches!(v.to_sql_checked(ty, out)?, IsNull::No));
            }
            PgParam::Boxed(v) => {
                return Ok(matches!(v.to_sql_checked(ty, out)?, IsNull::No));
            }
            PgParam::Int(i) => match *ty {
                Type::INT8 => out.put_i64(*i),
                Type::INT4 => out.put_i32(
                    i32::try_from(*i).map_err(|_| format!("{i} is out of range for INTEGER"))?,
                ),
                Type::INT2 => out.put_i16(
                    i16::try_from(*i).map_err(|_| format!("{i} is out of range for SMALLINT"))?,
                ),
                Type::BOOL => out.put_u8(u8::from(*i != 0)),
                Type::FLOAT8 => out.put_f64(*i as f64),
                Type::FLOAT4 => out.put_f32(*i as f32),
                Type::OID => out.put_u32(
                    u32::try_from(*i).map_err(|_| format!("{i} is out of range for OID"))?,
                ),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    out.put_slice(i.to_string().as_bytes());
                }
                _ => return Err(refuse("an integer")),
            },
            PgParam::Real(f) => match *ty {
                Type::FLOAT8 => out.put_f64(*f),
                Type::FLOAT4 => out.put_f32(*f as f32),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::UNKNOWN => {
                    out.put_slice(format!("{f:?}").as_bytes());
                }
                _ => return Err(refuse("a float")),
            },
            PgParam::Text(t) => match *ty {
                Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::UNKNOWN
                | Type::JSON => out.put_slice(t.as_bytes()),
                Type::JSONB => {
                    // JSONB's binary form: a version byte, then the text.
                    out.put_u8(1);
                    out.put_slice(t.as_bytes());
                }
                _ => return text_as(t, ty, out).ok_or_else(|| refuse("text"))?,
            },
            PgParam::Blob(b) => match *ty {
                Type::BYTEA => out.put_slice(b),
                Type::UUID if b.len() == 16 => out.put_slice(b),
                _ => return Err(refuse("a blob")),
            },
            PgParam::Array(items) => {
                let Kind::Array(member) = ty.kind() else {
                    return Err(refuse("a list"));
                };
                encode_array(items, member, out)?;
            }
        }
        Ok(true)
    }
}

/// Text for a date, time or uuid column (a query value, which travels as
/// SQLite's text): parsed by the type of the feature that wrote it.
#[allow(unused_variables)]
fn text_as(t: &str, ty: &Type, out: &mut BytesMut) -> Option<Result<bool, BoxError>> {
    #[allow(unused_macros)]
    macro_rules! via {
        ($t:ty) => {{
            let v = <$t as rusqlite::types::FromSql>::column_result(ValueRef::Text(t.as_bytes()))
                .map_err(|e| -> BoxError { format!("{e}: {t:?}").into() });
            return Some(v.and_then(|v| Ok(matches!(v.to_sql(ty, out)?, IsNull::No))));
        }};
    }
    #[cfg(feature = "chrono")]
    match *ty {
        Type::TIMESTAMPTZ => via!(chrono::DateTime<chrono::FixedOffset>),
        Type::TIMESTAMP => via!(chrono::NaiveDateTime),
        Type::DATE => via!(chrono::NaiveDate),
        Type::TIME => via!(chrono::NaiveTime),
        _ => {}
    }
    #[cfg(all(feature = "time", not(feature = "chrono")))]
    match *ty {
        Type::TIMESTAMPTZ => via!(time::OffsetDateTime),
        Type::TIMESTAMP => via!(time::PrimitiveDateTime),
        Type::DATE => via!(time::Date),
        Type::TIME => via!(time::Time),
        _ => {}
    }
    None
}

/// PostgreSQL's binary array: one dimension, from index 1.
fn encode_array(items: &[PgParam<'_>], member: &Type, out: &mut BytesMut) -> Result<(), BoxError> {
    let len = i32::try_from(items.len()).map_err(|_| "list too long for one array")?;
    out.put_i32(1);
    out.put_i32(i32::from(items.iter().any(PgParam::is_null)));
    out.put_u32(member.oid());
    out.put_i32(len);
    out.put_i32(1);
    for item in items {
        let at = out.len();
        out.put_i32(0);
        if item.encode(member, out)? {
            let n = i32::try_from(out.len() - at - 4).map_err(|_| "value too long")?;
            out[at..at + 4].copy_from_slice(&n.to_be_bytes());
        } else {
            out[at..at + 4].copy_from_slice(&(-1i32).to_be_bytes());
        }
    }
    Ok(())
}

/// A parameter encoded when it was bound (for the type the prepared
/// statement gave it), sent as is.
#[derive(Debug)]
pub(crate) struct Encoded(pub(crate) Option<BytesMut>);

impl ToSql for Encoded {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match &self.0 {
            Some(b) => {
                out.put_slice(b);
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

/// A column as PostgreSQL sent it: its type and its bytes (`None` for NULL).
#[doc(hidden)]
pub struct PgRaw<'a> {
    // `FromSql` lends the type for the call only; a built-in type's clone
    // is a copy.
    ty: Type,
    raw: Option<&'a [u8]>,
}

impl<'a> FromSql<'a> for PgRaw<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(PgRaw {
            ty: ty.clone(),
            raw: Some(raw),
        })
    }
    fn from_sql_null(ty: &Type) -> Result<Self, BoxError> {
        Ok(PgRaw {
            ty: ty.clone(),
            raw: None,
        })
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

impl<'a> PgRaw<'a> {
    /// True for NULL.
    pub fn is_null(&self) -> bool {
        self.raw.is_none()
    }

    /// Reads the column through `postgres`'s own `FromSql` of `T`.
    pub fn native<T: FromSql<'a>>(self) -> FromPgResult<T> {
        match self.raw {
            Some(raw) => T::from_sql(&self.ty, raw),
            None => T::from_sql_null(&self.ty),
        }
    }

    /// Reads the column natively when it has type `ty` (the type m2m
    /// declares for `T`), else as the SQLite value it corresponds to (a
    /// table made elsewhere, with another integer width, say).
    pub fn native_if<T: FromSql<'a> + rusqlite::types::FromSql>(
        self,
        ty: &Type,
    ) -> FromPgResult<T> {
        if self.ty == *ty && self.raw.is_some() {
            self.native()
        } else {
            self.through_sqlite()
        }
    }

    /// The SQLite value this column corresponds to.
    pub(crate) fn value_ref(&self) -> FromPgResult<ValueRef<'a>> {
        let Some(raw) = self.raw else {
            return Ok(ValueRef::Null);
        };
        let ty = &self.ty;
        Ok(match *ty {
            Type::INT8 => ValueRef::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => ValueRef::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => ValueRef::Integer(i16::from_sql(ty, raw)?.into()),
            Type::OID => ValueRef::Integer(u32::from_sql(ty, raw)?.into()),
            Type::BOOL => ValueRef::Integer(bool::from_sql(ty, raw)?.into()),
            Type::CHAR => ValueRef::Integer(i8::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => ValueRef::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => ValueRef::Real(f32::from_sql(ty, raw)?.into()),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::JSON => {
                ValueRef::Text(raw)
            }
            Type::JSONB => ValueRef::Text(raw.get(1..).unwrap_or_default()),
            Type::BYTEA | Type::UUID => ValueRef::Blob(raw),
            _ => {
                return Err(format!(
                    "a column of type {} is read only by the types PostgreSQL reads it as",
                    ty.name()
                )
                .into());
            }
        })
    }

    /// Reads the column as the SQLite value it corresponds to, through
    /// `T`'s `rusqlite::FromSql`.
    pub fn through_sqlite<T: rusqlite::types::FromSql>(self) -> FromPgResult<T> {
        let v = self.value_ref()?;
        T::column_result(v).map_err(|e| -> BoxError {
            match e {
                rusqlite::types::FromSqlError::InvalidType => format!(
                    "a {} column cannot be read as {}",
                    self.ty.name(),
                    std::any::type_name::<T>()
                )
                .into(),
                e => Box::new(e),
            }
        })
    }
}
