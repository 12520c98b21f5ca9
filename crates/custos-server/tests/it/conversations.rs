//! Conversations through the real HTTPS API: transcripts in every format stored
//! redacted with the muted ranges lining up with the words, malformed content
//! refused with nothing stored, chat messages caught across messages, phishing
//! red flags, raw copies revealed only by the policy's role, recordings muted,
//! customers verified by a code through a real SMTP exchange or an SMS webhook,
//! and interactions closed when idle.

use custos_auth::role::Role;
use custos_store::ConversationStore as _;
use custos_testkit::{SmtpSink, TestDatabase, TestServer, WebhookReceiver};
use serde_json::{Value, json};

use crate::auth::{create_person, get_as, sign_in};
use crate::vault::{
    CapturedLog, create_customer, open_interaction, post_as, service_token, trail_text,
};

/// The sample call's card number in the pieces it is read in, and its code: no
/// text a person sees may hold one.
const CARD_PIECES: &[&str] = &[
    "4539",
    "1488",
    "0343",
    "6467",
    "four five three nine",
    "731",
];
/// Forms that cannot occur by chance in ids, times or hashes (whole-body checks).
const CARD_FORMS: &[&str] = &[
    "4539148803436467",
    "4539 1488",
    "1488, 0343",
    "0343 6467",
    "four five three nine",
    "It's 731",
];

fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/transcripts")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn caller() -> Value {
    json!({
        "name": "Ana Lima",
        "email": "ana.lima@example.org",
        "phone": "+1 555 010 2299",
        "date_of_birth": "1979-11-02",
        "address": "8 Elm Road, Portland, OR 97205"
    })
}

