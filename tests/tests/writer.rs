//! Writer over HTTP: content CRUD and filters, versions (edit makes one,
//! restore makes one, diff), stale edits, hostile HTML, bad input, roles and
//! tenant isolation.

use igny8_e2e::{api, member};
use serde_json::{Value, json};

async fn create(token: &str, body: Value) -> Value {
    let (status, resp) = api("POST", "/api/v1/writer/content/", Some(token), Some(body)).await;
    assert_eq!(status, 201, "{resp}");
    resp["data"].clone()
}

#[tokio::test]
async fn content_crud_filters_and_slugs() {
    let (t, site, sector) = igny8_e2e::workspace("wr-crud").await;
    let tok = Some(t.access.as_str());
    let c = create(
        &t.access,
        json!({
            "site_id": site, "sector_id": sector, "title": "Best Running Shoes (2025)",
            "body_html": "<h2>Why</h2><p>Running shoes matter a lot.</p>",
            "focus_keyword": "running shoes", "secondary_keywords": ["trail shoes", "Trail  Shoes", "racing flats"],
            "meta_title": "Best running shoes", "meta_description": "<b>Our</b> picks.", "excerpt": "Picks."
        }),
    )
    .await;
    assert_eq!(c["slug"], "best-running-shoes-2025");
    assert_eq!(
        (c["status"].as_str(), c["word_count"].as_u64(), c["current_version"].as_u64(), c["version"].as_u64()),
        (Some("draft"), Some(6), Some(1), Some(1)),
        "{c}"
    );
    assert_eq!(c["secondary_keywords"], json!(["trail shoes", "racing flats"]), "duplicates by normalised form dropped");
    assert_eq!(c["meta_description"], "Our picks.", "markup reduced to text");
    assert_eq!(c["sector_id"].as_str(), Some(sector.as_str()));
    // The same title again: the slug gets a suffix; an explicit taken slug is a 409.
    let c2 = create(&t.access, json!({"site_id": site, "title": "Best running shoes 2025", "status": "review"})).await;
    assert_eq!(c2["slug"], "best-running-shoes-2025-2");
    let (status, body) =
        api("POST", "/api/v1/writer/content/", tok, Some(json!({"site_id": site, "title": "Other", "slug": "best-running-shoes-2025"}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    create(&t.access, json!({"site_id": site, "title": "How to lace", "slug": "lacing", "status": "approved"})).await;
    let id = c["id"].as_str().unwrap().to_string();
    // Filters and pagination.
    let list = |q: String| {
        let tok = t.access.clone();
        async move {
            let (status, body) = api("GET", &format!("/api/v1/writer/content/?{q}"), Some(&tok), None).await;
            assert_eq!(status, 200, "{q}: {body}");
            assert!(body["data"]["results"][0].get("body_html").is_none(), "lists carry no bodies: {body}");
            body["data"].clone()
        }
    };
    let titles = |d: &Value| -> Vec<String> {
        let mut v: Vec<String> = d["results"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(titles(&list(format!("site_id={site}")).await).len(), 3);
    assert_eq!(titles(&list(format!("site_id={site}&status=review")).await), ["Best running shoes 2025"]);
    assert_eq!(titles(&list(format!("site_id={site}&search=RUNNING%20shoes")).await).len(), 2);
    assert_eq!(titles(&list(format!("site_id={site}&sector_id={sector}")).await), ["Best Running Shoes (2025)"]);
    let page = list(format!("site_id={site}&limit=2")).await;
    assert_eq!(page["results"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().expect("a second page").to_string();
    let rest = list(format!("site_id={site}&limit=2&cursor={cursor}")).await;
    assert_eq!(rest["results"].as_array().unwrap().len(), 1);
    for (q, field) in [("status=gone", "status"), ("task_id=nope", "task_id"), ("ordering=title", "ordering"), ("limit=0", "limit")] {
        let (status, body) = api("GET", &format!("/api/v1/writer/content/?site_id={site}&{q}"), tok, None).await;
        assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some(field)), "{q}: {body}");
    }
    // Metadata-only edit: version bumps, no new content version.
    let (status, body) =
        api("PATCH", &format!("/api/v1/writer/content/{id}/?site_id={site}"), tok, Some(json!({"status": "review", "version": 1}))).await;
    assert_eq!((status, body["data"]["version"].as_u64(), body["data"]["current_version"].as_u64()), (200, Some(2), Some(1)), "{body}");
    // Slug change frees the old slug.
    let (status, body) =
        api("PATCH", &format!("/api/v1/writer/content/{id}/?site_id={site}"), tok, Some(json!({"slug": "lacing", "version": 2}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "taken slug: {body}");
    let (status, body) =
        api("PATCH", &format!("/api/v1/writer/content/{id}/?site_id={site}"), tok, Some(json!({"slug": "running-shoes", "version": 2}))).await;
    assert_eq!((status, body["data"]["slug"].as_str()), (200, Some("running-shoes")), "{body}");
    let again = create(&t.access, json!({"site_id": site, "title": "Reuse", "slug": "best-running-shoes-2025"})).await;
    assert_eq!(again["slug"], "best-running-shoes-2025");
    // Delete removes the content, its versions and its slug.
    let (status, body) = api("DELETE", &format!("/api/v1/writer/content/{id}/?site_id={site}"), tok, None).await;
    assert_eq!((status, body["data"]["versions_deleted"].as_u64()), (200, Some(1)), "{body}");
    assert_eq!(api("GET", &format!("/api/v1/writer/content/{id}/?site_id={site}"), tok, None).await.0, 404);
    assert_eq!(api("GET", &format!("/api/v1/writer/content/{id}/versions/1/?site_id={site}"), tok, None).await.0, 404);
    let state = igny8_e2e::env().state().await;
    let tenant = igny8::store::keys::Tenant::from_verified(&t.account_id);
    let left: Option<Value> = state.store.get(&igny8::writer::versions::version_key(&tenant, &site, &id, 1)).await.unwrap();
    assert!(left.is_none(), "versions deleted");
    create(&t.access, json!({"site_id": site, "title": "Reuse 2", "slug": "running-shoes"})).await;
}

#[tokio::test]
async fn edits_make_versions_restore_and_diff_and_stale_edits_conflict() {
    let (t, site, _) = igny8_e2e::workspace("wr-versions").await;
    let tok = Some(t.access.as_str());
    let c = create(&t.access, json!({"site_id": site, "title": "Draft", "body_html": "<h2>One</h2><p>First body.</p>", "note": "imported"})).await;
    let id = c["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/writer/content/{id}/?site_id={site}");
    // Edit the body: version 2.
    let (status, body) = api(
        "PATCH",
        &url,
        tok,
        Some(json!({"body_html": "<h2>One</h2><p>Second body, longer.</p><p>Added.</p>", "version": 1, "note": "tightened"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["data"]["current_version"].as_u64(), body["data"]["version"].as_u64(), body["data"]["word_count"].as_u64()),
        (Some(2), Some(2), Some(5))
    );
    // Stale: the client still holds version 1 → 409, nothing written.
    let (status, body) = api("PATCH", &url, tok, Some(json!({"body_html": "<p>lost?</p>", "version": 1}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    // No version given → 400 naming it.
    let (status, body) = api("PATCH", &url, tok, Some(json!({"body_html": "<p>x</p>"}))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("version")), "{body}");
    // A title edit with an identical body: version 3.
    let (status, body) = api("PATCH", &url, tok, Some(json!({"title": "Final title", "version": 2}))).await;
    assert_eq!((status, body["data"]["current_version"].as_u64()), (200, Some(3)), "{body}");
    let (_, got) = api("GET", &url, tok, None).await;
    assert_eq!(got["data"]["body_html"], "<h2>One</h2><p>Second body, longer.</p><p>Added.</p>");
    // List: newest first by default.
    let (status, body) = api("GET", &format!("/api/v1/writer/content/{id}/versions/?site_id={site}"), tok, None).await;
    assert_eq!(status, 200, "{body}");
    let list: Vec<(u64, String)> = body["data"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["number"].as_u64().unwrap(), v["source"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(list, [(3, "edit".to_string()), (2, "edit".into()), (1, "create".into())]);
    assert_eq!(body["data"]["results"][1]["note"], "tightened");
    let (_, body) = api("GET", &format!("/api/v1/writer/content/{id}/versions/?site_id={site}&ordering=number&limit=1"), tok, None).await;
    assert_eq!(body["data"]["results"][0]["number"], 1);
    assert!(body["data"]["next_cursor"].is_string());
    // Get one version.
    let (status, v1) = api("GET", &format!("/api/v1/writer/content/{id}/versions/1/?site_id={site}"), tok, None).await;
    assert_eq!(
        (status, v1["data"]["body_html"].as_str(), v1["data"]["title"].as_str()),
        (200, Some("<h2>One</h2><p>First body.</p>"), Some("Draft"))
    );
    for n in ["9", "0", "x"] {
        let (status, body) = api("GET", &format!("/api/v1/writer/content/{id}/versions/{n}/?site_id={site}"), tok, None).await;
        assert_eq!((status, body["error_code"].as_str()), (404, Some("NOT_FOUND")), "version {n}: {body}");
    }
    // Diff 1 → 3 (defaults: to = current, from = to - 1).
    let (status, d) = api("GET", &format!("/api/v1/writer/content/{id}/versions/diff/?site_id={site}&from=1&to=3"), tok, None).await;
    assert_eq!(status, 200, "{d}");
    let d = &d["data"];
    assert_eq!((d["from"]["number"].as_u64(), d["to"]["number"].as_u64(), d["title_changed"].as_bool()), (Some(1), Some(3), Some(true)));
    assert_eq!(
        (d["stats"]["lines_added"].as_u64(), d["stats"]["lines_removed"].as_u64(), d["stats"]["lines_unchanged"].as_u64()),
        (Some(2), Some(1), Some(1)),
        "{d}"
    );
    assert!(d["unified"].as_str().unwrap().contains("+<p>Added.</p>"), "{d}");
    let (_, d) = api("GET", &format!("/api/v1/writer/content/{id}/versions/diff/?site_id={site}&mode=text"), tok, None).await;
    assert_eq!(
        (d["data"]["from"]["number"].as_u64(), d["data"]["to"]["number"].as_u64(), d["data"]["mode"].as_str()),
        (Some(2), Some(3), Some("text"))
    );
    assert_eq!(d["data"]["stats"]["lines_added"], 0, "2 → 3 changed only the title");
    for q in ["from=0", "to=4", "from=x", "mode=pdf"] {
        let (status, body) = api("GET", &format!("/api/v1/writer/content/{id}/versions/diff/?site_id={site}&{q}"), tok, None).await;
        assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{q}: {body}");
    }
    // Restore version 1: a new version 4 with version 1's title and body.
    let (status, body) =
        api("POST", &format!("/api/v1/writer/content/{id}/versions/1/restore/?site_id={site}"), tok, Some(json!({"version": 3}))).await;
    assert_eq!(status, 200, "{body}");
    let r = &body["data"];
    assert_eq!(
        (r["current_version"].as_u64(), r["title"].as_str(), r["body_html"].as_str()),
        (Some(4), Some("Draft"), Some("<h2>One</h2><p>First body.</p>"))
    );
    let (_, v4) = api("GET", &format!("/api/v1/writer/content/{id}/versions/4/?site_id={site}"), tok, None).await;
    assert_eq!((v4["data"]["source"].as_str(), v4["data"]["note"].as_str()), (Some("restore"), Some("restored from version 1")));
    // A restore on a stale version is a 409; without a body it just restores.
    let (status, body) =
        api("POST", &format!("/api/v1/writer/content/{id}/versions/2/restore/?site_id={site}"), tok, Some(json!({"version": 3}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    let (status, body) = api("POST", &format!("/api/v1/writer/content/{id}/versions/2/restore/?site_id={site}"), tok, None).await;
    assert_eq!((status, body["data"]["current_version"].as_u64()), (200, Some(5)), "{body}");
    let (status, _) = api("POST", &format!("/api/v1/writer/content/{id}/versions/77/restore/?site_id={site}"), tok, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn hostile_html_is_sanitised_and_never_stored_raw() {
    let (t, site, _) = igny8_e2e::workspace("wr-hostile").await;
    let tok = Some(t.access.as_str());
    let hostile = r#"<h2 onclick="steal()">Title</h2><p>Hi<script>alert(1)</script></p><img src=x onerror=alert(1)><a href="javascript:alert(1)">click</a><iframe src="https://evil.example"></iframe><p>unclosed <b>bold"#;
    let c = create(&t.access, json!({"site_id": site, "title": "<script>x</script>Safe", "body_html": "<p>fine</p>"})).await;
    assert_eq!(c["title"], "Safe", "titles are plain text");
    let id = c["id"].as_str().unwrap().to_string();
    let (status, body) =
        api("PATCH", &format!("/api/v1/writer/content/{id}/?site_id={site}"), tok, Some(json!({"body_html": hostile, "version": 1}))).await;
    assert_eq!(status, 200, "{body}");
    // Read back the stored item itself, the current one and the version.
    let state = igny8_e2e::env().state().await;
    let tenant = igny8::store::keys::Tenant::from_verified(&t.account_id);
    let stored: Value = state.store.get(&igny8::writer::content::content_key(&tenant, &site, &id)).await.unwrap().unwrap();
    let version: Value = state.store.get(&igny8::writer::versions::version_key(&tenant, &site, &id, 2)).await.unwrap().unwrap();
    for html in [body["data"]["body_html"].as_str().unwrap(), stored["body_html"].as_str().unwrap(), version["body_html"].as_str().unwrap()] {
        for bad in ["<script", "alert", "onerror", "onclick", "javascript:", "iframe", "evil"] {
            assert!(!html.contains(bad), "{bad} in stored body {html}");
        }
        assert!(html.contains(r#"<img src="x">"#) && html.contains("<a>click</a>"), "{html}");
        assert!(html.ends_with("<p>unclosed <b>bold</b></p>"), "unclosed tags closed: {html}");
        assert!(igny8::writer::html::markup_problems(html).is_empty(), "{html}");
    }
    assert_eq!(body["data"]["word_count"].as_u64(), Some(5), "Title Hi click unclosed bold");
    // Creating with hostile HTML is sanitised as well.
    let c = create(&t.access, json!({"site_id": site, "title": "Two", "body_html": hostile})).await;
    assert!(!c["body_html"].as_str().unwrap().contains("alert"), "{c}");
}

#[tokio::test]
async fn bad_input_is_a_4xx_and_writes_nothing() {
    let (t, site, _) = igny8_e2e::workspace("wr-bad").await;
    let tok = Some(t.access.as_str());
    let c = create(&t.access, json!({"site_id": site, "title": "Valid", "body_html": "<p>one</p>"})).await;
    let id = c["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/writer/content/{id}/?site_id={site}");
    let big = "<p>".to_string() + &"word ".repeat(50_000) + "</p>";
    for (method, path, body, field) in [
        ("POST", "/api/v1/writer/content/".to_string(), json!({"site_id": site}), "title"),
        ("POST", "/api/v1/writer/content/".to_string(), json!({"site_id": site, "title": "  "}), "title"),
        ("POST", "/api/v1/writer/content/".to_string(), json!({"site_id": site, "title": "x", "meta_title": "m".repeat(61)}), "meta_title"),
        (
            "POST",
            "/api/v1/writer/content/".to_string(),
            json!({"site_id": site, "title": "x", "meta_description": "d".repeat(161)}),
            "meta_description",
        ),
        ("POST", "/api/v1/writer/content/".to_string(), json!({"site_id": site, "title": "x", "slug": "Not A Slug"}), "slug"),
        ("POST", "/api/v1/writer/content/".to_string(), json!({"site_id": site, "title": "x", "status": "live"}), "body"),
        ("POST", "/api/v1/writer/content/".to_string(), json!({"site_id": site, "title": "x", "language": "english!"}), "language"),
        ("POST", "/api/v1/writer/content/".to_string(), json!({"site_id": site, "title": "x", "task_id": "t1"}), "task_id"),
        ("POST", "/api/v1/writer/content/".to_string(), json!({"site_id": site, "title": "x", "cluster_id": igny8::ids::new_id()}), "cluster_id"),
        ("POST", "/api/v1/writer/content/".to_string(), json!({"site_id": site, "title": "x", "provider": "me"}), "provider"),
        ("POST", "/api/v1/writer/content/".to_string(), json!({"title": "x"}), "site_id"),
        ("POST", "/api/v1/writer/content/".to_string(), json!({"site_id": site, "title": "x", "body_html": big}), "body_html"),
        ("PATCH", url.clone(), json!({"title": "ok", "meta_title": "m".repeat(61), "version": 1}), "meta_title"),
        ("PATCH", url.clone(), json!({"body_html": big, "version": 1}), "body_html"),
        ("PATCH", url.clone(), json!({"title": "", "version": 1}), "title"),
        ("PATCH", url.clone(), json!({"sector_id": igny8::ids::new_id(), "version": 1}), "sector_id"),
        ("PATCH", url.clone(), json!({"version": "one"}), "body"),
    ] {
        let (status, resp) = api(method, &path, tok, Some(body.clone())).await;
        assert_eq!((status, resp["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{method} {path} {field}: {resp}");
        assert!(resp["errors"].as_array().is_some_and(|e| e.iter().any(|e| e["field"] == field)), "{field}: {resp}");
    }
    // Nothing changed: one item (plus the first), untouched, one version.
    let (_, got) = api("GET", &url, tok, None).await;
    assert_eq!(
        (got["data"]["title"].as_str(), got["data"]["version"].as_u64(), got["data"]["current_version"].as_u64()),
        (Some("Valid"), Some(1), Some(1)),
        "{got}"
    );
    let (_, list) = api("GET", &format!("/api/v1/writer/content/?site_id={site}"), tok, None).await;
    assert_eq!(list["data"]["results"].as_array().unwrap().len(), 1, "{list}");
    // Malformed JSON and a wrong content type.
    let resp = igny8_e2e::http()
        .patch(igny8_e2e::env().url(&url))
        .bearer_auth(&t.access)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = igny8_e2e::envelope(resp).await;
    assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");
    let resp = igny8_e2e::http().post(igny8_e2e::env().url("/api/v1/writer/content/")).bearer_auth(&t.access).body("title=x").send().await.unwrap();
    let (status, _) = igny8_e2e::envelope(resp).await;
    assert_eq!(status, 415);
    // Junk ids are a 404.
    let (status, body) = api("GET", &format!("/api/v1/writer/content/not-an-id/?site_id={site}"), tok, None).await;
    assert_eq!((status, body["error_code"].as_str()), (404, Some("NOT_FOUND")), "{body}");
}

#[tokio::test]
async fn writer_roles_and_tenant_isolation() {
    let (a, site, sector) = igny8_e2e::workspace("wr-tenant-a").await;
    let c = create(&a.access, json!({"site_id": site, "sector_id": sector, "title": "Secret plan", "body_html": "<p>secret</p>"})).await;
    let id = c["id"].as_str().unwrap().to_string();
    // Make a second version for diff/restore rows.
    let (status, _) = api(
        "PATCH",
        &format!("/api/v1/writer/content/{id}/?site_id={site}"),
        Some(&a.access),
        Some(json!({"body_html": "<p>secret two</p>", "version": 1})),
    )
    .await;
    assert_eq!(status, 200);
    let reads = [
        format!("/api/v1/writer/content/?site_id={site}"),
        format!("/api/v1/writer/content/{id}/?site_id={site}"),
        format!("/api/v1/writer/content/{id}/versions/?site_id={site}"),
        format!("/api/v1/writer/content/{id}/versions/1/?site_id={site}"),
        format!("/api/v1/writer/content/{id}/versions/diff/?site_id={site}&from=1&to=2"),
    ];
    let writes: Vec<(&str, String, Option<Value>)> = vec![
        ("POST", "/api/v1/writer/content/".to_string(), Some(json!({"site_id": site, "sector_id": sector, "title": "intruder"}))),
        ("PATCH", format!("/api/v1/writer/content/{id}/?site_id={site}"), Some(json!({"title": "owned", "version": 2}))),
        ("POST", format!("/api/v1/writer/content/{id}/versions/1/restore/?site_id={site}"), Some(json!({"version": 2}))),
        ("DELETE", format!("/api/v1/writer/content/{id}/?site_id={site}"), None),
    ];
    // Viewer reads everything, writes nothing.
    let (_, viewer) = member(&a, "viewer").await;
    for path in &reads {
        let (status, body) = api("GET", path, Some(&viewer), None).await;
        assert_eq!(status, 200, "viewer GET {path}: {body}");
    }
    for (method, path, body) in &writes {
        let (status, resp) = api(method, path, Some(&viewer), body.clone()).await;
        assert_eq!((status, resp["error_code"].as_str()), (403, Some("FORBIDDEN")), "viewer {method} {path}: {resp}");
    }
    // An editor may write.
    let (_, editor) = member(&a, "editor").await;
    let (status, body) =
        api("PATCH", &format!("/api/v1/writer/content/{id}/?site_id={site}"), Some(&editor), Some(json!({"status": "review", "version": 2}))).await;
    assert_eq!(status, 200, "{body}");
    // Another tenant with A's ids: 404 everywhere, reads and writes.
    let (b, b_site, _) = igny8_e2e::workspace("wr-tenant-b").await;
    for path in &reads {
        let (status, resp) = api("GET", path, Some(&b.access), None).await;
        assert_eq!((status, resp["error_code"].as_str()), (404, Some("NOT_FOUND")), "B GET {path}: {resp}");
    }
    for (method, path, body) in &writes {
        let (status, resp) = api(method, path, Some(&b.access), body.clone()).await;
        assert_eq!((status, resp["error_code"].as_str()), (404, Some("NOT_FOUND")), "B {method} {path}: {resp}");
    }
    // A's content id under B's own site: still 404.
    for path in [format!("/api/v1/writer/content/{id}/?site_id={b_site}"), format!("/api/v1/writer/content/{id}/versions/?site_id={b_site}")] {
        let (status, resp) = api("GET", &path, Some(&b.access), None).await;
        assert_eq!((status, resp["error_code"].as_str()), (404, Some("NOT_FOUND")), "B GET {path}: {resp}");
    }
    // No token: 401.
    assert_eq!(api("GET", &reads[0], None, None).await.0, 401);
    let (_, got) = api("GET", &format!("/api/v1/writer/content/{id}/?site_id={site}"), Some(&a.access), None).await;
    assert_eq!(
        (got["data"]["title"].as_str(), got["data"]["version"].as_u64(), got["data"]["current_version"].as_u64()),
        (Some("Secret plan"), Some(3), Some(2)),
        "A's content untouched by B: {got}"
    );
}

#[tokio::test]
async fn concurrent_edits_of_one_version_keep_exactly_one() {
    let (t, site, _) = igny8_e2e::workspace("wr-race").await;
    let c = create(&t.access, json!({"site_id": site, "title": "Race", "body_html": "<p>start</p>"})).await;
    let id = c["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/writer/content/{id}/?site_id={site}");
    let edits = (0..4).map(|i| {
        let (url, tok) = (url.clone(), t.access.clone());
        async move { api("PATCH", &url, Some(&tok), Some(json!({"body_html": format!("<p>edit {i}</p>"), "version": 1}))).await }
    });
    let results = futures::future::join_all(edits).await;
    let ok: Vec<&Value> = results.iter().filter(|(s, _)| *s == 200).map(|(_, b)| b).collect();
    assert_eq!(ok.len(), 1, "{results:?}");
    assert!(results.iter().all(|(s, b)| *s == 200 || (*s == 409 && b["error_code"] == "CONFLICT")), "{results:?}");
    // The stored body is the winner's, and it has exactly one version 2.
    let (_, got) = api("GET", &url, Some(&t.access), None).await;
    assert_eq!(got["data"]["body_html"], ok[0]["data"]["body_html"]);
    let (_, versions) = api("GET", &format!("/api/v1/writer/content/{id}/versions/?site_id={site}"), Some(&t.access), None).await;
    assert_eq!(versions["data"]["results"].as_array().unwrap().len(), 2, "{versions}");
}

#[tokio::test]
async fn the_generation_api_saves_bodies_as_versions_with_ai_metadata() {
    use igny8::writer::content::{self, AiMeta, ContentInput, Origin};
    use igny8::writer::versions::VersionSource;
    let (t, site, sector) = igny8_e2e::workspace("wr-gen").await;
    let state = igny8_e2e::env().state().await;
    let tenant = igny8::store::keys::Tenant::from_verified(&t.account_id);
    let job = igny8::ids::new_id();
    let id = igny8::ids::derived(&job, "content");
    let ai = AiMeta { provider: "offline".into(), model: "offline-1".into(), tokens: Default::default() };
    let input = || ContentInput {
        id: Some(id.clone()),
        title: Some("Generated running shoes".into()),
        body_html: Some("<h2>Running shoes</h2><p>Running shoes text.</p><script>x()</script>".into()),
        note: Some("instructions: friendly".into()),
        ai: Some(ai.clone()),
        ..Default::default()
    };
    let origin = Origin::new(VersionSource::Generate, format!("job:{job}"));
    let c = content::create_content(&state, &tenant, &site, Some(&sector), input(), origin.clone()).await.unwrap();
    assert_eq!((c.provider.as_deref(), c.model.as_deref(), c.current_version), (Some("offline"), Some("offline-1"), 1));
    assert!(!c.body_html.contains("script"));
    // A redelivered job creating the same id: 409, nothing doubled.
    let again = content::create_content(&state, &tenant, &site, Some(&sector), input(), origin).await.unwrap_err();
    assert_eq!(again.code(), "CONFLICT");
    // Regenerate on the version read: version 2, source regenerate; the same call again is stale.
    let regen = ContentInput { body_html: Some("<h2>Running shoes</h2><p>New text.</p>".into()), ai: Some(ai), ..Default::default() };
    let origin = Origin::new(VersionSource::Regenerate, format!("job:{job}"));
    let c2 = content::save_body(&state, &tenant, &site, &id, Some(c.version), regen.clone(), origin.clone()).await.unwrap();
    assert_eq!((c2.current_version, c2.version), (2, 2));
    let stale = content::save_body(&state, &tenant, &site, &id, Some(c.version), regen, origin).await.unwrap_err();
    assert_eq!(stale.code(), "CONFLICT");
    let (_, v) = api("GET", &format!("/api/v1/writer/content/{id}/versions/?site_id={site}"), Some(&t.access), None).await;
    let got: Vec<(&str, Option<&str>)> =
        v["data"]["results"].as_array().unwrap().iter().map(|v| (v["source"].as_str().unwrap(), v["note"].as_str())).collect();
    assert_eq!(got, [("regenerate", None), ("generate", Some("instructions: friendly"))]);
    assert_eq!(v["data"]["results"][0]["created_by"], format!("job:{job}"));
}
