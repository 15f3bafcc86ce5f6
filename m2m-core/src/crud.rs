//! Row-level writes and reads of one model.

use rusqlite::Connection;
use rusqlite::types::ToSql;

use crate::key::PrimaryKey;
use crate::{Error, Model, Result, sql};

fn ctx<M: Model>(op: &str) -> String {
    format!("{}: {op}", M::TABLE.model)
}

/// Refuses a row write on a connection without foreign keys (see
/// [`require_foreign_keys`](crate::connection::require_foreign_keys)): a
/// delete there would leave the row's links behind for a new row to inherit.
pub(crate) fn writable<M: Model>(conn: &Connection, op: &str) -> Result<()> {
    crate::connection::require_foreign_keys(conn, || ctx::<M>(op))
}

/// Binds every column but the key, in order, then the key when `with_key`
/// (the order of the insert, update and upsert statements).
fn bind_row<M: Model>(
    stmt: &mut rusqlite::Statement<'_>,
    m: &M,
    with_key: bool,
) -> rusqlite::Result<()> {
    let mut i = 0;
    crate::model::each_value(m, |name, v| {
        i += 1;
        sql::bind_value(stmt, i, name, v)
    })?;
    if with_key {
        sql::bind_value(stmt, i + 1, M::TABLE.pk_column().name, m.pk())?;
    }
    Ok(())
}

/// Inserts `m`; returns the key SQLite assigned, if it assigned one.
pub(crate) fn insert<M: Model>(conn: &Connection, m: &M) -> Result<Option<M::Pk>> {
    let t = M::TABLE;
    let auto = t.auto_key && m.pk().is_unset();
    let ctx = |e| Error::sqlite(ctx::<M>("insert"), e);
    let run = || -> rusqlite::Result<usize> {
        let mut stmt = conn.prepare_cached(sql::insert(t, !auto))?;
        bind_row(&mut stmt, m, !auto)?;
        stmt.raw_execute()
    };
    if !auto {
        return run().map(|_| None).map_err(ctx);
    }
    match (run(), t.key_range) {
        (Ok(_), _) => {
            let rowid = conn.last_insert_rowid();
            if let Some(pk) = M::Pk::from_rowid(rowid) {
                return Ok(Some(pk));
            }
            // A table made without the key's range CHECK (by another tool):
            // take the row back out before any read trips over its key.
            sql::execute(conn, sql::delete_rowid(t), &[&rowid]).map_err(ctx)?;
        }
        // The next rowid is past the key type's range (the CHECK refused it).
        (Err(e), Some(_)) if crate::error::is_check_violation(&e) => {}
        (Err(e), _) => return Err(ctx(e)),
    }
    insert_in_gap(conn, m)
}

/// Inserts `m` with the smallest free key its narrow key type can hold, in
/// one statement (so no other writer can take the key between look-up and
/// insert).
fn insert_in_gap<M: Model>(conn: &Connection, m: &M) -> Result<Option<M::Pk>> {
    let t = M::TABLE;
    let Some((_, max)) = t.key_range else {
        return Ok(None);
    };
    let run = || -> rusqlite::Result<usize> {
        let mut stmt = conn.prepare_cached(sql::insert_in_gap(t, max))?;
        bind_row(&mut stmt, m, false)?;
        stmt.raw_execute()
    };
    match run().map_err(|e| Error::sqlite(ctx::<M>("insert"), e))? {
        0 => Err(Error::KeysExhausted {
            model: t.model,
            max,
        }),
        _ => Ok(M::Pk::from_rowid(conn.last_insert_rowid())),
    }
}

pub(crate) fn update<M: Model>(conn: &Connection, m: &M) -> Result<()> {
    let t = M::TABLE;
    if m.pk().is_unset() {
        return Err(Error::Unsaved {
            model: t.model,
            action: "updating it",
        });
    }
    let run = || -> rusqlite::Result<usize> {
        let Some(text) = sql::update(t) else {
            // Only a key: the row is up to date if it exists.
            return sql::query_one::<_, bool>(conn, sql::row_exists(t), [m.pk()]).map(usize::from);
        };
        let mut stmt = conn.prepare_cached(text)?;
        bind_row(&mut stmt, m, true)?;
        stmt.raw_execute()
    };
    match run() {
        Ok(0) => Err(Error::NotFound {
            table: t.name,
            key: render_key(m.pk()),
        }),
        Ok(_) => Ok(()),
        Err(e) => Err(Error::sqlite(ctx::<M>("update"), e)),
    }
}

pub(crate) fn upsert<M: Model>(conn: &Connection, m: &M) -> Result<()> {
    let t = M::TABLE;
    let run = || -> rusqlite::Result<usize> {
        let mut stmt = conn.prepare_cached(sql::upsert(t))?;
        bind_row(&mut stmt, m, true)?;
        stmt.raw_execute()
    };
    run()
        .map(drop)
        .map_err(|e| Error::sqlite(ctx::<M>("save"), e))
}

pub(crate) fn delete<K: ToSql>(
    conn: &Connection,
    t: &crate::TableDef,
    key: &K,
) -> rusqlite::Result<usize> {
    sql::execute(conn, sql::delete(t), &[key])
}

pub(crate) fn get<M: Model>(conn: &Connection, key: &M::Pk) -> Result<Option<M>> {
    let mut rows = sql::query_rows(conn, sql::get(M::TABLE), [key], |row| M::__from_row(row, 0))
        .map_err(|e| Error::sqlite(ctx::<M>("get"), e))?;
    Ok(rows.pop())
}

/// A key as SQL would print it, for messages.
pub(crate) fn render_key<K: ToSql>(k: &K) -> String {
    sql::to_value(k).map_or_else(|_| "?".to_owned(), |v| sql::render(&v))
}
