//! Row-level writes and reads of one model.

use crate::__private::{BindError, SqlValue};
use crate::db::{DbResult, Session, Stmt};
use crate::error::Op;
use crate::key::PrimaryKey;
use crate::sqlite::sql;
use crate::{Error, Model, Result};

fn op<M: Model>(op: &'static str) -> Op {
    Op::new(M::TABLE.model, op)
}

/// Refuses a write on a connection that does not enforce foreign keys:
/// there a link to a missing row would be written, and a deleted row's
/// links kept for a new row that reuses its key to inherit. (Asking costs no
/// statement: the connection answers from its flags.)
pub(crate) fn require_foreign_keys(s: Session<'_>, op: Op) -> Result<()> {
    match s.foreign_keys_on() {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::ForeignKeysOff {
            context: op.to_string(),
        }),
        Err(e) => Err(Error::db(op, e)),
    }
}

/// [`require_foreign_keys`] for a row write of `M`.
pub(crate) fn writable<M: Model>(s: Session<'_>, name: &'static str) -> Result<()> {
    require_foreign_keys(s, op::<M>(name))
}

/// Binds every column but the key, in order, then the key when `with_key`
/// (the order of the insert, update and upsert statements).
fn bind_row<M: Model>(stmt: &mut Stmt<'_>, m: &M, with_key: bool) -> DbResult<()> {
    let mut i = 0;
    crate::model::each_value(m, &mut |name, v| {
        i += 1;
        stmt.bind(i, name, v).map_err(BindError)
    })
    .map_err(|e| e.0)?;
    if with_key {
        stmt.bind(i + 1, M::TABLE.pk_column().name, m.pk())?;
    }
    Ok(())
}

/// Runs the row statement `text` with `m`'s values bound.
fn write_row<M: Model>(s: Session<'_>, text: &str, m: &M, with_key: bool) -> DbResult<usize> {
    let mut stmt = s.prepare(text)?;
    bind_row(&mut stmt, m, with_key)?;
    stmt.execute()
}

/// Inserts `m`; returns the key the database assigned, if it assigned one.
pub(crate) fn insert<M: Model>(s: Session<'_>, m: &M) -> Result<Option<M::Pk>> {
    let t = M::TABLE;
    let auto = t.auto_key && m.pk().is_unset();
    let fail = op::<M>("insert").fail();
    if !auto {
        return write_row(s, sql::insert(t, true), m, true)
            .map(|_| None)
            .map_err(fail);
    }
    match (write_row(s, sql::insert(t, false), m, false), t.key_range) {
        (Ok(_), _) => {
            let rowid = s.last_insert_id();
            if let Some(pk) = M::Pk::from_rowid(rowid) {
                return Ok(Some(pk));
            }
            // A table made without the key's range CHECK (by another tool):
            // take the row back out before any read trips over its key.
            s.execute(sql::delete_rowid(t), &[&rowid]).map_err(fail)?;
        }
        // The next rowid is past the key type's range (the CHECK refused it).
        (Err(e), Some(_)) if e.is_check_violation() => {}
        (Err(e), _) => return Err(fail(e)),
    }
    insert_in_gap(s, m)
}

/// Inserts `m` with the smallest free key its narrow key type can hold, in
/// one statement (so no other writer can take the key between look-up and
/// insert).
fn insert_in_gap<M: Model>(s: Session<'_>, m: &M) -> Result<Option<M::Pk>> {
    let t = M::TABLE;
    let Some((_, max)) = t.key_range else {
        return Ok(None);
    };
    match write_row(s, sql::insert_in_gap(t, max), m, false).map_err(op::<M>("insert").fail())? {
        0 => Err(Error::KeysExhausted {
            model: t.model,
            max,
        }),
        _ => Ok(M::Pk::from_rowid(s.last_insert_id())),
    }
}

pub(crate) fn update<M: Model>(s: Session<'_>, m: &M) -> Result<()> {
    let t = M::TABLE;
    crate::related::saved::<M>(m.pk().clone(), "updating it")?;
    let changed = match sql::update(t) {
        Some(text) => write_row(s, text, m, true),
        // Only a key: the row is up to date if it exists.
        None => s
            .one::<bool>(sql::row_exists(t), &[m.pk()])
            .map(usize::from),
    };
    match changed.map_err(op::<M>("update").fail())? {
        0 => Err(Error::NotFound {
            table: t.name,
            key: render_key(m.pk()),
        }),
        _ => Ok(()),
    }
}

pub(crate) fn upsert<M: Model>(s: Session<'_>, m: &M) -> Result<()> {
    write_row(s, sql::upsert(M::TABLE), m, true)
        .map(drop)
        .map_err(op::<M>("save").fail())
}

pub(crate) fn delete<M: Model>(s: Session<'_>, m: &M) -> Result<bool> {
    s.execute(sql::delete(M::TABLE), &[m.pk()])
        .map(|n| n > 0)
        .map_err(op::<M>("delete").fail())
}

pub(crate) fn get<M: Model>(s: Session<'_>, key: &M::Pk) -> Result<Option<M>> {
    let mut rows = s
        .rows(sql::get(M::TABLE), &[key], |row| M::__from_row(row, 0))
        .map_err(op::<M>("get").fail())?;
    Ok(rows.pop())
}

/// A key as SQL would print it, for messages.
pub(crate) fn render_key(k: &dyn SqlValue) -> String {
    k.sqlite()
        .and_then(|out| crate::sqlite::to_value(&out))
        .map_or_else(|_| "?".to_owned(), |v| crate::sqlite::render(&v))
}
