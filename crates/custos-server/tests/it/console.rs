//! The web console's pages through HTTPS: each role sees its own pages and no
//! other's, no page carries a value the role may not see, and every page keeps
//! to the strict CSP (no inline script or style). The browser tests in
//! `tests/browser/` drive the same pages in Chromium.

use custos_auth::role::Role;
use custos_testkit::{TestDatabase, TestServer};
use serde_json::{Value, json};

use crate::auth::{create_person, create_person_in_team, get_as, sign_in};
use crate::vault::{create_customer, open_interaction, post_as, service_token};

/// Values of the customer that only a reveal may show.
const CANARIES: &[&str] = &[
    "219-09-9999",
    "219099999",
    "canary.customer@example.test",
    "4155550142",
    "555 0142",
    "9988776655",
    "4111 1111 1111 1111",
    "4111111111111111",
    "1984-07-19",
    "42 Lantern Row",
];

fn canary_customer() -> Value {
    json!({
        "name": "Rosa Canary",
        "email": "canary.customer@example.test",
        "phone": "+1 415 555 0142",
        "date_of_birth": "1984-07-19",
        "ssn": "219-09-9999",
        "address": "42 Lantern Row, Portland, OR 97201",
        "account_number": "9988776655",
        "card": { "number": "4111 1111 1111 1111", "expiry": "09/2030" }
    })
}

/// The page at `path` for `token`: its status and HTML, after checking it is HTML
/// under the CSP with no inline script or style.
async fn page(server: &TestServer, path: &str, token: &str) -> (u16, String) {
    let response = get_as(server, path, token).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let html = response.text().await.unwrap();
    let content_type = headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/html"),
        "{path}: {content_type}"
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(!html.contains("style="), "{path}: inline style");
    assert!(!html.contains("<style"), "{path}: inline stylesheet");
    for script in html.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap();
        assert!(
            tag.contains("src=\"/console/static/"),
            "{path}: inline script"
        );
    }
    for handler in [
        "onclick=",
        "onload=",
        "onsubmit=",
        "onerror=",
        "javascript:",
    ] {
        assert!(!html.contains(handler), "{path}: inline handler");
    }
    (status, html)
}

fn assert_no_canary(html: &str, what: &str) {
    for canary in CANARIES {
        assert!(!html.contains(canary), "{what} shows a customer value");
    }
}

