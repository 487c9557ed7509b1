//! Support for AI job tests: a small AI function, a scripted fake OpenAI
//! server, and helpers to submit and deliver jobs.

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use futures::future::BoxFuture;
use igny8::ai::Providers;
use igny8::ai::function::{AiFunction, JobCtx, Outcome, Prepared, Submission, run_with, submit};
use igny8::ai::provider::{ChatRequest, RetryPolicy};
use igny8::auth::guard::{Principal, Role};
use igny8::credits::CreditTransaction;
use igny8::jobs::{Job, JobError, Registry};
use igny8::store::keys::{Index, Tenant as Tk};
use igny8::store::{Item, Query, SkCondition};
use igny8::{AppError, AppResult, AppState};
use crate::{env, register};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

/// A small AI function for the framework's tests: asks for a title.
pub struct TitleFn {
    pub executions: Arc<AtomicUsize>,
}

#[derive(Deserialize)]
pub struct TitleOut {
    pub title: String,
}

impl AiFunction for TitleFn {
    fn name(&self) -> &'static str {
        "test_title"
    }
    fn description(&self) -> &'static str {
        "writes a title for a topic"
    }
    fn prepare<'a>(&'a self, _s: &'a AppState, _p: &'a Principal, input: Value) -> BoxFuture<'a, AppResult<Prepared>> {
        Box::pin(async move {
            let topic = input["topic"].as_str().filter(|t| !t.trim().is_empty()).ok_or_else(|| AppError::field("topic", "is required"))?;
            let cost = input["cost"].as_f64().unwrap_or(10.0);
            Ok(Prepared { input: json!({"topic": topic}), estimate: cost, preview: json!({"titles": 1, "topic": topic}) })
        })
    }
    fn execute<'a>(&'a self, ctx: &'a JobCtx) -> BoxFuture<'a, Result<Outcome, JobError>> {
        Box::pin(async move {
            self.executions.fetch_add(1, Ordering::SeqCst);
            let schema = json!({"type": "object", "properties": {"title": {"type": "string", "minLength": 3}}, "required": ["title"], "additionalProperties": false});
            let req = ChatRequest {
                system: "You write SEO titles.".into(),
                user: format!("Topic: {}", ctx.job.input["topic"].as_str().unwrap_or_default()),
                json_schema: Some(("title".into(), schema)),
                max_tokens: Some(100),
                temperature: None,
            };
            let out: TitleOut = ctx.ask_json(req, |t: &TitleOut| if t.title.trim().len() >= 3 { Ok(()) } else { Err("title too short".into()) }).await?;
            Ok(Outcome { result: json!({"title": out.title}), actual_cost: 4.0 })
        })
    }
}

pub fn completion(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1_764_000_000, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 7, "total_tokens": 27}
    }))
}

/// Answers the scripted responses in order, then repeats the last.
pub struct Script(pub Vec<ResponseTemplate>, pub AtomicUsize);
impl Respond for Script {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let i = self.1.fetch_add(1, Ordering::SeqCst);
        self.0[i.min(self.0.len() - 1)].clone()
    }
}

pub async fn fake_openai(script: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(Script(script, AtomicUsize::new(0))).mount(&server).await;
    server
}

pub fn providers(server: &MockServer) -> Providers {
    let policy = RetryPolicy { max_attempts: 3, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(200), timeout: Duration::from_millis(500) };
    let mut p = Providers::from_config(&igny8::config::AiConfig::offline());
    p.chat = Arc::new(igny8::ai::openai::OpenAiChat::new(&format!("{}/v1", server.uri()), "sk-test", "gpt-4o-mini", policy));
    p
}

pub struct Setup {
    pub state: Arc<AppState>,
    pub owner: Principal,
    pub tenant: Tk,
}

pub async fn setup(tag: &str) -> Setup {
    let t = register(tag).await;
    let state = env().state().await;
    let owner = Principal { user_id: t.user_id, account_id: t.account_id.clone(), role: Role::Owner, email: t.email, is_staff: false };
    Setup { state, tenant: Tk::from_verified(&t.account_id), owner }
}

pub async fn ledger(s: &Setup) -> Vec<CreditTransaction> {
    let q = Query::new(&s.tenant, Index::Table, s.tenant.pk()).sk(SkCondition::BeginsWith("TXN#".into()));
    s.state.store.query_all(&q, 10_000).await.unwrap()
}

pub async fn balance(s: &Setup) -> f64 {
    igny8::credits::balance(&s.state, &s.tenant).await.unwrap().total
}

/// Delivers the job's message to the worker as an SQS record, `times` times.
pub async fn deliver(s: &Setup, registry: &Registry, job: &Job, times: usize) -> Vec<String> {
    let mut failures = Vec::new();
    for i in 0..times {
        let mut record = SqsMessage::default();
        record.message_id = Some(format!("msg-{}-{i}", job.id));
        record.body = Some(json!({"job_id": job.id, "account_id": job.account_id, "kind": job.kind}).to_string());
        let mut event = SqsEvent::default();
        event.records = vec![record];
        let resp = igny8_ai_worker::handle_with(s.state.clone(), registry, event).await;
        failures.extend(resp.batch_item_failures.into_iter().map(|f| f.item_identifier));
    }
    failures
}

pub fn registry(providers: Providers, executions: Arc<AtomicUsize>) -> Registry {
    Registry::new().register("test_title", move |state, job| {
        let providers = providers.clone();
        let f = TitleFn { executions: executions.clone() };
        async move { run_with(state, job, providers, &f).await }
    })
}

