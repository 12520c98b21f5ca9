//! The one audit event type, shaped after OCSF 1.3, and its versioned stored form.
//!
//! An event says who (actor: person or service, session, device, address), did
//! what (an OCSF class and activity plus our stable `action` name), to which
//! resource (target kind, id and field name), when, with what outcome, and for
//! reveals why. It never holds a value: no secret, no token, no customer data.
//! Field names and masked forms only; the callers' tests prove it with canaries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The OCSF class and activity of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Authentication (3002): sign-in.
    Logon,
    /// Authentication (3002): sign-out or session end.
    Logoff,
    /// Authentication (3002): a second factor.
    MfaCheck,
    /// Account Change (3001): an account created.
    AccountCreate,
    /// Account Change (3001): an account enabled.
    AccountEnable,
    /// Account Change (3001): password changed.
    PasswordChange,
    /// Account Change (3001): credentials reset by someone else.
    PasswordReset,
    /// Account Change (3001): an account disabled.
    AccountDisable,
    /// Account Change (3001): an account deleted.
    AccountDelete,
    /// Account Change (3001): a role or policy attached.
    AttachPolicy,
    /// Account Change (3001): a role or policy detached.
    DetachPolicy,
    /// Account Change (3001): an account locked.
    AccountLock,
    /// Account Change (3001): an account unlocked.
    AccountUnlock,
    /// Account Change (3001): an MFA factor enrolled.
    MfaEnable,
    /// Account Change (3001): an MFA factor removed.
    MfaDisable,
    /// API Activity (6003): create.
    ApiCreate,
    /// API Activity (6003): read.
    ApiRead,
    /// API Activity (6003): update.
    ApiUpdate,
    /// API Activity (6003): delete.
    ApiDelete,
    /// Datastore Activity (6005): a protected value decrypted (reveal, detokenize).
    Decrypt,
    /// Datastore Activity (6005): records read in bulk (export).
    DatastoreRead,
    /// Datastore Activity (6005): data destroyed (crypto-shredding).
    DatastoreDelete,
    /// Entity Management (3004): a managed entity (policy, key, config, device, rule) created.
    EntityCreate,
    /// Entity Management (3004): a managed entity read.
    EntityRead,
    /// Entity Management (3004): a managed entity updated (rotation, change).
    EntityUpdate,
    /// Entity Management (3004): a managed entity deleted.
    EntityDelete,
    /// Detection Finding (2004): a finding raised.
    FindingCreate,
    /// Detection Finding (2004): a finding updated (acknowledged, response taken).
    FindingUpdate,
    /// Detection Finding (2004): a finding closed.
    FindingClose,
    /// Application Lifecycle (6002): started.
    AppStart,
    /// Application Lifecycle (6002): stopped.
    AppStop,
}

/// OCSF identifiers of an [`Activity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OcsfClass {
    /// `class_uid`
    pub class_uid: u32,
    /// `class_name`
    pub class_name: &'static str,
    /// `category_uid`
    pub category_uid: u32,
    /// `category_name`
    pub category_name: &'static str,
    /// `activity_id`
    pub activity_id: u32,
    /// `activity_name`
    pub activity_name: &'static str,
}

impl Activity {
    /// Every activity, for tests and documentation.
    pub const ALL: [Activity; 31] = [
        Self::Logon,
        Self::Logoff,
        Self::MfaCheck,
        Self::AccountCreate,
        Self::AccountEnable,
        Self::PasswordChange,
        Self::PasswordReset,
        Self::AccountDisable,
        Self::AccountDelete,
        Self::AttachPolicy,
        Self::DetachPolicy,
        Self::AccountLock,
        Self::AccountUnlock,
        Self::MfaEnable,
        Self::MfaDisable,
        Self::ApiCreate,
        Self::ApiRead,
        Self::ApiUpdate,
        Self::ApiDelete,
        Self::Decrypt,
        Self::DatastoreRead,
        Self::DatastoreDelete,
        Self::EntityCreate,
        Self::EntityRead,
        Self::EntityUpdate,
        Self::EntityDelete,
        Self::FindingCreate,
        Self::FindingUpdate,
        Self::FindingClose,
        Self::AppStart,
        Self::AppStop,
    ];

