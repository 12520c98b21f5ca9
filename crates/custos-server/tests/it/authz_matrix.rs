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
    ("POST", "/api/v1/setup"),
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
        ("POST", "/api/v1/users/{username}/unlock" | "/api/v1/users/{username}/disable") => {
            if officer_or_admin {
                204
            } else {
                403
            }
        }
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
        _ => panic!("no row in the authorization matrix for {method} {path}: add one"),
    }
}

/// A well-formed body for each POST route, so authorization is what decides.
fn body_for(path: &str) -> Value {
    match path {
        "/api/v1/access-review/sign-off" => {
            serde_json::json!({ "report_sha256": "0", "notes": "checked" })
        }
        // A harmless policy (it never applies), under a fresh id each time.
        "/api/v1/policies" => serde_json::json!({
            "id": format!("matrix-{}", uuid::Uuid::new_v4().simple()),
            "text": "forbid (principal, action == Custos::Action::\"policy.write\", resource) when { false };",
        }),
        _ => serde_json::json!({ "code": "000000" }),
    }
}

/// Fills the path's parameters with a resource that is not the caller's own: a
/// fresh person's session, or that person's username.
async fn concrete_path(server: &TestServer, path: &str) -> String {
    if !path.contains('{') {
        return path.to_owned();
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
    path.replace("{id}", &session).replace("{username}", &name)
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
            let concrete = concrete_path(&server, path).await;
            let mut request = server
                .client()
                .request(method.parse().unwrap(), server.url(&concrete));
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            if method == "POST" {
                request = request.json(&body_for(path));
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