pub async fn submitted(s: &Setup, cost: f64) -> Job {
    let f = TitleFn { executions: Arc::default() };
    match submit(&s.state, &s.owner, &f, json!({"topic": "city breaks in Lisbon", "cost": cost}), false).await.unwrap() {
        Submission::Queued(job) => *job,
        other => panic!("expected a queued job, got {other:?}"),
    }
}

pub async fn stored(s: &Setup, job: &Job) -> Job {
    s.state.store.get(&job.key()).await.unwrap().unwrap()
}


/// The production AI functions, run with the given providers (the fake
/// OpenAI server, or the offline provider).
pub fn production_registry(providers: Providers) -> Registry {
    igny8::ai::function::registry().keys().fold(Registry::new(), |r, name| {
        let providers = providers.clone();
        r.register(name, move |state, job| {
            let providers = providers.clone();
            async move { igny8::ai::function::run(state, job, providers).await }
        })
    })
}

/// The offline providers (no keys, no network).
pub fn offline() -> Providers {
    Providers::from_config(&igny8::config::AiConfig::offline())
}

/// Delivers a job submitted over HTTP (by id) to the worker `times` times;
/// returns the job as stored afterwards.
pub async fn deliver_by_id(state: &Arc<AppState>, registry: &Registry, account_id: &str, job_id: &str, times: usize) -> Job {
    let key = igny8::store::keys::job(&Tk::from_verified(account_id), job_id);
    let job: Job = state.store.get(&key).await.unwrap().expect("the job exists");
    for i in 0..times {
        let mut record = SqsMessage::default();
        record.message_id = Some(format!("msg-{job_id}-{i}"));
        record.body = Some(json!({"job_id": job.id, "account_id": job.account_id, "kind": job.kind}).to_string());
        let mut event = SqsEvent::default();
        event.records = vec![record];
        let resp = igny8_ai_worker::handle_with(state.clone(), registry, event).await;
        assert!(resp.batch_item_failures.is_empty(), "delivery {i} of {job_id} asked for a retry");
    }
    state.store.get(&key).await.unwrap().expect("the job exists")
}

/// A fake OpenAI chat server that answers every request with JSON valid for
/// the request's own `response_format` schema (generated like the offline
/// provider does, but over HTTP with OpenAI's wire format); counts requests.
pub async fn fake_openai_schema_echo(requests: Arc<AtomicUsize>) -> MockServer {
    struct Echo(Arc<AtomicUsize>);
    impl Respond for Echo {
        fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
            self.0.fetch_add(1, Ordering::SeqCst);
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let schema = body["response_format"]["json_schema"]["schema"].clone();
            let name = body["response_format"]["json_schema"]["name"].as_str().unwrap_or("answer").to_string();
            let user = body["messages"].as_array().and_then(|m| m.last()).and_then(|m| m["content"].as_str()).unwrap_or_default().to_string();
            let answer = igny8::ai::offline::OfflineChat::answer(&ChatRequest {
                system: "fake openai".into(),
                user,
                json_schema: Some((name, schema)),
                max_tokens: None,
                temperature: None,
            });
            completion(&answer.content)
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(Echo(requests)).mount(&server).await;
    server
}

/// A fake Runware server (`POST /v1`, a JSON array of `imageInference`
/// tasks) answering like Runware: a base64 PNG (rendered by the offline
/// provider at the task's size) for the request's taskUUID. A task whose
/// `positivePrompt` contains `refuse` gets Runware's 400 error payload.
/// Counts requests.
pub async fn fake_runware(requests: Arc<AtomicUsize>) -> MockServer {
    struct Runware(Arc<AtomicUsize>);
    impl Respond for Runware {
        fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
            use base64::Engine as _;
            self.0.fetch_add(1, Ordering::SeqCst);
            let tasks: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let task = &tasks[0];
            let prompt = task["positivePrompt"].as_str().unwrap_or_default().to_string();
            if prompt.contains("refuse") {
                return ResponseTemplate::new(400).set_body_json(json!({"errors": [{
                    "code": "contentModeration", "message": "The prompt was refused by content moderation.",
                    "taskType": "imageInference", "taskUUID": task["taskUUID"]
                }]}));
            }
            let width = task["width"].as_u64().unwrap_or(512) as u32;
            let height = task["height"].as_u64().unwrap_or(512) as u32;
            let png = igny8::ai::offline::OfflineImages::render(&igny8::ai::provider::ImageRequest {
                prompt: format!("runware {prompt}"),
                negative_prompt: None,
                width,
                height,
            })
            .map(|i| i.bytes)
            .unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({"data": [{
                "taskType": "imageInference",
                "imageUUID": "3f8a7c1e-0000-4000-8000-000000000001",
                "taskUUID": task["taskUUID"],
                "seed": 12345,
                "imageBase64Data": base64::engine::general_purpose::STANDARD.encode(png),
                "cost": 0.0013
            }]}))
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v1")).respond_with(Runware(requests)).mount(&server).await;
    server
}

/// The offline chat provider with Runware images from `server` (key `rw-test`).
pub fn providers_with_runware(server: &MockServer) -> Providers {
    let policy = RetryPolicy { max_attempts: 3, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(200), timeout: Duration::from_secs(5) };
    let mut p = offline();
    p.images = Arc::new(igny8::ai::runware::RunwareImages::new(&format!("{}/v1", server.uri()), "rw-test", "runware:100@1", policy));
    p
}
