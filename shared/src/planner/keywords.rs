//! Keywords of a site and sector: CRUD with filters, bulk status/delete, and
//! bulk import (Semrush, Ahrefs, Keyword Planner, Search Console, plain lists,
//! JSON rows). A keyword is unique per sector by its normalised text: its id
//! is derived from the sector and that text ([`keyword_id`]), so a duplicate
//! can never be a second item and bulk paths need no transaction. Importing a
//! keyword that exists updates its metrics instead of doubling it, so
//! importing a file twice changes nothing the second time.
//!
//! Bulk paths (import, bulk status/delete) read with `BatchGetItem`, write
//! with `BatchWriteItem` (25 per call, 4 calls in flight), reserve plan quota
//! once per chunk and refresh each touched cluster once per operation. They
//! rewrite the keywords they change (version bumped) without a condition: a
//! concurrent edit landing between the batch read and the batch write of the
//! same keyword loses to the bulk write; an edit made after it with the old
//! version gets a 409 as usual.

use super::import::{self, Intent, KeywordRow, ParsedFile, RowError};
use super::normalize::normalize_keyword;
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult, FieldError};
use crate::sites::Scope;
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Page, Query, SkCondition};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeywordStatus {
    New,
    Clustered,
    InUse,
    Archived,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Keyword {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    pub sector_id: String,
    pub keyword: String,
    pub normalized: String,
    #[serde(default)]
    pub volume: Option<u64>,
    #[serde(default)]
    pub volume_range: Option<(u64, u64)>,
    #[serde(default)]
    #[schema(maximum = 100)]
    pub difficulty: Option<u8>,
    #[serde(default)]
    pub cpc: Option<f64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub intent: Option<Intent>,
    #[serde(default)]
    pub serp_features: Vec<String>,
    #[serde(default)]
    pub trend: Vec<f64>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    pub source: String,
    pub status: KeywordStatus,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub parent_keyword: Option<String>,
    /// The import job that created the keyword (lets a resumed job count a
    /// keyword it wrote before a crash as created, not as a duplicate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_job: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for Keyword {
    const ENTITY: &'static str = "Keyword";
    fn key(&self) -> Key {
        keyword_key(&Tenant::from_verified(&self.account_id), &self.site_id, &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        let t = Tenant::from_verified(&self.account_id);
        ItemKeys {
            // A clustered keyword is listed under its cluster, an unclustered
            // one under its sector's unclustered list (what auto-cluster reads).
            gsi1: Some(match &self.cluster_id {
                Some(c) => (keys_by_cluster(&t, &self.site_id, c), self.id.clone()),
                None => (keys_unclustered(&t, &self.site_id, &self.sector_id), format!("{}#{}", self.created_at, self.id)),
            }),
            gsi2: Some((keys_by_sector(&t, &self.site_id, &self.sector_id), format!("{}#{}", self.created_at, self.id))),
            ttl: None,
        }
    }
}

/// A keyword as clustering and cluster statistics read it: a projection
/// ([`KeywordBrief::FIELDS`]) without the trend, SERP features and other
/// attributes, so reading 100,000 of them moves a fraction of the bytes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KeywordBrief {
    pub id: String,
    pub sector_id: String,
    pub keyword: String,
    #[serde(default)]
    pub volume: Option<u64>,
    #[serde(default)]
    pub difficulty: Option<u8>,
    #[serde(default)]
    pub intent: Option<Intent>,
    #[serde(default)]
    pub cluster_id: Option<String>,
    #[serde(default)]
    pub parent_keyword: Option<String>,
}

impl KeywordBrief {
    pub const FIELDS: &'static [&'static str] = &["id", "sector_id", "keyword", "volume", "difficulty", "intent", "cluster_id", "parent_keyword"];
}

/// What cluster statistics are computed from.
pub trait Metrics {
    fn volume(&self) -> Option<u64>;
    fn difficulty(&self) -> Option<u8>;
    fn intent(&self) -> Option<Intent>;
}

impl Metrics for Keyword {
    fn volume(&self) -> Option<u64> {
        self.volume
    }
    fn difficulty(&self) -> Option<u8> {
        self.difficulty
    }
    fn intent(&self) -> Option<Intent> {
        self.intent
    }
}

impl Metrics for KeywordBrief {
    fn volume(&self) -> Option<u64> {
        self.volume
    }
    fn difficulty(&self) -> Option<u8> {
        self.difficulty
    }
    fn intent(&self) -> Option<Intent> {
        self.intent
    }
}

