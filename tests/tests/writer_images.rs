//! Image prompts and images over HTTP: prompts generated through the queue
//! (offline and fake OpenAI), images drawn offline and by a fake Runware
//! server, stored in S3 on the emulator and fetched by their presigned URL,
//! set as featured image, deleted (object and item); re-executed jobs never
//! double anything; roles, tenant isolation and bad input of every route.

use igny8::ai::function::{JobCtx, Submission, registry, submit};
use igny8::auth::guard::{Principal, Role};
use igny8::jobs::Job;
use igny8_e2e::ai_support::{deliver_by_id, fake_openai_schema_echo, fake_runware, offline, production_registry, providers, providers_with_runware};
use igny8_e2e::{api, env, member};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

const BODY: &str = "<p>Good running shoes protect your joints and make every run more fun.</p>\
    <h2>Cushioning that lasts</h2><p>Foam matters.</p>\
    <h2>Finding the right fit</h2><p>Try them late in the day.</p>\
    <h3>Width</h3><p>Wide feet need wide toe boxes.</p>\
    <h2>Trail or road?</h2><p>Grip versus weight.</p>";

/// A content item with three H2 sections; returns its id.
async fn content(t: &igny8_e2e::Tenant, site: &str, sector: &str) -> String {
    let body = json!({"site_id": site, "sector_id": sector, "title": "Best running shoes", "focus_keyword": "running shoes", "body_html": BODY});
    let (status, resp) = api("POST", "/api/v1/writer/content/", Some(&t.access), Some(body)).await;
    assert_eq!(status, 201, "{resp}");
    resp["data"]["id"].as_str().unwrap().to_string()
}

/// Submits over HTTP and expects a 202; returns the job id.
async fn submit_http(token: &str, path: &str, body: Value) -> String {
    let (status, resp) = api("POST", path, Some(token), Some(body)).await;
    assert_eq!(status, 202, "{path}: {resp}");
    resp["data"]["id"].as_str().unwrap().to_string()
}

async fn prompts(token: &str, site: &str, content: &str) -> Vec<Value> {
    let (status, list) = api("GET", &format!("/api/v1/writer/image-prompts/?site_id={site}&content_id={content}&limit=100"), Some(token), None).await;
    assert_eq!(status, 200, "{list}");
    list["data"]["results"].as_array().unwrap().clone()
}

async fn images(token: &str, site: &str, content: &str) -> Vec<Value> {
    let (status, list) = api("GET", &format!("/api/v1/writer/images/?site_id={site}&content_id={content}&limit=100"), Some(token), None).await;
    assert_eq!(status, 200, "{list}");
    list["data"]["results"].as_array().unwrap().clone()
}

/// A plain HTTP GET (no token) of a presigned URL: (status, bytes).
async fn fetch(url: &str) -> (u16, Vec<u8>) {
    let resp = igny8_e2e::http().get(url).send().await.expect("GET presigned URL");
    (resp.status().as_u16(), resp.bytes().await.expect("body").to_vec())
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter().map(|v| v["id"].as_str().unwrap().to_string()).collect()
}

/// Executes a stored job's function once more, as a redelivery whose first
/// execution already saved its work would (no settlement, no job changes).
async fn execute_again(state: &Arc<igny8::AppState>, account: &str, job_id: &str, providers: igny8::ai::Providers) -> Value {
    let key = igny8::store::keys::job(&igny8::store::keys::Tenant::from_verified(account), job_id);
    let job: Job = state.store.get(&key).await.unwrap().expect("job");
    let f = registry().get(job.kind.as_str()).cloned().expect("registered");
    let ctx = JobCtx::new(state.clone(), job, providers);
    match f.execute(&ctx).await {
        Ok(out) => out.result,
        Err(e) => panic!("re-execution failed: {e:?}"),
    }
}

