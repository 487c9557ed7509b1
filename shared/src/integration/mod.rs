//! Integrations (issue 14): a site's connection to its WordPress, over core's
//! REST API with an Application Password.
//!
//! - [`secret`]: the application password is envelope-encrypted under the
//!   stack's KMS key and never returned (masked to its last 4 characters).
//! - [`outbound`]: the one guarded client every request to a tenant's URL
//!   goes through (no private/metadata addresses, pinned address, no
//!   cross-host redirects, timeouts, size cap).
//! - [`wordpress`]: the WordPress REST client and the connection test.
//! - [`synclog`]: what every call to WordPress did.
//!
//! A site has at most one active integration per platform: a guard item in
//! the site's partition is claimed in the same transaction as the create.

pub mod outbound;
pub mod publish;
pub mod scheduled;
pub mod secret;
pub mod synclog;
pub mod webhook;
pub mod wordpress;

use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Page, Query, SkCondition, TxError};
use serde::{Deserialize, Serialize};

pub const PLATFORM_WORDPRESS: &str = "wordpress";

/// An integration as stored (credentials sealed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Integration {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    pub platform: String,
    /// Normalised: no trailing slash.
    pub base_url: String,
    pub username: String,
    /// The application password, sealed ([`secret::Sealed`]).
    pub password: secret::Sealed,
    pub password_last4: String,
    /// The webhook signing secret, sealed (shown once, at creation or rotation).
    #[serde(default)]
    pub webhook_secret: Option<secret::Sealed>,
    pub default_status: String,
    #[serde(default)]
    pub default_category: Option<String>,
    #[serde(default)]
    pub author_id: Option<u64>,
    /// `active`, or `needs_attention` (WordPress refused our credentials:
    /// publishing stops until a connection test passes).
    pub status: String,
    #[serde(default)]
    pub status_reason: Option<String>,
    /// How the REST API answered in the last test: `pretty` (`/wp-json/`) or
    /// `query` (`/?rest_route=`, pretty permalinks off).
    #[serde(default)]
    pub rest_mode: Option<String>,
    /// `yoast`, `rank_math` or none, from the last test.
    #[serde(default)]
    pub seo_plugin: Option<String>,
    #[serde(default)]
    pub wp_version: Option<String>,
    #[serde(default)]
    pub last_tested_at: Option<String>,
    #[serde(default)]
    pub last_test_ok: Option<bool>,
    /// When the last sync started (its `modified_after` for the next one).
    #[serde(default)]
    pub last_synced_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for Integration {
    const ENTITY: &'static str = "Integration";
    fn key(&self) -> Key {
        keys::integration(&Tenant::from_verified(&self.account_id), &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { gsi1: Some((site_integrations_gsi(&Tenant::from_verified(&self.account_id), &self.site_id), self.id.clone())), ..Default::default() }
    }
}
crate::versioned!(Integration);

/// GSI1 partition: the integrations of a site.
fn site_integrations_gsi(t: &Tenant, site_id: &str) -> String {
    format!("{}#INTEG", t.site_pk(site_id))
}

/// An integration as the API shows it: never the password, only its mask.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IntegrationView {
    pub id: String,
    pub site_id: String,
    pub platform: String,
    pub base_url: String,
    pub username: String,
    /// `••••` and the last 4 characters.
    pub application_password: String,
    /// Where the companion plugin sends its webhooks (path on this API).
    pub webhook_path: String,
    /// The webhook signing secret: only in the answer that created or
    /// rotated it; store it in the plugin's settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    pub default_status: String,
    pub default_category: Option<String>,
    pub author_id: Option<u64>,
    pub status: String,
    pub status_reason: Option<String>,
    pub rest_mode: Option<String>,
    pub seo_plugin: Option<String>,
    pub wp_version: Option<String>,
    pub last_tested_at: Option<String>,
    pub last_test_ok: Option<bool>,
    pub last_synced_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl From<&Integration> for IntegrationView {
    fn from(i: &Integration) -> Self {
        Self {
            id: i.id.clone(),
            site_id: i.site_id.clone(),
            platform: i.platform.clone(),
            base_url: i.base_url.clone(),
            username: i.username.clone(),
            application_password: format!("••••{}", i.password_last4),
            webhook_path: format!("/api/v1/integration/webhooks/{}/", i.id),
            webhook_secret: None,
            default_status: i.default_status.clone(),
            default_category: i.default_category.clone(),
            author_id: i.author_id,
            status: i.status.clone(),
            status_reason: i.status_reason.clone(),
            rest_mode: i.rest_mode.clone(),
            seo_plugin: i.seo_plugin.clone(),
            wp_version: i.wp_version.clone(),
            last_tested_at: i.last_tested_at.clone(),
            last_test_ok: i.last_test_ok,
            last_synced_at: i.last_synced_at.clone(),
            created_at: i.created_at.clone(),
            updated_at: i.updated_at.clone(),
            version: i.version,
        }
    }
}

/// Create (POST) or change (PATCH) an integration. On create `site_id`,
/// `base_url`, `username` and `application_password` are required.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationInput {
    #[serde(default)]
    pub site_id: Option<String>,
    /// Only `wordpress`.
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    /// Written only; never read back.
    #[serde(default)]
    pub application_password: Option<String>,
    /// `draft` (default) or `publish`.
    #[serde(default)]
    pub default_status: Option<String>,
    #[serde(default)]
    pub default_category: Option<String>,
    #[serde(default)]
    pub author_id: Option<u64>,
    /// Optimistic locking on PATCH.
    #[serde(default)]
    pub version: Option<u64>,
}

