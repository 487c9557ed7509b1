//! Clusters over HTTP: CRUD and membership with live statistics, and the
//! `auto_cluster` job through the queue with the fake OpenAI server and with
//! the offline provider; roles and tenant isolation of every cluster route.

use igny8_e2e::ai_support::{completion, deliver_by_id, offline, production_registry, providers};
use igny8_e2e::{api, env, member, register};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

/// Imports `rows` (keyword, volume, difficulty, intent) and returns text → id.
async fn import(t: &igny8_e2e::Tenant, site: &str, sector: &str, rows: &[(&str, u64)]) -> std::collections::BTreeMap<String, String> {
    let rows: Vec<Value> = rows.iter().map(|(k, v)| json!({"keyword": k, "volume": v, "difficulty": 30, "intent": "commercial"})).collect();
    let (status, body) = api("POST", "/api/v1/planner/keywords/bulk-import/", Some(&t.access), Some(json!({"site_id": site, "sector_id": sector, "rows": rows}))).await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&sector_id={sector}&limit=100"), Some(&t.access), None).await;
    list["data"]["results"].as_array().unwrap().iter().map(|k| (k["keyword"].as_str().unwrap().to_string(), k["id"].as_str().unwrap().to_string())).collect()
}

async fn keywords(token: &str, site: &str, sector: &str) -> Vec<Value> {
    let (_, list) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&sector_id={sector}&limit=100"), Some(token), None).await;
    list["data"]["results"].as_array().unwrap().clone()
}

async fn clusters(token: &str, site: &str, sector: &str) -> Vec<Value> {
    let (status, list) = api("GET", &format!("/api/v1/planner/clusters/?site_id={site}&sector_id={sector}&limit=100"), Some(token), None).await;
    assert_eq!(status, 200, "{list}");
    list["data"]["results"].as_array().unwrap().clone()
}

const TOPICS: &[(&str, u64)] = &[
    ("running shoes", 135_000),
    ("best running shoes", 74_000),
    ("running shoes for women", 49_500),
    ("running shoes for men", 40_500),
    ("trail running shoes", 33_100),
    ("lisbon city break", 8_100),
    ("city break lisbon", 2_400),
    ("lisbon city breaks deals", 1_300),
    ("porto city break", 3_600),
    ("zebra crossing rules", 50),
];

