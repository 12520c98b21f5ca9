//! Engine behaviour: suppression, windows, skew, bounded state, rule administration and
//! each correlation kind's edges.

use custos_detect::{
    DetectEvent, Engine, EngineLimits, Response, Rule, RuleDuration, RuleError, RulePack,
};

use crate::support::{at, engine_with, event, replay, wrong_password};

const THREE_IN_TEN: &str = r#"
id = "three"
title = "Three failures"
description = "Three wrong passwords for one account in ten minutes."
severity = "medium"
responses = ["alert", "lock_account"]
[match]
action = "auth.password"
outcome = "failure"
[correlate]
kind = "event_count"
group_by = ["actor"]
window = "10m"
threshold = 3
"#;

fn with_seq(mut e: DetectEvent, seq: u64) -> DetectEvent {
    e.seq = Some(seq);
    e
}

#[test]
fn event_count_fires_at_the_threshold_with_its_events() {
    let mut engine = engine_with(THREE_IN_TEN);
    let events: Vec<_> = (0..3)
        .map(|i| {
            with_seq(
                wrong_password(i * 60, "alice", "198.51.100.1"),
                10 + i as u64,
            )
        })
        .collect();
    let findings = replay(&mut engine, &events[..2]);
    assert!(findings.is_empty());
    let findings = engine.observe(&events[2]);
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.rule_id.as_str(), "three");
    assert_eq!(f.actor.as_deref(), Some("alice"));
    // Grouped by actor only: the address is not the finding's to act on.
    assert_eq!(f.source_ip, None);
    assert_eq!(f.group[0].field, "actor");
    assert_eq!(f.group[0].value.as_deref(), Some("alice"));
    assert_eq!(f.events, vec![10, 11, 12]);
    assert_eq!(f.responses, vec![Response::Alert, Response::LockAccount]);
    assert_eq!(f.time, at(120));
    assert_eq!(f.summary, "3 matching events within 10m for actor=alice");
    // The count starts again after a finding.
    assert!(
        engine
            .observe(&wrong_password(200, "alice", "198.51.100.1"))
            .is_empty()
    );
}

#[test]
fn groups_are_counted_apart() {
    let mut engine = engine_with(THREE_IN_TEN);
    let mut events = Vec::new();
    for i in 0..2 {
        events.push(wrong_password(i, "alice", "198.51.100.1"));
        events.push(wrong_password(i, "bob", "198.51.100.1"));
    }
    assert!(replay(&mut engine, &events).is_empty());
    // An event without the group field is not counted at all.
    let mut anonymous = wrong_password(5, "x", "198.51.100.1");
    anonymous.actor = None;
    assert!(engine.observe(&anonymous).is_empty());
    assert_eq!(engine.group_count("three"), Some(2));
}

#[test]
fn events_leave_the_window() {
    let mut engine = engine_with(THREE_IN_TEN);
    let early = [
        wrong_password(0, "alice", "a"),
        wrong_password(60, "alice", "a"),
    ];
    assert!(replay(&mut engine, &early).is_empty());
    // Ten minutes and a second after the first: only the second is still in the window.
    assert!(
        engine
            .observe(&wrong_password(601, "alice", "a"))
            .is_empty()
    );
    assert_eq!(engine.observe(&wrong_password(602, "alice", "a")).len(), 1);
}

#[test]
fn suppression_silences_a_group_for_its_quiet_period() {
    let rule = THREE_IN_TEN.replace("severity", "suppress = \"30m\"\nseverity");
    let mut engine = engine_with(&rule);
    let burst = |start: i64, actor: &str| -> Vec<DetectEvent> {
        (0..3)
            .map(|i| wrong_password(start + i, actor, "a"))
            .collect()
    };
    assert_eq!(replay(&mut engine, &burst(0, "alice")).len(), 1);
    // Within 30 minutes: bursts are swallowed for alice, not for bob.
    assert!(replay(&mut engine, &burst(300, "alice")).is_empty());
    assert!(replay(&mut engine, &burst(1500, "alice")).is_empty());
    assert_eq!(replay(&mut engine, &burst(1500, "bob")).len(), 1);
    // After it, alice's next burst fires again.
    assert_eq!(replay(&mut engine, &burst(1803, "alice")).len(), 1);
}

