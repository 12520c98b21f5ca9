//! Detection storage: alerts raised by the rules, their notes and lifecycle, and the
//! rules administrators changed or added. Alerts name rules, accounts, addresses
//! and audit sequence numbers; never a customer value.

use std::future::Future;

use uuid::Uuid;

use crate::StoreError;

/// An alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    /// Id.
    pub id: Uuid,
    /// The rule that raised it.
    pub rule_id: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// The rule's title.
    pub title: String,
    /// What was seen, in words (counts, names, addresses; no values).
    pub summary: String,
    /// `open`, `acknowledged` or `resolved`.
    pub status: String,
    /// The account concerned.
    pub actor: Option<String>,
    /// The address concerned.
    pub source_ip: Option<String>,
    /// The audit sequence numbers that triggered it (JSON array).
    pub events: String,
    /// The responses taken and how they went (JSON array).
    pub responses: String,
    /// Raised.
    pub created_at: i64,
    /// Last changed.
    pub updated_at: i64,
    /// Who changed it last.
    pub updated_by: Option<String>,
}

/// A note on an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertNote {
    /// Written.
    pub created_at: i64,
    /// By whom.
    pub author: String,
    /// The note (redacted on the way in).
    pub text: String,
}

/// A rule an administrator changed or added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectionRuleRecord {
    /// The rule id.
    pub id: String,
    /// Its definition (TOML, one rule).
    pub definition: String,
    /// In force?
    pub enabled: bool,
    /// Changed.
    pub updated_at: i64,
    /// By whom.
    pub updated_by: String,
}

/// Storage of detection.
pub trait DetectionStore {
    /// Stores a new alert.
    fn create_alert(
        &self,
        alert: &AlertRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Alerts, newest first, optionally of one status, at most `limit`.
    fn alerts(
        &self,
        status: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AlertRecord>, StoreError>> + Send;
    /// One alert.
    fn alert(
        &self,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<AlertRecord>, StoreError>> + Send;
    /// Sets an alert's status (and, when given, its responses); false if there is no such alert.
    fn update_alert(
        &self,
        id: Uuid,
        status: &str,
        responses: Option<&str>,
        by: &str,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Adds a note.
    fn add_alert_note(
        &self,
        id: Uuid,
        note: &AlertNote,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// An alert's notes, oldest first.
    fn alert_notes(
        &self,
        id: Uuid,
    ) -> impl Future<Output = Result<Vec<AlertNote>, StoreError>> + Send;
    /// The changed and added rules.
    fn detection_rules(
        &self,
    ) -> impl Future<Output = Result<Vec<DetectionRuleRecord>, StoreError>> + Send;
    /// Stores a changed or added rule (replacing an earlier change of it).
    fn put_detection_rule(
        &self,
        rule: &DetectionRuleRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