#[tokio::test]
async fn cluster_crud_and_membership_keep_statistics_true() {
    let (t, site, sector) = igny8_e2e::workspace("cl-crud").await;
    let tok = Some(t.access.as_str());
    let ids = import(&t, &site, &sector, TOPICS).await;
    // Sent: no name → 400 naming the field.
    let (status, body) = api("POST", "/api/v1/planner/clusters/", tok, Some(json!({"site_id": site, "sector_id": sector}))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("name")), "{body}");
    let (status, body) = api("POST", "/api/v1/planner/clusters/", tok, Some(json!({"site_id": site, "sector_id": sector, "name": "Running shoes"}))).await;
    assert_eq!(status, 201, "{body}");
    let shoes = body["data"]["id"].as_str().unwrap().to_string();
    let (_, body) = api("POST", "/api/v1/planner/clusters/", tok, Some(json!({"site_id": site, "sector_id": sector, "name": "Lisbon"}))).await;
    let lisbon = body["data"]["id"].as_str().unwrap().to_string();

    let add: Vec<&String> = ["running shoes", "best running shoes", "lisbon city break"].iter().map(|k| &ids[*k]).collect();
    let (status, body) = api("POST", &format!("/api/v1/planner/clusters/{shoes}/add-keywords/"), tok, Some(json!({"site_id": site, "keyword_ids": add}))).await;
    assert_eq!(status, 200, "{body}");
    let c = &body["data"]["cluster"];
    assert_eq!((c["keyword_count"].as_u64(), c["total_volume"].as_u64(), body["data"]["moved"].as_u64()), (Some(3), Some(217_100), Some(3)), "{body}");
    assert_eq!(c["avg_difficulty"].as_f64(), Some(30.0));
    assert_eq!(c["dominant_intent"].as_str(), Some("commercial"));
    // Adding again changes nothing.
    let (_, body) = api("POST", &format!("/api/v1/planner/clusters/{shoes}/add-keywords/"), tok, Some(json!({"site_id": site, "keyword_ids": add}))).await;
    assert_eq!((body["data"]["moved"].as_u64(), body["data"]["unchanged"].as_u64()), (Some(0), Some(3)), "{body}");
    let (_, kw) = api("GET", &format!("/api/v1/planner/keywords/{}/?site_id={site}", ids["running shoes"]), tok, None).await;
    assert_eq!((kw["data"]["status"].as_str(), kw["data"]["cluster_id"].as_str()), (Some("clustered"), Some(shoes.as_str())));

    // Move the Lisbon keyword where it belongs: both clusters' statistics follow.
    let (status, body) = api(
        "POST",
        &format!("/api/v1/planner/clusters/{shoes}/move-keywords/"),
        tok,
        Some(json!({"site_id": site, "keyword_ids": [ids["lisbon city break"]], "target_cluster_id": lisbon})),
    )
    .await;
    assert_eq!((status, body["data"]["cluster"]["keyword_count"].as_u64()), (200, Some(1)), "{body}");
    let (_, body) = api("GET", &format!("/api/v1/planner/clusters/{shoes}/?site_id={site}"), tok, None).await;
    assert_eq!((body["data"]["keyword_count"].as_u64(), body["data"]["total_volume"].as_u64()), (Some(2), Some(209_000)), "{body}");
    let (_, body) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&cluster_id={lisbon}"), tok, None).await;
    assert_eq!(body["data"]["results"][0]["keyword"], "lisbon city break", "{body}");

    // Remove: the keyword is unclustered again (status new). A keyword not in
    // the cluster is reported, not touched.
    let (status, body) = api(
        "POST",
        &format!("/api/v1/planner/clusters/{shoes}/remove-keywords/"),
        tok,
        Some(json!({"site_id": site, "keyword_ids": [ids["best running shoes"], ids["porto city break"]]})),
    )
    .await;
    assert_eq!((status, body["data"]["moved"].as_u64(), body["data"]["not_found"].as_array().map(Vec::len)), (200, Some(1), Some(1)), "{body}");
    let (_, kw) = api("GET", &format!("/api/v1/planner/keywords/{}/?site_id={site}", ids["best running shoes"]), tok, None).await;
    assert_eq!((kw["data"]["status"].as_str(), kw["data"]["cluster_id"].as_str()), (Some("new"), None), "{kw}");

    // Edit: stale version → 409; sector cannot change.
    let (status, body) = api("PATCH", &format!("/api/v1/planner/clusters/{shoes}/?site_id={site}"), tok, Some(json!({"name": "Shoes", "version": 1}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "stale version: {body}");
    let (status, body) = api("PATCH", &format!("/api/v1/planner/clusters/{shoes}/?site_id={site}"), tok, Some(json!({"description": "Shoes for runners"}))).await;
    assert_eq!((status, body["data"]["description"].as_str()), (200, Some("Shoes for runners")), "{body}");

    // An idea of the cluster and a task made from it.
    let (status, idea) = api(
        "POST",
        "/api/v1/planner/ideas/",
        tok,
        Some(json!({"site_id": site, "sector_id": sector, "cluster_id": shoes, "title": "Choosing running shoes", "content_type": "post",
                    "structure": "guide", "primary_keyword": "running shoes", "intent": "commercial", "target_word_count": 900,
                    "outline": [{"heading": "a", "covers": "a"}, {"heading": "b", "covers": "b"}, {"heading": "c", "covers": "c"}]})),
    )
    .await;
    assert_eq!(status, 201, "{idea}");
    let idea = idea["data"]["id"].as_str().unwrap().to_string();
    let (status, task) = api("POST", &format!("/api/v1/planner/ideas/{idea}/create-task/?site_id={site}"), tok, None).await;
    assert_eq!((status, task["data"]["cluster_id"].as_str()), (201, Some(shoes.as_str())), "{task}");
    let task = task["data"]["id"].as_str().unwrap().to_string();

    // Delete: its keywords stay, unclustered; its idea and task stay, unlinked.
    let (status, body) = api("DELETE", &format!("/api/v1/planner/clusters/{shoes}/?site_id={site}"), tok, None).await;
    assert_eq!((status, body["data"]["keywords_unclustered"].as_u64()), (200, Some(1)), "{body}");
    let (_, i) = api("GET", &format!("/api/v1/planner/ideas/{idea}/?site_id={site}"), tok, None).await;
    assert!(i["data"]["cluster_id"].is_null(), "{i}");
    let (_, tk) = api("GET", &format!("/api/v1/planner/tasks/{task}/?site_id={site}"), tok, None).await;
    assert!(tk["data"]["cluster_id"].is_null(), "{tk}");
    let (_, by_cluster) = api("GET", &format!("/api/v1/planner/ideas/?site_id={site}&cluster_id={shoes}"), tok, None).await;
    assert_eq!(by_cluster["data"]["results"], json!([]), "{by_cluster}");
    let (status, _) = api("GET", &format!("/api/v1/planner/clusters/{shoes}/?site_id={site}"), tok, None).await;
    assert_eq!(status, 404);
    assert_eq!(keywords(&t.access, &site, &sector).await.len(), TOPICS.len(), "no keyword lost");
}

/// Answers each description request with as many descriptions as the
/// request's schema asks for, saying they came from the fake.
struct Describer(Arc<AtomicUsize>);
impl Respond for Describer {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        if body["response_format"]["json_schema"]["name"] == "cluster_refinement" {
            return completion(r#"{"merges": [], "splits": []}"#); // the groups are right
        }
        self.0.fetch_add(1, Ordering::SeqCst);
        let n = body["response_format"]["json_schema"]["schema"]["properties"]["clusters"]["minItems"].as_u64().unwrap();
        let clusters: Vec<Value> = (0..n).map(|i| json!({"description": format!("Fake OpenAI description number {i} of this batch.")})).collect();
        completion(&json!({"clusters": clusters}).to_string())
    }
}

#[tokio::test]
async fn auto_cluster_through_the_queue_with_the_fake_openai_server() {
    let (t, site, sector) = igny8_e2e::workspace("cl-auto-openai").await;
    let tok = Some(t.access.as_str());
    import(&t, &site, &sector, TOPICS).await;
    let before = igny8_e2e::credit_balance(&t.access).await;

    // Dry run: the price, nothing reserved or queued.
    let (status, body) = api("POST", "/api/v1/planner/clusters/auto-cluster/?dry_run=true", tok, Some(json!({"site_id": site, "sector_id": sector}))).await;
    assert_eq!((status, body["data"]["estimated_credits"].as_f64(), body["data"]["would_run"]["keywords"].as_u64()), (200, Some(10.0), Some(10)), "{body}");
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before);

    let (status, body) = api("POST", "/api/v1/planner/clusters/auto-cluster/", tok, Some(json!({"site_id": site, "sector_id": sector, "threshold": 0.4}))).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before - 10.0, "reserved at enqueue");

    let requests = Arc::new(AtomicUsize::new(0));
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(Describer(requests.clone())).mount(&server).await;
    let state = env().state().await;
    // Delivered twice (SQS is at-least-once): the work happens once.
    let job = deliver_by_id(&state, &production_registry(providers(&server)), &t.account_id, &job_id, 2).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    assert_eq!(job.credits_charged, Some(10.0));
    assert_eq!(requests.load(Ordering::SeqCst), 1, "one description batch, one request");
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before - 10.0, "settled at the fixed price");

    let (status, body) = api("GET", &format!("/api/v1/jobs/{job_id}/"), tok, None).await;
    assert_eq!((status, body["data"]["status"].as_str()), (200, Some("completed")), "{body}");
    let result = &body["data"]["result"];
    let cs = clusters(&t.access, &site, &sector).await;
    assert_eq!(cs.len() as u64, result["clusters_created"].as_u64().unwrap(), "{result}");
    assert!(cs.len() >= 2, "shoes and Lisbon at least: {cs:?}");
    let names: BTreeSet<&str> = cs.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(names.contains("running shoes"), "named after the highest-volume keyword: {names:?}");
    for c in &cs {
        assert!(c["description"].as_str().unwrap().starts_with("Fake OpenAI description"), "{c}");
        assert_eq!(c["source"], "auto_cluster");
    }
    // Every keyword is in exactly one cluster or explicitly unclustered.
    let kws = keywords(&t.access, &site, &sector).await;
    let in_clusters: u64 = cs.iter().map(|c| c["keyword_count"].as_u64().unwrap()).sum();
    assert_eq!(in_clusters + result["unclustered"].as_u64().unwrap(), TOPICS.len() as u64, "{result}");
    let zebra = kws.iter().find(|k| k["keyword"] == "zebra crossing rules").unwrap();
    assert!(zebra["cluster_id"].is_null(), "an unrelated keyword stays unclustered");
    assert!(result["unclustered_ids"].as_array().unwrap().contains(&zebra["id"]), "{result}");
    let shoes = kws.iter().find(|k| k["keyword"] == "trail running shoes").unwrap();
    let top = kws.iter().find(|k| k["keyword"] == "running shoes").unwrap();
    assert_eq!(shoes["cluster_id"], top["cluster_id"]);
    assert_eq!(shoes["status"], "clustered");

    // Nothing left to cluster: fewer than 5 unclustered keywords → 400 before
    // any credit is reserved.
    let (status, body) = api("POST", "/api/v1/planner/clusters/auto-cluster/", tok, Some(json!({"site_id": site, "sector_id": sector}))).await;
    assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before - 10.0);
}

