//! Deleting a site or a sector: everything under it goes, children before
//! parents, in pages, as a job (issue 10 item 7, issue 11 item 4).
//!
//! The request (`DELETE /sites/{id}/`, `DELETE /sites/{id}/sectors/{id}/`)
//! deletes an empty site or sector at once (200). One holding data needs
//! `?confirm=true` (409 without), then answers 202 with a job: in one
//! transaction the job is created, the site (sector) is marked `deleting`
//! (lists hide it, [`super::scope`] refuses it with 409 `BEING_DELETED`, the
//! jobs that would write under it stop) and the audit entry is written.
//!
//! The job ([`run`], on the ai-jobs queue and worker like every job; it costs
//! no credits) walks the site partition in phases, children first: images
//! (objects, then items), image prompts, content versions, uniqueness guards
//! (`UNIQ#SLUG#…`, `UNIQ#IDEATASK#…`), content, tasks, ideas, keywords,
//! clusters, anything else, sectors; then the site's folder in the bucket
//! (import blobs), then the site item itself with the account's site count. A
//! sector delete walks the same phases over the items whose `sector_id` is
//! the sector, removing each content's slug guard and each task's idea guard
//! with it, then the sector item.
//!
//! Each phase reads one page ([`PAGE`] items, never the whole partition) and
//! deletes it with BatchWriteItem. Before deleting, one transaction records
//! the page as the checkpoint's pending batch (with the cursor of the next
//! page) and gives the page's keywords back to the account's quota. A
//! delivery that dies after that transaction is resumed by the next one: it
//! first deletes the pending batch again (deleting is idempotent) without
//! giving quota back again, then goes on from the cursor. Quota therefore
//! comes back exactly once per batch, and exactly as many keywords as were
//! deleted. After [`crate::config::Config::delete_slice_secs`] a delivery
//! pauses ([`JobError::Continue`]) and the job continues in a fresh message.
//!
//! The checkpoint is keyed by what is deleted, not by the job: a job that
//! ended unfinished (cancelled while queued, failed by the sweeper after its
//! worker died) leaves the site/sector marked, and DELETE again starts a new
//! job that continues it. It goes in the same transaction as the parent.

use super::{Sector, Site, counter_values};
use crate::audit::{self, Actor};
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult};
use crate::jobs::{Job, JobError};
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Query, SkCondition, TxError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Job kind: delete a site and everything in it.
pub const SITE_JOB: &str = "delete_site";
/// Job kind: delete a sector and everything of it.
pub const SECTOR_JOB: &str = "delete_sector";
/// Items read (and then deleted) per batch.
pub const PAGE: i32 = 100;

/// What a phase reads from the site partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sel {
    Prefix(&'static str),
    /// Whatever the earlier phases left (unknown kinds); sectors wait for their own phase.
    Rest,
}

#[derive(Debug, Clone, Copy)]
struct Phase {
    label: &'static str,
    sel: Sel,
}

const fn phase(label: &'static str, prefix: &'static str) -> Phase {
    Phase { label, sel: Sel::Prefix(prefix) }
}

const SECTORS: &str = "SECTOR#";
const IMAGES: &str = "IMG#";
const KEYWORDS: &str = "KW#";
const CONTENT: &str = "CONT#";
const TASKS: &str = "TASK#";
const GUARDS_LABEL: &str = "uniqueness guards";

/// Children before parents: an interrupted delete never leaves a child whose
/// parent is gone (the site or sector item goes last of all).
const SITE_PHASES: &[Phase] = &[
    phase("images", IMAGES),
    phase("image prompts", "IMGP#"),
    phase("content versions", "VER#"),
    phase(GUARDS_LABEL, "UNIQ#"),
    phase("content", CONTENT),
    phase("tasks", TASKS),
    phase("ideas", "IDEA#"),
    phase("keywords", KEYWORDS),
    phase("clusters", "CL#"),
    Phase { label: "other items", sel: Sel::Rest },
    phase("sectors", SECTORS),
];

