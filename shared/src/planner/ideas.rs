//! Content ideas of a site and sector: what an article will be. The writer
//! builds the article from an idea, so every field is stored: title, content
//! type (`post` / `page` / `product`), structure (`article`, `guide`,
//! `how_to`, `listicle`, `comparison`, `review`, `cluster_hub`), primary and
//! secondary keywords, an H2 outline with what each section covers, target
//! word count (300–10 000) and search intent.
//!
//! Ideas come from the AI function [`GenerateIdeas`] (`generate_ideas`: 3–7
//! ideas for one cluster, as a job) or are written by hand (CRUD). Either way
//! the cannibalization guard ([`super::cannibalization`]) compares a new or
//! retitled idea with the sector's other ideas, tasks and content items and
//! stores a flag on it; the idea is kept (a flag, not a refusal).
//!
//! Status: `new` → `queued` when a task is made from it (the idea then
//! names its `task_id`; deleting that task puts it back to `new`);
//! `archived` by hand (only while it has no task). An idea with a task
//! cannot be deleted (409): delete the task first.
//!
//! # generate_ideas
//!
//! Input `{site_id, cluster_id, count?}` (count 3–7, default 5); the cluster
//! must exist in the caller's site and have at least one keyword; it costs
//! `costs.ideas_per_cluster` credits. The job sends the cluster and its 30
//! biggest keywords with a JSON schema asking for exactly `count` ideas
//! (outline 3–12 sections), validates the answer (3–7 ideas, outline ≥ 3
//! headings, non-empty title and primary keyword, word count in range, known
//! enums; one repair request otherwise) and stores all ideas in one
//! transaction. Idea ids are derived from the job id and the idea's position
//! ([`crate::ids::derived`]), so a redelivered job whose first execution had
//! already saved its ideas finds them (the transaction's create conditions
//! fail) and reports them instead of inserting a second set.
//!
//! # Keys
//!
//! | access pattern | index | PK | SK |
//! |---|---|---|---|
//! | idea by id | table | `ACCT#<a>#SITE#<s>` | `IDEA#<id>` |
//! | ideas of a cluster | GSI1 | `ACCT#<a>#SITE#<s>#CL#<c>#IDEA` | `<id>` |
//! | ideas of a sector | GSI2 | `ACCT#<a>#SITE#<s>#SEC#<x>#IDEA` | `<id>` |

