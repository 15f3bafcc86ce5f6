//! Reading PostgreSQL's catalog (`pg_class`, `pg_attribute`,
//! `pg_constraint`, `pg_index`) for schema verification. A name is looked
//! up as the statements m2m runs find it: quoted, on the search path.

use crate::catalog::{ColumnInfo, Existing, ForeignKey, IndexInfo};
use crate::db::Session;
use crate::error::DbResult;
use crate::value::RowReader;

const KIND: &str = "SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' ELSE 'view' END \
    FROM pg_class AS c WHERE c.oid = to_regclass(quote_ident($1)) AND c.relkind IN ('r', 'p', 'v', 'm')";

const COLUMNS: &str = "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
    (a.atthasdef OR a.attidentity <> ''), COALESCE((SELECT k.o FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(n, o) WHERE k.n = a.attnum), 0)::bigint \
    FROM pg_attribute AS a LEFT JOIN pg_index AS i ON i.indrelid = a.attrelid AND i.indisprimary \
    WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

const FOREIGN_KEYS: &str = "SELECT a.attname::text, cl.relname::text, af.attname::text, \
    CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'r' THEN 'RESTRICT' WHEN 'n' THEN 'SET NULL' \
    WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END \
    FROM pg_constraint AS con JOIN pg_class AS cl ON cl.oid = con.confrelid \
    JOIN pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] \
    JOIN pg_attribute AS af ON af.attrelid = con.confrelid AND af.attnum = con.confkey[1] \
    WHERE con.conrelid = to_regclass(quote_ident($1)) AND con.contype = 'f' AND cardinality(con.conkey) = 1";

const INDEXES: &str = "SELECT i.indisunique, \
    CASE WHEN i.indisprimary THEN 'pk' WHEN EXISTS (SELECT 1 FROM pg_constraint AS con \
    WHERE con.conindid = i.indexrelid AND con.contype = 'u') THEN 'u' ELSE 'c' END, \
    (SELECT string_agg(COALESCE(a.attname::text, ''), ',' ORDER BY k.o) \
    FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(n, o) \
    LEFT JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.n) \
    FROM pg_index AS i WHERE i.indrelid = to_regclass(quote_ident($1)) ORDER BY i.indexrelid";

/// Reads what the database has under `name`.
pub(crate) fn existing(s: Session<'_>, name: &str) -> DbResult<Existing> {
    let name = &name.to_owned();
    let kind: Vec<String> = s.rows(KIND, &[name], |r| r.get(0))?;
    let mut out = Existing {
        kind: kind.into_iter().next(),
        ..Existing::default()
    };
    if out.kind.as_deref() != Some("table") {
        return Ok(out);
    }
    out.columns = s.rows(COLUMNS, &[name], |r| {
        Ok(ColumnInfo {
            name: r.get(0)?,
            decl_type: r.get(1)?,
            not_null: r.get(2)?,
            has_default: r.get(3)?,
            pk: r.get(4)?,
        })
    })?;
    out.foreign_keys = s.rows(FOREIGN_KEYS, &[name], |r| {
        Ok(ForeignKey {
            from: r.get(0)?,
            table: r.get(1)?,
            to: Some(r.get(2)?),
            on_delete: r.get(3)?,
        })
    })?;
    out.indexes = s.rows(INDEXES, &[name], |r| {
        let columns: Option<String> = r.get(2)?;
        Ok(IndexInfo {
            unique: r.get(0)?,
            origin: r.get(1)?,
            columns: columns
                .unwrap_or_default()
                .split(',')
                .map(str::to_owned)
                .collect(),
        })
    })?;
    Ok(out)
}
