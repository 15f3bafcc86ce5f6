//! The accessor of one owner's links (`article.tags()`, a [`Related`]) and
//! its calls: add, remove, set, clear, sync, toggle, create, and the reads.
//! Pivot calls are in `pivot.rs`; eager loading in `prefetch.rs`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use crate::db::{Atomic, Db, List, Session};
use crate::def::RelationDef;
use crate::error::DbError;
use crate::error::Op;
use crate::key::{IntoKey, Key, check_saved, saved};
use crate::query::{Column, Query};
use crate::relation::{SyncMode, SyncReport, Through};
use crate::types::PrimaryKey;
use crate::value::{BindError, RowReader, SqlValue};
use crate::{Error, Model, Result};

/// The accessor of one owner's links: `article.tags()`, `tag.articles()`,
/// `Article::TAGS.of_key(key)`.
///
/// Targets are given as anything naming rows of `T` ([`IntoKey`]); a row of
/// another model does not compile. Every call on an owner whose integer key
/// is still `0` fails with [`Error::Unsaved`].
///
/// ```
/// use m2m::{Key, ManyToMany, Model, SyncMode};
///
/// #[derive(Model, Debug, Clone, PartialEq)]
/// struct Tag { id: i64, name: String }
///
/// #[derive(Model, Debug)]
/// struct Post {
///     id: i64,
///     #[many_to_many(related_name = "posts")]
///     tags: ManyToMany<Tag>,
/// }
///
/// # fn main() -> m2m::Result<()> {
/// let conn = m2m::open_in_memory()?;
/// Tag::create_table(&conn)?;
/// Post::create_table(&conn)?;
/// let mut t = Vec::new();
/// for name in ["a", "b", "c", "d"] {
///     let mut tag = Tag { id: 0, name: name.into() };
///     tag.insert(&conn)?;
///     t.push(tag);
/// }
/// let mut post = Post { id: 0, tags: ManyToMany::default() };
/// post.insert(&conn)?;
/// let tags = post.tags();
///
/// assert_eq!(tags.add(&conn, [&t[0], &t[1], &t[1]])?, 2); // repeats count once
/// assert_eq!(tags.add(&conn, [&t[0]])?, 0);                // already linked
/// assert_eq!(tags.remove(&conn, [&t[1], &t[3]])?, 1);      // absent links ignored
/// assert_eq!(tags.keys(&conn)?, vec![t[0].key()]);
///
/// let r = tags.set(&conn, [&t[1], &t[2]])?;                 // a diff
/// assert_eq!((r.added, r.removed), (vec![t[1].key(), t[2].key()], vec![t[0].key()]));
/// let r = tags.toggle(&conn, [&t[2], &t[3]])?;
/// assert_eq!((r.added, r.removed), (vec![t[3].key()], vec![t[2].key()]));
/// let r = tags.sync(&conn, [t[0].id], SyncMode::Add)?;      // raw keys work too
/// assert_eq!(r.added, vec![Key::new(t[0].id)]);
///
/// assert_eq!(tags.count(&conn)?, 3);
/// assert!(tags.contains(&conn, &t[3])? && tags.exists(&conn)?);
/// assert_eq!(tags.fetch_one(&conn)?.map(|x| x.name), Some("a".to_string()));
/// assert_eq!(tags.filter(|c| c.name.ne("a")).count(&conn)?, 2);
/// let e = tags.create(&conn, Tag { id: 0, name: "e".into() })?; // insert + link
/// assert!(e.posts().contains(&conn, &post)?);                   // the reverse side
/// assert_eq!(tags.clear(&conn)?, 4);
/// # Ok(())
/// # }
/// ```
pub struct Related<'a, O: Model, T, P = ()> {
    def: &'static RelationDef,
    pub(crate) owner: Cow<'a, O::Pk>,
    _m: PhantomData<fn() -> (T, P)>,
}

impl<'a, O: Model, T, P> Related<'a, O, T, P> {
    pub(crate) fn new(def: &'static RelationDef, owner: Cow<'a, O::Pk>) -> Self {
        Related {
            def,
            owner,
            _m: PhantomData,
        }
    }
}

impl<O: Model, T, P> fmt::Debug for Related<'_, O, T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Related({} of {:?})", self.def.name, self.owner)
    }
}

/// A list of target keys, checked and encoded as one list parameter.
pub(crate) struct Batch<T: Model> {
    pub(crate) keys: Vec<T::Pk>,
    pub(crate) list: List,
}

