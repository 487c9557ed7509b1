//! Writing tasks of a site and sector: made from an idea (one task per idea,
//! guarded) or by hand. Fields: title, brief, keywords (the first is the
//! primary keyword), target word count, tone, language, due date
//! (`YYYY-MM-DD`), assignee (an active user of the same account).
//!
//! # Status machine
//!
//! | from | allowed next |
//! |---|---|
//! | `queued` | `in_progress`, `cancelled` |
//! | `in_progress` | `generated`, `queued`, `cancelled` |
//! | `generated` | `review`, `in_progress`, `cancelled` |
//! | `review` | `published`, `in_progress`, `cancelled` |
//! | `published` | — (final) |
//! | `cancelled` | `queued` (reopen) |
//!
//! Status changes only through `POST /api/v1/planner/tasks/{id}/transition/`
//! `{status, version?}` ([`transition`]); a PATCH naming `status` is a 400
//! pointing there. Any move outside the table — including to the current
//! status — is a 409 `CONFLICT` whose message names the allowed next states.
//!
//! # From an idea
//!
//! [`create_from_idea`] writes, in one transaction, the task, a uniqueness
//! guard `UNIQ#IDEATASK#<idea>` owned by the task (so a double click cannot
//! make two; it carries the sector id, so deleting the sector sweeps it),
//! and the idea moved to `queued` with its `task_id`. The task's
//! brief is composed from the idea (structure, type, intent and the H2
//! outline); its keywords are the idea's primary then secondary keywords.
//! Deleting the task deletes the guard and puts the idea back to `new` in the
//! same transaction. [`bulk_create_from_ideas`] does this per idea and
//! reports each id (`created`, `conflicts`, `not_found`).
//!
//! # Keys
//!
//! | access pattern | index | PK | SK |
//! |---|---|---|---|
//! | task by id | table | `ACCT#<a>#SITE#<s>` | `TASK#<id>` |
//! | tasks of a site by status | GSI1 | `ACCT#<a>#SITE#<s>#TASKSTATUS#<status>` | `<id>` |
//! | tasks of a sector | GSI2 | `ACCT#<a>#SITE#<s>#SEC#<x>#TASK` | `<id>` |
//! | the task of an idea (guard) | table | `ACCT#<a>#SITE#<s>` | `UNIQ#IDEATASK#<idea>` |

