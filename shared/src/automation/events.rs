//! Domain events and event-triggered rules.
//!
//! A finished job raises its event once its outcome is recorded
//! (`jobs::process`) (`auto_cluster` → `clusters_created`,
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
    /// The rule whose run enqueued the job that raised it, and that run.
    #[serde(default)]
    pub rule_id: Option<String>,
    #[serde(default)]
    pub execution_id: Option<String>,
    /// What the job produced (content, ideas, clusters), as ids.
    #[serde(default)]
    pub produced: Vec<String>,
    pub created_at: String,
}

/// The ids a finished job's result names as produced.
pub fn produced_by(kind: &str, result: &serde_json::Value) -> Vec<String> {
    let ids = |key: &str| -> Vec<String> {
        result[key].as_array().map(|a| a.iter().filter_map(|v| v["id"].as_str().map(str::to_string)).collect()).unwrap_or_default()
    };
    match kind {
        "generate_content" | "generate_image_prompts" | "generate_images" | crate::integration::publish::PUBLISH_JOB => {
            result["content_id"].as_str().map(|c| vec![c.to_string()]).unwrap_or_default()
        }
        "generate_ideas" => ids("ideas"),
        "auto_cluster" => ids("clusters"),
        _ => Vec::new(),
    }
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
        crate::integration::publish::PUBLISH_JOB => "content_published",
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

/// Raises a finished job's event (`result` when it succeeded); a failure to
/// send is logged, never fails the job.
pub async fn job_finished(state: &AppState, job: &Job, result: Option<&serde_json::Value>) {
    let ok = result.is_some();
    // A post pushed to WordPress as a draft is not published (yet).
    if job.kind == crate::integration::publish::PUBLISH_JOB && result.is_some_and(|r| r["status"] != "publish") {
        return;
    }
    let Some(kind) = event_of(&job.kind, ok) else { return };
    let ev = DomainEvent {
        account_id: job.account_id.clone(),
        kind: kind.to_string(),
        site_id: job.input.get("site_id").and_then(|v| v.as_str()).map(str::to_string),
        job_id: Some(job.id.clone()),
        depth: job.origin.as_ref().map(|o| o.depth).unwrap_or(0),
        rule_id: job.origin.as_ref().map(|o| o.rule_id.clone()),
        execution_id: job.origin.as_ref().map(|o| o.execution_id.clone()),
        produced: result.map(|r| produced_by(&job.kind, r)).unwrap_or_default(),
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
    if let Some(ex) = continue_chain(state, ev).await? {
        tracing::info!(rule_id = %ex.rule_id, outcome = %ex.outcome, "rule chain continued");
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

/// Chaining across jobs: when a job a rule's run enqueued finishes, the
/// action after the one that enqueued it — recorded as `waiting` because it
/// works on what the job produces — runs now on those items (with the rest
/// of the chain after it), as an execution with trigger `chain`.
pub async fn continue_chain(state: &AppState, ev: &DomainEvent) -> AppResult<Option<Execution>> {
    let (Some(rule_id), Some(execution_id), Some(job_id)) = (&ev.rule_id, &ev.execution_id, &ev.job_id) else { return Ok(None) };
    if ev.kind == "job_failed" || ev.produced.is_empty() {
        return Ok(None);
    }
    let tenant = Tenant::from_verified(&ev.account_id);
    let Some(rule) = state.store.get::<Rule>(&rules::rule_key(&tenant, rule_id)).await? else { return Ok(None) };
    let Some(origin) = state.store.get::<Execution>(&run::run_key(&tenant, rule_id, execution_id)).await? else { return Ok(None) };
    let Some(i) = origin.actions.iter().position(|a| a.job_ids.iter().any(|j| j == job_id)) else { return Ok(None) };
    let Some(next) = rule.actions.get(i + 1) else { return Ok(None) };
    if origin.actions.get(i + 1).is_none_or(|a| a.status != "waiting") || next.explicit_ids().is_some() {
        return Ok(None);
    }
    let Some((entity, spec)) = rules::action_spec(&next.kind) else { return Ok(None) };
    let produced_entity = rules::action_produces(&rule.actions[i].kind);
    if produced_entity != Some(entity) {
        return Ok(None);
    }
    let Some((param, _)) = spec.iter().find(|(_, k)| k.starts_with("ids:")) else { return Ok(None) };
    let mut chained = rule.clone();
    let mut first = next.clone();
    first.params[*param] = serde_json::json!(ev.produced);
    chained.actions = std::iter::once(first).chain(rule.actions[i + 2..].iter().cloned()).collect();
    chained.conditions.clear();
    chained.any.clear();
    let ex = run::execute_at(state, &chained, "chain", None, false, ev.depth, Some(ev.kind.clone())).await?;
    Ok(Some(ex))
}