impl<T: Model> Batch<T> {
    /// Checks every input before anything is written: unsaved targets are
    /// refused, repeated ones kept once.
    pub(crate) fn new<K: IntoKey<T>>(
        s: Session<'_>,
        targets: impl IntoIterator<Item = K>,
    ) -> Result<Self> {
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        for k in targets {
            let k = saved::<T>(k.into_key().into_inner(), "linking it")?;
            if seen.insert(k.clone()) {
                keys.push(k);
            }
        }
        Self::from_keys(s, keys)
    }

    pub(crate) fn from_keys(s: Session<'_>, mut keys: Vec<T::Pk>) -> Result<Self> {
        // PostgreSQL locks the rows a statement writes in the order it writes
        // them: two calls writing the same links in a different order could
        // deadlock. Sorted, every call takes them in one order. (SQLite
        // writes one statement at a time.)
        if s.is_pg() {
            keys.sort_unstable();
        }
        let values: Vec<&dyn SqlValue> = keys.iter().map(|k| k as &dyn SqlValue).collect();
        let list = s
            .sql()
            .list(T::TABLE.pk_column().name, &values)
            .map_err(Op::new(T::TABLE.model, "key").fail())?;
        Ok(Batch { keys, list })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

pub(crate) fn sorted<T: Model>(mut keys: Vec<T::Pk>) -> Vec<Key<T>> {
    keys.sort();
    keys.into_iter().map(Key::new).collect()
}

impl<O: Model, T: Model, P: Through> Related<'_, O, T, P> {
    pub(crate) fn def(&self) -> &'static RelationDef {
        self.def
    }

    pub(crate) fn op(&self, op: &'static str) -> Op {
        Op::new(self.def.name, op)
    }

    /// The owner's key, or `Unsaved` when it has none yet.
    pub(crate) fn owner(&self) -> Result<&O::Pk> {
        check_saved::<O>(&self.owner, "using its relations")?;
        Ok(&self.owner)
    }

    /// The owner's key for a call that writes: also refused on a connection
    /// that does not enforce foreign keys, where a link to a missing row
    /// would be written and a deleted row's links kept.
    pub(crate) fn write_owner(&self, s: Session<'_>, op: &'static str) -> Result<&O::Pk> {
        self.owner()?;
        s.require_foreign_keys(self.op(op))?;
        Ok(&self.owner)
    }