#[tokio::test]
async fn offline_prompts_and_images_stored_served_featured_and_deleted() {
    let (t, site, sector) = igny8_e2e::workspace("img-offline").await;
    let tok = Some(t.access.as_str());
    let cid = content(&t, &site, &sector).await;
    let before = igny8_e2e::credit_balance(&t.access).await;

    // Dry run: featured + 3 sections at 0.5 credits each; nothing reserved.
    let (status, body) = api("POST", &format!("/api/v1/writer/content/{cid}/image-prompts/?dry_run=true"), tok, Some(json!({"site_id": site}))).await;
    assert_eq!((status, body["data"]["estimated_credits"].as_f64(), body["data"]["would_run"]["prompts"].as_u64()), (200, Some(2.0), Some(4)), "{body}");
    assert_eq!(body["data"]["would_run"]["sections"], json!(["Cushioning that lasts", "Finding the right fit", "Trail or road?"]));
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before);

    // Through the queue, delivered twice: one set of prompts.
    let job_id = submit_http(&t.access, &format!("/api/v1/writer/content/{cid}/image-prompts/?site_id={site}"), json!({})).await;
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before - 2.0, "reserved at enqueue");
    let state = env().state().await;
    let job = deliver_by_id(&state, &production_registry(offline()), &t.account_id, &job_id, 2).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    assert_eq!((job.credits_charged, job.provider.as_deref()), (Some(2.0), Some("offline")));
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before - 2.0);
    let ps = prompts(&t.access, &site, &cid).await;
    assert_eq!(ps.len(), 4, "{ps:?}");
    let kinds: Vec<(&str, u64, Option<&str>)> =
        ps.iter().map(|p| (p["kind"].as_str().unwrap(), p["position"].as_u64().unwrap(), p["section_heading"].as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("featured", 0, None),
            ("section", 1, Some("Cushioning that lasts")),
            ("section", 2, Some("Finding the right fit")),
            ("section", 3, Some("Trail or road?"))
        ]
    );
    for p in &ps {
        assert!(!p["prompt"].as_str().unwrap().is_empty() && !p["alt_text"].as_str().unwrap().is_empty(), "{p}");
        assert!(p["alt_text"].as_str().unwrap().chars().count() <= 125);
        assert_eq!(
            (p["source"].as_str(), p["job_id"].as_str(), p["content_id"].as_str()),
            (Some("generate_image_prompts"), Some(job_id.as_str()), Some(cid.as_str()))
        );
    }
    let result = &job.result.clone().unwrap();
    assert_eq!(result["created"].as_u64(), Some(4), "{result}");
    // A re-execution of the same job finds its prompts: nothing doubles.
    let again = execute_again(&state, &t.account_id, &job_id, offline()).await;
    assert_eq!(again["created"].as_u64(), Some(4));
    assert_eq!(ids(&prompts(&t.access, &site, &cid).await), ids(&ps));

    // Edit a prompt: plain text; a stale version conflicts.
    let featured_prompt = ps[0]["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/writer/image-prompts/{featured_prompt}/?site_id={site}");
    let (status, body) =
        api("PATCH", &url, tok, Some(json!({"prompt": "<b>A red fox</b> running   on a forest trail at dawn", "alt_text": "A fox on a trail", "version": 1})))
            .await;
    assert_eq!(
        (status, body["data"]["prompt"].as_str(), body["data"]["version"].as_u64()),
        (200, Some("A red fox running on a forest trail at dawn"), Some(2)),
        "{body}"
    );
    let (status, body) = api("PATCH", &url, tok, Some(json!({"alt_text": "x", "version": 1}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    let (status, body) = api("GET", &url, tok, None).await;
    assert_eq!((status, body["data"]["alt_text"].as_str()), (200, Some("A fox on a trail")));

    // Images for the featured prompt and the first section, offline: 1 credit each.
    let chosen = vec![featured_prompt.clone(), ps[1]["id"].as_str().unwrap().to_string()];
    let (status, body) = api("POST", "/api/v1/writer/images/generate/", tok, Some(json!({"site_id": site, "prompt_ids": chosen, "dry_run": true}))).await;
    assert_eq!(
        (status, body["data"]["estimated_credits"].as_f64(), body["data"]["would_run"]["provider"].as_str()),
        (200, Some(2.0), Some("offline")),
        "{body}"
    );
    let before = igny8_e2e::credit_balance(&t.access).await;
    let job_id = submit_http(&t.access, "/api/v1/writer/images/generate/", json!({"site_id": site, "prompt_ids": chosen})).await;
    let job = deliver_by_id(&state, &production_registry(offline()), &t.account_id, &job_id, 2).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    assert_eq!(job.credits_charged, Some(2.0));
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before - 2.0);
    let imgs = images(&t.access, &site, &cid).await;
    assert_eq!(imgs.len(), 2, "{imgs:?}");
    assert_eq!(imgs[0]["kind"], "featured", "article order: featured first");
    let again = execute_again(&state, &t.account_id, &job_id, offline()).await;
    assert_eq!(again["created"].as_u64(), Some(2));
    assert_eq!(ids(&images(&t.access, &site, &cid).await), ids(&imgs), "a re-execution draws nothing new");

    // The item, and the object through its presigned URL.
    let img_id = imgs[0]["id"].as_str().unwrap().to_string();
    let (status, body) = api("GET", &format!("/api/v1/writer/images/{img_id}/?site_id={site}"), tok, None).await;
    assert_eq!(status, 200, "{body}");
    let img = &body["data"];
    assert_eq!(
        (img["provider"].as_str(), img["model"].as_str(), img["content_type"].as_str(), img["cost"].as_f64()),
        (Some("offline"), Some("offline-png-1"), Some("image/png"), Some(1.0)),
        "{img}"
    );
    assert_eq!((img["width"].as_u64(), img["height"].as_u64()), (Some(640), Some(360)));
    assert_eq!((img["prompt"].as_str(), img["alt_text"].as_str()), (Some("A red fox running on a forest trail at dawn"), Some("A fox on a trail")));
    assert_eq!((img["prompt_id"].as_str(), img["content_id"].as_str()), (Some(featured_prompt.as_str()), Some(cid.as_str())));
    let key = img["s3_key"].as_str().unwrap();
    assert_eq!(key, format!("accounts/{}/sites/{site}/images/{img_id}.png", t.account_id));
    assert!(img["url_expires_at"].is_string());
    let presigned = img["url"].as_str().unwrap().to_string();
    assert!(presigned.contains("X-Amz-Signature=") && presigned.contains("X-Amz-Expires=900"), "{presigned}");
    let (status, bytes) = fetch(&presigned).await;
    assert_eq!(status, 200);
    assert_eq!(&bytes[..8], &PNG_SIGNATURE, "a PNG");
    assert_eq!(bytes.len() as u64, img["bytes"].as_u64().unwrap());
    assert!(imgs.iter().all(|i| i["url"].as_str().is_some_and(|u| u.starts_with("http"))), "lists carry URLs too");

    // Featured image: set through the content's versioned update (no new content version).
    let (_, c) = api("GET", &format!("/api/v1/writer/content/{cid}/?site_id={site}"), tok, None).await;
    let content_version = c["data"]["version"].as_u64().unwrap();
    let (status, body) =
        api("POST", &format!("/api/v1/writer/images/{img_id}/set-featured/"), tok, Some(json!({"site_id": site, "version": content_version + 7}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "stale content version: {body}");
    let (status, body) =
        api("POST", &format!("/api/v1/writer/images/{img_id}/set-featured/?site_id={site}"), tok, Some(json!({"version": content_version}))).await;
    assert_eq!((status, body["data"]["featured_image_id"].as_str()), (200, Some(img_id.as_str())), "{body}");
    assert_eq!((body["data"]["version"].as_u64(), body["data"]["current_version"].as_u64()), (Some(content_version + 1), Some(1)));
    let (_, c) = api("GET", &format!("/api/v1/writer/content/{cid}/?site_id={site}"), tok, None).await;
    assert_eq!(c["data"]["featured_image_id"].as_str(), Some(img_id.as_str()));

    // Delete the featured image: unset on the content, object and item gone.
    let (status, body) = api("DELETE", &format!("/api/v1/writer/images/{img_id}/?site_id={site}"), tok, None).await;
    assert_eq!((status, body["data"]["featured_cleared"].as_bool()), (200, Some(true)), "{body}");
    let (_, c) = api("GET", &format!("/api/v1/writer/content/{cid}/?site_id={site}"), tok, None).await;
    assert!(c["data"]["featured_image_id"].is_null(), "{c}");
    let (status, body) = api("GET", &format!("/api/v1/writer/images/{img_id}/?site_id={site}"), tok, None).await;
    assert_eq!((status, body["error_code"].as_str()), (404, Some("NOT_FOUND")));
    let (status, _) = fetch(&presigned).await;
    assert!(status == 404 || status == 403, "the object is gone: {status}");
    let tenant = igny8::store::keys::Tenant::from_verified(&t.account_id);
    let rest = igny8::writer::images::object_rest(&site, &img_id, "png");
    assert!(igny8::blobs::get(&state, &tenant, &rest).await.unwrap().is_none());
    assert_eq!(images(&t.access, &site, &cid).await.len(), 1);
    // Deleting the other (not featured) image leaves the content alone.
    let other = imgs[1]["id"].as_str().unwrap();
    let (status, body) = api("DELETE", &format!("/api/v1/writer/images/{other}/?site_id={site}"), tok, None).await;
    assert_eq!((status, body["data"]["featured_cleared"].as_bool()), (200, Some(false)), "{body}");
    // Prompts: delete one.
    let (status, _) = api("DELETE", &url, tok, None).await;
    assert_eq!(status, 200);
    assert_eq!(api("GET", &url, tok, None).await.0, 404);
    assert_eq!(prompts(&t.access, &site, &cid).await.len(), 3);
}

#[tokio::test]
async fn prompts_with_fake_openai_and_images_with_fake_runware() {
    let (t, site, sector) = igny8_e2e::workspace("img-runware").await;
    let cid = content(&t, &site, &sector).await;
    let state = env().state().await;

    // Prompts written by the fake OpenAI server.
    let chat_requests = Arc::new(AtomicUsize::new(0));
    let openai = fake_openai_schema_echo(chat_requests.clone()).await;
    let job_id = submit_http(&t.access, &format!("/api/v1/writer/content/{cid}/image-prompts/"), json!({"site_id": site})).await;
    let job = deliver_by_id(&state, &production_registry(providers(&openai)), &t.account_id, &job_id, 1).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    assert_eq!((job.provider.as_deref(), job.model.as_deref()), (Some("openai"), Some("gpt-4o-mini")));
    assert_eq!(chat_requests.load(Ordering::SeqCst), 1);
    let ps = prompts(&t.access, &site, &cid).await;
    assert_eq!(ps.len(), 4);
    assert!(ps.iter().all(|p| p["provider"] == "openai"), "{ps:?}");
    execute_again(&state, &t.account_id, &job_id, providers(&openai)).await;
    assert_eq!(chat_requests.load(Ordering::SeqCst), 1, "a re-execution asks nothing again");

    // One prompt the (fake) provider refuses.
    let refused = ps[3]["id"].as_str().unwrap().to_string();
    let (status, _) =
        api("PATCH", &format!("/api/v1/writer/image-prompts/{refused}/?site_id={site}"), Some(&t.access), Some(json!({"prompt": "please refuse this one"})))
            .await;
    assert_eq!(status, 200);

    // Runware configured: the estimate is 2 credits per image.
    let mut config = env().config();
    config.ai.image_provider = "runware".into();
    let runware_state = Arc::new(igny8::AppState::new(config).await);
    let owner = Principal { user_id: t.user_id.clone(), account_id: t.account_id.clone(), role: Role::Owner, email: t.email.clone(), is_staff: false };
    let f = registry().get("generate_images").cloned().unwrap();
    let before = igny8_e2e::credit_balance(&t.access).await;
    let all = ids(&ps);
    let job = match submit(&runware_state, &owner, f.as_ref(), json!({"site_id": site, "prompt_ids": all}), false).await.unwrap() {
        Submission::Queued(job) => *job,
        other => panic!("expected a queued job, got {other:?}"),
    };
    assert_eq!(job.credits_estimate, 8.0);
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before - 8.0);
    let rw_requests = Arc::new(AtomicUsize::new(0));
    let runware = fake_runware(rw_requests.clone()).await;
    let done = deliver_by_id(&runware_state, &production_registry(providers_with_runware(&runware)), &t.account_id, &job.id, 2).await;
    assert_eq!(done.status.as_str(), "completed", "{:?}", done.error);
    assert_eq!(done.credits_charged, Some(6.0), "three images at 2 credits; the refused one is free");
    assert_eq!(igny8_e2e::credit_balance(&t.access).await, before - 6.0);
    let result = done.result.clone().unwrap();
    assert_eq!((result["created"].as_u64(), result["failed"].as_array().map(Vec::len)), (Some(3), Some(1)), "{result}");
    assert_eq!(result["failed"][0]["prompt_id"].as_str(), Some(refused.as_str()));
    assert!(result["failed"][0]["error"].as_str().unwrap().contains("refused by content moderation"), "{result}");
    assert_eq!(rw_requests.load(Ordering::SeqCst), 4, "one request per prompt, the refusal not retried");

    // The wire format Runware is spoken with.
    let received = runware.received_requests().await.unwrap();
    let featured_prompt = ps[0]["prompt"].as_str().unwrap();
    let featured_task = received
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .find(|b| b[0]["positivePrompt"] == featured_prompt)
        .expect("the featured prompt was sent");
    assert_eq!(
        (featured_task[0]["taskType"].as_str(), featured_task[0]["width"].as_u64(), featured_task[0]["height"].as_u64()),
        (Some("imageInference"), Some(1024), Some(576))
    );
    assert_eq!(featured_task[0]["model"], "runware:100@1");
    assert!(featured_task[0]["negativePrompt"].as_str().unwrap().contains("watermark"));
    assert_eq!(received[0].headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer rw-test"));

    // Stored in S3 and served by presigned URL; a re-execution draws nothing.
    let imgs = images(&t.access, &site, &cid).await;
    assert_eq!(imgs.len(), 3);
    execute_again(&runware_state, &t.account_id, &job.id, providers_with_runware(&runware)).await;
    assert_eq!(rw_requests.load(Ordering::SeqCst), 5, "only the refused prompt is asked again");
    assert_eq!(images(&t.access, &site, &cid).await.len(), 3);
    for img in &imgs {
        assert_eq!((img["provider"].as_str(), img["model"].as_str(), img["cost"].as_f64()), (Some("runware"), Some("runware:100@1"), Some(2.0)), "{img}");
        let (w, h) = if img["kind"] == "featured" { (1024, 576) } else { (768, 512) };
        assert_eq!((img["width"].as_u64(), img["height"].as_u64()), (Some(w), Some(h)));
        let (status, bytes) = fetch(img["url"].as_str().unwrap()).await;
        assert_eq!((status, &bytes[..8]), (200, &PNG_SIGNATURE[..]));
        assert_eq!(bytes.len() as u64, img["bytes"].as_u64().unwrap());
    }
}

#[tokio::test]
async fn image_routes_roles_tenant_isolation_and_bad_input() {
    let (a, site, sector) = igny8_e2e::workspace("img-tenant-a").await;
    let tok = Some(a.access.as_str());
    let cid = content(&a, &site, &sector).await;
    let state = env().state().await;
    let job_id = submit_http(&a.access, &format!("/api/v1/writer/content/{cid}/image-prompts/"), json!({"site_id": site})).await;
    deliver_by_id(&state, &production_registry(offline()), &a.account_id, &job_id, 1).await;
    let ps = prompts(&a.access, &site, &cid).await;
    let pid = ps[0]["id"].as_str().unwrap().to_string();
    let job_id = submit_http(&a.access, "/api/v1/writer/images/generate/", json!({"site_id": site, "prompt_ids": [pid]})).await;
    let job = deliver_by_id(&state, &production_registry(offline()), &a.account_id, &job_id, 1).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);
    let img = images(&a.access, &site, &cid).await[0]["id"].as_str().unwrap().to_string();

    let reads = [
        format!("/api/v1/writer/image-prompts/?site_id={site}"),
        format!("/api/v1/writer/image-prompts/?site_id={site}&content_id={cid}"),
        format!("/api/v1/writer/image-prompts/{pid}/?site_id={site}"),
        format!("/api/v1/writer/images/?site_id={site}"),
        format!("/api/v1/writer/images/?site_id={site}&content_id={cid}"),
        format!("/api/v1/writer/images/{img}/?site_id={site}"),
    ];
    let writes = |site: &str| -> Vec<(&'static str, String, Option<Value>)> {
        vec![
            ("POST", format!("/api/v1/writer/content/{cid}/image-prompts/"), Some(json!({"site_id": site}))),
            ("PATCH", format!("/api/v1/writer/image-prompts/{pid}/?site_id={site}"), Some(json!({"prompt": "a different scene entirely"}))),
            ("DELETE", format!("/api/v1/writer/image-prompts/{pid}/?site_id={site}"), None),
            ("POST", "/api/v1/writer/images/generate/".into(), Some(json!({"site_id": site, "prompt_ids": [pid]}))),
            ("POST", format!("/api/v1/writer/images/{img}/set-featured/"), Some(json!({"site_id": site}))),
            ("DELETE", format!("/api/v1/writer/images/{img}/?site_id={site}"), None),
        ]
    };
    // A viewer reads everything (URLs included) and writes nothing.
    let (_, viewer) = member(&a, "viewer").await;
    for path in &reads {
        let (status, body) = api("GET", path, Some(&viewer), None).await;
        assert_eq!(status, 200, "viewer GET {path}: {body}");
    }
    for (m, p, b) in writes(&site) {
        let (status, resp) = api(m, &p, Some(&viewer), b.clone()).await;
        assert_eq!((status, resp["error_code"].as_str()), (403, Some("FORBIDDEN")), "viewer {m} {p} {b:?}: {resp}");
    }
    // An editor may write.
    let (_, editor) = member(&a, "editor").await;
    let (status, body) = api("PATCH", &format!("/api/v1/writer/image-prompts/{pid}/?site_id={site}"), Some(&editor), Some(json!({"alt_text": "Shoes"}))).await;
    assert_eq!(status, 200, "{body}");

    // Another tenant with A's ids: 404 everywhere, never a URL.
    let (b, b_site, _) = igny8_e2e::workspace("img-tenant-b").await;
    for path in &reads {
        let (status, resp) = api("GET", path, Some(&b.access), None).await;
        assert_eq!((status, resp["error_code"].as_str()), (404, Some("NOT_FOUND")), "B GET {path}: {resp}");
        assert!(!resp.to_string().contains("X-Amz-Signature"), "{resp}");
    }
    for (m, p, body) in writes(&site) {
        let (status, resp) = api(m, &p, Some(&b.access), body.clone()).await;
        assert_eq!((status, resp["error_code"].as_str()), (404, Some("NOT_FOUND")), "B {m} {p} {body:?}: {resp}");
    }
    // A's ids under B's own site.
    for path in [format!("/api/v1/writer/images/{img}/?site_id={b_site}"), format!("/api/v1/writer/image-prompts/{pid}/?site_id={b_site}")] {
        let (status, resp) = api("GET", &path, Some(&b.access), None).await;
        assert_eq!((status, resp["error_code"].as_str()), (404, Some("NOT_FOUND")), "B GET {path}: {resp}");
        assert!(resp["data"].is_null() && !resp.to_string().contains("X-Amz-Signature"), "{resp}");
    }
    for (m, p) in [
        ("POST", format!("/api/v1/writer/images/{img}/set-featured/?site_id={b_site}")),
        ("DELETE", format!("/api/v1/writer/images/{img}/?site_id={b_site}")),
        ("DELETE", format!("/api/v1/writer/image-prompts/{pid}/?site_id={b_site}")),
        ("POST", format!("/api/v1/writer/content/{cid}/image-prompts/?site_id={b_site}")),
    ] {
        let (status, resp) = api(m, &p, Some(&b.access), None).await;
        assert_eq!((status, resp["error_code"].as_str()), (404, Some("NOT_FOUND")), "B {m} {p}: {resp}");
    }
    for (site_of_b, other) in [(b_site.as_str(), None), (b_site.as_str(), Some(igny8::ids::new_id()))] {
        let mut ids = vec![pid.clone()];
        ids.extend(other);
        let (status, resp) = api("POST", "/api/v1/writer/images/generate/", Some(&b.access), Some(json!({"site_id": site_of_b, "prompt_ids": ids}))).await;
        assert_eq!((status, resp["errors"][0]["field"].as_str()), (400, Some("prompt_ids")), "B's site, A's prompt: {resp}");
    }
    let (status, list) = api("GET", &format!("/api/v1/writer/images/?site_id={b_site}"), Some(&b.access), None).await;
    assert_eq!((status, list["data"]["results"].as_array().map(Vec::len)), (200, Some(0)));
    assert_eq!(api("GET", &reads[5], None, None).await.0, 401);

    // Bad input: a 4xx envelope with a stable code, never a 500.
    let generate = "/api/v1/writer/images/generate/".to_string();
    let eleven: Vec<String> = (0..11).map(|_| igny8::ids::new_id()).collect();
    let prompt_url = format!("/api/v1/writer/image-prompts/{pid}/?site_id={site}");
    let cases: Vec<(&str, String, Value, &str)> = vec![
        ("POST", generate.clone(), json!({"site_id": site}), "prompt_ids"),
        ("POST", generate.clone(), json!({"site_id": site, "prompt_ids": []}), "prompt_ids"),
        ("POST", generate.clone(), json!({"site_id": site, "prompt_ids": ["nope"]}), "prompt_ids"),
        ("POST", generate.clone(), json!({"site_id": site, "prompt_ids": eleven}), "prompt_ids"),
        ("POST", generate.clone(), json!({"site_id": site, "prompt_ids": [igny8::ids::new_id()]}), "prompt_ids"),
        ("POST", generate.clone(), json!({"prompt_ids": [pid]}), "site_id"),
        ("POST", generate.clone(), json!({"site_id": site, "prompt_ids": pid}), "body"),
        ("POST", generate.clone(), json!({"site_id": site, "prompt_ids": [pid], "provider": "openai"}), "provider"),
        ("POST", format!("/api/v1/writer/content/{cid}/image-prompts/"), json!({}), "site_id"),
        ("POST", format!("/api/v1/writer/content/{cid}/image-prompts/"), json!({"site_id": site, "count": 3}), "count"),
        ("PATCH", prompt_url.clone(), json!({"prompt": "  <p> </p> "}), "prompt"),
        ("PATCH", prompt_url.clone(), json!({"alt_text": "a".repeat(126)}), "alt_text"),
        ("PATCH", prompt_url.clone(), json!({"prompt": "x".repeat(1001)}), "prompt"),
        ("PATCH", prompt_url.clone(), json!({"kind": "featured"}), "kind"),
        ("POST", format!("/api/v1/writer/images/{img}/set-featured/?site_id={site}"), json!({"version": "two"}), "body"),
    ];
    for (m, p, body, field) in cases {
        let (status, resp) = api(m, &p, tok, Some(body.clone())).await;
        assert_eq!((status, resp["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{m} {p} {body}: {resp}");
        assert!(resp["errors"].as_array().is_some_and(|e| e.iter().any(|e| e["field"] == field)), "{field}: {resp}");
    }
    for path in [format!("/api/v1/writer/images/?site_id={site}&content_id=junk"), format!("/api/v1/writer/image-prompts/?site_id={site}&content_id=junk")] {
        let (status, resp) = api("GET", &path, tok, None).await;
        assert_eq!((status, resp["errors"][0]["field"].as_str()), (400, Some("content_id")), "{path}: {resp}");
    }
    for (m, p) in [
        ("GET", format!("/api/v1/writer/images/not-an-id/?site_id={site}")),
        ("GET", format!("/api/v1/writer/image-prompts/not-an-id/?site_id={site}")),
        ("DELETE", format!("/api/v1/writer/images/{}/?site_id={site}", igny8::ids::new_id())),
        ("POST", format!("/api/v1/writer/images/{}/set-featured/?site_id={site}", igny8::ids::new_id())),
        ("POST", format!("/api/v1/writer/content/{}/image-prompts/?site_id={site}", igny8::ids::new_id())),
        ("POST", format!("/api/v1/writer/content/junk/image-prompts/?site_id={site}")),
    ] {
        let (status, resp) = api(m, &p, tok, None).await;
        assert_eq!((status, resp["error_code"].as_str()), (404, Some("NOT_FOUND")), "{m} {p}: {resp}");
    }
    // Nothing of A's changed.
    let (status, body) = api("GET", &reads[5], tok, None).await;
    assert_eq!((status, body["data"]["prompt"].as_str()), (200, ps[0]["prompt"].as_str()), "{body}");
    let (status, bytes) = fetch(body["data"]["url"].as_str().unwrap()).await;
    assert_eq!((status, &bytes[..8]), (200, &PNG_SIGNATURE[..]));
    assert_eq!(prompts(&a.access, &site, &cid).await.len(), 4);
}

/// Prompts and one image for `cid` (offline); returns the image's presigned URL.
async fn one_image(t: &igny8_e2e::Tenant, site: &str, cid: &str) -> String {
    let state = env().state().await;
    let job = submit_http(&t.access, &format!("/api/v1/writer/content/{cid}/image-prompts/?site_id={site}"), json!({})).await;
    deliver_by_id(&state, &production_registry(offline()), &t.account_id, &job, 1).await;
    let first = ids(&prompts(&t.access, site, cid).await)[0].clone();
    let job = submit_http(&t.access, "/api/v1/writer/images/generate/", json!({"site_id": site, "prompt_ids": [first]})).await;
    let done = deliver_by_id(&state, &production_registry(offline()), &t.account_id, &job, 1).await;
    assert_eq!(done.status.as_str(), "completed", "{:?}", done.error);
    assert_eq!((done.provider.as_deref(), done.model.is_some()), (Some("offline"), true), "the job names who drew the image");
    let url = images(&t.access, site, cid).await[0]["url"].as_str().unwrap().to_string();
    assert_eq!(fetch(&url).await.0, 200);
    url
}

#[tokio::test]
async fn deleting_content_or_its_sector_takes_prompts_images_and_objects_with_it() {
    let (t, site, sector) = igny8_e2e::workspace("img-sweep").await;
    let tok = Some(t.access.as_str());
    // Content delete: its prompts, images and objects go too.
    let cid = content(&t, &site, &sector).await;
    let url = one_image(&t, &site, &cid).await;
    let (status, body) = api("DELETE", &format!("/api/v1/writer/content/{cid}/?site_id={site}"), tok, None).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(fetch(&url).await.0, 200, "the object is gone with the content");
    let (_, list) = api("GET", &format!("/api/v1/writer/image-prompts/?site_id={site}&content_id={cid}"), tok, None).await;
    assert_eq!(list["data"]["results"], json!([]), "{list}");
    // Sector delete (confirmed): content, prompts, images and objects.
    let cid = content(&t, &site, &sector).await;
    let url = one_image(&t, &site, &cid).await;
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/sectors/{sector}/?confirm=true"), tok, None).await;
    assert_eq!(status, 202, "a job deletes a sector with data: {body}");
    let state = env().state().await;
    let done = deliver_by_id(&state, igny8_ai_worker::registry(), &t.account_id, body["data"]["id"].as_str().unwrap(), 1).await;
    assert_eq!(done.status.as_str(), "completed", "{:?}", done.error);
    assert_ne!(fetch(&url).await.0, 200, "the object is gone with the sector");
    let (status, _) = api("GET", &format!("/api/v1/writer/content/{cid}/?site_id={site}"), tok, None).await;
    assert_eq!(status, 404);
    assert_eq!(images(&t.access, &site, &cid).await, Vec::<Value>::new());
}

/// Issue 10, item 12: the provider's requests-per-minute budget covers image
/// calls, retries included. A fake Runware answers the first request with a
/// 429: two images cost three HTTP requests, and the provider's minute
/// counter (the budget every worker shares) counts exactly those three; with
/// the budget spent, the next image is refused before any request is sent.
#[tokio::test]
async fn image_calls_and_their_retries_take_the_provider_budget() {
    use igny8::ai::provider::{ImageProvider, ImageRequest, ProviderError};
    use std::time::Duration;
    // Stay clear of a minute boundary (the budget is counted per minute).
    while igny8::ids::now_epoch() % 60 > 45 {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let state = env().state().await;
    let requests = Arc::new(AtomicUsize::new(0));
    let server = fake_runware(requests.clone()).await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(429).insert_header("retry-after", "0").set_body_json(json!({"errors": [{"message": "slow down"}]})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let policy = igny8::ai::provider::RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
        timeout: Duration::from_secs(5),
    };
    let gate = igny8::ai::provider::Gate(Some(Arc::new(igny8::ai::rate::StoreGate { store: state.store.clone(), rpm: 3, max_wait: Duration::ZERO })));
    let images = igny8::ai::runware::RunwareImages::new(&format!("{}/v1", server.uri()), "rw-test", "runware:100@1", policy).with_gate(gate);
    let req = ImageRequest { prompt: "a lighthouse".into(), negative_prompt: None, width: 512, height: 512 };
    let minute = igny8::ids::now_epoch() / 60;
    for i in 0..2 {
        images.generate(&req).await.unwrap_or_else(|e| panic!("image {i}: {e}"));
    }
    let sent = server.received_requests().await.unwrap_or_default().len();
    assert_eq!(sent, 3, "one 429 and its retry, then one success");
    let counter: Value = state.store.get(&igny8::store::keys::provider_rate("runware", minute)).await.unwrap().expect("the minute's counter");
    assert_eq!(counter["calls"].as_u64(), Some(3), "every HTTP request took a slot: {counter}");
    // The budget (3 a minute) is spent: refused as retryable, nothing sent.
    match images.generate(&req).await {
        Err(ProviderError::Retryable { message, .. }) => assert!(message.contains("3 requests per minute"), "{message}"),
        other => panic!("expected the budget to refuse: {other:?}"),
    }
    assert_eq!(server.received_requests().await.unwrap_or_default().len(), 3);
}
