//! A deadpool-sqlite pool whose `post_create` hook runs
//! `m2m::configure` on every new connection, written from 4 tokio tasks
//! at once through `conn.interact(..)`, which runs the blocking SQLite calls
//! on tokio's blocking threads.
//!
//! `cargo run --example pool_deadpool`; it ends in assertions, so
//! `cargo test` runs it too.

use std::sync::Arc;

use deadpool_sqlite::{Config, Hook, HookError, Runtime};
use m2m_ecosystem::{Tally, WORKERS, assert_configured, check, round, seed};

const ROUNDS: usize = 50;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("m2m-ecosystem-deadpool-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("app.db");

    let pool = Config::new(&path)
        .builder(Runtime::Tokio1)?
        .max_size(WORKERS)
        // Runs once per new connection, before anyone gets it.
        .post_create(Hook::async_fn(|conn, _| {
            Box::pin(async move {
                conn.interact(|c| m2m::configure(c))
                    .await
                    .map_err(|e| HookError::message(e.to_string()))?
                    .map_err(|e| HookError::message(e.to_string()))
            })
        }))
        .build()?;

    let s = pool
        .get()
        .await?
        .interact(|c| seed(&*c))
        .await
        .map_err(|e| e.to_string())??;
    let s = Arc::new(s);

    let tasks: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (pool, s) = (pool.clone(), Arc::clone(&s));
            tokio::spawn(async move {
                let mut total = Tally::default();
                for _ in 0..ROUNDS {
                    let conn = pool.get().await.expect("a pooled connection");
                    let s = Arc::clone(&s);
                    let t = conn
                        .interact(move |c| {
                            assert_configured(c);
                            round(&*c, &s, w)
                        })
                        .await
                        .expect("interact");
                    total += t?;
                }
                Ok::<_, m2m::Error>(total)
            })
        })
        .collect();
    let mut total = Tally::default();
    for t in tasks {
        total += t.await??;
    }
    let s2 = Arc::clone(&s);
    pool.get()
        .await?
        .interact(move |c| check(&*c, &s2, total))
        .await
        .map_err(|e| e.to_string())??;
    println!("deadpool: {WORKERS} tasks x {ROUNDS} rounds, links as expected: {total:?}");

    // Every connection of the pool is configured: hold them all at once.
    let mut all = Vec::new();
    for _ in 0..WORKERS {
        all.push(pool.get().await?);
    }
    assert_eq!(pool.status().size, WORKERS);
    for conn in &all {
        conn.interact(|c| assert_configured(c))
            .await
            .map_err(|e| e.to_string())?;
    }
    drop(all);
    pool.close();
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
