//! The end-to-end test harness.
//!
//! One environment per test process: the emulator (the one `cargo xtask test`
//! started, passed in `IGNY8_TEST_AWS_ENDPOINT`, or a private one started here
//! when the tests run under plain `cargo test`), a CloudFormation stack of its
//! own deployed from `infra/template.yaml` (so parallel test processes never
//! share a table, queue or bucket), and the local gateway on a free port. The
//! environment lives on its own thread and runtime; tests talk to it over real
//! HTTP, and build their own `AppState` for direct store access.

pub mod ai_support;
pub mod calls;
pub mod faults;
pub mod wordpress;

use igny8::AppState;
use std::sync::{Arc, OnceLock, mpsc};
use xtask::provision::{self, Resources};

pub const JWT_SECRET: &str = "e2e-test-secret-0123456789abcdef0123456789abcdef";

pub struct TestEnv {
    /// `http://127.0.0.1:<port>` of the local gateway.
    pub base_url: String,
    /// The emulator endpoint.
    pub endpoint: String,
    pub resources: Resources,
}

impl TestEnv {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub fn config(&self) -> igny8::Config {
        test_config(&self.endpoint, &self.resources)
    }

    /// A fresh `AppState` bound to the calling test's runtime.
    pub async fn state(&self) -> Arc<AppState> {
        Arc::new(AppState::new(self.config()).await)
    }
}

/// The configuration of the tests: the local one, with imports over 250 rows
/// running as jobs (so the job path is exercised without huge files), and
/// request budgets no test trips (every test of a process shares one gateway
/// and one source IP; tests of the limits start a gateway of their own with
/// [`gateway_with`]).
pub fn test_config(endpoint: &str, resources: &Resources) -> igny8::Config {
    let mut c = provision::config_for(endpoint, resources, JWT_SECRET);
    c.import_sync_max_rows = 250;
    c.limits = igny8::ratelimit::LimitsConfig::generous();
    c
}

/// A gateway of this test's own (on this test's runtime) over the shared
/// stack, with `change` applied to the test configuration: its base URL.
pub async fn gateway_with(change: impl FnOnce(&mut igny8::Config)) -> String {
    let e = env();
    let mut config = e.config();
    change(&mut config);
    let state = Arc::new(AppState::new(config).await);
    let gateway = xtask::gateway::Gateway::from_template(state).expect("gateway from template");
    let (addr, server) = gateway.serve(([127, 0, 0, 1], 0).into()).await.expect("serve gateway");
    // The server task lives as long as the test's runtime.
    drop(server);
    format!("http://{addr}")
}

/// A client whose requests come from `ip` (any 127.x.y.z address works on
/// Linux loopback), so a test has a per-IP budget of its own.
pub fn http_from(ip: std::net::IpAddr) -> reqwest::Client {
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).local_address(ip).build().expect("client")
}

/// A loopback address no other test uses.
pub fn fresh_loopback_ip() -> std::net::IpAddr {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) + (std::process::id() % 200) * 256 + 2;
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 77, (n >> 8) as u8, (n & 0xff) as u8))
}

/// Calls `base` + `path` with `client`: `(status, envelope)`.
pub async fn api_at(client: &reqwest::Client, base: &str, method: &str, path: &str, token: Option<&str>, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client.request(method, format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    envelope(req.send().await.expect("request")).await
}

/// The verification token the local mail sender left in the account's outbox.
pub async fn verification_token(account_id: &str) -> String {
    let state = env().state().await;
    let tenant = igny8::store::keys::Tenant::from_verified(account_id);
    let mails = igny8::mail::outbox(&state, &tenant).await.expect("outbox");
    mails.iter().find_map(igny8::mail::verification_token).unwrap_or_else(|| panic!("no verification mail in the outbox: {mails:?}"))
}

/// The shared environment of this test process (started on first use).
pub fn env() -> &'static TestEnv {
    static ENV: OnceLock<TestEnv> = OnceLock::new();
    ENV.get_or_init(|| {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("igny8-test-env".into())
            .spawn(move || {
                // Keep a private emulator alive for the life of the process.
                let mut _own = None;
                let endpoint = match std::env::var("IGNY8_TEST_AWS_ENDPOINT") {
                    Ok(e) if !e.is_empty() => e,
                    _ => {
                        let emu = xtask::emulator::Emulator::start().expect("start the emulator");
                        let e = emu.endpoint();
                        _own = Some(emu);
                        e
                    }
                };
                let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
                rt.block_on(async move {
                    let stack = format!(
                        "igny8-test-{}-{}",
                        std::process::id(),
                        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis()
                    );
                    let resources = provision::deploy(&endpoint, &stack).await.expect("deploy the stack on the emulator");
                    let state = Arc::new(AppState::new(test_config(&endpoint, &resources)).await);
                    let gateway = xtask::gateway::Gateway::from_template(state).expect("gateway from template");
                    let (addr, _server) = gateway.serve(([127, 0, 0, 1], 0).into()).await.expect("serve gateway");
                    tx.send(TestEnv { base_url: format!("http://{addr}"), endpoint, resources }).expect("send env");
                    std::future::pending::<()>().await;
                });
            })
            .expect("spawn env thread");
        rx.recv().expect("test environment failed to start (see the panic above)")
    })
}

