//! The WordPress integration against a real WordPress (issue 14): the test
//! WordPress itself, integrations CRUD with sealed credentials, safe
//! outbound requests, the connection test (all ok; wrong application
//! password; a server that strips the Authorization header), the sync log.

use igny8_e2e::{api, member, wordpress};
use serde_json::{Value, json};

#[tokio::test]
async fn a_real_wordpress_starts_with_an_application_password_and_the_companion_plugin() {
    let wp = wordpress::shared();
    eprintln!("WordPress start-up: {:?}", wp.startup);
    let http = igny8_e2e::http();
    // Sent: GET /wp-json/wp/v2/users/me?context=edit with the application password.
    let me: Value = http
        .get(wp.url("/wp-json/wp/v2/users/me?context=edit"))
        .basic_auth(&wp.username, Some(&wp.application_password))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Came back: the admin, with the capabilities publishing needs.
    assert_eq!(me["username"], "admin", "{me}");
    assert_eq!(me["capabilities"]["publish_posts"], true);
    assert_eq!(me["capabilities"]["upload_files"], true);
    // The login password never works for REST.
    let resp = http
        .get(wp.url("/wp-json/wp/v2/users/me?context=edit"))
        .basic_auth(&wp.username, Some(xtask::wordpress::ADMIN_LOGIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    // The companion plugin is active: its namespace is listed (and the Yoast stand-in's).
    let index: Value = http.get(wp.url("/wp-json/")).send().await.unwrap().json().await.unwrap();
    let namespaces: Vec<&str> = index["namespaces"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert!(namespaces.contains(&"igny8/v1") && namespaces.contains(&"yoast/v1"), "{namespaces:?}");
    assert!(wp.startup < std::time::Duration::from_secs(20), "start-up took {:?}", wp.startup);
}

fn connect_body(site: &str, base_url: &str, password: &str) -> Value {
    json!({"site_id": site, "platform": "wordpress", "base_url": base_url, "username": "admin", "application_password": password, "default_status": "draft", "default_category": "News"})
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["check"] == name).unwrap_or_else(|| panic!("no {name} check: {report}"))
}

#[tokio::test]
async fn integrations_seal_the_password_allow_one_per_site_and_check_roles() {
    let wp = wordpress::shared();
    let (t, site, _) = igny8_e2e::workspace("wp-crud").await;
    let tok = Some(t.access.as_str());
    // Sent: the application password in the clear, once.
    let (status, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    assert_eq!(status, 201, "{body}");
    let i = body["data"].clone();
    let compact: String = wp.application_password.chars().filter(|c| !c.is_whitespace()).collect();
    // Came back: only its last 4 characters.
    assert_eq!(i["application_password"], format!("••••{}", &compact[compact.len() - 4..]));
    assert!(!body.to_string().contains(&compact) && !body.to_string().contains(&wp.application_password), "{body}");
    assert_eq!((i["status"].as_str(), i["base_url"].as_str()), (Some("active"), Some(wp.base_url.as_str())));
    let id = i["id"].as_str().unwrap().to_string();
    // At rest: sealed under a KMS data key (no plaintext in the item).
    let state = igny8_e2e::env().state().await;
    let tenant = igny8::store::keys::Tenant::from_verified(&t.account_id);
    let raw: Value = state.store.get(&igny8::store::keys::integration(&tenant, &id)).await.unwrap().unwrap();
    assert!(!raw.to_string().contains(&compact), "plaintext at rest: {raw}");
    assert!(raw["password"]["key"].as_str().is_some_and(|k| k.len() > 40), "{raw}");
    let item: igny8::integration::Integration = state.store.get(&igny8::store::keys::integration(&tenant, &id)).await.unwrap().unwrap();
    assert_eq!(igny8::integration::credentials(&state, &item).await.unwrap(), compact, "KMS Decrypt opens it");
    // GET and list never show it either.
    let (status, body) = api("GET", &format!("/api/v1/integration/integrations/{id}/"), tok, None).await;
    assert_eq!((status, body["data"]["application_password"].clone()), (200, i["application_password"].clone()));
    let (_, body) = api("GET", &format!("/api/v1/integration/integrations/?site_id={site}"), tok, None).await;
    assert_eq!(body["data"]["results"].as_array().unwrap().len(), 1, "{body}");
    assert!(!body.to_string().contains(&compact));
    // One WordPress integration per site.
    let (status, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    // Bad input: 400 with the field, nothing written.
    for (body, field) in [
        (json!({"site_id": site, "base_url": "ftp://blog.example.com", "username": "a", "application_password": "abcd efgh ijkl mnop"}), "base_url"),
        (json!({"site_id": site, "base_url": "https://blog.example.com", "username": "a"}), "application_password"),
        (json!({"site_id": site, "base_url": "https://blog.example.com", "username": "a:b", "application_password": "abcd efgh ijkl mnop"}), "username"),
        (json!({"site_id": site, "platform": "ghost", "base_url": "https://b.example.com", "username": "a", "application_password": "abcd efgh ijkl mnop"}), "platform"),
        (json!({"site_id": site, "base_url": "https://b.example.com", "username": "a", "application_password": "abcd efgh ijkl mnop", "default_status": "future"}), "default_status"),
        (json!({"base_url": "https://b.example.com", "username": "a", "application_password": "abcd efgh ijkl mnop"}), "site_id"),
    ] {
        let (status, resp) = api("POST", "/api/v1/integration/integrations/", tok, Some(body.clone())).await;
        assert_eq!((status, resp["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}: {resp}");
        assert!(resp["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{field}: {resp}");
    }
    let (status, resp) = api("POST", "/api/v1/integration/integrations/", tok, Some(json!({"site_id": site, "password": "x"}))).await;
    assert_eq!(status, 400, "unknown field: {resp}");
    // Roles: viewers and editors read, only admins write.
    let (_, viewer) = member(&t, "viewer").await;
    let (_, editor) = member(&t, "editor").await;
    assert_eq!(api("GET", &format!("/api/v1/integration/integrations/{id}/"), Some(&viewer), None).await.0, 200);
    for token in [&viewer, &editor] {
        let (status, body) = api("PATCH", &format!("/api/v1/integration/integrations/{id}/"), Some(token), Some(json!({"default_status": "publish"}))).await;
        assert_eq!((status, body["error_code"].as_str()), (403, Some("FORBIDDEN")), "{body}");
    }
    // Other tenants see nothing (404, like an unknown id).
    let other = igny8_e2e::register("wp-other").await;
    assert_eq!(api("GET", &format!("/api/v1/integration/integrations/{id}/"), Some(&other.access), None).await.0, 404);
    assert_eq!(api("DELETE", &format!("/api/v1/integration/integrations/{id}/"), Some(&other.access), None).await.0, 404);
    // A new password is sealed afresh; stale versions conflict.
    let (status, body) = api("PATCH", &format!("/api/v1/integration/integrations/{id}/"), tok, Some(json!({"application_password": "zzzz yyyy xxxx wwww", "version": 1}))).await;
    assert_eq!((status, body["data"]["application_password"].as_str()), (200, Some("••••wwww")), "{body}");
    let (status, _) = api("PATCH", &format!("/api/v1/integration/integrations/{id}/"), tok, Some(json!({"default_status": "publish", "version": 1}))).await;
    assert_eq!(status, 409);
    // Delete frees the site's slot.
    let (status, body) = api("DELETE", &format!("/api/v1/integration/integrations/{id}/"), tok, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(api("GET", &format!("/api/v1/integration/integrations/{id}/"), tok, None).await.0, 404);
    let (status, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    assert_eq!(status, 201, "{body}");
    // Deleting the site removes its integration (and the webhook endpoint stops knowing it).
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/?confirm=true"), tok, None).await;
    assert!(status == 200 || status == 202, "{body}");
    assert_eq!(api("GET", &format!("/api/v1/integration/integrations/{id}/"), tok, None).await.0, 404);
    let (_, body) = api("GET", "/api/v1/integration/integrations/", tok, None).await;
    assert_eq!(body["data"]["results"].as_array().unwrap().len(), 0, "{body}");
    let guard: Option<Value> = state.store.get(&igny8::store::keys::unique_global("WEBHOOK", &id)).await.unwrap();
    assert!(guard.is_none());
}

#[tokio::test]
async fn private_and_metadata_addresses_are_refused_unless_configured() {
    // A gateway with the production setting (the shared one allows 127.0.0.1 for the test WordPress).
    let base = igny8_e2e::gateway_with(|c| c.outbound_allow_private = false).await;
    let (t, site, _) = igny8_e2e::workspace("wp-ssrf").await;
    let client = igny8_e2e::http();
    for url in ["http://127.0.0.1:8080", "http://169.254.169.254/latest/meta-data", "http://localhost", "http://[::1]:80", "http://10.0.0.5", "http://[fd00:ec2::254]"] {
        let (status, body) = igny8_e2e::api_at(&client, &base, "POST", "/api/v1/integration/integrations/", Some(&t.access), Some(connect_body(&site, url, "abcd efgh ijkl mnop"))).await;
        assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("base_url")), "{url}: {body}");
    }
}

#[tokio::test]
async fn test_connection_passes_against_wordpress_and_explains_failures() {
    let wp = wordpress::shared();
    let (t, site, _) = igny8_e2e::workspace("wp-test").await;
    let tok = Some(t.access.as_str());
    let (status, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let test_url = format!("/api/v1/integration/integrations/{id}/test-connection/");
    // Sent: POST test-connection. Came back: every check ok.
    let started = std::time::Instant::now();
    let (status, body) = api("POST", &test_url, tok, None).await;
    eprintln!("test-connection against the real WordPress: {:?}", started.elapsed());
    assert_eq!(status, 200, "{body}");
    let report = &body["data"];
    assert_eq!(report["ok"], true, "{report}");
    let names: Vec<&str> = report["checks"].as_array().unwrap().iter().map(|c| c["check"].as_str().unwrap()).collect();
    assert_eq!(names, ["reachable", "rest_api", "application_passwords", "authenticated", "capabilities", "wordpress_version", "seo_plugin", "companion_plugin"]);
    assert!(check(report, "authenticated")["detail"].as_str().unwrap().contains("as admin"), "{report}");
    assert!(check(report, "wordpress_version")["detail"].as_str().unwrap().starts_with("WordPress 6."), "{report}");
    assert!(check(report, "seo_plugin")["detail"].as_str().unwrap().contains("_yoast_wpseo_metadesc"), "{report}");
    assert_eq!(
        (report["integration"]["rest_mode"].as_str(), report["integration"]["seo_plugin"].as_str(), report["integration"]["last_test_ok"].as_bool()),
        (Some("pretty"), Some("yoast"), Some(true))
    );
    // A wrong application password: a clear failing check, and the integration needs attention.
    let (status, _) = api("PATCH", &format!("/api/v1/integration/integrations/{id}/"), tok, Some(json!({"application_password": "AAAA BBBB CCCC DDDD EEEE FFFF"}))).await;
    assert_eq!(status, 200);
    let (_, body) = api("POST", &test_url, tok, None).await;
    let report = &body["data"];
    let auth = check(report, "authenticated");
    assert_eq!((report["ok"].as_bool(), auth["ok"].as_bool()), (Some(false), Some(false)), "{report}");
    eprintln!("wrong password: {auth}");
    assert!(auth["detail"].as_str().unwrap().contains("401"), "{auth}");
    assert!(auth["detail"].as_str().unwrap().contains("received the credentials and refused them"), "{auth}");
    let fix = auth["fix"].as_str().unwrap();
    assert!(fix.contains("create a new one") && !fix.contains("strips"), "{auth}");
    assert_eq!(report["integration"]["status"], "needs_attention", "{report}");
    // The right password again: the test passes and clears the flag.
    api("PATCH", &format!("/api/v1/integration/integrations/{id}/"), tok, Some(json!({"application_password": wp.application_password}))).await;
    let (_, body) = api("POST", &test_url, tok, None).await;
    assert_eq!((body["data"]["ok"].as_bool(), body["data"]["integration"]["status"].as_str()), (Some(true), Some("active")), "{body}");

    // The same WordPress behind a server that strips the Authorization header.
    let proxy = wordpress::strip_authorization_proxy(wp.port).await;
    let (status, body) = api("POST", "/api/v1/sites/", tok, Some(json!({"name": "Behind a proxy"}))).await;
    assert_eq!(status, 201, "{body}");
    let site2 = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site2, &proxy, &wp.application_password))).await;
    assert_eq!(status, 201, "{body}");
    let id2 = body["data"]["id"].as_str().unwrap().to_string();
    let (_, body) = api("POST", &format!("/api/v1/integration/integrations/{id2}/test-connection/"), tok, None).await;
    let report = &body["data"];
    let auth = check(report, "authenticated");
    eprintln!("stripped header: {auth}");
    assert_eq!((check(report, "reachable")["ok"].as_bool(), check(report, "rest_api")["ok"].as_bool(), auth["ok"].as_bool()), (Some(true), Some(true), Some(false)), "{report}");
    let fix = auth["fix"].as_str().unwrap();
    assert!(fix.contains("strips the Authorization header") && fix.contains(".htaccess"), "{fix}");
    assert!(auth["detail"].as_str().unwrap().contains("never reached WordPress"), "{auth}");

    // The sync log: newest first, one entry per test.
    let (status, body) = api("GET", &format!("/api/v1/integration/integrations/{id}/logs/?limit=2"), tok, None).await;
    assert_eq!(status, 200, "{body}");
    let logs = body["data"]["results"].as_array().unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!((logs[0]["action"].as_str(), logs[0]["status"].as_str()), (Some("test"), Some("ok")), "{body}");
    assert!(logs[0]["created_at"].as_str() >= logs[1]["created_at"].as_str());
    assert_eq!(logs[1]["status"], "error", "the wrong-password test: {body}");
    assert!(logs[1]["error"].as_str().unwrap().contains("authenticated"), "{body}");
    let cursor = body["data"]["next_cursor"].as_str().expect("a next page").to_string();
    let (_, body) = api("GET", &format!("/api/v1/integration/integrations/{id}/logs/?limit=2&cursor={cursor}"), tok, None).await;
    let older = body["data"]["results"].as_array().unwrap();
    assert_eq!((older.len(), older[0]["status"].as_str()), (1, Some("ok")), "the first test: {body}");
}

/// Runs the publish worker over the publish queue until the job is final: the job.
async fn work_publish_job(token: &str, job_id: &str) -> Value {
    let e = igny8_e2e::env();
    let state = e.state().await;
    for _ in 0..60 {
        xtask::worker::poll_once(&state, igny8_publish_worker::registry(), &e.resources.publish_queue_url, std::time::Duration::from_secs(1)).await.unwrap();
        let (status, body) = api("GET", &format!("/api/v1/jobs/{job_id}/"), Some(token), None).await;
        assert_eq!(status, 200, "{body}");
        if matches!(body["data"]["status"].as_str(), Some("completed" | "failed")) {
            return body["data"].clone();
        }
    }
    panic!("publish job {job_id} did not finish");
}

/// A post as WordPress has it (edit context).
async fn wp_post(id: u64) -> Value {
    let wp = wordpress::shared();
    igny8_e2e::http()
        .get(wp.url(&format!("/wp-json/wp/v2/posts/{id}?context=edit")))
        .basic_auth(&wp.username, Some(&wp.application_password))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Posts of a slug in any status.
async fn wp_posts_with_slug(slug: &str) -> Vec<Value> {
    let wp = wordpress::shared();
    let v: Value = igny8_e2e::http()
        .get(wp.url(&format!("/wp-json/wp/v2/posts?slug={slug}&status=any&context=edit")))
        .basic_auth(&wp.username, Some(&wp.application_password))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn publish_creates_the_post_republish_updates_it_and_refused_credentials_stop_publishing() {
    let wp = wordpress::shared();
    let (t, site, _) = igny8_e2e::workspace("wp-pub").await;
    let tok = Some(t.access.as_str());
    let (status, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let (_, body) = api("POST", &format!("/api/v1/integration/integrations/{id}/test-connection/"), tok, None).await;
    assert_eq!(body["data"]["ok"], true, "{body}");
    let slug = format!("trail-shoes-{}", igny8::ids::new_id().to_lowercase());
    let (status, body) = api(
        "POST",
        "/api/v1/writer/content/",
        tok,
        Some(json!({"site_id": site, "title": "Trail shoes that last", "slug": slug, "body_html": "<h2>Why</h2><p>Grip matters on wet rock.</p>",
            "excerpt": "Grip first.", "meta_title": "Trail shoes that last (tested)", "meta_description": "Ten pairs, 500 km each.", "focus_keyword": "trail shoes"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let content_id = body["data"]["id"].as_str().unwrap().to_string();
    let publish_url = format!("/api/v1/integration/integrations/{id}/publish/");
    // Two images of the content in S3 (as the image job leaves them): the featured one and the "Why" section's.
    let state = igny8_e2e::env().state().await;
    let tenant = igny8::store::keys::Tenant::from_verified(&t.account_id);
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
        .unwrap();
    let mut image_ids = Vec::new();
    for (position, kind, heading, alt) in [(0, "featured", None, "Trail shoes on wet rock"), (1, "section", Some("Why"), "A muddy outsole")] {
        let image_id = igny8::ids::new_id();
        let rest = igny8::writer::images::object_rest(&site, &image_id, "png");
        let s3_key = igny8::blobs::put(&state, &tenant, &rest, png.clone(), "image/png").await.unwrap();
        let image: igny8::writer::images::Image = serde_json::from_value(json!({
            "id": image_id, "account_id": t.account_id, "site_id": site, "content_id": content_id, "kind": kind, "position": position,
            "section_heading": heading, "prompt": "p", "alt_text": alt, "provider": "offline", "model": "m", "width": 1, "height": 1, "cost": 0.0,
            "content_type": "image/png", "bytes": png.len(), "s3_key": s3_key, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "version": 1
        }))
        .unwrap();
        state.store.put(&image).await.unwrap();
        image_ids.push(image_id);
    }

    // Sent: publish as a draft with a category and tags by name. Came back: 202 and a job.
    let started = std::time::Instant::now();
    let (status, body) = api("POST", &publish_url, tok, Some(json!({"content_id": content_id, "status": "draft", "categories": ["Guides"], "tags": ["running", "Trail Shoes"]}))).await;
    assert_eq!(status, 202, "{body}");
    let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
    eprintln!("publish (job through the worker, real WordPress): {:?}", started.elapsed());
    assert_eq!(job["status"], "completed", "{job}");
    let post_id = job["result"]["post_id"].as_u64().unwrap();
    // WordPress has the post: draft, title, excerpt, category and tags by name, Yoast meta, our content id.
    let post = wp_post(post_id).await;
    assert_eq!((post["status"].as_str(), post["title"]["raw"].as_str(), post["slug"].as_str()), (Some("draft"), Some("Trail shoes that last"), Some(slug.as_str())), "{post}");
    assert!(post["content"]["raw"].as_str().unwrap().contains("Grip matters on wet rock."));
    assert_eq!(post["meta"]["igny8_content_id"], content_id);
    assert_eq!(post["meta"]["_yoast_wpseo_title"], "Trail shoes that last (tested)");
    assert_eq!(post["meta"]["_yoast_wpseo_metadesc"], "Ten pairs, 500 km each.");
    assert_eq!(post["meta"]["_yoast_wpseo_focuskw"], "trail shoes");
    let cats: Value = igny8_e2e::http().get(wp.url("/wp-json/wp/v2/categories?search=Guides")).send().await.unwrap().json().await.unwrap();
    assert_eq!(post["categories"], json!([cats[0]["id"]]), "{post} {cats}");
    assert_eq!(post["tags"].as_array().unwrap().len(), 2, "{post}");
    // The content records the post.
    // The featured image became the post's featured media (alt text kept), the section image follows its heading.
    let media_id = post["featured_media"].as_u64().unwrap();
    assert!(media_id > 0, "{post}");
    let media: Value = igny8_e2e::http().get(wp.url(&format!("/wp-json/wp/v2/media/{media_id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(media["alt_text"], "Trail shoes on wet rock", "{media}");
    let raw = post["content"]["raw"].as_str().unwrap();
    let after_heading = raw.split("<h2>Why</h2>").nth(1).unwrap_or_default();
    assert!(after_heading.starts_with("<figure") && after_heading.contains("alt=\"A muddy outsole\"") && after_heading.contains("/wp-content/uploads/"), "{raw}");
    let (_, body) = api("GET", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, None).await;
    let c = &body["data"];
    assert_eq!((c["publication"]["external_id"].as_u64(), c["publication"]["wp_status"].as_str(), c["status"].as_str()), (Some(post_id), Some("draft"), Some("draft")), "{c}");

    // Edit, then republish as published: the same post is updated.
    let (status, body) = api(
        "PATCH",
        &format!("/api/v1/writer/content/{content_id}/?site_id={site}"),
        tok,
        Some(json!({"title": "Trail shoes that last, retested", "body_html": "<p>Retested after a winter.</p>", "version": c["version"]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = api("POST", &publish_url, tok, Some(json!({"content_id": content_id, "status": "publish", "categories": ["guides"]}))).await;
    assert_eq!(status, 202, "{body}");
    let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
    assert_eq!((job["status"].as_str(), job["result"]["post_id"].as_u64()), (Some("completed"), Some(post_id)), "{job}");
    let post = wp_post(post_id).await;
    assert_eq!((post["status"].as_str(), post["title"]["raw"].as_str()), (Some("publish"), Some("Trail shoes that last, retested")), "{post}");
    assert_eq!(post["categories"], json!([cats[0]["id"]]), "the existing category, found by name case-insensitively");
    let (_, body) = api("GET", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, None).await;
    assert_eq!((body["data"]["status"].as_str(), body["data"]["publication"]["external_url"].as_str().is_some_and(|u| u.starts_with(&wp.base_url))), (Some("published"), true), "{body}");
    // The article is visible in WordPress: its page renders (the packaged default theme).
    let page = igny8_e2e::http().get(body["data"]["publication"]["external_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("Trail shoes that last, retested"));

    // A crash between "post created" and "id recorded": the record is gone,
    // the redelivered publish finds the post by its igny8_content_id meta.
    let mut stored = igny8::writer::content::get_content(&state, &tenant, &site, &content_id).await.unwrap();
    stored.publication = None;
    state.store.update_versioned(&mut stored).await.unwrap();
    let (status, body) = api("POST", &publish_url, tok, Some(json!({"content_id": content_id, "status": "publish"}))).await;
    assert_eq!(status, 202, "{body}");
    let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
    assert_eq!(job["result"]["post_id"].as_u64(), Some(post_id), "{job}");
    assert_eq!(wp_posts_with_slug(&slug).await.len(), 1, "still one post");

    // Bad input: 400, no job.
    for (body, field) in [(json!({"content_id": "nope"}), "content_id"), (json!({"content_id": content_id, "status": "scheduled"}), "status"), (json!({"content_id": content_id, "status": "future"}), "date"), (json!({"content_id": content_id, "tags": [""]}), "tags")] {
        let (status, resp) = api("POST", &publish_url, tok, Some(body.clone())).await;
        assert_eq!((status, resp["errors"][0]["field"].as_str()), (400, Some(field)), "{body}: {resp}");
    }
    let (_, viewer) = member(&t, "viewer").await;
    assert_eq!(api("POST", &publish_url, Some(&viewer), Some(json!({"content_id": content_id}))).await.0, 403, "viewers do not publish");

    // WordPress refuses the credentials (401): the job fails, the integration needs attention, publishing stops.
    api("PATCH", &format!("/api/v1/integration/integrations/{id}/"), tok, Some(json!({"application_password": "AAAA BBBB CCCC DDDD EEEE FFFF"}))).await;
    let (status, body) = api("POST", &publish_url, tok, Some(json!({"content_id": content_id}))).await;
    assert_eq!(status, 202, "{body}");
    let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["error"].as_str().unwrap().contains("401"), "{job}");
    let (_, body) = api("GET", &format!("/api/v1/integration/integrations/{id}/"), tok, None).await;
    assert_eq!(body["data"]["status"], "needs_attention", "{body}");
    let (status, body) = api("POST", &publish_url, tok, Some(json!({"content_id": content_id}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");

    // The sync log shows the publishes, newest first.
    let (_, body) = api("GET", &format!("/api/v1/integration/integrations/{id}/logs/"), tok, None).await;
    let actions: Vec<(&str, &str)> = body["data"]["results"].as_array().unwrap().iter().map(|l| (l["action"].as_str().unwrap(), l["status"].as_str().unwrap())).collect();
    // Each image was uploaded once (the republishes reused the media ids).
    assert_eq!(actions, [("update", "error"), ("publish", "ok"), ("update", "ok"), ("publish", "ok"), ("media", "ok"), ("media", "ok"), ("test", "ok")], "{body}");
    let logs = body["data"]["results"].as_array().unwrap();
    assert_eq!(logs[1]["wp_post_id"].as_u64(), Some(post_id));
}

#[tokio::test]
async fn a_busy_or_failing_wordpress_is_retried_honouring_retry_after() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    // A fake WordPress for what the real one cannot do on demand: 429 with
    // Retry-After, then 201; and a site whose every create is a 500.
    let busy = MockServer::start().await;
    Mock::given(method("GET")).and(path("/wp-json/wp/v2/categories")).respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": 5, "name": "News"}]))).mount(&busy).await;
    Mock::given(method("GET")).and(path("/wp-json/wp/v2/posts")).respond_with(ResponseTemplate::new(200).set_body_json(json!([]))).mount(&busy).await;
    Mock::given(method("POST"))
        .and(path("/wp-json/wp/v2/posts"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1").set_body_json(json!({"code": "too_many_requests"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&busy)
        .await;
    Mock::given(method("POST"))
        .and(path("/wp-json/wp/v2/posts"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 77, "link": "http://fake/p77", "status": "draft"})))
        .with_priority(2)
        .mount(&busy)
        .await;
    let (t, site, _) = igny8_e2e::workspace("wp-busy").await;
    let tok = Some(t.access.as_str());
    let (status, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &busy.uri(), "abcd efgh ijkl mnop qrst uvwx"))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let (_, body) = api("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "title": "Busy hosts", "body_html": "<p>Wait.</p>"}))).await;
    let content_id = body["data"]["id"].as_str().unwrap().to_string();
    // Sent: a publish. The fake answers the create 429 Retry-After: 1, then 201.
    let started = std::time::Instant::now();
    let (_, body) = api("POST", &format!("/api/v1/integration/integrations/{id}/publish/"), tok, Some(json!({"content_id": content_id}))).await;
    let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
    assert_eq!((job["status"].as_str(), job["result"]["post_id"].as_u64()), (Some("completed"), Some(77)), "{job}");
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "Retry-After was honoured");
    let creates = busy.received_requests().await.unwrap().iter().filter(|r| r.method.as_str() == "POST" && r.url.path() == "/wp-json/wp/v2/posts").count();
    assert_eq!(creates, 2, "one 429, one retry");

    // A WordPress that fails every create with 500: the job goes back to the
    // queue (retried later with backoff), its error recorded; never completed.
    let broken = MockServer::start().await;
    Mock::given(method("GET")).and(path("/wp-json/wp/v2/categories")).respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": 5, "name": "News"}]))).mount(&broken).await;
    Mock::given(method("GET")).and(path("/wp-json/wp/v2/posts")).respond_with(ResponseTemplate::new(200).set_body_json(json!([]))).mount(&broken).await;
    Mock::given(method("POST")).and(path("/wp-json/wp/v2/posts")).respond_with(ResponseTemplate::new(500).set_body_json(json!({"code": "internal_server_error"}))).mount(&broken).await;
    let (_, body) = api("PATCH", &format!("/api/v1/integration/integrations/{id}/"), tok, Some(json!({"base_url": broken.uri()}))).await;
    assert_eq!(body["data"]["base_url"], broken.uri().trim_end_matches('/'));
    let (_, body) = api("POST", &format!("/api/v1/integration/integrations/{id}/publish/"), tok, Some(json!({"content_id": content_id}))).await;
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    let e = igny8_e2e::env();
    let state = e.state().await;
    xtask::worker::poll_once(&state, igny8_publish_worker::registry(), &e.resources.publish_queue_url, std::time::Duration::from_secs(2)).await.unwrap();
    let (_, body) = api("GET", &format!("/api/v1/jobs/{job_id}/"), tok, None).await;
    assert_eq!(body["data"]["status"], "queued", "back on the queue for another try: {body}");
    assert!(body["data"]["error"].as_str().unwrap().contains("HTTP 500"), "{body}");
    // The recorded post (77, on the other host) is not there (404): a create
    // is tried three times in the delivery, with backoff.
    let posts = |p: &str| {
        let p = p.to_string();
        let broken = &broken;
        async move { broken.received_requests().await.unwrap().iter().filter(|r| r.method.as_str() == "POST" && r.url.path() == p).count() }
    };
    assert_eq!((posts("/wp-json/wp/v2/posts/77").await, posts("/wp-json/wp/v2/posts").await), (1, 3));
    let (_, body) = api("GET", &format!("/api/v1/integration/integrations/{id}/"), tok, None).await;
    assert_eq!(body["data"]["status"], "active", "a 5xx is not the credentials' fault");
}

#[tokio::test]
async fn an_edit_in_wordpress_arrives_by_signed_webhook_and_becomes_a_version() {
    let wp = wordpress::shared();
    let (t, site, _) = igny8_e2e::workspace("wp-hook").await;
    let tok = Some(t.access.as_str());
    // Created: the answer shows the webhook secret once.
    let (status, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let secret = body["data"]["webhook_secret"].as_str().expect("the secret, once").to_string();
    let hook_path = body["data"]["webhook_path"].as_str().unwrap().to_string();
    let (_, again) = api("GET", &format!("/api/v1/integration/integrations/{id}/"), tok, None).await;
    assert!(again["data"].get("webhook_secret").is_none() && !again.to_string().contains(&secret), "never shown again: {again}");
    api("POST", &format!("/api/v1/integration/integrations/{id}/test-connection/"), tok, None).await;
    let slug = format!("hooked-{}", igny8::ids::new_id().to_lowercase());
    let (_, body) = api("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "title": "Hooked", "slug": slug, "body_html": "<p>Our text.</p>"}))).await;
    let content_id = body["data"]["id"].as_str().unwrap().to_string();
    let (_, body) = api("POST", &format!("/api/v1/integration/integrations/{id}/publish/"), tok, Some(json!({"content_id": content_id, "status": "publish"}))).await;
    let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
    let post_id = job["result"]["post_id"].as_u64().expect("published");

    // The plugin's settings: our endpoint and the secret.
    let endpoint = igny8_e2e::env().url(&hook_path);
    wp.php(&format!("update_option('igny8_connector_endpoint', '{endpoint}'); update_option('igny8_connector_secret', '{secret}');")).unwrap();
    // Someone edits the post in WordPress (a REST call of their own, not ours).
    let resp = igny8_e2e::http()
        .post(wp.url(&format!("/wp-json/wp/v2/posts/{post_id}")))
        .basic_auth(&wp.username, Some(&wp.application_password))
        .json(&json!({"title": "Hooked, edited in WordPress", "content": "<p>Their text.</p>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // The plugin's signed webhook arrived and queued a pull; the worker runs it.
    let e = igny8_e2e::env();
    let state = e.state().await;
    let mut content = Value::Null;
    for _ in 0..20 {
        xtask::worker::poll_once(&state, igny8_publish_worker::registry(), &e.resources.publish_queue_url, std::time::Duration::from_secs(1)).await.unwrap();
        let (_, body) = api("GET", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, None).await;
        content = body["data"].clone();
        if content["title"] == "Hooked, edited in WordPress" {
            break;
        }
    }
    assert_eq!(content["title"], "Hooked, edited in WordPress", "{content}");
    assert!(content["body_html"].as_str().unwrap().contains("Their text."), "{content}");
    let (_, versions) = api("GET", &format!("/api/v1/writer/content/{content_id}/versions/?site_id={site}"), tok, None).await;
    assert!(versions["data"]["results"].as_array().unwrap().iter().any(|v| v["source"] == "wordpress"), "{versions}");
    let (_, logs) = api("GET", &format!("/api/v1/integration/integrations/{id}/logs/?limit=5"), tok, None).await;
    let actions: Vec<&str> = logs["data"]["results"].as_array().unwrap().iter().map(|l| l["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"webhook") && actions.contains(&"pull"), "{logs}");

    // Deliveries over HTTP: a bad signature or a stale timestamp is a 401; a repeat is acknowledged once.
    let body = json!({"event": "post.updated", "post_id": post_id}).to_string();
    let send = |ts: i64, delivery: &str, sig: String| {
        let (body, url, delivery) = (body.clone(), endpoint.clone(), delivery.to_string());
        async move {
            igny8_e2e::envelope(
                igny8_e2e::http()
                    .post(url)
                    .header("content-type", "application/json")
                    .header("x-igny8-timestamp", ts.to_string())
                    .header("x-igny8-delivery", delivery)
                    .header("x-igny8-signature", sig)
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let now = igny8::ids::now_epoch();
    let (status, resp) = send(now, "d-1", "sha256=00".into()).await;
    assert_eq!((status, resp["error_code"].as_str()), (401, Some("UNAUTHORIZED")), "{resp}");
    let old = now - 600;
    let (status, _) = send(old, "d-2", igny8::integration::webhook::sign(&secret, &old.to_string(), body.as_bytes())).await;
    assert_eq!(status, 401, "outside the 5-minute window");
    let sig = igny8::integration::webhook::sign(&secret, &now.to_string(), body.as_bytes());
    let (status, first) = send(now, "d-3", sig.clone()).await;
    assert_eq!((status, first["data"]["duplicate"].as_bool()), (202, Some(false)), "{first}");
    let (status, second) = send(now, "d-3", sig).await;
    assert_eq!((status, second["data"]["duplicate"].as_bool(), second["data"]["job_id"].is_null()), (202, Some(true), true), "{second}");
    // That delivery's pull finds nothing new in WordPress, so it writes
    // nothing: the version the editor holds stays valid for a save.
    let pulled = work_publish_job(&t.access, first["data"]["job_id"].as_str().expect("a pull job")).await;
    assert_eq!((pulled["status"].as_str(), pulled["result"]["outcome"].as_str()), (Some("completed"), Some("unchanged")), "{pulled}");
    let (_, after) = api("GET", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, None).await;
    assert_eq!(after["data"]["version"], content["version"], "a pull with nothing new left the item as it was: {after}");

    // A local edit not yet published, then another edit in WordPress: both kept, the item flagged.
    let (_, body) = api("PATCH", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, Some(json!({"body_html": "<p>Our newer text.</p>", "version": content["version"]}))).await;
    assert_eq!(body["data"]["body_html"], "<p>Our newer text.</p>", "{body}");
    igny8_e2e::http()
        .post(wp.url(&format!("/wp-json/wp/v2/posts/{post_id}")))
        .basic_auth(&wp.username, Some(&wp.application_password))
        .json(&json!({"content": "<p>Their second text.</p>"}))
        .send()
        .await
        .unwrap();
    let mut c = Value::Null;
    for _ in 0..20 {
        xtask::worker::poll_once(&state, igny8_publish_worker::registry(), &e.resources.publish_queue_url, std::time::Duration::from_secs(1)).await.unwrap();
        let (_, body) = api("GET", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, None).await;
        c = body["data"].clone();
        if c["publication"]["conflict_version"].is_u64() {
            break;
        }
    }
    assert_eq!(c["body_html"], "<p>Our newer text.</p>", "the local edit stays current: {c}");
    let n = c["publication"]["conflict_version"].as_u64().expect("flagged");
    let (_, v) = api("GET", &format!("/api/v1/writer/content/{content_id}/versions/{n}/?site_id={site}"), tok, None).await;
    assert!(v["data"]["body_html"].as_str().unwrap_or_default().contains("Their second text."), "{v}");
    wp.php("update_option('igny8_connector_endpoint', ''); update_option('igny8_connector_secret', '');").unwrap();
}

#[test]
fn the_companion_plugin_lints_clean() {
    xtask::wordpress::ensure_packages().expect("php");
    let dir = xtask::wordpress::companion_plugin_dir();
    let mut linted = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "php") {
            let out = std::process::Command::new("php").arg("-l").arg(&path).output().unwrap();
            assert!(out.status.success(), "php -l {}: {}", path.display(), String::from_utf8_lossy(&out.stdout));
            linted += 1;
        }
    }
    assert!(linted >= 1, "no PHP in {}", dir.display());
}

#[tokio::test]
async fn sync_pulls_posts_edited_in_wordpress_since_the_last_sync() {
    let wp = wordpress::shared();
    let (t, site, _) = igny8_e2e::workspace("wp-sync").await;
    let tok = Some(t.access.as_str());
    let (_, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let slug = format!("synced-{}", igny8::ids::new_id().to_lowercase());
    let (_, body) = api("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "title": "Synced", "slug": slug, "body_html": "<p>Ours.</p>"}))).await;
    let content_id = body["data"]["id"].as_str().unwrap().to_string();
    let (_, body) = api("POST", &format!("/api/v1/integration/integrations/{id}/publish/"), tok, Some(json!({"content_id": content_id, "status": "publish"}))).await;
    let post_id = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await["result"]["post_id"].as_u64().unwrap();
    // First sync: everything so far; our post is unchanged.
    let (status, body) = api("POST", &format!("/api/v1/integration/integrations/{id}/sync/"), tok, None).await;
    assert_eq!(status, 202, "{body}");
    let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
    assert_eq!((job["status"].as_str(), job["result"]["outcomes"][post_id.to_string()].as_str()), (Some("completed"), Some("unchanged")), "{job}");
    // An edit in WordPress, then a sync: a new version from WordPress.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // modified_after has 1-second resolution
    igny8_e2e::http()
        .post(wp.url(&format!("/wp-json/wp/v2/posts/{post_id}")))
        .basic_auth(&wp.username, Some(&wp.application_password))
        .json(&json!({"title": "Synced, edited in WordPress"}))
        .send()
        .await
        .unwrap();
    let (_, body) = api("POST", &format!("/api/v1/integration/integrations/{id}/sync/"), tok, None).await;
    let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
    assert_eq!(job["result"]["outcomes"][post_id.to_string()], "updated", "{job}");
    let (_, body) = api("GET", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, None).await;
    assert_eq!(body["data"]["title"], "Synced, edited in WordPress", "{body}");
    let (_, body) = api("GET", &format!("/api/v1/integration/integrations/{id}/"), tok, None).await;
    assert!(body["data"]["last_synced_at"].is_string(), "{body}");
}

#[tokio::test]
async fn an_automation_rule_publishes_through_the_sites_wordpress() {
    let wp = wordpress::shared();
    let (t, site, _) = igny8_e2e::workspace("wp-rule").await;
    let tok = Some(t.access.as_str());
    let slug = format!("rule-published-{}", igny8::ids::new_id().to_lowercase());
    let (status, body) = api("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "title": "Published by a rule", "slug": slug, "body_html": "<p>By automation.</p>"}))).await;
    assert_eq!(status, 201, "{body}");
    let content_id = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = api(
        "POST",
        "/api/v1/automation/rules/",
        tok,
        Some(json!({"name": "publish drafts", "site_id": site, "trigger": "manual",
                    "actions": [{"type": "publish", "params": {"content_ids": [content_id], "status": "draft"}}]})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let rule = body["data"]["id"].as_str().unwrap().to_string();
    let execute = format!("/api/v1/automation/rules/{rule}/execute/");

    // Sent: execute with no integration on the site. Came back: the publish action says so, nothing queued.
    let (status, body) = api("POST", &execute, tok, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["actions"][0]["status"], "no_integration", "{body}");
    assert_eq!(body["data"]["job_ids"], json!([]), "{body}");

    // Connected: the same rule queues a publish job on the integration, and the post appears in WordPress.
    let (status, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    assert_eq!(status, 201, "{body}");
    let (dry_status, dry) = api("POST", &format!("/api/v1/automation/rules/{rule}/dry-run/"), tok, None).await;
    assert_eq!((dry_status, dry["data"]["actions"][0]["status"].as_str()), (200, Some("would_enqueue")), "{dry}");
    let (status, body) = api("POST", &execute, tok, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["data"]["outcome"].as_str(), body["data"]["actions"][0]["status"].as_str()), (Some("enqueued"), Some("enqueued")), "{body}");
    let job_id = body["data"]["job_ids"][0].as_str().expect("one publish job").to_string();
    let job = work_publish_job(&t.access, &job_id).await;
    assert_eq!(job["status"], "completed", "{job}");
    let post = wp_post(job["result"]["post_id"].as_u64().unwrap()).await;
    assert_eq!((post["status"].as_str(), post["slug"].as_str()), (Some("draft"), Some(slug.as_str())), "{post}");
    assert_eq!(post["meta"]["igny8_content_id"], content_id);
}

/// The scheduled publishes of an integration, as the API lists them.
async fn scheduled_of(token: &str, integration: &str) -> Vec<Value> {
    let (status, body) = api("GET", &format!("/api/v1/integration/integrations/{integration}/scheduled/"), Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["results"].as_array().cloned().unwrap_or_default()
}

/// The fired schedules of these names.
fn fired_of(fired: Vec<xtask::scheduler::Fired>, names: &[&str]) -> Vec<String> {
    fired.into_iter().filter(|f| names.contains(&f.schedule_name.as_str())).map(|f| f.schedule_name).collect()
}

#[tokio::test]
async fn future_publishes_and_batches_fire_from_one_time_schedules_once_and_cancel() {
    use jiff::{Timestamp, ToSpan};
    let wp = wordpress::shared();
    let e = igny8_e2e::env();
    let state = e.state().await;
    let (t, site, _) = igny8_e2e::workspace("wp-sched").await;
    let tok = Some(t.access.as_str());
    // The site's time zone: validated, then India (UTC+05:30, no daylight saving).
    let (status, body) = api("PATCH", &format!("/api/v1/sites/{site}/"), tok, Some(json!({"timezone": "Mars/Olympus_Mons"}))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("timezone")), "{body}");
    let (status, body) = api("PATCH", &format!("/api/v1/sites/{site}/"), tok, Some(json!({"timezone": "Asia/Kolkata"}))).await;
    assert_eq!((status, body["data"]["timezone"].as_str()), (200, Some("Asia/Kolkata")), "{body}");
    let (status, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let mut items = Vec::new();
    for n in 0..4 {
        let slug = format!("scheduled-{n}-{}", igny8::ids::new_id().to_lowercase());
        let (status, body) = api("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "title": format!("Scheduled {n}"), "slug": slug, "body_html": "<p>On time.</p>"}))).await;
        assert_eq!(status, 201, "{body}");
        items.push((body["data"]["id"].as_str().unwrap().to_string(), slug));
    }
    let publish_url = format!("/api/v1/integration/integrations/{id}/publish/");
    let (_, viewer) = member(&t, "viewer").await;

    // Bad input: no date, a past date, a date on a plain publish, a viewer: 4xx, nothing scheduled.
    for (body, field) in [
        (json!({"content_id": items[0].0, "status": "future"}), "date"),
        (json!({"content_id": items[0].0, "status": "future", "date": "2020-01-01T09:00:00Z"}), "date"),
        (json!({"content_id": items[0].0, "status": "future", "date": "next tuesday"}), "date"),
        (json!({"content_id": items[0].0, "status": "publish", "date": "2099-01-01T09:00:00Z"}), "date"),
    ] {
        let (status, resp) = api("POST", &publish_url, tok, Some(body.clone())).await;
        assert_eq!((status, resp["error_code"].as_str(), resp["errors"][0]["field"].as_str()), (400, Some("VALIDATION_ERROR"), Some(field)), "sent {body}: {resp}");
    }
    let future = (Timestamp::now() + 48.hours()).as_second();
    let at = future - future.rem_euclid(60);
    let at_iso = Timestamp::from_second(at).unwrap().to_string();
    let (status, resp) = api("POST", &publish_url, Some(&viewer), Some(json!({"content_id": items[0].0, "status": "future", "date": at_iso}))).await;
    assert_eq!((status, resp["error_code"].as_str()), (403, Some("FORBIDDEN")), "{resp}");
    assert!(scheduled_of(&t.access, &id).await.is_empty());

    // Sent: a future publish two days ahead. Came back: a queued job; a one-time schedule at that UTC minute, targeting the publish queue.
    let (status, body) = api("POST", &publish_url, tok, Some(json!({"content_id": items[0].0, "status": "future", "date": at_iso}))).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["status"], "queued", "{body}");
    let listed = scheduled_of(&t.access, &id).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let s = &listed[0];
    let when = Timestamp::from_second(at).unwrap().to_zoned_datetime(jiff::tz::TimeZone::UTC);
    assert_eq!((s["status"].as_str(), s["job_id"].as_str(), s["content_id"].as_str()), (Some("scheduled"), Some(job_id.as_str()), Some(items[0].0.as_str())), "{s}");
    assert_eq!(s["expression"].as_str().unwrap(), format!("at({})", when.strftime("%Y-%m-%dT%H:%M:%S")), "{s}");
    let name = s["schedule_name"].as_str().unwrap().to_string();
    let sched = igny8::automation::schedule::get_named(&state, &name).await.unwrap().expect("the schedule exists in the emulator's Scheduler");
    assert_eq!(sched.target_arn, e.resources.publish_queue_arn);
    let input: Value = serde_json::from_str(&sched.input).unwrap();
    assert_eq!((input["job_id"].as_str(), input["content_id"].as_str(), input["integration_id"].as_str()), (Some(job_id.as_str()), Some(items[0].0.as_str()), Some(id.as_str())), "{input}");

    // A minute early: nothing fires; the job stays queued and no post exists.
    assert!(fired_of(xtask::scheduler::fire_due(&state, at - 60).await.unwrap(), &[&name]).is_empty());
    xtask::worker::poll_once(&state, igny8_publish_worker::registry(), &e.resources.publish_queue_url, std::time::Duration::from_millis(200)).await.unwrap();
    let (_, job) = api("GET", &format!("/api/v1/jobs/{job_id}/"), tok, None).await;
    assert_eq!(job["data"]["status"], "queued", "{job}");
    assert!(wp_posts_with_slug(&items[0].1).await.is_empty());
    // At the minute: it fires once, the schedule is deleted, and the post is published in WordPress.
    assert_eq!(fired_of(xtask::scheduler::fire_due(&state, at).await.unwrap(), &[&name]), [name.clone()]);
    assert!(igny8::automation::schedule::get_named(&state, &name).await.unwrap().is_none(), "deleted after firing");
    assert!(fired_of(xtask::scheduler::fire_due(&state, at + 60).await.unwrap(), &[&name]).is_empty(), "never fires twice");
    let job = work_publish_job(&t.access, &job_id).await;
    assert_eq!(job["status"], "completed", "{job}");
    let post_id = job["result"]["post_id"].as_u64().unwrap();
    let post = wp_post(post_id).await;
    assert_eq!((post["status"].as_str(), post["slug"].as_str()), (Some("publish"), Some(items[0].1.as_str())), "{post}");
    // A double firing (Scheduler delivers at least once): the same message again publishes nothing more.
    e.state().await.sqs.send_message().queue_url(&e.resources.publish_queue_url).message_body(sched.input.clone()).send().await.unwrap();
    xtask::worker::poll_once(&state, igny8_publish_worker::registry(), &e.resources.publish_queue_url, std::time::Duration::from_secs(1)).await.unwrap();
    assert_eq!(wp_posts_with_slug(&items[0].1).await.len(), 1, "one post");
    let listed = scheduled_of(&t.access, &id).await;
    assert_eq!((listed[0]["status"].as_str(), listed[0]["wp_post_id"].as_u64()), (Some("published"), Some(post_id)), "{listed:?}");
    // The publish raised content_published on the automation events queue (for event rules).
    let mut event = None;
    for _ in 0..10 {
        let out = state.sqs.receive_message().queue_url(&e.resources.automation_events_queue_url).max_number_of_messages(10).wait_time_seconds(1).send().await.unwrap();
        event = out.messages().iter().filter_map(|m| serde_json::from_str::<Value>(m.body()?).ok()).find(|v| v["type"] == "content_published" && v["produced"][0] == items[0].0.as_str());
        if event.is_some() {
            break;
        }
    }
    let event = event.expect("a content_published event");
    assert_eq!((event["account_id"].as_str(), event["site_id"].as_str(), event["job_id"].as_str()), (Some(t.account_id.as_str()), Some(site.as_str()), Some(job_id.as_str())), "{event}");

    // A batch of 3, every 2 hours from 09:00 local (the site's zone) three days ahead.
    let day = (Timestamp::now() + 72.hours()).to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Kolkata").unwrap()).date();
    let start = format!("{day}T09:00");
    let batch_url = format!("/api/v1/integration/integrations/{id}/publish-batch/");
    let ids: Vec<&str> = items[1..].iter().map(|(c, _)| c.as_str()).collect();
    for (body, field) in [
        (json!({"content_ids": ids, "start": start}), "every_minutes"),
        (json!({"content_ids": ids, "start": start, "interval": "P1M"}), "interval"),
        (json!({"content_ids": ids, "start": start, "every_minutes": 120, "timezone": "Nowhere/City"}), "timezone"),
        (json!({"content_ids": ids, "start": "2020-01-01T09:00", "every_minutes": 120}), "start"),
        (json!({"content_ids": [ids[0], ids[0]], "start": start, "every_minutes": 120}), "content_ids[1]"),
        (json!({"content_ids": [], "start": start, "every_minutes": 120}), "content_ids"),
    ] {
        let (status, resp) = api("POST", &batch_url, tok, Some(body.clone())).await;
        assert_eq!((status, resp["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "sent {body}: {resp}");
        assert!(resp["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "sent {body}, wanted {field}: {resp}");
    }
    assert_eq!(scheduled_of(&t.access, &id).await.len(), 1, "nothing scheduled by refused batches");
    let (status, body) = api("POST", &batch_url, tok, Some(json!({"content_ids": ids, "start": start, "interval": "PT2H"}))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["timezone"], "Asia/Kolkata", "{body}");
    let batch = body["data"]["scheduled"].as_array().unwrap().clone();
    // 09:00, 11:00, 13:00 in Kolkata are 03:30, 05:30, 07:30 UTC.
    let got: Vec<&str> = batch.iter().map(|s| s["publish_at"].as_str().unwrap()).collect();
    assert_eq!(got, [format!("{day}T03:30:00Z"), format!("{day}T05:30:00Z"), format!("{day}T07:30:00Z")], "{body}");
    assert_eq!(batch[0]["local_time"].as_str().unwrap(), format!("{day}T09:00:00+05:30"));
    let names: Vec<String> = batch.iter().map(|s| s["schedule_name"].as_str().unwrap().to_string()).collect();
    for (s, n) in batch.iter().zip(&names) {
        let sched = igny8::automation::schedule::get_named(&state, n).await.unwrap().expect("schedule exists");
        assert_eq!((sched.expression.as_str(), sched.timezone.as_str()), (s["expression"].as_str().unwrap(), "UTC"));
    }

    // Cancel the middle one: its schedule is gone, its job cancelled; viewers may not cancel.
    let middle = batch[1]["id"].as_str().unwrap();
    let cancel_url = format!("/api/v1/integration/integrations/{id}/scheduled/{middle}/");
    assert_eq!(api("DELETE", &cancel_url, Some(&viewer), None).await.0, 403);
    let (status, body) = api("DELETE", &cancel_url, tok, None).await;
    assert_eq!((status, body["data"]["status"].as_str()), (200, Some("cancelled")), "{body}");
    assert!(body["data"]["cancelled_by"].is_string(), "{body}");
    assert!(igny8::automation::schedule::get_named(&state, &names[1]).await.unwrap().is_none());
    let (_, job) = api("GET", &format!("/api/v1/jobs/{}/", batch[1]["job_id"].as_str().unwrap()), tok, None).await;
    assert_eq!(job["data"]["status"], "cancelled", "{job}");
    let (status, body) = api("DELETE", &cancel_url, tok, None).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    // Firing at the last minute: the first and the last publish; the cancelled one does nothing.
    let last = batch[2]["publish_at"].as_str().unwrap().parse::<Timestamp>().unwrap().as_second();
    let mut fired = fired_of(xtask::scheduler::fire_due(&state, last).await.unwrap(), &names.iter().map(String::as_str).collect::<Vec<_>>());
    fired.sort();
    let mut want = vec![names[0].clone(), names[2].clone()];
    want.sort();
    assert_eq!(fired, want);
    for k in [0, 2] {
        let job = work_publish_job(&t.access, batch[k]["job_id"].as_str().unwrap()).await;
        assert_eq!(job["status"], "completed", "{job}");
        assert_eq!(wp_posts_with_slug(&items[k + 1].1).await.len(), 1);
    }
    assert!(wp_posts_with_slug(&items[2].1).await.is_empty(), "the cancelled item was not published");
    let statuses: Vec<(String, String)> =
        scheduled_of(&t.access, &id).await.iter().map(|s| (s["content_id"].as_str().unwrap().to_string(), s["status"].as_str().unwrap().to_string())).collect();
    for (k, want) in [(1, "published"), (2, "cancelled"), (3, "published")] {
        assert!(statuses.contains(&(items[k].0.clone(), want.to_string())), "{k} {want}: {statuses:?}");
    }

    // Disconnecting the integration cancels what is still scheduled on it:
    // sent a future publish of the cancelled item, then DELETE the
    // integration; came back: its job cancelled, its schedule gone, the
    // record cancelled, and nothing fires at its minute.
    let (status, body) = api("POST", &publish_url, tok, Some(json!({"content_id": items[2].0, "status": "future", "date": at_iso}))).await;
    assert_eq!(status, 202, "{body}");
    let pending_job = body["data"]["id"].as_str().unwrap().to_string();
    let pending = scheduled_of(&t.access, &id).await.into_iter().find(|s| s["job_id"] == pending_job.as_str()).expect("listed");
    let pending_name = pending["schedule_name"].as_str().unwrap().to_string();
    let (status, body) = api("DELETE", &format!("/api/v1/integration/integrations/{id}/"), tok, None).await;
    assert!((200..300).contains(&status), "{status} {body}");
    assert!(igny8::automation::schedule::get_named(&state, &pending_name).await.unwrap().is_none(), "the schedule is deleted with the integration");
    let (_, job) = api("GET", &format!("/api/v1/jobs/{pending_job}/"), tok, None).await;
    assert_eq!(job["data"]["status"], "cancelled", "{job}");
    let tenant = igny8::store::keys::Tenant::from_verified(&t.account_id);
    let record: igny8::integration::scheduled::ScheduledPublish =
        state.store.get(&igny8::store::keys::scheduled_publish(&tenant, &id, pending["id"].as_str().unwrap())).await.unwrap().expect("the record stays, cancelled");
    assert_eq!((record.status.as_str(), record.cancelled_by.as_deref()), ("cancelled", Some(t.user_id.as_str())), "{record:?}");
    assert!(fired_of(xtask::scheduler::fire_due(&state, at).await.unwrap(), &[&pending_name]).is_empty());
}

/// Sends an authenticated request to the test WordPress: its JSON answer.
async fn wp_call(method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let wp = wordpress::shared();
    let mut req = igny8_e2e::http().request(method, wp.url(path)).basic_auth(&wp.username, Some(&wp.application_password));
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap().json().await.unwrap_or(Value::Null)
}

#[tokio::test]
async fn term_ids_are_cached_per_integration_and_a_stale_one_is_looked_up_again() {
    let wp = wordpress::shared();
    let state = igny8_e2e::env().state().await;
    let (t, site, _) = igny8_e2e::workspace("wp-terms").await;
    let tok = Some(t.access.as_str());
    let (_, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let unique = igny8::ids::new_id().to_lowercase();
    let (category, tag) = (format!("Cached {unique}"), format!("cached-tag-{unique}"));
    let (_, body) = api("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "title": "Cached terms", "slug": format!("cached-{unique}"), "body_html": "<p>x</p>"}))).await;
    let content_id = body["data"]["id"].as_str().unwrap().to_string();
    let publish = json!({"content_id": content_id, "status": "draft", "categories": [category], "tags": [tag]});
    let (_, body) = api("POST", &format!("/api/v1/integration/integrations/{id}/publish/"), tok, Some(publish.clone())).await;
    let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "completed", "{job}");
    let post_id = job["result"]["post_id"].as_u64().unwrap();
    let first = wp_post(post_id).await["categories"][0].as_u64().unwrap();
    // The ids are cached per integration and name.
    let tenant = igny8::store::keys::Tenant::from_verified(&t.account_id);
    let cached = |tax: &'static str, name: String| {
        let state = state.clone();
        let (tenant, site, id) = (tenant.clone(), site.clone(), id.clone());
        async move { state.store.get::<igny8::integration::publish::WpTerm>(&igny8::store::keys::wp_term(&tenant, &site, &id, tax, &name)).await.unwrap().map(|t| t.term_id) }
    };
    assert_eq!(cached("categories", category.clone()).await, Some(first));
    assert_eq!(cached("tags", tag.to_uppercase()).await, wp_post(post_id).await["tags"][0].as_u64(), "names are case-insensitive");
    // The category is deleted in WordPress: the cached id is stale.
    let deleted = wp_call(reqwest::Method::DELETE, &format!("/wp-json/wp/v2/categories/{first}?force=true"), None).await;
    assert_eq!(deleted["deleted"], true, "{deleted}");
    // Republish: WordPress drops the unknown id; the name is looked up again (created anew), the post saved again.
    let (_, body) = api("POST", &format!("/api/v1/integration/integrations/{id}/publish/"), tok, Some(publish)).await;
    let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "completed", "{job}");
    let post = wp_post(post_id).await;
    let second = post["categories"][0].as_u64().unwrap();
    assert_ne!(second, first, "{post}");
    let term = wp_call(reqwest::Method::GET, &format!("/wp-json/wp/v2/categories/{second}"), None).await;
    assert_eq!(term["name"].as_str(), Some(category.as_str()), "{term}");
    assert_eq!(cached("categories", category.clone()).await, Some(second), "the cache holds the new id");
}

#[tokio::test]
async fn sync_records_deleted_and_trashed_posts_imports_terms_and_runs_daily() {
    let wp = wordpress::shared();
    let state = igny8_e2e::env().state().await;
    let (t, site, _) = igny8_e2e::workspace("wp-fullsync").await;
    let tok = Some(t.access.as_str());
    let (_, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    let id = body["data"]["id"].as_str().unwrap().to_string();
    // The daily sync schedule was created with the integration: the runner, once a day at 03:mm UTC.
    let name = igny8::integration::webhook::daily_sync_schedule_name(&t.account_id, &id);
    let sched = igny8::automation::schedule::get_named(&state, &name).await.unwrap().expect("a daily sync schedule");
    assert_eq!(sched.expression, igny8::integration::webhook::daily_sync_expression(&id));
    let input: Value = serde_json::from_str(&sched.input).unwrap();
    assert_eq!((input["account_id"].as_str(), input["integration_id"].as_str()), (Some(t.account_id.as_str()), Some(id.as_str())), "{input}");
    // Two published posts.
    let mut posts = Vec::new();
    for n in 0..2 {
        let (_, body) = api("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "title": format!("Doomed {n}"), "slug": format!("doomed-{n}-{}", igny8::ids::new_id().to_lowercase()), "body_html": "<p>x</p>"}))).await;
        let content_id = body["data"]["id"].as_str().unwrap().to_string();
        let (_, body) = api("POST", &format!("/api/v1/integration/integrations/{id}/publish/"), tok, Some(json!({"content_id": content_id, "status": "publish"}))).await;
        let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
        posts.push((content_id, job["result"]["post_id"].as_u64().unwrap()));
    }
    // In WordPress: the first deleted for good, the second trashed, a new category.
    assert_eq!(wp_call(reqwest::Method::DELETE, &format!("/wp-json/wp/v2/posts/{}?force=true", posts[0].1), None).await["deleted"], true);
    assert_eq!(wp_call(reqwest::Method::DELETE, &format!("/wp-json/wp/v2/posts/{}", posts[1].1), None).await["status"], "trash");
    let category = format!("Imported {}", igny8::ids::new_id().to_lowercase());
    wp_call(reqwest::Method::POST, "/wp-json/wp/v2/categories", Some(json!({"name": category}))).await;

    // The local scheduler fires the daily schedule at its minute: one sync job, once per minute.
    let minute: i64 = sched.expression.trim_start_matches("cron(").split(' ').next().unwrap().parse().unwrap();
    let now = igny8::ids::now_epoch();
    let due = now - now.rem_euclid(86_400) + 86_400 + 3 * 3600 + minute * 60;
    assert!(xtask::scheduler::fire_due_among(&state, due - 60, Some(&[name.as_str()])).await.unwrap().is_empty(), "not due a minute early");
    assert_eq!(xtask::scheduler::fire_due_among(&state, due, Some(&[name.as_str()])).await.unwrap().len(), 1);
    assert_eq!(xtask::scheduler::fire_due_among(&state, due + 10, Some(&[name.as_str()])).await.unwrap().len(), 1, "the schedule stays (daily)");
    let (_, body) = api("GET", "/api/v1/jobs/", tok, None).await;
    let syncs: Vec<Value> = body["data"]["results"].as_array().unwrap().iter().filter(|j| j["kind"] == "wordpress_sync").cloned().collect();
    assert_eq!(syncs.len(), 1, "the same minute fired twice queues one sync: {body}");
    let job = work_publish_job(&t.access, syncs[0]["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "completed", "{job}");
    let outcomes = &job["result"]["outcomes"];
    assert_eq!((outcomes[posts[0].1.to_string()].as_str(), outcomes[posts[1].1.to_string()].as_str()), (Some("deleted"), Some("trashed")), "{job}");
    // Our content is kept and marked.
    for ((content_id, _), want) in posts.iter().zip(["deleted", "trash"]) {
        let (status, body) = api("GET", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, None).await;
        assert_eq!((status, body["data"]["publication"]["wp_status"].as_str()), (200, Some(want)), "{body}");
    }
    let (_, body) = api("GET", &format!("/api/v1/integration/integrations/{id}/logs/"), tok, None).await;
    let logged = body["data"]["results"].as_array().unwrap().iter().filter(|l| l["detail"].as_str().is_some_and(|d| d.contains("in WordPress; the content is kept"))).count();
    assert_eq!(logged, 2, "{body}");
    // Categories and tags imported, listed per integration.
    let (status, body) = api("GET", &format!("/api/v1/integration/integrations/{id}/terms/?taxonomy=categories&limit=100"), tok, None).await;
    assert_eq!(status, 200, "{body}");
    let mut names: Vec<String> = body["data"]["results"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
    let mut cursor = body["data"]["next_cursor"].as_str().map(str::to_string);
    while let Some(c) = cursor {
        let (_, body) = api("GET", &format!("/api/v1/integration/integrations/{id}/terms/?taxonomy=categories&limit=100&cursor={c}"), tok, None).await;
        names.extend(body["data"]["results"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()));
        cursor = body["data"]["next_cursor"].as_str().map(str::to_string);
    }
    assert!(names.contains(&category) && names.contains(&"Uncategorized".to_string()), "{names:?}");
    let (status, body) = api("GET", &format!("/api/v1/integration/integrations/{id}/terms/?taxonomy=pages"), tok, None).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("taxonomy")), "{body}");
    // A second sync finds nothing new to mark.
    let (_, body) = api("POST", &format!("/api/v1/integration/integrations/{id}/sync/"), tok, None).await;
    let job = work_publish_job(&t.access, body["data"]["id"].as_str().unwrap()).await;
    assert_eq!(job["result"]["deleted"], 0, "{job}");
    // Deleting the integration removes its daily schedule.
    let (status, _) = api("DELETE", &format!("/api/v1/integration/integrations/{id}/"), tok, None).await;
    assert_eq!(status, 200);
    assert!(igny8::automation::schedule::get_named(&state, &name).await.unwrap().is_none());
}

#[tokio::test]
async fn the_pipelines_publish_stage_spreads_approved_content_through_scheduled_publishes() {
    let wp = wordpress::shared();
    let e = igny8_e2e::env();
    let state = e.state().await;
    let (t, site, _) = igny8_e2e::workspace("wp-pipeline").await;
    let tok = Some(t.access.as_str());
    let mut items = Vec::new();
    for n in 0..2 {
        let slug = format!("pipeline-{n}-{}", igny8::ids::new_id().to_lowercase());
        let (status, body) = api("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "title": format!("Pipeline {n}"), "slug": slug, "body_html": "<p>Approved.</p>", "status": "approved"}))).await;
        assert_eq!(status, 201, "{body}");
        items.push((body["data"]["id"].as_str().unwrap().to_string(), slug));
    }
    let off = json!({"enabled": false});
    let (status, body) = api(
        "POST",
        "/api/v1/automation/pipelines/",
        tok,
        Some(json!({"site_id": site, "enabled": true, "stages": {"cluster": off, "ideas": off, "tasks": off, "content": off, "image_prompts": off, "images": off,
                    "review": {"mode": "manual"}, "publish": {"enabled": true, "spread_minutes": 90}}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let stage = |run: &Value| run["data"]["results"].as_array().unwrap().iter().find(|s| s["stage"] == "publish").unwrap()["status"].as_str().unwrap().to_string();
    // No integration yet: the stage says so.
    let (_, run) = api("POST", "/api/v1/automation/pipelines/run/", tok, Some(json!({"site_id": site}))).await;
    assert_eq!(stage(&run), "no_integration", "{run}");
    let (_, body) = api("POST", "/api/v1/integration/integrations/", tok, Some(connect_body(&site, &wp.base_url, &wp.application_password))).await;
    let id = body["data"]["id"].as_str().unwrap().to_string();
    // Connected: the approved items become scheduled publishes 90 minutes apart, from the next minute.
    let before = igny8::ids::now_epoch();
    let (_, run) = api("POST", "/api/v1/automation/pipelines/run/", tok, Some(json!({"site_id": site}))).await;
    assert_eq!(stage(&run), "enqueued", "{run}");
    let mut listed = scheduled_of(&t.access, &id).await;
    listed.sort_by_key(|s| s["publish_at"].as_str().unwrap().to_string());
    assert_eq!(listed.len(), 2, "{listed:?}");
    let at: Vec<i64> = listed.iter().map(|s| s["publish_at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_second()).collect();
    assert_eq!(at[1] - at[0], 90 * 60, "{listed:?}");
    assert!(at[0] > before && at[0] <= before + 120, "the first at the next minute: {listed:?}");
    // While they wait, the stage is in progress.
    let (_, run) = api("POST", "/api/v1/automation/pipelines/run/", tok, Some(json!({"site_id": site}))).await;
    assert_eq!(stage(&run), "in_progress", "{run}");
    // Their minutes come: both publish.
    let names: Vec<String> = listed.iter().map(|s| s["schedule_name"].as_str().unwrap().to_string()).collect();
    let fired = xtask::scheduler::fire_due_among(&state, at[1], Some(names.iter().map(String::as_str).collect::<Vec<_>>().as_slice())).await.unwrap();
    assert_eq!(fired.len(), 2);
    for s in &listed {
        let job = work_publish_job(&t.access, s["job_id"].as_str().unwrap()).await;
        assert_eq!(job["status"], "completed", "{job}");
    }
    for (content_id, slug) in &items {
        let posts = wp_posts_with_slug(slug).await;
        assert_eq!((posts.len(), posts[0]["status"].as_str()), (1, Some("publish")), "{posts:?}");
        let (_, body) = api("GET", &format!("/api/v1/writer/content/{content_id}/?site_id={site}"), tok, None).await;
        assert_eq!(body["data"]["status"], "published", "{body}");
    }
    let (_, run) = api("POST", "/api/v1/automation/pipelines/run/", tok, Some(json!({"site_id": site}))).await;
    assert_eq!(stage(&run), "nothing_to_do", "{run}");
}
