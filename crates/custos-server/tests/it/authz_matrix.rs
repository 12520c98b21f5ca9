//! The authorization matrix: every route × every role (and no credentials) against
//! a table of expected answers. A route added to the API without a row here fails:
//! the test walks the OpenAPI document.

use std::collections::BTreeSet;

use custos_audit::Actor;
use custos_auth::role::Role;
use custos_testkit::{Backend, TestServer};
use secrecy::ExposeSecret as _;
use serde_json::Value;

use crate::auth::{create_person, sign_in};

/// Routes anyone may call without credentials.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/mfa/totp"),
    ("POST", "/api/v1/auth/mfa/recovery"),
    ("POST", "/api/v1/auth/mfa/passkey/start"),
    ("POST", "/api/v1/auth/mfa/passkey"),
    ("POST", "/api/v1/setup"),
    ("POST", "/api/v1/invitations/redeem"),
    ("POST", "/api/v1/auth/devices/enrol"),
];

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Nobody,
    As(Role),
}

/// The expected status for `who` calling `method path` (path as in the OpenAPI
/// document). Every person calls right after signing in, so their second factor
/// is fresh; step-up refusals are tested separately.
fn expected(method: &str, path: &str, who: Who) -> u16 {
    let Who::As(role) = who else { return 401 };
    let person = role.is_person();
    let officer_or_admin = matches!(role, Role::SecurityOfficer | Role::Admin);
    match (method, path) {
        ("GET", "/api/v1/me") => 200,
        ("POST", "/api/v1/auth/logout") => {
            if person {
                204
            } else {
                403
            }
        }
        ("GET", "/api/v1/audit/events") => match role {
            Role::SecurityOfficer | Role::Auditor | Role::Admin => 200,
            _ => 403,
        },
        ("GET", "/api/v1/sessions") => {
            if person {
                200
            } else {
                403
            }
        }
        // Someone else's session: only a security officer may end it.
        ("DELETE", "/api/v1/sessions/{id}") => {
            if role == Role::SecurityOfficer {
                204
            } else {
                403
            }
        }
        // A wrong code: people are told so; services have no session to step up.
        ("POST", "/api/v1/auth/step-up/totp") => {
            if person {
                401
            } else {
                403
            }
        }
        // Everyone with a password may change it; the matrix sends a wrong current one.
        ("POST", "/api/v1/me/password") => {
            if person {
                401
            } else {
                403
            }
        }
        // Passkeys are a person's own: services have none. A fresh person has none
        // enrolled (step-up answers 401) and no enrolment in flight (finish answers 422).
        ("GET", "/api/v1/me/passkeys") | ("POST", "/api/v1/me/passkeys/register/start") => {
            if person { 200 } else { 403 }
        }
        ("POST", "/api/v1/me/passkeys/register/finish") => {
            if person {
                422
            } else {
                403
            }
        }
        ("DELETE", "/api/v1/me/passkeys/{id}") => {
            if person {
                404
            } else {
                403
            }
        }
        // The caller has no passkey.
        ("POST", "/api/v1/auth/step-up/passkey/start") => {
            if person {
                409
            } else {
                403
            }
        }
        ("POST", "/api/v1/auth/step-up/passkey") => {
            if person {
                401
            } else {
                403
            }
        }
        ("POST", "/api/v1/users/{username}/credential-reset") => {
            if officer_or_admin {
                201
            } else {
                403
            }
        }
        ("GET" | "POST", "/api/v1/me/recovery-codes") => {
            if person {
                200
            } else {
                403
            }
        }
        ("PUT", "/api/v1/users/{username}/role") => {
            if role == Role::Admin {
                200
            } else {
                403
            }
        }
        ("PUT", "/api/v1/users/{username}/shift") => {
            if officer_or_admin {
                204
            } else {
                403
            }
        }
        (
            "POST",
            "/api/v1/users/{username}/unlock"
            | "/api/v1/users/{username}/disable"
            | "/api/v1/users/{username}/lock",
        ) => {
            if officer_or_admin {
                204
            } else {
                403
            }
        }
        ("POST", "/api/v1/users/{username}/end-sessions") => {
            if officer_or_admin {
                200
            } else {
                403
            }
        }
        // To an agent of the same team: integrations and the team's supervisor.
        ("POST", "/api/v1/interactions/{id}/assign") => match role {
            Role::Integration | Role::Supervisor => 200,
            _ => 403,
        },
        // A fresh username each call.
        ("POST", "/api/v1/users") => match role {
            Role::Admin => 201,
            _ => 403,
        },
        // The list is filtered by the policy row by row: everyone gets one, maybe empty.
        ("GET", "/api/v1/interactions") => 200,
        ("GET", "/api/v1/access-review" | "/api/v1/access-review/sign-offs") => match role {
            Role::SecurityOfficer | Role::Auditor | Role::Admin => 200,
            _ => 403,
        },
        // Allowed roles get past authorization to the check of the report's hash.
        ("POST", "/api/v1/access-review/sign-off") => {
            if officer_or_admin {
                409
            } else {
                403
            }
        }
        ("GET", "/api/v1/policies") => match role {
            Role::SecurityOfficer | Role::Auditor | Role::Admin => 200,
            _ => 403,
        },
        ("POST", "/api/v1/policies") => {
            if role == Role::Admin {
                201
            } else {
                403
            }
        }
        // The vault. Every caller is in team "billing", as is the fixture's agent;
        // no caller is that agent (their own access is tested in `vault`).
        ("POST", "/api/v1/customers") => match role {
            Role::Integration | Role::Admin => 201,
            _ => 403,
        },
        ("POST", "/api/v1/customers/search") => match role {
            Role::Integration => 200,
            _ => 403,
        },
        ("GET", "/api/v1/customers/{id}") => match role {
            Role::Supervisor | Role::SecurityOfficer | Role::Integration => 200,
            _ => 403,
        },
        ("DELETE", "/api/v1/customers/{id}") => match role {
            Role::Admin => 204,
            _ => 403,
        },
        ("POST", "/api/v1/customers/{id}/reveal") => match role {
            Role::Supervisor => 200,
            _ => 403,
        },
        ("POST", "/api/v1/cards/detokenize") => match role {
            Role::PaymentService => 200,
            _ => 403,
        },
        ("POST", "/api/v1/interactions") => match role {
            Role::Integration | Role::Supervisor => 201,
            _ => 403,
        },
        ("GET", "/api/v1/interactions/{id}") => match role {
            Role::Integration | Role::Supervisor | Role::SecurityOfficer => 200,
            _ => 403,
        },
        // Another person's devices.
        ("POST", "/api/v1/users/{username}/device-codes") => {
            if officer_or_admin {
                201
            } else {
                403
            }
        }
        ("GET", "/api/v1/users/{username}/devices") => match role {
            Role::SecurityOfficer | Role::Admin | Role::Auditor => 200,
            _ => 403,
        },
        ("DELETE", "/api/v1/devices/{id}") => {
            if officer_or_admin {
                204
            } else {
                403
            }
        }
        ("GET", "/api/v1/settings") => match role {
            Role::SecurityOfficer | Role::Admin | Role::Auditor => 200,
            _ => 403,
        },
        ("PATCH", "/api/v1/settings") => {
            if role == Role::Admin {
                200
            } else {
                403
            }
        }
        ("GET", "/api/v1/service-tokens") => match role {
            Role::SecurityOfficer | Role::Admin | Role::Auditor => 200,
            _ => 403,
        },
        ("POST", "/api/v1/service-tokens") => {
            if role == Role::Admin {
                201
            } else {
                403
            }
        }
        // Another integration's token.
        ("DELETE", "/api/v1/service-tokens/{id}") => {
            if officer_or_admin {
                204
            } else {
                403
            }
        }
        ("POST", "/api/v1/redact") => match role {
            Role::PaymentService => 403,
            _ => 200,
        },
        ("POST", "/api/v1/interactions/{id}/close") => match role {
            Role::Integration | Role::Supervisor => 200,
            _ => 403,
        },
        // Content and verification: the integration and the team's supervisor (the
        // caller agent is not the one assigned). Bodies are well formed; the answers
        // past authorization come from the fixture (no contact on file, no code sent).
        ("POST", "/api/v1/interactions/{id}/messages" | "/api/v1/interactions/{id}/transcript") => {
            match role {
                Role::Integration | Role::Supervisor => 201,
                _ => 403,
            }
        }
        (
            "POST",
            "/api/v1/interactions/{id}/verification"
            | "/api/v1/interactions/{id}/verification/questions",
        ) => match role {
            Role::Integration | Role::Supervisor => 422,
            _ => 403,
        },
        ("POST", "/api/v1/interactions/{id}/verification/confirm") => match role {
            Role::Integration | Role::Supervisor => 409,
            _ => 403,
        },
        // Readers of the interaction may have a recording muted (the body is no WAV).
        ("POST", "/api/v1/interactions/{id}/audio") => match role {
            Role::Integration | Role::Supervisor | Role::SecurityOfficer => 422,
            _ => 403,
        },
        // Raw copies: security officers only (none is kept here, so 404).
        ("POST", "/api/v1/interactions/{id}/entries/{entry}/reveal") => match role {
            Role::SecurityOfficer => 404,
            _ => 403,
        },
        // Detection: alerts for officers, auditors and admins to read (the id in the
        // path is no alert: 404), officers to work; rules changed by admins only.
        ("GET", "/api/v1/alerts" | "/api/v1/detection/rules") => match role {
            Role::SecurityOfficer | Role::Auditor | Role::Admin => 200,
            _ => 403,
        },
        ("GET", "/api/v1/alerts/{id}") => match role {
            Role::SecurityOfficer | Role::Auditor | Role::Admin => 404,
            _ => 403,
        },
        (
            "POST",
            "/api/v1/alerts/{id}/acknowledge"
            | "/api/v1/alerts/{id}/resolve"
            | "/api/v1/alerts/{id}/notes",
        ) => match role {
            Role::SecurityOfficer => 404,
            _ => 403,
        },
        ("POST", "/api/v1/detection/rules") => match role {
            Role::Admin => 201,
            _ => 403,
        },
        ("PUT", "/api/v1/detection/rules/{id}") => match role {
            Role::Admin => 404,
            _ => 403,
        },
        _ => panic!("no row in the authorization matrix for {method} {path}: add one"),
    }
}

