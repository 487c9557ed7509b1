//! Clusters of a site and sector: topics grouping keywords. A keyword belongs
//! to at most one cluster (`Keyword::cluster_id`); a cluster's statistics
//! (keyword count, total volume, average difficulty, dominant intent) are
//! recomputed from its members whenever membership changes (once per cluster
//! per operation, never once per keyword), so they never drift from the
//! keywords themselves. Membership changes read the keywords in one
//! `BatchGetItem` round and write them with `BatchWriteItem`.

use super::import::Intent;
use super::keywords::{self, Keyword, KeywordBrief, KeywordStatus, Metrics};
use crate::error::{AppError, AppResult, FieldError};
use crate::sites::Scope;
use crate::state::AppState;
use crate::store::keys::{Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Page, Query};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClusterStatus {
    Active,
    Archived,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Cluster {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    pub sector_id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub keyword_count: u32,
    pub total_volume: u64,
    #[serde(default)]
    pub avg_difficulty: Option<f64>,
    #[serde(default)]
    pub dominant_intent: Option<Intent>,
    pub status: ClusterStatus,
    /// `manual` or `auto_cluster` (with the job that made it).
    pub source: String,
    #[serde(default)]
    pub job_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for Cluster {
    const ENTITY: &'static str = "Cluster";
    fn key(&self) -> Key {
        cluster_key(&Tenant::from_verified(&self.account_id), &self.site_id, &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        let t = Tenant::from_verified(&self.account_id);
        ItemKeys { gsi1: None, gsi2: Some((clusters_by_sector(&t, &self.site_id, &self.sector_id), self.id.clone())), ttl: None }
    }
}

crate::versioned!(Cluster);

/// A cluster by id: table `ACCT#<a>#SITE#<s>` / `CL#<id>`.
pub fn cluster_key(t: &Tenant, site_id: &str, id: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("CL#{id}"))
}

/// GSI2: clusters of a sector, in creation order.
pub fn clusters_by_sector(t: &Tenant, site_id: &str, sector_id: &str) -> String {
    format!("{}#SEC#{sector_id}#CL", t.site_pk(site_id))
}

/// Fields a client may set.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterInput {
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub sector_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub status: Option<ClusterStatus>,
    #[serde(default)]
    pub version: Option<u64>,
}

fn check_name(name: Option<&str>, required: bool, errors: &mut Vec<FieldError>) -> Option<String> {
    match name.map(str::trim) {
        None if required => {
            errors.push(FieldError::new("name", "is required"));
            None
        }
        None => None,
        Some("") => {
            errors.push(FieldError::new("name", "must not be empty"));
            None
        }
        Some(n) if n.chars().count() > 200 => {
            errors.push(FieldError::new("name", "must be at most 200 characters"));
            None
        }
        Some(n) => Some(n.to_string()),
    }
}

fn check_description(d: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let d = d?.trim();
    if d.chars().count() > 2000 {
        errors.push(FieldError::new("description", "must be at most 2000 characters"));
        return None;
    }
    Some(d.to_string())
}

/// A new, empty cluster of the scope's sector (not yet stored).
pub fn new_cluster(scope: &Scope, sector_id: &str, id: String, name: String, source: &str) -> Cluster {
    let now = crate::ids::now_rfc3339();
    Cluster {
        id,
        account_id: scope.tenant.account_id().to_string(),
        site_id: scope.site.id.clone(),
        sector_id: sector_id.to_string(),
        name,
        description: String::new(),
        keyword_count: 0,
        total_volume: 0,
        avg_difficulty: None,
        dominant_intent: None,
        status: ClusterStatus::Active,
        source: source.to_string(),
        job_id: None,
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    }
}

pub async fn create(state: &AppState, scope: &Scope, input: ClusterInput) -> AppResult<Cluster> {
    let sector = scope.sector.as_ref().ok_or_else(|| AppError::field("sector_id", "is required"))?;
    let mut errors = Vec::new();
    let name = check_name(input.name.as_deref(), true, &mut errors);
    let description = check_description(input.description.as_deref(), &mut errors);
    let Some(name) = name.filter(|_| errors.is_empty()) else { return Err(AppError::fields(errors)) };
    let mut c = new_cluster(scope, &sector.id, crate::ids::new_id(), name, "manual");
    c.description = description.unwrap_or_default();
    c.status = input.status.unwrap_or(ClusterStatus::Active);
    state.store.create(&c).await?;
    Ok(c)
}

pub async fn get(state: &AppState, scope: &Scope, id: &str) -> AppResult<Cluster> {
    let c: Cluster = scope.find(state, "cluster", id, cluster_key).await?;
    scope.check_sector(&c.sector_id, "cluster")?;
    Ok(c)
}

pub async fn update(state: &AppState, scope: &Scope, id: &str, input: ClusterInput) -> AppResult<Cluster> {
    let mut c = get(state, scope, id).await?;
    if input.version.is_some_and(|v| v != c.version) {
        return Err(AppError::Conflict(format!("the cluster is at version {}, you edited another; reload and retry", c.version)));
    }
    let mut errors = Vec::new();
    let name = check_name(input.name.as_deref(), false, &mut errors);
    let description = check_description(input.description.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    c.name = name.unwrap_or(c.name);
    c.description = description.unwrap_or(c.description);
    c.status = input.status.unwrap_or(c.status);
    c.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut c).await?;
    Ok(c)
}

/// Deletes a cluster; its keywords stay, unclustered (status `new`), and
/// the ideas and tasks made from it stay, no longer linked to it.
pub async fn delete(state: &AppState, scope: &Scope, id: &str) -> AppResult<usize> {
    let c = get(state, scope, id).await?;
    let t = &scope.tenant;
    let mut members = members(state, t, &c).await?;
    move_keywords(state, &mut members, None).await?;
    let q = Query::new(t, Index::Gsi1, super::ideas::ideas_by_cluster(t, &c.site_id, &c.id));
    for idea in state.store.query_all::<super::ideas::Idea>(&q, usize::MAX).await? {
        update_retrying(state, idea, |i| i.cluster_id = None).await?;
    }
    for task in super::tasks::all_in_sector(state, t, &c.site_id, &c.sector_id).await? {
        if task.cluster_id.as_deref() == Some(c.id.as_str()) {
            update_retrying(state, task, |t| t.cluster_id = None).await?;
        }
    }
    state.store.delete(&c.key()).await?;
    Ok(members.len())
}

/// Applies `change` and saves, reloading and reapplying on a concurrent edit.
async fn update_retrying<T: crate::store::Versioned>(state: &AppState, mut item: T, change: impl Fn(&mut T)) -> AppResult<()> {
    for _ in 0..3 {
        change(&mut item);
        match state.store.update_versioned(&mut item).await {
            Err(AppError::Conflict(_)) => match state.store.get::<T>(&item.key()).await? {
                Some(fresh) => item = fresh,
                None => return Ok(()),
            },
            other => return other,
        }
    }
    Err(AppError::Conflict("the cluster's ideas are being changed concurrently; retry".into()))
}

#[derive(Debug, Default, Clone)]
pub struct ClusterFilter {
    pub status: Option<ClusterStatus>,
    pub search: Option<String>,
}

pub async fn list(state: &AppState, scope: &Scope, f: &ClusterFilter, limit: i32, cursor: Option<String>) -> AppResult<Page<Cluster>> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let t = &scope.tenant;
    let mut q = match &scope.sector {
        Some(sector) => Query::new(t, Index::Gsi2, clusters_by_sector(t, &scope.site.id, &sector.id)),
        None => Query::new(t, Index::Table, t.site_pk(&scope.site.id)).sk(crate::store::SkCondition::BeginsWith("CL#".into())),
    };
    if let Some(s) = f.status {
        let v = if s == ClusterStatus::Active { "active" } else { "archived" };
        q = q.filter("#st = :st", &[("#st", "status")], vec![(":st", AttributeValue::S(v.into()))]);
    }
    if let Some(s) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter("contains(#nm, :search)", &[("#nm", "name")], vec![(":search", AttributeValue::S(s.to_string()))]);
    }
    state.store.query(&q.limit(limit).cursor(cursor)).await
}