async fn post_raw(
    server: &TestServer,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    server
        .client()
        .post(server.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// No form of the card anywhere in a body, row or trail.
fn assert_no_card(text: &str, place: &str) {
    for form in CARD_FORMS {
        assert!(!text.contains(form), "{place} holds `{form}`");
    }
}

/// No piece of the card in any text of an interaction as read: turns, words, messages.
fn assert_no_card_in_texts(view: &Value, place: &str) {
    let mut texts = Vec::new();
    for turn in view["transcript"].as_array().into_iter().flatten() {
        texts.push(turn["text"].as_str().unwrap_or_default().to_owned());
        for word in turn["words"].as_array().into_iter().flatten() {
            texts.push(word["text"].as_str().unwrap_or_default().to_owned());
        }
    }
    for message in view["messages"].as_array().into_iter().flatten() {
        texts.push(message["text"].as_str().unwrap_or_default().to_owned());
    }
    assert!(!texts.is_empty(), "{place}: nothing to check");
    for text in texts {
        for piece in CARD_PIECES {
            assert!(!text.contains(piece), "{place} holds `{piece}`");
        }
    }
}

async fn a_card_read_over_three_turns_leaves_no_trace(db: TestDatabase) {
    let log = CapturedLog::install();
    let server = TestServer::start_on(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let (customer, _) = create_customer(&server, &integration, caller()).await;
    let amy = create_person(&server, "amy", Role::Agent).await;
    let interaction = open_interaction(&server, &integration, &customer, "amy").await;
    let path = format!("/api/v1/interactions/{interaction}/transcript");
    let stored = post_raw(
        &server,
        &path,
        &integration,
        "application/vnd.whisper+json",
        sample("payment_call.whisper.json"),
    )
    .await;
    assert_eq!(stored.status(), 201);
    let ingested: Value = stored.json().await.unwrap();
    assert_eq!(ingested["redacted"]["CREDIT_CARD"], 1, "{ingested}");

    let amy_token = sign_in(&server, "amy", &amy).await;
    let read = get_as(
        &server,
        &format!("/api/v1/interactions/{interaction}"),
        &amy_token,
    )
    .await;
    assert_eq!(read.status(), 200);
    let text = read.text().await.unwrap();
    assert_no_card(&text, "the interaction as read");
    let view: Value = serde_json::from_str(&text).unwrap();
    assert_no_card_in_texts(&view, "the interaction as read");
    let turns = view["transcript"].as_array().unwrap();
    assert_eq!(turns.len(), 15);
    let ranges: Vec<(u64, u64)> = view["redacted_ranges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_u64().unwrap(), r[1].as_u64().unwrap()))
        .collect();
    assert!(!ranges.is_empty());
    // Every redacted word lies inside a muted range, and every muted range
    // covers at least one redacted word: the audio and the words line up.
    let mut redacted_words = Vec::new();
    for turn in turns {
        for word in turn["words"].as_array().unwrap() {
            if word["redacted"] == true
                && let (Some(s), Some(e)) = (word["start_ms"].as_u64(), word["end_ms"].as_u64())
            {
                assert!(
                    ranges.iter().any(|(a, b)| *a <= s && e <= *b),
                    "word at {s}..{e} is not muted: {ranges:?}"
                );
                redacted_words.push((s, e));
            }
        }
    }
    assert!(
        redacted_words.len() >= 12,
        "the card, expiry and code words"
    );
    for (a, b) in &ranges {
        assert!(redacted_words.iter().any(|(s, e)| a <= s && e <= b));
    }

    // Not in the trail, nor in the stored rows.
    assert_no_card(&trail_text(&server).await, "the audit trail");
    let entries = server
        .server()
        .state()
        .store()
        .entries(interaction.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_no_card(&entries[0].content, "the stored entry");
    assert!(
        entries[0].raw_sealed.is_none(),
        "raw content is dropped by default"
    );

    // The recording comes back muted exactly there.
    let rate = 8_000u32;
    let seconds = 60;
    let mut wav = std::io::Cursor::new(Vec::new());
    {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::new(&mut wav, spec).unwrap();
        for _ in 0..rate * seconds {
            writer.write_sample(1000i16).unwrap();
        }
        writer.finalize().unwrap();
    }
    let muted = post_raw(
        &server,
        &format!("/api/v1/interactions/{interaction}/audio"),
        &amy_token,
        "audio/wav",
        wav.into_inner(),
    )
    .await;
    assert_eq!(muted.status(), 200);
    let bytes = muted.bytes().await.unwrap();
    let samples: Vec<i16> = hound::WavReader::new(std::io::Cursor::new(bytes.to_vec()))
        .unwrap()
        .samples::<i16>()
        .map(Result::unwrap)
        .collect();
    let at = |ms: u64| samples[usize::try_from(ms * u64::from(rate) / 1000).unwrap()];
    for (a, b) in &ranges {
        if *b <= u64::from(seconds) * 1000 {
            assert_eq!(at(*a), 0, "muted from {a}");
            assert_eq!(at(b - 1), 0, "muted to {b}");
        }
    }
    assert_eq!(at(0), 1000, "the greeting is kept");
    server.stop().await;
    let logged = log.text();
    assert!(!logged.is_empty(), "the log was captured");
    assert_no_card(&logged, "the log");
}

async fn every_format_is_stored_and_malformed_content_is_refused(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let (customer, _) = create_customer(&server, &integration, caller()).await;
    create_person(&server, "amy", Role::Agent).await;
    for (file, content_type) in [
        ("payment_call.vtt", "text/vtt"),
        ("payment_call.srt", "application/x-subrip"),
        ("payment_call.transcribe.json", "application/json"),
        (
            "payment_call.channels.transcribe.json",
            "application/vnd.amazon.transcribe+json",
        ),
        ("payment_call.contact-lens.json", "application/json"),
        ("payment_call.whisper.json", "application/json"),
        ("payment_call.turns.json", "application/json"),
        ("chat_untimed.turns.json", "application/json"),
    ] {
        let interaction = open_interaction(&server, &integration, &customer, "amy").await;
        let path = format!("/api/v1/interactions/{interaction}/transcript");
        let stored = post_raw(&server, &path, &integration, content_type, sample(file)).await;
        assert_eq!(stored.status(), 201, "{file}");
        let read = get_as(
            &server,
            &format!("/api/v1/interactions/{interaction}"),
            &integration,
        )
        .await
        .text()
        .await
        .unwrap();
        assert_no_card(&read, file);
        let view: Value = serde_json::from_str(&read).unwrap();
        assert_no_card_in_texts(&view, file);
        assert_eq!(view["transcript"].as_array().unwrap().len(), 15, "{file}");
    }

    let interaction = open_interaction(&server, &integration, &customer, "amy").await;
    let path = format!("/api/v1/interactions/{interaction}/transcript");
    let broken_vtt =
        b"WEBVTT\n\n00:01.000 --> 00:00.500\n<v Caller>my card is 4539 1488 0343 6467\n".to_vec();
    for (content_type, body, status, code) in [
        ("text/vtt", broken_vtt, 422, "malformed_transcript"),
        (
            "application/json",
            b"{\"results\": {\"items\": [".to_vec(),
            422,
            "malformed_transcript",
        ),
        (
            "application/x-subrip",
            Vec::new(),
            422,
            "malformed_transcript",
        ),
        (
            "image/png",
            b"\x89PNG".to_vec(),
            415,
            "unsupported_media_type",
        ),
    ] {
        let refused = post_raw(&server, &path, &integration, content_type, body).await;
        assert_eq!(refused.status(), status, "{content_type}");
        let text = refused.text().await.unwrap();
        assert!(text.contains(code), "{text}");
        assert_no_card(&text, "the refusal");
    }
    let entries = server
        .server()
        .state()
        .store()
        .entries(interaction.parse().unwrap())
        .await
        .unwrap();
    assert!(entries.is_empty(), "nothing was stored");
    assert!(trail_text(&server).await.contains("malformed_transcript"));
    server.stop().await;
}

async fn chat_messages_are_redacted_across_messages_and_flagged(db: TestDatabase) {
    let server =
        TestServer::start_on(db, &[("CUSTOS_CONVERSATIONS__KEEP_RAW", "[\"chat\"]")]).await;
    let integration = service_token(&server, Role::Integration).await;
    let (customer, _) = create_customer(&server, &integration, caller()).await;
    create_person(&server, "amy", Role::Agent).await;
    let response = post_as(
        &server,
        "/api/v1/interactions",
        &integration,
        json!({ "channel": "chat", "customer_id": customer, "agent": "amy" }),
    )
    .await;
    let interaction = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/interactions/{interaction}/messages");
    let mut rewritten = 0;
    for text in [
        "hi, I want to pay my bill with card 4539 1488",
        "sorry it got cut",
        "0343 6467, expiry 09/27",
    ] {
        let sent = post_as(
            &server,
            &path,
            &integration,
            json!({ "sender": "customer", "text": text }),
        )
        .await;
        assert_eq!(sent.status(), 201);
        rewritten += sent.json::<Value>().await.unwrap()["earlier_rewritten"]
            .as_u64()
            .unwrap();
    }
    assert_eq!(rewritten, 1, "the first message was redacted again");
    let phish = post_as(
        &server,
        &path,
        &integration,
        json!({
            "sender": "customer",
            "from": "security@paypa1-verify.com",
            "text": "URGENT: your account will be suspended within 24 hours. Verify your password \
                     and send me the one-time code now: http://192.168.4.20/login"
        }),
    )
    .await;
    assert_eq!(phish.status(), 201);
    let view: Value = get_as(
        &server,
        &format!("/api/v1/interactions/{interaction}"),
        &integration,
    )
    .await
    .json()
    .await
    .unwrap();
    let messages = view["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert_no_card(&view.to_string(), "the chat as read");
    assert_no_card_in_texts(&view, "the chat as read");
    assert_eq!(messages[1]["text"], "sorry it got cut");
    let risk = &messages[3]["risk"];
    assert_eq!(risk["level"], "high", "{risk}");
    let codes: Vec<&str> = risk["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for expected in ["urgency", "credential_request", "ip_address_url"] {
        assert!(codes.contains(&expected), "{codes:?}");
    }
    assert_eq!(messages[1]["risk"]["level"], "none");

    // The raw copy is kept for chat here, and only a security officer with a
    // fresh second factor and a reason reveals it.
    let entry = messages[0]["id"].as_str().unwrap();
    let reveal_path = format!("/api/v1/interactions/{interaction}/entries/{entry}/reveal");
    let reason = json!({ "reason": { "code": "fraud_investigation", "text": "case 88" } });
    let olga = create_person(&server, "olga", Role::SecurityOfficer).await;
    let olga_token = sign_in(&server, "olga", &olga).await;
    let revealed = post_as(&server, &reveal_path, &olga_token, reason.clone()).await;
    assert_eq!(revealed.status(), 200);
    let raw: Value = revealed.json().await.unwrap();
    assert!(raw["raw"].as_str().unwrap().contains("4539 1488"));
    assert_eq!(
        post_as(&server, &reveal_path, &integration, reason)
            .await
            .status(),
        403
    );
    let trail = trail_text(&server).await;
    assert!(trail.contains("interaction.reveal_raw"));
    assert_no_card(&trail, "the audit trail");

    // Closed: nothing more is accepted.
    post_as(
        &server,
        &format!("/api/v1/interactions/{interaction}/close"),
        &integration,
        json!({}),
    )
    .await;
    let late = post_as(
        &server,
        &path,
        &integration,
        json!({ "sender": "customer", "text": "hello?" }),
    )
    .await;
    assert_eq!(late.status(), 403);
    server.stop().await;
}

/// A server that mails through a real SMTP listener, and the listener; `settings`
/// are added to the mail settings.
pub async fn server_with_mail(
    db: TestDatabase,
    settings: &[(&str, &str)],
) -> (TestServer, SmtpSink) {
    let smtp = SmtpSink::start().await;
    let url = smtp.url();
    let mut all = vec![
        ("CUSTOS_NOTIFY__SMTP_URL", url.as_str()),
        ("CUSTOS_NOTIFY__SMTP_FROM", "verify@custos.example.com"),
    ];
    all.extend_from_slice(settings);
    (TestServer::start_on(db, &all).await, smtp)
}

/// The one-time code in a verification message.
pub fn code_in(message: &str) -> String {
    let at = message
        .find("code is ")
        .expect("the code is in the message")
        + "code is ".len();
    message[at..at + 6].to_owned()
}

async fn customers_are_verified_by_a_code_sent_over_smtp(db: TestDatabase) {
    let (server, mut smtp) = server_with_mail(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let (customer, _) = create_customer(&server, &integration, caller()).await;
    let amy = create_person(&server, "amy", Role::Agent).await;
    let interaction = open_interaction(&server, &integration, &customer, "amy").await;
    let amy_token = sign_in(&server, "amy", &amy).await;
    let send = format!("/api/v1/interactions/{interaction}/verification");
    let confirm = format!("{send}/confirm");

    assert_eq!(
        post_as(&server, &confirm, &amy_token, json!({"code": "123456"}))
            .await
            .status(),
        409,
        "no code yet"
    );
    let sent = post_as(&server, &send, &amy_token, json!({})).await;
    assert_eq!(sent.status(), 202);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!(sent["method"], "email");
    let mail = smtp.next().await;
    assert_eq!(mail.to, vec!["ana.lima@example.org".to_owned()]);
    let first = code_in(&mail.data);
    assert!(first.bytes().all(|b| b.is_ascii_digit()));

    // Wrong codes are counted.
    let wrong = if first == "000000" {
        "111111"
    } else {
        "000000"
    };
    let answer = post_as(&server, &confirm, &amy_token, json!({"code": wrong})).await;
    assert_eq!(answer.status(), 422);
    assert!(answer.text().await.unwrap().contains("4 tries left"));

    // Expired after five minutes (the injected clock).
    server.clock().advance(time::Duration::seconds(301));
    let late = post_as(&server, &confirm, &amy_token, json!({"code": first})).await;
    assert_eq!(late.status(), 410);

    // A new code works once; a replay is refused.
    assert_eq!(
        post_as(&server, &send, &amy_token, json!({"method": "email"}))
            .await
            .status(),
        202
    );
    let second = code_in(&smtp.next().await.data);
    let ok = post_as(&server, &confirm, &amy_token, json!({"code": second})).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap()["method"], "email");
    let replay = post_as(&server, &confirm, &amy_token, json!({"code": second})).await;
    assert_eq!(replay.status(), 409);
    let record: Value = get_as(
        &server,
        &format!("/api/v1/customers/{customer}"),
        &amy_token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(record["verified"], true);
    assert_eq!(record["email"], "a***@example.org");

    // Sends are rate-limited: three per window.
    let other = open_interaction(&server, &integration, &customer, "amy").await;
    let send_other = format!("/api/v1/interactions/{other}/verification");
    for _ in 0..3 {
        assert_eq!(
            post_as(&server, &send_other, &amy_token, json!({}))
                .await
                .status(),
            202
        );
        smtp.next().await;
    }
    assert_eq!(
        post_as(&server, &send_other, &amy_token, json!({}))
            .await
            .status(),
        429
    );

    let trail = trail_text(&server).await;
    assert!(trail.contains("customer.verification.confirm"));
    assert!(
        !trail.contains(&first) && !trail.contains(&second),
        "no code in the trail"
    );
    assert!(!trail.contains("ana.lima"), "no contact in the trail");
    server.stop().await;
}

async fn codes_for_phones_go_to_a_signed_webhook(db: TestDatabase) {
    let mut hook = WebhookReceiver::start(200).await;
    let url = hook.url();
    let secret = "s3cret-for-signing-webhooks-0123456789";
    let server = TestServer::start_on(
        db,
        &[
            ("CUSTOS_NOTIFY__SMS_WEBHOOK_URL", &url),
            ("CUSTOS_NOTIFY__WEBHOOK_SECRET", secret),
        ],
    )
    .await;
    let integration = service_token(&server, Role::Integration).await;
    let (customer, _) = create_customer(&server, &integration, caller()).await;
    create_person(&server, "amy", Role::Agent).await;
    let interaction = open_interaction(&server, &integration, &customer, "amy").await;
    let send = format!("/api/v1/interactions/{interaction}/verification");
    let sent = post_as(&server, &send, &integration, json!({"method": "phone"})).await;
    assert_eq!(sent.status(), 202);
    let request = hook.next().await;
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["to"], "+15550102299");
    crate::detection::assert_signed(&request, secret);
    let message = body["message"].as_str().unwrap();
    let code = code_in(message);
    let ok = post_as(
        &server,
        &format!("{send}/confirm"),
        &integration,
        json!({ "code": code }),
    )
    .await;
    assert_eq!(ok.status(), 200);
    server.stop().await;
}

async fn idle_interactions_close_and_access_ends(db: TestDatabase) {
    let server =
        TestServer::start_on(db, &[("CUSTOS_CONVERSATIONS__IDLE_CLOSE_SECS", "600")]).await;
    let integration = service_token(&server, Role::Integration).await;
    let (customer, _) = create_customer(&server, &integration, caller()).await;
    let amy = create_person(&server, "amy", Role::Agent).await;
    let interaction = open_interaction(&server, &integration, &customer, "amy").await;
    let amy_token = sign_in(&server, "amy", &amy).await;
    let record = format!("/api/v1/customers/{customer}");
    assert_eq!(get_as(&server, &record, &amy_token).await.status(), 200);
    server.clock().advance(time::Duration::seconds(601));
    // Refreshing the session: the sign-in must stay valid past the idle interaction.
    let amy_token = sign_in(&server, "amy", &amy).await;
    assert_eq!(
        get_as(&server, &record, &amy_token).await.status(),
        403,
        "idle past the limit: no access, even before the sweep"
    );
    let send = format!("/api/v1/interactions/{interaction}/verification");
    assert_eq!(
        post_as(&server, &send, &amy_token, json!({}))
            .await
            .status(),
        403,
        "nor a verification through it"
    );
    let closed = custos_server::conversation::lifecycle::close_idle(server.server().state())
        .await
        .unwrap();
    assert_eq!(closed, 1);
    let view: Value = get_as(
        &server,
        &format!("/api/v1/interactions/{interaction}"),
        &integration,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(view["status"], "closed");
    assert!(trail_text(&server).await.contains("\"idle\""));
    server.stop().await;
}

async fn a_policy_can_require_verification_before_reveals(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let (customer, _) = create_customer(&server, &integration, caller()).await;
    let amy = create_person(&server, "amy", Role::Agent).await;
    let ada = create_person(&server, "ada", Role::Admin).await;
    let interaction = open_interaction(&server, &integration, &customer, "amy").await;
    let ada_token = sign_in(&server, "ada", &ada).await;
    let added = post_as(
        &server,
        "/api/v1/policies",
        &ada_token,
        json!({
            "id": "reveal-needs-verified-customer",
            "text": "forbid (principal, action == Custos::Action::\"customer.reveal\", resource is Custos::Customer) unless { resource.verified };"
        }),
    )
    .await;
    assert_eq!(added.status(), 201, "{}", added.text().await.unwrap());
    let amy_token = sign_in(&server, "amy", &amy).await;
    let reveal_path = format!("/api/v1/customers/{customer}/reveal");
    let reveal = || {
        post_as(
            &server,
            &reveal_path,
            &amy_token,
            json!({
                "field": "phone",
                "interaction_id": interaction,
                "reason": { "code": "customer_request", "text": "caller asked to confirm" }
            }),
        )
    };
    assert_eq!(reveal().await.status(), 403, "not verified yet");
    let verified = post_as(
        &server,
        &format!("/api/v1/interactions/{interaction}/verification/questions"),
        &amy_token,
        json!({ "answers": { "date_of_birth": "1979-11-02", "postcode": "97205" } }),
    )
    .await;
    assert_eq!(verified.status(), 200);
    assert_eq!(reveal().await.status(), 200);
    server.stop().await;
}

custos_testkit::test_on_both_stores!(
    a_policy_can_require_verification_before_reveals,
    a_card_read_over_three_turns_leaves_no_trace,
    every_format_is_stored_and_malformed_content_is_refused,
    chat_messages_are_redacted_across_messages_and_flagged,
    customers_are_verified_by_a_code_sent_over_smtp,
    codes_for_phones_go_to_a_signed_webhook,
    idle_interactions_close_and_access_ends,
);
