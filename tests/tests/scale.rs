//! Bulk paths at size: imports as jobs that resume where they stopped,
//! report exactly, and never duplicate or double-count quota.

use igny8::store::keys::{self, Tenant};
use igny8_e2e::{api, env, envelope, http};
use serde_json::{Value, json};

async fn import_csv(token: &str, site: &str, sector: &str, csv: &str) -> (u16, Value) {
    let resp = http()
        .post(env().url(&format!("/api/v1/planner/keywords/bulk-import/?site_id={site}&sector_id={sector}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    envelope(resp).await
}

/// Every keyword of the sector, through the API's pages.
async fn all_keywords(token: &str, site: &str, sector: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/planner/keywords/?site_id={site}&sector_id={sector}&limit=100");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, body) = api("GET", &path, Some(token), None).await;
        assert_eq!(status, 200, "{body}");
        out.extend(body["data"]["results"].as_array().unwrap().iter().cloned());
        match body["data"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

#[tokio::test]
async fn an_import_job_interrupted_mid_way_resumes_from_its_last_chunk_with_exact_counts_and_no_duplicates() {
    let (t, site, sector) = igny8_e2e::workspace("scale-resume").await;
    let f = xtask::scale::keyword_file(2_500, 150);
    let e = f.expected;
    // The seed (150 rows) fits in a request under the tests' 250-row cap.
    let (status, body) = import_csv(&t.access, &site, &sector, &f.seed).await;
    assert_eq!((status, body["data"]["created"].as_u64()), (200, Some(150)), "{body}");

    let (status, body) = import_csv(&t.access, &site, &sector, &f.file).await;
    assert_eq!((status, body["data"]["kind"].as_str()), (202, Some("import_keywords")), "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    let state = env().state().await;
    let tenant = Tenant::from_verified(&t.account_id);
    let job: igny8::jobs::Job = state.store.get(&keys::job(&tenant, &job_id)).await.unwrap().unwrap();

    // A worker starts the job and dies after it checkpointed its first chunk
    // (wherever it was in the second one: reading, reserving or writing).
    let worker = tokio::spawn(igny8::planner::keywords::run_import_job(state.clone(), job.clone()));
    let ckpt_key = igny8::planner::keywords::import_checkpoint_key(&tenant, &job_id);
    let interrupted_at = loop {
        if let Some(c) = state.store.get::<igny8::planner::keywords::ImportCheckpoint>(&ckpt_key).await.unwrap()
            && c.chunks_done >= 1
        {
            worker.abort();
            break c.chunks_done;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    let _ = worker.await;
    let chunks = e.rows.div_ceil(igny8::planner::keywords::IMPORT_CHUNK);
    assert!(interrupted_at < chunks, "the job was interrupted before its last chunk ({interrupted_at} of {chunks})");

    // The queue redelivers the message: the job resumes and completes.
    let job = igny8_e2e::ai_support::deliver_by_id(&state, igny8_ai_worker::registry(), &t.account_id, &job_id, 1).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    let r = job.result.unwrap();
    let got = (r["rows"].as_u64(), r["created"].as_u64(), r["updated"].as_u64(), r["duplicates_in_file"].as_u64(), r["invalid"].as_u64());
    let want = (Some(e.rows as u64), Some(e.created as u64), Some(e.updated as u64), Some(e.duplicates as u64), Some(e.invalid as u64));
    assert_eq!(got, want, "rows, created, updated, duplicates, invalid: {r}");

    // Every keyword exactly once, and the quota counts each once.
    let all = all_keywords(&t.access, &site, &sector).await;
    let mut texts: Vec<&str> = all.iter().map(|k| k["normalized"].as_str().unwrap()).collect();
    texts.sort();
    let before = texts.len();
    texts.dedup();
    assert_eq!(before, texts.len(), "no keyword appears twice");
    assert_eq!(texts.len(), e.created + e.updated, "every distinct keyword of the seed and the file");
    let (_, sub) = api("GET", "/api/v1/subscription/", Some(&t.access), None).await;
    assert_eq!(sub["data"]["keywords_used"].as_u64(), Some((e.created + e.updated) as u64), "quota reserved once per keyword: {sub}");
    let updated = all.iter().filter(|k| k["volume"].as_u64().is_some_and(|v| v >= 100)).count();
    assert_eq!(updated, e.created + e.updated, "the seed's keywords took the file's volumes");

    // The same file again: nothing new, nothing changed.
    let (status, body) = import_csv(&t.access, &site, &sector, &f.file).await;
    assert_eq!(status, 202, "{body}");
    let again = body["data"]["id"].as_str().unwrap().to_string();
    let job = igny8_e2e::ai_support::deliver_by_id(&state, igny8_ai_worker::registry(), &t.account_id, &again, 1).await;
    let r = job.result.unwrap();
    assert_eq!((r["created"].as_u64(), r["updated"].as_u64()), (Some(0), Some(0)), "{r}");
    let (_, sub) = api("GET", "/api/v1/subscription/", Some(&t.access), None).await;
    assert_eq!(sub["data"]["keywords_used"].as_u64(), Some((e.created + e.updated) as u64), "{sub}");
}

#[tokio::test]
async fn bulk_delete_gives_quota_back_once_and_refreshes_each_cluster_once_with_true_stats() {
    let (t, site, sector) = igny8_e2e::workspace("scale-bulk").await;
    let tok = Some(t.access.as_str());
    let rows: Vec<Value> = (0..12).map(|i| json!({"keyword": format!("bulk stat keyword {i}"), "volume": 100 + i})).collect();
    let (status, body) = api("POST", "/api/v1/planner/keywords/bulk-import/", tok, Some(json!({"site_id": site, "sector_id": sector, "rows": rows}))).await;
    assert_eq!((status, body["data"]["created"].as_u64()), (200, Some(12)), "{body}");
    let kws = all_keywords(&t.access, &site, &sector).await;
    let ids: Vec<String> = kws.iter().map(|k| k["id"].as_str().unwrap().to_string()).collect();
    let volumes: Vec<u64> = kws.iter().map(|k| k["volume"].as_u64().unwrap()).collect();
    let (_, cluster) = api("POST", "/api/v1/planner/clusters/", tok, Some(json!({"site_id": site, "sector_id": sector, "name": "Stats"}))).await;
    let cid = cluster["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = api(
        "POST",
        &format!("/api/v1/planner/clusters/{cid}/add-keywords/"),
        tok,
        Some(json!({"site_id": site, "keyword_ids": ids[..8]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["cluster"]["keyword_count"].as_u64(), Some(8), "{body}");

    // A PATCH of a member's volume moves the cluster's total.
    let (status, body) = api("PATCH", &format!("/api/v1/planner/keywords/{}/?site_id={site}", ids[0]), tok, Some(json!({"volume": 1000}))).await;
    assert_eq!(status, 200, "{body}");
    let (_, c) = api("GET", &format!("/api/v1/planner/clusters/{cid}/?site_id={site}"), tok, None).await;
    let expected_total: u64 = 1000 + volumes[1..8].iter().sum::<u64>();
    assert_eq!(c["data"]["total_volume"].as_u64(), Some(expected_total), "{c}");

    // An import merging new volumes into members refreshes the cluster too.
    let merged: Vec<Value> = kws[..8].iter().map(|k| json!({"keyword": k["keyword"], "volume": 10})).collect();
    let (status, body) = api("POST", "/api/v1/planner/keywords/bulk-import/", tok, Some(json!({"site_id": site, "sector_id": sector, "rows": merged}))).await;
    assert_eq!((status, body["data"]["updated"].as_u64()), (200, Some(8)), "{body}");
    let (_, c) = api("GET", &format!("/api/v1/planner/clusters/{cid}/?site_id={site}"), tok, None).await;
    assert_eq!(c["data"]["total_volume"].as_u64(), Some(80), "{c}");

    // Bulk delete of 5 members and 2 others (plus an unknown id): quota back by 7, cluster at 3 members.
    let mut doomed: Vec<String> = ids[3..10].to_vec();
    doomed.push("01JUNKJUNKJUNKJUNKJUNKJUNK".into());
    let (status, body) = api("POST", "/api/v1/planner/keywords/bulk-delete/", tok, Some(json!({"site_id": site, "ids": doomed}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["data"]["updated"].as_u64(), body["data"]["not_found"].as_array().map(Vec::len)), (Some(7), Some(1)), "{body}");
    let (_, sub) = api("GET", "/api/v1/subscription/", tok, None).await;
    assert_eq!(sub["data"]["keywords_used"].as_u64(), Some(5), "{sub}");
    let (_, c) = api("GET", &format!("/api/v1/planner/clusters/{cid}/?site_id={site}"), tok, None).await;
    assert_eq!((c["data"]["keyword_count"].as_u64(), c["data"]["total_volume"].as_u64()), (Some(3), Some(30)), "{c}");
    assert_eq!(all_keywords(&t.access, &site, &sector).await.len(), 5);
}

/// The cannibalization guard reads its index, not the sector: a check at
/// 3,000 content items (each with a ~2 KB body) makes the same reads as at
/// one, returns a handful of small entries, and still finds the conflict.
#[tokio::test]
async fn a_cannibalization_check_reads_the_same_few_keys_at_one_and_at_three_thousand_content_items() {
    use igny8::planner::cannibalization::{self, ConflictReason, ENTRIES_PER_KEY};
    use igny8::writer::content::Content;
    let state = env().state().await;
    let content = |site: &str, sector: &str, title: &str, kw: &str| {
        json!({"site_id": site, "sector_id": sector, "title": title, "focus_keyword": kw, "body_html": "<h2>Why</h2><p>Shoes.</p>"})
    };
    // N = 1: one content item, written through the API.
    let (small, small_site, small_sector) = igny8_e2e::workspace("cann-1").await;
    let (status, one) = api("POST", "/api/v1/writer/content/", Some(&small.access), Some(content(&small_site, &small_sector, "Best Trail Running Shoes in Paris 1", "trail running shoes paris 1"))).await;
    assert_eq!(status, 201, "{one}");
    // N = 3,000: the near-duplicate written through the API, 2,999 more
    // through the store with the index entries the write path files.
    let (big, site, sector) = igny8_e2e::workspace("cann-3000").await;
    let (status, dup) = api("POST", "/api/v1/writer/content/", Some(&big.access), Some(content(&site, &sector, "Best Trail Running Shoes for Flat Feet (2026)", "trail running shoes for flat feet"))).await;
    assert_eq!(status, 201, "{dup}");
    let dup_id = dup["data"]["id"].as_str().unwrap().to_string();
    let tb = Tenant::from_verified(&big.account_id);
    let template: Content = state.store.get(&igny8::writer::content::content_key(&tb, &site, &dup_id)).await.unwrap().unwrap();
    let body = format!("<h2>Section</h2>{}", "<p>Trail running shoes need grip, cushioning and a secure fit on rough ground.</p>".repeat(26));
    let cities = ["Paris", "Lisbon", "Denver", "Oslo", "Kyoto", "Austin", "Leeds", "Turin", "Perth", "Quebec"];
    let mut items = Vec::new();
    let mut entries = Vec::new();
    for i in 0..2_999usize {
        let mut c = template.clone();
        c.id = igny8::ids::new_id();
        c.title = format!("Best Trail Running Shoes in {} {i}", cities[i % cities.len()]);
        c.focus_keyword = Some(format!("trail running shoes {} {i}", cities[i % cities.len()]));
        c.slug = format!("seeded-{i}");
        c.body_html = body.clone();
        entries.extend(c.guard_entries());
        items.push(c);
    }
    assert!(body.len() > 2_000);
    state.store.batch_put(&items).await.unwrap();
    state.store.batch_put(&entries).await.unwrap();

    let title = "The best trail running shoes for flat feet";
    let check = |tenant: Tenant, site: String, sector: String, kw: &'static str| async move {
        let calls = igny8_e2e::calls::Calls::new();
        let counted = calls.state().await;
        let verdict = cannibalization::check(&counted, &tenant, &site, &sector, "NEWIDEA", title, kw).await.unwrap();
        (verdict, calls.reads())
    };
    let (v1, reads1) = check(Tenant::from_verified(&small.account_id), small_site.clone(), small_sector.clone(), "flat feet running").await;
    let (v3000, reads3000) = check(tb.clone(), site.clone(), sector.clone(), "flat feet running").await;
    assert!(v1.is_none(), "{v1:?}");
    let v = v3000.expect("the near-duplicate title is found among 3,000 items");
    assert_eq!((v.reason, v.conflicts_with.id.as_str()), (ConflictReason::SimilarTitle, dup_id.as_str()), "{v:?}");
    // Bounded: the same reads at N = 1 and N = 3,000, only index keys, few items.
    assert_eq!(reads1.len(), reads3000.len(), "reads per check do not grow with the sector");
    assert!(reads3000.len() <= 32, "{} reads", reads3000.len());
    for r in &reads3000 {
        assert_eq!(r.operation, "Query");
        let prefix = r.request["ExpressionAttributeValues"][":sk"]["S"].as_str().unwrap();
        assert!(prefix.starts_with(&format!("CANN#{sector}#")), "only index entries are read: {prefix}");
        assert!(r.request["Limit"].as_i64() == Some(i64::from(ENTRIES_PER_KEY)), "{:?}", r.request);
    }
    let returned: usize = reads3000.iter().map(|r| r.items).sum();
    assert!(returned <= 10, "{returned} entries read for a check among 3,000 items");
    eprintln!(
        "cannibalization check: {} reads at N=1 ({} items), {} reads at N=3000 ({} items)",
        reads1.len(),
        reads1.iter().map(|r| r.items).sum::<usize>(),
        reads3000.len(),
        returned
    );
    // The same keyword wins over the similar title, with the same reads.
    let (kw, reads_kw) = check(tb.clone(), site.clone(), sector.clone(), "Trail  Running Shoes for flat feet").await;
    assert_eq!(kw.map(|k| k.reason), Some(ConflictReason::SamePrimaryKeyword));
    assert_eq!(reads_kw.len(), reads3000.len());

    // Over HTTP: an idea on that title is flagged; a renamed content item
    // leaves its old keys, and a deleted one leaves the index.
    let (status, idea) = api("POST", "/api/v1/planner/ideas/", Some(&big.access), Some(json!({"site_id": site, "sector_id": sector, "title": title, "primary_keyword": "flat feet running"}))).await;
    assert_eq!((status, idea["data"]["cannibalization"]["conflicts_with"]["id"].as_str()), (201, Some(dup_id.as_str())), "{idea}");
    let (status, renamed) = api("PATCH", &format!("/api/v1/writer/content/{dup_id}/?site_id={site}"), Some(&big.access), Some(json!({"title": "Waterproof hiking boots reviewed", "focus_keyword": "hiking boots", "version": dup["data"]["version"]}))).await;
    assert_eq!(status, 200, "{renamed}");
    let old = cannibalization::check(&state, &tb, &site, &sector, "X", title, "flat feet").await.unwrap();
    assert_eq!(old.map(|c| c.conflicts_with.kind), Some(cannibalization::WorkKind::Idea), "only the idea holds the old title now");
    let moved = cannibalization::check(&state, &tb, &site, &sector, "X", "Hiking boots: waterproof, reviewed", "other").await.unwrap();
    assert_eq!(moved.map(|m| m.conflicts_with.id), Some(dup_id.clone()), "the new title is filed");
    let (status, _) = api("DELETE", &format!("/api/v1/writer/content/{dup_id}/?site_id={site}"), Some(&big.access), None).await;
    assert_eq!(status, 200);
    assert!(cannibalization::check(&state, &tb, &site, &sector, "X", "Waterproof hiking boots reviewed", "hiking boots").await.unwrap().is_none());
    let q = igny8::store::Query::new(&tb, igny8::store::keys::Index::Table, tb.site_pk(&site))
        .sk(igny8::store::SkCondition::BeginsWith(format!("{}", cannibalization::sector_prefix(&sector))))
        .filter("id = :id", &[], vec![(":id", aws_sdk_dynamodb::types::AttributeValue::S(dup_id.clone()))]);
    let left: Vec<Value> = state.store.query_all(&q, 100_000).await.unwrap();
    assert!(left.is_empty(), "no entry of the deleted item is left: {left:?}");
}
