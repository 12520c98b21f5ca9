//! The engine: feeds each event to the rules that can match it, keeps each rule's
//! per-group state within fixed bounds, and returns findings.
//!
//! Time is the events' own: the engine keeps the latest event time it has seen (its
//! high-water mark) and expires state against it. An event older than the mark by more
//! than [`EngineLimits::max_skew`] is late: it still runs single-event rules but is not
//! counted by correlations, whose windows have moved on.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};

use serde::Serialize;
use time::OffsetDateTime;

use crate::duration::RuleDuration;
use crate::event::{DetectEvent, Field};
use crate::rule::{Correlation, Response, Rule, RuleError, RuleId, RulePack, Severity};
use crate::window::{DistinctWindow, Entry, EventWindow};

/// How much state the engine may keep and how much disorder it tolerates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineLimits {
    /// Groups remembered per rule; beyond it the least recently seen are forgotten.
    pub max_groups_per_rule: usize,
    /// Members remembered per peer group of a `peer_baseline` rule.
    pub max_peers: usize,
    /// How far behind the latest event an event may be and still be counted.
    pub max_skew: RuleDuration,
    /// Sequence numbers carried in one finding (the latest ones).
    pub max_finding_events: usize,
}

impl Default for EngineLimits {
    fn default() -> Self {
        Self {
            max_groups_per_rule: 10_000,
            max_peers: 1_000,
            max_skew: RuleDuration::minutes(5),
            max_finding_events: 50,
        }
    }
}

/// Counters of what the engine has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EngineStats {
    /// Events observed.
    pub events: u64,
    /// Events older than the skew allows, seen only by single-event rules.
    pub late_events: u64,
    /// Findings raised.
    pub findings: u64,
    /// Groups forgotten to stay within [`EngineLimits::max_groups_per_rule`].
    pub evicted_groups: u64,
}

/// One value of a finding's group key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupValue {
    /// The field's name (`actor`, `source_ip`, `details.action`).
    pub field: String,
    /// Its value in the group (`None` for a single-event rule's event without it).
    pub value: Option<String>,
}

/// A rule fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule.
    pub rule_id: RuleId,
    /// The rule's title.
    pub title: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The time of the event that completed the finding.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The group the finding is about, one value per `group_by` field.
    pub group: Vec<GroupValue>,
    /// The account the responses act on: the group's `actor`, or for a single-event
    /// rule the event's actor.
    pub actor: Option<String>,
    /// The address the responses act on: the group's `source_ip`, or for a single-event
    /// rule the event's address.
    pub source_ip: Option<String>,
    /// What the server should do.
    pub responses: Vec<Response>,
    /// One sentence for people: counts, field names, usernames, addresses and ids only.
    pub summary: String,
    /// Sequence numbers of the contributing events, oldest first, at most
    /// [`EngineLimits::max_finding_events`] (the latest).
    pub events: Vec<u64>,
}

/// Per-group memory of a rule, by kind.
#[derive(Debug)]
enum GroupData {
    Single,
    Events(EventWindow),
    Values(DistinctWindow),
    Sequence(EventWindow),
    NewValue {
        /// Value hash → latest time seen.
        seen: HashMap<u64, i64>,
        first_time: i64,
        history: u32,
    },
    Peer {
        values: DistinctWindow,
        peer: Option<u64>,
    },
}

#[derive(Debug)]
struct Group {
    key: Box<[Option<Box<str>>]>,
    last_touch: u64,
    last_time: i64,
    quiet_until: i64,
    data: GroupData,
}

/// A rule and what it remembers.
#[derive(Debug)]
struct RuleSlot {
    rule: Rule,
    state: RuleState,
}

impl RuleSlot {
    fn new(rule: Rule) -> Self {
        Self {
            rule,
            state: RuleState::default(),
        }
    }

    /// How long a group is worth keeping after its last event.
    fn retention_ms(&self) -> i64 {
        let window = self
            .rule
            .correlation
            .window()
            .map_or(0, RuleDuration::as_millis);
        let quiet = self.rule.suppress.map_or(0, RuleDuration::as_millis);
        window.max(quiet)
    }
}

