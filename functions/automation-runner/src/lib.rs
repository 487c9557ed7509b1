//! Automation runner: EventBridge Scheduler invokes it with the schedule's
//! input `{account_id, rule_id, scheduled_time, schedule_name}`. It runs the
//! rule through `igny8::automation::run::fire`: a minute already fired is
//! dropped (Scheduler delivers at least once), a rule that is gone is recorded
//! as a skipped execution, so a stray schedule is visible instead of silently
//! firing forever.

use igny8::AppState;
use igny8::automation::Execution;
use serde::Deserialize;
use std::sync::Arc;

pub const FUNCTION: &str = "automation-runner";

/// The Scheduler target input.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduledInvocation {
    pub account_id: String,
    pub rule_id: String,
    #[serde(default)]
    pub scheduled_time: Option<String>,
    #[serde(default)]
    pub schedule_name: Option<String>,
}

/// Runs one fire; `None` when the minute had already fired.
pub async fn handle(state: Arc<AppState>, input: ScheduledInvocation) -> Result<Option<Execution>, igny8::lambda::BootError> {
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
