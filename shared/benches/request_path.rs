//! The request path without I/O: build an API Gateway v2 request, route it,
//! parse its JSON body, build the envelope response.
use criterion::{Criterion, criterion_group, criterion_main};
use igny8::envelope::{Reply, success_response};
use igny8::http::{Router, parse_json};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let router = Router::new()
        .get("/api/v1/health", |_| async { Ok(Reply::ok("ok")) })
        .get("/api/v1/sites", |_| async { Ok(Reply::ok("ok")) })
        .post("/api/v1/sites", |_| async { Ok(Reply::ok("ok")) })
        .get("/api/v1/sites/{id}", |_| async { Ok(Reply::ok("ok")) })
        .patch("/api/v1/sites/{id}", |_| async { Ok(Reply::ok("ok")) })
        .get("/api/v1/sites/{id}/sectors", |_| async { Ok(Reply::ok("ok")) })
        .get("/api/v1/planner/keywords", |_| async { Ok(Reply::ok("ok")) })
        .post("/api/v1/planner/keywords/bulk-import", |_| async { Ok(Reply::ok("ok")) });
    let event = include_str!("../../events/apigw-http-health.json").replace("/api/v1/health/", "/api/v1/sites/01JDEM0J0B0000000000000001/");
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    let body = br#"{"name":"Example site","url":"https://example.com","industry":"travel"}"#;

    c.bench_function("request_path: parse event -> route -> json body -> envelope", |b| {
        b.iter(|| {
            let req: lambda_http::request::LambdaRequest = serde_json::from_str(black_box(&event)).expect("event");
            let req: lambda_http::Request = req.into();
            let (_h, params) = router.find(req.method(), req.uri().path()).expect("route");
            let v: serde_json::Value = parse_json(&headers, black_box(body)).expect("json");
            let reply = Reply::ok(serde_json::json!({"id": params.get("id"), "name": v["name"]}));
            black_box(success_response(&reply, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
