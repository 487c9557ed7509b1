//! Jobs: the one runner for asynchronous work (AI functions, publishing).
//!
//! The API writes a [`Job`] (status `queued`) and sends one SQS message
//! `{job_id, account_id, kind}`. A worker claims the job with a conditional
//! write (`queued` → `running`, or a `running` job whose lease expired), runs
//! the handler registered for its kind, and records the outcome with another
//! conditional write. A message delivered twice therefore does the work once:
//! the second delivery finds the job already claimed or finished and is
//! acknowledged without running anything.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::keys::{self, Key, Tenant};
use crate::store::{Item, ItemKeys};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// How long a claimed job may run before another delivery may take it over.
pub const LEASE_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }
    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Job {
    pub id: String,
    pub account_id: String,
    pub kind: String,
    pub status: JobStatus,
    pub phase: String,
    pub progress: u8,
    #[serde(default)]
    pub input: Value,
    #[serde(default)]
    pub result: Option<Value>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub lease_until: Option<i64>,
    /// Credits held for this job, by pool (AI jobs).
    #[serde(default)]
    pub reservation: Option<crate::credits::Reservation>,
    #[serde(default)]
    pub credits_estimate: f64,
    #[serde(default)]
    pub credits_charged: Option<f64>,
    #[serde(default)]
    pub tokens: crate::ai::provider::TokenUsage,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    /// Who started it.
    #[serde(default)]
    pub created_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for Job {
    const ENTITY: &'static str = "Job";
    fn key(&self) -> Key {
        keys::job(&Tenant::from_verified(&self.account_id), &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        let t = Tenant::from_verified(&self.account_id);
        ItemKeys { gsi1: Some((keys::job_status_gsi(&t, self.status.as_str()), self.id.clone())), ..Default::default() }
    }
}


impl Job {
    pub fn new(tenant: &Tenant, kind: &str, input: Value) -> Self {
        let now = crate::ids::now_rfc3339();
        Self {
            id: crate::ids::new_id(),
            account_id: tenant.account_id().to_string(),
            kind: kind.to_string(),
            status: JobStatus::Queued,
            phase: "Initializing".into(),
            progress: 0,
            input,
            result: None,
            error: None,
            attempts: 0,
            lease_until: None,
            reservation: None,
            credits_estimate: 0.0,
            credits_charged: None,
            tokens: Default::default(),
            provider: None,
            model: None,
            created_by: None,
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        }
    }
}

/// The SQS message body for a job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct JobMessage {
    pub job_id: String,
    pub account_id: String,
    pub kind: String,
}

/// How a job handler failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Worth another attempt (provider 429/5xx, timeouts): the message goes back to the queue.
    Retryable(String),
    /// Will never succeed (bad input, malformed output after repair): the job fails now.
    Permanent(String),
}

/// A store or service error inside a job: an internal error (the table or
/// queue did not answer) is worth another attempt; anything else (a 4xx:
/// something was deleted, a limit was hit) will not get better.
impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Internal(m) => JobError::Retryable(m),
            other => JobError::Permanent(other.public_message()),
        }
    }
}

pub type JobFuture = BoxFuture<'static, Result<Value, JobError>>;
pub type JobFn = Arc<dyn Fn(Arc<AppState>, Job) -> JobFuture + Send + Sync>;

/// Job kinds and their handlers. Modules register their kinds here.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<String, JobFn>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register<F, Fut>(mut self, kind: &str, f: F) -> Self
    where
        F: Fn(Arc<AppState>, Job) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Value, JobError>> + Send + 'static,
    {
        self.handlers.insert(kind.to_string(), Arc::new(move |s, j| Box::pin(f(s, j))));
        self
    }

    pub fn kinds(&self) -> Vec<&str> {
        let mut k: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }
}

/// Creates a job item and sends its message. Returns the job (for a 202).
pub async fn enqueue(state: &AppState, tenant: &Tenant, kind: &str, input: Value) -> AppResult<Job> {
    let job = Job::new(tenant, kind, input);
    state.store.create(&job).await?;
    send(state, &job).await?;
    Ok(job)
}

