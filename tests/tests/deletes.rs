//! Site and sector deletes (issue 10 item 7, issue 11 item 4): a site or
//! sector with data answers 202 with a job; the job removes children before
//! parents in pages, the S3 objects and the guards, gives the keyword quota
//! back once per batch, and deletes the site/sector item last. Interrupted by
//! an injected failure and redelivered, it ends in the same state with the
//! quota given back exactly once.

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_dynamodb::types::AttributeValue;
use igny8::jobs::Job;
use igny8::store::keys::Tenant as Tk;
use igny8_e2e::ai_support::{deliver_by_id, offline, production_registry};
use igny8_e2e::faults::{Fault, Faults, Rule};
use igny8_e2e::{api, env, member, register, workspace};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

const KEYWORDS: usize = 130;

/// What a populated site holds (besides its own id).
struct Fixture {
    t: igny8_e2e::Tenant,
    site: String,
    sector: String,
    /// A second site of the account, which every delete must leave alone.
    other_site: String,
    keywords_before_site: u64,
    sites_before: u64,
}

async fn ok(method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
    let (status, resp) = api(method, path, Some(token), body).await;
    assert!((200..300).contains(&status), "{method} {path}: {status} {resp}");
    resp["data"].clone()
}

async fn subscription(token: &str) -> (u64, u64) {
    let sub = ok("GET", "/api/v1/subscription/", token, None).await;
    (sub["keywords_used"].as_u64().unwrap(), sub["sites_used"].as_u64().unwrap())
}

/// Delivers the job's message once to the real worker registry; returns
/// whether the delivery asked for a retry (the message would come back).
async fn deliver_once(state: &Arc<igny8::AppState>, account: &str, job_id: &str, n: usize) -> bool {
    let mut record = SqsMessage::default();
    record.message_id = Some(format!("msg-{job_id}-{n}"));
    record.body = Some(json!({"job_id": job_id, "account_id": account, "kind": stored_job(state, account, job_id).await.kind}).to_string());
    let mut event = SqsEvent::default();
    event.records = vec![record];
    !igny8_ai_worker::handle_with(state.clone(), igny8_ai_worker::registry(), event).await.batch_item_failures.is_empty()
}

async fn stored_job(state: &Arc<igny8::AppState>, account: &str, job_id: &str) -> Job {
    state.store.get(&igny8::store::keys::job(&Tk::from_verified(account), job_id)).await.unwrap().expect("the job exists")
}

/// Delivers until the job is final (each delivery with slice 0 does one batch
/// and continues in a fresh message); returns the job and the deliveries used.
async fn run_to_end(state: &Arc<igny8::AppState>, account: &str, job_id: &str) -> (Job, usize) {
    for n in 0..400 {
        assert!(!deliver_once(state, account, job_id, n).await, "delivery {n} asked for a retry");
        let job = stored_job(state, account, job_id).await;
        if job.status.is_final() {
            return (job, n + 1);
        }
    }
    panic!("the delete job did not finish in 400 deliveries");
}

/// Every item whose partition key starts with `prefix` (a raw table scan: the
/// test looks past the app's own queries).
async fn scan(state: &igny8::AppState, prefix: &str) -> Vec<HashMap<String, AttributeValue>> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = state
            .store
            .client()
            .scan()
            .table_name(state.store.table_name())
            .filter_expression("begins_with(PK, :p)")
            .expression_attribute_values(":p", AttributeValue::S(prefix.into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        out.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return out,
        }
    }
}