#[test]
fn out_of_order_events_within_the_skew_count_and_late_ones_do_not() {
    let mut engine = engine_with(THREE_IN_TEN);
    assert!(
        engine
            .observe(&wrong_password(1000, "alice", "a"))
            .is_empty()
    );
    // Two minutes earlier than the latest event seen: within the 5-minute skew.
    assert!(
        engine
            .observe(&wrong_password(880, "alice", "a"))
            .is_empty()
    );
    // Six minutes earlier: late, not counted.
    assert!(
        engine
            .observe(&wrong_password(640, "alice", "a"))
            .is_empty()
    );
    assert_eq!(engine.stats().late_events, 1);
    assert_eq!(engine.observe(&wrong_password(1001, "alice", "a")).len(), 1);
}

#[test]
fn late_events_still_run_single_event_rules() {
    let mut pack = RulePack::shipped().unwrap().into_rules();
    pack.retain(|r| r.id().as_str() == "audit-verification-failed");
    let mut engine = Engine::new(RulePack::from_rules(pack).unwrap());
    engine.observe(&DetectEvent::new(at(10_000), "server.start", "success"));
    let late = DetectEvent::new(at(0), "audit.verify", "failure");
    assert_eq!(engine.observe(&late).len(), 1);
    assert_eq!(engine.stats().late_events, 1);
}

#[test]
fn the_skew_is_configurable() {
    let limits = EngineLimits {
        max_skew: RuleDuration::parse("30s").unwrap(),
        ..EngineLimits::default()
    };
    let rule = Rule::parse_toml(THREE_IN_TEN).unwrap();
    let mut engine = Engine::with_limits(RulePack::from_rules(vec![rule]).unwrap(), limits);
    engine.observe(&wrong_password(100, "alice", "a"));
    engine.observe(&wrong_password(60, "alice", "a"));
    assert_eq!(engine.stats().late_events, 1);
}

#[test]
fn many_groups_stay_within_the_cap() {
    let limits = EngineLimits {
        max_groups_per_rule: 100,
        ..EngineLimits::default()
    };
    let rule = Rule::parse_toml(THREE_IN_TEN).unwrap();
    let mut engine = Engine::with_limits(RulePack::from_rules(vec![rule]).unwrap(), limits);
    for i in 0..10_000 {
        engine.observe(&wrong_password(i / 100, &format!("user{i}"), "a"));
        assert!(engine.group_count("three").unwrap() <= 100);
    }
    assert!(engine.stats().evicted_groups >= 9_900);
    // The most recent groups survive eviction: user9999 fires after two more failures.
    engine.observe(&wrong_password(101, "user9999", "a"));
    assert_eq!(
        engine.observe(&wrong_password(102, "user9999", "a")).len(),
        1
    );
}

#[test]
fn idle_groups_are_swept_as_time_advances() {
    let mut engine = engine_with(THREE_IN_TEN);
    for i in 0..500 {
        engine.observe(&wrong_password(i, &format!("user{i}"), "a"));
    }
    assert_eq!(engine.group_count("three"), Some(500));
    // An hour later every group's window is empty; the sweep forgets them.
    engine.observe(&wrong_password(3600, "late", "a"));
    assert_eq!(engine.group_count("three"), Some(1));
    assert_eq!(engine.stats().evicted_groups, 0);
}

#[test]
fn a_finding_carries_at_most_the_latest_events() {
    let rule = THREE_IN_TEN.replace("threshold = 3", "threshold = 120");
    let mut engine = engine_with(&rule);
    let mut findings = Vec::new();
    for i in 0..120 {
        findings.extend(engine.observe(&with_seq(wrong_password(i, "alice", "a"), i as u64)));
    }
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].events, (70..120).collect::<Vec<u64>>());
}

