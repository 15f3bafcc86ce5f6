//! Every piece of SQL text the crate runs is built here.
//!
//! Statements are built once per table or relation, kept in that
//! description's [`SqlCache`](crate::def::SqlCache), and run through rusqlite's prepared-statement
//! cache. Lists of values are bound as one JSON array parameter and read with
//! `json_each` ([`ListEncoder`], [`list_rows`]), so a statement's text never
//! grows with its input and SQLite's bound-parameter limit never applies.

use rusqlite::types::{ToSql, Value, ValueRef};
use rusqlite::{Connection, Row};

use crate::def::{RelationDef, Slot, TableDef};

/// Appends `name` as a quoted SQL identifier. Names are checked to be plain
/// identifiers at compile time; quoting keeps keywords (`order`) usable.
pub(crate) fn push_ident(s: &mut String, name: &str) {
    s.push('"');
    s.push_str(&name.replace('"', "\"\""));
    s.push('"');
}

fn ident(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    push_ident(&mut s, name);
    s
}

fn qualified(table: &str, column: &str) -> String {
    format!("{}.{}", ident(table), ident(column))
}

/// `"t"."a", "t"."b", ...` in column order.
pub(crate) fn select_list(t: &TableDef) -> String {
    select_list_ref(t).to_owned()
}