fn s(item: &HashMap<String, AttributeValue>, k: &str) -> String {
    item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

async fn objects(state: &igny8::AppState, prefix: &str) -> Vec<String> {
    let bucket = state.config.bucket_name.clone().unwrap();
    let out = state.s3.list_objects_v2().bucket(bucket).prefix(prefix).send().await.unwrap();
    out.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect()
}

/// Imports `n` keywords (within the request, or as a job delivered here).
async fn import(t: &igny8_e2e::Tenant, site: &str, sector: &str, tag: &str, n: usize) -> Value {
    let rows: Vec<Value> = (0..n).map(|i| json!({"keyword": format!("{tag} keyword number {i}")})).collect();
    let (status, resp) = api("POST", "/api/v1/planner/keywords/bulk-import/", Some(&t.access), Some(json!({"site_id": site, "sector_id": sector, "rows": rows}))).await;
    assert!(status == 200 || status == 202, "{resp}");
    resp
}

/// A content item in `sector` with three versions, a task from an idea, and
/// one generated image (an object in the bucket); returns the content id.
async fn content_with_everything(t: &igny8_e2e::Tenant, site: &str, sector: &str, slug: &str) -> String {
    let tok = t.access.as_str();
    let state = env().state().await;
    let idea = ok("POST", "/api/v1/planner/ideas/", tok, Some(json!({"site_id": site, "sector_id": sector, "title": format!("Idea {slug}"), "primary_keyword": format!("kw {slug}")}))).await;
    let idea = idea["id"].as_str().unwrap();
    ok("POST", &format!("/api/v1/planner/ideas/{idea}/create-task/?site_id={site}"), tok, None).await;
    let body = "<p>Intro.</p><h2>One</h2><p>First.</p><h2>Two</h2><p>Second.</p>";
    let c = ok("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "sector_id": sector, "title": "Best shoes", "slug": slug, "body_html": body}))).await;
    let cid = c["id"].as_str().unwrap().to_string();
    for v in 1..=2 {
        ok("PATCH", &format!("/api/v1/writer/content/{cid}/?site_id={site}"), tok, Some(json!({"body_html": format!("{body}<p>edit {v}</p>"), "version": v}))).await;
    }
    let job = ok("POST", &format!("/api/v1/writer/content/{cid}/image-prompts/?site_id={site}"), tok, Some(json!({}))).await;
    deliver_by_id(&state, &production_registry(offline()), &t.account_id, job["id"].as_str().unwrap(), 1).await;
    let prompts = ok("GET", &format!("/api/v1/writer/image-prompts/?site_id={site}&content_id={cid}"), tok, None).await;
    let first = prompts["results"][0]["id"].as_str().unwrap().to_string();
    let job = ok("POST", "/api/v1/writer/images/generate/", tok, Some(json!({"site_id": site, "prompt_ids": [first]}))).await;
    let done = deliver_by_id(&state, &production_registry(offline()), &t.account_id, job["id"].as_str().unwrap(), 1).await;
    assert_eq!(done.status.as_str(), "completed", "{:?}", done.error);
    cid
}

/// An account (growth plan) with a second site holding keywords and an
/// import blob, then a site with two sectors, keywords (more than a page),
/// a cluster, an idea with its task, content with versions, prompts and an
/// image object, and a waiting import job's blob.
async fn populated(tag: &str) -> Fixture {
    let (t, site, sector) = workspace(tag).await;
    let tok = t.access.as_str();
    let other = ok("POST", "/api/v1/sites/", tok, Some(json!({"name": "Other site"}))).await["id"].as_str().unwrap().to_string();
    let other_sector = ok("POST", &format!("/api/v1/sites/{other}/sectors/"), tok, Some(json!({"name": "Other sector"}))).await["id"].as_str().unwrap().to_string();
    let r = import(&t, &other, &other_sector, "other", 5).await;
    assert_eq!(r["data"]["created"].as_u64(), Some(5), "{r}");
    // A big import into the other site, never run: its rows wait in the bucket.
    let r = import(&t, &other, &other_sector, "other big", 260).await;
    assert_eq!(r["data"]["status"].as_str(), Some("queued"), "{r}");
    let (keywords_before_site, sites_before) = subscription(tok).await;
    assert_eq!(keywords_before_site, 5);

    let sector2 = ok("POST", &format!("/api/v1/sites/{site}/sectors/"), tok, Some(json!({"name": "Second"}))).await["id"].as_str().unwrap().to_string();
    let r = import(&t, &site, &sector, "site", KEYWORDS - 10).await;
    if r["data"]["status"].as_str() == Some("queued") {
        let state = env().state().await;
        let job = deliver_by_id(&state, igny8_ai_worker::registry(), &t.account_id, r["data"]["id"].as_str().unwrap(), 1).await;
        assert_eq!(job.status.as_str(), "completed");
    }
    import(&t, &site, &sector2, "second", 10).await;
    ok("POST", "/api/v1/planner/clusters/", tok, Some(json!({"site_id": site, "sector_id": sector, "name": "Shoes"}))).await;
    content_with_everything(&t, &site, &sector, "best-shoes").await;
    let r = import(&t, &site, &sector, "waiting", 260).await;
    assert_eq!(r["data"]["status"].as_str(), Some("queued"), "the import waits as a job: {r}");
    assert_eq!(subscription(tok).await.0, keywords_before_site + KEYWORDS as u64, "the waiting import reserved nothing yet");
    Fixture { t, site, sector, other_site: other, keywords_before_site, sites_before }
}

/// The end state of a deleted site: nothing of it in the table (no partition
/// of it, no site item, no item naming it) or in its bucket folder; the other
/// site untouched; the quota exactly back.
async fn assert_site_gone(f: &Fixture, other_items: usize, other_objects: usize) {
    let state = env().state().await;
    let (a, site) = (&f.t.account_id, &f.site);
    let left = scan(&state, &format!("ACCT#{a}#SITE#{site}")).await;
    assert!(left.is_empty(), "items left in the site's partition: {:?}", left.iter().map(|i| s(i, "SK")).collect::<Vec<_>>());
    let account = scan(&state, &format!("ACCT#{a}")).await;
    let naming: Vec<String> = account
        .iter()
        .filter(|i| s(i, "SK") == format!("SITE#{site}") || s(i, "site_id") == *site)
        .map(|i| format!("{} {}", s(i, "PK"), s(i, "SK")))
        .collect();
    assert!(naming.is_empty(), "items of the deleted site: {naming:?}");
    assert_eq!(objects(&state, &format!("accounts/{a}/sites/{site}/")).await, Vec::<String>::new(), "objects left in the site's folder");
    assert_eq!(scan(&state, &format!("ACCT#{a}#SITE#{}", f.other_site)).await.len(), other_items, "the other site is untouched");
    assert_eq!(objects(&state, &format!("accounts/{a}/sites/{}/", f.other_site)).await.len(), other_objects, "the other site's objects stay");
    assert_eq!(subscription(&f.t.access).await, (f.keywords_before_site, f.sites_before - 1), "quota exactly back: keywords and sites");
    assert_eq!(api("GET", &format!("/api/v1/sites/{site}/"), Some(&f.t.access), None).await.0, 404);
}

/// (a) DELETE on a site with data: 409 without confirm; 202 with a job with
/// it; the site is hidden and refuses writes at once (409 BEING_DELETED);
/// asking again answers the same job; the worker runs it one batch per
/// delivery (slice 0), the job shows phase and progress between deliveries,
/// and it completes with nothing of the site left and the quota back.
#[tokio::test]
async fn deleting_a_site_with_data_runs_as_a_job_and_leaves_nothing_behind() {
    let f = populated("del-site").await;
    let tok = f.t.access.as_str();
    let state = env().state().await;
    let other_items = scan(&state, &format!("ACCT#{}#SITE#{}", f.t.account_id, f.other_site)).await.len();
    let other_objects = objects(&state, &format!("accounts/{}/sites/{}/", f.t.account_id, f.other_site)).await.len();
    assert_eq!(other_objects, 1, "the other site's waiting import blob");
    let site_objects = objects(&state, &format!("accounts/{}/sites/{}/", f.t.account_id, f.site)).await;
    assert_eq!(site_objects.len(), 2, "an image and a waiting import's rows: {site_objects:?}");

    let (status, body) = api("DELETE", &format!("/api/v1/sites/{}/", f.site), Some(tok), None).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "no confirm: {body}");
    assert!(body["error"].as_str().unwrap().contains("confirm=true"), "{body}");
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{}/?confirm=true", f.site), Some(tok), None).await;
    assert_eq!((status, body["data"]["kind"].as_str(), body["data"]["status"].as_str()), (202, Some("delete_site"), Some("queued")), "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();

    // At once: hidden from the list, refused for reads and writes, same job when asked again.
    let sites = ok("GET", "/api/v1/sites/", tok, None).await;
    let listed: Vec<&str> = sites["results"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(listed, [f.other_site.as_str()], "{sites}");
    let (status, body) = api("GET", &format!("/api/v1/sites/{}/", f.site), Some(tok), None).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("BEING_DELETED")), "{body}");
    let (status, body) = api("POST", "/api/v1/planner/keywords/", Some(tok), Some(json!({"site_id": f.site, "sector_id": f.sector, "keyword": "late"}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("BEING_DELETED")), "a write under the site: {body}");
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{}/?confirm=true", f.site), Some(tok), None).await;
    assert_eq!((status, body["data"]["id"].as_str()), (202, Some(job_id.as_str())), "asked again: the same job: {body}");

    // The worker, one batch per delivery: progress shows in between.
    let mut config = env().config();
    config.delete_slice_secs = 0;
    let worker = Arc::new(igny8::AppState::new(config).await);
    for n in 0..3 {
        assert!(!deliver_once(&worker, &f.t.account_id, &job_id, n).await);
    }
    let shown = ok("GET", &format!("/api/v1/jobs/{job_id}/"), tok, None).await;
    assert_eq!(shown["status"].as_str(), Some("queued"), "paused between slices: {shown}");
    assert!(shown["phase"].as_str().unwrap().starts_with("Deleting"), "{shown}");
    assert!(shown["progress"].as_u64().unwrap() > 0, "{shown}");
    let (job, deliveries) = run_to_end(&worker, &f.t.account_id, &job_id).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    let r = job.result.clone().unwrap();
    assert_eq!(r["keywords_released"].as_u64(), Some(KEYWORDS as u64), "{r}");
    assert_eq!(r["removed"]["keywords"].as_u64(), Some(KEYWORDS as u64), "{r}");
    assert_eq!(r["removed"]["sectors"].as_u64(), Some(2), "{r}");
    assert_eq!(r["objects_removed"].as_u64(), Some(2), "the image (with its item) and the import blob (with the folder): {r}");
    assert!(r["batches"].as_u64().unwrap() >= 10, "pages of at most 100: {r}");
    assert_eq!(deliveries as u64 + 3, r["batches"].as_u64().unwrap(), "one batch per delivery (the last one also removes the parent): {r}");
    assert_eq!((job.credits_charged.unwrap_or(0.0), job.reservation.is_none()), (0.0, true), "deletes cost no credits");
    let shown = ok("GET", &format!("/api/v1/jobs/{job_id}/"), tok, None).await;
    assert_eq!((shown["status"].as_str(), shown["progress"].as_u64()), (Some("completed"), Some(100)), "{shown}");
    assert_site_gone(&f, other_items, other_objects).await;
    // A redelivery of the finished job does nothing (no second quota release).
    assert!(!deliver_once(&worker, &f.t.account_id, &job_id, 999).await);
    assert_eq!(subscription(tok).await, (f.keywords_before_site, f.sites_before - 1));
}

/// (b) The same delete, interrupted twice and taken over once:
/// 1. every BatchWriteItem deleting keywords after the first two (of the
///    first keyword batch, whose quota the checkpoint already gave back)
///    fails as DynamoDB throttling would: the delivery asks for a retry, with
///    the earlier phases gone and the site still there;
/// 2. the redelivery resumes from the checkpoint (re-deleting the pending
///    batch without giving its quota back again) and is stopped again when
///    deleting clusters: by then every keyword is gone and the quota is
///    exactly back;
/// 3. the job is cancelled (it ended unfinished, as when the sweeper fails a
///    job whose worker died); the site stays refused, and DELETE again starts
///    a new job, which continues the same checkpoint to the end.
/// The end state is the one of (a), with the quota given back exactly once.
#[tokio::test]
async fn a_site_delete_interrupted_after_some_batches_resumes_and_restores_quota_once() {
    let f = populated("del-retry").await;
    let tok = f.t.access.as_str();
    let state = env().state().await;
    let t = Tk::from_verified(&f.t.account_id);
    let other_items = scan(&state, &format!("ACCT#{}#SITE#{}", f.t.account_id, f.other_site)).await.len();
    let (_, body) = api("DELETE", &format!("/api/v1/sites/{}/?confirm=true", f.site), Some(tok), None).await;
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    let checkpoint = || async {
        state.store.get::<igny8::sites::delete::DeleteCheckpoint>(&igny8::sites::delete::checkpoint_key(&t, &f.site, None)).await.unwrap().expect("a checkpoint")
    };

    // 1. Interrupted inside the first keyword batch.
    let faults = Faults::new().with(Rule::new("BatchWriteItem", Fault::Throttle).containing("\"KW#").after(2));
    let faulty = faults.state().await;
    assert!(deliver_once(&faulty, &f.t.account_id, &job_id, 0).await, "the interrupted delivery asks for a retry");
    assert!(faults.hits()[0] >= 1, "the fault hit");
    let job = stored_job(&state, &f.t.account_id, &job_id).await;
    assert_eq!(job.status.as_str(), "queued", "back in the queue: {job:?}");
    let ck = checkpoint().await;
    assert_eq!((ck.keywords_released, ck.pending_keys.len()), (100, 100), "the first keyword batch is recorded, its quota given back: {ck:?}");
    let left = scan(&state, &format!("ACCT#{}#SITE#{}", f.t.account_id, f.site)).await;
    assert!(left.iter().any(|i| s(i, "SK").starts_with("KW#")), "keywords of the interrupted batch are still there");
    assert!(!left.iter().any(|i| s(i, "SK").starts_with("CONT#") || s(i, "SK").starts_with("VER#")), "earlier phases are done");
    assert_eq!(subscription(tok).await.0, f.keywords_before_site + KEYWORDS as u64 - 100, "the recorded batch's quota only");
    assert!(state.store.get::<Value>(&igny8::store::keys::site(&t, &f.site)).await.unwrap().is_some(), "the parent stays until the end");

    // 2. The redelivery resumes; stopped again at the clusters.
    faults.clear();
    let faults = Faults::new().with(Rule::new("BatchWriteItem", Fault::Throttle).containing("\"CL#"));
    let faulty = faults.state().await;
    assert!(deliver_once(&faulty, &f.t.account_id, &job_id, 1).await, "stopped again");
    let left = scan(&state, &format!("ACCT#{}#SITE#{}", f.t.account_id, f.site)).await;
    assert!(!left.iter().any(|i| s(i, "SK").starts_with("KW#")), "every keyword is gone");
    assert!(left.iter().any(|i| s(i, "SK").starts_with("CL#")), "the cluster is not");
    assert_eq!(subscription(tok).await.0, f.keywords_before_site, "the quota is exactly back, not more");
    assert_eq!(checkpoint().await.keywords_released, KEYWORDS as u64);

    // 3. The job ends unfinished; DELETE again takes over from the checkpoint.
    let (status, body) = api("POST", &format!("/api/v1/jobs/{job_id}/cancel/"), Some(tok), None).await;
    assert_eq!((status, body["data"]["status"].as_str()), (200, Some("cancelled")), "{body}");
    let (status, body) = api("GET", &format!("/api/v1/sites/{}/", f.site), Some(tok), None).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("BEING_DELETED")), "still refused: {body}");
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{}/", f.site), Some(tok), None).await;
    assert_eq!(status, 202, "no confirm needed to finish a delete: {body}");
    let second = body["data"]["id"].as_str().unwrap().to_string();
    assert_ne!(second, job_id, "a new job");
    let (job, _) = run_to_end(&state, &f.t.account_id, &second).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    let r = job.result.unwrap();
    assert_eq!((r["keywords_released"].as_u64(), r["removed"]["keywords"].as_u64()), (Some(KEYWORDS as u64), Some(KEYWORDS as u64)), "{r}");
    assert_site_gone(&f, other_items, 1).await;
}

