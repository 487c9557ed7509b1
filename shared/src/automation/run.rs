//! One execution of a rule.
//!
//! 1. The rule, its author (the runner acts as the user who saved the rule,
//!    with their *current* role: an author demoted below editor stops it),
//!    and the lock: one run per rule at a time (a lease item with a TTL, so a
//!    crashed run frees it); an overlapping fire is recorded as `skipped`.
//! 2. Selection: the first action's entity in the rule's site (and sector),
//!    at most [`SCAN_MAX`] items read, kept when the conditions hold, oldest
//!    first, `batch_size` of them. An action whose params name ids takes those.
//! 3. Estimate: every job the run would enqueue is prepared (validated and
//!    priced by its AI function, as a dry run would) *before* anything is
//!    enqueued; above `max_credits_per_run` nothing is (`over_budget`), and
//!    short of credits the rule pauses itself (the 402 it would get).
//! 4. Enqueue through [`crate::ai::function::submit`]: the one job framework,
//!    reserving credits per job as every endpoint does.
//! 5. Chaining: an action without ids after `create_tasks` (which runs at
//!    once and costs nothing) works on the tasks it created; after an AI job
//!    action it waits (recorded as `waiting`) — see the README.
//! 6. The execution is recorded (`RUN#<rule>#<run>`, and GSI1 `ACCT#<a>#RUNS`
//!    for the account's newest-first list); 3 failed runs in a row pause the rule.

use super::conditions::{self, Entity};
use super::rules::{self, Action, Rule};
use crate::ai::function::{Submission, registry, submit_from};
use crate::auth::guard::{Principal, Role};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Page, Query, SkCondition};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Items of one entity read per run at most (the selection is bounded).
pub const SCAN_MAX: usize = 2_000;
/// How long a run may hold its rule's lock.
pub const LOCK_SECS: i64 = 10 * 60;
/// Failed runs in a row after which a rule pauses itself.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 3;

pub fn run_key(t: &Tenant, rule_id: &str, run_id: &str) -> Key {
    keys::automation_run(t, rule_id, run_id)
}
pub fn runs_of_account(t: &Tenant) -> String {
    format!("{}#RUNS", t.pk())
}
pub fn lock_key(t: &Tenant, rule_id: &str) -> Key {
    Key::new(t.pk(), format!("RULELOCK#{rule_id}"))
}
/// "This rule fired for this scheduled minute" (TTL two days).
pub fn fired_key(t: &Tenant, rule_id: &str, minute: &str) -> Key {
    Key::new(t.pk(), format!("RUNAT#{rule_id}#{minute}"))
}

/// What happened to one action in a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionRun {
    #[serde(rename = "type")]
    pub kind: String,
    /// `enqueued`, `done` (create_tasks), `would_enqueue` (dry run), `nothing_to_do`,
    /// `waiting` (chained after a job), `no_integration` (publish), `skipped`, `failed`.
    pub status: String,
    /// The items it worked on.
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub job_ids: Vec<String>,
    #[serde(default)]
    pub estimated_credits: f64,
    /// Items it produced (create_tasks: the tasks).
    #[serde(default)]
    pub produced: Vec<String>,
    #[serde(default)]
    pub errors: Vec<String>,
}

/// One execution of a rule (the seed's ScheduledTask).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Execution {
    pub id: String,
    pub account_id: String,
    pub rule_id: String,
    #[serde(default)]
    pub rule_name: String,
    /// schedule, manual or event.
    #[serde(default)]
    pub trigger: String,
    /// The minute the schedule fired for (schedule runs).
    #[serde(default)]
    pub scheduled_time: Option<String>,
    /// `enqueued`, `nothing_to_do`, `skipped` (locked, paused, disabled, duplicate),
    /// `over_budget`, `paused` (credits ran out), `failed`, `dry_run`.
    pub outcome: String,
    #[serde(default)]
    pub detail: String,
    /// How many items the conditions matched, and (up to 100 of) their ids.
    #[serde(default)]
    pub matched: u32,
    #[serde(default)]
    pub matched_ids: Vec<String>,
    #[serde(default)]
    pub actions: Vec<ActionRun>,
    #[serde(default)]
    pub job_ids: Vec<String>,
    #[serde(default)]
    pub estimated_credits: f64,
    #[serde(default)]
    pub credits_reserved: f64,
    /// Settled cost of the run's finished jobs (filled when read).
    #[serde(default)]
    pub credits_spent: Option<f64>,
    #[serde(default)]
    pub errors: Vec<String>,
    /// Event-triggered runs: the event, and how deep in a chain of event runs (1–3).
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub depth: u32,
    pub created_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
}