/// The id of a sector's keyword: a ULID derived from the sector's id and the
/// normalised text (same inputs, same id), so the key itself is the
/// uniqueness guard.
pub fn keyword_id(sector_id: &str, normalized: &str) -> String {
    crate::ids::derived(sector_id, normalized)
}

pub fn keyword_key(t: &Tenant, site_id: &str, id: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("KW#{id}"))
}

/// GSI1: keywords of a cluster.
pub fn keys_by_cluster(t: &Tenant, site_id: &str, cluster_id: &str) -> String {
    format!("{}#CL#{cluster_id}#KW", t.site_pk(site_id))
}

/// GSI1: the unclustered keywords of a sector, in creation order (sort key
/// `<created_at>#<id>`; a keyword leaves it when it joins a cluster).
pub fn keys_unclustered(t: &Tenant, site_id: &str, sector_id: &str) -> String {
    format!("{}#SEC#{sector_id}#KW#UNCL", t.site_pk(site_id))
}

/// GSI2: keywords of a sector, in creation order (sort key `<created_at>#<id>`).
pub fn keys_by_sector(t: &Tenant, site_id: &str, sector_id: &str) -> String {
    format!("{}#SEC#{sector_id}#KW", t.site_pk(site_id))
}

// ------------------------------------------------------------------ create / update

/// Fields a client may set.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeywordInput {
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub sector_id: Option<String>,
    #[serde(default)]
    pub keyword: Option<String>,
    #[serde(default)]
    pub volume: Option<u64>,
    #[serde(default)]
    #[schema(maximum = 100)]
    pub difficulty: Option<u8>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub cpc: Option<f64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub intent: Option<Intent>,
    #[serde(default)]
    pub serp_features: Option<Vec<String>>,
    #[serde(default)]
    pub trend: Option<Vec<f64>>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub status: Option<KeywordStatus>,
    #[serde(default)]
    pub version: Option<u64>,
}

/// The largest CPC (and trend value) a keyword holds. Found by schemathesis:
/// `cpc: 1.8e308` passed the checks and failed the write (DynamoDB numbers
/// stop at 1e126), a 500.
pub const MAX_CPC: f64 = 1_000_000.0;
pub const MAX_TREND_VALUE: f64 = 1e15;

fn check_metrics(input: &KeywordInput, errors: &mut Vec<FieldError>) {
    if input.difficulty.is_some_and(|d| d > 100) {
        errors.push(FieldError::new("difficulty", "must be from 0 to 100"));
    }
    if input.cpc.is_some_and(|c| !c.is_finite() || !(0.0..=MAX_CPC).contains(&c)) {
        errors.push(FieldError::new("cpc", "must be a number from 0 to 1000000"));
    }
    if input.trend.as_ref().is_some_and(|t| t.len() > 24) {
        errors.push(FieldError::new("trend", "holds at most 24 monthly values"));
    }
    if input.trend.as_ref().is_some_and(|t| t.iter().any(|v| !v.is_finite() || v.abs() > MAX_TREND_VALUE)) {
        errors.push(FieldError::new("trend", "values must be numbers up to 1e15"));
    }
}