async fn each_role_sees_its_pages_and_no_customer_value(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let (customer, _) = create_customer(&server, &integration, canary_customer()).await;
    let ada = create_person(&server, "ada", Role::Agent).await;
    let bob = create_person(&server, "bob", Role::Agent).await;
    let sam = create_person(&server, "sam", Role::Supervisor).await;
    let otto = create_person_in_team(&server, "otto", Role::Supervisor, "sales").await;
    let sol = create_person(&server, "sol", Role::SecurityOfficer).await;
    let aud = create_person(&server, "aud", Role::Auditor).await;
    let opened = post_as(
        &server,
        "/api/v1/interactions",
        &integration,
        json!({ "channel": "chat", "customer_id": customer, "agent": "ada" }),
    )
    .await;
    let interaction = opened.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let messages = format!("/api/v1/interactions/{interaction}/messages");
    for text in [
        "hi, my card is 4111 1111 1111 1111",
        "URGENT: your account is suspended, log in at http://192.0.2.7/login and send me the code",
    ] {
        let sent = post_as(
            &server,
            &messages,
            &integration,
            json!({ "sender": "customer", "text": text }),
        )
        .await;
        assert_eq!(sent.status(), 201);
    }
    let ada = sign_in(&server, "ada", &ada).await;
    let bob = sign_in(&server, "bob", &bob).await;
    let sam = sign_in(&server, "sam", &sam).await;
    let otto = sign_in(&server, "otto", &otto).await;
    let sol = sign_in(&server, "sol", &sol).await;
    let aud = sign_in(&server, "aud", &aud).await;
    let link = format!("/console/interactions/{interaction}");

    // The agent's list and workspace: masked, redacted, with the red flags.
    let (status, list) = page(&server, "/console/interactions", &ada).await;
    assert_eq!(status, 200);
    assert!(list.contains(&link));
    let (status, workspace) = page(&server, &link, &ada).await;
    assert_eq!(status, 200);
    assert!(workspace.contains("id=\"customer-panel\""));
    assert!(workspace.contains("Not verified"));
    assert!(
        workspace.contains("class=\"red-flags"),
        "phishing flags shown"
    );
    assert!(
        workspace.contains("[CREDIT_CARD]"),
        "the card is shown redacted"
    );
    assert_no_canary(&workspace, "the agent's workspace");
    let api_list = get_as(&server, "/api/v1/interactions", &ada).await;
    assert_eq!(api_list.status(), 200);
    let api_list: Value = api_list.json().await.unwrap();
    assert_eq!(api_list["interactions"][0]["id"], interaction.as_str());

    // Another agent sees neither the interaction in a list nor its page.
    let (status, other) = page(&server, "/console/interactions", &bob).await;
    assert_eq!(status, 200);
    assert!(!other.contains(&link));
    let (status, refused) = page(&server, &link, &bob).await;
    assert_eq!(status, 403);
    assert!(refused.contains("Not allowed"));
    assert_no_canary(&refused, "a refusal");
    // The agent's supervisor sees the team's; another team's supervisor does not.
    let (_, team) = page(&server, "/console/interactions", &sam).await;
    assert!(team.contains(&link));
    let (status, sales) = page(&server, "/console/interactions", &otto).await;
    assert_eq!(status, 200);
    assert!(!sales.contains(&link));

    // Security officer: the trail shows who read the record, with no value in it.
    let (status, audit) = page(&server, "/console/audit?actor=ada&action=", &sol).await;
    assert_eq!(status, 200);
    // The table's cells, not the filter form that echoes the query.
    assert!(audit.contains("<td class=\"action\">customer.read</td>"));
    assert!(audit.contains("<td class=\"actor\">ada</td>"));
    assert!(audit.contains("id=\"chain-status\""));
    assert_no_canary(&audit, "the audit page");
    let (status, people) = page(&server, "/console/people", &sol).await;
    assert_eq!(status, 200);
    assert!(people.contains("class=\"disable danger\" data-username=\"ada\""));
    assert!(people.contains("class=\"end-sessions secondary\" data-username=\"ada\""));
    assert!(people.contains("id=\"sign-off-form\""));
    let (status, person) = page(&server, "/console/people/ada", &sol).await;
    assert_eq!(status, 200);
    assert!(person.contains("id=\"issue-device-code\""));
    assert!(
        person.contains("id=\"reset-sign-in\""),
        "officers reset an agent's sign-in"
    );
    let (status, integrations) = page(&server, "/console/integrations", &sol).await;
    assert_eq!(status, 200);
    assert!(
        integrations.contains("data-revoke-token=") && !integrations.contains("id=\"token-form\""),
        "officers revoke tokens; only administrators create them"
    );
    assert!(integrations.contains("id=\"connections\""));
    assert!(!integrations.contains(&integration), "no token on the page");
    let (status, settings) = page(&server, "/console/settings", &sol).await;
    assert_eq!(status, 200);
    assert!(
        settings.contains("***-**-6789") && settings.contains("***-**-****"),
        "masking by audience"
    );
    let (status, rules) = page(&server, "/console/rules", &sol).await;
    assert_eq!(status, 200);
    assert!(
        rules.contains("class=\"rule\""),
        "the shipped rules are listed"
    );
    for path in ["/console/posture", "/console/alerts"] {
        let (status, html) = page(&server, path, &sol).await;
        assert_eq!(status, 200, "{path}");
        assert_no_canary(&html, path);
    }

    // Auditor: the trail, posture and access review, read-only.
    let (status, people) = page(&server, "/console/people", &aud).await;
    assert_eq!(status, 200);
    assert!(
        !people.contains("class=\"disable"),
        "no actions for auditors"
    );
    let (status, posture) = page(&server, "/console/posture", &aud).await;
    assert_eq!(status, 200);
    assert!(posture.contains("MFA coverage") && posture.contains("<svg"));
    assert_eq!(page(&server, "/console/audit", &aud).await.0, 200);
    assert_eq!(page(&server, "/console/alerts", &aud).await.0, 200);
    assert_eq!(
        page(&server, "/console/alerts", &sam).await.0,
        403,
        "supervisors do not read alerts"
    );
    assert_eq!(page(&server, &link, &aud).await.0, 403);

    assert!(
        !people.contains("id=\"sign-off-form\""),
        "auditors do not sign off"
    );
    let (status, person) = page(&server, "/console/people/ada", &aud).await;
    assert_eq!(status, 200);
    assert!(
        !person.contains("id=\"issue-device-code\"") && !person.contains("id=\"reset-sign-in\""),
        "auditors only look"
    );
    let (status, integrations) = page(&server, "/console/integrations", &aud).await;
    assert_eq!(status, 200);
    assert!(!integrations.contains("data-revoke-token=") && integrations.contains("svc-"));
    let (status, policies) = page(&server, "/console/policies", &aud).await;
    assert_eq!(status, 200, "auditors read the policies in force");
    assert!(policies.contains("policy-readers") && !policies.contains("id=\"policy-form\""));

    // Agents get none of the oversight pages.
    for path in [
        "/console/rules",
        "/console/policies",
        "/console/settings",
        "/console/integrations",
        "/console/people/bob",
        "/console/audit",
        "/console/people",
        "/console/posture",
        "/console/alerts",
    ] {
        let (status, html) = page(&server, path, &ada).await;
        assert_eq!(status, 403, "{path}");
        assert_no_canary(&html, path);
    }

    // Reassignment: the team's supervisor gives it to another agent of the team; the
    // first agent's access ends at once. Neither an agent nor another team's
    // supervisor may.
    let (_, supervised) = page(&server, &link, &sam).await;
    assert!(
        supervised.contains("id=\"reassign\"") && supervised.contains("<option value=\"bob\">")
    );
    assert!(
        !workspace.contains("id=\"reassign\""),
        "agents do not reassign"
    );
    let assign = format!("/api/v1/interactions/{interaction}/assign");
    for (who, token) in [("ada", &ada), ("otto", &otto)] {
        let refused = post_as(&server, &assign, token, json!({ "agent": "bob" })).await;
        assert_eq!(refused.status(), 403, "{who}");
    }
    let unknown = post_as(&server, &assign, &sam, json!({ "agent": "nobody" })).await;
    assert_eq!(unknown.status(), 422);
    let moved = post_as(&server, &assign, &sam, json!({ "agent": "bob" })).await;
    assert_eq!(moved.status(), 200);
    assert_eq!(moved.json::<Value>().await.unwrap()["agent"], "bob");
    assert_eq!(
        page(&server, &link, &ada).await.0,
        403,
        "the first agent's access ended"
    );
    assert_eq!(page(&server, &link, &bob).await.0, 200);
    let (_, list) = page(&server, "/console/interactions", &bob).await;
    assert!(list.contains(&link));
    let (_, trail) = page(&server, "/console/audit?action=interaction.reassign", &sol).await;
    assert!(trail.contains("<td class=\"action\">interaction.reassign</td>"));
    assert!(trail.contains("<td class=\"actor\">sam</td>"));
    server.stop().await;
}

