//! Keywords of a site and sector: CRUD with filters, bulk status/delete, and
//! bulk import (Semrush, Ahrefs, Keyword Planner, Search Console, plain lists,
//! JSON rows). A keyword is unique per sector by its normalised text (a guard
//! item in the site's partition); importing a keyword that exists updates its
//! metrics instead of doubling it, so importing a file twice changes nothing
//! the second time.

use super::import::{self, Intent, KeywordRow, ParsedFile, RowError};
use super::normalize::normalize_keyword;
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult, FieldError};
use crate::sites::Scope;
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Page, Query, SkCondition, TxError};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::StreamExt;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeywordStatus {
    New,
    Clustered,
    InUse,
    Archived,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
            gsi1: self.cluster_id.as_ref().map(|c| (keys_by_cluster(&t, &self.site_id, c), self.id.clone())),
            gsi2: Some((keys_by_sector(&t, &self.site_id, &self.sector_id), self.id.clone())),
            ttl: None,
        }
    }
}


pub fn keyword_key(t: &Tenant, site_id: &str, id: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("KW#{id}"))
}

/// GSI1: keywords of a cluster.
pub fn keys_by_cluster(t: &Tenant, site_id: &str, cluster_id: &str) -> String {
    format!("{}#CL#{cluster_id}#KW", t.site_pk(site_id))
}

/// GSI2: keywords of a sector, in creation order.
pub fn keys_by_sector(t: &Tenant, site_id: &str, sector_id: &str) -> String {
    format!("{}#SEC#{sector_id}#KW", t.site_pk(site_id))
}

fn guard(t: &Tenant, site_id: &str, sector_id: &str, normalized: &str) -> Key {
    keys::unique_in_site(t, site_id, "KW", &format!("{sector_id}#{normalized}"))
}

// ------------------------------------------------------------------ create / update

/// Fields a client may set.
#[derive(Debug, Default, Deserialize)]
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
    pub difficulty: Option<u8>,
    #[serde(default)]
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