fn normalise_base_url(state: &AppState, errors: &mut Vec<FieldError>, raw: &str) -> String {
    let policy = outbound::Policy::from_config(&state.config);
    match outbound::check_url_statically(raw, &policy) {
        Ok(url) => {
            if url.query().is_some() || url.fragment().is_some() {
                errors.push(FieldError::new("base_url", "must not carry a query or fragment"));
            }
            url.as_str().trim_end_matches('/').to_string()
        }
        Err(e) => {
            errors.push(FieldError::new("base_url", e.to_string()));
            String::new()
        }
    }
}

fn check_password(errors: &mut Vec<FieldError>, p: &str) -> String {
    // WordPress shows application passwords as 6 groups of 4; spaces are optional.
    let compact: String = p.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() < 8 || compact.len() > 128 || !compact.chars().all(|c| c.is_ascii_graphic()) {
        errors.push(FieldError::new("application_password", "must be the application password WordPress showed (e.g. abcd efgh ijkl mnop qrst uvwx)"));
    }
    compact
}

fn check_username(errors: &mut Vec<FieldError>, u: &str) -> String {
    let u = u.trim();
    if u.is_empty() || u.chars().count() > 60 || u.contains(':') {
        errors.push(FieldError::new("username", "must be the WordPress user name (1-60 characters, no colon)"));
    }
    u.to_string()
}

fn check_status(errors: &mut Vec<FieldError>, s: &str) -> String {
    if !matches!(s, "draft" | "publish") {
        errors.push(FieldError::new("default_status", "must be draft or publish"));
    }
    s.to_string()
}

fn check_category(errors: &mut Vec<FieldError>, c: Option<&str>) -> Option<String> {
    let c = c.map(str::trim).filter(|c| !c.is_empty())?;
    if c.chars().count() > 200 {
        errors.push(FieldError::new("default_category", "must be at most 200 characters"));
    }
    Some(c.to_string())
}

pub(crate) async fn audit(state: &AppState, p: &Principal, action: &str, id: &str, detail: serde_json::Value) -> AppResult<()> {
    crate::audit::record(state, &p.tenant(), &crate::audit::Actor::principal(p, None), action, "integration", id, detail).await
}

/// The integration `id` of the caller's account (404 for unknown, malformed
/// or foreign ids).
pub async fn get(state: &AppState, p: &Principal, id: &str) -> AppResult<Integration> {
    if !crate::ids::is_valid(id) {
        return Err(AppError::not_found("integration"));
    }
    let i: Integration = state.store.get(&keys::integration(&p.tenant(), id)).await?.ok_or_else(|| AppError::not_found("integration"))?;
    // The site must still be there (and not being deleted).
    crate::sites::scope(state, p, &i.site_id, None).await?;
    Ok(i)
}