use super::cannibalization::{Work, WorkKind};
use super::clusters;
use super::ideas::{self, Idea, IdeaStatus, json_str};
use super::normalize::normalize_keyword;
use crate::accounts::User;
use crate::error::{AppError, AppResult, FieldError};
use crate::sites::Scope;
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Page, Query, SkCondition, TxError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Queued,
    InProgress,
    Generated,
    Review,
    Published,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Queued => "queued",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Generated => "generated",
            TaskStatus::Review => "review",
            TaskStatus::Published => "published",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// The states a task in this state may move to.
    pub fn allowed_next(self) -> &'static [TaskStatus] {
        use TaskStatus::*;
        match self {
            Queued => &[InProgress, Cancelled],
            InProgress => &[Generated, Queued, Cancelled],
            Generated => &[Review, InProgress, Cancelled],
            Review => &[Published, InProgress, Cancelled],
            Published => &[],
            Cancelled => &[Queued],
        }
    }

    /// `Ok` when `self → to` is allowed; else the 409 naming the allowed states.
    pub fn check_move(self, to: TaskStatus) -> AppResult<()> {
        if self.allowed_next().contains(&to) {
            return Ok(());
        }
        let allowed = match self.allowed_next() {
            [] => format!("none ({} is final)", self.as_str()),
            next => next.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
        };
        Err(AppError::Conflict(format!("a task cannot move from {} to {}; allowed next states: {allowed}", self.as_str(), to.as_str())))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Task {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    pub sector_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub idea_id: Option<String>,
    pub title: String,
    #[serde(default)]
    pub brief: String,
    /// The first is the primary keyword.
    #[serde(default)]
    pub keywords: Vec<String>,
    pub target_word_count: u32,
    #[serde(default)]
    pub tone: Option<String>,
    pub language: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub assignee_id: Option<String>,
    pub status: TaskStatus,
    #[serde(default)]
    pub created_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for Task {
    const ENTITY: &'static str = "Task";
    fn key(&self) -> Key {
        task_key(&Tenant::from_verified(&self.account_id), &self.site_id, &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        let t = Tenant::from_verified(&self.account_id);
        ItemKeys {
            gsi1: Some((tasks_by_status(&t, &self.site_id, self.status), self.id.clone())),
            gsi2: Some((tasks_by_sector(&t, &self.site_id, &self.sector_id), self.id.clone())),
            ttl: None,
        }
    }
}

crate::versioned!(Task);

impl Task {
    /// This task as the cannibalization guard sees it.
    pub fn as_work(&self) -> Work {
        Work {
            kind: WorkKind::Task,
            id: self.id.clone(),
            title: self.title.clone(),
            primary_keyword: self.keywords.first().cloned(),
            origin: self.idea_id.clone(),
        }
    }

    /// The guard's index entries of this task.
    pub fn guard_entries(&self) -> Vec<super::cannibalization::GuardEntry> {
        super::cannibalization::entries(&Tenant::from_verified(&self.account_id), &self.site_id, &self.sector_id, &self.as_work(), None)
    }
}

/// A task by id: table `ACCT#<a>#SITE#<s>` / `TASK#<id>`.
pub fn task_key(t: &Tenant, site_id: &str, id: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("TASK#{id}"))
}

/// GSI1: tasks of a site in one status.
pub fn tasks_by_status(t: &Tenant, site_id: &str, status: TaskStatus) -> String {
    format!("{}#TASKSTATUS#{}", t.site_pk(site_id), status.as_str())
}

/// GSI2: tasks of a sector, in creation order.
pub fn tasks_by_sector(t: &Tenant, site_id: &str, sector_id: &str) -> String {
    format!("{}#SEC#{sector_id}#TASK", t.site_pk(site_id))
}

/// The guard making one task per idea.
pub fn idea_guard(t: &Tenant, site_id: &str, idea_id: &str) -> Key {
    keys::unique_in_site(t, site_id, "IDEATASK", idea_id)
}

/// The guard item: `owner` is the task; it carries `sector_id` so deleting
/// the sector sweeps it with the task.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
struct IdeaTaskGuard {
    account_id: String,
    site_id: String,
    sector_id: String,
    idea_id: String,
    owner: String,
}

impl Item for IdeaTaskGuard {
    const ENTITY: &'static str = "UNIQUE";
    fn key(&self) -> Key {
        idea_guard(&Tenant::from_verified(&self.account_id), &self.site_id, &self.idea_id)
    }
}

// ------------------------------------------------------------------ inputs

/// `null` → `Some(None)` (clear), absent → `None` (keep).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Fields a client may set on a task.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub sector_id: Option<String>,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub brief: Option<String>,
    #[serde(default)]
    pub keywords: Option<Vec<String>>,
    #[serde(default)]
    pub target_word_count: Option<u32>,
    #[serde(default, deserialize_with = "nullable")]
    pub tone: Option<Option<String>>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub due_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub assignee_id: Option<Option<String>>,
    /// Refused: statuses change through the transition endpoint.
    #[serde(default)]
    pub status: Option<serde_json::Value>,
    #[serde(default)]
    pub version: Option<u64>,
}

/// Options of a task made from an idea.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromIdea {
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub tone: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub assignee_id: Option<String>,
}

fn clean_line(field: &str, raw: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let v = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if v.chars().count() > max {
        errors.push(FieldError::new(field, format!("must be at most {max} characters")));
    }
    v
}

fn check_brief(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let b = raw.trim().to_string();
    if b.chars().count() > 20_000 {
        errors.push(FieldError::new("brief", "must be at most 20000 characters"));
    }
    b
}

fn check_keywords(raw: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    if raw.len() > 50 {
        errors.push(FieldError::new("keywords", "holds at most 50 keywords"));
    }
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for (i, k) in raw.iter().enumerate() {
        let k = clean_line(&format!("keywords[{i}]"), k, 200, errors);
        let n = normalize_keyword(&k);
        if !n.is_empty() && !seen.contains(&n) {
            seen.push(n);
            out.push(k);
        }
    }
    out
}

fn check_words(n: u32, errors: &mut Vec<FieldError>) {
    if !(ideas::MIN_WORDS..=ideas::MAX_WORDS).contains(&n) {
        errors.push(FieldError::new("target_word_count", format!("must be from {} to {}", ideas::MIN_WORDS, ideas::MAX_WORDS)));
    }
}

fn check_tone(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let t = raw?.trim();
    if t.is_empty() {
        return None;
    }
    if t.chars().count() > 50 {
        errors.push(FieldError::new("tone", "must be at most 50 characters"));
    }
    Some(t.to_string())
}

