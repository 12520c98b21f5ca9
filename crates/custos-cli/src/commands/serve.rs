//! `custos serve`: start the server and run until SIGTERM or SIGINT.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use custos_server::clock::SystemClock;
use custos_server::{config, telemetry};
use secrecy::ExposeSecret as _;

use super::{EXIT_FAILURE, EXIT_USAGE, StoreArgs};

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on [default: 127.0.0.1:8443]. Port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Seed a demo contact center (people of every role, customers, interactions, transcripts)
    /// into an empty store. For trying Custos out, never for production.
    #[arg(long)]
    demo: bool,
}

/// Runs the server until a signal arrives.
pub fn run(args: ServeArgs) -> ExitCode {
    let overrides = args.store.overrides(args.listen.clone());
    let config = match config::load_from_process(args.store.config.as_deref(), &overrides) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("custos: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    telemetry::init(config.log_format, &config.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("custos: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    runtime.block_on(serve(config, args.demo))
}

async fn serve(config: custos_server::config::Config, demo: bool) -> ExitCode {
    let signals = match StopSignals::install() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("custos: cannot listen for SIGTERM/SIGINT: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let data_dir = config.data_dir.clone();
    let (server, report) = match custos_server::start(config, Arc::new(SystemClock)).await {
        Ok(started) => started,
        Err(e) => {
            eprintln!("custos: cannot start: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    if report.initialized {
        println!(
            "Initialized {}: root key, audit signing key and TLS certificate created.",
            data_dir.display()
        );
    }
    println!("Custos is listening on {}", server.base_url());
    // The demo creates an administrator, which retires the setup link: seed first.
    let seeded = demo && print_demo(&server).await;
    if let Some(url) = report.setup_url.as_ref().filter(|_| !seeded) {
        // Printed to the operator's terminal only: the link is a one-time secret and
        // never goes to the log.
        println!(
            "Set up the first administrator with this one-time link (valid 24 hours):\n  {}",
            url.expose_secret()
        );
    }
    signals.wait().await;
    println!("Shutting down…");
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// Seeds the demo contact center and prints its credentials, once, to the terminal.
/// Returns whether anything was seeded.
async fn print_demo(server: &custos_server::RunningServer) -> bool {
    match custos_server::demo::seed(server.state()).await {
        Ok(report) if report.people.is_empty() => {
            println!("--demo: accounts exist already; nothing seeded.");
            false
        }
        Ok(report) => {
            println!(
                "Demo contact center seeded (credentials shown once; for trying Custos, never production):"
            );
            for person in &report.people {
                println!(
                    "  {:<16} {:<17} password {}\n  {:<16} {:<17} totp {}",
                    person.username,
                    person.role.as_str(),
                    person.password.expose_secret(),
                    "",
                    "",
                    person.totp_uri.expose_secret()
                );
            }
            for (name, role, token) in &report.tokens {
                println!(
                    "  {:<16} {:<17} token {}",
                    name,
                    role.as_str(),
                    token.expose_secret()
                );
            }
            println!(
                "  {} customers, {} open interactions assigned to the agents",
                report.customers, report.interactions
            );
            true
        }
        Err(e) => {
            eprintln!("custos: --demo: cannot seed the demo: {e}");
            false
        }
    }
}

/// SIGTERM and SIGINT, listened for from before the server starts, so a stop
/// request that arrives during start-up still shuts down gracefully.
struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for either signal.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.terminate.recv() => tracing::info!("SIGTERM received"),
            _ = self.interrupt.recv() => tracing::info!("SIGINT received"),
        }
    }
}
