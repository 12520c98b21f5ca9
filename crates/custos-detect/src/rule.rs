//! Rule packs: the TOML format (see the crate docs for the reference), parsed and validated
//! into [`Rule`]s. Once a [`Rule`] exists it is valid: every field name is known, every
//! duration positive, every threshold reachable within the engine's per-group cap.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::duration::RuleDuration;
use crate::event::{DetectEvent, Field};

/// The rule file version this build reads.
pub const RULE_FORMAT_VERSION: i64 = 1;

/// The most events or values the engine remembers per group of a rule; thresholds, step
/// counts and ceilings above it could never be reached and are refused at load.
pub const MAX_GROUP_ENTRIES: u32 = 1024;

/// The most steps a sequence may have.
pub const MAX_STEPS: usize = 16;

/// The shipped rule pack, as text.
pub const SHIPPED_RULES: &str = include_str!("../rules/default.toml");

/// Why a rule pack or rule cannot be loaded or changed.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum RuleError {
    /// Not TOML, or not the shape of a rule file.
    #[error("rule file: {0}")]
    Syntax(String),
    /// `version` is missing or not one this build reads.
    #[error("rule file version {0} is not supported; this build reads version 1")]
    Version(i64),
    /// One rule is wrong; `field` is the key within the rule (`correlate.window`).
    #[error("rule `{rule}`: {field}: {problem}")]
    Invalid {
        /// The rule's id (or `?` when the id itself is missing).
        rule: String,
        /// The key within the rule.
        field: String,
        /// What is wrong, in a sentence without values from events.
        problem: String,
    },
    /// Two rules share an id.
    #[error("rule `{0}` is defined more than once")]
    DuplicateId(String),
    /// No rule has this id.
    #[error("no rule `{0}`")]
    UnknownRule(String),
}

/// A rule's id: 1 to 64 lower-case letters, digits, `-` and `_`, starting with a letter.
/// Fixture files and findings use it as is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RuleId(Box<str>);

impl RuleId {
    /// The id, if `text` is a valid one.
    pub fn parse(text: &str) -> Option<Self> {
        let mut bytes = text.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
        let rest_ok =
            bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        (first_ok && rest_ok && text.len() <= 64).then(|| Self(text.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Look today.
    Medium,
    /// Look now.
    High,
    /// Wake someone.
    Critical,
}

impl Severity {
    /// The name in rule files and findings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

/// Where a `notify` response sends its message (the server owns the transport and signing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A signed HTTP POST to the configured webhook.
    Webhook,
    /// Mail to the security officers.
    Email,
    /// A syslog message.
    Syslog,
}

/// What the server should do when a rule fires. The engine only names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Response {
    /// Record the finding and show it to security officers.
    Alert,
    /// Send the finding out on a channel.
    Notify {
        /// Which channel.
        channel: Channel,
    },
    /// Lock the finding's actor.
    LockAccount,
    /// End the finding's actor's sessions.
    EndSessions,
    /// Refuse the finding's source address for a while.
    BlockIp {
        /// For how long, in seconds.
        seconds: u64,
    },
    /// Ask the finding's actor for a fresh second factor before the next sensitive action.
    RequireStepUp,
}

impl Response {
    /// The name in rule files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::Notify { .. } => "notify",
            Self::LockAccount => "lock_account",
            Self::EndSessions => "end_sessions",
            Self::BlockIp { .. } => "block_ip",
            Self::RequireStepUp => "require_step_up",
        }
    }

    fn needs_actor(self) -> bool {
        matches!(
            self,
            Self::LockAccount | Self::EndSessions | Self::RequireStepUp
        )
    }
}

/// One test on one field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    Equals(Box<str>),
    NotEquals(Box<str>),
    In(Box<[Box<str>]>),
    NotIn(Box<[Box<str>]>),
    Prefix(Box<str>),
    NotPrefix(Box<str>),
    Exists(bool),
}

impl Test {
    /// Positive tests fail on a missing field; negations and `exists = false` pass.
    fn holds(&self, value: Option<&str>) -> bool {
        match (self, value) {
            (Self::Exists(want), v) => v.is_some() == *want,
            (Self::Equals(x), Some(v)) => **x == *v,
            (Self::In(xs), Some(v)) => xs.iter().any(|x| **x == *v),
            (Self::Prefix(p), Some(v)) => v.starts_with(&**p),
            (Self::NotEquals(x), Some(v)) => **x != *v,
            (Self::NotIn(xs), Some(v)) => !xs.iter().any(|x| **x == *v),
            (Self::NotPrefix(p), Some(v)) => !v.starts_with(&**p),
            (Self::Equals(_) | Self::In(_) | Self::Prefix(_), None) => false,
            (Self::NotEquals(_) | Self::NotIn(_) | Self::NotPrefix(_), None) => true,
        }
    }
}