fn check_text(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<(String, String)> {
    let text = raw.map(str::trim).unwrap_or_default().to_string();
    if text.is_empty() {
        errors.push(FieldError::new("keyword", "is required"));
        return None;
    }
    if text.chars().count() > 200 {
        errors.push(FieldError::new("keyword", "must be at most 200 characters"));
        return None;
    }
    let n = normalize_keyword(&text);
    Some((text, n))
}

fn from_row(scope: &Scope, sector_id: &str, row: &KeywordRow, source: &str) -> Keyword {
    let now = crate::ids::now_rfc3339();
    Keyword {
        id: keyword_id(sector_id, &row.normalized),
        account_id: scope.tenant.account_id().to_string(),
        site_id: scope.site.id.clone(),
        sector_id: sector_id.to_string(),
        keyword: row.keyword.clone(),
        normalized: row.normalized.clone(),
        volume: row.volume,
        volume_range: row.volume_range,
        difficulty: row.difficulty,
        cpc: row.cpc,
        currency: row.currency.clone(),
        intent: row.intent,
        serp_features: row.serp_features.clone(),
        trend: row.trend.clone(),
        country: None,
        language: None,
        source: source.to_string(),
        status: KeywordStatus::New,
        cluster_id: None,
        parent_keyword: row.parent_keyword.clone(),
        import_job: None,
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    }
}

/// Creates a keyword; 409 if the sector already has it.
pub async fn create(state: &AppState, scope: &Scope, input: KeywordInput) -> AppResult<Keyword> {
    let sector = scope.sector.as_ref().ok_or_else(|| AppError::field("sector_id", "is required"))?;
    let mut errors = Vec::new();
    let text = check_text(input.keyword.as_deref(), &mut errors);
    check_metrics(&input, &mut errors);
    let Some((text, normalized)) = text.filter(|_| errors.is_empty()) else { return Err(AppError::fields(errors)) };
    let row = KeywordRow {
        row: 0,
        keyword: text,
        normalized,
        volume: input.volume,
        volume_range: None,
        difficulty: input.difficulty,
        cpc: input.cpc,
        currency: input.currency.clone(),
        intent: input.intent,
        serp_features: input.serp_features.clone().unwrap_or_default(),
        trend: input.trend.clone().unwrap_or_default(),
        parent_keyword: None,
        clicks: None,
        impressions: None,
        position: None,
    };
    let mut kw = from_row(scope, &sector.id, &row, "manual");
    kw.country = input.country;
    kw.language = input.language;
    super::quota::reserve(state, &scope.tenant, 1).await?;
    let created = state.store.create(&kw).await.map_err(|e| match e {
        AppError::Conflict(_) => AppError::Conflict(format!("the sector already has the keyword {:?}", kw.keyword)),
        e => e,
    });
    if let Err(e) = created {
        super::quota::release(state, &scope.tenant, 1).await;
        return Err(e);
    }
    Ok(kw)
}

pub async fn get(state: &AppState, scope: &Scope, id: &str) -> AppResult<Keyword> {
    scope.find(state, "keyword", id, keyword_key).await
}

/// Updates metrics and status (the text is fixed: delete and create instead).
pub async fn update(state: &AppState, scope: &Scope, id: &str, input: KeywordInput) -> AppResult<Keyword> {
    let mut kw = get(state, scope, id).await?;
    if input.version.is_some_and(|v| v != kw.version) {
        return Err(AppError::Conflict(format!("the keyword is at version {}, you edited another; reload and retry", kw.version)));
    }
    let stats_before = stats_fields(&kw);
    let mut errors = Vec::new();
    if input.keyword.as_deref().is_some_and(|k| normalize_keyword(k) != kw.normalized) {
        errors.push(FieldError::new("keyword", "cannot be changed; delete it and create the new keyword"));
    }
    check_metrics(&input, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    if input.volume.is_some() {
        kw.volume = input.volume;
        kw.volume_range = None;
    }
    kw.difficulty = input.difficulty.or(kw.difficulty);
    kw.cpc = input.cpc.or(kw.cpc);
    kw.currency = input.currency.or(kw.currency);
    kw.intent = input.intent.or(kw.intent);
    kw.serp_features = input.serp_features.unwrap_or(kw.serp_features);
    kw.trend = input.trend.unwrap_or(kw.trend);
    kw.country = input.country.or(kw.country);
    kw.language = input.language.or(kw.language);
    kw.status = input.status.unwrap_or(kw.status);
    kw.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut kw).await?;
    // The cluster's statistics follow its members' metrics.
    if let Some(c) = &kw.cluster_id
        && stats_before != stats_fields(&kw)
    {
        super::clusters::refresh(state, &scope.tenant, &scope.site.id, c).await?;
    }
    Ok(kw)
}

/// What a cluster's statistics read from a keyword.
fn stats_fields(k: &Keyword) -> (Option<u64>, Option<u8>, Option<Intent>) {
    (k.volume, k.difficulty, k.intent)
}

pub async fn delete(state: &AppState, scope: &Scope, id: &str) -> AppResult<()> {
    let kw = get(state, scope, id).await?;
    state.store.delete_versioned(&kw.key(), kw.version, "keyword").await?;
    super::quota::release(state, &scope.tenant, 1).await;
    if let Some(c) = &kw.cluster_id {
        super::clusters::refresh(state, &scope.tenant, &scope.site.id, c).await?;
    }
    Ok(())
}

// ------------------------------------------------------------------ list

/// List filters (all optional).
#[derive(Debug, Default, Clone)]
pub struct KeywordFilter {
    pub status: Option<KeywordStatus>,
    pub cluster_id: Option<String>,
    pub intent: Option<Intent>,
    pub min_volume: Option<u64>,
    pub max_volume: Option<u64>,
    pub min_difficulty: Option<u8>,
    pub max_difficulty: Option<u8>,
    pub search: Option<String>,
    pub newest_first: bool,
}

pub async fn list(state: &AppState, scope: &Scope, f: &KeywordFilter, limit: i32, cursor: Option<String>) -> AppResult<Page<Keyword>> {
    let t = &scope.tenant;
    let mut q = match (&f.cluster_id, &scope.sector) {
        (Some(c), _) => Query::new(t, Index::Gsi1, keys_by_cluster(t, &scope.site.id, c)),
        (None, Some(sector)) => Query::new(t, Index::Gsi2, keys_by_sector(t, &scope.site.id, &sector.id)),
        (None, None) => Query::new(t, Index::Table, t.site_pk(&scope.site.id)).sk(SkCondition::BeginsWith("KW#".into())),
    };
    if let (Some(_), Some(sector)) = (&f.cluster_id, &scope.sector) {
        q = q.filter("sector_id = :sector", &[], vec![(":sector", AttributeValue::S(sector.id.clone()))]);
    }
    let n = |v: u64| AttributeValue::N(v.to_string());
    if let Some(s) = f.status {
        q = q.filter("#st = :st", &[("#st", "status")], vec![(":st", AttributeValue::S(json_str(&s)))]);
    }
    if let Some(i) = f.intent {
        q = q.filter("intent = :intent", &[], vec![(":intent", AttributeValue::S(json_str(&i)))]);
    }
    if let Some(v) = f.min_volume {
        q = q.filter("#vol >= :minv", &[("#vol", "volume")], vec![(":minv", n(v))]);
    }
    if let Some(v) = f.max_volume {
        q = q.filter("#vol <= :maxv", &[("#vol", "volume")], vec![(":maxv", n(v))]);
    }
    if let Some(v) = f.min_difficulty {
        q = q.filter("difficulty >= :mind", &[], vec![(":mind", n(v.into()))]);
    }
    if let Some(v) = f.max_difficulty {
        q = q.filter("difficulty <= :maxd", &[], vec![(":maxd", n(v.into()))]);
    }
    if let Some(s) = f.search.as_deref().map(normalize_keyword).filter(|s| !s.is_empty()) {
        q = q.filter("contains(normalized, :search)", &[], vec![(":search", AttributeValue::S(s))]);
    }
    state.store.query(&q.limit(limit).cursor(cursor).newest_first(f.newest_first)).await
}

fn json_str<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

// ------------------------------------------------------------------ bulk

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub updated: usize,
    pub not_found: Vec<String>,
}

