//! Content ideas and writing tasks over HTTP: generate-ideas through the
//! queue (fake OpenAI server and offline provider), idempotent re-execution,
//! manual CRUD with validation and the cannibalization guard, tasks from ideas
//! (one per idea, also when clicked twice at once, and in bulk), the task
//! status machine, roles and tenant isolation.

use igny8::ai::function::{AiFunction, JobCtx};
use igny8::jobs::Job;
use igny8::planner::ideas::GenerateIdeas;
use igny8_e2e::ai_support::{completion, deliver_by_id, fake_openai, offline, production_registry, providers};
use igny8_e2e::{api, env, member, register};
use serde_json::{Value, json};

/// An account on the growth plan with a site and a sector: (owner, site, sector).
async fn workspace(tag: &str) -> (igny8_e2e::Tenant, String, String) {
    let t = register(tag).await;
    igny8_e2e::set_plan(&t.account_id, "growth").await;
    let (_, site) = api("POST", "/api/v1/sites/", Some(&t.access), Some(json!({"name": "Trail Shop"}))).await;
    let site = site["data"]["id"].as_str().unwrap().to_string();
    let (_, sector) = api("POST", &format!("/api/v1/sites/{site}/sectors/"), Some(&t.access), Some(json!({"name": "Running"}))).await;
    (t, site, sector["data"]["id"].as_str().unwrap().to_string())
}

/// A cluster holding `keywords` (created through the API): its id.
async fn cluster(token: &str, site: &str, sector: &str, name: &str, keywords: &[(&str, u64)]) -> String {
    let mut ids = Vec::new();
    for (kw, volume) in keywords {
        let (status, body) =
            api("POST", "/api/v1/planner/keywords/", Some(token), Some(json!({"site_id": site, "sector_id": sector, "keyword": kw, "volume": volume}))).await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["data"]["id"].as_str().unwrap().to_string());
    }
    let (status, body) = api("POST", "/api/v1/planner/clusters/", Some(token), Some(json!({"site_id": site, "sector_id": sector, "name": name}))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    if !ids.is_empty() {
        let (status, body) =
            api("POST", &format!("/api/v1/planner/clusters/{id}/add-keywords/"), Some(token), Some(json!({"site_id": site, "keyword_ids": ids}))).await;
        assert_eq!(status, 200, "{body}");
    }
    id
}

fn idea_json(title: &str, primary: &str, structure: &str) -> Value {
    json!({
        "title": title,
        "content_type": "post",
        "structure": structure,
        "primary_keyword": primary,
        "secondary_keywords": ["trail shoes", "running shoes"],
        "intent": "commercial",
        "target_word_count": 1800,
        "outline": [
            {"heading": "What makes a trail shoe", "covers": "lugs, rock plates, drop"},
            {"heading": "How we tested", "covers": "200 km on three surfaces"},
            {"heading": "The picks", "covers": "one shoe per terrain"}
        ]
    })
}

fn error_code(r: &(u16, Value)) -> (u16, Option<&str>) {
    (r.0, r.1["error_code"].as_str())
}