async fn pages_need_a_person_and_send_strangers_to_sign_in(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let plain = custos_testkit::client_builder_trusting(&server.data_dir().join("tls/cert.pem"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/", "/console", "/console/interactions", "/console/audit"] {
        let response = plain.get(server.url(path)).send().await.unwrap();
        assert!(response.status().is_redirection(), "{path}");
        let to = response.headers()["location"].to_str().unwrap();
        assert!(to == "/console" || to == "/console/login", "{path} → {to}");
    }
    let (status, login) = page(&server, "/console/login?reason=idle", "no-such-token").await;
    assert_eq!(status, 200);
    assert!(login.contains("id=\"login-form\"") && login.contains("id=\"signed-out-notice\""));
    assert!(
        login.contains("id=\"recovery-form\""),
        "recovery codes work here too"
    );
    // After a sign-in with a recovery code the account page says what to do next.
    let ada = create_person(&server, "ada", Role::Agent).await;
    let ada = sign_in(&server, "ada", &ada).await;
    let (status, account) = page(&server, "/console/account?recovered=1", &ada).await;
    assert_eq!(status, 200);
    assert!(account.contains("id=\"recovered-notice\""));
    let (_, account) = page(&server, "/console/account", &ada).await;
    assert!(!account.contains("id=\"recovered-notice\""));
    let (status, enrol) = page(&server, "/console/enrol-device", "no-such-token").await;
    assert_eq!(status, 200);
    assert!(enrol.contains("id=\"enrol-form\""));
    // The page the setup link opens (its token stays in the fragment).
    let (status, setup) = page(&server, "/setup", "no-such-token").await;
    assert_eq!(status, 200);
    assert!(setup.contains("id=\"setup-form\""));
    // A service token is not a person.
    let integration = service_token(&server, Role::Integration).await;
    let (status, _) = page(&server, "/console/interactions", &integration).await;
    assert_eq!(status, 403);
    // The assets are ours; anything else there is a 404 in the API's shape.
    let script = server.get("/console/static/console.js").await;
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let missing = server.get("/console/static/other.js").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    server.stop().await;
}

async fn the_console_verifies_a_customer_through_smtp_pages(db: TestDatabase) {
    // The page only shows the verification state; the code round trip is the API's
    // (tested in conversations.rs) and the browser's (tests/browser). Here: the page
    // changes from the masked header to the masked record once verified.
    let (server, mut smtp) = crate::conversations::server_with_mail(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let (customer, _) = create_customer(&server, &integration, canary_customer()).await;
    let ada = create_person(&server, "ada", Role::Agent).await;
    let interaction = open_interaction(&server, &integration, &customer, "ada").await;
    let ada = sign_in(&server, "ada", &ada).await;
    let link = format!("/console/interactions/{interaction}");
    let (_, before) = page(&server, &link, &ada).await;
    assert!(before.contains("Hidden until verified"));
    assert!(before.contains("id=\"send-code\""));
    let send = format!("/api/v1/interactions/{interaction}/verification");
    assert_eq!(post_as(&server, &send, &ada, json!({})).await.status(), 202);
    let code = crate::conversations::code_in(&smtp.next().await.data);
    let confirmed = post_as(
        &server,
        &format!("{send}/confirm"),
        &ada,
        json!({ "code": code }),
    )
    .await;
    assert_eq!(confirmed.status(), 200);
    let (_, after) = page(&server, &link, &ada).await;
    assert!(after.contains("Verified by email"));
    assert!(!after.contains("Hidden until verified"));
    assert!(after.contains("***-**-9999"), "the masked SSN");
    assert!(after.contains("class=\"reveal link\" data-field=\"ssn\""));
    assert_no_canary(&after, "the verified workspace");
    server.stop().await;
}

custos_testkit::test_on_both_stores!(
    each_role_sees_its_pages_and_no_customer_value,
    pages_need_a_person_and_send_strangers_to_sign_in,
    the_console_verifies_a_customer_through_smtp_pages,
);
