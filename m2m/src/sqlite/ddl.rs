//! SQLite's DDL: how it declares a column (the shape every dialect shares
//! is in `crate::ddl`). A junction is `WITHOUT ROWID`: clustered on its pair
//! key, one owner's links are contiguous and in target order.

use std::fmt::Write as _;

use crate::ddl::Ddl;
use crate::def::{ColumnDef, RelationDef, TableDef};
use crate::dialect::ident;

struct Sqlite;

impl Ddl for Sqlite {
    fn column(t: &TableDef, i: usize, c: &ColumnDef) -> String {
        column_sql(t, i, c)
    }

    fn key_type(pk: &ColumnDef) -> String {
        if pk.sql_type.is_empty() {
            String::new()
        } else {
            format!(" {}", pk.sql_type)
        }
    }

    const JUNCTION_OPTIONS: &'static str = " WITHOUT ROWID";
}

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
    crate::ddl::create_sql::<Sqlite>(t, relations)
}

/// Drops an empty through table and creates it again with `r`'s foreign keys.
pub(crate) fn rebuild_through(r: &RelationDef, p: &TableDef) -> String {
    crate::ddl::rebuild_through::<Sqlite>(r, p)
}
