//! The DDL both dialects write: tables, indexes and junction tables with
//! one shape (the pair key, the index on the target column, cascading
//! foreign keys, the symmetric `CHECK`), each dialect saying only how a
//! column is declared ([`Ddl`]).

use std::fmt::Write as _;

use crate::def::{ColumnDef, RelationDef, TableDef};
use crate::dialect::ident;

/// What a dialect's DDL says its own way.
pub(crate) trait Ddl {
    /// A model column's definition: name, type, key and constraints.
    fn column(t: &TableDef, i: usize, c: &ColumnDef) -> String;
    /// ` TYPE` of a junction column holding keys of `pk` (empty for none).
    fn key_type(pk: &ColumnDef) -> String;
    /// What follows a junction table's definition.
    const JUNCTION_OPTIONS: &'static str;
}

/// The statements that create `t`, its indexes and the junction tables of
/// `relations` (the ones declared on it), each `IF NOT EXISTS`.
pub(crate) fn create_sql<D: Ddl>(t: &TableDef, relations: &[&RelationDef]) -> String {
    let mut out = String::new();
    table_sql::<D>(&mut out, t, |_| "", None);
    for r in relations.iter().filter(|r| r.declared) {
        junction_sql::<D>(&mut out, r);
    }
    out
}

/// `CREATE TABLE` for `t`, each column followed by `extra(column)` and the
/// table by an optional constraint, then the indexes of its `index` columns.
fn table_sql<'a, D: Ddl>(
    out: &mut String,
    t: &TableDef,
    extra: impl Fn(&ColumnDef) -> &'a str,
    check: Option<String>,
) {
    let mut cols: Vec<String> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| D::column(t, i, c) + extra(c))
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
fn through_sql<D: Ddl>(out: &mut String, r: &RelationDef, p: &TableDef) {
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
    table_sql::<D>(
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

fn junction_sql<D: Ddl>(out: &mut String, r: &RelationDef) {
    if let Some(p) = r.through() {
        return through_sql::<D>(out, r, p);
    }
    let side = |col: &str, table: &TableDef| {
        let pk = table.pk_column();
        let ty = D::key_type(pk);
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
    // The pair is the key: no duplicate links, and one owner's links are
    // found together and in target order.
    let _ = writeln!(
        out,
        "CREATE TABLE IF NOT EXISTS {} (\n    {},\n    {},\n    PRIMARY KEY ({s}, {t}){check}\n){};",
        ident(r.junction_table()),
        side(r.source, r.owner),
        side(r.target, r.target_table),
        D::JUNCTION_OPTIONS,
    );
    let _ = writeln!(
        out,
        "CREATE INDEX IF NOT EXISTS {} ON {} ({t});",
        ident(&index_name(&[r.junction_table(), r.target])),
        ident(r.junction_table())
    );
}

/// Drops an empty through table and creates it again with `r`'s foreign keys.
pub(crate) fn rebuild_through<D: Ddl>(r: &RelationDef, p: &TableDef) -> String {
    let mut out = format!("DROP TABLE {};\n", ident(p.name));
    through_sql::<D>(&mut out, r, p);
    out
}