/// A language tag such as `en`, `pt-BR` or `zh-Hant` (letters, digits and
/// hyphens, starting with 2–3 letters).
fn check_language(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let l = raw.trim();
    let primary = l.split('-').next().unwrap_or_default();
    let ok = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && l.len() <= 35
        && l.split('-').all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !ok {
        errors.push(FieldError::new("language", "must be a language tag such as en or pt-BR"));
    }
    l.to_string()
}

/// A calendar date `YYYY-MM-DD` (RFC 3339 full-date).
fn check_due_date(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let d = raw.trim();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    if d.len() != 10 || time::Date::parse(d, &format).is_err() {
        errors.push(FieldError::new("due_date", "must be a date YYYY-MM-DD"));
    }
    d.to_string()
}

/// 400 unless `id` is an active user of the account.
async fn check_assignee(state: &AppState, t: &Tenant, id: &str) -> AppResult<()> {
    let user = if crate::ids::is_valid(id) { state.store.get::<User>(&keys::user(t, id)).await? } else { None };
    match user {
        Some(u) if u.is_active => Ok(()),
        _ => Err(AppError::field("assignee_id", "is not an active member of this account")),
    }
}

fn status_refused() -> AppError {
    AppError::field("status", "changes through POST /api/v1/planner/tasks/{id}/transition/ {\"status\": ...}")
}

// ------------------------------------------------------------------ create / get / update / delete

/// Creates a task by hand (status `queued`). Its sector is the cluster's when
/// `cluster_id` is given, else the scope's (`sector_id` required).
pub async fn create(state: &AppState, scope: &Scope, input: TaskInput, created_by: &str) -> AppResult<Task> {
    if input.status.is_some() {
        return Err(status_refused());
    }
    let cluster = match input.cluster_id.as_deref() {
        Some(id) => Some(clusters::get(state, scope, id).await?),
        None => None,
    };
    let sector_id = match (&cluster, &scope.sector) {
        (Some(c), _) => c.sector_id.clone(),
        (None, Some(s)) => s.id.clone(),
        (None, None) => return Err(AppError::field("sector_id", "is required (or give cluster_id)")),
    };
    let mut errors = Vec::new();
    let title = clean_line("title", input.title.as_deref().unwrap_or_default(), 300, &mut errors);
    let brief = check_brief(input.brief.as_deref().unwrap_or_default(), &mut errors);
    let keywords = check_keywords(input.keywords.as_deref().unwrap_or_default(), &mut errors);
    let words = input.target_word_count.unwrap_or(ideas::DEFAULT_WORDS);
    check_words(words, &mut errors);
    let tone = check_tone(input.tone.flatten().as_deref(), &mut errors);
    let language = check_language(input.language.as_deref().unwrap_or("en"), &mut errors);
    let due_date = input.due_date.flatten().map(|d| check_due_date(&d, &mut errors));
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let assignee_id = input.assignee_id.flatten();
    if let Some(a) = &assignee_id {
        check_assignee(state, &scope.tenant, a).await?;
    }
    let now = crate::ids::now_rfc3339();
    let task = Task {
        id: crate::ids::new_id(),
        account_id: scope.tenant.account_id().to_string(),
        site_id: scope.site.id.clone(),
        sector_id,
        cluster_id: cluster.map(|c| c.id),
        idea_id: None,
        title,
        brief,
        keywords,
        target_word_count: words,
        tone,
        language,
        due_date,
        assignee_id,
        status: TaskStatus::Queued,
        created_by: Some(created_by.to_string()),
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    };
    let store = &state.store;
    let mut ops = vec![store.tx_create(&task)?];
    ops.extend(super::cannibalization::tx_reindex(store, &[], &task.guard_entries())?);
    store.transact(ops).await.map_err(AppError::from)?;
    Ok(task)
}

pub async fn get(state: &AppState, scope: &Scope, id: &str) -> AppResult<Task> {
    let task: Task = scope.find(state, "task", id, task_key).await?;
    scope.check_sector(&task.sector_id, "task")?;
    Ok(task)
}