/// A sector's items carry its `sector_id`; its guards do not, and go with
/// the content (slug) and the task (idea) that own them.
const SECTOR_PHASES: &[Phase] = &[
    phase("images", IMAGES),
    phase("image prompts", "IMGP#"),
    phase("content versions", "VER#"),
    phase("content", CONTENT),
    phase("tasks", TASKS),
    phase("ideas", "IDEA#"),
    phase("keywords", KEYWORDS),
    phase("clusters", "CL#"),
    Phase { label: "other items", sel: Sel::Rest },
];

/// What a delete request did: deleted an empty site/sector at once, or
/// queued the job deleting one with data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Deletion {
    Done(Deleted),
    Queued(Box<Job>),
}

/// What a synchronous delete removed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub id: String,
    pub items_removed: usize,
}

// ------------------------------------------------------------------ requests

/// Deletes a site: at once when its partition is empty, else (with
/// `confirm`) as a [`SITE_JOB`]. Asking again while the job runs answers the
/// same job.
pub async fn delete_site(state: &AppState, p: &Principal, site_id: &str, confirm: bool, ip: Option<&str>) -> AppResult<Deletion> {
    let t = p.tenant();
    if !crate::ids::is_valid(site_id) {
        return Err(AppError::not_found("site"));
    }
    let site: Site = state.store.get(&keys::site(&t, site_id)).await?.ok_or_else(|| AppError::not_found("site"))?;
    let actor = Actor::principal(p, ip);
    if let Some(running) = running_job(state, &t, site.deleting.as_deref()).await? {
        return Ok(running);
    }
    if let Some(sector) = deleting_sector(state, &t, site_id).await? {
        return Err(AppError::Conflict(format!("the site's sector {sector} is being deleted; delete the site when that job has finished")));
    }
    let store = &state.store;
    let any = Query::new(&t, Index::Table, t.site_pk(site_id)).limit(1);
    if site.deleting.is_none() && store.query::<Value>(&any).await?.results.is_empty() {
        // Nothing in the table: an import blob or two at most.
        crate::blobs::delete_prefix(state, &t, &site_folder(site_id)).await?;
        crate::integration::remove_for_site(state, &t, site_id).await?;
        crate::automation::rules::remove_for_site(state, &t, site_id, None).await?;
        let entry = audit::entry(&t, &actor, "site.delete", "site", site_id, json!({"name": site.name, "items_removed": 0}));
        let ops = vec![store.tx_delete_versioned(&site.key(), site.version)?, uncount_site(state, &t)?, store.tx_create(&entry)?];
        return match store.transact(ops).await {
            Ok(()) => Ok(Deletion::Done(Deleted { id: site_id.into(), items_removed: 0 })),
            Err(TxError::ConditionFailed(ops)) if ops == [1] => {
                // The count was already zero (an account from before the counter).
                store.transact(vec![store.tx_delete_versioned(&site.key(), site.version)?, store.tx_create(&entry)?]).await?;
                Ok(Deletion::Done(Deleted { id: site_id.into(), items_removed: 0 }))
            }
            Err(TxError::ConditionFailed(_)) => Err(AppError::Conflict("the site changed while deleting it; retry".into())),
            Err(TxError::Other(e)) => Err(e),
        };
    }
    if !confirm && site.deleting.is_none() {
        return Err(AppError::Conflict(
            "the site holds sectors, keywords, content or other items; repeat with ?confirm=true to delete them all (a job does it)".into(),
        ));
    }
    // Its WordPress connections and automation rules go first (they live in
    // the account's partition; the pipeline's schedule goes with the rules).
    crate::integration::remove_for_site(state, &t, site_id).await?;
    crate::automation::rules::remove_for_site(state, &t, site_id, None).await?;
    let job = new_job(&t, p, SITE_JOB, json!({"site_id": site_id, "name": site.name}));
    let entry = audit::entry(&t, &actor, "site.delete", "site", site_id, json!({"name": site.name, "job_id": job.id}));
    start(state, job, &site.key(), site.version, site.deleting.as_deref(), entry).await
}

