//! Connections set up by the library.

use m2m::Model;

use crate::models::*;

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("m2m-it-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn file_database_uses_wal_and_foreign_keys() {
    let dir = TempDir::new("wal");
    let path = dir.0.join("app.db");
    {
        let conn = m2m::open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let timeout: i64 = conn
            .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
            .unwrap();
        assert!(timeout > 0, "a busy timeout is set");

        Tag::create_table(&conn).unwrap();
        Article::create_table(&conn).unwrap();
        let t = tag(&conn, "persisted");
        let a = article(&conn, "x");
        a.tags().add(&conn, [&t]).unwrap();
    }
    // Reopened, the rows and links are there, and cascades still work.
    let conn = m2m::open(&path).unwrap();
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    let a = Article::query().fetch_one(&conn).unwrap().unwrap();
    let tags = a.tags().fetch_all(&conn).unwrap();
    assert_eq!(
        tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["persisted"]
    );
    assert!(tags[0].delete(&conn).unwrap());
    assert!(!a.tags().exists(&conn).unwrap());
    assert_missing_target(
        a.tags().add(&conn, [tags[0].id]),
        "Article.tags",
        &tags[0].id.to_string(),
    );
}

#[test]
fn in_memory_database_enforces_foreign_keys() {
    let conn = db();
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
}

#[test]
fn configure_sets_up_a_users_own_connection() {
    let dir = TempDir::new("configure");
    let conn = m2m::rusqlite::Connection::open(dir.0.join("own.db")).unwrap();
    m2m::configure(&conn).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    let t = tag(&conn, "a");
    let a = article(&conn, "x");
    a.tags().add(&conn, [&t]).unwrap();
    assert!(a.delete(&conn).unwrap());
    assert_eq!(rows_in(&conn, "articles_tags"), 0, "the junction cascades");
}

#[test]
fn a_locked_database_is_a_busy_error_and_nothing_is_written() {
    let dir = TempDir::new("busy");
    let path = dir.0.join("busy.db");
    let conn = m2m::open(&path).unwrap();
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    let ts = tags(&conn, &["a", "b"]);
    let a = article(&conn, "x");
    a.tags().add(&conn, [&ts[0]]).unwrap();

    let other = m2m::open(&path).unwrap();
    // Hold the write lock from another connection.
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn.busy_timeout(std::time::Duration::from_millis(50))
        .unwrap();
    let e = a.tags().set(&conn, [&ts[1]]).unwrap_err();
    assert!(e.is_busy(), "{e:?}");
    assert!(!e.is_unique_violation());
    let e = a.tags().add(&conn, [&ts[1]]).unwrap_err();
    assert!(e.is_busy(), "{e:?}");
    assert!(conn.is_autocommit(), "no transaction left open");
    // Readers are not blocked by the writer (WAL).
    assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![ts[0].id]);
    other.execute_batch("ROLLBACK").unwrap();
    // Once the lock is gone, the same call works.
    let r = a.tags().set(&conn, [&ts[1]]).unwrap();
    assert_eq!(ids(&r.added), vec![ts[1].id]);
    assert_eq!(ids(&a.tags().keys(&other).unwrap()), vec![ts[1].id]);
}

#[test]
fn a_writer_waits_for_another_connections_transaction() {
    let dir = TempDir::new("wait");
    let path = dir.0.join("wait.db");
    let conn = m2m::open(&path).unwrap();
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    let ts = tags(&conn, &["a", "b"]);
    let a = article(&conn, "x");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (t0, aid) = (ts[0].id, a.id);
    let writer = std::thread::spawn(move || {
        let other = m2m::open(&path).unwrap();
        let tx = other.unchecked_transaction().unwrap();
        tx.execute_batch("DELETE FROM articles WHERE 0").unwrap(); // take the write lock
        locked_tx.send(()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        Article::TAGS.of_key(aid).add(&tx, [t0]).unwrap();
        tx.commit().unwrap();
    });
    locked_rx.recv().unwrap();
    // Waits (busy timeout), then reads the other writer's link in its diff.
    let r = a.tags().set(&conn, [&ts[1]]).unwrap();
    writer.join().unwrap();
    assert_eq!(
        ids(&r.removed),
        vec![ts[0].id],
        "set must diff against the committed state"
    );
    assert_eq!(ids(&r.added), vec![ts[1].id]);
    assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![ts[1].id]);
}

/// The settings `configure` promises, read back from SQLite.
fn settings(conn: &m2m::rusqlite::Connection) -> (i64, i64, String, i64) {
    let pragma = |name: &str| -> i64 {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .unwrap()
    };
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    (
        pragma("foreign_keys"),
        pragma("busy_timeout"),
        mode,
        pragma("synchronous"),
    )
}