// ------------------------------------------------------------------ membership

/// Every keyword of a cluster.
pub async fn members(state: &AppState, t: &Tenant, c: &Cluster) -> AppResult<Vec<Keyword>> {
    let q = Query::new(t, Index::Gsi1, keywords::keys_by_cluster(t, &c.site_id, &c.id));
    state.store.query_all(&q, usize::MAX).await
}

/// Every keyword of a cluster, as a projection ([`KeywordBrief`]), in pages.
pub async fn member_briefs(state: &AppState, t: &Tenant, site_id: &str, cluster_id: &str) -> AppResult<Vec<KeywordBrief>> {
    let q = Query::new(t, Index::Gsi1, keywords::keys_by_cluster(t, site_id, cluster_id)).project(KeywordBrief::FIELDS);
    state.store.query_all(&q, usize::MAX).await
}

/// Puts a keyword into `cluster` (or out of any), with the status that
/// follows, bumping its version (not stored).
pub(crate) fn place(kw: &mut Keyword, cluster: Option<&str>, now: &str) {
    kw.cluster_id = cluster.map(str::to_string);
    kw.status = match (cluster, kw.status) {
        (Some(_), KeywordStatus::New) => KeywordStatus::Clustered,
        (None, KeywordStatus::Clustered) => KeywordStatus::New,
        (_, s) => s,
    };
    kw.updated_at = now.to_string();
    kw.version += 1;
}