/// Deletes a sector: at once when nothing belongs to it, else (with
/// `confirm`) as a [`SECTOR_JOB`].
pub async fn delete_sector(state: &AppState, p: &Principal, site_id: &str, sector_id: &str, confirm: bool, ip: Option<&str>) -> AppResult<Deletion> {
    let scope = super::scope(state, p, site_id, None).await?;
    let t = scope.tenant.clone();
    if !crate::ids::is_valid(sector_id) {
        return Err(AppError::not_found("sector"));
    }
    let sector: Sector = state.store.get(&keys::sector(&t, site_id, sector_id)).await?.ok_or_else(|| AppError::not_found("sector"))?;
    if let Some(running) = running_job(state, &t, sector.deleting.as_deref()).await? {
        return Ok(running);
    }
    let actor = Actor::principal(p, ip);
    let has_data = sector.deleting.is_some() || sector_has_data(state, &t, site_id, sector_id).await?;
    if has_data && !confirm && sector.deleting.is_none() {
        return Err(AppError::Conflict(
            "the sector holds keywords, clusters, ideas, tasks or content; repeat with ?confirm=true to delete them all (a job does it)".into(),
        ));
    }
    // The automation rules scoped to the sector go with it.
    crate::automation::rules::remove_for_site(state, &t, site_id, Some(sector_id)).await?;
    if !has_data {
        let entry = audit::entry(&t, &actor, "sector.delete", "sector", sector_id, json!({"site_id": site_id, "name": sector.name, "items_removed": 0}));
        let store = &state.store;
        store.transact(vec![store.tx_delete_versioned(&sector.key(), sector.version)?, store.tx_create(&entry)?]).await.map_err(|e| match e {
            TxError::ConditionFailed(_) => AppError::Conflict("the sector changed while deleting it; retry".into()),
            TxError::Other(e) => e,
        })?;
        return Ok(Deletion::Done(Deleted { id: sector_id.into(), items_removed: 0 }));
    }
    let job = new_job(&t, p, SECTOR_JOB, json!({"site_id": site_id, "sector_id": sector_id, "name": sector.name}));
    let entry = audit::entry(&t, &actor, "sector.delete", "sector", sector_id, json!({"site_id": site_id, "name": sector.name, "job_id": job.id}));
    start(state, job, &sector.key(), sector.version, sector.deleting.as_deref(), entry).await
}

/// Whether anything belongs to the sector, read in bounded steps: one item of
/// each by-sector index, then one page of the site's content. A site with
/// more content than a page, none of it the sector's, counts as data (the
/// job then finds nothing and ends quickly).
async fn sector_has_data(state: &AppState, t: &Tenant, site_id: &str, sector_id: &str) -> AppResult<bool> {
    use crate::planner::{clusters, ideas, keywords, tasks};
    for pk in [
        keywords::keys_by_sector(t, site_id, sector_id),
        clusters::clusters_by_sector(t, site_id, sector_id),
        ideas::ideas_by_sector(t, site_id, sector_id),
        tasks::tasks_by_sector(t, site_id, sector_id),
    ] {
        if !state.store.query::<Value>(&Query::new(t, Index::Gsi2, pk).limit(1)).await?.results.is_empty() {
            return Ok(true);
        }
    }
    let content = Query::new(t, Index::Table, t.site_pk(site_id))
        .sk(SkCondition::BeginsWith(CONTENT.into()))
        .filter("sector_id = :sector", &[], vec![(":sector", AttributeValue::S(sector_id.into()))])
        .limit(PAGE);
    let page = state.store.query::<Value>(&content).await?;
    Ok(!page.results.is_empty() || page.next_cursor.is_some())
}

fn new_job(t: &Tenant, p: &Principal, kind: &str, input: Value) -> Job {
    let mut job = Job::new(t, kind, input);
    job.phase = "Queued".into();
    job.created_by = Some(p.user_id.clone());
    job
}

