//! `custos audit …`: verify, export and archive the tamper-evident trail, offline.

mod archive;
mod export;
mod verify;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use custos_audit::{AuditEvent, SignedCheckpoint};
use custos_server::audit::witness::WitnessFile;
use custos_server::audit::{AuditWriter, event_time_ms};
use custos_server::clock::{Clock, SystemClock};
use custos_server::config::Config;
use custos_server::datadir::DataDir;
use custos_server::keys;
use custos_store::{InstanceStore, Store};

use super::{EXIT_FAILURE, StoreArgs, open_existing_store, runtime};

/// Entries read per page.
const PAGE: u32 = 10_000;

/// `custos audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit trail offline: every link, hash and signature, against the
    /// signed checkpoints in the store and in the witness file, or check an archive
    /// bundle. Exit 0: intact. Exit 1: tampering found (the first bad sequence
    /// number is printed). Exit 2: could not check.
    Verify(verify::VerifyArgs),
    /// Write the trail for a SIEM, as OCSF JSON lines or CEF. The export is itself
    /// recorded in the trail, and refused if it cannot be.
    Export(export::ExportArgs),
    /// Write the entries up to a time into a signed, compressed bundle that
    /// `audit verify --bundle` checks; with --prune, then remove them from the store
    /// (only entries older than audit.retention_days).
    Archive(archive::ArchiveArgs),
}

/// Runs an `audit` subcommand.
pub fn run(command: AuditCommand) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("custos: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match command {
        AuditCommand::Verify(args) => rt.block_on(verify::run(&args)),
        AuditCommand::Export(args) => rt.block_on(export::run(&args)),
        AuditCommand::Archive(args) => rt.block_on(archive::run(&args)),
    }
}

/// An installation opened by an offline command.
struct Opened {
    config: Config,
    store: Store,
    instance: String,
}

async fn open(args: &StoreArgs) -> Result<Opened, String> {
    let (config, store) = open_existing_store(args).await.map_err(|e| e.to_string())?;
    let instance = match store.find_instance().await {
        Ok(Some(instance)) => instance.instance_id.to_string(),
        Ok(None) => return Err("the database was never initialized".to_owned()),
        Err(e) => return Err(e.to_string()),
    };
    Ok(Opened {
        config,
        store,
        instance,
    })
}

/// Records `event` with the installation's audit key and waits until it is
/// durable. An error means the command must not go ahead.
async fn record(opened: &Opened, event: impl FnOnce(i64) -> AuditEvent) -> Result<(), String> {
    let keys = keys::load_existing(
        &DataDir::at(&opened.config.data_dir),
        opened.config.root_source,
    )
    .map_err(|e| format!("cannot record in the audit trail: {e}"))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (audit, task) = AuditWriter::new(
        opened.store.clone(),
        keys.audit_signer.clone(),
        opened.instance.clone(),
        clock.clone(),
        opened.config.audit.clone(),
    )
    .spawn();
    let recorded = audit.record(event(event_time_ms(clock.as_ref()))).await;
    audit.close().await;
    let _ = task.await;
    recorded
        .map(drop)
        .map_err(|e| format!("cannot record in the audit trail: {e}"))
}

/// Who runs the command, for the trail.
fn operator() -> String {
    std::env::var("USER").unwrap_or_else(|_| "cli".to_owned())
}

/// Reads the signed checkpoint lines of a witness file.
fn witness_checkpoints(path: &std::path::Path) -> Result<Vec<String>, String> {
    WitnessFile::read_lines(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Parses checkpoint lines; a malformed one is reported with its source and position.
fn parse_checkpoints(source: &str, lines: &[String]) -> Result<Vec<SignedCheckpoint>, String> {
    lines
        .iter()
        .enumerate()
        .map(|(n, line)| {
            SignedCheckpoint::from_json_line(line)
                .map_err(|e| format!("checkpoint {} in {source} is unreadable: {e}", n + 1))
        })
        .collect()
}

/// Milliseconds of an RFC 3339 time or a `YYYY-MM-DD` date (midnight UTC).
fn parse_time(flag: &str, text: &str) -> Result<i64, String> {
    use time::format_description::well_known::Rfc3339;
    let at = time::OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| time::OffsetDateTime::parse(&format!("{text}T00:00:00Z"), &Rfc3339))
        .map_err(|_| format!("{flag}: `{text}` is not an RFC 3339 time or a YYYY-MM-DD date"))?;
    Ok(at.unix_timestamp() * 1000 + i64::from(at.millisecond()))
}