use super::cannibalization::{self, Cannibalization, Work, WorkKind};
use super::clusters::{self, Cluster};
use super::import::Intent;
use super::normalize::normalize_keyword;
use crate::ai::function::{AiFunction, JobCtx, Outcome, Prepared};
use crate::ai::provider::ChatRequest;
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult, FieldError};
use crate::jobs::JobError;
use crate::sites::{Scope, Site};
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Page, Query, SkCondition, TxError};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    Post,
    Page,
    Product,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Structure {
    Article,
    Guide,
    HowTo,
    Listicle,
    Comparison,
    Review,
    ClusterHub,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdeaStatus {
    New,
    /// A task was made from it.
    Queued,
    Archived,
}

pub const CONTENT_TYPES: [&str; 3] = ["post", "page", "product"];
pub const STRUCTURES: [&str; 7] = ["article", "guide", "how_to", "listicle", "comparison", "review", "cluster_hub"];
pub const INTENTS: [&str; 4] = ["informational", "navigational", "commercial", "transactional"];
pub const MIN_WORDS: u32 = 300;
pub const MAX_WORDS: u32 = 10_000;
pub const DEFAULT_WORDS: u32 = 1500;
/// Ideas one `generate_ideas` job produces.
pub const MIN_IDEAS: usize = 3;
pub const MAX_IDEAS: usize = 7;
const MAX_SECTIONS: usize = 20;
const MAX_SECONDARY: usize = 20;

/// One H2 section of an idea's outline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutlineSection {
    pub heading: String,
    /// What the section covers.
    #[serde(default)]
    pub covers: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Idea {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    pub sector_id: String,
    #[serde(default)]
    pub cluster_id: Option<String>,
    pub title: String,
    pub content_type: ContentType,
    pub structure: Structure,
    pub primary_keyword: String,
    #[serde(default)]
    pub secondary_keywords: Vec<String>,
    #[serde(default)]
    pub outline: Vec<OutlineSection>,
    pub target_word_count: u32,
    pub intent: Intent,
    pub status: IdeaStatus,
    /// Set when the guard found competing work in the sector.
    #[serde(default)]
    pub cannibalization: Option<Cannibalization>,
    /// The task made from it.
    #[serde(default)]
    pub task_id: Option<String>,
    /// `manual` or `generate_ideas` (with the job that made it).
    pub source: String,
    #[serde(default)]
    pub job_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for Idea {
    const ENTITY: &'static str = "Idea";
    fn key(&self) -> Key {
        idea_key(&Tenant::from_verified(&self.account_id), &self.site_id, &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        let t = Tenant::from_verified(&self.account_id);
        ItemKeys {
            gsi1: self.cluster_id.as_ref().map(|c| (ideas_by_cluster(&t, &self.site_id, c), self.id.clone())),
            gsi2: Some((ideas_by_sector(&t, &self.site_id, &self.sector_id), self.id.clone())),
            ttl: None,
        }
    }
}

crate::versioned!(Idea);

impl Idea {
    /// This idea as the cannibalization guard sees it.
    pub fn as_work(&self) -> Work {
        Work {
            kind: WorkKind::Idea,
            id: self.id.clone(),
            title: self.title.clone(),
            primary_keyword: Some(self.primary_keyword.clone()),
            origin: None,
        }
    }

    /// The guard's index entries of this idea.
    pub fn guard_entries(&self) -> Vec<cannibalization::GuardEntry> {
        cannibalization::entries(&Tenant::from_verified(&self.account_id), &self.site_id, &self.sector_id, &self.as_work(), self.job_id.as_deref())
    }
}

/// An idea by id: table `ACCT#<a>#SITE#<s>` / `IDEA#<id>`.
pub fn idea_key(t: &Tenant, site_id: &str, id: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("IDEA#{id}"))
}

/// GSI1: ideas of a cluster.
pub fn ideas_by_cluster(t: &Tenant, site_id: &str, cluster_id: &str) -> String {
    format!("{}#CL#{cluster_id}#IDEA", t.site_pk(site_id))
}

/// GSI2: ideas of a sector, in creation order.
pub fn ideas_by_sector(t: &Tenant, site_id: &str, sector_id: &str) -> String {
    format!("{}#SEC#{sector_id}#IDEA", t.site_pk(site_id))
}

// ------------------------------------------------------------------ validation

fn clean_text(field: &str, raw: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let v = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if v.chars().count() > max {
        errors.push(FieldError::new(field, format!("must be at most {max} characters")));
    }
    v
}

/// Trimmed keywords without duplicates (by normalised text) and without `primary`.
fn clean_keywords(field: &str, raw: &[String], primary: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    if raw.len() > MAX_SECONDARY {
        errors.push(FieldError::new(field, format!("holds at most {MAX_SECONDARY} keywords")));
    }
    let mut seen = vec![normalize_keyword(primary)];
    let mut out = Vec::new();
    for (i, k) in raw.iter().enumerate() {
        let k = clean_text(&format!("{field}[{i}]"), k, 200, errors);
        let n = normalize_keyword(&k);
        if !n.is_empty() && !seen.contains(&n) {
            seen.push(n);
            out.push(k);
        }
    }
    out
}

fn clean_outline(field: &str, raw: &[OutlineSection], min: usize, errors: &mut Vec<FieldError>) -> Vec<OutlineSection> {
    if raw.len() < min || raw.len() > MAX_SECTIONS {
        errors.push(FieldError::new(field, format!("must have from {min} to {MAX_SECTIONS} H2 sections")));
    }
    raw.iter()
        .enumerate()
        .map(|(i, s)| OutlineSection {
            heading: clean_text(&format!("{field}[{i}].heading"), &s.heading, 200, errors),
            covers: {
                let c = s.covers.trim().to_string();
                if c.chars().count() > 1000 {
                    errors.push(FieldError::new(format!("{field}[{i}].covers"), "must be at most 1000 characters"));
                }
                c
            },
        })
        .collect()
}

fn check_words(field: &str, n: u32, errors: &mut Vec<FieldError>) {
    if !(MIN_WORDS..=MAX_WORDS).contains(&n) {
        errors.push(FieldError::new(field, format!("must be from {MIN_WORDS} to {MAX_WORDS}")));
    }
}

// ------------------------------------------------------------------ create / update

/// Fields a client may set.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdeaInput {
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub sector_id: Option<String>,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub content_type: Option<ContentType>,
    #[serde(default)]
    pub structure: Option<Structure>,
    #[serde(default)]
    pub primary_keyword: Option<String>,
    #[serde(default)]
    pub secondary_keywords: Option<Vec<String>>,
    #[serde(default)]
    pub outline: Option<Vec<OutlineSection>>,
    #[serde(default)]
    pub target_word_count: Option<u32>,
    #[serde(default)]
    pub intent: Option<Intent>,
    #[serde(default)]
    pub status: Option<IdeaStatus>,
    #[serde(default)]
    pub version: Option<u64>,
}

fn check_status(status: Option<IdeaStatus>, errors: &mut Vec<FieldError>) {
    if status == Some(IdeaStatus::Queued) {
        errors.push(FieldError::new("status", "becomes queued when a task is made from the idea (POST /api/v1/planner/ideas/{id}/create-task/)"));
    }
}

/// Creates an idea by hand. Its sector is the cluster's when `cluster_id` is
/// given, else the scope's (`sector_id` required).
pub async fn create(state: &AppState, scope: &Scope, input: IdeaInput) -> AppResult<Idea> {
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
    let title = clean_text("title", input.title.as_deref().unwrap_or_default(), 300, &mut errors);
    let primary = clean_text("primary_keyword", input.primary_keyword.as_deref().unwrap_or_default(), 200, &mut errors);
    let secondary = clean_keywords("secondary_keywords", input.secondary_keywords.as_deref().unwrap_or_default(), &primary, &mut errors);
    let outline = clean_outline("outline", input.outline.as_deref().unwrap_or_default(), 0, &mut errors);
    let words = input.target_word_count.unwrap_or(DEFAULT_WORDS);
    check_words("target_word_count", words, &mut errors);
    check_status(input.status, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let now = crate::ids::now_rfc3339();
    let mut idea = Idea {
        id: crate::ids::new_id(),
        account_id: scope.tenant.account_id().to_string(),
        site_id: scope.site.id.clone(),
        sector_id,
        cluster_id: cluster.as_ref().map(|c| c.id.clone()),
        title,
        content_type: input.content_type.unwrap_or(ContentType::Post),
        structure: input.structure.unwrap_or(Structure::Article),
        primary_keyword: primary,
        secondary_keywords: secondary,
        outline,
        target_word_count: words,
        intent: input.intent.or(cluster.as_ref().and_then(|c| c.dominant_intent)).unwrap_or(Intent::Informational),
        status: input.status.unwrap_or(IdeaStatus::New),
        cannibalization: None,
        task_id: None,
        source: "manual".into(),
        job_id: None,
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    };
    idea.cannibalization = cannibalization::check(state, &scope.tenant, &idea.site_id, &idea.sector_id, &idea.id, &idea.title, &idea.primary_keyword).await?;
    let store = &state.store;
    let mut ops = vec![store.tx_create(&idea)?];
    ops.extend(cannibalization::tx_reindex(store, &[], &idea.guard_entries())?);
    store.transact(ops).await.map_err(AppError::from)?;
    Ok(idea)
}

pub async fn get(state: &AppState, scope: &Scope, id: &str) -> AppResult<Idea> {
    let idea: Idea = scope.find(state, "idea", id, idea_key).await?;
    scope.check_sector(&idea.sector_id, "idea")?;
    Ok(idea)
}

/// Updates the fields given; a new title or primary keyword re-runs the guard.
pub async fn update(state: &AppState, scope: &Scope, id: &str, input: IdeaInput) -> AppResult<Idea> {
    let mut idea = get(state, scope, id).await?;
    if input.version.is_some_and(|v| v != idea.version) {
        return Err(AppError::Conflict(format!("the idea is at version {}, you edited another; reload and retry", idea.version)));
    }
    let mut errors = Vec::new();
    if input.cluster_id.as_ref().is_some_and(|c| Some(c) != idea.cluster_id.as_ref()) {
        errors.push(FieldError::new("cluster_id", "cannot be changed; create the idea in the other cluster instead"));
    }
    let title = input.title.as_deref().map(|t| clean_text("title", t, 300, &mut errors));
    let primary = input.primary_keyword.as_deref().map(|k| clean_text("primary_keyword", k, 200, &mut errors));
    let primary_for_dedup = primary.clone().unwrap_or_else(|| idea.primary_keyword.clone());
    let secondary = input.secondary_keywords.as_deref().map(|k| clean_keywords("secondary_keywords", k, &primary_for_dedup, &mut errors));
    let outline = input.outline.as_deref().map(|o| clean_outline("outline", o, 0, &mut errors));
    if let Some(w) = input.target_word_count {
        check_words("target_word_count", w, &mut errors);
    }
    check_status(input.status, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    if let (Some(s), Some(task)) = (input.status, &idea.task_id)
        && s != idea.status
    {
        return Err(AppError::Conflict(format!("the idea has task {task}; its status follows the task (delete the task to change it)")));
    }
    let recheck = title.as_ref().is_some_and(|t| *t != idea.title) || primary.as_ref().is_some_and(|p| *p != idea.primary_keyword);
    let filed = idea.guard_entries();
    idea.title = title.unwrap_or(idea.title);
    idea.primary_keyword = primary.unwrap_or(idea.primary_keyword);
    idea.secondary_keywords = secondary.unwrap_or(idea.secondary_keywords);
    idea.outline = outline.unwrap_or(idea.outline);
    idea.target_word_count = input.target_word_count.unwrap_or(idea.target_word_count);
    idea.content_type = input.content_type.unwrap_or(idea.content_type);
    idea.structure = input.structure.unwrap_or(idea.structure);
    idea.intent = input.intent.unwrap_or(idea.intent);
    idea.status = input.status.unwrap_or(idea.status);
    if recheck {
        idea.cannibalization = cannibalization::check(state, &scope.tenant, &idea.site_id, &idea.sector_id, &idea.id, &idea.title, &idea.primary_keyword).await?;
    }
    idea.updated_at = crate::ids::now_rfc3339();
    let entries = idea.guard_entries();
    cannibalization::save_versioned(state, &mut idea, &filed, &entries).await?;
    Ok(idea)
}

/// Deletes an idea that has no task (409 otherwise).
pub async fn delete(state: &AppState, scope: &Scope, id: &str) -> AppResult<()> {
    let idea = get(state, scope, id).await?;
    if let Some(task) = &idea.task_id {
        return Err(AppError::Conflict(format!("the idea has task {task}; delete the task first")));
    }
    let store = &state.store;
    let mut ops = vec![store.tx_delete_versioned(&idea.key(), idea.version)?];
    ops.extend(cannibalization::tx_reindex(store, &idea.guard_entries(), &[])?);
    store.transact(ops).await.map_err(AppError::from)
}

// ------------------------------------------------------------------ list

/// List filters (all optional).
#[derive(Debug, Default, Clone)]
pub struct IdeaFilter {
    pub cluster_id: Option<String>,
    pub status: Option<IdeaStatus>,
    pub structure: Option<Structure>,
    pub newest_first: bool,
}

pub async fn list(state: &AppState, scope: &Scope, f: &IdeaFilter, limit: i32, cursor: Option<String>) -> AppResult<Page<Idea>> {
    let t = &scope.tenant;
    let mut q = match (&f.cluster_id, &scope.sector) {
        (Some(c), _) => Query::new(t, Index::Gsi1, ideas_by_cluster(t, &scope.site.id, c)),
        (None, Some(sector)) => Query::new(t, Index::Gsi2, ideas_by_sector(t, &scope.site.id, &sector.id)),
        (None, None) => Query::new(t, Index::Table, t.site_pk(&scope.site.id)).sk(SkCondition::BeginsWith("IDEA#".into())),
    };
    if let (Some(_), Some(sector)) = (&f.cluster_id, &scope.sector) {
        q = q.filter("sector_id = :sector", &[], vec![(":sector", AttributeValue::S(sector.id.clone()))]);
    }
    if let Some(s) = f.status {
        q = q.filter("#st = :st", &[("#st", "status")], vec![(":st", AttributeValue::S(json_str(&s)))]);
    }
    if let Some(s) = f.structure {
        q = q.filter("#structure = :structure", &[("#structure", "structure")], vec![(":structure", AttributeValue::S(json_str(&s)))]);
    }
    state.store.query(&q.limit(limit).cursor(cursor).newest_first(f.newest_first)).await
}

pub(crate) fn json_str<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}


// ------------------------------------------------------------------ generate_ideas

/// The AI function `generate_ideas`.
pub struct GenerateIdeas;

/// What a client sends (the HTTP layer adds `cluster_id` from the path).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateIdeasInput {
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub cluster_id: Option<String>,
    /// Ideas wanted, 3–7 (default 5).
    #[serde(default)]
    #[schema(minimum = 3, maximum = 7)]
    pub count: Option<i64>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// One idea as the model answers it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct GeneratedIdea {
    pub title: String,
    pub content_type: ContentType,
    pub structure: Structure,
    pub primary_keyword: String,
    pub secondary_keywords: Vec<String>,
    pub intent: Intent,
    pub target_word_count: u32,
    pub outline: Vec<OutlineSection>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct GeneratedIdeas {
    pub ideas: Vec<GeneratedIdea>,
}

/// The answer's JSON schema (OpenAI strict mode: every property required,
/// no additional properties).
pub fn schema(count: usize) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["ideas"],
        "properties": {
            "ideas": {
                "type": "array",
                "minItems": count,
                "maxItems": count,
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["title", "content_type", "structure", "primary_keyword", "secondary_keywords", "intent", "target_word_count", "outline"],
                    "properties": {
                        "title": {"type": "string"},
                        "content_type": {"type": "string", "enum": CONTENT_TYPES},
                        "structure": {"type": "string", "enum": STRUCTURES},
                        "primary_keyword": {"type": "string"},
                        "secondary_keywords": {"type": "array", "minItems": 0, "maxItems": 8, "items": {"type": "string"}},
                        "intent": {"type": "string", "enum": INTENTS},
                        "target_word_count": {"type": "integer", "minimum": MIN_WORDS, "maximum": MAX_WORDS},
                        "outline": {
                            "type": "array",
                            "minItems": 3,
                            "maxItems": 12,
                            "items": {
                                "type": "object",
                                "additionalProperties": false,
                                "required": ["heading", "covers"],
                                "properties": {"heading": {"type": "string"}, "covers": {"type": "string"}}
                            }
                        }
                    }
                }
            }
        }
    })
}