/// The delete job already under way for a parent marked with `job_id`: it
/// is answered again. `None` when there is none, or it ended without
/// finishing (failed: its worker died past its lease; cancelled while
/// queued): a new job then takes over from the same checkpoint.
async fn running_job(state: &AppState, t: &Tenant, job_id: Option<&str>) -> AppResult<Option<Deletion>> {
    let Some(id) = job_id else { return Ok(None) };
    match state.store.get::<Job>(&keys::job(t, id)).await? {
        Some(job) if !job.status.is_final() || job.status == crate::jobs::JobStatus::Completed => Ok(Some(Deletion::Queued(Box::new(job)))),
        _ => Ok(None),
    }
}

/// A sector of the site that a job is deleting (a site delete waits for it:
/// the two would share the sector's items and their quota).
async fn deleting_sector(state: &AppState, t: &Tenant, site_id: &str) -> AppResult<Option<String>> {
    let q = Query::new(t, Index::Table, t.site_pk(site_id))
        .sk(SkCondition::BeginsWith(SECTORS.into()))
        .filter("attribute_exists(deleting)", &[], vec![])
        .limit(PAGE);
    let found: Vec<Sector> = state.store.query_all(&q, 1).await?;
    Ok(found.into_iter().next().map(|s| s.id))
}

/// Creates the job, marks the parent `deleting` (if still at `version`, and
/// still marked with `replacing`, the job that ended unfinished, if any) and
/// writes the audit entry in one transaction, then sends the job's message.
async fn start(state: &AppState, job: Job, parent: &Key, version: u64, replacing: Option<&str>, entry: audit::AuditEntry) -> AppResult<Deletion> {
    let store = &state.store;
    let mut values = HashMap::from([
        (":job".to_string(), AttributeValue::S(job.id.clone())),
        (":ts".to_string(), AttributeValue::S(crate::ids::now_rfc3339())),
        (":one".to_string(), AttributeValue::N("1".into())),
        (":v".to_string(), AttributeValue::N(version.to_string())),
    ]);
    let condition = match replacing {
        None => "attribute_exists(PK) AND attribute_not_exists(deleting) AND #v = :v",
        Some(old) => {
            values.insert(":old".to_string(), AttributeValue::S(old.to_string()));
            "attribute_exists(PK) AND deleting = :old AND #v = :v"
        }
    };
    let mark = store.tx_update(parent, "SET deleting = :job, updated_at = :ts, #v = #v + :one", Some(condition), &[("#v", "version")], values)?;
    match store.transact(vec![store.tx_create(&job)?, mark, store.tx_create(&entry)?]).await {
        Ok(()) => {}
        Err(TxError::ConditionFailed(_)) => return Err(AppError::Conflict("it changed (or another delete started) meanwhile; retry".into())),
        Err(TxError::Other(e)) => return Err(e),
    }
    if let Err(e) = crate::jobs::send(state, &job).await {
        // The job is stored and queued: the sweeper sends its message again.
        tracing::warn!(job_id = %job.id, error = ?e, "could not send the delete job's message; the sweeper will");
    }
    Ok(Deletion::Queued(Box::new(job)))
}

/// The transaction step taking one site off the account's count.
fn uncount_site(state: &AppState, t: &Tenant) -> AppResult<aws_sdk_dynamodb::types::TransactWriteItem> {
    state.store.tx_update(&keys::account(t), "SET site_count = site_count - :one", Some("site_count > :zero"), &[], counter_values(None))
}

/// A site's folder in the tenant's prefix (images, import blobs).
pub fn site_folder(site_id: &str) -> String {
    format!("sites/{site_id}/")
}

// ------------------------------------------------------------------ the job

/// Where a delete stands ([`checkpoint_key`]; expires after a week). `pending_*` is the batch recorded but maybe not yet deleted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeleteCheckpoint {
    pub account_id: String,
    pub site_id: String,
    #[serde(default)]
    pub sector_id: Option<String>,
    /// The job that started it (a job started again after it continues it).
    pub job_id: String,
    /// The phase being worked on, and the cursor of its next page.
    pub phase: usize,
    #[serde(default)]
    pub cursor: Option<String>,
    pub batches: u64,
    /// Sort keys (in the site partition) of the batch to delete.
    #[serde(default)]
    pub pending_keys: Vec<String>,
    /// Objects (after the tenant's prefix) of the batch to delete first.
    #[serde(default)]
    pub pending_objects: Vec<String>,
    /// Items removed, by phase label.
    #[serde(default)]
    pub removed: BTreeMap<String, u64>,
    pub objects_removed: u64,
    /// Keywords given back to the account's quota (with their batches).
    pub keywords_released: u64,
    pub expires_at: i64,
    pub version: u64,
}

