//! Red flags on the sample messages in `testdata/messages/`: every phishing sample reaches
//! its expected level, no ordinary customer message goes above low, and no reason repeats
//! digits or addresses from the message.

use custos_conversation::{Assessment, Assessor, Channel, Level, MessageInput, assess};
use serde_json::Value;

use crate::testdata;

fn samples() -> Vec<Value> {
    String::from_utf8(testdata("messages/messages.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn assess_sample(v: &Value) -> Assessment {
    assess(&MessageInput {
        channel: if v["channel"] == "chat" {
            Channel::Chat
        } else {
            Channel::Email
        },
        from_address: v["from_address"].as_str(),
        from_name: v["from_name"].as_str(),
        subject: v["subject"].as_str(),
        body: v["body"].as_str().unwrap(),
        html: v["html"].as_bool().unwrap(),
        registered_email: v["registered_email"].as_str(),
    })
}

fn level(name: &str) -> Level {
    match name {
        "none" => Level::None,
        "low" => Level::Low,
        "medium" => Level::Medium,
        _ => Level::High,
    }
}

#[test]
fn phishing_samples_reach_their_level() {
    let mut n = 0;
    for v in samples().iter().filter(|v| v["kind"] == "phishing") {
        let a = assess_sample(v);
        let want = level(v["expect"].as_str().unwrap());
        assert!(a.level >= want, "{}: {a:#?}", v["id"]);
        n += 1;
    }
    assert!(n >= 8);
}

#[test]
fn ordinary_messages_stay_none_or_low() {
    let benign: Vec<Value> = samples()
        .into_iter()
        .filter(|v| v["kind"] == "benign")
        .collect();
    assert!(benign.len() >= 10);
    let mut false_positives = Vec::new();
    for v in &benign {
        let a = assess_sample(v);
        if a.level > Level::Low {
            false_positives.push((v["id"].clone(), a));
        }
    }
    assert!(false_positives.is_empty(), "{false_positives:#?}");
}

#[test]
fn reasons_hold_no_customer_data() {
    for v in samples() {
        let a = assess_sample(&v);
        for f in &a.flags {
            let mut run = 0;
            for c in f.reason.chars() {
                run = if c.is_ascii_digit() { run + 1 } else { 0 };
                assert!(run < 3, "{}: {}", v["id"], f.reason);
            }
            assert!(!f.reason.contains('@'), "{}: {}", v["id"], f.reason);
            assert!(!f.reason.contains("whitfield"), "{}: {}", v["id"], f.reason);
        }
    }
}

fn codes(a: &Assessment) -> Vec<&'static str> {
    a.flags.iter().map(|f| f.code).collect()
}

fn by_id(id: &str) -> Assessment {
    let all = samples();
    let v = all.iter().find(|v| v["id"] == id).unwrap();
    assess_sample(v)
}

#[test]
fn each_signal_is_named() {
    let a = by_id("paypal-suspended");
    for code in [
        "generic_greeting",
        "urgency",
        "threat",
        "credential_request",
        "link_prompt",
        "lookalike_domain",
        "sender_not_registered",
        "lookalike_sender_domain",
        "display_name_brand",
    ] {
        assert!(codes(&a).contains(&code), "{code}: {a:#?}");
    }
    assert_eq!(a.level, Level::High);
    assert_eq!(a.score, 100);

    let html = by_id("bank-html-mismatch");
    assert!(codes(&html).contains(&"mismatched_link"), "{html:#?}");
    assert!(codes(&html).contains(&"ip_address_url"), "{html:#?}");

    let puny = by_id("punycode-apple");
    assert!(codes(&puny).contains(&"punycode_url"), "{puny:#?}");

    let glyph = by_id("homoglyph-shortener");
    for code in [
        "mixed_scripts",
        "url_shortener",
        "all_caps",
        "lookalike_sender_domain",
    ] {
        assert!(codes(&glyph).contains(&code), "{code}: {glyph:#?}");
    }

    let userinfo = by_id("userinfo-url");
    assert!(codes(&userinfo).contains(&"userinfo_url"), "{userinfo:#?}");

    let spoof = by_id("spoofed-customer");
    assert!(
        codes(&spoof).contains(&"lookalike_sender_domain"),
        "{spoof:#?}"
    );

    let name = by_id("display-name-address");
    assert!(codes(&name).contains(&"display_name_spoof"), "{name:#?}");

    let gifts = by_id("ceo-gift-cards");
    assert!(codes(&gifts).contains(&"unusual_payment"), "{gifts:#?}");
}

#[test]
fn phrases_need_word_boundaries() {
    let a = assess(&MessageInput {
        channel: Channel::Chat,
        from_address: None,
        from_name: None,
        subject: None,
        body: "I was spinning the wheel in the app and it said urgentissimo",
        html: false,
        registered_email: None,
    });
    assert_eq!(a.flags, []);
    assert_eq!((a.score, a.level), (0, Level::None));
}

#[test]
fn hidden_characters_and_many_subdomains() {
    let a = assess(&MessageInput {
        channel: Channel::Email,
        from_address: None,
        from_name: None,
        subject: None,
        body: "Sign\u{200b}in at https://secure.login.account.verify.example-mail.test/x",
        html: false,
        registered_email: None,
    });
    assert_eq!(codes(&a), ["many_subdomains", "hidden_characters"]);
    assert_eq!(a.score, 25);
    assert_eq!(a.level, Level::Low);
}

#[test]
fn the_contact_centers_own_brand_can_be_protected() {
    let all = samples();
    let v = all
        .iter()
        .find(|v| v["id"] == "bank-html-mismatch")
        .unwrap();
    let input = MessageInput {
        channel: Channel::Email,
        from_address: v["from_address"].as_str(),
        from_name: v["from_name"].as_str(),
        subject: v["subject"].as_str(),
        body: v["body"].as_str().unwrap(),
        html: true,
        registered_email: None,
    };
    let plain = assess(&input);
    assert!(!codes(&plain).contains(&"display_name_brand"), "{plain:#?}");
    let own = Assessor::default()
        .with_brand("northwindbank")
        .assess(&input);
    assert!(codes(&own).contains(&"display_name_brand"), "{own:#?}");
    // The real site is not flagged.
    let real = Assessor::default()
        .with_brand("NorthwindBank")
        .assess(&MessageInput {
            body: "Statements are at https://www.northwindbank.com/statements",
            html: false,
            ..input
        });
    // Only the sender (a look-alike of the brand) is flagged, not the link.
    assert_eq!(
        codes(&real),
        [
            "urgency",
            "credential_request",
            "lookalike_sender_domain",
            "display_name_brand"
        ]
    );
    let fake = Assessor::default().with_brand("northwindbank").assess(&MessageInput {
        subject: None,
        body: "Sign in at https://northwindbank.secure-login.test/ or https://n0rthwindbank.com/",
        html: false,
        ..input
    });
    assert_eq!(
        codes(&fake),
        [
            "brand_in_unrelated_domain",
            "lookalike_domain",
            "lookalike_sender_domain",
            "display_name_brand"
        ],
        "{fake:#?}"
    );
}