/// The groups of one rule.
#[derive(Debug, Default)]
struct RuleState {
    groups: HashMap<u64, Group>,
    /// Peer key hash → member group hashes (`peer_baseline` only).
    peers: HashMap<u64, Vec<u64>>,
    tick: u64,
}

impl RuleState {
    fn remove_group(&mut self, hash: u64) {
        if let Some(Group {
            data: GroupData::Peer {
                peer: Some(peer), ..
            },
            ..
        }) = self.groups.remove(&hash)
        {
            self.leave_peers(peer, hash);
        }
    }

    fn leave_peers(&mut self, peer: u64, hash: u64) {
        if let Some(members) = self.peers.get_mut(&peer) {
            if let Some(pos) = members.iter().position(|m| *m == hash) {
                members.swap_remove(pos);
            }
            if members.is_empty() {
                self.peers.remove(&peer);
            }
        }
    }

    /// Forgets groups with nothing left in their window or quiet period.
    fn sweep(&mut self, now: i64, retention_ms: i64) {
        let keep_from = now.saturating_sub(retention_ms);
        let dead: Vec<u64> = self
            .groups
            .iter()
            .filter(|(_, g)| g.last_time < keep_from)
            .map(|(h, _)| *h)
            .collect();
        for hash in dead {
            self.remove_group(hash);
        }
    }

    /// Makes room for one more group: first the dead, then the least recently seen eighth.
    /// Returns how many live groups were forgotten.
    fn make_room(&mut self, now: i64, retention_ms: i64, cap: usize) -> u64 {
        self.sweep(now, retention_ms);
        if self.groups.len() < cap {
            return 0;
        }
        let mut touches: Vec<(u64, u64)> = self
            .groups
            .iter()
            .map(|(h, g)| (g.last_touch, *h))
            .collect();
        let evict = (cap / 8).max(1).min(touches.len());
        touches.select_nth_unstable(evict - 1);
        for (_, hash) in &touches[..evict] {
            self.remove_group(*hash);
        }
        evict as u64
    }
}

/// The detection engine: a rule pack and its bounded state.
#[derive(Debug)]
pub struct Engine {
    slots: Vec<RuleSlot>,
    /// Action → indexes of the enabled rules that pin `action` to it.
    by_action: HashMap<Box<str>, Vec<usize>>,
    /// Indexes of enabled rules that match any action.
    any_action: Vec<usize>,
    hasher: RandomState,
    limits: EngineLimits,
    high_water: Option<i64>,
    next_sweep: i64,
    stats: EngineStats,
}

/// How often, in event time, every rule's dead groups are swept.
const SWEEP_EVERY_MS: i64 = 60_000;

impl Engine {
    /// An engine running `pack` with the default limits.
    pub fn new(pack: RulePack) -> Self {
        Self::with_limits(pack, EngineLimits::default())
    }

    /// An engine running `pack` within `limits` (a zero cap counts as one).
    pub fn with_limits(pack: RulePack, limits: EngineLimits) -> Self {
        let limits = EngineLimits {
            max_groups_per_rule: limits.max_groups_per_rule.max(1),
            max_peers: limits.max_peers.max(1),
            max_finding_events: limits.max_finding_events,
            max_skew: limits.max_skew,
        };
        let mut engine = Self {
            slots: pack.into_rules().into_iter().map(RuleSlot::new).collect(),
            by_action: HashMap::new(),
            any_action: Vec::new(),
            hasher: RandomState::new(),
            limits,
            high_water: None,
            next_sweep: i64::MIN,
            stats: EngineStats::default(),
        };
        engine.index();
        engine
    }

