//! Every piece of SQL text m2m runs on PostgreSQL is built here.
//!
//! The statements have SQLite's shapes (one statement for `add`, one for
//! prefetch, a diff for `set`, junction-only reads), with PostgreSQL's
//! spelling: numbered parameters (`$1` the owner, `$2` the target or the
//! key list, `$3`... pivot data), a key list as one array parameter read
//! with `unnest($2::T[])` or `= ANY($2)`, `LEAST`/`GREATEST` for a
//! symmetrical pair, `RETURNING` for assigned keys. Parameters a statement
//! does not compare with a column are cast to the column's type, so
//! PostgreSQL knows every parameter's type when it prepares the statement.
//! Statements are built once per table or relation and kept in its
//! description's cache (`SqlCache::pg`).

use std::fmt::Write as _;

use rusqlite::types::Value;

use crate::def::{ColumnSlot, RelationDef, Slot, TableDef};
use crate::dialect::{
    Cond, List, Names, Param, Statements, Unit, ident, names, pk_qualified, qualified,
};
use crate::error::DbResult;
use crate::value::SqlValue;

/// The key column's PostgreSQL type, for casts.
fn key_type(t: &TableDef) -> &'static str {
    t.pk_column().pg_type
}

/// The type of a column of `t` by name.
fn column_type(t: &TableDef, name: &str) -> &'static str {
    t.columns
        .iter()
        .find(|c| c.name == name)
        .map_or("TEXT", |c| c.pg_type)
}

