//! The staged pipeline (one per site): keywords → clusters → ideas → tasks →
//! content → image prompts → images → review gate → publish.
//!
//! Each stage is a rule run internally (an in-memory [`Rule`] whose id is
//! derived from the site and the stage, so its executions list like any
//! rule's, under `RUN#<stage rule>#…`), with the stage's inputs named as ids:
//! - cluster: the sector's `new` keywords, when at least `min_keywords`;
//! - ideas: active clusters that have no idea yet (`per_cluster` each);
//! - tasks: `new` ideas (create_tasks, at once);
//! - content: `queued` tasks (`batch_size`, `word_count`);
//! - image_prompts: draft content without prompts; images: content with
//!   prompts and no image;
//! - review: `manual` stops here (editors review);
//! - publish: approved content, on the site's WordPress integration ("no
//!   integration" without one): at once, or with `spread_minutes` one item
//!   every that many minutes from the next minute, as scheduled publishes
//!   (one-time Scheduler schedules, `publish-batch`); the stage is in
//!   progress until the last of them published.
//!
//! A pipeline run walks the stages in order and stops at the first stage
//! whose jobs are still open (that is the *current* stage) or that enqueued
//! jobs now; when those jobs finish, their events run the pipeline again
//! (a pipeline's own events do not count towards the loop depth: every
//! stage consumes what the one before produced, so it ends). A run that
//! meets 402 pauses the pipeline; 3 failed runs in a row too.

