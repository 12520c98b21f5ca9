//! `custos keys …`: the vault's key hierarchy, offline, against the same store.
//!
//! `keys rotate` makes a new key-encryption key and rewraps every customer's data
//! key under it, showing progress; interrupted, it is resumed by running it again.
//! `keys status` shows the root key's source and each KEK's age and use.

use std::io::Write as _;
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use custos_server::vault::events::keys_rotated;
use custos_server::vault::keyring::Keyring;
use custos_server::vault::rotation;
use custos_store::VaultStore;

use super::accounts::{Services, fail, operator};
use super::{EXIT_FAILURE, StoreArgs, runtime};

/// `custos keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new key-encryption key and rewrap every data key under it (resumable).
    Rotate(RotateArgs),
    /// Show where the root key comes from and each key-encryption key's age and use.
    Status(StatusArgs),
}

/// Arguments of `keys rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Data keys rewrapped per batch.
    #[arg(long, default_value_t = 500)]
    batch: u32,
    /// Stop after this many data keys (a planned pause; run again to resume).
    #[arg(long, hide = true)]
    stop_after: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `keys status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a `keys` subcommand.
pub fn run(command: KeysCommand) -> ExitCode {
    let Ok(rt) = runtime() else {
        return fail("cannot start the async runtime", EXIT_FAILURE);
    };
    match command {
        KeysCommand::Rotate(args) => rt.block_on(rotate(args)),
        KeysCommand::Status(args) => rt.block_on(status(args)),
    }
}

async fn keyring(services: &Services) -> Result<Keyring, String> {
    let root = custos_crypto::LocalRootKey::from_bytes(
        services.keys.root_source_kind(),
        services.keys.root.expose(),
    )
    .map_err(|e| e.to_string())?;
    Keyring::load_or_init(&services.store, Arc::new(root), services.clock.unix_now().0)
        .await
        .map_err(|e| e.to_string())
}

async fn rotate(args: RotateArgs) -> ExitCode {
    let services = match Services::open(&args.store).await {
        Ok(services) => services,
        Err(e) => return fail(e, EXIT_FAILURE),
    };
    let result = rotate_with(&services, &args).await;
    services.close().await;
    match result {
        Ok(report) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "version": report.version,
                        "resumed": report.resumed,
                        "rewrapped": report.rewrapped,
                        "total": report.total,
                        "destroyed_versions": report.destroyed,
                        "complete": report.complete,
                    })
                );
            } else if report.complete {
                println!(
                    "Key-encryption key v{} is current: {} data keys rewrapped{}; destroyed versions: {}.",
                    report.version,
                    report.rewrapped,
                    if report.resumed { " (resumed)" } else { "" },
                    if report.destroyed.is_empty() {
                        "none".to_owned()
                    } else {
                        report
                            .destroyed
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                );
            } else {
                println!(
                    "Paused after {} of {} data keys; run `custos keys rotate` again to finish.",
                    report.rewrapped, report.total
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e, EXIT_FAILURE),
    }
}

async fn rotate_with(
    services: &Services,
    args: &RotateArgs,
) -> Result<rotation::RotationReport, String> {
    let keyring = keyring(services).await?;
    let now = services.clock.unix_now().0;
    let show_progress = !args.json;
    let report = rotation::rotate(&services.store, &keyring, now, args.batch, |done, total| {
        if show_progress && total > 0 {
            // Capped: servers still creating customers under the old key while this
            // runs add data keys after `total` was counted.
            let percent = (done.saturating_mul(100) / total).min(100);
            let width = 30;
            let filled = usize::try_from(percent * width / 100).unwrap_or(0);
            eprint!(
                "\rrewrapping data keys [{}{}] {done}/{total} ({percent}%)",
                "#".repeat(filled),
                ".".repeat(usize::try_from(width).unwrap_or(30) - filled)
            );
            let _ = std::io::stderr().flush();
        }
        match args.stop_after {
            Some(limit) if done >= limit => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    if show_progress && report.total > 0 {
        eprintln!();
    }
    let event = keys_rotated(
        custos_server::audit::event_time_ms(services.clock.as_ref()),
        operator(),
        report.version,
        report.rewrapped,
        &report.destroyed,
        report.complete,
    );
    services
        .audit
        .record(event)
        .await
        .map_err(|e| e.to_string())?;
    Ok(report)
}

async fn status(args: StatusArgs) -> ExitCode {
    let services = match Services::open(&args.store).await {
        Ok(services) => services,
        Err(e) => return fail(e, EXIT_FAILURE),
    };
    // Read-only: nothing is unwrapped or created.
    let result = async {
        let keks = services
            .store
            .vault_keks()
            .await
            .map_err(|e| e.to_string())?;
        let usage = services
            .store
            .kek_usage()
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((services.keys.root_source_kind(), keks, usage))
    }
    .await;
    let now = services.clock.unix_now().0;
    services.close().await;
    let (root, keks, usage) = match result {
        Ok(found) => found,
        Err(e) => return fail(e, EXIT_FAILURE),
    };
    let rows: Vec<(u32, i64, u64)> = keks
        .iter()
        .map(|k| {
            let used = usage
                .iter()
                .find(|(v, _)| *v == k.version)
                .map_or(0, |(_, n)| *n);
            (k.version, (now - k.created_at).max(0) / 86_400, used)
        })
        .collect();
    if args.json {
        let keks: Vec<_> = rows
            .iter()
            .map(|(v, age, used)| serde_json::json!({"version": v, "age_days": age, "data_keys": used}))
            .collect();
        println!("{}", serde_json::json!({"root_source": root, "keks": keks}));
    } else {
        println!("root key: {root}");
        for (version, age, used) in rows {
            println!("KEK v{version}: {age} days old, wraps {used} data keys");
        }
    }
    ExitCode::SUCCESS
}
