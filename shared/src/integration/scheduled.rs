//! Scheduled publishing that does not depend on WP-cron (issue 14, item 6).
//!
//! `status: "future"` with a `date`, or `publish-batch` spreading several
//! items over a window, writes for each item a publish [`Job`] (status
//! `queued`, not sent) and a [`ScheduledPublish`] record, then creates a
//! one-time EventBridge Scheduler schedule `at(yyyy-mm-ddThh:mm:ss)` (UTC) in
//! the stack's schedule group whose target is the publish queue and whose
//! input is that job's message (plus the integration, content and scheduled
//! publish it stands for). At that minute Scheduler sends the message, the
//! publish worker runs the job through the one job runner and the post is
//! published in WordPress (status `publish`, not WordPress's `future`). The
//! job id is the idempotency key: a second firing finds the job claimed or
//! finished and does nothing; Scheduler deletes the schedule after it fired
//! (`ActionAfterCompletion: DELETE`). Locally the emulator never fires
//! schedules: `cargo xtask dev`'s scheduler (`xtask/src/scheduler.rs`) does,
//! each minute, and deletes the schedule itself.
//!
//! Cancelling cancels the queued job (conditional: a publish already under
//! way cannot be cancelled, 409), deletes the schedule and records who
//! cancelled it. Local times are read in the request's `timezone`, else the
//! site's, else UTC.

use super::Integration;
use super::publish::{PUBLISH_JOB, PublishJob};
use super::synclog::{self, Entry};
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult, FieldError};
use crate::jobs::{Job, JobMessage};
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, Page, Query, SkCondition};
use jiff::{Timestamp, ToSpan, tz::TimeZone};
use serde::{Deserialize, Serialize};

/// At most this many items per batch.
pub const MAX_BATCH: usize = 100;
/// How far ahead a publish may be scheduled.
pub const MAX_AHEAD_DAYS: i64 = 366;
const MINUTES_PER_DAY: u32 = 24 * 60;

/// A publish waiting for its minute (or what became of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScheduledPublish {
    pub id: String,
    pub account_id: String,
    pub integration_id: String,
    pub site_id: String,
    pub content_id: String,
    /// When it publishes (UTC, RFC 3339, whole minutes).
    pub publish_at: String,
    /// The time zone the request's local times were read in.
    pub timezone: String,
    /// `publish_at` in that time zone.
    pub local_time: String,
    /// The EventBridge Scheduler schedule (`w-<account>-<id>`) and its expression.
    pub schedule_name: String,
    pub expression: String,
    /// The publish job it runs (queued until the minute).
    pub job_id: String,
    /// `scheduled`, `cancelled`, `published` or `failed`.
    pub status: String,
    /// Set when the item was scheduled by a `publish-batch`.
    #[serde(default)]
    pub batch_id: Option<String>,
    #[serde(default)]
    pub wp_post_id: Option<u64>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub cancelled_at: Option<String>,
    #[serde(default)]
    pub cancelled_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for ScheduledPublish {
    const ENTITY: &'static str = "ScheduledPublish";
    fn key(&self) -> Key {
        keys::scheduled_publish(&Tenant::from_verified(&self.account_id), &self.integration_id, &self.id)
    }
}
crate::versioned!(ScheduledPublish);

/// The schedule's name for a scheduled publish (55 characters).
pub fn schedule_name(account_id: &str, id: &str) -> String {
    format!("w-{account_id}-{id}")
}

/// `POST …/{id}/publish-batch/`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBatchInput {
    /// The items, published in this order (1-100, no repeats).
    pub content_ids: Vec<String>,
    /// The first item's time: a local date-time (`2026-12-03T09:00`) read in
    /// `timezone`, or an instant with an offset (`2026-12-03T09:00:00Z`).
    pub start: String,
    /// Minutes between items (1 to 10080). Give this or `interval`.
    #[serde(default)]
    pub every_minutes: Option<u32>,
    /// The same as an ISO-8601 duration: `PT2H`, `PT90M`, `P1D`.
    #[serde(default)]
    pub interval: Option<String>,
    /// IANA time zone of `start` (default: the site's, else UTC). Whole-day
    /// intervals keep the local time across daylight-saving changes.
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// What `publish-batch` scheduled.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchScheduled {
    pub batch_id: String,
    pub timezone: String,
    pub scheduled: Vec<ScheduledPublish>,
}