#[tokio::test]
async fn generate_ideas_runs_through_the_queue_with_openai_and_offline() {
    let (t, site, sector) = workspace("ideas-gen").await;
    let tok = Some(t.access.as_str());
    let shoes = cluster(&t.access, &site, &sector, "Trail running shoes", &[("trail running shoes", 9000), ("waterproof trail shoes", 800)]).await;
    let empty = cluster(&t.access, &site, &sector, "Empty", &[]).await;
    // An existing manual idea the model will compete with.
    let (status, manual) = api(
        "POST",
        "/api/v1/planner/ideas/",
        tok,
        Some(json!({"site_id": site, "cluster_id": shoes, "title": "Trail running shoes, tested", "primary_keyword": "trail running shoes"})),
    )
    .await;
    assert_eq!(status, 201, "{manual}");
    let manual_id = manual["data"]["id"].as_str().unwrap().to_string();

    // Bad requests: 4xx with stable codes, nothing queued.
    let path = format!("/api/v1/planner/clusters/{shoes}/generate-ideas/");
    assert_eq!(error_code(&api("POST", &path, tok, Some(json!({"site_id": site, "count": 9}))).await), (400, Some("VALIDATION_ERROR")));
    assert_eq!(error_code(&api("POST", &path, tok, Some(json!({"count": 3}))).await), (400, Some("VALIDATION_ERROR")), "site_id is required");
    let r = api("POST", &format!("/api/v1/planner/clusters/{empty}/generate-ideas/?site_id={site}"), tok, None).await;
    assert_eq!(error_code(&r), (400, Some("VALIDATION_ERROR")), "a cluster without keywords: {}", r.1);
    let unknown = igny8::ids::new_id();
    assert_eq!(error_code(&api("POST", &format!("/api/v1/planner/clusters/{unknown}/generate-ideas/?site_id={site}"), tok, None).await), (404, Some("NOT_FOUND")));
    // Dry run: the price, nothing queued.
    let (status, dry) = api("POST", &format!("{path}?dry_run=true"), tok, Some(json!({"site_id": site, "count": 4}))).await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!((dry["data"]["dry_run"].as_bool(), dry["data"]["estimated_credits"].as_f64(), dry["data"]["would_run"]["ideas"].as_u64()), (Some(true), Some(1.0), Some(4)), "{dry}");
    let (_, jobs) = api("GET", "/api/v1/jobs/", tok, None).await;
    assert_eq!(jobs["data"]["results"], json!([]), "nothing was queued: {jobs}");

    // Through the queue with the fake OpenAI server: 3 ideas, one on the manual idea's keyword.
    let answer = json!({"ideas": [
        idea_json("Best trail running shoes for 2025", "Trail Running Shoes", "listicle"),
        idea_json("How to choose waterproof trail shoes", "waterproof trail shoes", "how_to"),
        idea_json("Trail shoes vs road shoes", "trail shoes vs road shoes", "comparison"),
    ]});
    let server = fake_openai(vec![completion(&answer.to_string())]).await;
    let (status, queued) = api("POST", &path, tok, Some(json!({"site_id": site, "count": 3}))).await;
    assert_eq!(status, 202, "{queued}");
    let job_id = queued["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(queued["data"]["status"], "queued");
    let state = env().state().await;
    let job = deliver_by_id(&state, &production_registry(providers(&server)), &t.account_id, &job_id, 2).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "the second delivery did not run it again");
    let (status, shown) = api("GET", &format!("/api/v1/jobs/{job_id}/"), tok, None).await;
    assert_eq!((status, shown["data"]["status"].as_str()), (200, Some("completed")), "{shown}");
    let result = &shown["data"]["result"];
    assert_eq!((result["created"].as_u64(), result["flagged"].as_u64(), shown["data"]["credits_charged"].as_f64()), (Some(3), Some(1), Some(1.0)), "{shown}");
    let sent: Value = serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    let prompt = sent["messages"][1]["content"].as_str().unwrap();
    assert!(prompt.contains("trail running shoes (9000)") && prompt.contains("Trail running shoes, tested"), "cluster keywords and existing ideas: {prompt}");
    assert_eq!(sent["response_format"]["json_schema"]["schema"]["properties"]["ideas"]["minItems"], 3);

    let (_, list) = api("GET", &format!("/api/v1/planner/ideas/?site_id={site}&cluster_id={shoes}"), tok, None).await;
    let ideas = list["data"]["results"].as_array().unwrap();
    assert_eq!(ideas.len(), 4, "{list}");
    let best = ideas.iter().find(|i| i["title"] == "Best trail running shoes for 2025").expect("stored");
    assert_eq!((best["source"].as_str(), best["job_id"].as_str(), best["structure"].as_str()), (Some("generate_ideas"), Some(job_id.as_str()), Some("listicle")));
    assert_eq!(best["outline"][1], json!({"heading": "How we tested", "covers": "200 km on three surfaces"}), "every field is stored");
    assert_eq!((best["target_word_count"].as_u64(), best["intent"].as_str(), best["sector_id"].as_str()), (Some(1800), Some("commercial"), Some(sector.as_str())));
    assert_eq!(best["secondary_keywords"], json!(["trail shoes", "running shoes"]));
    let flag = &best["cannibalization"];
    assert_eq!((flag["reason"].as_str(), flag["conflicts_with"]["id"].as_str(), flag["conflicts_with"]["kind"].as_str()), (Some("same_primary_keyword"), Some(manual_id.as_str()), Some("idea")), "{best}");
    let (_, howtos) = api("GET", &format!("/api/v1/planner/ideas/?site_id={site}&sector_id={sector}&structure=how_to"), tok, None).await;
    assert_eq!(howtos["data"]["results"].as_array().unwrap().len(), 1, "{howtos}");

    // A re-execution of the finished job (as after a crash before it was
    // recorded) finds its ideas and inserts nothing.
    let stored: Job = state.store.get(&igny8::store::Item::key(&job)).await.unwrap().unwrap();
    let ctx = JobCtx::new(state.clone(), stored, providers(&server));
    let again = GenerateIdeas.execute(&ctx).await.expect("re-execution succeeds");
    assert_eq!(again.result["created"].as_u64(), Some(3));
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "no second AI call");
    let (_, list) = api("GET", &format!("/api/v1/planner/ideas/?site_id={site}&cluster_id={shoes}"), tok, None).await;
    assert_eq!(list["data"]["results"].as_array().unwrap().len(), 4, "no duplicates");

    // The offline provider: the default 5 ideas, valid without any key.
    let hiking = cluster(&t.access, &site, &sector, "Hiking boots", &[("hiking boots", 5000), ("lightweight hiking boots", 700), ("hiking boots for women", 900)]).await;
    let (status, queued) = api("POST", &format!("/api/v1/planner/clusters/{hiking}/generate-ideas/?site_id={site}"), tok, None).await;
    assert_eq!(status, 202, "{queued}");
    let offline_job = queued["data"]["id"].as_str().unwrap().to_string();
    deliver_by_id(&state, &production_registry(offline()), &t.account_id, &offline_job, 1).await;
    let (_, shown) = api("GET", &format!("/api/v1/jobs/{offline_job}/"), tok, None).await;
    assert_eq!((shown["data"]["status"].as_str(), shown["data"]["result"]["provider"].as_str()), (Some("completed"), Some("offline")), "{shown}");
    let (_, list) = api("GET", &format!("/api/v1/planner/ideas/?site_id={site}&cluster_id={hiking}"), tok, None).await;
    let ideas = list["data"]["results"].as_array().unwrap();
    assert_eq!(ideas.len(), 5, "{list}");
    for i in ideas {
        assert!(i["outline"].as_array().unwrap().len() >= 3 && !i["primary_keyword"].as_str().unwrap().is_empty(), "{i}");
    }
}

