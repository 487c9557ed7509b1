//! Sites and sectors, and the one scope helper every site-scoped endpoint
//! uses: `scope(state, principal, site_id, sector_id)` proves the site (and
//! sector) belong to the caller's account, or answers 404 — the same answer
//! as for an id that does not exist, so other tenants' ids reveal nothing.

use crate::audit::{self, Actor};
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, Page, Query, SkCondition};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub mod delete;
pub use delete::{Deleted, Deletion, delete_sector, delete_site};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Site {
    pub id: String,
    pub account_id: String,
    pub name: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub industry: Option<String>,
    /// The site's IANA time zone (e.g. `Europe/Berlin`): local times of
    /// scheduled publishes are read in it. `UTC` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    pub is_active: bool,
    /// The job deleting the site, once one was started: the site is then
    /// hidden from lists and refused (409 `BEING_DELETED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleting: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for Site {
    const ENTITY: &'static str = "Site";
    fn key(&self) -> Key {
        keys::site(&Tenant::from_verified(&self.account_id), &self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sector {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub is_active: bool,
    /// The job deleting the sector, once one was started: the sector is then
    /// refused (409 `BEING_DELETED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleting: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for Sector {
    const ENTITY: &'static str = "Sector";
    fn key(&self) -> Key {
        keys::sector(&Tenant::from_verified(&self.account_id), &self.site_id, &self.id)
    }
}

/// A verified site (and optional sector) of the caller's account.
#[derive(Debug, Clone)]
pub struct Scope {
    pub tenant: Tenant,
    pub site: Site,
    pub sector: Option<Sector>,
}

impl Scope {
    /// The site's partition key, where every site-scoped item lives.
    pub fn site_pk(&self) -> String {
        self.tenant.site_pk(&self.site.id)
    }

    /// An item of this site by id (`key(tenant, site_id, id)`): a malformed
    /// or unknown id is a 404 naming `what`, like a foreign one.
    pub async fn find<T: serde::de::DeserializeOwned>(&self, state: &AppState, what: &str, id: &str, key: fn(&Tenant, &str, &str) -> Key) -> AppResult<T> {
        if !crate::ids::is_valid(id) {
            return Err(AppError::not_found(what));
        }
        state.store.get(&key(&self.tenant, &self.site.id, id)).await?.ok_or_else(|| AppError::not_found(what))
    }

    /// A 404 naming `what` when the scope names a sector other than `sector_id`.
    pub fn check_sector(&self, sector_id: &str, what: &str) -> AppResult<()> {
        match &self.sector {
            Some(s) if s.id != sector_id => Err(AppError::not_found(what)),
            _ => Ok(()),
        }
    }
}

/// Resolves `site_id` / `sector_id` (from path or query) against the caller's
/// account. Unknown, malformed and foreign ids are all a 404.
pub async fn scope(state: &AppState, p: &Principal, site_id: &str, sector_id: Option<&str>) -> AppResult<Scope> {
    let tenant = p.tenant();
    if !crate::ids::is_valid(site_id) {
        return Err(AppError::not_found("site"));
    }
    let site: Site = state.store.get(&keys::site(&tenant, site_id)).await?.ok_or_else(|| AppError::not_found("site"))?;
    if let Some(job) = &site.deleting {
        return Err(AppError::BeingDeleted(format!("the site is being deleted (job {job})")));
    }
    let sector = match sector_id {
        None => None,
        Some(id) if !crate::ids::is_valid(id) => return Err(AppError::not_found("sector")),
        Some(id) => Some(state.store.get::<Sector>(&keys::sector(&tenant, site_id, id)).await?.ok_or_else(|| AppError::not_found("sector"))?),
    };
    if let Some(job) = sector.as_ref().and_then(|s| s.deleting.as_ref()) {
        return Err(AppError::BeingDeleted(format!("the sector is being deleted (job {job})")));
    }
    Ok(Scope { tenant, site, sector })
}

// ------------------------------------------------------------------ inputs

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub industry: Option<String>,
    /// IANA time zone (e.g. `America/New_York`); empty clears it (UTC).
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Optimistic locking on PATCH: the version the client last read.
    #[serde(default)]
    pub version: Option<u64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectorInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default)]
    pub version: Option<u64>,
}

fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, min: usize, max: usize) -> String {
    let v = value.trim().to_string();
    let len = v.chars().count();
    if len < min {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if len > max {
        errors.push(FieldError::new(field, format!("must be at most {max} characters")));
    }
    v
}

fn check_url(errors: &mut Vec<FieldError>, url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2048
        && url.split("://").nth(1).is_some_and(|rest| rest.split('/').next().is_some_and(|host| host.contains('.') || host.starts_with("localhost")))
        && !url.chars().any(char::is_whitespace);
    if !ok {
        errors.push(FieldError::new("url", "must be an http(s) URL such as https://example.com"));
    }
    Some(url.trim_end_matches('/').to_string())
}

fn check_timezone(errors: &mut Vec<FieldError>, tz: &str) -> Option<String> {
    let tz = tz.trim();
    if tz.is_empty() {
        return None;
    }
    if !crate::automation::cron::valid_time_zone(tz) {
        errors.push(FieldError::new("timezone", "must be an IANA time zone such as Europe/Berlin or UTC"));
    }
    Some(tz.to_string())
}

impl Site {
    /// The site's time zone (`UTC` when unset).
    pub fn time_zone(&self) -> &str {
        self.timezone.as_deref().unwrap_or("UTC")
    }
}

fn counter_values(max: Option<u32>) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue::N;
    let mut v = std::collections::HashMap::from([(":zero".to_string(), N("0".into())), (":one".to_string(), N("1".into()))]);
    if let Some(m) = max {
        v.insert(":max".to_string(), N(m.to_string()));
    }
    v
}

fn check_version(client: Option<u64>, stored: u64) -> AppResult<()> {
    match client {
        Some(v) if v != stored => Err(AppError::Conflict(format!("this item is at version {stored}, you edited version {v}; reload and retry"))),
        _ => Ok(()),
    }
}

// ------------------------------------------------------------------ sites

pub async fn list_sites(state: &AppState, p: &Principal, limit: i32, cursor: Option<String>) -> AppResult<Page<Site>> {
    let tenant = p.tenant();
    let q = Query::new(&tenant, Index::Table, tenant.pk())
        .sk(SkCondition::BeginsWith(keys::SITE_PREFIX.into()))
        .filter("attribute_not_exists(deleting)", &[], vec![])
        .limit(limit)
        .cursor(cursor);
    state.store.query(&q).await
}

pub async fn create_site(state: &AppState, p: &Principal, input: SiteInput, ip: Option<&str>) -> AppResult<Site> {
    let mut errors = Vec::new();
    let name = match input.name.as_deref() {
        Some(n) => check_text(&mut errors, "name", n, 1, 200),
        None => {
            errors.push(FieldError::new("name", "is required"));
            String::new()
        }
    };
    let url = input.url.as_deref().and_then(|u| check_url(&mut errors, u));
    let description = check_text(&mut errors, "description", input.description.as_deref().unwrap_or(""), 0, 2000);
    let timezone = input.timezone.as_deref().and_then(|tz| check_timezone(&mut errors, tz));
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let now = crate::ids::now_rfc3339();
    let site = Site {
        id: crate::ids::new_id(),
        account_id: p.account_id.clone(),
        name,
        url,
        description,
        industry: input.industry.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        timezone,
        is_active: input.is_active.unwrap_or(true),
        deleting: None,
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    };
    let tenant = p.tenant();
    let entry = audit::entry(&tenant, &Actor::principal(p, ip), "site.create", "site", &site.id, json!({"name": site.name}));
    let account: crate::accounts::Account =
        state.store.get(&keys::account(&tenant)).await?.ok_or_else(|| AppError::not_found("account"))?;
    let plan = crate::plans::of(&account.plan);
    let store = &state.store;
    let count = store.tx_update(
        &keys::account(&tenant),
        "SET site_count = if_not_exists(site_count, :zero) + :one",
        Some("attribute_not_exists(site_count) OR site_count < :max"),
        &[],
        counter_values(Some(plan.max_sites)),
    )?;
    store.transact(vec![store.tx_create(&site)?, store.tx_create(&entry)?, count]).await.map_err(|e| match e {
        crate::store::TxError::ConditionFailed(ops) if ops.contains(&2) => crate::plans::limit_error(plan, "sites", plan.max_sites),
        other => AppError::from(other),
    })?;
    Ok(site)
}