/// One condition of a `match` table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Condition {
    Field { field: Field, test: Test },
    OutsideShift(bool),
}

/// All conditions of a `match` table; an empty one matches every event.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Matcher {
    conditions: Vec<Condition>,
}

impl Matcher {
    pub(crate) fn matches(&self, event: &DetectEvent) -> bool {
        self.conditions.iter().all(|c| match c {
            Condition::Field { field, test } => test.holds(event.value(field).as_deref()),
            Condition::OutsideShift(want) => event.outside_shift() == *want,
        })
    }

    pub(crate) fn uses_shift(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| matches!(c, Condition::OutsideShift(true)))
    }

    /// The actions this matcher can match, if it pins `action` to a list; the engine
    /// indexes rules by action so an event is only tested against rules that can match it.
    pub(crate) fn actions(&self) -> Option<Vec<&str>> {
        self.conditions.iter().find_map(|c| match c {
            Condition::Field {
                field: Field::Action,
                test: Test::Equals(a),
            } => Some(vec![&**a]),
            Condition::Field {
                field: Field::Action,
                test: Test::In(xs),
            } => Some(xs.iter().map(|x| &**x).collect()),
            _ => None,
        })
    }

    fn parse(rule: &str, at: &str, table: &toml::Table) -> Result<Self, RuleError> {
        let mut conditions = Vec::new();
        for (key, value) in table {
            let path = format!("{at}.{key}");
            if key == "outside_shift" {
                let toml::Value::Boolean(b) = value else {
                    return Err(invalid(rule, &path, "must be true or false"));
                };
                conditions.push(Condition::OutsideShift(*b));
                continue;
            }
            let field = Field::parse(key).ok_or_else(|| invalid(rule, &path, &unknown_field()))?;
            match value {
                toml::Value::String(s) => conditions.push(Condition::Field {
                    field,
                    test: Test::Equals(s.as_str().into()),
                }),
                toml::Value::Array(items) => conditions.push(Condition::Field {
                    field,
                    test: Test::In(strings(rule, &path, items)?),
                }),
                toml::Value::Table(ops) => {
                    if ops.is_empty() {
                        return Err(invalid(rule, &path, "an empty condition table"));
                    }
                    for (op, arg) in ops {
                        let op_path = format!("{path}.{op}");
                        let test = parse_test(rule, &op_path, op, arg)?;
                        conditions.push(Condition::Field {
                            field: field.clone(),
                            test,
                        });
                    }
                }
                _ => {
                    return Err(invalid(
                        rule,
                        &path,
                        "must be a string, a list of strings or a table of tests",
                    ));
                }
            }
        }
        Ok(Self { conditions })
    }
}

fn parse_test(rule: &str, path: &str, op: &str, arg: &toml::Value) -> Result<Test, RuleError> {
    let string = || match arg {
        toml::Value::String(s) => Ok(Box::<str>::from(s.as_str())),
        _ => Err(invalid(rule, path, "must be a string")),
    };
    let list = || match arg {
        toml::Value::Array(items) => strings(rule, path, items),
        _ => Err(invalid(rule, path, "must be a list of strings")),
    };
    Ok(match op {
        "eq" => Test::Equals(string()?),
        "not" => Test::NotEquals(string()?),
        "in" => Test::In(list()?),
        "not_in" => Test::NotIn(list()?),
        "prefix" => Test::Prefix(string()?),
        "not_prefix" => Test::NotPrefix(string()?),
        "exists" => match arg {
            toml::Value::Boolean(b) => Test::Exists(*b),
            _ => return Err(invalid(rule, path, "must be true or false")),
        },
        _ => {
            return Err(invalid(
                rule,
                path,
                "unknown test; use eq, not, in, not_in, prefix, not_prefix or exists",
            ));
        }
    })
}