#[test]
fn rules_can_be_listed_disabled_tuned_added_and_removed() {
    let mut engine = Engine::new(RulePack::shipped().unwrap());
    let count = engine.rules().len();
    let id = "brute-force-account";
    let ten: Vec<_> = (0..10).map(|i| wrong_password(i, "alice", "a")).collect();

    engine.set_enabled(id, false).unwrap();
    assert!(!engine.rule(id).unwrap().enabled());
    assert!(
        replay(&mut engine, &ten)
            .iter()
            .all(|f| f.rule_id.as_str() != id)
    );

    // Enabling starts from nothing: the ten failures above are not remembered.
    engine.set_enabled(id, true).unwrap();
    assert!(
        engine
            .observe(&wrong_password(20, "alice", "a"))
            .iter()
            .all(|f| f.rule_id.as_str() != id)
    );

    // Tuning replaces the rule and its state.
    let shipped = custos_detect::SHIPPED_RULES;
    let start = shipped.find("id = \"brute-force-account\"").unwrap();
    let end = start + shipped[start..].find("[[rule]]").unwrap();
    let tuned_text = shipped[start..end]
        .replace("[rule.match]", "[match]")
        .replace("[rule.correlate]", "[correlate]")
        .replace("threshold = 10", "threshold = 2");
    engine
        .replace_rule(Rule::parse_toml(&tuned_text).unwrap())
        .unwrap();
    let fired = replay(&mut engine, &ten[..2]);
    assert_eq!(fired.iter().filter(|f| f.rule_id.as_str() == id).count(), 1);

    assert_eq!(
        engine.add_rule(Rule::parse_toml(&tuned_text).unwrap()),
        Err(RuleError::DuplicateId(id.to_owned()))
    );
    let new = tuned_text.replace(
        "id = \"brute-force-account\"",
        "id = \"brute-force-account-2\"",
    );
    engine.add_rule(Rule::parse_toml(&new).unwrap()).unwrap();
    assert_eq!(engine.rules().len(), count + 1);
    assert_eq!(
        engine
            .remove_rule("brute-force-account-2")
            .unwrap()
            .id()
            .as_str(),
        "brute-force-account-2"
    );
    assert_eq!(engine.rules().len(), count);
    assert_eq!(
        engine.set_enabled("nope", true),
        Err(RuleError::UnknownRule("nope".to_owned()))
    );
    let unknown = new.replace("brute-force-account-2", "nope");
    assert_eq!(
        engine.replace_rule(Rule::parse_toml(&unknown).unwrap()),
        Err(RuleError::UnknownRule("nope".to_owned()))
    );
}

#[test]
fn single_event_rules_fire_on_every_match_and_name_the_event_actor() {
    let rule = r#"
id = "export"
title = "Export"
description = "Any export."
severity = "high"
responses = ["alert", "end_sessions", { action = "block_ip", duration = "2h" }]
[match]
action = "customer.export"
actor_role = { not_in = ["supervisor", "security_officer"] }
"#;
    let mut engine = engine_with(rule);
    let mut e = event(0, "customer.export", "success", "omar", "10.0.0.9");
    e.actor_role = Some("agent".to_owned());
    for _ in 0..3 {
        let f = engine.observe(&e);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].actor.as_deref(), Some("omar"));
        assert_eq!(f[0].source_ip.as_deref(), Some("10.0.0.9"));
        assert!(
            f[0].responses
                .contains(&Response::BlockIp { seconds: 7200 })
        );
    }
    e.actor_role = Some("supervisor".to_owned());
    assert!(engine.observe(&e).is_empty());
    // A missing field passes a negation.
    e.actor_role = None;
    assert_eq!(engine.observe(&e).len(), 1);
    assert_eq!(
        engine.group_count("export"),
        Some(0),
        "no state without suppression"
    );
}

const GUESSED: &str = r#"
id = "guessed"
title = "Guessed"
description = "Failures then a success."
severity = "high"
responses = ["alert"]
[match]
action = "auth.password"
[correlate]
kind = "sequence"
group_by = ["actor"]
window = "30m"
steps = [
    { match = { outcome = "failure" }, count = 3 },
    { match = { outcome = "success" } },
]
"#;