const WEBHOOK_PURPOSE: &str = "webhook-secret";

/// A fresh webhook secret (32 random bytes, hex) and its sealed form.
async fn new_webhook_secret(state: &AppState, account_id: &str, integration_id: &str) -> AppResult<(String, secret::Sealed)> {
    let mut raw = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut raw[..]);
    let plain: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let sealed = secret::seal(state, &secret::Binding { account_id, integration_id, purpose: WEBHOOK_PURPOSE }, &plain).await?;
    Ok((plain, sealed))
}

/// The webhook secret, opened (to verify a delivery).
pub async fn webhook_secret(state: &AppState, i: &Integration) -> AppResult<Option<String>> {
    match &i.webhook_secret {
        None => Ok(None),
        Some(s) => Ok(Some(secret::open(state, &secret::Binding { account_id: &i.account_id, integration_id: &i.id, purpose: WEBHOOK_PURPOSE }, s).await?)),
    }
}

/// Replaces the webhook secret: the view carries the new one, once.
pub async fn rotate_webhook_secret(state: &AppState, p: &Principal, id: &str) -> AppResult<IntegrationView> {
    let mut item = get(state, p, id).await?;
    let (plain, sealed) = new_webhook_secret(state, &item.account_id, &item.id).await?;
    item.webhook_secret = Some(sealed);
    item.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut item).await?;
    audit(state, p, "integration.rotate_webhook_secret", &item.id, serde_json::json!({})).await?;
    let mut view = IntegrationView::from(&item);
    view.webhook_secret = Some(plain);
    Ok(view)
}

/// Creates a WordPress integration for a site of the caller's account; the
/// view carries the webhook secret, once.
pub async fn create(state: &AppState, p: &Principal, input: IntegrationInput) -> AppResult<IntegrationView> {
    let mut errors = Vec::new();
    if input.version.is_some() {
        errors.push(FieldError::new("version", "is not accepted on create"));
    }
    let platform = input.platform.clone().unwrap_or_else(|| PLATFORM_WORDPRESS.into());
    if platform != PLATFORM_WORDPRESS {
        errors.push(FieldError::new("platform", "must be wordpress"));
    }
    let Some(site_id) = input.site_id.clone() else {
        errors.push(FieldError::new("site_id", "is required"));
        return Err(AppError::fields(errors));
    };
    let base_url = match input.base_url.as_deref() {
        Some(u) => normalise_base_url(state, &mut errors, u),
        None => {
            errors.push(FieldError::new("base_url", "is required"));
            String::new()
        }
    };
    let username = match input.username.as_deref() {
        Some(u) => check_username(&mut errors, u),
        None => {
            errors.push(FieldError::new("username", "is required"));
            String::new()
        }
    };
    let password = match input.application_password.as_deref() {
        Some(pw) => check_password(&mut errors, pw),
        None => {
            errors.push(FieldError::new("application_password", "is required"));
            String::new()
        }
    };
    let default_status = check_status(&mut errors, input.default_status.as_deref().unwrap_or("draft"));
    let default_category = check_category(&mut errors, input.default_category.as_deref());
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let scope = crate::sites::scope(state, p, &site_id, None).await?;
    let id = crate::ids::new_id();
    let tenant = scope.tenant.clone();
    let sealed = secret::seal(state, &secret::Binding { account_id: tenant.account_id(), integration_id: &id, purpose: "wordpress-app-password" }, &password).await?;
    let (webhook_plain, webhook_sealed) = new_webhook_secret(state, tenant.account_id(), &id).await?;
    let now = crate::ids::now_rfc3339();
    let item = Integration {
        id: id.clone(),
        account_id: tenant.account_id().to_string(),
        site_id: site_id.clone(),
        platform: platform.clone(),
        base_url,
        username,
        password: sealed,
        password_last4: password.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect(),
        webhook_secret: Some(webhook_sealed),
        default_status,
        default_category,
        author_id: input.author_id,
        status: "active".into(),
        status_reason: None,
        rest_mode: None,
        seo_plugin: None,
        wp_version: None,
        last_tested_at: None,
        last_test_ok: None,
        last_synced_at: None,
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    };
    let store = &state.store;
    // The webhook endpoint finds the account of an integration id through this guard.
    let ops = vec![
        store.tx_create(&item)?,
        store.tx_guard(&keys::integration_guard(&tenant, &site_id, &platform), &id)?,
        store.tx_guard(&keys::unique_global("WEBHOOK", &id), tenant.account_id())?,
    ];
    match store.transact(ops).await {
        Ok(()) => {
            audit(state, p, "integration.create", &id, serde_json::json!({"site_id": site_id, "base_url": item.base_url})).await?;
            // The daily sync; a Scheduler failure does not undo the connection (a later save or test repairs it).
            if let Err(e) = webhook::put_daily_sync(state, &item).await {
                tracing::warn!(error = ?e, integration = %id, "could not create the daily sync schedule");
            }
            let mut view = IntegrationView::from(&item);
            view.webhook_secret = Some(webhook_plain);
            Ok(view)
        }
        Err(TxError::ConditionFailed(_)) => Err(AppError::Conflict("this site already has a WordPress integration; change or delete that one".into())),
        Err(TxError::Other(e)) => Err(e),
    }
}