/// Validates and cleans a model answer; the error lists every problem.
pub fn check_generated(out: &GeneratedIdeas) -> Result<Vec<GeneratedIdea>, String> {
    let mut errors = Vec::new();
    if !(MIN_IDEAS..=MAX_IDEAS).contains(&out.ideas.len()) {
        errors.push(FieldError::new("ideas", format!("must hold from {MIN_IDEAS} to {MAX_IDEAS} ideas, not {}", out.ideas.len())));
    }
    let cleaned: Vec<GeneratedIdea> = out
        .ideas
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let at = |f: &str| format!("ideas[{i}].{f}");
            let primary = clean_text(&at("primary_keyword"), &g.primary_keyword, 200, &mut errors);
            check_words(&at("target_word_count"), g.target_word_count, &mut errors);
            GeneratedIdea {
                title: clean_text(&at("title"), &g.title, 300, &mut errors),
                secondary_keywords: clean_keywords(&at("secondary_keywords"), &g.secondary_keywords, &primary, &mut errors),
                outline: clean_outline(&at("outline"), &g.outline, 3, &mut errors),
                primary_keyword: primary,
                ..g.clone()
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(cleaned)
    } else {
        Err(errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
    }
}

fn prompt(site: &Site, cluster: &Cluster, keywords: &[super::keywords::KeywordBrief], existing: &[Idea], count: usize) -> ChatRequest {
    let system = format!(
        "You are an SEO content strategist. Propose content ideas that together cover one keyword cluster without competing with \
         each other. Each idea has a title, a content type ({}), a structure ({}), one primary keyword taken from the cluster, \
         secondary keywords, the search intent, a target word count ({MIN_WORDS}-{MAX_WORDS}) and an outline of at least three H2 \
         sections saying what each covers. Answer with JSON only.",
        CONTENT_TYPES.join(", "),
        STRUCTURES.join(", ")
    );
    let mut user = format!("Site: {}\nCluster: {}\n", site.name, cluster.name);
    if !cluster.description.is_empty() {
        user.push_str(&format!("About the cluster: {}\n", cluster.description));
    }
    if let Some(i) = cluster.dominant_intent {
        user.push_str(&format!("Dominant intent: {}\n", json_str(&i)));
    }
    user.push_str("Keywords (monthly volume):\n");
    for k in keywords {
        user.push_str(&format!("- {} ({})\n", k.keyword, k.volume.map_or("unknown".to_string(), |v| v.to_string())));
    }
    if !existing.is_empty() {
        user.push_str("Ideas that already exist (do not repeat them):\n");
        for i in existing.iter().take(20) {
            user.push_str(&format!("- {} [{}]\n", i.title, i.primary_keyword));
        }
    }
    user.push_str(&format!("Give exactly {count} ideas, each with a different primary keyword."));
    ChatRequest { system, user, json_schema: Some(("content_ideas".into(), schema(count))), max_tokens: Some(4000), temperature: Some(0.7) }
}

impl AiFunction for GenerateIdeas {
    fn name(&self) -> &'static str {
        "generate_ideas"
    }

    fn description(&self) -> &'static str {
        "proposes 3-7 content ideas (title, type, structure, keywords, H2 outline, word count, intent) for a keyword cluster"
    }

    fn prepare<'a>(&'a self, state: &'a AppState, p: &'a Principal, input: Value) -> BoxFuture<'a, AppResult<Prepared>> {
        Box::pin(async move {
            let input: GenerateIdeasInput = serde_json::from_value(input).map_err(|e| AppError::validation(e.to_string()))?;
            let site_id = input.site_id.as_deref().ok_or_else(|| AppError::field("site_id", "is required"))?;
            let cluster_id = input.cluster_id.as_deref().ok_or_else(|| AppError::field("cluster_id", "is required"))?;
            let count = match input.count {
                None => 5,
                Some(n) if (MIN_IDEAS as i64..=MAX_IDEAS as i64).contains(&n) => n as usize,
                Some(_) => return Err(AppError::field("count", format!("must be from {MIN_IDEAS} to {MAX_IDEAS}"))),
            };
            let scope = crate::sites::scope(state, p, site_id, None).await?;
            let cluster = clusters::get(state, &scope, cluster_id).await?;
            let members = clusters::member_briefs(state, &scope.tenant, &cluster.site_id, &cluster.id).await?;
            if members.is_empty() {
                return Err(AppError::field("cluster_id", "the cluster has no keywords; add keywords before generating ideas"));
            }
            Ok(Prepared {
                input: json!({"site_id": site_id, "cluster_id": cluster.id, "count": count}),
                estimate: state.config.costs.ideas_per_cluster,
                preview: json!({"cluster_id": cluster.id, "cluster": cluster.name, "keywords": members.len(), "ideas": count}),
            })
        })
    }

    fn execute<'a>(&'a self, ctx: &'a JobCtx) -> BoxFuture<'a, Result<Outcome, JobError>> {
        Box::pin(async move {
            let gone = JobError::from;
            let input = &ctx.job.input;
            let s = |k: &str| input[k].as_str().map(str::to_string).ok_or_else(|| JobError::Permanent(format!("job input lacks {k}")));
            let (site_id, cluster_id) = (s("site_id")?, s("cluster_id")?);
            let count = input["count"].as_u64().map_or(5, |c| c as usize).clamp(MIN_IDEAS, MAX_IDEAS);
            let (state, t) = (&ctx.state, ctx.tenant());

            ctx.progress("Processing", 20).await;
            let site: Site = state
                .store
                .get::<Site>(&keys::site(&t, &site_id))
                .await
                .map_err(gone)?
                .filter(|s| s.deleting.is_none())
                .ok_or_else(|| JobError::Permanent("the site was deleted".into()))?;
            let scope = Scope { tenant: t.clone(), site, sector: None };
            let cluster = clusters::get(state, &scope, &cluster_id).await.map_err(gone)?;
            let mut members = clusters::member_briefs(state, &t, &cluster.site_id, &cluster.id).await.map_err(gone)?;
            if members.is_empty() {
                return Err(JobError::Permanent("the cluster has no keywords".into()));
            }
            members.sort_by(|a, b| b.volume.unwrap_or(0).cmp(&a.volume.unwrap_or(0)).then_with(|| a.keyword.cmp(&b.keyword)));
            members.truncate(30);
            let ids: Vec<String> = (0..MAX_IDEAS).map(|i| crate::ids::derived(&ctx.job.id, &format!("idea-{i}"))).collect();
            let of_cluster = Query::new(&t, Index::Gsi1, ideas_by_cluster(&t, &site_id, &cluster.id));
            let existing: Vec<Idea> = state.store.query_all::<Idea>(&of_cluster, 500).await.map_err(gone)?;
            let (mine, others): (Vec<Idea>, Vec<Idea>) = existing.into_iter().partition(|i| i.job_id.as_deref() == Some(ctx.job.id.as_str()));
            if !mine.is_empty() {
                // A redelivery after the ideas were saved: make sure their index entries are, and report them.
                let entries: Vec<cannibalization::GuardEntry> = mine.iter().flat_map(Idea::guard_entries).collect();
                state.store.batch_put(&entries).await.map_err(gone)?;
                return Ok(outcome(ctx, &cluster, &mine));
            }

            ctx.progress("AI Analysis", 40).await;
            let answer: GeneratedIdeas = ctx.ask_json(prompt(&scope.site, &cluster, &members, &others, count), |o: &GeneratedIdeas| check_generated(o).map(|_| ())).await?;
            let generated = check_generated(&answer).map_err(JobError::Permanent)?;

            ctx.progress("Saving", 80).await;
            // Each idea is checked against the sector's index and against the ideas before it in this answer.
            let mut batch: Vec<cannibalization::Work> = Vec::new();
            let now = crate::ids::now_rfc3339();
            let mut ideas = Vec::with_capacity(generated.len());
            for (g, id) in generated.into_iter().zip(ids) {
                let mut idea = Idea {
                    id,
                    account_id: t.account_id().to_string(),
                    site_id: site_id.clone(),
                    sector_id: cluster.sector_id.clone(),
                    cluster_id: Some(cluster.id.clone()),
                    title: g.title,
                    content_type: g.content_type,
                    structure: g.structure,
                    primary_keyword: g.primary_keyword,
                    secondary_keywords: g.secondary_keywords,
                    outline: g.outline,
                    target_word_count: g.target_word_count,
                    intent: g.intent,
                    status: IdeaStatus::New,
                    cannibalization: None,
                    task_id: None,
                    source: "generate_ideas".into(),
                    job_id: Some(ctx.job.id.clone()),
                    created_at: now.clone(),
                    updated_at: now.clone(),
                    version: 1,
                };
                let mut works = cannibalization::candidates(state, &t, &site_id, &idea.sector_id, &idea.title, &idea.primary_keyword, Some(&ctx.job.id))
                    .await
                    .map_err(gone)?;
                works.extend(batch.iter().cloned());
                idea.cannibalization = cannibalization::find_conflict(&idea.id, &idea.title, &idea.primary_keyword, &works);
                batch.push(idea.as_work());
                ideas.push(idea);
            }
            let store = &state.store;
            let mut ops = ideas.iter().map(|i| store.tx_create(i)).collect::<AppResult<Vec<_>>>().map_err(gone)?;
            // The ideas' index entries go in the same transaction when they fit
            // (they nearly always do: ≤ 22 per idea); otherwise they are written
            // right after, and again by a redelivery (below), so none is missing
            // once the job has completed.
            let entries: Vec<cannibalization::GuardEntry> = ideas.iter().flat_map(Idea::guard_entries).collect();
            let together = ops.len() + entries.len() <= 100;
            if together {
                ops.extend(cannibalization::tx_reindex(store, &[], &entries).map_err(gone)?);
            }
            match store.transact(ops).await {
                Ok(()) => {}
                Err(TxError::ConditionFailed(_)) => {
                    // Saved by an earlier execution of this job: report what is stored.
                    let stored: Vec<Idea> = store.query_all::<Idea>(&of_cluster, 500).await.map_err(gone)?;
                    let mine: Vec<Idea> = stored.into_iter().filter(|i| i.job_id.as_deref() == Some(ctx.job.id.as_str())).collect();
                    if mine.is_empty() {
                        return Err(JobError::Retryable("the ideas could not be saved (conflict); retrying".into()));
                    }
                    let entries: Vec<cannibalization::GuardEntry> = mine.iter().flat_map(Idea::guard_entries).collect();
                    store.batch_put(&entries).await.map_err(gone)?;
                    return Ok(outcome(ctx, &cluster, &mine));
                }
                Err(TxError::Other(e)) => return Err(gone(e)),
            }
            if !together {
                store.batch_put(&entries).await.map_err(gone)?;
            }
            Ok(outcome(ctx, &cluster, &ideas))
        })
    }
}

