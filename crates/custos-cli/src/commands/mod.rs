//! One module per subcommand, plus the flags they share.

pub mod config;
pub mod serve;

use std::path::PathBuf;

use clap::Args;
use custos_server::config::CliOverrides;

/// Where the configuration and the data live; shared by every command that opens them.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// TOML configuration file. `CUSTOS_<SECTION>__<KEY>` environment variables override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory: keys, certificate and the embedded database [default: ./custos-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use this database instead of the embedded SQLite file: postgres://USER@HOST/DB
    /// (prefer CUSTOS_STORAGE__DATABASE_URL when it holds a password: flags show in `ps`).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// The flags as configuration overrides.
    pub fn overrides(&self, listen: Option<String>) -> CliOverrides {
        CliOverrides {
            listen,
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
        }
    }
}

/// Exit code for an invalid command line or configuration.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for a failed command.
pub const EXIT_FAILURE: u8 = 1;