// ------------------------------------------------------------ time (pure)

/// Reads a publish time: an instant with an offset or `Z`, or a local
/// date-time read in `tz` (a time skipped by a daylight-saving change moves
/// forward). Seconds are dropped: schedules fire on the minute.
pub fn parse_when(raw: &str, tz: &str) -> Result<Timestamp, String> {
    let raw = raw.trim();
    let t = if let Ok(t) = raw.parse::<Timestamp>() {
        t
    } else {
        let zone = TimeZone::get(tz).map_err(|_| format!("unknown time zone {tz}"))?;
        let dt: jiff::civil::DateTime =
            raw.replace(' ', "T").parse().map_err(|_| "must be a date-time such as 2026-12-03T09:00 (local) or 2026-12-03T09:00:00Z".to_string())?;
        dt.to_zoned_datetime(zone).map_err(|e| e.to_string())?.timestamp()
    };
    Ok(floor_minute(t))
}

fn floor_minute(t: Timestamp) -> Timestamp {
    let s = t.as_second();
    Timestamp::from_second(s - s.rem_euclid(60)).unwrap_or(t)
}

/// The interval between items in minutes, from `every_minutes` or an
/// ISO-8601 duration (`PT2H`, `P1D`; weeks, days, hours, minutes).
pub fn parse_interval(every_minutes: Option<u32>, interval: Option<&str>) -> Result<u32, String> {
    let minutes = match (every_minutes, interval) {
        (Some(_), Some(_)) => return Err("give every_minutes or interval, not both".into()),
        (Some(m), None) => m,
        (None, Some(i)) => {
            let span: jiff::Span = i.trim().parse().map_err(|_| "must be an ISO-8601 duration such as PT2H or P1D".to_string())?;
            if span.get_years() != 0 || span.get_months() != 0 || span.get_seconds() != 0 || span.get_milliseconds() != 0 || span.is_negative() {
                return Err("must be whole minutes, hours, days or weeks (PT2H, P1D)".into());
            }
            let days = i64::from(span.get_weeks()) * 7 + i64::from(span.get_days());
            let m = (days * 24 + i64::from(span.get_hours())) * 60 + span.get_minutes();
            u32::try_from(m).map_err(|_| "is too long".to_string())?
        }
        (None, None) => return Err("every_minutes or interval is required".into()),
    };
    if !(1..=7 * MINUTES_PER_DAY).contains(&minutes) {
        return Err("must be between 1 minute and 7 days".into());
    }
    Ok(minutes)
}

/// `n` publish times from `start`, `every_minutes` apart. A whole number of
/// days keeps the local wall-clock time in `tz` (09:00 stays 09:00 across a
/// daylight-saving change); shorter intervals are exact elapsed minutes.
pub fn spread(start: Timestamp, tz: &str, every_minutes: u32, n: usize) -> Result<Vec<Timestamp>, String> {
    let zone = TimeZone::get(tz).map_err(|_| format!("unknown time zone {tz}"))?;
    let first = start.to_zoned_datetime(zone);
    (0..n as i64)
        .map(|k| {
            let t = if every_minutes % MINUTES_PER_DAY == 0 {
                first.checked_add((k * i64::from(every_minutes / MINUTES_PER_DAY)).days()).map(|z| z.timestamp())
            } else {
                start.checked_add((k * i64::from(every_minutes)).minutes())
            };
            t.map_err(|e| e.to_string())
        })
        .collect()
}

