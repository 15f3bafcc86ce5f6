//! An r2d2 pool of SQLite connections, each set up by `m2m::configure`
//! (foreign keys, WAL, busy timeout, statement cache), written from 4 threads
//! at once: every thread adds, removes and sets links of the same two posts.
//!
//! `cargo run --example pool_r2d2`; it ends in assertions, so `cargo test`
//! runs it too.

use std::sync::Arc;
use std::thread;

use m2m::rusqlite::{self, Connection};
use m2m_ecosystem::{Tally, WORKERS, assert_configured, check, round, seed};
use r2d2_sqlite::SqliteConnectionManager;

const ROUNDS: usize = 50;

/// What r2d2_sqlite runs on each new connection; it wants a rusqlite error.
fn init(c: &mut Connection) -> Result<(), rusqlite::Error> {
    m2m::configure(c).map_err(|e| match e {
        // `configure` fails with SQLite's own error: hand it back.
        m2m::Error::Sqlite { source, .. } => source,
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("m2m-ecosystem-r2d2-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("app.db");

    // `configure` runs on every connection the pool opens.
    let manager = SqliteConnectionManager::file(&path).with_init(init);
    let pool = r2d2::Pool::builder()
        .max_size(WORKERS as u32)
        .build(manager)?;

    // A pooled connection derefs to a `Connection`: pass `&*conn`.
    let s = Arc::new(seed(&*pool.get()?)?);

    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (pool, s) = (pool.clone(), Arc::clone(&s));
            thread::spawn(move || -> m2m::Result<Tally> {
                let mut total = Tally::default();
                for _ in 0..ROUNDS {
                    // A connection per round: each thread gets whichever
                    // one is free.
                    let conn = pool.get().expect("a pooled connection");
                    assert_configured(&conn);
                    total += round(&*conn, &s, w)?;
                }
                Ok(total)
            })
        })
        .collect();
    let mut total = Tally::default();
    for w in workers {
        // No worker failed: concurrent writers waited for each other.
        total += w.join().expect("worker panicked")?;
    }
    check(&*pool.get()?, &s, total)?;
    println!("r2d2: {WORKERS} threads x {ROUNDS} rounds, links as expected: {total:?}");

    // Every connection of the pool is configured: hold them all at once.
    let all: Vec<_> = (0..WORKERS).map(|_| pool.get()).collect::<Result<_, _>>()?;
    assert_eq!(pool.state().connections, WORKERS as u32);
    for conn in &all {
        assert_configured(conn);
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        assert_eq!(mode, "wal");
    }
    drop(all);
    drop(pool);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
