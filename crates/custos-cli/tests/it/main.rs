//! The `custos` binary as users run it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken assumption must fail the test loudly"
)]

mod accounts;
mod audit;
mod config_check;
mod help;
mod serve;

use std::process::Command;

/// The binary under test.
pub fn custos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_custos"))
}