fn check_metrics(input: &KeywordInput, errors: &mut Vec<FieldError>) {
    if input.difficulty.is_some_and(|d| d > 100) {
        errors.push(FieldError::new("difficulty", "must be from 0 to 100"));
    }
    if input.cpc.is_some_and(|c| !c.is_finite() || c < 0.0) {
        errors.push(FieldError::new("cpc", "must be a non-negative number"));
    }
    if input.trend.as_ref().is_some_and(|t| t.len() > 24) {
        errors.push(FieldError::new("trend", "holds at most 24 monthly values"));
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
        id: crate::ids::new_id(),
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
    let store = &state.store;
    let g = guard(&scope.tenant, &scope.site.id, &sector.id, &kw.normalized);
    super::quota::reserve(state, &scope.tenant, 1).await?;
    let created = store.transact(vec![store.tx_create(&kw)?, store.tx_guard(&g, &kw.id)?]).await.map_err(|e| match e {
        TxError::ConditionFailed(_) => AppError::Conflict(format!("the sector already has the keyword {:?}", kw.keyword)),
        TxError::Other(e) => e,
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
    Ok(kw)
}

pub async fn delete(state: &AppState, scope: &Scope, id: &str) -> AppResult<()> {
    let kw = get(state, scope, id).await?;
    let store = &state.store;
    let g = guard(&scope.tenant, &scope.site.id, &kw.sector_id, &kw.normalized);
    store.transact(vec![store.tx_delete_versioned(&kw.key(), kw.version)?, store.tx_delete(&g)?]).await.map_err(AppError::from)?;
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

#[derive(Debug, Clone, Default, Serialize)]
pub struct BulkResult {
    pub updated: usize,
    pub not_found: Vec<String>,
}

pub async fn bulk_status(state: &AppState, scope: &Scope, ids: &[String], status: KeywordStatus) -> AppResult<BulkResult> {
    check_ids(ids)?;
    let mut out = BulkResult::default();
    for id in ids {
        match get(state, scope, id).await {
            Ok(mut kw) => {
                kw.status = status;
                kw.updated_at = crate::ids::now_rfc3339();
                state.store.update_versioned(&mut kw).await?;
                out.updated += 1;
            }
            Err(AppError::NotFound(_)) => out.not_found.push(id.clone()),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

pub async fn bulk_delete(state: &AppState, scope: &Scope, ids: &[String]) -> AppResult<BulkResult> {
    check_ids(ids)?;
    let mut out = BulkResult::default();
    for id in ids {
        match delete(state, scope, id).await {
            Ok(()) => out.updated += 1,
            Err(AppError::NotFound(_)) => out.not_found.push(id.clone()),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn check_ids(ids: &[String]) -> AppResult<()> {
    if ids.is_empty() || ids.len() > 500 {
        return Err(AppError::field("ids", "give from 1 to 500 ids"));
    }
    Ok(())
}

// ------------------------------------------------------------------ import

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub format: Option<import::SourceFormat>,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub skipped: usize,
    pub duplicates_in_file: usize,
    pub errors: Vec<RowError>,
}

/// Most rows one import may hold (bigger files are a clear 400).
pub const MAX_IMPORT_ROWS: usize = 200_000;

/// The job kind of imports too big for one request.
pub const IMPORT_JOB: &str = "import_keywords";

/// Rows merged between two progress updates of an import job.
const IMPORT_CHUNK: usize = 500;

enum Merge {
    Created,
    Updated,
    Unchanged,
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

async fn import_row(state: &AppState, scope: &Scope, sector_id: &str, row: &KeywordRow, source: &str) -> AppResult<Merge> {
    let store = &state.store;
    let g = guard(&scope.tenant, &scope.site.id, sector_id, &row.normalized);
    for _ in 0..3 {
        let existing: Option<serde_json::Value> = store.get(&g).await?;
        if let Some(owner) = existing.as_ref().and_then(|v| v["owner"].as_str()) {
            let Some(mut kw) = store.get::<Keyword>(&keyword_key(&scope.tenant, &scope.site.id, owner)).await? else { continue };
            if !merge_metrics(&mut kw, row) {
                return Ok(Merge::Unchanged);
            }
            kw.updated_at = crate::ids::now_rfc3339();
            match store.update_versioned(&mut kw).await {
                Ok(()) => return Ok(Merge::Updated),
                Err(AppError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        let kw = from_row(scope, sector_id, row, source);
        super::quota::reserve(state, &scope.tenant, 1).await?;
        match store.transact(vec![store.tx_create(&kw)?, store.tx_guard(&g, &kw.id)?]).await {
            Ok(()) => return Ok(Merge::Created),
            Err(e) => {
                super::quota::release(state, &scope.tenant, 1).await;
                match e {
                    TxError::ConditionFailed(_) => continue, // created concurrently: merge into it
                    TxError::Other(e) => return Err(e),
                }
            }
        }
    }
    Err(AppError::Conflict(format!("keyword {:?} is being changed concurrently; retry the import", row.keyword)))
}

/// What an import request answers: the report, or the job importing a big file.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Imported {
    Done(ImportReport),
    Queued(Box<crate::jobs::Job>),
}

/// Imports parsed rows into the scope's sector: within the request up to
/// `config.import_sync_max_rows` rows, else as an `import_keywords` job (the
/// parsed rows wait in the tenant's prefix of the bucket; the job reports
/// progress and ends with the same report).
pub async fn import(state: &AppState, scope: &Scope, parsed: ParsedFile) -> AppResult<Imported> {
    let sector = scope.sector.as_ref().ok_or_else(|| AppError::field("sector_id", "is required"))?;
    if parsed.rows.len() > MAX_IMPORT_ROWS {
        return Err(AppError::validation(format!("the file has {} keyword rows; import at most {MAX_IMPORT_ROWS} at a time", parsed.rows.len())));
    }
    if parsed.rows.len() <= state.config.import_sync_max_rows {
        return Ok(Imported::Done(import_parsed(state, scope, parsed).await?));
    }
    let input = serde_json::json!({"site_id": scope.site.id, "sector_id": sector.id, "rows": parsed.rows.len(), "format": parsed.format});
    let job = crate::jobs::Job::new(&scope.tenant, IMPORT_JOB, input);
    let bytes = serde_json::to_vec(&parsed).map_err(AppError::internal)?;
    crate::blobs::put(state, &scope.tenant, &import_object(&job.id), bytes, "application/json").await?;
    state.store.create(&job).await?;
    crate::jobs::send(state, &job).await?;
    Ok(Imported::Queued(Box::new(job)))
}

fn import_object(job_id: &str) -> String {
    format!("imports/{job_id}.json")
}

/// Runs an `import_keywords` job (registered in the worker).
pub async fn run_import_job(state: std::sync::Arc<AppState>, job: crate::jobs::Job) -> Result<serde_json::Value, crate::jobs::JobError> {
    use crate::jobs::JobError;
    let retry = JobError::from;
    let t = Tenant::from_verified(&job.account_id);
    let field = |k: &str| job.input[k].as_str().map(str::to_string).ok_or_else(|| JobError::Permanent(format!("job input lacks {k}")));
    let (site_id, sector_id) = (field("site_id")?, field("sector_id")?);
    let site: crate::sites::Site = state.store.get(&keys::site(&t, &site_id)).await.map_err(retry)?.ok_or_else(|| JobError::Permanent("the site was deleted".into()))?;
    let sector: crate::sites::Sector =
        state.store.get(&keys::sector(&t, &site_id, &sector_id)).await.map_err(retry)?.ok_or_else(|| JobError::Permanent("the sector was deleted".into()))?;
    let scope = Scope { tenant: t.clone(), site, sector: Some(sector) };
    let bytes = crate::blobs::get(&state, &t, &import_object(&job.id))
        .await
        .map_err(retry)?
        .ok_or_else(|| JobError::Permanent("the uploaded rows are gone (the import ran already or expired)".into()))?;
    let parsed: ParsedFile = serde_json::from_slice(&bytes).map_err(|e| JobError::Permanent(format!("stored rows unreadable: {e}")))?;
    let source = json_str(&parsed.format);
    let total = parsed.rows.len().max(1);
    let mut report = ImportReport {
        format: Some(parsed.format),
        rows: parsed.rows.len() + parsed.errors.len(),
        duplicates_in_file: parsed.duplicates_in_file,
        errors: parsed.errors,
        ..Default::default()
    };
    let mut done = 0usize;
    for chunk in parsed.rows.chunks(IMPORT_CHUNK) {
        merge_rows(&state, &scope, &sector_id, &source, chunk.to_vec(), &mut report).await;
        done += chunk.len();
        crate::jobs::progress(&state, &job, "Importing keywords", (done * 100 / total) as u8).await;
    }
    report.errors.sort_by_key(|e| e.row);
    crate::blobs::delete(&state, &t, &import_object(&job.id)).await.map_err(retry)?;
    serde_json::to_value(&report).map_err(|e| JobError::Permanent(e.to_string()))
}

/// Imports parsed rows into the scope's sector within the request. Bad rows
/// are reported and skipped; good rows land whatever the others do.
pub async fn import_parsed(state: &AppState, scope: &Scope, parsed: ParsedFile) -> AppResult<ImportReport> {
    let sector = scope.sector.as_ref().ok_or_else(|| AppError::field("sector_id", "is required"))?;
    let source = json_str(&parsed.format);
    let mut report = ImportReport {
        format: Some(parsed.format),
        rows: parsed.rows.len() + parsed.errors.len(),
        duplicates_in_file: parsed.duplicates_in_file,
        errors: parsed.errors,
        ..Default::default()
    };
    merge_rows(state, scope, &sector.id, &source, parsed.rows, &mut report).await;
    report.errors.sort_by_key(|e| e.row);
    Ok(report)
}

/// Creates or merges each row (8 at a time), counting into `report`.
async fn merge_rows(state: &AppState, scope: &Scope, sector_id: &str, source: &str, rows: Vec<KeywordRow>, report: &mut ImportReport) {
    let mut results: Vec<(usize, AppResult<Merge>)> = Vec::with_capacity(rows.len());
    // Owned rows and boxed futures keep the stream's future `Send` for every lifetime.
    let futures: Vec<futures::future::BoxFuture<'_, (usize, AppResult<Merge>)>> = rows
        .into_iter()
        .map(|row| {
            let (source, sector_id) = (source.to_string(), sector_id.to_string());
            let fut: futures::future::BoxFuture<'_, (usize, AppResult<Merge>)> =
                Box::pin(async move { (row.row, import_row(state, scope, &sector_id, &row, &source).await) });
            fut
        })
        .collect();
    let mut stream = futures::stream::iter(futures).buffer_unordered(8);
    while let Some(r) = stream.next().await {
        results.push(r);
    }
    for (row, r) in results {
        match r {
            Ok(Merge::Created) => report.created += 1,
            Ok(Merge::Updated) => report.updated += 1,
            Ok(Merge::Unchanged) => report.skipped += 1,
            Err(e) => {
                report.skipped += 1;
                report.errors.push(RowError { row, column: "keyword".into(), message: e.public_message() });
            }
        }
    }
}

/// Resolves the scope of a keyword request from `site_id` / `sector_id`.
pub async fn scope_for(state: &AppState, p: &Principal, site_id: Option<&str>, sector_id: Option<&str>) -> AppResult<Scope> {
    let site_id = site_id.ok_or_else(|| AppError::field("site_id", "is required"))?;
    crate::sites::scope(state, p, site_id, sector_id).await
}

crate::versioned!(Keyword);
