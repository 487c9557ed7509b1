//! Automation runner: EventBridge Scheduler invokes it with the schedule's
//! input `{account_id, rule_id}`. Every invocation leaves an execution record
//! (`RUN#<rule>#<run>`), so a schedule whose rule is gone is visible instead of
//! silently firing forever.

use igny8::AppState;
use igny8::store::keys::{self, Key, Tenant};
use igny8::store::Item;
use serde::{Deserialize, Serialize};
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

/// One execution of a rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AutomationRun {
    pub id: String,
    pub account_id: String,
    pub rule_id: String,
    pub outcome: String,
    pub detail: String,
    pub scheduled_time: Option<String>,
    pub created_at: String,
}

impl Item for AutomationRun {
    const ENTITY: &'static str = "AutomationRun";
    fn key(&self) -> Key {
        keys::automation_run(&Tenant::from_verified(&self.account_id), &self.rule_id, &self.id)
    }
}

pub async fn handle(state: Arc<AppState>, input: ScheduledInvocation) -> Result<AutomationRun, igny8::lambda::BootError> {
    if !igny8::ids::is_valid(&input.account_id) || !igny8::ids::is_valid(&input.rule_id) {
        return Err(format!("invalid schedule input: account_id and rule_id must be ids, got {input:?}").into());
    }
    // The schedule was created for this account by the API under a verified token.
    let tenant = Tenant::from_verified(&input.account_id);
    let rule = state
        .store
        .get::<serde_json::Value>(&Key::new(tenant.pk(), format!("RULE#{}", input.rule_id)))
        .await
        .map_err(|e| format!("{e:?}"))?;
    let (outcome, detail) = match rule {
        None => ("skipped", "the rule no longer exists; its schedule should be deleted".to_string()),
        Some(_) => ("skipped", "no automation actions are available yet".to_string()),
    };
    let run = AutomationRun {
        id: igny8::ids::new_id(),
        account_id: input.account_id,
        rule_id: input.rule_id,
        outcome: outcome.into(),
        detail,
        scheduled_time: input.scheduled_time,
        created_at: igny8::ids::now_rfc3339(),
    };
    state.store.put(&run).await.map_err(|e| format!("{e:?}"))?;
    tracing::info!(rule_id = %run.rule_id, outcome = %run.outcome, "automation run recorded");
    Ok(run)
}
