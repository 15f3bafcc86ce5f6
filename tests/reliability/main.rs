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

mod models;

mod concurrency;
mod faults;
mod hostile;
mod model_based;