/// Moves keywords into `cluster` (or out of any) with one batch write.
pub(crate) async fn move_keywords(state: &AppState, kws: &mut [Keyword], cluster: Option<&str>) -> AppResult<()> {
    let now = crate::ids::now_rfc3339();
    for kw in kws.iter_mut() {
        place(kw, cluster, &now);
    }
    state.store.batch_put(kws).await?;
    Ok(())
}

/// Statistics of a set of keywords.
pub fn stats<K: Metrics>(members: &[K]) -> (u32, u64, Option<f64>, Option<Intent>) {
    let count = members.len() as u32;
    let volume = members.iter().filter_map(|k| k.volume()).sum();
    let diffs: Vec<f64> = members.iter().filter_map(|k| k.difficulty().map(f64::from)).collect();
    let avg = (!diffs.is_empty()).then(|| (diffs.iter().sum::<f64>() / diffs.len() as f64 * 10.0).round() / 10.0);
    // Dominant intent: the one carrying the most volume (ties: most keywords, then enum order).
    let mut by_intent: BTreeMap<String, (u64, u32, Intent)> = BTreeMap::new();
    for k in members {
        if let Some(i) = k.intent() {
            let e = by_intent.entry(format!("{i:?}")).or_insert((0, 0, i));
            e.0 += k.volume().unwrap_or(0);
            e.1 += 1;
        }
    }
    let dominant = by_intent.into_values().max_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1))).map(|v| v.2);
    (count, volume, avg, dominant)
}