    /// The OCSF class and activity identifiers.
    pub fn ocsf(self) -> OcsfClass {
        const IAM: (u32, &str) = (3, "Identity & Access Management");
        const APP: (u32, &str) = (6, "Application Activity");
        const FINDINGS: (u32, &str) = (2, "Findings");
        let (class_uid, class_name, category, activity_id, activity_name) = match self {
            Self::Logon => (3002, "Authentication", IAM, 1, "Logon"),
            Self::Logoff => (3002, "Authentication", IAM, 2, "Logoff"),
            Self::MfaCheck => (3002, "Authentication", IAM, 99, "Other"),
            Self::AccountCreate => (3001, "Account Change", IAM, 1, "Create"),
            Self::AccountEnable => (3001, "Account Change", IAM, 2, "Enable"),
            Self::PasswordChange => (3001, "Account Change", IAM, 3, "Password Change"),
            Self::PasswordReset => (3001, "Account Change", IAM, 4, "Password Reset"),
            Self::AccountDisable => (3001, "Account Change", IAM, 5, "Disable"),
            Self::AccountDelete => (3001, "Account Change", IAM, 6, "Delete"),
            Self::AttachPolicy => (3001, "Account Change", IAM, 7, "Attach Policy"),
            Self::DetachPolicy => (3001, "Account Change", IAM, 8, "Detach Policy"),
            Self::AccountLock => (3001, "Account Change", IAM, 9, "Lock"),
            Self::AccountUnlock => (3001, "Account Change", IAM, 12, "Unlock"),
            Self::MfaEnable => (3001, "Account Change", IAM, 10, "MFA Factor Enable"),
            Self::MfaDisable => (3001, "Account Change", IAM, 11, "MFA Factor Disable"),
            Self::ApiCreate => (6003, "API Activity", APP, 1, "Create"),
            Self::ApiRead => (6003, "API Activity", APP, 2, "Read"),
            Self::ApiUpdate => (6003, "API Activity", APP, 3, "Update"),
            Self::ApiDelete => (6003, "API Activity", APP, 4, "Delete"),
            Self::Decrypt => (6005, "Datastore Activity", APP, 10, "Decrypt"),
            Self::DatastoreRead => (6005, "Datastore Activity", APP, 1, "Read"),
            Self::DatastoreDelete => (6005, "Datastore Activity", APP, 7, "Delete"),
            Self::EntityCreate => (3004, "Entity Management", IAM, 1, "Create"),
            Self::EntityRead => (3004, "Entity Management", IAM, 2, "Read"),
            Self::EntityUpdate => (3004, "Entity Management", IAM, 3, "Update"),
            Self::EntityDelete => (3004, "Entity Management", IAM, 4, "Delete"),
            Self::FindingCreate => (2004, "Detection Finding", FINDINGS, 1, "Create"),
            Self::FindingUpdate => (2004, "Detection Finding", FINDINGS, 2, "Update"),
            Self::FindingClose => (2004, "Detection Finding", FINDINGS, 3, "Close"),
            Self::AppStart => (6002, "Application Lifecycle", APP, 3, "Start"),
            Self::AppStop => (6002, "Application Lifecycle", APP, 4, "Stop"),
        };
        OcsfClass {
            class_uid,
            class_name,
            category_uid: category.0,
            category_name: category.1,
            activity_id,
            activity_name,
        }
    }

    /// The pair stored with each event.
    fn ids(self) -> (u32, u32) {
        let o = self.ocsf();
        (o.class_uid, o.activity_id)
    }

    fn from_ids(class_uid: u32, activity_id: u32) -> Option<Self> {
        // Several activities may share OCSF ids (MfaCheck is "Other"); the stored
        // action name disambiguates, so the first match is only a fallback.
        Self::ALL
            .into_iter()
            .find(|a| a.ids() == (class_uid, activity_id))
    }
}

/// Success, failure or unknown (OCSF `status_id` 1, 2, 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was refused or failed.
    Failure,
    /// Not known at the time of recording.
    Unknown,
}

