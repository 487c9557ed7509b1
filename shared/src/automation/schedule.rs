//! One EventBridge Scheduler schedule per enabled, unpaused schedule rule, in
//! the stack's schedule group (`SCHEDULE_GROUP_NAME`), named
//! `r-<account>-<rule>` (55 characters, under the 64 limit), firing the
//! automation runner with `{account_id, rule_id, scheduled_time,
//! schedule_name}` (`scheduled_time` is Scheduler's context attribute
//! `<aws.scheduler.scheduled-time>`).
//!
//! One-time schedules (`at(…)`, [`put_once`]) publish a content item at its
//! minute: their target is the publish queue, they delete themselves after
//! firing, and they are named `w-<account>-<scheduled publish>`.
//!
//! The store is the source of truth: [`reconcile_rule`] (run on every save)
//! makes the schedule match the rule — create, update or delete — and records
//! the outcome on the rule (`schedule_state`: `in_sync`, `none`, `pending`).

use super::rules::Rule;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::Versioned;
use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target};

/// The schedule's name for a rule.
pub fn schedule_name(account_id: &str, rule_id: &str) -> String {
    format!("r-{account_id}-{rule_id}")
}

/// The (account, rule) a schedule name stands for.
pub fn parse_schedule_name(name: &str) -> Option<(String, String)> {
    let rest = name.strip_prefix("r-")?;
    let (a, r) = rest.split_once('-')?;
    (crate::ids::is_valid(a) && crate::ids::is_valid(r)).then(|| (a.to_string(), r.to_string()))
}

/// The runner's input for a rule.
pub fn target_input(account_id: &str, rule_id: &str) -> String {
    serde_json::json!({
        "account_id": account_id,
        "rule_id": rule_id,
        "scheduled_time": "<aws.scheduler.scheduled-time>",
        "schedule_name": schedule_name(account_id, rule_id),
    })
    .to_string()
}

pub async fn client(state: &AppState) -> aws_sdk_scheduler::Client {
    let sdk = crate::state::sdk_config(&state.config).await;
    aws_sdk_scheduler::Client::new(&sdk)
}

fn group(state: &AppState) -> Option<&str> {
    state.config.schedule_group_name.as_deref()
}

fn sdk_err<E: std::error::Error + Send + Sync + 'static>(op: &str, e: aws_sdk_scheduler::error::SdkError<E>) -> AppError {
    AppError::internal(format!("Scheduler {op}: {}", aws_sdk_scheduler::error::DisplayErrorContext(&e)))
}

fn not_found<E: aws_sdk_scheduler::error::ProvideErrorMetadata>(e: &aws_sdk_scheduler::error::SdkError<E>) -> bool {
    e.as_service_error().and_then(|s| s.code()) == Some("ResourceNotFoundException")
}

/// Creates or updates the rule's schedule.
pub async fn put_schedule(state: &AppState, rule: &Rule) -> AppResult<String> {
    let s = rule.schedule.as_ref().ok_or_else(|| AppError::internal("a schedule rule without a schedule"))?;
    let name = schedule_name(&rule.account_id, &rule.id);
    let description = format!("IGNY8 automation rule {} ({})", rule.id, rule.name.chars().take(200).collect::<String>());
    put_named(state, &name, s, target_input(&rule.account_id, &rule.id), description).await?;
    Ok(name)
}

/// The schedule of a site's pipeline: `p-<account>-<site>`.
pub fn pipeline_schedule_name(account_id: &str, site_id: &str) -> String {
    format!("p-{account_id}-{site_id}")
}

/// Creates or updates one schedule (a rule's or a pipeline's): its target is the automation runner.
pub async fn put_named(state: &AppState, name: &str, s: &super::rules::RuleSchedule, input: String, description: String) -> AppResult<()> {
    let arn = state.config.automation_runner_arn.clone().unwrap_or_default();
    put_schedule_with(state, name, &s.expression, &s.timezone, &arn, input, description, ActionAfterCompletion::None).await
}