/// `"t"."a", "t"."b", ...` in column order.
fn select_list_ref(t: &TableDef) -> &str {
    t.sql.pg().get(Slot::SelectList, || {
        t.columns
            .iter()
            .map(|c| qualified(t.name, c.name))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// `$1` cast to the owner key's type.
fn owner_param(r: &RelationDef) -> String {
    format!("$1::{}", key_type(r.owner))
}

/// `$2` cast to the target key's type.
fn target_param(r: &RelationDef) -> String {
    format!("$2::{}", key_type(r.target_table))
}

/// `$2` as an array of target keys.
fn target_list(r: &RelationDef) -> String {
    format!("$2::{}[]", key_type(r.target_table))
}

/// A through model's insert: its columns but the key, and for each the
/// value (`src`/`dst` for the two link columns, `$3`, `$4`, ... for the
/// others, cast to their columns' types).
fn link_columns(r: &RelationDef, p: &TableDef, src: &str, dst: &str) -> (String, String) {
    let mut cols = Vec::new();
    let mut exprs = Vec::new();
    let mut n = 2;
    for c in p.non_key_columns() {
        cols.push(ident(c));
        exprs.push(if r.is_pivot_column(c) {
            n += 1;
            format!("${n}::{}", column_type(p, c))
        } else if c == r.source {
            src.to_owned()
        } else {
            dst.to_owned()
        });
    }
    (cols.join(", "), exprs.join(", "))
}

/// `(pair condition)` for owner $1 and target $2.
fn pair(r: &RelationDef) -> String {
    let Names { j, s, t } = names(r);
    let (o, k) = (owner_param(r), target_param(r));
    if r.symmetrical {
        format!("{j}.{s} = LEAST({o}, {k}) AND {j}.{t} = GREATEST({o}, {k})")
    } else {
        format!("{j}.{s} = $1 AND {j}.{t} = $2")
    }
}

/// The other side's key of a junction row seen from owner $1.
fn other_key(r: &RelationDef) -> String {
    let Names { j, s, t } = names(r);
    if r.symmetrical {
        format!("CASE WHEN {j}.{s} = $1 THEN {j}.{t} ELSE {j}.{s} END")
    } else {
        format!("{j}.{t}")
    }
}

fn owner_rows(r: &RelationDef) -> String {
    let Names { j, s, t } = names(r);
    if r.symmetrical {
        format!("({j}.{s} = $1 OR {j}.{t} = $1)")
    } else {
        format!("{j}.{s} = $1")
    }
}

fn with_returning(r: &RelationDef, body: String, returning: bool) -> String {
    if !returning {
        return body;
    }
    let Names { s, t, .. } = names(r);
    if r.symmetrical {
        format!(
            "{body} RETURNING CASE WHEN {s} = {} THEN {t} ELSE {s} END",
            owner_param(r)
        )
    } else {
        format!("{body} RETURNING {t}")
    }
}

/// The owner's target keys, from the junction alone, for owner `o`.
fn keys_sql(r: &RelationDef, o: &str) -> String {
    let Names { j, s, t } = names(r);
    if r.symmetrical {
        format!(
            "SELECT {t} AS k FROM {j} WHERE {s} = {o} UNION SELECT {s} FROM {j} WHERE {t} = {o}"
        )
    } else {
        format!("SELECT {t} FROM {j} WHERE {s} = {o}")
    }
}

/// `(owner key, cols)` for the owners in the array $1: the junction is
/// walked from each owner key.
fn prefetch_sql(r: &RelationDef, cols: &str) -> String {
    let tt = r.target_table;
    let tk = pk_qualified(tt);
    let table = ident(tt.name);
    let Names { j, s, t } = names(r);
    let list = format!("$1::{}[]", key_type(r.owner));
    let half = |from: &str, to: &str| {
        format!(
            "SELECT {j}.{from}, {cols} FROM {j} JOIN {table} ON {tk} = {j}.{to} WHERE {j}.{from} = ANY({list})"
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

/// One atomic unit on its own. It opens with a savepoint, so a call that
/// goes on after a failed statement can roll back to the unit's start
/// (`Session::recover`): PostgreSQL refuses every statement of a
/// transaction after a failed one. (`BEGIN; SAVEPOINT` is one round trip.)
pub(crate) const TRANSACTION: Unit = Unit {
    begin: "BEGIN; SAVEPOINT m2m_write",
    commit: "COMMIT",
    rollback: "ROLLBACK",
};

/// One atomic unit inside the caller's transaction.
pub(crate) const SAVEPOINT: Unit = Unit {
    begin: "SAVEPOINT m2m_write",
    commit: "RELEASE m2m_write",
    rollback: "ROLLBACK TO m2m_write; RELEASE m2m_write",
};

/// Locks the owner's row (`FOR NO KEY UPDATE`): a second `set` of the
/// owner's links waits for the first one's transaction, and its statements
/// then see what that one committed. (Not `FOR UPDATE`, which would also
/// wait for the foreign-key checks of every `add` to the owner, and deadlock
/// with one that inserted a link the `set` is about to insert.)
pub(crate) fn lock_row(t: &TableDef) -> &str {
    t.sql.pg().get(Slot::LockRow, || {
        format!(
            "SELECT count(*) FROM (SELECT 1 FROM {} WHERE {} = $1 FOR NO KEY UPDATE) AS __l",
            ident(t.name),
            ident(t.pk_column().name)
        )
    })
}

/// [`lock_row`] with the key written in, for a simple query (one round trip
/// with the unit's `BEGIN`): only for keys that are an integer, or text
/// (an escape string, whatever the server's `standard_conforming_strings`).
pub(crate) fn lock_row_literal(
    t: &TableDef,
    key: &crate::pg::value::PgParam<'_>,
) -> Option<String> {
    use crate::pg::value::PgParam;
    let literal = match key {
        PgParam::Int(i) => i.to_string(),
        PgParam::Text(text) if !text.contains('\0') => {
            format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
        }
        _ => return None,
    };
    Some(format!(
        "SELECT 1 FROM {} WHERE {} = {literal} FOR NO KEY UPDATE",
        ident(t.name),
        ident(t.pk_column().name)
    ))
}

/// Moves `t`'s identity sequence past its largest key.
pub(crate) fn resync_key(t: &TableDef) -> String {
    let k = ident(t.pk_column().name);
    let table = ident(t.name);
    format!(
        "SELECT setval(pg_get_serial_sequence(quote_ident('{}'), '{}'), max({k})) FROM {table} HAVING max({k}) IS NOT NULL",
        t.name.replace('\'', "''"),
        t.pk_column().name.replace('\'', "''")
    )
}

/// Numbers the next parameter pushed to `p`.
fn next(p: &[Param]) -> usize {
    p.len() + 1
}

/// PostgreSQL's SQL, as the calls ask for it (the statements' meanings are
/// documented on [`Statements`]).
pub(crate) struct Pg;

impl Pg {
    fn insert_text(t: &TableDef, with_key: bool) -> String {
        let mut cols: Vec<String> = t.non_key_columns().map(ident).collect();
        if with_key {
            cols.push(ident(t.pk_column().name));
        }
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        if cols.is_empty() {
            format!("INSERT INTO {} DEFAULT VALUES", ident(t.name))
        } else {
            format!(
                "INSERT INTO {} ({}) VALUES ({})",
                ident(t.name),
                cols.join(", "),
                marks.join(", ")
            )
        }
    }

    /// ` RETURNING key` for an insert that leaves the key to the database:
    /// the connection keeps it as the last inserted key.
    fn returning_key(t: &TableDef) -> String {
        format!(" RETURNING {}", ident(t.pk_column().name))
    }
}

impl Statements for Pg {
    fn insert<'a>(&self, t: &'a TableDef, with_key: bool) -> &'a str {
        let slot = if with_key {
            Slot::Insert
        } else {
            Slot::InsertAuto
        };
        t.sql.pg().get(slot, || {
            let mut s = Pg::insert_text(t, with_key);
            if !with_key {
                s.push_str(&Pg::returning_key(t));
            }
            s
        })
    }

    fn update<'a>(&self, t: &'a TableDef) -> Option<&'a str> {
        if t.columns.len() < 2 {
            return None;
        }
        Some(t.sql.pg().get(Slot::Update, || {
            let sets: Vec<String> = t
                .non_key_columns()
                .enumerate()
                .map(|(i, c)| format!("{} = ${}", ident(c), i + 1))
                .collect();
            format!(
                "UPDATE {} SET {} WHERE {} = ${}",
                ident(t.name),
                sets.join(", "),
                ident(t.pk_column().name),
                sets.len() + 1
            )
        }))
    }

    fn upsert<'a>(&self, t: &'a TableDef) -> &'a str {
        t.sql.pg().get(Slot::Upsert, || {
            let base = Pg::insert_text(t, true);
            let sets: Vec<String> = t
                .non_key_columns()
                .map(|c| format!("{0} = EXCLUDED.{0}", ident(c)))
                .collect();
            if sets.is_empty() {
                format!("{base} ON CONFLICT DO NOTHING")
            } else {
                format!(
                    "{base} ON CONFLICT ({}) DO UPDATE SET {}",
                    ident(t.pk_column().name),
                    sets.join(", ")
                )
            }
        })
    }

    fn insert_in_gap<'a>(&self, t: &'a TableDef, max: i64) -> &'a str {
        t.sql.pg().get(Slot::InsertInGap, || {
            let table = ident(t.name);
            let k = ident(t.pk_column().name);
            let mut cols: Vec<String> = t.non_key_columns().map(ident).collect();
            let mut values: Vec<String> = t
                .non_key_columns()
                .enumerate()
                .map(|(i, c)| format!("${}::{}", i + 1, column_type(t, c)))
                .collect();
            cols.push(k.clone());
            values.push(format!("__g.__k::{}", key_type(t)));
            format!(
                "INSERT INTO {table} ({}) SELECT {} FROM (SELECT CASE \
                 WHEN NOT EXISTS (SELECT 1 FROM {table} WHERE {k} = 1) THEN 1 \
                 ELSE (SELECT min(__a.{k}) + 1 FROM {table} AS __a WHERE __a.{k} >= 1 AND __a.{k} < {max} \
                 AND NOT EXISTS (SELECT 1 FROM {table} AS __b WHERE __b.{k} = __a.{k} + 1)) END AS __k) AS __g \
                 WHERE __g.__k IS NOT NULL{}",
                cols.join(", "),
                values.join(", "),
                Pg::returning_key(t)
            )
        })
    }

    fn insert_unless<'a>(&self, t: &'a TableDef, with_key: bool, column: usize) -> &'a str {
        let slot = if with_key {
            ColumnSlot::InsertUnless
        } else {
            ColumnSlot::InsertUnlessAuto
        };
        t.sql.pg().get_column(t, slot, column, || {
            let mut s = format!(
                "{} ON CONFLICT ({}) DO NOTHING",
                Pg::insert_text(t, with_key),
                ident(t.columns[column].name)
            );
            if !with_key {
                s.push_str(&Pg::returning_key(t));
            }
            s
        })
    }

    fn get_by<'a>(&self, t: &'a TableDef, column: usize) -> &'a str {
        t.sql.pg().get_column(t, ColumnSlot::GetBy, column, || {
            format!(
                "SELECT {} FROM {} WHERE {} = $1",
                select_list_ref(t),
                ident(t.name),
                ident(t.columns[column].name)
            )
        })
    }

    fn delete_rowid<'a>(&self, t: &'a TableDef) -> &'a str {
        // PostgreSQL has no rowid: the key the insert returned is the row's.
        self.delete(t)
    }

    fn delete<'a>(&self, t: &'a TableDef) -> &'a str {
        t.sql.pg().get(Slot::Delete, || {
            format!(
                "DELETE FROM {} WHERE {} = $1",
                ident(t.name),
                ident(t.pk_column().name)
            )
        })
    }

    fn get<'a>(&self, t: &'a TableDef) -> &'a str {
        t.sql.pg().get(Slot::Get, || {
            format!(
                "SELECT {} FROM {} WHERE {} = $1",
                select_list_ref(t),
                ident(t.name),
                ident(t.pk_column().name)
            )
        })
    }

    fn row_exists<'a>(&self, t: &'a TableDef) -> &'a str {
        t.sql.pg().get(Slot::OwnerExists, || {
            format!(
                "SELECT EXISTS(SELECT 1 FROM {} WHERE {} = $1)",
                ident(t.name),
                ident(t.pk_column().name)
            )
        })
    }

    fn add<'a>(&self, r: &'a RelationDef, returning: bool, _blobs: bool) -> &'a str {
        let slot = if returning {
            Slot::AddReturning
        } else {
            Slot::Add
        };
        r.sql.pg().get(slot, || {
            let Names { j, s, t } = names(r);
            let o = owner_param(r);
            let (src, dst) = if r.symmetrical {
                (format!("LEAST({o}, __l.k)"), format!("GREATEST({o}, __l.k)"))
            } else {
                (o, "__l.k".to_owned())
            };
            let from = format!("FROM unnest({}) AS __l(k)", target_list(r));
            // Rows are written (and locked) in pair order, so concurrent
            // calls wait for each other instead of deadlocking; a
            // symmetrical pair's order is not its target's.
            let from = if r.symmetrical {
                format!("{from} ORDER BY LEAST({0}, __l.k), GREATEST({0}, __l.k)", owner_param(r))
            } else {
                from
            };
            let body = match r.through() {
                None => format!(
                    "INSERT INTO {j} ({s}, {t}) SELECT {src}, {dst} {from} ON CONFLICT ({s}, {t}) DO NOTHING"
                ),
                Some(p) => {
                    let (cols, exprs) = link_columns(r, p, &src, &dst);
                    format!(
                        "INSERT INTO {j} ({cols}) SELECT {exprs} {from} ON CONFLICT ({s}, {t}) DO NOTHING"
                    )
                }
            };
            with_returning(r, body, returning)
        })
    }

    fn insert_one<'a>(&self, r: &'a RelationDef, p: &TableDef, _checked: bool) -> &'a str {
        // Foreign keys are never deferred here: the plain form is checked.
        r.sql.pg().get(Slot::InsertOne, || {
            let (o, k) = (owner_param(r), target_param(r));
            let (src, dst) = if r.symmetrical {
                (format!("LEAST({o}, {k})"), format!("GREATEST({o}, {k})"))
            } else {
                (o, k)
            };
            let (cols, exprs) = link_columns(r, p, &src, &dst);
            format!(
                "INSERT INTO {} ({cols}) VALUES ({exprs}) ON CONFLICT ({}, {}) DO NOTHING",
                ident(r.junction_table()),
                ident(r.source),
                ident(r.target)
            )
        })
    }

    fn pivot_get<'a>(&self, r: &'a RelationDef, p: &TableDef) -> &'a str {
        r.sql.pg().get(Slot::PivotGet, || {
            format!(
                "SELECT {} FROM {} WHERE {}",
                select_list_ref(p),
                ident(r.junction_table()),
                pair(r)
            )
        })
    }

    fn pivot_get_for_update<'a>(&self, r: &'a RelationDef, p: &TableDef) -> &'a str {
        r.sql.pg().get(Slot::PivotGetForUpdate, || {
            format!("{} FOR NO KEY UPDATE", self.pivot_get(r, p))
        })
    }

    fn pivot_update<'a>(&self, r: &'a RelationDef, p: &TableDef) -> Option<&'a str> {
        let sets: Vec<String> = p
            .non_key_columns()
            .filter(|c| r.is_pivot_column(c))
            .enumerate()
            .map(|(i, c)| format!("{} = ${}", ident(c), i + 3))
            .collect();
        if sets.is_empty() {
            return None;
        }
        Some(r.sql.pg().get(Slot::PivotUpdate, || {
            format!(
                "UPDATE {} SET {} WHERE {}",
                ident(r.junction_table()),
                sets.join(", "),
                pair(r)
            )
        }))
    }

    fn fetch_with_pivot<'a>(&self, r: &'a RelationDef, p: &TableDef) -> &'a str {
        r.sql.pg().get(Slot::FetchWithPivot, || {
            let tt = r.target_table;
            let tk = pk_qualified(tt);
            format!(
                "SELECT {}, {} FROM {} JOIN {} ON {tk} = {} WHERE {} ORDER BY {tk}",
                select_list_ref(tt),
                select_list_ref(p),
                ident(r.junction_table()),
                ident(tt.name),
                other_key(r),
                owner_rows(r)
            )
        })
    }

    fn pivots_of<'a>(&self, r: &'a RelationDef, p: &TableDef, _blobs: bool) -> &'a str {
        r.sql.pg().get(Slot::PivotsOf, || {
            let Names { j, s, t } = names(r);
            let keys = target_list(r);
            let which = if r.symmetrical {
                format!(
                    "({j}.{s} = $1 AND {j}.{t} = ANY({keys})) OR ({j}.{t} = $1 AND {j}.{s} = ANY({keys}))"
                )
            } else {
                format!("{j}.{s} = $1 AND {j}.{t} = ANY({keys})")
            };
            format!(
                "SELECT {}, {} FROM {j} WHERE {which}",
                other_key(r),
                select_list_ref(p)
            )
        })
    }

    fn prefetch_with_pivot<'a>(&self, r: &'a RelationDef, p: &TableDef, _blobs: bool) -> &'a str {
        r.sql.pg().get(Slot::PrefetchWithPivot, || {
            prefetch_sql(
                r,
                &format!(
                    "{}, {}",
                    select_list_ref(r.target_table),
                    select_list_ref(p)
                ),
            )
        })
    }

    fn remove_one<'a>(&self, r: &'a RelationDef) -> &'a str {
        r.sql.pg().get(Slot::RemoveOne, || {
            format!(
                "DELETE FROM {} WHERE {}",
                ident(r.junction_table()),
                pair(r)
            )
        })
    }

    fn remove_many<'a>(&self, r: &'a RelationDef, returning: bool) -> Option<&'a str> {
        // One statement, one round trip, whatever the number of keys.
        let slot = if returning {
            Slot::RemoveManyReturning
        } else {
            Slot::RemoveMany
        };
        Some(r.sql.pg().get(slot, || {
            let Names { j, s, t } = names(r);
            let keys = target_list(r);
            let o = owner_param(r);
            let body = if r.symmetrical {
                format!(
                    "DELETE FROM {j} WHERE ({s} = {o} AND {t} = ANY({keys})) OR ({t} = {o} AND {s} = ANY({keys}))"
                )
            } else {
                format!("DELETE FROM {j} WHERE {s} = {o} AND {t} = ANY({keys})")
            };
            with_returning(r, body, returning)
        }))
    }

    fn remove_others<'a>(&self, r: &'a RelationDef, _blobs: bool) -> &'a str {
        r.sql.pg().get(Slot::RemoveOthersReturning, || {
            let Names { j, s, t } = names(r);
            let keys = target_list(r);
            let o = owner_param(r);
            let body = if r.symmetrical {
                format!(
                    "DELETE FROM {j} WHERE ({s} = {o} AND {t} <> ALL({keys})) OR ({t} = {o} AND {s} <> ALL({keys}))"
                )
            } else {
                format!("DELETE FROM {j} WHERE {s} = {o} AND {t} <> ALL({keys})")
            };
            with_returning(r, body, true)
        })
    }

    fn clear<'a>(&self, r: &'a RelationDef) -> &'a str {
        r.sql.pg().get(Slot::Clear, || {
            let Names { j, s, t } = names(r);
            if r.symmetrical {
                format!("DELETE FROM {j} WHERE {s} = $1 OR {t} = $1")
            } else {
                format!("DELETE FROM {j} WHERE {s} = $1")
            }
        })
    }

    fn keys<'a>(&self, r: &'a RelationDef) -> &'a str {
        r.sql.pg().get(Slot::Keys, || {
            format!("{} ORDER BY 1", keys_sql(r, &owner_param(r)))
        })
    }

    fn count<'a>(&self, r: &'a RelationDef) -> &'a str {
        r.sql.pg().get(Slot::Count, || {
            let Names { j, s, t } = names(r);
            let o = owner_param(r);
            if r.symmetrical {
                // A self-link (a, a) is one row and counts once.
                format!(
                    "SELECT (SELECT count(*) FROM {j} WHERE {s} = {o}) + (SELECT count(*) FROM {j} WHERE {t} = {o} AND {s} <> {o})"
                )
            } else {
                format!("SELECT count(*) FROM {j} WHERE {s} = {o}")
            }
        })
    }

    fn exists<'a>(&self, r: &'a RelationDef) -> &'a str {
        r.sql.pg().get(Slot::Exists, || {
            let Names { j, s, t } = names(r);
            let o = owner_param(r);
            if r.symmetrical {
                format!(
                    "SELECT EXISTS(SELECT 1 FROM {j} WHERE {s} = {o}) OR EXISTS(SELECT 1 FROM {j} WHERE {t} = {o})"
                )
            } else {
                format!("SELECT EXISTS(SELECT 1 FROM {j} WHERE {s} = {o})")
            }
        })
    }

    fn contains<'a>(&self, r: &'a RelationDef) -> &'a str {
        r.sql.pg().get(Slot::Contains, || {
            format!(
                "SELECT EXISTS(SELECT 1 FROM {} WHERE {})",
                ident(r.junction_table()),
                pair(r)
            )
        })
    }

    fn fetch<'a>(&self, r: &'a RelationDef, one: bool) -> &'a str {
        let slot = if one { Slot::FetchOne } else { Slot::Fetch };
        r.sql.pg().get(slot, || {
            let tt = r.target_table;
            let tk = pk_qualified(tt);
            let limit = if one { " LIMIT 1" } else { "" };
            if r.symmetrical {
                format!(
                    "SELECT {} FROM {} WHERE {tk} IN ({}) ORDER BY {tk}{limit}",
                    select_list_ref(tt),
                    ident(tt.name),
                    keys_sql(r, &owner_param(r))
                )
            } else {
                let Names { j, s, t } = names(r);
                format!(
                    "SELECT {} FROM {j} JOIN {} ON {tk} = {j}.{t} WHERE {j}.{s} = $1 ORDER BY {j}.{t}{limit}",
                    select_list_ref(tt),
                    ident(tt.name)
                )
            }
        })
    }

    fn prefetch<'a>(&self, r: &'a RelationDef, _blobs: bool) -> &'a str {
        r.sql.pg().get(Slot::Prefetch, || {
            prefetch_sql(r, select_list_ref(r.target_table))
        })
    }

    fn missing_target<'a>(&self, r: &'a RelationDef, _blobs: bool) -> &'a str {
        r.sql.pg().get(Slot::MissingTarget, || {
            let tt = r.target_table;
            // `$1` (the owner) is in every link statement's parameters; this
            // one reads it too, so it takes the same two.
            format!(
                "SELECT __l.k FROM unnest({}) WITH ORDINALITY AS __l(k, n) WHERE {} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} WHERE {} = __l.k) ORDER BY __l.n LIMIT 1",
                target_list(r),
                owner_param(r),
                ident(tt.name),
                ident(tt.pk_column().name)
            )
        })
    }

    fn list(&self, column: &'static str, values: &[&dyn SqlValue]) -> DbResult<List> {
        let mut pg = Vec::with_capacity(values.len());
        for v in values {
            let p = v.pg_owned()?;
            if let crate::pg::value::PgParam::Real(f) = p
                && f.is_nan()
            {
                return Err(crate::error::bad_value(column, crate::error::NAN).into());
            }
            pg.push(p);
        }
        Ok(List {
            json: String::new(),
            blobs: false,
            pg,
        })
    }

    fn compare(&self, column: &str, op: &str, value: &Value, p: &mut Vec<Param>) -> String {
        p.push(Param::Value(value.clone()));
        if op == "LIKE" {
            // SQLite's LIKE ignores ASCII case and has no escape character;
            // so does this.
            return format!("{column} ILIKE ${} ESCAPE ''", p.len());
        }
        format!("{column} {op} ${}", p.len())
    }

    fn in_list(&self, column: &str, values: &[Value], p: &mut Vec<Param>) -> String {
        p.push(Param::List(value_list(values)));
        format!("{column} = ANY(${})", p.len())
    }

    fn nothing(&self) -> String {
        "false".to_owned()
    }

    fn order(&self, column: &str, ascending: bool) -> String {
        // SQLite sorts NULLs first ascending and last descending.
        if ascending {
            format!("{column} ASC NULLS FIRST")
        } else {
            format!("{column} DESC NULLS LAST")
        }
    }

    fn scope(&self, r: &RelationDef, owner: &Value, p: &mut Vec<Param>) -> String {
        p.push(Param::Value(owner.clone()));
        let o = format!("${}", p.len());
        let tt = r.target_table;
        let tk = pk_qualified(tt);
        let Names { j, s, t } = names(r);
        if r.symmetrical {
            format!(
                "{tk} IN (SELECT {t} FROM {j} WHERE {s} = {o} UNION SELECT {s} FROM {j} WHERE {t} = {o})"
            )
        } else {
            format!("{tk} IN (SELECT {t} FROM {j} WHERE {s} = {o})")
        }
    }

    fn owners_where(&self, r: &RelationDef, cond: &Cond<'_>, p: &mut Vec<Param>) -> String {
        // Numbered parameters may be read twice: the condition is written once.
        let cond = cond(p);
        let tt = r.target_table;
        let tk = pk_qualified(tt);
        let table = ident(tt.name);
        let Names { j, s, t } = names(r);
        let half = |from: &str, to: &str| {
            format!("SELECT {j}.{from} FROM {j} JOIN {table} ON {tk} = {j}.{to} WHERE {cond}")
        };
        if r.symmetrical {
            format!("{} UNION {}", half(&s, &t), half(&t, &s))
        } else {
            half(&s, &t)
        }
    }

    fn owners_linked(
        &self,
        r: &RelationDef,
        keys: &[Value],
        all: bool,
        p: &mut Vec<Param>,
    ) -> String {
        let Names { j, s, t } = names(r);
        p.push(Param::List(value_list(keys)));
        let keys_at = format!("${}::{}[]", p.len(), key_type(r.target_table));
        let pairs = if r.symmetrical {
            format!(
                "SELECT {s} AS __o, {t} AS __t FROM {j} WHERE {t} = ANY({keys_at}) UNION SELECT {t}, {s} FROM {j} WHERE {s} = ANY({keys_at})"
            )
        } else {
            format!("SELECT {s} AS __o, {t} AS __t FROM {j} WHERE {t} = ANY({keys_at})")
        };
        if all {
            p.push(Param::Value(Value::Integer(
                i64::try_from(keys.len()).unwrap_or(i64::MAX),
            )));
            format!(
                "SELECT __p.__o FROM ({pairs}) AS __p GROUP BY __p.__o HAVING count(DISTINCT __p.__t) = ${}::BIGINT",
                next(p) - 1
            )
        } else {
            format!("SELECT __p.__o FROM ({pairs}) AS __p")
        }
    }

    fn pivot_scope(
        &self,
        r: &RelationDef,
        cond: &Cond<'_>,
        owner: &Value,
        p: &mut Vec<Param>,
    ) -> String {
        p.push(Param::Value(owner.clone()));
        let o = format!("${}::{}", p.len(), key_type(r.owner));
        let cond = cond(p);
        let tt = r.target_table;
        let tk = pk_qualified(tt);
        let Names { j, s, t } = names(r);
        if r.symmetrical {
            format!(
                "{tk} IN (SELECT {j}.{t} FROM {j} WHERE {j}.{s} = {o} AND ({cond}) UNION SELECT {j}.{s} FROM {j} WHERE {j}.{t} = {o} AND ({cond}))"
            )
        } else {
            format!("{tk} IN (SELECT {j}.{t} FROM {j} WHERE {j}.{s} = {o} AND ({cond}))")
        }
    }

    fn count_column<'a>(&self, r: &'a RelationDef) -> &'a str {
        r.sql.pg().get(Slot::CountColumn, || {
            let ok = pk_qualified(r.owner);
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
        // PostgreSQL's LIMIT and OFFSET are BIGINT: past it is "no limit"
        // and "skip every row" (as `u64::MAX` means on SQLite).
        if let Some(l) = limit
            && let Ok(l) = i64::try_from(l)
        {
            let _ = write!(s, " LIMIT {l}");
        }
        if let Some(o) = offset {
            let _ = write!(s, " OFFSET {}", i64::try_from(o).unwrap_or(i64::MAX));
        }
        s
    }

    fn count_of(&self, select: &str) -> String {
        format!("SELECT count(*) FROM ({select}) AS __q")
    }
}

/// Query values as one array parameter. Every value was checked when the
/// query was built (no NaN).
fn value_list(values: &[Value]) -> List {
    List {
        json: String::new(),
        blobs: false,
        pg: values
            .iter()
            .map(|v| {
                crate::pg::value::PgParam::from_value(v.clone())
                    .unwrap_or(crate::pg::value::PgParam::Null)
            })
            .collect(),
    }
}