/// Records phase and progress on a running job (best effort: progress is
/// informational and never fails the job).
pub async fn progress(state: &AppState, job: &Job, phase: &str, percent: u8) {
    let values = HashMap::from([
        (":p".to_string(), AttributeValue::S(phase.into())),
        (":pct".to_string(), AttributeValue::N(percent.min(99).to_string())),
        (":running".to_string(), AttributeValue::S("running".into())),
        (":ts".to_string(), AttributeValue::S(crate::ids::now_rfc3339())),
        (":one".to_string(), AttributeValue::N("1".into())),
    ]);
    let r = state
        .store
        .update_raw(
            &job.key(),
            "SET phase = :p, progress = :pct, updated_at = :ts, version = version + :one",
            Some("#s = :running"),
            &[("#s", "status")],
            values,
        )
        .await;
    if let Err(e) = r {
        tracing::warn!(error = ?e, "could not record job progress");
    }
}

/// Sends the message of a stored job.
pub async fn send(state: &AppState, job: &Job) -> AppResult<()> {
    let queue = state
        .config
        .ai_jobs_queue_url
        .as_deref()
        .ok_or_else(|| AppError::internal("AI_JOBS_QUEUE_URL is not configured"))?;
    let msg = JobMessage { job_id: job.id.clone(), account_id: job.account_id.clone(), kind: job.kind.clone() };
    state
        .sqs
        .send_message()
        .queue_url(queue)
        .message_body(serde_json::to_string(&msg).map_err(AppError::internal)?)
        .send()
        .await
        .map_err(|e| AppError::internal(format!("sqs SendMessage: {}", aws_sdk_sqs::error::DisplayErrorContext(&e))))?;
    Ok(())
}

/// The account's jobs, newest first, optionally of one status.
pub async fn list(state: &AppState, tenant: &Tenant, status: Option<&str>, limit: i32, cursor: Option<String>) -> AppResult<crate::store::Page<Job>> {
    use crate::store::{Query, SkCondition};
    use crate::store::keys::Index;
    let q = match status {
        Some(s) => {
            let status: JobStatus = serde_json::from_value(Value::String(s.to_string()))
                .map_err(|_| AppError::field("status", "must be one of queued, running, completed, failed, cancelled"))?;
            Query::new(tenant, Index::Gsi1, keys::job_status_gsi(tenant, status.as_str()))
        }
        None => Query::new(tenant, Index::Table, tenant.pk()).sk(SkCondition::BeginsWith(keys::JOB_PREFIX.into())),
    };
    state.store.query(&q.limit(limit).cursor(cursor).newest_first(true)).await
}

/// Cancels a queued job and releases its credits. A running or finished job
/// cannot be cancelled (409).
pub async fn cancel(state: &AppState, tenant: &Tenant, job_id: &str) -> AppResult<Job> {
    let job = get(state, tenant, job_id).await?;
    let values = HashMap::from([
        (":queued".to_string(), AttributeValue::S("queued".into())),
        (":cancelled".to_string(), AttributeValue::S("cancelled".into())),
        (":phase".to_string(), AttributeValue::S("Cancelled".into())),
        (":one".to_string(), AttributeValue::N("1".into())),
        (":ts".to_string(), AttributeValue::S(crate::ids::now_rfc3339())),
        (":gsi".to_string(), AttributeValue::S(keys::job_status_gsi(tenant, "cancelled"))),
    ]);
    let updated = state
        .store
        .update_raw(
            &job.key(),
            "SET #s = :cancelled, phase = :phase, updated_at = :ts, version = version + :one, GSI1PK = :gsi",
            Some("#s = :queued"),
            &[("#s", "status")],
            values,
        )
        .await?;
    let Some(attrs) = updated else {
        return Err(AppError::Conflict(format!("the job is {}; only a queued job can be cancelled", job.status.as_str())));
    };
    let mut job: Job = crate::store::from_attrs(attrs)?;
    if let Some(held) = job.reservation {
        crate::credits::release(state, tenant, &job.id, &job.kind, held, "cancelled").await?;
        job.credits_charged = Some(0.0);
    }
    Ok(job)
}

pub async fn get(state: &AppState, tenant: &Tenant, job_id: &str) -> AppResult<Job> {
    if !crate::ids::is_valid(job_id) {
        return Err(AppError::not_found("job"));
    }
    state.store.get(&keys::job(tenant, job_id)).await?.ok_or_else(|| AppError::not_found("job"))
}

