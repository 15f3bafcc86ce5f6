//! Every piece of SQL text the crate runs is built here.
//!
//! Statements are built once per table or relation, kept in that
//! description's [`SqlCache`](crate::def::SqlCache), and run through rusqlite's prepared-statement
//! cache. Lists of values are bound as one JSON array parameter and read with
//! `json_each` ([`ListEncoder`], [`list_rows`]), so a statement's text never
//! grows with its input and SQLite's bound-parameter limit never applies.

use rusqlite::types::ValueRef;

use rusqlite::types::Value;

use crate::def::{ColumnSlot, RelationDef, Slot, TableDef};
use crate::dialect::{
    Cond, List, Names, Param, Statements, Unit, ident, names, pk_qualified, qualified,
};
use crate::error::DbResult;
use crate::value::SqlValue;

/// `"t"."a", "t"."b", ...` in column order.
pub(crate) fn select_list_ref(t: &TableDef) -> &str {
    t.sql.get(Slot::SelectList, || {
        t.columns
            .iter()
            .map(|c| qualified(t.name, c.name))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

// ----- tables -----------------------------------------------------------

fn non_key(t: &TableDef) -> impl Iterator<Item = &'static str> + '_ {
    t.non_key_columns()
}

fn insert_text(t: &TableDef) -> String {
    Sqlite.insert(t, true).to_owned()
}

// ----- relations ----------------------------------------------------------
//
// Parameters: ?1 is the owner key, ?2 a JSON array of target keys (or one
// target key for `contains`). A symmetrical relation stores each pair once,
// smaller key in `source`, so both sides read and write the same row.

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

/// `(pair condition)` for owner ?1 and target ?2.
fn pair(r: &RelationDef) -> String {
    let Names { j, s, t } = names(r);
    if r.symmetrical {
        format!("{j}.{s} = min(?1, ?2) AND {j}.{t} = max(?1, ?2)")
    } else {
        format!("{j}.{s} = ?1 AND {j}.{t} = ?2")
    }
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

/// The owner's target keys, from the junction alone (no join), in key order.
fn keys_sql(r: &RelationDef) -> String {
    let Names { j, s, t } = names(r);
    if r.symmetrical {
        format!("SELECT {t} AS k FROM {j} WHERE {s} = ?1 UNION SELECT {s} FROM {j} WHERE {t} = ?1")
    } else {
        format!("SELECT {t} FROM {j} WHERE {s} = ?1")
    }
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

/// Whether the connection's transaction defers foreign-key checks to its end.
pub(crate) const DEFER_FOREIGN_KEYS: &str = "PRAGMA defer_foreign_keys";

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

impl ListEncoder {
    pub(crate) fn new(column: &'static str) -> Self {
        ListEncoder {
            json: String::from("["),
            len: 0,
            blobs: false,
            column,
        }
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

    /// The list, ready to bind.
    pub(crate) fn finish(mut self) -> List {
        self.json.push(']');
        List {
            json: self.json,
            blobs: self.blobs,
            #[cfg(feature = "postgres")]
            pg: Vec::new(),
        }
    }
}

/// One atomic unit on its own: `IMMEDIATE` takes the write lock up front
/// (waiting out the busy timeout), so a read-then-write unit never fails
/// half-way on a lock.
pub(crate) const TRANSACTION: Unit = Unit {
    begin: "BEGIN IMMEDIATE",
    commit: "COMMIT",
    rollback: "ROLLBACK",
};

/// One atomic unit inside the caller's transaction.
pub(crate) const SAVEPOINT: Unit = Unit {
    begin: "SAVEPOINT m2m_write",
    commit: "RELEASE m2m_write",
    rollback: "ROLLBACK TO m2m_write; RELEASE m2m_write",
};

/// SQLite's SQL, as the calls ask for it (the statements' meanings are
/// documented on [`Statements`]).
pub(crate) struct Sqlite;

impl Statements for Sqlite {
    fn insert<'a>(&self, t: &'a TableDef, with_key: bool) -> &'a str {
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

    fn update<'a>(&self, t: &'a TableDef) -> Option<&'a str> {
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

    fn upsert<'a>(&self, t: &'a TableDef) -> &'a str {
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

    fn insert_in_gap<'a>(&self, t: &'a TableDef, max: i64) -> &'a str {
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

    fn insert_unless<'a>(&self, t: &'a TableDef, with_key: bool, column: usize) -> &'a str {
        let slot = if with_key {
            ColumnSlot::InsertUnless
        } else {
            ColumnSlot::InsertUnlessAuto
        };
        t.sql.get_column(t, slot, column, || {
            // `insert`'s text ends in `WHERE true` so that this clause may follow.
            format!(
                "{} ON CONFLICT ({}) DO NOTHING",
                self.insert(t, with_key),
                ident(t.columns[column].name)
            )
        })
    }

    fn get_by<'a>(&self, t: &'a TableDef, column: usize) -> &'a str {
        t.sql.get_column(t, ColumnSlot::GetBy, column, || {
            format!(
                "SELECT {} FROM {} WHERE {} = ?1",
                select_list_ref(t),
                ident(t.name),
                ident(t.columns[column].name)
            )
        })
    }

    fn delete_rowid<'a>(&self, t: &'a TableDef) -> &'a str {
        t.sql.get(Slot::DeleteRowid, || {
            format!("DELETE FROM {} WHERE rowid = ?1", ident(t.name))
        })
    }

    fn delete<'a>(&self, t: &'a TableDef) -> &'a str {
        t.sql.get(Slot::Delete, || {
            format!(
                "DELETE FROM {} WHERE {} = ?1",
                ident(t.name),
                ident(t.pk_column().name)
            )
        })
    }

    fn get<'a>(&self, t: &'a TableDef) -> &'a str {
        t.sql.get(Slot::Get, || {
            format!(
                "SELECT {} FROM {} WHERE {} = ?1",
                select_list_ref(t),
                ident(t.name),
                ident(t.pk_column().name)
            )
        })
    }

    fn row_exists<'a>(&self, t: &'a TableDef) -> &'a str {
        t.sql.get(Slot::OwnerExists, || {
            format!(
                "SELECT EXISTS(SELECT 1 FROM {} WHERE {} = ?1)",
                ident(t.name),
                ident(t.pk_column().name)
            )
        })
    }

    fn add<'a>(&self, r: &'a RelationDef, returning: bool, blobs: bool) -> &'a str {
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

    fn insert_one<'a>(&self, r: &'a RelationDef, p: &TableDef, checked: bool) -> &'a str {
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

    fn pivot_get<'a>(&self, r: &'a RelationDef, p: &TableDef) -> &'a str {
        r.sql.get(Slot::PivotGet, || {
            format!(
                "SELECT {} FROM {} WHERE {}",
                select_list_ref(p),
                ident(r.junction_table()),
                pair(r)
            )
        })
    }

    fn pivot_update<'a>(&self, r: &'a RelationDef, p: &TableDef) -> Option<&'a str> {
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

    fn fetch_with_pivot<'a>(&self, r: &'a RelationDef, p: &TableDef) -> &'a str {
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

    fn pivots_of<'a>(&self, r: &'a RelationDef, p: &TableDef, blobs: bool) -> &'a str {
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

    fn prefetch_with_pivot<'a>(&self, r: &'a RelationDef, p: &TableDef, blobs: bool) -> &'a str {
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

    fn remove_one<'a>(&self, r: &'a RelationDef) -> &'a str {
        r.sql.get(Slot::RemoveOne, || {
            format!(
                "DELETE FROM {} WHERE {}",
                ident(r.junction_table()),
                pair(r)
            )
        })
    }

    fn remove_many<'a>(&self, _r: &'a RelationDef, _returning: bool) -> Option<&'a str> {
        // A single-row delete per key, prepared once, in one transaction:
        // SQLite deletes an `IN` list's rows in two passes.
        None
    }

    fn remove_others<'a>(&self, r: &'a RelationDef, blobs: bool) -> &'a str {
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

    fn clear<'a>(&self, r: &'a RelationDef) -> &'a str {
        r.sql.get(Slot::Clear, || {
            let Names { j, s, t } = names(r);
            if r.symmetrical {
                format!("DELETE FROM {j} WHERE {s} = ?1 OR {t} = ?1")
            } else {
                format!("DELETE FROM {j} WHERE {s} = ?1")
            }
        })
    }

    fn keys<'a>(&self, r: &'a RelationDef) -> &'a str {
        r.sql
            .get(Slot::Keys, || format!("{} ORDER BY 1", keys_sql(r)))
    }

    fn count<'a>(&self, r: &'a RelationDef) -> &'a str {
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

    fn exists<'a>(&self, r: &'a RelationDef) -> &'a str {
        r.sql.get(Slot::Exists, || {
        let Names { j, s, t } = names(r);
        if r.symmetrical {
            format!("SELECT EXISTS(SELECT 1 FROM {j} WHERE {s} = ?1) OR EXISTS(SELECT 1 FROM {j} WHERE {t} = ?1)")
        } else {
            format!("SELECT EXISTS(SELECT 1 FROM {j} WHERE {s} = ?1)")
        }
    })
    }

    fn contains<'a>(&self, r: &'a RelationDef) -> &'a str {
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

    fn fetch<'a>(&self, r: &'a RelationDef, one: bool) -> &'a str {
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

    fn prefetch<'a>(&self, r: &'a RelationDef, blobs: bool) -> &'a str {
        r.sql.get_list(Slot::Prefetch, blobs, || {
            prefetch_sql(r, blobs, select_list_ref(r.target_table))
        })
    }

    fn missing_target<'a>(&self, r: &'a RelationDef, blobs: bool) -> &'a str {
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

    fn list(&self, column: &'static str, values: &[&dyn SqlValue]) -> DbResult<List> {
        let mut list = ListEncoder::new(column);
        for v in values {
            list.push_ref(super::value_ref(&v.sqlite()?)?)?;
        }
        Ok(list.finish())
    }

    fn compare(&self, column: &str, op: &str, value: &Value, p: &mut Vec<Param>) -> String {
        p.push(Param::Value(value.clone()));
        format!("{column} {op} ?")
    }

    fn in_list(&self, column: &str, values: &[Value], p: &mut Vec<Param>) -> String {
        let list = encode_values("list", values);
        p.push(Param::Value(Value::Text(list.json)));
        format!("{column} IN ({})", list_rows("?", list.blobs))
    }

    fn nothing(&self) -> String {
        "0".to_owned()
    }

    fn order(&self, column: &str, ascending: bool) -> String {
        if ascending {
            format!("{column} ASC")
        } else {
            format!("{column} DESC")
        }
    }

    fn scope(&self, r: &RelationDef, owner: &Value, p: &mut Vec<Param>) -> String {
        // A symmetrical scope reads the owner in both columns.
        let times = if r.symmetrical { 2 } else { 1 };
        p.extend(std::iter::repeat_n(owner, times).map(|o| Param::Value(o.clone())));
        scope(r).to_owned()
    }

    fn owners_where(&self, r: &RelationDef, cond: &Cond<'_>, p: &mut Vec<Param>) -> String {
        let mut params = Vec::new();
        let cond = cond(&mut params);
        let (sub, times) = owners_where(r, &cond);
        for _ in 0..times {
            p.extend(params.iter().map(clone_param));
        }
        sub
    }

    fn owners_linked(
        &self,
        r: &RelationDef,
        keys: &[Value],
        all: bool,
        p: &mut Vec<Param>,
    ) -> String {
        let list = encode_values(r.target_table.pk_column().name, keys);
        let (sub, times) = owners_linked(r, all, list.blobs);
        p.extend(
            std::iter::repeat_n(&list.json, times).map(|j| Param::Value(Value::Text(j.clone()))),
        );
        if all {
            p.push(Param::Value(Value::Integer(
                i64::try_from(keys.len()).unwrap_or(i64::MAX),
            )));
        }
        sub
    }

    fn pivot_scope(
        &self,
        r: &RelationDef,
        cond: &Cond<'_>,
        owner: &Value,
        p: &mut Vec<Param>,
    ) -> String {
        let mut params = Vec::new();
        let cond = cond(&mut params);
        let (scope, times) = pivot_scope(r, &cond);
        for _ in 0..times {
            p.push(Param::Value(owner.clone()));
            p.extend(params.iter().map(clone_param));
        }
        scope
    }

    fn count_column<'a>(&self, r: &'a RelationDef) -> &'a str {
        count_column(r)
    }

    fn select_list<'a>(&self, t: &'a TableDef) -> &'a str {
        select_list_ref(t)
    }

    fn select(
        &self,
        t: &TableDef,
        what: &str,
        conditions: &[String],
        order: Option<&[String]>,
        limit: Option<u64>,
        offset: Option<u64>,
    ) -> String {
        use std::fmt::Write as _;
        let mut s = format!("SELECT {what} FROM {}", ident(t.name));
        for (i, cond) in conditions.iter().enumerate() {
            s.push_str(if i == 0 { " WHERE (" } else { " AND (" });
            s.push_str(cond);
            s.push(')');
        }
        if let Some(order) = order {
            s.push_str(" ORDER BY ");
            for o in order {
                s.push_str(o);
                s.push_str(", ");
            }
            s.push_str(&pk_qualified(t));
        }
        match (limit, offset) {
            (Some(l), Some(o)) => {
                let _ = write!(s, " LIMIT {l} OFFSET {o}");
            }
            (Some(l), None) => {
                let _ = write!(s, " LIMIT {l}");
            }
            // SQLite needs a limit before an offset: -1 is none.
            (None, Some(o)) => {
                let _ = write!(s, " LIMIT -1 OFFSET {o}");
            }
            (None, None) => {}
        }
        s
    }

    fn count_of(&self, select: &str) -> String {
        format!("SELECT count(*) FROM ({select})")
    }
}

/// SQLite's parameters are plain values (a list is its JSON text).
fn clone_param(p: &Param) -> Param {
    match p {
        Param::Value(v) => Param::Value(v.clone()),
        Param::List(l) => Param::Value(Value::Text(l.json.clone())),
    }
}

/// A list of values checked when the query was built (no NaN), as one list
/// parameter.
fn encode_values(column: &'static str, values: &[Value]) -> List {
    let mut list = ListEncoder::new(column);
    for v in values {
        // Every value was checked when the query was built; NULL stands in
        // for one that could not be written, and matches nothing.
        if list.push_ref(v.into()).is_err() {
            let _ = list.push_ref(ValueRef::Null);
        }
    }
    list.finish()
}
