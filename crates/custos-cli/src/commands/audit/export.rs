//! `custos audit export`: the trail as OCSF JSON lines or CEF, for a SIEM.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use custos_audit::{StoredEventV1, export};
use custos_server::audit::events;
use custos_store::{AuditQuery, AuditStore};

use super::{Opened, PAGE, open, operator, parse_time, record};
use crate::commands::{EXIT_FAILURE, StoreArgs};

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// One OCSF 1.3 JSON object per line.
    OcsfJsonl,
    /// ArcSight Common Event Format, one event per line.
    Cef,
}

impl ExportFormat {
    fn name(self) -> &'static str {
        match self {
            Self::OcsfJsonl => "ocsf-jsonl",
            Self::Cef => "cef",
        }
    }
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

/// Runs `audit export`.
pub async fn run(args: &ExportArgs) -> ExitCode {
    let opened = match open(&args.store).await {
        Ok(opened) => opened,
        Err(e) => return fail(e),
    };
    let result = export_opened(args, &opened).await;
    opened.store.close().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("custos: {message}");
    ExitCode::from(EXIT_FAILURE)
}

async fn export_opened(args: &ExportArgs, opened: &Opened) -> Result<(), String> {
    let since_ms = args
        .since
        .as_deref()
        .map(|t| parse_time("--since", t))
        .transpose()?;
    // An audited read of the trail: recorded first, refused if that fails.
    record(opened, |now| {
        events::trail_exported(now, &operator(), args.format.name(), args.since.as_deref())
    })
    .await?;
    let mut out: Box<dyn std::io::Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?,
        )),
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
        let page = opened
            .store
            .query_audit(&query)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            let event = StoredEventV1::decode(&entry.payload)
                .map_err(|e| format!("entry {}: {e} (run `custos audit verify`)", entry.seq))?;
            let line = match args.format {
                ExportFormat::OcsfJsonl => export::ocsf_json(entry.seq, &event).to_string(),
                ExportFormat::Cef => export::cef_line(entry.seq, &event),
            };
            writeln!(out, "{line}").map_err(|e| format!("cannot write: {e}"))?;
        }
    }
    out.flush().map_err(|e| format!("cannot write: {e}"))
}
