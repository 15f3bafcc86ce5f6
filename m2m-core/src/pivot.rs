//! Pivot data: calls on relations declared with `through_model = ...`.

use rusqlite::Connection;
use rusqlite::types::{ToSql, Value};

use crate::key::{IntoKey, PrimaryKey};
use crate::query::{Expr, Query};
use crate::relation::{Batch, Related, SyncMode, SyncReport, Through, sorted};
use crate::write::Atomic;
use crate::{Error, Model, Pivot, Result, sql};

impl<O: Model, T: Model, P: Through> Related<'_, O, T, P> {
    /// The target's key, checked as a batch's would be, without building one.
    fn one_key(&self, target: impl IntoKey<T>) -> Result<T::Pk> {
        self.owner()?;
        let key = target.into_key().into_inner();
        if key.is_unset() {
            return Err(Error::Unsaved {
                model: T::TABLE.model,
                action: "linking it",
            });
        }
        Ok(key)
    }

    /// Links one target with this pivot data (its key fields are filled in
    /// for you). Returns `false`, writing nothing, when the link exists: change
    /// its data with [`Related::update_pivot`].
    pub fn add_with(&self, conn: &Connection, target: impl IntoKey<T>, pivot: P) -> Result<bool>
    where
        P: Pivot,
    {
        let key = self.one_key(target)?;
        self.write_owner(conn, "add_with")?;
        let run = || -> rusqlite::Result<usize> {
            let checked = !conn.is_autocommit();
            let mut stmt = conn.prepare_cached(sql::insert_one(self.def(), P::TABLE, checked))?;
            self.bind_link(&mut stmt, &key, &pivot)?;
            stmt.raw_execute()
        };
        // The key list is built only to explain a write that did nothing
        // (an existing link, or a missing row) or failed.
        let one = || Batch::from_keys(vec![key.clone()]);
        match run() {
            Ok(0) => self.missing_rows(conn, "add_with", &one()?).map(|()| false),
            Ok(_) => Ok(true),
            Err(e) => Err(match one() {
                Ok(batch) => self.link_error(conn, "add_with", &batch, e),
                Err(other) => other,
            }),
        }
    }

    /// The through row of the link to `target`, if linked.
    pub fn pivot(&self, conn: &Connection, target: impl IntoKey<T>) -> Result<Option<P>>
    where
        P: Pivot,
    {
        let key = self.one_key(target)?;
        self.pivot_of(conn, &key)
    }

    fn pivot_of(&self, conn: &Connection, key: &T::Pk) -> Result<Option<P>>
    where
        P: Pivot,
    {
        let params: [&dyn ToSql; 2] = [&*self.owner, key];
        let mut rows = sql::query_rows(conn, sql::pivot_get(self.def(), P::TABLE), params, |row| {
            P::__from_row(row, 0)
        })
        .map_err(|e| Error::sqlite(self.ctx("pivot"), e))?;
        Ok(rows.pop())
    }

    /// Changes the pivot data of the link to `target` with `f` and writes it
    /// back (the key fields are kept whatever `f` does to them). Returns
    /// `false` when the target is not linked.
    pub fn update_pivot(
        &self,
        conn: &Connection,
        target: impl IntoKey<T>,
        f: impl FnOnce(&mut P),
    ) -> Result<bool>
    where
        P: Pivot,
    {
        let key = self.one_key(target)?;
        self.write_owner(conn, "update_pivot")?;
        let tx = Atomic::begin(conn).map_err(|e| Error::sqlite(self.ctx("update_pivot"), e))?;
        let Some(mut pivot) = self.pivot_of(conn, &key)? else {
            return Ok(false);
        };
        f(&mut pivot);
        self.write_pivot(conn, &key, &pivot)?;
        tx.commit()
            .map_err(|e| Error::sqlite(self.ctx("update_pivot"), e))?;
        Ok(true)
    }

    fn write_pivot(&self, conn: &Connection, target: &T::Pk, pivot: &P) -> Result<()>
    where
        P: Pivot,
    {
        let Some(text) = sql::pivot_update(self.def(), P::TABLE) else {
            return Ok(());
        };
        let run = || -> rusqlite::Result<usize> {
            let mut stmt = conn.prepare_cached(text)?;
            self.bind_link(&mut stmt, target, pivot)?;
            stmt.raw_execute()
        };
        run()
            .map(drop)
            .map_err(|e| Error::sqlite(self.ctx("update_pivot"), e))
    }

    /// The linked targets with their through rows, in target key order.
    pub fn fetch_with_pivot(&self, conn: &Connection) -> Result<Vec<(T, P)>>
    where
        P: Pivot,
    {
        let owner = self.owner()?;
        let width = T::TABLE.columns.len();
        sql::query_rows(
            conn,
            sql::fetch_with_pivot(self.def(), P::TABLE),
            [owner],
            |row| Ok((T::__from_row(row, 0)?, P::__from_row(row, width)?)),
        )
        .map_err(|e| Error::sqlite(self.ctx("fetch_with_pivot"), e))
    }

    /// The linked targets whose through row matches the condition:
    /// `course.students().filter_pivot(|e| e.grade.eq("A"))`.
    pub fn filter_pivot(&self, f: impl FnOnce(&P::PivotColumns) -> Expr<P>) -> Query<T>
    where
        P: Pivot,
    {
        let e = f(&P::PIVOT_COLUMNS);
        let (sql, times) = sql::pivot_scope(self.def(), &e.sql);
        let owner = sql::to_value(&*self.owner).unwrap_or(Value::Null);
        let mut params = Vec::new();
        for _ in 0..times {
            params.push(owner.clone());
            params.extend(e.params.iter().cloned());
        }
        let mut q = Query::scoped(sql, params);
        if let Some(err) = e.error {
            q = q.failed(Error::sqlite(self.ctx("filter_pivot"), err));
        }
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
        conn: &Connection,
        items: impl IntoIterator<Item = (K, P)>,
        mode: SyncMode,
    ) -> Result<SyncReport<T>>
    where
        P: Pivot,
    {
        self.write_owner(conn, "sync_with")?;
        // Check every input before the first write; the last data of a key wins.
        let mut order: Vec<T::Pk> = Vec::new();
        let mut data: std::collections::HashMap<T::Pk, P> = std::collections::HashMap::new();
        for (k, p) in items {
            let k = k.into_key().into_inner();
            if k.is_unset() {
                return Err(Error::Unsaved {
                    model: T::TABLE.model,
                    action: "linking it",
                });
            }
            if data.insert(k.clone(), p).is_none() {
                order.push(k);
            }
        }
        let batch = Batch::<T>::from_keys(order)?;
        if mode != SyncMode::Remove {
            self.check_deferred(conn, "sync_with", &batch)?;
        }
        let def = self.def();
        let ctx = |e| Error::sqlite(self.ctx("sync_with"), e);
        let tx = Atomic::begin(conn).map_err(ctx)?;
        let mut report = SyncReport::default();
        match mode {
            SyncMode::Remove => {
                if !batch.is_empty() {
                    let removed = self.unlink_each(conn, &batch).map_err(ctx)?;
                    report.removed = sorted(removed);
                }
            }
            SyncMode::Replace | SyncMode::Add => {
                if mode == SyncMode::Replace {
                    let removed = self
                        .returning(conn, sql::remove_others(def, batch.list.blobs), &batch)
                        .map_err(ctx)?;
                    report.removed = sorted(removed);
                }
                let existing: Vec<(T::Pk, P)> = if batch.is_empty() {
                    Vec::new()
                } else {
                    sql::query_rows(
                        conn,
                        sql::pivots_of(def, P::TABLE, batch.list.blobs),
                        [
                            sql::to_value(&*self.owner).map_err(ctx)?,
                            Value::Text(batch.list.json.clone()),
                        ]
                        .iter(),
                        |row| Ok((row.get(0)?, P::__from_row(row, 1)?)),
                    )
                    .map_err(ctx)?
                };
                let mut existing: std::collections::HashMap<T::Pk, P> =
                    existing.into_iter().collect();
                let (mut added, mut updated) = (Vec::new(), Vec::new());
                for key in &batch.keys {
                    let Some(new) = data.remove(key) else {
                        continue;
                    };
                    match existing.remove(key) {
                        Some(old) => {
                            let old_values = sql::pivot_params(def, old.__values().map_err(ctx)?);
                            let new_values = sql::pivot_params(def, new.__values().map_err(ctx)?);
                            if old_values != new_values {
                                self.write_pivot(conn, key, &new)?;
                                updated.push(key.clone());
                            }
                        }
                        None => {
                            let one = Batch::<T>::from_keys(vec![key.clone()])?;
                            match self.insert_links(conn, &one, &new) {
                                Ok(n) if n > 0 => added.push(key.clone()),
                                Ok(_) => {}
                                Err(e) => {
                                    drop(tx);
                                    return Err(self.link_error(conn, "sync_with", &one, e));
                                }
                            }
                        }
                    }
                }
                report.added = sorted(added);
                report.updated = sorted(updated);
            }
        }
        tx.commit().map_err(ctx)?;
        Ok(report)
    }
}
