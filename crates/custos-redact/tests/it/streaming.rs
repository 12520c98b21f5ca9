//! The streaming redactor: release as soon as safe, hold only what could begin a number,
//! never release a complete PAN split across turns.

use custos_redact::{Redactor, RedactorConfig};

#[test]
fn releases_plain_turns_at_once_and_holds_trailing_digits() {
    let r = Redactor::new(RedactorConfig::default()).unwrap();
    let mut s = r.stream();
    let out = s.push_turn("agent", "can i get the card number please");
    assert_eq!(out.len(), 1);
    assert!(out[0].turn_complete);
    let out = s.push_turn("caller", "sure it's four one one one");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].text, "sure it's ");
    assert!(!out[0].turn_complete);
    assert!(s.push_turn("agent", "okay").is_empty());
    assert!(
        s.push_turn("caller", "one one one one one one one one")
            .is_empty()
    );
    let out = s.push_turn("caller", "one one one one thanks");
    let text: String = out
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("|");
    assert_eq!(
        text,
        "[CREDIT_CARD]|okay|[CREDIT_CARD]|[CREDIT_CARD] thanks"
    );
    assert!(s.finish().is_empty());
}

#[test]
fn memory_is_bounded() {
    let r = Redactor::new(RedactorConfig::default()).unwrap();
    let mut s = r.stream();
    let mut released = 0;
    for _ in 0..800 {
        released += s.push_turn("caller", "1 2 3 4").len();
        assert!(s.held_bytes() <= custos_redact::MAX_HELD_BYTES + 16);
    }
    assert!(released > 0);
}

/// Found by fuzzing: an address took its ZIP from the next turn, which a stream cannot see yet.
#[test]
fn an_address_does_not_reach_into_the_next_turn() {
    let r = Redactor::new(RedactorConfig::default()).unwrap();
    let turns = [
        "My new address is 8627 Ridge Way, Por",
        "nine eighty seven four",
        "okay",
    ];
    let whole = r.redact_conversation(&turns.map(|text| custos_redact::Turn {
        speaker: "caller",
        text,
    }));
    let mut s = r.stream();
    let mut first_turn = String::new();
    for t in turns {
        for piece in s.push_turn("caller", t) {
            if piece.turn == 0 {
                first_turn.push_str(&piece.text);
            }
        }
    }
    assert_eq!(first_turn, whole[0].redacted);
    assert_eq!(whole[0].redacted, "My new address is [STREET_ADDRESS], Por");
}

/// Found by fuzzing: the "+" before a trailing number was released before the number became
/// an international phone number.
#[test]
fn a_plus_before_a_trailing_number_is_held() {
    let r = Redactor::new(RedactorConfig::default()).unwrap();
    let turns = [
        "sure six uh double four one+eight three zero one",
        "mhm",
        "0200+",
        "okay",
    ];
    let whole = r.redact_conversation(&turns.map(|text| custos_redact::Turn {
        speaker: "caller",
        text,
    }));
    let mut s = r.stream();
    let mut first_turn = String::new();
    for t in turns {
        for piece in s.push_turn("caller", t) {
            if piece.turn == 0 {
                first_turn.push_str(&piece.text);
            }
        }
    }
    assert_eq!(first_turn, whole[0].redacted);
}

/// A labeled "agent: go on" line at the end of a pushed turn: the digits before it are held,
/// as the whole conversation joins them with the next turn's.
#[test]
fn digits_before_a_labeled_prompt_are_held() {
    let r = Redactor::new(RedactorConfig::default()).unwrap();
    let turns = [
        "agent: card number please",
        "caller: 4539 1488\nagent: go on",
        "caller: 0343 6467",
    ];
    let whole = r.redact_conversation(&turns.map(|text| custos_redact::Turn {
        speaker: "transcript",
        text,
    }));
    assert_eq!(whole[1].redacted, "caller: [CREDIT_CARD]\nagent: go on");
    let mut s = r.stream();
    assert_eq!(s.push_turn("transcript", turns[0]).len(), 1);
    let out = s.push_turn("transcript", turns[1]);
    assert!(out.iter().all(|p| !p.text.contains("4539")), "{out:?}");
    let mut second = out.iter().map(|p| p.text.clone()).collect::<String>();
    let mut rest = s.push_turn("transcript", turns[2]);
    rest.extend(s.finish());
    for p in rest {
        if p.turn == 1 {
            second.push_str(&p.text);
        }
    }
    assert_eq!(second, whole[1].redacted);
}