fn strings(rule: &str, path: &str, items: &[toml::Value]) -> Result<Box<[Box<str>]>, RuleError> {
    if items.is_empty() {
        return Err(invalid(rule, path, "an empty list matches nothing"));
    }
    items
        .iter()
        .map(|v| match v {
            toml::Value::String(s) => Ok(Box::<str>::from(s.as_str())),
            _ => Err(invalid(rule, path, "must be a list of strings")),
        })
        .collect()
}

fn unknown_field() -> String {
    format!(
        "unknown field; use one of {}, details.<key> or outside_shift",
        Field::NAMES.join(", ")
    )
}

fn invalid(rule: &str, field: &str, problem: &str) -> RuleError {
    RuleError::Invalid {
        rule: rule.to_owned(),
        field: field.to_owned(),
        problem: problem.to_owned(),
    }
}

/// One step of a `sequence` correlation.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub(crate) matcher: Matcher,
    pub(crate) count: u32,
}

impl Step {
    /// How many matching events this step needs before the next step can start.
    pub fn count(&self) -> u32 {
        self.count
    }
}

/// How a rule turns matching events into findings.
#[derive(Debug, Clone, PartialEq)]
pub enum Correlation {
    /// Every matching event fires (`kind = "none"`); `group_by` only scopes `suppress`.
    Single {
        /// Fields that name a group for suppression.
        group_by: Vec<Field>,
    },
    /// At least `threshold` matching events of a group within `window`.
    EventCount {
        /// Fields that name a group.
        group_by: Vec<Field>,
        /// How far back events count.
        window: RuleDuration,
        /// How many.
        threshold: u32,
    },
    /// At least `threshold` distinct values of `field` in a group within `window`.
    ValueCount {
        /// Fields that name a group.
        group_by: Vec<Field>,
        /// How far back values count.
        window: RuleDuration,
        /// How many distinct values.
        threshold: u32,
        /// The field whose values are counted.
        field: Field,
    },
    /// The steps in order, each `count` times, within `window` of the first, in one group.
    Sequence {
        /// Fields that name a group.
        group_by: Vec<Field>,
        /// How long the whole sequence may take.
        window: RuleDuration,
        /// The steps, in order.
        steps: Vec<Step>,
    },
    /// A value of `field` the group has not shown within `window`, once the group has a
    /// history of at least `min_history` events over at least `learning`.
    NewValue {
        /// Fields that name a group.
        group_by: Vec<Field>,
        /// How long a seen value is remembered.
        window: RuleDuration,
        /// The field whose values are watched.
        field: Field,
        /// Earlier events the group needs before a new value fires.
        min_history: u32,
        /// How long the group must have been watched before a new value fires.
        learning: RuleDuration,
    },
    /// A group's distinct values of `field` within `window` compared with its peers'
    /// (the groups with the same `peer_by` value).
    PeerBaseline {
        /// Fields that name a group (usually `actor`).
        group_by: Vec<Field>,
        /// How far back values count.
        window: RuleDuration,
        /// The field whose distinct values are counted.
        field: Field,
        /// The field that makes groups peers (usually `actor_team`).
        peer_by: Field,
        /// No finding below this count, whatever the peers do.
        threshold: u32,
        /// Fires above `multiplier` × the peers' median.
        multiplier: f64,
        /// Peers with activity in the window needed for the comparison.
        min_peers: u32,
        /// Fires at or above this count regardless of peers.
        ceiling: Option<u32>,
    },
}

impl Correlation {
    /// The `kind` name in rule files.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Single { .. } => "none",
            Self::EventCount { .. } => "event_count",
            Self::ValueCount { .. } => "value_count",
            Self::Sequence { .. } => "sequence",
            Self::NewValue { .. } => "new_value",
            Self::PeerBaseline { .. } => "peer_baseline",
        }
    }

    /// The fields that name a group.
    pub fn group_by(&self) -> &[Field] {
        match self {
            Self::Single { group_by }
            | Self::EventCount { group_by, .. }
            | Self::ValueCount { group_by, .. }
            | Self::Sequence { group_by, .. }
            | Self::NewValue { group_by, .. }
            | Self::PeerBaseline { group_by, .. } => group_by,
        }
    }

    /// The window, for correlations that have one.
    pub fn window(&self) -> Option<RuleDuration> {
        match self {
            Self::Single { .. } => None,
            Self::EventCount { window, .. }
            | Self::ValueCount { window, .. }
            | Self::Sequence { window, .. }
            | Self::NewValue { window, .. }
            | Self::PeerBaseline { window, .. } => Some(*window),
        }
    }
}