    fn index(&mut self) {
        self.by_action.clear();
        self.any_action.clear();
        for (i, slot) in self.slots.iter().enumerate() {
            if !slot.rule.enabled {
                continue;
            }
            match slot.rule.matcher.actions() {
                Some(actions) => {
                    for action in actions {
                        let list = self.by_action.entry(action.into()).or_default();
                        if !list.contains(&i) {
                            list.push(i);
                        }
                    }
                }
                None => self.any_action.push(i),
            }
        }
    }

    /// The rules, in order.
    pub fn rules(&self) -> impl ExactSizeIterator<Item = &Rule> {
        self.slots.iter().map(|s| &s.rule)
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.slots
            .iter()
            .find(|s| s.rule.id.as_str() == id)
            .map(|s| &s.rule)
    }

    fn slot_index(&self, id: &str) -> Result<usize, RuleError> {
        self.slots
            .iter()
            .position(|s| s.rule.id.as_str() == id)
            .ok_or_else(|| RuleError::UnknownRule(id.to_owned()))
    }

    /// Turns a rule on or off; its state starts afresh.
    pub fn set_enabled(&mut self, id: &str, enabled: bool) -> Result<(), RuleError> {
        let i = self.slot_index(id)?;
        let slot = &mut self.slots[i];
        slot.rule.enabled = enabled;
        slot.state = RuleState::default();
        self.index();
        Ok(())
    }

    /// Replaces the rule with the same id (tuning); its state starts afresh.
    pub fn replace_rule(&mut self, rule: Rule) -> Result<(), RuleError> {
        let i = self.slot_index(rule.id.as_str())?;
        self.slots[i] = RuleSlot::new(rule);
        self.index();
        Ok(())
    }

    /// Adds a rule with a new id.
    pub fn add_rule(&mut self, rule: Rule) -> Result<(), RuleError> {
        if self.rule(rule.id.as_str()).is_some() {
            return Err(RuleError::DuplicateId(rule.id.to_string()));
        }
        self.slots.push(RuleSlot::new(rule));
        self.index();
        Ok(())
    }

    /// Removes a rule and its state.
    pub fn remove_rule(&mut self, id: &str) -> Result<Rule, RuleError> {
        let i = self.slot_index(id)?;
        let slot = self.slots.remove(i);
        self.index();
        Ok(slot.rule)
    }

    /// What the engine has done so far.
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// How many groups a rule currently remembers.
    pub fn group_count(&self, id: &str) -> Option<usize> {
        self.slots
            .iter()
            .find(|s| s.rule.id.as_str() == id)
            .map(|s| s.state.groups.len())
    }

    /// Feeds one event to every enabled rule that can match it; returns the findings.
    pub fn observe(&mut self, event: &DetectEvent) -> Vec<Finding> {
        let mut findings = Vec::new();
        self.observe_into(event, &mut findings);
        findings
    }

    /// As [`Engine::observe`], appending to `findings` (no allocation when nothing fires).
    pub fn observe_into(&mut self, event: &DetectEvent, findings: &mut Vec<Finding>) {
        self.stats.events += 1;
        let time = event.time_ms();
        let now = self.high_water.map_or(time, |hw| hw.max(time));
        self.high_water = Some(now);
        let late = time < now.saturating_sub(self.limits.max_skew.as_millis());
        if late {
            self.stats.late_events += 1;
        }
        if now >= self.next_sweep {
            for slot in &mut self.slots {
                let retention = slot.retention_ms();
                slot.state.sweep(now, retention);
            }
            self.next_sweep = now.saturating_add(SWEEP_EVERY_MS);
        }
        let indexed = self
            .by_action
            .get(event.action.as_str())
            .map_or(&[][..], Vec::as_slice);
        let before = findings.len();
        for &i in indexed.iter().chain(self.any_action.iter()) {
            let Some(slot) = self.slots.get_mut(i) else {
                continue;
            };
            if late && !matches!(slot.rule.correlation, Correlation::Single { .. }) {
                continue;
            }
            if !slot.rule.matcher.matches(event) {
                continue;
            }
            let mut ctx = Context {
                hasher: &self.hasher,
                limits: &self.limits,
                stats: &mut self.stats,
                event,
                time,
                now,
            };
            if let Some(finding) = ctx.run(slot) {
                findings.push(finding);
            }
        }
        self.stats.findings += (findings.len() - before) as u64;
    }
}