/// (c) A sector delete removes the sector's items, its content's slug guard
/// and its tasks' idea guards, the image objects, and gives its keywords
/// back; a new sector's content can take the slug again. The other sector
/// keeps its keywords.
#[tokio::test]
async fn a_sector_delete_removes_its_slug_guards_so_the_slug_can_be_used_again() {
    let (t, site, sector) = workspace("del-sector").await;
    let tok = t.access.as_str();
    let keep = ok("POST", &format!("/api/v1/sites/{site}/sectors/"), tok, Some(json!({"name": "Keep"}))).await["id"].as_str().unwrap().to_string();
    import(&t, &site, &keep, "kept", 3).await;
    import(&t, &site, &sector, "gone", 4).await;
    let cid = content_with_everything(&t, &site, &sector, "reused-slug").await;
    assert_eq!(subscription(tok).await.0, 7);
    let state = env().state().await;
    let a = &t.account_id;
    assert_eq!(objects(&state, &format!("accounts/{a}/sites/{site}/images/")).await.len(), 1);

    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/sectors/{sector}/"), Some(tok), None).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/sectors/{sector}/?confirm=true"), Some(tok), None).await;
    assert_eq!((status, body["data"]["kind"].as_str()), (202, Some("delete_sector")), "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    let sectors = ok("GET", &format!("/api/v1/sites/{site}/sectors/"), tok, None).await;
    assert_eq!(sectors["results"].as_array().unwrap().len(), 1, "the deleting sector is hidden: {sectors}");
    let (status, body) = api("POST", "/api/v1/planner/keywords/", Some(tok), Some(json!({"site_id": site, "sector_id": sector, "keyword": "late"}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("BEING_DELETED")), "{body}");
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/?confirm=true"), Some(tok), None).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "the site waits for its sector's delete: {body}");

    let (job, _) = run_to_end(&state, a, &job_id).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    let r = job.result.unwrap();
    assert_eq!((r["keywords_released"].as_u64(), r["removed"]["uniqueness guards"].as_u64()), (Some(4), Some(2)), "slug and idea guards: {r}");
    let left = scan(&state, &format!("ACCT#{a}#SITE#{site}")).await;
    let sks: Vec<String> = left.iter().map(|i| s(i, "SK")).collect();
    assert!(left.iter().all(|i| s(i, "sector_id") != sector), "items of the sector left: {sks:?}");
    assert!(!sks.iter().any(|k| k.starts_with("UNIQ#") || *k == format!("SECTOR#{sector}") || k.contains(&cid)), "{sks:?}");
    assert_eq!(sks.iter().filter(|k| k.starts_with("KW#")).count(), 3, "the other sector keeps its keywords: {sks:?}");
    assert_eq!(objects(&state, &format!("accounts/{a}/sites/{site}/images/")).await, Vec::<String>::new());
    assert_eq!(subscription(tok).await.0, 3, "the sector's 4 keywords were given back");
    // The slug is free again, for a new sector's content.
    let fresh = ok("POST", &format!("/api/v1/sites/{site}/sectors/"), tok, Some(json!({"name": "Fresh"}))).await["id"].as_str().unwrap().to_string();
    let c = ok("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "sector_id": fresh, "title": "Again", "slug": "reused-slug"}))).await;
    assert_eq!(c["slug"].as_str(), Some("reused-slug"), "{c}");
    // An empty sector is deleted within the request.
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/sectors/{keep}/"), Some(tok), None).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "it holds keywords: {body}");
    let empty = ok("POST", &format!("/api/v1/sites/{site}/sectors/"), tok, Some(json!({"name": "Empty"}))).await["id"].as_str().unwrap().to_string();
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/sectors/{empty}/"), Some(tok), None).await;
    assert_eq!((status, body["data"]["items_removed"].as_u64()), (200, Some(0)), "{body}");
}

/// (d) Viewers and editors may not delete (403, nothing marked); another
/// account's ids are a 404 for both routes.
#[tokio::test]
async fn deletes_need_an_admin_and_another_accounts_ids_are_not_found() {
    let (t, site, sector) = workspace("del-roles").await;
    import(&t, &site, &sector, "roles", 2).await;
    let (_, viewer) = member(&t, "viewer").await;
    let (_, editor) = member(&t, "editor").await;
    let stranger = register("del-stranger").await;
    for path in [format!("/api/v1/sites/{site}/?confirm=true"), format!("/api/v1/sites/{site}/sectors/{sector}/?confirm=true")] {
        for (who, token) in [("viewer", &viewer), ("editor", &editor)] {
            let (status, body) = api("DELETE", &path, Some(token), None).await;
            assert_eq!((status, body["error_code"].as_str()), (403, Some("FORBIDDEN")), "{who} DELETE {path}: {body}");
        }
        let (status, body) = api("DELETE", &path, Some(&stranger.access), None).await;
        assert_eq!((status, body["error_code"].as_str()), (404, Some("NOT_FOUND")), "another account: DELETE {path}: {body}");
    }
    // Nothing was marked or removed.
    let got = ok("GET", &format!("/api/v1/sites/{site}/sectors/{sector}/"), &t.access, None).await;
    assert!(got.get("deleting").is_none(), "{got}");
    assert_eq!(subscription(&t.access).await.0, 2);
    let jobs = ok("GET", "/api/v1/jobs/", &t.access, None).await;
    assert!(jobs["results"].as_array().unwrap().iter().all(|j| !j["kind"].as_str().unwrap().starts_with("delete_")), "{jobs}");
}
