//! Publishing a content item to its site's WordPress: a job on the publish
//! queue, run by the publish worker.
//!
//! - The post: title, body (the writer's sanitised HTML), excerpt, slug,
//!   status, categories and tags by name (created when missing), the
//!   `igny8_content_id` meta (registered by the companion plugin), and the
//!   SEO title, description and focus keyword in Yoast's or Rank Math's
//!   meta keys when the last connection test detected one.
//! - Republish updates, never duplicates: a published item updates its post;
//!   a redelivered message after a crash between "post created" and "id
//!   recorded" finds the post by its `igny8_content_id` meta (companion
//!   plugin) or by slug before creating one.
//! - WordPress refusing the credentials (401/403) marks the integration
//!   `needs_attention` and fails the job; 429/5xx/timeouts are retried,
//!   waiting out a short `Retry-After` in place and a long one in the queue.

use super::outbound::{OutboundError, Response};
use super::synclog::{self, Entry};
use super::wordpress::{Client, seo_keys};
use super::{Integration, PLATFORM_WORDPRESS};
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult, FieldError};
use crate::jobs::{Job, JobError};
use crate::state::AppState;
use crate::store::Item;
use crate::store::keys::{self, Tenant};
use crate::writer::content::{Content, ContentStatus, Publication};
use crate::writer::image_prompts::ImageKind;
use crate::writer::images::{Image, images_of_content};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

/// The job kind (the publish worker's registry; its messages go to the publish queue).
pub const PUBLISH_JOB: &str = "wordpress_publish";

/// Longest `Retry-After` waited out inside one delivery; longer ones go back to the queue.
const MAX_INLINE_WAIT_SECS: u64 = 10;
/// Attempts of one request inside a delivery (429/5xx/timeouts).
const REQUEST_ATTEMPTS: u32 = 3;

/// `POST …/{id}/publish/`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    pub content_id: String,
    /// `publish`, `draft` (default: the integration's default status) or
    /// `future` (with `date`: published at that minute by a one-time
    /// EventBridge Scheduler schedule, not by WP-cron).
    #[serde(default)]
    pub status: Option<String>,
    /// With `future`: a local date-time read in the site's time zone
    /// (`2026-12-03T09:00`) or an instant with an offset (`…Z`). A past
    /// minute is a 400 (`VALIDATION_ERROR` on `date`).
    #[serde(default)]
    pub date: Option<String>,
    /// Category names (created when missing); default: the integration's default category.
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    /// Tag names (created when missing).
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// What the job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishJob {
    pub integration_id: String,
    pub site_id: String,
    pub content_id: String,
    pub status: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    /// The scheduled publish this job runs (its minute come).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<String>,
}

pub(crate) fn names(errors: &mut Vec<FieldError>, field: &str, v: Option<Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in v.unwrap_or_default() {
        let n = n.split_whitespace().collect::<Vec<_>>().join(" ");
        if n.is_empty() || n.chars().count() > 200 {
            errors.push(FieldError::new(field, "names must be 1-200 characters"));
        } else if !out.iter().any(|o| o.eq_ignore_ascii_case(&n)) {
            out.push(n);
        }
    }
    if out.len() > 20 {
        errors.push(FieldError::new(field, "at most 20"));
    }
    out
}

/// The integration, if it may publish: WordPress, not needing attention.
pub(crate) async fn ready(state: &AppState, p: &Principal, integration_id: &str) -> AppResult<Integration> {
    let integration = super::get(state, p, integration_id).await?;
    if integration.platform != PLATFORM_WORDPRESS {
        return Err(AppError::validation("only WordPress integrations publish"));
    }
    if integration.status == "needs_attention" {
        return Err(AppError::Conflict(format!(
            "the integration needs attention ({}): fix it and run a connection test before publishing",
            integration.status_reason.as_deref().unwrap_or("credentials refused")
        )));
    }
    Ok(integration)
}

