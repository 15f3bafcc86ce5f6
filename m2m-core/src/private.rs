//! What the code `#[derive(Model)]` generates calls and names, and nothing
//! else: `m2m_core::__private`, hidden from the docs and from semver.

pub use rusqlite::Row;
pub use rusqlite::types::ToSql;

/// A through model's link field holds a key of `O`: checked at compile
/// time for `source` and `target` of a `through_model` relation.
#[diagnostic::on_unimplemented(
    message = "this field of the through model does not hold a `{O}` key",
    label = "expected a field of `{O}`'s key type",
    note = "`source` and `target` name the through model's fields that store the two sides' keys; their types must be the keys' types"
)]
pub trait KeyColumnOf<O> {}
impl<P, V: SameKey<O::Pk>, O: crate::Model> KeyColumnOf<O> for crate::Column<P, V> {}

/// `Self` is the key type `K` (a separate trait, so a mismatch is
/// reported in our words rather than as a failed type equation).
#[diagnostic::on_unimplemented(
    message = "this field of the through model holds `{Self}`, but the key it must hold is `{K}`",
    label = "a `{Self}` field where a `{K}` key is expected",
    note = "`source` and `target` name the through model's fields that store the two sides' keys; their types must be the keys' types"
)]
pub trait SameKey<K> {}
impl<K> SameKey<K> for K {}

/// Compile-time check that `column` holds keys of `O`.
pub const fn key_column<O, C: KeyColumnOf<O>>(_column: &C) {}

/// SQLite's equality of names: ASCII case-insensitive (`Tag` and `tag` are
/// one table). For compile-time assertions on names the derive cannot see.
pub const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !a[i].eq_ignore_ascii_case(&b[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// The name of `table`'s key column; empty for a model whose key was
/// reported missing (its stand-in table may have no column at all).
pub const fn key_column_name(table: &crate::TableDef) -> &'static str {
    if table.pk < table.columns.len() {
        table.columns[table.pk].name
    } else {
        ""
    }
}

/// `Self` and `T` are one type: checked when the derive takes a path to a
/// relation's target (`crate::User` inside `User`) for `Self`.
#[diagnostic::on_unimplemented(
    message = "`{T}` is taken for `{Self}` itself, but it names another type",
    label = "read as a relation of `{Self}` to itself",
    note = "a target whose last segment is the model's own name is a relation to `Self`; to relate to another type of that name, import it under another name (`use path::to::{Self} as Other{Self};`)"
)]
pub trait SameType<T> {}
impl<T> SameType<T> for T {}

/// Compile-time check that the path `T` names the model `O`.
pub const fn self_path<O: SameType<T>, T>() {}

use rusqlite::types::{FromSql, FromSqlResult, ToSqlOutput, ValueRef};

/// The key of a model whose derive reported a missing or invalid primary
/// key: the expansion still implements `Model` with it, so the rest of the
/// crate does not fail with "not a model" on top of the real error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoKey;

impl ToSql for NoKey {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Owned(rusqlite::types::Value::Null))
    }
}
impl FromSql for NoKey {
    fn column_result(_: ValueRef<'_>) -> FromSqlResult<Self> {
        Ok(NoKey)
    }
}
impl crate::PrimaryKey for NoKey {}