/// One event's pass through one rule.
struct Context<'a> {
    hasher: &'a RandomState,
    limits: &'a EngineLimits,
    stats: &'a mut EngineStats,
    event: &'a DetectEvent,
    /// The event's time.
    time: i64,
    /// The engine's high-water mark.
    now: i64,
}

impl Context<'_> {
    fn hash_str(&self, s: &str) -> u64 {
        self.hasher.hash_one(s)
    }

    /// The group key's hash, or `None` when a correlation's event lacks a group field.
    fn group_hash(&self, group_by: &[Field], single: bool) -> Option<u64> {
        let mut h = self.hasher.build_hasher();
        for field in group_by {
            match self.event.value(field) {
                Some(v) => {
                    1_u8.hash(&mut h);
                    v.hash(&mut h);
                }
                None if single => 0_u8.hash(&mut h),
                None => return None,
            }
        }
        Some(h.finish())
    }

    fn same_key(&self, group_by: &[Field], key: &[Option<Box<str>>]) -> bool {
        group_by
            .iter()
            .zip(key)
            .all(|(f, k)| self.event.value(f).as_deref() == k.as_deref())
    }

    fn new_data(&self, correlation: &Correlation) -> GroupData {
        match correlation {
            Correlation::Single { .. } => GroupData::Single,
            Correlation::EventCount { .. } => GroupData::Events(EventWindow::default()),
            Correlation::ValueCount { .. } => GroupData::Values(DistinctWindow::default()),
            Correlation::Sequence { .. } => GroupData::Sequence(EventWindow::default()),
            Correlation::NewValue { .. } => GroupData::NewValue {
                seen: HashMap::new(),
                first_time: self.time,
                history: 0,
            },
            Correlation::PeerBaseline { .. } => GroupData::Peer {
                values: DistinctWindow::default(),
                peer: None,
            },
        }
    }

    fn run(&mut self, slot: &mut RuleSlot) -> Option<Finding> {
        let retention = slot.retention_ms();
        let rule = &slot.rule;
        let state = &mut slot.state;
        let correlation = &rule.correlation;
        let single = matches!(correlation, Correlation::Single { .. });
        // A single-event rule without suppression needs no memory at all.
        if single && rule.suppress.is_none() {
            return Some(self.finding(rule, None, self.single_summary(rule), self.own_seq()));
        }
        // Steps this event matches, before any state is touched.
        let mut step_mask = 0_u64;
        if let Correlation::Sequence { steps, .. } = correlation {
            for (i, step) in steps.iter().enumerate() {
                if step.matcher.matches(self.event) {
                    step_mask |= 1 << i;
                }
            }
            if step_mask == 0 {
                return None;
            }
        }
        // The counted or watched value, for the kinds that have one.
        let value = match correlation {
            Correlation::ValueCount { field, .. }
            | Correlation::NewValue { field, .. }
            | Correlation::PeerBaseline { field, .. } => {
                Some(self.hash_str(&self.event.value(field)?))
            }
            _ => None,
        };
        let group_by = correlation.group_by();
        let hash = self.group_hash(group_by, single)?;
        state.tick += 1;
        let tick = state.tick;
        let found = state
            .groups
            .get(&hash)
            .map(|g| self.same_key(group_by, &g.key));
        if found == Some(false) {
            // A 64-bit keyed-hash collision: the newcomer takes the slot.
            state.remove_group(hash);
        }
        if found != Some(true) {
            let cap = self.limits.max_groups_per_rule;
            if state.groups.len() >= cap {
                self.stats.evicted_groups += state.make_room(self.now, retention, cap);
            }
            let key = group_by
                .iter()
                .map(|f| self.event.value(f).map(|v| Box::<str>::from(&*v)))
                .collect();
            state.groups.insert(
                hash,
                Group {
                    key,
                    last_touch: tick,
                    last_time: self.time,
                    quiet_until: i64::MIN,
                    data: self.new_data(correlation),
                },
            );
        }
        // Peer membership is kept outside the group, so settle it first.
        if let Correlation::PeerBaseline { peer_by, .. } = correlation {
            let peer = self.event.value(peer_by).map(|p| self.hash_str(&p));
            let old = match state.groups.get_mut(&hash) {
                Some(Group {
                    data: GroupData::Peer { peer: current, .. },
                    ..
                }) if *current != peer => Some(std::mem::replace(current, peer)),
                _ => None,
            };
            if let Some(old) = old {
                if let Some(old) = old {
                    state.leave_peers(old, hash);
                }
                if let Some(new) = peer {
                    let members = state.peers.entry(new).or_default();
                    if members.len() < self.limits.max_peers {
                        members.push(hash);
                    }
                }
            }
        }
        let (summary, events) = self.update(rule, state, hash, tick, value, step_mask)?;
        let group = state.groups.get_mut(&hash)?;
        let quiet = match (correlation, rule.suppress) {
            // A peer outlier stays one for the window: one finding per window at most.
            (Correlation::PeerBaseline { window, .. }, s) => {
                Some(s.map_or(*window, |s| s.max(*window)))
            }
            (_, s) => s,
        };
        if self.now < group.quiet_until {
            return None;
        }
        if let Some(q) = quiet {
            group.quiet_until = self.now.saturating_add(q.as_millis());
        }
        Some(self.finding(rule, Some(&group.key), summary, events))
    }

    /// Records the event in its group; returns the summary and contributing events if the
    /// rule's condition is now met.
    fn update(
        &mut self,
        rule: &Rule,
        state: &mut RuleState,
        hash: u64,
        tick: u64,
        value: Option<u64>,
        step_mask: u64,
    ) -> Option<(String, Vec<u64>)> {
        let max_events = self.limits.max_finding_events;
        let entry = Entry {
            time: self.time,
            value: value.unwrap_or(step_mask),
            seq: self.event.seq,
        };
        let window_ms = rule.correlation.window().map_or(0, RuleDuration::as_millis);
        let cutoff = self.now.saturating_sub(window_ms);
        if let Correlation::PeerBaseline { .. } = rule.correlation {
            return self.update_peer(rule, state, hash, tick, entry, cutoff);
        }
        let group = state.groups.get_mut(&hash)?;
        group.last_touch = tick;
        group.last_time = group.last_time.max(self.time);
        // Built only for a finding: most events fire nothing.
        let label = || group_label(rule.correlation.group_by(), &group.key);
        match (&rule.correlation, &mut group.data) {
            (Correlation::Single { .. }, GroupData::Single) => {
                Some((self.single_summary(rule), self.own_seq()))
            }
            (
                Correlation::EventCount {
                    window, threshold, ..
                },
                GroupData::Events(w),
            ) => {
                w.expire(cutoff, |_| ());
                w.push(entry, |_| ());
                if w.len() < *threshold as usize {
                    return None;
                }
                let summary = format!(
                    "{} matching events within {window} for {}",
                    w.len(),
                    label()
                );
                let events = w.last_seqs(max_events);
                w.clear();
                Some((summary, events))
            }
            (
                Correlation::ValueCount {
                    window,
                    threshold,
                    field,
                    ..
                },
                GroupData::Values(w),
            ) => {
                w.expire(cutoff);
                w.push(entry);
                if w.distinct() < *threshold as usize {
                    return None;
                }
                let summary = format!(
                    "{} distinct {field} values within {window} for {}",
                    w.distinct(),
                    label()
                );
                let events = w.events().last_seqs(max_events);
                w.clear();
                Some((summary, events))
            }
            (Correlation::Sequence { window, steps, .. }, GroupData::Sequence(w)) => {
                w.expire(cutoff, |_| ());
                w.push(entry, |_| ());
                let last = 1_u64 << (steps.len() - 1);
                if step_mask & last == 0 {
                    return None;
                }
                // Earliest-first greedy matching finds the steps in order if any order does.
                let mut step = 0;
                let mut have = 0;
                let mut seqs = Vec::new();
                for e in w.iter() {
                    if e.value & (1 << step) == 0 {
                        continue;
                    }
                    seqs.extend(e.seq);
                    have += 1;
                    if have == steps[step].count {
                        step += 1;
                        have = 0;
                        if step == steps.len() {
                            break;
                        }
                    }
                }
                if step < steps.len() {
                    return None;
                }
                w.clear();
                let skip = seqs.len().saturating_sub(max_events);
                let summary = format!(
                    "{} steps in order within {window} for {}",
                    steps.len(),
                    label()
                );
                Some((summary, seqs.split_off(skip)))
            }
            (
                Correlation::NewValue {
                    window,
                    field,
                    min_history,
                    learning,
                    ..
                },
                GroupData::NewValue {
                    seen,
                    first_time,
                    history,
                },
            ) => {
                let v = value?;
                seen.retain(|_, t| *t >= cutoff);
                if seen.is_empty() {
                    // Nothing remembered: the group learns again from here.
                    *first_time = self.time;
                    *history = 0;
                }
                let is_new = !seen.contains_key(&v);
                let learned = *history >= *min_history
                    && self.time.saturating_sub(*first_time) >= learning.as_millis();
                let known = seen.len();
                if is_new
                    && seen.len() >= crate::rule::MAX_GROUP_ENTRIES as usize
                    && let Some(oldest) = seen.iter().min_by_key(|(_, t)| **t).map(|(k, _)| *k)
                {
                    seen.remove(&oldest);
                }
                let t = seen.entry(v).or_insert(self.time);
                *t = (*t).max(self.time);
                let earlier = *history;
                *history = history.saturating_add(1);
                if !(is_new && learned) {
                    return None;
                }
                let shown = if field.printable() {
                    self.event
                        .value(field)
                        .map(|v| format!(" {v}"))
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                let summary = format!(
                    "new {field}{shown} for {}, unlike the {known} seen within {window} over {earlier} earlier events",
                    label()
                );
                Some((summary, self.own_seq()))
            }
            // A group's data always has its rule's kind: rules are replaced with their state.
            _ => None,
        }
    }

    /// The `peer_baseline` part of [`Context::update`]: the peers are only consulted when
    /// this group's count grew past the threshold.
    fn update_peer(
        &mut self,
        rule: &Rule,
        state: &mut RuleState,
        hash: u64,
        tick: u64,
        entry: Entry,
        cutoff: i64,
    ) -> Option<(String, Vec<u64>)> {
        let Correlation::PeerBaseline {
            window,
            field,
            threshold,
            multiplier,
            min_peers,
            ceiling,
            group_by,
            ..
        } = &rule.correlation
        else {
            return None;
        };
        let (count, events, label) = {
            let group = state.groups.get_mut(&hash)?;
            group.last_touch = tick;
            group.last_time = group.last_time.max(self.time);
            let GroupData::Peer { values, .. } = &mut group.data else {
                return None;
            };
            values.expire(cutoff);
            let grew = values.push(entry);
            let count = values.distinct();
            if !grew || count < *threshold as usize {
                return None;
            }
            let events = values.events().last_seqs(self.limits.max_finding_events);
            (count, events, group_label(group_by, &group.key))
        };
        if let Some(c) = ceiling
            && count >= *c as usize
        {
            let summary = format!(
                "{count} distinct {field} within {window} for {label}, at or above the ceiling of {c}"
            );
            return Some((summary, events));
        }
        let mut counts = peer_counts(state, hash, cutoff);
        if counts.len() < *min_peers as usize {
            return None;
        }
        let median = median(&mut counts);
        if (count as f64) <= multiplier * median {
            return None;
        }
        let summary = format!(
            "{count} distinct {field} within {window} for {label}, above {multiplier} x the median of {median} over {} peers",
            counts.len()
        );
        Some((summary, events))
    }

    fn own_seq(&self) -> Vec<u64> {
        self.event.seq.into_iter().collect()
    }

    fn single_summary(&self, rule: &Rule) -> String {
        let e = self.event;
        let mut s = format!("{} {}", e.action, e.outcome);
        if let Some(status) = &e.status {
            let _ = write!(s, " ({status})");
        }
        for (name, value) in [
            ("actor", &e.actor),
            ("source_ip", &e.source_ip),
            ("target_kind", &e.target_kind),
            ("target_id", &e.target_id),
            ("target_field", &e.target_field),
        ] {
            if let Some(v) = value {
                let _ = write!(s, " {name}={v}");
            }
        }
        if rule.matcher_uses_shift() {
            s.push_str(" outside the actor's shift");
        }
        s
    }

    fn finding(
        &self,
        rule: &Rule,
        key: Option<&[Option<Box<str>>]>,
        summary: String,
        events: Vec<u64>,
    ) -> Finding {
        let group_by = rule.correlation.group_by();
        let group: Vec<GroupValue> = match key {
            Some(key) => group_by
                .iter()
                .zip(key)
                .map(|(f, v)| GroupValue {
                    field: f.name().into_owned(),
                    value: v.as_deref().map(str::to_owned),
                })
                .collect(),
            None => group_by
                .iter()
                .map(|f| GroupValue {
                    field: f.name().into_owned(),
                    value: self.event.value(f).map(|v| v.into_owned()),
                })
                .collect(),
        };
        let single = matches!(rule.correlation, Correlation::Single { .. });
        let pick = |field: Field, own: &Option<String>| {
            let name = field.name();
            group
                .iter()
                .find(|g| g.field == name)
                .and_then(|g| g.value.clone())
                .or_else(|| if single { own.clone() } else { None })
        };
        Finding {
            rule_id: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            time: self.event.time,
            actor: pick(Field::Actor, &self.event.actor),
            source_ip: pick(Field::SourceIp, &self.event.source_ip),
            group,
            responses: rule.responses.clone(),
            summary,
            events,
        }
    }
}