use super::conditions::Condition;
use super::rules::{Action, Rule};
use super::run::{self, Execution};
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::store::keys::{Index, Key, Tenant};
use crate::store::{Item, Query};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const STAGES: [&str; 8] = ["cluster", "ideas", "tasks", "content", "image_prompts", "images", "review", "publish"];

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterStage {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_min_keywords")]
    pub min_keywords: u32,
}
fn default_min_keywords() -> u32 {
    5
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdeasStage {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_per_cluster")]
    pub per_cluster: u32,
}
fn default_per_cluster() -> u32 {
    3
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Toggle {
    #[serde(default = "yes")]
    pub enabled: bool,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentStage {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_batch")]
    pub batch_size: u32,
    #[serde(default = "default_words")]
    pub word_count: u32,
}
fn default_batch() -> u32 {
    5
}
fn default_words() -> u32 {
    1500
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewStage {
    /// `manual` (editors review; the pipeline stops here) or `auto_approve`.
    #[serde(default = "default_review")]
    pub mode: String,
}
fn default_review() -> String {
    "manual".into()
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishStage {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub spread_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stages {
    #[serde(default = "ClusterStage::default_")]
    pub cluster: ClusterStage,
    #[serde(default = "IdeasStage::default_")]
    pub ideas: IdeasStage,
    #[serde(default = "Toggle::on")]
    pub tasks: Toggle,
    #[serde(default = "ContentStage::default_")]
    pub content: ContentStage,
    #[serde(default = "Toggle::on")]
    pub image_prompts: Toggle,
    #[serde(default = "Toggle::on")]
    pub images: Toggle,
    #[serde(default = "ReviewStage::default_")]
    pub review: ReviewStage,
    #[serde(default = "PublishStage::default_")]
    pub publish: PublishStage,
}
impl ClusterStage {
    fn default_() -> Self {
        Self { enabled: true, min_keywords: default_min_keywords() }
    }
}
impl IdeasStage {
    fn default_() -> Self {
        Self { enabled: true, per_cluster: default_per_cluster() }
    }
}
impl Toggle {
    fn on() -> Self {
        Self { enabled: true }
    }
}
impl ContentStage {
    fn default_() -> Self {
        Self { enabled: true, batch_size: default_batch(), word_count: default_words() }
    }
}
impl ReviewStage {
    fn default_() -> Self {
        Self { mode: default_review() }
    }
}
impl PublishStage {
    fn default_() -> Self {
        Self { enabled: false, spread_minutes: 0 }
    }
}

/// What a client sends.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineInput {
    pub site_id: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Unix cron (5 fields, `@daily`, …); without it the pipeline runs when
    /// started and after each of its jobs.
    #[serde(default)]
    pub schedule: Option<String>,
    /// IANA time zone of the schedule (default: the site's, else UTC).
    #[serde(default)]
    pub timezone: Option<String>,
    pub stages: Stages,
}

/// A site's pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pipeline {
    pub account_id: String,
    pub site_id: String,
    pub enabled: bool,
    #[serde(default)]
    pub schedule: Option<super::rules::RuleSchedule>,
    /// `in_sync`, `none` or `pending` (see rules).
    #[serde(default)]
    pub schedule_state: String,
    pub stages: Stages,
    /// `active`, `paused` or `cancelled`.
    pub state: String,
    #[serde(default)]
    pub paused_reason: Option<String>,
    #[serde(default)]
    pub consecutive_failures: u32,
    /// The stage whose jobs run now (or ran last).
    #[serde(default)]
    pub current_stage: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

pub fn pipeline_key(t: &Tenant, site_id: &str) -> Key {
    Key::new(t.site_pk(site_id), "PIPELINE")
}

/// Pipelines the daily reconcile sweep checks: GSI2 `AUTOMATION#SCHEDULED_PIPELINES` /
/// `<a>#<site>` (sparse: scheduled ones, and any whose last save could not
/// reach the Scheduler).
pub const SCHEDULED_PIPELINES_GSI: &str = "AUTOMATION#SCHEDULED_PIPELINES";

impl Pipeline {
    /// Whether a schedule should exist for it now.
    pub fn wants_schedule(&self) -> bool {
        self.schedule.is_some() && self.enabled && self.state == "active"
    }
}

impl Item for Pipeline {
    const ENTITY: &'static str = "Pipeline";
    fn key(&self) -> Key {
        pipeline_key(&Tenant::from_verified(&self.account_id), &self.site_id)
    }
    fn index_keys(&self) -> crate::store::ItemKeys {
        let swept = self.wants_schedule() || self.schedule_state == "pending";
        crate::store::ItemKeys {
            gsi2: swept.then(|| (SCHEDULED_PIPELINES_GSI.to_string(), format!("{}#{}", self.account_id, self.site_id))),
            ..Default::default()
        }
    }
}
crate::versioned!(Pipeline);

/// The id of a stage's internal rule (stable: derived from the site).
pub fn stage_rule_id(site_id: &str, stage: &str) -> String {
    crate::ids::derived(site_id, &format!("pipeline:{stage}"))
}

fn check(input: &PipelineInput) -> AppResult<Option<super::rules::RuleSchedule>> {
    let mut errors = Vec::new();
    let tz = input.timezone.clone().unwrap_or_else(|| "UTC".into());
    if !super::cron::valid_time_zone(&tz) {
        errors.push(FieldError::new("timezone", format!("{tz:?} is not an IANA time zone name (e.g. UTC, Europe/Berlin)")));
    }
    let schedule = match &input.schedule {
        None => None,
        Some(c) => match super::cron::unix_to_aws(c) {
            Ok(expression) => Some(super::rules::RuleSchedule { cron: c.trim().to_string(), timezone: tz, expression }),
            Err(m) => {
                errors.push(FieldError::new("schedule", m));
                None
            }
        },
    };
    let s = &input.stages;
    if !(1..=1000).contains(&s.cluster.min_keywords) || (s.cluster.min_keywords as usize) < crate::planner::auto_cluster::MIN_KEYWORDS {
        errors.push(FieldError::new("stages.cluster.min_keywords", format!("must be from {} to 1000", crate::planner::auto_cluster::MIN_KEYWORDS)));
    }
    if !(3..=7).contains(&s.ideas.per_cluster) {
        errors.push(FieldError::new("stages.ideas.per_cluster", "must be from 3 to 7"));
    }
    if !(1..=50).contains(&s.content.batch_size) {
        errors.push(FieldError::new("stages.content.batch_size", "must be from 1 to 50"));
    }
    if !(300..=5000).contains(&s.content.word_count) {
        errors.push(FieldError::new("stages.content.word_count", "must be from 300 to 5000"));
    }
    if !["manual", "auto_approve"].contains(&s.review.mode.as_str()) {
        errors.push(FieldError::new("stages.review.mode", "must be manual or auto_approve"));
    }
    if s.publish.spread_minutes > 7 * 24 * 60 {
        errors.push(FieldError::new("stages.publish.spread_minutes", "must be at most a week (10080)"));
    }
    if errors.is_empty() { Ok(schedule) } else { Err(AppError::fields(errors)) }
}

/// Creates or replaces the site's pipeline configuration.
pub async fn save(state: &AppState, p: &Principal, body: Value) -> AppResult<Pipeline> {
    let input: PipelineInput = serde_json::from_value(body).map_err(|e| AppError::field("stages", format!("does not fit: {e}")))?;
    let mut schedule = check(&input)?;
    let scope = crate::sites::scope(state, p, &input.site_id, None).await?;
    // Without a time zone of its own, the schedule runs in the site's.
    if let (Some(s), None) = (schedule.as_mut(), input.timezone.as_ref()) {
        s.timezone = scope.site.time_zone().to_string();
    }
    let now = crate::ids::now_rfc3339();
    let mut pl = match state.store.get::<Pipeline>(&pipeline_key(&scope.tenant, &input.site_id)).await? {
        Some(mut existing) => {
            existing.schedule = schedule;
            existing.enabled = input.enabled;
            existing.stages = input.stages;
            if existing.state == "cancelled" {
                existing.state = "active".into();
            }
            existing.updated_at = now;
            state.store.update_versioned(&mut existing).await?;
            existing
        }
        None => {
            let pl = Pipeline {
                account_id: scope.tenant.account_id().to_string(),
                site_id: input.site_id,
                enabled: input.enabled,
                schedule,
                schedule_state: "none".into(),
                stages: input.stages,
                state: "active".into(),
                paused_reason: None,
                consecutive_failures: 0,
                current_stage: None,
                created_by: p.user_id.clone(),
                created_at: now.clone(),
                updated_at: now,
                version: 1,
            };
            state.store.create(&pl).await?;
            pl
        }
    };
    sync_schedule(state, &mut pl).await;
    Ok(pl)
}

/// Reconciles the pipeline's schedule and records its state.
pub async fn sync_schedule(state: &AppState, pl: &mut Pipeline) {
    let st = super::schedule::reconcile_pipeline(state, pl).await;
    if pl.schedule_state != st {
        pl.schedule_state = st.to_string();
        if let Err(e) = state.store.update_versioned(pl).await {
            tracing::warn!(error = ?e, site_id = %pl.site_id, "could not record the pipeline's schedule state");
        }
    }
}

pub async fn get(state: &AppState, p: &Principal, site_id: &str) -> AppResult<Pipeline> {
    let scope = crate::sites::scope(state, p, site_id, None).await?;
    state.store.get(&pipeline_key(&scope.tenant, site_id)).await?.ok_or_else(|| AppError::not_found("pipeline"))
}

/// `pause`, `resume` or `cancel` (explicit; resume clears a self-pause).
pub async fn set_state(state: &AppState, p: &Principal, site_id: &str, to: &str) -> AppResult<Pipeline> {
    let mut pl = get(state, p, site_id).await?;
    match (pl.state.as_str(), to) {
        ("cancelled", "pause" | "resume") => return Err(AppError::Conflict("the pipeline is cancelled; save its configuration to start it again".into())),
        (_, "pause") => {
            pl.state = "paused".into();
            pl.paused_reason = Some("paused by a user".into());
        }
        (_, "resume") => {
            pl.state = "active".into();
            pl.paused_reason = None;
            pl.consecutive_failures = 0;
        }
        (_, _) => {
            pl.state = "cancelled".into();
            pl.current_stage = None;
        }
    }
    pl.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut pl).await?;
    sync_schedule(state, &mut pl).await;
    let actor = crate::audit::Actor::principal(p, None);
    crate::audit::record(state, &p.tenant(), &actor, &format!("automation.pipeline_{to}"), "pipeline", site_id, json!({})).await?;
    Ok(pl)
}

async fn ids_where(state: &AppState, pl: &Pipeline, entity: super::conditions::Entity, conditions: Vec<Condition>) -> AppResult<Vec<Value>> {
    let probe = stage_rule(pl, "probe", conditions, Action { kind: "publish".into(), params: json!({}) });
    run::select(state, &probe, entity, crate::ids::now_epoch()).await
}

fn cond(field: &str, value: &str) -> Condition {
    Condition { field: field.into(), operator: "equals".into(), value: json!(value) }
}

async fn has_any(state: &AppState, t: &Tenant, index_pk: String) -> AppResult<bool> {
    let q = Query::new(t, Index::Gsi1, index_pk).limit(1).project(&["id"]);
    Ok(!state.store.query::<Value>(&q).await?.results.is_empty())
}

fn stage_rule(pl: &Pipeline, stage: &str, conditions: Vec<Condition>, action: Action) -> Rule {
    let now = crate::ids::now_rfc3339();
    Rule {
        id: stage_rule_id(&pl.site_id, stage),
        account_id: pl.account_id.clone(),
        site_id: pl.site_id.clone(),
        sector_id: None,
        name: format!("pipeline: {stage}"),
        trigger: "manual".into(),
        schedule: None,
        event: None,
        conditions,
        any: Vec::new(),
        actions: vec![action],
        enabled: true,
        max_credits_per_run: None,
        paused_reason: None,
        paused_at: None,
        consecutive_failures: 0,
        schedule_name: None,
        schedule_state: "none".into(),
        last_run_at: None,
        created_by: pl.created_by.clone(),
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    }
}

/// The action a stage would run now (explicit ids), or `None` with nothing to do.
async fn stage_action(state: &AppState, pl: &Pipeline, stage: &str) -> AppResult<Option<Action>> {
    use super::conditions::Entity;
    let t = Tenant::from_verified(&pl.account_id);
    let ids = |items: &[Value]| items.iter().filter_map(|v| v["id"].as_str().map(str::to_string)).collect::<Vec<_>>();
    let s = &pl.stages;
    Ok(match stage {
        "cluster" => {
            // Keywords that arrived since the last clustering run (what it
            // left unclustered stays so until new keywords come).
            let mut conditions = vec![cond("keyword.status", "new")];
            let last = run::list_for_rule(state, &t, &stage_rule_id(&pl.site_id, "cluster"), 1, None).await?;
            if let Some(ex) = last.results.iter().find(|e| e.outcome == "enqueued") {
                conditions.push(Condition { field: "keyword.created_at".into(), operator: "gt".into(), value: json!(ex.created_at) });
            }
            let kws = ids_where(state, pl, Entity::Keyword, conditions).await?;
            let unclustered: Vec<Value> = kws.into_iter().filter(|k| k["cluster_id"].is_null()).collect();
            (unclustered.len() as u32 >= s.cluster.min_keywords).then(|| Action { kind: "auto_cluster".into(), params: json!({"keyword_ids": ids(&unclustered), "batch_size": 50}) })
        }
        "ideas" => {
            let mut bare = Vec::new();
            for c in ids_where(state, pl, Entity::Cluster, vec![cond("cluster.status", "active")]).await? {
                let id = c["id"].as_str().unwrap_or_default();
                if !has_any(state, &t, crate::planner::ideas::ideas_by_cluster(&t, &pl.site_id, id)).await? {
                    bare.push(id.to_string());
                }
            }
            (!bare.is_empty()).then(|| Action { kind: "generate_ideas".into(), params: json!({"cluster_ids": bare, "count": s.ideas.per_cluster, "batch_size": 50}) })
        }
        "tasks" => {
            let ideas = ids_where(state, pl, Entity::Idea, vec![cond("idea.status", "new")]).await?;
            (!ideas.is_empty()).then(|| Action { kind: "create_tasks".into(), params: json!({"idea_ids": ids(&ideas), "batch_size": 50}) })
        }
        "content" => {
            let tasks = ids_where(state, pl, Entity::Task, vec![cond("task.status", "queued")]).await?;
            (!tasks.is_empty()).then(|| Action {
                kind: "generate_content".into(),
                params: json!({"task_ids": ids(&tasks), "target_word_count": s.content.word_count, "batch_size": s.content.batch_size}),
            })
        }
        "image_prompts" | "images" => {
            let mut want = Vec::new();
            for c in ids_where(state, pl, Entity::Content, vec![cond("content.status", "draft")]).await? {
                let id = c["id"].as_str().unwrap_or_default();
                let prompts = has_any(state, &t, crate::writer::image_prompts::prompts_of_content(&t, &pl.site_id, id)).await?;
                let ready = if stage == "image_prompts" { !prompts } else { prompts && !has_any(state, &t, crate::writer::images::images_of_content(&t, &pl.site_id, id)).await? };
                if ready {
                    want.push(id.to_string());
                }
            }
            let kind = if stage == "image_prompts" { "generate_image_prompts" } else { "generate_images" };
            (!want.is_empty()).then(|| Action { kind: kind.into(), params: json!({"content_ids": want, "batch_size": 50}) })
        }
        "publish" => {
            // Approved content not yet published: at once, or one every
            // `spread_minutes` through the integration's publish-batch.
            let approved = ids_where(state, pl, Entity::Content, vec![cond("content.status", "approved")]).await?;
            (!approved.is_empty()).then(|| Action {
                kind: "publish".into(),
                params: json!({"content_ids": ids(&approved), "status": "publish", "spread_minutes": s.publish.spread_minutes, "batch_size": 100}),
            })
        }
        _ => None,
    })
}

/// One stage's part in a pipeline run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StageRun {
    pub stage: String,
    /// `disabled`, `nothing_to_do`, `in_progress` (its jobs are still open),
    /// the execution's outcome, `waiting_for_review`, `no_integration`, `not_reached`.
    pub status: String,
    #[serde(default)]
    pub execution_id: Option<String>,
}

/// Whether the stage's last execution still has open jobs.
async fn stage_busy(state: &AppState, pl: &Pipeline, stage: &str) -> AppResult<bool> {
    let t = Tenant::from_verified(&pl.account_id);
    let last = run::list_for_rule(state, &t, &stage_rule_id(&pl.site_id, stage), 1, None).await?;
    let Some(ex) = last.results.first() else { return Ok(false) };
    for id in &ex.job_ids {
        if let Some(job) = state.store.get::<crate::jobs::Job>(&crate::store::keys::job(&t, id)).await?
            && !job.status.is_final()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Runs the pipeline once (see the module documentation).
pub async fn run_once(state: &AppState, account_id: &str, site_id: &str) -> AppResult<Vec<StageRun>> {
    let t = Tenant::from_verified(account_id);
    let Some(mut pl) = state.store.get::<Pipeline>(&pipeline_key(&t, site_id)).await? else { return Err(AppError::not_found("pipeline")) };
    if !pl.enabled || pl.state != "active" {
        return Err(AppError::Conflict(format!("the pipeline is {}{}", if pl.enabled { pl.state.as_str() } else { "disabled" }, pl.paused_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())));
    }
    let mut out: Vec<StageRun> = Vec::new();
    let mut stopped = false;
    let mut current = None;
    let mut pause: Option<String> = None;
    let mut failed = false;
    for stage in STAGES {
        if stopped {
            out.push(StageRun { stage: stage.into(), status: "not_reached".into(), execution_id: None });
            continue;
        }
        let enabled = match stage {
            "cluster" => pl.stages.cluster.enabled,
            "ideas" => pl.stages.ideas.enabled,
            "tasks" => pl.stages.tasks.enabled,
            "content" => pl.stages.content.enabled,
            "image_prompts" => pl.stages.image_prompts.enabled,
            "images" => pl.stages.images.enabled,
            "publish" => pl.stages.publish.enabled,
            _ => true,
        };
        if !enabled {
            out.push(StageRun { stage: stage.into(), status: "disabled".into(), execution_id: None });
            continue;
        }
        if stage == "review" {
            let drafts = ids_where(state, &pl, super::conditions::Entity::Content, vec![cond("content.status", "draft")]).await?;
            if pl.stages.review.mode == "auto_approve" {
                // Drafts whose images are done (or that need none) are approved.
                let mut approved = 0;
                for d in &drafts {
                    let id = d["id"].as_str().unwrap_or_default();
                    let images_pending = pl.stages.images.enabled
                        && !has_any(state, &t, crate::writer::images::images_of_content(&t, &pl.site_id, id)).await?;
                    if images_pending {
                        continue;
                    }
                    let input = crate::writer::content::ContentInput {
                        status: Some(crate::writer::content::ContentStatus::Approved),
                        version: d["version"].as_u64(),
                        note: Some("approved by the pipeline (review: auto_approve)".into()),
                        ..Default::default()
                    };
                    let origin = crate::writer::content::Origin::new(crate::writer::versions::VersionSource::Edit, &pl.created_by);
                    match crate::writer::content::save_body(state, &t, &pl.site_id, id, d["version"].as_u64(), input, origin).await {
                        Ok(_) => approved += 1,
                        Err(AppError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                out.push(StageRun { stage: stage.into(), status: if approved > 0 { "approved".into() } else { "nothing_to_do".into() }, execution_id: None });
                continue;
            }
            let status = if !drafts.is_empty() { "waiting_for_review" } else { "nothing_to_do" };
            if status == "waiting_for_review" {
                current = Some(stage.to_string());
                stopped = true;
            }
            out.push(StageRun { stage: stage.into(), status: status.into(), execution_id: None });
            continue;
        }
        if stage == "publish" && crate::integration::wordpress_for_site(state, &t, &pl.site_id).await?.is_none() {
            out.push(StageRun { stage: stage.into(), status: "no_integration".into(), execution_id: None });
            continue;
        }
        if stage_busy(state, &pl, stage).await? {
            current = Some(stage.to_string());
            stopped = true;
            out.push(StageRun { stage: stage.into(), status: "in_progress".into(), execution_id: None });
            continue;
        }
        let Some(action) = stage_action(state, &pl, stage).await? else {
            out.push(StageRun { stage: stage.into(), status: "nothing_to_do".into(), execution_id: None });
            continue;
        };
        let rule = stage_rule(&pl, stage, Vec::new(), action);
        let ex: Execution = run::execute(state, &rule, "pipeline", None, false).await?;
        match ex.outcome.as_str() {
            "enqueued" => {
                current = Some(stage.to_string());
                stopped = !ex.job_ids.is_empty();
            }
            "paused" => {
                pause = Some(ex.detail.clone());
                stopped = true;
            }
            "failed" => {
                failed = true;
                stopped = true;
            }
            _ => {}
        }
        out.push(StageRun { stage: stage.into(), status: ex.outcome.clone(), execution_id: Some(ex.id.clone()) });
    }
    pl.current_stage = current;
    pl.consecutive_failures = if failed { pl.consecutive_failures + 1 } else { 0 };
    if failed && pl.consecutive_failures >= run::MAX_CONSECUTIVE_FAILURES {
        pause = Some(format!("{} failed runs in a row", pl.consecutive_failures));
    }
    if let Some(reason) = &pause {
        pl.state = "paused".into();
        pl.paused_reason = Some(reason.clone());
        let actor = crate::audit::Actor { user_id: "automation".into(), email: "automation@igny8".into(), ip: None };
        crate::audit::record(state, &t, &actor, "automation.pipeline_paused", "pipeline", site_id, json!({"reason": reason})).await?;
    }
    pl.updated_at = crate::ids::now_rfc3339();
    if let Err(e) = state.store.update_versioned(&mut pl).await {
        tracing::warn!(error = ?e, site_id, "could not record the pipeline's progress");
    }
    if pause.is_some() {
        sync_schedule(state, &mut pl).await;
    }
    Ok(out)
}

/// The pipeline as `GET` shows it: configuration, state, current stage,
/// what waits at each stage, and each stage's last executions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PipelineView {
    pub pipeline: Pipeline,
    pub stages: Vec<StageProgress>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StageProgress {
    pub stage: String,
    /// Items waiting for this stage now.
    pub waiting: u32,
    /// The stage's last executions, newest first.
    pub history: Vec<Execution>,
}

pub async fn view(state: &AppState, p: &Principal, site_id: &str) -> AppResult<PipelineView> {
    let pl = get(state, p, site_id).await?;
    let t = p.tenant();
    let mut stages = Vec::new();
    for stage in STAGES {
        let waiting = match stage_action(state, &pl, stage).await? {
            Some(a) => a.explicit_ids().map(|v| v.len() as u32).unwrap_or(0),
            None => 0,
        };
        let history = run::list_for_rule(state, &t, &stage_rule_id(site_id, stage), 5, None).await?.results;
        stages.push(StageProgress { stage: stage.into(), waiting, history });
    }
    Ok(PipelineView { pipeline: pl, stages })
}

/// A finished pipeline job's event runs the pipeline again (when the event
/// came from one of its stages).
pub async fn on_event(state: &AppState, account_id: &str, site_id: &str, rule_id: &str) -> AppResult<Option<Vec<StageRun>>> {
    if !STAGES.iter().any(|s| stage_rule_id(site_id, s) == rule_id) {
        return Ok(None);
    }
    match run_once(state, account_id, site_id).await {
        Ok(r) => Ok(Some(r)),
        Err(AppError::Conflict(_) | AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A fire of the pipeline's schedule: a minute already fired is dropped;
/// a pipeline that is gone, paused or cancelled deletes its schedule.
pub async fn fire(state: &AppState, account_id: &str, site_id: &str, scheduled_time: Option<String>) -> AppResult<Option<Vec<StageRun>>> {
    let t = Tenant::from_verified(account_id);
    if let Some(m) = scheduled_time.as_deref().map(|t| t.chars().take(16).collect::<String>()) {
        let now = crate::ids::now_epoch();
        if !state.store.mark_once(&Key::new(t.pk(), format!("RUNAT#PIPELINE#{site_id}#{m}")), "AutomationFire", now + 2 * 86_400, now).await? {
            return Ok(None);
        }
    }
    match run_once(state, account_id, site_id).await {
        Ok(r) => Ok(Some(r)),
        Err(AppError::Conflict(_) | AppError::NotFound(_)) => {
            let pl = state.store.get::<Pipeline>(&pipeline_key(&t, site_id)).await?;
            match pl {
                Some(mut pl) => sync_schedule(state, &mut pl).await,
                None => super::schedule::delete_named(state, &super::schedule::pipeline_schedule_name(account_id, site_id)).await?,
            }
            Ok(Some(Vec::new()))
        }
        Err(e) => Err(e),
    }
}