/// A customer with a card and an open interaction assigned to an agent of team
/// "billing", made fresh for each call that needs one.
struct VaultFixture {
    customer: String,
    interaction: String,
    card_token: String,
    agent: String,
}

async fn vault_fixture(server: &TestServer) -> VaultFixture {
    use custos_server::vault::fields::{self, Field};
    let state = server.server().state();
    let agent = format!("a{}", uuid::Uuid::new_v4().simple());
    create_person(server, &agent, Role::Agent).await;
    let agent_record = state.auth().user_named(&agent).await.unwrap();
    let values = custos_server::vault::NewCustomerValues {
        values: vec![fields::parse_value(Field::Ssn, "123-45-6789").unwrap()],
        card: Some((
            fields::parse_card_number("4111111111111111").unwrap(),
            zeroize::Zeroizing::new("01/30".to_owned()),
        )),
    };
    let (customer, cards) = state
        .vault()
        .create_customer(Actor::system(), values)
        .await
        .unwrap();
    let interaction = state
        .vault()
        .open_interaction(Actor::system(), customer, &agent_record, "chat")
        .await
        .unwrap();
    VaultFixture {
        customer: customer.to_string(),
        interaction: interaction.id.to_string(),
        card_token: cards[0].token.clone(),
        agent,
    }
}