/// Validates a publish request and queues the job (202); `future` schedules it instead.
pub async fn submit(state: &AppState, p: &Principal, integration_id: &str, input: PublishInput) -> AppResult<Job> {
    let mut errors = Vec::new();
    let status = input.status.clone();
    if let Some(s) = status.as_deref()
        && !matches!(s, "publish" | "draft" | "future")
    {
        errors.push(FieldError::new("status", "must be publish, draft or future"));
    }
    let future = status.as_deref() == Some("future");
    if future && input.date.is_none() {
        errors.push(FieldError::new("date", "is required with status future"));
    } else if !future && input.date.is_some() {
        errors.push(FieldError::new("date", "is only for status future"));
    }
    if !crate::ids::is_valid(&input.content_id) {
        errors.push(FieldError::new("content_id", "must be an id"));
    }
    let categories = names(&mut errors, "categories", input.categories.clone());
    let tags = names(&mut errors, "tags", input.tags.clone());
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let integration = ready(state, p, integration_id).await?;
    let categories = if categories.is_empty() { integration.default_category.iter().cloned().collect() } else { categories };
    if future {
        return super::scheduled::schedule_future(state, p, &integration, &input.content_id, input.date.as_deref(), categories, tags).await;
    }
    let tenant = p.tenant();
    let content = crate::writer::content::get_content(state, &tenant, &integration.site_id, &input.content_id).await?;
    if content.body_html.trim().is_empty() {
        return Err(AppError::field("content_id", "the content has no body yet"));
    }
    let job_input = PublishJob {
        integration_id: integration.id.clone(),
        site_id: integration.site_id.clone(),
        content_id: content.id.clone(),
        status: status.unwrap_or_else(|| integration.default_status.clone()),
        categories,
        tags,
        scheduled_id: None,
        publish_at: None,
    };
    let mut job = Job::new(&tenant, PUBLISH_JOB, serde_json::to_value(&job_input).map_err(AppError::internal)?);
    job.created_by = Some(p.user_id.clone());
    state.store.create(&job).await?;
    crate::jobs::send(state, &job).await?;
    Ok(job)
}

/// How a WordPress answer turns into a job outcome.
fn classify(what: &str, r: &Response) -> JobError {
    let code = r.json().and_then(|j| j["code"].as_str().map(str::to_string)).unwrap_or_default();
    match r.status {
        429 | 500..=599 => JobError::Retryable(format!("{what}: WordPress answered HTTP {} {code}", r.status)),
        _ => JobError::Permanent(format!("{what}: WordPress answered HTTP {} {code}", r.status)),
    }
}

/// Credentials refused: the integration needs attention (publishing stops).
async fn refused(state: &AppState, integration: &Integration, what: &str, r: &Response) -> JobError {
    let code = r.json().and_then(|j| j["code"].as_str().map(str::to_string)).unwrap_or_default();
    let reason = format!("WordPress refused the credentials while publishing ({what}: HTTP {} {code})", r.status);
    let r2 = reason.clone();
    if let Err(e) = super::record_state(state, integration.clone(), move |i| {
        i.status = "needs_attention".into();
        i.status_reason = Some(r2.clone());
    })
    .await
    {
        tracing::warn!(error = ?e, "could not mark the integration");
    }
    JobError::Permanent(reason)
}