/// The keywords of the scope named by `ids` (one `BatchGetItem` round), and
/// the ids that name none.
pub(crate) async fn get_many(state: &AppState, scope: &Scope, ids: &[String]) -> AppResult<(Vec<Keyword>, Vec<String>)> {
    let t = &scope.tenant;
    let keys: Vec<Key> = ids.iter().filter(|id| crate::ids::is_valid(id)).map(|id| keyword_key(t, &scope.site.id, id)).collect();
    let found: Vec<Keyword> = state.store.batch_get(&keys).await?;
    let have: std::collections::HashSet<&str> = found.iter().map(|k| k.id.as_str()).collect();
    let mut missing: Vec<String> = ids.iter().filter(|id| !have.contains(id.as_str())).cloned().collect();
    missing.dedup();
    Ok((found, missing))
}

/// Refreshes each cluster once (the clusters whose members a bulk operation changed).
pub(crate) async fn refresh_clusters(state: &AppState, t: &Tenant, site_id: &str, clusters: impl IntoIterator<Item = String>) -> AppResult<()> {
    let unique: BTreeSet<String> = clusters.into_iter().collect();
    // Boxed futures over owned ids keep the caller's future `Send` for every lifetime.
    let futures: Vec<futures::future::BoxFuture<'_, AppResult<Option<super::clusters::Cluster>>>> = unique
        .into_iter()
        .map(|c| {
            let fut: futures::future::BoxFuture<'_, _> = Box::pin(async move { super::clusters::refresh(state, t, site_id, &c).await });
            fut
        })
        .collect();
    let results: Vec<AppResult<_>> = futures::stream::iter(futures).buffer_unordered(4).collect().await;
    results.into_iter().collect::<AppResult<Vec<_>>>()?;
    Ok(())
}

pub async fn bulk_status(state: &AppState, scope: &Scope, ids: &[String], status: KeywordStatus) -> AppResult<BulkResult> {
    check_ids(ids)?;
    let (mut found, not_found) = get_many(state, scope, ids).await?;
    let now = crate::ids::now_rfc3339();
    for kw in &mut found {
        kw.status = status;
        kw.updated_at = now.clone();
        kw.version += 1;
    }
    state.store.batch_put(&found).await?;
    Ok(BulkResult { updated: found.len(), not_found })
}

