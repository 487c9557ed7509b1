//! Content items of a site: articles with a sanitised HTML body, SEO fields,
//! a status (`draft → review → approved → published`, any move allowed), the
//! planner items they came from, and the AI provider/model/tokens that wrote
//! them. Every save of the title or body makes a [`ContentVersion`] in the
//! same transaction as the content item (both or neither).
//!
//! * **Two counters.** `version` is the optimistic lock, bumped by every
//!   write; an edit must name the `version` it was made on, so a stale edit is
//!   a 409 `CONFLICT` and nothing is ever silently overwritten.
//!   `current_version` is the number of the newest [`ContentVersion`]
//!   (1 on creation, +1 per version).
//! * **When a version is made.** On creation; on every save whose title or
//!   (sanitised) body differs from the stored one; and on every save whose
//!   source is `generate`, `regenerate` or `restore`, even when the text is
//!   unchanged. Saves of other fields only (status, meta, keywords) bump
//!   `version` and make none.
//! * **Body.** Always [`html::sanitize`]d before it is stored or compared;
//!   `word_count` is recomputed from it. Title, excerpt, meta title, meta
//!   description and keywords are plain text (markup in them is reduced to
//!   its text, so `<script>` in a title leaves nothing behind);
//!   meta title ≤ 60 and meta description ≤ 160 characters, else 400.
//! * **Slug.** Lower-case ASCII words joined by hyphens, unique per site via a
//!   guard item (`UNIQ#SLUG#<slug>` in the site partition) written in the same
//!   transaction. Derived from the title when not given (`-2`, `-3`, ... on a
//!   clash); a slug given explicitly that is taken is a 409. Changing the
//!   title later keeps the slug (published URLs stay put).
//! * **Clearing.** For `task_id`, `cluster_id`, `idea_id`,
//!   `featured_image_id` and `focus_keyword`, an empty string clears the
//!   field on update.
//! * **Deletion** removes the content and its slug guard in one transaction,
//!   then its versions.
//!
//! The HTTP-facing functions take a verified [`Scope`]; [`create_content`]
//! and [`save_body`] take a tenant and site id, for the generation job.

use super::html::{self, plain};
use super::versions::{self, ContentVersion, VersionSource};
use crate::ai::provider::TokenUsage;
use crate::error::{AppError, AppResult, FieldError};
use crate::sites::Scope;
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Page, Query, SkCondition, TxError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentStatus {
    Draft,
    Review,
    Approved,
    Published,
}

impl ContentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentStatus::Draft => "draft",
            ContentStatus::Review => "review",
            ContentStatus::Approved => "approved",
            ContentStatus::Published => "published",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Content {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    #[serde(default)]
    pub sector_id: Option<String>,
    #[serde(default)]
    pub task_id: Option<String>,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub idea_id: Option<String>,
    pub title: String,
    /// [`html::match_form`] of the title, for case-insensitive search.
    pub normalized_title: String,
    pub slug: String,
    pub body_html: String,
    #[serde(default)]
    pub excerpt: String,
    #[serde(default)]
    pub meta_title: String,
    #[serde(default)]
    pub meta_description: String,
    #[serde(default)]
    pub focus_keyword: Option<String>,
    #[serde(default)]
    pub secondary_keywords: Vec<String>,
    pub word_count: u32,
    pub language: String,
    pub status: ContentStatus,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub tokens: Option<TokenUsage>,
    #[serde(default)]
    pub featured_image_id: Option<String>,
    /// Where the item is published (WordPress): set by the publish worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication: Option<Publication>,
    /// Number of the newest [`ContentVersion`].
    pub current_version: u64,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// Optimistic lock.
    pub version: u64,
}