/// One validated detection rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub(crate) id: RuleId,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) severity: Severity,
    pub(crate) enabled: bool,
    pub(crate) matcher: Matcher,
    pub(crate) correlation: Correlation,
    pub(crate) suppress: Option<RuleDuration>,
    pub(crate) responses: Vec<Response>,
}

impl Rule {
    /// Parses one rule written as a TOML document with the keys of a `[[rule]]` entry at
    /// the top level (what an administrator submits to add or tune a rule).
    pub fn parse_toml(text: &str) -> Result<Self, RuleError> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| RuleError::Syntax(e.message().to_owned()))?;
        Self::from_table(table)
    }

    fn from_table(table: toml::Table) -> Result<Self, RuleError> {
        let id_text = match table.get("id") {
            Some(toml::Value::String(s)) => s.clone(),
            _ => return Err(invalid("?", "id", "every rule needs an id string")),
        };
        let id = RuleId::parse(&id_text).ok_or_else(|| {
            invalid(
                &id_text,
                "id",
                "1 to 64 lower-case letters, digits, '-' or '_', starting with a letter",
            )
        })?;
        let raw = RawRule::read(&id_text, table)?;
        let rule = id.as_str();
        for (key, text) in [("title", &raw.title), ("description", &raw.description)] {
            if text.trim().is_empty() {
                return Err(invalid(rule, key, "must not be empty"));
            }
        }
        let matcher = Matcher::parse(rule, "match", &raw.matches)?;
        let correlation = match raw.correlate {
            None => Correlation::Single {
                group_by: Vec::new(),
            },
            Some(c) => RawCorrelate::read(rule, c)?.into_correlation(rule)?,
        };
        let suppress = raw
            .suppress
            .as_deref()
            .map(|s| RuleDuration::parse(s).map_err(|p| invalid(rule, "suppress", &p)))
            .transpose()?;
        if raw.responses.is_empty() {
            return Err(invalid(
                rule,
                "responses",
                "name at least one response, e.g. \"alert\"",
            ));
        }
        let mut responses = Vec::with_capacity(raw.responses.len());
        for (i, value) in raw.responses.iter().enumerate() {
            let path = format!("responses[{i}]");
            let response = parse_response(rule, &path, value)?;
            let single = matches!(correlation, Correlation::Single { .. });
            let groups = correlation.group_by();
            if response.needs_actor() && !single && !groups.contains(&Field::Actor) {
                return Err(invalid(
                    rule,
                    &path,
                    "acts on an account: group_by must include actor",
                ));
            }
            if matches!(response, Response::BlockIp { .. })
                && !single
                && !groups.contains(&Field::SourceIp)
            {
                return Err(invalid(
                    rule,
                    &path,
                    "blocks an address: group_by must include source_ip",
                ));
            }
            if responses.contains(&response) {
                return Err(invalid(rule, &path, "named twice"));
            }
            responses.push(response);
        }
        Ok(Self {
            id,
            title: raw.title,
            description: raw.description,
            severity: raw.severity,
            enabled: raw.enabled,
            matcher,
            correlation,
            suppress,
            responses,
        })
    }

    pub(crate) fn matcher_uses_shift(&self) -> bool {
        self.matcher.uses_shift()
    }

    /// The id.
    pub fn id(&self) -> &RuleId {
        &self.id
    }

    /// The title findings carry.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// What the rule looks for and why, for people.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The severity of its findings.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// Whether the engine runs it.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The correlation.
    pub fn correlation(&self) -> &Correlation {
        &self.correlation
    }

    /// The quiet period per group after a finding.
    pub fn suppress(&self) -> Option<RuleDuration> {
        self.suppress
    }

    /// What the server should do on a finding.
    pub fn responses(&self) -> &[Response] {
        &self.responses
    }
}

