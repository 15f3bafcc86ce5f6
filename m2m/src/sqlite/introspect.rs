//! Reading SQLite's own description of a table (`sqlite_schema` and the
//! `table_info`, `foreign_key_list` and `index_list` pragmas), for schema
//! verification.

use rusqlite::Connection;

use crate::catalog::{ColumnInfo, Existing, ForeignKey, IndexInfo};

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
