//! Chat and email messages are redacted one by one, or across a chat.

use custos_conversation::{Message, redact_chat, redact_message};
use custos_redact::{EntityType, Redactor, RedactorConfig};

fn msg(sender: &str, text: &str) -> Message {
    Message {
        sender: sender.to_owned(),
        text: text.to_owned(),
    }
}

#[test]
fn one_message() {
    let r = Redactor::new(RedactorConfig::default()).unwrap();
    let out = redact_message(
        &r,
        &msg(
            "customer",
            "Hi, my card 4539 1488 0343 6467 was declined. Email me at dana@example.net",
        ),
    );
    assert_eq!(
        out.text,
        "Hi, my card [CREDIT_CARD] was declined. Email me at [EMAIL_ADDRESS]"
    );
    let counts = out.entity_counts();
    assert_eq!(counts.get(&EntityType::CreditCard), Some(&1));
    assert_eq!(counts.get(&EntityType::EmailAddress), Some(&1));
    assert!(!format!("{:?}", msg("c", "4539 1488")).contains("4539"));
}

#[test]
fn card_typed_over_several_chat_messages() {
    let r = Redactor::new(RedactorConfig::default()).unwrap();
    let chat = [
        msg("agent", "Please type the card number"),
        msg("customer", "4539 1488"),
        msg("customer", "0343"),
        msg("customer", "6467"),
        msg("customer", "is that ok?"),
    ];
    let out = redact_chat(&r, &chat);
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Please type the card number",
            "[CREDIT_CARD]",
            "[CREDIT_CARD]",
            "[CREDIT_CARD]",
            "is that ok?"
        ]
    );
    // Alone, the pieces are too short to be a card.
    assert_eq!(redact_message(&r, &chat[2]).text, "0343");
    assert_eq!(out[1].sender, "customer");
}

#[test]
fn commas_between_groups_do_not_hide_a_card() {
    let r = Redactor::new(RedactorConfig::default()).unwrap();
    let out = redact_message(
        &r,
        &msg("customer", "card number: 4539, 1488, 0343, 6467, thanks"),
    );
    assert_eq!(out.text, "card number: [CREDIT_CARD], thanks");
}

#[test]
fn masking_a_card_split_over_messages_keeps_only_the_last_four() {
    let r = Redactor::new(
        RedactorConfig::default().with_default_operator(custos_redact::Operator::Mask),
    )
    .unwrap();
    let chat = [
        msg("agent", "Please type the card number"),
        msg("customer", "4539 1488"),
        msg("customer", "0343"),
        msg("customer", "6467"),
    ];
    let out = redact_chat(&r, &chat);
    let texts: Vec<&str> = out.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        ["Please type the card number", "**** ****", "****", "6467"]
    );
}