fn select_list_ref(t: &TableDef) -> &str {
    t.sql.get(Slot::SelectList, || {
        t.columns
            .iter()
            .map(|c| qualified(t.name, c.name))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

// ----- tables -----------------------------------------------------------

/// `INSERT INTO t (cols but key, key) VALUES (...)`: the key is bound last so
/// the derive's column binder serves insert, update and upsert alike.
pub(crate) fn insert(t: &TableDef, with_key: bool) -> &str {
    let slot = if with_key {
        Slot::Insert
    } else {
        Slot::InsertAuto
    };
    t.sql.get(slot, || {
        let mut cols: Vec<String> = non_key(t).map(ident).collect();
        if with_key {
            cols.push(ident(t.pk_column().name));
        }
        let marks = vec!["?"; cols.len()].join(", ");
        if cols.is_empty() {
            format!("INSERT INTO {} DEFAULT VALUES", ident(t.name))
        } else {
            // `SELECT` rather than `VALUES`: a one-row VALUES insert gets no
            // statement journal, so when it fails on a full disk SQLite rolls
            // back the caller's whole transaction instead of the statement.
            // (`WHERE true` lets an upsert clause follow.)
            format!(
                "INSERT INTO {} ({}) SELECT {marks} WHERE true",
                ident(t.name),
                cols.join(", ")
            )
        }
    })
}

pub(crate) fn non_key(t: &TableDef) -> impl Iterator<Item = &'static str> + '_ {
    t.columns
        .iter()
        .enumerate()
        .filter(move |(i, _)| *i != t.pk)
        .map(|(_, c)| c.name)
}

/// `UPDATE t SET a = ?, ... WHERE key = ?`; `None` when there is nothing to set.
pub(crate) fn update(t: &TableDef) -> Option<&str> {
    if t.columns.len() < 2 {
        return None;
    }
    Some(t.sql.get(Slot::Update, || {
        let sets: Vec<String> = non_key(t).map(|c| format!("{} = ?", ident(c))).collect();
        format!(
            "UPDATE {} SET {} WHERE {} = ?",
            ident(t.name),
            sets.join(", "),
            ident(t.pk_column().name)
        )
    }))
}

/// Insert, or update in place on a key conflict. Never `INSERT OR REPLACE`:
/// that deletes the old row first, and the junctions would cascade.
pub(crate) fn upsert(t: &TableDef) -> &str {
    t.sql.get(Slot::Upsert, || {
        let base = insert_text(t);
        let sets: Vec<String> = non_key(t)
            .map(|c| format!("{0} = excluded.{0}", ident(c)))
            .collect();
        if sets.is_empty() {
            format!("{base} ON CONFLICT DO NOTHING")
        } else {
            format!(
                "{base} ON CONFLICT({}) DO UPDATE SET {}",
                ident(t.pk_column().name),
                sets.join(", ")
            )
        }
    })
}

fn insert_text(t: &TableDef) -> String {
    insert(t, true).to_owned()
}

/// Inserts the row's columns (key excepted) with the smallest key from 1 to
/// `max` that no row has; inserts nothing when every one is taken.
pub(crate) fn insert_in_gap(t: &TableDef, max: i64) -> &str {
    t.sql.get(Slot::InsertInGap, || {
        let table = ident(t.name);
        let k = ident(t.pk_column().name);
        let mut cols: Vec<String> = non_key(t).map(ident).collect();
        let mut values = vec!["?"; cols.len()];
        cols.push(k.clone());
        values.push("__k");
        format!(
            "INSERT INTO {table} ({}) SELECT {} FROM (SELECT CASE \
             WHEN NOT EXISTS (SELECT 1 FROM {table} WHERE {k} = 1) THEN 1 \
             ELSE (SELECT min(__a.{k}) + 1 FROM {table} AS __a WHERE __a.{k} >= 1 AND __a.{k} < {max} \
             AND NOT EXISTS (SELECT 1 FROM {table} AS __b WHERE __b.{k} = __a.{k} + 1)) END AS __k) \
             WHERE __k IS NOT NULL",
            cols.join(", "),
            values.join(", ")
        )
    })
}

/// Deletes the row with this rowid.
pub(crate) fn delete_rowid(t: &TableDef) -> &str {
    t.sql.get(Slot::DeleteRowid, || {
        format!("DELETE FROM {} WHERE rowid = ?1", ident(t.name))
    })
}

pub(crate) fn delete(t: &TableDef) -> &str {
    t.sql.get(Slot::Delete, || {
        format!(
            "DELETE FROM {} WHERE {} = ?1",
            ident(t.name),
            ident(t.pk_column().name)
        )
    })
}

pub(crate) fn get(t: &TableDef) -> &str {
    t.sql.get(Slot::Get, || {
        format!(
            "SELECT {} FROM {} WHERE {} = ?1",
            select_list_ref(t),
            ident(t.name),
            ident(t.pk_column().name)
        )
    })
}

// ----- relations ----------------------------------------------------------
//
// Parameters: ?1 is the owner key, ?2 a JSON array of target keys (or one
// target key for `contains`). A symmetrical relation stores each pair once,
// smaller key in `source`, so both sides read and write the same row.

struct Names {
    j: String,
    s: String,
    t: String,
}

fn names(r: &RelationDef) -> Names {
    Names {
        j: ident(r.junction_table()),
        s: ident(r.source),
        t: ident(r.target),
    }
}

/// Links the owner ?1 to every key of the JSON array ?2, skipping pairs
/// that exist (only those: `OR IGNORE` would also hide a violation of
/// another constraint of a through model). With a through model, its other columns are ?3, ?4, ... in
/// column order (see [`pivot_params`]).
pub(crate) fn add(r: &RelationDef, returning: bool, blobs: bool) -> &str {
    let slot = if returning {
        Slot::AddReturning
    } else {
        Slot::Add
    };
    r.sql.get_list(slot, blobs, || {
        let Names { j, s, t } = names(r);
        let v = list_value("__l", blobs);
        let (src, dst) = if r.symmetrical {
            (format!("min(?1, {v})"), format!("max(?1, {v})"))
        } else {
            ("?1".to_owned(), v)
        };
        let body = match r.through() {
            None => format!(
                "INSERT INTO {j} ({s}, {t}) SELECT {src}, {dst} FROM json_each(?2) AS __l WHERE true ON CONFLICT ({s}, {t}) DO NOTHING"
            ),
            Some(p) => {
                let (cols, exprs) = link_columns(r, p, &src, &dst);
                format!(
                    "INSERT INTO {j} ({cols}) SELECT {exprs} FROM json_each(?2) AS __l WHERE true ON CONFLICT ({s}, {t}) DO NOTHING"
                )
            }
        };
        with_returning(r, body, returning)
    })
}

/// A through model's insert: its columns but the key, and for each the value
/// (`src`/`dst` for the two link columns, `?3`, `?4`, ... for the others).
fn link_columns(r: &RelationDef, p: &TableDef, src: &str, dst: &str) -> (String, String) {
    let mut cols = Vec::new();
    let mut exprs = Vec::new();
    let mut n = 2;
    for c in pivot_columns(p) {
        cols.push(ident(c));
        exprs.push(if r.is_pivot_column(c) {
            n += 1;
            format!("?{n}")
        } else if c == r.source {
            src.to_owned()
        } else {
            dst.to_owned()
        });
    }
    (cols.join(", "), exprs.join(", "))
}

/// The through model's columns but its key, in column order: the values
/// [`Through::__values`](crate::Through::__values) yields.
fn pivot_columns(p: &TableDef) -> impl Iterator<Item = &'static str> + '_ {
    non_key(p)
}

/// Links owner ?1 to the one target ?2 with pivot columns ?3, ... (skipping
/// an existing pair): `add_with`'s statement, without `json_each`.
///
/// With `checked` (inside a caller's transaction, where foreign keys may be
/// deferred to its `COMMIT`), the statement finds both rows itself, so a
/// missing one inserts nothing; it costs two index look-ups, about 5% of the
/// call, so a call outside a transaction (where SQLite checks the foreign
/// keys at the statement's end whatever the pragma says) goes without.
pub(crate) fn insert_one<'a>(r: &'a RelationDef, p: &TableDef, checked: bool) -> &'a str {
    let slot = if checked {
        Slot::InsertOneChecked
    } else {
        Slot::InsertOne
    };
    r.sql.get(slot, || {
        let (src, dst) = if r.symmetrical {
            ("min(?1, ?2)", "max(?1, ?2)")
        } else {
            ("?1", "?2")
        };
        let (cols, exprs) = link_columns(r, p, src, dst);
        // `SELECT` rather than `VALUES`, for a statement journal: see `insert`.
        let rows = if checked {
            let (o, t) = (r.owner, r.target_table);
            format!(
                "FROM {} AS __o, {} AS __t WHERE __o.{} = ?1 AND __t.{} = ?2",
                ident(o.name),
                ident(t.name),
                ident(o.pk_column().name),
                ident(t.pk_column().name)
            )
        } else {
            "WHERE true".to_owned()
        };
        format!(
            "INSERT INTO {} ({cols}) SELECT {exprs} {rows} ON CONFLICT ({}, {}) DO NOTHING",
            ident(r.junction_table()),
            ident(r.source),
            ident(r.target)
        )
    })
}

/// The pivot values bound after the two keys: every non-key column's value
/// except the two link columns.
pub(crate) fn pivot_params(r: &RelationDef, values: Vec<Value>) -> Vec<Value> {
    let Some(p) = r.through() else {
        return Vec::new();
    };
    pivot_columns(p)
        .zip(values)
        .filter(|(c, _)| r.is_pivot_column(c))
        .map(|(_, v)| v)
        .collect()
}

/// `(pair condition)` for owner ?1 and target ?2.
fn pair(r: &RelationDef) -> String {
    let Names { j, s, t } = names(r);
    if r.symmetrical {
        format!("{j}.{s} = min(?1, ?2) AND {j}.{t} = max(?1, ?2)")
    } else {
        format!("{j}.{s} = ?1 AND {j}.{t} = ?2")
    }
}

/// The through row of (owner ?1, target ?2).
pub(crate) fn pivot_get<'a>(r: &'a RelationDef, p: &TableDef) -> &'a str {
    r.sql.get(Slot::PivotGet, || {
        format!(
            "SELECT {} FROM {} WHERE {}",
            select_list_ref(p),
            ident(r.junction_table()),
            pair(r)
        )
    })
}

