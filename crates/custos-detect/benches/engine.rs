//! Events per second through the whole shipped rule pack, on a contact-center mix: many
//! agents in teams reading and revealing customers, sign-ins with a share of failures,
//! refusals and the odd administrative event.
//! `cargo bench -p custos-detect --bench engine`

use custos_detect::{DetectEvent, Engine, RulePack, Shift};
use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use time::OffsetDateTime;

fn main() {
    divan::main();
}

/// A small deterministic generator (xorshift64*), so every run sees the same events.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const AGENTS: u64 = 5_000;
const TEAMS: u64 = 250;
const ADDRESSES: u64 = 600;
const CUSTOMERS: u64 = 200_000;

/// `n` events, 50 ms apart (20 events a second from 5,000 agents, each reading about eight
/// customers an hour), starting on a weekday morning.
fn events(n: usize) -> Vec<DetectEvent> {
    let start =
        OffsetDateTime::from_unix_timestamp(1_793_610_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let day = Shift::new(7 * 60, 19 * 60);
    // One agent in twenty works nights, so the outside-shift rule has work to do.
    let night = Shift::new(22 * 60, 6 * 60);
    let mut mix = Mix(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let agent = mix.below(AGENTS);
        let roll = mix.below(100);
        let (action, outcome) = match roll {
            0..=57 => ("customer.read", "success"),
            58..=64 => ("interaction.open", "success"),
            65..=69 => ("customer.reveal", "success"),
            70..=71 => ("customer.search", "success"),
            72..=81 => (
                "auth.password",
                if mix.below(10) < 2 {
                    "failure"
                } else {
                    "success"
                },
            ),
            82..=89 => ("auth.mfa", "success"),
            90..=90 => ("access.denied", "failure"),
            91..=93 => ("customer.search", "success"),
            94..=96 => ("interaction.close", "success"),
            97 => ("auth.session_end", "success"),
            98 => ("redact.batch", "success"),
            _ => ("audit.read", "success"),
        };
        let time = start + time::Duration::milliseconds(50 * i as i64);
        let mut e = DetectEvent::new(time, action, outcome);
        e.seq = Some(i as u64);
        e.actor = Some(format!("agent{agent}"));
        e.actor_role = Some("agent".to_owned());
        e.actor_team = Some(format!("team{}", agent % TEAMS));
        e.source_ip = Some(format!(
            "10.{}.{}.{}",
            agent % 7,
            mix.below(ADDRESSES) / 250,
            mix.below(250)
        ));
        e.device = Some(format!("dev-{agent}"));
        e.shift = if agent.is_multiple_of(20) { night } else { day };
        match action {
            "customer.read" | "customer.reveal" | "interaction.open" | "interaction.close" => {
                e.target_kind = Some("customer".to_owned());
                e.target_id = Some(format!("cust-{}", mix.below(CUSTOMERS)));
                if action == "customer.reveal" {
                    let fields = ["ssn", "email", "phone", "card_expiry", "address"];
                    e.target_field = Some(fields[mix.below(5) as usize].to_owned());
                }
            }
            "auth.password" => {
                e.target_kind = Some("session".to_owned());
                e.status = Some(
                    if outcome == "failure" {
                        "invalid_credentials"
                    } else {
                        "mfa_required"
                    }
                    .to_owned(),
                );
            }
            "auth.mfa" => {
                e.target_kind = Some("session".to_owned());
                e.status = Some("signed_in".to_owned());
            }
            "access.denied" => {
                e.target_kind = Some("customer".to_owned());
                e.status = Some("policy_denied".to_owned());
                e.details
                    .insert("action".to_owned(), "customer.read".to_owned());
            }
            _ => {}
        }
        out.push(e);
    }
    out
}

fn engine() -> Engine {
    Engine::new(RulePack::shipped().unwrap_or_else(|_| std::process::abort()))
}

/// 200,000 events (almost three hours of a large site) through a fresh engine.
#[divan::bench(sample_count = 10)]
fn shipped_pack_mixed(bencher: Bencher) {
    let events = events(200_000);
    bencher
        .counter(ItemsCount::new(events.len()))
        .with_inputs(engine)
        .bench_local_values(|mut engine| {
            let mut findings = Vec::new();
            for e in &events {
                engine.observe_into(black_box(e), &mut findings);
            }
            black_box((engine.stats(), findings.len()))
        });
}