#[tokio::test]
async fn auto_cluster_with_the_offline_provider_and_reclustering_one_cluster() {
    let (t, site, sector) = igny8_e2e::workspace("cl-auto-offline").await;
    let tok = Some(t.access.as_str());
    let ids = import(&t, &site, &sector, TOPICS).await;
    // Given ids: four are too few, and an unknown id is named.
    let four: Vec<&String> = ids.values().take(4).collect();
    let (status, body) = api("POST", "/api/v1/planner/clusters/auto-cluster/", tok, Some(json!({"site_id": site, "sector_id": sector, "keyword_ids": four}))).await;
    assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("at least 5"), "{body}");
    let mut five: Vec<String> = ids.values().take(4).cloned().collect();
    five.push(igny8::ids::new_id());
    let (status, body) = api("POST", "/api/v1/planner/clusters/auto-cluster/", tok, Some(json!({"site_id": site, "sector_id": sector, "keyword_ids": five}))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("keyword_ids")), "{body}");
    let (status, body) = api("POST", "/api/v1/planner/clusters/auto-cluster/", tok, Some(json!({"site_id": site, "sector_id": sector, "threshold": 3}))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("threshold")), "{body}");

    // Put everything in one hand-made cluster, then re-cluster it offline.
    let (_, body) = api("POST", "/api/v1/planner/clusters/", tok, Some(json!({"site_id": site, "sector_id": sector, "name": "Everything"}))).await;
    let all = body["data"]["id"].as_str().unwrap().to_string();
    let every: Vec<&String> = ids.values().collect();
    let (status, _) = api("POST", &format!("/api/v1/planner/clusters/{all}/add-keywords/"), tok, Some(json!({"site_id": site, "keyword_ids": every}))).await;
    assert_eq!(status, 200);
    let (status, body) = api("POST", &format!("/api/v1/planner/clusters/{all}/auto-cluster/"), tok, Some(json!({"site_id": site}))).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    let state = env().state().await;
    let job = deliver_by_id(&state, &production_registry(offline()), &t.account_id, &job_id, 1).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    assert_eq!(job.provider.as_deref(), Some("offline"));
    let cs = clusters(&t.access, &site, &sector).await;
    assert!(cs.len() >= 2, "the cluster was split: {cs:?}");
    assert!(cs.iter().any(|c| c["id"] == all.as_str()), "the re-clustered cluster keeps its id");
    for c in &cs {
        assert!(!c["description"].as_str().unwrap().is_empty(), "{c}");
    }
    let kws = keywords(&t.access, &site, &sector).await;
    let in_clusters: u64 = cs.iter().map(|c| c["keyword_count"].as_u64().unwrap()).sum();
    let unclustered = kws.iter().filter(|k| k["cluster_id"].is_null()).count() as u64;
    assert_eq!(in_clusters + unclustered, TOPICS.len() as u64, "none lost, none doubled");
    let zebra = kws.iter().find(|k| k["keyword"] == "zebra crossing rules").unwrap();
    assert_eq!((zebra["cluster_id"].as_str(), zebra["status"].as_str()), (None, Some("new")), "a leftover is unclustered again");
}

