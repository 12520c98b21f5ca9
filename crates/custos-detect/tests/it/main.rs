//! The one integration-test binary of custos-detect: the shipped rules replayed against
//! their fixtures, rule validation, engine behaviour (suppression, windows, skew, bounds,
//! administration) and property tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken assumption must fail the test loudly"
)]

mod behaviour;
mod fixtures;
mod properties;
mod support;
mod validation;