impl Outcome {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Unknown => "unknown",
        }
    }

    /// OCSF `status_id`.
    pub fn status_id(self) -> u32 {
        match self {
            Self::Success => 1,
            Self::Failure => 2,
            Self::Unknown => 0,
        }
    }
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A signed-in person (or one trying to sign in).
    Person,
    /// An integration's service token.
    Service,
    /// Custos itself (start, stop, automatic responses).
    System,
    /// Nobody identified yet (an unknown username, a bad token).
    Anonymous,
}

/// The actor of an event (PCI DSS 10.2.2: user identification, origination).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// What kind of actor.
    pub kind: ActorKind,
    /// Username or service-token name as given; never a password or token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Stable id of the account or token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Role at the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Public id of the session (not its token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Registered device id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Source address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

impl Actor {
    /// Custos itself.
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            name: Some("custos".to_owned()),
            uid: None,
            role: None,
            session: None,
            device: None,
            ip: None,
        }
    }

    /// The name shown in filters and exports.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(match self.kind {
            ActorKind::System => "custos",
            _ => "anonymous",
        })
    }
}

/// The affected resource (PCI DSS 10.2.2: identity of the affected data or resource).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// `customer`, `user`, `session`, `audit_trail`, `policy`, `key`, `config`, …
    pub kind: String,
    /// Its id, never a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The field concerned, by name (`ssn`, `card`), for reveals and reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The reason stated for a reveal or an override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// A code from the configured list.
    pub code: String,
    /// Free text as typed, after redaction by the caller.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// One audit event before it is sealed into the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When it happened, milliseconds since the Unix epoch (UTC).
    pub time_ms: i64,
    /// OCSF class and activity.
    pub activity: Activity,
    /// Our stable name for what happened, e.g. `auth.sign_in`, `customer.reveal`.
    pub action: String,
    /// Success or failure.
    pub outcome: Outcome,
    /// A stable code explaining the outcome, e.g. `invalid_credentials`.
    pub status_detail: Option<String>,
    /// Who.
    pub actor: Actor,
    /// What it was done to.
    pub target: Option<Target>,
    /// Why, for reveals.
    pub reason: Option<Reason>,
    /// A sentence for people, without values.
    pub message: String,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Further names and masked forms (`decision: deny`, `policy: agent-needs-interaction`).
    pub details: BTreeMap<String, String>,
}

/// Why an event cannot be recorded or read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EventError {
    /// The action name is empty or not `lower_snake.dotted`.
    #[error("audit action names are lower-case words joined by '.' or '_'")]
    BadAction,
    /// The stored bytes are not a version this build reads.
    #[error("unreadable stored audit event: {0}")]
    Unreadable(String),
}

impl AuditEvent {
    /// A new event with no target, reason or details.
    pub fn new(
        time_ms: i64,
        activity: Activity,
        action: &str,
        outcome: Outcome,
        actor: Actor,
        message: &str,
    ) -> Self {
        Self {
            time_ms,
            activity,
            action: action.to_owned(),
            outcome,
            status_detail: None,
            actor,
            target: None,
            reason: None,
            message: message.to_owned(),
            request_id: None,
            details: BTreeMap::new(),
        }
    }

    /// Sets the target.
    #[must_use]
    pub fn with_target(mut self, kind: &str, id: Option<&str>, field: Option<&str>) -> Self {
        self.target = Some(Target {
            kind: kind.to_owned(),
            id: id.map(str::to_owned),
            field: field.map(str::to_owned),
        });
        self
    }

