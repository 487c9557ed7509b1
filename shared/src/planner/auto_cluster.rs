//! `auto_cluster`: the AI function that turns keywords into clusters.
//!
//! 1. **Prepare** (in the request): resolves which keywords take part — the
//!    given `keyword_ids` of the sector, every unclustered keyword of the
//!    sector, or (with `cluster_id`) one cluster's keywords to re-cluster —
//!    and refuses fewer than [`MIN_KEYWORDS`] with a 400 before any credit is
//!    reserved. The price is one run (`costs.clustering_per_run`, 10 credits).
//! 2. **Group locally** ([`super::cluster::group_keywords`]): deterministic,
//!    near-linear, no all-pairs comparison; each group is named after its
//!    highest-volume keyword; Ahrefs parent keywords link keywords directly.
//! 3. **Refine** ([`super::cluster::refine`]): with a real provider, the
//!    largest groups are reviewed in batches and valid merge/split proposals
//!    are applied; the result's `refinement` lists what changed and what was
//!    rejected (the offline provider skips this step).
//! 4. **Describe**: the provider writes a description for each group, in
//!    batches of [`DESCRIBE_BATCH`] groups per request (at most
//!    [`MAX_DESCRIBED`] groups per run by volume; smaller ones get a local
//!    description saying what they hold).
//! 5. **Save**: one cluster per group, written once with its statistics
//!    computed from its members, in `BatchWriteItem`s; then the keywords move
//!    into their clusters in batches; the clusters they left are refreshed
//!    once each. Keywords in no group stay (or, when re-clustering, become)
//!    unclustered, and are listed in the result: none is lost.
//!
//! Redelivery and retries are safe: cluster ids are derived from the job id
//! and the group's position ([`crate::ids::derived`]), so a retried run
//! rewrites the same clusters, and moving a keyword already in place is a
//! no-op; the grouping is deterministic, so a retried run writes the same thing.

use super::cluster::{ClusterInput as GroupInput, ClusterParams, Group, group_keywords};
use super::clusters::{self, Cluster};
use super::keywords::{self, Keyword, KeywordBrief};
use crate::ai::function::{AiFunction, JobCtx, Outcome, Prepared};
use crate::ai::provider::ChatRequest;
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult};
use crate::jobs::JobError;
use crate::sites::Scope;
use crate::state::AppState;
use crate::store::Query;
use crate::store::keys::{Index, Tenant};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Fewer keywords than this cannot be clustered (400 before reserving).
pub const MIN_KEYWORDS: usize = 5;
/// Most keyword ids one request may name.
pub const MAX_IDS: usize = 5_000;
/// Groups described per provider request.
pub const DESCRIBE_BATCH: usize = 20;
/// Groups described by the provider per run (largest first).
pub const MAX_DESCRIBED: usize = 400;
/// Keywords moved between two progress updates (each move batch is `BatchWriteItem`s of 25).
const SAVE_CHUNK: usize = 1_000;

/// What a client sends (the HTTP layer adds `cluster_id` for re-clustering).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoClusterInput {
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub sector_id: Option<String>,
    /// Keywords to cluster; without them, every unclustered keyword of the sector.
    #[serde(default)]
    pub keyword_ids: Option<Vec<String>>,
    /// Re-cluster this cluster's keywords.
    #[serde(default)]
    pub cluster_id: Option<String>,
    /// Minimum similarity for two keywords to be linked (0.1–0.95, default 0.5).
    #[serde(default)]
    pub threshold: Option<f32>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// Which keywords a run takes, as stored on the job.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Selection {
    Ids(Vec<String>),
    Unclustered,
    Recluster(String),
}

pub struct AutoCluster;


async fn scope_of(state: &AppState, p: &Principal, input: &AutoClusterInput) -> AppResult<Scope> {
    let site = input.site_id.as_deref().ok_or_else(|| AppError::field("site_id", "is required"))?;
    crate::sites::scope(state, p, site, input.sector_id.as_deref()).await
}