/// `configure` sets every setting itself rather than trusting SQLite's (or
/// rusqlite's) defaults: on a connection whose foreign keys are off, with no
/// busy timeout, a rollback journal and `synchronous = FULL`, it turns
/// foreign keys on, sets `BUSY_TIMEOUT`, WAL (for a file) and `NORMAL`.
#[test]
fn configure_overrides_a_connections_own_settings() {
    use m2m::rusqlite::Connection;
    let dir = TempDir::new("override");
    let want_timeout = i64::try_from(m2m::BUSY_TIMEOUT.as_millis()).unwrap();
    assert!(want_timeout > 0);
    for (conn, mode) in [
        (Connection::open(dir.0.join("own.db")).unwrap(), "wal"),
        (Connection::open_in_memory().unwrap(), "memory"),
    ] {
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF; PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;",
        )
        .unwrap();
        conn.busy_timeout(std::time::Duration::ZERO).unwrap();
        let before = settings(&conn);
        assert_eq!(
            (before.0, before.1, before.3),
            (0, 0, 2),
            "set up: {before:?}"
        );

        m2m::configure(&conn).unwrap();
        assert_eq!(
            settings(&conn),
            (1, want_timeout, mode.to_owned(), 1),
            "(foreign_keys, busy_timeout, journal_mode, synchronous) after configure"
        );
        // Foreign keys really are enforced: a link to a missing row is refused.
        Tag::create_table(&conn).unwrap();
        Article::create_table(&conn).unwrap();
        let a = article(&conn, "x");
        assert_missing_target(a.tags().add(&conn, [999]), "Article.tags", "999");
    }
}

// ----- the same guarantees on PostgreSQL -------------------------------------

/// A connection to a schema of the test server, with the tables of `Tag` and
/// `Article`.
fn pg_at(url: &str) -> m2m::pg::PgConnection {
    let conn = m2m::pg::connect(url).unwrap();
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    conn
}

/// PostgreSQL's counterpart of the file database: rows and links outlive the
/// connection, and foreign keys are always enforced (a cascade, a refusal).
#[test]
fn postgres_rows_persist_across_connections_and_foreign_keys_hold() {
    let url = m2m_pg_harness::fresh_schema_url();
    {
        let conn = pg_at(&url);
        let t = tag(&conn, "persisted");
        let a = article(&conn, "x");
        a.tags().add(&conn, [&t]).unwrap();
    }
    let conn = pg_at(&url);
    let a = Article::query().fetch_one(&conn).unwrap().unwrap();
    let tags = a.tags().fetch_all(&conn).unwrap();
    assert_eq!(
        tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["persisted"]
    );
    assert!(tags[0].delete(&conn).unwrap());
    assert!(!a.tags().exists(&conn).unwrap());
    assert_missing_target(
        a.tags().add(&conn, [tags[0].id]),
        "Article.tags",
        &tags[0].id.to_string(),
    );
}

/// PostgreSQL refuses a savepoint outside a transaction block.
fn pg_in_transaction(conn: &impl TestDb) -> bool {
    let open = conn.try_exec("SAVEPOINT m2m_probe").is_ok();
    if open {
        conn.exec("RELEASE SAVEPOINT m2m_probe");
    }
    open
}

/// A lock held by another connection past `lock_timeout` is a busy error
/// (55P03), and the call leaves nothing written and no transaction open.
#[test]
fn postgres_a_locked_table_is_a_busy_error_and_nothing_is_written() {
    let url = m2m_pg_harness::fresh_schema_url();
    let conn = pg_at(&url);
    let ts = tags(&conn, &["a", "b"]);
    let a = article(&conn, "x");
    a.tags().add(&conn, [&ts[0]]).unwrap();

    let mut other = pg_at(&url);
    let tx = other.transaction().unwrap();
    // Blocks writers of the junction, not its readers.
    tx.exec("LOCK TABLE articles_tags IN EXCLUSIVE MODE");
    conn.exec("SET lock_timeout = '50ms'");
    let e = a.tags().set(&conn, [&ts[1]]).unwrap_err();
    assert!(e.is_busy(), "{e:?}");
    assert!(!e.is_unique_violation());
    let e = a.tags().add(&conn, [&ts[1]]).unwrap_err();
    assert!(e.is_busy(), "{e:?}");
    assert!(!pg_in_transaction(&conn), "no transaction left open");
    assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![ts[0].id]);
    tx.rollback().unwrap();
    // Once the lock is gone, the same call works.
    let r = a.tags().set(&conn, [&ts[1]]).unwrap();
    assert_eq!(ids(&r.added), vec![ts[1].id]);
    assert_eq!(ids(&a.tags().keys(&other).unwrap()), vec![ts[1].id]);
}

