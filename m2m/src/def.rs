//! The static descriptions `#[derive(Model)]` emits: tables, columns,
//! relations, and the statement cache each carries. Data only: this module
//! imports nothing of the runtime, which reads these to write its SQL.

use std::fmt;
use std::sync::OnceLock;

/// The static description of a model's table, emitted by the derive:
/// `Tag::TABLE`.
pub struct TableDef {
    pub(crate) model: &'static str,
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [ColumnDef],
    pub(crate) pk: usize,
    pub(crate) auto_key: bool,
    pub(crate) key_range: Option<(i64, i64)>,
    pub(crate) sql: SqlCache,
}

impl TableDef {
    /// The Rust name of the model (`Tag`), as messages name it.
    pub const fn model(&self) -> &'static str {
        self.model
    }

    /// The table's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The stored columns, in field order.
    pub const fn columns(&self) -> &'static [ColumnDef] {
        self.columns
    }

    /// The index of the primary key in [`columns`](Self::columns).
    pub const fn key_index(&self) -> usize {
        self.pk
    }

    /// The primary key column.
    pub fn pk_column(&self) -> &ColumnDef {
        &self.columns[self.pk]
    }

    /// Every column's name but the key's, in column order: the order in
    /// which a model hands its values to be bound.
    pub(crate) fn non_key_columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != self.pk)
            .map(|(_, c)| c.name)
    }

    /// True when the key is assigned by the database on insert (an integer
    /// key: SQLite's rowid).
    pub const fn auto_key(&self) -> bool {
        self.auto_key
    }
}

impl fmt::Debug for TableDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableDef")
            .field("model", &self.model)
            .field("name", &self.name)
            .field("columns", &self.columns)
            .field("pk", &self.pk)
            .finish()
    }
}

/// One column of a [`TableDef`].
#[derive(Debug, Clone, Copy)]
pub struct ColumnDef {
    pub(crate) name: &'static str,
    pub(crate) sql_type: &'static str,
    pub(crate) pg_type: &'static str,
    pub(crate) nullable: bool,
    pub(crate) unique: bool,
    pub(crate) index: bool,
}

impl ColumnDef {
    /// The column's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The declared SQL type (`INTEGER`, `TEXT`, ...; empty for none), from
    /// the field type's [`SqlType`](crate::SqlType).
    pub const fn sql_type(&self) -> &'static str {
        self.sql_type
    }

    /// The declared PostgreSQL type (`BIGINT`, `TEXT`, ...), from the field
    /// type's [`SqlType::PG`](crate::SqlType::PG).
    pub const fn pg_type(&self) -> &'static str {
        self.pg_type
    }

    /// True for an `Option<T>` field.
    pub const fn nullable(&self) -> bool {
        self.nullable
    }

    /// True for `#[model(unique)]`.
    pub const fn unique(&self) -> bool {
        self.unique
    }

    /// True for `#[model(index)]`.
    pub const fn indexed(&self) -> bool {
        self.index
    }
}

/// Where a relation's links are stored.
#[derive(Clone, Copy)]
pub enum Junction {
    /// A junction table of two key columns that m2m creates (`through = "..."`).
    Table(&'static str),
    /// A through model's table: two key columns and pivot data
    /// (`through_model = ...`).
    Model(&'static TableDef),
}

/// The static description of one direction of a many-to-many relation.
///
/// The declaring side (`Article.tags`) and the reverse side (`Tag.articles`)
/// each have one; they share the junction with `source` and `target`
/// swapped.
pub struct RelationDef {
    pub(crate) name: &'static str,
    pub(crate) junction: Junction,
    pub(crate) source: &'static str,
    pub(crate) target: &'static str,
    pub(crate) owner: &'static TableDef,
    pub(crate) target_table: &'static TableDef,
    pub(crate) symmetrical: bool,
    pub(crate) declared: bool,
    pub(crate) sql: SqlCache,
}

impl RelationDef {
    /// `Owner.field` (or `Target.related_name` on the reverse side), as
    /// messages name it.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The table holding the links: the junction table or the through model's.
    pub const fn junction_table(&self) -> &'static str {
        match self.junction {
            Junction::Table(name) => name,
            Junction::Model(table) => table.name,
        }
    }

    /// The through model's table, for a relation with pivot data.
    pub const fn through(&self) -> Option<&'static TableDef> {
        match self.junction {
            Junction::Table(_) => None,
            Junction::Model(table) => Some(table),
        }
    }

    /// The junction column that refers to the owner (this side).
    pub const fn source(&self) -> &'static str {
        self.source
    }

    /// The junction column that refers to the target.
    pub const fn target(&self) -> &'static str {
        self.target
    }

    /// The owner's table.
    pub const fn owner(&self) -> &'static TableDef {
        self.owner
    }

    /// The target's table.
    pub const fn target_table(&self) -> &'static TableDef {
        self.target_table
    }

    /// True for a self relation that reads the same from both sides (one
    /// row per pair, the smaller key in `source`).
    pub const fn symmetrical(&self) -> bool {
        self.symmetrical
    }

    /// True on the side that declared the relation (whose model creates the
    /// junction).
    pub const fn declared(&self) -> bool {
        self.declared
    }

    /// True for a through model's column that holds pivot data: neither its
    /// key nor one of the relation's two key columns. The statements that
    /// write pivot data and the binder that fills them both ask this, in the
    /// through model's column order, so values meet their columns.
    pub(crate) fn is_pivot_column(&self, column: &str) -> bool {
        match self.junction {
            Junction::Table(_) => false,
            Junction::Model(p) => {
                column != self.source && column != self.target && column != p.pk_column().name
            }
        }
    }
}