/// Writes the pivot columns (?3, ...) of (owner ?1, target ?2); `None`
/// when the through model has no column besides its keys.
pub(crate) fn pivot_update<'a>(r: &'a RelationDef, p: &TableDef) -> Option<&'a str> {
    let sets: Vec<String> = pivot_columns(p)
        .filter(|c| r.is_pivot_column(c))
        .enumerate()
        .map(|(i, c)| format!("{} = ?{}", ident(c), i + 3))
        .collect();
    if sets.is_empty() {
        return None;
    }
    Some(r.sql.get(Slot::PivotUpdate, || {
        // Setting a link column to itself makes SQLite check its foreign key,
        // and so give the statement a journal of its own: on a full disk only
        // the statement is undone, not the caller's transaction (see `insert`).
        let s = ident(r.source);
        format!(
            "UPDATE {} SET {s} = {s}, {} WHERE {}",
            ident(r.junction_table()),
            sets.join(", "),
            pair(r)
        )
    }))
}

/// The other side's key of a junction row seen from owner ?1.
fn other_key(r: &RelationDef) -> String {
    let Names { j, s, t } = names(r);
    if r.symmetrical {
        format!("CASE WHEN {j}.{s} = ?1 THEN {j}.{t} ELSE {j}.{s} END")
    } else {
        format!("{j}.{t}")
    }
}

fn owner_rows(r: &RelationDef) -> String {
    let Names { j, s, t } = names(r);
    if r.symmetrical {
        format!("({j}.{s} = ?1 OR {j}.{t} = ?1)")
    } else {
        format!("{j}.{s} = ?1")
    }
}

/// `(target columns..., through columns...)` of owner ?1, in target key order.
pub(crate) fn fetch_with_pivot<'a>(r: &'a RelationDef, p: &TableDef) -> &'a str {
    r.sql.get(Slot::FetchWithPivot, || {
        let tt = r.target_table;
        let tk = qualified(tt.name, tt.pk_column().name);
        // Ordering by the junction's own column lets SQLite walk the pair
        // index in order instead of sorting (a symmetrical pair has no such order).
        let order = if r.symmetrical {
            tk.clone()
        } else {
            qualified(r.junction_table(), r.target)
        };
        format!(
            "SELECT {}, {} FROM {} JOIN {} ON {tk} = {} WHERE {} ORDER BY {order}",
            select_list_ref(tt),
            select_list_ref(p),
            ident(r.junction_table()),
            ident(tt.name),
            other_key(r),
            owner_rows(r)
        )
    })
}