/// Keywords of a sector with no cluster (archived ones excluded), up to
/// `max`: the sector's unclustered list (GSI1), read in pages as a projection
/// — clustered keywords are never read.
async fn unclustered(state: &AppState, t: &Tenant, site_id: &str, sector_id: &str, max: usize) -> AppResult<Vec<KeywordBrief>> {
    let q = Query::new(t, Index::Gsi1, keywords::keys_unclustered(t, site_id, sector_id))
        .filter("#st <> :archived", &[("#st", "status")], vec![(":archived", AttributeValue::S("archived".into()))])
        .project(KeywordBrief::FIELDS);
    state.store.query_all(&q, max).await
}

/// The keywords a run takes, as projections: the given ids (read by key), the
/// sector's unclustered keywords, or one cluster's members.
async fn load(state: &AppState, t: &Tenant, site_id: &str, sector_id: &str, sel: &Selection) -> AppResult<Vec<KeywordBrief>> {
    match sel {
        Selection::Unclustered => unclustered(state, t, site_id, sector_id, usize::MAX).await,
        Selection::Recluster(id) => {
            if state.store.get::<Cluster>(&clusters::cluster_key(t, site_id, id)).await?.is_none() {
                return Err(AppError::not_found("cluster"));
            }
            clusters::member_briefs(state, t, site_id, id).await
        }
        Selection::Ids(ids) => {
            let keys: Vec<_> = ids.iter().map(|id| keywords::keyword_key(t, site_id, id)).collect();
            let found: Vec<KeywordBrief> = state.store.batch_get_fields(&keys, KeywordBrief::FIELDS).await?;
            Ok(found.into_iter().filter(|k| k.sector_id == sector_id).collect())
        }
    }
}

fn threshold_of(input: &AutoClusterInput) -> AppResult<f32> {
    match input.threshold {
        None => Ok(ClusterParams::default().threshold),
        Some(t) if (0.1..=0.95).contains(&t) => Ok(t),
        Some(_) => Err(AppError::field("threshold", "must be from 0.1 to 0.95")),
    }
}

fn too_few(n: usize) -> AppError {
    AppError::validation(format!("auto-cluster needs at least {MIN_KEYWORDS} keywords; {n} qualify"))
}

