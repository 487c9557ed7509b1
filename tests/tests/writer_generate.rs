//! Article generation over HTTP and through the queue: from a task (its
//! idea's outline and structure) with the fake OpenAI server, section
//! regeneration into a new version, hostile model output sanitised, a length
//! miss failing the job with credits released, the offline provider, and
//! the bad-input, role and tenant rows of the generate routes.

use igny8_e2e::ai_support::{completion, deliver_by_id, offline, production_registry, providers};
use igny8_e2e::{api, env, member, register};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

const KW: &str = "lisbon city break";

/// A task made from a comparison idea with a three-section outline.
async fn task(t: &igny8_e2e::Tenant, site: &str, sector: &str, words: u32) -> String {
    let (status, idea) = api(
        "POST",
        "/api/v1/planner/ideas/",
        Some(&t.access),
        Some(json!({
            "site_id": site, "sector_id": sector, "title": "Lisbon or Porto for a city break", "content_type": "post",
            "structure": "comparison", "primary_keyword": KW, "secondary_keywords": ["porto weekend"], "intent": "commercial",
            "target_word_count": words,
            "outline": [
                {"heading": "Getting there", "covers": "flights and trains"},
                {"heading": "Where to stay", "covers": "neighbourhoods and prices"},
                {"heading": "What to eat", "covers": "food and markets"}
            ]
        })),
    )
    .await;
    assert_eq!(status, 201, "{idea}");
    let id = idea["data"]["id"].as_str().unwrap();
    let (status, task) = api("POST", &format!("/api/v1/planner/ideas/{id}/create-task/?site_id={site}"), Some(&t.access), None).await;
    assert_eq!(status, 201, "{task}");
    task["data"]["id"].as_str().unwrap().to_string()
}

fn words(n: usize, tag: &str) -> String {
    (0..n).map(|i| format!("{tag}{i}")).collect::<Vec<_>>().join(" ")
}

/// Answers article and section requests with JSON shaped by the request's
/// own schema (section and block counts), `words_per_block` words a block;
/// the first block carries hostile markup.
struct Writer {
    requests: Arc<AtomicUsize>,
    words_per_block: usize,
}

impl Respond for Writer {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let n = self.requests.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let schema = &body["response_format"]["json_schema"]["schema"];
        let name = body["response_format"]["json_schema"]["name"].as_str().unwrap();
        let w = self.words_per_block;
        if name == "article_section" {
            let per = schema["properties"]["html_blocks"]["minItems"].as_u64().unwrap() as usize;
            let blocks: Vec<String> = (0..per).map(|b| format!("<p>Rewritten {}</p>", words(w - 1, &format!("r{n}b{b}w")))).collect();
            return completion(&json!({"heading": "Where to stay in Lisbon", "html_blocks": blocks}).to_string());
        }
        let sections = schema["properties"]["sections"]["minItems"].as_u64().unwrap() as usize;
        let per = schema["properties"]["sections"]["items"]["properties"]["html_blocks"]["minItems"].as_u64().unwrap() as usize;
        let mut out = json!({
            "title": "Lisbon city break or Porto: which to pick",
            "meta_title": "Lisbon city break vs Porto",
            "meta_description": "Choosing between a Lisbon city break and a Porto weekend: travel, stays and food compared.",
            "excerpt": "Lisbon or Porto for a short break, compared.",
            "introduction_html": format!("<p>A lisbon city break suits first timers. {}</p>", words(w - 8, "intro")),
            "sections": (0..sections).map(|s| json!({
                "heading": if s == 1 { "Where to stay on a Lisbon city break".to_string() } else { format!("Section {s}") },
                "html_blocks": (0..per).map(|b| if s == 0 && b == 0 {
                    format!("<p onclick=\"steal()\">Trains <script>alert(1)</script><img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">tickets</a> <b>{}", words(w - 2, "hostile"))
                } else {
                    format!("<p>{}</p>", words(w, &format!("s{s}b{b}w")))
                }).collect::<Vec<_>>()
            })).collect::<Vec<_>>(),
        });
        if schema["properties"]["comparison_table"].is_object() {
            out["comparison_table"] = json!({"columns": ["", "Lisbon", "Porto"], "rows": [["Flights", "many", "fewer"], ["Hotel", "€120", "€90"]]});
        }
        completion(&out.to_string())
    }
}