/// `(target key, through columns...)` of owner ?1 for the targets in ?2.
pub(crate) fn pivots_of<'a>(r: &'a RelationDef, p: &TableDef, blobs: bool) -> &'a str {
    r.sql.get_list(Slot::PivotsOf, blobs, || {
        let Names { j, s, t } = names(r);
        let keys = list_rows("?2", blobs);
        let which = if r.symmetrical {
            format!(
                "({j}.{s} = ?1 AND {j}.{t} IN ({keys})) OR ({j}.{t} = ?1 AND {j}.{s} IN ({keys}))"
            )
        } else {
            format!("{j}.{s} = ?1 AND {j}.{t} IN ({keys})")
        };
        format!(
            "SELECT {}, {} FROM {j} WHERE {which}",
            other_key(r),
            select_list_ref(p)
        )
    })
}

/// Like [`prefetch`], with the through row's columns after the target's.
pub(crate) fn prefetch_with_pivot<'a>(r: &'a RelationDef, p: &TableDef, blobs: bool) -> &'a str {
    r.sql.get_list(Slot::PrefetchWithPivot, blobs, || {
        prefetch_sql(
            r,
            blobs,
            &format!(
                "{}, {}",
                select_list_ref(r.target_table),
                select_list_ref(p)
            ),
        )
    })
}

/// `target_key IN (targets of ? whose through row matches cond)`.
pub(crate) fn pivot_scope(r: &RelationDef, cond: &str) -> (String, usize) {
    let tt = r.target_table;
    let tk = qualified(tt.name, tt.pk_column().name);
    let Names { j, s, t } = names(r);
    if r.symmetrical {
        (
            format!(
                "{tk} IN (SELECT {j}.{t} FROM {j} WHERE {j}.{s} = ? AND ({cond}) UNION SELECT {j}.{s} FROM {j} WHERE {j}.{t} = ? AND ({cond}))"
            ),
            2,
        )
    } else {
        (
            format!("{tk} IN (SELECT {j}.{t} FROM {j} WHERE {j}.{s} = ? AND ({cond}))"),
            1,
        )
    }
}

/// Unlinks owner ?1 from the one target ?2 (a single-row delete).
pub(crate) fn remove_one(r: &RelationDef) -> &str {
    r.sql.get(Slot::RemoveOne, || {
        format!(
            "DELETE FROM {} WHERE {}",
            ident(r.junction_table()),
            pair(r)
        )
    })
}

/// Deletes the owner's links whose target is not in ?2 (the first half of `set`).
pub(crate) fn remove_others(r: &RelationDef, blobs: bool) -> &str {
    r.sql.get_list(Slot::RemoveOthersReturning, blobs, || {
        let Names { j, s, t } = names(r);
        let keys = list_rows("?2", blobs);
        let body = if r.symmetrical {
            format!(
                "DELETE FROM {j} WHERE ({s} = ?1 AND {t} NOT IN ({keys})) OR ({t} = ?1 AND {s} NOT IN ({keys}))"
            )
        } else {
            format!("DELETE FROM {j} WHERE {s} = ?1 AND {t} NOT IN ({keys})")
        };
        with_returning(r, body, true)
    })
}

fn with_returning(r: &RelationDef, body: String, returning: bool) -> String {
    if !returning {
        return body;
    }
    let Names { s, t, .. } = names(r);
    if r.symmetrical {
        format!("{body} RETURNING CASE WHEN {s} = ?1 THEN {t} ELSE {s} END")
    } else {
        format!("{body} RETURNING {t}")
    }
}

pub(crate) fn clear(r: &RelationDef) -> &str {
    r.sql.get(Slot::Clear, || {
        let Names { j, s, t } = names(r);
        if r.symmetrical {
            format!("DELETE FROM {j} WHERE {s} = ?1 OR {t} = ?1")
        } else {
            format!("DELETE FROM {j} WHERE {s} = ?1")
        }
    })
}

/// The owner's target keys, from the junction alone (no join), in key order.
fn keys_sql(r: &RelationDef) -> String {
    let Names { j, s, t } = names(r);
    if r.symmetrical {
        format!("SELECT {t} AS k FROM {j} WHERE {s} = ?1 UNION SELECT {s} FROM {j} WHERE {t} = ?1")
    } else {
        format!("SELECT {t} FROM {j} WHERE {s} = ?1")
    }
}