    /// The session and the checked targets of a call that writes links: the
    /// owner saved, foreign keys on, every target saved, repeats once.
    fn write_batch<'c, K: IntoKey<T>>(
        &self,
        conn: &'c impl Db,
        op: &'static str,
        targets: impl IntoIterator<Item = K>,
    ) -> Result<(Session<'c>, Batch<T>)> {
        let s = conn.__session();
        self.write_owner(s, op)?;
        Ok((s, Batch::new(s, targets)?))
    }

    /// Checks the owner and the targets of `batch` exist before links to
    /// them are written, when the caller's transaction defers foreign keys
    /// (`PRAGMA defer_foreign_keys`): the database would report a missing
    /// one only at the caller's `COMMIT`, failing all of it. Outside a
    /// transaction the database checks each statement itself, and this costs
    /// nothing.
    pub(crate) fn check_deferred(
        &self,
        s: Session<'_>,
        op: &'static str,
        batch: &Batch<T>,
    ) -> Result<()> {
        if !s.in_transaction() || batch.is_empty() {
            return Ok(());
        }
        if s.foreign_keys_deferred().map_err(self.op(op).fail())? {
            self.missing_rows(s, op, batch)?;
        }
        Ok(())
    }

    /// [`Error::MissingOwner`] or [`Error::MissingTarget`] when the owner or
    /// a target of `batch` has no row.
    pub(crate) fn missing_rows(
        &self,
        s: Session<'_>,
        op: &'static str,
        batch: &Batch<T>,
    ) -> Result<()> {
        let fail = self.op(op).fail();
        let def = self.def();
        self.owner_row(s, op)?;
        let missing: Vec<rusqlite::types::Value> = s
            .rows(
                s.sql().missing_target(def, batch.list.blobs),
                &[&*self.owner, &batch.list],
                |row| row.get(0),
            )
            .map_err(fail)?;
        match missing.first() {
            Some(key) => Err(Error::MissingTarget {
                relation: def.name,
                key: crate::sqlite::render(key),
            }),
            None => Ok(()),
        }
    }

    /// [`Error::MissingOwner`] when the owner key has no row.
    pub(crate) fn owner_row(&self, s: Session<'_>, op: &'static str) -> Result<()> {
        let def = self.def();
        let exists: bool = s
            .one(s.sql().row_exists(def.owner), &[&*self.owner])
            .map_err(self.op(op).fail())?;
        if exists {
            Ok(())
        } else {
            Err(Error::MissingOwner {
                relation: def.name,
                key: crate::sqlite::render_key(&*self.owner),
            })
        }
    }

    /// Runs a statement of (owner, batch) that returns target keys.
    pub(crate) fn returning(
        &self,
        s: Session<'_>,
        text: &str,
        batch: &Batch<T>,
    ) -> Result<Vec<T::Pk>, DbError> {
        s.rows(text, &[&*self.owner, &batch.list], |row| row.get(0))
    }

    /// Inserts the links of `batch` with `pivot`'s data (the through model's
    /// defaults for plain `add`); returns how many, or their keys.
    pub(crate) fn insert_links(
        &self,
        s: Session<'_>,
        batch: &Batch<T>,
        pivot: &P,
    ) -> Result<usize, DbError> {
        let mut stmt = s.prepare(s.sql().add(self.def(), false, batch.list.blobs))?;
        self.bind_link(&mut stmt, &batch.list, pivot)?;
        stmt.execute()
    }

    pub(crate) fn insert_links_returning(
        &self,
        s: Session<'_>,
        batch: &Batch<T>,
        pivot: &P,
    ) -> Result<Vec<T::Pk>, DbError> {
        let mut stmt = s.prepare(s.sql().add(self.def(), true, batch.list.blobs))?;
        self.bind_link(&mut stmt, &batch.list, pivot)?;
        stmt.rows(|row| row.get(0))
    }

    /// Binds ?1 the owner, ?2 the target key(s), ?3... the pivot columns:
    /// the parameters of every link-writing statement.
    pub(crate) fn bind_link(
        &self,
        stmt: &mut crate::db::Stmt<'_>,
        target: &dyn SqlValue,
        pivot: &P,
    ) -> Result<(), DbError> {
        let def = self.def();
        stmt.bind(1, def.source, &*self.owner)?;
        stmt.bind(2, def.target, target)?;
        let mut n = 3;
        pivot
            .__each_value(&mut |column, v| {
                if def.is_pivot_column(column) {
                    stmt.bind(n, column, v).map_err(BindError)?;
                    n += 1;
                }
                Ok(())
            })
            .map_err(|e| e.0)
    }

    /// Turns a failed link write into the error naming what was missing.
    pub(crate) fn link_error(
        &self,
        s: Session<'_>,
        op: &'static str,
        batch: &Batch<T>,
        e: DbError,
    ) -> Error {
        // PostgreSQL refuses statements after a failed one until the unit is
        // rolled back to its start.
        if e.is_foreign_key_violation()
            && s.recover().is_ok()
            && let Err(missing @ (Error::MissingTarget { .. } | Error::MissingOwner { .. })) =
                self.missing_rows(s, op, batch)
        {
            return missing;
        }
        Error::db(self.op(op), e)
    }

    /// Links the targets. Links that exist already are left as they are;
    /// returns how many links are new. One statement: all or nothing.
    ///
    /// Errors: [`Error::Unsaved`] for an unsaved owner or target,
    /// [`Error::MissingTarget`] for a key with no row (nothing is written).
    ///
    /// On a relation with a through model, the new through rows get the
    /// model's `Default` data (use `add_with` to give it).
    pub fn add<K: IntoKey<T>>(
        &self,
        conn: &impl Db,
        targets: impl IntoIterator<Item = K>,
    ) -> Result<usize>
    where
        P: Default,
    {
        let (s, batch) = self.write_batch(conn, "add", targets)?;
        if batch.is_empty() {
            return Ok(0);
        }
        self.check_deferred(s, "add", &batch)?;
        self.insert_links(s, &batch, &P::default())
            .map_err(|e| self.link_error(s, "add", &batch, e))
    }

    /// Unlinks the targets; absent links are ignored. Returns how many were
    /// removed. Atomic (one statement per key, inside one transaction).
    pub fn remove<K: IntoKey<T>>(
        &self,
        conn: &impl Db,
        targets: impl IntoIterator<Item = K>,
    ) -> Result<usize> {
        let (s, batch) = self.write_batch(conn, "remove", targets)?;
        // A list deleted in one statement needs only the count back.
        if batch.keys.len() > 1
            && let Some(text) = s.sql().remove_many(self.def(), false)
        {
            return s
                .execute(text, &[&*self.owner, &batch.list])
                .map_err(self.op("remove").fail());
        }
        self.unlink(s, &batch, "remove").map(|gone| gone.len())
    }

    /// Unlinks each key of `batch` in one atomic unit; returns the keys that
    /// were linked.
    ///
    /// One `DELETE` per key, prepared once: SQLite deletes a single row in one
    /// pass, but many rows matched by an `IN` list in two (collect, then
    /// delete), which measured 30-40% slower than the per-key statements in
    /// one transaction.
    fn unlink(&self, s: Session<'_>, batch: &Batch<T>, op: &'static str) -> Result<Vec<T::Pk>> {
        let fail = self.op(op).fail();
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        // One key, or a dialect that deletes a list in one statement: atomic
        // by itself.
        let tx = if batch.keys.len() > 1 && s.sql().remove_many(self.def(), true).is_none() {
            Some(Atomic::begin(s).map_err(fail)?)
        } else {
            None
        };
        let gone = self.unlink_each(s, batch).map_err(fail)?;
        if let Some(tx) = tx {
            tx.commit().map_err(fail)?;
        }
        Ok(gone)
    }

    /// The per-key deletes of [`Related::unlink`], for callers already
    /// inside an atomic unit.
    pub(crate) fn unlink_each(
        &self,
        s: Session<'_>,
        batch: &Batch<T>,
    ) -> Result<Vec<T::Pk>, DbError> {
        let def = self.def();
        if batch.keys.len() > 1
            && let Some(text) = s.sql().remove_many(def, true)
        {
            return self.returning(s, text, batch);
        }
        let mut stmt = s.prepare(s.sql().remove_one(def))?;
        let mut gone = Vec::new();
        for key in &batch.keys {
            stmt.bind(1, def.source, &*self.owner)?;
            stmt.bind(2, def.target, key)?;
            if stmt.execute()? > 0 {
                gone.push(key.clone());
            }
        }
        Ok(gone)
    }

    /// Makes the targets the whole relation, as a diff: links not in the
    /// input are removed, new ones added, kept ones left untouched. An empty
    /// input empties the relation. Atomic.
    pub fn set<K: IntoKey<T>>(
        &self,
        conn: &impl Db,
        targets: impl IntoIterator<Item = K>,
    ) -> Result<SyncReport<T>>
    where
        P: Default,
    {
        let (s, batch) = self.write_batch(conn, "set", targets)?;
        self.replace(s, &batch)
    }

    fn replace(&self, s: Session<'_>, batch: &Batch<T>) -> Result<SyncReport<T>>
    where
        P: Default,
    {
        let def = self.def();
        let fail = self.op("set").fail();
        self.check_deferred(s, "set", batch)?;
        // The diff must see every link: the unit waits for other writers of
        // this owner's links first (SQLite's writer lock does that; on
        // PostgreSQL, under READ COMMITTED, the owner's row lock).
        let tx = Atomic::begin_locking(s, def.owner, &*self.owner).map_err(fail)?;
        let removed = self
            .returning(s, s.sql().remove_others(def, batch.list.blobs), batch)
            .map_err(fail)?;
        let added = if batch.is_empty() {
            Vec::new()
        } else {
            match self.insert_links_returning(s, batch, &P::default()) {
                Ok(added) => added,
                Err(e) => {
                    drop(tx);
                    return Err(self.link_error(s, "set", batch, e));
                }
            }
        };
        tx.commit().map_err(fail)?;
        Ok(SyncReport {
            added: sorted(added),
            removed: sorted(removed),
            updated: Vec::new(),
        })
    }

    /// Unlinks every target; returns how many links were removed.
    pub fn clear(&self, conn: &impl Db) -> Result<usize> {
        let s = conn.__session();
        let owner = self.write_owner(s, "clear")?;
        s.execute(s.sql().clear(self.def()), &[owner])
            .map_err(self.op("clear").fail())
    }

    /// Applies a list of keys the way `mode` says and reports what changed:
    /// [`SyncMode::Replace`] is [`Related::set`], [`SyncMode::Add`] links,
    /// [`SyncMode::Remove`] unlinks.
    ///
    /// This is the call for a service that receives ids in a request:
    /// `Article::TAGS.of_key(id).sync(&conn, tag_ids, SyncMode::Add)`.
    pub fn sync<K: IntoKey<T>>(
        &self,
        conn: &impl Db,
        targets: impl IntoIterator<Item = K>,
        mode: SyncMode,
    ) -> Result<SyncReport<T>>
    where
        P: Default,
    {
        let (s, batch) = self.write_batch(conn, "sync", targets)?;
        match mode {
            SyncMode::Replace => self.replace(s, &batch),
            SyncMode::Add => {
                if batch.is_empty() {
                    return Ok(SyncReport::default());
                }
                self.check_deferred(s, "sync", &batch)?;
                let added = self
                    .insert_links_returning(s, &batch, &P::default())
                    .map_err(|e| self.link_error(s, "sync", &batch, e))?;
                Ok(SyncReport {
                    added: sorted(added),
                    ..SyncReport::default()
                })
            }
            SyncMode::Remove => {
                let removed = self.unlink(s, &batch, "sync")?;
                Ok(SyncReport {
                    removed: sorted(removed),
                    ..SyncReport::default()
                })
            }
        }
    }

    /// Unlinks the targets that are linked and links the others. Atomic.
    pub fn toggle<K: IntoKey<T>>(
        &self,
        conn: &impl Db,
        targets: impl IntoIterator<Item = K>,
    ) -> Result<SyncReport<T>>
    where
        P: Default,
    {
        let fail = self.op("toggle").fail();
        let (s, batch) = self.write_batch(conn, "toggle", targets)?;
        if batch.is_empty() {
            return Ok(SyncReport::default());
        }
        self.check_deferred(s, "toggle", &batch)?;
        // What to link depends on what was unlinked: one toggle of this
        // owner at a time (as `set`).
        let tx = Atomic::begin_locking(s, self.def().owner, &*self.owner).map_err(fail)?;
        let removed = self.unlink_each(s, &batch).map_err(fail)?;
        let gone: HashSet<&T::Pk> = removed.iter().collect();
        let rest = Batch::<T>::from_keys(
            s,
            batch
                .keys
                .iter()
                .filter(|k| !gone.contains(k))
                .cloned()
                .collect(),
        )?;
        let added = if rest.is_empty() {
            Vec::new()
        } else {
            match self.insert_links_returning(s, &rest, &P::default()) {
                Ok(added) => added,
                Err(e) => {
                    drop(tx);
                    return Err(self.link_error(s, "toggle", &rest, e));
                }
            }
        };
        tx.commit().map_err(fail)?;
        Ok(SyncReport {
            added: sorted(added),
            removed: sorted(removed),
            updated: Vec::new(),
        })
    }

    /// Inserts a new target and links it, atomically; returns it with its key.
    pub fn create(&self, conn: &impl Db, mut target: T) -> Result<T>
    where
        P: Default,
    {
        let s = conn.__session();
        let fail = self.op("create").fail();
        self.write_owner(s, "create")?;
        let tx = Atomic::begin(s).map_err(fail)?;
        // Checked before the insert: a new row may take a deleted owner's key
        // (SQLite reuses the largest rowid), and would then be linked to itself.
        self.owner_row(s, "create")?;
        target.insert(conn)?;
        self.add(conn, [&target])?;
        tx.commit().map_err(fail)?;
        Ok(target)
    }

    /// Links the target found by its column `by`, inserting it first when no
    /// row holds its value of that column ([`Model::get_or_insert`]);
    /// returns it as stored, with its key. A link that exists is left as it
    /// is. Prisma's `connectOrCreate`: the call for seed data, which may run
    /// twice.
    ///
    /// `by` must be `#[model(unique)]` or the key, else
    /// [`Error::NotUnique`]. Atomic (one transaction, or a savepoint inside
    /// yours): a missing owner ([`Error::MissingOwner`]), a NaN or any other
    /// failure leaves neither the target nor the link. Race-free as
    /// `get_or_insert` is: concurrent calls with the same value insert one
    /// target, and all of them link it.
    ///
    /// ```
    /// use m2m::{ManyToMany, Model};
    ///
    /// #[derive(Model, Debug, Clone, PartialEq)]
    /// struct Tag { id: i64, #[model(unique)] name: String }
    ///
    /// #[derive(Model)]
    /// struct Post {
    ///     id: i64,
    ///     #[model(unique)]
    ///     slug: String,
    ///     #[many_to_many(related_name = "posts")]
    ///     tags: ManyToMany<Tag>,
    /// }
    ///
    /// fn seed(conn: &m2m::rusqlite::Connection) -> m2m::Result<Post> {
    ///     let mut post = Post { id: 0, slug: "hello".into(), tags: ManyToMany::default() };
    ///     post.get_or_insert(conn, |c| c.slug)?;
    ///     for name in ["rust", "sql"] {
    ///         post.tags().connect_or_create(conn, Tag { id: 0, name: name.into() }, |c| c.name)?;
    ///     }
    ///     Ok(post)
    /// }
    ///
    /// # fn main() -> m2m::Result<()> {
    /// let conn = m2m::open_in_memory()?;
    /// Tag::create_table(&conn)?;
    /// Post::create_table(&conn)?;
    /// let post = seed(&conn)?;
    /// assert_eq!(seed(&conn)?.id, post.id); // run twice: nothing new
    /// assert_eq!(post.tags().count(&conn)?, 2);
    /// assert_eq!(Tag::query().count(&conn)?, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn connect_or_create<V>(
        &self,
        conn: &impl Db,
        mut target: T,
        by: impl FnOnce(&T::Columns) -> Column<T, V>,
    ) -> Result<T>
    where
        P: Default,
    {
        let s = conn.__session();
        let fail = self.op("connect_or_create").fail();
        self.write_owner(s, "connect_or_create")?;
        let by = crate::model::unique_column::<T>(by(&T::COLUMNS).name())?;
        let tx = Atomic::begin(s).map_err(fail)?;
        // Before the insert, as in `create`.
        self.owner_row(s, "connect_or_create")?;
        crate::model::get_or_insert(s, &mut target, by)?;
        self.add(conn, [&target])?;
        tx.commit().map_err(fail)?;
        Ok(target)
    }

    /// The linked targets, in target key order.
    pub fn fetch_all(&self, conn: &impl Db) -> Result<Vec<T>> {
        let s = conn.__session();
        let owner = self.owner()?;
        s.rows(s.sql().fetch(self.def(), false), &[owner], |row| {
            T::__from_row(row, 0)
        })
        .map_err(self.op("fetch_all").fail())
    }

    /// The linked target with the smallest key.
    pub fn fetch_one(&self, conn: &impl Db) -> Result<Option<T>> {
        let s = conn.__session();
        let owner = self.owner()?;
        let mut rows = s
            .rows(s.sql().fetch(self.def(), true), &[owner], |row| {
                T::__from_row(row, 0)
            })
            .map_err(self.op("fetch_one").fail())?;
        Ok(rows.pop())
    }

    /// The number of links (read from the junction alone).
    pub fn count(&self, conn: &impl Db) -> Result<u64> {
        let s = conn.__session();
        let owner = self.owner()?;
        let n: i64 = s
            .one(s.sql().count(self.def()), &[owner])
            .map_err(self.op("count").fail())?;
        Ok(n.max(0) as u64)
    }

    /// True when the owner has at least one link (read from the junction alone).
    pub fn exists(&self, conn: &impl Db) -> Result<bool> {
        let s = conn.__session();
        let owner = self.owner()?;
        s.one(s.sql().exists(self.def()), &[owner])
            .map_err(self.op("exists").fail())
    }

    /// True when the target is linked (read from the junction alone).
    pub fn contains(&self, conn: &impl Db, target: impl IntoKey<T>) -> Result<bool> {
        let s = conn.__session();
        let owner = self.owner()?;
        let target = saved::<T>(
            target.into_key().into_inner(),
            "looking it up in a relation",
        )?;
        s.one(s.sql().contains(self.def()), &[owner, &target])
            .map_err(self.op("contains").fail())
    }

    /// The linked targets' keys, in order, read from the junction alone.
    pub fn keys(&self, conn: &impl Db) -> Result<Vec<Key<T>>> {
        let s = conn.__session();
        let owner = self.owner()?;
        s.rows(s.sql().keys(self.def()), &[owner], |row| {
            row.get(0).map(Key::new)
        })
        .map_err(self.op("keys").fail())
    }

    /// A query on the linked targets, for conditions, ordering and paging.
    ///
    /// An unsaved owner gives a query that fails with [`Error::Unsaved`] when run.
    pub fn query(&self) -> Query<T> {
        let q = Query::scoped::<O>(self.def(), &self.owner);
        if self.owner.is_unset() {
            q.unsaved(O::TABLE.model)
        } else {
            q
        }
    }

    /// The linked targets for which the condition holds:
    /// `article.tags().filter(|c| c.name.like("r%")).fetch_all(&conn)`.
    pub fn filter(&self, f: impl FnOnce(&T::Columns) -> crate::Expr<T>) -> Query<T> {
        self.query().filter(f)
    }
}