fn check_future(field: &str, at: Timestamp, now: Timestamp) -> Result<(), FieldError> {
    if at <= now {
        return Err(FieldError::new(field, format!("is in the past ({at}); a scheduled publish needs a future minute")));
    }
    if at.as_second() - now.as_second() > MAX_AHEAD_DAYS * 86_400 {
        return Err(FieldError::new(field, format!("is more than {MAX_AHEAD_DAYS} days ahead")));
    }
    Ok(())
}

fn local(at: Timestamp, tz: &str) -> String {
    TimeZone::get(tz).map(|z| at.to_zoned_datetime(z).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()).unwrap_or_else(|_| at.to_string())
}

fn rfc3339(at: Timestamp) -> String {
    at.to_zoned_datetime(TimeZone::UTC).strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The time zone local times are read in: the request's, else the site's, else UTC.
fn zone_for(errors: &mut Vec<FieldError>, requested: Option<&str>, site_tz: &str) -> String {
    match requested.map(str::trim).filter(|t| !t.is_empty()) {
        Some(tz) if crate::automation::cron::valid_time_zone(tz) => tz.to_string(),
        Some(_) => {
            errors.push(FieldError::new("timezone", "must be an IANA time zone such as Europe/Berlin or UTC"));
            "UTC".into()
        }
        None => site_tz.to_string(),
    }
}

// ------------------------------------------------------------ scheduling

/// What one scheduled item needs.
struct Plan<'a> {
    integration: &'a Integration,
    content_id: String,
    at: Timestamp,
    timezone: String,
    categories: Vec<String>,
    tags: Vec<String>,
    batch_id: Option<String>,
}

/// Writes the job and the record, then creates the one-time schedule. A
/// Scheduler failure cancels the job and marks the record failed.
async fn schedule_one(state: &AppState, p: &Principal, plan: Plan<'_>) -> AppResult<(ScheduledPublish, Job)> {
    let tenant = p.tenant();
    let i = plan.integration;
    let target = state.config.publish_queue_arn.clone().ok_or_else(|| AppError::internal("PUBLISH_QUEUE_ARN is not configured"))?;
    let id = crate::ids::new_id();
    let publish_at = rfc3339(plan.at);
    let job_input = PublishJob {
        integration_id: i.id.clone(),
        site_id: i.site_id.clone(),
        content_id: plan.content_id.clone(),
        status: "publish".into(),
        categories: plan.categories,
        tags: plan.tags,
        scheduled_id: Some(id.clone()),
        publish_at: Some(publish_at.clone()),
    };
    let mut job = Job::new(&tenant, PUBLISH_JOB, serde_json::to_value(&job_input).map_err(AppError::internal)?);
    job.created_by = Some(p.user_id.clone());
    // The sweeper re-sends a queued job's message only after its minute (a lost firing).
    job.sweep_after = Some(plan.at.as_second() + crate::jobs::QUEUED_RESEND_SECS);
    let name = schedule_name(tenant.account_id(), &id);
    let now = crate::ids::now_rfc3339();
    let mut record = ScheduledPublish {
        id: id.clone(),
        account_id: tenant.account_id().to_string(),
        integration_id: i.id.clone(),
        site_id: i.site_id.clone(),
        content_id: plan.content_id.clone(),
        publish_at,
        local_time: local(plan.at, &plan.timezone),
        timezone: plan.timezone,
        schedule_name: name.clone(),
        expression: crate::automation::schedule::at_expression(plan.at),
        job_id: job.id.clone(),
        status: "scheduled".into(),
        batch_id: plan.batch_id,
        wp_post_id: None,
        error: None,
        created_by: Some(p.user_id.clone()),
        cancelled_at: None,
        cancelled_by: None,
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    };
    state.store.create(&job).await?;
    state.store.create(&record).await?;
    // The schedule's input: the job's message (its id is the idempotency key) and what it stands for.
    let mut input = serde_json::to_value(JobMessage::of(&job)).map_err(AppError::internal)?;
    input["integration_id"] = i.id.clone().into();
    input["content_id"] = plan.content_id.clone().into();
    input["scheduled_id"] = id.clone().into();
    let description = format!("IGNY8 scheduled publish of content {} to integration {}", plan.content_id, i.id);
    if let Err(e) = crate::automation::schedule::put_once(state, &name, plan.at, &target, input.to_string(), description).await {
        let _ = crate::jobs::cancel(state, &tenant, &job.id).await;
        record.status = "failed".into();
        record.error = Some("the schedule could not be created".into());
        record.updated_at = crate::ids::now_rfc3339();
        let _ = state.store.update_versioned(&mut record).await;
        return Err(e);
    }
    synclog::write(
        state,
        &tenant,
        &i.id,
        Entry { action: "schedule", ok: true, content_id: Some(plan.content_id), detail: Some(format!("{} ({})", record.expression, record.local_time)), ..Default::default() },
    )
    .await;
    Ok((record, job))
}