pub(crate) fn keys(r: &RelationDef) -> &str {
    r.sql
        .get(Slot::Keys, || format!("{} ORDER BY 1", keys_sql(r)))
}

pub(crate) fn count(r: &RelationDef) -> &str {
    r.sql.get(Slot::Count, || {
        let Names { j, s, t } = names(r);
        if r.symmetrical {
            // A self-link (a, a) is one row and counts once.
            format!(
                "SELECT (SELECT count(*) FROM {j} WHERE {s} = ?1) + (SELECT count(*) FROM {j} WHERE {t} = ?1 AND {s} <> ?1)"
            )
        } else {
            format!("SELECT count(*) FROM {j} WHERE {s} = ?1")
        }
    })
}

pub(crate) fn exists(r: &RelationDef) -> &str {
    r.sql.get(Slot::Exists, || {
        let Names { j, s, t } = names(r);
        if r.symmetrical {
            format!("SELECT EXISTS(SELECT 1 FROM {j} WHERE {s} = ?1) OR EXISTS(SELECT 1 FROM {j} WHERE {t} = ?1)")
        } else {
            format!("SELECT EXISTS(SELECT 1 FROM {j} WHERE {s} = ?1)")
        }
    })
}

pub(crate) fn contains(r: &RelationDef) -> &str {
    r.sql.get(Slot::Contains, || {
        let Names { j, s, t } = names(r);
        if r.symmetrical {
            format!(
                "SELECT EXISTS(SELECT 1 FROM {j} WHERE {s} = min(?1, ?2) AND {t} = max(?1, ?2))"
            )
        } else {
            format!("SELECT EXISTS(SELECT 1 FROM {j} WHERE {s} = ?1 AND {t} = ?2)")
        }
    })
}

/// The owner's targets, in target key order.
pub(crate) fn fetch(r: &RelationDef, one: bool) -> &str {
    let slot = if one { Slot::FetchOne } else { Slot::Fetch };
    r.sql.get(slot, || {
        let tt = r.target_table;
        let tk = qualified(tt.name, tt.pk_column().name);
        let limit = if one { " LIMIT 1" } else { "" };
        if r.symmetrical {
            format!(
                "SELECT {} FROM {} WHERE {tk} IN ({}) ORDER BY {tk}{limit}",
                select_list_ref(tt),
                ident(tt.name),
                keys_sql(r)
            )
        } else {
            // Walking the junction's (source, target) key yields targets in
            // key order, so SQLite needs no sort.
            let Names { j, s, t } = names(r);
            format!(
                "SELECT {} FROM {j} JOIN {} ON {tk} = {j}.{t} WHERE {j}.{s} = ?1 ORDER BY {j}.{t}{limit}",
                select_list_ref(tt),
                ident(tt.name)
            )
        }
    })
}

/// `target_key IN (owner's keys)`, with the owner key as one anonymous `?`
/// (two for a symmetrical relation), for queries that add more conditions.
pub(crate) fn scope(r: &RelationDef) -> &str {
    r.sql.get(Slot::Scope, || {
        let tt = r.target_table;
        let tk = qualified(tt.name, tt.pk_column().name);
        let Names { j, s, t } = names(r);
        if r.symmetrical {
            format!("{tk} IN (SELECT {t} FROM {j} WHERE {s} = ? UNION SELECT {s} FROM {j} WHERE {t} = ?)")
        } else {
            format!("{tk} IN (SELECT {t} FROM {j} WHERE {s} = ?)")
        }
    })
}

/// `(owner key, target columns...)` for every owner key in the JSON array ?1.
///
/// One statement whatever the number of owners: the keys are one parameter,
/// and the junction is walked from each key (the CROSS JOINs fix that order).
pub(crate) fn prefetch(r: &RelationDef, blobs: bool) -> &str {
    r.sql.get_list(Slot::Prefetch, blobs, || {
        prefetch_sql(r, blobs, select_list_ref(r.target_table))
    })
}

/// `(owner key, cols)` for the owners in the JSON array ?1.
fn prefetch_sql(r: &RelationDef, blobs: bool, cols: &str) -> String {
    let tt = r.target_table;
    let tk = qualified(tt.name, tt.pk_column().name);
    let table = ident(tt.name);
    let Names { j, s, t } = names(r);
    let owner = list_value("__o", blobs);
    let half = |from: &str, to: &str| {
        format!(
            "SELECT {j}.{from}, {cols} FROM json_each(?1) AS __o CROSS JOIN {j} ON {j}.{from} = {owner} CROSS JOIN {table} ON {tk} = {j}.{to}"
        )
    };
    if r.symmetrical {
        // The second half skips self-links, which the first already has.
        format!(
            "{} UNION ALL {} AND {j}.{s} <> {j}.{t}",
            half(&s, &t),
            half(&t, &s)
        )
    } else {
        half(&s, &t)
    }
}

