//! The OpenAPI document (issue 13): generated from the routers, no drift
//! between the document, the routes the functions serve and the routes the
//! template declares, and the three documentation routes served by the
//! project itself (no CDN, no web fonts).

use igny8_e2e::{api, env, http, register};
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options"];

fn doc() -> &'static Value {
    igny8_docs::document()
}

/// `(METHOD, path)` of every operation in the document.
fn documented() -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc()["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(*m).is_some() {
                ops.insert((m.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    ops
}

fn op<'a>(method: &str, path: &str) -> &'a Value {
    &doc()["paths"][path][method]
}

#[test]
fn the_document_is_openapi_3_1_with_the_envelope_the_catalogue_and_bearer_auth() {
    let d = doc();
    assert_eq!(d["openapi"], "3.1.0");
    assert_eq!(d["info"]["version"], igny8::VERSION);
    assert_eq!(d["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
    assert_eq!(d["components"]["securitySchemes"]["bearerAuth"]["bearerFormat"], "JWT");
    // The error catalogue: every code with its status, the enum the envelope refers to.
    let codes: Vec<&str> = igny8::error::CATALOGUE.iter().map(|(c, _, _)| *c).collect();
    let schema_codes: Vec<&str> = d["components"]["schemas"]["ErrorCode"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(schema_codes, codes);
    let listed = d["x-error-codes"].as_array().unwrap();
    assert!(listed.iter().any(|e| e["code"] == "INSUFFICIENT_CREDITS" && e["status"] == 402), "{listed:?}");
    let err = &d["components"]["schemas"]["ErrorEnvelope"];
    for field in ["success", "error", "error_code", "request_id", "timestamp"] {
        assert!(err["required"].as_array().unwrap().iter().any(|f| f == field), "ErrorEnvelope must require {field}");
    }
    assert_eq!(err["properties"]["errors"]["items"]["$ref"], "#/components/schemas/FieldError");
    // No two Rust types under one schema name.
    assert_eq!(d["x-schema-name-conflicts"], serde_json::json!([]), "schema name conflicts");
    // Every operation: an id, a summary, a role, and errors in the envelope.
    let mut ids = BTreeSet::new();
    for (method, path) in documented() {
        let o = op(&method.to_ascii_lowercase(), &path);
        assert!(ids.insert(o["operationId"].as_str().unwrap().to_string()), "duplicate operationId at {method} {path}");
        let summary = o["summary"].as_str().unwrap_or("");
        assert!(!summary.is_empty() && summary != "(undocumented)", "{method} {path} has no summary: add a Doc to its route");
        assert!(o["x-required-role"].is_string(), "{method} {path} has no x-required-role");
        assert!(o["responses"]["default"].is_object(), "{method} {path} has no default (error) response");
    }
}

#[test]
fn operations_carry_their_types_roles_lists_and_examples() {
    // A list: the envelope around {results, next_cursor} of the item type, with limit and cursor.
    let list = op("get", "/api/v1/planner/keywords");
    let data = &list["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"];
    assert_eq!(data["properties"]["results"]["items"]["$ref"], "#/components/schemas/Keyword");
    assert_eq!(data["required"], serde_json::json!(["results", "next_cursor"]));
    let params: Vec<&str> = list["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for p in ["site_id", "status", "limit", "cursor", "min_difficulty"] {
        assert!(params.contains(&p), "keywords list lacks ?{p}: {params:?}");
    }
    // Path parameters from the route pattern.
    let one = op("get", "/api/v1/sites/{site_id}/sectors/{sector_id}");
    let path_params: Vec<&str> = one["parameters"].as_array().unwrap().iter().filter(|p| p["in"] == "path").map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(path_params, ["site_id", "sector_id"]);
    // Request body types (deny_unknown_fields → no extra properties).
    let login = op("post", "/api/v1/auth/login");
    assert_eq!(login["requestBody"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/LoginInput");
    assert_eq!(doc()["components"]["schemas"]["LoginInput"]["additionalProperties"], false);
    assert_eq!(login["requestBody"]["content"]["application/json"]["example"]["email"], "demo@igny8.local");
    // Roles: public routes need no token, others name the least role (the gate, or more).
    assert_eq!(login["security"], serde_json::json!([]));
    assert_eq!(login["x-required-role"], "anyone");
    assert_eq!(op("patch", "/api/v1/account")["x-required-role"], "owner");
    assert_eq!(op("post", "/api/v1/sites")["x-required-role"], "admin");
    assert_eq!(op("post", "/api/v1/planner/keywords")["x-required-role"], "editor");
    assert_eq!(op("get", "/api/v1/planner/keywords")["x-required-role"], "viewer");
    // The audit log is for admins (an editor gets 403 from the route's gate; the docs say so).
    assert_eq!(op("get", "/api/v1/audit-log")["x-required-role"], "admin");
    assert_eq!(op("post", "/api/v1/credits/accounts/{account_id}/adjust")["x-required-role"], "staff");
    assert_eq!(op("get", "/api/v1/sites")["security"], serde_json::json!([{"bearerAuth": []}]));
    // AI operations: 200 (dry run) and 202 (queued).
    let ai = op("post", "/api/v1/planner/clusters/auto-cluster");
    assert!(ai["responses"]["202"].is_object() && ai["responses"]["200"].is_object());
    // The upload route takes a file or JSON.
    let import = &op("post", "/api/v1/planner/keywords/bulk-import")["requestBody"]["content"];
    assert!(import["multipart/form-data"].is_object() && import["application/json"].is_object());
}

/// The drift check: the document's operations are exactly the routes the
/// functions' routers serve (plus the docs function's own), and each is
/// declared by the template and answered by a handler, not a 404.
#[tokio::test]
async fn every_served_route_is_documented_and_every_documented_operation_is_served() {
    let mut served = BTreeSet::new();
    for (_, router) in igny8_docs::routers() {
        for (method, pattern) in router.patterns() {
            served.insert((method, igny8::openapi::doc_path(&pattern)));
        }
    }
    for r in igny8_docs::raw_operations() {
        served.insert((r.method.to_string(), igny8::openapi::doc_path(r.path)));
    }
    let documented = documented();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&served).collect();
    assert!(undocumented.is_empty(), "served but not in the document: {undocumented:?}");
    assert!(phantom.is_empty(), "in the document but served by no router: {phantom:?}");

    // The template routes each documented operation to a function (not $default) …
    let state = env().state().await;
    let gw = xtask::gateway::Gateway::from_template(state).unwrap();
    // … and over HTTP the operation reaches its handler: a request with
    // placeholder ids and no token gets anything but the router's "no route".
    let client = http();
    for (method, path) in &documented {
        let concrete = concrete_path(path);
        let (function, key) = gw.function_for(method, &concrete).unwrap_or_else(|| panic!("{method} {path}: the template routes it nowhere"));
        assert_ne!(key, "$default", "{method} {path}: the template declares no route for it (it would reach {function}'s $default)");
        for p in [concrete.clone(), format!("{concrete}/")] {
            let resp = client
                .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), env().url(&p))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            let routed_nowhere = status == 404 && text.contains("no route for");
            assert!(!routed_nowhere, "{method} {p} (documented as {path}) answers 404 no route: {text}");
            assert_ne!(status, 405, "{method} {p}: 405: {text}");
        }
    }
}

/// A documented path with its parameters filled in (a real file for the docs' file routes).
fn concrete_path(path: &str) -> String {
    path.replace("/swagger-ui/{file}", "/swagger-ui/index.css")
        .replace("/redoc/{file}", "/redoc/redoc.standalone.js")
        .split('/')
        .map(|s| if s.starts_with('{') { "01JD0000000000000000000000" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_schema_route_serves_json_and_yaml_and_refuses_other_formats() {
    let resp = http().get(env().url("/api/schema/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let served: Value = resp.json().await.unwrap();
    assert_eq!(&served, doc(), "GET /api/schema/ is the document the code builds");
    let resp = http().get(env().url("/api/schema?format=yaml")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/yaml");
    let yaml: Value = serde_norway::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(&yaml, doc(), "the YAML is the same document");
    let (status, body) = api("GET", "/api/schema/?format=xml", None, None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "VALIDATION_ERROR");
    assert_eq!(body["errors"][0]["field"], "format");
    let (status, body) = api("GET", "/api/schema/swagger-ui/../../v1/health", None, None).await;
    assert!(status == 404 || status == 200, "{status} {body}");
    let (status, body) = api("GET", "/api/schema/swagger-ui/secret.txt", None, None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error_code"], "NOT_FOUND");
}

/// No page or file of the docs loads anything from elsewhere.
fn assert_self_contained(what: &str, text: &str) {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    for load in ["src=", "href=", "url(", "@import"] {
        for quote in ["", "\"", "'"] {
            for scheme in ["http:", "https:", "//"] {
                let needle = format!("{load}{quote}{scheme}");
                if let Some(at) = compact.find(&needle) {
                    panic!("{what} loads from elsewhere: …{}…", &compact[at..(at + 80).min(compact.len())]);
                }
            }
        }
    }
    for host in ["fonts.googleapis", "fonts.gstatic", "unpkg.com", "jsdelivr", "cdnjs"] {
        assert!(!compact.contains(host), "{what} names {host}");
    }
}

#[tokio::test]
async fn swagger_ui_and_redoc_are_served_by_the_project_with_no_cdn() {
    for path in ["/api/schema/swagger-ui/", "/api/schema/swagger-ui"] {
        let resp = http().get(env().url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let page = resp.text().await.unwrap();
        assert!(page.contains("/api/schema/swagger-ui/swagger-ui-bundle.js"), "{page}");
        assert_self_contained(path, &page);
    }
    for file in igny8_docs::SWAGGER_FILES {
        let resp = http().get(env().url(&format!("/api/schema/swagger-ui/{file}"))).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{file}");
        let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
        let expected = match file.rsplit('.').next().unwrap() {
            "js" => "text/javascript",
            "css" => "text/css",
            "png" => "image/png",
            _ => "text/html",
        };
        assert!(ct.starts_with(expected), "{file}: {ct}");
        if ct.starts_with("text/css") || ct.starts_with("text/html") {
            assert_self_contained(file, &resp.text().await.unwrap());
        }
    }
    // Swagger UI reads this API's document, validates nowhere else, and keeps the token.
    let init = http().get(env().url("/api/schema/swagger-ui/swagger-initializer.js")).send().await.unwrap().text().await.unwrap();
    assert!(init.contains("\"/api/schema/\""), "{init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");
    assert!(init.contains("\"persistAuthorization\": true"), "{init}");
    // ReDoc: the page and its bundle, from here.
    for path in ["/api/schema/redoc/", "/api/schema/redoc"] {
        let resp = http().get(env().url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let page = resp.text().await.unwrap();
        assert!(page.contains("<script src=\"/api/schema/redoc/redoc.standalone.js\">"), "{page}");
        assert!(page.contains("spec-url=\"/api/schema/\""), "{page}");
        assert_self_contained(path, &page);
    }
    let resp = http().get(env().url("/api/schema/redoc/redoc.standalone.js")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let bundle = resp.text().await.unwrap();
    assert!(bundle.len() > 500_000, "the whole bundle");
    // The bundle's one remote load (the footer's Redocly logo from cdn.redoc.ly) is not served.
    let compact: String = bundle.chars().filter(|c| !c.is_whitespace()).collect();
    for needle in ["src:\"http", "src:'http", "src=\"http", "cdn.redoc.ly"] {
        assert!(!compact.contains(needle), "the served ReDoc bundle loads from elsewhere ({needle})");
    }
}

/// Swagger UI's "Authorize" sends `Authorization: Bearer <token>`: the
/// document's scheme is what the API accepts.
#[tokio::test]
async fn the_documented_bearer_scheme_is_what_the_api_accepts() {
    let t = register("openapi-auth").await;
    let (status, _) = api("GET", "/api/v1/auth/me/", None, None).await;
    assert_eq!(status, 401);
    let (status, body) = api("GET", "/api/v1/auth/me/", Some(&t.access), None).await;
    assert_eq!(status, 200, "{body}");
    let role = op("get", "/api/v1/auth/me")["x-required-role"].as_str().unwrap();
    assert_eq!(role, "member");
}

#[test]
fn vendored_redoc_bundle_is_the_pinned_npm_package() {
    let root = xtask::repo_root();
    let pkg: Value = serde_json::from_str(&std::fs::read_to_string(root.join("web/package.json")).unwrap()).unwrap();
    let pinned = pkg["devDependencies"]["redoc"].as_str().unwrap();
    assert!(pinned.starts_with("2.5."), "redoc 2.5.x (3.x does not install): {pinned}");
    let bundle = std::fs::read_to_string(root.join("functions/docs/assets/redoc.standalone.js.LICENSE.txt")).unwrap();
    assert!(bundle.contains(&format!("Version: \"{pinned}\"")), "the vendored bundle is not redoc {pinned}");
    let lock: Value = serde_json::from_str(&std::fs::read_to_string(root.join("web/package-lock.json")).unwrap()).unwrap();
    assert_eq!(lock["packages"]["node_modules/redoc"]["version"], pinned);
    // When the pinned package is installed (cargo xtask test runs npm ci), the
    // vendored file is its bundle with the remote logo taken out, and nothing else changed.
    let installed = root.join("web/node_modules/redoc/bundles/redoc.standalone.js");
    if installed.exists() {
        let npm = std::fs::read_to_string(installed).unwrap();
        assert!(npm.contains(igny8_docs::REDOC_REMOTE_LOGO), "the npm bundle still names the logo the vendoring removes");
        assert!(
            igny8_docs::vendor_redoc(&npm) == std::fs::read_to_string(root.join("functions/docs/assets/redoc.standalone.js")).unwrap(),
            "functions/docs/assets/redoc.standalone.js differs from the pinned npm package's bundle (vendored with igny8_docs::vendor_redoc)"
        );
    }
}

/// What schemathesis found in its first runs, each fixed in the code and kept
/// here as a regression test.
#[tokio::test]
async fn schemathesis_findings_stay_fixed() {
    let (t, site, sector) = igny8_e2e::workspace("openapi-findings").await;
    let tok = Some(t.access.as_str());
    // A 500: a CPC beyond DynamoDB's number range passed validation and failed the write.
    let (status, body) = api(
        "POST",
        &format!("/api/v1/planner/keywords/?site_id={site}&sector_id={sector}"),
        tok,
        Some(serde_json::json!({"keyword": "huge cpc", "cpc": 1.7976931348623157e308})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "cpc");
    // A struct read from an array: `[null, null]` patched the user (200).
    let (status, body) = api("PATCH", &format!("/api/v1/users/{}/", t.user_id), tok, Some(serde_json::json!([null, null]))).await;
    assert_eq!(status, 400, "{body}");
    // A valid date-time before 1970 was a 400 ("date before 1970").
    let (status, body) = api("GET", "/api/v1/credits/transactions/?from=0001-01-01T00:00:00Z", tok, None).await;
    assert_eq!(status, 200, "{body}");
    // Difficulty filters above 100 were accepted.
    let (status, body) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&min_difficulty=200"), tok, None).await;
    assert_eq!(status, 400, "{body}");
    // A literal route's 405 advertised the methods of `clusters/{id}` too.
    let resp = http().request(reqwest::Method::OPTIONS, env().url("/api/v1/planner/clusters/auto-cluster/")).bearer_auth(&t.access).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
    // The docs routes answered other methods with 404 (the template routed only GET).
    let resp = http().request(reqwest::Method::from_bytes(b"TRACE").unwrap(), env().url("/api/schema/redoc")).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "GET");
    // A boolean query parameter that is not a boolean was read as false: auto-cluster
    // with `?dry_run=6.6e-202` answered 202 and queued a job (with credits reserved).
    let (status, body) = api(
        "POST",
        &format!("/api/v1/planner/clusters/auto-cluster/?site_id={site}&dry_run=6.6e-202"),
        tok,
        Some(serde_json::json!({"site_id": site, "sector_id": sector})),
    )
    .await;
    assert_eq!((status, body["error_code"].as_str(), body["errors"][0]["field"].as_str()), (400, Some("VALIDATION_ERROR"), Some("dry_run")), "{body}");
    let (status, body) = api("GET", "/api/v1/jobs/", tok, None).await;
    assert_eq!((status, body["data"]["results"].as_array().map(Vec::len)), (200, Some(0)), "nothing was queued: {body}");
    // `true`/`false` in any case still work: TRUE reaches the estimate (this
    // workspace has no keywords to cluster, so that is what it says).
    let (status, body) = api(
        "POST",
        &format!("/api/v1/planner/clusters/auto-cluster/?site_id={site}&dry_run=TRUE"),
        tok,
        Some(serde_json::json!({"site_id": site, "sector_id": sector})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap_or_default().contains("keywords"), "the flag was read, the estimate refused: {body}");
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/sectors/{sector}/?confirm=maybe"), tok, None).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (400, Some("confirm")), "{body}");
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/sectors/{sector}/?confirm=False"), tok, None).await;
    assert_eq!(status, 200, "an empty sector needs no confirmation: {body}");
}