/// What happened to one delivery of a job message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The job ran and completed.
    Completed,
    /// The job ran and failed for good (or its kind is unknown).
    Failed(String),
    /// Nothing to do: the job is missing, finished, or claimed by another delivery.
    Skipped(&'static str),
    /// Try again later: the message must go back to the queue.
    Retry(String),
}

/// Claims the job: `queued` → `running`, or takes over a `running` job whose
/// lease expired. Returns the claimed job, or `None` if another delivery owns it.
async fn claim(state: &AppState, tenant: &Tenant, job_id: &str) -> AppResult<Option<Job>> {
    let now = crate::ids::now_epoch();
    let values = HashMap::from([
        (":queued".to_string(), AttributeValue::S("queued".into())),
        (":running".to_string(), AttributeValue::S("running".into())),
        (":now".to_string(), AttributeValue::N(now.to_string())),
        (":lease".to_string(), AttributeValue::N((now + LEASE_SECS).to_string())),
        (":phase".to_string(), AttributeValue::S("Processing".into())),
        (":one".to_string(), AttributeValue::N("1".into())),
        (":ts".to_string(), AttributeValue::S(crate::ids::now_rfc3339())),
        (":gsi".to_string(), AttributeValue::S(keys::job_status_gsi(tenant, "running"))),
    ]);
    let updated = state
        .store
        .update_raw(
            &keys::job(tenant, job_id),
            "SET #s = :running, phase = :phase, lease_until = :lease, attempts = attempts + :one, \
             updated_at = :ts, version = version + :one, GSI1PK = :gsi",
            Some("attribute_exists(PK) AND (#s = :queued OR (#s = :running AND lease_until < :now))"),
            &[("#s", "status")],
            values,
        )
        .await?;
    updated.map(crate::store::from_attrs::<Job>).transpose()
}

/// Records the final state of a job this delivery owns.
async fn finish(state: &AppState, mut job: Job, status: JobStatus, result: Option<Value>, error: Option<String>) -> AppResult<()> {
    job.status = status;
    job.phase = if status == JobStatus::Completed { "Completed".into() } else { job.phase };
    job.progress = if status == JobStatus::Completed { 100 } else { job.progress };
    job.result = result;
    job.error = error;
    job.lease_until = None;
    job.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut job).await
}

/// Puts a claimed job back to `queued` so the next delivery can run it.
async fn release(state: &AppState, mut job: Job, reason: &str) -> AppResult<()> {
    job.status = JobStatus::Queued;
    job.error = Some(reason.to_string());
    job.lease_until = None;
    job.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut job).await
}

/// Takes one of the account's running-job slots for `job_id` (a lease, so a
/// crashed worker's slot frees itself). `None` when all are busy.
pub async fn acquire_slot(state: &AppState, tenant: &Tenant, job_id: &str, cap: u32) -> AppResult<Option<u32>> {
    let now = crate::ids::now_epoch();
    for n in 0..cap {
        let values = HashMap::from([
            (":job".to_string(), AttributeValue::S(job_id.into())),
            (":now".to_string(), AttributeValue::N(now.to_string())),
            (":lease".to_string(), AttributeValue::N((now + LEASE_SECS).to_string())),
        ]);
        let got = state
            .store
            .update_raw(
                &keys::job_slot(tenant, n),
                "SET job_id = :job, lease_until = :lease",
                Some("attribute_not_exists(job_id) OR lease_until < :now OR job_id = :job"),
                &[],
                values,
            )
            .await?;
        if got.is_some() {
            return Ok(Some(n));
        }
    }
    Ok(None)
}

/// Frees a slot held by `job_id`.
pub async fn release_slot(state: &AppState, tenant: &Tenant, job_id: &str, n: u32) {
    let values = HashMap::from([(":job".to_string(), AttributeValue::S(job_id.into()))]);
    let r = state.store.update_raw(&keys::job_slot(tenant, n), "REMOVE job_id, lease_until", Some("job_id = :job"), &[], values).await;
    if let Err(e) = r {
        tracing::warn!(error = ?e, "could not free a job slot (its lease will expire)");
    }
}