#[tokio::test]
async fn cluster_roles_and_tenant_isolation() {
    let (a, site, sector) = igny8_e2e::workspace("cl-tenant-a").await;
    let ids = import(&a, &site, &sector, &TOPICS[..6]).await;
    let kw: Vec<&String> = ids.values().take(1).collect();
    let (_, body) = api("POST", "/api/v1/planner/clusters/", Some(&a.access), Some(json!({"site_id": site, "sector_id": sector, "name": "Mine"}))).await;
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let (_, viewer) = member(&a, "viewer").await;
    assert_eq!(api("GET", &format!("/api/v1/planner/clusters/{id}/?site_id={site}"), Some(&viewer), None).await.0, 200);
    let writes = |site: &str, sector: &str| -> Vec<(&'static str, String, Option<Value>)> {
        vec![
            ("POST", "/api/v1/planner/clusters/".into(), Some(json!({"site_id": site, "sector_id": sector, "name": "x"}))),
            ("PATCH", format!("/api/v1/planner/clusters/{id}/?site_id={site}"), Some(json!({"name": "x"}))),
            ("DELETE", format!("/api/v1/planner/clusters/{id}/?site_id={site}"), None),
            ("POST", format!("/api/v1/planner/clusters/{id}/add-keywords/"), Some(json!({"site_id": site, "keyword_ids": kw}))),
            ("POST", format!("/api/v1/planner/clusters/{id}/remove-keywords/"), Some(json!({"site_id": site, "keyword_ids": kw}))),
            ("POST", format!("/api/v1/planner/clusters/{id}/move-keywords/"), Some(json!({"site_id": site, "keyword_ids": kw, "target_cluster_id": id}))),
            ("POST", "/api/v1/planner/clusters/auto-cluster/".into(), Some(json!({"site_id": site, "sector_id": sector}))),
            ("POST", format!("/api/v1/planner/clusters/{id}/auto-cluster/"), Some(json!({"site_id": site}))),
        ]
    };
    for (m, p, b) in writes(&site, &sector) {
        let (status, resp) = api(m, &p, Some(&viewer), b.clone()).await;
        assert_eq!((status, resp["error_code"].as_str()), (403, Some("FORBIDDEN")), "viewer: {m} {p} {b:?} -> {resp}");
    }
    let b = register("cl-tenant-b").await;
    let mut routes = writes(&site, &sector);
    routes.push(("GET", format!("/api/v1/planner/clusters/{id}/?site_id={site}"), None));
    routes.push(("GET", format!("/api/v1/planner/clusters/?site_id={site}"), None));
    for (m, p, body) in routes {
        let (status, resp) = api(m, &p, Some(&b.access), body.clone()).await;
        assert_eq!((status, resp["error_code"].as_str()), (404, Some("NOT_FOUND")), "B: {m} {p} {body:?} -> {resp}");
    }
    let (_, body) = api("GET", &format!("/api/v1/planner/clusters/{id}/?site_id={site}"), Some(&a.access), None).await;
    assert_eq!(body["data"]["name"], "Mine", "A's cluster untouched");
}