#[tokio::test]
async fn ideas_crud_guard_and_tasks_with_their_status_machine() {
    let (t, site, sector) = workspace("ideas-crud").await;
    let tok = Some(t.access.as_str());
    let base = json!({"site_id": site, "sector_id": sector});
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    // Validation: every bad field is a 400 naming it; nothing is written.
    for (body, field) in [
        (json!({"primary_keyword": "x"}), "title"),
        (json!({"title": "x"}), "primary_keyword"),
        (json!({"title": "x", "primary_keyword": "x", "target_word_count": 50}), "target_word_count"),
        (json!({"title": "x", "primary_keyword": "x", "outline": [{"heading": " ", "covers": "c"}]}), "outline[0].heading"),
        (json!({"title": "x", "primary_keyword": "x", "status": "queued"}), "status"),
    ] {
        let (status, resp) = api("POST", "/api/v1/planner/ideas/", tok, Some(with(body.clone()))).await;
        assert_eq!((status, resp["errors"][0]["field"].as_str()), (400, Some(field)), "{body}: {resp}");
    }
    let r = api("POST", "/api/v1/planner/ideas/", tok, Some(with(json!({"title": "x", "primary_keyword": "x", "structure": "essay"})))).await;
    assert_eq!(error_code(&r), (400, Some("VALIDATION_ERROR")), "{}", r.1);
    let (_, list) = api("GET", &format!("/api/v1/planner/ideas/?site_id={site}"), tok, None).await;
    assert_eq!(list["data"]["results"], json!([]), "no partial writes");

    // The guard flags, never refuses.
    let mut a_body = idea_json("The best trail running shoes for flat feet", "trail running shoes flat feet", "listicle");
    a_body.as_object_mut().unwrap().extend(base.as_object().unwrap().clone());
    let (status, a) = api("POST", "/api/v1/planner/ideas/", tok, Some(a_body)).await;
    assert_eq!((status, &a["data"]["cannibalization"]), (201, &Value::Null), "{a}");
    let a_id = a["data"]["id"].as_str().unwrap().to_string();
    let (status, b) =
        api("POST", "/api/v1/planner/ideas/", tok, Some(with(json!({"title": "Best Trail Running Shoe for Flat Feet", "primary_keyword": "flat feet trail shoes"})))).await;
    assert_eq!(status, 201, "{b}");
    assert_eq!((b["data"]["cannibalization"]["reason"].as_str(), b["data"]["cannibalization"]["conflicts_with"]["id"].as_str()), (Some("similar_title"), Some(a_id.as_str())), "{b}");
    let b_id = b["data"]["id"].as_str().unwrap().to_string();
    let (status, c) =
        api("POST", "/api/v1/planner/ideas/", tok, Some(with(json!({"title": "Flat feet? Read this", "primary_keyword": "  Trail Running Shoes FLAT feet"})))).await;
    assert_eq!((status, c["data"]["cannibalization"]["reason"].as_str()), (201, Some("same_primary_keyword")), "{c}");
    let c_id = c["data"]["id"].as_str().unwrap().to_string();
    // Retitling B away from A clears its flag; a stale version is a 409.
    let (status, b2) = api("PATCH", &format!("/api/v1/planner/ideas/{b_id}/"), tok, Some(json!({"site_id": site, "title": "Insoles for flat feet", "version": 1}))).await;
    assert_eq!((status, &b2["data"]["cannibalization"], b2["data"]["version"].as_u64()), (200, &Value::Null, Some(2)), "{b2}");
    let r = api("PATCH", &format!("/api/v1/planner/ideas/{b_id}/"), tok, Some(json!({"site_id": site, "title": "again", "version": 1}))).await;
    assert_eq!(error_code(&r), (409, Some("CONFLICT")));

    // A task from an idea: one per idea, even when clicked twice at once.
    let (editor_id, _) = member(&t, "editor").await;
    let create_task = format!("/api/v1/planner/ideas/{a_id}/create-task/");
    let opts = json!({"site_id": site, "due_date": "2025-12-01", "assignee_id": editor_id, "tone": "friendly"});
    let (r1, r2) = tokio::join!(api("POST", &create_task, tok, Some(opts.clone())), api("POST", &create_task, tok, Some(opts.clone())));
    let mut statuses = [r1.0, r2.0];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} / {}", r1.1, r2.1);
    let task = if r1.0 == 201 { r1.1 } else { r2.1 };
    let task_id = task["data"]["id"].as_str().unwrap().to_string();
    let d = &task["data"];
    assert_eq!((d["status"].as_str(), d["idea_id"].as_str(), d["assignee_id"].as_str(), d["due_date"].as_str()), (Some("queued"), Some(a_id.as_str()), Some(editor_id.as_str()), Some("2025-12-01")));
    assert_eq!(d["keywords"][0], "trail running shoes flat feet", "the primary keyword comes first");
    assert!(d["brief"].as_str().unwrap().contains("## How we tested — 200 km on three surfaces"), "{d}");
    let r = api("POST", &create_task, tok, Some(json!({"site_id": site}))).await;
    assert!(r.0 == 409 && r.1["error"].as_str().unwrap().contains(&task_id), "the 409 names the task: {}", r.1);
    let (_, idea) = api("GET", &format!("/api/v1/planner/ideas/{a_id}/?site_id={site}"), tok, None).await;
    assert_eq!((idea["data"]["status"].as_str(), idea["data"]["task_id"].as_str()), (Some("queued"), Some(task_id.as_str())));
    // Bad options: 400 before anything is written.
    for (body, field) in [
        (json!({"site_id": site, "due_date": "2025-02-30"}), "due_date"),
        (json!({"site_id": site, "assignee_id": igny8::ids::new_id()}), "assignee_id"),
        (json!({"site_id": site, "language": "english please"}), "language"),
    ] {
        let (status, resp) = api("POST", &format!("/api/v1/planner/ideas/{b_id}/create-task/"), tok, Some(body.clone())).await;
        assert_eq!((status, resp["errors"][0]["field"].as_str()), (400, Some(field)), "{body}: {resp}");
    }
    // Bulk: per-id outcome.
    let unknown = igny8::ids::new_id();
    let (status, bulk) = api("POST", "/api/v1/planner/ideas/bulk-create-tasks/", tok, Some(json!({"site_id": site, "ids": [a_id, b_id, c_id, unknown], "language": "pt-BR"}))).await;
    assert_eq!(status, 200, "{bulk}");
    let d = &bulk["data"];
    assert_eq!((d["created"].as_array().unwrap().len(), d["conflicts"][0]["id"].as_str(), d["not_found"].clone(), d["created"][0]["language"].as_str()), (2, Some(a_id.as_str()), json!([unknown]), Some("pt-BR")), "{bulk}");

    // The status machine, through the transition endpoint.
    let transition = format!("/api/v1/planner/tasks/{task_id}/transition/");
    let r = api("POST", &transition, tok, Some(json!({"site_id": site, "status": "published"}))).await;
    assert_eq!(error_code(&r), (409, Some("CONFLICT")));
    assert!(r.1["error"].as_str().unwrap().ends_with("allowed next states: in_progress, cancelled"), "{}", r.1);
    for status in ["in_progress", "generated", "review", "published"] {
        let (code, body) = api("POST", &transition, tok, Some(json!({"site_id": site, "status": status}))).await;
        assert_eq!((code, body["data"]["status"].as_str()), (200, Some(status)), "{body}");
    }
    let r = api("POST", &transition, tok, Some(json!({"site_id": site, "status": "queued"}))).await;
    assert!(r.0 == 409 && r.1["error"].as_str().unwrap().contains("none (published is final)"), "{}", r.1);
    let r = api("POST", &transition, tok, Some(json!({"site_id": site, "status": "shipped"}))).await;
    assert_eq!(error_code(&r), (400, Some("VALIDATION_ERROR")));
    let r = api("PATCH", &format!("/api/v1/planner/tasks/{task_id}/"), tok, Some(json!({"site_id": site, "status": "queued"}))).await;
    assert_eq!((r.0, r.1["errors"][0]["field"].as_str()), (400, Some("status")), "PATCH does not move statuses: {}", r.1);

    // Manual tasks, edits and list filters.
    let (status, manual) = api(
        "POST",
        "/api/v1/planner/tasks/",
        tok,
        Some(with(json!({"title": "Update the sizing page", "keywords": ["shoe sizing", "Shoe  Sizing"], "target_word_count": 600}))),
    )
    .await;
    assert_eq!((status, manual["data"]["keywords"].clone(), manual["data"]["language"].as_str()), (201, json!(["shoe sizing"]), Some("en")), "{manual}");
    let manual_id = manual["data"]["id"].as_str().unwrap().to_string();
    let r = api("POST", "/api/v1/planner/tasks/", tok, Some(with(json!({"title": "x", "due_date": "next week"})))).await;
    assert_eq!((r.0, r.1["errors"][0]["field"].as_str()), (400, Some("due_date")), "{}", r.1);
    let (status, edited) =
        api("PATCH", &format!("/api/v1/planner/tasks/{manual_id}/"), tok, Some(json!({"site_id": site, "assignee_id": editor_id, "due_date": "2026-01-15"}))).await;
    assert_eq!((status, edited["data"]["assignee_id"].as_str()), (200, Some(editor_id.as_str())), "{edited}");
    let (_, cleared) = api("PATCH", &format!("/api/v1/planner/tasks/{manual_id}/"), tok, Some(json!({"site_id": site, "due_date": null}))).await;
    assert_eq!(cleared["data"]["due_date"], Value::Null, "null clears: {cleared}");
    let count = |v: &Value| v["data"]["results"].as_array().unwrap().len();
    let (_, published) = api("GET", &format!("/api/v1/planner/tasks/?site_id={site}&status=published"), tok, None).await;
    assert_eq!(count(&published), 1, "{published}");
    let (_, queued) = api("GET", &format!("/api/v1/planner/tasks/?site_id={site}&sector_id={sector}&status=queued"), tok, None).await;
    assert_eq!(count(&queued), 3, "{queued}");
    let (_, assigned) = api("GET", &format!("/api/v1/planner/tasks/?site_id={site}&assignee_id={editor_id}"), tok, None).await;
    assert_eq!(count(&assigned), 2, "{assigned}");
    let (_, queued_ideas) = api("GET", &format!("/api/v1/planner/ideas/?site_id={site}&status=queued"), tok, None).await;
    assert_eq!(count(&queued_ideas), 3, "{queued_ideas}");

    // An idea with a task is not deleted; deleting the task frees the idea.
    let r = api("DELETE", &format!("/api/v1/planner/ideas/{a_id}/?site_id={site}"), tok, None).await;
    assert_eq!(error_code(&r), (409, Some("CONFLICT")));
    assert_eq!(api("DELETE", &format!("/api/v1/planner/tasks/{task_id}/?site_id={site}"), tok, None).await.0, 200);
    let (_, idea) = api("GET", &format!("/api/v1/planner/ideas/{a_id}/?site_id={site}"), tok, None).await;
    assert_eq!((idea["data"]["status"].as_str(), &idea["data"]["task_id"]), (Some("new"), &Value::Null), "{idea}");
    assert_eq!(api("DELETE", &format!("/api/v1/planner/ideas/{a_id}/?site_id={site}"), tok, None).await.0, 200);
    assert_eq!(error_code(&api("GET", &format!("/api/v1/planner/ideas/{a_id}/?site_id={site}"), tok, None).await), (404, Some("NOT_FOUND")));
}

