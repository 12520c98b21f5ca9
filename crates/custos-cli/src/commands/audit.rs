//! `custos audit verify` and `custos audit export`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use custos_audit::{ChainVerifier, SignedCheckpoint, StoredEventV1, export};
use custos_server::audit::witness::WitnessFile;
use custos_server::audit::{AuditWriter, event_time_ms, events};
use custos_server::clock::SystemClock;
use custos_server::datadir::DataDir;
use custos_server::keys;
use custos_store::{AuditQuery, AuditStore, InstanceStore};

use super::{EXIT_CANNOT_CHECK, EXIT_FAILURE, StoreArgs, open_existing_store, runtime};

/// Entries read per page.
const PAGE: u32 = 10_000;

/// `custos audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit trail offline: every link, hash and signature, against the
    /// signed checkpoints in the store and in the witness file. Exit 0: intact.
    /// Exit 1: tampering found (the first bad sequence number is printed).
    /// Exit 2: could not check.
    Verify(VerifyArgs),
    /// Write the trail for a SIEM, as OCSF JSON lines or CEF. The export is itself
    /// recorded in the trail.
    Export(ExportArgs),
}

/// Arguments of `audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The audit public key (SPKI PEM) [default: DATA_DIR/audit-signing.pub].
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
    /// Witness file of signed checkpoints [default: audit.witness_file].
    #[arg(long, value_name = "FILE")]
    checkpoints: Option<PathBuf>,
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// One OCSF 1.3 JSON object per line.
    OcsfJsonl,
    /// ArcSight Common Event Format, one event per line.
    Cef,
}

/// Arguments of `audit export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Output format.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Only events at or after this time (RFC 3339, e.g. 2026-11-01T00:00:00Z, or a date).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
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
        AuditCommand::Verify(args) => rt.block_on(verify(&args)),
        AuditCommand::Export(args) => rt.block_on(export_trail(&args)),
    }
}

async fn verify(args: &VerifyArgs) -> ExitCode {
    let cannot_check = |message: String| {
        println!("cannot check the audit trail: {message}");
        ExitCode::from(EXIT_CANNOT_CHECK)
    };
    let (config, store) = match open_existing_store(&args.store).await {
        Ok(opened) => opened,
        Err(e) => return cannot_check(e.to_string()),
    };
    let key_path = args
        .public_key
        .clone()
        .unwrap_or_else(|| DataDir::at(&config.data_dir).audit_public_key());
    let key = match keys::load_audit_public_key(&key_path) {
        Ok(key) => key,
        Err(e) => return cannot_check(e.to_string()),
    };
    let instance = match store.find_instance().await {
        Ok(Some(instance)) => instance.instance_id.to_string(),
        Ok(None) => return cannot_check("the database was never initialized".to_owned()),
        Err(e) => return cannot_check(e.to_string()),
    };
    let witness_path = args
        .checkpoints
        .clone()
        .unwrap_or(config.audit.witness_file.clone());
    let witness_lines = match WitnessFile::read_lines(&witness_path) {
        Ok(lines) => lines,
        Err(e) => return cannot_check(format!("cannot read {}: {e}", witness_path.display())),
    };
    let store_lines = match store.audit_checkpoint_lines().await {
        Ok(lines) => lines,
        Err(e) => return cannot_check(e.to_string()),
    };

    let mut verifier = ChainVerifier::new(key, &instance);
    let sources = [
        ("the store", store_lines),
        ("the witness file", witness_lines),
    ];
    let counts = (sources[0].1.len(), sources[1].1.len());
    for (source, lines) in sources {
        for (n, line) in lines.iter().enumerate() {
            match SignedCheckpoint::from_json_line(line) {
                Ok(checkpoint) => verifier.add_checkpoint(checkpoint),
                Err(e) => {
                    println!(
                        "TAMPERED: checkpoint {} in {source} is unreadable: {e}",
                        n + 1
                    );
                    return ExitCode::from(1);
                }
            }
        }
    }
    let mut after = 0;
    loop {
        let page = match store.audit_entries(after, PAGE).await {
            Ok(page) => page,
            Err(e) => return cannot_check(e.to_string()),
        };
        let Some(last) = page.last() else { break };
        after = last.seq;
        if !page.iter().all(|entry| verifier.push(entry)) {
            break;
        }
    }
    store.close().await;
    let report = verifier.finish();
    match report.finding {
        None => {
            println!(
                "intact: {} entries; {} signed checkpoints matched ({} in the store, {} in the witness file, latest at size {}); head {}",
                report.entries,
                report.checkpoints_matched,
                counts.0,
                counts.1,
                report.latest_checkpoint.unwrap_or(0),
                report
                    .head_hash
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
            );
            ExitCode::SUCCESS
        }
        Some(finding) => {
            println!("TAMPERED: first bad sequence number {}", finding.seq);
            println!("{finding}");
            ExitCode::from(1)
        }
    }
}

