//! The AI function registry and the one way AI work runs.
//!
//! An AI function declares its name and description, validates and prices a
//! request ([`AiFunction::prepare`]: the input it stores, the credit estimate
//! and a preview for `dry_run`), and executes as a job ([`AiFunction::execute`])
//! using [`JobCtx`]: progress, typed JSON answers with one repair retry, token
//! accounting. Adding a function is one module implementing the trait and one
//! line in [`registry`].
//!
//! [`submit`] is what every AI endpoint calls: prepare (a 400 before any credit
//! moves), then either the dry-run preview or reserve → job → message → 202.
//! [`run`] is what the worker calls: execute, then settle the real cost or
//! release the reservation.

use super::Providers;
use super::provider::{ChatRequest, TokenUsage};
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult};
use crate::jobs::{Job, JobError};
use crate::state::AppState;
use crate::store::Versioned;
use crate::store::keys::Tenant;
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A validated, priced request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Prepared {
    /// Stored on the job; `execute` reads it back.
    pub input: Value,
    /// Credits reserved at enqueue (an upper bound of the real cost).
    pub estimate: f64,
    /// What would run, for `dry_run` and the job's summary.
    pub preview: Value,
}

/// What a finished execution produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub result: Value,
    /// The real cost, settled against the reservation.
    pub actual_cost: f64,
}

pub trait AiFunction: Send + Sync {
    fn name(&self) -> &'static str;
    fn description(&self) -> &'static str;
    /// Validates and prices a request. Errors here are 4xx; nothing is reserved.
    fn prepare<'a>(&'a self, state: &'a AppState, principal: &'a Principal, input: Value) -> BoxFuture<'a, AppResult<Prepared>>;
    /// Runs the job: asks the provider, saves what it produced.
    fn execute<'a>(&'a self, ctx: &'a JobCtx) -> BoxFuture<'a, Result<Outcome, JobError>>;
}

/// Every AI function, by name. Modules add their line here.
pub fn registry() -> &'static BTreeMap<&'static str, Arc<dyn AiFunction>> {
    static REGISTRY: OnceLock<BTreeMap<&'static str, Arc<dyn AiFunction>>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let functions: Vec<Arc<dyn AiFunction>> = vec![
            Arc::new(crate::planner::auto_cluster::AutoCluster),
            Arc::new(crate::planner::ideas::GenerateIdeas),
            Arc::new(crate::writer::image_prompts::GenerateImagePrompts),
            Arc::new(crate::writer::images::GenerateImages),
            Arc::new(crate::writer::generate::GenerateContent),
        ];
        functions.into_iter().map(|f| (f.name(), f)).collect()
    })
}

/// An AI function's input as its typed request (a 400 naming what does not fit).
pub fn parse_input<T: DeserializeOwned>(input: Value) -> AppResult<T> {
    serde_json::from_value(input).map_err(|e| AppError::validation(format!("the request body does not fit: {e}")))
}

/// What an AI endpoint answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Submission {
    DryRun { dry_run: bool, function: &'static str, estimated_credits: f64, would_run: Value },
    Queued(Box<Job>),
}

/// Validates, prices and (unless `dry_run`) enqueues an AI job: credits are
/// reserved before anything is queued; without enough, 402 and nothing else.
pub async fn submit(state: &AppState, p: &Principal, f: &dyn AiFunction, input: Value, dry_run: bool) -> AppResult<Submission> {
    submit_from(state, p, f, input, dry_run, None).await
}

