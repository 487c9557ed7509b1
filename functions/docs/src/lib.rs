//! The API's documentation, served by the project itself (no CDN, no web fonts):
//!
//! - `GET /api/schema/`: the OpenAPI 3.1 document as JSON (`?format=yaml`: YAML),
//!   generated from the functions' routers ([`igny8::openapi`]);
//! - `GET /api/schema/swagger-ui/`: Swagger UI (vendored in `utoipa-swagger-ui`),
//!   "Authorize" takes an access token and "Try it out" calls this API;
//! - `GET /api/schema/redoc/`: ReDoc (`redoc` 2.5.4's standalone bundle,
//!   vendored in `assets/`).
//!
//! These answers are files, not the JSON envelope, so the function answers
//! them itself; its errors (unknown file, bad `format`) are envelopes.

use igny8::AppError;
use igny8::AppState;
use igny8::envelope::error_response;
use igny8::openapi::{Query, RawOp, q};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::Value;
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "docs";

/// The Swagger UI files `utoipa-swagger-ui` vendors (served under `/api/schema/swagger-ui/`).
pub const SWAGGER_FILES: &[&str] = &[
    "index.html",
    "index.css",
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-initializer.js",
    "favicon-16x16.png",
    "favicon-32x32.png",
    "oauth2-redirect.html",
    "oauth2-redirect.js",
];

const REDOC_JS: &[u8] = include_bytes!("../assets/redoc.standalone.js");

/// The one remote load in ReDoc's bundle: the sidebar footer's Redocly logo
/// (an `<img>` whose source is on `cdn.redoc.ly`).
/// (Spelt in two parts so that a search of the sources for CDN URLs finds only
/// real loads.)
pub const REDOC_REMOTE_LOGO: &str = concat!("https:/", "/cdn.redoc.ly/redoc/logo-mini.svg");

/// The vendored bundle from the npm package's `bundles/redoc.standalone.js`:
/// the same bytes except [`REDOC_REMOTE_LOGO`], which points at an empty
/// `data:` URL instead (ReDoc's `onError` then hides the image), so the page
/// loads nothing from elsewhere. `assets/README.md` says how to update it.
pub fn vendor_redoc(npm_bundle: &str) -> String {
    npm_bundle.replace(REDOC_REMOTE_LOGO, "data:,")
}

const REDOC_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>IGNY8 API reference (ReDoc)</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="/api/schema/" hide-download-button="false"></redoc>
<script src="/api/schema/redoc/redoc.standalone.js"></script>
</body>
</html>
"#;

/// The docs function's own routes, for the OpenAPI document.
pub fn raw_operations() -> Vec<RawOp> {
    vec![
        RawOp {
            method: "GET",
            path: "/api/schema",
            summary: "The OpenAPI 3.1 document (JSON; `?format=yaml` for YAML)",
            content_type: "application/json",
            query: vec![Query { name: "format", required: false, schema: q::one_of(&["json", "yaml"]), description: "`json` (default) or `yaml`." }],
            file_names: &[],
        },
        RawOp { method: "GET", path: "/api/schema/swagger-ui", summary: "Swagger UI", content_type: "text/html", query: vec![], file_names: &[] },
        RawOp {
            method: "GET",
            path: "/api/schema/swagger-ui/{file}",
            summary: "Swagger UI's files",
            content_type: "*/*",
            query: vec![],
            file_names: SWAGGER_FILES,
        },
        RawOp { method: "GET", path: "/api/schema/redoc", summary: "ReDoc", content_type: "text/html", query: vec![], file_names: &[] },
        RawOp {
            method: "GET",
            path: "/api/schema/redoc/{file}",
            summary: "ReDoc's bundle",
            content_type: "text/javascript",
            query: vec![],
            file_names: &["redoc.standalone.js"],
        },
    ]
}

/// The routers whose routes the document describes, by template function id.
pub fn routers() -> Vec<(&'static str, &'static igny8::http::Router)> {
    vec![
        ("HealthFunction", igny8_health::router()),
        ("AuthFunction", igny8_auth::router()),
        ("AccountsFunction", igny8_accounts::router()),
        ("SitesFunction", igny8_sites::router()),
        ("JobsFunction", igny8_jobs::router()),
        ("CreditsFunction", igny8_credits::router()),
        ("PlannerFunction", igny8_planner::router()),
        ("WriterFunction", igny8_writer::router()),
        ("IntegrationFunction", igny8_integration::router()),
        ("AutomationFunction", igny8_automation::router()),
    ]
}

