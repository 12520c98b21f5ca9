//! Detection and response inside the server: the audit stream, as committed, runs
//! through the `custos-detect` engine (the shipped rule pack plus administrators'
//! stored changes); each finding becomes an alert and its responses are carried
//! out — lock the account, end its sessions, block the address, ask for a fresh
//! second factor, notify — each itself audited.
//!
//! The writer hands the task every committed audit batch's events, so an event
//! reaches the engine within milliseconds of being durable, without being read
//! back; a gap in sequence numbers, and a one-second tick, make it read the store
//! instead, which covers other nodes' events on a shared PostgreSQL store (each
//! node's engine sees every node's events; docs/design/0007 and 0013).

pub mod events;
mod mapping;
mod respond;
mod task;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use custos_detect::{Engine, Rule, RuleError, RulePack};
use custos_store::{DetectionRuleRecord, DetectionStore as _, Store};

pub use respond::respond;
pub use task::{catch_up, run};

/// The detection state of this node.
#[derive(Debug)]
pub struct Detection {
    engine: Mutex<Engine>,
    blocked: Mutex<HashMap<IpAddr, i64>>,
    /// Per username: team and work shift (minutes of the UTC day).
    profiles: Mutex<HashMap<String, Profile>>,
    /// The stored rule changes in force, by id, with their change time.
    applied: Mutex<HashMap<String, i64>>,
    /// The last audit sequence number read; held across a catch-up, so catch-ups
    /// (the task's and a test's) take turns.
    cursor: tokio::sync::Mutex<u64>,
}

/// The number of usernames whose profile is remembered before the cache starts over.
const PROFILE_CACHE: usize = 10_000;

/// What the rules need to know of a person beyond the event.
#[derive(Debug, Clone, Default)]
struct Profile {
    team: Option<String>,
    shift: Option<custos_detect::Shift>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Detection {
    /// The shipped pack with the stored changes applied; reading starts after `head`
    /// (the audit trail's sequence number now: history is not replayed).
    pub async fn load(store: &Store, head: u64) -> Result<Self, String> {
        let pack = RulePack::shipped().map_err(|e| e.to_string())?;
        let detection = Self {
            engine: Mutex::new(Engine::new(pack)),
            blocked: Mutex::new(HashMap::new()),
            profiles: Mutex::new(HashMap::new()),
            applied: Mutex::new(HashMap::new()),
            cursor: tokio::sync::Mutex::new(head),
        };
        detection.reload(store).await.map_err(|e| e.to_string())?;
        Ok(detection)
    }

    /// Applies the stored rule changes made since the last reload (by this node or
    /// another); returns how many were applied.
    pub async fn reload(&self, store: &Store) -> Result<usize, custos_store::StoreError> {
        let stored = store.detection_rules().await?;
        let mut applied = 0;
        for record in stored {
            if lock(&self.applied).get(&record.id) == Some(&record.updated_at) {
                continue;
            }
            // A stored rule that no longer validates (a newer format, a bad edit in
            // the database) is skipped with an error, never half-applied.
            match self.apply(&record) {
                Ok(()) => applied += 1,
                Err(e) => {
                    tracing::error!(rule = %record.id, error = %e, "a stored detection rule was not applied");
                }
            }
            lock(&self.applied).insert(record.id.clone(), record.updated_at);
        }
        Ok(applied)
    }

    /// Forgets what is cached of `username` (their team or shift changed).
    pub fn forget(&self, username: &str) {
        lock(&self.profiles).remove(username);
    }

    /// Whether `ip` is blocked at `now` (Unix seconds).
    pub fn is_blocked(&self, ip: IpAddr, now: i64) -> bool {
        let mut blocked = lock(&self.blocked);
        match blocked.get(&ip) {
            Some(until) if *until > now => true,
            Some(_) => {
                blocked.remove(&ip);
                false
            }
            None => false,
        }
    }

    /// Blocks `ip` until `until` (Unix seconds).
    pub fn block(&self, ip: IpAddr, until: i64) {
        let mut blocked = lock(&self.blocked);
        let entry = blocked.entry(ip).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// The rules in force, as the engine holds them.
    pub fn rules(&self) -> Vec<Rule> {
        lock(&self.engine).rules().cloned().collect()
    }

    /// Validates and applies an administrator's change to the running engine.
    pub fn apply(&self, record: &DetectionRuleRecord) -> Result<(), RuleError> {
        apply(&mut lock(&self.engine), record)?;
        lock(&self.applied).insert(record.id.clone(), record.updated_at);
        Ok(())
    }
}

/// Applies a stored change: a definition replaces the shipped rule of its id or is
/// added; `enabled` is applied on top.
fn apply(engine: &mut Engine, record: &DetectionRuleRecord) -> Result<(), RuleError> {
    if !record.definition.trim().is_empty() {
        let rule = Rule::parse_toml(&record.definition)?;
        if rule.id().as_str() != record.id {
            return Err(RuleError::Invalid {
                rule: record.id.clone(),
                field: "id".to_owned(),
                problem: "must be the id the change is stored under".to_owned(),
            });
        }
        if engine.rule(&record.id).is_some() {
            engine.replace_rule(rule)?;
        } else {
            engine.add_rule(rule)?;
        }
    }
    engine.set_enabled(&record.id, record.enabled)
}
