//! Probes, headers, error shape, limits, metrics and the OpenAPI document.

use custos_testkit::{TestDatabase, TestServer};
use serde_json::Value;

const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
    ("x-frame-options", "DENY"),
];

fn assert_security_headers(response: &reqwest::Response) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(
            response.headers().get(*name).and_then(|v| v.to_str().ok()),
            Some(*value),
            "header {name}"
        );
    }
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let request_id = response.headers()["x-request-id"].to_str().unwrap();
    let request_id = uuid::Uuid::parse_str(request_id).unwrap();
    assert_eq!(request_id.get_version_num(), 4, "{request_id}");
}

async fn assert_error_shape(response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(response.status().as_u16(), status);
    assert_security_headers(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

async fn health_and_readiness(db: TestDatabase) {
    let backend = match db.backend() {
        custos_testkit::Backend::Sqlite => "sqlite",
        custos_testkit::Backend::Postgres => "postgres",
    };
    let server = TestServer::start_on(db, &[]).await;
    let health = server.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.version(),
        reqwest::Version::HTTP_2,
        "ALPN negotiates HTTP/2"
    );
    assert_security_headers(&health);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");

    let ready = server.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["store"], backend);
    assert_eq!(ready["keys_loaded"], true);

    // A draining node reports not ready so load balancers move traffic away.
    server.server().state().start_draining();
    assert_error_shape(server.get("/readyz").await, 503, "shutting_down").await;
    server.stop().await;
}

async fn errors_have_the_contract_shape(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    assert_error_shape(server.get("/no/such/route").await, 404, "not_found").await;
    let post = server
        .client()
        .post(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(
        post.headers().contains_key("allow"),
        "405 keeps its Allow header"
    );
    assert_error_shape(post, 405, "method_not_allowed").await;
    server.stop().await;
}

async fn request_bodies_are_limited(db: TestDatabase) {
    let server = TestServer::start_on(db, &[("CUSTOS_SERVER__BODY_LIMIT_BYTES", "2048")]).await;
    let too_big = server
        .client()
        .post(server.url("/api/v1/anything"))
        .header("content-type", "application/json")
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_error_shape(too_big, 413, "payload_too_large").await;
    server.stop().await;
}

async fn metrics_count_requests_by_route_template(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    for _ in 0..3 {
        assert_eq!(server.get("/healthz").await.status(), 200);
    }
    assert_eq!(server.get("/customers/12345/secret").await.status(), 404);
    let metrics = server.get("/metrics").await;
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(
            r#"custos_http_requests_total{method="GET",route="/healthz",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains("custos_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        !text.contains("12345"),
        "raw paths never become label values: {text}"
    );
    server.stop().await;
}

async fn openapi_documents_every_route(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let doc: Value = server
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for path in ["/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
        // Every documented path really answers.
        assert_eq!(server.get(path).await.status(), 200, "{path}");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    server.stop().await;
}

custos_testkit::test_on_both_stores!(
    health_and_readiness,
    errors_have_the_contract_shape,
    request_bodies_are_limited,
    metrics_count_requests_by_route_template,
    openapi_documents_every_route,
);