/// Every idea/task route that names an id of A's (idea, another idea, task,
/// cluster), with `site` as the scope.
fn id_routes(site: &str, idea: &str, other: &str, task: &str, cl: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", format!("/api/v1/planner/ideas/{idea}/?site_id={site}"), None),
        ("PATCH", format!("/api/v1/planner/ideas/{idea}/"), Some(json!({"site_id": site, "title": "hijacked"}))),
        ("DELETE", format!("/api/v1/planner/ideas/{other}/?site_id={site}"), None),
        ("POST", format!("/api/v1/planner/ideas/{other}/create-task/"), Some(json!({"site_id": site}))),
        ("POST", "/api/v1/planner/ideas/".into(), Some(json!({"site_id": site, "cluster_id": cl, "title": "intruder", "primary_keyword": "x"}))),
        ("POST", format!("/api/v1/planner/clusters/{cl}/generate-ideas/"), Some(json!({"site_id": site}))),
        ("GET", format!("/api/v1/planner/tasks/{task}/?site_id={site}"), None),
        ("PATCH", format!("/api/v1/planner/tasks/{task}/"), Some(json!({"site_id": site, "title": "hijacked"}))),
        ("POST", format!("/api/v1/planner/tasks/{task}/transition/"), Some(json!({"site_id": site, "status": "in_progress"}))),
        ("DELETE", format!("/api/v1/planner/tasks/{task}/?site_id={site}"), None),
        ("POST", "/api/v1/planner/tasks/".into(), Some(json!({"site_id": site, "cluster_id": cl, "title": "intruder"}))),
    ]
}