/// A content item without its body, as lists return it (read straight from
/// the stored item; the body is not copied).
/// A content item's post on its site's WordPress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Publication {
    pub integration_id: String,
    /// The WordPress post id.
    pub external_id: u64,
    pub external_url: String,
    /// WordPress's status of the post (`publish`, `draft`, `future`).
    pub wp_status: String,
    /// When it was first published (or first sent, for a draft).
    pub published_at: String,
    /// When it was last sent.
    pub updated_at: String,
    /// The content version that was sent (a later local version is an
    /// unpublished edit: a change pulled from WordPress then conflicts).
    #[serde(default)]
    pub content_version: u64,
    /// When WordPress last modified the post as we saw it (`modified_gmt`).
    #[serde(default)]
    pub wp_modified_gmt: Option<String>,
    /// Set when WordPress changed the post while this item had an
    /// unpublished local edit: the number of the (not current) version
    /// holding WordPress's text. Cleared by the next publish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict_version: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContentSummary {
    pub id: String,
    pub site_id: String,
    #[serde(default)]
    pub sector_id: Option<String>,
    #[serde(default)]
    pub task_id: Option<String>,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub idea_id: Option<String>,
    pub title: String,
    pub slug: String,
    #[serde(default)]
    pub excerpt: String,
    #[serde(default)]
    pub meta_title: String,
    #[serde(default)]
    pub meta_description: String,
    #[serde(default)]
    pub focus_keyword: Option<String>,
    #[serde(default)]
    pub secondary_keywords: Vec<String>,
    pub word_count: u32,
    pub language: String,
    pub status: ContentStatus,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub featured_image_id: Option<String>,
    /// Where the item is published (WordPress): set by the publish worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication: Option<Publication>,
    pub current_version: u64,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for Content {
    const ENTITY: &'static str = "Content";
    fn key(&self) -> Key {
        content_key(&Tenant::from_verified(&self.account_id), &self.site_id, &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        let t = Tenant::from_verified(&self.account_id);
        ItemKeys {
            gsi1: Some((content_by_status(&t, &self.site_id, self.status), self.id.clone())),
            gsi2: self.task_id.as_ref().map(|task| (content_by_task(&t, &self.site_id, task), self.id.clone())),
            ttl: None,
        }
    }
}

crate::versioned!(Content);

impl Content {
    /// The cannibalization guard's index entries of this item (none without a sector).
    pub fn guard_entries(&self) -> Vec<crate::planner::cannibalization::GuardEntry> {
        use crate::planner::cannibalization::{self as guard, Work, WorkKind};
        let Some(sector) = self.sector_id.as_deref() else { return Vec::new() };
        let work = Work {
            kind: WorkKind::Content,
            id: self.id.clone(),
            title: self.title.clone(),
            primary_keyword: self.focus_keyword.clone(),
            origin: self.idea_id.clone(),
        };
        guard::entries(&Tenant::from_verified(&self.account_id), &self.site_id, sector, &work, None)
    }
}

/// A content item by id: table `ACCT#<a>#SITE#<s>` / `CONT#<id>`.
pub fn content_key(t: &Tenant, site_id: &str, id: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("{CONTENT_PREFIX}{id}"))
}

/// Sort-key prefix of content items in the site partition.
pub const CONTENT_PREFIX: &str = "CONT#";

/// GSI1: content of a site by status (`ACCT#<a>#SITE#<s>#CONTSTATUS#<status>` / `<id>`).
pub fn content_by_status(t: &Tenant, site_id: &str, status: ContentStatus) -> String {
    format!("{}#CONTSTATUS#{}", t.site_pk(site_id), status.as_str())
}

/// GSI2: content written for a task (`ACCT#<a>#SITE#<s>#TASK#<task>#CONT` / `<id>`).
pub fn content_by_task(t: &Tenant, site_id: &str, task_id: &str) -> String {
    format!("{}#TASK#{task_id}#CONT", t.site_pk(site_id))
}

/// The guard making a slug unique in its site.
pub fn slug_guard(t: &Tenant, site_id: &str, slug: &str) -> Key {
    keys::unique_in_site(t, site_id, "SLUG", slug)
}

// ------------------------------------------------------------------ limits

pub const TITLE_MAX: usize = 300;
pub const SLUG_MAX: usize = 100;
pub const EXCERPT_MAX: usize = 1000;
pub const KEYWORD_MAX: usize = 200;
pub const SECONDARY_KEYWORDS_MAX: usize = 20;
pub const NOTE_MAX: usize = 2000;
/// Largest sanitised body, in bytes: content and version items each stay
/// well under DynamoDB's 400 KB item limit.
pub const BODY_MAX_BYTES: usize = 200_000;