/// Updates the fields given (not the status: see [`transition`]).
pub async fn update(state: &AppState, scope: &Scope, id: &str, input: TaskInput) -> AppResult<Task> {
    if input.status.is_some() {
        return Err(status_refused());
    }
    let mut task = get(state, scope, id).await?;
    if input.version.is_some_and(|v| v != task.version) {
        return Err(AppError::Conflict(format!("the task is at version {}, you edited another; reload and retry", task.version)));
    }
    let mut errors = Vec::new();
    if input.cluster_id.as_ref().is_some_and(|c| Some(c) != task.cluster_id.as_ref()) {
        errors.push(FieldError::new("cluster_id", "cannot be changed"));
    }
    let title = input.title.as_deref().map(|t| clean_line("title", t, 300, &mut errors));
    let brief = input.brief.as_deref().map(|b| check_brief(b, &mut errors));
    let keywords = input.keywords.as_deref().map(|k| check_keywords(k, &mut errors));
    if let Some(w) = input.target_word_count {
        check_words(w, &mut errors);
    }
    let tone = input.tone.map(|t| check_tone(t.as_deref(), &mut errors));
    let language = input.language.as_deref().map(|l| check_language(l, &mut errors));
    let due_date = input.due_date.map(|d| d.map(|d| check_due_date(&d, &mut errors)));
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    if let Some(Some(a)) = &input.assignee_id {
        check_assignee(state, &scope.tenant, a).await?;
    }
    let filed = task.guard_entries();
    task.title = title.unwrap_or(task.title);
    task.brief = brief.unwrap_or(task.brief);
    task.keywords = keywords.unwrap_or(task.keywords);
    task.target_word_count = input.target_word_count.unwrap_or(task.target_word_count);
    task.tone = tone.unwrap_or(task.tone);
    task.language = language.unwrap_or(task.language);
    task.due_date = due_date.unwrap_or(task.due_date);
    task.assignee_id = input.assignee_id.unwrap_or(task.assignee_id);
    task.updated_at = crate::ids::now_rfc3339();
    let entries = task.guard_entries();
    super::cannibalization::save_versioned(state, &mut task, &filed, &entries).await?;
    Ok(task)
}

/// Moves a task to `to` along the status machine (409 naming the allowed
/// states otherwise). `version`, when given, must be the current one.
pub async fn transition(state: &AppState, scope: &Scope, id: &str, to: TaskStatus, version: Option<u64>) -> AppResult<Task> {
    let mut task = get(state, scope, id).await?;
    if version.is_some_and(|v| v != task.version) {
        return Err(AppError::Conflict(format!("the task is at version {}, you moved another; reload and retry", task.version)));
    }
    task.status.check_move(to)?;
    task.status = to;
    task.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut task).await?;
    Ok(task)
}

/// Deletes a task; its idea (if any) goes back to `new` in the same transaction.
pub async fn delete(state: &AppState, scope: &Scope, id: &str) -> AppResult<()> {
    let task = get(state, scope, id).await?;
    let store = &state.store;
    let mut ops = vec![store.tx_delete_versioned(&task.key(), task.version)?];
    ops.extend(super::cannibalization::tx_reindex(store, &task.guard_entries(), &[])?);
    if let Some(idea_id) = &task.idea_id {
        ops.push(store.tx_delete(&idea_guard(&scope.tenant, &task.site_id, idea_id))?);
        let idea: Option<Idea> = store.get(&ideas::idea_key(&scope.tenant, &task.site_id, idea_id)).await?;
        if let Some(mut idea) = idea.filter(|i| i.task_id.as_deref() == Some(task.id.as_str())) {
            idea.task_id = None;
            idea.status = IdeaStatus::New;
            idea.updated_at = crate::ids::now_rfc3339();
            ops.push(store.tx_update_versioned(&mut idea)?);
        }
    }
    store.transact(ops).await.map_err(AppError::from)
}

// ------------------------------------------------------------------ from ideas

/// A task's brief, composed from its idea.
pub fn brief_of(idea: &Idea) -> String {
    let mut b = format!(
        "{} ({}) for {} intent, about {} words.\nPrimary keyword: {}\n",
        json_str(&idea.structure).replace('_', " "),
        json_str(&idea.content_type),
        json_str(&idea.intent),
        idea.target_word_count,
        idea.primary_keyword
    );
    if !idea.secondary_keywords.is_empty() {
        b.push_str(&format!("Secondary keywords: {}\n", idea.secondary_keywords.join(", ")));
    }
    if !idea.outline.is_empty() {
        b.push_str("Outline:\n");
        for s in &idea.outline {
            if s.covers.is_empty() {
                b.push_str(&format!("## {}\n", s.heading));
            } else {
                b.push_str(&format!("## {} — {}\n", s.heading, s.covers));
            }
        }
    }
    b
}

/// Validated options, checked once before any write.
struct Options {
    tone: Option<String>,
    language: String,
    due_date: Option<String>,
    assignee_id: Option<String>,
}

