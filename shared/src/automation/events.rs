//! Domain events and event-triggered rules.
//!
//! A finished job raises its event (`auto_cluster` → `clusters_created`,
//! `generate_ideas` → `ideas_generated`, `generate_content` →
//! `content_generated`, `generate_images` → `images_generated`,
//! `import_keywords` → `keywords_imported`; a job that failed for good →
//! `job_failed`) as one SQS message on the automation events queue
//! (`AUTOMATION_EVENTS_QUEUE_URL`), which the automation runner consumes.
//! SQS rather than an EventBridge bus: every function already links the SQS
//! client, the runner gets partial batch responses and a dead-letter queue as
//! the AI worker does, and there is no fan-out to do — the runner finds the
//! account's rules for the event type through an index (GSI1
//! `ACCT#<a>#RULEEVT#<type>`).
//!
//! Loops: the event carries a depth. A scheduled or manual run's jobs raise
//! events of depth 0; a run an event of depth d triggers is at depth d + 1
//! and its jobs raise events of depth d + 1. An event of depth
//! [`MAX_DEPTH`] triggers nothing: each matching rule gets a `skipped`
//! execution saying the chain stopped.

use super::rules::{self, Rule};
use super::run::{self, Execution};
use crate::error::{AppError, AppResult};
use crate::jobs::Job;
use crate::state::AppState;
use crate::store::keys::{Index, Tenant};
use crate::store::Query;
use serde::{Deserialize, Serialize};

/// Event depth at which chains stop.
pub const MAX_DEPTH: u32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub account_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub job_id: Option<String>,
    /// How many event-triggered runs led here (0: none).
    #[serde(default)]
    pub depth: u32,
    /// The rule whose run enqueued the job that raised it.
    #[serde(default)]
    pub rule_id: Option<String>,
    pub created_at: String,
}

/// GSI1 partition of an account's enabled rules for one event type.
pub fn rules_for_event(t: &Tenant, kind: &str) -> String {
    format!("{}#RULEEVT#{kind}", t.pk())
}

/// The event a finished job of `kind` raises.
pub fn event_of(kind: &str, ok: bool) -> Option<&'static str> {
    if !ok {
        return Some("job_failed");
    }
    Some(match kind {
        "auto_cluster" => "clusters_created",
        "generate_ideas" => "ideas_generated",
        "generate_content" => "content_generated",
        "generate_images" => "images_generated",
        "import_keywords" => "keywords_imported",
        _ => return None,
    })
}

/// Sends one event (nothing when no queue is configured).
pub async fn emit(state: &AppState, ev: &DomainEvent) -> AppResult<()> {
    let Some(url) = &state.config.automation_events_queue_url else { return Ok(()) };
    let body = serde_json::to_string(ev).map_err(AppError::internal)?;
    state
        .sqs
        .send_message()
        .queue_url(url)
        .message_body(body)
        .send()
        .await
        .map_err(|e| AppError::internal(format!("SendMessage (automation event): {}", aws_sdk_sqs::error::DisplayErrorContext(&e))))?;
    Ok(())
}

/// Raises a finished job's event; a failure to send is logged, never fails the job.
pub async fn job_finished(state: &AppState, job: &Job, ok: bool) {
    let Some(kind) = event_of(&job.kind, ok) else { return };
    let ev = DomainEvent {
        account_id: job.account_id.clone(),
        kind: kind.to_string(),
        site_id: job.input.get("site_id").and_then(|v| v.as_str()).map(str::to_string),
        job_id: Some(job.id.clone()),
        depth: job.origin.as_ref().map(|o| o.depth).unwrap_or(0),
        rule_id: job.origin.as_ref().map(|o| o.rule_id.clone()),
        created_at: crate::ids::now_rfc3339(),
    };
    if let Err(e) = emit(state, &ev).await {
        tracing::warn!(error = ?e, job_id = %job.id, event = kind, "could not raise the job's event");
    }
}

/// Runs the account's rules for one event: each enabled rule of the event's
/// type (in the event's site) runs one level deeper, unless the chain is at
/// [`MAX_DEPTH`], which is recorded instead.
pub async fn handle(state: &AppState, ev: &DomainEvent) -> AppResult<Vec<Execution>> {
    if !crate::ids::is_valid(&ev.account_id) || !rules::EVENT_TYPES.contains(&ev.kind.as_str()) {
        return Err(AppError::validation(format!("not a domain event: {ev:?}")));
    }
    let tenant = Tenant::from_verified(&ev.account_id);
    // A pipeline's own job finished: the pipeline moves on (bounded by its
    // stages, so outside the depth guard).
    if let (Some(rule_id), Some(site_id)) = (&ev.rule_id, &ev.site_id)
        && let Some(stages) = super::pipeline::on_event(state, &ev.account_id, site_id, rule_id).await?
    {
        tracing::info!(site_id, ?stages, "pipeline advanced");
    }
    let q = Query::new(&tenant, Index::Gsi1, rules_for_event(&tenant, &ev.kind));
    let matching: Vec<Rule> = state.store.query_all(&q, rules::MAX_RULES).await?;
    let mut out = Vec::new();
    for rule in matching {
        if ev.site_id.as_ref().is_some_and(|s| *s != rule.site_id) {
            continue;
        }
        if ev.depth >= MAX_DEPTH {
            let mut ex = Execution::new(&tenant, &rule.id, "event", None);
            ex.rule_name = rule.name.clone();
            ex.depth = ev.depth + 1;
            ex.event = Some(ev.kind.clone());
            let ex = ex.ended(
                "skipped",
                format!("event chain stopped at depth {MAX_DEPTH}: {} (raised by rule {}) would run this rule a {}th time in a row", ev.kind, ev.rule_id.as_deref().unwrap_or("-"), ev.depth + 1),
            );
            state.store.put(&ex).await?;
            out.push(ex);
            continue;
        }
        out.push(run::execute_at(state, &rule, "event", None, false, ev.depth + 1, Some(ev.kind.clone())).await?);
    }
    Ok(out)
}