/// Changes an integration. A new password is sealed afresh; a new URL,
/// user or password clears `needs_attention` only through a passing test.
pub async fn update(state: &AppState, p: &Principal, id: &str, input: IntegrationInput) -> AppResult<Integration> {
    let mut errors = Vec::new();
    if input.site_id.is_some() {
        errors.push(FieldError::new("site_id", "cannot be changed: delete the integration and create one for the other site"));
    }
    if input.platform.as_deref().is_some_and(|pl| pl != PLATFORM_WORDPRESS) {
        errors.push(FieldError::new("platform", "must be wordpress"));
    }
    let base_url = input.base_url.as_deref().map(|u| normalise_base_url(state, &mut errors, u));
    let username = input.username.as_deref().map(|u| check_username(&mut errors, u));
    let password = input.application_password.as_deref().map(|pw| check_password(&mut errors, pw));
    let default_status = input.default_status.as_deref().map(|s| check_status(&mut errors, s));
    let default_category = input.default_category.as_deref().map(|c| check_category(&mut errors, Some(c)));
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let mut item = get(state, p, id).await?;
    if let Some(v) = input.version
        && v != item.version
    {
        return Err(AppError::Conflict(format!("this integration is at version {}, you edited version {v}; reload and retry", item.version)));
    }
    if let Some(u) = base_url {
        item.base_url = u;
        item.rest_mode = None;
    }
    if let Some(u) = username {
        item.username = u;
    }
    if let Some(pw) = password {
        item.password = secret::seal(state, &secret::Binding { account_id: &item.account_id, integration_id: &item.id, purpose: "wordpress-app-password" }, &pw).await?;
        item.password_last4 = pw.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    }
    if let Some(s) = default_status {
        item.default_status = s;
    }
    if let Some(c) = default_category {
        item.default_category = c;
    }
    if input.author_id.is_some() {
        item.author_id = input.author_id;
    }
    item.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut item).await?;
    audit(state, p, "integration.update", &item.id, serde_json::json!({"password_changed": input.application_password.is_some()})).await?;
    Ok(item)
}