impl fmt::Debug for RelationDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelationDef")
            .field("name", &self.name)
            .field("junction", &self.junction_table())
            .field("source", &self.source)
            .field("target", &self.target)
            .field("symmetrical", &self.symmetrical)
            .field("through", &self.through().map(|t| t.model))
            .finish()
    }
}

/// Lazily built SQL text, one slot per statement kind, and per column for
/// the statements about one column of a table ([`ColumnSlot`]).
///
/// Each dialect has its own (SQLite's is reached through `Deref`, the
/// other's by name), so one program may use a model on both backends.
pub(crate) struct SqlCache {
    sqlite: Slots,
    #[cfg(feature = "postgres")]
    pg: Slots,
}

impl SqlCache {
    pub(crate) const fn new() -> Self {
        SqlCache {
            sqlite: Slots::new(),
            #[cfg(feature = "postgres")]
            pg: Slots::new(),
        }
    }

    /// PostgreSQL's statements.
    #[cfg(feature = "postgres")]
    pub(crate) fn pg(&self) -> &Slots {
        &self.pg
    }
}

impl std::ops::Deref for SqlCache {
    type Target = Slots;
    fn deref(&self) -> &Slots {
        &self.sqlite
    }
}

/// One dialect's statements of a table or relation.
pub(crate) struct Slots {
    slots: [OnceLock<Box<str>>; SLOTS],
    columns: OnceLock<Box<[ColumnSlots]>>,
}

/// One column's statements, one slot per [`ColumnSlot`].
type ColumnSlots = [OnceLock<Box<str>>; ColumnSlot::Kinds as usize];

// One slot per statement kind; `Slot::Kinds` is last, so adding a kind grows this.
const SLOTS: usize = Slot::Kinds as usize;

// `SqlCache::get_list` finds a blob form right after its plain form.
const _: () = {
    let pairs = [
        (Slot::Add, Slot::AddBlobs),
        (Slot::AddReturning, Slot::AddReturningBlobs),
        (
            Slot::RemoveOthersReturning,
            Slot::RemoveOthersReturningBlobs,
        ),
        (Slot::MissingTarget, Slot::MissingTargetBlobs),
        (Slot::Prefetch, Slot::PrefetchBlobs),
        (Slot::PivotsOf, Slot::PivotsOfBlobs),
        (Slot::PrefetchWithPivot, Slot::PrefetchWithPivotBlobs),
    ];
    let mut i = 0;
    while i < pairs.len() {
        assert!(pairs[i].0 as usize + 1 == pairs[i].1 as usize);
        i += 1;
    }
};

impl Slots {
    pub(crate) const fn new() -> Self {
        Slots {
            slots: [const { OnceLock::new() }; SLOTS],
            columns: OnceLock::new(),
        }
    }

    pub(crate) fn get(&self, slot: Slot, build: impl FnOnce() -> String) -> &str {
        self.slots[slot as usize].get_or_init(|| build().into_boxed_str())
    }

    /// A statement that reads a key list: `slot`, or the slot after it for
    /// the form that decodes blobs.
    pub(crate) fn get_list(&self, slot: Slot, blobs: bool, build: impl FnOnce() -> String) -> &str {
        self.slots[slot as usize + usize::from(blobs)].get_or_init(|| build().into_boxed_str())
    }

    /// A statement about column `column` of `t` (whose cache this is).
    pub(crate) fn get_column(
        &self,
        t: &TableDef,
        slot: ColumnSlot,
        column: usize,
        build: impl FnOnce() -> String,
    ) -> &str {
        let all = self.columns.get_or_init(|| {
            (0..t.columns.len())
                .map(|_| [const { OnceLock::new() }; ColumnSlot::Kinds as usize])
                .collect()
        });
        // `column` indexes `t.columns`, which sized `all`.
        all[column][slot as usize].get_or_init(|| build().into_boxed_str())
    }
}

/// The statement kinds about one column of a table, kept per column.
#[derive(Clone, Copy)]
pub(crate) enum ColumnSlot {
    /// `insert_unless` with the key bound.
    InsertUnless,
    /// `insert_unless` with the key left to the database.
    InsertUnlessAuto,
    /// `get_by`.
    GetBy,
    /// The number of kinds (not a statement).
    Kinds,
}

/// The statement kinds kept in a [`SqlCache`].
#[derive(Clone, Copy)]
pub(crate) enum Slot {
    // Tables.
    Insert,
    InsertAuto,
    Update,
    Upsert,
    InsertInGap,
    Delete,
    DeleteRowid,
    Get,
    SelectList,
    // Relations. A statement reading a key list has a second slot for the
    // form that decodes blobs (see `list_rows`), right after its own.
    Add,
    AddBlobs,
    AddReturning,
    AddReturningBlobs,
    RemoveOne,
    // PostgreSQL's alone.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    RemoveMany,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    RemoveManyReturning,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    LockRow,
    RemoveOthersReturning,
    RemoveOthersReturningBlobs,
    Clear,
    Keys,
    Count,
    Exists,
    Contains,
    Fetch,
    FetchOne,
    Scope,
    MissingTarget,
    MissingTargetBlobs,
    OwnerExists,
    Prefetch,
    PrefetchBlobs,
    CountColumn,
    PivotGet,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    PivotGetForUpdate,
    PivotUpdate,
    FetchWithPivot,
    PivotsOf,
    PivotsOfBlobs,
    PrefetchWithPivot,
    PrefetchWithPivotBlobs,
    InsertOne,
    InsertOneChecked,
    /// The number of kinds (not a statement).
    Kinds,
}
