//! One module per subcommand, plus the flags they share.

pub mod accounts;
pub mod audit;
pub mod config;
pub mod keys;
pub mod redact;
pub mod redact_audio;
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

/// Exit code for "could not check".
pub const EXIT_CANNOT_CHECK: u8 = 2;

/// A current-thread runtime for one offline command.
pub fn runtime() -> Result<tokio::runtime::Runtime, std::io::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Why an offline command could not open the installation.
#[derive(Debug)]
pub struct OpenError(pub String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Loads the configuration and opens the existing store of an installation,
/// refusing to create one (an offline tool must never initialize a data directory).
pub async fn open_existing_store(
    args: &StoreArgs,
) -> Result<(custos_server::config::Config, custos_store::Store), OpenError> {
    use custos_store::{Backend, Store, StoreOptions};
    let config =
        custos_server::config::load_from_process(args.config.as_deref(), &args.overrides(None))
            .map_err(|e| OpenError(e.to_string()))?;
    let url = config.effective_database_url();
    if url.backend() == Backend::Sqlite
        && let Some(path) = url.sqlite_path().filter(|p| !p.exists())
    {
        return Err(OpenError(format!(
            "no Custos database at {} (wrong --data-dir?)",
            path.display()
        )));
    }
    let store = Store::open(
        &url,
        &StoreOptions {
            max_connections: 2,
            sqlite_direct: config.sqlite_direct,
            ..StoreOptions::default()
        },
    )
    .await
    .map_err(|e| OpenError(format!("cannot open the store {url}: {e}")))?;
    Ok((config, store))
}
