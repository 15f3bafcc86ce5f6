//! Behavioural integration tests of m2m: one binary, one module per topic.
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

mod accepted;
mod bulk;
mod column_types;
mod connection;
mod crud;
mod diff;
mod eager;
mod edges;
mod field_order;
mod get_or_create;
mod options;
mod pivot;
mod queries;
mod relations;
mod safety;
mod self_relations;
mod serialization;
mod string_keys;
mod uuid_keys;
