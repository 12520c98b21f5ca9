//! The customer vault through the real HTTPS API: masking by role, reveals with
//! step-up and a reason, cards tokenized at the door, blind-index search,
//! integrity of sealed values, crypto-shredding, rotation, and canary values
//! that must reach no file, dump, log or audit record.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use custos_audit::Actor;
use custos_auth::role::Role;
use custos_crypto::{DataKey, FieldName, KeyBytes, RootKeyProvider as _};
use custos_server::vault::rotation;
use custos_store::{AuditStore as _, VaultStore as _};
use custos_testkit::{Backend, TestDatabase, TestServer};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

use crate::auth::{create_person, create_person_in_team, get_as, sign_in, totp};

/// A service token of `role`.
pub async fn service_token(server: &TestServer, role: Role) -> String {
    let name = format!("svc-{}", uuid::Uuid::new_v4().simple());
    let (token, _) = server
        .server()
        .state()
        .auth()
        .create_service_token(Actor::system(), &name, role, 30)
        .await
        .unwrap();
    token.expose_secret().to_owned()
}

pub async fn send(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = server
        .client()
        .request(method, server.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

pub async fn post_as(
    server: &TestServer,
    path: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    send(server, reqwest::Method::POST, path, token, Some(body)).await
}

async fn status_and_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn jane() -> Value {
    json!({
        "name": "Jane Q Doe",
        "email": "Jane.Doe@Example.com",
        "phone": "+1 (555) 010-4477",
        "date_of_birth": "1984-03-09",
        "ssn": "123-45-6789",
        "address": "12 Main St, Springfield, IL 62704",
        "account_number": "GB29 NWBK 6016 1331 9268 19",
        "card": { "number": "4111 1111 1111 1111", "expiry": "07/2031" }
    })
}

/// Creates a customer as an integration; returns its id and the creation answer.
pub async fn create_customer(
    server: &TestServer,
    integration: &str,
    body: Value,
) -> (String, Value) {
    let response = post_as(server, "/api/v1/customers", integration, body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    (created["id"].as_str().unwrap().to_owned(), created)
}

pub async fn open_interaction(
    server: &TestServer,
    token: &str,
    customer: &str,
    agent: &str,
) -> String {
    let response = post_as(
        server,
        "/api/v1/interactions",
        token,
        json!({ "channel": "voice", "customer_id": customer, "agent": agent }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let opened: Value = response.json().await.unwrap();
    assert_eq!(opened["status"], "open");
    opened["id"].as_str().unwrap().to_owned()
}

fn reveal_body(field: &str, interaction: &str) -> Value {
    json!({
        "field": field,
        "interaction_id": interaction,
        "reason": { "code": "identity_verification", "text": "caller asked; card 4111 1111 1111 1111" }
    })
}

/// Every audit entry's action, in order.
pub async fn trail_actions(server: &TestServer) -> Vec<String> {
    server
        .server()
        .state()
        .store()
        .audit_entries(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.index.action)
        .collect()
}

/// Every audit entry's stored payload, one per line.
pub async fn trail_text(server: &TestServer) -> String {
    let mut text = String::new();
    for entry in server
        .server()
        .state()
        .store()
        .audit_entries(0, 100_000)
        .await
        .unwrap()
    {
        text.push_str(&String::from_utf8_lossy(&entry.payload));
        text.push('\n');
    }
    text
}

async fn agents_see_masked_customers_only_through_their_interactions(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let (id, created) = create_customer(&server, &integration, jane()).await;
    assert_eq!(created["card"]["brand"], "visa");
    assert_eq!(created["card"]["last4"], "1111");
    let token = created["card"]["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("tok_"));

    let amy = create_person(&server, "amy", Role::Agent).await;
    let bob = create_person(&server, "bob", Role::Agent).await;
    let interaction = open_interaction(&server, &integration, &id, "amy").await;
    let amy_token = sign_in(&server, "amy", &amy).await;
    let bob_token = sign_in(&server, "bob", &bob).await;
    let path = format!("/api/v1/customers/{id}");

    // Bob serves nobody: refused, and the refusal is in the trail.
    assert_eq!(get_as(&server, &path, &bob_token).await.status(), 403);
    let trail = trail_text(&server).await;
    assert!(
        trail
            .lines()
            .any(|l| l.contains("bob") && l.contains("customer.read") && l.contains("failure")),
        "the refusal is audited"
    );

    // Amy sees the masked header only until the customer is verified.
    let header: Value = get_as(&server, &path, &amy_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(header["header_only"], true);
    assert_eq!(header["verified"], false);
    assert_eq!(header["name"], "Jane Q Doe");
    assert!(header.get("email").is_none() && header.get("card").is_none());
    let verified = post_as(
        &server,
        &format!("/api/v1/interactions/{interaction}/verification/questions"),
        &amy_token,
        json!({ "answers": { "date_of_birth": "9 March 1984", "postcode": "62704" } }),
    )
    .await;
    assert_eq!(
        verified.status(),
        422,
        "a date in other words is not the answer"
    );
    let verified = post_as(
        &server,
        &format!("/api/v1/interactions/{interaction}/verification/questions"),
        &amy_token,
        json!({ "answers": { "date_of_birth": "1984-03-09", "postcode": "62704" } }),
    )
    .await;
    assert_eq!(verified.status(), 200);

    // Then she sees the record masked.
    let record = get_as(&server, &path, &amy_token).await;
    assert_eq!(record.status(), 200);
    let record: Value = record.json().await.unwrap();
    assert_eq!(record["masked"], true);
    assert_eq!(
        (&record["verified"], &record["header_only"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(record["name"], "Jane Q Doe");
    assert_eq!(record["email"], "J***@example.com");
    assert_eq!(record["phone"], "+*******4477");
    assert_eq!(record["date_of_birth"], "1984-**-**");
    assert_eq!(record["ssn"], "***-**-6789");
    assert_eq!(record["address"], "Springfield, IL 627**");
    assert_eq!(record["account_number"], "****6819");
    assert_eq!(record["card"]["last4"], "1111");
    assert_eq!(record["card"]["expiry"], "07/31");
    assert!(
        record["card"].get("bin").is_none(),
        "agents see the last four only"
    );

    // A security officer investigating sees even less; an auditor nothing.
    let olga = create_person(&server, "olga", Role::SecurityOfficer).await;
    let olga_token = sign_in(&server, "olga", &olga).await;
    let seen: Value = get_as(&server, &path, &olga_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["name"], "J. Q. D.");
    assert_eq!(seen["ssn"], "***-**-****");
    let aud = create_person(&server, "aud", Role::Auditor).await;
    let aud_token = sign_in(&server, "aud", &aud).await;
    assert_eq!(get_as(&server, &path, &aud_token).await.status(), 403);

    // Supervisors reach their team's interactions only.
    let sue = create_person(&server, "sue", Role::Supervisor).await; // team billing, as amy
    let sue_token = sign_in(&server, "sue", &sue).await;
    assert_eq!(get_as(&server, &path, &sue_token).await.status(), 200);
    let sam = create_person_in_team(&server, "sam", Role::Supervisor, "sales").await;
    let sam_token = sign_in(&server, "sam", &sam).await;
    assert_eq!(get_as(&server, &path, &sam_token).await.status(), 403);

    // Closing the interaction ends Amy's access at once.
    let closed = post_as(
        &server,
        &format!("/api/v1/interactions/{interaction}/close"),
        &amy_token,
        json!({}),
    )
    .await;
    assert_eq!(closed.status(), 200);
    assert_eq!(get_as(&server, &path, &amy_token).await.status(), 403);
    assert_eq!(get_as(&server, &path, &sue_token).await.status(), 403);
    server.stop().await;
}

async fn reveals_need_step_up_a_reason_and_an_open_interaction(db: TestDatabase) {
    let server = TestServer::start_on(db, &[("CUSTOS_VAULT__REVEAL_LIMIT_PER_HOUR", "4")]).await;
    let integration = service_token(&server, Role::Integration).await;
    let (id, _) = create_customer(&server, &integration, jane()).await;
    let amy = create_person(&server, "amy", Role::Agent).await;
    let interaction = open_interaction(&server, &integration, &id, "amy").await;
    let amy_token = sign_in(&server, "amy", &amy).await;
    let path = format!("/api/v1/customers/{id}/reveal");

    let revealed = post_as(&server, &path, &amy_token, reveal_body("ssn", &interaction)).await;
    assert_eq!(revealed.status(), 200);
    assert_eq!(revealed.headers()["cache-control"], "no-store");
    let revealed: Value = revealed.json().await.unwrap();
    assert_eq!(revealed["value"], "123-45-6789");
    let trail = trail_text(&server).await;
    let event = trail
        .lines()
        .find(|l| l.contains("customer.reveal"))
        .unwrap();
    assert!(
        event.contains("identity_verification") && event.contains("ssn"),
        "{event}"
    );
    assert!(
        event.contains("caller asked; card [CREDIT_CARD]"),
        "reason kept, card redacted: {event}"
    );
    assert!(!trail.contains("123-45-6789") && !trail.contains("4111 1111"));

    // Bad requests change nothing and reveal nothing.
    let mut no_reason = reveal_body("ssn", &interaction);
    no_reason["reason"]["code"] = json!("curiosity");
    assert_eq!(
        status_and_code(post_as(&server, &path, &amy_token, no_reason).await).await,
        (422, "invalid_request".into())
    );
    assert_eq!(
        status_and_code(
            post_as(
                &server,
                &path,
                &amy_token,
                reveal_body("card_number", &interaction)
            )
            .await
        )
        .await,
        (422, "not_revealable".into())
    );
    let other = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        status_and_code(post_as(&server, &path, &amy_token, reveal_body("ssn", &other)).await)
            .await
            .0,
        403
    );

    // Sixteen minutes on (kept alive), the second factor is stale: step up first.
    server.clock().advance(time::Duration::minutes(10));
    assert_eq!(
        get_as(&server, "/api/v1/me", &amy_token).await.status(),
        200
    );
    server.clock().advance(time::Duration::minutes(6));
    assert_eq!(
        status_and_code(
            post_as(
                &server,
                &path,
                &amy_token,
                reveal_body("phone", &interaction)
            )
            .await
        )
        .await,
        (403, "step_up_required".into())
    );
    let stepped = post_as(
        &server,
        "/api/v1/auth/step-up/totp",
        &amy_token,
        json!({ "code": totp(&server, &amy) }),
    )
    .await;
    assert_eq!(stepped.status(), 200);
    let phone: Value = post_as(
        &server,
        &path,
        &amy_token,
        reveal_body("phone", &interaction),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(phone["value"], "+15550104477");

    // Rate limit: 4 an hour here.
    for field in ["email", "date_of_birth"] {
        assert_eq!(
            post_as(&server, &path, &amy_token, reveal_body(field, &interaction))
                .await
                .status(),
            200
        );
    }
    let limited = post_as(
        &server,
        &path,
        &amy_token,
        reveal_body("address", &interaction),
    )
    .await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));

    // After the interaction closes, no reveal: the policy refuses before the limiter counts.
    let closed = post_as(
        &server,
        &format!("/api/v1/interactions/{interaction}/close"),
        &integration,
        json!({}),
    )
    .await;
    assert_eq!(closed.status(), 200);
    assert_eq!(
        status_and_code(
            post_as(&server, &path, &amy_token, reveal_body("ssn", &interaction)).await
        )
        .await,
        (403, "forbidden".to_owned())
    );
    server.clock().advance(time::Duration::hours(2));
    assert_eq!(
        get_as(&server, "/api/v1/me", &amy_token).await.status(),
        401,
        "idle session ended"
    );
    server.stop().await;
}

async fn cards_are_tokenized_and_a_cvv_is_refused(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let payments = service_token(&server, Role::PaymentService).await;
    let mut with_cvv = jane();
    with_cvv["card"]["cvv"] = json!("737");
    assert_eq!(
        status_and_code(post_as(&server, "/api/v1/customers", &integration, with_cvv).await).await,
        (422, "cvv_not_storable".into())
    );
    let bad_card = json!({ "card": { "number": "4111 1111 1111 1112", "expiry": "01/30" } });
    let (status, code) =
        status_and_code(post_as(&server, "/api/v1/customers", &integration, bad_card).await).await;
    assert_eq!((status, code.as_str()), (422, "invalid_customer"));
    let trail = trail_text(&server).await;
    // As a value: three digits alone also turn up inside ids and hashes by chance.
    assert!(!trail.contains("\"737\""));
    assert!(!trail.contains("4111111111111112") && !trail.contains("4111 1111 1111 1112"));

    let (id, created) = create_customer(&server, &integration, jane()).await;
    let token = created["card"]["token"].as_str().unwrap();
    assert_eq!(created["card"]["bin"], "411111", "integrations see the BIN");
    let card = post_as(
        &server,
        "/api/v1/cards/detokenize",
        &payments,
        json!({ "token": token }),
    )
    .await;
    assert_eq!(card.status(), 200);
    let card: Value = card.json().await.unwrap();
    assert_eq!(
        (card["number"].as_str(), card["expiry"].as_str()),
        (Some("4111111111111111"), Some("07/31"))
    );
    assert_eq!(
        post_as(
            &server,
            "/api/v1/cards/detokenize",
            &integration,
            json!({ "token": token })
        )
        .await
        .status(),
        403
    );
    let trail = trail_text(&server).await;
    let event = trail
        .lines()
        .find(|l| l.contains("card.detokenize"))
        .unwrap();
    assert!(
        event.contains(&id)
            && !event.contains("4111111111111111")
            && !event.contains("4111 1111 1111 1111"),
        "{event}"
    );

    // Search by blind index, in any spelling of the same value.
    for (field, value) in [
        ("phone", "555-010-4477"),
        ("email", "JANE.DOE@example.COM"),
        ("account_number", "gb29nwbk60161331926819"),
    ] {
        let found: Value = post_as(
            &server,
            "/api/v1/customers/search",
            &integration,
            json!({ "field": field, "value": value }),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(found["customers"][0]["id"], json!(id), "{field}");
    }
    let refused = post_as(
        &server,
        "/api/v1/customers/search",
        &integration,
        json!({ "field": "ssn", "value": "123-45-6789" }),
    )
    .await;
    assert_eq!(refused.status(), 422);
    server.stop().await;
}

/// SQL that swaps two values of `customer_fields`, for either backend.
fn uuid_literal(backend: Backend, id: &str) -> String {
    match backend {
        Backend::Sqlite => format!("X'{}'", id.replace('-', "")),
        Backend::Postgres => format!("'{id}'"),
    }
}

async fn swapped_ciphertexts_fail_loudly(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let (a, _) = create_customer(&server, &integration, jane()).await;
    let (b, _) = create_customer(
        &server,
        &integration,
        json!({ "name": "Bob Roe", "email": "bob@example.org", "phone": "+44 20 7946 0958" }),
    )
    .await;
    let backend = server.database().backend();
    let (la, lb) = (uuid_literal(backend, &a), uuid_literal(backend, &b));
    let tampered_read_fails = |sql: String, customer: String| {
        let server = &server;
        let integration = &integration;
        async move {
            server.database().execute_raw(&sql).await;
            let read = get_as(
                server,
                &format!("/api/v1/customers/{customer}"),
                integration,
            )
            .await;
            assert_eq!(
                status_and_code(read).await,
                (500, "integrity_check_failed".into()),
                "{sql}"
            );
        }
    };
    // Bob's email ciphertext copied over Jane's.
    tampered_read_fails(
        format!(
            "UPDATE customer_fields SET sealed = (SELECT sealed FROM customer_fields WHERE customer_id = {lb} AND field = 'email') \
             WHERE customer_id = {la} AND field = 'email'"
        ),
        a.clone(),
    )
    .await;
    // Bob's phone moved into Bob's email.
    tampered_read_fails(
        format!(
            "UPDATE customer_fields SET sealed = (SELECT sealed FROM customer_fields WHERE customer_id = {lb} AND field = 'phone') \
             WHERE customer_id = {lb} AND field = 'email'"
        ),
        b.clone(),
    )
    .await;
    // Jane's wrapped data key given to Bob.
    tampered_read_fails(
        format!(
            "UPDATE customers SET data_key_wrapped = (SELECT data_key_wrapped FROM customers WHERE id = {la}) WHERE id = {lb}"
        ),
        b.clone(),
    )
    .await;
    let trail = trail_text(&server).await;
    assert!(
        trail.matches("customer.integrity").count() >= 2,
        "integrity failures are audited"
    );
    server.stop().await;
}

async fn deleting_a_customer_destroys_their_data_key(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let payments = service_token(&server, Role::PaymentService).await;
    let (id, created) = create_customer(&server, &integration, jane()).await;
    let token = created["card"]["token"].as_str().unwrap().to_owned();
    let state = server.server().state();
    let uuid = uuid::Uuid::parse_str(&id).unwrap();
    let before = state.store().customer(uuid).await.unwrap().unwrap();
    let wrapped_before = before.customer.data_key_wrapped.clone().unwrap();
    let (_, sealed_email) = before
        .fields
        .iter()
        .find(|(f, _)| f == "email")
        .unwrap()
        .clone();

    let agent = create_person(&server, "amy", Role::Agent).await;
    open_interaction(&server, &integration, &id, "amy").await;
    let amy_token = sign_in(&server, "amy", &agent).await;
    let admin = create_person(&server, "ada", Role::Admin).await;
    let admin_token = sign_in(&server, "ada", &admin).await;
    let path = format!("/api/v1/customers/{id}");
    assert_eq!(
        send(&server, reqwest::Method::DELETE, &path, &amy_token, None)
            .await
            .status(),
        403
    );
    assert_eq!(
        send(&server, reqwest::Method::DELETE, &path, &admin_token, None)
            .await
            .status(),
        204
    );
    assert_eq!(
        status_and_code(get_as(&server, &path, &integration).await).await,
        (410, "customer_deleted".into())
    );
    assert_eq!(
        get_as(&server, &path, &amy_token).await.status(),
        403,
        "the interaction was closed"
    );
    assert_eq!(
        post_as(
            &server,
            "/api/v1/cards/detokenize",
            &payments,
            json!({ "token": token })
        )
        .await
        .status(),
        404
    );

    // The tombstone holds no key; nothing is left to open.
    let after = state.store().customer(uuid).await.unwrap().unwrap();
    assert!(after.customer.deleted_at.is_some());
    assert_eq!(after.customer.data_key_wrapped, None);
    assert!(after.fields.is_empty() && after.cards.is_empty());
    assert!(trail_text(&server).await.contains("customer.delete"));

    // Every key the root can reach still exists; none opens the old ciphertext.
    let root = custos_crypto::LocalRootKey::from_bytes("file", state.keys().root.expose()).unwrap();
    let field = FieldName::new("email").unwrap();
    let mut candidates = Vec::new();
    for kek in state.store().vault_keks().await.unwrap() {
        candidates.push(
            root.unwrap(
                &kek.wrapped,
                format!("custos.kek.v1\0{}", kek.version).as_bytes(),
            )
            .unwrap(),
        );
    }
    for key in state.store().vault_system_keys().await.unwrap() {
        let context = format!("custos.vault-key.v1\0{}\0{}", key.purpose, key.version);
        candidates.push(root.unwrap(&key.wrapped, context.as_bytes()).unwrap());
    }
    assert!(candidates.len() >= 3);
    for material in &candidates {
        let key = DataKey::new(*uuid.as_bytes(), 1, material).unwrap();
        assert!(key.open_field(&field, &sealed_email).is_err());
    }
    let random = DataKey::new(*uuid.as_bytes(), 1, &KeyBytes::generate().unwrap()).unwrap();
    assert!(random.open_field(&field, &sealed_email).is_err());

    // The wrapped key is gone from the database file itself, not only from the row.
    if server.database().backend() == Backend::Sqlite {
        server
            .database()
            .execute_raw("PRAGMA wal_checkpoint(TRUNCATE)")
            .await;
        let path = server.database().url().sqlite_path().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes
                .windows(wrapped_before.len())
                .any(|w| w == wrapped_before.as_slice())
        );
    }
    server.stop().await;
}

async fn rotation_interrupted_half_way_and_resumed_loses_nothing(db: TestDatabase) {
    const CUSTOMERS: usize = 2_000;
    let server = TestServer::start_on(db, &[]).await;
    let state = server.server().state();
    let vault = state.vault();
    let mut ids = Vec::with_capacity(CUSTOMERS);
    for n in 0..CUSTOMERS {
        let values = custos_server::vault::NewCustomerValues {
            values: vec![
                custos_server::vault::fields::parse_value(
                    custos_server::vault::fields::Field::Phone,
                    &format!("+1555{n:07}"),
                )
                .unwrap(),
            ],
            card: None,
        };
        ids.push(
            vault
                .create_customer(Actor::system(), values)
                .await
                .unwrap()
                .0,
        );
    }
    let store = state.store();
    assert_eq!(
        store.kek_usage().await.unwrap(),
        vec![(1, CUSTOMERS as u64)]
    );

    // Interrupted after about half.
    let first = rotation::rotate(store, vault.keyring(), 0, 100, |done, _| {
        if done >= CUSTOMERS as u64 / 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .await
    .unwrap();
    assert!(!first.complete && !first.resumed);
    assert_eq!(first.version, 2);
    assert_eq!(first.rewrapped, CUSTOMERS as u64 / 2);
    let usage = store.kek_usage().await.unwrap();
    assert_eq!(
        usage,
        vec![(1, CUSTOMERS as u64 / 2), (2, CUSTOMERS as u64 / 2)]
    );

    // Everyone is readable half-way through; new customers go under the new KEK.
    let check_all = || async {
        for (n, id) in ids.iter().enumerate() {
            let loaded = vault.load(*id).await.unwrap();
            let masked = vault
                .read_masked(
                    Actor::system(),
                    &loaded,
                    custos_server::vault::masking::Audience::Integration,
                )
                .await
                .unwrap();
            // The last four digits tell that each customer's own value came back.
            assert_eq!(
                masked.fields[0].1,
                format!("+*******{:04}", n % 10_000),
                "customer {n}"
            );
        }
    };
    check_all().await;

    // Resumed: finishes the same rotation, destroys the old KEK.
    let second = rotation::rotate(store, vault.keyring(), 0, 100, |_, _| {
        ControlFlow::Continue(())
    })
    .await
    .unwrap();
    assert!(second.complete && second.resumed);
    assert_eq!(second.version, 2);
    assert_eq!(second.rewrapped, CUSTOMERS as u64 / 2);
    assert_eq!(second.destroyed, vec![1]);
    assert_eq!(
        store.kek_usage().await.unwrap(),
        vec![(2, CUSTOMERS as u64)]
    );
    assert_eq!(store.vault_keks().await.unwrap().len(), 1);
    check_all().await;
    server.stop().await;
}

/// A customer of unique canary values; returns the values to look for.
fn canary_customer(n: u32, salt: u32) -> (Value, Vec<String>) {
    let digits = format!(
        "{:07}",
        (salt.wrapping_mul(7919).wrapping_add(n * 104_729)) % 10_000_000
    );
    // A Luhn-valid Visa number with a unique middle.
    let mut pan: Vec<u32> = format!("4{:014}", u64::from(salt) * 1000 + u64::from(n))
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect();
    let sum: u32 = pan
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let t = d * 2;
                if t > 9 { t - 9 } else { t }
            } else {
                *d
            }
        })
        .sum();
    pan.push((10 - sum % 10) % 10);
    let pan: String = pan.iter().map(ToString::to_string).collect();
    let ssn = format!(
        "{:03}-{:02}-{:04}",
        100 + n,
        10 + n % 80,
        1000 + salt % 9000
    );
    let values = vec![
        format!("Zqxvcanaryname{salt}n{n}"),
        format!("zqxv.{salt}.{n}@canary-mail.example"),
        format!("+1555{digits}"),
        ssn.replace('-', ""),
        ssn.clone(),
        format!("Zqxvcanarystreet{salt}n{n}"),
        format!("ZQXV{salt}{n}0000"),
        pan.clone(),
    ];
    let body = json!({
        "name": values[0],
        "email": values[1],
        "phone": values[2],
        "ssn": ssn,
        "address": format!("{} {}, Springfield, IL 62704", n + 1, values[5]),
        "account_number": values[6],
        "card": { "number": pan, "expiry": "09/33" },
    });
    (body, values)
}

/// Every common encoding of a value: plain, hex (both cases) and base64.
fn encodings(value: &str) -> Vec<Vec<u8>> {
    let hex: String = value.bytes().map(|b| format!("{b:02x}")).collect();
    vec![
        value.as_bytes().to_vec(),
        hex.clone().into_bytes(),
        hex.to_uppercase().into_bytes(),
        base64::engine::general_purpose::STANDARD
            .encode(value)
            .into_bytes(),
        base64::engine::general_purpose::STANDARD_NO_PAD
            .encode(value)
            .into_bytes(),
    ]
}

fn find_canary(haystack: &[u8], canaries: &[String], what: &str) {
    for canary in canaries {
        for encoded in encodings(canary) {
            assert!(
                !haystack
                    .windows(encoded.len())
                    .any(|w| w == encoded.as_slice()),
                "a canary value (#{}) reached {what}",
                canaries.iter().position(|c| c == canary).unwrap_or(0)
            );
        }
    }
}

/// Everything the server logs, at DEBUG and above, once installed.
#[derive(Clone, Default)]
pub struct CapturedLog(pub Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    /// Installs a capture as the process's subscriber (each test runs in its own process).
    pub fn install() -> Self {
        let log = Self::default();
        let writer = log.clone();
        let _ = tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::DEBUG)
                .with_writer(move || writer.clone())
                .finish(),
        );
        log
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn canary_values_reach_no_file_dump_log_or_trail(db: TestDatabase) {
    let log = CapturedLog::install();
    let server = TestServer::start_on(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let payments = service_token(&server, Role::PaymentService).await;
    let amy = create_person(&server, "amy", Role::Agent).await;
    let amy_token = sign_in(&server, "amy", &amy).await;
    let salt = std::process::id() % 100_000;
    let mut canaries = Vec::new();
    for n in 0..3 {
        let (body, values) = canary_customer(n, salt);
        let (id, created) = create_customer(&server, &integration, body).await;
        let interaction = open_interaction(&server, &integration, &id, "amy").await;
        assert_eq!(
            get_as(&server, &format!("/api/v1/customers/{id}"), &amy_token)
                .await
                .status(),
            200
        );
        for field in ["ssn", "email", "name"] {
            let revealed = post_as(
                &server,
                &format!("/api/v1/customers/{id}/reveal"),
                &amy_token,
                reveal_body(field, &interaction),
            )
            .await;
            assert_eq!(revealed.status(), 200);
        }
        let search = json!({ "field": "phone", "value": values[2] });
        assert_eq!(
            post_as(&server, "/api/v1/customers/search", &integration, search)
                .await
                .status(),
            200
        );
        let token = created["card"]["token"].as_str().unwrap();
        assert_eq!(
            post_as(
                &server,
                "/api/v1/cards/detokenize",
                &payments,
                json!({ "token": token })
            )
            .await
            .status(),
            200
        );
        // A bad request that quotes a value must not echo it either.
        let bad = json!({ "email": values[1], "phone": { "oops": values[2] } });
        assert_eq!(
            post_as(&server, "/api/v1/customers", &integration, bad)
                .await
                .status(),
            422
        );
        canaries.extend(values);
    }
    let trail = trail_text(&server).await;
    find_canary(trail.as_bytes(), &canaries, "the audit trail");
    let database = server.stop_keeping_database().await;
    let captured = log.0.lock().unwrap().clone();
    assert!(!captured.is_empty(), "the log was captured");
    find_canary(&captured, &canaries, "the log");
    match database.backend() {
        Backend::Sqlite => {
            // Every file beside the database: the main file, the audit trail's and
            // its lookups', each with its WAL and shared-memory index.
            let path = database.url().sqlite_path().unwrap();
            let mut files = Vec::new();
            for file in std::fs::read_dir(path.parent().unwrap()).unwrap() {
                let file = file.unwrap();
                let name = file.file_name().to_string_lossy().into_owned();
                if file.file_type().unwrap().is_file() {
                    let bytes = std::fs::read(file.path()).unwrap();
                    find_canary(&bytes, &canaries, &format!("the SQLite file {name}"));
                    files.push(name);
                }
            }
            for expected in ["custos.db", "custos.db.audit-trail"] {
                assert!(
                    files.iter().any(|f| f == expected),
                    "{expected} in {files:?}"
                );
            }
        }
        Backend::Postgres => {
            let (url, schema) = database.postgres_schema().unwrap();
            let dump = std::process::Command::new("pg_dump")
                .args(["--dbname", url, "--schema", schema, "--inserts"])
                .output()
                .expect("pg_dump is installed");
            assert!(
                dump.status.success(),
                "{}",
                String::from_utf8_lossy(&dump.stderr)
            );
            assert!(String::from_utf8_lossy(&dump.stdout).contains("customer_fields"));
            find_canary(&dump.stdout, &canaries, "the PostgreSQL dump");
        }
    }
    database.cleanup().await;
}

custos_testkit::test_on_both_stores!(
    agents_see_masked_customers_only_through_their_interactions,
    reveals_need_step_up_a_reason_and_an_open_interaction,
    cards_are_tokenized_and_a_cvv_is_refused,
    swapped_ciphertexts_fail_loudly,
    deleting_a_customer_destroys_their_data_key,
    rotation_interrupted_half_way_and_resumed_loses_nothing,
    canary_values_reach_no_file_dump_log_or_trail,
);

/// `POST /api/v1/redact`: a batch in, spans in code points and redacted text out;
/// audited with counts only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_redact_batches_of_text() {
    let server = TestServer::start(Backend::Sqlite).await.unwrap();
    let integration = service_token(&server, Role::Integration).await;
    let body = json!({ "items": [
        { "id": "m1", "text": "Grüße, my card is 4111 1111 1111 1111 exp 09/27" },
        { "id": 2, "text": "my order number is 4411 2387" },
    ]});
    let response = post_as(&server, "/api/v1/redact", &integration, body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let first = &answer["results"][0];
    assert_eq!(first["id"], "m1");
    assert_eq!(first["spans"][0]["type"], "CREDIT_CARD");
    assert_eq!(first["spans"][0]["start"], 18, "code points, not bytes");
    assert!(!first["redacted"].as_str().unwrap().contains("4111"));
    assert_eq!(
        answer["results"][1]["redacted"],
        "my order number is 4411 2387"
    );
    let trail = trail_text(&server).await;
    let event = trail.lines().find(|l| l.contains("redact.batch")).unwrap();
    assert!(
        event.contains("CREDIT_CARD") && !event.contains("4111 1111"),
        "{event}"
    );
    let too_many =
        json!({ "items": (0..1001).map(|i| json!({ "id": i, "text": "x" })).collect::<Vec<_>>() });
    assert_eq!(
        post_as(&server, "/api/v1/redact", &integration, too_many)
            .await
            .status(),
        422
    );
    let payments = service_token(&server, Role::PaymentService).await;
    assert_eq!(
        post_as(&server, "/api/v1/redact", &payments, json!({ "items": [] }))
            .await
            .status(),
        403
    );
    server.stop().await;
}