async fn check_options(state: &AppState, t: &Tenant, o: &FromIdea) -> AppResult<Options> {
    let mut errors = Vec::new();
    let tone = check_tone(o.tone.as_deref(), &mut errors);
    let language = check_language(o.language.as_deref().unwrap_or("en"), &mut errors);
    let due_date = o.due_date.as_deref().map(|d| check_due_date(d, &mut errors));
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    if let Some(a) = &o.assignee_id {
        check_assignee(state, t, a).await?;
    }
    Ok(Options { tone, language, due_date, assignee_id: o.assignee_id.clone() })
}

async fn from_idea(state: &AppState, scope: &Scope, idea_id: &str, o: &Options, created_by: &str) -> AppResult<Task> {
    let mut idea = ideas::get(state, scope, idea_id).await?;
    if let Some(task) = &idea.task_id {
        return Err(AppError::Conflict(format!("the idea already has task {task}")));
    }
    if idea.status == IdeaStatus::Archived {
        return Err(AppError::Conflict("the idea is archived; set it back to new first".into()));
    }
    let now = crate::ids::now_rfc3339();
    let task = Task {
        id: crate::ids::new_id(),
        account_id: scope.tenant.account_id().to_string(),
        site_id: idea.site_id.clone(),
        sector_id: idea.sector_id.clone(),
        cluster_id: idea.cluster_id.clone(),
        idea_id: Some(idea.id.clone()),
        title: idea.title.clone(),
        brief: brief_of(&idea),
        keywords: std::iter::once(idea.primary_keyword.clone()).chain(idea.secondary_keywords.iter().cloned()).collect(),
        target_word_count: idea.target_word_count,
        tone: o.tone.clone(),
        language: o.language.clone(),
        due_date: o.due_date.clone(),
        assignee_id: o.assignee_id.clone(),
        status: TaskStatus::Queued,
        created_by: Some(created_by.to_string()),
        created_at: now.clone(),
        updated_at: now.clone(),
        version: 1,
    };
    idea.status = IdeaStatus::Queued;
    idea.task_id = Some(task.id.clone());
    idea.updated_at = now;
    let store = &state.store;
    let guard = IdeaTaskGuard {
        account_id: task.account_id.clone(),
        site_id: idea.site_id.clone(),
        sector_id: idea.sector_id.clone(),
        idea_id: idea.id.clone(),
        owner: task.id.clone(),
    };
    let mut ops = vec![store.tx_create(&task)?, store.tx_create(&guard)?, store.tx_update_versioned(&mut idea)?];
    ops.extend(super::cannibalization::tx_reindex(store, &[], &task.guard_entries())?);
    match store.transact(ops).await {
        Ok(()) => Ok(task),
        Err(TxError::ConditionFailed(_)) => {
            let owner: Option<serde_json::Value> = store.get(&guard.key()).await?;
            Err(match owner.as_ref().and_then(|g| g["owner"].as_str()) {
                Some(other) => AppError::Conflict(format!("the idea already has task {other}")),
                None => AppError::Conflict("the idea was changed meanwhile; reload and retry".into()),
            })
        }
        Err(TxError::Other(e)) => Err(e),
    }
}

/// Makes the task of one idea; 409 when the idea already has one.
pub async fn create_from_idea(state: &AppState, scope: &Scope, idea_id: &str, o: &FromIdea, created_by: &str) -> AppResult<Task> {
    let options = check_options(state, &scope.tenant, o).await?;
    from_idea(state, scope, idea_id, &options, created_by).await
}

/// One idea that got no task, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Skipped {
    pub id: String,
    pub error: String,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct BulkTasks {
    pub created: Vec<Task>,
    pub conflicts: Vec<Skipped>,
    pub not_found: Vec<String>,
}

