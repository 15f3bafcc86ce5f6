//! Typed primary keys.

use std::fmt;
use std::hash::{Hash, Hasher};

use rusqlite::types::{FromSql, ToSql};

use crate::{Model, SqlType};

/// A type that can be a model's primary key.
///
/// Implemented for the integer types that fit SQLite's signed 64-bit
/// integers (`i8` to `i64`, `u8` to `u32`; assigned by SQLite on insert when
/// `0`; a type narrower than `i64` gets a `CHECK` of its range, see
/// [`Error::KeysExhausted`](crate::Error::KeysExhausted)), `String` and
/// `Vec<u8>`. A key type of your own implements it with an empty
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
    note = "a key is an `i64` (or a narrower integer: `i32`, `u32`, ...; SQLite's integers are signed 64-bit, so not `u64`), a `String`, a `Vec<u8>`, or a type with `impl m2m_core::PrimaryKey`"
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

/// The primary key of a `T`: `tag.key()`, `Key::<Tag>::new(3)`.
///
/// A `Key<Tag>` is never accepted where a `Key<Article>` is expected, so keys
/// of different models cannot be mixed up even when both are `i64`.
///
/// ```
/// # use m2m_core::{Key, Model};
/// #[derive(Model)]
/// struct Tag { id: i64, name: String }
///
/// let key = Key::<Tag>::new(3);
/// assert_eq!(*key.get(), 3);
/// assert_eq!(Tag { id: 3, name: "rust".into() }.key(), key);
/// ```
pub struct Key<T: Model>(T::Pk);

impl<T: Model> Key<T> {
    /// Wraps a raw key value.
    pub fn new(pk: T::Pk) -> Self {
        Key(pk)
    }
    /// The raw key value.
    pub fn get(&self) -> &T::Pk {
        &self.0
    }
    /// Unwraps the raw key value.
    pub fn into_inner(self) -> T::Pk {
        self.0
    }
}

impl<T: Model> Clone for Key<T> {
    fn clone(&self) -> Self {
        Key(self.0.clone())
    }
}
impl<T: Model> Copy for Key<T> where T::Pk: Copy {}
impl<T: Model> PartialEq for Key<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<T: Model> Eq for Key<T> {}
impl<T: Model> Hash for Key<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}
impl<T: Model> PartialOrd for Key<T>
where
    T::Pk: Ord,
{
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T: Model> Ord for Key<T>
where
    T::Pk: Ord,
{
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}
impl<T: Model> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key<{}>({:?})", T::TABLE.model, self.0)
    }
}
impl<T: Model> fmt::Display for Key<T>
where
    T::Pk: fmt::Display,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Anything that names a row of `T`: `&T` (and `&&T`), `Key<T>`, `&Key<T>`,
/// or `T`'s raw key value by value or by reference (`3` or `&3` for an `i64`
/// key; `"x"`, `&"x"`, `String` or `&String` for a `String` key).
///
/// Relation calls take an iterator of these, so `[&a, &b]`, `&tags` (a
/// `Vec<Tag>` or a `Vec<&Tag>`), `vec![Key::new(3)]`, `[1, 2, 3]`, `&ids` (a
/// `Vec<i64>`) and `&["a", "b"]` all work, while a row of another model does
/// not compile. The impls for raw keys are generated by `#[derive(Model)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not name a `{T}`",
    label = "expected `&{T}`, `Key<{T}>` or a raw `{T}` key here",
    note = "relation calls take the target model by reference (`&tag`), its `Key`, or its raw key value"
)]
pub trait IntoKey<T: Model> {
    /// The key named.
    fn into_key(self) -> Key<T>;
}

impl<T: Model> IntoKey<T> for Key<T> {
    fn into_key(self) -> Key<T> {
        self
    }
}
impl<T: Model> IntoKey<T> for &Key<T> {
    fn into_key(self) -> Key<T> {
        self.clone()
    }
}
impl<T: Model> IntoKey<T> for &T {
    fn into_key(self) -> Key<T> {
        Key(self.pk().clone())
    }
}
impl<T: Model> IntoKey<T> for &mut T {
    fn into_key(self) -> Key<T> {
        Key(self.pk().clone())
    }
}
/// The items of `&rows` when `rows` is a `Vec<&T>` (or a slice of them).
impl<T: Model> IntoKey<T> for &&T {
    fn into_key(self) -> Key<T> {
        Key(self.pk().clone())
    }
}
