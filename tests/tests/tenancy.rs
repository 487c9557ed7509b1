//! Roles and tenant isolation: the role matrix, the cross-tenant matrix, site
//! deletion, the audit log.

use igny8_e2e::{PASSWORD, api, email, env, member, register};
use serde_json::{Value, json};

/// Account A with a site and a sector; returns (owner, site id, sector id).
async fn account_with_site(tag: &str) -> (igny8_e2e::Tenant, String, String) {
    let t = register(tag).await;
    let (status, body) = api("POST", "/api/v1/sites/", Some(&t.access), Some(json!({"name": "A site", "url": "https://a.example.com"}))).await;
    assert_eq!(status, 201, "{body}");
    let site = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = api("POST", &format!("/api/v1/sites/{site}/sectors/"), Some(&t.access), Some(json!({"name": "Sector"}))).await;
    assert_eq!(status, 201, "{body}");
    (t, site, body["data"]["id"].as_str().unwrap().to_string())
}

/// Every route of this issue that takes an id, with A's ids. Later modules add
/// their rows here: (method, path, body).
fn cross_tenant_routes(site: &str, sector: &str, user: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", format!("/api/v1/sites/{site}/"), None),
        ("PATCH", format!("/api/v1/sites/{site}/"), Some(json!({"name": "hijacked"}))),
        ("DELETE", format!("/api/v1/sites/{site}/?confirm=true"), None),
        ("GET", format!("/api/v1/sites/{site}/sectors/"), None),
        ("POST", format!("/api/v1/sites/{site}/sectors/"), Some(json!({"name": "intruder"}))),
        ("GET", format!("/api/v1/sites/{site}/sectors/{sector}/"), None),
        ("PATCH", format!("/api/v1/sites/{site}/sectors/{sector}/"), Some(json!({"name": "hijacked"}))),
        ("DELETE", format!("/api/v1/sites/{site}/sectors/{sector}/"), None),
        ("GET", format!("/api/v1/users/{user}/"), None),
        ("PATCH", format!("/api/v1/users/{user}/"), Some(json!({"role": "viewer"}))),
        ("DELETE", format!("/api/v1/users/{user}/"), None),
    ]
}