// ------------------------------------------------------------------ input

/// Fields a client may set. The `#[serde(skip)]` fields are for service
/// callers (generation) only: a client sending them gets a 400.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentInput {
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub sector_id: Option<String>,
    #[serde(default)]
    pub task_id: Option<String>,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub idea_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub body_html: Option<String>,
    #[serde(default)]
    pub excerpt: Option<String>,
    #[serde(default)]
    pub meta_title: Option<String>,
    #[serde(default)]
    pub meta_description: Option<String>,
    #[serde(default)]
    pub focus_keyword: Option<String>,
    #[serde(default)]
    pub secondary_keywords: Option<Vec<String>>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub status: Option<ContentStatus>,
    #[serde(default)]
    pub featured_image_id: Option<String>,
    /// Recorded on the version this save makes.
    #[serde(default)]
    pub note: Option<String>,
    /// The `version` the edit was made on (required by the edit endpoint).
    #[serde(default)]
    pub version: Option<u64>,
    /// Service callers: the id of a new item (a derived id makes a job's
    /// create idempotent: a second create with it is a 409).
    #[serde(skip)]
    pub id: Option<String>,
    /// Service callers: who generated the text.
    #[serde(skip)]
    pub ai: Option<AiMeta>,
}

/// The provider, model and token usage of a generation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AiMeta {
    pub provider: String,
    pub model: String,
    pub tokens: TokenUsage,
}

/// Who saves and why; recorded on the version the save makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub source: VersionSource,
    /// A user id, or `job:<job id>` for generation.
    pub actor: String,
}

impl Origin {
    pub fn new(source: VersionSource, actor: impl Into<String>) -> Self {
        Self { source, actor: actor.into() }
    }
}


fn check_len(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let n = value.chars().count();
    if n > max {
        errors.push(FieldError::new(field, format!("must be at most {max} characters (it has {n})")));
    }
}

/// An optional id field: `None` untouched, `Some(None)` cleared (empty string), `Some(Some(id))` set.
fn check_id(errors: &mut Vec<FieldError>, field: &str, value: Option<&str>) -> Option<Option<String>> {
    let v = value?.trim();
    if v.is_empty() {
        return Some(None);
    }
    if !crate::ids::is_valid(v) {
        errors.push(FieldError::new(field, "must be an id"));
        return None;
    }
    Some(Some(v.to_string()))
}

fn check_title(errors: &mut Vec<FieldError>, title: Option<&str>) -> Option<String> {
    let t = plain(title?);
    if t.is_empty() {
        errors.push(FieldError::new("title", "must not be empty"));
        return None;
    }
    check_len(errors, "title", &t, TITLE_MAX);
    Some(t)
}

fn check_language(errors: &mut Vec<FieldError>, lang: &str) {
    let mut parts = lang.split('-');
    let primary_ok = parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_lowercase()));
    let rest_ok = parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok || lang.len() > 35 {
        errors.push(FieldError::new("language", "must be a language tag such as en, de or pt-BR"));
    }
}

/// True for a well-formed slug: lower-case ASCII letters and digits in
/// words joined by single hyphens, at most [`SLUG_MAX`] characters.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty() && s.len() <= SLUG_MAX && s.split('-').all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

/// The slug of a title: accents dropped (é → e), lower case, every other
/// run of characters one hyphen, at most 80 characters cut between words;
/// `content` when nothing is left.
pub fn slugify(title: &str) -> String {
    let ascii: String = title.nfkd().filter(char::is_ascii).collect::<String>().to_ascii_lowercase();
    let mut slug = String::new();
    for word in ascii.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if !slug.is_empty() && slug.len() + 1 + word.len() > 80 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word[..word.len().min(80)]);
    }
    if slug.is_empty() { "content".into() } else { slug }
}