/// The owners (by key) linked to a target matching `cond` (SQL on the
/// target table with `n` anonymous parameters); returns the subquery and how
/// many times the parameters must be bound.
pub(crate) fn owners_where(r: &RelationDef, cond: &str) -> (String, usize) {
    let tt = r.target_table;
    let tk = qualified(tt.name, tt.pk_column().name);
    let table = ident(tt.name);
    let Names { j, s, t } = names(r);
    let half = |from: &str, to: &str| {
        format!("SELECT {j}.{from} FROM {j} JOIN {table} ON {tk} = {j}.{to} WHERE {cond}")
    };
    if r.symmetrical {
        (format!("{} UNION {}", half(&s, &t), half(&t, &s)), 2)
    } else {
        (half(&s, &t), 1)
    }
}

/// The owners linked to any (or, with `all`, every one) of the targets in
/// the JSON array bound to the first `?`; with `all`, the count of distinct
/// targets is bound to the second.
pub(crate) fn owners_linked(r: &RelationDef, all: bool, blobs: bool) -> (String, usize) {
    let Names { j, s, t } = names(r);
    let keys = list_rows("?", blobs);
    let pairs = if r.symmetrical {
        format!(
            "SELECT {s} AS __o, {t} AS __t FROM {j} WHERE {t} IN ({keys}) UNION SELECT {t}, {s} FROM {j} WHERE {s} IN ({keys})"
        )
    } else {
        format!("SELECT {s} AS __o, {t} AS __t FROM {j} WHERE {t} IN ({keys})")
    };
    let times = if r.symmetrical { 2 } else { 1 };
    if all {
        (
            format!("SELECT __o FROM ({pairs}) GROUP BY __o HAVING count(DISTINCT __t) = ?"),
            times,
        )
    } else {
        (format!("SELECT __o FROM ({pairs})"), times)
    }
}

/// A correlated `count(*)` of the owner row's links, for a select list.
pub(crate) fn count_column(r: &RelationDef) -> &str {
    r.sql.get(Slot::CountColumn, || {
        let ot = r.owner;
        let ok = qualified(ot.name, ot.pk_column().name);
        let Names { j, s, t } = names(r);
        if r.symmetrical {
            format!(
                "((SELECT count(*) FROM {j} WHERE {j}.{s} = {ok}) + (SELECT count(*) FROM {j} WHERE {j}.{t} = {ok} AND {j}.{s} <> {ok}))"
            )
        } else {
            format!("(SELECT count(*) FROM {j} WHERE {j}.{s} = {ok})")
        }
    })
}

/// The key column of a table, qualified.
pub(crate) fn pk_qualified(t: &TableDef) -> String {
    qualified(t.name, t.pk_column().name)
}

/// The first key of ?2 with no target row (after a foreign-key failure).
pub(crate) fn missing_target(r: &RelationDef, blobs: bool) -> &str {
    r.sql.get_list(Slot::MissingTarget, blobs, || {
        let tt = r.target_table;
        format!(
            "SELECT value FROM ({}) WHERE value NOT IN (SELECT {} FROM {}) LIMIT 1",
            list_rows("?2", blobs),
            ident(tt.pk_column().name),
            ident(tt.name)
        )
    })
}

/// Whether the connection's transaction defers foreign-key checks to its end.
pub(crate) const DEFER_FOREIGN_KEYS: &str = "PRAGMA defer_foreign_keys";

/// `SELECT EXISTS(row with key ?1)` on a table.
pub(crate) fn row_exists(t: &TableDef) -> &str {
    t.sql.get(Slot::OwnerExists, || {
        format!(
            "SELECT EXISTS(SELECT 1 FROM {} WHERE {} = ?1)",
            ident(t.name),
            ident(t.pk_column().name)
        )
    })
}

// ----- the schema as it exists -------------------------------------------

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

