//! What a deployed stack relies on beyond the emulator's defaults: large
//! keyword files through a presigned S3 PUT (API Gateway caps base64 bodies
//! near 4.4 MB), import blobs tagged for the bucket's expiry rule, and the AI
//! worker's provider keys read from Secrets Manager at cold start.

use igny8_e2e::{api, env, http, workspace};
use serde_json::{Value, json};

/// Asks for an upload URL, PUTs `bytes` to it with the headers it names;
/// returns the object key.
async fn upload_to_bucket(token: &str, site: &str, sector: &str, bytes: Vec<u8>) -> String {
    let (status, body) = api(
        "POST",
        "/api/v1/planner/keywords/bulk-import/upload-url/",
        Some(token),
        Some(json!({"site_id": site, "sector_id": sector, "content_type": "text/csv"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let d = &body["data"];
    assert_eq!(d["method"], "PUT", "{body}");
    let mut put = http().put(d["upload_url"].as_str().expect("upload_url"));
    for (k, v) in d["headers"].as_object().expect("headers") {
        put = put.header(k.as_str(), v.as_str().unwrap());
    }
    let resp = put.body(bytes).send().await.expect("PUT to the presigned URL");
    assert!(resp.status().is_success(), "presigned PUT answered {}: {}", resp.status(), resp.text().await.unwrap_or_default());
    d["object_key"].as_str().expect("object_key").to_string()
}

async fn import_by_key(token: &str, site: &str, sector: &str, key: &str) -> (u16, Value) {
    api("POST", "/api/v1/planner/keywords/bulk-import/", Some(token), Some(json!({"site_id": site, "sector_id": sector, "object_key": key}))).await
}

async fn tags_of(state: &igny8::AppState, key: &str) -> Vec<(String, String)> {
    let out = state.s3.get_object_tagging().bucket(&env().resources.bucket).key(key).send().await.expect("GetObjectTagging");
    out.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()
}

async fn exists(state: &igny8::AppState, key: &str) -> bool {
    state.s3.head_object().bucket(&env().resources.bucket).key(key).send().await.is_ok()
}

#[tokio::test]
async fn a_keyword_file_uploaded_to_a_presigned_url_imports_by_its_key_and_is_removed() {
    let state = env().state().await;
    let (t, site, sector) = workspace("upl").await;
    let csv = std::fs::read(xtask::repo_root().join("tests/fixtures/keywords/semrush_keyword_magic.csv")).unwrap();

    // Sent: no token. Back: 401, before anything is presigned.
    let (status, body) = api("POST", "/api/v1/planner/keywords/bulk-import/upload-url/", None, Some(json!({"site_id": site, "sector_id": sector}))).await;
    assert_eq!((status, body["error_code"].as_str()), (401, Some("UNAUTHORIZED")), "{body}");
    // Sent: a header-injecting content type. Back: 400 naming the field.
    let (status, body) = api(
        "POST",
        "/api/v1/planner/keywords/bulk-import/upload-url/",
        Some(&t.access),
        Some(json!({"site_id": site, "sector_id": sector, "content_type": "text/csv\r\nx-evil: 1"})),
    )
    .await;
    assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");

    let key = upload_to_bucket(&t.access, &site, &sector, csv).await;
    assert!(key.starts_with(&format!("accounts/{}/imports/uploads/", t.account_id)), "{key}");
    assert_eq!(tags_of(&state, &key).await, [("igny8-expire".to_string(), "import".to_string())], "the upload carries the expiry tag");

    // Another tenant cannot import (or read) it.
    let (other, other_site, other_sector) = workspace("upl-other").await;
    let (status, body) = import_by_key(&other.access, &other_site, &other_sector, &key).await;
    assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");
    assert!(exists(&state, &key).await, "a refused import leaves the upload alone");

    let (status, body) = import_by_key(&t.access, &site, &sector, &key).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["format"], "semrush_keyword_magic", "{body}");
    assert!(body["data"]["created"].as_u64().unwrap() > 0, "{body}");
    let (_, list) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&sector_id={sector}"), Some(&t.access), None).await;
    assert!(list["data"]["results"].as_array().unwrap().iter().any(|k| k["keyword"] == "running shoes"), "{list}");
    assert!(!exists(&state, &key).await, "the imported upload is deleted");

    // The same key again: the file is gone → 404; a key never uploaded → 404.
    let (status, body) = import_by_key(&t.access, &site, &sector, &key).await;
    assert_eq!((status, body["error_code"].as_str()), (404, Some("NOT_FOUND")), "{body}");
    let never = format!("accounts/{}/imports/uploads/01NEVERUPLOADED", t.account_id);
    let (status, _) = import_by_key(&t.access, &site, &sector, &never).await;
    assert_eq!(status, 404);
    // A key outside the uploads folder (e.g. an image) is refused.
    let image = format!("accounts/{}/sites/{site}/images/x.png", t.account_id);
    let (status, body) = import_by_key(&t.access, &site, &sector, &image).await;
    assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");
    // rows and object_key together are refused.
    let (status, _) = api(
        "POST",
        "/api/v1/planner/keywords/bulk-import/",
        Some(&t.access),
        Some(json!({"site_id": site, "sector_id": sector, "object_key": key, "rows": [{"keyword": "x"}]})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_file_too_big_for_the_api_imports_through_the_bucket_as_a_job() {
    let state = env().state().await;
    let (t, site, sector) = workspace("upl-big").await;
    let mut csv = String::from("Keyword,Intent,Volume,Trend,Keyword Difficulty,CPC (USD),Competitive Density,SERP Features,Number of Results\n");
    let mut rows = 0;
    while csv.len() < 7 * 1000 * 1000 {
        csv.push_str(&format!(
            "trail running shoes model {rows},Commercial,{},\"0.54,0.66,0.81,0.81,0.81,1.00,0.81,0.81,0.66,0.66,0.54,0.66\",{},1.31,1.00,\"Featured snippet, People also ask, Video, Reviews\",512000000\n",
            100 + rows % 5000,
            rows % 100
        ));
        rows += 1;
    }
    let bytes = csv.into_bytes();
    // The direct upload refuses it (what API Gateway would do near 4.4 MB anyway).
    let resp = http()
        .post(env().url(&format!("/api/v1/planner/keywords/bulk-import/?site_id={site}&sector_id={sector}")))
        .bearer_auth(&t.access)
        .header("content-type", "text/csv")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413, "a {} byte body through the API", bytes.len());

    let key = upload_to_bucket(&t.access, &site, &sector, bytes).await;
    let (status, body) = import_by_key(&t.access, &site, &sector, &key).await;
    assert_eq!(status, 202, "{rows} rows are imported as a job: {body}");
    let job = body["data"]["id"].as_str().expect("a job id").to_string();
    assert_eq!(body["data"]["input"]["rows"].as_u64(), Some(rows as u64), "{body}");
    assert!(!exists(&state, &key).await, "the upload is deleted once the job holds its rows");
    // The job's rows wait in the bucket in the site's imports/ folder, tagged for expiry.
    let job_blob = format!("accounts/{}/sites/{site}/imports/{job}.json", t.account_id);
    assert_eq!(tags_of(&state, &job_blob).await, [("igny8-expire".to_string(), "import".to_string())]);
}

#[tokio::test]
async fn the_worker_reads_provider_keys_from_the_secret_and_refuses_to_start_without_them() {
    let e = env();
    let sdk = igny8::state::sdk_config(&e.config()).await;
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    let name = format!("igny8-provider-keys-{}", igny8::ids::new_id());
    let arn = sm.create_secret().name(&name).secret_string(r#"{"OPENAI_API_KEY":"sk-from-secrets-manager"}"#).send().await.unwrap().arn.unwrap();
    let empty = sm.create_secret().name(format!("{name}-empty")).secret_string("{}").send().await.unwrap().arn.unwrap();

    let openai = |secret: Option<&str>| {
        let mut c = e.config();
        c.ai.chat_provider = "openai".into();
        c.ai.image_provider = "openai".into();
        c.ai.openai_api_key = None;
        c.provider_secret_arn = secret.map(str::to_string);
        c
    };
    let mut c = openai(Some(&arn));
    igny8::state::resolve_provider_keys(&mut c).await.expect("keys from the secret");
    assert_eq!(c.ai.openai_api_key.as_deref(), Some("sk-from-secrets-manager"));

    for (secret, expect) in [(Some(empty.as_str()), "OPENAI_API_KEY"), (None, "OPENAI_API_KEY"), (Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:missing"), "could not be read")] {
        let mut c = openai(secret);
        let err = igny8::state::resolve_provider_keys(&mut c).await.expect_err("no key: the cold start fails").to_string();
        assert!(err.contains(expect) && err.starts_with("refusing to start"), "{secret:?}: {err}");
    }
    // The offline provider needs no secret at all.
    let mut c = e.config();
    igny8::state::resolve_provider_keys(&mut c).await.unwrap();
}