impl Item for DeleteCheckpoint {
    const ENTITY: &'static str = "DeleteCheckpoint";
    fn key(&self) -> Key {
        checkpoint_key(&Tenant::from_verified(&self.account_id), &self.site_id, self.sector_id.as_deref())
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { ttl: Some(self.expires_at), ..ItemKeys::default() }
    }
}

/// `ACCT#<a>` / `DELCKPT#<site>[#<sector>]`: keyed by what is deleted, not
/// by the job, so a job started again after one ended unfinished resumes
/// the same checkpoint (and never gives a recorded batch's quota back twice).
pub fn checkpoint_key(t: &Tenant, site_id: &str, sector_id: Option<&str>) -> Key {
    match sector_id {
        None => Key::new(t.pk(), format!("DELCKPT#{site_id}")),
        Some(sector) => Key::new(t.pk(), format!("DELCKPT#{site_id}#{sector}")),
    }
}

/// What a job deletes.
struct Target {
    tenant: Tenant,
    site_id: String,
    sector_id: Option<String>,
}

impl Target {
    fn parent_key(&self) -> Key {
        match &self.sector_id {
            None => keys::site(&self.tenant, &self.site_id),
            Some(sector) => keys::sector(&self.tenant, &self.site_id, sector),
        }
    }

    fn phases(&self) -> &'static [Phase] {
        if self.sector_id.is_some() { SECTOR_PHASES } else { SITE_PHASES }
    }

    fn page_query(&self, phase: Phase, cursor: Option<String>) -> Query {
        let q = Query::new(&self.tenant, Index::Table, self.tenant.site_pk(&self.site_id)).limit(PAGE).cursor(cursor);
        let q = match phase.sel {
            Sel::Prefix(p) => q.sk(SkCondition::BeginsWith(p.into())),
            Sel::Rest => q,
        };
        match &self.sector_id {
            Some(sector) => q.filter("sector_id = :sector", &[], vec![(":sector", AttributeValue::S(sector.clone()))]),
            None => q,
        }
    }
}

/// One page turned into what to delete.
#[derive(Default)]
struct Batch {
    /// Guards first (children before their owners), then the page's items.
    keys: Vec<String>,
    objects: Vec<String>,
    items: u64,
    guards: u64,
    keywords: u64,
}

impl Batch {
    fn of(target: &Target, phase: Phase, items: &[Value]) -> Self {
        let mut b = Batch::default();
        let mut own = Vec::with_capacity(items.len());
        let prefix = crate::blobs::object_key(&target.tenant, "");
        for item in items {
            let Some(sk) = item["SK"].as_str() else { continue };
            if phase.sel == Sel::Rest && sk.starts_with(SECTORS) {
                // Sectors go in their own, last, phase.
                continue;
            }
            own.push(sk.to_string());
            b.items += 1;
            if sk.starts_with(KEYWORDS) {
                b.keywords += 1;
            }
            if sk.starts_with(IMAGES)
                && let Some(rest) = item["s3_key"].as_str().and_then(|k| k.strip_prefix(&prefix))
            {
                b.objects.push(rest.to_string());
            }
            if target.sector_id.is_some() {
                let guard = if sk.starts_with(CONTENT) {
                    item["slug"].as_str().map(|slug| crate::writer::content::slug_guard(&target.tenant, &target.site_id, slug).sk)
                } else if sk.starts_with(TASKS) {
                    item["idea_id"].as_str().map(|idea| crate::planner::tasks::idea_guard(&target.tenant, &target.site_id, idea).sk)
                } else {
                    None
                };
                if let Some(g) = guard {
                    b.keys.push(g);
                    b.guards += 1;
                }
            }
        }
        b.keys.extend(own);
        b
    }
}