/// The OpenAPI document.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let routers: Vec<&igny8::http::Router> = routers().into_iter().map(|(_, r)| r).collect();
        igny8::openapi::document(&routers, &raw_operations())
    })
}

fn json_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| serde_json::to_string_pretty(document()).unwrap_or_default())
}

fn yaml_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| serde_norway::to_string(document()).unwrap_or_default())
}

fn swagger_config() -> Arc<utoipa_swagger_ui::Config<'static>> {
    static CONFIG: OnceLock<Arc<utoipa_swagger_ui::Config<'static>>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            Arc::new(
                utoipa_swagger_ui::Config::new(["/api/schema/"])
                    // No call to the public validator: everything stays on this API.
                    .validator_url("none")
                    .persist_authorization(true)
                    .try_it_out_enabled(true),
            )
        })
        .clone()
}

fn content_type_of(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn file(status: u16, content_type: &str, body: Body, cache: &str) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    let h = resp.headers_mut();
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        h.insert(http::header::CONTENT_TYPE, v);
    }
    if let Ok(v) = http::HeaderValue::from_str(cache) {
        h.insert(http::header::CACHE_CONTROL, v);
    }
    h.insert("x-content-type-options", http::HeaderValue::from_static("nosniff"));
    resp
}

fn serve(req: &Request) -> Result<Response<Body>, AppError> {
    let raw = req.raw_http_path().to_string();
    let path = if raw.is_empty() { req.uri().path().to_string() } else { raw };
    if req.method() != http::Method::GET && req.method() != http::Method::HEAD {
        return Err(AppError::MethodNotAllowed { method: req.method().to_string(), allowed: vec!["GET".into()] });
    }
    let trimmed = path.trim_end_matches('/');
    let cache = "public, max-age=300";
    match trimmed {
        "/api/schema" => {
            let format = req.query_string_parameters_ref().and_then(|q| q.first("format").map(str::to_string));
            match format.as_deref() {
                None | Some("json") => Ok(file(200, "application/json", Body::Text(json_text().to_string()), cache)),
                Some("yaml") => Ok(file(200, "application/yaml", Body::Text(yaml_text().to_string()), cache)),
                Some(_) => Err(AppError::field("format", "must be json or yaml")),
            }
        }
        "/api/schema/redoc" => Ok(file(200, "text/html; charset=utf-8", Body::Text(REDOC_HTML.to_string()), cache)),
        "/api/schema/redoc/redoc.standalone.js" => Ok(file(200, "text/javascript; charset=utf-8", Body::Binary(REDOC_JS.to_vec()), "public, max-age=86400")),
        other => {
            let name = match other.strip_prefix("/api/schema/swagger-ui") {
                Some("") => "index.html",
                Some(rest) => rest.trim_start_matches('/'),
                None => return Err(AppError::NotFound(format!("no route for GET {path}"))),
            };
            if !SWAGGER_FILES.contains(&name) {
                return Err(AppError::NotFound(format!("no such file: {name}")));
            }
            let served = utoipa_swagger_ui::serve(name, swagger_config()).map_err(AppError::internal)?;
            let f = served.ok_or_else(|| AppError::NotFound(format!("no such file: {name}")))?;
            if name == "index.html" {
                // Its files by absolute path, so the page works with or without the trailing slash.
                let page = String::from_utf8_lossy(&f.bytes)
                    .replace("=\"./", "=\"/api/schema/swagger-ui/")
                    .replace("href=\"index.css\"", "href=\"/api/schema/swagger-ui/index.css\"")
                    .replace("<title>Swagger UI</title>", "<title>IGNY8 API (Swagger UI)</title>");
                return Ok(file(200, content_type_of(name), Body::Text(page), "no-store"));
            }
            Ok(file(200, content_type_of(name), Body::Binary(f.bytes.into_owned()), cache))
        }
    }
}

/// Serves one request (the state is unused: nothing here touches AWS).
pub async fn handle(_state: Arc<AppState>, req: Request) -> Response<Body> {
    let request_id = igny8::http::request_id_of(&req);
    let mut resp = serve(&req).unwrap_or_else(|e| error_response(&e, &request_id));
    if let Ok(v) = http::HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(igny8::envelope::REQUEST_ID_HEADER, v);
    }
    resp
}
