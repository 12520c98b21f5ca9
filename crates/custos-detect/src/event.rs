//! The input of the engine: one audit event, flattened into the fields rules can name.
//!
//! A [`DetectEvent`] is built by the caller from an audit record (the server maps
//! `custos_audit::AuditEvent` onto it) or read from JSON in fixtures. It carries no
//! customer value: ids, names of fields and stable codes only.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One audit event as the detection engine sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectEvent {
    /// When it happened (RFC 3339 in JSON). The engine's only clock.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The caller's sequence number of the event (the audit trail's `seq`), carried into
    /// [`Finding::events`](crate::Finding::events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The audit action name, e.g. `auth.password`, `customer.reveal`.
    pub action: String,
    /// `success`, `failure` or `unknown`.
    pub outcome: String,
    /// The username or service-token name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The actor's role at the time (`agent`, `supervisor`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_role: Option<String>,
    /// The actor's team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_team: Option<String>,
    /// The source address, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// The registered device id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The kind of the affected resource (`customer`, `session`, `audit_sink`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_kind: Option<String>,
    /// The id of the affected resource, never a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// The field concerned, by name (`ssn`, `card_number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_field: Option<String>,
    /// The outcome's stable code (`invalid_credentials`, `account_disabled`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Further names and codes recorded with the event.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
    /// The actor's working hours, for `outside_shift` conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<Shift>,
}

impl DetectEvent {
    /// An event with the given time, action and outcome and nothing else.
    pub fn new(time: OffsetDateTime, action: &str, outcome: &str) -> Self {
        Self {
            time,
            seq: None,
            action: action.to_owned(),
            outcome: outcome.to_owned(),
            actor: None,
            actor_role: None,
            actor_team: None,
            source_ip: None,
            device: None,
            target_kind: None,
            target_id: None,
            target_field: None,
            status: None,
            details: BTreeMap::new(),
            shift: None,
        }
    }

    /// The value of `field` in this event, if it has one.
    pub fn value(&self, field: &Field) -> Option<Cow<'_, str>> {
        fn borrowed(v: &Option<String>) -> Option<Cow<'_, str>> {
            v.as_deref().map(Cow::Borrowed)
        }
        match field {
            Field::Action => Some(Cow::Borrowed(&self.action)),
            Field::Outcome => Some(Cow::Borrowed(&self.outcome)),
            Field::Actor => borrowed(&self.actor),
            Field::ActorRole => borrowed(&self.actor_role),
            Field::ActorTeam => borrowed(&self.actor_team),
            Field::SourceIp => borrowed(&self.source_ip),
            Field::SourceNetwork => self
                .source_ip
                .as_deref()
                .and_then(network_of)
                .map(Cow::Owned),
            Field::Device => borrowed(&self.device),
            Field::TargetKind => borrowed(&self.target_kind),
            Field::TargetId => borrowed(&self.target_id),
            Field::TargetField => borrowed(&self.target_field),
            Field::Status => borrowed(&self.status),
            Field::Detail(key) => self.details.get(&**key).map(|v| Cow::Borrowed(v.as_str())),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub(crate) fn time_ms(&self) -> i64 {
        self.time.unix_timestamp() * 1000 + i64::from(self.time.millisecond())
    }

    /// True when the event has a shift and its time (in UTC) falls outside it.
    pub(crate) fn outside_shift(&self) -> bool {
        let Some(shift) = self.shift else {
            return false;
        };
        let utc = self.time.to_offset(time::UtcOffset::UTC);
        let minute = u16::from(utc.hour()) * 60 + u16::from(utc.minute());
        !shift.contains(minute)
    }
}

/// The network of an address: the /24 of an IPv4 address, the /48 of an IPv6 one.
fn network_of(ip: &str) -> Option<String> {
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}.0/24"))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
    }
}

/// A field of [`DetectEvent`] a rule can name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// `action`
    Action,
    /// `outcome`
    Outcome,
    /// `actor`
    Actor,
    /// `actor_role`
    ActorRole,
    /// `actor_team`
    ActorTeam,
    /// `source_ip`
    SourceIp,
    /// `source_network`: derived from `source_ip`, its /24 (IPv4) or /48 (IPv6).
    SourceNetwork,
    /// `device`
    Device,
    /// `target_kind`
    TargetKind,
    /// `target_id`
    TargetId,
    /// `target_field`
    TargetField,
    /// `status`
    Status,
    /// `details.<key>`
    Detail(Box<str>),
}

impl Field {
    /// The names of the fixed fields, in the order of the docs.
    pub const NAMES: [&'static str; 12] = [
        "action",
        "outcome",
        "actor",
        "actor_role",
        "actor_team",
        "source_ip",
        "source_network",
        "device",
        "target_kind",
        "target_id",
        "target_field",
        "status",
    ];

