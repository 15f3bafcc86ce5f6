//! The `Model` trait: what `#[derive(Model)]` implements, and the CRUD calls
//! every model gets.

use std::fmt;

use crate::__private::{BindError, RowReader, SqlValue, ValueSink};
use crate::db::Db;
use crate::def::{RelationDef, TableDef};
use crate::key::{IntoKey, Key, PrimaryKey};
use crate::query::Query;
use crate::{Result, crud};

/// A struct stored as one row of one SQLite table.
///
/// Implement it with `#[derive(Model)]`; see the [crate docs](crate) for the
/// attributes. Every method that touches the database takes a connection:
/// `&C` where `C:` [`Db`] (a rusqlite `Connection`, `Transaction` or
/// `Savepoint`).
///
/// ```
/// use m2m_core::Model;
///
/// #[derive(Model, Debug, PartialEq)]
/// struct Tag {
///     id: i64,
///     #[model(unique)]
///     name: String,
/// }
///
/// # fn main() -> m2m_core::Result<()> {
/// let conn = m2m_core::open_in_memory()?;
/// Tag::create_table(&conn)?;
/// let mut tag = Tag { id: 0, name: "rust".into() };
/// tag.insert(&conn)?; // assigns the key
/// assert_ne!(tag.id, 0);
/// tag.name = "Rust".into();
/// tag.update(&conn)?;
/// assert_eq!(Tag::get(&conn, tag.id)?, Some(tag));
/// # Ok(())
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an m2m model",
    label = "not a model",
    note = "add `#[derive(Model)]` to `{Self}`"
)]
pub trait Model: Sized + 'static {
    /// The primary key's Rust type.
    type Pk: PrimaryKey;
    /// The generated struct of typed columns handed to query closures.
    type Columns: 'static;
    /// The static description of the table.
    const TABLE: &'static TableDef;
    /// The typed columns, as handed to `filter` and `order_by` closures.
    const COLUMNS: Self::Columns;

    /// The primary key's value.
    fn pk(&self) -> &Self::Pk;
    #[doc(hidden)]
    fn __set_pk(&mut self, pk: Self::Pk);
    #[doc(hidden)]
    /// Reads the columns of `TABLE`, in order, starting at column `start`.
    fn __from_row<R: RowReader>(row: &R, start: usize) -> Result<Self, R::Error>;
    #[doc(hidden)]
    /// Hands every column value but the key to `sink`, in `TABLE` order.
    fn __bind_columns(&self, sink: &mut dyn ValueSink) -> std::result::Result<(), BindError>;
    #[doc(hidden)]
    /// The relations declared on this model (their junction tables belong to it).
    fn __relations() -> &'static [&'static RelationDef] {
        &[]
    }

    /// This row's typed key.
    fn key(&self) -> Key<Self> {
        Key::new(self.pk().clone())
    }

    /// Inserts the row. An integer key of `0` is assigned by SQLite and
    /// written back into `self`; any other key is inserted as given.
    fn insert(&mut self, conn: &impl Db) -> Result<()> {
        let s = conn.__session();
        crud::writable::<Self>(s, "insert")?;
        if let Some(pk) = crud::insert(s, self)? {
            self.__set_pk(pk);
        }
        Ok(())
    }

    /// Writes every column of the row with this key. [`Error::NotFound`](crate::Error::NotFound)
    /// when no such row exists; [`Error::Unsaved`](crate::Error::Unsaved) when the key is unset.
    fn update(&self, conn: &impl Db) -> Result<()> {
        let s = conn.__session();
        crud::writable::<Self>(s, "update")?;
        crud::update(s, self)
    }

    /// Inserts the row when its key is unset, otherwise inserts or updates it
    /// in place (an upsert that keeps the row, so its links survive).
    fn save(&mut self, conn: &impl Db) -> Result<()> {
        let s = conn.__session();
        crud::writable::<Self>(s, "save")?;
        if self.pk().is_unset() {
            self.insert(conn)
        } else {
            crud::upsert(s, self)
        }
    }

    /// Deletes the row; its links go with it (the junctions cascade), the rows
    /// on the other side stay. Returns whether a row was deleted.
    fn delete(&self, conn: &impl Db) -> Result<bool> {
        let s = conn.__session();
        crud::writable::<Self>(s, "delete")?;
        crud::delete(s, self)
    }

    /// Loads the row with this key.
    fn get(conn: &impl Db, key: impl IntoKey<Self>) -> Result<Option<Self>> {
        crud::get(conn.__session(), key.into_key().get())
    }

    /// Starts a typed query on this model's table.
    fn query() -> Query<Self> {
        Query::new()
    }

    /// Creates the table, its indexes and the junction tables of the
    /// relations declared on this model, skipping what already exists.
    ///
    /// What exists is checked against what the model needs (the same check
    /// as [`verify_schema`](crate::verify_schema)), before and after: a table
    /// with other columns or another key, a junction without its pair key or
    /// its foreign keys, a table another model made or a through table
    /// another relation uses, each fails with
    /// [`Error::Schema`](crate::Error::Schema) naming the table and the
    /// difference, instead of failing later (or never).
    ///
    /// A relation's through model table is created here too, with the
    /// foreign keys that make deletes cascade. If the through model's own
    /// `create_table` made it first (without them), it is rebuilt when empty;
    /// when it already holds rows this fails with `Error::Schema` rather
    /// than lose them.
    fn create_table(conn: &impl Db) -> Result<()> {
        crate::verify::create_table(conn.__session(), Self::TABLE, Self::__relations())
    }

    /// The DDL [`Model::create_table`] runs on SQLite, as text (for
    /// migration tools).
    fn schema_sql() -> String {
        crate::sqlite::ddl::create_sql(Self::TABLE, Self::__relations())
    }
}