impl AiFunction for AutoCluster {
    fn name(&self) -> &'static str {
        "auto_cluster"
    }

    fn description(&self) -> &'static str {
        "groups keywords into topic clusters and describes each cluster"
    }

    fn prepare<'a>(&'a self, state: &'a AppState, p: &'a Principal, input: Value) -> BoxFuture<'a, AppResult<Prepared>> {
        Box::pin(async move {
            let input: AutoClusterInput = crate::ai::function::parse_input(input)?;
            let threshold = threshold_of(&input)?;
            let scope = scope_of(state, p, &input).await?;
            let t = &scope.tenant;
            let site_id = scope.site.id.clone();
            let (sector_id, selection, count) = match (&input.cluster_id, &input.keyword_ids) {
                (Some(_), Some(_)) => return Err(AppError::field("keyword_ids", "cannot be combined with re-clustering a cluster")),
                (Some(cid), None) => {
                    let c = clusters::get(state, &scope, cid).await?;
                    let n = c.keyword_count as usize;
                    let n = if n < MIN_KEYWORDS { clusters::member_briefs(state, t, &c.site_id, &c.id).await?.len() } else { n };
                    (c.sector_id.clone(), Selection::Recluster(c.id), n)
                }
                (None, ids) => {
                    let sector = scope.sector.as_ref().ok_or_else(|| AppError::field("sector_id", "is required"))?;
                    match ids {
                        Some(ids) => {
                            if ids.len() > MAX_IDS {
                                return Err(AppError::field("keyword_ids", format!("give at most {MAX_IDS} ids")));
                            }
                            let mut unique: Vec<String> = ids.clone();
                            unique.sort();
                            unique.dedup();
                            if unique.len() < MIN_KEYWORDS {
                                return Err(too_few(unique.len()));
                            }
                            let found = load(state, t, &site_id, &sector.id, &Selection::Ids(unique.clone())).await?;
                            if found.len() != unique.len() {
                                return Err(AppError::field(
                                    "keyword_ids",
                                    format!("{} of the ids are not keywords of this sector", unique.len() - found.len()),
                                ));
                            }
                            (sector.id.clone(), Selection::Ids(unique), found.len())
                        }
                        None => {
                            let n = unclustered(state, t, &site_id, &sector.id, MAX_IDS).await?.len();
                            (sector.id.clone(), Selection::Unclustered, n)
                        }
                    }
                }
            };
            if count < MIN_KEYWORDS {
                return Err(too_few(count));
            }
            let (mode, ids, cluster_id) = match &selection {
                Selection::Ids(ids) => ("keyword_ids", Some(ids.clone()), None),
                Selection::Unclustered => ("unclustered", None, None),
                Selection::Recluster(id) => ("recluster", None, Some(id.clone())),
            };
            let keywords = if count >= MAX_IDS && mode == "unclustered" { json!(format!("{MAX_IDS}+")) } else { json!(count) };
            Ok(Prepared {
                input: json!({"site_id": site_id, "sector_id": sector_id, "mode": mode, "keyword_ids": ids, "cluster_id": cluster_id, "threshold": threshold}),
                estimate: state.config.costs.clustering_per_run,
                preview: json!({"mode": mode, "keywords": keywords, "cluster_id": cluster_id, "threshold": threshold}),
            })
        })
    }

    fn execute<'a>(&'a self, ctx: &'a JobCtx) -> BoxFuture<'a, Result<Outcome, JobError>> {
        Box::pin(async move {
            let perm = |e: AppError| JobError::Permanent(e.public_message());
            let retry = JobError::from;
            let input = &ctx.job.input;
            let s = |k: &str| input[k].as_str().map(str::to_string).ok_or_else(|| JobError::Permanent(format!("job input lacks {k}")));
            let (site_id, sector_id, mode) = (s("site_id")?, s("sector_id")?, s("mode")?);
            let selection = match mode.as_str() {
                "keyword_ids" => Selection::Ids(serde_json::from_value(input["keyword_ids"].clone()).map_err(|e| JobError::Permanent(e.to_string()))?),
                "recluster" => Selection::Recluster(s("cluster_id")?),
                _ => Selection::Unclustered,
            };
            let threshold = input["threshold"].as_f64().map(|t| t as f32).unwrap_or(ClusterParams::default().threshold);
            let t = ctx.tenant();
            let state = &ctx.state;

            ctx.progress("Grouping keywords", 15).await;
            let mut kws = load(state, &t, &site_id, &sector_id, &selection).await.map_err(retry)?;
            kws.retain(|k| k.sector_id == sector_id);
            if kws.len() < MIN_KEYWORDS {
                return Err(perm(too_few(kws.len())));
            }
            let inputs: Vec<GroupInput> = kws
                .iter()
                .map(|k| GroupInput { id: k.id.clone(), keyword: k.keyword.clone(), volume: k.volume.unwrap_or(0), parent_keyword: k.parent_keyword.clone() })
                .collect();
            let grouping = group_keywords(&inputs, &ClusterParams { threshold, ..ClusterParams::default() });
            let by_id: std::collections::HashMap<&str, &KeywordBrief> = kws.iter().map(|k| (k.id.as_str(), k)).collect();

            ctx.progress("Reviewing groups", 25).await;
            let lookup: super::cluster::refine::Lookup = kws.iter().map(|k| (k.id.as_str(), (k.keyword.as_str(), k.volume.unwrap_or(0)))).collect();
            let (grouping, refinement) = super::cluster::refine::refine(ctx, grouping, &lookup).await?;

            ctx.progress("Describing clusters", 35).await;
            let descriptions = describe(ctx, &grouping.groups, &by_id).await?;

            ctx.progress("Saving clusters", 70).await;
            let recluster_id = match &selection {
                Selection::Recluster(id) => Some(id.clone()),
                _ => None,
            };
            // Each cluster is written once, with its statistics computed from
            // the members it is about to receive; then the keywords move in
            // batches; then the clusters they left are refreshed once each.
            let mut clusters_out: Vec<Cluster> = Vec::with_capacity(grouping.groups.len());
            let mut moves: Vec<(String, Option<String>)> = Vec::new();
            for (i, (group, description)) in grouping.groups.iter().zip(descriptions).enumerate() {
                let id = match (&recluster_id, i) {
                    (Some(existing), 0) => existing.clone(),
                    _ => crate::ids::derived(&ctx.job.id, &format!("cluster-{i}")),
                };
                let members: Vec<KeywordBrief> = group.keyword_ids.iter().filter_map(|k| by_id.get(k.as_str()).map(|k| (*k).clone())).collect();
                let mut cluster = new_cluster(ctx, &t, &site_id, &sector_id, &id, group, description);
                (cluster.keyword_count, cluster.total_volume, cluster.avg_difficulty, cluster.dominant_intent) = clusters::stats(&members);
                clusters_out.push(cluster);
                moves.extend(group.keyword_ids.iter().map(|k| (k.clone(), Some(id.clone()))));
            }
            if let Some(existing) = &recluster_id
                && let Some(first) = clusters_out.first_mut()
                && let Some(stored) = state.store.get::<Cluster>(&clusters::cluster_key(&t, &site_id, existing)).await.map_err(retry)?
            {
                first.created_at = stored.created_at;
                first.source = stored.source;
                first.status = stored.status;
                first.version = stored.version + 1;
            }
            state.store.batch_put(&clusters_out).await.map_err(retry)?;
            if recluster_id.is_some() && !grouping.groups.is_empty() {
                moves.extend(grouping.unclustered.iter().map(|k| (k.clone(), None)));
            }
            // Only the keywords that move are read whole (by key, one chunk
            // at a time, just before they are rewritten), so the write
            // carries every attribute as it is now, not as it was when the
            // job started.
            let changed: Vec<(&str, Option<&str>)> = moves
                .iter()
                .filter(|(kid, cid)| by_id.get(kid.as_str()).is_some_and(|k| k.cluster_id != *cid))
                .map(|(kid, cid)| (kid.as_str(), cid.as_deref()))
                .collect();
            let total = changed.len().max(1);
            let mut done = 0usize;
            for chunk in changed.chunks(SAVE_CHUNK) {
                let target: std::collections::HashMap<&str, Option<&str>> = chunk.iter().copied().collect();
                let keys: Vec<_> = chunk.iter().map(|(kid, _)| keywords::keyword_key(&t, &site_id, kid)).collect();
                let mut whole: Vec<Keyword> = state.store.batch_get(&keys).await.map_err(retry)?;
                let now = crate::ids::now_rfc3339();
                for kw in &mut whole {
                    if let Some(cid) = target.get(kw.id.as_str()) {
                        clusters::place(kw, *cid, &now);
                    }
                }
                state.store.batch_put(&whole).await.map_err(retry)?;
                done += chunk.len();
                ctx.progress("Saving clusters", (70 + done * 25 / total) as u8).await;
            }
            // Clusters the keywords left (not written above) get their statistics from their remaining members.
            let saved_ids: HashSet<&str> = clusters_out.iter().map(|c| c.id.as_str()).collect();
            let left: Vec<String> = kws.iter().filter_map(|k| k.cluster_id.clone()).filter(|c| !saved_ids.contains(c.as_str())).collect();
            keywords::refresh_clusters(state, &t, &site_id, left).await.map_err(retry)?;
            let saved: Vec<Value> = clusters_out
                .iter()
                .map(|c| json!({"id": c.id, "name": c.name, "keywords": c.keyword_count, "total_volume": c.total_volume}))
                .collect();
            let unclustered_ids: Vec<&String> = grouping.unclustered.iter().take(100).collect();
            Ok(Outcome {
                result: json!({
                    "keywords": kws.len(),
                    "clusters_created": saved.len(),
                    "clusters": saved.iter().take(100).collect::<Vec<_>>(),
                    "unclustered": grouping.unclustered.len(),
                    "unclustered_ids": unclustered_ids,
                    "threshold": threshold,
                    "refinement": refinement,
                }),
                actual_cost: ctx.job.credits_estimate,
            })
        })
    }
}