pub async fn bulk_delete(state: &AppState, scope: &Scope, ids: &[String]) -> AppResult<BulkResult> {
    check_ids(ids)?;
    let (found, not_found) = get_many(state, scope, ids).await?;
    let keys: Vec<Key> = found.iter().map(Item::key).collect();
    state.store.batch_delete(&keys).await?;
    super::quota::release(state, &scope.tenant, found.len()).await;
    refresh_clusters(state, &scope.tenant, &scope.site.id, found.iter().filter_map(|k| k.cluster_id.clone())).await?;
    Ok(BulkResult { updated: found.len(), not_found })
}

fn check_ids(ids: &[String]) -> AppResult<()> {
    if ids.is_empty() || ids.len() > 500 {
        return Err(AppError::field("ids", "give from 1 to 500 ids"));
    }
    Ok(())
}

// ------------------------------------------------------------------ import

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub format: Option<import::SourceFormat>,
    /// Data rows in the file: distinct keywords + in-file duplicates + invalid rows.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// Rows not written: unchanged keywords, invalid rows and rows over the plan's limit.
    pub skipped: usize,
    /// Rows the parser rejected (their errors are listed in `errors`).
    #[serde(default)]
    pub invalid: usize,
    pub duplicates_in_file: usize,
    /// Row errors, in row order (at most [`MAX_REPORTED_ERRORS`]; `skipped` counts them all).
    pub errors: Vec<RowError>,
}

/// Most rows one import may hold (bigger files are a clear 400).
pub const MAX_IMPORT_ROWS: usize = 200_000;

/// Row errors an import report lists (a 100,000-row file over the plan's
/// limit would otherwise list every row).
pub const MAX_REPORTED_ERRORS: usize = 1_000;

/// The job kind of imports too big for one request.
pub const IMPORT_JOB: &str = "import_keywords";

/// Rows merged per chunk: one `BatchGetItem` round (100 keys per call), one
/// quota reservation, `BatchWriteItem` of the new and changed keywords, and
/// (in a job) one progress update and one checkpoint.
pub const IMPORT_CHUNK: usize = 1_000;

/// How long a synchronous import may take (API Gateway cuts requests at 30 s).
pub const SYNC_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

/// Measured cost of one imported row in this process, in microseconds
/// (moving average over the chunks merged so far; starts pessimistic).
static ROW_COST_MICROS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(2_000);

/// The measured per-row cost of merging rows (for the sync/job decision).
pub fn row_cost() -> std::time::Duration {
    std::time::Duration::from_micros(ROW_COST_MICROS.load(std::sync::atomic::Ordering::Relaxed))
}