fn parse_response(rule: &str, path: &str, value: &toml::Value) -> Result<Response, RuleError> {
    let unknown = || {
        invalid(
            rule,
            path,
            "unknown response; use alert, notify, lock_account, end_sessions, block_ip or require_step_up",
        )
    };
    match value {
        toml::Value::String(name) => match name.as_str() {
            "alert" => Ok(Response::Alert),
            "lock_account" => Ok(Response::LockAccount),
            "end_sessions" => Ok(Response::EndSessions),
            "require_step_up" => Ok(Response::RequireStepUp),
            "notify" => Err(invalid(
                rule,
                path,
                "notify needs a channel: { action = \"notify\", channel = \"webhook\" }",
            )),
            "block_ip" => Err(invalid(
                rule,
                path,
                "block_ip needs a duration: { action = \"block_ip\", duration = \"1h\" }",
            )),
            _ => Err(unknown()),
        },
        toml::Value::Table(t) => {
            let raw = RawResponse::read(rule, path, t.clone())?;
            match (raw.action.as_str(), raw.channel, raw.duration) {
                ("notify", Some(channel), None) => Ok(Response::Notify {
                    channel: match channel.as_str() {
                        "webhook" => Channel::Webhook,
                        "email" => Channel::Email,
                        "syslog" => Channel::Syslog,
                        _ => {
                            return Err(invalid(
                                rule,
                                &format!("{path}.channel"),
                                "use webhook, email or syslog",
                            ));
                        }
                    },
                }),
                ("block_ip", None, Some(duration)) => {
                    let d = RuleDuration::parse(&duration)
                        .map_err(|p| invalid(rule, &format!("{path}.duration"), &p))?;
                    Ok(Response::BlockIp {
                        seconds: d.as_secs(),
                    })
                }
                ("notify", _, _) => Err(invalid(
                    rule,
                    path,
                    "notify takes a channel and nothing else",
                )),
                ("block_ip", _, _) => Err(invalid(
                    rule,
                    path,
                    "block_ip takes a duration and nothing else",
                )),
                ("alert" | "lock_account" | "end_sessions" | "require_step_up", None, None) => {
                    parse_response(rule, path, &toml::Value::String(raw.action))
                }
                ("alert" | "lock_account" | "end_sessions" | "require_step_up", _, _) => {
                    Err(invalid(rule, path, "this response takes no parameters"))
                }
                _ => Err(unknown()),
            }
        }
        _ => Err(unknown()),
    }
}

/// A rule pack: the rules of one file, ids unique.
#[derive(Debug, Clone, PartialEq)]
pub struct RulePack {
    rules: Vec<Rule>,
}

impl RulePack {
    /// Parses and validates a rule file.
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        let mut doc: toml::Table =
            toml::from_str(text).map_err(|e| RuleError::Syntax(e.message().to_owned()))?;
        let version = match doc.remove("version") {
            Some(toml::Value::Integer(v)) => v,
            Some(_) => return Err(RuleError::Syntax("`version` must be an integer".to_owned())),
            None => return Err(RuleError::Syntax("`version = 1` is missing".to_owned())),
        };
        if version != RULE_FORMAT_VERSION {
            return Err(RuleError::Version(version));
        }
        let entries = match doc.remove("rule") {
            Some(toml::Value::Array(entries)) => entries,
            Some(_) => {
                return Err(RuleError::Syntax(
                    "rules are written as [[rule]] tables".to_owned(),
                ));
            }
            None => Vec::new(),
        };
        if let Some(key) = doc.keys().next() {
            return Err(RuleError::Syntax(format!(
                "unknown key `{key}`; a rule file has `version` and [[rule]] entries"
            )));
        }
        let mut rules = Vec::with_capacity(entries.len());
        for entry in entries {
            let toml::Value::Table(table) = entry else {
                return Err(RuleError::Syntax(
                    "rules are written as [[rule]] tables".to_owned(),
                ));
            };
            rules.push(Rule::from_table(table)?);
        }
        Self::from_rules(rules)
    }

    /// The pack shipped with Custos (`rules/default.toml`).
    pub fn shipped() -> Result<Self, RuleError> {
        Self::parse(SHIPPED_RULES)
    }

    /// A pack of already-validated rules; ids must be unique.
    pub fn from_rules(rules: Vec<Rule>) -> Result<Self, RuleError> {
        let mut seen = HashSet::new();
        for rule in &rules {
            if !seen.insert(rule.id.clone()) {
                return Err(RuleError::DuplicateId(rule.id.to_string()));
            }
        }
        Ok(Self { rules })
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules, owned.
    pub fn into_rules(self) -> Vec<Rule> {
        self.rules
    }
}

/// The keys of one TOML table, taken one by one with their expected types, so every
/// error names the rule and the key; a key nobody takes is an error.
struct Keys<'a> {
    rule: &'a str,
    at: &'a str,
    table: toml::Table,
}

