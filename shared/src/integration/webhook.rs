//! Signed webhooks from the companion plugin, and the targeted pull they queue.
//!
//! A delivery carries `X-IGNY8-Timestamp` (epoch seconds), `X-IGNY8-Delivery`
//! (a unique id) and `X-IGNY8-Signature: sha256=<hex HMAC-SHA256(secret,
//! timestamp + "." + body)>`. It is accepted within 5 minutes of its
//! timestamp, once per delivery id (a dedup item with a TTL), and queues a
//! pull of that one post on the publish queue.
//!
//! The pull reads the post (edit context) and, when it changed in WordPress,
//! saves its title and body as a new version of the content item (source
//! `wordpress`). An edit made locally after the last publish is never
//! overwritten: WordPress's text is kept as a version that is not current
//! and the item is flagged `conflict`. A deleted or trashed post is recorded
//! on the publication.

use super::Integration;
use super::synclog::{self, Entry};
use super::wordpress::Client;
use crate::error::{AppError, AppResult};
use crate::jobs::{Job, JobError};
use crate::state::AppState;
use crate::store::Item;
use crate::store::keys::{self, Key, Tenant};
use crate::writer::content::{ContentInput, Origin};
use crate::writer::versions::VersionSource;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

/// The pull job's kind (run by the publish worker).
pub const PULL_JOB: &str = "wordpress_pull";
/// Deliveries older or newer than this are refused (replays).
pub const REPLAY_WINDOW_SECS: i64 = 300;

/// What the plugin sends.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookEvent {
    /// `post.created`, `post.updated`, `post.status_changed`, `post.deleted`.
    pub event: String,
    pub post_id: u64,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub modified_gmt: Option<String>,
    #[serde(default)]
    pub igny8_content_id: Option<String>,
}

/// `data` of an accepted delivery.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookAck {
    pub delivery: String,
    /// A repeat of a delivery already accepted (nothing queued).
    pub duplicate: bool,
    /// The pull job queued for the post.
    pub job_id: Option<String>,
}

/// A delivery id seen (dedup, 1 day).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Delivery {
    account_id: String,
    integration_id: String,
    delivery: String,
    created_at: String,
}

impl Item for Delivery {
    const ENTITY: &'static str = "WebhookDelivery";
    fn key(&self) -> Key {
        Key::new(keys::sync_log_pk(&Tenant::from_verified(&self.account_id), &self.integration_id), format!("DELIV#{}", self.delivery))
    }
    fn index_keys(&self) -> crate::store::ItemKeys {
        crate::store::ItemKeys { ttl: Some(crate::ids::now_epoch() + 24 * 3600), ..Default::default() }
    }
}