/// Creates (or replaces) a one-time schedule `at(yyyy-mm-ddThh:mm:ss)` (UTC)
/// whose target is `target_arn` (a queue: Scheduler sends `input` as the
/// message body). Scheduler deletes it once it fired
/// (`ActionAfterCompletion: DELETE`), so it never fires twice.
pub async fn put_once(state: &AppState, name: &str, at_utc: jiff::Timestamp, target_arn: &str, input: String, description: String) -> AppResult<String> {
    let expression = at_expression(at_utc);
    put_schedule_with(state, name, &expression, "UTC", target_arn, input, description, ActionAfterCompletion::Delete).await?;
    Ok(expression)
}

/// `at(yyyy-mm-ddThh:mm:ss)` for a UTC instant (whole seconds).
pub fn at_expression(t: jiff::Timestamp) -> String {
    format!("at({})", t.to_zoned_datetime(jiff::tz::TimeZone::UTC).strftime("%Y-%m-%dT%H:%M:%S"))
}

/// The instant of an `at(…)` expression in time zone `tz`; `None` for any other expression.
pub fn parse_at(expression: &str, tz: &str) -> Option<jiff::Timestamp> {
    let inner = expression.strip_prefix("at(")?.strip_suffix(')')?;
    let dt: jiff::civil::DateTime = inner.parse().ok()?;
    let zone = jiff::tz::TimeZone::get(tz).ok()?;
    dt.to_zoned_datetime(zone).ok().map(|z| z.timestamp())
}

#[allow(clippy::too_many_arguments)]
async fn put_schedule_with(
    state: &AppState,
    name: &str,
    expression: &str,
    timezone: &str,
    target_arn: &str,
    input: String,
    description: String,
    after: ActionAfterCompletion,
) -> AppResult<()> {
    let Some(group) = group(state) else { return Err(AppError::internal("no schedule group configured")) };
    let name = name.to_string();
    let role = state.config.scheduler_role_arn.clone().unwrap_or_default();
    let target = Target::builder()
        .arn(target_arn)
        .role_arn(role)
        .input(input)
        .build()
        .map_err(|e| AppError::internal(format!("schedule target: {e}")))?;
    let window = FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off).build().map_err(|e| AppError::internal(format!("window: {e}")))?;
    let c = client(state).await;
    let exists = match c.get_schedule().group_name(group).name(&name).send().await {
        Ok(_) => true,
        Err(e) if not_found(&e) => false,
        Err(e) => return Err(sdk_err("GetSchedule", e)),
    };
    if exists {
        c.update_schedule()
            .group_name(group)
            .name(&name)
            .schedule_expression(expression)
            .schedule_expression_timezone(timezone)
            .flexible_time_window(window)
            .target(target)
            .state(ScheduleState::Enabled)
            .action_after_completion(after)
            .description(description)
            .send()
            .await
            .map_err(|e| sdk_err("UpdateSchedule", e))?;
    } else {
        c.create_schedule()
            .group_name(group)
            .name(&name)
            .schedule_expression(expression)
            .schedule_expression_timezone(timezone)
            .flexible_time_window(window)
            .target(target)
            .state(ScheduleState::Enabled)
            .action_after_completion(after)
            .description(description)
            .send()
            .await
            .map_err(|e| sdk_err("CreateSchedule", e))?;
    }
    Ok(())
}

/// One schedule of the group by name (`None` when there is none).
pub async fn get_named(state: &AppState, name: &str) -> AppResult<Option<ScheduleInfo>> {
    let Some(group) = group(state) else { return Ok(None) };
    match client(state).await.get_schedule().group_name(group).name(name).send().await {
        Ok(s) => Ok(Some(info(name.to_string(), &s))),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(sdk_err("GetSchedule", e)),
    }
}