#[tokio::test]
async fn cross_tenant_matrix_every_foreign_id_is_a_404() {
    let (a, site, sector) = account_with_site("tenant-a").await;
    let b = register("tenant-b").await;
    for (method, path, body) in cross_tenant_routes(&site, &sector, &a.user_id) {
        let (status, resp) = api(method, &path, Some(&b.access), body.clone()).await;
        assert_eq!((status, resp["error_code"].as_str()), (404, Some("NOT_FOUND")), "B: {method} {path} {body:?} -> {resp}");
    }
    // B's lists show none of A's data.
    let (_, sites) = api("GET", "/api/v1/sites/", Some(&b.access), None).await;
    assert_eq!(sites["data"]["results"], json!([]));
    let (_, users) = api("GET", "/api/v1/users/", Some(&b.access), None).await;
    assert_eq!(users["data"]["results"].as_array().unwrap().len(), 1, "only B's owner: {users}");
    // And A's data is untouched.
    let (status, body) = api("GET", &format!("/api/v1/sites/{site}/"), Some(&a.access), None).await;
    assert_eq!((status, body["data"]["name"].as_str()), (200, Some("A site")));
    let (status, _) = api("GET", &format!("/api/v1/sites/{site}/sectors/{sector}/"), Some(&a.access), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn role_matrix() {
    let (owner, site, _) = account_with_site("roles").await;
    igny8_e2e::set_plan(&owner.account_id, "growth").await;
    let (viewer_id, viewer) = member(&owner, "viewer").await;
    let (editor_id, editor) = member(&owner, "editor").await;
    let (admin_id, admin) = member(&owner, "admin").await;
    let forbidden = |(status, body): (u16, Value), what: &str| {
        assert_eq!((status, body["error_code"].as_str()), (403, Some("FORBIDDEN")), "{what}: {body}");
    };
    // Everyone can read.
    for token in [&viewer, &editor, &admin] {
        assert_eq!(api("GET", &format!("/api/v1/sites/{site}/"), Some(token), None).await.0, 200);
    }
    // Viewer cannot write.
    forbidden(api("POST", "/api/v1/sites/", Some(&viewer), Some(json!({"name": "x"}))).await, "viewer creates a site");
    forbidden(api("PATCH", &format!("/api/v1/sites/{site}/"), Some(&viewer), Some(json!({"name": "x"}))).await, "viewer edits a site");
    // Editor cannot manage users.
    forbidden(
        api("POST", "/api/v1/users/", Some(&editor), Some(json!({"email": email("x"), "password": PASSWORD, "role": "viewer"}))).await,
        "editor adds a user",
    );
    forbidden(api("PATCH", &format!("/api/v1/users/{viewer_id}/"), Some(&editor), Some(json!({"role": "editor"}))).await, "editor changes a role");
    forbidden(api("GET", "/api/v1/audit-log/", Some(&editor), None).await, "editor reads the audit log");
    // Admin cannot make an owner (or an admin), nor touch the owner.
    forbidden(
        api("POST", "/api/v1/users/", Some(&admin), Some(json!({"email": email("x"), "password": PASSWORD, "role": "owner"}))).await,
        "admin adds an owner",
    );
    forbidden(api("PATCH", &format!("/api/v1/users/{editor_id}/"), Some(&admin), Some(json!({"role": "owner"}))).await, "admin promotes to owner");
    forbidden(api("PATCH", &format!("/api/v1/users/{editor_id}/"), Some(&admin), Some(json!({"role": "admin"}))).await, "admin promotes to admin");
    forbidden(api("DELETE", &format!("/api/v1/users/{}/", owner.user_id), Some(&admin), None).await, "admin removes the owner");
    forbidden(api("PATCH", "/api/v1/account/", Some(&admin), Some(json!({"name": "x"}))).await, "admin renames the account");
    // What admins may do: manage editors and viewers.
    let (status, body) = api("PATCH", &format!("/api/v1/users/{viewer_id}/"), Some(&admin), Some(json!({"role": "editor"}))).await;
    assert_eq!((status, body["data"]["role"].as_str()), (200, Some("editor")), "{body}");
    // A role change takes effect at once, with the token already issued.
    let (status, body) = api("PATCH", &format!("/api/v1/users/{admin_id}/"), Some(&owner.access), Some(json!({"role": "editor"}))).await;
    assert_eq!(status, 200, "{body}");
    forbidden(
        api("POST", "/api/v1/users/", Some(&admin), Some(json!({"email": email("x"), "password": PASSWORD, "role": "viewer"}))).await,
        "a demoted admin adds a user with their old token",
    );
    // The last owner can never be demoted, deactivated or removed...
    for (method, body) in [("PATCH", Some(json!({"role": "admin"}))), ("PATCH", Some(json!({"is_active": false}))), ("DELETE", None)] {
        let (status, resp) = api(method, &format!("/api/v1/users/{}/", owner.user_id), Some(&owner.access), body.clone()).await;
        assert_eq!((status, resp["error_code"].as_str()), (409, Some("CONFLICT")), "{method} {body:?}: {resp}");
    }
    // ... but with a second owner, the first may step down.
    let (status, body) = api("PATCH", &format!("/api/v1/users/{admin_id}/"), Some(&owner.access), Some(json!({"role": "owner"}))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = api("PATCH", &format!("/api/v1/users/{}/", owner.user_id), Some(&owner.access), Some(json!({"role": "admin"}))).await;
    assert_eq!((status, body["data"]["role"].as_str()), (200, Some("admin")), "{body}");
    // Removing a member: gone, and their email can be used again.
    let (status, body) = api("DELETE", &format!("/api/v1/users/{editor_id}/"), Some(&admin), None).await;
    assert_eq!(status, 200, "the new owner removes an editor: {body}");
    assert_eq!(api("GET", &format!("/api/v1/users/{editor_id}/"), Some(&admin), None).await.0, 404);
    assert_eq!(api("GET", "/api/v1/auth/me/", Some(&editor), None).await.0, 401, "a removed user's token is dead");
}

#[tokio::test]
async fn deleting_a_site_with_data_needs_confirmation_and_leaves_no_orphans() {
    let (t, site, sector) = account_with_site("delsite").await;
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/"), Some(&t.access), None).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("confirm=true"), "{body}");
    assert_eq!(api("GET", &format!("/api/v1/sites/{site}/sectors/{sector}/"), Some(&t.access), None).await.0, 200, "nothing deleted");
    // With data (here a sector) the delete is a job (202); the worker runs it.
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/?confirm=true"), Some(&t.access), None).await;
    assert_eq!((status, body["data"]["kind"].as_str()), (202, Some("delete_site")), "{body}");
    let job = body["data"]["id"].as_str().unwrap().to_string();
    let state = env().state().await;
    let done = igny8_e2e::ai_support::deliver_by_id(&state, igny8_ai_worker::registry(), &t.account_id, &job, 1).await;
    assert_eq!(done.result.as_ref().map(|r| r["items_removed"].clone()), Some(json!(2)), "the sector and the site: {done:?}");
    assert_eq!(api("GET", &format!("/api/v1/sites/{site}/"), Some(&t.access), None).await.0, 404);
    // No orphans: the site's partition is empty.
    let tenant = igny8::store::keys::Tenant::from_verified(&t.account_id);
    let q = igny8::store::Query::new(&tenant, igny8::store::keys::Index::Table, tenant.site_pk(&site));
    assert!(state.store.query_all::<Value>(&q, 100).await.unwrap().is_empty());
    // An empty site needs no confirmation.
    let (_, body) = api("POST", "/api/v1/sites/", Some(&t.access), Some(json!({"name": "empty"}))).await;
    let empty = body["data"]["id"].as_str().unwrap();
    assert_eq!(api("DELETE", &format!("/api/v1/sites/{empty}/"), Some(&t.access), None).await.0, 200);
}

#[tokio::test]
async fn site_validation_and_stale_edits() {
    let (t, site, _) = account_with_site("siteval").await;
    // Sent: {"name": ""} and {"url": "ftp://x"}; got: 400 naming the field.
    for (body_sent, field) in [(json!({"name": ""}), "name"), (json!({"name": "ok", "url": "ftp://x"}), "url"), (json!({}), "name")] {
        let (status, body) = api("POST", "/api/v1/sites/", Some(&t.access), Some(body_sent.clone())).await;
        assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some(field)), "sent {body_sent}: {body}");
    }
    // Editing with the version read: ok; again with the same (now stale) version: 409.
    let (status, body) = api("PATCH", &format!("/api/v1/sites/{site}/"), Some(&t.access), Some(json!({"name": "renamed", "version": 1}))).await;
    assert_eq!((status, body["data"]["version"].as_u64()), (200, Some(2)), "{body}");
    let (status, body) = api("PATCH", &format!("/api/v1/sites/{site}/"), Some(&t.access), Some(json!({"name": "again", "version": 1}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    // Pagination parameters are checked.
    let (status, body) = api("GET", "/api/v1/sites/?limit=0", Some(&t.access), None).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("limit")), "{body}");
    let (status, body) = api("GET", "/api/v1/sites/?cursor=forged", Some(&t.access), None).await;
    assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");
}

#[tokio::test]
async fn audit_log_records_security_events_for_admins() {
    let t = register("audit").await;
    let (_, _) = igny8_e2e::login(&t.email, "Wrong-pass-1").await;
    let (_, _) = igny8_e2e::login(&t.email, PASSWORD).await;
    let (user_id, _) = member(&t, "viewer").await;
    api("PATCH", &format!("/api/v1/users/{user_id}/"), Some(&t.access), Some(json!({"role": "editor"}))).await;
    api("DELETE", &format!("/api/v1/users/{user_id}/"), Some(&t.access), None).await;
    let (status, body) = api(
        "POST",
        "/api/v1/auth/change-password/",
        Some(&t.access),
        Some(json!({"current_password": PASSWORD, "new_password": "Another-pass-8"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["data"]["tokens"]["access"].as_str().unwrap().to_string();
    let (status, body) = api("GET", "/api/v1/audit-log/?limit=100", Some(&token), None).await;
    assert_eq!(status, 200, "{body}");
    let actions: Vec<&str> = body["data"]["results"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for expected in ["account.register", "auth.login_failed", "auth.login", "user.add", "user.role_change", "user.remove", "auth.password_change"] {
        assert!(actions.contains(&expected), "{expected} missing from {actions:?}");
    }
    assert_eq!(actions[0], "auth.password_change", "newest first: {actions:?}");
    // Paginated: two at a time walks the same entries.
    let (_, page) = api("GET", "/api/v1/audit-log/?limit=2", Some(&token), None).await;
    assert_eq!(page["data"]["results"].as_array().unwrap().len(), 2);
    assert!(page["data"]["next_cursor"].is_string());
}

#[tokio::test]
async fn plan_limits_are_enforced_with_a_clear_403() {
    // The free plan: 1 site, 3 users.
    let (t, _, _) = account_with_site("limits").await;
    let (status, body) = api("POST", "/api/v1/sites/", Some(&t.access), Some(json!({"name": "second"}))).await;
    assert_eq!((status, body["error_code"].as_str()), (403, Some("PLAN_LIMIT")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("at most 1 sites"), "names the limit: {body}");
    member(&t, "editor").await;
    member(&t, "viewer").await;
    let (status, body) =
        api("POST", "/api/v1/users/", Some(&t.access), Some(json!({"email": email("x"), "password": PASSWORD, "role": "viewer"}))).await;
    assert_eq!((status, body["error_code"].as_str()), (403, Some("PLAN_LIMIT")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("users"), "{body}");
    // Upgrading lifts the limit.
    igny8_e2e::set_plan(&t.account_id, "starter").await;
    let (status, body) = api("POST", "/api/v1/sites/", Some(&t.access), Some(json!({"name": "second"}))).await;
    assert_eq!(status, 201, "{body}");
}