fn job_input(job: &Job, k: &str) -> Result<String, JobError> {
    job.input[k].as_str().map(str::to_string).ok_or_else(|| JobError::Permanent(format!("job input lacks {k}")))
}

/// Runs a [`SITE_JOB`] or [`SECTOR_JOB`] (registered in the worker).
pub async fn run(state: Arc<AppState>, job: Job) -> Result<Value, JobError> {
    let retry = JobError::from;
    let target = Target {
        tenant: Tenant::from_verified(&job.account_id),
        site_id: job_input(&job, "site_id")?,
        sector_id: if job.kind == SECTOR_JOB { Some(job_input(&job, "sector_id")?) } else { None },
    };
    let t = &target.tenant;
    let phases = target.phases();
    let started = Instant::now();
    let slice = Duration::from_secs(state.config.delete_slice_secs);
    let mut done_here = 0u64;
    let (mut ck, mut stored) = match state.store.get::<DeleteCheckpoint>(&checkpoint_key(t, &target.site_id, target.sector_id.as_deref())).await.map_err(retry)? {
        Some(c) => (c, true),
        None => (
            DeleteCheckpoint {
                account_id: t.account_id().to_string(),
                site_id: target.site_id.clone(),
                sector_id: target.sector_id.clone(),
                job_id: job.id.clone(),
                phase: 0,
                cursor: None,
                batches: 0,
                pending_keys: Vec::new(),
                pending_objects: Vec::new(),
                removed: BTreeMap::new(),
                objects_removed: 0,
                keywords_released: 0,
                expires_at: crate::ids::now_epoch() + 7 * 86_400,
                version: 1,
            },
            false,
        ),
    };
    if !stored && state.store.get::<Value>(&target.parent_key()).await.map_err(retry)?.is_none() {
        // A redelivery after the delete finished (its outcome was not recorded).
        return Ok(json!({"site_id": target.site_id, "sector_id": target.sector_id, "already_deleted": true}));
    }
    // A batch recorded by an earlier delivery that may not have been deleted.
    apply(&state, &target, &ck).await.map_err(retry)?;
    while ck.phase < phases.len() {
        // At least one batch per delivery, so every delivery makes progress.
        if done_here > 0 && started.elapsed() >= slice {
            return Err(JobError::Continue(format!("paused after {} batches; continuing in a fresh delivery", ck.batches)));
        }
        let phase = phases[ck.phase];
        let page = state.store.query::<Value>(&target.page_query(phase, ck.cursor.clone())).await.map_err(retry)?;
        let batch = Batch::of(&target, phase, &page.results);
        let mut next = ck.clone();
        next.pending_keys = batch.keys;
        next.pending_objects = batch.objects;
        *next.removed.entry(phase.label.to_string()).or_default() += batch.items;
        if batch.guards > 0 {
            *next.removed.entry(GUARDS_LABEL.to_string()).or_default() += batch.guards;
        }
        next.objects_removed += next.pending_objects.len() as u64;
        next.keywords_released += batch.keywords;
        next.batches += 1;
        match page.next_cursor {
            Some(c) => next.cursor = Some(c),
            None => {
                next.phase += 1;
                next.cursor = None;
            }
        }
        commit(&state, t, &mut next, stored, batch.keywords).await?;
        stored = true;
        ck = next;
        apply(&state, &target, &ck).await.map_err(retry)?;
        done_here += 1;
        let label = phases.get(ck.phase).map_or("Removing the parent", |p| p.label);
        crate::jobs::progress(&state, &job, &format!("Deleting {label}"), (ck.phase * 100 / (phases.len() + 1)) as u8).await;
    }
    // Every child is gone: the parent goes last.
    if target.sector_id.is_none() {
        let objects = crate::blobs::delete_prefix(&state, t, &site_folder(&target.site_id)).await.map_err(retry)?;
        ck.objects_removed += objects as u64;
    }
    let parent_removed = remove_parent(&state, &target).await.map_err(retry)?;
    Ok(json!({
        "site_id": target.site_id,
        "sector_id": target.sector_id,
        "batches": ck.batches,
        "items_removed": ck.removed.values().sum::<u64>() + u64::from(parent_removed),
        "removed": ck.removed,
        "objects_removed": ck.objects_removed,
        "keywords_released": ck.keywords_released,
    }))
}