    /// Adds a detail.
    #[must_use]
    pub fn with_detail(mut self, key: &str, value: &str) -> Self {
        self.details.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Sets the outcome's code.
    #[must_use]
    pub fn with_status_detail(mut self, code: &str) -> Self {
        self.status_detail = Some(code.to_owned());
        self
    }

    /// Sets the stated reason.
    #[must_use]
    pub fn with_reason(mut self, code: &str, text: &str) -> Self {
        self.reason = Some(Reason {
            code: code.to_owned(),
            text: text.to_owned(),
        });
        self
    }

    /// Sets the request id.
    #[must_use]
    pub fn with_request_id(mut self, request_id: Option<&str>) -> Self {
        self.request_id = request_id.map(str::to_owned);
        self
    }

    /// The stored form (version 1). Checks the action name.
    pub fn to_stored(&self) -> Result<StoredEventV1, EventError> {
        self.clone().into_stored()
    }

    /// [`Self::to_stored`], moving the event's values instead of copying them.
    pub fn into_stored(self) -> Result<StoredEventV1, EventError> {
        let valid = !self.action.is_empty()
            && self
                .action
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
        if !valid {
            return Err(EventError::BadAction);
        }
        let (class_uid, activity_id) = self.activity.ids();
        Ok(StoredEventV1 {
            v: 1,
            time_ms: self.time_ms,
            class_uid,
            activity_id,
            action: self.action,
            outcome: self.outcome,
            status_detail: self.status_detail,
            actor: self.actor,
            target: self.target,
            reason: self.reason,
            message: self.message,
            request_id: self.request_id,
            details: self.details,
        })
    }
}

/// Version 1 of the stored event: the exact JSON written as an entry's payload.
/// Field order is fixed by this struct and `details` is sorted, so the encoding
/// is deterministic; the chain hashes the stored bytes themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredEventV1 {
    /// Format version: 1.
    pub v: u8,
    /// Milliseconds since the epoch.
    pub time_ms: i64,
    /// OCSF class.
    pub class_uid: u32,
    /// OCSF activity.
    pub activity_id: u32,
    /// Stable action name.
    pub action: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Outcome code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    /// Actor.
    pub actor: Actor,
    /// Target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// Reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Message.
    pub message: String,
    /// Request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Details.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
}

impl StoredEventV1 {
    /// The payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing plain structs, strings and a BTreeMap cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads payload bytes.
    pub fn decode(payload: &[u8]) -> Result<Self, EventError> {
        let event: Self =
            serde_json::from_slice(payload).map_err(|e| EventError::Unreadable(e.to_string()))?;
        if event.v != 1 {
            return Err(EventError::Unreadable(format!("version {}", event.v)));
        }
        Ok(event)
    }

    /// The activity, where this build knows it.
    pub fn activity(&self) -> Option<Activity> {
        Activity::from_ids(self.class_uid, self.activity_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips_and_is_deterministic() {
        let event = AuditEvent::new(
            1_800_000_000_123,
            Activity::Decrypt,
            "customer.reveal",
            Outcome::Success,
            Actor {
                kind: ActorKind::Person,
                name: Some("alice".into()),
                uid: Some("u-1".into()),
                role: Some("agent".into()),
                session: Some("s-1".into()),
                device: None,
                ip: Some("10.0.0.7".into()),
            },
            "Revealed a field",
        )
        .with_target("customer", Some("c-9"), Some("ssn"))
        .with_reason("customer_request", "caller asked")
        .with_detail("b", "2")
        .with_detail("a", "1");
        let stored = event.to_stored().unwrap();
        let bytes = stored.encode();
        assert_eq!(bytes, event.to_stored().unwrap().encode());
        assert_eq!(StoredEventV1::decode(&bytes).unwrap(), stored);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap());
        assert_eq!(stored.activity(), Some(Activity::Decrypt));
    }

    #[test]
    fn action_names_are_checked() {
        let event = AuditEvent::new(
            0,
            Activity::ApiRead,
            "Bad Name",
            Outcome::Success,
            Actor::system(),
            "",
        );
        assert_eq!(event.to_stored(), Err(EventError::BadAction));
    }

    #[test]
    fn unknown_versions_and_fields_are_refused() {
        assert!(StoredEventV1::decode(br#"{"v":2}"#).is_err());
        let ok = AuditEvent::new(
            0,
            Activity::AppStart,
            "server.start",
            Outcome::Success,
            Actor::system(),
            "",
        )
        .to_stored()
        .unwrap()
        .encode();
        let mut extra = String::from_utf8(ok).unwrap();
        extra.insert_str(1, "\"x\":1,");
        assert!(StoredEventV1::decode(extra.as_bytes()).is_err());
    }

    #[test]
    fn every_activity_has_ocsf_ids() {
        for activity in Activity::ALL {
            let o = activity.ocsf();
            assert!(o.class_uid > 1000 && o.activity_id > 0, "{activity:?}");
        }
    }
}
