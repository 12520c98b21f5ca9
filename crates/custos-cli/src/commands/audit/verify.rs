//! `custos audit verify`: from the store (starting at the retention anchor, if
//! entries were pruned) or from an archive bundle.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use custos_audit::{
    AuditVerifyingKey, BundleError, ChainHead, ChainVerifier, Report, SignedCheckpoint, read_bundle,
};
use custos_server::audit::events;
use custos_server::datadir::DataDir;
use custos_server::keys;
use custos_store::{AuditAnchor, AuditStore, StoreError};

use super::{Opened, PAGE, open, operator, parse_checkpoints, record, witness_checkpoints};
use crate::commands::{EXIT_CANNOT_CHECK, StoreArgs};

/// Arguments of `audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Check this archive bundle instead of the store.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// The audit public key (SPKI PEM) [default: DATA_DIR/audit-signing.pub].
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
    /// Witness file of signed checkpoints [default: audit.witness_file].
    #[arg(long, value_name = "FILE")]
    checkpoints: Option<PathBuf>,
}

/// How a verification ended.
enum Outcome {
    Intact(String),
    Tampered(String),
    CannotCheck(String),
}

impl Outcome {
    fn exit(self) -> ExitCode {
        match self {
            Self::Intact(summary) => {
                println!("intact: {summary}");
                ExitCode::SUCCESS
            }
            Self::Tampered(what) => {
                println!("TAMPERED: {what}");
                ExitCode::from(1)
            }
            Self::CannotCheck(why) => {
                println!("cannot check the audit trail: {why}");
                ExitCode::from(EXIT_CANNOT_CHECK)
            }
        }
    }
}

/// Runs `audit verify`.
pub async fn run(args: &VerifyArgs) -> ExitCode {
    match &args.bundle {
        Some(bundle) => verify_bundle(args, bundle).await,
        None => verify_store(args).await,
    }
    .exit()
}

fn load_key(args: &VerifyArgs, data_dir: &std::path::Path) -> Result<AuditVerifyingKey, Outcome> {
    let path = args
        .public_key
        .clone()
        .unwrap_or_else(|| DataDir::at(data_dir).audit_public_key());
    keys::load_audit_public_key(&path).map_err(|e| Outcome::CannotCheck(e.to_string()))
}