/// Loads and checks a content item that will be published.
async fn publishable(state: &AppState, tenant: &Tenant, site_id: &str, field: &str, content_id: &str) -> AppResult<()> {
    if !crate::ids::is_valid(content_id) {
        return Err(AppError::field(field, "must be an id"));
    }
    let content = crate::writer::content::get_content(state, tenant, site_id, content_id).await?;
    if content.body_html.trim().is_empty() {
        return Err(AppError::field(field, format!("content {content_id} has no body yet")));
    }
    Ok(())
}

/// `status: "future"` on publish: validated by the caller except the date.
pub async fn schedule_future(
    state: &AppState,
    p: &Principal,
    integration: &Integration,
    content_id: &str,
    date: Option<&str>,
    categories: Vec<String>,
    tags: Vec<String>,
) -> AppResult<Job> {
    let site = crate::sites::scope(state, p, &integration.site_id, None).await?.site;
    let tz = site.time_zone().to_string();
    let Some(raw) = date else { return Err(AppError::field("date", "is required with status future")) };
    let at = parse_when(raw, &tz).map_err(|m| AppError::field("date", m))?;
    check_future("date", at, Timestamp::now()).map_err(|e| AppError::fields(vec![e]))?;
    publishable(state, &p.tenant(), &integration.site_id, "content_id", content_id).await?;
    let (_, job) = schedule_one(state, p, Plan { integration, content_id: content_id.to_string(), at, timezone: tz, categories, tags, batch_id: None }).await?;
    Ok(job)
}