/// The cluster of one group (not stored; statistics set by the caller).
fn new_cluster(ctx: &JobCtx, t: &Tenant, site_id: &str, sector_id: &str, id: &str, group: &Group, description: String) -> Cluster {
    let now = crate::ids::now_rfc3339();
    Cluster {
        id: id.to_string(),
        account_id: t.account_id().to_string(),
        site_id: site_id.to_string(),
        sector_id: sector_id.to_string(),
        name: group.name.clone(),
        description,
        keyword_count: 0,
        total_volume: 0,
        avg_difficulty: None,
        dominant_intent: None,
        status: clusters::ClusterStatus::Active,
        source: "auto_cluster".into(),
        job_id: Some(ctx.job.id.clone()),
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Described {
    clusters: Vec<DescribedCluster>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DescribedCluster {
    description: String,
}

/// Descriptions for every group, in order: the provider's for the largest
/// [`MAX_DESCRIBED`], a local one for the rest.
async fn describe(ctx: &JobCtx, groups: &[Group], by_id: &std::collections::HashMap<&str, &KeywordBrief>) -> Result<Vec<String>, JobError> {
    let mut out: Vec<String> = Vec::with_capacity(groups.len());
    let described = groups.len().min(MAX_DESCRIBED);
    let batches = described.div_ceil(DESCRIBE_BATCH).max(1);
    for (b, batch) in groups[..described].chunks(DESCRIBE_BATCH).enumerate() {
        let listing: Vec<String> = batch
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let sample: Vec<&str> = g.keyword_ids.iter().take(12).filter_map(|id| by_id.get(id.as_str()).map(|k| k.keyword.as_str())).collect();
                format!("{}. {} ({} keywords, total monthly volume {}): {}", i + 1, g.name, g.keyword_ids.len(), g.total_volume, sample.join("; "))
            })
            .collect();
        let n = batch.len();
        let schema = json!({
            "type": "object",
            "properties": {"clusters": {"type": "array", "minItems": n, "maxItems": n, "items": {
                "type": "object",
                "properties": {"description": {"type": "string", "minLength": 20, "maxLength": 400}},
                "required": ["description"], "additionalProperties": false
            }}},
            "required": ["clusters"], "additionalProperties": false
        });
        let req = ChatRequest {
            system: "You are an SEO strategist. For each keyword cluster, write a one- or two-sentence description of the topic it covers and the searcher's need, to guide content planning. Answer in JSON.".into(),
            user: format!("Describe these {n} keyword clusters, in the same order:\n{}", listing.join("\n")),
            json_schema: Some(("cluster_descriptions".into(), schema)),
            max_tokens: Some(120 * n as u32 + 200),
            temperature: Some(0.3),
        };
        let answer: Described = ctx
            .ask_json(req, |d: &Described| {
                if d.clusters.len() != n {
                    return Err(format!("expected {n} descriptions, got {}", d.clusters.len()));
                }
                if d.clusters.iter().any(|c| c.description.trim().is_empty()) {
                    return Err("a description is empty".into());
                }
                Ok(())
            })
            .await?;
        out.extend(answer.clusters.into_iter().map(|c| c.description.trim().chars().take(2000).collect::<String>()));
        ctx.progress("Describing clusters", (35 + (b + 1) * 35 / batches) as u8).await;
    }
    for g in &groups[described..] {
        out.push(format!("{} keywords around \"{}\" (total monthly volume {}).", g.keyword_ids.len(), g.name, g.total_volume));
    }
    Ok(out)
}
