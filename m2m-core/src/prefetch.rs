//! Eager loading: the targets of many owners in one statement.

use std::collections::HashMap;
use std::fmt;

use rusqlite::Connection;

use crate::key::{IntoKey, Key};
use crate::relation::{Relation, Through};
use crate::{Error, Model, Result, sql};

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
    /// use m2m_core::{ManyToMany, Model};
    /// #[derive(Model)]
    /// struct Tag { id: i64, name: String }
    /// #[derive(Model)]
    /// struct Post { id: i64, #[many_to_many(related_name = "posts")] tags: ManyToMany<Tag> }
    ///
    /// # fn main() -> m2m_core::Result<()> {
    /// let conn = m2m_core::open_in_memory()?;
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
        conn: &Connection,
        owners: impl IntoIterator<Item = K>,
    ) -> Result<Prefetched<O, T>> {
        let def = self.def();
        load(
            conn,
            def,
            |blobs| sql::prefetch(def, blobs),
            owners,
            |row| T::__from_row(row, 1),
            |t| t.pk(),
        )
    }

    /// Like [`Relation::prefetch`], with each target's through row:
    /// `(target, pivot)` pairs, in target key order.
    pub fn prefetch_with_pivot<K: IntoKey<O>>(
        &self,
        conn: &Connection,
        owners: impl IntoIterator<Item = K>,
    ) -> Result<Prefetched<O, (T, P)>>
    where
        P: crate::Pivot,
    {
        let def = self.def();
        let width = 1 + T::TABLE.columns.len();
        load(
            conn,
            def,
            |blobs| sql::prefetch_with_pivot(def, P::TABLE, blobs),
            owners,
            |row| Ok((T::__from_row(row, 1)?, P::__from_row(row, width)?)),
            |(t, _)| t.pk(),
        )
    }
}

/// Runs a prefetch statement for the owners and groups its rows by owner.
fn load<O: Model, K: IntoKey<O>, R, S: Ord>(
    conn: &Connection,
    def: &crate::RelationDef,
    text: impl FnOnce(bool) -> &'static str,
    owners: impl IntoIterator<Item = K>,
    map_row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<R>,
    sort_key: impl Fn(&R) -> &S,
) -> Result<Prefetched<O, R>> {
    let ctx = || format!("{}: prefetch", def.name);
    let mut map: HashMap<O::Pk, Vec<R>> = HashMap::new();
    let mut list = sql::ListEncoder::new(O::TABLE.pk_column().name);
    for owner in owners {
        let key = owner.into_key().into_inner();
        if map.contains_key(&key) {
            continue;
        }
        list.push(&key).map_err(|e| Error::sqlite(ctx(), e))?;
        map.insert(key, Vec::new());
    }
    let list = list.finish();
    if map.is_empty() {
        return Ok(Prefetched { map });
    }
    let run = || -> rusqlite::Result<()> {
        let mut stmt = conn.prepare_cached(text(list.blobs))?;
        stmt.raw_bind_parameter(1, &list)?;
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next()? {
            let owner: O::Pk = row.get(0)?;
            let item = map_row(row)?;
            if let Some(list) = map.get_mut(&owner) {
                list.push(item);
            }
        }
        Ok(())
    };
    run().map_err(|e| Error::sqlite(ctx(), e))?;
    for list in map.values_mut() {
        // Already in order for plain relations; a symmetrical one reads two halves.
        list.sort_by(|a, b| sort_key(a).cmp(sort_key(b)));
    }
    Ok(Prefetched { map })
}
