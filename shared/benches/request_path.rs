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

/// What every authenticated request pays before any I/O: verify the access
/// token (HS256, issuer, expiry, type) and check the role.
fn auth(c: &mut Criterion) {
    use igny8::auth::guard::{Access, Principal, Role};
    use igny8::auth::token::{Claims, TokenType, Tokens};
    let tokens = Tokens::new(b"bench-secret-bench-secret-bench-secret-00");
    let now = igny8::ids::now_epoch();
    let token = tokens
        .sign(&Claims::access("01JDEM0VSER000000000000001", "01JDEM0ACC0000000000000001", Role::Editor, 0, now))
        .expect("sign");
    c.bench_function("auth: verify access token + role check", |b| {
        b.iter(|| {
            let claims = tokens.verify(black_box(&token), TokenType::Access).expect("valid");
            let p = Principal { user_id: claims.sub, account_id: claims.account_id, role: claims.role, email: String::new(), is_staff: false };
            black_box(p.check(Access::EditorOrAbove)).expect("allowed")
        })
    });
    let mut g = c.benchmark_group("passwords");
    g.sample_size(10);
    g.bench_function("argon2id hash (m=19456 KiB, t=2, p=1)", |b| {
        b.iter(|| igny8::auth::password::hash(black_box("Correct-horse-9")).expect("hash"))
    });
    let stored = igny8::auth::password::hash("Correct-horse-9").expect("hash");
    g.bench_function("argon2id verify (a login)", |b| {
        b.iter(|| igny8::auth::password::verify(black_box("Correct-horse-9"), black_box(&stored)))
    });
    g.finish();
}

criterion_group!(benches, bench, auth);
criterion_main!(benches);