/// Sends a request, retrying 429/5xx/timeouts a few times with backoff
/// honouring a short `Retry-After`.
async fn call(state: &AppState, integration: &Integration, client: &Client, what: &str, req: impl Fn() -> super::outbound::Request) -> Result<Response, JobError> {
    let mut last = None;
    for attempt in 0..REQUEST_ATTEMPTS {
        match client.send(req()).await {
            Ok(r) if r.status == 401 || r.status == 403 => return Err(refused(state, integration, what, &r).await),
            Ok(r) if r.status == 429 || r.status >= 500 => {
                let wait = r.retry_after().unwrap_or(1 << attempt);
                let err = classify(what, &r);
                if wait > MAX_INLINE_WAIT_SECS || attempt + 1 == REQUEST_ATTEMPTS {
                    return Err(err);
                }
                tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
                last = Some(err);
            }
            Ok(r) => return Ok(r),
            Err(e) if e.is_transient() && attempt + 1 < REQUEST_ATTEMPTS => {
                tokio::time::sleep(std::time::Duration::from_secs(1 << attempt)).await;
                last = Some(JobError::Retryable(format!("{what}: {e}")));
            }
            Err(e @ (OutboundError::Forbidden { .. } | OutboundError::BadUrl(_) | OutboundError::Redirect(_) | OutboundError::TooLarge(_))) => {
                return Err(JobError::Permanent(format!("{what}: {e}")));
            }
            Err(e) => return Err(JobError::Retryable(format!("{what}: {e}"))),
        }
    }
    Err(last.unwrap_or_else(|| JobError::Retryable(format!("{what}: no answer"))))
}

/// A category's or tag's WordPress id, cached per integration and name (so a
/// publish does not search WordPress for every name every time); a sync
/// imports every category and tag of the site into the same items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WpTerm {
    pub account_id: String,
    pub site_id: String,
    pub integration_id: String,
    /// `categories` or `tags`.
    pub taxonomy: String,
    pub name: String,
    pub term_id: u64,
    #[serde(default)]
    pub slug: Option<String>,
    /// Posts using it (as the last sync saw it).
    #[serde(default)]
    pub count: Option<u64>,
    pub updated_at: String,
}

/// The content item a WordPress post stands for (written when the post is
/// recorded; a sync compares these with WordPress's posts to find deletions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WpPostLink {
    pub account_id: String,
    pub integration_id: String,
    pub site_id: String,
    pub post_id: u64,
    pub content_id: String,
    pub created_at: String,
}

impl Item for WpPostLink {
    const ENTITY: &'static str = "WpPostLink";
    fn key(&self) -> keys::Key {
        keys::wp_post_link(&Tenant::from_verified(&self.account_id), &self.integration_id, self.post_id)
    }
}

impl Item for WpTerm {
    const ENTITY: &'static str = "WpTerm";
    fn key(&self) -> keys::Key {
        keys::wp_term(&Tenant::from_verified(&self.account_id), &self.site_id, &self.integration_id, &self.taxonomy, &self.name)
    }
}

/// The term id of a category or tag by name: the cached one, else looked up
/// (created when missing) and cached.
async fn term_id(state: &AppState, integration: &Integration, client: &Client, taxonomy: &str, name: &str) -> Result<u64, JobError> {
    let tenant = Tenant::from_verified(&integration.account_id);
    let key = keys::wp_term(&tenant, &integration.site_id, &integration.id, taxonomy, name);
    if let Some(t) = state.store.get::<WpTerm>(&key).await? {
        return Ok(t.term_id);
    }
    let id = lookup_term(state, integration, client, taxonomy, name).await?;
    let item = WpTerm {
        account_id: integration.account_id.clone(),
        site_id: integration.site_id.clone(),
        integration_id: integration.id.clone(),
        taxonomy: taxonomy.to_string(),
        name: name.to_string(),
        term_id: id,
        slug: None,
        count: None,
        updated_at: crate::ids::now_rfc3339(),
    };
    state.store.put(&item).await?;
    Ok(id)
}

/// Forgets a cached term id (WordPress no longer has it).
async fn forget_term(state: &AppState, integration: &Integration, taxonomy: &str, name: &str) -> Result<(), JobError> {
    let tenant = Tenant::from_verified(&integration.account_id);
    state.store.delete(&keys::wp_term(&tenant, &integration.site_id, &integration.id, taxonomy, name)).await?;
    Ok(())
}