#[tokio::test]
async fn ideas_and_tasks_roles_and_tenant_isolation() {
    let (a, site, sector) = workspace("ideas-tenant-a").await;
    let tok = Some(a.access.as_str());
    let cl = cluster(&a.access, &site, &sector, "Shoes", &[("trail shoes", 100)]).await;
    let (_, idea) = api("POST", "/api/v1/planner/ideas/", tok, Some(json!({"site_id": site, "cluster_id": cl, "title": "Secret idea", "primary_keyword": "secret"}))).await;
    let idea = idea["data"]["id"].as_str().unwrap().to_string();
    let (_, other) = api("POST", "/api/v1/planner/ideas/", tok, Some(json!({"site_id": site, "sector_id": sector, "title": "Other idea", "primary_keyword": "other"}))).await;
    let other = other["data"]["id"].as_str().unwrap().to_string();
    let r = api("POST", &format!("/api/v1/planner/ideas/{idea}/create-task/"), tok, None).await;
    assert_eq!(error_code(&r), (400, Some("VALIDATION_ERROR")), "site_id is required: {}", r.1);
    let (status, task) = api("POST", &format!("/api/v1/planner/ideas/{idea}/create-task/?site_id={site}"), tok, None).await;
    assert_eq!(status, 201, "{task}");
    let task = task["data"]["id"].as_str().unwrap().to_string();
    let bulk = ("POST", "/api/v1/planner/ideas/bulk-create-tasks/".to_string(), Some(json!({"site_id": site, "ids": [other]})));

    // A viewer reads everything and writes nothing.
    let (_, viewer) = member(&a, "viewer").await;
    for path in [
        format!("/api/v1/planner/ideas/?site_id={site}"),
        format!("/api/v1/planner/ideas/{idea}/?site_id={site}"),
        format!("/api/v1/planner/tasks/?site_id={site}"),
        format!("/api/v1/planner/tasks/{task}/?site_id={site}"),
    ] {
        assert_eq!(api("GET", &path, Some(&viewer), None).await.0, 200, "viewer reads {path}");
    }
    let writes = id_routes(&site, &idea, &other, &task, &cl).into_iter().filter(|r| r.0 != "GET").chain([bulk.clone()]);
    for (method, path, body) in writes {
        let r = api(method, &path, Some(&viewer), body.clone()).await;
        assert_eq!(error_code(&r), (403, Some("FORBIDDEN")), "viewer: {method} {path} {body:?} -> {}", r.1);
    }

    // Another account: A's ids are 404 with A's site and with its own.
    let (b, b_site, _) = workspace("ideas-tenant-b").await;
    let routes = id_routes(&site, &idea, &other, &task, &cl).into_iter().chain(id_routes(&b_site, &idea, &other, &task, &cl)).chain([
        bulk,
        ("GET", format!("/api/v1/planner/ideas/?site_id={site}"), None),
        ("GET", format!("/api/v1/planner/tasks/?site_id={site}"), None),
    ]);
    for (method, path, body) in routes {
        let r = api(method, &path, Some(&b.access), body.clone()).await;
        assert_eq!(error_code(&r), (404, Some("NOT_FOUND")), "B: {method} {path} {body:?} -> {}", r.1);
    }
    let (_, bulk) = api("POST", "/api/v1/planner/ideas/bulk-create-tasks/", Some(&b.access), Some(json!({"site_id": b_site, "ids": [other]}))).await;
    assert_eq!((bulk["data"]["created"].clone(), bulk["data"]["not_found"].clone()), (json!([]), json!([other])), "{bulk}");
    let (_, ideas) = api("GET", &format!("/api/v1/planner/ideas/?site_id={b_site}"), Some(&b.access), None).await;
    assert_eq!(ideas["data"]["results"], json!([]));
    // A's data is untouched.
    let (_, mine) = api("GET", &format!("/api/v1/planner/ideas/{idea}/?site_id={site}"), tok, None).await;
    assert_eq!((mine["data"]["title"].as_str(), mine["data"]["version"].as_u64()), (Some("Secret idea"), Some(2)), "{mine}");
    let (_, t) = api("GET", &format!("/api/v1/planner/tasks/{task}/?site_id={site}"), tok, None).await;
    assert_eq!((t["data"]["status"].as_str(), t["data"]["version"].as_u64()), (Some("queued"), Some(1)), "{t}");
    let (_, others) = api("GET", &format!("/api/v1/planner/ideas/{other}/?site_id={site}"), tok, None).await;
    assert_eq!(others["data"]["status"].as_str(), Some("new"));
}
