//! Pivot data: calls on relations declared with `through_model = ...`.

use std::collections::HashMap;

use rusqlite::types::Value;

use crate::db::{Atomic, Db, Session};
use crate::error::DbError;
use crate::key::IntoKey;
use crate::key::saved;
use crate::query::{Expr, Query};
use crate::related::{Batch, sorted};
use crate::relation::{SyncMode, SyncReport, Through};
use crate::types::PrimaryKey;
use crate::value::{BindError, RowReader};
use crate::{Model, Pivot, Related, Result};

/// The pivot columns' values of a through row, in column order, to tell
/// whether a kept link's data changed.
fn pivot_values<P: Through>(
    def: &crate::RelationDef,
    pivot: &P,
) -> std::result::Result<Vec<Value>, DbError> {
    let mut out = Vec::new();
    pivot
        .__each_value(&mut |column, v| {
            if def.is_pivot_column(column) {
                let value = v
                    .sqlite()
                    .and_then(|v| crate::sqlite::to_value(&v))
                    .and_then(|v| crate::sqlite::check_value(column, (&v).into()).map(|()| v))
                    .map_err(|e| BindError(e.into()))?;
                out.push(value);
            }
            Ok(())
        })
        .map_err(|e| e.0)?;
    Ok(out)
}

impl<O: Model, T: Model, P: Through> Related<'_, O, T, P> {
    /// The target's key, checked as a batch's would be, without building one.
    fn one_key(&self, target: impl IntoKey<T>) -> Result<T::Pk> {
        self.owner()?;
        saved::<T>(target.into_key().into_inner(), "linking it")
    }

    /// Links one target with this pivot data (its key fields are filled in
    /// for you). Returns `false`, writing nothing, when the link exists: change
    /// its data with [`Related::update_pivot`].
    pub fn add_with(&self, conn: &impl Db, target: impl IntoKey<T>, pivot: P) -> Result<bool>
    where
        P: Pivot,
    {
        let s = conn.__session();
        let key = self.one_key(target)?;
        self.write_owner(s, "add_with")?;
        let run = || -> std::result::Result<usize, DbError> {
            let checked = s.in_transaction();
            let mut stmt = s.prepare(s.sql().insert_one(self.def(), P::TABLE, checked))?;
            self.bind_link(&mut stmt, &key, &pivot)?;
            stmt.execute()
        };
        // The key list is built only to explain a write that did nothing
        // (an existing link, or a missing row) or failed.
        let one = || Batch::from_keys(s, vec![key.clone()]);
        match run() {
            Ok(0) => self.missing_rows(s, "add_with", &one()?).map(|()| false),
            Ok(_) => Ok(true),
            Err(e) => Err(match one() {
                Ok(batch) => self.link_error(s, "add_with", &batch, e),
                Err(other) => other,
            }),
        }
    }

    /// The through row of the link to `target`, if linked.
    pub fn pivot(&self, conn: &impl Db, target: impl IntoKey<T>) -> Result<Option<P>>
    where
        P: Pivot,
    {
        let key = self.one_key(target)?;
        self.pivot_of(conn.__session(), &key, false)
    }

    fn pivot_of(&self, s: Session<'_>, key: &T::Pk, lock: bool) -> Result<Option<P>>
    where
        P: Pivot,
    {
        let sql = if lock {
            s.sql().pivot_get_for_update(self.def(), P::TABLE)
        } else {
            s.sql().pivot_get(self.def(), P::TABLE)
        };
        let mut rows = s
            .rows(sql, &[&*self.owner, key], |row| P::__from_row(row, 0))
            .map_err(self.op("pivot").fail())?;
        Ok(rows.pop())
    }

    /// Changes the pivot data of the link to `target` with `f` and writes it
    /// back (the key fields are kept whatever `f` does to them). Returns
    /// `false` when the target is not linked.
    pub fn update_pivot(
        &self,
        conn: &impl Db,
        target: impl IntoKey<T>,
        f: impl FnOnce(&mut P),
    ) -> Result<bool>
    where
        P: Pivot,
    {
        let s = conn.__session();
        let key = self.one_key(target)?;
        self.write_owner(s, "update_pivot")?;
        let fail = self.op("update_pivot").fail();
        // The lock is taken before the read: a concurrent increment is not lost.
        let tx = Atomic::begin(s).map_err(fail)?;
        let Some(mut pivot) = self.pivot_of(s, &key, true)? else {
            return Ok(false);
        };
        f(&mut pivot);
        self.write_pivot(s, &key, &pivot)?;
        tx.commit().map_err(fail)?;
        Ok(true)
    }

    fn write_pivot(&self, s: Session<'_>, target: &T::Pk, pivot: &P) -> Result<()>
    where
        P: Pivot,
    {
        let Some(text) = s.sql().pivot_update(self.def(), P::TABLE) else {
            return Ok(());
        };
        let run = || -> std::result::Result<usize, DbError> {
            let mut stmt = s.prepare(text)?;
            self.bind_link(&mut stmt, target, pivot)?;
            stmt.execute()
        };
        run().map(drop).map_err(self.op("update_pivot").fail())
    }

    /// The linked targets with their through rows, in target key order.
    pub fn fetch_with_pivot(&self, conn: &impl Db) -> Result<Vec<(T, P)>>
    where
        P: Pivot,
    {
        let s = conn.__session();
        let owner = self.owner()?;
        let width = T::TABLE.columns.len();
        s.rows(
            s.sql().fetch_with_pivot(self.def(), P::TABLE),
            &[owner],
            |row| Ok((T::__from_row(row, 0)?, P::__from_row(row, width)?)),
        )
        .map_err(self.op("fetch_with_pivot").fail())
    }

    /// The linked targets whose through row matches the condition:
    /// `course.students().filter_pivot(|e| e.grade.eq("A"))`.
    pub fn filter_pivot(&self, f: impl FnOnce(&P::PivotColumns) -> Expr<P>) -> Query<T>
    where
        P: Pivot,
    {
        let mut q = Query::pivot_scoped::<O, P>(self.def(), &self.owner, f(&P::PIVOT_COLUMNS));
        if self.owner.is_unset() {
            q = q.unsaved(O::TABLE.model);
        }
        q
    }

    /// [`Related::sync`] with pivot data: links the new targets with their
    /// data, updates the data of kept links whose data differs (reported in
    /// `updated`), and with [`SyncMode::Replace`] unlinks the targets not
    /// listed. Kept links whose data is the same are not touched. A target
    /// listed twice takes its last data. Atomic.
    pub fn sync_with<K: IntoKey<T>>(
        &self,
        conn: &impl Db,
        items: impl IntoIterator<Item = (K, P)>,
        mode: SyncMode,
    ) -> Result<SyncReport<T>>
    where
        P: Pivot,
    {
        let s = conn.__session();
        self.write_owner(s, "sync_with")?;
        // Check every input before the first write; the last data of a key wins.
        let mut order: Vec<T::Pk> = Vec::new();
        let mut data: HashMap<T::Pk, P> = HashMap::new();
        for (k, p) in items {
            let k = saved::<T>(k.into_key().into_inner(), "linking it")?;
            if data.insert(k.clone(), p).is_none() {
                order.push(k);
            }
        }
        let batch = Batch::<T>::from_keys(s, order)?;
        if mode != SyncMode::Remove {
            self.check_deferred(s, "sync_with", &batch)?;
        }
        let def = self.def();
        let fail = self.op("sync_with").fail();
        // A diff against the stored rows: one sync_with of this owner at a
        // time (as `set`).
        let tx = Atomic::begin_locking(s, def.owner, &*self.owner).map_err(fail)?;
        let mut report = SyncReport::default();
        match mode {
            SyncMode::Remove => {
                if !batch.is_empty() {
                    let removed = self.unlink_each(s, &batch).map_err(fail)?;
                    report.removed = sorted(removed);
                }
            }
            SyncMode::Replace | SyncMode::Add => {
                if mode == SyncMode::Replace {
                    let removed = self
                        .returning(s, s.sql().remove_others(def, batch.list.blobs), &batch)
                        .map_err(fail)?;
                    report.removed = sorted(removed);
                }
                let existing: Vec<(T::Pk, P)> = if batch.is_empty() {
                    Vec::new()
                } else {
                    s.rows(
                        s.sql().pivots_of(def, P::TABLE, batch.list.blobs),
                        &[&*self.owner, &batch.list],
                        |row| Ok((row.get_key(0)?, P::__from_row(row, 1)?)),
                    )
                    .map_err(fail)?
                };
                let mut existing: HashMap<T::Pk, P> = existing.into_iter().collect();
                let (mut added, mut updated) = (Vec::new(), Vec::new());
                for key in &batch.keys {
                    let Some(new) = data.remove(key) else {
                        continue;
                    };
                    match existing.remove(key) {
                        Some(old) => {
                            let old_values = pivot_values(def, &old).map_err(fail)?;
                            let new_values = pivot_values(def, &new).map_err(fail)?;
                            if old_values != new_values {
                                self.write_pivot(s, key, &new)?;
                                updated.push(key.clone());
                            }
                        }
                        None => {
                            let one = Batch::<T>::from_keys(s, vec![key.clone()])?;
                            match self.insert_links(s, &one, &new) {
                                Ok(n) if n > 0 => added.push(key.clone()),
                                Ok(_) => {}
                                Err(e) => {
                                    drop(tx);
                                    return Err(self.link_error(s, "sync_with", &one, e));
                                }
                            }
                        }
                    }
                }
                report.added = sorted(added);
                report.updated = sorted(updated);
            }
        }
        tx.commit().map_err(fail)?;
        Ok(report)
    }
}
