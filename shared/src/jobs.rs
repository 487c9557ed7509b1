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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    /// Every status's name (the `?status=` filter's values).
    pub const NAMES: &[&str] = &["queued", "running", "completed", "failed", "cancelled"];

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

/// Which automation run enqueued a job.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct JobOrigin {
    pub rule_id: String,
    pub execution_id: String,
    /// 0 for a scheduled or manual run; an event-triggered run is one deeper
    /// than its event.
    pub depth: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
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
    /// The automation run that enqueued it (rule and event depth): the
    /// domain event it raises carries the depth on, so event rules cannot
    /// trigger each other forever.
    #[serde(default)]
    pub origin: Option<JobOrigin>,
    /// The SQS message (id, receive count) of the delivery that claimed it:
    /// a later receive of that same message may take the job over at once (its
    /// outcome was not recorded), a concurrent duplicate may not.
    #[serde(default)]
    pub claimed_by: Option<String>,
    #[serde(default)]
    pub claim_receive: u32,
    /// Epoch seconds after which the sweeper looks at this open job: a queued
    /// job's message is sent again, a running job past its lease is failed and
    /// its credits released ([`sweep`]).
    #[serde(default)]
    pub sweep_after: Option<i64>,
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
        let open = (!self.status.is_final()).then(|| keys::open_job_gsi(&self.id, self.sweep_after.unwrap_or(0), &self.account_id));
        ItemKeys { gsi1: Some((keys::job_status_gsi(&t, self.status.as_str()), self.id.clone())), gsi2: open, ..Default::default() }
    }
}

/// Seconds a queued job may wait before the sweeper sends its message again
/// (a message lost between the job write and the queue).
pub const QUEUED_RESEND_SECS: i64 = 15 * 60;


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
            origin: None,
            claimed_by: None,
            claim_receive: 0,
            sweep_after: Some(crate::ids::now_epoch() + QUEUED_RESEND_SECS),
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        }
    }
}

/// The SQS message body for a job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct JobMessage {
    pub job_id: String,
    pub account_id: String,
    pub kind: String,
    /// How many times this job already waited for a running-job slot (each
    /// wait is a fresh message, so waiting never uses up receives).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub deferrals: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl JobMessage {
    pub fn of(job: &Job) -> Self {
        Self { job_id: job.id.clone(), account_id: job.account_id.clone(), kind: job.kind.clone(), deferrals: 0 }
    }
}

/// The SQS facts of one delivery of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryInfo {
    pub message_id: String,
    /// `ApproximateReceiveCount` (1 on the first receive).
    pub receive_count: u32,
}

/// How a job handler failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Worth another attempt (provider 429/5xx, timeouts): the message goes back to the queue.
    Retryable(String),
    /// Will never succeed (bad input, malformed output after repair): the job fails now.
    Permanent(String),
    /// Made progress and stopped within its time slice (a long delete): the
    /// job goes back to `queued` and continues from its checkpoint in a fresh
    /// message, so a long job never outlives the worker's timeout nor uses up
    /// the message's receives.
    Continue(String),
}

/// A store or service error inside a job: an internal error (the table or
/// queue did not answer) or contention (429: the item stayed busy) is worth
/// another attempt; anything else (a 4xx: something was deleted, a limit was
/// hit) will not get better.
impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Internal(m) => JobError::Retryable(m),
            AppError::RateLimited { message, .. } => JobError::Retryable(message),
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
    send_message(state, &JobMessage::of(job), 0).await
}

/// Sends a job message, delivered after `delay_secs` (at most 900).
pub async fn send_message(state: &AppState, msg: &JobMessage, delay_secs: i32) -> AppResult<()> {
    // Publish jobs go to the publish queue (the publish worker), the rest to ai-jobs.
    let queue = if msg.kind == crate::integration::publish::PUBLISH_JOB
        || msg.kind == crate::integration::webhook::PULL_JOB
        || msg.kind == crate::integration::webhook::SYNC_JOB
    {
        state.config.publish_queue_url.as_deref().ok_or_else(|| AppError::internal("PUBLISH_QUEUE_URL is not configured"))?
    } else {
        state.config.ai_jobs_queue_url.as_deref().ok_or_else(|| AppError::internal("AI_JOBS_QUEUE_URL is not configured"))?
    };
    state
        .sqs
        .send_message()
        .queue_url(queue)
        .message_body(serde_json::to_string(msg).map_err(AppError::internal)?)
        .delay_seconds(delay_secs.clamp(0, 900))
        .send()
        .await
        .map_err(|e| AppError::internal(format!("sqs SendMessage: {}", aws_sdk_sqs::error::DisplayErrorContext(&e))))?;
    Ok(())
}