#[test]
fn sequences_need_their_steps_in_order() {
    let ok = |s: i64| event(s, "auth.password", "success", "erin", "a");
    let fail = |s: i64| wrong_password(s, "erin", "a");
    let mut engine = engine_with(GUESSED);
    assert!(replay(&mut engine, &[ok(0), fail(1), fail(2)]).is_empty());
    // Success between failures does not break the run; the third failure then a success does.
    assert!(replay(&mut engine, &[ok(3)]).is_empty());
    let findings = replay(&mut engine, &[fail(4), ok(5)]);
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0].summary.starts_with("2 steps in order"),
        "{}",
        findings[0].summary
    );
    // Starts again after a finding.
    assert!(engine.observe(&ok(6)).is_empty());
    // Failures that left the window do not count.
    let mut engine = engine_with(GUESSED);
    assert!(replay(&mut engine, &[fail(0), fail(1), fail(1900), ok(1901)]).is_empty());
}

const NEW_DEVICE: &str = r#"
id = "new-device"
title = "New device"
description = "A device not seen for the account."
severity = "medium"
responses = ["alert"]
[match]
action = "auth.mfa"
outcome = "success"
[correlate]
kind = "new_value"
group_by = ["actor"]
field = "device"
window = "30d"
min_history = 3
learning = "2d"
"#;

#[test]
fn new_values_fire_only_after_learning_and_are_forgotten_after_the_window() {
    const DAY: i64 = 86_400;
    let sign_in = |s: i64, device: &str| {
        let mut e = event(s, "auth.mfa", "success", "uma", "10.0.0.1");
        e.device = Some(device.to_owned());
        e
    };
    let mut engine = engine_with(NEW_DEVICE);
    // First sign-ins ever: learning, whatever the device.
    assert!(
        replay(
            &mut engine,
            &[sign_in(0, "d1"), sign_in(60, "d2"), sign_in(DAY, "d1")]
        )
        .is_empty()
    );
    // Three events of history but only one day: still learning.
    assert!(engine.observe(&sign_in(DAY + 60, "d3")).is_empty());
    // Learned: known devices are quiet, a new one fires once.
    assert!(engine.observe(&sign_in(3 * DAY, "d2")).is_empty());
    let f = engine.observe(&sign_in(3 * DAY + 60, "d4"));
    assert_eq!(f.len(), 1);
    assert!(
        f[0].summary.contains("new device d4 for actor=uma"),
        "{}",
        f[0].summary
    );
    assert!(engine.observe(&sign_in(3 * DAY + 120, "d4")).is_empty());
    // After 30 days unused a device is new again...
    assert!(engine.observe(&sign_in(32 * DAY, "d4")).is_empty());
    assert_eq!(engine.observe(&sign_in(33 * DAY + 200, "d1")).len(), 1);
    // ...and after 30 days of nothing at all the account learns afresh.
    assert!(engine.observe(&sign_in(70 * DAY, "d9")).is_empty());
}

const PEERS: &str = r#"
id = "peers"
title = "Above peers"
description = "More customers than the team."
severity = "high"
responses = ["alert", "end_sessions"]
[match]
action = "customer.read"
[correlate]
kind = "peer_baseline"
group_by = ["actor"]
peer_by = "actor_team"
field = "target_id"
window = "12h"
threshold = 4
min_peers = 2
ceiling = 30
"#;

fn read(s: i64, actor: &str, team: &str, customer: &str) -> DetectEvent {
    let mut e = event(s, "customer.read", "success", actor, "10.0.0.1");
    e.actor_team = Some(team.to_owned());
    e.target_id = Some(customer.to_owned());
    e
}

#[test]
fn peer_baseline_compares_with_the_team_median() {
    let mut engine = engine_with(PEERS);
    // Peers: 2 and 3 distinct customers (median 2.5, so 3 x = 7.5).
    let mut events = vec![read(0, "p1", "t", "a"), read(1, "p1", "t", "b")];
    events.extend((0..3).map(|i| read(2, "p2", "t", &format!("c{i}"))));
    assert!(replay(&mut engine, &events).is_empty());
    // kim: 7 distinct is not above 7.5; the 8th is. Repeats of a customer do not count.
    let kim: Vec<_> = (0..7)
        .map(|i| read(10 + i, "kim", "t", &format!("k{i}")))
        .collect();
    assert!(replay(&mut engine, &kim).is_empty());
    assert!(engine.observe(&read(20, "kim", "t", "k0")).is_empty());
    let f = engine.observe(&read(21, "kim", "t", "k7"));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].actor.as_deref(), Some("kim"));
    assert!(
        f[0].summary.contains("8 distinct target_id"),
        "{}",
        f[0].summary
    );
    assert!(
        f[0].summary.contains("median of 2.5 over 2 peers"),
        "{}",
        f[0].summary
    );
    // Once per window.
    assert!(engine.observe(&read(22, "kim", "t", "k8")).is_empty());
}