fn record_row_cost(rows: usize, took: std::time::Duration) {
    if rows < 100 {
        return; // too few rows to say anything about throughput
    }
    let sample = (took.as_micros() as u64 / rows as u64).max(1);
    let old = ROW_COST_MICROS.load(std::sync::atomic::Ordering::Relaxed);
    ROW_COST_MICROS.store((old * 3 + sample) / 4, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `rows` rows fit in a request: within the configured cap and,
/// at the measured per-row cost, within [`SYNC_BUDGET`].
pub fn fits_in_request(config: &crate::Config, rows: usize) -> bool {
    rows <= config.import_sync_max_rows && row_cost() * rows as u32 <= SYNC_BUDGET
}

fn merge_metrics(kw: &mut Keyword, row: &KeywordRow) -> bool {
    let before = (kw.volume, kw.volume_range, kw.difficulty, kw.cpc.map(f64::to_bits), kw.intent, kw.trend.len(), kw.parent_keyword.clone());
    if row.volume.is_some() {
        kw.volume = row.volume;
        kw.volume_range = row.volume_range;
    }
    kw.difficulty = row.difficulty.or(kw.difficulty);
    kw.cpc = row.cpc.or(kw.cpc);
    kw.currency = row.currency.clone().or(kw.currency.take());
    kw.intent = row.intent.or(kw.intent);
    if !row.serp_features.is_empty() {
        kw.serp_features = row.serp_features.clone();
    }
    if !row.trend.is_empty() {
        kw.trend = row.trend.clone();
    }
    kw.parent_keyword = row.parent_keyword.clone().or(kw.parent_keyword.take());
    let after = (kw.volume, kw.volume_range, kw.difficulty, kw.cpc.map(f64::to_bits), kw.intent, kw.trend.len(), kw.parent_keyword.clone());
    before != after
}

/// What merging one chunk did.
#[derive(Debug, Default)]
struct ChunkOutcome {
    created: usize,
    updated: usize,
    unchanged: usize,
    errors: Vec<RowError>,
    /// Clusters whose members' metrics changed.
    touched: BTreeSet<String>,
}

/// Merges one chunk of rows: reads the keywords they name in one batch,
/// reserves quota for the new ones once (idempotently per job chunk), and
/// writes new and changed keywords in one batch.
async fn merge_chunk(state: &AppState, scope: &Scope, sector_id: &str, source: &str, rows: &[KeywordRow], job: Option<(&str, usize)>) -> AppResult<ChunkOutcome> {
    let started = std::time::Instant::now();
    let t = &scope.tenant;
    let job_id = job.map(|(id, _)| id);
    let keys: Vec<Key> = rows.iter().map(|r| keyword_key(t, &scope.site.id, &keyword_id(sector_id, &r.normalized))).collect();
    let mut existing: HashMap<String, Keyword> = state.store.batch_get::<Keyword>(&keys).await?.into_iter().map(|k| (k.id.clone(), k)).collect();
    let mut out = ChunkOutcome::default();
    let mut writes: Vec<Keyword> = Vec::new();
    let mut new_rows: Vec<&KeywordRow> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let now = crate::ids::now_rfc3339();
    for row in rows {
        let id = keyword_id(sector_id, &row.normalized);
        if !seen.insert(id.clone()) {
            out.unchanged += 1; // the parser merges in-file duplicates; this is a safety net
            continue;
        }
        match existing.remove(&id) {
            // written by this job before it was interrupted: it created it
            Some(kw) if job_id.is_some() && kw.import_job.as_deref() == job_id => out.created += 1,
            Some(mut kw) => {
                if merge_metrics(&mut kw, row) {
                    kw.updated_at = now.clone();
                    kw.version += 1;
                    out.touched.extend(kw.cluster_id.clone());
                    writes.push(kw);
                    out.updated += 1;
                } else {
                    out.unchanged += 1;
                }
            }
            None => new_rows.push(row),
        }
    }
    let idempotency = job.map(|(id, chunk)| format!("{id}#{chunk}"));
    // A resumed chunk's grant already covers the keywords it created before.
    let granted = super::quota::reserve_up_to(state, t, new_rows.len(), idempotency.as_deref()).await?.saturating_sub(out.created);
    let refused = if new_rows.len() > granted { Some(super::quota::limit_message(state, t).await?) } else { None };
    for (i, row) in new_rows.into_iter().enumerate() {
        if i < granted {
            let mut kw = from_row(scope, sector_id, row, source);
            kw.import_job = job_id.map(str::to_string);
            writes.push(kw);
            out.created += 1;
        } else if let Some(message) = &refused {
            out.errors.push(RowError { row: row.row, column: "keyword".into(), message: message.clone() });
        }
    }
    state.store.batch_put(&writes).await?;
    record_row_cost(rows.len(), started.elapsed());
    Ok(out)
}

fn add_chunk(report: &mut ImportReport, touched: &mut BTreeSet<String>, out: ChunkOutcome) {
    report.created += out.created;
    report.updated += out.updated;
    report.skipped += out.unchanged + out.errors.len();
    let room = MAX_REPORTED_ERRORS.saturating_sub(report.errors.len());
    report.errors.extend(out.errors.into_iter().take(room));
    touched.extend(out.touched);
}

fn new_report(parsed: &mut ParsedFile) -> ImportReport {
    let invalid = parsed.errors.iter().map(|e| e.row).collect::<BTreeSet<_>>().len();
    let mut errors = std::mem::take(&mut parsed.errors);
    errors.truncate(MAX_REPORTED_ERRORS);
    ImportReport {
        format: Some(parsed.format),
        rows: parsed.rows.len() + parsed.duplicates_in_file + invalid,
        invalid,
        skipped: invalid,
        duplicates_in_file: parsed.duplicates_in_file,
        errors,
        ..Default::default()
    }
}

/// What an import request answers: the report, or the job importing a big file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Imported {
    Done(ImportReport),
    Queued(Box<crate::jobs::Job>),
}

/// Imports parsed rows into the scope's sector: within the request when they
/// fit ([`fits_in_request`]: the measured per-row cost keeps the request
/// within [`SYNC_BUDGET`]), else as an `import_keywords` job (the parsed rows
/// wait in the tenant's prefix of the bucket; the job reports progress per
/// chunk, resumes from its last finished chunk, and ends with the same report).
pub async fn import(state: &AppState, scope: &Scope, parsed: ParsedFile) -> AppResult<Imported> {
    let sector = scope.sector.as_ref().ok_or_else(|| AppError::field("sector_id", "is required"))?;
    if parsed.rows.len() > MAX_IMPORT_ROWS {
        return Err(AppError::validation(format!("the file has {} keyword rows; import at most {MAX_IMPORT_ROWS} at a time", parsed.rows.len())));
    }
    if fits_in_request(&state.config, parsed.rows.len()) {
        return Ok(Imported::Done(import_parsed(state, scope, parsed).await?));
    }
    let input = serde_json::json!({"site_id": scope.site.id, "sector_id": sector.id, "rows": parsed.rows.len(), "format": parsed.format});
    let job = crate::jobs::Job::new(&scope.tenant, IMPORT_JOB, input);
    let bytes = serde_json::to_vec(&parsed).map_err(AppError::internal)?;
    crate::blobs::put(state, &scope.tenant, &import_object(&scope.site.id, &job.id), bytes, "application/json").await?;
    state.store.create(&job).await?;
    crate::jobs::send(state, &job).await?;
    Ok(Imported::Queued(Box::new(job)))
}

/// Where an import job's rows wait: in the site's folder (so deleting the
/// site sweeps them), under `imports/` (tagged for expiry, see `blobs`).
pub fn import_object(site_id: &str, job_id: &str) -> String {
    format!("sites/{site_id}/imports/{job_id}.json")
}

/// Where an import job stands: written after each finished chunk, read when
/// a redelivered or retried job starts again. `ACCT#<a>` / `IMPORTCKPT#<job>`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportCheckpoint {
    pub account_id: String,
    pub job_id: String,
    /// Chunks finished (the next chunk to merge).
    pub chunks_done: usize,
    pub report: ImportReport,
    /// Clusters to refresh when the import ends.
    pub touched: BTreeSet<String>,
    pub expires_at: i64,
}