/// Seconds a job waits for a running-job slot before its next try: 2, 4, 6 …
/// up to 30, plus up to a second of jitter so waiting jobs do not wake together.
pub fn slot_wait_secs(deferrals: u32) -> i32 {
    (2 * (deferrals as i32 + 1)).min(30) + rand::random_range(0..=1)
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

/// Cancels a queued job and releases its credits, in one transaction: the
/// job is never cancelled with its credits held, and a release that fails
/// leaves it queued (and cancellable again). A running or finished job cannot
/// be cancelled (409).
pub async fn cancel(state: &AppState, tenant: &Tenant, job_id: &str) -> AppResult<Job> {
    let job = get(state, tenant, job_id).await?;
    if job.status != JobStatus::Queued {
        return Err(not_cancellable(&job));
    }
    let to_cancelled = || {
        state.store.tx_update(
            &job.key(),
            "SET #s = :cancelled, phase = :phase, updated_at = :ts, version = version + :one, GSI1PK = :gsi, \
             credits_charged = :zero REMOVE GSI2PK, GSI2SK",
            Some("#s = :queued"),
            &[("#s", "status")],
            HashMap::from([
                (":queued".to_string(), AttributeValue::S("queued".into())),
                (":cancelled".to_string(), AttributeValue::S("cancelled".into())),
                (":phase".to_string(), AttributeValue::S("Cancelled".into())),
                (":one".to_string(), AttributeValue::N("1".into())),
                (":zero".to_string(), AttributeValue::N("0".into())),
                (":ts".to_string(), AttributeValue::S(crate::ids::now_rfc3339())),
                (":gsi".to_string(), AttributeValue::S(keys::job_status_gsi(tenant, "cancelled"))),
            ]),
        )
    };
    let moved = match job.reservation {
        Some(held) => crate::credits::release_with(state, tenant, &job.id, &job.kind, held, "cancelled", to_cancelled).await.map(|_| ()),
        None => state.store.transact(vec![to_cancelled()?]).await.map_err(AppError::from),
    };
    match moved {
        Ok(()) => get(state, tenant, job_id).await,
        Err(AppError::Conflict(_)) => Err(not_cancellable(&get(state, tenant, job_id).await?)),
        Err(e) => Err(e),
    }
}

fn not_cancellable(job: &Job) -> AppError {
    AppError::Conflict(format!("the job is {}; only a queued job can be cancelled", job.status.as_str()))
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
    /// Not started: the account's running-job slots are all taken (or the
    /// job paused after its time slice, [`JobError::Continue`]). The caller
    /// sends a fresh message with a delay ([`defer`]) and acknowledges this
    /// one, so waiting never uses up receives.
    Deferred(String),
}

/// Claims the job: `queued` → `running`, takes over a `running` job whose
/// lease expired, or one claimed by an earlier receive of this same message
/// (that delivery could not record its outcome; SQS gave the message back).
/// Returns the claimed job, or `None` if another delivery owns it.
async fn claim(state: &AppState, tenant: &Tenant, job_id: &str, delivery: &DeliveryInfo) -> AppResult<Option<Job>> {
    let now = crate::ids::now_epoch();
    let lease = now + LEASE_SECS;
    let values = HashMap::from([
        (":queued".to_string(), AttributeValue::S("queued".into())),
        (":running".to_string(), AttributeValue::S("running".into())),
        (":now".to_string(), AttributeValue::N(now.to_string())),
        (":lease".to_string(), AttributeValue::N(lease.to_string())),
        (":phase".to_string(), AttributeValue::S("Processing".into())),
        (":one".to_string(), AttributeValue::N("1".into())),
        (":ts".to_string(), AttributeValue::S(crate::ids::now_rfc3339())),
        (":gsi".to_string(), AttributeValue::S(keys::job_status_gsi(tenant, "running"))),
        (":msg".to_string(), AttributeValue::S(delivery.message_id.clone())),
        (":rc".to_string(), AttributeValue::N(delivery.receive_count.to_string())),
        (":sweep_pk".to_string(), AttributeValue::S(keys::open_job_gsi(job_id, lease, tenant.account_id()).0)),
        (":sweep_sk".to_string(), AttributeValue::S(keys::open_job_gsi(job_id, lease, tenant.account_id()).1)),
    ]);
    let updated = state
        .store
        .update_raw(
            &keys::job(tenant, job_id),
            "SET #s = :running, phase = :phase, lease_until = :lease, sweep_after = :lease, attempts = attempts + :one, \
             updated_at = :ts, version = version + :one, GSI1PK = :gsi, claimed_by = :msg, claim_receive = :rc, \
             GSI2PK = :sweep_pk, GSI2SK = :sweep_sk",
            Some(
                "attribute_exists(PK) AND (#s = :queued OR (#s = :running AND (lease_until < :now \
                 OR (claimed_by = :msg AND claim_receive < :rc))))",
            ),
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

/// Puts a claimed job back to `queued` so the next delivery can run it
/// (`reason`: why it failed this time; none when it only paused).
async fn release(state: &AppState, mut job: Job, reason: Option<&String>) -> AppResult<()> {
    job.status = JobStatus::Queued;
    job.sweep_after = Some(crate::ids::now_epoch() + QUEUED_RESEND_SECS);
    job.error = reason.cloned();
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
/// applied first: over it, the job is [`Delivery::Deferred`] (no attempt is
/// used up, and the caller re-sends the message instead of returning it).
pub async fn process(state: Arc<AppState>, registry: &Registry, msg: &JobMessage, delivery: &DeliveryInfo) -> Delivery {
    let tenant = Tenant::from_verified(&msg.account_id);
    if !crate::ids::is_valid(&msg.job_id) {
        return Delivery::Skipped("malformed job id");
    }
    let cap = state.config.ai.max_running_per_account;
    let slot = match acquire_slot(&state, &tenant, &msg.job_id, cap).await {
        Ok(Some(n)) => n,
        Ok(None) => return Delivery::Deferred(format!("the account already has {cap} jobs running")),
        Err(e) => return Delivery::Retry(format!("slot failed: {e:?}")),
    };
    let outcome = process_claimed(state.clone(), registry, msg, &tenant, delivery).await;
    release_slot(&state, &tenant, &msg.job_id, slot).await;
    outcome
}

/// Puts a job that waits for a slot back on the queue as a fresh message,
/// delivered after [`slot_wait_secs`]. The caller acknowledges the old one.
pub async fn defer(state: &AppState, msg: &JobMessage) -> AppResult<i32> {
    let delay = slot_wait_secs(msg.deferrals);
    let next = JobMessage { deferrals: msg.deferrals.saturating_add(1), ..msg.clone() };
    send_message(state, &next, delay).await?;
    Ok(delay)
}

async fn process_claimed(state: Arc<AppState>, registry: &Registry, msg: &JobMessage, tenant: &Tenant, delivery: &DeliveryInfo) -> Delivery {
    let tenant = tenant.clone();
    let job = match claim(&state, &tenant, &msg.job_id, delivery).await {
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
    let recorded = record_outcome(&state, &job, &outcome).await;
    // Once the outcome is on the job, its domain event (automation's event
    // rules, chains and pipelines react to it); sending it never fails the job.
    if let Ok(true) = recorded {
        match &outcome {
            Ok(result) => crate::automation::events::job_finished(&state, &job, Some(result)).await,
            Err(JobError::Permanent(_)) => crate::automation::events::job_finished(&state, &job, None).await,
            Err(_) => {}
        }
    }
    match (outcome, recorded) {
        (_, Err(e)) => Delivery::Retry(format!("could not record outcome: {e:?}")),
        (_, Ok(false)) => Delivery::Skipped("job deleted or finished elsewhere while running"),
        (Ok(_), Ok(true)) => Delivery::Completed,
        (Err(JobError::Permanent(r)), Ok(true)) => Delivery::Failed(r),
        (Err(JobError::Retryable(r)), Ok(true)) => Delivery::Retry(r),
        (Err(JobError::Continue(r)), Ok(true)) => Delivery::Deferred(r),
    }
}

/// Tries of recording a job's outcome before the delivery gives up (and the
/// message's next receive finishes the job: see [`claim`]).
const OUTCOME_ATTEMPTS: u32 = 4;

/// Records what the handler produced on the job this delivery owns. The job
/// is re-read each try (the handler advanced phase/progress and the version).
/// `Ok(false)`: nothing to record on (deleted, or finished elsewhere, e.g. by
/// the sweeper).
async fn record_outcome(state: &AppState, job: &Job, outcome: &Result<Value, JobError>) -> AppResult<bool> {
    let mut last = None;
    for attempt in 0..OUTCOME_ATTEMPTS {
        let current = match state.store.get::<Job>(&job.key()).await {
            Ok(Some(j)) if j.status == JobStatus::Running => j,
            Ok(_) => return Ok(false),
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(crate::store::backoff(attempt + 2)).await;
                continue;
            }
        };
        let written = match outcome {
            Ok(result) => finish(state, current, JobStatus::Completed, Some(result.clone()), None).await,
            Err(JobError::Permanent(reason)) => finish(state, current, JobStatus::Failed, None, Some(reason.clone())).await,
            Err(JobError::Retryable(reason)) => release(state, current, Some(reason)).await,
            Err(JobError::Continue(_)) => release(state, current, None).await,
        };
        match written {
            Ok(()) => return Ok(true),
            Err(e) => {
                tracing::warn!(attempt, error = ?e, "could not record the job's outcome; trying again");
                last = Some(e);
                tokio::time::sleep(crate::store::backoff(attempt + 2)).await;
            }
        }
    }
    Err(last.unwrap_or_else(|| AppError::internal("outcome not recorded")))
}

/// Fails an open job (queued or running, as read in `job`) and returns its
/// reserved credits in one transaction: the job never ends failed with its
/// credits held. `Ok(false)` when the job changed meanwhile (nothing done).
pub async fn fail_open_job(state: &AppState, job: &Job, reason: &str) -> AppResult<bool> {
    let tenant = Tenant::from_verified(&job.account_id);
    let to_failed = || {
        state.store.tx_update(
            &job.key(),
            "SET #s = :failed, #err = :err, updated_at = :ts, #v = #v + :one, GSI1PK = :gsi \
             REMOVE GSI2PK, GSI2SK, lease_until",
            Some("#v = :v"),
            &[("#s", "status"), ("#v", "version"), ("#err", "error")],
            HashMap::from([
                (":failed".to_string(), AttributeValue::S("failed".into())),
                (":err".to_string(), AttributeValue::S(reason.chars().take(1000).collect())),
                (":one".to_string(), AttributeValue::N("1".into())),
                (":v".to_string(), AttributeValue::N(job.version.to_string())),
                (":ts".to_string(), AttributeValue::S(crate::ids::now_rfc3339())),
                (":gsi".to_string(), AttributeValue::S(keys::job_status_gsi(&tenant, "failed"))),
            ]),
        )
    };
    let moved = match job.reservation {
        Some(held) => match crate::credits::release_with(state, &tenant, &job.id, &job.kind, held, reason, to_failed).await {
            Ok(crate::credits::Applied::Done(_)) => Ok(()),
            // Settled or released already (the worker got that far): only the job moves.
            Ok(crate::credits::Applied::AlreadyApplied) => state.store.transact(vec![to_failed()?]).await.map_err(AppError::from),
            Err(e) => Err(e),
        },
        None => state.store.transact(vec![to_failed()?]).await.map_err(AppError::from),
    };
    match moved {
        Ok(()) => Ok(true),
        Err(AppError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Handles a message that reached the dead-letter queue: the job failed on
/// every delivery without recording an outcome (crash, timeout). It is marked
/// failed with that reason and its reserved credits are released, together.
pub async fn dead_letter(state: &AppState, msg: &JobMessage) -> Delivery {
    if !crate::ids::is_valid(&msg.job_id) {
        return Delivery::Skipped("malformed job id");
    }
    let tenant = Tenant::from_verified(&msg.account_id);
    let job = match state.store.get::<Job>(&keys::job(&tenant, &msg.job_id)).await {
        Ok(Some(j)) if !j.status.is_final() => j,
        Ok(_) => return Delivery::Skipped("job missing or already finished"),
        Err(e) => return Delivery::Retry(format!("load failed: {e:?}")),
    };
    let reason = format!("the job failed on every delivery ({} attempts) and was moved to the dead-letter queue", job.attempts);
    match fail_open_job(state, &job, &reason).await {
        Ok(true) => {
            // Failed here rather than by its worker: the same `job_failed` event.
            crate::automation::events::job_finished(state, &job, None).await;
            Delivery::Failed(reason)
        }
        Ok(false) => Delivery::Retry("the job changed meanwhile; looking again".into()),
        Err(e) => Delivery::Retry(format!("could not record failure: {e:?}")),
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SweepReport {
    pub looked_at: u64,
    /// Running jobs past their lease: failed, credits released.
    pub failed: u64,
    /// Queued jobs whose message may be lost: sent again.
    pub resent: u64,
    pub errors: u64,
    /// The last error met, for the log and the scheduler's failure record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// Finds open jobs due for a look (the sparse open-jobs index, by due time):
/// a running job past its lease (its worker died or timed out; no delivery
/// will come back for it in time) is failed and its credits released; a
/// queued job waiting past [`QUEUED_RESEND_SECS`] gets its message sent again
/// (a duplicate is harmless: the claim is conditional). Run on a schedule
/// (`functions/job-sweeper`) and by `cargo xtask dev`.
pub async fn sweep(state: &AppState, now: i64) -> AppResult<SweepReport> {
    let mut report = SweepReport::default();
    for shard in 0..keys::OPEN_JOB_SHARDS {
        let mut start = None;
        loop {
            let (jobs, next) = state
                .store
                .query_platform_below::<Job>(crate::store::keys::Index::Gsi2, &keys::open_job_shard(shard), &keys::open_job_due_below(now), start)
                .await?;
            for job in jobs {
                report.looked_at += 1;
                match sweep_one(state, &job, now).await {
                    Ok(Swept::Failed) => report.failed += 1,
                    Ok(Swept::Resent) => report.resent += 1,
                    Ok(Swept::Nothing) => {}
                    Err(e) => {
                        report.errors += 1;
                        report.last_error = Some(format!("{e:?}"));
                        tracing::error!(job_id = %job.id, account = %job.account_id, error = ?e, "sweeping a job failed");
                    }
                }
            }
            match next {
                Some(k) => start = Some(k),
                None => break,
            }
        }
    }
    Ok(report)
}

enum Swept {
    Failed,
    Resent,
    Nothing,
}

async fn sweep_one(state: &AppState, job: &Job, now: i64) -> AppResult<Swept> {
    match job.status {
        JobStatus::Running if job.lease_until.is_some_and(|l| l < now) => {
            let reason = format!("the worker stopped before finishing (lease expired after {} attempt(s)); credits released", job.attempts);
            if !fail_open_job(state, job, &reason).await? {
                return Ok(Swept::Nothing);
            }
            // Failed here rather than by its worker: the same `job_failed` event.
            crate::automation::events::job_finished(state, job, None).await;
            Ok(Swept::Failed)
        }
        JobStatus::Queued => {
            // Push the next look forward first, so two sweeps do not both send.
            let next = now + QUEUED_RESEND_SECS;
            let (pk, sk) = keys::open_job_gsi(&job.id, next, &job.account_id);
            let moved = state
                .store
                .update_raw(
                    &job.key(),
                    "SET sweep_after = :next, GSI2PK = :pk, GSI2SK = :sk",
                    Some("#s = :queued AND #v = :v"),
                    &[("#s", "status"), ("#v", "version")],
                    HashMap::from([
                        (":next".to_string(), AttributeValue::N(next.to_string())),
                        (":pk".to_string(), AttributeValue::S(pk)),
                        (":sk".to_string(), AttributeValue::S(sk)),
                        (":queued".to_string(), AttributeValue::S("queued".into())),
                        (":v".to_string(), AttributeValue::N(job.version.to_string())),
                    ]),
                )
                .await?;
            if moved.is_none() {
                return Ok(Swept::Nothing);
            }
            send(state, job).await?;
            Ok(Swept::Resent)
        }
        _ => Ok(Swept::Nothing),
    }
}

crate::versioned!(Job);

/// The URL of the queue an SQS record came from
/// (`arn:aws:sqs:<region>:<account>:<name>`): the configured URL of that
/// queue when it is one of ours (the emulator's URLs differ from AWS's form),
/// else AWS's form.
pub fn queue_url_of(state: &AppState, arn: &str) -> Option<String> {
    let mut parts = arn.split(':').skip(3);
    let (region, account, name) = (parts.next()?, parts.next()?, parts.next()?);
    let known = [state.config.ai_jobs_queue_url.as_deref(), state.config.publish_queue_url.as_deref()];
    if let Some(url) = known.into_iter().flatten().find(|u| u.rsplit('/').next() == Some(name)) {
        return Some(url.to_string());
    }
    Some(format!("https://sqs.{region}.amazonaws.com/{account}/{name}"))
}

/// Makes a queue message to retry visible again after `delay` seconds (best
/// effort: without it the queue's visibility timeout applies).
pub async fn schedule_retry(state: &AppState, record: &aws_lambda_events::sqs::SqsMessage, delay: i32) {
    let (Some(handle), Some(url)) = (record.receipt_handle.as_deref(), record.event_source_arn.as_deref().and_then(|a| queue_url_of(state, a))) else {
        return;
    };
    if let Err(e) = state.sqs.change_message_visibility().queue_url(url).receipt_handle(handle).visibility_timeout(delay).send().await {
        tracing::warn!(error = ?e, "could not shorten the retry delay");
    }
}
