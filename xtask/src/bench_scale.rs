//! `cargo xtask bench --scale [--quick]`: the bulk paths at size, through
//! the local gateway in `cargo xtask dev`'s configuration on the emulator
//! (the same code paths a user hits), with the DynamoDB calls they make
//! counted through the store for the cost model.
//!
//! Figures: a 1,200-row JSON import, a 10,000-row CSV import, a 100,000-row
//! CSV import (the job, end to end, with its report checked against the
//! generated file's known counts), auto-cluster of 10,000 and of 100,000
//! keywords (submitted → completed, every keyword in exactly one cluster or
//! listed as unclustered), the keyword list's first page at 100,000 keywords
//! against 1,000, a transaction at the table's final size, the site's delete
//! as a job, and the whole keyless pipeline on 1,000 keywords (import →
//! waiting for review, with DynamoDB units per generated article). `--quick`
//! divides every size by ten; `IGNY8_SCALE_ONLY=pipeline` runs only the
//! pipeline.

use crate::scale::keyword_file;
use anyhow::{Context, Result, bail};
use igny8::store::metrics::{self, Snapshot};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes of a keyword item as stored (measured: ~0.5 KB), for read units of queries.
const KEYWORD_BYTES: f64 = 550.0;

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<(u16, Value)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        Ok((status, resp.json().await?))
    }

    async fn csv(&self, site: &str, sector: &str, csv: String) -> Result<(u16, Value)> {
        let resp = self
            .http
            .post(format!("{}/api/v1/planner/keywords/bulk-import/?site_id={site}&sector_id={sector}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await?;
        let status = resp.status().as_u16();
        Ok((status, resp.json().await?))
    }

    /// Waits for a job to finish; returns its result.
    async fn finish(&self, job_id: &str) -> Result<Value> {
        loop {
            let (_, body) = self.call(reqwest::Method::GET, &format!("/api/v1/jobs/{job_id}/"), None).await?;
            match body["data"]["status"].as_str() {
                Some("completed") => return Ok(body["data"]["result"].clone()),
                Some("failed") | Some("cancelled") => bail!("job {job_id} ended: {body}"),
                _ => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }

    /// An import's report, waiting for the job when it became one.
    async fn import_report(&self, status: u16, body: Value) -> Result<(Value, bool)> {
        match status {
            200 => Ok((body["data"].clone(), false)),
            202 => Ok((self.finish(body["data"]["id"].as_str().context("job id")?).await?, true)),
            _ => bail!("import answered {status}: {body}"),
        }
    }
}

fn units(s: &Snapshot) -> (f64, f64) {
    (s.write_units(), s.read_units(KEYWORD_BYTES))
}

/// Runs the scale bench against the emulator at `endpoint`.
pub async fn run(endpoint: &str, quick: bool) -> Result<()> {
    let div = if quick { 10 } else { 1 };
    let stack = format!("igny8-bench-{}", std::process::id());
    let res = crate::provision::deploy(endpoint, &stack).await?;
    let config = crate::provision::config_for(endpoint, &res, "bench-secret-0123456789abcdef0123456789abcdef");
    let state = Arc::new(igny8::AppState::new(config).await);
    let gateway = crate::gateway::Gateway::from_template(state.clone())?;
    let (addr, server) = gateway.serve(([127, 0, 0, 1], 0).into()).await?;
    let worker = tokio::spawn(crate::worker::run(state.clone(), igny8_ai_worker::registry(), res.ai_jobs_queue_url.clone()));
    // Domain events drive the pipeline from stage to stage, as in `cargo xtask dev`.
    let events = tokio::spawn(crate::scheduler::run_events(state.clone(), res.automation_events_queue_url.clone()));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(600)).build()?;
    let base = format!("http://{addr}");
    let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let reg: Value = http
        .post(format!("{base}/api/v1/auth/register/"))
        .json(&json!({"email": email, "password": "Correct-horse-9", "name": "Bench"}))
        .send()
        .await?
        .json()
        .await?;
    let token = reg["data"]["tokens"]["access"].as_str().context("register")?.to_string();
    let account_id = reg["data"]["account"]["id"].as_str().context("account id")?.to_string();
    let tenant = igny8::store::keys::Tenant::from_verified(&account_id);
    // Verified, so the account has its free credits (auto-cluster costs some).
    let mails = igny8::mail::outbox(&state, &tenant).await?;
    let verify = mails.iter().find_map(igny8::mail::verification_token).context("a verification mail")?;
    let verified = http.post(format!("{base}/api/v1/auth/verify-email/")).json(&json!({"token": verify})).send().await?.status();
    anyhow::ensure!(verified.is_success(), "verify email answered {verified}");
    let mut account: igny8::accounts::Account = state.store.get(&igny8::store::keys::account(&tenant)).await?.context("account")?;
    account.plan = "scale".into();
    state.store.update_versioned(&mut account).await?;
    let api = Api { http, base, token };
    let (_, site) = api.call(reqwest::Method::POST, "/api/v1/sites/", Some(json!({"name": "Bench site"}))).await?;
    let site = site["data"]["id"].as_str().context("site")?.to_string();
    let mut sectors = Vec::new();
    for name in ["JSON 1.2k", "CSV 10k", "CSV 100k"] {
        let (_, s) = api.call(reqwest::Method::POST, &format!("/api/v1/sites/{site}/sectors/"), Some(json!({"name": name}))).await?;
        sectors.push(s["data"]["id"].as_str().context("sector")?.to_string());
    }
    if std::env::var("IGNY8_SCALE_ONLY").is_ok_and(|v| v == "pipeline") {
        // Only step 8 (the bulk steps take half an hour at full size).
        pipeline(&api, &state, &tenant, 1_000 / div).await?;
        server.abort();
        worker.abort();
        events.abort();
        return Ok(());
    }
    println!("scale bench through the local gateway on the emulator{}", if quick { " (--quick: sizes / 10)" } else { "" });
    println!("{:<58} {:>10} {:>14} {:>14}", "operation", "time", "WRU / row", "RRU / row");
    let line = |what: String, took: Duration, per: usize, s: &Snapshot| {
        let (w, r) = units(s);
        println!("{what:<58} {:>9.2}s {:>14.2} {:>14.2}", took.as_secs_f64(), w / per.max(1) as f64, r / per.max(1) as f64);
        // The calls behind the units (on the emulator, each call also costs
        // a round trip: fewer, larger calls are faster there).
        println!(
            "  calls: {} GetItem, {} single-item writes, {} transaction items, {} BatchGetItem keys, {} BatchWriteItem requests, {} query pages ({} items)",
            s.gets, s.writes, s.transact_items, s.batch_get_items, s.batch_write_items, s.query_pages, s.query_items
        );
    };

    // 1. JSON import, 1,200 rows
    let n = 1_200 / div;
    let rows: Vec<Value> = (0..n).map(|i| json!({"keyword": format!("json bench keyword {i}"), "volume": 10 + i})).collect();
    let (m0, t0) = (metrics::snapshot(), Instant::now());
    let (status, body) = api
        .call(reqwest::Method::POST, "/api/v1/planner/keywords/bulk-import/", Some(json!({"site_id": site, "sector_id": sectors[0], "rows": rows})))
        .await?;
    let (report, as_job) = api.import_report(status, body).await?;
    line(format!("import {n} JSON rows ({})", if as_job { "job" } else { "in the request" }), t0.elapsed(), n, &metrics::snapshot().since(&m0));
    anyhow::ensure!(report["created"].as_u64() == Some(n as u64), "JSON import report: {report}");

    // 2. CSV import, 10,000 rows
    let f = keyword_file(10_000 / div, 0);
    let (m0, t0) = (metrics::snapshot(), Instant::now());
    let (status, body) = api.csv(&site, &sectors[1], f.file).await?;
    let (report, as_job) = api.import_report(status, body).await?;
    line(format!("import {} CSV rows ({})", f.expected.rows, if as_job { "job" } else { "in the request" }), t0.elapsed(), f.expected.rows, &metrics::snapshot().since(&m0));
    anyhow::ensure!(report["created"].as_u64() == Some(f.expected.created as u64), "10k report: {report}");

    // 3. CSV import, 100,000 rows after a seed of 1,000 existing keywords
    let f = keyword_file(100_000 / div, 1_000 / div);
    let (status, body) = api.csv(&site, &sectors[2], f.seed.clone()).await?;
    api.import_report(status, body).await?;
    let (m0, t0) = (metrics::snapshot(), Instant::now());
    let (status, body) = api.csv(&site, &sectors[2], f.file).await?;
    let (report, as_job) = api.import_report(status, body).await?;
    line(format!("import {} CSV rows ({}, end to end)", f.expected.rows, if as_job { "job" } else { "in the request" }), t0.elapsed(), f.expected.rows, &metrics::snapshot().since(&m0));
    let e = f.expected;
    let got = [&report["rows"], &report["created"], &report["updated"], &report["duplicates_in_file"], &report["invalid"]].map(|v| v.as_u64().unwrap_or(u64::MAX) as usize);
    let want = [e.rows, e.created, e.updated, e.duplicates, e.invalid];
    println!("  report rows/created/updated/duplicates/invalid {got:?} (expected {want:?}) {}", if got == want { "exact" } else { "MISMATCH" });
    anyhow::ensure!(got == want, "100k report differs from the file's known counts");

    // 4. auto-cluster of the 10k and the 100k sector
    for (sector, label) in [(&sectors[1], 10_000 / div), (&sectors[2], 100_000 / div)] {
        let (m0, t0) = (metrics::snapshot(), Instant::now());
        let (status, body) = api
            .call(reqwest::Method::POST, "/api/v1/planner/clusters/auto-cluster/", Some(json!({"site_id": site, "sector_id": sector})))
            .await?;
        anyhow::ensure!(status == 202, "auto-cluster answered {status}: {body}");
        let result = api.finish(body["data"]["id"].as_str().context("job id")?).await?;
        let took = t0.elapsed();
        let keywords = result["keywords"].as_u64().unwrap_or(0) as usize;
        line(format!("auto-cluster {keywords} keywords (~{label} rows' sector, end to end)"), took, keywords, &metrics::snapshot().since(&m0));
        // every keyword in exactly one cluster, or listed as unclustered
        let q = igny8::store::Query::new(&tenant, igny8::store::keys::Index::Gsi2, igny8::planner::keywords::keys_by_sector(&tenant, &site, sector));
        let all: Vec<igny8::planner::keywords::Keyword> = state.store.query_all(&q, usize::MAX).await?;
        let clustered = all.iter().filter(|k| k.cluster_id.is_some()).count();
        let unclustered = result["unclustered"].as_u64().unwrap_or(0) as usize;
        println!(
            "  {} clusters; {clustered} keywords clustered + {unclustered} unclustered = {} of {} {}",
            result["clusters_created"],
            clustered + unclustered,
            all.len(),
            if clustered + unclustered == all.len() && keywords == all.len() { "(each exactly once)" } else { "MISMATCH" }
        );
    }

    // 5. first page of the keyword list: 100k sector vs 1k sector (median of 7)
    let page = |sector: String| {
        let api = &api;
        let site = site.clone();
        async move {
            let mut times = Vec::new();
            for _ in 0..7 {
                let t = Instant::now();
                let (status, _) = api.call(reqwest::Method::GET, &format!("/api/v1/planner/keywords/?site_id={site}&sector_id={sector}&limit=25"), None).await?;
                anyhow::ensure!(status == 200, "list answered {status}");
                times.push(t.elapsed());
            }
            times.sort();
            anyhow::Ok(times[3])
        }
    };
    let small = page(sectors[0].clone()).await?;
    let big = page(sectors[2].clone()).await?;
    println!("keyword list first page: {:.1} ms at {} keywords, {:.1} ms at ~{} ({:.2}x)", small.as_secs_f64() * 1e3, 1_200 / div, big.as_secs_f64() * 1e3, 100_000 / div, big.as_secs_f64() / small.as_secs_f64());

    // 6. a transaction at the table's final size
    let mut times = Vec::new();
    for i in 0..20 {
        let guard = igny8::store::keys::unique_in_tenant(&tenant, "BENCH", &format!("tx-{i}"));
        let ops = vec![
            state.store.tx_guard(&guard, "bench")?,
            state.store.tx_update(&igny8::store::keys::account(&tenant), "SET bench_counter = if_not_exists(bench_counter, :z) + :one", None, &[], [(":z".to_string(), aws_sdk_dynamodb::types::AttributeValue::N("0".into())), (":one".to_string(), aws_sdk_dynamodb::types::AttributeValue::N("1".into()))].into())?,
        ];
        let t = Instant::now();
        state.store.transact(ops).await.map_err(igny8::AppError::from)?;
        times.push(t.elapsed());
    }
    times.sort();
    println!("TransactWriteItems (2 items) with the table at its final size: median {:.1} ms", times[10].as_secs_f64() * 1e3);
    // 7. delete the whole site (every keyword, cluster and sector) as a job,
    // end to end: pages of 100, quota given back per batch.
    let before = state.store.get::<igny8::accounts::Account>(&igny8::store::keys::account(&tenant)).await?.context("account")?.keyword_count;
    let (m0, t0) = (metrics::snapshot(), Instant::now());
    let (status, body) = api.call(reqwest::Method::DELETE, &format!("/api/v1/sites/{site}/?confirm=true"), None).await?;
    anyhow::ensure!(status == 202, "site delete answered {status}: {body}");
    let result = api.finish(body["data"]["id"].as_str().context("job id")?).await?;
    let items = result["items_removed"].as_u64().unwrap_or(0) as usize;
    line(format!("delete the site: {items} items as a job (end to end)"), t0.elapsed(), items, &metrics::snapshot().since(&m0));
    let after = state.store.get::<igny8::accounts::Account>(&igny8::store::keys::account(&tenant)).await?.context("account")?.keyword_count;
    let left: Vec<Value> = state.store.query_all(&igny8::store::Query::new(&tenant, igny8::store::keys::Index::Table, tenant.site_pk(&site)), 10).await?;
    println!(
        "  {} batches; keywords released {} of {before} (count now {after}); {} items left {}",
        result["batches"],
        result["keywords_released"],
        left.len(),
        if after == 0 && left.is_empty() && result["keywords_released"].as_u64() == Some(before as u64) { "(exact)" } else { "MISMATCH" }
    );

    // 8. the whole keyless pipeline (offline provider) on 1,000 imported
    // keywords: cluster → ideas → tasks → articles → image prompts → images,
    // advancing by its own events until it waits for review.
    pipeline(&api, &state, &tenant, 1_000 / div).await?;
    server.abort();
    worker.abort();
    events.abort();
    Ok(())
}

/// Step 8: the staged pipeline end to end on a new site with `keywords` imported keywords.
async fn pipeline(api: &Api, state: &Arc<igny8::AppState>, tenant: &igny8::store::keys::Tenant, keywords: usize) -> Result<()> {
    let (_, site) = api.call(reqwest::Method::POST, "/api/v1/sites/", Some(json!({"name": "Bench pipeline site"}))).await?;
    let site = site["data"]["id"].as_str().context("site")?.to_string();
    let (_, s) = api.call(reqwest::Method::POST, &format!("/api/v1/sites/{site}/sectors/"), Some(json!({"name": "Pipeline"}))).await?;
    let sector = s["data"]["id"].as_str().context("sector")?.to_string();
    // Enough credits for every article (the bench's own top-up, as staff would grant).
    let topup = igny8::credits::Movement {
        kind: igny8::credits::TxnType::Adjust,
        change: igny8::credits::Change::Adjust { plan: 0.0, bonus: 1_000_000.0 },
        idempotency_key: format!("bench-topup-{site}"),
        job_id: None,
        function: None,
        charged: None,
        reason: Some("scale bench".into()),
    };
    igny8::credits::apply(state, tenant, &topup).await?;
    let f = keyword_file(keywords, 0);
    let rows = f.expected.created;
    let (status, body) = api.csv(&site, &sector, f.file).await?;
    api.import_report(status, body).await?;
    let config = json!({"site_id": site, "enabled": true, "stages": {"cluster": {"enabled": true, "min_keywords": 5}, "ideas": {"per_cluster": 3},
        "tasks": {}, "content": {"batch_size": 50, "word_count": 800}, "image_prompts": {"enabled": true}, "images": {"enabled": true},
        "review": {"mode": "manual"}, "publish": {"enabled": false}}});
    let (status, body) = api.call(reqwest::Method::POST, "/api/v1/automation/pipelines/", Some(config)).await?;
    anyhow::ensure!(status == 200, "pipeline configuration answered {status}: {body}");
    let (m0, t0) = (metrics::snapshot(), Instant::now());
    let (status, body) = api.call(reqwest::Method::POST, "/api/v1/automation/pipelines/run/", Some(json!({"site_id": site}))).await?;
    anyhow::ensure!(status == 200, "pipeline run answered {status}: {body}");
    let deadline = Instant::now() + Duration::from_secs(1_800);
    loop {
        let (_, view) = api.call(reqwest::Method::GET, &format!("/api/v1/automation/pipelines/?site_id={site}"), None).await?;
        let v = &view["data"];
        anyhow::ensure!(v["pipeline"]["state"] == "active", "the pipeline stopped: {}", v["pipeline"]);
        // Done when no stage before review has anything waiting, no job is
        // open, and articles exist (the review gate holds the drafts).
        let waiting: u64 = v["stages"]
            .as_array()
            .map(|s| s.iter().filter(|s| !matches!(s["stage"].as_str(), Some("review") | Some("publish"))).map(|s| s["waiting"].as_u64().unwrap_or(1)).sum())
            .unwrap_or(1);
        let mut open = 0;
        for status in ["queued", "running"] {
            let (_, jobs) = api.call(reqwest::Method::GET, &format!("/api/v1/jobs/?status={status}&limit=5"), None).await?;
            open += jobs["data"]["results"].as_array().map_or(1, Vec::len);
        }
        if waiting == 0 && open == 0 {
            let (_, drafts) = api.call(reqwest::Method::GET, &format!("/api/v1/writer/content/?site_id={site}&status=draft&limit=1"), None).await?;
            if drafts["data"]["results"].as_array().is_some_and(|r| !r.is_empty()) {
                break;
            }
        }
        anyhow::ensure!(Instant::now() < deadline, "the pipeline did not finish its stages in 30 min: {v}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let took = t0.elapsed();
    let spent = metrics::snapshot().since(&m0);
    let count = |path: String| async move {
        let mut n = 0usize;
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}&limit=100&cursor={c}"),
                None => format!("{path}&limit=100"),
            };
            let (_, page) = api.call(reqwest::Method::GET, &url, None).await?;
            n += page["data"]["results"].as_array().map_or(0, Vec::len);
            match page["data"]["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return anyhow::Ok(n),
            }
        }
    };
    let clusters = count(format!("/api/v1/planner/clusters/?site_id={site}&sector_id={sector}")).await?;
    let articles = count(format!("/api/v1/writer/content/?site_id={site}&status=draft")).await?;
    let images = count(format!("/api/v1/writer/images/?site_id={site}")).await?;
    let (w, r) = units(&spent);
    println!(
        "keyless pipeline on {rows} keywords, run → every stage done, drafts waiting for review: {:.1}s; {clusters} clusters, {articles} draft articles, {images} images",
        took.as_secs_f64()
    );
    println!(
        "  DynamoDB for the whole pipeline: {w:.0} WRU, {r:.0} RRU; per generated article (everything upstream included): {:.1} WRU, {:.1} RRU",
        w / articles.max(1) as f64,
        r / articles.max(1) as f64
    );
    anyhow::ensure!(articles > 0 && images > 0, "the pipeline produced no article or image");
    Ok(())
}