/// Recomputes a cluster's statistics from its members, read as a projection
/// of the few attributes the statistics need ([`member_briefs`]).
pub async fn refresh(state: &AppState, t: &Tenant, site_id: &str, id: &str) -> AppResult<Option<Cluster>> {
    for _ in 0..5 {
        let Some(mut c) = state.store.get::<Cluster>(&cluster_key(t, site_id, id)).await? else { return Ok(None) };
        let m = member_briefs(state, t, site_id, id).await?;
        let (count, volume, avg, dominant) = stats(&m);
        if (c.keyword_count, c.total_volume, c.avg_difficulty, c.dominant_intent) == (count, volume, avg, dominant) {
            return Ok(Some(c));
        }
        c.keyword_count = count;
        c.total_volume = volume;
        c.avg_difficulty = avg;
        c.dominant_intent = dominant;
        c.updated_at = crate::ids::now_rfc3339();
        match state.store.update_versioned(&mut c).await {
            Ok(()) => return Ok(Some(c)),
            Err(AppError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Conflict("the cluster is being changed concurrently; retry".into()))
}

/// What a membership change did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct MembershipResult {
    pub cluster: Option<Cluster>,
    pub moved: usize,
    pub unchanged: usize,
    pub not_found: Vec<String>,
}

fn check_ids(ids: &[String]) -> AppResult<()> {
    if ids.is_empty() || ids.len() > 500 {
        return Err(AppError::field("keyword_ids", "give from 1 to 500 keyword ids"));
    }
    Ok(())
}

/// Puts keywords into `cluster_id` (adding or moving them from another
/// cluster), or takes them out of it when `cluster_id` is `None` — `from`
/// then names the cluster they must currently belong to.
pub async fn assign(state: &AppState, scope: &Scope, ids: &[String], cluster_id: Option<&str>, from: Option<&str>) -> AppResult<MembershipResult> {
    check_ids(ids)?;
    let target = match cluster_id {
        Some(id) => Some(get(state, scope, id).await?),
        None => None,
    };
    let source = match from {
        Some(id) => Some(get(state, scope, id).await?),
        None => None,
    };
    let mut out = MembershipResult::default();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    let (found, not_found) = keywords::get_many(state, scope, ids).await?;
    out.not_found = not_found;
    let by_id: std::collections::HashMap<String, Keyword> = found.into_iter().map(|k| (k.id.clone(), k)).collect();
    let mut changed: Vec<Keyword> = Vec::new();
    let mut seen = BTreeSet::new();
    for id in ids {
        let Some(kw) = by_id.get(id) else { continue };
        if !seen.insert(id.as_str()) {
            continue;
        }
        if let Some(t) = &target
            && kw.sector_id != t.sector_id
        {
            return Err(AppError::field("keyword_ids", format!("keyword {id} belongs to another sector than the cluster")));
        }
        if let Some(s) = &source
            && kw.cluster_id.as_deref() != Some(s.id.as_str())
        {
            out.not_found.push(id.clone());
            continue;
        }
        if kw.cluster_id.as_deref() == cluster_id {
            out.unchanged += 1;
            continue;
        }
        touched.extend(kw.cluster_id.clone());
        changed.push(kw.clone());
    }
    move_keywords(state, &mut changed, cluster_id).await?;
    out.moved = changed.len();
    if let Some(t) = &target {
        touched.insert(t.id.clone());
    }
    for id in &touched {
        let refreshed = refresh(state, &scope.tenant, &scope.site.id, id).await?;
        if Some(id.as_str()) == cluster_id.or(from) {
            out.cluster = refreshed;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(volume: Option<u64>, difficulty: Option<u8>, intent: Option<Intent>) -> Keyword {
        Keyword {
            id: crate::ids::new_id(),
            account_id: "a".into(),
            site_id: "s".into(),
            sector_id: "x".into(),
            keyword: "k".into(),
            normalized: "k".into(),
            volume,
            volume_range: None,
            difficulty,
            cpc: None,
            currency: None,
            intent,
            serp_features: vec![],
            trend: vec![],
            country: None,
            language: None,
            source: "manual".into(),
            status: KeywordStatus::Clustered,
            cluster_id: None,
            parent_keyword: None,
            import_job: None,
            created_at: String::new(),
            updated_at: String::new(),
            version: 1,
        }
    }

    #[test]
    fn stats_sum_volume_average_difficulty_and_pick_the_intent_with_most_volume() {
        let m = vec![
            kw(Some(1000), Some(40), Some(Intent::Commercial)),
            kw(Some(200), Some(20), Some(Intent::Informational)),
            kw(Some(300), None, Some(Intent::Informational)),
            kw(None, Some(31), None),
        ];
        let (count, volume, avg, dominant) = stats(&m);
        assert_eq!((count, volume), (4, 1500));
        assert_eq!(avg, Some(30.3));
        assert_eq!(dominant, Some(Intent::Commercial));
        assert_eq!(stats::<Keyword>(&[]), (0, 0, None, None));
    }
}
