//! `cargo xtask bench --cold-start`: how long each function's release
//! bootstrap takes from process start to its first response.
//!
//! The bench builds the release bootstraps (the same binaries `sam build`
//! packages), starts the emulator and deploys the stack on it, creates the
//! JWT signing secret in the emulator's Secrets Manager, and serves a minimal
//! **Lambda Runtime API** on 127.0.0.1 — the protocol AWS serves to a
//! `provided.al2023` bootstrap: `GET /2018-06-01/runtime/invocation/next`
//! hands out one event (with the `Lambda-Runtime-Aws-Request-Id`,
//! `-Deadline-Ms`, `-Invoked-Function-Arn` and `-Trace-Id` headers), and
//! `POST /2018-06-01/runtime/invocation/{id}/response` (or `/error`, or
//! `/runtime/init/error`) takes the answer. Each run starts the bootstrap
//! with the environment the template gives it in AWS (`IGNY8_ENV=aws`,
//! `JWT_SECRET_ARN`, `AI_PROVIDER=offline`, the table, bucket and queue) and
//! times spawn → first response; the process is then killed (a new cold
//! start each run). Ten runs per function; the median, minimum and maximum
//! are printed.
//!
//! The functions' AWS endpoint is a counting proxy in front of the emulator,
//! so the bench also reports the AWS calls each cold start made, and the
//! Secrets Manager calls among them (at most one for a function that needs
//! the signing secret, none for the others).
//!
//! `IGNY8_COLD_START_ONLY=health,auth` limits the run to some functions (and
//! their builds); `IGNY8_COLD_START_RUNS` changes the number of runs;
//! `IGNY8_COLD_START_DEBUG=1` runs the debug bootstraps instead (a quick
//! check of the harness itself; its figures are not the release ones).

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Per function: package, binary, the event of its first invocation, and
/// whether the template gives it the signing secret to read.
struct Function {
    package: &'static str,
    binary: &'static str,
    event: Value,
    needs_secret: bool,
}

fn http_event(method: &str, path: &str, route: &str) -> Value {
    let text = std::fs::read_to_string(crate::repo_root().join("events").join("apigw-http-health.json")).unwrap_or_default();
    let mut e: Value = serde_json::from_str(&text).unwrap_or_else(|_| json!({}));
    e["rawPath"] = json!(path);
    e["routeKey"] = json!(route);
    e["requestContext"]["routeKey"] = json!(route);
    e["requestContext"]["http"]["method"] = json!(method);
    e["requestContext"]["http"]["path"] = json!(path);
    e["requestContext"]["requestId"] = json!(uuid::Uuid::new_v4().to_string());
    e
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(crate::repo_root().join("events").join(name)).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|_| json!({}))
}

fn functions() -> Vec<Function> {
    let http = |package, binary, method, path: &str, route: &str| Function {
        package,
        binary,
        event: http_event(method, path, route),
        needs_secret: binary != "health",
    };
    vec![
        http("igny8-health", "health", "GET", "/api/v1/health/", "GET /api/v1/health"),
        // Without a token: the request path's first answer, a 401 envelope.
        http("igny8-auth", "auth", "GET", "/api/v1/auth/me/", "ANY /api/v1/auth/{proxy+}"),
        http("igny8-accounts", "accounts", "GET", "/api/v1/account/", "ANY /api/v1/account"),
        http("igny8-sites", "sites", "GET", "/api/v1/sites/", "ANY /api/v1/sites"),
        http("igny8-jobs", "jobs", "GET", "/api/v1/jobs/", "ANY /api/v1/jobs"),
        http("igny8-credits", "credits", "GET", "/api/v1/credits/balance/", "ANY /api/v1/credits/{proxy+}"),
        http("igny8-planner", "planner", "GET", "/api/v1/planner/keywords/", "ANY /api/v1/planner/{proxy+}"),
        http("igny8-writer", "writer", "GET", "/api/v1/writer/content/", "ANY /api/v1/writer/{proxy+}"),
        http("igny8-automation", "automation", "GET", "/api/v1/automation/rules/", "ANY /api/v1/automation/{proxy+}"),
        http("igny8-integration", "integration", "GET", "/api/v1/integration/integrations/", "ANY /api/v1/integration/{proxy+}"),
        // The OpenAPI document: rendered from every router at first request, no AWS call.
        Function { needs_secret: false, ..http("igny8-docs", "docs", "GET", "/api/schema/", "ANY /api/schema") },
        Function { package: "igny8-ai-worker", binary: "ai-worker", event: fixture("sqs-ai-job.json"), needs_secret: false },
        // A message for a job that does not exist: acknowledged after one read.
        Function { package: "igny8-publish-worker", binary: "publish-worker", event: fixture("sqs-ai-job.json"), needs_secret: false },
        Function { package: "igny8-automation-runner", binary: "automation-runner", event: fixture("scheduler-automation.json"), needs_secret: false },
        Function { package: "igny8-billing", binary: "billing", event: json!({"period": "2000-01"}), needs_secret: false },
        Function { package: "igny8-job-sweeper", binary: "job-sweeper", event: json!({}), needs_secret: false },
    ]
}

