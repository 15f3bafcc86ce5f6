//! What the code `#[derive(Model)]` generates calls and names, and nothing
//! else: `m2m::__private`, hidden from the docs and from semver.

use rusqlite::types::ToSql;

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

/// The declared type of a key column, asked of its `PrimaryKey` bound alone
/// (so a type that is no key is one error, not also "no column").
pub const fn key_sql_type<K: crate::PrimaryKey>() -> crate::types::ColumnTypes {
    K::TYPES
}

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

pub use crate::query::{NoValue, NotNull, OwnedBy};
pub use crate::value::{BindError, RowReader, SqlValue, ValueSink};

/// Reads and binds one field's column: `(&Stored::<T>::NEW).get(row, i)`.
///
/// The derive declares each column's type as `<T as SqlType>::SQLITE` (the
/// key's through `key_sql_type`), which reports a field type that is no
/// column (or no key) in our words, once. Reads and binds dispatch by method
/// resolution: [`StoredColumn`] / [`StoredKey`] (by value) when the type is
/// one, else [`NotStored`] (by autoref), which asks nothing of the type, so
/// rustc adds no second and third error for the same field, and is never
/// run (the crate does not compile).
pub struct Stored<T>(std::marker::PhantomData<fn() -> T>);

impl<T> Stored<T> {
    /// The dispatcher for a column of type `T`.
    pub const NEW: Self = Stored(std::marker::PhantomData);
}

/// Reads and binds a column of a [`crate::SqlType`].
pub trait StoredColumn<T> {
    /// Reads column `index` of `row`.
    fn get<R: RowReader>(&self, row: &R, index: usize) -> Result<T, R::Error>;
    /// Hands the value to `sink`.
    fn put(&self, sink: &mut dyn ValueSink, value: &T) -> Result<(), BindError>;
}

impl<T: crate::SqlType> StoredColumn<T> for Stored<T> {
    fn get<R: RowReader>(&self, row: &R, index: usize) -> Result<T, R::Error> {
        row.get(index)
    }
    fn put(&self, sink: &mut dyn ValueSink, value: &T) -> Result<(), BindError> {
        sink.put(value)
    }
}

/// Reads the key column, a [`crate::PrimaryKey`].
pub trait StoredKey<T> {
    /// Reads column `index` of `row`.
    fn get_key<R: RowReader>(&self, row: &R, index: usize) -> Result<T, R::Error>;
}

impl<T: crate::PrimaryKey> StoredKey<T> for Stored<T> {
    fn get_key<R: RowReader>(&self, row: &R, index: usize) -> Result<T, R::Error> {
        row.get_key(index)
    }
}

/// What a field of a type that is no column (or no key) resolves to, after
/// its `SqlType` (or `PrimaryKey`) error: never run.
pub trait NotStored<T> {
    /// Fails.
    fn get<R: RowReader>(&self, row: &R, index: usize) -> Result<T, R::Error>;
    /// Fails.
    fn get_key<R: RowReader>(&self, row: &R, index: usize) -> Result<T, R::Error>;
    /// Binds nothing.
    fn put(&self, sink: &mut dyn ValueSink, value: &T) -> Result<(), BindError>;
}

impl<T> NotStored<T> for &Stored<T> {
    fn get<R: RowReader>(&self, _: &R, index: usize) -> Result<T, R::Error> {
        Err(R::not_a_column(index))
    }
    fn get_key<R: RowReader>(&self, _: &R, index: usize) -> Result<T, R::Error> {
        Err(R::not_a_column(index))
    }
    fn put(&self, _: &mut dyn ValueSink, _: &T) -> Result<(), BindError> {
        Ok(())
    }
}

/// `Model::TABLE` of a derived model.
pub const fn table(
    model: &'static str,
    name: &'static str,
    columns: &'static [crate::ColumnDef],
    pk: usize,
    auto_key: bool,
    key_range: Option<(i64, i64)>,
) -> crate::TableDef {
    crate::TableDef {
        model,
        name,
        columns,
        pk,
        auto_key,
        key_range,
        sql: crate::def::SqlCache::new(),
    }
}

/// One column of a derived model's table.
pub const fn column(
    name: &'static str,
    types: crate::types::ColumnTypes,
    nullable: bool,
    unique: bool,
    index: bool,
) -> crate::ColumnDef {
    crate::ColumnDef {
        name,
        sql_type: types.sqlite,
        pg_type: types.pg,
        nullable,
        unique,
        index,
    }
}

/// One direction of a derived relation.
#[allow(clippy::too_many_arguments)]
pub const fn relation(
    name: &'static str,
    junction: crate::Junction,
    source: &'static str,
    target: &'static str,
    owner: &'static crate::TableDef,
    target_table: &'static crate::TableDef,
    symmetrical: bool,
    declared: bool,
) -> crate::RelationDef {
    crate::RelationDef {
        name,
        junction,
        source,
        target,
        owner,
        target_table,
        symmetrical,
        declared,
        sql: crate::def::SqlCache::new(),
    }
}

/// The declared side's descriptor (`Article::TAGS`), with the owner's slot.
pub const fn forward<O, T, P>(
    def: &'static crate::RelationDef,
    slot: fn(&mut O) -> &mut crate::ManyToMany<T>,
) -> crate::Relation<O, T, P, crate::Forward> {
    crate::Relation::forward(def, slot)
}

/// The accessor of `owner` through `rel` (`article.tags()`).
pub fn of<O: crate::Model, T, P, D>(
    rel: crate::Relation<O, T, P, D>,
    owner: &O::Pk,
) -> crate::Related<'_, O, T, P> {
    rel.of(owner)
}

/// The reverse side's descriptor (`Tag::ARTICLES`).
pub const fn reverse<O, T, P>(
    def: &'static crate::RelationDef,
) -> crate::Relation<O, T, P, crate::Reverse> {
    crate::Relation::reverse(def)
}

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
impl crate::SqlType for NoKey {
    const SQLITE: &'static str = "";
}
impl crate::PrimaryKey for NoKey {}