/// `POST …/{id}/publish-batch/`: one scheduled publish per item, `interval` apart from `start`.
pub async fn submit_batch(state: &AppState, p: &Principal, integration_id: &str, input: PublishBatchInput) -> AppResult<BatchScheduled> {
    let mut errors = Vec::new();
    if input.content_ids.is_empty() || input.content_ids.len() > MAX_BATCH {
        errors.push(FieldError::new("content_ids", format!("must hold 1 to {MAX_BATCH} ids")));
    }
    for (k, c) in input.content_ids.iter().enumerate() {
        if !crate::ids::is_valid(c) {
            errors.push(FieldError::new(format!("content_ids[{k}]"), "must be an id"));
        } else if input.content_ids[..k].contains(c) {
            errors.push(FieldError::new(format!("content_ids[{k}]"), "is listed twice"));
        }
    }
    let every = parse_interval(input.every_minutes, input.interval.as_deref()).map_err(|m| FieldError::new(if input.interval.is_some() { "interval" } else { "every_minutes" }, m));
    let every = every.map_err(|e| errors.push(e)).ok();
    let categories = super::publish::names(&mut errors, "categories", input.categories.clone());
    let tags = super::publish::names(&mut errors, "tags", input.tags.clone());
    let integration = super::publish::ready(state, p, integration_id).await?;
    let site = crate::sites::scope(state, p, &integration.site_id, None).await?.site;
    let tz = zone_for(&mut errors, input.timezone.as_deref(), site.time_zone());
    let start = parse_when(&input.start, &tz).map_err(|m| errors.push(FieldError::new("start", m))).ok();
    let times = match (start, every, errors.is_empty()) {
        (Some(start), Some(every), true) => spread(start, &tz, every, input.content_ids.len()).map_err(AppError::validation)?,
        _ => return Err(AppError::fields(errors)),
    };
    let now = Timestamp::now();
    check_future("start", times[0], now).map_err(|e| AppError::fields(vec![e]))?;
    if let Some(last) = times.last() {
        check_future("interval", *last, now).map_err(|e| AppError::fields(vec![e]))?;
    }
    let tenant = p.tenant();
    for (k, c) in input.content_ids.iter().enumerate() {
        publishable(state, &tenant, &integration.site_id, &format!("content_ids[{k}]"), c).await?;
    }
    let categories = if categories.is_empty() { integration.default_category.iter().cloned().collect() } else { categories };
    let batch_id = crate::ids::new_id();
    let mut scheduled: Vec<ScheduledPublish> = Vec::new();
    for (content_id, at) in input.content_ids.iter().zip(times) {
        let plan = Plan {
            integration: &integration,
            content_id: content_id.clone(),
            at,
            timezone: tz.clone(),
            categories: categories.clone(),
            tags: tags.clone(),
            batch_id: Some(batch_id.clone()),
        };
        match schedule_one(state, p, plan).await {
            Ok((r, _)) => scheduled.push(r),
            Err(e) => {
                // All or nothing: what this batch scheduled is cancelled again.
                for r in &scheduled {
                    if let Err(err) = cancel(state, p, &integration.id, &r.id).await {
                        tracing::warn!(error = ?err, scheduled = %r.id, "could not undo a scheduled publish of a failed batch");
                    }
                }
                return Err(e);
            }
        }
    }
    super::audit(state, p, "integration.publish_batch", &integration.id, serde_json::json!({"batch_id": batch_id, "items": scheduled.len(), "timezone": tz})).await?;
    Ok(BatchScheduled { batch_id, timezone: tz, scheduled })
}

/// The integration's scheduled publishes, newest first.
pub async fn list(state: &AppState, p: &Principal, integration_id: &str, limit: i32, cursor: Option<String>) -> AppResult<Page<ScheduledPublish>> {
    let i = super::get(state, p, integration_id).await?;
    let tenant = p.tenant();
    let q = Query::new(&tenant, Index::Table, keys::sync_log_pk(&tenant, &i.id))
        .sk(SkCondition::BeginsWith(keys::SCHEDULED_PUBLISH_PREFIX.into()))
        .newest_first(true)
        .limit(limit)
        .cursor(cursor);
    state.store.query(&q).await
}

/// Cancels a scheduled publish: its job is cancelled (a publish already
/// under way: 409), its schedule deleted, and who cancelled it recorded.
pub async fn cancel(state: &AppState, p: &Principal, integration_id: &str, id: &str) -> AppResult<ScheduledPublish> {
    let i = super::get(state, p, integration_id).await?;
    let tenant = p.tenant();
    if !crate::ids::is_valid(id) {
        return Err(AppError::not_found("scheduled publish"));
    }
    let record: ScheduledPublish = state.store.get(&keys::scheduled_publish(&tenant, &i.id, id)).await?.ok_or_else(|| AppError::not_found("scheduled publish"))?;
    let record = cancel_record(state, &tenant, record, &p.user_id).await?;
    super::audit(state, p, "integration.cancel_scheduled_publish", &i.id, serde_json::json!({"scheduled_id": id, "content_id": record.content_id, "publish_at": record.publish_at}))
        .await?;
    Ok(record)
}

