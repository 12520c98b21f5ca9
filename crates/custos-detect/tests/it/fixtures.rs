//! Every shipped rule fires on its `.fire.jsonl` fixture and stays quiet on its
//! `.quiet.jsonl` one, replayed through the whole shipped pack.

use std::collections::BTreeSet;

use custos_detect::{Engine, RulePack};

use crate::support::{fixture_dir, read_fixture, replay};

fn shipped_ids() -> BTreeSet<String> {
    RulePack::shipped()
        .unwrap()
        .rules()
        .iter()
        .map(|r| r.id().to_string())
        .collect()
}

#[test]
fn every_shipped_rule_has_both_fixtures_and_every_fixture_a_rule() {
    let ids = shipped_ids();
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let (id, kind) = name
            .strip_suffix(".fire.jsonl")
            .map(|id| (id, "fire"))
            .or_else(|| name.strip_suffix(".quiet.jsonl").map(|id| (id, "quiet")))
            .unwrap_or_else(|| panic!("{name}: fixtures are <rule-id>.fire.jsonl or .quiet.jsonl"));
        assert!(ids.contains(id), "{name} names no shipped rule");
        seen.insert((id.to_owned(), kind));
    }
    for id in &ids {
        for kind in ["fire", "quiet"] {
            assert!(
                seen.contains(&(id.clone(), kind)),
                "rule {id} has no {kind} fixture"
            );
        }
    }
}

#[test]
fn each_rule_fires_on_its_fire_fixture() {
    for id in shipped_ids() {
        let events = read_fixture(&fixture_dir().join(format!("{id}.fire.jsonl")));
        let mut engine = Engine::new(RulePack::shipped().unwrap());
        let findings = replay(&mut engine, &events);
        let mine: Vec<_> = findings
            .iter()
            .filter(|f| f.rule_id.as_str() == id)
            .collect();
        assert!(
            !mine.is_empty(),
            "{id} did not fire on its fire fixture; got {findings:#?}"
        );
        let rule = engine.rule(&id).unwrap();
        for f in &mine {
            assert_eq!(f.title, rule.title());
            assert_eq!(f.severity, rule.severity());
            assert_eq!(f.responses, rule.responses());
            assert!(!f.events.is_empty(), "{id}: a finding names its events");
            // Every contributing event is one of the fixture's, in order.
            let seqs: Vec<u64> = events.iter().filter_map(|e| e.seq).collect();
            assert!(
                f.events.iter().all(|s| seqs.contains(s)),
                "{id}: {:?}",
                f.events
            );
            assert!(
                f.events.windows(2).all(|w| w[0] < w[1]),
                "{id}: {:?}",
                f.events
            );
            assert!(!f.summary.is_empty());
        }
    }
}

#[test]
fn each_rule_is_quiet_on_its_quiet_fixture() {
    for id in shipped_ids() {
        let events = read_fixture(&fixture_dir().join(format!("{id}.quiet.jsonl")));
        assert!(
            !events.is_empty(),
            "{id}: an empty quiet fixture proves nothing"
        );
        let mut engine = Engine::new(RulePack::shipped().unwrap());
        let findings = replay(&mut engine, &events);
        let mine: Vec<_> = findings
            .iter()
            .filter(|f| f.rule_id.as_str() == id)
            .collect();
        assert!(
            mine.is_empty(),
            "{id} fired on its quiet fixture: {mine:#?}"
        );
    }
}

#[test]
fn quiet_fixtures_fire_once_the_rule_is_loosened() {
    // A quiet fixture must be a near miss, not events the rule never looks at: with the
    // threshold, count, multiplier or learning period lowered, the same rule fires on it.
    let loosened = [
        ("brute-force-account", "threshold = 10", "threshold = 9"),
        ("brute-force-ip", "threshold = 20", "threshold = 19"),
        ("credential-stuffing", "threshold = 5\n", "threshold = 4\n"),
        ("mfa-failure-burst", "threshold = 5\n", "threshold = 4\n"),
        (
            "access-without-interaction",
            "threshold = 3",
            "threshold = 2",
        ),
        (
            "repeated-sensitive-reveals",
            "threshold = 5\n",
            "threshold = 4\n",
        ),
    ];
    for (id, from, to) in loosened {
        let text = custos_detect::SHIPPED_RULES;
        let start = text.find(&format!("id = \"{id}\"")).unwrap();
        let at = start + text[start..].find(from).unwrap();
        let changed = format!("{}{}{}", &text[..at], to, &text[at + from.len()..]);
        let mut engine = Engine::new(RulePack::parse(&changed).unwrap());
        let events = read_fixture(&fixture_dir().join(format!("{id}.quiet.jsonl")));
        let findings = replay(&mut engine, &events);
        assert!(
            findings.iter().any(|f| f.rule_id.as_str() == id),
            "{id} with {to:?} still quiet on its quiet fixture"
        );
    }
}

#[test]
fn summaries_carry_no_customer_values() {
    // Fixtures hold customer ids and field names but never values; the summaries may
    // name ids and must never repeat a detail value.
    for id in shipped_ids() {
        let events = read_fixture(&fixture_dir().join(format!("{id}.fire.jsonl")));
        let mut engine = Engine::new(RulePack::shipped().unwrap());
        for f in replay(&mut engine, &events) {
            for e in &events {
                for value in e.details.values().filter(|v| v.len() > 3) {
                    assert!(
                        !f.summary.contains(value.as_str()),
                        "{}: {}",
                        f.rule_id,
                        f.summary
                    );
                }
            }
        }
    }
}