fn info(name: String, s: &aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput) -> ScheduleInfo {
    ScheduleInfo {
        name,
        expression: s.schedule_expression().unwrap_or_default().to_string(),
        timezone: s.schedule_expression_timezone().unwrap_or("UTC").to_string(),
        enabled: s.state() != Some(&ScheduleState::Disabled),
        input: s.target().and_then(|t| t.input()).unwrap_or_default().to_string(),
        target_arn: s.target().map(|t| t.arn().to_string()).unwrap_or_default(),
    }
}

/// Deletes the rule's schedule; a missing one is fine.
pub async fn delete_schedule(state: &AppState, rule: &Rule) -> AppResult<()> {
    delete_schedule_of(state, &rule.account_id, &rule.id).await
}

/// Deletes the schedule of (account, rule) — also when the rule is gone.
pub async fn delete_schedule_of(state: &AppState, account_id: &str, rule_id: &str) -> AppResult<()> {
    delete_named(state, &schedule_name(account_id, rule_id)).await
}

/// Deletes one schedule by name; a missing one is fine.
pub async fn delete_named(state: &AppState, name: &str) -> AppResult<()> {
    let Some(group) = group(state) else { return Ok(()) };
    match client(state).await.delete_schedule().group_name(group).name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e) => Ok(()),
        Err(e) => Err(sdk_err("DeleteSchedule", e)),
    }
}

/// Makes the schedule match the rule and records the outcome on the rule.
/// Never fails the save: a Scheduler error leaves `schedule_state: pending`
/// for the reconcile sweep to repair.
pub async fn reconcile_rule(state: &AppState, rule: &mut Rule) {
    let (result, wanted) = if group(state).is_none() {
        (Ok(None), false)
    } else if rule.wants_schedule() {
        (put_schedule(state, rule).await.map(Some), true)
    } else {
        (delete_schedule(state, rule).await.map(|_| None), false)
    };
    let (name, st) = match result {
        Ok(name) => (name, if wanted { "in_sync" } else { "none" }),
        Err(e) => {
            tracing::warn!(error = ?e, rule_id = %rule.id, "schedule reconcile failed; the rule stays the source of truth");
            (rule.schedule_name.clone(), "pending")
        }
    };
    if rule.schedule_name == name && rule.schedule_state == st {
        return;
    }
    rule.schedule_name = name;
    rule.schedule_state = st.to_string();
    if let Err(e) = state.store.update_versioned(rule).await {
        tracing::warn!(error = ?e, rule_id = %rule.id, version = rule.version(), "could not record the schedule state");
    }
}

/// A schedule as listed from the Scheduler (what the local scheduler reads).
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleInfo {
    pub name: String,
    pub expression: String,
    pub timezone: String,
    pub enabled: bool,
    pub input: String,
    /// The target: the automation runner, or a queue (one-time publishes).
    pub target_arn: String,
}

/// Every schedule of the group, with its expression, time zone and input.
pub async fn list_schedules(state: &AppState) -> AppResult<Vec<ScheduleInfo>> {
    let Some(group) = group(state) else { return Ok(Vec::new()) };
    let c = client(state).await;
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = c.list_schedules().group_name(group).set_next_token(token.clone()).send().await.map_err(|e| sdk_err("ListSchedules", e))?;
        names.extend(out.schedules().iter().filter_map(|s| s.name().map(str::to_string)));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut out = Vec::new();
    for name in names {
        match c.get_schedule().group_name(group).name(&name).send().await {
            Ok(s) => out.push(info(name, &s)),
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(sdk_err("GetSchedule", e)),
        }
    }
    Ok(out)
}

/// What a reconcile sweep did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ReconcileReport {
    pub checked: u32,
    /// Schedules created, updated or deleted to match their rule.
    pub repaired: u32,
    pub failed: u32,
}