/// The distinct counts of a group's peers with activity in the window.
fn peer_counts(state: &mut RuleState, hash: u64, cutoff: i64) -> Vec<usize> {
    let peer = match state.groups.get(&hash) {
        Some(Group {
            data: GroupData::Peer { peer: Some(p), .. },
            ..
        }) => *p,
        _ => return Vec::new(),
    };
    let Some(members) = state.peers.get(&peer) else {
        return Vec::new();
    };
    let mut counts = Vec::with_capacity(members.len());
    for member in members {
        if *member == hash {
            continue;
        }
        if let Some(Group {
            data: GroupData::Peer { values, .. },
            ..
        }) = state.groups.get_mut(member)
        {
            values.expire(cutoff);
            if values.distinct() > 0 {
                counts.push(values.distinct());
            }
        }
    }
    counts
}

/// `actor=alice source_ip=203.0.113.7`, with `details.*` values withheld.
fn group_label(group_by: &[Field], key: &[Option<Box<str>>]) -> String {
    let mut s = String::new();
    for (field, value) in group_by.iter().zip(key) {
        if !s.is_empty() {
            s.push(' ');
        }
        match value {
            Some(v) if field.printable() => {
                let _ = write!(s, "{field}={v}");
            }
            Some(_) => {
                let _ = write!(s, "{field}=(withheld)");
            }
            None => {
                let _ = write!(s, "{field}=(none)");
            }
        }
    }
    if s.is_empty() {
        s.push_str("all events");
    }
    s
}

/// The median of `counts` (not empty), averaging the middle two of an even count.
fn median(counts: &mut [usize]) -> f64 {
    counts.sort_unstable();
    let mid = counts.len() / 2;
    match counts.len() {
        0 => 0.0,
        n if n % 2 == 1 => counts[mid] as f64,
        _ => (counts[mid - 1] + counts[mid]) as f64 / 2.0,
    }
}
