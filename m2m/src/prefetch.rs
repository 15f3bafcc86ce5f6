//! Eager loading: the targets of many owners in one statement.

use std::collections::HashMap;
use std::fmt;

use crate::db::{Db, Row, Session};
use crate::error::DbResult;
use crate::error::Op;
use crate::key::{IntoKey, Key};
use crate::relation::{Relation, Through};
use crate::value::{RowReader, SqlValue};
use crate::{Model, Result};

/// The targets of a set of owners, loaded at once by [`Relation::prefetch`].
pub struct Prefetched<O: Model, T> {
    map: HashMap<O::Pk, Vec<T>>,
}

impl<O: Model, T> Prefetched<O, T> {
    /// The targets of `owner`, in target key order; empty when it has none
    /// (or was not among the prefetched owners).
    pub fn get(&self, owner: impl IntoKey<O>) -> &[T] {
        self.map
            .get(owner.into_key().get())
            .map_or(&[], Vec::as_slice)
    }

    /// Takes the targets of `owner` out.
    pub fn take(&mut self, owner: impl IntoKey<O>) -> Vec<T> {
        self.map.remove(owner.into_key().get()).unwrap_or_default()
    }

    /// The number of owners prefetched.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no owner was prefetched.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every owner's key with its targets (in no particular order of owners).
    pub fn iter(&self) -> impl Iterator<Item = (Key<O>, &[T])> {
        self.map
            .iter()
            .map(|(k, v)| (Key::new(k.clone()), v.as_slice()))
    }
}

impl<O: Model, T: fmt::Debug> fmt::Debug for Prefetched<O, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.map.iter()).finish()
    }
}

impl<O: Model, T: Model, P: Through, D> Relation<O, T, P, D> {
    /// Loads the targets of every owner in one statement, whatever the
    /// number of owners (their keys travel as one parameter).
    ///
    /// ```
    /// use m2m::{ManyToMany, Model};
    /// #[derive(Model)]
    /// struct Tag { id: i64, name: String }
    /// #[derive(Model)]
    /// struct Post { id: i64, #[many_to_many(related_name = "posts")] tags: ManyToMany<Tag> }
    ///
    /// # fn main() -> m2m::Result<()> {
    /// let conn = m2m::open_in_memory()?;
    /// Tag::create_table(&conn)?;
    /// Post::create_table(&conn)?;
    /// let mut rust = Tag { id: 0, name: "rust".into() };
    /// rust.insert(&conn)?;
    /// let mut posts = Vec::new();
    /// for _ in 0..3 {
    ///     let mut p = Post { id: 0, tags: ManyToMany::default() };
    ///     p.insert(&conn)?;
    ///     posts.push(p);
    /// }
    /// posts[0].tags().add(&conn, [&rust])?;
    ///
    /// let tags = Post::TAGS.prefetch(&conn, &posts)?;
    /// assert_eq!(tags.get(&posts[0])[0].name, "rust");
    /// assert!(tags.get(&posts[1]).is_empty());
    /// let by_tag = Tag::POSTS.prefetch(&conn, [&rust])?; // the reverse side too
    /// assert_eq!(by_tag.get(&rust).len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn prefetch<K: IntoKey<O>>(
        &self,
        conn: &impl Db,
        owners: impl IntoIterator<Item = K>,
    ) -> Result<Prefetched<O, T>> {
        self.load(conn.__session(), owners)
    }

    /// [`Relation::prefetch`] on a session, for query prefetch steps.
    pub(crate) fn load<K: IntoKey<O>>(
        &self,
        s: Session<'_>,
        owners: impl IntoIterator<Item = K>,
    ) -> Result<Prefetched<O, T>> {
        let def = self.def();
        load(
            s,
            def,
            |blobs| s.sql().prefetch(def, blobs),
            owners,
            |row| T::__from_row(row, 1),
            |t| t.pk(),
        )
    }

    /// Like [`Relation::prefetch`], with each target's through row:
    /// `(target, pivot)` pairs, in target key order.
    pub fn prefetch_with_pivot<K: IntoKey<O>>(
        &self,
        conn: &impl Db,
        owners: impl IntoIterator<Item = K>,
    ) -> Result<Prefetched<O, (T, P)>>
    where
        P: crate::Pivot,
    {
        let s = conn.__session();
        let def = self.def();
        let width = 1 + T::TABLE.columns.len();
        load(
            s,
            def,
            |blobs| s.sql().prefetch_with_pivot(def, P::TABLE, blobs),
            owners,
            |row| Ok((T::__from_row(row, 1)?, P::__from_row(row, width)?)),
            |(t, _)| t.pk(),
        )
    }
}

/// Runs a prefetch statement for the owners and groups its rows by owner.
fn load<O: Model, K: IntoKey<O>, R, S: Ord>(
    s: Session<'_>,
    def: &'static crate::RelationDef,
    text: impl FnOnce(bool) -> &'static str,
    owners: impl IntoIterator<Item = K>,
    map_row: impl Fn(&Row<'_, '_>) -> DbResult<R>,
    sort_key: impl Fn(&R) -> &S,
) -> Result<Prefetched<O, R>> {
    let fail = Op::new(def.name, "prefetch").fail();
    let mut map: HashMap<O::Pk, Vec<R>> = HashMap::new();
    for owner in owners {
        map.entry(owner.into_key().into_inner()).or_default();
    }
    if map.is_empty() {
        return Ok(Prefetched { map });
    }
    // Each owner once, in no particular order: rows are grouped by owner.
    let values: Vec<&dyn SqlValue> = map.keys().map(|k| k as &dyn SqlValue).collect();
    let list = s
        .sql()
        .list(O::TABLE.pk_column().name, &values)
        .map_err(fail)?;
    let run = || -> DbResult<()> {
        let mut stmt = s.prepare(text(list.blobs))?;
        stmt.bind(1, O::TABLE.pk_column().name, &list)?;
        stmt.each(|row| {
            let owner: O::Pk = row.get_key(0)?;
            let item = map_row(row)?;
            if let Some(list) = map.get_mut(&owner) {
                list.push(item);
            }
            Ok(())
        })
    };
    run().map_err(fail)?;
    for list in map.values_mut() {
        // Already in order for plain relations; a symmetrical one reads two halves.
        list.sort_by(|a, b| sort_key(a).cmp(sort_key(b)));
    }
    Ok(Prefetched { map })
}