fn parse_since(text: &str) -> Result<i64, String> {
    use time::format_description::well_known::Rfc3339;
    let at = time::OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| time::OffsetDateTime::parse(&format!("{text}T00:00:00Z"), &Rfc3339))
        .map_err(|_| format!("--since: `{text}` is not an RFC 3339 time or a YYYY-MM-DD date"))?;
    Ok(at.unix_timestamp() * 1000 + i64::from(at.millisecond()))
}

async fn export_trail(args: &ExportArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("custos: {message}");
        ExitCode::from(EXIT_FAILURE)
    };
    let since_ms = match args.since.as_deref().map(parse_since).transpose() {
        Ok(since) => since,
        Err(e) => return fail(e),
    };
    let (config, store) = match open_existing_store(&args.store).await {
        Ok(opened) => opened,
        Err(e) => return fail(e.to_string()),
    };
    // The export is an audited read of the trail: recorded first, refused if that fails.
    let keys = match keys::load_existing(&DataDir::at(&config.data_dir)) {
        Ok(keys) => keys,
        Err(e) => return fail(format!("cannot record the export: {e}")),
    };
    let instance = match store.find_instance().await {
        Ok(Some(instance)) => instance.instance_id.to_string(),
        _ => {
            return fail("cannot record the export: the database was never initialized".to_owned());
        }
    };
    let clock = Arc::new(SystemClock);
    let (audit, task) = AuditWriter::new(
        store.clone(),
        keys.audit_signer.clone(),
        instance,
        clock.clone(),
        config.audit.clone(),
    )
    .spawn();
    let operator = std::env::var("USER").unwrap_or_else(|_| "cli".to_owned());
    let format = match args.format {
        ExportFormat::OcsfJsonl => "ocsf-jsonl",
        ExportFormat::Cef => "cef",
    };
    let recorded = audit
        .record(events::trail_exported(
            event_time_ms(clock.as_ref()),
            &operator,
            format,
            args.since.as_deref(),
        ))
        .await;
    audit.close().await;
    let _ = task.await;
    if let Err(e) = recorded {
        return fail(format!(
            "the export could not be recorded in the audit trail, so it was not made: {e}"
        ));
    }
    let mut out: Box<dyn std::io::Write> = match &args.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Box::new(std::io::BufWriter::new(file)),
            Err(e) => return fail(format!("cannot create {}: {e}", path.display())),
        },
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut after = 0;
    loop {
        let query = AuditQuery {
            since_ms,
            after_seq: Some(after),
            limit: PAGE,
            ..AuditQuery::default()
        };
        let page = match store.query_audit(&query).await {
            Ok(page) => page,
            Err(e) => return fail(e.to_string()),
        };
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            let event = match StoredEventV1::decode(&entry.payload) {
                Ok(event) => event,
                Err(e) => {
                    return fail(format!(
                        "entry {}: {e} (run `custos audit verify`)",
                        entry.seq
                    ));
                }
            };
            let line = match args.format {
                ExportFormat::OcsfJsonl => export::ocsf_json(entry.seq, &event).to_string(),
                ExportFormat::Cef => export::cef_line(entry.seq, &event),
            };
            if let Err(e) = writeln!(out, "{line}") {
                return fail(format!("cannot write: {e}"));
            }
        }
    }
    if let Err(e) = out.flush() {
        return fail(format!("cannot write: {e}"));
    }
    drop(out);
    store.close().await;
    ExitCode::SUCCESS
}
