//! The `Model` trait: what `#[derive(Model)]` implements, and the CRUD calls
//! every model gets.

use crate::db::Db;
use crate::db::{Atomic, Session, Stmt};
use crate::def::{RelationDef, TableDef};
use crate::error::{DbResult, Op};
use crate::key::{IntoKey, Key};
use crate::query::{Column, Query};
use crate::types::PrimaryKey;
use crate::value::{BindError, RowReader, SqlValue, ValueSink};
use crate::verify::Schema;
use crate::{Error, Result};

/// A struct stored as one row of one SQLite table.
///
/// Implement it with `#[derive(Model)]`; see the [crate docs](crate) for the
/// attributes. Every method that touches the database takes a connection:
/// `&C` where `C:` [`Db`] (a rusqlite `Connection`, `Transaction` or
/// `Savepoint`).
///
/// ```
/// use m2m::Model;
///
/// #[derive(Model, Debug, PartialEq)]
/// struct Tag {
///     id: i64,
///     #[model(unique)]
///     name: String,
/// }
///
/// # fn main() -> m2m::Result<()> {
/// let conn = m2m::open_in_memory()?;
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
        writable::<Self>(s, "insert")?;
        if let Some(pk) = insert(s, self)? {
            self.__set_pk(pk);
        }
        Ok(())
    }

    /// Writes every column of the row with this key. [`Error::NotFound`](crate::Error::NotFound)
    /// when no such row exists; [`Error::Unsaved`](crate::Error::Unsaved) when the key is unset.
    fn update(&self, conn: &impl Db) -> Result<()> {
        let s = conn.__session();
        writable::<Self>(s, "update")?;
        update(s, self)
    }

    /// Inserts the row when its key is unset, otherwise inserts or updates it
    /// in place (an upsert that keeps the row, so its links survive).
    fn save(&mut self, conn: &impl Db) -> Result<()> {
        let s = conn.__session();
        writable::<Self>(s, "save")?;
        if self.pk().is_unset() {
            self.insert(conn)
        } else {
            upsert(s, self)
        }
    }

    /// Deletes the row; its links go with it (the junctions cascade), the rows
    /// on the other side stay. Returns whether a row was deleted.
    fn delete(&self, conn: &impl Db) -> Result<bool> {
        let s = conn.__session();
        writable::<Self>(s, "delete")?;
        delete(s, self)
    }

    /// Finds the row whose column `by` holds this row's value of it, or
    /// inserts this row when there is none; returns `true` when it
    /// inserted. The call for seed data, which may run twice.
    ///
    /// `by` picks the column as query closures do (`|c| c.name`); it must
    /// be `#[model(unique)]` or the key, else
    /// [`Error::NotUnique`](crate::Error::NotUnique) and nothing is written.
    /// Found, the stored row replaces `self` (its key and every column, as
    /// [`get`](Model::get) loads it: the stored row wins, and nothing of
    /// `self` is written; `save` afterwards to write it). Inserted, `self`
    /// gets its key as with [`insert`](Model::insert).
    ///
    /// Atomic and race-free: one unit (a transaction, or a savepoint inside
    /// yours) runs `INSERT ... ON CONFLICT (column) DO NOTHING`, then, if
    /// that skipped the row, reads the row holding the value. Concurrent
    /// writers with the same value never both insert and never fail on the
    /// unique constraint: the later one waits for the lock and finds the
    /// row. A conflict on another unique column (or on the key, given with
    /// another value of `by`) is still an error.
    ///
    /// Errors, with nothing written: [`Error::InvalidValue`](crate::Error::InvalidValue)
    /// for a NULL in the column (it equals nothing, so every call would
    /// insert) or a NaN anywhere; [`Error::Unsaved`](crate::Error::Unsaved)
    /// for finding by an integer key still `0`.
    ///
    /// ```
    /// use m2m::Model;
    ///
    /// #[derive(Model, Debug, PartialEq)]
    /// struct Tag { id: i64, #[model(unique)] name: String, uses: i64 }
    ///
    /// fn seed(conn: &m2m::rusqlite::Connection) -> m2m::Result<Vec<Tag>> {
    ///     let mut tags = Vec::new();
    ///     for name in ["rust", "sql"] {
    ///         let mut tag = Tag { id: 0, name: name.into(), uses: 0 };
    ///         tag.get_or_insert(conn, |c| c.name)?;
    ///         tags.push(tag);
    ///     }
    ///     Ok(tags)
    /// }
    ///
    /// # fn main() -> m2m::Result<()> {
    /// let conn = m2m::open_in_memory()?;
    /// Tag::create_table(&conn)?;
    /// let first = seed(&conn)?;
    /// assert_eq!(seed(&conn)?, first); // the same rows, the same keys
    /// assert_eq!(Tag::query().count(&conn)?, 2);
    ///
    /// let mut again = Tag { id: 0, name: "rust".into(), uses: 7 };
    /// assert!(!again.get_or_insert(&conn, |c| c.name)?); // found: the stored row wins
    /// assert_eq!((again.id, again.uses), (first[0].id, 0));
    /// # Ok(())
    /// # }
    /// ```
    fn get_or_insert<V>(
        &mut self,
        conn: &impl Db,
        by: impl FnOnce(&Self::Columns) -> Column<Self, V>,
    ) -> Result<bool> {
        let s = conn.__session();
        writable::<Self>(s, "get_or_insert")?;
        let by = unique_column::<Self>(by(&Self::COLUMNS).name())?;
        get_or_insert(s, self, by)
    }

    /// Loads the row with this key.
    fn get(conn: &impl Db, key: impl IntoKey<Self>) -> Result<Option<Self>> {
        get(conn.__session(), key.into_key().get())
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

// The row calls the `Model` methods run.

fn op<M: Model>(op: &'static str) -> Op {
    Op::new(M::TABLE.model, op)
}

/// [`Session::require_foreign_keys`] for a row write of `M`.
pub(crate) fn writable<M: Model>(s: Session<'_>, name: &'static str) -> Result<()> {
    s.require_foreign_keys(op::<M>(name))
}

/// Binds every column but the key, in order, then the key when `with_key`
/// (the order of the insert, update and upsert statements).
fn bind_row<M: Model>(stmt: &mut Stmt<'_>, m: &M, with_key: bool) -> DbResult<()> {
    let mut i = 0;
    crate::model::each_value(m, &mut |name, v| {
        i += 1;
        stmt.bind(i, name, v).map_err(BindError)
    })
    .map_err(|e| e.0)?;
    if with_key {
        stmt.bind(i + 1, M::TABLE.pk_column().name, m.pk())?;
    }
    Ok(())
}

/// Runs the row statement `text` with `m`'s values bound.
fn write_row<M: Model>(s: Session<'_>, text: &str, m: &M, with_key: bool) -> DbResult<usize> {
    let mut stmt = s.prepare(text)?;
    bind_row(&mut stmt, m, with_key)?;
    stmt.execute()
}

/// Inserts `m`; returns the key the database assigned, if it assigned one.
pub(crate) fn insert<M: Model>(s: Session<'_>, m: &M) -> Result<Option<M::Pk>> {
    let t = M::TABLE;
    let auto = t.auto_key && m.pk().is_unset();
    let fail = op::<M>("insert").fail();
    if !t.auto_key && m.pk().is_unset() {
        // A row keyed by the "not saved" value (a nil uuid) could never be
        // linked: every relation call would call it unsaved.
        return Err(Error::InvalidValue {
            context: op::<M>("insert").to_string(),
            column: t.pk_column().name,
            reason: "the key is unset (a nil uuid): give the row its key before inserting it",
        });
    }
    if !auto {
        return write_row(s, s.sql().insert(t, true), m, true)
            .map(|_| None)
            .map_err(fail);
    }
    let mut resynced = false;
    loop {
        match write_row(s, s.sql().insert(t, false), m, false) {
            Ok(_) => return assigned_key(s, m),
            // The next rowid is past the key type's range (the CHECK refused it).
            Err(e) if t.key_range.is_some() && e.is_check_violation() => {
                return insert_in_gap(s, m);
            }
            // PostgreSQL's identity handed out a key a row was given explicitly
            // (inside a unit, as `create`'s, the unit is rolled back to its
            // start first: PostgreSQL refuses statements after a failed one).
            Err(e)
                if !resynced
                    && e.is_unique_violation()
                    && s.recover().is_ok()
                    && s.resync_key(t).map_err(fail)? =>
            {
                resynced = true;
            }
            Err(e) => return Err(fail(e)),
        }
    }
}

/// The key the database gave `m`, just inserted without one.
fn assigned_key<M: Model>(s: Session<'_>, m: &M) -> Result<Option<M::Pk>> {
    let rowid = s.last_insert_id();
    if let Some(pk) = M::Pk::from_rowid(rowid) {
        return Ok(Some(pk));
    }
    // A table made without the key's range CHECK (by another tool): take
    // the row back out before any read trips over its key.
    s.execute(s.sql().delete_rowid(M::TABLE), &[&rowid])
        .map_err(op::<M>("insert").fail())?;
    insert_in_gap(s, m)
}

/// Inserts `m` with the smallest free key its narrow key type can hold, in
/// one statement (so no other writer can take the key between look-up and
/// insert).
fn insert_in_gap<M: Model>(s: Session<'_>, m: &M) -> Result<Option<M::Pk>> {
    let t = M::TABLE;
    let Some((_, max)) = t.key_range else {
        return Ok(None);
    };
    match write_row(s, s.sql().insert_in_gap(t, max), m, false).map_err(op::<M>("insert").fail())? {
        0 => Err(Error::KeysExhausted {
            model: t.model,
            max,
        }),
        _ => Ok(M::Pk::from_rowid(s.last_insert_id())),
    }
}

/// What [`get_or_insert`] did.
enum GetOrInsert<M: Model> {
    /// The stored row with the value.
    Found(M),
    /// Inserted, with the key the database assigned, if it assigned one.
    Inserted(Option<M::Pk>),
}

/// [`Model::get_or_insert`]'s work: finds the row of `M` whose column `by`
/// (from [`unique_column`]) holds `m`'s value of it, or inserts `m`. `m`
/// becomes the stored row or gets its new key; returns whether it was
/// inserted.
///
/// Insert first, read second, in one atomic unit. An insert that skips a
/// conflicting row is what makes concurrent writers agree without an error:
/// the second one waits for the first's lock, then finds its row. Reading
/// first would, inside a caller's transaction, start a snapshot that
/// another writer can make stale before the insert, a busy error SQLite
/// cannot wait out.
pub(crate) fn get_or_insert<M: Model>(s: Session<'_>, m: &mut M, by: usize) -> Result<bool> {
    let t = M::TABLE;
    let op = op::<M>("get_or_insert");
    let fail = op.fail();
    if by == t.pk {
        crate::key::check_saved::<M>(m.pk(), "finding it by its key")?;
    }
    let mut null = false;
    // A value that cannot be converted fails below, where it is bound.
    let _ = column_value(m, by, &mut |_, v| {
        null = s.is_null(v);
        Ok(())
    });
    if null {
        return Err(Error::InvalidValue {
            context: op.to_string(),
            column: t.columns[by].name,
            reason: NULL_FINDS_NOTHING,
        });
    }
    let unit = Atomic::begin(s).map_err(fail)?;
    let auto = t.auto_key && m.pk().is_unset();
    let mut resynced = false;
    let done = loop {
        break match write_row(s, s.sql().insert_unless(t, !auto, by), m, !auto) {
            Ok(0) => match find_by(s, m, by).map_err(fail)? {
                Some(row) => GetOrInsert::Found(row),
                None => {
                    return Err(Error::Schema {
                        table: t.name,
                        problem: format!(
                            "column `{}`: a row conflicts with the value but none equals it; the column's UNIQUE constraint must compare values as `=` does (no COLLATE)",
                            t.columns[by].name
                        ),
                    });
                }
            },
            Ok(_) if auto => GetOrInsert::Inserted(assigned_key(s, m)?),
            Ok(_) => GetOrInsert::Inserted(None),
            // The next rowid is past a narrow key's range: SQLite checks that
            // before the conflict, so whether a row has the value is not known.
            Err(e) if auto && t.key_range.is_some() && e.is_check_violation() => {
                s.recover().map_err(fail)?;
                match find_by(s, m, by).map_err(fail)? {
                    Some(row) => GetOrInsert::Found(row),
                    None => GetOrInsert::Inserted(insert_in_gap(s, m)?),
                }
            }
            // PostgreSQL's identity handed out a key a row was given explicitly.
            Err(e) if auto && !resynced && e.is_unique_violation() => {
                s.recover().map_err(fail)?;
                if !s.resync_key(t).map_err(fail)? {
                    return Err(fail(e));
                }
                resynced = true;
                continue;
            }
            Err(e) => return Err(fail(e)),
        };
    };
    unit.commit().map_err(fail)?;
    Ok(match done {
        GetOrInsert::Found(row) => {
            *m = row;
            false
        }
        GetOrInsert::Inserted(pk) => {
            if let Some(pk) = pk {
                m.__set_pk(pk);
            }
            true
        }
    })
}

/// Why a NULL cannot find a row.
const NULL_FINDS_NOTHING: &str = "NULL equals no value, so no row can be found by it \
     (and each call would insert one); give it a value";

/// The index of `column` in `M`'s columns, when a value of it names one
/// row: the key or a `#[model(unique)]` column.
pub(crate) fn unique_column<M: Model>(column: &'static str) -> Result<usize> {
    let t = M::TABLE;
    match t.columns.iter().position(|c| c.name == column) {
        Some(i) if i == t.pk || t.columns[i].unique => Ok(i),
        _ => Err(Error::NotUnique {
            model: t.model,
            column,
        }),
    }
}

/// Hands `m`'s value of column `index` to `f`, with the column's name.
fn column_value<M: Model>(
    m: &M,
    index: usize,
    f: &mut dyn FnMut(&'static str, &dyn SqlValue) -> std::result::Result<(), BindError>,
) -> std::result::Result<(), BindError> {
    let t = M::TABLE;
    let name = t.columns[index].name;
    if index == t.pk {
        return f(name, m.pk());
    }
    each_value(m, &mut |n, v| if n == name { f(n, v) } else { Ok(()) })
}

/// The row of `M` whose column `by` holds `m`'s value of it.
fn find_by<M: Model>(s: Session<'_>, m: &M, by: usize) -> DbResult<Option<M>> {
    let mut stmt = s.prepare(s.sql().get_by(M::TABLE, by))?;
    column_value(m, by, &mut |name, v| {
        stmt.bind(1, name, v).map_err(BindError)
    })
    .map_err(|e| e.0)?;
    Ok(stmt.rows(|row| M::__from_row(row, 0))?.pop())
}

pub(crate) fn update<M: Model>(s: Session<'_>, m: &M) -> Result<()> {
    let t = M::TABLE;
    crate::key::saved::<M>(m.pk().clone(), "updating it")?;
    let changed = match s.sql().update(t) {
        Some(text) => write_row(s, text, m, true),
        // Only a key: the row is up to date if it exists.
        None => s
            .one::<bool>(s.sql().row_exists(t), &[m.pk()])
            .map(usize::from),
    };
    match changed.map_err(op::<M>("update").fail())? {
        0 => Err(Error::NotFound {
            table: t.name,
            key: crate::sqlite::render_key(m.pk()),
        }),
        _ => Ok(()),
    }
}

pub(crate) fn upsert<M: Model>(s: Session<'_>, m: &M) -> Result<()> {
    write_row(s, s.sql().upsert(M::TABLE), m, true)
        .map(drop)
        .map_err(op::<M>("save").fail())
}

pub(crate) fn delete<M: Model>(s: Session<'_>, m: &M) -> Result<bool> {
    s.execute(s.sql().delete(M::TABLE), &[m.pk()])
        .map(|n| n > 0)
        .map_err(op::<M>("delete").fail())
}

pub(crate) fn get<M: Model>(s: Session<'_>, key: &M::Pk) -> Result<Option<M>> {
    let mut rows = s
        .rows(s.sql().get(M::TABLE), &[key], |row| M::__from_row(row, 0))
        .map_err(op::<M>("get").fail())?;
    Ok(rows.pop())
}

impl Schema {
    /// The schema of model `M`: its table and the junctions of the relations
    /// it declares.
    pub fn of<M: Model>() -> Self {
        Schema {
            table: M::TABLE,
            relations: M::__relations(),
        }
    }
}