/// A relation slot on a model: `tags: ManyToMany<Tag>`.
///
/// It is not a column. It holds the targets when they were eager-loaded and
/// nothing otherwise; writes go through the relation's accessor
/// (`article.tags().add(..)`), never through the slot.
pub struct ManyToMany<T> {
    loaded: Option<Vec<T>>,
}

impl<T> ManyToMany<T> {
    /// An unloaded slot.
    pub const fn new() -> Self {
        ManyToMany { loaded: None }
    }
    /// The eager-loaded targets, or `None` when they were not loaded.
    pub fn get(&self) -> Option<&[T]> {
        self.loaded.as_deref()
    }
    /// True when the slot holds eager-loaded targets.
    pub fn is_loaded(&self) -> bool {
        self.loaded.is_some()
    }
    /// Takes the loaded targets out, leaving the slot unloaded.
    pub fn take(&mut self) -> Option<Vec<T>> {
        self.loaded.take()
    }
    pub(crate) fn fill(&mut self, targets: Vec<T>) {
        self.loaded = Some(targets);
    }
}

impl<T> Default for ManyToMany<T> {
    fn default() -> Self {
        Self::new()
    }
}
impl<T: Clone> Clone for ManyToMany<T> {
    fn clone(&self) -> Self {
        ManyToMany {
            loaded: self.loaded.clone(),
        }
    }
}
impl<T: fmt::Debug> fmt::Debug for ManyToMany<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.loaded {
            Some(v) => f.debug_tuple("ManyToMany").field(v).finish(),
            None => f.write_str("ManyToMany(<not loaded>)"),
        }
    }
}
impl<T: PartialEq> PartialEq for ManyToMany<T> {
    fn eq(&self, other: &Self) -> bool {
        self.loaded == other.loaded
    }
}
impl<T: Eq> Eq for ManyToMany<T> {}

/// Hands every column value of `m` but the key to `f` with its column's
/// name, in `TABLE` order: the one place the names meet the values, for
/// every statement that binds a row.
pub(crate) fn each_value<M: Model>(
    m: &M,
    f: &mut dyn FnMut(&'static str, &dyn SqlValue) -> std::result::Result<(), BindError>,
) -> std::result::Result<(), BindError> {
    struct Named<'f, I> {
        names: I,
        f: &'f mut dyn FnMut(&'static str, &dyn SqlValue) -> std::result::Result<(), BindError>,
    }
    impl<I: Iterator<Item = &'static str>> ValueSink for Named<'_, I> {
        fn put(&mut self, value: &dyn SqlValue) -> std::result::Result<(), BindError> {
            let name = self.names.next().unwrap_or("");
            (self.f)(name, value)
        }
    }
    let mut sink = Named {
        names: M::TABLE.non_key_columns(),
        f,
    };
    m.__bind_columns(&mut sink)
}
