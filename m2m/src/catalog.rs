//! What a database reports of one of its tables (columns, keys, foreign
//! keys, indexes): read by each backend, compared by `verify`.

/// A table as the database has it (empty when it does not exist).
#[derive(Debug, Default)]
pub(crate) struct Existing {
    /// `table`, `view`, or `None` when nothing has the name.
    pub(crate) kind: Option<String>,
    pub(crate) columns: Vec<ColumnInfo>,
    pub(crate) foreign_keys: Vec<ForeignKey>,
    pub(crate) indexes: Vec<IndexInfo>,
}

#[derive(Debug)]
pub(crate) struct ColumnInfo {
    pub(crate) name: String,
    pub(crate) decl_type: String,
    pub(crate) not_null: bool,
    pub(crate) has_default: bool,
    /// Position in the primary key, from 1; 0 when not part of it.
    pub(crate) pk: i64,
}

#[derive(Debug)]
pub(crate) struct ForeignKey {
    pub(crate) from: String,
    pub(crate) table: String,
    /// `None` when it refers to the other table's primary key implicitly.
    pub(crate) to: Option<String>,
    pub(crate) on_delete: String,
}

#[derive(Debug)]
pub(crate) struct IndexInfo {
    pub(crate) unique: bool,
    /// `pk`, `u` (a UNIQUE constraint) or `c` (`CREATE INDEX`).
    pub(crate) origin: String,
    /// In index order; an expression is an empty name.
    pub(crate) columns: Vec<String>,
}
