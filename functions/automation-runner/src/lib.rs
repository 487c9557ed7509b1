//! Automation runner: EventBridge Scheduler invokes it with the schedule's
//! input `{account_id, rule_id, scheduled_time, schedule_name}`. It runs the
//! rule through `igny8::automation::run::fire`: a minute already fired is
//! dropped (Scheduler delivers at least once), a rule that is gone is recorded
//! as a skipped execution, so a stray schedule is visible instead of silently
//! firing forever.
//!
//! It also consumes the automation events queue ([`handle_events`]): each
//! record is a domain event, and the account's rules for its type run
//! (partial batch responses: only the events that failed come back).

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use igny8::AppState;
use igny8::automation::Execution;
use igny8::automation::events::DomainEvent;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const FUNCTION: &str = "automation-runner";

/// The Scheduler target input.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduledInvocation {
    pub account_id: String,
    /// The rule to run; a pipeline's schedule names `pipeline_site_id` instead.
    #[serde(default)]
    pub rule_id: String,
    #[serde(default)]
    pub pipeline_site_id: Option<String>,
    /// An integration's daily WordPress sync names `integration_id` instead.
    #[serde(default)]
    pub integration_id: Option<String>,
    #[serde(default)]
    pub scheduled_time: Option<String>,
    #[serde(default)]
    pub schedule_name: Option<String>,
}

/// Runs one fire; `None` when the minute had already fired.
pub async fn handle(state: Arc<AppState>, input: ScheduledInvocation) -> Result<Option<Execution>, igny8::lambda::BootError> {
    if let Some(integration) = &input.integration_id {
        if !igny8::ids::is_valid(&input.account_id) || !igny8::ids::is_valid(integration) {
            return Err(format!("invalid schedule input: account_id and integration_id must be ids, got {input:?}").into());
        }
        let scheduled_time = input.scheduled_time.as_deref().filter(|t| !t.starts_with('<'));
        let job = igny8::integration::webhook::fire_daily_sync(&state, &input.account_id, integration, scheduled_time).await.map_err(|e| format!("{e:?}"))?;
        tracing::info!(integration_id = %integration, job_id = ?job.as_ref().map(|j| &j.id), "daily sync fired");
        return Ok(None);
    }
    if let Some(site) = &input.pipeline_site_id {
        if !igny8::ids::is_valid(&input.account_id) || !igny8::ids::is_valid(site) {
            return Err(format!("invalid schedule input: account_id and pipeline_site_id must be ids, got {input:?}").into());
        }
        let scheduled_time = input.scheduled_time.clone().filter(|t| !t.starts_with('<'));
        let stages = igny8::automation::pipeline::fire(&state, &input.account_id, site, scheduled_time).await.map_err(|e| format!("{e:?}"))?;
        tracing::info!(site_id = %site, ?stages, "pipeline fired");
        return Ok(None);
    }
    if !igny8::ids::is_valid(&input.account_id) || !igny8::ids::is_valid(&input.rule_id) {
        return Err(format!("invalid schedule input: account_id and rule_id must be ids, got {input:?}").into());
    }
    // A context attribute that was not substituted is no time at all.
    let scheduled_time = input.scheduled_time.filter(|t| !t.starts_with('<'));
    // The schedule was created for this account by the API under a verified token.
    let run = igny8::automation::run::fire(&state, &input.account_id, &input.rule_id, scheduled_time).await.map_err(|e| format!("{e:?}"))?;
    if let Some(r) = &run {
        tracing::info!(rule_id = %r.rule_id, outcome = %r.outcome, detail = %r.detail, "automation run recorded");
    }
    Ok(run)
}

/// What the Lambda receives: a Scheduler invocation or a batch of domain events.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Input {
    Events(SqsEvent),
    Scheduled(ScheduledInvocation),
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Output {
    Events(SqsBatchResponse),
    Run(Option<Execution>),
}

/// The Lambda entry point.
pub async fn handle_any(state: Arc<AppState>, input: Input) -> Result<Output, igny8::lambda::BootError> {
    match input {
        Input::Events(ev) => Ok(Output::Events(handle_events(state, ev).await)),
        Input::Scheduled(inv) => handle(state, inv).await.map(Output::Run),
    }
}

/// Runs the rules of each event; a malformed event is logged and dropped
/// (retrying cannot fix it), a failed run is returned for retry.
pub async fn handle_events(state: Arc<AppState>, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let Some(ev) = record.body.as_deref().and_then(|b| serde_json::from_str::<DomainEvent>(b).ok()) else {
            tracing::warn!(message_id = %id, "not a domain event; dropped");
            continue;
        };
        match igny8::automation::events::handle(&state, &ev).await {
            Ok(runs) => tracing::info!(event = %ev.kind, depth = ev.depth, runs = runs.len(), "domain event handled"),
            Err(igny8::AppError::Validation { message, .. }) => tracing::warn!(message_id = %id, %message, "invalid domain event; dropped"),
            Err(e) => {
                tracing::warn!(message_id = %id, error = ?e, "domain event failed; retried");
                let mut f = BatchItemFailure::default();
                f.item_identifier = id;
                failures.push(f);
            }
        }
    }
    let mut r = SqsBatchResponse::default();
    r.batch_item_failures = failures;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events").join(name)).expect("fixture")
    }

    /// One Lambda takes both inputs: a Scheduler invocation is never read as
    /// an (empty) SQS batch, and an SQS batch is never read as a fire.
    #[test]
    fn scheduler_and_sqs_inputs_are_told_apart() {
        match serde_json::from_str::<Input>(&fixture("scheduler-automation.json")).unwrap() {
            Input::Scheduled(s) => assert_eq!(s.rule_id, "01JDEM0RVE0000000000000001"),
            other => panic!("read as {other:?}"),
        }
        match serde_json::from_str::<Input>(&fixture("sqs-ai-job.json")).unwrap() {
            Input::Events(e) => assert_eq!(e.records.len(), 1),
            other => panic!("read as {other:?}"),
        }
        assert!(serde_json::from_str::<Input>(r#"{"hello": 1}"#).is_err());
    }
}
