//! `custos`: the server, its administration and offline tools in one binary.
//!
//! Exit codes: 0 success; 1 the command failed; 2 the command line or the
//! configuration is invalid.
#![expect(
    clippy::print_stdout,
    reason = "a command-line program talks on stdout"
)]

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc in its secure mode: guard pages between its pages, randomized
/// allocation and encrypted free lists make heap corruption harder to exploit,
/// and it allocates faster than the C library's allocator, which took a fifth
/// of the server's CPU under load (BENCHMARKS.md, issue 5).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Custos keeps contact-center customer data safe while agents work with it.
#[derive(Debug, Parser)]
#[command(name = "custos", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the HTTPS server (initializes an empty data directory on first start).
    Serve(commands::serve::ServeArgs),
    /// Inspect and validate configuration.
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// Manage person accounts.
    #[command(subcommand)]
    User(commands::accounts::UserCommand),
    /// Manage service tokens for integrations.
    #[command(subcommand)]
    Token(commands::accounts::TokenCommand),
    /// Verify and export the tamper-evident audit trail.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Redact card data and personal data from text (stdin or a file).
    Redact(commands::redact::RedactArgs),
    /// Mute a call recording where its transcript held card data or personal data.
    RedactAudio(commands::redact_audio::RedactAudioArgs),
    /// Rotate and inspect the vault's encryption keys.
    #[command(subcommand)]
    Keys(commands::keys::KeysCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Config(command) => commands::config::run(command),
        Command::Audit(command) => commands::audit::run(command),
        Command::User(command) => commands::accounts::run_user(command),
        Command::Token(command) => commands::accounts::run_token(command),
        Command::Keys(command) => commands::keys::run(command),
        Command::Redact(args) => commands::redact::run(args),
        Command::RedactAudio(args) => commands::redact_audio::run(args),
    }
}