/// Applies `input` to `c` (a new or stored item), validating every field.
/// Returns whether the title or body changed.
async fn apply(state: &AppState, t: &Tenant, c: &mut Content, input: ContentInput) -> AppResult<bool> {
    let mut errors = Vec::new();
    let title = check_title(&mut errors, input.title.as_deref());
    let slug = input.slug.as_deref().map(str::trim).map(|s| {
        if !is_slug(s) {
            errors.push(FieldError::new("slug", format!("must be lower-case letters and digits joined by hyphens, at most {SLUG_MAX} characters")));
        }
        s.to_string()
    });
    let body = input.body_html.as_deref().map(html::sanitize);
    if let Some(b) = &body
        && b.len() > BODY_MAX_BYTES
    {
        errors.push(FieldError::new("body_html", format!("is {} bytes after sanitising; the limit is {BODY_MAX_BYTES}", b.len())));
    }
    let excerpt = input.excerpt.as_deref().map(plain);
    if let Some(e) = &excerpt {
        check_len(&mut errors, "excerpt", e, EXCERPT_MAX);
    }
    let meta_title = input.meta_title.as_deref().map(plain);
    if let Some(m) = &meta_title {
        check_len(&mut errors, "meta_title", m, html::META_TITLE_MAX);
    }
    let meta_description = input.meta_description.as_deref().map(plain);
    if let Some(m) = &meta_description {
        check_len(&mut errors, "meta_description", m, html::META_DESCRIPTION_MAX);
    }
    let focus = input.focus_keyword.as_deref().map(plain).map(|k| {
        check_len(&mut errors, "focus_keyword", &k, KEYWORD_MAX);
        (!k.is_empty()).then_some(k)
    });
    let secondary = input.secondary_keywords.as_ref().map(|list| {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for k in list.iter().map(|k| plain(k)).filter(|k| !k.is_empty()) {
            check_len(&mut errors, "secondary_keywords", &k, KEYWORD_MAX);
            if seen.insert(html::match_form(&k)) {
                out.push(k);
            }
        }
        if out.len() > SECONDARY_KEYWORDS_MAX {
            errors.push(FieldError::new("secondary_keywords", format!("holds at most {SECONDARY_KEYWORDS_MAX} keywords")));
        }
        out
    });
    let language = input.language.as_deref().map(str::trim).map(|l| {
        check_language(&mut errors, l);
        l.to_string()
    });
    let task = check_id(&mut errors, "task_id", input.task_id.as_deref());
    let cluster = check_id(&mut errors, "cluster_id", input.cluster_id.as_deref());
    let idea = check_id(&mut errors, "idea_id", input.idea_id.as_deref());
    let image = check_id(&mut errors, "featured_image_id", input.featured_image_id.as_deref());
    if let Some(n) = &input.note {
        check_len(&mut errors, "note", n, NOTE_MAX);
    }
    if let Some(Some(cl)) = &cluster
        && c.cluster_id.as_ref() != Some(cl)
        && errors.is_empty()
    {
        let key = crate::planner::clusters::cluster_key(t, &c.site_id, cl);
        if state.store.get::<serde_json::Value>(&key).await?.is_none() {
            errors.push(FieldError::new("cluster_id", "no cluster with this id in the site"));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let text_changed = title.as_ref().is_some_and(|t| *t != c.title) || body.as_ref().is_some_and(|b| *b != c.body_html);
    if let Some(title) = title {
        c.normalized_title = html::match_form(&title).trim().to_string();
        c.title = title;
    }
    if let Some(slug) = slug {
        c.slug = slug;
    }
    if let Some(body) = body {
        c.word_count = html::word_count(&body);
        c.body_html = body;
    }
    if let Some(e) = excerpt {
        c.excerpt = e;
    }
    if let Some(m) = meta_title {
        c.meta_title = m;
    }
    if let Some(m) = meta_description {
        c.meta_description = m;
    }
    if let Some(f) = focus {
        c.focus_keyword = f;
    }
    if let Some(s) = secondary {
        c.secondary_keywords = s;
    }
    if let Some(l) = language {
        c.language = l;
    }
    if let Some(s) = input.status {
        c.status = s;
    }
    for (field, value) in [(&mut c.task_id, task), (&mut c.cluster_id, cluster), (&mut c.idea_id, idea), (&mut c.featured_image_id, image)] {
        if let Some(v) = value {
            *field = v;
        }
    }
    if let Some(ai) = input.ai {
        c.provider = Some(ai.provider);
        c.model = Some(ai.model);
        c.tokens = Some(ai.tokens);
    }
    Ok(text_changed)
}

fn version_of(c: &Content, origin: &Origin, note: Option<String>) -> ContentVersion {
    ContentVersion {
        account_id: c.account_id.clone(),
        site_id: c.site_id.clone(),
        sector_id: c.sector_id.clone(),
        content_id: c.id.clone(),
        number: c.current_version,
        title: c.title.clone(),
        body_html: c.body_html.clone(),
        word_count: c.word_count,
        source: origin.source,
        note: note.filter(|n| !n.trim().is_empty()),
        created_by: origin.actor.clone(),
        created_at: c.updated_at.clone(),
        status: super::versions::VersionStatus::Saved,
    }
}

// ------------------------------------------------------------------ create

/// Creates a content item and its version 1 (source from `origin`, e.g.
/// `create` by hand or `generate` by a job). `title` is required. Used by
/// the create endpoint and by generation.
pub async fn create_content(
    state: &AppState,
    t: &Tenant,
    site_id: &str,
    sector_id: Option<&str>,
    mut input: ContentInput,
    origin: Origin,
) -> AppResult<Content> {
    if input.title.is_none() {
        return Err(AppError::field("title", "is required"));
    }
    let id = match input.id.take() {
        Some(id) if !crate::ids::is_valid(&id) => return Err(AppError::internal("create_content: the given id is not a ULID")),
        Some(id) if state.store.get::<serde_json::Value>(&content_key(t, site_id, &id)).await?.is_some() => {
            return Err(AppError::Conflict(format!("content {id} already exists")));
        }
        Some(id) => id,
        None => crate::ids::new_id(),
    };
    let note = input.note.clone();
    let explicit_slug = input.slug.is_some();
    let now = crate::ids::now_rfc3339();
    let mut c = Content {
        id,
        account_id: t.account_id().to_string(),
        site_id: site_id.to_string(),
        sector_id: sector_id.map(str::to_string),
        task_id: None,
        cluster_id: None,
        idea_id: None,
        title: String::new(),
        normalized_title: String::new(),
        slug: String::new(),
        body_html: String::new(),
        excerpt: String::new(),
        meta_title: String::new(),
        meta_description: String::new(),
        focus_keyword: None,
        secondary_keywords: Vec::new(),
        word_count: 0,
        language: "en".into(),
        status: ContentStatus::Draft,
        provider: None,
        model: None,
        tokens: None,
        featured_image_id: None,
        publication: None,
        current_version: 1,
        created_by: origin.actor.clone(),
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    };
    apply(state, t, &mut c, input).await?;
    let base = if explicit_slug { c.slug.clone() } else { slugify(&c.title) };
    let store = &state.store;
    for n in 1..=20 {
        c.slug = if n == 1 { base.clone() } else { suffixed(&base, n) };
        if store.get::<serde_json::Value>(&slug_guard(t, site_id, &c.slug)).await?.is_some() {
            if explicit_slug {
                return Err(slug_taken(&c.slug));
            }
            continue;
        }
        let v = version_of(&c, &origin, note.clone());
        let mut ops = vec![store.tx_create(&c)?, store.tx_create(&v)?, store.tx_guard(&slug_guard(t, site_id, &c.slug), &c.id)?];
        ops.extend(crate::planner::cannibalization::tx_reindex(store, &[], &c.guard_entries())?);
        match store.transact(ops).await {
            Ok(()) => return Ok(c),
            Err(TxError::ConditionFailed(_)) => {
                if store.get::<serde_json::Value>(&c.key()).await?.is_some() {
                    return Err(AppError::Conflict(format!("content {} already exists", c.id)));
                }
                if explicit_slug {
                    return Err(slug_taken(&c.slug));
                }
            }
            Err(TxError::Other(e)) => return Err(e),
        }
    }
    Err(AppError::Conflict(format!("could not find a free slug for {base:?}; give one explicitly")))
}

fn suffixed(base: &str, n: u32) -> String {
    let suffix = format!("-{n}");
    let mut b = base[..base.len().min(SLUG_MAX - suffix.len())].trim_end_matches('-').to_string();
    b.push_str(&suffix);
    b
}

fn slug_taken(slug: &str) -> AppError {
    AppError::Conflict(format!("the site already has content with the slug {slug:?}"))
}

/// Creates content from the create endpoint: version 1 with source `create`.
pub async fn create(state: &AppState, scope: &Scope, input: ContentInput, actor: &str) -> AppResult<Content> {
    let sector = scope.sector.as_ref().map(|s| s.id.as_str());
    create_content(state, &scope.tenant, &scope.site.id, sector, input, Origin::new(VersionSource::Create, actor)).await
}

// ------------------------------------------------------------------ read

/// A content item of a site (404 for unknown, malformed or foreign ids).
pub async fn get_content(state: &AppState, t: &Tenant, site_id: &str, id: &str) -> AppResult<Content> {
    if !crate::ids::is_valid(id) {
        return Err(AppError::not_found("content"));
    }
    state.store.get(&content_key(t, site_id, id)).await?.ok_or_else(|| AppError::not_found("content"))
}

pub async fn get(state: &AppState, scope: &Scope, id: &str) -> AppResult<Content> {
    get_content(state, &scope.tenant, &scope.site.id, id).await
}

// ------------------------------------------------------------------ save

/// Saves a change to a content item: validates and sanitises `input`,
/// recounts words, and writes the item — plus a new version when the title
/// or body changed or `origin.source` is `generate`/`regenerate`/`restore`
/// — in one transaction conditional on the item's version.
///
/// `expected_version`: the `version` the change was made on; a different
/// stored version is a 409 `CONFLICT`. `None` saves over whatever is stored
/// now (still atomically: a concurrent write in between is a 409).
///
/// This is what generation calls to store a (re)generated body: set
/// `input.title`/`body_html` (and `excerpt`, `meta_title`,
/// `meta_description`, `ai`, `note` as wanted).
pub async fn save_body(
    state: &AppState,
    t: &Tenant,
    site_id: &str,
    content_id: &str,
    expected_version: Option<u64>,
    input: ContentInput,
    origin: Origin,
) -> AppResult<Content> {
    let before = get_content(state, t, site_id, content_id).await?;
    if let Some(v) = expected_version
        && v != before.version
    {
        return Err(stale(&before, v));
    }
    if input.sector_id.as_deref().is_some_and(|s| Some(s) != before.sector_id.as_deref()) {
        return Err(AppError::field("sector_id", "cannot be changed"));
    }
    let note = input.note.clone();
    let mut after = before.clone();
    let text_changed = apply(state, t, &mut after, input).await?;
    after.updated_at = crate::ids::now_rfc3339();
    let store = &state.store;
    let makes_version = text_changed || origin.source != VersionSource::Edit;
    if makes_version {
        // Numbers also count versions that were never current (AI results
        // kept beside a person's edit), so take the highest one there is.
        let last = super::versions::last_number(state, t, site_id, content_id).await?;
        after.current_version = before.current_version.max(last) + 1;
    }
    let slug_changed = after.slug != before.slug;
    if slug_changed && store.get::<serde_json::Value>(&slug_guard(t, site_id, &after.slug)).await?.is_some() {
        return Err(slug_taken(&after.slug));
    }
    let mut ops = Vec::new();
    if makes_version {
        ops.push(store.tx_create(&version_of(&after, &origin, note))?);
    }
    if slug_changed {
        ops.push(store.tx_delete(&slug_guard(t, site_id, &before.slug))?);
        ops.push(store.tx_guard(&slug_guard(t, site_id, &after.slug), &after.id)?);
    }
    ops.extend(crate::planner::cannibalization::tx_reindex(store, &before.guard_entries(), &after.guard_entries())?);
    ops.push(store.tx_update_versioned(&mut after)?);
    match store.transact(ops).await {
        Ok(()) => Ok(after),
        Err(TxError::ConditionFailed(_)) => match store.get::<Content>(&before.key()).await? {
            None => Err(AppError::not_found("content")),
            Some(now) if now.version != before.version => Err(stale(&now, before.version)),
            Some(_) if slug_changed => Err(slug_taken(&after.slug)),
            Some(_) => Err(AppError::Conflict("the content is being changed concurrently; reload and retry".into())),
        },
        Err(TxError::Other(e)) => Err(e),
    }
}

/// Keeps an AI result that came back after the content changed under it as
/// a version that is not current (status `conflict`): the content item, and
/// so the person's edit, is left exactly as it is. Returns the version's number.
pub async fn save_conflict_version(state: &AppState, t: &Tenant, site_id: &str, content_id: &str, input: ContentInput, origin: Origin) -> AppResult<u64> {
    let current = get_content(state, t, site_id, content_id).await?;
    let note = input.note.clone();
    let mut result = current.clone();
    apply(state, t, &mut result, input).await?;
    result.updated_at = crate::ids::now_rfc3339();
    for _ in 0..5 {
        let last = super::versions::last_number(state, t, site_id, content_id).await?;
        result.current_version = current.current_version.max(last) + 1;
        let mut v = version_of(&result, &origin, note.clone());
        v.status = super::versions::VersionStatus::Conflict;
        match state.store.create(&v).await {
            Ok(()) => return Ok(v.number),
            Err(AppError::Conflict(_)) => continue, // the number was taken meanwhile
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Conflict("the content's versions are changing too fast; retry".into()))
}

fn stale(current: &Content, seen: u64) -> AppError {
    AppError::Conflict(format!(
        "the content was changed since version {seen} (it is at version {}); reload it and apply your edit again",
        current.version
    ))
}

/// The edit endpoint: `input.version` is required (the version the client
/// saw); a body or title change makes a version with source `edit`.
pub async fn update(state: &AppState, scope: &Scope, id: &str, input: ContentInput, actor: &str) -> AppResult<Content> {
    let Some(expected) = input.version else {
        // Still 404 first for an id that is not there.
        get(state, scope, id).await?;
        return Err(AppError::field("version", "is required: send the version of the content you edited"));
    };
    save_body(state, &scope.tenant, &scope.site.id, id, Some(expected), input, Origin::new(VersionSource::Edit, actor)).await
}

// ------------------------------------------------------------------ delete

/// Deletes a content item with everything of it, children first: its images
/// (objects, then items) and image prompts, its versions, then the item and
/// its slug guard together. An interrupted delete leaves the item in place
/// to delete again; an edit that lands meanwhile (a new version) fails the
/// item's version check, and its children are swept again. Returns the
/// children removed.
pub async fn delete(state: &AppState, scope: &Scope, id: &str) -> AppResult<usize> {
    let mut c = get(state, scope, id).await?;
    let store = &state.store;
    let t = &scope.tenant;
    let mut removed = 0;
    for _ in 0..3 {
        removed += super::images::sweep_content(state, t, &c.site_id, &c.id).await?;
        removed += store.batch_delete(&versions::all_keys(state, t, &c.site_id, &c.id).await?).await?;
        let mut ops = vec![store.tx_delete_versioned(&c.key(), c.version)?, store.tx_delete(&slug_guard(t, &c.site_id, &c.slug))?];
        ops.extend(crate::planner::cannibalization::tx_reindex(store, &c.guard_entries(), &[])?);
        match store.transact(ops).await {
            Ok(()) => return Ok(removed),
            Err(TxError::ConditionFailed(_)) => c = get(state, scope, id).await?,
            Err(TxError::Other(e)) => return Err(e),
        }
    }
    Err(AppError::Conflict("the content kept changing while deleting it; reload and retry".into()))
}

// ------------------------------------------------------------------ list

/// List filters (all optional).
#[derive(Debug, Default, Clone)]
pub struct ContentFilter {
    pub status: Option<ContentStatus>,
    pub task_id: Option<String>,
    pub cluster_id: Option<String>,
    /// Words in the title (case-insensitive, whole-word prefix match not required).
    pub search: Option<String>,
    pub newest_first: bool,
}

/// Content of the scope's site (and sector, when given), without bodies.
/// Status lists read GSI1, task lists GSI2, others the site partition.
pub async fn list(state: &AppState, scope: &Scope, f: &ContentFilter, limit: i32, cursor: Option<String>) -> AppResult<Page<ContentSummary>> {
    let t = &scope.tenant;
    let site = &scope.site.id;
    let s = |v: &str| AttributeValue::S(v.to_string());
    let mut q = match (&f.task_id, f.status) {
        (Some(task), _) => Query::new(t, Index::Gsi2, content_by_task(t, site, task)),
        (None, Some(st)) => Query::new(t, Index::Gsi1, content_by_status(t, site, st)),
        (None, None) => Query::new(t, Index::Table, t.site_pk(site)).sk(SkCondition::BeginsWith(CONTENT_PREFIX.into())),
    };
    if let (Some(_), Some(st)) = (&f.task_id, f.status) {
        q = q.filter("#st = :st", &[("#st", "status")], vec![(":st", s(st.as_str()))]);
    }
    if let Some(c) = &f.cluster_id {
        q = q.filter("cluster_id = :cluster", &[], vec![(":cluster", s(c))]);
    }
    if let Some(sector) = &scope.sector {
        q = q.filter("sector_id = :sector", &[], vec![(":sector", s(&sector.id))]);
    }
    if let Some(search) = f.search.as_deref().map(|x| html::match_form(x).trim().to_string()).filter(|x| !x.is_empty()) {
        q = q.filter("contains(normalized_title, :search)", &[], vec![(":search", s(&search))]);
    }
    state.store.query(&q.limit(limit).cursor(cursor).newest_first(f.newest_first)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ascii_words_joined_by_hyphens() {
        assert_eq!(slugify("Best Running Shoes (2025)!"), "best-running-shoes-2025");
        assert_eq!(slugify("Café & Crème brûlée"), "cafe-creme-brulee");
        assert_eq!(slugify("  --  "), "content");
        assert_eq!(slugify("日本語"), "content");
        let long = slugify(&"word ".repeat(40));
        assert!(long.len() <= 80 && is_slug(&long), "{long}");
        assert!(is_slug("a-b-2") && !is_slug("A-b") && !is_slug("a--b") && !is_slug("-a") && !is_slug("a b") && !is_slug(""));
        assert_eq!(suffixed("abc", 2), "abc-2");
        let s = suffixed(&"a".repeat(SLUG_MAX), 12);
        assert!(s.len() <= SLUG_MAX && s.ends_with("-12") && is_slug(&s), "{s}");
    }

    #[test]
    fn keys_live_in_the_site_partition() {
        let t = Tenant::from_verified("A");
        assert_eq!(content_key(&t, "S", "C"), Key::new("ACCT#A#SITE#S", "CONT#C"));
        assert_eq!(content_by_status(&t, "S", ContentStatus::Review), "ACCT#A#SITE#S#CONTSTATUS#review");
        assert_eq!(content_by_task(&t, "S", "T"), "ACCT#A#SITE#S#TASK#T#CONT");
        assert_eq!(slug_guard(&t, "S", "x"), Key::new("ACCT#A#SITE#S", "UNIQ#SLUG#x"));
    }

    #[test]
    fn the_status_serialises_as_its_name() {
        for s in [ContentStatus::Draft, ContentStatus::Review, ContentStatus::Approved, ContentStatus::Published] {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::Value::String(s.as_str().into()));
        }
    }

    #[test]
    fn clients_cannot_set_service_fields() {
        assert!(serde_json::from_value::<ContentInput>(serde_json::json!({"title": "x", "id": "y"})).is_err());
        assert!(serde_json::from_value::<ContentInput>(serde_json::json!({"title": "x", "ai": {}})).is_err());
        assert!(serde_json::from_value::<ContentInput>(serde_json::json!({"title": "x", "provider": "p"})).is_err());
    }
}