/// Reads what the database has under `name` (compared without case, as SQLite does).
pub(crate) fn existing(conn: &Connection, name: &str) -> rusqlite::Result<Existing> {
    let kind: Option<String> = conn
        .prepare_cached(
            "SELECT type FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE AND type IN ('table', 'view')",
        )?
        .query_map([name], |r| r.get(0))?
        .next()
        .transpose()?;
    let mut out = Existing {
        kind,
        ..Existing::default()
    };
    if out.kind.as_deref() != Some("table") {
        return Ok(out);
    }
    out.columns = conn
        .prepare_cached(
            "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk FROM pragma_table_info(?1)",
        )?
        .query_map([name], |r| {
            Ok(ColumnInfo {
                name: r.get(0)?,
                decl_type: r.get(1)?,
                not_null: r.get(2)?,
                has_default: r.get(3)?,
                pk: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    out.foreign_keys = conn
        .prepare_cached(
            "SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list(?1)",
        )?
        .query_map([name], |r| {
            Ok(ForeignKey {
                from: r.get(0)?,
                table: r.get(1)?,
                to: r.get(2)?,
                on_delete: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT il.name, il.\"unique\", il.origin, ii.name FROM pragma_index_list(?1) AS il, pragma_index_info(il.name) AS ii ORDER BY il.seq, ii.seqno",
    )?;
    let mut rows = stmt.query([name])?;
    let mut last: Option<String> = None;
    while let Some(r) = rows.next()? {
        let index: String = r.get(0)?;
        let column: Option<String> = r.get(3)?;
        if last.as_deref() != Some(index.as_str()) {
            out.indexes.push(IndexInfo {
                unique: r.get(1)?,
                origin: r.get(2)?,
                columns: Vec::new(),
            });
            last = Some(index);
        }
        if let Some(i) = out.indexes.last_mut() {
            i.columns.push(column.unwrap_or_default());
        }
    }
    Ok(out)
}

/// `DROP TABLE t;`
pub(crate) fn drop_table(table: &str) -> String {
    format!("DROP TABLE {};\n", ident(table))
}

/// True when the table has at least one row.
pub(crate) fn has_rows(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        &format!("SELECT EXISTS(SELECT 1 FROM {})", ident(table)),
        [],
        |r| r.get(0),
    )
}

// ----- running ---------------------------------------------------------------

/// Runs a cached statement and maps every row.
pub(crate) fn query_rows<P: ToSql, R>(
    conn: &Connection,
    sql: &str,
    params: impl IntoIterator<Item = P>,
    mut map: impl FnMut(&Row<'_>) -> rusqlite::Result<R>,
) -> rusqlite::Result<Vec<R>> {
    let mut stmt = conn.prepare_cached(sql)?;
    for (i, p) in params.into_iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, p)?;
    }
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// Runs a cached statement that yields one value.
pub(crate) fn query_one<P: ToSql, R: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    params: impl IntoIterator<Item = P>,
) -> rusqlite::Result<R> {
    let mut stmt = conn.prepare_cached(sql)?;
    for (i, p) in params.into_iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, p)?;
    }
    let mut rows = stmt.raw_query();
    match rows.next()? {
        Some(row) => row.get(0),
        None => Err(rusqlite::Error::QueryReturnedNoRows),
    }
}

/// Runs a cached statement that changes rows; returns how many.
pub(crate) fn execute(
    conn: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
) -> rusqlite::Result<usize> {
    let mut stmt = conn.prepare_cached(sql)?;
    for (i, p) in params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, p)?;
    }
    stmt.raw_execute()
}

/// The SQL expression for one element of a list parameter read with
/// `json_each` as `alias`: blobs travel as `{"x": "<hex>"}` (JSON has no
/// bytes) and are decoded only where the list holds some; every other
/// value travels as itself.
pub(crate) fn list_value(alias: &str, blobs: bool) -> String {
    if blobs {
        format!("iif({alias}.type = 'object', unhex({alias}.value ->> 'x'), {alias}.value)")
    } else {
        format!("{alias}.value")
    }
}

/// `SELECT <element> AS value FROM json_each(<param>)`: the rows of the list
/// bound to `param` (`?2`, or `?` for an anonymous one). Only a list holding
/// blobs pays for decoding them: the plain form lets SQLite read the list
/// once, where the decoding expression made `set` (a `NOT IN` list) 2x slower.
pub(crate) fn list_rows(param: &str, blobs: bool) -> String {
    format!(
        "SELECT {} AS value FROM json_each({param}) AS __l",
        list_value("__l", blobs)
    )
}

/// Encodes values as the one JSON array parameter that list-taking
/// statements read with [`list_rows`]: the statement's text never grows with
/// the list, and SQLite's limit on bound parameters never applies.
///
/// `column` names what the values are compared with, for the error a value
/// no list can carry (a NaN) gets.
pub(crate) struct ListEncoder {
    json: String,
    len: usize,
    blobs: bool,
    column: &'static str,
}

/// An encoded list, bound as its JSON text; `blobs` picks the statement
/// form that decodes them ([`list_rows`]).
#[derive(Debug, Clone)]
pub(crate) struct List {
    pub(crate) json: String,
    pub(crate) blobs: bool,
}

impl ToSql for List {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        self.json.to_sql()
    }
}

impl ListEncoder {
    pub(crate) fn new(column: &'static str) -> Self {
        ListEncoder {
            json: String::from("["),
            len: 0,
            blobs: false,
            column,
        }
    }