/// What the runtime API saw of one invocation.
#[derive(Debug)]
enum Outcome {
    /// The bootstrap asked for its first event: its init is done.
    Next(Instant),
    Response(Instant, Bytes),
    Error(Instant, Bytes),
}

/// The event waiting for the next `invocation/next`, and where outcomes go.
struct Runtime {
    pending: Mutex<Option<(String, Vec<u8>)>>,
    outcomes: mpsc::UnboundedSender<Outcome>,
}

fn reply(status: u16, body: &str) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

async fn runtime_api(rt: Arc<Runtime>, req: hyper::Request<Incoming>) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    if method == hyper::Method::GET && path == "/2018-06-01/runtime/invocation/next" {
        let _ = rt.outcomes.send(Outcome::Next(Instant::now()));
        let taken = rt.pending.lock().ok().and_then(|mut p| p.take());
        let Some((function, event)) = taken else {
            // One invocation per cold start: the process is killed before
            // it would get a second one.
            futures::future::pending::<()>().await;
            return Ok(reply(500, "{}"));
        };
        let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() + 30_000).unwrap_or(0);
        let resp = hyper::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("lambda-runtime-aws-request-id", uuid::Uuid::new_v4().to_string())
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header("lambda-runtime-invoked-function-arn", format!("arn:aws:lambda:us-east-1:123456789012:function:{function}"))
            .header("lambda-runtime-trace-id", "Root=1-6925460e-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0")
            .body(Full::new(Bytes::from(event)))
            .unwrap_or_default();
        return Ok(resp);
    }
    if method == hyper::Method::POST && path.starts_with("/2018-06-01/runtime/") {
        let at = Instant::now();
        let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let outcome = if path.ends_with("/response") { Outcome::Response(at, body) } else { Outcome::Error(at, body) };
        let _ = rt.outcomes.send(outcome);
        return Ok(reply(202, r#"{"status":"OK"}"#));
    }
    Ok(reply(404, r#"{"errorMessage":"unknown runtime API path"}"#))
}

/// Counts the AWS calls passing through to the emulator, by `x-amz-target`
/// operation (S3 calls, which have none, count as `s3`).
#[derive(Default)]
struct Counter {
    calls: Mutex<Vec<String>>,
}

async fn proxy(counter: Arc<Counter>, client: reqwest::Client, upstream: String, req: hyper::Request<Incoming>) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let op = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(|t| t.to_string())
        .unwrap_or_else(|| "s3".into());
    if let Ok(mut c) = counter.calls.lock() {
        c.push(op);
    }
    let method = req.method().clone();
    let uri = format!("{upstream}{}", req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/"));
    let headers = req.headers().clone();
    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let mut out = client.request(method, &uri);
    for (k, v) in &headers {
        if k != "host" {
            out = out.header(k, v);
        }
    }
    match out.body(body).send().await {
        Ok(resp) => {
            let mut b = hyper::Response::builder().status(resp.status().as_u16());
            for (k, v) in resp.headers() {
                if k != "transfer-encoding" && k != "content-length" {
                    b = b.header(k, v);
                }
            }
            let bytes = resp.bytes().await.unwrap_or_default();
            Ok(b.body(Full::new(bytes)).unwrap_or_default())
        }
        Err(e) => Ok(reply(502, &json!({"message": e.to_string()}).to_string())),
    }
}

async fn serve<F, Fut>(listener: TcpListener, handle: F)
where
    F: Fn(hyper::Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<hyper::Response<Full<Bytes>>, Infallible>> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(req));
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// One function's figures.
struct Figures {
    binary: &'static str,
    init: Vec<f64>,
    millis: Vec<f64>,
    aws_calls: Vec<usize>,
    secret_calls: Vec<usize>,
    status: String,
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

fn selected() -> Vec<Function> {
    let only: Option<Vec<String>> = std::env::var("IGNY8_COLD_START_ONLY").ok().map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    functions().into_iter().filter(|f| only.as_ref().is_none_or(|o| o.iter().any(|n| n == f.binary))).collect()
}

/// Builds the release bootstraps of the selected functions.
fn debug() -> bool {
    std::env::var("IGNY8_COLD_START_DEBUG").is_ok_and(|v| v == "1")
}

pub fn build() -> Result<()> {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(crate::repo_root()).args(["build", "--locked"]);
    if !debug() {
        c.arg("--release");
    }
    for f in selected() {
        c.args(["-p", f.package, "--bin", f.binary]);
    }
    eprintln!("xtask: building the bootstraps ({})", if debug() { "debug" } else { "cargo build --release" });
    let status = c.status().context("cargo build --release")?;
    if !status.success() {
        bail!("release build failed ({status})");
    }
    Ok(())
}

/// Runs the bench against the emulator at `endpoint` (the stack is deployed here).
pub async fn run(endpoint: &str) -> Result<()> {
    let runs: usize = std::env::var("IGNY8_COLD_START_RUNS").ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(10);
    let stack = format!("coldstart-{}", std::process::id());
    let res = crate::provision::deploy(endpoint, &stack).await?;
    let sdk = igny8::state::sdk_config(&igny8::Config::local(endpoint, "-", "-")).await;
    let secret = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(format!("{stack}-jwt"))
        .secret_string(format!("cold-start-bench-{}", uuid::Uuid::new_v4()))
        .send()
        .await
        .map_err(|e| anyhow!("CreateSecret: {}", aws_sdk_secretsmanager::error::DisplayErrorContext(&e)))?;
    let secret_arn = secret.arn().unwrap_or_default().to_string();

    // The counting proxy in front of the emulator.
    let counter = Arc::new(Counter::default());
    let proxy_listener = TcpListener::bind("127.0.0.1:0").await?;
    let proxy_url = format!("http://{}", proxy_listener.local_addr()?);
    {
        let (counter, client, upstream) = (counter.clone(), reqwest::Client::new(), endpoint.to_string());
        tokio::spawn(serve(proxy_listener, move |req| proxy(counter.clone(), client.clone(), upstream.clone(), req)));
    }
    // The Lambda Runtime API.
    let (tx, mut outcomes) = mpsc::unbounded_channel();
    let runtime = Arc::new(Runtime { pending: Mutex::new(None), outcomes: tx });
    let api_listener = TcpListener::bind("127.0.0.1:0").await?;
    let api_addr = api_listener.local_addr()?.to_string();
    {
        let runtime = runtime.clone();
        tokio::spawn(serve(api_listener, move |req| runtime_api(runtime.clone(), req)));
    }

    let target = crate::repo_root().join("target").join(if debug() { "debug" } else { "release" });
    let mut table: Vec<Figures> = Vec::new();
    for f in selected() {
        let bin = target.join(f.binary);
        if !bin.exists() {
            bail!("{} is not built (cargo build --release -p {})", bin.display(), f.package);
        }
        let mut fig = Figures { binary: f.binary, init: Vec::new(), millis: Vec::new(), aws_calls: Vec::new(), secret_calls: Vec::new(), status: String::new() };
        for run in 0..runs {
            while outcomes.try_recv().is_ok() {}
            if let Ok(mut c) = counter.calls.lock() {
                c.clear();
            }
            *runtime.pending.lock().map_err(|_| anyhow!("runtime state poisoned"))? = Some((f.binary.to_string(), serde_json::to_vec(&f.event)?));
            let mut cmd = Command::new(&bin);
            cmd.env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("AWS_LAMBDA_RUNTIME_API", &api_addr)
                .env("AWS_LAMBDA_FUNCTION_NAME", f.binary)
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", if f.binary == "auth" { "1769" } else { "256" })
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", f.binary))
                .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("cold-start-{run}"))
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("AWS_ENDPOINT_URL", &proxy_url)
                .env("IGNY8_ENV", "aws")
                .env("AI_PROVIDER", "offline")
                .env("RUST_LOG", "info")
                .env("TABLE_NAME", &res.table)
                .env("BUCKET_NAME", &res.bucket)
                .env("AI_JOBS_QUEUE_URL", &res.ai_jobs_queue_url)
                .env("AI_JOBS_DLQ_ARN", &res.ai_jobs_dlq_arn)
                .env("PUBLISH_QUEUE_URL", &res.publish_queue_url)
                .env("PUBLISH_QUEUE_ARN", &res.publish_queue_arn)
                .env("PUBLISH_DLQ_ARN", &res.publish_dlq_arn)
                .env("AUTOMATION_EVENTS_QUEUE_URL", &res.automation_events_queue_url)
                .env("SCHEDULE_GROUP_NAME", &res.schedule_group)
                .env("SECRETS_KEY_ID", &res.secrets_key_id)
                .env("JWT_SECRET_ARN", &secret_arn)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let started = Instant::now();
            let mut child = cmd.spawn().with_context(|| format!("starting {}", bin.display()))?;
            let mut init = None;
            let outcome = loop {
                match tokio::time::timeout(Duration::from_secs(30), outcomes.recv()).await {
                    Ok(Some(Outcome::Next(at))) => {
                        init.get_or_insert(at);
                    }
                    Ok(Some(Outcome::Response(at, body))) => break Some((at, body, true)),
                    Ok(Some(Outcome::Error(at, body))) => break Some((at, body, false)),
                    _ => break None,
                }
            };
            let _ = child.kill();
            let _ = child.wait();
            let Some((at, body, ok)) = outcome else { bail!("{}: no response within 30 s", f.binary) };
            if let Some(i) = init {
                fig.init.push(i.duration_since(started).as_secs_f64() * 1000.0);
            }
            if !ok {
                bail!("{} answered with an error: {}", f.binary, String::from_utf8_lossy(&body));
            }
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            fig.status = answer["statusCode"].as_u64().map_or_else(|| "event".to_string(), |s| s.to_string());
            fig.millis.push(at.duration_since(started).as_secs_f64() * 1000.0);
            let calls = counter.calls.lock().map(|c| c.clone()).unwrap_or_default();
            fig.secret_calls.push(calls.iter().filter(|c| c.starts_with("secretsmanager.")).count());
            fig.aws_calls.push(calls.len());
        }
        let max_secret = fig.secret_calls.iter().copied().max().unwrap_or(0);
        if max_secret > usize::from(f.needs_secret) {
            bail!("{}: {max_secret} Secrets Manager calls in one cold start (at most {} allowed)", f.binary, usize::from(f.needs_secret));
        }
        table.push(fig);
    }

    let profile = if debug() { "DEBUG build: harness check, not the figures" } else { "release build" };
    println!("\ncold start: bootstrap spawn → first response, {runs} runs each ({profile}, emulator behind a counting proxy)\n");
    println!("| function | first answer | init (spawn → first `next`), median | first response, median | min | max | AWS calls / cold start | Secrets Manager calls / cold start |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut medians = BTreeMap::new();
    for f in &table {
        let m = median(&f.millis);
        medians.insert(f.binary, m);
        let lo = f.millis.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = f.millis.iter().copied().fold(0.0, f64::max);
        println!(
            "| {} | {} | {:.1} ms | {m:.1} ms | {lo:.1} ms | {hi:.1} ms | {} | {} |",
            f.binary,
            f.status,
            median(&f.init),
            f.aws_calls.iter().copied().max().unwrap_or(0),
            f.secret_calls.iter().copied().max().unwrap_or(0)
        );
    }
    for goal in ["health", "auth"] {
        if let Some(m) = medians.get(goal) {
            println!("{goal}: median {m:.1} ms (goal ≤ 20 ms): {}", if *m <= 20.0 { "met" } else { "NOT met" });
        }
    }
    Ok(())
}
