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
mod keys;
mod redact;
mod redact_audio;
mod serve;

use std::process::Command;

/// The binary under test.
pub fn custos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_custos"))
}

/// Writes `input` to the child's stdin and closes it. The command may refuse its
/// arguments and exit before it reads anything: a closed pipe is then not an error.
pub fn feed_stdin(child: &mut std::process::Child, input: &[u8]) {
    use std::io::Write as _;
    match child.stdin.take().unwrap().write_all(input) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        written => written.unwrap(),
    }
}