impl Item for ImportCheckpoint {
    const ENTITY: &'static str = "ImportCheckpoint";
    fn key(&self) -> Key {
        import_checkpoint_key(&Tenant::from_verified(&self.account_id), &self.job_id)
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { ttl: Some(self.expires_at), ..ItemKeys::default() }
    }
}

pub fn import_checkpoint_key(t: &Tenant, job_id: &str) -> Key {
    Key::new(t.pk(), format!("IMPORTCKPT#{job_id}"))
}

/// Runs an `import_keywords` job (registered in the worker): chunk by chunk
/// from the last checkpoint, a progress update and a checkpoint after each.
pub async fn run_import_job(state: std::sync::Arc<AppState>, job: crate::jobs::Job) -> Result<serde_json::Value, crate::jobs::JobError> {
    use crate::jobs::JobError;
    let retry = JobError::from;
    let t = Tenant::from_verified(&job.account_id);
    let field = |k: &str| job.input[k].as_str().map(str::to_string).ok_or_else(|| JobError::Permanent(format!("job input lacks {k}")));
    let (site_id, sector_id) = (field("site_id")?, field("sector_id")?);
    let blob = import_object(&site_id, &job.id);
    let site = state.store.get::<crate::sites::Site>(&keys::site(&t, &site_id)).await.map_err(retry)?.filter(|s| s.deleting.is_none());
    let sector = state.store.get::<crate::sites::Sector>(&keys::sector(&t, &site_id, &sector_id)).await.map_err(retry)?.filter(|s| s.deleting.is_none());
    let (Some(site), Some(sector)) = (site, sector) else {
        // Nothing will import these rows any more: they go now, not at expiry.
        crate::blobs::delete(&state, &t, &blob).await.map_err(retry)?;
        return Err(JobError::Permanent("the site or sector was deleted".into()));
    };
    let scope = Scope { tenant: t.clone(), site, sector: Some(sector) };
    let bytes = crate::blobs::get(&state, &t, &blob)
        .await
        .map_err(retry)?
        .ok_or_else(|| JobError::Permanent("the uploaded rows are gone (the import ran already or expired)".into()))?;
    let mut parsed: ParsedFile = serde_json::from_slice(&bytes).map_err(|e| JobError::Permanent(format!("stored rows unreadable: {e}")))?;
    let source = json_str(&parsed.format);
    let mut ckpt = match state.store.get::<ImportCheckpoint>(&import_checkpoint_key(&t, &job.id)).await.map_err(retry)? {
        Some(c) => c,
        None => ImportCheckpoint {
            account_id: t.account_id().to_string(),
            job_id: job.id.clone(),
            chunks_done: 0,
            report: new_report(&mut parsed),
            touched: BTreeSet::new(),
            expires_at: crate::ids::now_epoch() + 7 * 86_400,
        },
    };
    let chunks: Vec<&[KeywordRow]> = parsed.rows.chunks(IMPORT_CHUNK).collect();
    let total = chunks.len().max(1);
    for (i, chunk) in chunks.iter().enumerate().skip(ckpt.chunks_done) {
        let out = merge_chunk(&state, &scope, &sector_id, &source, chunk, Some((&job.id, i))).await.map_err(retry)?;
        add_chunk(&mut ckpt.report, &mut ckpt.touched, out);
        ckpt.chunks_done = i + 1;
        state.store.put(&ckpt).await.map_err(retry)?;
        crate::jobs::progress(&state, &job, "Importing keywords", (ckpt.chunks_done * 100 / total).min(99) as u8).await;
    }
    refresh_clusters(&state, &t, &site_id, ckpt.touched.iter().cloned()).await.map_err(retry)?;
    let mut report = ckpt.report;
    report.errors.sort_by_key(|e| e.row);
    crate::blobs::delete(&state, &t, &blob).await.map_err(retry)?;
    serde_json::to_value(&report).map_err(|e| JobError::Permanent(e.to_string()))
}

