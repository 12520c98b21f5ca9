//! Property tests: rule text never panics the parser; any event stream keeps the
//! engine's state within its caps.

use custos_detect::{DetectEvent, Engine, EngineLimits, Rule, RulePack};
use proptest::prelude::*;

use crate::support::at;

fn at_time(secs: i64) -> time::OffsetDateTime {
    at(secs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rule_text_never_panics(text in "[a-z_=\\[\\]\\{\\}\" .,0-9\n]{0,200}") {
        let _ = Rule::parse_toml(&text);
        let _ = RulePack::parse(&format!("version = 1\n{text}"));
    }

    #[test]
    fn damaged_shipped_packs_never_panic(start in 0.0..1.0_f64, len in 0..40_usize, with in "[a-z0-9_=\"\\[\\] ]{0,12}") {
        // Cut a piece out of the shipped pack and put something else in: the result is
        // usually still TOML, and must load or be refused, never crash.
        let text = custos_detect::SHIPPED_RULES;
        let mut at = (start * text.len() as f64) as usize;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + len).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let damaged = format!("{}{}{}", &text[..at], with, &text[end..]);
        if let Ok(pack) = RulePack::parse(&damaged) {
            let mut engine = Engine::new(pack);
            let mut e = DetectEvent::new(at_time(0), "auth.password", "failure");
            e.actor = Some("a".to_owned());
            for _ in 0..3 {
                let _ = engine.observe(&e);
            }
        }
    }

    #[test]
    fn state_stays_bounded(
        events in prop::collection::vec(
            (0..5_000_i64, 0..40_u8, 0..6_u8, 0..30_u8, 0..4_u8, any::<bool>()),
            1..400,
        )
    ) {
        let limits = EngineLimits { max_groups_per_rule: 16, ..EngineLimits::default() };
        let mut engine = Engine::with_limits(RulePack::shipped().unwrap(), limits);
        let actions = ["auth.password", "auth.mfa", "customer.read", "customer.reveal", "access.denied", "audit.sink_down"];
        let statuses = ["invalid_credentials", "signed_in", "invalid_code", "account_disabled"];
        for (t, actor, action, target, status, ok) in events {
            let mut e = DetectEvent::new(at(t), actions[action as usize], if ok { "success" } else { "failure" });
            e.actor = Some(format!("u{actor}"));
            e.actor_role = Some("agent".to_owned());
            e.actor_team = Some(format!("t{}", actor % 3));
            e.source_ip = Some(format!("10.0.{}.{}", actor % 5, actor));
            e.device = Some(format!("d{}", target % 4));
            e.target_kind = Some("customer".to_owned());
            e.target_id = Some(format!("c{target}"));
            e.status = Some(statuses[status as usize].to_owned());
            for f in engine.observe(&e) {
                prop_assert!(f.events.len() <= 50);
            }
            for rule in engine.rules().map(|r| r.id().to_string()).collect::<Vec<_>>() {
                prop_assert!(engine.group_count(&rule).unwrap() <= 16);
            }
        }
    }
}
