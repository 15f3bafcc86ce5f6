//! The blog demo on PostgreSQL: the same models and the same function as
//! `examples/blog.rs` (SQLite), run on a PostgreSQL connection.
//!
//! `cargo run --example blog_postgres` runs it on the server of
//! `M2M_PG_URL` (e.g. `host=127.0.0.1 user=postgres dbname=postgres`), in a
//! fresh schema; without it, on a throwaway server started from the
//! installed PostgreSQL binaries. `cargo test` runs it too.

#[path = "../../examples/blog.rs"]
#[allow(dead_code)]
mod blog;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fresh, empty schema on the server, so the demo can run again.
    let url = m2m_pg_harness::fresh_schema_url();
    let conn = m2m::pg::connect(&url)?;
    println!("database: {url}");
    blog::run(&conn)?;
    println!("ok: the same demo, the same results, on PostgreSQL");
    Ok(())
}