/// Deletes an integration and frees its site's slot.
pub async fn delete(state: &AppState, p: &Principal, id: &str) -> AppResult<()> {
    let item = get(state, p, id).await?;
    let tenant = p.tenant();
    let store = &state.store;
    let ops = vec![
        store.tx_delete_versioned(&item.key(), item.version)?,
        store.tx_delete(&keys::integration_guard(&tenant, &item.site_id, &item.platform))?,
        store.tx_delete(&keys::unique_global("WEBHOOK", &item.id))?,
    ];
    store.transact(ops).await.map_err(|e| match e {
        TxError::ConditionFailed(_) => AppError::Conflict("the integration changed while deleting it; retry".into()),
        TxError::Other(e) => e,
    })?;
    webhook::delete_daily_sync(state, &item.account_id, &item.id).await?;
    let cancelled = scheduled::cancel_all(state, &tenant, &item.id, &p.user_id).await?;
    audit(state, p, "integration.delete", id, serde_json::json!({"site_id": item.site_id, "scheduled_publishes_cancelled": cancelled})).await?;
    Ok(())
}

/// Removes a site's integrations with their guards (the site is being
/// deleted): no integration is left pointing at a site that is gone, and the
/// webhook endpoint stops accepting their deliveries. Returns how many.
pub async fn remove_for_site(state: &AppState, tenant: &Tenant, site_id: &str) -> AppResult<usize> {
    let q = Query::new(tenant, Index::Gsi1, site_integrations_gsi(tenant, site_id)).limit(25);
    let page: Page<Integration> = state.store.query(&q).await?;
    let store = &state.store;
    for i in &page.results {
        let ops = vec![
            store.tx_delete(&i.key())?,
            store.tx_delete(&keys::integration_guard(tenant, site_id, &i.platform))?,
            store.tx_delete(&keys::unique_global("WEBHOOK", &i.id))?,
        ];
        store.transact(ops).await?;
        webhook::delete_daily_sync(state, tenant.account_id(), &i.id).await?;
        scheduled::cancel_all(state, tenant, &i.id, "site deleted").await?;
    }
    Ok(page.results.len())
}

/// The site's WordPress integration, if one is connected (automation's
/// `publish` action publishes through it).
pub async fn wordpress_for_site(state: &AppState, tenant: &Tenant, site_id: &str) -> AppResult<Option<Integration>> {
    let q = Query::new(tenant, Index::Gsi1, site_integrations_gsi(tenant, site_id)).limit(25);
    let page: Page<Integration> = state.store.query(&q).await?;
    Ok(page.results.into_iter().find(|i| i.platform == PLATFORM_WORDPRESS))
}

/// The integrations of the account, or of one site.
pub async fn list(state: &AppState, p: &Principal, site_id: Option<&str>, limit: i32, cursor: Option<String>) -> AppResult<Page<IntegrationView>> {
    let tenant = p.tenant();
    let q = match site_id {
        Some(site) => {
            crate::sites::scope(state, p, site, None).await?;
            Query::new(&tenant, Index::Gsi1, site_integrations_gsi(&tenant, site))
        }
        None => Query::new(&tenant, Index::Table, tenant.pk()).sk(SkCondition::BeginsWith(keys::INTEGRATION_PREFIX.into())),
    };
    let page: Page<Integration> = state.store.query(&q.limit(limit).cursor(cursor)).await?;
    Ok(Page { results: page.results.iter().map(IntegrationView::from).collect(), next_cursor: page.next_cursor })
}

/// The integration's application password, opened (for calls to WordPress only).
pub async fn credentials(state: &AppState, i: &Integration) -> AppResult<String> {
    secret::open(state, &secret::Binding { account_id: &i.account_id, integration_id: &i.id, purpose: "wordpress-app-password" }, &i.password).await
}

/// Records what a connection test found (or a refusal seen while publishing).
pub async fn record_state(state: &AppState, mut item: Integration, change: impl Fn(&mut Integration)) -> AppResult<Integration> {
    for _ in 0..3 {
        change_and_stamp(&mut item, &change);
        match state.store.update_versioned(&mut item).await {
            Ok(()) => return Ok(item),
            Err(AppError::Conflict(_)) => {
                item = state.store.get(&item.key()).await?.ok_or_else(|| AppError::not_found("integration"))?;
            }
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Conflict("the integration kept changing; retry".into()))
}

fn change_and_stamp(item: &mut Integration, change: &impl Fn(&mut Integration)) {
    change(item);
    item.updated_at = crate::ids::now_rfc3339();
}