/// Whether the schedule as stored in the Scheduler matches the rule.
async fn matches_rule(state: &AppState, rule: &Rule) -> AppResult<bool> {
    let Some(group) = group(state) else { return Ok(true) };
    let name = schedule_name(&rule.account_id, &rule.id);
    match client(state).await.get_schedule().group_name(group).name(&name).send().await {
        Ok(s) => Ok(rule.wants_schedule()
            && rule.schedule.as_ref().is_some_and(|r| {
                s.schedule_expression() == Some(r.expression.as_str())
                    && s.schedule_expression_timezone().unwrap_or("UTC") == r.timezone
                    && s.state() != Some(&ScheduleState::Disabled)
            })),
        Err(e) if not_found(&e) => Ok(!rule.wants_schedule()),
        Err(e) => Err(sdk_err("GetSchedule", e)),
    }
}

/// The daily sweep: every rule that wants a schedule (or whose last save
/// could not reach the Scheduler) is compared with its schedule, and the
/// schedule is made to match the rule. Schedules whose rule is gone or no
/// longer wants one are deleted by the runner when they next fire (no
/// `ListSchedules`, which IAM can only grant on every resource).
pub async fn reconcile_all(state: &AppState) -> AppResult<ReconcileReport> {
    let mut report = ReconcileReport::default();
    let mut start = None;
    loop {
        let (rules, next): (Vec<Rule>, _) =
            state.store.query_platform(crate::store::keys::Index::Gsi2, super::rules::SCHEDULED_RULES_GSI, start).await?;
        for mut rule in rules {
            report.checked += 1;
            match matches_rule(state, &rule).await {
                Ok(true) if rule.schedule_state != "pending" => {}
                Ok(_) => {
                    rule.schedule_state = "pending".into();
                    reconcile_rule(state, &mut rule).await;
                    if rule.schedule_state == "pending" {
                        report.failed += 1;
                    } else {
                        report.repaired += 1;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = ?e, rule_id = %rule.id, "reconcile: could not read the schedule");
                    report.failed += 1;
                }
            }
        }
        match next {
            Some(n) => start = Some(n),
            None => break,
        }
    }
    // Pipelines: putting the schedule again is idempotent, so each scheduled
    // (or pending) pipeline's schedule is simply made to match it.
    let mut start = None;
    loop {
        let (pipelines, next): (Vec<super::pipeline::Pipeline>, _) =
            state.store.query_platform(crate::store::keys::Index::Gsi2, super::pipeline::SCHEDULED_PIPELINES_GSI, start).await?;
        for mut pl in pipelines {
            report.checked += 1;
            let before = pl.schedule_state.clone();
            super::pipeline::sync_schedule(state, &mut pl).await;
            match pl.schedule_state.as_str() {
                "pending" => report.failed += 1,
                _ if before == "pending" => report.repaired += 1,
                _ => {}
            }
        }
        match next {
            Some(n) => start = Some(n),
            None => break,
        }
    }
    Ok(report)
}

/// Makes a pipeline's schedule match it (enabled, active and scheduled:
/// present; otherwise absent). Never fails the save: `schedule_state` says.
pub async fn reconcile_pipeline(state: &AppState, pl: &super::pipeline::Pipeline) -> &'static str {
    if group(state).is_none() {
        return "none";
    }
    let name = pipeline_schedule_name(&pl.account_id, &pl.site_id);
    let result = match (&pl.schedule, pl.enabled && pl.state == "active") {
        (Some(s), true) => {
            let input = serde_json::json!({
                "account_id": pl.account_id, "pipeline_site_id": pl.site_id,
                "scheduled_time": "<aws.scheduler.scheduled-time>", "schedule_name": name,
            })
            .to_string();
            put_named(state, &name, s, input, format!("IGNY8 pipeline of site {}", pl.site_id)).await.map(|_| "in_sync")
        }
        _ => delete_named(state, &name).await.map(|_| "none"),
    };
    result.unwrap_or_else(|e| {
        tracing::warn!(error = ?e, site_id = %pl.site_id, "pipeline schedule reconcile failed");
        "pending"
    })
}