/// Makes the tasks of several ideas (1–100 ids); each idea is independent.
pub async fn bulk_create_from_ideas(state: &AppState, scope: &Scope, ids: &[String], o: &FromIdea, created_by: &str) -> AppResult<BulkTasks> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(AppError::field("ids", "give from 1 to 100 idea ids"));
    }
    let options = check_options(state, &scope.tenant, o).await?;
    let mut out = BulkTasks::default();
    let mut seen = std::collections::BTreeSet::new();
    for id in ids.iter().filter(|id| seen.insert(id.as_str())) {
        match from_idea(state, scope, id, &options, created_by).await {
            Ok(t) => out.created.push(t),
            Err(AppError::NotFound(_)) => out.not_found.push(id.clone()),
            Err(AppError::Conflict(m)) => out.conflicts.push(Skipped { id: id.clone(), error: m }),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ list

/// List filters (all optional).
#[derive(Debug, Default, Clone)]
pub struct TaskFilter {
    pub status: Option<TaskStatus>,
    pub cluster_id: Option<String>,
    pub assignee_id: Option<String>,
    pub newest_first: bool,
}

pub async fn list(state: &AppState, scope: &Scope, f: &TaskFilter, limit: i32, cursor: Option<String>) -> AppResult<Page<Task>> {
    let t = &scope.tenant;
    let site = &scope.site.id;
    let mut q = match (f.status, &scope.sector) {
        (Some(s), _) => Query::new(t, Index::Gsi1, tasks_by_status(t, site, s)),
        (None, Some(sector)) => Query::new(t, Index::Gsi2, tasks_by_sector(t, site, &sector.id)),
        (None, None) => Query::new(t, Index::Table, t.site_pk(site)).sk(SkCondition::BeginsWith("TASK#".into())),
    };
    if let (Some(_), Some(sector)) = (f.status, &scope.sector) {
        q = q.filter("sector_id = :sector", &[], vec![(":sector", AttributeValue::S(sector.id.clone()))]);
    }
    if let Some(c) = &f.cluster_id {
        q = q.filter("cluster_id = :cluster", &[], vec![(":cluster", AttributeValue::S(c.clone()))]);
    }
    if let Some(a) = &f.assignee_id {
        q = q.filter("assignee_id = :assignee", &[], vec![(":assignee", AttributeValue::S(a.clone()))]);
    }
    state.store.query(&q.limit(limit).cursor(cursor).newest_first(f.newest_first)).await
}

/// Every task of a sector.
pub async fn all_in_sector(state: &AppState, t: &Tenant, site_id: &str, sector_id: &str) -> AppResult<Vec<Task>> {
    let q = Query::new(t, Index::Gsi2, tasks_by_sector(t, site_id, sector_id));
    state.store.query_all(&q, usize::MAX).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskStatus::*;

    #[test]
    fn the_status_machine_allows_exactly_its_table() {
        let all = [Queued, InProgress, Generated, Review, Published, Cancelled];
        let allowed = [
            (Queued, InProgress),
            (Queued, Cancelled),
            (InProgress, Generated),
            (InProgress, Queued),
            (InProgress, Cancelled),
            (Generated, Review),
            (Generated, InProgress),
            (Generated, Cancelled),
            (Review, Published),
            (Review, InProgress),
            (Review, Cancelled),
            (Cancelled, Queued),
        ];
        for from in all {
            for to in all {
                assert_eq!(from.check_move(to).is_ok(), allowed.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
        match Queued.check_move(Published) {
            Err(AppError::Conflict(m)) => assert!(m.ends_with("allowed next states: in_progress, cancelled"), "{m}"),
            other => panic!("{other:?}"),
        }
        match Published.check_move(Queued) {
            Err(AppError::Conflict(m)) => assert!(m.contains("none (published is final)"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dates_languages_and_tones_are_checked() {
        let mut e = Vec::new();
        check_due_date("2025-02-28", &mut e);
        check_language("pt-BR", &mut e);
        check_language("en", &mut e);
        assert_eq!(check_tone(Some("  friendly "), &mut e), Some("friendly".into()));
        assert!(e.is_empty(), "{e:?}");
        for bad in ["2025-02-30", "2025-2-1", "tomorrow", "2025-02-28T10:00:00Z"] {
            let mut e = Vec::new();
            check_due_date(bad, &mut e);
            assert_eq!(e.len(), 1, "{bad}");
        }
        for bad in ["", "e", "english language", "en_US", "12"] {
            let mut e = Vec::new();
            check_language(bad, &mut e);
            assert_eq!(e.len(), 1, "{bad}");
        }
    }

    #[test]
    fn keys_are_in_the_site_partition_and_the_status_index_moves_with_the_status() {
        let t = Tenant::from_verified("A");
        assert_eq!(task_key(&t, "S", "T"), Key::new("ACCT#A#SITE#S", "TASK#T"));
        assert_eq!(tasks_by_status(&t, "S", InProgress), "ACCT#A#SITE#S#TASKSTATUS#in_progress");
        assert_eq!(tasks_by_sector(&t, "S", "X"), "ACCT#A#SITE#S#SEC#X#TASK");
        assert_eq!(idea_guard(&t, "S", "I"), Key::new("ACCT#A#SITE#S", "UNIQ#IDEATASK#I"));
    }
}