/// Checks a signature: `sha256=<hex>` over `timestamp.body`.
pub fn verify(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(hex) = signature.trim().strip_prefix("sha256=") else { return false };
    let Some(expected) = (0..hex.len()).step_by(2).map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect::<Option<Vec<u8>>>() else {
        return false;
    };
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The signature the plugin computes (tests and the docs use it).
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!("sha256={}", tag.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn unauthorized() -> AppError {
    AppError::Unauthorized("the webhook signature, timestamp or delivery id is missing or wrong".into())
}

/// Accepts one delivery: 202 with the pull job, or a 401 (never a hint which part failed).
pub async fn receive(state: &AppState, integration_id: &str, headers: &http::HeaderMap, body: &[u8]) -> AppResult<WebhookAck> {
    if !crate::ids::is_valid(integration_id) {
        return Err(AppError::not_found("integration"));
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let (Some(ts), Some(delivery), Some(sig)) = (header("x-igny8-timestamp"), header("x-igny8-delivery"), header("x-igny8-signature")) else {
        return Err(unauthorized());
    };
    if delivery.len() > 100 || !delivery.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(unauthorized());
    }
    let Ok(ts_n) = ts.parse::<i64>() else { return Err(unauthorized()) };
    if (crate::ids::now_epoch() - ts_n).abs() > REPLAY_WINDOW_SECS {
        return Err(unauthorized());
    }
    // The account of the integration: from the guard written with it (under a verified token).
    let guard: Option<Value> = state.store.get(&keys::unique_global("WEBHOOK", integration_id)).await?;
    let Some(account) = guard.as_ref().and_then(|g| g["owner"].as_str()).map(str::to_string) else {
        return Err(AppError::not_found("integration"));
    };
    let tenant = Tenant::from_verified(account);
    let integration: Integration = state.store.get(&keys::integration(&tenant, integration_id)).await?.ok_or_else(|| AppError::not_found("integration"))?;
    let Some(secret) = super::webhook_secret(state, &integration).await? else { return Err(unauthorized()) };
    if !verify(&secret, ts, body, sig) {
        return Err(unauthorized());
    }
    let event: WebhookEvent = serde_json::from_slice(body).map_err(|e| AppError::validation(format!("the webhook body is not an event: {e}")))?;
    let seen = Delivery { account_id: tenant.account_id().into(), integration_id: integration.id.clone(), delivery: delivery.into(), created_at: crate::ids::now_rfc3339() };
    match state.store.create(&seen).await {
        Ok(()) => {}
        Err(AppError::Conflict(_)) => return Ok(WebhookAck { delivery: delivery.into(), duplicate: true, job_id: None }),
        Err(e) => return Err(e),
    }
    let mut job = Job::new(&tenant, PULL_JOB, json!({"integration_id": integration.id, "post_id": event.post_id, "event": event.event}));
    job.created_by = Some(format!("webhook:{delivery}"));
    state.store.create(&job).await?;
    crate::jobs::send(state, &job).await?;
    synclog::write(
        state,
        &tenant,
        &integration.id,
        Entry { action: "webhook", ok: true, wp_post_id: Some(event.post_id), detail: Some(format!("{} (delivery {delivery})", event.event)), ..Default::default() },
    )
    .await;
    Ok(WebhookAck { delivery: delivery.into(), duplicate: false, job_id: Some(job.id) })
}

/// Runs a pull of one post (the publish worker's handler).
pub async fn run_pull(state: Arc<AppState>, job: Job) -> Result<Value, JobError> {
    let tenant = Tenant::from_verified(&job.account_id);
    let integration_id = job.input["integration_id"].as_str().unwrap_or_default().to_string();
    let post_id = job.input["post_id"].as_u64().ok_or_else(|| JobError::Permanent("no post id".into()))?;
    let integration: Integration =
        state.store.get(&keys::integration(&tenant, &integration_id)).await?.ok_or_else(|| JobError::Permanent("the integration was deleted".into()))?;
    let started = Instant::now();
    let client = Client::for_integration(&state, &integration).await?;
    let outcome = pull(&state, &tenant, &integration, &client, post_id).await;
    let (ok, err, detail) = match &outcome {
        Ok(v) => (true, None, v["outcome"].as_str().map(str::to_string)),
        Err(JobError::Retryable(m) | JobError::Permanent(m) | JobError::Continue(m)) => (false, Some(m.clone()), None),
    };
    synclog::write(
        &state,
        &tenant,
        &integration.id,
        Entry {
            action: "pull",
            ok,
            duration_ms: started.elapsed().as_millis() as u64,
            wp_post_id: Some(post_id),
            content_id: outcome.as_ref().ok().and_then(|v| v["content_id"].as_str().map(str::to_string)),
            detail,
            error: err,
        },
    )
    .await;
    outcome
}

async fn pull(state: &AppState, tenant: &Tenant, integration: &Integration, client: &Client, post_id: u64) -> Result<Value, JobError> {
    let r = client
        .send(client.request(http::Method::GET, &format!("/wp/v2/posts/{post_id}"), "context=edit"))
        .await
        .map_err(|e| if e.is_transient() { JobError::Retryable(e.to_string()) } else { JobError::Permanent(e.to_string()) })?;
    let post = match r.status {
        200 => r.json().unwrap_or_default(),
        404 | 410 => Value::Null,
        401 | 403 => return Err(JobError::Permanent(format!("WordPress refused the credentials (HTTP {})", r.status))),
        429 | 500..=599 => return Err(JobError::Retryable(format!("WordPress answered HTTP {}", r.status))),
        s => return Err(JobError::Permanent(format!("WordPress answered HTTP {s}"))),
    };
    // Which content item: the post's meta, else the one recorded with this post id is unknown to us.
    let content_id = post.pointer("/meta/igny8_content_id").and_then(Value::as_str).unwrap_or_default().to_string();
    if !crate::ids::is_valid(&content_id) {
        return Ok(json!({"outcome": "not an IGNY8 post: ignored", "post_id": post_id}));
    }
    let content = match crate::writer::content::get_content(state, tenant, &integration.site_id, &content_id).await {
        Ok(c) => c,
        Err(AppError::NotFound(_)) => return Ok(json!({"outcome": "content deleted here: ignored", "post_id": post_id})),
        Err(e) => return Err(e.into()),
    };
    let status = post["status"].as_str().unwrap_or("deleted").to_string();
    let modified = post["modified_gmt"].as_str().map(str::to_string);
    let title = post.pointer("/title/raw").and_then(Value::as_str).unwrap_or_default().to_string();
    let body = post.pointer("/content/raw").and_then(Value::as_str).unwrap_or_default().to_string();
    let mut outcome = "unchanged";
    let mut conflict = None;
    let published_version = content.publication.as_ref().map(|p| p.content_version).unwrap_or(content.current_version);
    let text_changed = !post.is_null() && (title != content.title || !same_text(&body, &content.body_html));
    if text_changed {
        let input: ContentInput = serde_json::from_value(json!({"title": title, "body_html": body, "note": format!("edited in WordPress (post {post_id})")}))
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        let origin = Origin::new(VersionSource::WordPress, format!("wordpress:{}", integration.id));
        if content.current_version > published_version {
            // An unpublished local edit: keep both, flag the item.
            conflict = Some(crate::writer::content::save_conflict_version(state, tenant, &integration.site_id, &content.id, input, origin).await?);
            outcome = "conflict";
        } else {
            crate::writer::content::save_body(state, tenant, &integration.site_id, &content.id, None, input, origin).await?;
            outcome = "updated";
        }
    }
    // Record what WordPress has now (status, modification time, the version it matches).
    for _ in 0..5 {
        let mut c = crate::writer::content::get_content(state, tenant, &integration.site_id, &content.id).await?;
        let Some(p) = c.publication.as_mut() else { break };
        let before = p.clone();
        p.wp_status = if post.is_null() { "deleted".into() } else { status.clone() };
        p.wp_modified_gmt = modified.clone();
        if outcome == "updated" {
            p.content_version = c.current_version;
        }
        if conflict.is_some() {
            p.conflict_version = conflict;
        }
        // A pull that finds nothing new writes nothing: the item's version
        // stays, so an editor's save based on it is not refused for a no-op.
        if *p == before {
            break;
        }
        match state.store.update_versioned(&mut c).await {
            Ok(()) => break,
            Err(AppError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(json!({"outcome": outcome, "post_id": post_id, "content_id": content.id, "wp_status": if post.is_null() { "deleted" } else { status.as_str() }}))
}

/// The sync job's kind (run by the publish worker).
pub const SYNC_JOB: &str = "wordpress_sync";

/// Queues a sync of the integration's posts modified since the last sync.
pub async fn submit_sync(state: &AppState, p: &crate::auth::guard::Principal, integration_id: &str) -> AppResult<Job> {
    let integration = super::get(state, p, integration_id).await?;
    if integration.status == "needs_attention" {
        return Err(AppError::Conflict("the integration needs attention: run a connection test first".into()));
    }
    let mut job = Job::new(&p.tenant(), SYNC_JOB, json!({"integration_id": integration.id}));
    job.created_by = Some(p.user_id.clone());
    state.store.create(&job).await?;
    crate::jobs::send(state, &job).await?;
    Ok(job)
}

/// Runs a sync: every page of `GET /wp/v2/posts?modified_after=<last sync>`
/// (any status), each IGNY8 post pulled as a webhook would; then the sync
/// time is recorded.
pub async fn run_sync(state: Arc<AppState>, job: Job) -> Result<Value, JobError> {
    let tenant = Tenant::from_verified(&job.account_id);
    let integration_id = job.input["integration_id"].as_str().unwrap_or_default().to_string();
    let integration: Integration =
        state.store.get(&keys::integration(&tenant, &integration_id)).await?.ok_or_else(|| JobError::Permanent("the integration was deleted".into()))?;
    let started_at = crate::ids::now_rfc3339();
    let started = Instant::now();
    let client = Client::for_integration(&state, &integration).await?;
    let since = integration.last_synced_at.clone().map(|s| s.trim_end_matches('Z').split('.').next().unwrap_or_default().to_string());
    let mut q = "status=any&context=edit&_fields=id,meta".to_string();
    if let Some(s) = &since {
        q.push_str(&format!("&modified_after={s}"));
    }
    let ids: Vec<u64> = pages(&client, "/wp/v2/posts", &q)
        .await?
        .iter()
        .filter(|p| p.pointer("/meta/igny8_content_id").and_then(Value::as_str).is_some_and(|s| !s.is_empty()))
        .filter_map(|p| p["id"].as_u64())
        .collect();
    let mut outcomes = serde_json::Map::new();
    for id in &ids {
        let v = pull(&state, &tenant, &integration, &client, *id).await?;
        outcomes.insert(id.to_string(), v["outcome"].clone());
    }
    // Deletions: every post WordPress still has (trash included), against the posts we published.
    let statuses: std::collections::HashMap<u64, String> = pages(&client, "/wp/v2/posts", "status=publish,future,draft,pending,private,trash&context=edit&_fields=id,status")
        .await?
        .iter()
        .filter_map(|p| Some((p["id"].as_u64()?, p["status"].as_str().unwrap_or_default().to_string())))
        .collect();
    let gone = record_deletions(&state, &tenant, &integration, &statuses).await?;
    for (post, what) in &gone {
        outcomes.insert(post.to_string(), json!(what));
    }
    let (categories, tags) = import_terms(&state, &integration, &client).await?;
    let at = started_at.clone();
    super::record_state(&state, integration.clone(), move |i| i.last_synced_at = Some(at.clone())).await?;
    synclog::write(
        &state,
        &tenant,
        &integration.id,
        Entry {
            action: "pull",
            ok: true,
            duration_ms: started.elapsed().as_millis() as u64,
            detail: Some(format!(
                "sync: {} IGNY8 posts modified since {}, {} deleted or trashed in WordPress, {categories} categories and {tags} tags imported",
                ids.len(),
                since.as_deref().unwrap_or("the start"),
                gone.len()
            )),
            ..Default::default()
        },
    )
    .await;
    Ok(json!({"posts": ids.len(), "outcomes": outcomes, "deleted": gone.len(), "terms": {"categories": categories, "tags": tags}, "synced_at": started_at}))
}

/// Every item of a paginated WordPress collection (100 per page, at most 100 pages).
async fn pages(client: &Client, route: &str, query: &str) -> Result<Vec<Value>, JobError> {
    let mut out = Vec::new();
    for page in 1..=100u32 {
        let q = format!("{query}&per_page=100&page={page}");
        let r = client
            .send(client.request(http::Method::GET, route, &q))
            .await
            .map_err(|e| if e.is_transient() { JobError::Retryable(e.to_string()) } else { JobError::Permanent(e.to_string()) })?;
        match r.status {
            200 => {}
            400 if page > 1 => break, // past the last page
            401 | 403 => return Err(JobError::Permanent(format!("WordPress refused the credentials (HTTP {})", r.status))),
            429 | 500..=599 => return Err(JobError::Retryable(format!("WordPress answered HTTP {}", r.status))),
            s => return Err(JobError::Permanent(format!("WordPress answered HTTP {s} for {route}"))),
        }
        let items = r.json().and_then(|j| j.as_array().cloned()).unwrap_or_default();
        let empty = items.is_empty();
        out.extend(items);
        let total = r.header("x-wp-totalpages").and_then(|v| v.parse::<u32>().ok()).unwrap_or(1);
        if page >= total || empty {
            break;
        }
    }
    Ok(out)
}

/// Marks the content of every post we published that WordPress no longer
/// has (`deleted`) or has in the trash (`trash`) on its publication
/// (`wp_status`), and logs it. Our content is never deleted.
async fn record_deletions(
    state: &AppState,
    tenant: &Tenant,
    integration: &Integration,
    statuses: &std::collections::HashMap<u64, String>,
) -> Result<Vec<(u64, &'static str)>, JobError> {
    use super::publish::WpPostLink;
    let mut gone = Vec::new();
    let mut cursor = None;
    loop {
        let q = crate::store::Query::new(tenant, crate::store::keys::Index::Table, keys::sync_log_pk(tenant, &integration.id))
            .sk(crate::store::SkCondition::BeginsWith(keys::WP_POST_LINK_PREFIX.into()))
            .limit(100)
            .cursor(cursor);
        let page: crate::store::Page<WpPostLink> = state.store.query(&q).await?;
        for link in page.results {
            let what = match statuses.get(&link.post_id).map(String::as_str) {
                None => "deleted",
                Some("trash") => "trash",
                Some(_) => continue,
            };
            if mark_external(state, tenant, integration, &link, what).await? {
                synclog::write(
                    state,
                    tenant,
                    &integration.id,
                    Entry {
                        action: "pull",
                        ok: true,
                        wp_post_id: Some(link.post_id),
                        content_id: Some(link.content_id.clone()),
                        detail: Some(format!("post {} is {what} in WordPress; the content is kept and marked", link.post_id)),
                        ..Default::default()
                    },
                )
                .await;
                gone.push((link.post_id, if what == "trash" { "trashed" } else { "deleted" }));
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(gone)
}

/// Sets the publication's `wp_status` of a linked content item; whether it changed.
async fn mark_external(state: &AppState, tenant: &Tenant, integration: &Integration, link: &super::publish::WpPostLink, what: &str) -> Result<bool, JobError> {
    for _ in 0..5 {
        let mut c = match crate::writer::content::get_content(state, tenant, &link.site_id, &link.content_id).await {
            Ok(c) => c,
            Err(AppError::NotFound(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let Some(p) = c.publication.as_mut().filter(|p| p.integration_id == integration.id && p.external_id == link.post_id) else { return Ok(false) };
        if p.wp_status == what {
            return Ok(false);
        }
        p.wp_status = what.to_string();
        match state.store.update_versioned(&mut c).await {
            Ok(()) => return Ok(true),
            Err(AppError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(JobError::Retryable("the content kept changing while recording a deletion".into()))
}

/// Imports every category and tag of the site into the integration's term
/// cache (listed at `GET …/{id}/terms/`): how many of each.
async fn import_terms(state: &AppState, integration: &Integration, client: &Client) -> Result<(usize, usize), JobError> {
    let mut counts = [0usize; 2];
    for (k, taxonomy) in ["categories", "tags"].into_iter().enumerate() {
        let now = crate::ids::now_rfc3339();
        let terms: Vec<super::publish::WpTerm> = pages(client, &format!("/wp/v2/{taxonomy}"), "context=edit&_fields=id,name,slug,count")
            .await?
            .iter()
            .filter_map(|t| {
                Some(super::publish::WpTerm {
                    account_id: integration.account_id.clone(),
                    site_id: integration.site_id.clone(),
                    integration_id: integration.id.clone(),
                    taxonomy: taxonomy.to_string(),
                    name: t["name"].as_str()?.replace("&amp;", "&"),
                    term_id: t["id"].as_u64()?,
                    slug: t["slug"].as_str().map(str::to_string),
                    count: t["count"].as_u64(),
                    updated_at: now.clone(),
                })
            })
            .collect();
        state.store.batch_put(&terms).await?;
        counts[k] = terms.len();
    }
    Ok((counts[0], counts[1]))
}

/// An integration's categories and tags as the last sync imported them (and
/// as publishing cached them), by taxonomy and name.
pub async fn list_terms(state: &AppState, p: &crate::auth::guard::Principal, integration_id: &str, taxonomy: Option<&str>, limit: i32, cursor: Option<String>) -> AppResult<crate::store::Page<super::publish::WpTerm>> {
    if let Some(t) = taxonomy
        && !matches!(t, "categories" | "tags")
    {
        return Err(AppError::field("taxonomy", "must be categories or tags"));
    }
    let i = super::get(state, p, integration_id).await?;
    let tenant = p.tenant();
    let q = crate::store::Query::new(&tenant, crate::store::keys::Index::Table, tenant.site_pk(&i.site_id))
        .sk(crate::store::SkCondition::BeginsWith(keys::wp_term_prefix(&i.id, taxonomy)))
        .limit(limit)
        .cursor(cursor);
    state.store.query(&q).await
}

// ------------------------------------------------------------ the daily sync

/// The daily sync schedule of an integration: `s-<account>-<integration>`.
pub fn daily_sync_schedule_name(account_id: &str, integration_id: &str) -> String {
    format!("s-{account_id}-{integration_id}")
}

/// Daily at 03:mm UTC, the minute spread over the hour by the integration id
/// (so the sites' syncs do not all start at once).
pub fn daily_sync_expression(integration_id: &str) -> String {
    let minute = fnv1a(integration_id) % 60;
    format!("cron({minute} 3 * * ? *)")
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Creates (or repairs) the integration's daily sync schedule: its target is
/// the automation runner with `{account_id, integration_id}`.
pub async fn put_daily_sync(state: &AppState, i: &Integration) -> AppResult<()> {
    if state.config.schedule_group_name.is_none() {
        return Ok(());
    }
    let name = daily_sync_schedule_name(&i.account_id, &i.id);
    let expression = daily_sync_expression(&i.id);
    let schedule = crate::automation::rules::RuleSchedule { cron: expression.clone(), timezone: "UTC".into(), expression };
    let input = json!({"account_id": i.account_id, "integration_id": i.id, "scheduled_time": "<aws.scheduler.scheduled-time>", "schedule_name": name}).to_string();
    crate::automation::schedule::put_named(state, &name, &schedule, input, format!("IGNY8 daily WordPress sync of integration {}", i.id)).await
}

/// Deletes the integration's daily sync schedule (a missing one is fine).
pub async fn delete_daily_sync(state: &AppState, account_id: &str, integration_id: &str) -> AppResult<()> {
    crate::automation::schedule::delete_named(state, &daily_sync_schedule_name(account_id, integration_id)).await
}

/// The daily sync fired (the runner's handler for `{account_id,
/// integration_id}`): queues one sync job. The job id is derived from the
/// integration and the scheduled minute, so a second firing of the same
/// minute queues nothing. A schedule whose integration is gone deletes itself.
pub async fn fire_daily_sync(state: &AppState, account_id: &str, integration_id: &str, scheduled_time: Option<&str>) -> AppResult<Option<Job>> {
    let tenant = Tenant::from_verified(account_id);
    let Some(integration) = state.store.get::<Integration>(&keys::integration(&tenant, integration_id)).await? else {
        delete_daily_sync(state, account_id, integration_id).await?;
        return Ok(None);
    };
    if integration.status == "needs_attention" {
        tracing::info!(integration = integration_id, "daily sync skipped: the integration needs attention");
        return Ok(None);
    }
    let mut job = Job::new(&tenant, SYNC_JOB, json!({"integration_id": integration.id, "trigger": "daily"}));
    if let Some(minute) = scheduled_time.and_then(|t| t.parse::<jiff::Timestamp>().ok()) {
        let ms = u64::try_from(minute.as_millisecond()).unwrap_or_default();
        let random = (u128::from(fnv1a(integration_id)) << 64) | u128::from(fnv1a(&format!("{integration_id}@{minute}")));
        job.id = ulid::Ulid::from_parts(ms, random).to_string();
    }
    match state.store.create(&job).await {
        Ok(()) => {}
        Err(AppError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e),
    }
    crate::jobs::send(state, &job).await?;
    Ok(Some(job))
}

/// Whether WordPress's body is the text we sent (it may re-serialise
/// whitespace between tags).
fn same_text(a: &str, b: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<String>().replace("><", ">\n<").replace('\n', "");
    squash(a) == squash(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_sync_schedules_fit_the_scheduler_and_spread_over_the_hour() {
        let (a, i) = (crate::ids::new_id(), crate::ids::new_id());
        assert!(daily_sync_schedule_name(&a, &i).len() <= 64);
        let e = daily_sync_expression(&i);
        assert_eq!(e, daily_sync_expression(&i), "stable");
        let c = crate::automation::cron::parse_aws(&e).unwrap();
        let day = jiff::Timestamp::from_second(1_796_000_000 - 1_796_000_000 % 86_400).unwrap().as_second();
        let due: Vec<i64> = (0..1440).map(|m| day + m * 60).filter(|t| c.due_at(*t, "UTC")).collect();
        assert_eq!(due.len(), 1, "once a day: {e}");
        assert_eq!((due[0] - day) / 3600, 3, "at 03:mm UTC: {e}");
        let minutes: std::collections::HashSet<String> = (0..50).map(|_| daily_sync_expression(&crate::ids::new_id())).collect();
        assert!(minutes.len() > 10, "spread: {minutes:?}");
    }

    #[test]
    fn signatures_verify_over_timestamp_and_body() {
        let sig = sign("s3cret", "1700000000", b"{\"post_id\":1}");
        assert!(verify("s3cret", "1700000000", b"{\"post_id\":1}", &sig));
        assert!(!verify("s3cret", "1700000001", b"{\"post_id\":1}", &sig), "another timestamp");
        assert!(!verify("s3cret", "1700000000", b"{\"post_id\":2}", &sig), "another body");
        assert!(!verify("other", "1700000000", b"{\"post_id\":1}", &sig), "another secret");
        assert!(!verify("s3cret", "1700000000", b"{\"post_id\":1}", "sha256=zz"));
        assert!(!verify("s3cret", "1700000000", b"{\"post_id\":1}", &sig.replace("sha256=", "")));
    }
}