async fn fake_writer(words_per_block: usize) -> (MockServer, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(Writer { requests: requests.clone(), words_per_block }).mount(&server).await;
    (server, requests)
}

#[tokio::test]
async fn a_task_becomes_an_article_and_a_section_is_regenerated_into_a_new_version() {
    let (t, site, sector) = igny8_e2e::workspace("gen-task").await;
    let tok = Some(t.access.as_str());
    let task_id = task(&t, &site, &sector, 600).await;
    let before = igny8_e2e::credit_balance(&t.access).await;

    // Dry run: the price of the target + 20 % (720 words → 2 credits), nothing reserved.
    let (status, body) = api("POST", &format!("/api/v1/planner/tasks/{task_id}/generate/?site_id={site}&dry_run=true"), tok, None).await;
    assert_eq!((status, body["data"]["estimated_credits"].as_f64()), (200, Some(2.0)), "{body}");
    assert_eq!(body["data"]["would_run"]["sections"], 3, "the idea's outline gives the sections: {body}");

    let (status, body) = api("POST", &format!("/api/v1/planner/tasks/{task_id}/generate/"), tok, Some(json!({"site_id": site}))).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    let (server, requests) = fake_writer(60).await;
    let state = env().state().await;
    let job = deliver_by_id(&state, &production_registry(providers(&server)), &t.account_id, &job_id, 2).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    assert_eq!(requests.load(Ordering::SeqCst), 1, "one request, delivered twice, generated once");
    let result = job.result.clone().unwrap();
    let content_id = result["content_id"].as_str().unwrap().to_string();
    let words = result["word_count"].as_u64().unwrap();
    assert!((480..=720).contains(&words), "within ±20 % of 600: {result}");
    let charged = words.div_ceil(500) as f64;
    assert_eq!(job.credits_charged, Some(charged));
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before - charged, "settled on the real word count");

    let (status, c) = api("GET", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, None).await;
    assert_eq!(status, 200, "{c}");
    let c = &c["data"];
    let html = c["body_html"].as_str().unwrap();
    for hostile in ["<script", "alert(1)", "onerror", "onclick", "javascript:"] {
        assert!(!html.contains(hostile), "{hostile} stored: {html}");
    }
    assert!(html.contains("<table>") && html.contains("<th>Porto</th>"), "a comparison has its table: {html}");
    assert_eq!(html.matches("<h2>").count(), 3, "{html}");
    assert_eq!((c["task_id"].as_str(), c["focus_keyword"].as_str(), c["provider"].as_str()), (Some(task_id.as_str()), Some(KW), Some("openai")));
    assert!(c["meta_title"].as_str().unwrap().chars().count() <= 60 && c["meta_description"].as_str().unwrap().chars().count() <= 160);
    let (_, task) = api("GET", &format!("/api/v1/planner/tasks/{task_id}/?site_id={site}"), tok, None).await;
    assert_eq!(task["data"]["status"], "generated", "{task}");

    // Regenerate the second section with instructions: a new version, the
    // other sections byte for byte as they were.
    let (status, body) = api(
        "POST",
        &format!("/api/v1/writer/content/{content_id}/regenerate/"),
        tok,
        Some(json!({"site_id": site, "section": "where to stay on a lisbon city break", "instructions": "Mention Alfama."})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let regen = body["data"]["id"].as_str().unwrap().to_string();
    let job = deliver_by_id(&state, &production_registry(providers(&server)), &t.account_id, &regen, 1).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    let (_, after) = api("GET", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, None).await;
    let new_html = after["data"]["body_html"].as_str().unwrap();
    assert!(new_html.contains("Rewritten r1b0w0"), "{new_html}");
    let sections = |h: &str| h.split("<h2>").map(str::to_string).collect::<Vec<_>>();
    let (old_s, new_s) = (sections(html), sections(new_html));
    assert_eq!((old_s[0].as_str(), old_s[1].as_str(), old_s[3].as_str()), (new_s[0].as_str(), new_s[1].as_str(), new_s[3].as_str()), "only section 2 changed");
    assert_ne!(old_s[2], new_s[2]);
    let (_, versions) = api("GET", &format!("/api/v1/writer/content/{content_id}/versions/?site_id={site}"), tok, None).await;
    let v = versions["data"]["results"].as_array().unwrap();
    assert_eq!(v.len(), 2, "{versions}");
    assert_eq!((v[0]["source"].as_str(), v[0]["note"].as_str()), (Some("regenerate"), Some("Mention Alfama.")), "{versions}");
    assert_eq!(v[1]["source"], "generate");
    // Restoring the generated version makes a third version with the old body.
    let (status, restored) = api("POST", &format!("/api/v1/writer/content/{content_id}/versions/1/restore/?site_id={site}"), tok, None).await;
    assert_eq!(status, 200, "{restored}");
    let (_, now) = api("GET", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, None).await;
    assert_eq!((now["data"]["body_html"].as_str(), now["data"]["current_version"].as_u64()), (Some(html), Some(3)));
}

#[tokio::test]
async fn a_length_miss_fails_the_job_and_releases_the_credits() {
    let (t, site, sector) = igny8_e2e::workspace("gen-short").await;
    let task_id = task(&t, &site, &sector, 1200).await;
    let before = igny8_e2e::credit_balance(&t.access).await;
    let (status, body) = api("POST", &format!("/api/v1/planner/tasks/{task_id}/generate/?site_id={site}"), Some(&t.access), None).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    // Ten-word blocks: far below 1 200 words, twice.
    let (server, requests) = fake_writer(10).await;
    let state = env().state().await;
    let job = deliver_by_id(&state, &production_registry(providers(&server)), &t.account_id, &job_id, 1).await;
    assert_eq!(job.status.as_str(), "failed");
    assert!(job.error.as_deref().unwrap().contains("words"), "{:?}", job.error);
    assert_eq!(requests.load(Ordering::SeqCst), 2, "one retry quoting the problems");
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before, "credits released");
    let (_, list) = api("GET", &format!("/api/v1/writer/content/?site_id={site}&task_id={task_id}"), Some(&t.access), None).await;
    assert_eq!(list["data"]["results"], json!([]), "nothing saved");
    let (_, task) = api("GET", &format!("/api/v1/planner/tasks/{task_id}/?site_id={site}"), Some(&t.access), None).await;
    assert_eq!(task["data"]["status"], "queued");
}

