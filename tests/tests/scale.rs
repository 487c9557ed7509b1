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
