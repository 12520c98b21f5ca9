//! The storage suite, written once and run against SQLite and PostgreSQL.

mod instance;
