//! Building events and reading fixtures.

use std::path::PathBuf;

use custos_detect::{DetectEvent, Engine, Finding, Rule, RulePack};
use time::OffsetDateTime;

/// `testdata/detect/` at the root of the workspace.
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/detect")
}

/// The events of a JSONL fixture, one per line.
pub fn read_fixture(path: &std::path::Path) -> Vec<DetectEvent> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{} line {}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// 2026-11-02 09:00:00 UTC plus `secs`.
pub fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_793_610_000 + secs).unwrap()
}

/// An event at `secs` with an actor and a source address.
pub fn event(secs: i64, action: &str, outcome: &str, actor: &str, ip: &str) -> DetectEvent {
    let mut e = DetectEvent::new(at(secs), action, outcome);
    e.actor = Some(actor.to_owned());
    e.source_ip = Some(ip.to_owned());
    e
}

/// A failed password step for `actor` from `ip`.
pub fn wrong_password(secs: i64, actor: &str, ip: &str) -> DetectEvent {
    let mut e = event(secs, "auth.password", "failure", actor, ip);
    e.status = Some("invalid_credentials".to_owned());
    e
}

/// An engine running one rule given as TOML.
pub fn engine_with(rule: &str) -> Engine {
    let rule = Rule::parse_toml(rule).unwrap();
    Engine::new(RulePack::from_rules(vec![rule]).unwrap())
}

/// Feeds every event; returns all findings.
pub fn replay<'a>(
    engine: &mut Engine,
    events: impl IntoIterator<Item = &'a DetectEvent>,
) -> Vec<Finding> {
    events.into_iter().flat_map(|e| engine.observe(e)).collect()
}