impl Item for Execution {
    const ENTITY: &'static str = "AutomationRun";
    fn key(&self) -> Key {
        run_key(&Tenant::from_verified(&self.account_id), &self.rule_id, &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { gsi1: Some((runs_of_account(&Tenant::from_verified(&self.account_id)), self.id.clone())), ..Default::default() }
    }
}

impl Execution {
    pub fn new(tenant: &Tenant, rule_id: &str, trigger: &str, scheduled_time: Option<String>) -> Self {
        Self {
            id: crate::ids::new_id(),
            account_id: tenant.account_id().to_string(),
            rule_id: rule_id.to_string(),
            trigger: trigger.to_string(),
            scheduled_time,
            outcome: "running".into(),
            created_at: crate::ids::now_rfc3339(),
            ..Default::default()
        }
    }
    /// Ends the execution with its outcome.
    pub fn ended(self, outcome: &str, detail: impl Into<String>) -> Self {
        self.end(outcome, detail)
    }
    fn end(mut self, outcome: &str, detail: impl Into<String>) -> Self {
        self.outcome = outcome.to_string();
        self.detail = detail.into();
        self.finished_at = Some(crate::ids::now_rfc3339());
        self
    }
}

/// The rule's author as a principal with their current role.
async fn author(state: &AppState, rule: &Rule) -> Result<Principal, String> {
    let tenant = Tenant::from_verified(&rule.account_id);
    let user: Option<crate::accounts::User> = state.store.get(&keys::user(&tenant, &rule.created_by)).await.map_err(|e| format!("{e}"))?;
    let user = user.ok_or("the rule's author is no longer a member of the account; save the rule again as another editor")?;
    if !user.is_active {
        return Err("the rule's author is deactivated; save the rule again as another editor".into());
    }
    if user.role < Role::Editor {
        return Err("the rule's author is no longer an editor; save the rule again as an editor".into());
    }
    Ok(Principal { user_id: user.id, account_id: user.account_id, role: user.role, email: user.email, is_staff: user.is_staff })
}

/// The items of `entity` in the rule's site (and sector) its conditions select.
pub async fn select(state: &AppState, rule: &Rule, entity: Entity, now: i64) -> AppResult<Vec<Value>> {
    let tenant = Tenant::from_verified(&rule.account_id);
    let q = Query::new(&tenant, Index::Table, tenant.site_pk(&rule.site_id)).sk(SkCondition::BeginsWith(entity.sk_prefix().into()));
    let items: Vec<Value> = state.store.query_all(&q, SCAN_MAX).await?;
    Ok(items
        .into_iter()
        .filter(|v| {
            let id = v["id"].as_str().unwrap_or_default();
            v["SK"].as_str() == Some(&format!("{}{id}", entity.sk_prefix()))
        })
        .filter(|v| rule.sector_id.as_ref().is_none_or(|s| v["sector_id"].as_str() == Some(s.as_str())))
        .filter(|v| conditions::matches(&rule.conditions, &rule.any, entity, v, now))
        .collect())
}

/// The AI function and inputs of one action over `items` (one job per item,
/// or per sector for auto_cluster).
async fn job_inputs(state: &AppState, rule: &Rule, action: &Action, items: &[(String, Option<String>)]) -> AppResult<Vec<(String, Value)>> {
    let p = &action.params;
    let site = &rule.site_id;
    let copy = |mut v: Value, keys: &[&str]| {
        for k in keys {
            if let Some(x) = p.get(*k) {
                v[*k] = x.clone();
            }
        }
        v
    };
    Ok(match action.kind.as_str() {
        "auto_cluster" => {
            // Named keywords (pipelines, params) carry no sector: read theirs.
            let tenant = Tenant::from_verified(&rule.account_id);
            let unknown: Vec<Key> = items.iter().filter(|(_, s)| s.is_none()).map(|(id, _)| crate::planner::keywords::keyword_key(&tenant, site, id)).collect();
            let found: Vec<Value> = if unknown.is_empty() { Vec::new() } else { state.store.batch_get_fields(&unknown, &["id", "sector_id"]).await? };
            let sector_of: std::collections::HashMap<&str, &str> = found.iter().filter_map(|v| Some((v["id"].as_str()?, v["sector_id"].as_str()?))).collect();
            let items: Vec<(String, Option<String>)> =
                items.iter().map(|(id, s)| (id.clone(), s.clone().or_else(|| sector_of.get(id.as_str()).map(|x| x.to_string())))).collect();
            let mut by_sector: std::collections::BTreeMap<String, Vec<String>> = Default::default();
            for (id, sector) in &items {
                by_sector.entry(sector.clone().or(rule.sector_id.clone()).unwrap_or_default()).or_default().push(id.clone());
            }
            by_sector
                .into_iter()
                .map(|(sector, ids)| (ids.join(","), copy(json!({"site_id": site, "sector_id": sector, "keyword_ids": ids}), &["threshold"])))
                .collect()
        }
        "generate_ideas" => items.iter().map(|(id, _)| (id.clone(), copy(json!({"site_id": site, "cluster_id": id}), &["count"]))).collect(),
        "generate_content" => items
            .iter()
            .map(|(id, _)| (id.clone(), copy(json!({"site_id": site, "task_id": id}), &["target_word_count", "tone", "instructions"])))
            .collect(),
        "generate_image_prompts" => items.iter().map(|(id, _)| (id.clone(), json!({"site_id": site, "content_id": id}))).collect(),
        "generate_images" => {
            let tenant = Tenant::from_verified(&rule.account_id);
            let mut out = Vec::new();
            for (id, _) in items {
                let q = Query::new(&tenant, Index::Gsi1, crate::writer::image_prompts::prompts_of_content(&tenant, site, id)).project(&["id"]);
                let prompts: Vec<Value> = state.store.query_all(&q, crate::writer::images::MAX_IMAGES).await?;
                let ids: Vec<&str> = prompts.iter().filter_map(|v| v["id"].as_str()).collect();
                if !ids.is_empty() {
                    out.push((id.clone(), json!({"site_id": site, "prompt_ids": ids})));
                }
            }
            out
        }
        _ => Vec::new(),
    })
}

/// One planned job: the action's index, the item, the function, its input and estimate.
struct Planned {
    action: usize,
    item: String,
    function: &'static str,
    input: Value,
    estimate: f64,
}

/// Prepares (validates and prices) up to `batch` jobs of an action; per-item
/// refusals (a task already written, a content without prompts) are recorded
/// on the action and the next candidate is tried.
async fn plan_action(state: &AppState, p: &Principal, rule: &Rule, index: usize, action: &Action, candidates: &[(String, Option<String>)], out: &mut Vec<Planned>, ar: &mut ActionRun) -> AppResult<()> {
    let Some(f) = registry().get(action.kind.as_str()) else { return Ok(()) };
    let batch = action.batch_size() as usize;
    let mut taken = 0;
    // auto_cluster clusters every selected keyword together (one job per
    // sector; batch_size counts jobs); other actions take one item a job.
    let chunk = if action.kind == "auto_cluster" { candidates.len().max(1) } else { batch.max(1) };
    for chunk in candidates.chunks(chunk) {
        for (item, input) in job_inputs(state, rule, action, chunk).await? {
            if taken >= batch {
                break;
            }
            match f.prepare(state, p, input.clone()).await {
                Ok(prepared) => {
                    ar.items.push(item.clone());
                    ar.estimated_credits += prepared.estimate;
                    out.push(Planned { action: index, item, function: f.name(), input, estimate: prepared.estimate });
                    taken += 1;
                }
                Err(e @ (AppError::Internal(_) | AppError::RateLimited { .. })) => return Err(e),
                Err(e) => ar.errors.push(format!("{item}: {}", e.public_message())),
            }
        }
        if taken >= batch || action.kind == "auto_cluster" {
            break;
        }
    }
    Ok(())
}

/// Runs (or, with `dry_run`, previews) a rule now. `scheduled_time` is the
/// minute a schedule fired for. The execution is recorded unless `dry_run`.
pub async fn execute(state: &AppState, rule: &Rule, trigger: &str, scheduled_time: Option<String>, dry_run: bool) -> AppResult<Execution> {
    execute_at(state, rule, trigger, scheduled_time, dry_run, 0, None).await
}

/// [`execute`] at an event depth (event-triggered runs), naming the event.
pub async fn execute_at(state: &AppState, rule: &Rule, trigger: &str, scheduled_time: Option<String>, dry_run: bool, depth: u32, event: Option<String>) -> AppResult<Execution> {
    let tenant = Tenant::from_verified(&rule.account_id);
    let mut ex = Execution::new(&tenant, &rule.id, trigger, scheduled_time);
    ex.rule_name = rule.name.clone();
    ex.depth = depth;
    ex.event = event;
    if !dry_run {
        if let Some(reason) = &rule.paused_reason {
            return finish(state, rule, ex.end("skipped", format!("the rule is paused ({reason}); resume it first"))).await;
        }
        if trigger != "manual" && !rule.enabled {
            return finish(state, rule, ex.end("skipped", "the rule is disabled")).await;
        }
        // A chain continuation works on the items one job produced, disjoint
        // from any other run's: it takes no lock (two jobs finishing together
        // must both continue).
        let locked = trigger != "chain";
        let now = crate::ids::now_epoch();
        if locked && !state.store.take_lease(&lock_key(&tenant, &rule.id), "AutomationRuleLock", &ex.id, now + LOCK_SECS, now).await? {
            return finish(state, rule, ex.end("skipped", "another run of this rule is in progress")).await;
        }
        let result = run_locked(state, rule, ex.clone(), false).await;
        if locked {
            state.store.release_lease(&lock_key(&tenant, &rule.id), &ex.id).await?;
        }
        let ex = match result {
            Ok(ex) => ex,
            Err(e) => {
                let mut failed = ex;
                failed.errors.push(e.public_message());
                failed.end("failed", "the run stopped on an error")
            }
        };
        return finish(state, rule, ex).await;
    }
    run_locked(state, rule, ex, true).await
}

async fn run_locked(state: &AppState, rule: &Rule, mut ex: Execution, dry_run: bool) -> AppResult<Execution> {
    let p = match author(state, rule).await {
        Ok(p) => p,
        Err(m) => return Ok(ex.end("failed", m)),
    };
    let scope = crate::sites::scope(state, &p, &rule.site_id, rule.sector_id.as_deref()).await?;
    let Some(entity) = rule.entity() else { return Ok(ex.end("failed", "the rule has no actions")) };
    let now = crate::ids::now_epoch();

    // Selection for the first action (or its named ids).
    let first = &rule.actions[0];
    let selected: Vec<(String, Option<String>)> = match first.explicit_ids() {
        Some(ids) => ids.into_iter().map(|id| (id, rule.sector_id.clone())).collect(),
        None => select(state, rule, entity, now)
            .await?
            .iter()
            .map(|v| (v["id"].as_str().unwrap_or_default().to_string(), v["sector_id"].as_str().map(str::to_string)))
            .collect(),
    };
    ex.matched = selected.len() as u32;
    ex.matched_ids = selected.iter().take(100).map(|(id, _)| id.clone()).collect();

    // Plan every action that does not wait on another's output, estimating
    // every job before anything is enqueued.
    let mut planned: Vec<Planned> = Vec::new();
    let mut runs: Vec<ActionRun> = rule.actions.iter().map(|a| ActionRun { kind: a.kind.clone(), status: "pending".into(), ..Default::default() }).collect();
    let mut chained: Vec<usize> = Vec::new();
    // The site's WordPress integration, once a publish action found one.
    let mut publish_via: Option<String> = None;
    for (i, action) in rule.actions.iter().enumerate() {
        let items: Vec<(String, Option<String>)> = match (i, action.explicit_ids()) {
            (_, Some(ids)) => ids.into_iter().map(|id| (id, rule.sector_id.clone())).collect(),
            (0, None) => selected.clone(),
            (_, None) => {
                chained.push(i);
                continue;
            }
        };
        match action.kind.as_str() {
            "publish" => match crate::integration::wordpress_for_site(state, &scope.tenant, &rule.site_id).await? {
                Some(integration) => {
                    publish_via = Some(integration.id);
                    runs[i].items = items.iter().take(action.batch_size() as usize).map(|(id, _)| id.clone()).collect();
                }
                None => {
                    runs[i].status = "no_integration".into();
                    runs[i].items = items.iter().map(|(id, _)| id.clone()).collect();
                    runs[i].errors.push("no WordPress integration is connected to this site; nothing was published".into());
                }
            },
            "create_tasks" => runs[i].items = items.iter().take(action.batch_size() as usize).map(|(id, _)| id.clone()).collect(),
            _ => plan_action(state, &p, rule, i, action, &items, &mut planned, &mut runs[i]).await?,
        }
    }
    let mut estimate: f64 = planned.iter().map(|j| j.estimate).sum::<f64>() + 0.0;
    ex.estimated_credits = crate::credits::round(estimate);
    let cap = rule.max_credits_per_run;
    if let Some(max) = cap
        && estimate > max + 1e-9
    {
        for r in runs.iter_mut().filter(|r| r.status == "pending") {
            r.status = "skipped".into();
        }
        ex.actions = runs;
        return Ok(ex.end("over_budget", format!("the run would cost {} credits, above max_credits_per_run {max}; nothing was enqueued", crate::credits::round(estimate))));
    }
    if dry_run {
        for (i, r) in runs.iter_mut().enumerate() {
            if r.status == "pending" {
                r.status = if chained.contains(&i) { "waiting".into() } else if r.items.is_empty() { "nothing_to_do".into() } else { "would_enqueue".into() };
            }
            if chained.contains(&i) {
                r.errors.push(format!("runs on what actions[{}] produces", i - 1));
            }
        }
        ex.actions = runs;
        return Ok(ex.end("dry_run", "nothing was reserved, created or enqueued"));
    }
    // The 402 the jobs would get: pause instead of failing job by job.
    let balance = crate::credits::balance(state, &scope.tenant).await?;
    if estimate > balance.total + 1e-9 {
        ex.actions = runs;
        return Ok(ex.end("paused", format!("insufficient credits: the run needs {} and the account has {}", crate::credits::round(estimate), balance.total)));
    }

    // Execute in order.
    let mut produced_by: Vec<Vec<String>> = vec![Vec::new(); rule.actions.len()];
    let mut queue = planned.into_iter().peekable();
    for (i, action) in rule.actions.iter().enumerate() {
        if chained.contains(&i) {
            let prev = &rule.actions[i - 1];
            if prev.kind == "create_tasks" && action::works_on(&action.kind) == Some(Entity::Task) {
                let items: Vec<(String, Option<String>)> = produced_by[i - 1].iter().map(|id| (id.clone(), rule.sector_id.clone())).collect();
                let mut more = Vec::new();
                plan_action(state, &p, rule, i, action, &items, &mut more, &mut runs[i]).await?;
                let extra: f64 = more.iter().map(|j| j.estimate).sum();
                if cap.is_some_and(|max| estimate + extra > max + 1e-9) {
                    runs[i].status = "skipped".into();
                    runs[i].errors.push("over max_credits_per_run; not enqueued".into());
                    continue;
                }
                estimate += extra;
                ex.estimated_credits = crate::credits::round(estimate);
                enqueue(state, &p, more.into_iter().peekable(), i, &mut runs[i], &mut ex).await;
            } else {
                runs[i].status = "waiting".into();
                runs[i].errors.push(format!("runs on what actions[{}] produces as each of its jobs finishes (an execution with trigger chain)", i - 1));
            }
            continue;
        }
        match action.kind.as_str() {
            "publish" => {
                if let Some(integration_id) = &publish_via
                    && runs[i].status == "pending"
                {
                    publish(state, &p, integration_id, action, &mut runs[i], &mut ex).await;
                }
            }
            "create_tasks" => {
                let ids = runs[i].items.clone();
                if ids.is_empty() {
                    runs[i].status = "nothing_to_do".into();
                    continue;
                }
                let o = crate::planner::tasks::FromIdea {
                    site_id: Some(rule.site_id.clone()),
                    tone: action.params.get("tone").and_then(Value::as_str).map(str::to_string),
                    language: action.params.get("language").and_then(Value::as_str).map(str::to_string),
                    ..Default::default()
                };
                match crate::planner::tasks::bulk_create_from_ideas(state, &scope, &ids, &o, &p.user_id).await {
                    Ok(b) => {
                        runs[i].produced = b.created.iter().map(|t| t.id.clone()).collect();
                        runs[i].errors.extend(b.conflicts.iter().map(|s| format!("{}: {}", s.id, s.error)));
                        runs[i].errors.extend(b.not_found.iter().map(|id| format!("{id}: idea not found")));
                        runs[i].status = "done".into();
                        produced_by[i] = runs[i].produced.clone();
                    }
                    Err(e) => {
                        runs[i].status = "failed".into();
                        runs[i].errors.push(e.public_message());
                    }
                }
            }
            _ => {
                let mine: Vec<Planned> = std::iter::from_fn(|| queue.next_if(|j| j.action == i)).collect();
                enqueue(state, &p, mine.into_iter().peekable(), i, &mut runs[i], &mut ex).await;
            }
        }
        if ex.outcome == "paused" {
            break;
        }
    }
    ex.actions = runs;
    if ex.outcome == "paused" {
        return Ok(ex.clone().end("paused", ex.detail.clone()));
    }
    let any_failed = ex.actions.iter().any(|a| a.status == "failed");
    let any_work = !ex.job_ids.is_empty() || ex.actions.iter().any(|a| a.status == "done");
    Ok(match (any_work, any_failed) {
        (_, true) => {
            let d = format!("{} job(s) enqueued; an action failed", ex.job_ids.len());
            ex.end("failed", d)
        }
        (true, false) => {
            let d = format!("{} job(s) enqueued, {} credits reserved", ex.job_ids.len(), crate::credits::round(ex.credits_reserved));
            ex.end("enqueued", d)
        }
        (false, false) if ex.matched > 0 => {
            let d = format!("{} item(s) matched; none could run (see the actions' errors)", ex.matched);
            ex.end("nothing_to_do", d)
        }
        (false, false) => ex.end("nothing_to_do", "no item matched the conditions"),
    })
}

mod action {
    use super::Entity;
    pub fn works_on(kind: &str) -> Option<Entity> {
        super::rules::action_spec(kind).map(|(e, _)| e)
    }
}

/// Queues one publish job per selected content item on the site's WordPress
/// integration (the integration's own rules apply: a body is needed, an
/// integration needing attention refuses). Publishing costs no credits.
async fn publish(state: &AppState, p: &Principal, integration_id: &str, action: &Action, ar: &mut ActionRun, ex: &mut Execution) {
    let status = action.params.get("status").and_then(Value::as_str).map(str::to_string);
    // Spread (the pipeline's publish stage): one scheduled publish every `spread_minutes`, from the next minute.
    let spread = action.params.get("spread_minutes").and_then(Value::as_u64).filter(|m| *m > 0);
    if let Some(every) = spread
        && !ar.items.is_empty()
    {
        let now = crate::ids::now_epoch();
        let start = jiff::Timestamp::from_second(now - now.rem_euclid(60) + 60).map(|t| t.to_string()).unwrap_or_default();
        let input = crate::integration::scheduled::PublishBatchInput {
            content_ids: ar.items.clone(),
            start,
            every_minutes: Some(every as u32),
            timezone: Some("UTC".into()),
            ..Default::default()
        };
        match crate::integration::scheduled::submit_batch(state, p, integration_id, input).await {
            Ok(batch) => {
                for s in batch.scheduled {
                    ar.job_ids.push(s.job_id.clone());
                    ex.job_ids.push(s.job_id);
                }
                ar.status = "enqueued".into();
            }
            Err(e) => {
                ar.errors.push(e.public_message());
                ar.status = "failed".into();
            }
        }
        return;
    }
    for id in ar.items.clone() {
        let input = crate::integration::publish::PublishInput { content_id: id.clone(), status: status.clone(), date: None, categories: None, tags: None };
        match crate::integration::publish::submit(state, p, integration_id, input).await {
            Ok(job) => {
                ar.job_ids.push(job.id.clone());
                ex.job_ids.push(job.id);
            }
            Err(e) => ar.errors.push(format!("{id}: {}", e.public_message())),
        }
    }
    ar.status = if !ar.job_ids.is_empty() {
        "enqueued".into()
    } else if ar.items.is_empty() {
        "nothing_to_do".into()
    } else {
        "failed".into()
    };
}

async fn enqueue(state: &AppState, p: &Principal, jobs: std::iter::Peekable<std::vec::IntoIter<Planned>>, _i: usize, ar: &mut ActionRun, ex: &mut Execution) {
    let mut any = false;
    for j in jobs {
        any = true;
        let Some(f) = registry().get(j.function) else { continue };
        let origin = crate::jobs::JobOrigin { rule_id: ex.rule_id.clone(), execution_id: ex.id.clone(), depth: ex.depth };
        match submit_from(state, p, f.as_ref(), j.input, false, Some(origin)).await {
            Ok(Submission::Queued(job)) => {
                ar.job_ids.push(job.id.clone());
                ex.job_ids.push(job.id.clone());
                ex.credits_reserved += job.credits_estimate;
            }
            Ok(Submission::DryRun { .. }) => {}
            Err(AppError::InsufficientCredits(m)) => {
                ar.errors.push(format!("{}: {m}", j.item));
                ex.outcome = "paused".into();
                ex.detail = format!("insufficient credits: {m}");
                break;
            }
            Err(e) => ar.errors.push(format!("{}: {}", j.item, e.public_message())),
        }
    }
    ar.status = if ex.outcome == "paused" {
        "failed".into()
    } else if !ar.job_ids.is_empty() {
        "enqueued".into()
    } else if !any {
        "nothing_to_do".into()
    } else {
        "failed".into()
    };
    ex.credits_reserved = crate::credits::round(ex.credits_reserved);
}

/// Records the execution and applies its consequences to the rule: the last
/// run time, the failure streak, and the auto-pause (with an audit entry).
async fn finish(state: &AppState, rule: &Rule, ex: Execution) -> AppResult<Execution> {
    state.store.put(&ex).await?;
    let tenant = Tenant::from_verified(&rule.account_id);
    let counts = !matches!(ex.outcome.as_str(), "skipped" | "dry_run");
    if !counts {
        return Ok(ex);
    }
    for _ in 0..3 {
        let Some(mut r) = state.store.get::<Rule>(&rules::rule_key(&tenant, &rule.id)).await? else { return Ok(ex) };
        r.last_run_at = Some(ex.created_at.clone());
        let mut pause: Option<String> = None;
        match ex.outcome.as_str() {
            "failed" => {
                r.consecutive_failures += 1;
                if r.consecutive_failures >= MAX_CONSECUTIVE_FAILURES {
                    pause = Some(format!("{} failed runs in a row (last: {})", r.consecutive_failures, ex.detail));
                }
            }
            "paused" => pause = Some(ex.detail.clone()),
            _ => r.consecutive_failures = 0,
        }
        if let Some(reason) = &pause {
            r.paused_reason = Some(reason.clone());
            r.paused_at = Some(crate::ids::now_rfc3339());
        }
        r.updated_at = crate::ids::now_rfc3339();
        match state.store.update_versioned(&mut r).await {
            Ok(()) => {
                if let Some(reason) = pause {
                    let actor = crate::audit::Actor { user_id: "automation".into(), email: "automation@igny8".into(), ip: None };
                    crate::audit::record(state, &tenant, &actor, "automation.rule_paused", "automation_rule", &r.id, json!({"reason": reason, "execution_id": ex.id}))
                        .await?;
                    super::schedule::reconcile_rule(state, &mut r).await;
                }
                return Ok(ex);
            }
            Err(AppError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(ex)
}

/// Fills `credits_spent` from the executions' finished jobs.
async fn with_spent(state: &AppState, tenant: &Tenant, mut page: Page<Execution>) -> AppResult<Page<Execution>> {
    let ids: Vec<String> = page.results.iter().flat_map(|e| e.job_ids.iter().cloned()).collect();
    if ids.is_empty() {
        return Ok(page);
    }
    let job_keys: Vec<Key> = ids.iter().map(|id| keys::job(tenant, id)).collect();
    let jobs: Vec<Value> = state.store.batch_get_fields(&job_keys, &["id", "credits_charged"]).await?;
    let charged: std::collections::HashMap<&str, f64> = jobs.iter().filter_map(|j| Some((j["id"].as_str()?, j["credits_charged"].as_f64()?))).collect();
    for e in &mut page.results {
        if !e.job_ids.is_empty() {
            e.credits_spent = Some(crate::credits::round(e.job_ids.iter().filter_map(|id| charged.get(id.as_str())).sum()));
        }
    }
    Ok(page)
}

/// A rule's executions, newest first.
pub async fn list_for_rule(state: &AppState, tenant: &Tenant, rule_id: &str, limit: i32, cursor: Option<String>) -> AppResult<Page<Execution>> {
    let q = Query::new(tenant, Index::Table, tenant.pk()).sk(SkCondition::BeginsWith(format!("RUN#{rule_id}#"))).limit(limit).cursor(cursor).newest_first(true);
    let page = state.store.query(&q).await?;
    with_spent(state, tenant, page).await
}

/// Every execution of the account, newest first (`/scheduled-tasks/`).
pub async fn list_all(state: &AppState, tenant: &Tenant, limit: i32, cursor: Option<String>) -> AppResult<Page<Execution>> {
    let q = Query::new(tenant, Index::Gsi1, runs_of_account(tenant)).limit(limit).cursor(cursor).newest_first(true);
    let page = state.store.query(&q).await?;
    with_spent(state, tenant, page).await
}

/// What the runner does for one Scheduler invocation: a fire for a minute
/// already handled is dropped (at-least-once delivery, the same minute
/// fired twice), otherwise the rule runs; a rule that is gone is recorded.
pub async fn fire(state: &AppState, account_id: &str, rule_id: &str, scheduled_time: Option<String>) -> AppResult<Option<Execution>> {
    let tenant = Tenant::from_verified(account_id);
    let minute = scheduled_time.as_deref().map(|t| t.chars().take(16).collect::<String>());
    if let Some(m) = &minute {
        let now = crate::ids::now_epoch();
        if !state.store.mark_once(&fired_key(&tenant, rule_id, m), "AutomationFire", now + 2 * 86_400, now).await? {
            tracing::info!(rule_id, minute = %m, "this minute already fired; dropped");
            return Ok(None);
        }
    }
    let rule: Option<Rule> = state.store.get(&rules::rule_key(&tenant, rule_id)).await?;
    match rule {
        Some(mut rule) if !rule.wants_schedule() => {
            // A schedule that outlived its rule's wish for one: remove it.
            let ex = execute(state, &rule, "schedule", scheduled_time, false).await?;
            super::schedule::reconcile_rule(state, &mut rule).await;
            Ok(Some(ex))
        }
        Some(rule) => execute(state, &rule, "schedule", scheduled_time, false).await.map(Some),
        None => {
            let ex = Execution::new(&tenant, rule_id, "schedule", scheduled_time).end("skipped", "the rule no longer exists; its schedule was deleted");
            state.store.put(&ex).await?;
            if let Err(e) = super::schedule::delete_schedule_of(state, account_id, rule_id).await {
                tracing::warn!(error = ?e, rule_id, "could not delete the schedule of a deleted rule");
            }
            Ok(Some(ex))
        }
    }
}