    /// Appends one value.
    pub(crate) fn push<V: ToSql + ?Sized>(&mut self, v: &V) -> rusqlite::Result<()> {
        let out = v.to_sql()?;
        self.push_ref(value_ref(&out)?)
    }

    pub(crate) fn push_ref(&mut self, v: ValueRef<'_>) -> rusqlite::Result<()> {
        use std::fmt::Write;
        let out = &mut self.json;
        if self.len > 0 {
            out.push(',');
        }
        match v {
            ValueRef::Null => out.push_str("null"),
            ValueRef::Integer(i) => {
                let _ = write!(out, "{i}");
            }
            ValueRef::Real(f) if f.is_nan() => {
                return Err(crate::error::bad_value(self.column, crate::error::NAN));
            }
            // JSON has no infinity; SQLite reads this overflowing literal as one.
            ValueRef::Real(f) if f.is_infinite() => {
                out.push_str(if f > 0.0 { "9e999" } else { "-9e999" });
            }
            // `{:?}` keeps a float's full precision and always shows a dot or exponent.
            ValueRef::Real(f) => {
                let _ = write!(out, "{f:?}");
            }
            ValueRef::Blob(b) => {
                self.blobs = true;
                out.push_str("{\"x\":\"");
                for byte in b {
                    let _ = write!(out, "{byte:02x}");
                }
                out.push_str("\"}");
            }
            ValueRef::Text(t) => {
                let t = std::str::from_utf8(t)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                out.push('"');
                for c in t.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        c if (c as u32) < 0x20 => {
                            let _ = write!(out, "\\u{:04x}", c as u32);
                        }
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
        }
        self.len += 1;
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The list, ready to bind.
    pub(crate) fn finish(mut self) -> List {
        self.json.push(']');
        List {
            json: self.json,
            blobs: self.blobs,
        }
    }
}

/// The plain value inside a `ToSql` output.
fn value_ref<'a>(out: &'a rusqlite::types::ToSqlOutput<'a>) -> rusqlite::Result<ValueRef<'a>> {
    use rusqlite::types::ToSqlOutput;
    match out {
        ToSqlOutput::Borrowed(v) => Ok(*v),
        ToSqlOutput::Owned(v) => Ok(v.into()),
        // Other outputs (zeroblob, arrays) are not key or column values.
        _ => Err(rusqlite::Error::ToSqlConversionFailure(
            "value is not a plain SQLite value".into(),
        )),
    }
}

/// Binds `v` as parameter `i`, refusing a NaN (SQLite would store NULL) with
/// an error naming `column`.
pub(crate) fn bind_value(
    stmt: &mut rusqlite::Statement<'_>,
    i: usize,
    column: &'static str,
    v: &dyn crate::__private::SqlValue,
) -> rusqlite::Result<()> {
    let out = v.sqlite()?;
    check_value(column, value_ref(&out)?)?;
    stmt.raw_bind_parameter(i, out)
}

/// Refuses a value SQLite cannot store as given: a NaN float becomes NULL.
pub(crate) fn check_value(column: &'static str, v: ValueRef<'_>) -> rusqlite::Result<()> {
    match v {
        ValueRef::Real(f) if f.is_nan() => Err(crate::error::bad_value(column, crate::error::NAN)),
        _ => Ok(()),
    }
}

/// The owned value of anything `ToSql`.
pub(crate) fn to_value<V: ToSql + ?Sized>(v: &V) -> rusqlite::Result<Value> {
    use rusqlite::types::ToSqlOutput;
    match v.to_sql()? {
        ToSqlOutput::Borrowed(v) => Value::try_from(v).map_err(rusqlite::Error::from),
        ToSqlOutput::Owned(v) => Ok(v),
        // Other outputs (zeroblob, arrays) are not key or column values.
        _ => Err(rusqlite::Error::ToSqlConversionFailure(
            "value is not a plain SQLite value".into(),
        )),
    }
}

/// A value as SQL would print it, for error messages; a long text or blob
/// is cut (an error message stays short whatever the input).
pub(crate) fn render(v: &Value) -> String {
    const MAX: usize = 64;
    match v {
        Value::Null => "NULL".to_owned(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => {
            let cut: String = t.chars().take(MAX).collect();
            let more = if cut.len() < t.len() { "..." } else { "" };
            format!("'{}'{more}", cut.replace('\'', "''"))
        }
        Value::Blob(b) => {
            let hex: String = b.iter().take(MAX / 2).map(|x| format!("{x:02x}")).collect();
            let more = if b.len() > MAX / 2 { "..." } else { "" };
            format!("x'{hex}'{more}")
        }
    }
}
