//! SQLite's DDL: tables, indexes and junction tables.

use std::fmt::Write as _;

use crate::def::RelationDef;
use crate::def::{ColumnDef, TableDef};

use super::sql::ident;

fn column_sql(t: &TableDef, i: usize, c: &ColumnDef) -> String {
    let mut s = ident(c.name);
    if !c.sql_type.is_empty() {
        s.push(' ');
        s.push_str(c.sql_type);
    }
    if i == t.pk {
        s.push_str(" PRIMARY KEY");
        // SQLite lets non-integer keys be NULL unless told otherwise.
        if !t.auto_key {
            s.push_str(" NOT NULL");
        }
        // A rowid SQLite assigns past a narrow key type's range would make
        // every later read of the table fail: refused here, row by row.
        if let Some((lo, hi)) = t.key_range {
            let _ = write!(s, " CHECK ({} BETWEEN {lo} AND {hi})", ident(c.name));
        }
    } else {
        if !c.nullable {
            s.push_str(" NOT NULL");
        }
        if c.unique {
            s.push_str(" UNIQUE");
        }
    }
    s
}

/// The statements that create `t`, its indexes and the junction tables of
/// `relations` (the ones declared on it), each `IF NOT EXISTS`.
pub(crate) fn create_sql(t: &TableDef, relations: &[&RelationDef]) -> String {
    let mut out = String::new();
    table_sql(&mut out, t, |_| "", None);
    for r in relations.iter().filter(|r| r.declared) {
        junction_sql(&mut out, r);
    }
    out
}

/// `CREATE TABLE` for `t`, each column followed by `extra(column)` and the
/// table by an optional constraint, then the indexes of its `index` columns.
fn table_sql<'a>(
    out: &mut String,
    t: &TableDef,
    extra: impl Fn(&ColumnDef) -> &'a str,
    check: Option<String>,
) {
    let mut cols: Vec<String> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| column_sql(t, i, c) + extra(c))
        .collect();
    cols.extend(check);
    let _ = writeln!(
        out,
        "CREATE TABLE IF NOT EXISTS {} (\n    {}\n);",
        ident(t.name),
        cols.join(",\n    ")
    );
    for c in t.columns.iter().filter(|c| c.index) {
        let _ = writeln!(
            out,
            "CREATE INDEX IF NOT EXISTS {} ON {} ({});",
            ident(&index_name(&[t.name, c.name])),
            ident(t.name),
            ident(c.name)
        );
    }
}

/// An index's name: its table and columns joined by dots. Table and column
/// names are plain identifiers (no dots), so two indexes never get one name
/// (`a_b` + `c` and `a` + `b_c` would both be `a_b_c_idx`), nor an index a
/// table's name (SQLite keeps both in one namespace).
fn index_name(parts: &[&str]) -> String {
    parts.join(".")
}

fn references(table: &TableDef) -> String {
    format!(
        " REFERENCES {} ({}) ON DELETE CASCADE ON UPDATE CASCADE",
        ident(table.name),
        ident(table.pk_column().name)
    )
}

/// A through model's table: its own columns, with the two link columns
/// referring to both sides, and the pair unique.
fn through_sql(out: &mut String, r: &RelationDef, p: &TableDef) {
    let (s, t) = (ident(r.source), ident(r.target));
    let (to_owner, to_target) = (references(r.owner), references(r.target_table));
    let extra = |c: &ColumnDef| {
        if c.name == r.source {
            to_owner.as_str()
        } else if c.name == r.target {
            to_target.as_str()
        } else {
            ""
        }
    };
    table_sql(
        out,
        p,
        extra,
        r.symmetrical.then(|| format!("CHECK ({s} <= {t})")),
    );
    let _ = writeln!(
        out,
        "CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({s}, {t});",
        ident(&index_name(&[p.name, r.source, r.target])),
        ident(p.name)
    );
    let _ = writeln!(
        out,
        "CREATE INDEX IF NOT EXISTS {} ON {} ({t});",
        ident(&index_name(&[p.name, r.target])),
        ident(p.name)
    );
}

fn junction_sql(out: &mut String, r: &RelationDef) {
    if let Some(p) = r.through() {
        return through_sql(out, r, p);
    }
    let side = |col: &str, table: &TableDef| {
        let pk = table.pk_column();
        let ty = if pk.sql_type.is_empty() {
            String::new()
        } else {
            format!(" {}", pk.sql_type)
        };
        format!(
            "{}{ty} NOT NULL REFERENCES {} ({}) ON DELETE CASCADE ON UPDATE CASCADE",
            ident(col),
            ident(table.name),
            ident(pk.name)
        )
    };
    let (s, t) = (ident(r.source), ident(r.target));
    // A symmetrical pair is stored once, smaller key first.
    let check = if r.symmetrical {
        format!(",\n    CHECK ({s} <= {t})")
    } else {
        String::new()
    };
    // The pair is the key and the table is clustered on it: no duplicate
    // links, and one owner's links are contiguous and in target order.
    let _ = writeln!(
        out,
        "CREATE TABLE IF NOT EXISTS {} (\n    {},\n    {},\n    PRIMARY KEY ({s}, {t}){check}\n) WITHOUT ROWID;",
        ident(r.junction_table()),
        side(r.source, r.owner),
        side(r.target, r.target_table),
    );
    let _ = writeln!(
        out,
        "CREATE INDEX IF NOT EXISTS {} ON {} ({t});",
        ident(&index_name(&[r.junction_table(), r.target])),
        ident(r.junction_table())
    );
}

/// Drops an empty through table and creates it again with `r`'s foreign keys.
pub(crate) fn rebuild_through(r: &RelationDef, p: &TableDef) -> String {
    let mut out = format!("DROP TABLE {};\n", ident(p.name));
    through_sql(&mut out, r, p);
    out
}
