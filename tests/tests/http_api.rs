//! The request path over real HTTP: gateway → function → envelope.

use igny8_e2e::{env, envelope, http};

#[tokio::test]
async fn health_reports_version_and_a_reachable_table_with_or_without_trailing_slash() {
    let e = env();
    for path in ["/api/v1/health/", "/api/v1/health"] {
        let (status, body) = envelope(http().get(e.url(path)).send().await.unwrap()).await;
        assert_eq!(status, 200, "GET {path} -> {body}");
        assert_eq!(body["success"], true);
        assert_eq!(body["data"]["status"], "ok");
        assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(body["data"]["table"]["reachable"], true);
        assert_eq!(body["data"]["table"]["status"], "ACTIVE");
    }
}

#[tokio::test]
async fn request_ids_are_fresh_uuids_per_request() {
    let e = env();
    let (_, a) = envelope(http().get(e.url("/api/v1/health/")).send().await.unwrap()).await;
    let (_, b) = envelope(http().get(e.url("/api/v1/health/")).send().await.unwrap()).await;
    let (a, b) = (a["request_id"].as_str().unwrap(), b["request_id"].as_str().unwrap());
    assert_ne!(a, b);
    assert_eq!(a.len(), 36, "{a} is not a UUID");
}

#[tokio::test]
async fn unknown_route_is_a_404_envelope() {
    // Sent: GET /api/v1/does-not-exist/ and POST /api/v1/health/deeper; got: 404 NOT_FOUND envelopes.
    let e = env();
    let (status, body) = envelope(http().get(e.url("/api/v1/does-not-exist/")).send().await.unwrap()).await;
    assert_eq!((status, body["error_code"].as_str()), (404, Some("NOT_FOUND")), "{body}");
    let (status, body) = envelope(http().post(e.url("/api/v1/health/deeper")).send().await.unwrap()).await;
    assert_eq!((status, body["error_code"].as_str()), (404, Some("NOT_FOUND")), "{body}");
}

#[tokio::test]
async fn wrong_method_is_a_405_envelope_naming_the_allowed_methods() {
    // Sent: DELETE /api/v1/health/; got: 405 METHOD_NOT_ALLOWED, Allow: GET.
    let e = env();
    let resp = http().delete(e.url("/api/v1/health/")).send().await.unwrap();
    assert_eq!(resp.headers().get("allow").and_then(|v| v.to_str().ok()), Some("GET"));
    let (status, body) = envelope(resp).await;
    assert_eq!((status, body["error_code"].as_str()), (405, Some("METHOD_NOT_ALLOWED")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("GET"), "{body}");
}

#[tokio::test]
async fn body_over_the_limit_is_a_413_envelope() {
    // Sent: POST /api/v1/health/ with a 1 MiB + 1 byte JSON body; got: 413 PAYLOAD_TOO_LARGE.
    let e = env();
    let big = format!("\"{}\"", "x".repeat(igny8::config::DEFAULT_MAX_BODY_BYTES));
    let resp = http()
        .post(e.url("/api/v1/health/"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    let (status, body) = envelope(resp).await;
    assert_eq!((status, body["error_code"].as_str()), (413, Some("PAYLOAD_TOO_LARGE")), "{body}");
}

#[tokio::test]
async fn cors_preflight_is_answered() {
    let e = env();
    let resp = http()
        .request(reqwest::Method::OPTIONS, e.url("/api/v1/health/"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
}
