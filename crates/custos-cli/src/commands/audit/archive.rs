//! `custos audit archive`: write a segment of the trail into a signed, compressed
//! bundle and, with `--prune`, remove it from the store.
//!
//! The segment runs from the current anchor (or the first entry) to the largest
//! signed checkpoint made at or before `--until`, so it ends on a signed head and
//! its last root is vouched for. The segment is verified before it is written, the
//! written file is read back and verified, and only then may it be pruned, and
//! only if it is older than `audit.retention_days` (as in force: the file's value
//! or an administrator's change to it on the settings page).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use custos_audit::{
    ChainHead, ChainVerifier, SignedCheckpoint, StoredEntry, read_bundle, write_bundle,
};
use custos_server::audit::events;
use custos_server::datadir::DataDir;
use custos_server::keys;
use custos_store::{AuditAnchor, AuditStore};

use super::{
    Opened, PAGE, open, operator, parse_checkpoints, parse_time, record, witness_checkpoints,
};
use crate::commands::{EXIT_FAILURE, StoreArgs};

const DAY_MS: i64 = 86_400_000;

/// Arguments of `audit archive`.
#[derive(Debug, Args)]
pub struct ArchiveArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Archive entries up to the last checkpoint at or before this time (RFC 3339 or a date).
    #[arg(long, value_name = "TIME")]
    until: String,
    /// The bundle file to write (refuses to overwrite).
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
    /// After writing and re-verifying the bundle, delete the archived entries from
    /// the store. Refused for entries younger than audit.retention_days.
    #[arg(long)]
    prune: bool,
}

/// Runs `audit archive`.
pub async fn run(args: &ArchiveArgs) -> ExitCode {
    let opened = match open(&args.store).await {
        Ok(opened) => opened,
        Err(e) => return fail(e),
    };
    let result = archive(args, &opened).await;
    opened.store.close().await;
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("custos: {message}");
    ExitCode::from(EXIT_FAILURE)
}

async fn archive(args: &ArchiveArgs, opened: &Opened) -> Result<String, String> {
    let until_ms = parse_time("--until", &args.until)?;
    if args.output.exists() {
        return Err(format!(
            "{} exists; choose a new file",
            args.output.display()
        ));
    }
    let store = &opened.store;
    let keys = keys::load_existing(
        &DataDir::at(&opened.config.data_dir),
        opened.config.root_source,
    )
    .map_err(|e| e.to_string())?;
    let start = store
        .audit_anchor()
        .await
        .map_err(|e| e.to_string())?
        .map_or_else(ChainHead::genesis, |a| a.head);

    let stored = store
        .audit_checkpoint_lines()
        .await
        .map_err(|e| e.to_string())?;
    let witness = witness_checkpoints(&opened.config.audit.witness_file)?;
    let mut checkpoints = parse_checkpoints("the store", &stored)?;
    checkpoints.extend(parse_checkpoints("the witness file", &witness)?);
    let Some(end) = checkpoints
        .iter()
        .filter(|c| c.checkpoint.size > start.seq && c.checkpoint.time_ms <= until_ms)
        .max_by_key(|c| c.checkpoint.size)
        .cloned()
    else {
        return Ok(format!(
            "nothing to archive: no checkpoint after entry {} at or before {}",
            start.seq, args.until
        ));
    };
    let to_seq = end.checkpoint.size;

    let entries = read_segment(opened, &start, to_seq, &checkpoints, &keys).await?;
    record(opened, |now| {
        events::trail_archived(now, &operator(), start.seq + 1, to_seq, args.prune)
    })
    .await?;
    write_file(&args.output, |file| {
        write_bundle(
            file,
            &opened.instance,
            &start,
            &entries,
            &checkpoints,
            end.checkpoint.time_ms,
            &keys.audit_signer,
        )
        .map(drop)
        .map_err(|e| e.to_string())
    })?;
    // Read back what is on disk before anything is removed.
    let file = std::fs::File::open(&args.output).map_err(|e| e.to_string())?;
    let bundle = read_bundle(
        std::io::BufReader::new(file),
        &keys.audit_signer.verifying_key(),
    )
    .map_err(|e| format!("the written bundle does not read back: {e}"))?;
    if bundle.entries != entries {
        return Err("the written bundle does not read back identically".to_owned());
    }
    let mut summary = format!(
        "archived entries {}..={to_seq} ({} entries) to {}",
        start.seq + 1,
        entries.len(),
        args.output.display()
    );
    if args.prune {
        let now_ms = custos_server::audit::event_time_ms(&custos_server::clock::SystemClock);
        // The retention in force: the file's, or an administrator's change to it.
        let retention_days = custos_server::settings::LiveSettings::load(&opened.config, store)
            .await
            .map_err(|e| e.to_string())?
            .get()
            .audit_retention_days;
        let retention_ms = i64::try_from(retention_days)
            .unwrap_or(i64::MAX)
            .saturating_mul(DAY_MS);
        if end.checkpoint.time_ms > now_ms.saturating_sub(retention_ms) {
            return Err(format!(
                "{summary}; not pruned: these entries are younger than audit.retention_days ({retention_days} days)"
            ));
        }
        let mut head = start.clone();
        for e in &entries {
            head.seq = e.seq;
            head.hash = e.hash;
            head.frontier.push(&e.hash);
        }
        let anchor = AuditAnchor {
            head,
            checkpoint_line: end.to_json_line(),
            pruned_ms: now_ms,
        };
        let deleted = store
            .prune_audit(&anchor)
            .await
            .map_err(|e| e.to_string())?;
        record(opened, |now| {
            events::trail_pruned(now, &operator(), to_seq, deleted)
        })
        .await?;
        summary.push_str(&format!("; pruned {deleted} entries from the store"));
    }
    Ok(summary)
}

/// Reads entries after `start` up to `to_seq`, verifying them on the way: a
/// tampered segment is never archived.
async fn read_segment(
    opened: &Opened,
    start: &ChainHead,
    to_seq: u64,
    checkpoints: &[SignedCheckpoint],
    keys: &keys::Keys,
) -> Result<Vec<StoredEntry>, String> {
    let mut verifier = ChainVerifier::starting_at(
        keys.audit_signer.verifying_key(),
        &opened.instance,
        start.clone(),
    )
    .ending_at(to_seq);
    for c in checkpoints {
        verifier.add_checkpoint(c.clone());
    }
    let mut entries = Vec::new();
    let mut after = start.seq;
    while after < to_seq {
        let page = opened
            .store
            .audit_entries(after, PAGE)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in page.into_iter().filter(|e| e.seq <= to_seq) {
            verifier.push(&entry);
            entries.push(entry);
        }
    }
    let report = verifier.finish();
    match report.finding {
        None => Ok(entries),
        Some(finding) => Err(format!("refusing to archive a tampered trail: {finding}")),
    }
}

/// Writes through a temporary file renamed into place, so a failed write leaves nothing.
fn write_file(
    path: &Path,
    write: impl FnOnce(std::fs::File) -> Result<(), String>,
) -> Result<(), String> {
    let tmp = path.with_extension("partial");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    if let Err(e) = write(file) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