/// Cancels every publish still scheduled on an integration that is being
/// deleted (by `by`: a user id, or why): none fires later against an
/// integration that is gone. A publish already under way at its minute is
/// left to finish (it fails visibly if the integration is gone). Returns how
/// many were cancelled.
pub async fn cancel_all(state: &AppState, tenant: &Tenant, integration_id: &str, by: &str) -> AppResult<usize> {
    let mut cancelled = 0;
    let mut cursor = None;
    loop {
        let q = Query::new(tenant, Index::Table, keys::sync_log_pk(tenant, integration_id))
            .sk(SkCondition::BeginsWith(keys::SCHEDULED_PUBLISH_PREFIX.into()))
            .limit(100)
            .cursor(cursor);
        let page: Page<ScheduledPublish> = state.store.query(&q).await?;
        for record in page.results.into_iter().filter(|r| r.status == "scheduled") {
            match cancel_record(state, tenant, record, by).await {
                Ok(_) => cancelled += 1,
                Err(AppError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(cancelled),
        }
    }
}

/// The cancel itself: the job, the schedule, the record (retried on a
/// concurrent change), the sync log line.
async fn cancel_record(state: &AppState, tenant: &Tenant, mut record: ScheduledPublish, by: &str) -> AppResult<ScheduledPublish> {
    if record.status != "scheduled" {
        return Err(AppError::Conflict(format!("this scheduled publish is {}; only a scheduled one can be cancelled", record.status)));
    }
    crate::jobs::cancel(state, tenant, &record.job_id)
        .await
        .map_err(|e| match e {
            AppError::Conflict(_) => AppError::Conflict("the publish already started at its minute; it can no longer be cancelled".into()),
            other => other,
        })?;
    crate::automation::schedule::delete_named(state, &record.schedule_name).await?;
    let now = crate::ids::now_rfc3339();
    let key = keys::scheduled_publish(tenant, &record.integration_id, &record.id);
    for _ in 0..3 {
        record.status = "cancelled".into();
        record.cancelled_at = Some(now.clone());
        record.cancelled_by = Some(by.to_string());
        record.updated_at = now.clone();
        match state.store.update_versioned(&mut record).await {
            Ok(()) => break,
            Err(AppError::Conflict(_)) => {
                record = state.store.get(&key).await?.ok_or_else(|| AppError::not_found("scheduled publish"))?;
            }
            Err(e) => return Err(e),
        }
    }
    synclog::write(state, tenant, &record.integration_id, Entry { action: "cancel", ok: true, content_id: Some(record.content_id.clone()), detail: Some(record.expression.clone()), ..Default::default() }).await;
    Ok(record)
}

/// Records what the publish of a scheduled item came to (from the publish job).
pub async fn record_outcome(state: &AppState, tenant: &Tenant, integration_id: &str, id: &str, outcome: Result<u64, String>) {
    let key = keys::scheduled_publish(tenant, integration_id, id);
    for _ in 0..3 {
        let Ok(Some(mut r)) = state.store.get::<ScheduledPublish>(&key).await else { return };
        match &outcome {
            Ok(post) => {
                r.status = "published".into();
                r.wp_post_id = Some(*post);
                r.error = None;
            }
            Err(m) => {
                r.status = "failed".into();
                r.error = Some(m.clone());
            }
        }
        r.updated_at = crate::ids::now_rfc3339();
        match state.store.update_versioned(&mut r).await {
            Ok(()) => return,
            Err(AppError::Conflict(_)) => continue,
            Err(e) => {
                tracing::warn!(error = ?e, scheduled = id, "could not record a scheduled publish's outcome");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn local_times_are_read_in_the_zone_and_instants_keep_their_offset() {
        // DST-free: India is UTC+05:30 all year.
        assert_eq!(parse_when("2026-12-03T09:00", "Asia/Kolkata").unwrap(), ts("2026-12-03T03:30:00Z"));
        assert_eq!(parse_when("2026-07-03 09:00:45", "Asia/Kolkata").unwrap(), ts("2026-07-03T03:30:00Z"), "seconds dropped");
        // A DST zone: New York is UTC-5 in December, UTC-4 in July.
        assert_eq!(parse_when("2026-12-03T09:00", "America/New_York").unwrap(), ts("2026-12-03T14:00:00Z"));
        assert_eq!(parse_when("2026-07-03T09:00", "America/New_York").unwrap(), ts("2026-07-03T13:00:00Z"));
        // 02:30 on 8 March 2026 does not exist in New York: it moves forward.
        assert_eq!(parse_when("2026-03-08T02:30", "America/New_York").unwrap(), ts("2026-03-08T07:30:00Z"));
        // An instant with an offset ignores the zone.
        assert_eq!(parse_when("2026-12-03T09:00:00+01:00", "America/New_York").unwrap(), ts("2026-12-03T08:00:00Z"));
        assert!(parse_when("tomorrow at nine", "UTC").is_err());
        assert!(parse_when("2026-12-03T09:00", "Mars/Olympus").is_err());
    }

    #[test]
    fn intervals_come_as_minutes_or_iso_durations() {
        assert_eq!(parse_interval(Some(120), None), Ok(120));
        assert_eq!(parse_interval(None, Some("PT2H")), Ok(120));
        assert_eq!(parse_interval(None, Some("PT1H30M")), Ok(90));
        assert_eq!(parse_interval(None, Some("P1D")), Ok(1440));
        assert!(parse_interval(None, None).is_err());
        assert!(parse_interval(Some(1), Some("PT1M")).is_err());
        assert!(parse_interval(Some(0), None).is_err());
        assert!(parse_interval(None, Some("P1M")).is_err(), "months are not a fixed length");
        assert!(parse_interval(None, Some("PT30S")).is_err());
        assert!(parse_interval(None, Some("P8D")).is_err());
    }

    #[test]
    fn a_spread_is_exact_minutes_or_whole_local_days() {
        // Every 2 h from 09:00 in a DST-free zone.
        let start = parse_when("2026-12-03T09:00", "Asia/Kolkata").unwrap();
        assert_eq!(spread(start, "Asia/Kolkata", 120, 3).unwrap(), [ts("2026-12-03T03:30:00Z"), ts("2026-12-03T05:30:00Z"), ts("2026-12-03T07:30:00Z")]);
        // Every 2 h across New York's fall-back night (1 Nov 2026, 02:00 EDT → 01:00 EST): elapsed time, not wall time.
        let start = parse_when("2026-10-31T23:00", "America/New_York").unwrap();
        assert_eq!(spread(start, "America/New_York", 120, 3).unwrap(), [ts("2026-11-01T03:00:00Z"), ts("2026-11-01T05:00:00Z"), ts("2026-11-01T07:00:00Z")]);
        // Daily at 09:00 across the same change: 09:00 local each day, so the UTC hour moves.
        let start = parse_when("2026-10-31T09:00", "America/New_York").unwrap();
        assert_eq!(spread(start, "America/New_York", 1440, 3).unwrap(), [ts("2026-10-31T13:00:00Z"), ts("2026-11-01T14:00:00Z"), ts("2026-11-02T14:00:00Z")]);
    }

    #[test]
    fn past_and_far_dates_are_refused_and_names_fit_the_scheduler() {
        let now = ts("2026-12-02T12:00:00Z");
        assert!(check_future("date", ts("2026-12-02T12:00:00Z"), now).is_err(), "the current minute is past");
        assert!(check_future("date", ts("2026-12-02T12:01:00Z"), now).is_ok());
        assert!(check_future("date", ts("2028-12-02T12:01:00Z"), now).is_err());
        let name = schedule_name(&crate::ids::new_id(), &crate::ids::new_id());
        assert!(name.len() <= 64, "{name}");
        assert_eq!(crate::automation::schedule::at_expression(ts("2026-12-03T03:30:00Z")), "at(2026-12-03T03:30:00)");
        assert_eq!(crate::automation::schedule::parse_at("at(2026-12-03T03:30:00)", "UTC"), Some(ts("2026-12-03T03:30:00Z")));
        assert_eq!(crate::automation::schedule::parse_at("cron(0 9 * * ? *)", "UTC"), None);
    }
}