/// Handles one delivery of a job message. The account's running-job cap is
/// applied first: over it, the message goes back to the queue untouched (no
/// attempt is used up).
pub async fn process(state: Arc<AppState>, registry: &Registry, msg: &JobMessage) -> Delivery {
    let tenant = Tenant::from_verified(&msg.account_id);
    if !crate::ids::is_valid(&msg.job_id) {
        return Delivery::Skipped("malformed job id");
    }
    let cap = state.config.ai.max_running_per_account;
    let slot = match acquire_slot(&state, &tenant, &msg.job_id, cap).await {
        Ok(Some(n)) => n,
        Ok(None) => return Delivery::Retry(format!("the account already has {cap} jobs running")),
        Err(e) => return Delivery::Retry(format!("slot failed: {e:?}")),
    };
    let delivery = process_claimed(state.clone(), registry, msg, &tenant).await;
    release_slot(&state, &tenant, &msg.job_id, slot).await;
    delivery
}

async fn process_claimed(state: Arc<AppState>, registry: &Registry, msg: &JobMessage, tenant: &Tenant) -> Delivery {
    let tenant = tenant.clone();
    let job = match claim(&state, &tenant, &msg.job_id).await {
        Ok(Some(job)) => job,
        Ok(None) => return Delivery::Skipped("job missing, finished or owned by another delivery"),
        Err(e) => return Delivery::Retry(format!("claim failed: {e:?}")),
    };
    let Some(handler) = registry.handlers.get(&job.kind).cloned() else {
        let reason = format!("no handler is registered for job kind {:?}", job.kind);
        return match finish(&state, job, JobStatus::Failed, None, Some(reason.clone())).await {
            Ok(()) => Delivery::Failed(reason),
            Err(e) => Delivery::Retry(format!("could not record failure: {e:?}")),
        };
    };
    let outcome = handler(state.clone(), job.clone()).await;
    // Re-read: the handler may have advanced phase/progress (and the version).
    let current = match state.store.get::<Job>(&job.key()).await {
        Ok(Some(j)) => j,
        Ok(None) => return Delivery::Skipped("job deleted while running"),
        Err(e) => return Delivery::Retry(format!("reload failed: {e:?}")),
    };
    let recorded = match &outcome {
        Ok(result) => finish(&state, current, JobStatus::Completed, Some(result.clone()), None).await,
        Err(JobError::Permanent(reason)) => finish(&state, current, JobStatus::Failed, None, Some(reason.clone())).await,
        Err(JobError::Retryable(reason)) => release(&state, current, reason).await,
    };
    match (outcome, recorded) {
        (_, Err(e)) => Delivery::Retry(format!("could not record outcome: {e:?}")),
        (Ok(_), Ok(())) => Delivery::Completed,
        (Err(JobError::Permanent(r)), Ok(())) => Delivery::Failed(r),
        (Err(JobError::Retryable(r)), Ok(())) => Delivery::Retry(r),
    }
}

/// Handles a message that reached the dead-letter queue: the job failed on
/// every delivery without recording an outcome (crash, timeout). It is marked
/// failed with that reason and its reserved credits are released.
pub async fn dead_letter(state: &AppState, msg: &JobMessage) -> Delivery {
    if !crate::ids::is_valid(&msg.job_id) {
        return Delivery::Skipped("malformed job id");
    }
    let tenant = Tenant::from_verified(&msg.account_id);
    let mut job = match state.store.get::<Job>(&keys::job(&tenant, &msg.job_id)).await {
        Ok(Some(j)) if !j.status.is_final() => j,
        Ok(_) => return Delivery::Skipped("job missing or already finished"),
        Err(e) => return Delivery::Retry(format!("load failed: {e:?}")),
    };
    let reason = format!("the job failed on every delivery ({} attempts) and was moved to the dead-letter queue", job.attempts);
    if let Some(held) = job.reservation {
        if let Err(e) = crate::credits::release(state, &tenant, &job.id, &job.kind, held, &reason).await {
            return Delivery::Retry(format!("release failed: {e:?}"));
        }
        job.credits_charged = Some(0.0);
    }
    match finish(state, job, JobStatus::Failed, None, Some(reason.clone())).await {
        Ok(()) => Delivery::Failed(reason),
        Err(e) => Delivery::Retry(format!("could not record failure: {e:?}")),
    }
}

crate::versioned!(Job);
