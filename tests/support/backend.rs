//! One body of tests for both backends: `dual! { fn name() { ... } }` runs
//! each test body twice, as `name::sqlite` and `name::postgres`, with `db()`
//! giving that backend's fresh connection (SQLite in memory; PostgreSQL in
//! a schema of its own on the harness's throwaway server, or on
//! `M2M_PG_URL`). Raw SQL the tests need goes through [`TestDb`].
#![allow(dead_code)]

use m2m::pg::{PgConnection, PgTransaction};
use m2m::rusqlite::{self, Connection};

/// A fresh in-memory SQLite database, configured.
pub fn sqlite() -> Connection {
    m2m::open_in_memory().unwrap()
}

/// A fresh, empty PostgreSQL schema on the test server. Fails loudly (with
/// how to install PostgreSQL) when there is none.
pub fn postgres() -> PgConnection {
    let url = m2m_pg_harness::fresh_schema_url();
    m2m::pg::connect(&url).unwrap_or_else(|e| panic!("connecting to {url}: {e}"))
}

/// Runs each test body on both backends.
///
/// ```ignore
/// dual! {
///     fn adds() { let conn = db(); ... }
/// }
/// ```
#[macro_export]
macro_rules! dual {
    ($( $(#[$meta:meta])* fn $name:ident() $body:block )*) => {$(
        #[allow(unused_imports)]
        mod $name {
            use super::*;

            $(#[$meta])*
            #[test]
            fn sqlite() {
                #[allow(dead_code)]
                fn db() -> m2m::rusqlite::Connection {
                    $crate::fixture::sqlite()
                }
                $body
            }

            $(#[$meta])*
            #[test]
            fn postgres() {
                #[allow(dead_code)]
                fn db() -> m2m::pg::PgConnection {
                    $crate::fixture::postgres()
                }
                $body
            }
        }
    )*};
}

/// What the tests ask of a connection besides m2m's calls: raw SQL (in the
/// SQL both dialects read), and which backend it is.
pub trait TestDb: m2m::Db {
    /// Runs statements without results.
    fn exec(&self, sql: &str);
    /// Runs statements, returning the error.
    fn try_exec(&self, sql: &str) -> Result<(), String>;
    /// The one integer a query yields.
    fn int(&self, sql: &str) -> i64;
    /// Every row of a query, each column as text (NULL as "NULL").
    fn texts(&self, sql: &str) -> Vec<Vec<String>>;
    /// True on PostgreSQL.
    fn is_pg(&self) -> bool;
    /// Records every insert into, delete from and update of a junction
    /// table in the table `log` (`op`, target key), to prove which rows a
    /// call touched (SQLite: a temp table and temp triggers).
    fn log_junction(&self, junction: &str, source: &str, target: &str) {
        if self.is_pg() {
            self.exec(&format!(
                "CREATE TABLE IF NOT EXISTS log (n BIGSERIAL PRIMARY KEY, op TEXT NOT NULL, s BIGINT, t BIGINT);
                 CREATE OR REPLACE FUNCTION \"log_{junction}\"() RETURNS trigger LANGUAGE plpgsql AS $f$
                 BEGIN
                   IF TG_OP = 'DELETE' THEN
                     INSERT INTO log (op, s, t) VALUES ('del', OLD.\"{source}\", OLD.\"{target}\"); RETURN OLD;
                   ELSIF TG_OP = 'UPDATE' THEN
                     INSERT INTO log (op, s, t) VALUES ('upd', NEW.\"{source}\", NEW.\"{target}\"); RETURN NEW;
                   ELSE
                     INSERT INTO log (op, s, t) VALUES ('ins', NEW.\"{source}\", NEW.\"{target}\"); RETURN NEW;
                   END IF;
                 END $f$;
                 CREATE TRIGGER \"log_{junction}\" AFTER INSERT OR DELETE OR UPDATE ON \"{junction}\"
                   FOR EACH ROW EXECUTE FUNCTION \"log_{junction}\"();"
            ));
        } else {
            self.exec(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS log (op TEXT NOT NULL, s, t);
                 CREATE TEMP TRIGGER \"log_ins_{junction}\" AFTER INSERT ON main.\"{junction}\"
                 BEGIN INSERT INTO log VALUES ('ins', new.\"{source}\", new.\"{target}\"); END;
                 CREATE TEMP TRIGGER \"log_del_{junction}\" AFTER DELETE ON main.\"{junction}\"
                 BEGIN INSERT INTO log VALUES ('del', old.\"{source}\", old.\"{target}\"); END;
                 CREATE TEMP TRIGGER \"log_upd_{junction}\" AFTER UPDATE ON main.\"{junction}\"
                 BEGIN INSERT INTO log VALUES ('upd', new.\"{source}\", new.\"{target}\"); END;"
            ));
        }
    }
    /// The logged junction writes (op, target) in order, then clears the log.
    fn take_log(&self) -> Vec<(String, i64)> {
        let order = if self.is_pg() { "n" } else { "rowid" };
        let rows = self.texts(&format!("SELECT op, t FROM log ORDER BY {order}"));
        self.exec("DELETE FROM log");
        rows.into_iter()
            .map(|r| (r[0].clone(), r[1].parse().unwrap()))
            .collect()
    }
    /// The number of rows of a table.
    fn rows_in(&self, table: &str) -> i64 {
        self.int(&format!("SELECT count(*) FROM \"{table}\""))
    }
}

fn sqlite_text(v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
    }
}

fn sqlite_texts(c: &Connection, sql: &str) -> Vec<Vec<String>> {
    let mut stmt = c.prepare(sql).unwrap();
    let n = stmt.column_count();
    let mut rows = stmt.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        out.push((0..n).map(|i| sqlite_text(r.get_ref(i).unwrap())).collect());
    }
    out
}

macro_rules! sqlite_test_db {
    ($t:ty) => {
        impl TestDb for $t {
            fn exec(&self, sql: &str) {
                self.execute_batch(sql)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            fn try_exec(&self, sql: &str) -> Result<(), String> {
                self.execute_batch(sql).map_err(|e| e.to_string())
            }
            fn int(&self, sql: &str) -> i64 {
                self.query_row(sql, [], |r| r.get(0))
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            fn texts(&self, sql: &str) -> Vec<Vec<String>> {
                sqlite_texts(self, sql)
            }
            fn is_pg(&self) -> bool {
                false
            }
        }
    };
}
sqlite_test_db!(Connection);
sqlite_test_db!(rusqlite::Transaction<'_>);
sqlite_test_db!(rusqlite::Savepoint<'_>);

fn pg_texts(c: &PgConnection, sql: &str) -> Vec<Vec<String>> {
    c.with_client(|client| {
        let msgs = client
            .simple_query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        msgs.into_iter()
            .filter_map(|m| match m {
                m2m::pg::postgres::SimpleQueryMessage::Row(r) => Some(
                    (0..r.len())
                        .map(|i| r.get(i).unwrap_or("NULL").to_owned())
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    })
}

fn pg_int(c: &PgConnection, sql: &str) -> i64 {
    let rows = pg_texts(c, sql);
    let v = &rows.first().unwrap_or_else(|| panic!("{sql}: no row"))[0];
    match v.as_str() {
        "t" => 1,
        "f" => 0,
        v => v.parse().unwrap_or_else(|e| panic!("{sql}: {v:?}: {e}")),
    }
}

impl TestDb for PgConnection {
    fn exec(&self, sql: &str) {
        self.batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    fn try_exec(&self, sql: &str) -> Result<(), String> {
        self.batch_execute(sql).map_err(|e| e.to_string())
    }
    fn int(&self, sql: &str) -> i64 {
        pg_int(self, sql)
    }
    fn texts(&self, sql: &str) -> Vec<Vec<String>> {
        pg_texts(self, sql)
    }
    fn is_pg(&self) -> bool {
        true
    }
}

impl TestDb for PgTransaction<'_> {
    fn exec(&self, sql: &str) {
        self.connection().exec(sql);
    }
    fn try_exec(&self, sql: &str) -> Result<(), String> {
        self.connection().try_exec(sql)
    }
    fn int(&self, sql: &str) -> i64 {
        pg_int(self.connection(), sql)
    }
    fn texts(&self, sql: &str) -> Vec<Vec<String>> {
        pg_texts(self.connection(), sql)
    }
    fn is_pg(&self) -> bool {
        true
    }
}

/// Fault injection and transaction state, on either backend.
pub trait FaultDb: TestDb {
    /// True while a transaction is open on the connection.
    fn in_transaction(&self) -> bool;
    /// A trigger `boom` that aborts each `op` (`INSERT`, `UPDATE` or
    /// `DELETE`) of a row of `table` for which `when` holds (`NEW."c"` /
    /// `OLD."c"`), with the message `boom` (SQLite: a temp trigger raising
    /// `ABORT`; PostgreSQL: a plpgsql function raising an exception).
    fn abort_on(&self, table: &str, op: &str, when: &str) {
        if self.is_pg() {
            self.exec(&format!(
                "CREATE OR REPLACE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $f$
                 BEGIN RAISE EXCEPTION 'boom'; END $f$;
                 CREATE TRIGGER boom BEFORE {op} ON \"{table}\" FOR EACH ROW WHEN ({when})
                   EXECUTE FUNCTION boom();"
            ));
        } else {
            self.exec(&format!(
                "CREATE TEMP TRIGGER boom BEFORE {op} ON main.\"{table}\" WHEN {when}
                 BEGIN SELECT RAISE(ABORT, 'boom'); END"
            ));
        }
    }
    /// Removes the trigger [`abort_on`](Self::abort_on) made on `table`.
    fn drop_abort(&self, table: &str) {
        if self.is_pg() {
            self.exec(&format!("DROP TRIGGER boom ON \"{table}\""));
        } else {
            self.exec("DROP TRIGGER temp.boom");
        }
    }
}

macro_rules! sqlite_fault_db {
    ($t:ty) => {
        impl FaultDb for $t {
            fn in_transaction(&self) -> bool {
                !self.is_autocommit()
            }
        }
    };
}
sqlite_fault_db!(Connection);
sqlite_fault_db!(rusqlite::Transaction<'_>);
sqlite_fault_db!(rusqlite::Savepoint<'_>);

/// In a transaction block, `now()` is when it began, before this statement.
const PG_IN_TRANSACTION: &str = "SELECT now() <> statement_timestamp()";

impl FaultDb for PgConnection {
    fn in_transaction(&self) -> bool {
        self.int(PG_IN_TRANSACTION) == 1
    }
}

impl FaultDb for PgTransaction<'_> {
    fn in_transaction(&self) -> bool {
        self.int(PG_IN_TRANSACTION) == 1
    }
}
