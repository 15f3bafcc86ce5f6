//! Reliability tests of m2m, one binary:
//!
//! - `model_based`: proptest sequences of every relation call, checked after
//!   each step against an in-memory model (`M2M_PROPTEST_CASES` sets the
//!   cases per property, default 64);
//! - `faults`: writes made to fail part-way (trigger, foreign key, full
//!   disk, busy lock), alone and inside a user's transaction;
//! - `concurrency`: threads with their own connections to one WAL file;
//! - `hostile`: hostile values and keys, extreme keys, huge and degenerate
//!   target lists.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../support/backend.rs"]
#[macro_use]
mod backend;
mod models;

/// Each test's fresh database, with every table, per backend.
mod fixture {
    pub fn sqlite() -> m2m::rusqlite::Connection {
        let conn = crate::backend::sqlite();
        crate::models::create_all(&conn);
        conn
    }

    pub fn postgres() -> m2m::pg::PgConnection {
        let conn = crate::backend::postgres();
        crate::models::create_all(&conn);
        conn
    }
}

mod concurrency;
mod faults;
mod hostile;
mod model_based;