/// A well-formed body for each POST route, so authorization is what decides.
fn body_for(path: &str, fixture: Option<&VaultFixture>) -> Value {
    if let Some(f) = fixture {
        match path {
            "/api/v1/customers/{id}/reveal" => {
                return serde_json::json!({
                    "field": "ssn",
                    "interaction_id": f.interaction,
                    "reason": { "code": "customer_request", "text": "caller asked" },
                });
            }
            "/api/v1/cards/detokenize" => return serde_json::json!({ "token": f.card_token }),
            "/api/v1/interactions" => {
                return serde_json::json!({ "channel": "chat", "customer_id": f.customer, "agent": f.agent });
            }
            "/api/v1/interactions/{id}/assign" => {
                return serde_json::json!({ "agent": f.agent });
            }
            _ => {}
        }
    }
    match path {
        "/api/v1/customers" => {
            serde_json::json!({ "name": "Matrix Person", "phone": "+1 555 010 0000" })
        }
        "/api/v1/interactions/{id}/messages" => {
            serde_json::json!({ "sender": "customer", "text": "hello" })
        }
        "/api/v1/interactions/{id}/transcript" => {
            serde_json::json!({ "turns": [{ "speaker": "caller", "text": "hello" }] })
        }
        "/api/v1/interactions/{id}/verification" => serde_json::json!({}),
        "/api/v1/alerts/{id}/acknowledge" | "/api/v1/alerts/{id}/resolve" => serde_json::json!({}),
        "/api/v1/alerts/{id}/notes" => serde_json::json!({ "text": "looked at it" }),
        "/api/v1/detection/rules/{id}" => serde_json::json!({ "enabled": true }),
        "/api/v1/me/password" => serde_json::json!({
            "current_password": "not-the-password-12",
            "new_password": "amber-falcon-93-river",
        }),
        "/api/v1/users/{username}/shift" => {
            serde_json::json!({ "shift": { "start": "08:00", "end": "17:00" } })
        }
        "/api/v1/users/{username}/role" => {
            serde_json::json!({ "role": "supervisor", "team": "claims" })
        }
        "/api/v1/me/passkeys/register/start" => serde_json::json!({ "name": "matrix key" }),
        "/api/v1/me/passkeys/register/finish" => serde_json::json!({ "credential": {
            "id": "AAAA", "rawId": "AAAA", "type": "public-key",
            "response": { "attestationObject": "AAAA", "clientDataJSON": "AAAA" },
        } }),
        "/api/v1/auth/step-up/passkey" => serde_json::json!({ "credential": {
            "id": "AAAA", "rawId": "AAAA", "type": "public-key",
            "response": {
                "authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA",
                "userHandle": null,
            },
        } }),
        // A fresh rule each time (an id may be added once).
        "/api/v1/detection/rules" => serde_json::json!({
            "definition": format!(
                "id = \"m{}\"\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"low\"\nresponses = [\"alert\"]\n[match]\naction = \"matrix.never\"\n[correlate]\nkind = \"none\"\n",
                uuid::Uuid::new_v4().simple()
            ),
        }),
        "/api/v1/interactions/{id}/verification/questions" => {
            serde_json::json!({ "answers": { "date_of_birth": "2000-01-01" } })
        }
        "/api/v1/interactions/{id}/entries/{entry}/reveal" => {
            serde_json::json!({ "reason": { "code": "customer_request", "text": "matrix" } })
        }
        "/api/v1/customers/search" => {
            serde_json::json!({ "field": "phone", "value": "+1 555 010 0000" })
        }
        "/api/v1/redact" => {
            serde_json::json!({ "items": [{ "id": 1, "text": "call me on 555 010 0000" }] })
        }
        "/api/v1/access-review/sign-off" => {
            serde_json::json!({ "report_sha256": "0", "notes": "checked" })
        }
        // A harmless policy (it never applies), under a fresh id each time.
        "/api/v1/users" => serde_json::json!({
            "username": format!("i{}", uuid::Uuid::new_v4().simple()),
            "role": "agent",
        }),
        // A setting set to the value it has: allowed, and nothing changes.
        "/api/v1/settings" => serde_json::json!({ "masking.name.investigation": "initials" }),
        "/api/v1/service-tokens" => serde_json::json!({
            "name": format!("s{}", uuid::Uuid::new_v4().simple()),
            "role": "integration",
        }),
        "/api/v1/policies" => serde_json::json!({
            "id": format!("matrix-{}", uuid::Uuid::new_v4().simple()),
            "text": "forbid (principal, action == Custos::Action::\"policy.write\", resource) when { false };",
        }),
        _ => serde_json::json!({ "code": "000000" }),
    }
}

