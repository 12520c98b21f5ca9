//! Detection rules over the audit event stream. Pure: no I/O, no async, no clock; time
//! comes from the events.
//!
//! The server turns each audit record into a [`DetectEvent`] and feeds it to an
//! [`Engine`] built from a [`RulePack`]; [`Engine::observe`] returns the [`Finding`]s the
//! event completes, each naming the [`Response`]s the server should run (the engine runs
//! nothing itself).
//!
//! ```
//! use custos_detect::{DetectEvent, Engine, RulePack};
//! use time::OffsetDateTime;
//!
//! let mut engine = Engine::new(RulePack::shipped()?);
//! let mut findings = Vec::new();
//! for i in 0..10 {
//!     let at = OffsetDateTime::from_unix_timestamp(1_793_000_000 + i)?;
//!     let mut event = DetectEvent::new(at, "auth.password", "failure");
//!     event.seq = Some(i as u64);
//!     event.actor = Some("alice".to_owned());
//!     event.status = Some("invalid_credentials".to_owned());
//!     findings.extend(engine.observe(&event));
//! }
//! assert_eq!(findings[0].rule_id.as_str(), "brute-force-account");
//! assert_eq!(findings[0].actor.as_deref(), Some("alice"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Rule file format (version 1)
//!
//! A rule pack is a TOML file. Unknown keys are errors everywhere; every error names the
//! rule id and the key (`rule `brute-force-ip`: correlate.window: ...`).
//!
//! ```toml
//! version = 1
//!
//! [[rule]]
//! id = "brute-force-account"          # lower-case letters, digits, '-', '_'; unique
//! title = "Password guessing against one account"
//! description = "Why it matters and what to check."
//! severity = "high"                   # low | medium | high | critical
//! enabled = true                      # default true
//! suppress = "15m"                    # optional quiet period per group after a finding
//! responses = ["alert", "lock_account", { action = "notify", channel = "email" }]
//!
//! [rule.match]                        # all conditions must hold; empty matches everything
//! action = "auth.password"
//! outcome = "failure"
//! status = { in = ["invalid_credentials"] }
//! actor = { exists = true }
//!
//! [rule.correlate]                    # omitted: every matching event fires
//! kind = "event_count"
//! group_by = ["actor"]
//! window = "15m"
//! threshold = 10
//! ```
//!
//! ## Fields
//!
//! `action`, `outcome`, `actor`, `actor_role`, `actor_team`, `source_ip`, `device`,
//! `target_kind`, `target_id`, `target_field`, `status`, `details.<key>`, and the derived
//! `source_network` (the /24 of an IPv4 `source_ip`, the /48 of an IPv6 one). The values
//! are those of [`DetectEvent`]: audit action names such as `auth.password`,
//! `customer.reveal`; outcomes `success`, `failure`, `unknown`; status codes such as
//! `invalid_credentials`, `account_disabled`.
//!
//! ## Conditions (`match`, and each sequence step's `match`)
//!
//! | written as | holds when |
//! |---|---|
//! | `field = "x"` or `field = { eq = "x" }` | the field is `x` |
//! | `field = ["x", "y"]` or `field = { in = [...] }` | the field is one of them |
//! | `field = { prefix = "customer." }` | the field starts with it |
//! | `field = { not = "x" }`, `{ not_in = [...] }`, `{ not_prefix = "..." }` | the negation |
//! | `field = { exists = true }` / `false` | the event has / lacks the field |
//! | `outside_shift = true` | the event has a `shift` and its UTC time falls outside it |
//!
//! Positive tests fail on a missing field; negations pass on one. Several tests in one
//! table must all hold. An event without a shift is never outside it.
//!
//! ## Correlations (`[rule.correlate]`, `kind = ...`)
//!
//! Every kind but `none` needs a `window` (`30s`, `10m`, `12h`, `7d`; at most 400 days)
//! and counts per group: the values of the `group_by` fields. An event lacking a
//! `group_by` field is not counted by a correlation. Thresholds, step counts and
//! ceilings are at most [`MAX_GROUP_ENTRIES`], the events one group remembers.
//!
//! - `none`: every matching event fires. `group_by` is optional and only scopes `suppress`.
//! - `event_count`: `threshold` matching events of a group within `window`. The group's
//!   count starts again after a finding.
//! - `value_count`: `threshold` distinct values of `field` in a group within `window`
//!   (distinct accounts per source address, distinct customers per agent). Events
//!   without `field` are not counted. Starts again after a finding.
//! - `sequence`: `steps = [{ match = {...}, count = 5 }, { match = {...} }]`, 2 to 16
//!   steps, each `count` times (default 1), in this order, within `window`, in one
//!   group. Other events may come in between. The rule's own `match` applies to every
//!   step. Fires when an event of the last step completes the sequence; starts again after.
//! - `new_value`: a value of `field` the group has not shown within `window` (how long a
//!   value is remembered). To keep the first sign-in ever (or after a restart) quiet, the
//!   group must first have a history: at least `min_history` earlier events with the
//!   field (default 5) over at least `learning` since its first (default `1d`). A group
//!   whose values have all left the window learns again.
//! - `peer_baseline`: a group's distinct values of `field` within `window` compared with
//!   its peers, the groups with the same `peer_by` value (e.g. `actor_team`). Fires when
//!   the count reaches `ceiling` (optional) whatever the peers do, or when it exceeds
//!   `multiplier` (default 3) × the median of the peers' counts, given at least
//!   `min_peers` peers (default 3) with activity in the window. No finding below
//!   `threshold` (default 1). A group fires at most once per window (or per `suppress`,
//!   if longer).
//!
//! ## Responses
//!
//! `"alert"`, `"lock_account"`, `"end_sessions"`, `"require_step_up"`,
//! `{ action = "notify", channel = "webhook" | "email" | "syslog" }`,
//! `{ action = "block_ip", duration = "1h" }`. Responses on an account need `actor` in
//! `group_by` (or kind `none`: the event's actor); `block_ip` needs `source_ip` likewise.
//!
//! # State and time
//!
//! The engine's clock is the latest event time it has seen. Events may arrive out of
//! order by up to [`EngineLimits::max_skew`] (default 5 minutes); older ones still run
//! `none` rules but are not counted by correlations, and [`EngineStats::late_events`]
//! counts them. State is bounded: per rule at most
//! [`EngineLimits::max_groups_per_rule`] groups (the least recently seen are forgotten),
//! per group at most [`MAX_GROUP_ENTRIES`] events or values, and groups with nothing
//! left in their window or quiet period are swept as time advances. Values are held as
//! keyed hashes, not text. Changing a rule (enable, disable, replace) resets its state.

mod duration;
mod engine;
mod event;
mod rule;
mod window;

pub use duration::RuleDuration;
pub use engine::{Engine, EngineLimits, EngineStats, Finding, GroupValue};
pub use event::{DetectEvent, Field, Shift};
pub use rule::{
    Channel, Correlation, MAX_GROUP_ENTRIES, MAX_STEPS, RULE_FORMAT_VERSION, Response, Rule,
    RuleError, RuleId, RulePack, SHIPPED_RULES, Severity, Step,
};