fn outcome(ctx: &JobCtx, cluster: &Cluster, ideas: &[Idea]) -> Outcome {
    let (_, provider, model) = ctx.usage();
    let flagged = ideas.iter().filter(|i| i.cannibalization.is_some()).count();
    Outcome {
        result: json!({
            "cluster_id": cluster.id,
            "site_id": cluster.site_id,
            "created": ideas.len(),
            "flagged": flagged,
            "ideas": ideas.iter().map(|i| json!({"id": i.id, "title": i.title, "cannibalization": i.cannibalization})).collect::<Vec<_>>(),
            "provider": provider,
            "model": model,
        }),
        actual_cost: ctx.job.credits_estimate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::offline::OfflineChat;

    fn sections(n: usize) -> Vec<OutlineSection> {
        (0..n).map(|i| OutlineSection { heading: format!("Section {i}"), covers: "what it covers".into() }).collect()
    }

    fn generated(n: usize) -> GeneratedIdeas {
        GeneratedIdeas {
            ideas: (0..n)
                .map(|i| GeneratedIdea {
                    title: format!("  Idea   number {i} "),
                    content_type: ContentType::Post,
                    structure: Structure::HowTo,
                    primary_keyword: format!("keyword {i}"),
                    secondary_keywords: vec![format!("Keyword {i}"), "other".into(), "OTHER ".into()],
                    intent: Intent::Informational,
                    target_word_count: 1200,
                    outline: sections(3),
                })
                .collect(),
        }
    }

    #[test]
    fn a_good_answer_is_cleaned_and_a_bad_one_names_each_problem() {
        let ok = check_generated(&generated(3)).expect("valid");
        assert_eq!(ok[0].title, "Idea number 0");
        assert_eq!(ok[0].secondary_keywords, vec!["other"], "the primary keyword and duplicates are dropped");
        assert!(check_generated(&generated(2)).unwrap_err().contains("from 3 to 7"));
        assert!(check_generated(&generated(8)).is_err());
        let mut bad = generated(3);
        bad.ideas[1].outline = sections(2);
        bad.ideas[2].primary_keyword = "  ".into();
        bad.ideas[0].target_word_count = 50;
        let e = check_generated(&bad).unwrap_err();
        for part in ["ideas[1].outline", "ideas[2].primary_keyword", "ideas[0].target_word_count"] {
            assert!(e.contains(part), "{part} in {e}");
        }
    }

    #[test]
    fn the_offline_provider_answers_the_schema_with_ideas_that_pass_the_check() {
        for count in [3, 5, 7] {
            let req = ChatRequest {
                system: "strategist".into(),
                user: "Cluster: trail running shoes\n- trail running shoes (9000)\n- waterproof trail shoes (800)".into(),
                json_schema: Some(("content_ideas".into(), schema(count))),
                max_tokens: None,
                temperature: None,
            };
            let answer = OfflineChat::answer(&req);
            let parsed: GeneratedIdeas = serde_json::from_str(&answer.content).expect("parses");
            let ideas = check_generated(&parsed).unwrap_or_else(|e| panic!("{e}: {}", answer.content));
            assert_eq!(ideas.len(), count);
        }
    }

    #[test]
    fn keys_are_in_the_site_partition() {
        let t = Tenant::from_verified("A");
        assert_eq!(idea_key(&t, "S", "I"), Key::new("ACCT#A#SITE#S", "IDEA#I"));
        assert_eq!(ideas_by_cluster(&t, "S", "C"), "ACCT#A#SITE#S#CL#C#IDEA");
        assert_eq!(ideas_by_sector(&t, "S", "X"), "ACCT#A#SITE#S#SEC#X#IDEA");
    }
}
