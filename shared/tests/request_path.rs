//! The shared request path, end to end inside one process: an API Gateway v2
//! event → `lambda_http::Request` → `dispatch` with a router → envelope.
//! No network: the state's clients are never called by these routes.

use igny8::envelope::Reply;
use igny8::http::{Router, dispatch};
use igny8::{AppError, AppState, Config};
use lambda_http::{Body, Request};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSite {
    name: String,
    #[allow(dead_code)]
    url: Option<String>,
}

fn router() -> Router {
    Router::new()
        .post("/api/v1/sites", |ctx| async move {
            let site: NewSite = ctx.json()?;
            if site.name.trim().is_empty() {
                return Err(AppError::field("name", "must not be empty"));
            }
            Ok(Reply::created(json!({"name": site.name})))
        })
        // These tests are about the request path itself; sign-in is tested elsewhere.
        .public()
        .post("/api/v1/private", |ctx| async move {
            let _: NewSite = ctx.json()?;
            Ok(Reply::ok(()))
        })
        .get("/api/v1/boom", |_ctx| async move {
            let v: Vec<u8> = Vec::new();
            #[allow(clippy::indexing_slicing)]
            let _ = v[3]; // an unexpected bug
            Ok(Reply::ok(()))
        })
        .public()
        .get("/api/v1/oops", |_ctx| async move { Err(AppError::internal("connection refused by 10.1.2.3:8000")) })
        .public()
}

async fn state() -> Arc<AppState> {
    let mut c = Config::local("http://127.0.0.1:9", "table", "unit-test-secret-unit-test-secret-0000");
    c.max_body_bytes = 64;
    // No table behind this state: request budgets (which live in it) are off.
    c.limits.enabled = false;
    Arc::new(AppState::new(c).await)
}

fn request(method: &str, path: &str, content_type: Option<&str>, body: Option<&str>) -> Request {
    let mut headers = serde_json::Map::new();
    if let Some(ct) = content_type {
        headers.insert("content-type".into(), json!(ct));
    }
    let mut ev = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers,
        "requestContext": {"accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "1.1.1.1", "userAgent": "t"},
            "requestId": "req-123", "routeKey": "$default", "stage": "$default", "time": "", "timeEpoch": 0},
        "isBase64Encoded": false
    });
    if let Some(b) = body {
        ev["body"] = json!(b);
    }
    let r: lambda_http::request::LambdaRequest = serde_json::from_value(ev).unwrap();
    r.into()
}

async fn call(req: Request) -> (u16, Value) {
    let resp = dispatch("test", state().await, &router(), req).await;
    let status = resp.status().as_u16();
    assert_eq!(resp.headers()["x-request-id"], "req-123");
    let body: Value = match resp.into_body() {
        Body::Text(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(body["request_id"], "req-123", "the API Gateway request id is the envelope's");
    (status, body)
}

#[tokio::test]
async fn valid_json_is_parsed_and_wrapped() {
    let (status, body) = call(request("POST", "/api/v1/sites/", Some("application/json"), Some(r#"{"name":"Blog"}"#))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["name"], "Blog");
}

#[tokio::test]
async fn malformed_json_is_a_400_validation_error_saying_where() {
    // Sent: {"name": "Blog",  (truncated). Got: 400 VALIDATION_ERROR "malformed JSON at line 1 column ...".
    let (status, body) = call(request("POST", "/api/v1/sites", Some("application/json"), Some(r#"{"name": "Blog","#))).await;
    assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("malformed JSON at line 1"), "{body}");
}

#[tokio::test]
async fn wrong_shape_names_the_field() {
    // Sent: {} (no name). Got: 400 VALIDATION_ERROR with errors[0].field == "name".
    let (status, body) = call(request("POST", "/api/v1/sites", Some("application/json"), Some("{}"))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "name", "{body}");
    // Sent: {"name": 5}. Got: 400 saying what type was expected.
    let (status, body) = call(request("POST", "/api/v1/sites", Some("application/json"), Some(r#"{"name":5}"#))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("expected a string"), "{body}");
    // Sent: {"name":"x","owner":"me"}. Got: 400 naming the unknown field.
    let (status, body) = call(request("POST", "/api/v1/sites", Some("application/json"), Some(r#"{"name":"x","owner":"me"}"#))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("owner")), "{body}");
}

#[tokio::test]
async fn missing_body_and_wrong_content_type_are_4xx() {
    let (status, body) = call(request("POST", "/api/v1/sites", Some("application/json"), None)).await;
    assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");
    let (status, body) = call(request("POST", "/api/v1/sites", Some("text/plain"), Some(r#"{"name":"x"}"#))).await;
    assert_eq!((status, body["error_code"].as_str()), (415, Some("UNSUPPORTED_MEDIA_TYPE")), "{body}");
}

#[tokio::test]
async fn body_over_the_limit_is_413_before_routing() {
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(100));
    let (status, body) = call(request("POST", "/api/v1/sites", Some("application/json"), Some(&big))).await;
    assert_eq!((status, body["error_code"].as_str()), (413, Some("PAYLOAD_TOO_LARGE")), "{body}");
}

#[tokio::test]
async fn a_panic_and_an_internal_error_are_500_envelopes_without_internals() {
    for path in ["/api/v1/boom", "/api/v1/oops"] {
        let (status, body) = call(request("GET", path, None, None)).await;
        assert_eq!((status, body["error_code"].as_str()), (500, Some("INTERNAL_ERROR")), "{body}");
        let text = body.to_string();
        assert!(!text.contains("index out of bounds") && !text.contains("10.1.2.3"), "leaked internals: {text}");
    }
}

#[tokio::test]
async fn unknown_route_and_wrong_method() {
    let (status, body) = call(request("GET", "/api/v1/unknown", None, None)).await;
    assert_eq!((status, body["error_code"].as_str()), (404, Some("NOT_FOUND")), "{body}");
    let (status, body) = call(request("DELETE", "/api/v1/sites/", None, None)).await;
    assert_eq!((status, body["error_code"].as_str()), (405, Some("METHOD_NOT_ALLOWED")), "{body}");
}

#[tokio::test]
async fn a_signed_in_route_refuses_a_caller_without_a_token_before_reading_the_body() {
    // Sent: a malformed JSON body to a route that is not public, with no token.
    let (status, body) = call(request("POST", "/api/v1/private", Some("application/json"), Some("{\"name\": "))).await;
    // Back: 401, not the 400 a parse would give.
    assert_eq!((status, body["error_code"].as_str()), (401, Some("UNAUTHORIZED")), "{body}");
}
