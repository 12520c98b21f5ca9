//! `custos config check`: validate a configuration and explain what is wrong.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use custos_server::config;

use super::{EXIT_USAGE, StoreArgs};

/// `custos config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration file together with the environment overrides,
    /// then print the effective settings (secrets hidden). Exit 0 when valid, 2 when not.
    Check(CheckArgs),
}

/// Arguments of `config check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on, as `serve --listen` would set it.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
}

/// Runs a `config` subcommand.
pub fn run(command: ConfigCommand) -> ExitCode {
    match command {
        ConfigCommand::Check(args) => check(&args),
    }
}

fn check(args: &CheckArgs) -> ExitCode {
    let overrides = args.store.overrides(args.listen.clone());
    match config::load_from_process(args.store.config.as_deref(), &overrides) {
        Ok(config) => {
            println!("configuration is valid\n\n{}", config.describe());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("configuration is invalid: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