/// [`submit`] for a job an automation run enqueues (`origin` names the run).
pub async fn submit_from(
    state: &AppState,
    p: &Principal,
    f: &dyn AiFunction,
    input: Value,
    dry_run: bool,
    origin: Option<crate::jobs::JobOrigin>,
) -> AppResult<Submission> {
    let prepared = f.prepare(state, p, input).await?;
    if dry_run {
        return Ok(Submission::DryRun { dry_run: true, function: f.name(), estimated_credits: prepared.estimate, would_run: prepared.preview });
    }
    let tenant = p.tenant();
    let mut job = Job::new(&tenant, f.name(), prepared.input);
    job.credits_estimate = prepared.estimate;
    job.created_by = Some(p.user_id.clone());
    job.origin = origin;
    job.result = Some(json!({ "preview": prepared.preview }));
    // The reservation and the job that holds it are one transaction: credits
    // are never taken without a job to give them back, and a retry of a
    // transaction whose answer was lost finds both.
    let held = crate::credits::reserve_with(state, &tenant, &job.id, f.name(), prepared.estimate, |held| {
        let mut with = job.clone();
        with.reservation = Some(held);
        Ok(vec![state.store.tx_create(&with)?])
    })
    .await?;
    job.reservation = Some(held);
    if let Err(e) = crate::jobs::send(state, &job).await {
        // Nothing will run: fail the job and give the credits back together.
        // Should that fail too, the sweeper sends the message again later.
        match crate::jobs::fail_open_job(state, &job, "could not be queued").await {
            Ok(_) => return Err(e),
            Err(e2) => tracing::error!(error = ?e2, job_id = %job.id, "queueing failed and so did failing the job; the sweeper will resend it"),
        }
    }
    Ok(Submission::Queued(Box::new(job)))
}

/// [`submit`] for an HTTP endpoint: the caller must be an editor or above;
/// 202 with the queued job, or 200 with the dry-run preview.
pub async fn submit_http(ctx: &crate::http::RequestCtx, function: &str, input: Value, dry_run: bool) -> AppResult<crate::envelope::Reply> {
    use crate::envelope::Reply;
    let p = crate::auth::guard::require(ctx, crate::auth::guard::Access::EditorOrAbove).await?;
    if !dry_run {
        crate::ratelimit::expensive(&ctx.state, &p.account_id).await?;
    }
    let f = registry().get(function).ok_or_else(|| AppError::internal(format!("AI function {function} is not registered")))?;
    Ok(match submit(&ctx.state, &p, f.as_ref(), input, dry_run).await? {
        Submission::Queued(job) => Reply::accepted(job).message("queued; follow it at /api/v1/jobs/{id}/"),
        preview @ Submission::DryRun { .. } => Reply::ok(preview).message("dry run: nothing was reserved or queued"),
    })
}

/// The context an executing function works with.
pub struct JobCtx {
    pub state: Arc<AppState>,
    pub job: Job,
    pub providers: Providers,
    usage: Mutex<(TokenUsage, Option<String>, Option<String>)>,
}

impl JobCtx {
    pub fn new(state: Arc<AppState>, job: Job, providers: Providers) -> Self {
        Self { state, job, providers, usage: Mutex::new((TokenUsage::default(), None, None)) }
    }

    pub fn tenant(&self) -> Tenant {
        Tenant::from_verified(&self.job.account_id)
    }

    /// Tokens used so far, and the provider/model that answered.
    pub fn usage(&self) -> (TokenUsage, Option<String>, Option<String>) {
        self.usage.lock().map(|u| u.clone()).unwrap_or_default()
    }

    /// Records the provider and model that answered a call made outside
    /// [`JobCtx::ask_json`] (e.g. image generation); the job shows them.
    pub fn record_provider(&self, provider: &str, model: &str) {
        if let Ok(mut u) = self.usage.lock() {
            u.1 = Some(provider.to_string());
            u.2 = Some(model.to_string());
        }
    }

    /// Records phase and progress on the job item ([`crate::jobs::progress`]).
    pub async fn progress(&self, phase: &str, percent: u8) {
        crate::jobs::progress(&self.state, &self.job, phase, percent).await
    }

    /// Asks the chat provider for JSON of type `T` that passes `check`. A
    /// malformed or invalid answer gets one repair request quoting the problem;
    /// a second bad answer fails the job permanently.
    pub async fn ask_json<T: DeserializeOwned>(&self, req: ChatRequest, check: impl Fn(&T) -> Result<(), String>) -> Result<T, JobError> {
        let mut request = req;
        for attempt in 0..2 {
            // The provider takes each request's slot of the per-minute budget
            // itself (retries included): see `ai::rate::StoreGate`.
            let resp = self.providers.chat.chat(&request).await.map_err(|e| match e {
                super::provider::ProviderError::Retryable { message, .. } => JobError::Retryable(message),
                super::provider::ProviderError::Permanent(m) => JobError::Permanent(m),
            })?;
            if let Ok(mut u) = self.usage.lock() {
                u.0.prompt_tokens += resp.usage.prompt_tokens;
                u.0.completion_tokens += resp.usage.completion_tokens;
                u.0.total_tokens += resp.usage.total_tokens;
                u.1 = Some(resp.provider.clone());
                u.2 = Some(resp.model.clone());
            }
            let problem = match serde_json::from_str::<T>(strip_fences(&resp.content)) {
                Ok(v) => match check(&v) {
                    Ok(()) => return Ok(v),
                    Err(p) => p,
                },
                Err(e) => format!("the answer is not the JSON asked for: {e}"),
            };
            if attempt == 1 {
                return Err(JobError::Permanent(format!("the AI answer was malformed twice: {problem}")));
            }
            tracing::warn!(%problem, "malformed AI answer; asking for a repair");
            request = ChatRequest {
                user: format!(
                    "{}\n\nYour previous answer could not be used ({problem}). Previous answer:\n{}\n\nAnswer again with only the JSON asked for.",
                    request.user,
                    resp.content.chars().take(4000).collect::<String>()
                ),
                ..request
            };
        }
        Err(JobError::Permanent("unreachable".into()))
    }
}

