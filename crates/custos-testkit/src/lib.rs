//! Boots the real Custos server for tests: a throwaway data directory, a
//! throwaway store (an SQLite file, or a fresh PostgreSQL schema), a manual
//! clock, and an HTTPS client that trusts exactly the server's certificate.
//!
//! PostgreSQL is found at `CUSTOS_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). When it is missing a test using it
//! is skipped with a message, except under `CI=true`, where that is a failure.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a failed set-up must stop the test loudly"
)]

mod database;
mod receivers;
mod server;

pub use database::{Backend, TestDatabase};
pub use receivers::{ReceivedMail, ReceivedRequest, SmtpSink, WebhookReceiver};
pub use server::{Installation, TestServer, client_builder_trusting, client_trusting};

/// Runs the same async test bodies against every backend: generates
/// `mod sqlite { #[tokio::test] fn NAME }` and `mod postgres { … }`.
///
/// Each name is an `async fn NAME(TestDatabase)` in the calling module; the PostgreSQL variant skips
/// (or fails under CI) when PostgreSQL is unavailable.
#[macro_export]
macro_rules! test_on_both_stores {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::TestDatabase::create($crate::Backend::Sqlite).await
                        .expect("SQLite is always available");
                    super::$name(db).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::TestDatabase::create($crate::Backend::Postgres).await else {
                        return;
                    };
                    super::$name(db).await;
                }
            )+
        }
    };
}
