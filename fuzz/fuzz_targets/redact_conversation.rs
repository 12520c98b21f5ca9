//! Conversation and streaming redaction never panic on any turns (split at newlines), and the
//! stream redacts at least what whole-conversation redaction does.
//! `cargo +nightly fuzz run redact_conversation`

#![no_main]

use custos_redact::{Redactor, RedactorConfig, Turn};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static REDACTOR: OnceLock<Redactor> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let redactor =
        REDACTOR.get_or_init(|| Redactor::new(RedactorConfig::default()).expect("default config"));
    let turns: Vec<Turn<'_>> = text
        .split('\n')
        .enumerate()
        .map(|(i, t)| Turn {
            speaker: if i % 2 == 0 { "caller" } else { "agent" },
            text: t,
        })
        .collect();
    let whole = redactor.redact_conversation(&turns);
    let mut stream = redactor.stream();
    let mut pieces = Vec::new();
    for t in &turns {
        pieces.extend(stream.push_turn(t.speaker, t.text));
    }
    pieces.extend(stream.finish());
    for (i, t) in turns.iter().enumerate() {
        let mut covered = vec![false; t.text.len()];
        for p in pieces.iter().filter(|p| p.turn == i) {
            for s in &p.spans {
                covered[s.start..s.end].iter_mut().for_each(|c| *c = true);
            }
        }
        for s in &whole[i].spans {
            assert!(
                covered[s.start..s.end].iter().all(|c| *c),
                "stream missed {s:?} in turn {i}"
            );
        }
    }
});
