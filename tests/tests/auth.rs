//! Auth over real HTTP: registration, login, tokens, rotation, throttling,
//! Django hashes, password change, logout.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use igny8::accounts::{Account, AccountStatus, User};
use igny8::auth::guard::Role;
use igny8::auth::token::{Claims, Tokens};
use igny8::store::keys::{self, Tenant as Tk};
use igny8_e2e::{JWT_SECRET, PASSWORD, api, email, env, login, member, register};
use serde_json::json;

#[tokio::test]
async fn register_creates_an_owner_with_free_plan_credits_and_me_shows_them() {
    let t = register("reg").await;
    let (status, body) = api("GET", "/api/v1/auth/me/", Some(&t.access), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["user"]["email"], t.email.as_str());
    assert_eq!(body["data"]["user"]["role"], "owner");
    assert!(body["data"]["user"].get("password_hash").is_none(), "the hash never leaves the server");
    assert_eq!(body["data"]["account"]["plan"], "free");
    assert_eq!(body["data"]["account"]["plan_credits"], 100.0);
    // Same email again (any case): 409.
    let (status, body) =
        api("POST", "/api/v1/auth/register/", None, Some(json!({"email": t.email.to_uppercase(), "password": PASSWORD}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
}

#[tokio::test]
async fn weak_passwords_and_bad_emails_are_refused_naming_the_rule() {
    // Sent: password "short1"; got: 400 VALIDATION_ERROR, errors[].field == "password", "at least 8 characters".
    let cases = [
        (json!({"email": email("w"), "password": "short1"}), "password", "at least 8 characters"),
        (json!({"email": email("w"), "password": "no-digits-here"}), "password", "digit"),
        (json!({"email": "not-an-email", "password": PASSWORD}), "email", "valid email"),
    ];
    for (body_sent, field, words) in cases {
        let (status, body) = api("POST", "/api/v1/auth/register/", None, Some(body_sent.clone())).await;
        assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "sent {body_sent}: {body}");
        let errors = body["errors"].as_array().unwrap();
        assert!(
            errors.iter().any(|e| e["field"] == field && e["message"].as_str().unwrap().contains(words)),
            "sent {body_sent}, expected {field} / {words}: {body}"
        );
    }
}

#[tokio::test]
async fn jwt_attack_table_is_all_401() {
    let t = register("jwt").await;
    let now = igny8::ids::now_epoch();
    let tokens = Tokens::new(JWT_SECRET.as_bytes());
    let claims = Claims::access(&t.user_id, &t.account_id, Role::Owner, 0, now);
    let parts: Vec<String> = t.access.split('.').map(str::to_string).collect();
    let alg_none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    let wrong_sig = Tokens::new(b"somebody-elses-secret-somebody-elses-secret").sign(&claims).unwrap();
    let expired = tokens.sign(&Claims { iat: now - 7200, exp: now - 3600, ..claims.clone() }).unwrap();

    // A deactivated user's token and a token of a suspended account.
    let (_, deactivated_token) = {
        let (id, token) = member(&t, "editor").await;
        let (status, body) = api("PATCH", &format!("/api/v1/users/{id}/"), Some(&t.access), Some(json!({"is_active": false}))).await;
        assert_eq!(status, 200, "{body}");
        (id, token)
    };
    let suspended = register("suspended").await;
    let state = env().state().await;
    let mut account: Account = state.store.get(&keys::account(&Tk::from_verified(&suspended.account_id))).await.unwrap().unwrap();
    account.status = AccountStatus::Suspended;
    state.store.update_versioned(&mut account).await.unwrap();

    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("malformed", Some("Bearer not-a-jwt".into())),
        ("wrong scheme", Some(format!("Token {}", t.access))),
        ("alg none", Some(format!("Bearer {alg_none}"))),
        ("wrong signature", Some(format!("Bearer {wrong_sig}"))),
        ("expired", Some(format!("Bearer {expired}"))),
        ("refresh token as access token", Some(format!("Bearer {}", t.refresh))),
        ("deactivated user", Some(format!("Bearer {deactivated_token}"))),
        ("suspended account", Some(format!("Bearer {}", suspended.access))),
    ];
    for (case, header) in cases {
        let mut req = igny8_e2e::http().get(env().url("/api/v1/auth/me/"));
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let (status, body) = igny8_e2e::envelope(req.send().await.unwrap()).await;
        assert_eq!((status, body["error_code"].as_str()), (401, Some("UNAUTHORIZED")), "case {case}: {body}");
    }
    // And the genuine token still works.
    assert_eq!(api("GET", "/api/v1/auth/me/", Some(&t.access), None).await.0, 200);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_family() {
    let t = register("rot").await;
    let (status, body) = api("POST", "/api/v1/auth/refresh/", None, Some(json!({"refresh": t.refresh}))).await;
    assert_eq!(status, 200, "{body}");
    let new_refresh = body["data"]["refresh"].as_str().unwrap().to_string();
    let new_access = body["data"]["access"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, t.refresh);
    assert_eq!(api("GET", "/api/v1/auth/me/", Some(&new_access), None).await.0, 200);
    // Reuse of the rotated token: 401 ...
    let (status, body) = api("POST", "/api/v1/auth/refresh/", None, Some(json!({"refresh": t.refresh}))).await;
    assert_eq!((status, body["error_code"].as_str()), (401, Some("UNAUTHORIZED")), "{body}");
    // ... and the new one is revoked too.
    let (status, body) = api("POST", "/api/v1/auth/refresh/", None, Some(json!({"refresh": new_refresh}))).await;
    assert_eq!(status, 401, "the family must be revoked after reuse: {body}");
    // An access token is not a refresh token.
    let (status, _) = api("POST", "/api/v1/auth/refresh/", None, Some(json!({"refresh": new_access}))).await;
    assert_eq!(status, 401);
    // A fresh login starts a new, working family.
    let (status, body) = login(&t.email, PASSWORD).await;
    assert_eq!(status, 200);
    let r = body["data"]["tokens"]["refresh"].as_str().unwrap();
    assert_eq!(api("POST", "/api/v1/auth/refresh/", None, Some(json!({"refresh": r}))).await.0, 200);
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let t = register("logout").await;
    let (status, body) = api("POST", "/api/v1/auth/logout/", None, Some(json!({"refresh": t.refresh}))).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = api("POST", "/api/v1/auth/refresh/", None, Some(json!({"refresh": t.refresh}))).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn django_pbkdf2_hash_logs_in_and_is_rehashed_to_argon2id() {
    let t = register("django").await;
    let state = env().state().await;
    let key = keys::user(&Tk::from_verified(&t.account_id), &t.user_id);
    let mut user: User = state.store.get(&key).await.unwrap().unwrap();
    // A hash as Django writes it: pbkdf2_sha256$<iterations>$<salt>$base64(PBKDF2-HMAC-SHA256).
    user.password_hash = igny8::auth::password::django_pbkdf2_sha256("Legacy-pass-42", "qJ8xKp2LmN4r", 36_000);
    // 36000 iterations: Django 2.0's default (fast enough for a debug-build test).
    assert!(user.password_hash.starts_with("pbkdf2_sha256$36000$qJ8xKp2LmN4r$"));
    state.store.update_versioned(&mut user).await.unwrap();
    let (status, body) = login(&t.email, "Wrong-pass-42").await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = login(&t.email, "Legacy-pass-42").await;
    assert_eq!(status, 200, "{body}");
    let user: User = state.store.get(&key).await.unwrap().unwrap();
    assert!(user.password_hash.starts_with("$argon2id$"), "rehashed on first login: {}", user.password_hash);
    assert_eq!(login(&t.email, "Legacy-pass-42").await.0, 200, "and the new hash works");
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled_without_revealing_the_email() {
    let t = register("throttle").await;
    let ghost = email("nobody");
    for who in [t.email.as_str(), ghost.as_str()] {
        for i in 0..igny8::accounts::LOGIN_MAX_FAILURES {
            let (status, body) = login(who, "Wrong-pass-1").await;
            assert_eq!(status, 401, "attempt {i} for {who}: {body}");
            assert_eq!(body["error"], "invalid email or password");
        }
        let resp = igny8_e2e::http()
            .post(env().url("/api/v1/auth/login/"))
            .json(&json!({"email": who, "password": "Wrong-pass-1"}))
            .send()
            .await
            .unwrap();
        let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry > 0 && retry <= 900, "{retry}");
        let (status, body) = igny8_e2e::envelope(resp).await;
        assert_eq!((status, body["error_code"].as_str()), (429, Some("RATE_LIMITED")), "{who}: {body}");
    }
    // Even the right password waits out the lock.
    assert_eq!(login(&t.email, PASSWORD).await.0, 429);
}

#[tokio::test]
async fn change_password_revokes_earlier_tokens_and_returns_new_ones() {
    let t = register("chpw").await;
    let (status, body) = api(
        "POST",
        "/api/v1/auth/change-password/",
        Some(&t.access),
        Some(json!({"current_password": "Wrong-pass-1", "new_password": "Brand-new-pass-7"})),
    )
    .await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("current_password")), "{body}");
    let (status, body) = api(
        "POST",
        "/api/v1/auth/change-password/",
        Some(&t.access),
        Some(json!({"current_password": PASSWORD, "new_password": "Brand-new-pass-7"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let fresh = body["data"]["tokens"]["access"].as_str().unwrap().to_string();
    assert_eq!(api("GET", "/api/v1/auth/me/", Some(&t.access), None).await.0, 401, "old access token revoked");
    assert_eq!(api("POST", "/api/v1/auth/refresh/", None, Some(json!({"refresh": t.refresh}))).await.0, 401, "old refresh revoked");
    assert_eq!(api("GET", "/api/v1/auth/me/", Some(&fresh), None).await.0, 200);
    assert_eq!(login(&t.email, PASSWORD).await.0, 401);
    assert_eq!(login(&t.email, "Brand-new-pass-7").await.0, 200);
}
