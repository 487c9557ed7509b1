//! Planner over HTTP: keyword import in every supported format, idempotent
//! re-import, messy files, CRUD and filters, roles and tenant isolation.

use igny8_e2e::{api, env, http, envelope, member, register};
use serde_json::{Value, json};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(xtask::repo_root().join("tests/fixtures/keywords").join(name)).expect("fixture")
}

async fn upload(token: &str, site: &str, sector: &str, name: &str, content_type: &str) -> (u16, Value) {
    let resp = http()
        .post(env().url(&format!("/api/v1/planner/keywords/bulk-import/?site_id={site}&sector_id={sector}")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(fixture(name))
        .send()
        .await
        .unwrap();
    envelope(resp).await
}

#[tokio::test]
async fn every_format_imports_and_a_second_import_changes_nothing() {
    let (t, site, sector) = igny8_e2e::workspace("kw-formats").await;
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    for (name, ct, format) in [
        ("semrush_keyword_magic.csv", "text/csv", "semrush_keyword_magic"),
        ("semrush_strategy_builder.xlsx", xlsx, "semrush_strategy_builder"),
        ("ahrefs_keywords_explorer_utf16.csv", "text/csv", "ahrefs_keywords_explorer"),
        ("ahrefs_keywords_explorer_utf8.csv", "text/csv", "ahrefs_keywords_explorer"),
        ("google_keyword_planner.csv", "text/csv", "google_keyword_planner"),
        ("google_search_console_queries.csv", "text/csv", "google_search_console"),
        ("plain_list.txt", "text/plain", "plain_list"),
    ] {
        let (status, body) = upload(&t.access, &site, &sector, name, ct).await;
        assert_eq!(status, 200, "{name}: {body}");
        let d = &body["data"];
        assert_eq!(d["format"], format, "{name}: {body}");
        assert!(d["created"].as_u64().unwrap() + d["updated"].as_u64().unwrap() + d["skipped"].as_u64().unwrap() > 0, "{name}: {body}");
        assert_eq!(d["errors"], json!([]), "{name}: {body}");
        // The same file again: nothing created, nothing changed.
        let (status, again) = upload(&t.access, &site, &sector, name, ct).await;
        assert_eq!(status, 200);
        assert_eq!((again["data"]["created"].as_u64(), again["data"]["updated"].as_u64()), (Some(0), Some(0)), "{name} re-import: {again}");
    }
}

#[tokio::test]
async fn a_messy_file_imports_its_good_rows_and_reports_each_bad_one() {
    let (t, site, sector) = igny8_e2e::workspace("kw-messy").await;
    let (status, body) = upload(&t.access, &site, &sector, "messy.csv", "text/csv").await;
    assert_eq!(status, 200, "{body}");
    let errors = body["data"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 4, "{body}");
    for e in errors {
        assert!(e["row"].as_u64().unwrap() > 0 && e["column"].is_string() && e["message"].is_string(), "{e}");
    }
    assert!(body["data"]["created"].as_u64().unwrap() > 0);
    assert!(body["data"]["duplicates_in_file"].as_u64().unwrap() > 0, "{body}");
    // Multipart upload of the same file: nothing new.
    let boundary = "igny8boundary";
    let mut multipart = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"messy.csv\"\r\nContent-Type: text/csv\r\n\r\n").into_bytes();
    multipart.extend(fixture("messy.csv"));
    multipart.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let resp = http()
        .post(env().url(&format!("/api/v1/planner/keywords/bulk-import/?site_id={site}&sector_id={sector}")))
        .bearer_auth(&t.access)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(multipart)
        .send()
        .await
        .unwrap();
    let (status, again) = envelope(resp).await;
    assert_eq!((status, again["data"]["created"].as_u64()), (200, Some(0)), "{again}");
    // Garbage is a 400, not a 500.
    let resp = http()
        .post(env().url(&format!("/api/v1/planner/keywords/bulk-import/?site_id={site}&sector_id={sector}")))
        .bearer_auth(&t.access)
        .header("content-type", "application/octet-stream")
        .body(vec![0u8, 159, 146, 150, 0, 1, 2])
        .send()
        .await
        .unwrap();
    let (status, body) = envelope(resp).await;
    assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");
}

#[tokio::test]
async fn keyword_crud_filters_and_duplicates() {
    let (t, site, sector) = igny8_e2e::workspace("kw-crud").await;
    let tok = Some(t.access.as_str());
    for (kw, vol, kd, intent) in [("Running Shoes", 9000, 60, "commercial"), ("trail running shoes", 1200, 35, "commercial"), ("how to run faster", 5000, 20, "informational")] {
        let (status, body) = api(
            "POST",
            "/api/v1/planner/keywords/",
            tok,
            Some(json!({"site_id": site, "sector_id": sector, "keyword": kw, "volume": vol, "difficulty": kd, "intent": intent})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    // Same text, other case and spacing: 409.
    let (status, body) =
        api("POST", "/api/v1/planner/keywords/", tok, Some(json!({"site_id": site, "sector_id": sector, "keyword": "  running   SHOES "}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    // Sent: difficulty 140 → 400 naming the field.
    let (status, body) =
        api("POST", "/api/v1/planner/keywords/", tok, Some(json!({"site_id": site, "sector_id": sector, "keyword": "x", "difficulty": 140}))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("difficulty")), "{body}");
    let (site2, sector2, tok2) = (site.clone(), sector.clone(), t.access.clone());
    let get = |q: &str| {
        let url = format!("/api/v1/planner/keywords/?site_id={site2}&sector_id={sector2}{q}");
        let tok2 = tok2.clone();
        async move {
            let (status, body) = api("GET", &url, Some(&tok2), None).await;
            assert_eq!(status, 200, "{url}: {body}");
            let mut v: Vec<String> = body["data"]["results"].as_array().unwrap().iter().map(|k| k["keyword"].as_str().unwrap().to_string()).collect();
            v.sort();
            v
        }
    };
    assert_eq!(get("").await.len(), 3);
    assert_eq!(get("&intent=informational").await, ["how to run faster"]);
    assert_eq!(get("&min_volume=2000").await, ["Running Shoes", "how to run faster"]);
    assert_eq!(get("&max_difficulty=40").await, ["how to run faster", "trail running shoes"]);
    assert_eq!(get("&search=RUNNING").await, ["Running Shoes", "trail running shoes"]);
    let (status, body) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&intent=angry"), tok, None).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("intent")), "{body}");
    let (status, body) = api("GET", "/api/v1/planner/keywords/", tok, None).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("site_id")), "{body}");
    // Update, bulk status, bulk delete.
    let (_, body) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&sector_id={sector}&search=trail"), tok, None).await;
    let id = body["data"]["results"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = api("PATCH", &format!("/api/v1/planner/keywords/{id}/?site_id={site}"), tok, Some(json!({"volume": 1500, "version": 1}))).await;
    assert_eq!((status, body["data"]["volume"].as_u64()), (200, Some(1500)), "{body}");
    let (status, _) = api("PATCH", &format!("/api/v1/planner/keywords/{id}/?site_id={site}"), tok, Some(json!({"volume": 1, "version": 1}))).await;
    assert_eq!(status, 409, "stale edit");
    let (status, body) =
        api("POST", "/api/v1/planner/keywords/bulk-update-status/", tok, Some(json!({"site_id": site, "ids": [id, igny8::ids::new_id()], "status": "archived"}))).await;
    assert_eq!((status, body["data"]["updated"].as_u64(), body["data"]["not_found"].as_array().map(Vec::len)), (200, Some(1), Some(1)), "{body}");
    assert_eq!(get("&status=archived").await, ["trail running shoes"]);
    let (status, body) = api("POST", "/api/v1/planner/keywords/bulk-delete/", tok, Some(json!({"site_id": site, "ids": [id]}))).await;
    assert_eq!((status, body["data"]["updated"].as_u64()), (200, Some(1)), "{body}");
    assert_eq!(get("").await.len(), 2);
    // The deleted text can be created again.
    let (status, _) = api("POST", "/api/v1/planner/keywords/", tok, Some(json!({"site_id": site, "sector_id": sector, "keyword": "trail running shoes"}))).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn planner_roles_and_tenant_isolation() {
    let (a, site, sector) = igny8_e2e::workspace("kw-tenant-a").await;
    let (status, body) =
        api("POST", "/api/v1/planner/keywords/", Some(&a.access), Some(json!({"site_id": site, "sector_id": sector, "keyword": "secret keyword"}))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    // Viewer reads, cannot write.
    let (_, viewer) = member(&a, "viewer").await;
    assert_eq!(api("GET", &format!("/api/v1/planner/keywords/{id}/?site_id={site}"), Some(&viewer), None).await.0, 200);
    let (status, body) =
        api("POST", "/api/v1/planner/keywords/", Some(&viewer), Some(json!({"site_id": site, "sector_id": sector, "keyword": "x"}))).await;
    assert_eq!((status, body["error_code"].as_str()), (403, Some("FORBIDDEN")), "{body}");
    // Another tenant with A's ids: 404 everywhere.
    let b = register("kw-tenant-b").await;
    for (method, path, body) in [
        ("GET", format!("/api/v1/planner/keywords/?site_id={site}"), None),
        ("GET", format!("/api/v1/planner/keywords/{id}/?site_id={site}"), None),
        ("PATCH", format!("/api/v1/planner/keywords/{id}/?site_id={site}"), Some(json!({"volume": 1}))),
        ("DELETE", format!("/api/v1/planner/keywords/{id}/?site_id={site}"), None),
        ("POST", "/api/v1/planner/keywords/".to_string(), Some(json!({"site_id": site, "sector_id": sector, "keyword": "intruder"}))),
        ("POST", "/api/v1/planner/keywords/bulk-delete/".to_string(), Some(json!({"site_id": site, "ids": [id]}))),
        ("POST", "/api/v1/planner/keywords/bulk-import/".to_string(), Some(json!({"site_id": site, "sector_id": sector, "rows": [{"keyword": "intruder"}]}))),
    ] {
        let (status, resp) = api(method, &path, Some(&b.access), body.clone()).await;
        assert_eq!((status, resp["error_code"].as_str()), (404, Some("NOT_FOUND")), "B: {method} {path} {body:?} -> {resp}");
    }
    assert_eq!(api("GET", &format!("/api/v1/planner/keywords/{id}/?site_id={site}"), Some(&a.access), None).await.0, 200, "A's keyword untouched");
    // JSON rows import works for the owner.
    let (status, body) = api(
        "POST",
        "/api/v1/planner/keywords/bulk-import/",
        Some(&a.access),
        Some(json!({"site_id": site, "sector_id": sector, "rows": [{"keyword": "json row one", "volume": 10}, {"keyword": "Secret  Keyword", "volume": 99}]})),
    )
    .await;
    assert_eq!((status, body["data"]["created"].as_u64(), body["data"]["updated"].as_u64()), (200, Some(1), Some(1)), "{body}");
}

#[tokio::test]
async fn the_plans_keyword_limit_holds_and_deleting_a_sector_sweeps_its_keywords() {
    // Free plan: at most 500 keywords. Start the account at 498 (as if it had
    // imported them) so the test stays small.
    let t = register("kw-limit").await;
    let (_, site) = api("POST", "/api/v1/sites/", Some(&t.access), Some(json!({"name": "Site"}))).await;
    let site = site["data"]["id"].as_str().unwrap().to_string();
    let (_, sector) = api("POST", &format!("/api/v1/sites/{site}/sectors/"), Some(&t.access), Some(json!({"name": "Sector"}))).await;
    let sector = sector["data"]["id"].as_str().unwrap().to_string();
    let state = env().state().await;
    let tenant = igny8::store::keys::Tenant::from_verified(&t.account_id);
    igny8::planner::quota::reserve(&state, &tenant, 498).await.unwrap();
    let tok = Some(t.access.as_str());
    // Five new rows: two fit, three are row errors naming the limit; one
    // existing keyword merges without needing room.
    let rows = json!([{"keyword": "one"}, {"keyword": "two"}, {"keyword": "three"}, {"keyword": "four"}, {"keyword": "five"}]);
    let (status, body) = api("POST", "/api/v1/planner/keywords/bulk-import/", tok, Some(json!({"site_id": site, "sector_id": sector, "rows": rows}))).await;
    assert_eq!((status, body["data"]["created"].as_u64()), (200, Some(2)), "{body}");
    let errors = body["data"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{body}");
    assert!(errors.iter().all(|e| e["message"].as_str().unwrap().contains("at most 500 keywords")), "{body}");
    let (status, body) = api("POST", "/api/v1/planner/keywords/", tok, Some(json!({"site_id": site, "sector_id": sector, "keyword": "six"}))).await;
    assert_eq!((status, body["error_code"].as_str()), (403, Some("PLAN_LIMIT")), "{body}");
    let (_, sub) = api("GET", "/api/v1/subscription/", tok, None).await;
    assert_eq!(sub["data"]["keywords_used"].as_u64(), Some(500), "{sub}");
    // Deleting one makes room for one.
    let (_, list) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&sector_id={sector}"), tok, None).await;
    let id = list["data"]["results"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(api("DELETE", &format!("/api/v1/planner/keywords/{id}/?site_id={site}"), tok, None).await.0, 200);
    let (status, body) = api("POST", "/api/v1/planner/keywords/", tok, Some(json!({"site_id": site, "sector_id": sector, "keyword": "six"}))).await;
    assert_eq!(status, 201, "{body}");
    // A sector with keywords is only deleted with confirm, and takes its
    // keywords with it.
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/sectors/{sector}/"), tok, None).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/sectors/{sector}/?confirm=true"), tok, None).await;
    assert_eq!((status, body["data"]["kind"].as_str()), (202, Some("delete_sector")), "a sector with data is deleted by a job: {body}");
    let state = igny8_e2e::env().state().await;
    let job = body["data"]["id"].as_str().unwrap();
    let done = igny8_e2e::ai_support::deliver_by_id(&state, igny8_ai_worker::registry(), &t.account_id, job, 1).await;
    assert_eq!(done.result.as_ref().map(|r| r["items_removed"].clone()), Some(json!(3)), "two keywords (their keys are their guards) and the sector: {done:?}");
    let (_, sub) = api("GET", "/api/v1/subscription/", tok, None).await;
    assert_eq!(sub["data"]["keywords_used"].as_u64(), Some(498), "the sector's two keywords were given back: {sub}");
    let (_, again) = api("POST", &format!("/api/v1/sites/{site}/sectors/"), tok, Some(json!({"name": "Sector"}))).await;
    let sector2 = again["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = api("POST", "/api/v1/planner/keywords/", tok, Some(json!({"site_id": site, "sector_id": sector2, "keyword": "two"}))).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_big_file_imports_as_a_job_with_progress_and_the_same_report() {
    // The tests run with imports over 250 rows as jobs (production: 5 000).
    let (t, site, sector) = igny8_e2e::workspace("kw-big").await;
    let list: String = (0..300).map(|i| format!("city break idea number {i}\n")).collect();
    let send = || async {
        let resp = http()
            .post(env().url(&format!("/api/v1/planner/keywords/bulk-import/?site_id={site}&sector_id={sector}")))
            .bearer_auth(&t.access)
            .header("content-type", "text/plain")
            .body(list.clone())
            .send()
            .await
            .unwrap();
        envelope(resp).await
    };
    let (status, body) = send().await;
    assert_eq!((status, body["data"]["kind"].as_str()), (202, Some("import_keywords")), "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    let (_, before) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&sector_id={sector}"), Some(&t.access), None).await;
    assert_eq!(before["data"]["results"], json!([]), "nothing imported before the job runs");
    let state = env().state().await;
    // Delivered twice: the second delivery finds the job done and does nothing.
    let job = igny8_e2e::ai_support::deliver_by_id(&state, igny8_ai_worker::registry(), &t.account_id, &job_id, 2).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    let (status, body) = api("GET", &format!("/api/v1/jobs/{job_id}/"), Some(&t.access), None).await;
    assert_eq!(status, 200);
    let r = &body["data"]["result"];
    assert_eq!((r["format"].as_str(), r["created"].as_u64(), r["errors"].as_array().map(Vec::len)), (Some("plain_list"), Some(300), Some(0)), "{body}");
    assert_eq!(body["data"]["progress"].as_u64(), Some(100), "{body}");
    let (_, sub) = api("GET", "/api/v1/subscription/", Some(&t.access), None).await;
    assert_eq!(sub["data"]["keywords_used"].as_u64(), Some(300), "{sub}");
    // The same file again, as a job: nothing new.
    let (status, body) = send().await;
    assert_eq!(status, 202, "{body}");
    let again = body["data"]["id"].as_str().unwrap().to_string();
    let job = igny8_e2e::ai_support::deliver_by_id(&state, igny8_ai_worker::registry(), &t.account_id, &again, 1).await;
    let r = job.result.unwrap();
    assert_eq!((r["created"].as_u64(), r["skipped"].as_u64()), (Some(0), Some(300)), "{r}");
}