fn strip_fences(s: &str) -> &str {
    let t = s.trim();
    let t = t.strip_prefix("```json").or_else(|| t.strip_prefix("```")).unwrap_or(t);
    t.strip_suffix("```").unwrap_or(t).trim()
}

/// Runs an AI job in the worker: execute, then settle or release. A
/// retryable failure keeps the reservation for the next delivery, except on
/// the last allowed attempt, where the job fails and the credits go back.
pub async fn run(state: Arc<AppState>, job: Job, providers: Providers) -> Result<Value, JobError> {
    let Some(f) = registry().get(job.kind.as_str()).cloned() else {
        return Err(JobError::Permanent(format!("unknown AI function {:?}", job.kind)));
    };
    run_with(state, job, providers, f.as_ref()).await
}

/// [`run`] with an explicit function (tests register their own).
pub async fn run_with(state: Arc<AppState>, job: Job, providers: Providers, f: &dyn AiFunction) -> Result<Value, JobError> {
    let tenant = Tenant::from_verified(&job.account_id);
    let held = job.reservation.unwrap_or_default();
    let last_attempt = job.attempts >= state.config.ai.max_attempts;
    let ctx = JobCtx::new(state.clone(), job, providers);
    ctx.progress("AI Analysis", 10).await;
    let outcome = f.execute(&ctx).await;
    let (tokens, provider, model) = ctx.usage();
    let record = |charged: f64| {
        let state = state.clone();
        let key = crate::store::Item::key(&ctx.job);
        let (tokens, provider, model) = (tokens.clone(), provider.clone(), model.clone());
        async move {
            if let Ok(Some(mut current)) = state.store.get::<Job>(&key).await {
                current.tokens = tokens;
                current.provider = provider;
                current.model = model;
                current.credits_charged = Some(charged);
                current.phase = "Saving".into();
                let v = current.version();
                current.set_version(v);
                if let Err(e) = state.store.update_versioned(&mut current).await {
                    tracing::warn!(error = ?e, "could not record job usage");
                }
            }
        }
    };
    let map_credit_err = |e: AppError| JobError::Retryable(format!("credits: {e:?}"));
    match outcome {
        Ok(out) => {
            crate::credits::settle(&state, &tenant, &ctx.job.id, f.name(), held, out.actual_cost).await.map_err(map_credit_err)?;
            let charged = crate::credits::round(out.actual_cost.clamp(0.0, held.total()));
            record(charged).await;
            Ok(out.result)
        }
        Err(JobError::Retryable(reason)) if last_attempt => {
            crate::credits::release(&state, &tenant, &ctx.job.id, f.name(), held, &reason).await.map_err(map_credit_err)?;
            record(0.0).await;
            Err(JobError::Permanent(format!("gave up after {} attempts: {reason}", ctx.job.attempts)))
        }
        Err(JobError::Retryable(reason)) => Err(JobError::Retryable(reason)),
        Err(JobError::Continue(reason)) => Err(JobError::Continue(reason)),
        Err(JobError::Permanent(reason)) => {
            crate::credits::release(&state, &tenant, &ctx.job.id, f.name(), held, &reason).await.map_err(map_credit_err)?;
            record(0.0).await;
            Err(JobError::Permanent(reason))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_fences_around_json_are_tolerated() {
        assert_eq!(strip_fences("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_fences(" {\"a\":1} "), "{\"a\":1}");
    }
}