/// Records `next` (the batch about to be deleted, the cursor after it) and
/// gives the batch's keywords back, in one transaction conditional on the
/// checkpoint's version: a batch is recorded, and its quota returned, once.
async fn commit(state: &AppState, t: &Tenant, next: &mut DeleteCheckpoint, stored: bool, keywords: u64) -> Result<(), JobError> {
    let store = &state.store;
    let mut floor = false;
    loop {
        let mut item = next.clone();
        let mut ops = vec![if stored { store.tx_update_versioned(&mut item)? } else { store.tx_create(&item)? }];
        if keywords > 0 {
            let n = AttributeValue::N(keywords.to_string());
            ops.push(if floor {
                // Fewer counted than deleted (keywords from before the counter): floor at zero.
                store.tx_update(&keys::account(t), "SET keyword_count = :zero", Some("attribute_exists(PK)"), &[], HashMap::from([(":zero".to_string(), AttributeValue::N("0".into()))]))?
            } else {
                store.tx_update(&keys::account(t), "SET keyword_count = keyword_count - :n", Some("keyword_count >= :n"), &[], HashMap::from([(":n".to_string(), n)]))?
            });
        }
        match store.transact(ops).await {
            Ok(()) => {
                *next = item;
                return Ok(());
            }
            Err(TxError::ConditionFailed(failed)) if failed == [1] && !floor => floor = true,
            Err(TxError::ConditionFailed(_)) => return Err(JobError::Retryable("the delete checkpoint moved: another delivery works on this job".into())),
            Err(TxError::Other(e)) => return Err(e.into()),
        }
    }
}

/// Deletes the checkpoint's pending batch: objects first, then the items.
async fn apply(state: &AppState, target: &Target, ck: &DeleteCheckpoint) -> AppResult<()> {
    if !ck.pending_objects.is_empty() {
        crate::blobs::delete_many(state, &target.tenant, &ck.pending_objects).await?;
    }
    if !ck.pending_keys.is_empty() {
        let pk = target.tenant.site_pk(&target.site_id);
        let keys: Vec<Key> = ck.pending_keys.iter().map(|sk| Key::new(pk.clone(), sk.clone())).collect();
        state.store.batch_delete(&keys).await?;
    }
    Ok(())
}

/// Deletes the parent (the site item with one off the account's site count,
/// or the sector item) and the checkpoint, together: `false` when an earlier
/// delivery did (nothing is counted twice).
async fn remove_parent(state: &AppState, target: &Target) -> AppResult<bool> {
    let store = &state.store;
    let t = &target.tenant;
    let ckpt = checkpoint_key(t, &target.site_id, target.sector_id.as_deref());
    let parent = target.parent_key();
    let with = |uncount: bool| -> AppResult<_> {
        let mut ops = vec![store.tx_delete_existing(&parent)?, store.tx_delete(&ckpt)?];
        if uncount {
            ops.push(uncount_site(state, t)?);
        }
        Ok(ops)
    };
    let is_site = target.sector_id.is_none();
    match store.transact(with(is_site)?).await {
        Ok(()) => Ok(true),
        Err(TxError::ConditionFailed(f)) if f.contains(&0) => {
            store.delete(&ckpt).await?;
            Ok(false)
        }
        // The site count was already zero (an account from before the counter).
        Err(TxError::ConditionFailed(_)) => match store.transact(with(false)?).await {
            Ok(()) => Ok(true),
            Err(TxError::ConditionFailed(_)) => {
                store.delete(&ckpt).await?;
                Ok(false)
            }
            Err(TxError::Other(e)) => Err(e),
        },
        Err(TxError::Other(e)) => Err(e),
    }
}

crate::versioned!(DeleteCheckpoint);