#[tokio::test]
async fn the_offline_provider_writes_a_valid_article_and_bad_requests_are_refused() {
    let (t, site, sector) = igny8_e2e::workspace("gen-offline").await;
    let tok = Some(t.access.as_str());
    // No focus keyword: 400 before anything is reserved.
    let (_, c) = api("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "title": "Lisbon in winter"}))).await;
    let bare = c["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = api("POST", &format!("/api/v1/writer/content/{bare}/generate/?site_id={site}"), tok, None).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("focus_keyword")), "{body}");

    let (_, c) = api(
        "POST",
        "/api/v1/writer/content/",
        tok,
        Some(json!({"site_id": site, "sector_id": sector, "title": "Lisbon in winter", "focus_keyword": "lisbon in winter"})),
    )
    .await;
    let id = c["data"]["id"].as_str().unwrap().to_string();
    // The cannibalization guard sees content: an idea on the same keyword is flagged.
    let (status, idea) = api(
        "POST",
        "/api/v1/planner/ideas/",
        tok,
        Some(json!({"site_id": site, "sector_id": sector, "title": "Winter weekends", "content_type": "post", "structure": "guide",
                    "primary_keyword": "Lisbon in  Winter", "intent": "informational", "target_word_count": 900,
                    "outline": [{"heading": "a", "covers": "a"}, {"heading": "b", "covers": "b"}, {"heading": "c", "covers": "c"}]})),
    )
    .await;
    assert_eq!(status, 201, "{idea}");
    let flag = &idea["data"]["cannibalization"];
    assert_eq!((flag["conflicts_with"]["kind"].as_str(), flag["conflicts_with"]["id"].as_str()), (Some("content"), Some(id.as_str())), "{idea}");
    for (sent, field) in [
        (json!({"site_id": site, "target_word_count": 50}), "target_word_count"),
        (json!({"site_id": site, "section": 1}), "section"),
        (json!({"site_id": site, "surprise": true}), "surprise"),
    ] {
        let (status, body) = api("POST", &format!("/api/v1/writer/content/{id}/generate/"), tok, Some(sent.clone())).await;
        assert_eq!(status, 400, "sent {sent}: {body}");
        assert!(body["error"].as_str().unwrap().contains(field), "sent {sent}: {body}");
    }
    let (status, body) = api("POST", &format!("/api/v1/writer/content/{id}/regenerate/"), tok, Some(json!({"site_id": site}))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("mode")), "nothing to regenerate yet: {body}");

    let (status, body) = api("POST", &format!("/api/v1/writer/content/{id}/generate/"), tok, Some(json!({"site_id": site, "target_word_count": 800}))).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    let state = env().state().await;
    let job = deliver_by_id(&state, &production_registry(offline()), &t.account_id, &job_id, 1).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    let (_, c) = api("GET", &format!("/api/v1/writer/content/{id}/?site_id={site}"), tok, None).await;
    let c = &c["data"];
    let report = igny8::writer::html::validate_article(c["body_html"].as_str().unwrap(), "lisbon in winter", c["title"].as_str().unwrap(), 800);
    assert!(report.is_ok(), "the stored offline article passes the checks: {report:?}");
    assert_eq!(c["provider"], "offline");
    // A section that does not exist, on regenerate: 400 naming it.
    let (status, body) = api("POST", &format!("/api/v1/writer/content/{id}/regenerate/"), tok, Some(json!({"site_id": site, "section": "Nightlife"}))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("section")), "{body}");

    // Roles and tenants.
    let (_, viewer) = member(&t, "viewer").await;
    for p in [format!("/api/v1/writer/content/{id}/generate/"), format!("/api/v1/writer/content/{id}/regenerate/")] {
        let (status, body) = api("POST", &p, Some(&viewer), Some(json!({"site_id": site}))).await;
        assert_eq!((status, body["error_code"].as_str()), (403, Some("FORBIDDEN")), "viewer {p}: {body}");
    }
    let b = register("gen-offline-b").await;
    for p in [format!("/api/v1/writer/content/{id}/generate/"), format!("/api/v1/writer/content/{id}/regenerate/"), format!("/api/v1/planner/tasks/{id}/generate/")] {
        let (status, body) = api("POST", &p, Some(&b.access), Some(json!({"site_id": site}))).await;
        assert_eq!((status, body["error_code"].as_str()), (404, Some("NOT_FOUND")), "B {p}: {body}");
    }
}

