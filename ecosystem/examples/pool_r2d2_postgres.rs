//! The r2d2 example on PostgreSQL: a pool of `m2m::pg::PgConnection`s
//! (through [`PgManager`]), written from 4 threads at once with the same
//! workload as `pool_r2d2` (one function for both backends). The tables come
//! from `m2m::pg::schema_sql`, as a migration tool would run it, and
//! `m2m::verify_schema` finds nothing missing.
//!
//! `cargo run --example pool_r2d2_postgres` (on `M2M_PG_URL`, or a
//! throwaway server); it ends in assertions, so `cargo test` runs it too.

use std::sync::Arc;
use std::thread;

use m2m_ecosystem::{PgManager, Tally, WORKERS, check, round, schema, seed};

const ROUNDS: usize = 50;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manager = PgManager {
        url: m2m_pg_harness::fresh_schema_url(),
        setup: "SET lock_timeout = '5s'",
    };
    let pool = r2d2::Pool::builder()
        .max_size(WORKERS as u32)
        .build(manager)?;

    {
        let conn = pool.get()?;
        conn.batch_execute(&m2m::pg::schema_sql(&schema()))?;
        assert_eq!(m2m::verify_schema(&*conn, &schema())?, vec![]);
    }
    // A pooled connection derefs to a `PgConnection`: pass `&*conn`.
    let s = Arc::new(seed(&*pool.get()?)?);

    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (pool, s) = (pool.clone(), Arc::clone(&s));
            thread::spawn(move || -> m2m::Result<Tally> {
                let mut total = Tally::default();
                for _ in 0..ROUNDS {
                    let conn = pool.get().expect("a pooled connection");
                    total += round(&*conn, &s, w)?;
                }
                Ok(total)
            })
        })
        .collect();
    let mut total = Tally::default();
    for w in workers {
        // No worker failed: concurrent writers waited for each other's rows.
        total += w.join().expect("worker panicked")?;
    }
    check(&*pool.get()?, &s, total)?;
    println!(
        "r2d2 on PostgreSQL: {WORKERS} threads x {ROUNDS} rounds, links as expected: {total:?}"
    );
    Ok(())
}