/// Auto-cluster reads only what it clusters: the sector's unclustered list
/// (never its clustered keywords), in pages, as a projection without the
/// keywords' heavy attributes; only the keywords that move are then read
/// whole. Cluster statistics are recomputed from the same projection.
#[tokio::test]
async fn auto_cluster_reads_the_unclustered_keywords_in_pages_as_a_projection() {
    use igny8::planner::keywords::{self, Keyword, KeywordStatus};
    let (t, site, sector) = igny8_e2e::workspace("cl-reads").await;
    let tok = Some(t.access.as_str());
    let tenant = igny8::store::keys::Tenant::from_verified(&t.account_id);
    let state = env().state().await;
    // 300 keywords already in a cluster, made over HTTP.
    let (_, body) = api("POST", "/api/v1/planner/clusters/", tok, Some(json!({"site_id": site, "sector_id": sector, "name": "Kept"}))).await;
    let kept = body["data"]["id"].as_str().unwrap().to_string();
    let heads = ["running shoes", "coffee grinder", "city break", "yoga mat", "road bike", "tent", "espresso machine", "hiking boots", "sofa bed", "rice cooker"];
    let mods = ["best", "cheap", "review", "for women", "for men", "2026", "deals", "sale", "uk", "online", "vs", "near me", "small", "large", "black"];
    let now = igny8::ids::now_rfc3339();
    let keyword = |text: String, cluster: Option<&str>| {
        let normalized = text.clone();
        Keyword {
            id: keywords::keyword_id(&sector, &normalized),
            account_id: t.account_id.clone(),
            site_id: site.clone(),
            sector_id: sector.clone(),
            keyword: text,
            normalized,
            volume: Some(100),
            volume_range: None,
            difficulty: Some(20),
            cpc: Some(1.5),
            currency: Some("USD".into()),
            intent: None,
            serp_features: vec!["featured snippet".into(), "people also ask".into(), "image pack".into(), "video".into()],
            trend: vec![0.5; 24],
            country: Some("us".into()),
            language: Some("en".into()),
            source: "test".into(),
            status: if cluster.is_some() { KeywordStatus::Clustered } else { KeywordStatus::New },
            cluster_id: cluster.map(str::to_string),
            parent_keyword: None,
            import_job: None,
            created_at: now.clone(),
            updated_at: now.clone(),
            version: 1,
        }
    };
    let mut seeded: Vec<Keyword> = Vec::new();
    for (i, h) in heads.iter().enumerate() {
        for (j, m) in mods.iter().enumerate() {
            for n in 0..10 {
                let text = format!("{m} {h} {}", ["", "a", "b", "c", "d", "e", "f", "g", "h", "i"][n]).trim().to_string();
                let clustered = (i * mods.len() + j) % 5 == 0;
                seeded.push(keyword(text, clustered.then_some(kept.as_str())));
            }
        }
    }
    let (in_kept, free): (Vec<&Keyword>, Vec<&Keyword>) = seeded.iter().partition(|k| k.cluster_id.is_some());
    assert_eq!((in_kept.len(), free.len()), (300, 1200));
    state.store.batch_put(&seeded).await.unwrap();
    igny8::planner::clusters::refresh(&state, &tenant, &site, &kept).await.unwrap();

    let (status, body) = api("POST", "/api/v1/planner/clusters/auto-cluster/", tok, Some(json!({"site_id": site, "sector_id": sector}))).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    let calls = igny8_e2e::calls::Calls::new();
    let counted = calls.state().await;
    let job = deliver_by_id(&counted, &production_registry(offline()), &t.account_id, &job_id, 1).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);

    let unclustered_pk = keywords::keys_unclustered(&tenant, &site, &sector);
    let reads = calls.reads();
    let pages: Vec<_> = reads.iter().filter(|c| c.operation == "Query" && c.request["ExpressionAttributeValues"][":pk"]["S"].as_str() == Some(unclustered_pk.as_str())).collect();
    assert!(pages.len() >= 2, "read in pages: {} pages", pages.len());
    for p in &pages {
        assert!(p.request["Limit"].as_i64().unwrap() <= 1000, "{:?}", p.request);
        let projection = p.request["ProjectionExpression"].as_str().expect("a projection");
        let names: Vec<&str> = projection.split(", ").map(|n| p.request["ExpressionAttributeNames"][n].as_str().unwrap()).collect();
        assert!(!names.contains(&"trend") && !names.contains(&"serp_features") && names.contains(&"keyword"), "{names:?}");
    }
    assert_eq!(pages.iter().map(|p| p.items).sum::<usize>(), 1200, "exactly the unclustered keywords are read");
    // Nothing reads the sector's whole keyword list or the kept cluster's members.
    let sector_pk = keywords::keys_by_sector(&tenant, &site, &sector);
    let kept_pk = keywords::keys_by_cluster(&tenant, &site, &kept);
    for r in &reads {
        let pk = r.request["ExpressionAttributeValues"][":pk"]["S"].as_str().unwrap_or_default();
        assert!(pk != sector_pk && pk != kept_pk, "read {pk}");
    }
    // Whole keywords are read only for the ones that moved, by key.
    let whole: usize = reads.iter().filter(|c| c.operation == "BatchGetItem").map(|c| c.items).sum();
    let result = &job.result.clone().unwrap_or_default();
    let moved = 1200 - result["unclustered"].as_u64().unwrap() as usize;
    assert_eq!(whole, moved, "{result}");

    // Every keyword is in exactly one cluster or unclustered; the kept cluster is untouched.
    let cs = clusters(&t.access, &site, &sector).await;
    let total: u64 = cs.iter().map(|c| c["keyword_count"].as_u64().unwrap()).sum();
    assert_eq!(total + result["unclustered"].as_u64().unwrap(), 1500, "{result}");
    let kept_now = cs.iter().find(|c| c["id"] == kept.as_str()).unwrap();
    assert_eq!(kept_now["keyword_count"].as_u64(), Some(300));

    // Statistics are recomputed from the projection.
    calls.reset();
    let c = igny8::planner::clusters::refresh(&counted, &tenant, &site, &kept).await.unwrap().unwrap();
    assert_eq!((c.keyword_count, c.total_volume, c.avg_difficulty), (300, 30_000, Some(20.0)));
    let q: Vec<_> = calls.reads().into_iter().filter(|c| c.operation == "Query").collect();
    assert!(!q.is_empty() && q.iter().all(|c| c.request["ProjectionExpression"].is_string()), "{q:?}");
}
