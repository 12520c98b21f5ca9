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
    ("POST", "/api/v1/setup"),
];

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Nobody,
    As(Role),
}

/// The expected status for `who` calling `method path`.
fn expected(method: &str, path: &str, who: Who) -> u16 {
    let Who::As(role) = who else { return 401 };
    match (method, path) {
        ("GET", "/api/v1/me") => 200,
        ("POST", "/api/v1/auth/logout") => {
            if role.is_person() {
                204
            } else {
                403
            }
        }
        ("GET", "/api/v1/audit/events") => match role {
            Role::SecurityOfficer | Role::Auditor | Role::Admin => 200,
            _ => 403,
        },
        _ => panic!("no row in the authorization matrix for {method} {path}: add one"),
    }
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
            let mut request = server
                .client()
                .request(method.parse().unwrap(), server.url(path));
            if let Some(token) = &token {
                request = request.bearer_auth(token);
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