/// An HTTP client for the gateway.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().expect("client")
}

/// Reads a response as `(status, envelope)` and checks the envelope's shape:
/// every response carries success, request_id (echoed in `x-request-id`) and
/// timestamp; errors carry error and error_code.
pub async fn envelope(resp: reqwest::Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let header_id = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let text = resp.text().await.expect("body");
    let body: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text}"));
    assert!(body["success"].is_boolean(), "no success flag: {body}");
    assert!(body["timestamp"].is_string(), "no timestamp: {body}");
    let rid = body["request_id"].as_str().unwrap_or_else(|| panic!("no request_id: {body}"));
    assert_eq!(header_id.as_deref(), Some(rid), "x-request-id must echo the body's request_id");
    if body["success"] == false {
        assert!(body["error"].is_string() && body["error_code"].is_string(), "error envelope incomplete: {body}");
    } else {
        assert!(body.get("data").is_some(), "success envelope without data: {body}");
    }
    (status, body)
}

/// Reads an event file from `events/`.
pub fn event(name: &str) -> String {
    std::fs::read_to_string(xtask::repo_root().join("events").join(name)).expect("event file")
}

/// Calls the API: `(status, envelope)`. `body` is sent as JSON when given.
pub async fn api(method: &str, path: &str, token: Option<&str>, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = http().request(method, env().url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    envelope(req.send().await.expect("request")).await
}

/// A unique email for a test.
pub fn email(tag: &str) -> String {
    format!("{tag}-{}@example.com", igny8::ids::new_id().to_lowercase())
}

pub const PASSWORD: &str = "Correct-horse-9";

/// A registered account: owner tokens and ids.
pub struct Tenant {
    pub email: String,
    pub access: String,
    pub refresh: String,
    pub account_id: String,
    pub user_id: String,
}

/// Registers a new account through the API and verifies its email (with the
/// token from the outbox), so it has its free credits.
pub async fn register(tag: &str) -> Tenant {
    let t = register_unverified(tag).await;
    let token = verification_token(&t.account_id).await;
    let (status, body) = api("POST", "/api/v1/auth/verify-email/", None, Some(serde_json::json!({"token": token}))).await;
    assert_eq!(status, 200, "verify email: {body}");
    t
}

/// Registers a new account through the API (email not verified: no credits).
pub async fn register_unverified(tag: &str) -> Tenant {
    let email = email(tag);
    let (status, body) =
        api("POST", "/api/v1/auth/register/", None, Some(serde_json::json!({"email": email, "password": PASSWORD, "name": tag}))).await;
    assert_eq!(status, 201, "register: {body}");
    let d = &body["data"];
    Tenant {
        email,
        access: d["tokens"]["access"].as_str().unwrap().into(),
        refresh: d["tokens"]["refresh"].as_str().unwrap().into(),
        account_id: d["account"]["id"].as_str().unwrap().into(),
        user_id: d["user"]["id"].as_str().unwrap().into(),
    }
}

/// Signs in; returns the session data.
pub async fn login(email: &str, password: &str) -> (u16, serde_json::Value) {
    api("POST", "/api/v1/auth/login/", None, Some(serde_json::json!({"email": email, "password": password}))).await
}

/// Adds a member with `role` to the owner's account and signs them in: (user id, access token).
pub async fn member(owner: &Tenant, role: &str) -> (String, String) {
    let email = email(role);
    let (status, body) = api(
        "POST",
        "/api/v1/users/",
        Some(&owner.access),
        Some(serde_json::json!({"email": email, "password": PASSWORD, "role": role, "name": role})),
    )
    .await;
    assert_eq!(status, 201, "add {role}: {body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = login(&email, PASSWORD).await;
    assert_eq!(status, 200, "login {role}: {body}");
    (id, body["data"]["tokens"]["access"].as_str().unwrap().to_string())
}

/// Moves an account to another plan (there is no billing in the tests).
pub async fn set_plan(account_id: &str, plan: &str) {
    let state = env().state().await;
    let key = igny8::store::keys::account(&igny8::store::keys::Tenant::from_verified(account_id));
    let mut account: igny8::accounts::Account = state.store.get(&key).await.expect("get").expect("account");
    account.plan = plan.to_string();
    state.store.update_versioned(&mut account).await.expect("update plan");
}

/// An account on the growth plan with a site and a sector: (owner, site id, sector id).
pub async fn workspace(tag: &str) -> (Tenant, String, String) {
    let t = register(tag).await;
    set_plan(&t.account_id, "growth").await;
    let (status, site) = api("POST", "/api/v1/sites/", Some(&t.access), Some(serde_json::json!({"name": "Site"}))).await;
    assert_eq!(status, 201, "{site}");
    let site = site["data"]["id"].as_str().unwrap().to_string();
    let (status, sector) = api("POST", &format!("/api/v1/sites/{site}/sectors/"), Some(&t.access), Some(serde_json::json!({"name": "Sector"}))).await;
    assert_eq!(status, 201, "{sector}");
    (t, site, sector["data"]["id"].as_str().unwrap().to_string())
}

/// The caller's total credit balance, over HTTP.
pub async fn credit_balance(token: &str) -> f64 {
    let (_, b) = api("GET", "/api/v1/credits/balance/", Some(token), None).await;
    b["data"]["total"].as_f64().expect("a balance")
}
