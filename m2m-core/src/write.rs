//! Atomic multi-statement writes.

use rusqlite::Connection;

/// Makes the statements run until [`Atomic::commit`] one unit: a
/// transaction when the connection has none open, a savepoint inside the
/// caller's transaction otherwise. Dropped without commit, it undoes them
/// and leaves any outer transaction as it was.
pub(crate) struct Atomic<'c> {
    conn: &'c Connection,
    nested: bool,
    open: bool,
}

impl<'c> Atomic<'c> {
    pub(crate) fn begin(conn: &'c Connection) -> rusqlite::Result<Self> {
        let nested = !conn.is_autocommit();
        // IMMEDIATE takes the write lock up front (waiting out the busy
        // timeout), so a read-then-write unit never fails half-way on a lock.
        let sql = if nested {
            "SAVEPOINT m2m_write"
        } else {
            "BEGIN IMMEDIATE"
        };
        conn.prepare_cached(sql)?.execute([])?;
        Ok(Atomic {
            conn,
            nested,
            open: true,
        })
    }

    pub(crate) fn commit(mut self) -> rusqlite::Result<()> {
        let sql = if self.nested {
            "RELEASE m2m_write"
        } else {
            "COMMIT"
        };
        self.conn.prepare_cached(sql)?.execute([])?;
        self.open = false;
        Ok(())
    }
}

impl Drop for Atomic<'_> {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        // Errors here can only mean SQLite already rolled back; nothing is left to undo.
        if self.nested {
            let _ = self
                .conn
                .execute_batch("ROLLBACK TO m2m_write; RELEASE m2m_write");
        } else {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