#[test]
fn peer_baseline_needs_peers_except_above_the_ceiling() {
    let mut engine = engine_with(PEERS);
    // Alone in a team: no comparison, however far above the threshold...
    let alone: Vec<_> = (0..29)
        .map(|i| read(i, "solo", "lonely", &format!("s{i}")))
        .collect();
    assert!(replay(&mut engine, &alone).is_empty());
    // ...until the ceiling.
    let f = engine.observe(&read(40, "solo", "lonely", "s29"));
    assert_eq!(f.len(), 1);
    assert!(f[0].summary.contains("ceiling of 30"), "{}", f[0].summary);
    // Peers whose reads left the window are not peers.
    let mut engine = engine_with(PEERS);
    replay(
        &mut engine,
        &[read(0, "p1", "t", "a"), read(0, "p2", "t", "b")],
    );
    let kim: Vec<_> = (0..10)
        .map(|i| read(13 * 3600 + i, "kim", "t", &format!("k{i}")))
        .collect();
    assert!(replay(&mut engine, &kim).is_empty());
}

#[test]
fn value_count_counts_distinct_values_only() {
    let mut pack = RulePack::shipped().unwrap().into_rules();
    pack.retain(|r| r.id().as_str() == "credential-stuffing");
    let mut engine = Engine::new(RulePack::from_rules(pack).unwrap());
    let same: Vec<_> = (0..20)
        .map(|i| wrong_password(i, "alice", "192.0.2.1"))
        .collect();
    assert!(replay(&mut engine, &same).is_empty());
    let others: Vec<_> = ["b", "c", "d"]
        .iter()
        .map(|u| wrong_password(30, u, "192.0.2.1"))
        .collect();
    assert!(replay(&mut engine, &others).is_empty());
    let f = engine.observe(&wrong_password(31, "e", "192.0.2.1"));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].source_ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(
        f[0].actor, None,
        "grouped by address: no single account to lock"
    );
    assert_eq!(
        f[0].summary,
        "5 distinct actor values within 10m for source_ip=192.0.2.1"
    );
}

#[test]
fn details_values_are_withheld_from_summaries() {
    let rule = r#"
id = "by-detail"
title = "By detail"
description = "Grouped by a detail."
severity = "low"
responses = ["alert"]
[match]
action = "x.y"
[correlate]
kind = "event_count"
group_by = ["details.note", "actor"]
window = "1m"
threshold = 1
"#;
    let mut engine = engine_with(rule);
    let mut e = event(0, "x.y", "success", "alice", "a");
    e.details.insert("note".to_owned(), "secret-ish".to_owned());
    let f = engine.observe(&e);
    assert_eq!(
        f[0].summary,
        "1 matching events within 1m for details.note=(withheld) actor=alice"
    );
    assert_eq!(f[0].group[0].value.as_deref(), Some("secret-ish"));
}

#[test]
fn outside_shift_conditions_use_the_event_time_in_utc() {
    let rule = r#"
id = "night"
title = "Night"
description = "Outside shift."
severity = "low"
responses = ["alert"]
[match]
outside_shift = true
"#;
    let mut engine = engine_with(rule);
    let shift: custos_detect::Shift =
        serde_json::from_str(r#"{"start":"08:00","end":"17:00"}"#).unwrap();
    // at(0) is 09:00 UTC; an offset in the event's time does not change the verdict.
    let mut e = event(0, "customer.read", "success", "rita", "a");
    e.shift = Some(shift);
    assert!(engine.observe(&e).is_empty());
    e.time = at(9 * 3600).to_offset(time::UtcOffset::from_hms(5, 0, 0).unwrap());
    assert_eq!(engine.observe(&e).len(), 1);
    e.shift = None;
    assert!(engine.observe(&e).is_empty());
}

#[test]
fn the_engine_can_move_between_threads() {
    fn send<T: Send + Sync + 'static>() {}
    send::<Engine>();
    send::<custos_detect::Finding>();
    send::<RulePack>();
}
