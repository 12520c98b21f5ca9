//! The one integration-test binary of custos-redact: corpus accuracy, targeted examples,
//! property tests and streaming.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken assumption must fail the test loudly"
)]

mod corpus;
mod examples;
mod properties;
mod streaming;