/// Two `set`s of one owner's links serialize: the second waits for the
/// first one's transaction (it holds the owner's row lock) and diffs
/// against what that one committed, so the relation ends as the last `set`
/// made it, never as the union of both.
#[test]
fn postgres_a_writer_waits_for_another_connections_transaction() {
    let url = m2m_pg_harness::fresh_schema_url();
    let conn = pg_at(&url);
    let ts = tags(&conn, &["a", "b"]);
    let a = article(&conn, "x");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (t0, aid) = (ts[0].id, a.id);
    let writer_url = url.clone();
    let writer = std::thread::spawn(move || {
        let mut other = pg_at(&writer_url);
        let tx = other.transaction().unwrap();
        Article::TAGS.of_key(aid).set(&tx, [t0]).unwrap();
        locked_tx.send(()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        tx.commit().unwrap();
    });
    locked_rx.recv().unwrap();
    let started = std::time::Instant::now();
    let r = a.tags().set(&conn, [&ts[1]]).unwrap();
    writer.join().unwrap();
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(200),
        "the second set did not wait for the first"
    );
    assert_eq!(
        ids(&r.removed),
        vec![ts[0].id],
        "set must diff against the committed state"
    );
    assert_eq!(ids(&r.added), vec![ts[1].id]);
    assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![ts[1].id]);
}

/// Inside the user's transaction each write call runs in a savepoint of its
/// own, left open after a success and released with the next call's in one
/// round trip: the calls cost one round trip more than their statements,
/// a failed call in the middle (even inside a savepoint of the user's)
/// leaves everything before it in place, and the user's savepoints nest and
/// roll back as they should around the pending one.
#[test]
fn postgres_calls_in_a_transaction_cost_one_round_trip_more_and_nest_with_savepoints() {
    let mut conn = pg_at(&m2m_pg_harness::fresh_schema_url());
    let ts = tags(&conn, &["a", "b", "c", "d"]);
    let a = article(&conn, "x");
    a.tags().add(&conn, [&ts[0]]).unwrap();
    let (k, missing) = (|i: usize| ts[i].id, ts[3].id + 100);

    let mut tx = conn.transaction().unwrap();
    let before = tx.connection().round_trips();
    a.tags().add(&tx, [k(1)]).unwrap(); // SAVEPOINT, INSERT
    a.tags().add(&tx, [k(2)]).unwrap(); // RELEASE + SAVEPOINT, INSERT
    assert_eq!(tx.connection().round_trips() - before, 4);
    {
        // A savepoint of the user's after a call: the pending one is
        // released with its opening, so rolling it back keeps that call.
        let sp = tx.savepoint().unwrap();
        a.tags().remove(&sp, [k(1)]).unwrap();
        assert_missing_target(
            a.tags().add(&sp, [missing]),
            "Article.tags",
            &missing.to_string(),
        );
        // The failed call undid itself alone: the remove before it holds.
        assert_eq!(ids(&a.tags().keys(&sp).unwrap()), vec![k(0), k(2)]);
        sp.rollback().unwrap();
    }
    assert_eq!(ids(&a.tags().keys(&tx).unwrap()), vec![k(0), k(1), k(2)]);
    {
        let sp = tx.savepoint().unwrap();
        a.tags().add(&sp, [k(3)]).unwrap();
        sp.commit().unwrap();
    }
    a.tags().remove(&tx, [k(0)]).unwrap();
    tx.commit().unwrap();
    assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![k(1), k(2), k(3)]);

    // Without a savepoint per call (a bulk load rolled back whole on any
    // error): one round trip per one-statement call, and a failed call
    // aborts the transaction, as any failed statement does on PostgreSQL.
    conn.set_savepoint_per_call(false);
    let tx = conn.transaction().unwrap();
    let before = tx.connection().round_trips();
    a.tags().add(&tx, [k(0)]).unwrap();
    a.tags().remove(&tx, [k(1)]).unwrap();
    assert_eq!(tx.connection().round_trips() - before, 2);
    assert!(a.tags().add(&tx, [missing]).is_err());
    let e = a.tags().count(&tx).unwrap_err();
    assert!(
        e.to_string().contains("current transaction is aborted"),
        "{e}"
    );
    drop(tx);
    assert_eq!(ids(&a.tags().keys(&conn).unwrap()), vec![k(1), k(2), k(3)]);
}

/// A lost connection (the server ended the session) is an error naming the
/// call, never a panic or a half-written call; every later call on it is an
/// error too.
#[test]
fn postgres_a_lost_connection_is_an_error_not_a_panic() {
    let url = m2m_pg_harness::fresh_schema_url();
    let conn = pg_at(&url);
    let ts = tags(&conn, &["a", "b"]);
    let a = article(&conn, "x");
    let pid = conn.int("SELECT pg_backend_pid()");
    let other = pg_at(&url);
    other.exec(&format!("SELECT pg_terminate_backend({pid})"));

    let e = a.tags().add(&conn, [&ts[0], &ts[1]]).unwrap_err();
    assert!(e.to_string().contains("Article.tags: add"), "{e}");
    assert!(e.postgres_error().is_some(), "{e:?}");
    assert!(!e.is_busy() && !e.is_unique_violation());
    assert!(a.tags().set(&conn, [&ts[0]]).is_err());
    assert!(a.tags().count(&conn).is_err());
    assert_eq!(other.rows_in("articles_tags"), 0, "nothing was written");
}