impl<'a> Keys<'a> {
    fn new(
        rule: &'a str,
        at: &'a str,
        table: toml::Table,
        allowed: &[&str],
    ) -> Result<Self, RuleError> {
        let keys = Self { rule, at, table };
        if let Some(key) = keys.table.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(invalid(
                rule,
                &keys.path(key),
                &format!("unknown key; expected one of {}", allowed.join(", ")),
            ));
        }
        Ok(keys)
    }

    fn path(&self, key: &str) -> String {
        if self.at.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.at)
        }
    }

    fn wrong(&self, key: &str, expected: &str) -> RuleError {
        invalid(self.rule, &self.path(key), &format!("must be {expected}"))
    }

    fn string(&mut self, key: &str) -> Result<Option<String>, RuleError> {
        match self.table.remove(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    fn required_string(&mut self, key: &str) -> Result<String, RuleError> {
        self.string(key)?
            .ok_or_else(|| invalid(self.rule, &self.path(key), "is required"))
    }

    fn int(&mut self, key: &str) -> Result<Option<i64>, RuleError> {
        match self.table.remove(key) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(i)),
            Some(_) => Err(self.wrong(key, "a whole number")),
        }
    }

    fn number(&mut self, key: &str) -> Result<Option<f64>, RuleError> {
        match self.table.remove(key) {
            None => Ok(None),
            Some(toml::Value::Float(f)) => Ok(Some(f)),
            Some(toml::Value::Integer(i)) => Ok(Some(i as f64)),
            Some(_) => Err(self.wrong(key, "a number")),
        }
    }

    fn boolean(&mut self, key: &str) -> Result<Option<bool>, RuleError> {
        match self.table.remove(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(b)),
            Some(_) => Err(self.wrong(key, "true or false")),
        }
    }

    fn table(&mut self, key: &str) -> Result<Option<toml::Table>, RuleError> {
        match self.table.remove(key) {
            None => Ok(None),
            Some(toml::Value::Table(t)) => Ok(Some(t)),
            Some(_) => Err(self.wrong(key, "a table")),
        }
    }

    fn array(&mut self, key: &str) -> Result<Option<Vec<toml::Value>>, RuleError> {
        match self.table.remove(key) {
            None => Ok(None),
            Some(toml::Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(self.wrong(key, "a list")),
        }
    }

    fn strings(&mut self, key: &str) -> Result<Option<Vec<String>>, RuleError> {
        let Some(items) = self.array(key)? else {
            return Ok(None);
        };
        items
            .into_iter()
            .map(|v| match v {
                toml::Value::String(s) => Ok(s),
                _ => Err(self.wrong(key, "a list of strings")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

struct RawRule {
    title: String,
    description: String,
    severity: Severity,
    enabled: bool,
    matches: toml::Table,
    correlate: Option<toml::Table>,
    suppress: Option<String>,
    responses: Vec<toml::Value>,
}

impl RawRule {
    fn read(rule: &str, table: toml::Table) -> Result<Self, RuleError> {
        let mut k = Keys::new(
            rule,
            "",
            table,
            &[
                "id",
                "title",
                "description",
                "severity",
                "enabled",
                "match",
                "correlate",
                "suppress",
                "responses",
            ],
        )?;
        let severity = match k.required_string("severity")?.as_str() {
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return Err(k.wrong("severity", "low, medium, high or critical")),
        };
        Ok(Self {
            title: k.required_string("title")?,
            description: k.required_string("description")?,
            severity,
            enabled: k.boolean("enabled")?.unwrap_or(true),
            matches: k.table("match")?.unwrap_or_default(),
            correlate: k.table("correlate")?,
            suppress: k.string("suppress")?,
            responses: k.array("responses")?.unwrap_or_default(),
        })
    }
}

struct RawResponse {
    action: String,
    channel: Option<String>,
    duration: Option<String>,
}

impl RawResponse {
    fn read(rule: &str, path: &str, table: toml::Table) -> Result<Self, RuleError> {
        let mut k = Keys::new(rule, path, table, &["action", "channel", "duration"])?;
        Ok(Self {
            action: k.required_string("action")?,
            channel: k.string("channel")?,
            duration: k.string("duration")?,
        })
    }
}

struct RawStep {
    matches: toml::Table,
    count: Option<i64>,
}

struct RawCorrelate {
    kind: String,
    group_by: Option<Vec<String>>,
    window: Option<String>,
    threshold: Option<i64>,
    field: Option<String>,
    steps: Option<Vec<RawStep>>,
    min_history: Option<i64>,
    learning: Option<String>,
    peer_by: Option<String>,
    multiplier: Option<f64>,
    min_peers: Option<i64>,
    ceiling: Option<i64>,
}

impl RawCorrelate {
    fn read(rule: &str, table: toml::Table) -> Result<Self, RuleError> {
        let mut k = Keys::new(
            rule,
            "correlate",
            table,
            &[
                "kind",
                "group_by",
                "window",
                "threshold",
                "field",
                "steps",
                "min_history",
                "learning",
                "peer_by",
                "multiplier",
                "min_peers",
                "ceiling",
            ],
        )?;
        let steps = match k.array("steps")? {
            None => None,
            Some(items) => {
                let mut steps = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let at = format!("correlate.steps[{i}]");
                    let toml::Value::Table(t) = item else {
                        return Err(invalid(
                            rule,
                            &at,
                            "must be a table { match = {...}, count = n }",
                        ));
                    };
                    let mut s = Keys::new(rule, &at, t, &["match", "count"])?;
                    steps.push(RawStep {
                        matches: s.table("match")?.unwrap_or_default(),
                        count: s.int("count")?,
                    });
                }
                Some(steps)
            }
        };
        Ok(Self {
            kind: k.required_string("kind")?,
            group_by: k.strings("group_by")?,
            window: k.string("window")?,
            threshold: k.int("threshold")?,
            field: k.string("field")?,
            steps,
            min_history: k.int("min_history")?,
            learning: k.string("learning")?,
            peer_by: k.string("peer_by")?,
            multiplier: k.number("multiplier")?,
            min_peers: k.int("min_peers")?,
            ceiling: k.int("ceiling")?,
        })
    }
}

impl RawCorrelate {
    fn into_correlation(self, rule: &str) -> Result<Correlation, RuleError> {
        let kind = self.kind.as_str();
        let allowed: &[&str] = match kind {
            "none" => &["group_by"],
            "event_count" => &["group_by", "window", "threshold"],
            "value_count" => &["group_by", "window", "threshold", "field"],
            "sequence" => &["group_by", "window", "steps"],
            "new_value" => &["group_by", "window", "field", "min_history", "learning"],
            "peer_baseline" => &[
                "group_by",
                "window",
                "field",
                "peer_by",
                "threshold",
                "multiplier",
                "min_peers",
                "ceiling",
            ],
            _ => {
                return Err(invalid(
                    rule,
                    "correlate.kind",
                    "use none, event_count, value_count, sequence, new_value or peer_baseline",
                ));
            }
        };
        let present = [
            ("group_by", self.group_by.is_some()),
            ("window", self.window.is_some()),
            ("threshold", self.threshold.is_some()),
            ("field", self.field.is_some()),
            ("steps", self.steps.is_some()),
            ("min_history", self.min_history.is_some()),
            ("learning", self.learning.is_some()),
            ("peer_by", self.peer_by.is_some()),
            ("multiplier", self.multiplier.is_some()),
            ("min_peers", self.min_peers.is_some()),
            ("ceiling", self.ceiling.is_some()),
        ];
        for (key, is_set) in present {
            if is_set && !allowed.contains(&key) {
                return Err(invalid(
                    rule,
                    &format!("correlate.{key}"),
                    &format!("does not apply to kind {kind}"),
                ));
            }
        }
        let group_by = self
            .group_by
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, name)| {
                Field::parse(name).ok_or_else(|| {
                    invalid(rule, &format!("correlate.group_by[{i}]"), &unknown_field())
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (i, f) in group_by.iter().enumerate() {
            if group_by[..i].contains(f) {
                return Err(invalid(
                    rule,
                    &format!("correlate.group_by[{i}]"),
                    "named twice",
                ));
            }
        }
        let window = || -> Result<RuleDuration, RuleError> {
            let text = self.window.as_deref().ok_or_else(|| {
                invalid(
                    rule,
                    "correlate.window",
                    &format!("kind {kind} needs a window"),
                )
            })?;
            RuleDuration::parse(text).map_err(|p| invalid(rule, "correlate.window", &p))
        };
        let count = |key: &str, value: Option<i64>, default: Option<u32>, min: u32| {
            let path = format!("correlate.{key}");
            match value {
                None => {
                    default.ok_or_else(|| invalid(rule, &path, &format!("kind {kind} needs {key}")))
                }
                Some(v) if v < i64::from(min) => {
                    Err(invalid(rule, &path, &format!("must be at least {min}")))
                }
                Some(v) if v > i64::from(MAX_GROUP_ENTRIES) => Err(invalid(
                    rule,
                    &path,
                    &format!("must be at most {MAX_GROUP_ENTRIES}, the events a group remembers"),
                )),
                Some(v) => u32::try_from(v).map_err(|_| invalid(rule, &path, "out of range")),
            }
        };
        let field = |key: &str, value: &Option<String>| {
            let path = format!("correlate.{key}");
            let name = value
                .as_deref()
                .ok_or_else(|| invalid(rule, &path, &format!("kind {kind} needs {key}")))?;
            Field::parse(name).ok_or_else(|| invalid(rule, &path, &unknown_field()))
        };
        let need_groups = |group_by: &Vec<Field>| {
            if group_by.is_empty() {
                Err(invalid(
                    rule,
                    "correlate.group_by",
                    &format!("kind {kind} needs at least one field to group by"),
                ))
            } else {
                Ok(())
            }
        };
        Ok(match kind {
            "none" => Correlation::Single { group_by },
            "event_count" => Correlation::EventCount {
                window: window()?,
                threshold: count("threshold", self.threshold, None, 1)?,
                group_by,
            },
            "value_count" => {
                let counted = field("field", &self.field)?;
                if group_by.contains(&counted) {
                    return Err(invalid(
                        rule,
                        "correlate.field",
                        "is also grouped by, so it has one value per group",
                    ));
                }
                Correlation::ValueCount {
                    window: window()?,
                    threshold: count("threshold", self.threshold, None, 1)?,
                    field: counted,
                    group_by,
                }
            }
            "sequence" => {
                let raw_steps = self.steps.unwrap_or_default();
                if raw_steps.len() < 2 || raw_steps.len() > MAX_STEPS {
                    return Err(invalid(
                        rule,
                        "correlate.steps",
                        &format!("a sequence has 2 to {MAX_STEPS} steps"),
                    ));
                }
                let mut steps = Vec::with_capacity(raw_steps.len());
                let mut total = 0_u32;
                for (i, s) in raw_steps.into_iter().enumerate() {
                    let at = format!("correlate.steps[{i}]");
                    let matcher = Matcher::parse(rule, &format!("{at}.match"), &s.matches)?;
                    let n = count(&format!("steps[{i}].count"), s.count, Some(1), 1)?;
                    total = total.saturating_add(n);
                    steps.push(Step { matcher, count: n });
                }
                if total > MAX_GROUP_ENTRIES {
                    return Err(invalid(
                        rule,
                        "correlate.steps",
                        &format!("the step counts add up to more than {MAX_GROUP_ENTRIES}"),
                    ));
                }
                Correlation::Sequence {
                    window: window()?,
                    steps,
                    group_by,
                }
            }
            "new_value" => {
                need_groups(&group_by)?;
                let watched = field("field", &self.field)?;
                let learning = match self.learning.as_deref() {
                    None => RuleDuration::minutes(24 * 60),
                    Some(text) => RuleDuration::parse(text)
                        .map_err(|p| invalid(rule, "correlate.learning", &p))?,
                };
                Correlation::NewValue {
                    window: window()?,
                    field: watched,
                    min_history: count("min_history", self.min_history, Some(5), 1)?,
                    learning,
                    group_by,
                }
            }
            _ => {
                // peer_baseline: the only kind left after the `allowed` match above.
                need_groups(&group_by)?;
                let multiplier = self.multiplier.unwrap_or(3.0);
                if !(multiplier.is_finite() && multiplier >= 1.0) {
                    return Err(invalid(
                        rule,
                        "correlate.multiplier",
                        "must be a number of at least 1",
                    ));
                }
                let peer_by = field("peer_by", &self.peer_by)?;
                if group_by.contains(&peer_by) {
                    return Err(invalid(
                        rule,
                        "correlate.peer_by",
                        "is also grouped by, so a group would have no peers",
                    ));
                }
                Correlation::PeerBaseline {
                    window: window()?,
                    field: field("field", &self.field)?,
                    peer_by,
                    threshold: count("threshold", self.threshold, Some(1), 1)?,
                    multiplier,
                    min_peers: count("min_peers", self.min_peers, Some(3), 1)?,
                    ceiling: self
                        .ceiling
                        .map(|c| count("ceiling", Some(c), None, 1))
                        .transpose()?,
                    group_by,
                }
            }
        })
    }
}