/// The sequence number in a "first bad sequence number N" report.
fn first_bad_seq(report: &str) -> Option<u64> {
    report
        .strip_prefix("first bad sequence number ")?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn report_outcome(report: Report, source: &str) -> Outcome {
    match report.finding {
        None => Outcome::Intact(format!(
            "{} entries{source}; {} signed checkpoints matched (latest at size {}); head {}",
            report.entries,
            report.checkpoints_matched,
            report.latest_checkpoint.unwrap_or(0),
            hex(&report.head_hash),
        )),
        Some(finding) => Outcome::Tampered(format!(
            "first bad sequence number {}\n{finding}",
            finding.seq
        )),
    }
}

async fn verify_store(args: &VerifyArgs) -> Outcome {
    let opened = match open(&args.store).await {
        Ok(opened) => opened,
        Err(e) => return Outcome::CannotCheck(e),
    };
    let outcome = verify_opened(args, &opened).await;
    // The result goes into the trail itself, where detection watches for a failure
    // (PCI DSS 10.7). A run that could not check anything records nothing; a run that
    // cannot record (no private keys here, a read-only copy) still reports its result.
    let verdict = match &outcome {
        Outcome::Intact(_) => Some((true, None)),
        Outcome::Tampered(what) => Some((false, first_bad_seq(what))),
        Outcome::CannotCheck(_) => None,
    };
    if let Some((intact, first_bad)) = verdict
        && let Err(e) = record(&opened, |now| {
            events::trail_verified(now, &operator(), intact, first_bad)
        })
        .await
    {
        eprintln!("custos: the verification was not recorded: {e}");
    }
    opened.store.close().await;
    outcome
}

async fn verify_opened(args: &VerifyArgs, opened: &Opened) -> Outcome {
    let key = match load_key(args, &opened.config.data_dir) {
        Ok(key) => key,
        Err(outcome) => return outcome,
    };
    let witness_path = args
        .checkpoints
        .clone()
        .unwrap_or(opened.config.audit.witness_file.clone());
    let witness = match witness_checkpoints(&witness_path) {
        Ok(lines) => lines,
        Err(e) => return Outcome::CannotCheck(e),
    };
    let stored = match opened.store.audit_checkpoint_lines().await {
        Ok(lines) => lines,
        Err(e) => return Outcome::CannotCheck(e.to_string()),
    };
    let checkpoints = match (
        parse_checkpoints("the store", &stored),
        parse_checkpoints("the witness file", &witness),
    ) {
        (Ok(a), Ok(b)) => a.into_iter().chain(b),
        (Err(e), _) | (_, Err(e)) => return Outcome::Tampered(e),
    };
    let anchor = match opened.store.audit_anchor().await {
        Ok(anchor) => anchor,
        // A row that cannot even be read back as a chain head was edited by hand.
        Err(e @ StoreError::Corrupt(_)) => {
            return Outcome::Tampered(format!("the retention anchor is malformed: {e}"));
        }
        Err(e) => return Outcome::CannotCheck(e.to_string()),
    };
    let start = match anchor {
        None => ChainHead::genesis(),
        Some(anchor) => match check_anchor(&anchor, &key, &opened.instance) {
            Ok(()) => anchor.head,
            Err(problem) => return Outcome::Tampered(problem),
        },
    };
    let from = if start.seq == 0 {
        String::new()
    } else {
        format!(" (from {}, older entries archived)", start.seq + 1)
    };
    let mut verifier = ChainVerifier::starting_at(key, &opened.instance, start);
    for checkpoint in checkpoints {
        verifier.add_checkpoint(checkpoint);
    }
    let mut after = 0;
    loop {
        let page = match opened.store.audit_entries(after, PAGE).await {
            Ok(page) => page,
            Err(e) => return Outcome::CannotCheck(e.to_string()),
        };
        let Some(last) = page.last() else { break };
        after = last.seq;
        if !page.iter().all(|entry| verifier.push(entry)) {
            break;
        }
    }
    report_outcome(verifier.finish(), &from)
}

/// The anchor must be a validly signed checkpoint of this installation whose
/// root is the root of the head it claims.
fn check_anchor(
    anchor: &AuditAnchor,
    key: &AuditVerifyingKey,
    instance: &str,
) -> Result<(), String> {
    let seq = anchor.head.seq;
    let bad =
        |why: &str| format!("first bad sequence number {seq}\nthe retention anchor at {seq} {why}");
    let checkpoint = SignedCheckpoint::from_json_line(&anchor.checkpoint_line)
        .map_err(|_| bad("is unreadable"))?;
    if !checkpoint.verify(key) || checkpoint.checkpoint.instance != instance {
        return Err(bad("is not signed by this installation's audit key"));
    }
    if checkpoint.checkpoint.size != seq
        || checkpoint.checkpoint.root != anchor.head.frontier.root()
    {
        return Err(bad("does not match its signed checkpoint"));
    }
    Ok(())
}

async fn verify_bundle(args: &VerifyArgs, path: &std::path::Path) -> Outcome {
    // The key comes from --public-key, or from the data directory when one is configured.
    let data_dir = match custos_server::config::load_from_process(
        args.store.config.as_deref(),
        &args.store.overrides(None),
    ) {
        Ok(config) => config.data_dir,
        Err(e) => return Outcome::CannotCheck(e.to_string()),
    };
    let key = match load_key(args, &data_dir) {
        Ok(key) => key,
        Err(outcome) => return outcome,
    };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) => return Outcome::CannotCheck(format!("cannot open {}: {e}", path.display())),
    };
    let bundle = match read_bundle(std::io::BufReader::new(file), &key) {
        Ok(bundle) => bundle,
        Err(BundleError::Io(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Outcome::CannotCheck(format!("cannot read {}: {e}", path.display()));
        }
        Err(e) => return Outcome::Tampered(format!("the bundle cannot be trusted: {e}")),
    };
    let extra = match &args.checkpoints {
        Some(witness) => match witness_checkpoints(witness) {
            Ok(lines) => lines,
            Err(e) => return Outcome::CannotCheck(e),
        },
        None => Vec::new(),
    };
    let extra = match parse_checkpoints("the witness file", &extra) {
        Ok(extra) => extra,
        Err(e) => return Outcome::Tampered(e),
    };
    let mut verifier = ChainVerifier::starting_at(key, &bundle.instance, bundle.start.clone())
        .ending_at(bundle.to_seq);
    for checkpoint in bundle.checkpoints.iter().cloned().chain(extra) {
        verifier.add_checkpoint(checkpoint);
    }
    for entry in &bundle.entries {
        if !verifier.push(entry) {
            break;
        }
    }
    let mut report = verifier.finish();
    if report.finding.is_none() && report.entries != bundle.to_seq - bundle.start.seq {
        return Outcome::Tampered(format!(
            "the bundle should hold entries {}..={} but holds {}",
            bundle.from_seq, bundle.to_seq, report.entries
        ));
    }
    report.latest_checkpoint = report.latest_checkpoint.filter(|s| *s <= bundle.to_seq);
    report_outcome(
        report,
        &format!(" ({}..={}, archive bundle)", bundle.from_seq, bundle.to_seq),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