    /// The field called `name`, or `None` for an unknown name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "action" => Self::Action,
            "outcome" => Self::Outcome,
            "actor" => Self::Actor,
            "actor_role" => Self::ActorRole,
            "actor_team" => Self::ActorTeam,
            "source_ip" => Self::SourceIp,
            "source_network" => Self::SourceNetwork,
            "device" => Self::Device,
            "target_kind" => Self::TargetKind,
            "target_id" => Self::TargetId,
            "target_field" => Self::TargetField,
            "status" => Self::Status,
            other => {
                let key = other.strip_prefix("details.")?;
                let valid = !key.is_empty()
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
                if !valid {
                    return None;
                }
                Self::Detail(key.into())
            }
        })
    }

    /// The name rules use.
    pub fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::Action => "action",
            Self::Outcome => "outcome",
            Self::Actor => "actor",
            Self::ActorRole => "actor_role",
            Self::ActorTeam => "actor_team",
            Self::SourceIp => "source_ip",
            Self::SourceNetwork => "source_network",
            Self::Device => "device",
            Self::TargetKind => "target_kind",
            Self::TargetId => "target_id",
            Self::TargetField => "target_field",
            Self::Status => "status",
            Self::Detail(key) => return Cow::Owned(format!("details.{key}")),
        })
    }

    /// Whether a value of this field may appear in a finding's summary: every fixed
    /// field holds names, ids and codes; `details.*` may hold anything the caller put there.
    pub(crate) fn printable(&self) -> bool {
        !matches!(self, Self::Detail(_))
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Working hours in UTC, `{"start": "08:00", "end": "17:00"}`; a shift may wrap
/// midnight (`22:00`–`06:00`). Start and end equal means on shift all day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawShift", into = "RawShift")]
pub struct Shift {
    start: u16,
    end: u16,
}

impl Shift {
    /// A shift from `start` to `end`, in minutes of the UTC day (0..1440).
    pub fn new(start: u16, end: u16) -> Option<Self> {
        (start < 1440 && end < 1440).then_some(Self { start, end })
    }

    /// Whether `minute` of the UTC day is inside the shift (start inclusive, end exclusive).
    pub fn contains(&self, minute: u16) -> bool {
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Equal => true,
            std::cmp::Ordering::Less => self.start <= minute && minute < self.end,
            std::cmp::Ordering::Greater => minute >= self.start || minute < self.end,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShift {
    start: String,
    end: String,
}

impl TryFrom<RawShift> for Shift {
    type Error = String;

    fn try_from(raw: RawShift) -> Result<Self, Self::Error> {
        let start = minute_of_day(&raw.start)?;
        let end = minute_of_day(&raw.end)?;
        Shift::new(start, end).ok_or_else(|| "shift times must be within the day".to_owned())
    }
}

impl From<Shift> for RawShift {
    fn from(shift: Shift) -> Self {
        let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        Self {
            start: hhmm(shift.start),
            end: hhmm(shift.end),
        }
    }
}

/// `HH:MM` as minutes since midnight.
fn minute_of_day(text: &str) -> Result<u16, String> {
    let bad = || format!("shift time `{text}` is not HH:MM (00:00 to 23:59)");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn shifts_wrap_midnight() {
        let day = Shift::new(8 * 60, 17 * 60).unwrap();
        assert!(day.contains(8 * 60));
        assert!(!day.contains(17 * 60));
        assert!(!day.contains(3 * 60));
        let night = Shift::new(22 * 60, 6 * 60).unwrap();
        assert!(night.contains(23 * 60));
        assert!(night.contains(60));
        assert!(!night.contains(12 * 60));
        assert!(Shift::new(0, 0).unwrap().contains(700));
    }

    #[test]
    fn shift_text_is_checked() {
        let ok: Shift = serde_json::from_str(r#"{"start":"22:00","end":"06:30"}"#).unwrap();
        assert_eq!(ok, Shift::new(1320, 390).unwrap());
        for bad in [
            r#"{"start":"24:00","end":"06:00"}"#,
            r#"{"start":"8:00","end":"17:00"}"#,
        ] {
            assert!(serde_json::from_str::<Shift>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn networks_of_addresses() {
        assert_eq!(network_of("203.0.113.77").unwrap(), "203.0.113.0/24");
        assert_eq!(network_of("2001:db8:5:1::9").unwrap(), "2001:db8:5::/48");
        assert_eq!(network_of("not an address"), None);
    }

    #[test]
    fn field_names_round_trip() {
        for name in Field::NAMES {
            assert_eq!(Field::parse(name).unwrap().name(), name);
        }
        assert_eq!(
            Field::parse("details.action").unwrap(),
            Field::Detail("action".into())
        );
        assert_eq!(Field::parse("details."), None);
        assert_eq!(Field::parse("time"), None);
    }
}