/// Imports parsed rows into the scope's sector within the request. Bad rows
/// are reported and skipped; good rows land whatever the others do.
pub async fn import_parsed(state: &AppState, scope: &Scope, mut parsed: ParsedFile) -> AppResult<ImportReport> {
    let sector = scope.sector.as_ref().ok_or_else(|| AppError::field("sector_id", "is required"))?;
    let source = json_str(&parsed.format);
    let mut report = new_report(&mut parsed);
    let mut touched = BTreeSet::new();
    for chunk in parsed.rows.chunks(IMPORT_CHUNK) {
        let out = merge_chunk(state, scope, &sector.id, &source, chunk, None).await?;
        add_chunk(&mut report, &mut touched, out);
    }
    refresh_clusters(state, &scope.tenant, &scope.site.id, touched).await?;
    report.errors.sort_by_key(|e| e.row);
    Ok(report)
}

/// Resolves the scope of a keyword request from `site_id` / `sector_id`.
pub async fn scope_for(state: &AppState, p: &Principal, site_id: Option<&str>, sector_id: Option<&str>) -> AppResult<Scope> {
    let site_id = site_id.ok_or_else(|| AppError::field("site_id", "is required"))?;
    crate::sites::scope(state, p, site_id, sector_id).await
}

crate::versioned!(Keyword);

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The sync/job decision follows the measured per-row cost: after slow
    /// merges (20 ms a row) 600 rows would take 12 s, past the 10 s budget,
    /// so they become a job while 400 rows (8 s) stay in the request; after
    /// fast merges (0.1 ms a row) the configured cap decides. Chunks under
    /// 100 rows say nothing about throughput and leave the estimate alone.
    /// (The only test in this binary that moves the process-wide estimate.)
    #[test]
    fn an_import_stays_in_the_request_only_while_its_measured_cost_fits_the_budget() {
        let config = crate::Config::local("http://127.0.0.1:1", "t", "secret-0123456789abcdef0123456789abcdef");
        let config = crate::Config { import_sync_max_rows: 5_000, ..config };
        for _ in 0..40 {
            record_row_cost(1_000, Duration::from_secs(20));
        }
        assert!((19_000..=20_000).contains(&row_cost().as_micros()), "estimate {:?}", row_cost());
        assert!(!fits_in_request(&config, 600), "600 rows at ~20 ms each is ~12 s: a job");
        assert!(fits_in_request(&config, 400), "400 rows at ~20 ms each is ~8 s: in the request");
        record_row_cost(10, Duration::from_micros(10));
        assert!(row_cost().as_micros() >= 19_000, "a 10-row chunk does not move the estimate: {:?}", row_cost());
        for _ in 0..40 {
            record_row_cost(1_000, Duration::from_millis(100));
        }
        assert!(row_cost().as_micros() <= 200, "estimate {:?}", row_cost());
        assert!(fits_in_request(&config, 5_000), "the cap allows 5,000 rows, ~0.5 s at the measured cost");
        assert!(!fits_in_request(&config, 5_001), "past the configured cap: a job whatever the cost");
    }
}