/// Submits over HTTP (202) and runs the job on the offline provider.
async fn run_offline(t: &igny8_e2e::Tenant, path: &str, body: Value) -> igny8::jobs::Job {
    let (status, resp) = api("POST", path, Some(&t.access), Some(body)).await;
    assert_eq!(status, 202, "{path}: {resp}");
    let state = env().state().await;
    let job = deliver_by_id(&state, &production_registry(offline()), &t.account_id, resp["data"]["id"].as_str().unwrap(), 1).await;
    assert_eq!(job.status.as_str(), "completed", "{path}: {:?}", job.error);
    job
}

#[tokio::test]
async fn the_keyless_demo_pipeline_runs_from_keywords_to_images() {
    let (t, site, sector) = igny8_e2e::workspace("gen-pipeline").await;
    let tok = Some(t.access.as_str());
    let csv = std::fs::read_to_string(xtask::repo_root().join("tests/fixtures/keywords/semrush_keyword_magic.csv")).unwrap();
    let (status, body) = api("POST", "/api/v1/planner/keywords/bulk-import/", tok, Some(json!({"site_id": site, "sector_id": sector, "csv": csv}))).await;
    assert_eq!(status, 200, "{body}");
    run_offline(&t, "/api/v1/planner/clusters/auto-cluster/", json!({"site_id": site, "sector_id": sector})).await;
    let (_, clusters) = api("GET", &format!("/api/v1/planner/clusters/?site_id={site}&sector_id={sector}"), tok, None).await;
    let biggest = clusters["data"]["results"].as_array().unwrap().iter().max_by_key(|c| c["keyword_count"].as_u64()).unwrap()["id"].as_str().unwrap().to_string();
    run_offline(&t, &format!("/api/v1/planner/clusters/{biggest}/generate-ideas/"), json!({"site_id": site, "count": 3})).await;
    let (_, ideas) = api("GET", &format!("/api/v1/planner/ideas/?site_id={site}&cluster_id={biggest}"), tok, None).await;
    let idea = ideas["data"]["results"][0]["id"].as_str().unwrap().to_string();
    let (status, task) = api("POST", &format!("/api/v1/planner/ideas/{idea}/create-task/?site_id={site}"), tok, None).await;
    assert_eq!(status, 201, "{task}");
    let task = task["data"]["id"].as_str().unwrap().to_string();
    let job = run_offline(&t, &format!("/api/v1/planner/tasks/{task}/generate/"), json!({"site_id": site})).await;
    let content = job.result.unwrap()["content_id"].as_str().unwrap().to_string();
    run_offline(&t, &format!("/api/v1/writer/content/{content}/image-prompts/"), json!({"site_id": site})).await;
    let (_, prompts) = api("GET", &format!("/api/v1/writer/image-prompts/?site_id={site}&content_id={content}"), tok, None).await;
    let first: Vec<&str> = prompts["data"]["results"].as_array().unwrap().iter().take(2).map(|p| p["id"].as_str().unwrap()).collect();
    run_offline(&t, "/api/v1/writer/images/generate/", json!({"site_id": site, "prompt_ids": first})).await;
    let (_, images) = api("GET", &format!("/api/v1/writer/images/?site_id={site}&content_id={content}"), tok, None).await;
    let images = images["data"]["results"].as_array().unwrap();
    assert_eq!(images.len(), 2, "{images:?}");
    let png = igny8_e2e::http().get(images[0]["url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a real PNG from the bucket");
    let (_, c) = api("GET", &format!("/api/v1/writer/content/{content}/?site_id={site}"), tok, None).await;
    assert_eq!((c["data"]["task_id"].as_str(), c["data"]["idea_id"].as_str()), (Some(task.as_str()), Some(idea.as_str())));
    assert!(c["data"]["word_count"].as_u64().unwrap() > 300, "{c}");
    let (_, usage) = api("GET", "/api/v1/credits/usage/", tok, None).await;
    let functions: std::collections::BTreeSet<&str> = usage["data"]["results"].as_array().unwrap().iter().filter_map(|r| r["function"].as_str()).collect();
    for f in ["auto_cluster", "generate_ideas", "generate_content", "generate_image_prompts", "generate_images"] {
        assert!(functions.contains(f), "{f} charged: {usage}");
    }
}
