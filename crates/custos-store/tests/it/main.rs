//! The storage suite, written once and run against SQLite and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken assumption must fail the test loudly"
)]

mod accounts;
mod audit;
mod conversation;
mod detection;
mod instance;
mod invitations;
mod vault;