pub async fn update_site(state: &AppState, p: &Principal, site_id: &str, input: SiteInput) -> AppResult<Site> {
    let mut site = scope(state, p, site_id, None).await?.site;
    check_version(input.version, site.version)?;
    let mut errors = Vec::new();
    if let Some(n) = input.name.as_deref() {
        site.name = check_text(&mut errors, "name", n, 1, 200);
    }
    if let Some(u) = input.url.as_deref() {
        site.url = check_url(&mut errors, u);
    }
    if let Some(d) = input.description.as_deref() {
        site.description = check_text(&mut errors, "description", d, 0, 2000);
    }
    if let Some(i) = input.industry {
        site.industry = Some(i.trim().to_string()).filter(|s| !s.is_empty());
    }
    if let Some(tz) = input.timezone.as_deref() {
        site.timezone = check_timezone(&mut errors, tz);
    }
    if let Some(a) = input.is_active {
        site.is_active = a;
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    site.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut site).await?;
    Ok(site)
}

// ------------------------------------------------------------------ sectors

pub async fn list_sectors(state: &AppState, p: &Principal, site_id: &str, limit: i32, cursor: Option<String>) -> AppResult<Page<Sector>> {
    let scope = scope(state, p, site_id, None).await?;
    let q = Query::new(&scope.tenant, Index::Table, scope.site_pk())
        .sk(SkCondition::BeginsWith(keys::SECTOR_PREFIX.into()))
        .filter("attribute_not_exists(deleting)", &[], vec![])
        .limit(limit)
        .cursor(cursor);
    state.store.query(&q).await
}

pub async fn create_sector(state: &AppState, p: &Principal, site_id: &str, input: SectorInput) -> AppResult<Sector> {
    let scope = scope(state, p, site_id, None).await?;
    let mut errors = Vec::new();
    let name = match input.name.as_deref() {
        Some(n) => check_text(&mut errors, "name", n, 1, 200),
        None => {
            errors.push(FieldError::new("name", "is required"));
            String::new()
        }
    };
    let description = check_text(&mut errors, "description", input.description.as_deref().unwrap_or(""), 0, 2000);
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let now = crate::ids::now_rfc3339();
    let sector = Sector {
        id: crate::ids::new_id(),
        account_id: p.account_id.clone(),
        site_id: scope.site.id.clone(),
        name,
        description,
        is_active: input.is_active.unwrap_or(true),
        deleting: None,
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    };
    state.store.create(&sector).await?;
    Ok(sector)
}

pub async fn get_sector(state: &AppState, p: &Principal, site_id: &str, sector_id: &str) -> AppResult<Sector> {
    scope(state, p, site_id, Some(sector_id)).await?.sector.ok_or_else(|| AppError::not_found("sector"))
}

pub async fn update_sector(state: &AppState, p: &Principal, site_id: &str, sector_id: &str, input: SectorInput) -> AppResult<Sector> {
    let mut sector = get_sector(state, p, site_id, sector_id).await?;
    check_version(input.version, sector.version)?;
    let mut errors = Vec::new();
    if let Some(n) = input.name.as_deref() {
        sector.name = check_text(&mut errors, "name", n, 1, 200);
    }
    if let Some(d) = input.description.as_deref() {
        sector.description = check_text(&mut errors, "description", d, 0, 2000);
    }
    if let Some(a) = input.is_active {
        sector.is_active = a;
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    sector.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut sector).await?;
    Ok(sector)
}

crate::versioned!(Site, Sector);