/// Whether WordPress refused the post for an invalid category or tag id.
fn refuses_terms(r: &Response) -> bool {
    let Some(j) = r.json() else { return false };
    let code = j["code"].as_str().unwrap_or_default();
    let params = j.pointer("/data/params").and_then(Value::as_object);
    code.contains("term") || (code == "rest_invalid_param" && params.is_some_and(|p| p.contains_key("categories") || p.contains_key("tags")))
}

/// Forgets the cached ids of these names and looks them up again.
async fn refresh_terms(state: &AppState, integration: &Integration, client: &Client, taxonomy: &str, names: &[String]) -> Result<Vec<u64>, JobError> {
    let mut ids = Vec::new();
    for name in names {
        forget_term(state, integration, taxonomy, name).await?;
        ids.push(term_id(state, integration, client, taxonomy, name).await?);
    }
    Ok(ids)
}

/// Looks a term up by name in WordPress, creating it when missing.
async fn lookup_term(state: &AppState, integration: &Integration, client: &Client, taxonomy: &str, name: &str) -> Result<u64, JobError> {
    let route = format!("/wp/v2/{taxonomy}");
    let q = format!("search={}&per_page=100&context=edit", urlencode(name));
    let r = call(state, integration, client, "look up a term", || client.request(http::Method::GET, &route, &q)).await?;
    if r.status != 200 {
        return Err(classify("look up a term", &r));
    }
    let decoded = |v: &Value| v["name"].as_str().map(|n| n.replace("&amp;", "&")).unwrap_or_default();
    if let Some(t) = r.json().and_then(|j| j.as_array().cloned()).unwrap_or_default().iter().find(|t| decoded(t).eq_ignore_ascii_case(name)) {
        return t["id"].as_u64().ok_or_else(|| JobError::Permanent("a term without id".into()));
    }
    let body = json!({"name": name});
    let r = call(state, integration, client, "create a term", || client.request(http::Method::POST, &route, "").json(&body)).await?;
    match r.status {
        200 | 201 => r.json().and_then(|j| j["id"].as_u64()).ok_or_else(|| JobError::Permanent("created term without id".into())),
        // Created meanwhile (another publish): WordPress names it.
        400 => r
            .json()
            .and_then(|j| j.pointer("/data/term_id").and_then(Value::as_u64))
            .ok_or_else(|| classify("create a term", &r)),
        _ => Err(classify("create a term", &r)),
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The post this content item already has: the recorded one, else one
/// carrying its `igny8_content_id` meta (companion plugin), else one with
/// its slug whose meta is unset or ours.
async fn existing_post(state: &AppState, integration: &Integration, client: &Client, content: &Content) -> Result<Option<u64>, JobError> {
    if let Some(p) = content.publication.as_ref().filter(|p| p.integration_id == integration.id) {
        return Ok(Some(p.external_id));
    }
    let found = |r: &Response| -> Option<u64> {
        r.json()?.as_array()?.iter().find(|p| {
            let meta = p.pointer("/meta/igny8_content_id").and_then(Value::as_str).unwrap_or("");
            meta.is_empty() || meta == content.id
        })?["id"]
            .as_u64()
    };
    let q = format!("igny8_content_id={}&status=any&context=edit&per_page=5", content.id);
    let r = call(state, integration, client, "find the post by meta", || client.request(http::Method::GET, "/wp/v2/posts", &q)).await?;
    if r.status == 200 {
        // Without the companion plugin the parameter is ignored and every post
        // comes back: only a post whose meta names this item counts.
        let by_meta = r.json().and_then(|j| {
            j.as_array()?.iter().find(|p| p.pointer("/meta/igny8_content_id").and_then(Value::as_str) == Some(content.id.as_str()))?["id"].as_u64()
        });
        if by_meta.is_some() {
            return Ok(by_meta);
        }
    }
    let q = format!("slug={}&status=any&context=edit", urlencode(&content.slug));
    let r = call(state, integration, client, "find the post by slug", || client.request(http::Method::GET, "/wp/v2/posts", &q)).await?;
    Ok(if r.status == 200 { found(&r) } else { None })
}

/// Runs one publish job (the publish worker's handler).
pub async fn run(state: Arc<AppState>, job: Job) -> Result<Value, JobError> {
    let input: PublishJob = serde_json::from_value(job.input.clone()).map_err(|e| JobError::Permanent(format!("bad job input: {e}")))?;
    let tenant = Tenant::from_verified(&job.account_id);
    let integration: Integration = state
        .store
        .get(&keys::integration(&tenant, &input.integration_id))
        .await?
        .ok_or_else(|| JobError::Permanent("the integration was deleted".into()))?;
    if integration.status == "needs_attention" {
        return Err(JobError::Permanent(format!(
            "the integration needs attention ({}); run a connection test",
            integration.status_reason.as_deref().unwrap_or("credentials refused")
        )));
    }
    let started = Instant::now();
    let content = crate::writer::content::get_content(&state, &tenant, &input.site_id, &input.content_id).await?;
    let client = Client::for_integration(&state, &integration).await?;
    let outcome = publish(&state, &integration, &client, &content, &input).await;
    let (ok, post_id, err) = match &outcome {
        Ok((id, _, _)) => (true, Some(*id), None),
        Err(JobError::Retryable(m) | JobError::Permanent(m) | JobError::Continue(m)) => (false, None, Some(m.clone())),
    };
    let action = if content.publication.is_some() { "update" } else { "publish" };
    synclog::write(
        &state,
        &tenant,
        &integration.id,
        Entry { action, ok, duration_ms: started.elapsed().as_millis() as u64, wp_post_id: post_id, content_id: Some(content.id.clone()), error: err, ..Default::default() },
    )
    .await;
    if let Some(sid) = input.scheduled_id.as_deref() {
        match &outcome {
            Ok((id, _, _)) => super::scheduled::record_outcome(&state, &tenant, &integration.id, sid, Ok(*id)).await,
            Err(JobError::Permanent(m)) => super::scheduled::record_outcome(&state, &tenant, &integration.id, sid, Err(m.clone())).await,
            Err(_) => {}
        }
    }
    let (post_id, url, wp_status) = outcome?;
    record(&state, &tenant, &input, &integration, post_id, &url, &wp_status).await?;
    Ok(json!({"post_id": post_id, "url": url, "status": wp_status, "integration_id": integration.id, "content_id": content.id, "site_id": input.site_id}))
}

/// An image uploaded to WordPress (remembered, so each image is uploaded once).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WpMedia {
    pub account_id: String,
    pub site_id: String,
    pub integration_id: String,
    pub image_id: String,
    pub media_id: u64,
    pub url: String,
    pub created_at: String,
}

impl Item for WpMedia {
    const ENTITY: &'static str = "WpMedia";
    fn key(&self) -> keys::Key {
        keys::wp_media(&Tenant::from_verified(&self.account_id), &self.site_id, &self.integration_id, &self.image_id)
    }
}

/// The content's images in WordPress: uploads what was not uploaded yet
/// (bytes from S3, alt text and caption), returns (image, media id, url).
async fn upload_images(state: &AppState, integration: &Integration, client: &Client, content: &Content) -> Result<Vec<(Image, u64, String)>, JobError> {
    let tenant = Tenant::from_verified(&content.account_id);
    let q = crate::store::Query::new(&tenant, crate::store::keys::Index::Gsi1, images_of_content(&tenant, &content.site_id, &content.id)).limit(50);
    let images: crate::store::Page<Image> = state.store.query(&q).await?;
    let mut out = Vec::new();
    for image in images.results {
        let key = keys::wp_media(&tenant, &content.site_id, &integration.id, &image.id);
        if let Some(m) = state.store.get::<WpMedia>(&key).await? {
            out.push((image, m.media_id, m.url));
            continue;
        }
        let started = Instant::now();
        let prefix = format!("accounts/{}/", tenant.account_id());
        let Some(rest) = image.s3_key.strip_prefix(&prefix) else {
            return Err(JobError::Permanent(format!("image {} is outside the account's folder", image.id)));
        };
        let Some(bytes) = crate::blobs::get(state, &tenant, rest).await? else {
            tracing::warn!(image = %image.id, "image object missing; published without it");
            continue;
        };
        let ext = crate::writer::images::extension(&image.content_type).unwrap_or("png");
        let caption = image.section_heading.clone().unwrap_or_default();
        let query = format!("alt_text={}&caption={}&title={}", urlencode(&image.alt_text), urlencode(&caption), urlencode(&image.alt_text));
        let (ct, name) = (image.content_type.clone(), format!("{}-{}.{ext}", content.slug, image.id.to_lowercase()));
        let r = call(state, integration, client, "upload an image", || {
            client
                .request(http::Method::POST, "/wp/v2/media", &query)
                .header("content-type", ct.clone())
                .header("content-disposition", format!("attachment; filename=\"{name}\""))
                .bytes(bytes.clone())
        })
        .await?;
        let ok = matches!(r.status, 200 | 201);
        let body = r.json().unwrap_or_default();
        synclog::write(
            state,
            &tenant,
            &integration.id,
            Entry {
                action: "media",
                ok,
                duration_ms: started.elapsed().as_millis() as u64,
                content_id: Some(content.id.clone()),
                detail: Some(format!("image {} → media {}", image.id, body["id"])),
                error: (!ok).then(|| format!("HTTP {}", r.status)),
                ..Default::default()
            },
        )
        .await;
        if !ok {
            return Err(classify("upload an image", &r));
        }
        let media_id = body["id"].as_u64().ok_or_else(|| JobError::Permanent("media without id".into()))?;
        let url = body["source_url"].as_str().unwrap_or_default().to_string();
        let m = WpMedia {
            account_id: tenant.account_id().to_string(),
            site_id: content.site_id.clone(),
            integration_id: integration.id.clone(),
            image_id: image.id.clone(),
            media_id,
            url: url.clone(),
            created_at: crate::ids::now_rfc3339(),
        };
        state.store.put(&m).await?;
        out.push((image, media_id, url));
    }
    Ok(out)
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The body with each section image after its section's heading (or at the end).
pub fn with_inline_images(body: &str, images: &[(String, String, String)]) -> String {
    let mut html = body.to_string();
    for (heading, url, alt) in images {
        let figure = format!(
            "<figure class=\"wp-block-image\"><img src=\"{}\" alt=\"{}\"/>{}</figure>",
            escape_attr(url),
            escape_attr(alt),
            if heading.is_empty() { String::new() } else { format!("<figcaption>{}</figcaption>", escape_attr(heading)) }
        );
        let needle = format!(">{}</h2>", escape_attr(heading));
        match (!heading.is_empty()).then(|| html.find(&needle)).flatten() {
            Some(at) => html.insert_str(at + needle.len(), &figure),
            None => html.push_str(&figure),
        }
    }
    html
}

async fn publish(state: &AppState, integration: &Integration, client: &Client, content: &Content, input: &PublishJob) -> Result<(u64, String, String), JobError> {
    let media = upload_images(state, integration, client, content).await?;
    let featured = media
        .iter()
        .find(|(i, _, _)| content.featured_image_id.as_deref() == Some(i.id.as_str()))
        .or_else(|| media.iter().find(|(i, _, _)| i.kind == ImageKind::Featured))
        .map(|(_, id, _)| *id);
    let inline: Vec<(String, String, String)> = media
        .iter()
        .filter(|(i, id, _)| Some(*id) != featured && i.kind == ImageKind::Section)
        .map(|(i, _, url)| (i.section_heading.clone().unwrap_or_default(), url.clone(), i.alt_text.clone()))
        .collect();
    let body_html = with_inline_images(&content.body_html, &inline);
    let mut categories = Vec::new();
    for name in &input.categories {
        categories.push(term_id(state, integration, client, "categories", name).await?);
    }
    let mut tags = Vec::new();
    for name in &input.tags {
        tags.push(term_id(state, integration, client, "tags", name).await?);
    }
    let mut meta = serde_json::Map::new();
    meta.insert("igny8_content_id".into(), json!(content.id));
    if let Some(keys) = integration.seo_plugin.as_deref().and_then(seo_keys) {
        let title = if content.meta_title.is_empty() { &content.title } else { &content.meta_title };
        meta.insert(keys[0].into(), json!(title));
        meta.insert(keys[1].into(), json!(content.meta_description));
        meta.insert(keys[2].into(), json!(content.focus_keyword.clone().unwrap_or_default()));
    }
    let mut post = json!({
        "title": content.title,
        "content": body_html,
        "excerpt": content.excerpt,
        "slug": content.slug,
        "status": input.status,
        "meta": meta,
    });
    if !categories.is_empty() {
        post["categories"] = json!(categories);
    }
    if !tags.is_empty() {
        post["tags"] = json!(tags);
    }
    if let Some(m) = featured {
        post["featured_media"] = json!(m);
    }
    if let Some(author) = integration.author_id {
        post["author"] = json!(author);
    }
    let existing = existing_post(state, integration, client, content).await?;
    let (mut route, what) = match existing {
        Some(id) => (format!("/wp/v2/posts/{id}"), "update the post"),
        None => ("/wp/v2/posts".to_string(), "create the post"),
    };
    let r = call(state, integration, client, what, || client.request(http::Method::POST, &route, "").json(&post)).await?;
    // A recorded post deleted in WordPress: create it again.
    let r = if r.status == 404 && existing.is_some() && content.publication.is_some() {
        route = "/wp/v2/posts".to_string();
        call(state, integration, client, "create the post", || client.request(http::Method::POST, &route, "").json(&post)).await?
    } else {
        r
    };
    // A WordPress that refuses an unknown term id (400 naming categories or
    // tags, e.g. behind a plugin): the cached names are looked up afresh, once.
    let r = if r.status == 400 && refuses_terms(&r) && !(categories.is_empty() && tags.is_empty()) {
        categories = refresh_terms(state, integration, client, "categories", &input.categories).await?;
        tags = refresh_terms(state, integration, client, "tags", &input.tags).await?;
        post["categories"] = json!(categories);
        post["tags"] = json!(tags);
        call(state, integration, client, what, || client.request(http::Method::POST, &route, "").json(&post)).await?
    } else {
        r
    };
    if !matches!(r.status, 200 | 201) {
        return Err(classify(what, &r));
    }
    let mut body = r.json().unwrap_or_default();
    let id = body["id"].as_u64().ok_or_else(|| JobError::Permanent("WordPress answered without a post id".into()))?;
    // WordPress silently drops term ids it does not know: a cached id whose
    // term was deleted in WordPress is missing from the saved post. Those
    // names are looked up afresh (once) and the post is saved again.
    let mut stale = false;
    for (taxonomy, names, ids) in [("categories", &input.categories, &mut categories), ("tags", &input.tags, &mut tags)] {
        // Only a post that names its terms can tell (WordPress always does).
        let Some(kept) = body[taxonomy].as_array().map(|a| a.iter().filter_map(Value::as_u64).collect::<Vec<u64>>()) else { continue };
        for (name, tid) in names.iter().zip(ids.iter_mut()) {
            if !kept.contains(tid) {
                tracing::info!(taxonomy, name = %name, stale_id = *tid, "a cached term id is gone in WordPress; looking it up again");
                forget_term(state, integration, taxonomy, name).await?;
                *tid = term_id(state, integration, client, taxonomy, name).await?;
                stale = true;
            }
        }
    }
    if stale {
        let fix = json!({"categories": categories, "tags": tags});
        let route = format!("/wp/v2/posts/{id}");
        let r = call(state, integration, client, "update the post's terms", || client.request(http::Method::POST, &route, "").json(&fix)).await?;
        if !matches!(r.status, 200 | 201) {
            return Err(classify("update the post's terms", &r));
        }
        body = r.json().unwrap_or_default();
    }
    Ok((id, body["link"].as_str().unwrap_or_default().to_string(), body["status"].as_str().unwrap_or_default().to_string()))
}

/// Records the post on the content item (and moves it and its task to
/// `published` when WordPress published it).
async fn record(state: &AppState, tenant: &Tenant, input: &PublishJob, integration: &Integration, post_id: u64, url: &str, wp_status: &str) -> Result<(), JobError> {
    let now = crate::ids::now_rfc3339();
    for _ in 0..5 {
        let mut c = crate::writer::content::get_content(state, tenant, &input.site_id, &input.content_id).await?;
        let first = c.publication.as_ref().map(|p| p.published_at.clone()).unwrap_or_else(|| now.clone());
        c.publication = Some(Publication {
            integration_id: integration.id.clone(),
            external_id: post_id,
            external_url: url.to_string(),
            wp_status: wp_status.to_string(),
            published_at: first,
            updated_at: now.clone(),
            content_version: c.current_version,
            wp_modified_gmt: None,
            conflict_version: None,
        });
        if wp_status == "publish" {
            c.status = ContentStatus::Published;
        }
        c.updated_at = now.clone();
        match state.store.update_versioned(&mut c).await {
            Ok(()) => {
                let link = WpPostLink {
                    account_id: tenant.account_id().to_string(),
                    integration_id: integration.id.clone(),
                    site_id: input.site_id.clone(),
                    post_id,
                    content_id: input.content_id.clone(),
                    created_at: now.clone(),
                };
                state.store.put(&link).await?;
                if wp_status == "publish"
                    && let Some(task_id) = c.task_id.as_deref()
                {
                    mark_task_published(state, tenant, &input.site_id, task_id).await;
                }
                return Ok(());
            }
            Err(AppError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(JobError::Retryable("the content kept changing while recording its post".into()))
}

async fn mark_task_published(state: &AppState, tenant: &Tenant, site_id: &str, task_id: &str) {
    use crate::planner::tasks::{Task, TaskStatus, task_key};
    for _ in 0..3 {
        let Ok(Some(mut task)) = state.store.get::<Task>(&task_key(tenant, site_id, task_id)).await else { return };
        if task.status == TaskStatus::Published {
            return;
        }
        task.status = TaskStatus::Published;
        match state.store.update_versioned(&mut task).await {
            Ok(()) => return,
            Err(AppError::Conflict(_)) => continue,
            Err(e) => {
                tracing::warn!(error = ?e, key = ?task.key(), "could not mark the task published");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_images_follow_their_heading_and_are_escaped() {
        let body = "<h2>Grip</h2><p>a</p><h2>Fit</h2><p>b</p>";
        let out = with_inline_images(body, &[("Fit".into(), "http://w/fit.png".into(), "a \"snug\" fit".into()), ("Gone".into(), "http://w/x.png".into(), "x".into())]);
        assert_eq!(
            out,
            "<h2>Grip</h2><p>a</p><h2>Fit</h2><figure class=\"wp-block-image\"><img src=\"http://w/fit.png\" alt=\"a &quot;snug&quot; fit\"/><figcaption>Fit</figcaption></figure><p>b</p><figure class=\"wp-block-image\"><img src=\"http://w/x.png\" alt=\"x\"/><figcaption>Gone</figcaption></figure>"
        );
    }

    #[test]
    fn names_are_trimmed_deduplicated_and_bounded() {
        let mut errors = Vec::new();
        assert_eq!(names(&mut errors, "tags", Some(vec![" Trail  Shoes ".into(), "trail shoes".into(), "Running".into()])), ["Trail Shoes", "Running"]);
        assert!(errors.is_empty());
        names(&mut errors, "tags", Some(vec![String::new()]));
        assert_eq!(errors.len(), 1);
    }
}