/// Fills the path's parameters with a resource that is not the caller's own: a
/// fresh person's session or username, or a fresh vault fixture's customer or
/// interaction; returns the fixture when the route needs one.
async fn concrete_path(server: &TestServer, path: &str) -> (String, Option<VaultFixture>) {
    let vault_route = path.starts_with("/api/v1/customers/")
        || path.starts_with("/api/v1/interactions")
        || path == "/api/v1/cards/detokenize";
    if vault_route {
        let fixture = vault_fixture(server).await;
        let concrete = if path.starts_with("/api/v1/customers/") {
            path.replace("{id}", &fixture.customer)
        } else {
            path.replace("{id}", &fixture.interaction)
        };
        return (concrete, Some(fixture));
    }
    if !path.contains('{') {
        return (path.to_owned(), None);
    }
    if path.starts_with("/api/v1/service-tokens/") {
        let (_, record) = server
            .server()
            .state()
            .auth()
            .create_service_token(
                Actor::system(),
                &format!("r{}", uuid::Uuid::new_v4().simple()),
                Role::Integration,
                1,
            )
            .await
            .unwrap();
        return (path.replace("{id}", &record.id.to_string()), None);
    }
    let name = format!("v{}", uuid::Uuid::new_v4().simple());
    let secret = create_person(server, &name, Role::Agent).await;
    server.clock().advance(time::Duration::seconds(31));
    let token = sign_in(server, &name, &secret).await;
    let me: Value = crate::auth::get_as(server, "/api/v1/me", &token)
        .await
        .json()
        .await
        .unwrap();
    let session = me["session"]["id"].as_str().unwrap().to_owned();
    if path.starts_with("/api/v1/devices/") {
        let state = server.server().state();
        let owner = state.auth().user_named(&name).await.unwrap();
        let device = custos_store::DeviceRecord {
            id: uuid::Uuid::new_v4(),
            user_id: owner.id,
            name: "matrix-laptop".into(),
            created_at: 0,
            last_seen_at: None,
            revoked_at: None,
        };
        let mut hash = [0u8; 32];
        hash[..16].copy_from_slice(device.id.as_bytes());
        custos_store::AccountStore::create_device(state.store(), &device, &hash)
            .await
            .unwrap();
        return (path.replace("{id}", &device.id.to_string()), None);
    }
    (
        path.replace("{id}", &session).replace("{username}", &name),
        None,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_and_role_gets_the_expected_answer() {
    let server = TestServer::start(Backend::Sqlite).await.unwrap();
    let doc: Value = server
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            if !PUBLIC.contains(&(method.as_str(), path.as_str())) {
                routes.insert((method, path.clone()));
            }
        }
    }
    assert!(routes.len() >= 3, "{routes:?}");

    for who in std::iter::once(Who::Nobody).chain(Role::ALL.into_iter().map(Who::As)) {
        for (method, path) in &routes {
            // A fresh credential per call: logout ends a session.
            let token = match who {
                Who::Nobody => None,
                Who::As(role) if role.is_person() => {
                    let name = format!("u{}", uuid::Uuid::new_v4().simple());
                    let secret = create_person(&server, &name, role).await;
                    server.clock().advance(time::Duration::seconds(31));
                    Some(sign_in(&server, &name, &secret).await)
                }
                Who::As(role) => {
                    let name = format!("t{}", uuid::Uuid::new_v4().simple());
                    let (token, _) = server
                        .server()
                        .state()
                        .auth()
                        .create_service_token(Actor::system(), &name, role, 1)
                        .await
                        .unwrap();
                    Some(token.expose_secret().to_owned())
                }
            };
            let (concrete, fixture) = concrete_path(&server, path).await;
            let mut request = server
                .client()
                .request(method.parse().unwrap(), server.url(&concrete));
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            if matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
                request = request.json(&body_for(path, fixture.as_ref()));
            }
            let status = request.send().await.unwrap().status().as_u16();
            assert_eq!(
                status,
                expected(method, path, who),
                "{who:?} {method} {path}"
            );
        }
    }
    server.stop().await;
}
