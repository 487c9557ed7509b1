//! The local API gateway: an HTTP server on 127.0.0.1 that routes requests the
//! way API Gateway's HTTP API does, using the routes declared in
//! `infra/template.yaml`, turns each request into an API Gateway v2 (payload
//! 2.0) event, converts it with `lambda_http` exactly as the Lambda runtime
//! does, and calls the function's handler in process.
//!
//! Route selection follows HTTP API: the most specific route wins (literal
//! segments over `{param}` over `{proxy+}`, a method over `ANY`), `$default`
//! catches the rest. A trailing slash is ignored for matching.
//!
//! With [`Gateway::with_web_app`] (as `cargo xtask dev` does) it also serves the
//! browser app's build (`web/dist`) on every GET outside `/api/`, the way
//! CloudFront serves it beside the API in AWS: files as they are, any other
//! path gets `index.html` (the app's router takes it from there).
//!
//! It also shows the mail the local sender kept ([`MAIL_PATH`],
//! `GET /_dev/mail?to=<email>`): the outbox mails sent to that address,
//! newest first, with their links into the web app made clickable (the
//! verification mail's `/verify-email?token=…`). It exists only here: it is
//! not under `/api/`, not in the template, and never in AWS.

use crate::functions::HttpHandler;
use crate::template::TemplateRoute;
use anyhow::{Context, Result, bail};
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use igny8::AppState;
use igny8::mail::Mail;
use igny8::store::keys::{self, Tenant};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// API Gateway's own payload limit.
const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

struct Bound {
    route: TemplateRoute,
    handler: HttpHandler,
}

pub struct Gateway {
    routes: Vec<Bound>,
    state: Arc<AppState>,
    web_app: Option<std::path::PathBuf>,
}

/// A matched route with its path parameters.
struct Matched<'a> {
    bound: &'a Bound,
    params: Map<String, Value>,
}

impl Gateway {
    /// Binds every template route to its in-process handler. Fails when the
    /// template and the function table disagree.
    pub fn from_template(state: Arc<AppState>) -> Result<Self> {
        let text = crate::template::load_text()?;
        let handlers: HashMap<&str, HttpHandler> = crate::functions::http_functions().into_iter().collect();
        let mut routes = Vec::new();
        for route in crate::template::http_routes(&text)? {
            let Some(handler) = handlers.get(route.function.as_str()) else {
                bail!("template route {} targets {}, which the local gateway does not know", route.route_key(), route.function);
            };
            routes.push(Bound { route, handler: *handler });
        }
        Ok(Self { routes, state, web_app: None })
    }

    /// Also serves the browser app's static build from `dist` outside `/api/`.
    pub fn with_web_app(mut self, dist: std::path::PathBuf) -> Self {
        self.web_app = Some(dist);
        self
    }

    fn select(&self, method: &str, path: &str) -> Option<Matched<'_>> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
        let mut best: Option<((u8, usize, usize, u8), Matched<'_>)> = None;
        for bound in &self.routes {
            let r = &bound.route;
            if r.path == "$default" || (r.method != "ANY" && r.method != method) {
                continue;
            }
            let segs: Vec<&str> = r.path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
            let greedy = segs.last().is_some_and(|s| s.ends_with("+}"));
            let fixed = if greedy { segs.len() - 1 } else { segs.len() };
            if (greedy && parts.len() <= fixed) || (!greedy && parts.len() != segs.len()) {
                continue;
            }
            let mut params = Map::new();
            let mut literals = 0;
            let mut ok = true;
            for (i, seg) in segs.iter().take(fixed).enumerate() {
                if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    params.insert(name.to_string(), Value::String(percent_decode(parts[i], false)));
                } else if *seg == parts[i] {
                    literals += 1;
                } else {
                    ok = false;
                    break;
                }
            }
            if !ok {
                continue;
            }
            if greedy {
                let name = segs[fixed].trim_start_matches('{').trim_end_matches("+}");
                params.insert(name.to_string(), Value::String(parts[fixed..].join("/")));
            }
            let score = (u8::from(!greedy), literals, fixed, u8::from(r.method != "ANY"));
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, Matched { bound, params }));
            }
        }
        best.map(|(_, m)| m).or_else(|| {
            self.routes.iter().find(|b| b.route.path == "$default").map(|bound| Matched { bound, params: Map::new() })
        })
    }

    /// Which function (template logical id) serves `method path`, and by which route key.
    pub fn function_for(&self, method: &str, path: &str) -> Option<(String, String)> {
        self.select(method, path).map(|m| (m.bound.route.function.clone(), m.bound.route.route_key()))
    }

    /// The routes served, as API Gateway route keys.
    pub fn route_keys(&self) -> Vec<String> {
        self.routes.iter().map(|b| b.route.route_key()).collect()
    }

    /// Serves until the task is dropped. Returns the bound address at once.
    pub async fn serve(self, addr: SocketAddr) -> Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
        let listener = TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
        let local = listener.local_addr()?;
        let gw = Arc::new(self);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else { continue };
                let gw = gw.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let gw = gw.clone();
                        async move { Ok::<_, Infallible>(gw.handle(req, peer, local).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        });
        Ok((local, task))
    }

    async fn handle(&self, req: hyper::Request<Incoming>, peer: SocketAddr, local: SocketAddr) -> hyper::Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        if parts.method == http::Method::OPTIONS && parts.headers.contains_key("access-control-request-method") {
            return cors(hyper::Response::builder().status(204)).body(Full::new(Bytes::new())).unwrap_or_default();
        }
        let body = match Limited::new(body, GATEWAY_MAX_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return gateway_error(413, "Request Entity Too Large"),
        };
        let method = parts.method.as_str().to_string();
        let path = parts.uri.path().to_string();
        if (parts.method == http::Method::GET || parts.method == http::Method::HEAD) && path.trim_end_matches('/') == MAIL_PATH {
            return mail_page(&self.state, parts.uri.query()).await;
        }
        if let Some(dist) = &self.web_app {
            if (parts.method == http::Method::GET || parts.method == http::Method::HEAD) && !path.starts_with("/api/") && path != "/api" {
                return serve_static(dist, &path);
            }
        }
        let Some(matched) = self.select(&method, &path) else { return gateway_error(404, "Not Found") };
        let event = build_event(&parts, &body, &matched, peer, local);
        let lambda_req: lambda_http::request::LambdaRequest = match serde_json::from_value(event) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "could not build the API Gateway event");
                return gateway_error(500, "Internal Server Error");
            }
        };
        let response = (matched.bound.handler)(self.state.clone(), lambda_req.into()).await;
        to_hyper(response)
    }
}

fn cors(b: http::response::Builder) -> http::response::Builder {
    b.header("access-control-allow-origin", "*")
        .header("access-control-allow-headers", "authorization, content-type, x-request-id")
        .header("access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
        .header("access-control-expose-headers", "x-request-id")
        .header("access-control-max-age", "600")
}

fn content_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A file of the app's build, or `index.html` for the app's own routes.
/// Hashed files under `assets/` are cached for good; `index.html` never is.
/// A missing file that looks like one (it has an extension) is a 404, so a
/// broken asset link fails loudly instead of answering HTML.
fn serve_static(dist: &std::path::Path, path: &str) -> hyper::Response<Full<Bytes>> {
    let decoded = percent_decode(path, false);
    let rel: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    if rel.iter().any(|s| *s == ".." || s.contains('\\') || s.starts_with('.')) {
        return gateway_error(404, "Not Found");
    }
    let mut file = dist.to_path_buf();
    rel.iter().for_each(|s| file.push(s));
    let is_file = std::fs::metadata(&file).is_ok_and(|m| m.is_file());
    if !is_file {
        if rel.last().is_some_and(|s| s.contains('.')) {
            return hyper::Response::builder()
                .status(404)
                .header("content-type", "text/plain; charset=utf-8")
                .body(Full::new(Bytes::from_static(b"Not Found")))
                .unwrap_or_default();
        }
        file = dist.join("index.html");
    }
    // Small files, local development only: a blocking read is fine here.
    match std::fs::read(&file) {
        Ok(bytes) => {
            let immutable = rel.first() == Some(&"assets") && is_file;
            hyper::Response::builder()
                .status(200)
                .header("content-type", content_type(&file))
                .header("cache-control", if immutable { "public, max-age=31536000, immutable" } else { "no-cache" })
                .header("x-content-type-options", "nosniff")
                .body(Full::new(Bytes::from(bytes)))
                .unwrap_or_default()
        }
        Err(_) => gateway_error(404, "Not Found"),
    }
}

/// The local mail viewer's path: outside `/api/` and absent from the
/// template, so it can never be deployed.
pub const MAIL_PATH: &str = "/_dev/mail";

/// The mail the local sender kept for `to`, newest first: the outbox of the
/// account whose user has this login email (found by the email's guard item,
/// `UNIQ#EMAIL#<email>` → `<account>/<user>`), only the mails addressed to
/// it. An address with no user has none. Local tooling: it reads the store
/// directly, as the tests do, with no token.
pub async fn mail_to(state: &AppState, to: &str) -> Result<Vec<Mail>, igny8::AppError> {
    let email = igny8::accounts::normalize_email(to)?;
    let guard: Option<Value> = state.store.get(&keys::unique_global("EMAIL", &email)).await?;
    let Some((account_id, _user)) = guard.as_ref().and_then(|g| g["owner"].as_str()).and_then(|o| o.split_once('/')) else {
        return Ok(Vec::new());
    };
    let mut mails = igny8::mail::outbox(state, &Tenant::from_verified(account_id)).await?;
    mails.retain(|m| m.to.eq_ignore_ascii_case(&email));
    // Newest first (ids are ULIDs; the outbox query already reads them so).
    mails.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
    Ok(mails)
}

/// `GET /_dev/mail?to=<email>`: an HTML page of [`mail_to`].
async fn mail_page(state: &AppState, query: Option<&str>) -> hyper::Response<Full<Bytes>> {
    let to = query
        .unwrap_or("")
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .find(|(k, _)| percent_decode(k, true) == "to")
        .map(|(_, v)| percent_decode(v, true).trim().to_string())
        .filter(|v| !v.is_empty());
    let (status, html): (u16, String) = match to.as_deref() {
        None => (200, render_mail_page(None, Ok(&[][..]))),
        Some(addr) => match mail_to(state, addr).await {
            Ok(mails) => (200, render_mail_page(Some(addr), Ok(mails.as_slice()))),
            Err(igny8::AppError::Validation { .. }) => (400, render_mail_page(Some(addr), Err("This is not a valid email address."))),
            Err(e) => {
                tracing::error!(error = ?e, "the local mail viewer could not read the outbox");
                (500, render_mail_page(Some(addr), Err("The outbox could not be read; see the log.")))
            }
        },
    };
    hyper::Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .body(Full::new(Bytes::from(html)))
        .unwrap_or_default()
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A mail's text, escaped, with its links into the web app (words starting
/// with `/` outside `/api/`, such as `/verify-email?token=…`) made clickable
/// on this origin, where the gateway serves the app.
fn linkify(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let w = std::mem::take(word);
        if w.len() > 1 && w.starts_with('/') && !w.starts_with("//") && !w.starts_with("/api/") {
            let e = html_escape(&w);
            out.push_str(&format!("<a href=\"{e}\">{e}</a>"));
        } else {
            out.push_str(&html_escape(&w));
        }
    };
    for c in text.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn render_mail_page(to: Option<&str>, mails: Result<&[Mail], &str>) -> String {
    let value = to.map(html_escape).unwrap_or_default();
    let mut body = String::new();
    match (to, mails) {
        (_, Err(message)) => body.push_str(&format!("<p role=\"alert\" class=\"error\">{}</p>", html_escape(message))),
        (None, Ok(_)) => body.push_str("<p>Enter an address to see the mail sent to it.</p>"),
        (Some(_), Ok([])) => body.push_str(&format!("<p>No mail was sent to {value}.</p>")),
        (Some(_), Ok(mails)) => {
            let n = mails.len();
            body.push_str(&format!("<p>{n} mail{} to {value}, newest first.</p>\n<ol aria-label=\"Mail to {value}\">\n", if n == 1 { "" } else { "s" }));
            for m in mails {
                body.push_str(&format!(
                    "<li><article aria-label=\"{subject}\"><h2>{subject}</h2><p class=\"meta\">To {to} · {kind} · {at}</p><pre>{text}</pre></article></li>\n",
                    subject = html_escape(&m.subject),
                    to = html_escape(&m.to),
                    kind = html_escape(&m.kind),
                    at = html_escape(&m.created_at),
                    text = linkify(&m.text),
                ));
            }
            body.push_str("</ol>\n");
        }
    }
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local mail · IGNY8</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 50rem; padding: 0 1rem; color: #0f172a; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin: 0 0 .25rem; }}
ol {{ list-style: none; padding: 0; }} li {{ border: 1px solid #cbd5e1; border-radius: .5rem; padding: 1rem; margin: 1rem 0; }}
.meta {{ color: #475569; font-size: .85rem; margin: 0 0 .5rem; }} .error {{ color: #991b1b; }}
pre {{ white-space: pre-wrap; word-break: break-all; font-size: .9rem; }} a {{ color: #3730a3; }}
</style>
</head>
<body>
<main>
<h1>Local mail</h1>
<p>The mail the local sender kept (the account's outbox, 14 days). This page exists only in the local gateway (<code>cargo xtask dev</code>, <code>cargo xtask e2e</code>); in AWS mail is really sent.</p>
<form method="get" action="{MAIL_PATH}"><label for="to">Address</label> <input id="to" name="to" type="email" value="{value}" required> <button type="submit">Show mail</button></form>
{body}</main>
</body>
</html>
"#
    )
}

/// API Gateway's own errors (not the function's) look like this.
fn gateway_error(status: u16, message: &str) -> hyper::Response<Full<Bytes>> {
    cors(hyper::Response::builder().status(status))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(json!({ "message": message }).to_string())))
        .unwrap_or_default()
}

fn to_hyper(resp: lambda_http::Response<lambda_http::Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Bytes::new(),
        lambda_http::Body::Text(t) => Bytes::from(t),
        lambda_http::Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    let mut b = cors(hyper::Response::builder().status(parts.status));
    for (k, v) in &parts.headers {
        b = b.header(k, v);
    }
    b.body(Full::new(bytes)).unwrap_or_default()
}

pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match (bytes.get(i + 1).and_then(|b| hex(*b)), bytes.get(i + 2).and_then(|b| hex(*b))) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The payload 2.0 event API Gateway would send for this request.
fn build_event(parts: &http::request::Parts, body: &Bytes, m: &Matched<'_>, peer: SocketAddr, local: SocketAddr) -> Value {
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            cookies.extend(v.split(';').map(|c| Value::String(c.trim().to_string())));
            continue;
        }
        let key = name.as_str().to_ascii_lowercase();
        match headers.get_mut(&key) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                headers.insert(key, Value::String(v));
            }
        }
    }
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let mut query = Map::new();
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k, true), percent_decode(v, true));
        match query.get_mut(&k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                query.insert(k, Value::String(v));
            }
        }
    }
    let route_key = m.bound.route.route_key();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let (body_value, is_b64) = if body.is_empty() {
        (Value::Null, false)
    } else {
        match std::str::from_utf8(body) {
            Ok(text) => (Value::String(text.to_string()), false),
            Err(_) => (Value::String(base64::engine::general_purpose::STANDARD.encode(body)), true),
        }
    };
    let user_agent = parts.headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": local.to_string(),
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": peer.ip().to_string(),
                "userAgent": user_agent,
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route_key,
            "stage": "$default",
            "time": "",
            "timeEpoch": now.as_millis() as i64,
        },
        "isBase64Encoded": is_b64,
    });
    if !cookies.is_empty() {
        event["cookies"] = Value::Array(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !m.params.is_empty() {
        event["pathParameters"] = Value::Object(m.params.clone());
    }
    if !body_value.is_null() {
        event["body"] = body_value;
    }
    event
}

#[cfg(test)]
mod tests {
    use super::{MAIL_PATH, linkify, mail_to, render_mail_page, serve_static};
    use http_body_util::BodyExt;
    use igny8::mail::Mail;
    use igny8::store::keys::Tenant;

    async fn get(dist: &std::path::Path, path: &str) -> (u16, String, String, String) {
        let r = serve_static(dist, path);
        let status = r.status().as_u16();
        let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let cache = r.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let body = r.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        (status, ct, cache, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_web_app_is_served_with_its_routes_falling_back_to_index_html() {
        let dir = std::env::temp_dir().join(format!("igny8-dist-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html>app").unwrap();
        std::fs::write(dir.join("assets/index-abc.js"), "console.log(1)").unwrap();
        let secret = dir.with_extension("secret.txt");
        std::fs::write(&secret, "secret").unwrap();
        let name = secret.file_name().unwrap().to_string_lossy().into_owned();

        let (s, ct, cache, body) = get(&dir, "/").await;
        assert_eq!((s, ct.as_str(), cache.as_str(), body.as_str()), (200, "text/html; charset=utf-8", "no-cache", "<!doctype html>app"));
        let (s, ct, cache, _) = get(&dir, "/assets/index-abc.js").await;
        assert_eq!((s, ct.as_str()), (200, "text/javascript; charset=utf-8"));
        assert!(cache.contains("immutable"));
        // The app's own routes (deep links) get index.html.
        let (s, _, _, body) = get(&dir, "/planner/keywords").await;
        assert_eq!((s, body.as_str()), (200, "<!doctype html>app"));
        // A missing file is a 404, not HTML; nothing outside dist is reachable.
        assert_eq!(get(&dir, "/assets/missing.js").await.0, 404);
        assert_eq!(get(&dir, &format!("/../{name}")).await.0, 404);
        assert_eq!(get(&dir, &format!("/assets/%2e%2e/%2e%2e/{name}")).await.0, 404);
        std::fs::remove_dir_all(&dir).ok();
        std::fs::remove_file(&secret).ok();
    }

    #[test]
    fn the_mail_page_escapes_the_mail_and_links_into_the_app_only() {
        let text = "Hi <b>&</b>\n\n/verify-email?token=A.B.c-_d\"x\n\nOr POST /api/v1/auth/verify-email/: A.B.c";
        assert_eq!(
            linkify(text),
            "Hi &lt;b&gt;&amp;&lt;/b&gt;\n\n<a href=\"/verify-email?token=A.B.c-_d&quot;x\">/verify-email?token=A.B.c-_d&quot;x</a>\n\nOr POST /api/v1/auth/verify-email/: A.B.c"
        );
        let tenant = Tenant::from_verified("01JAAAAAAAAAAAAAAAAAAAAAAA");
        let newer = Mail::new(&tenant, "o@example.com", "verify_email", "Confirm <now>", "/verify-email?token=new".into());
        let older = Mail::new(&tenant, "o@example.com", "verify_email", "Confirm", "/verify-email?token=old".into());
        let page = render_mail_page(Some("o@example.com"), Ok(&[newer, older][..]));
        assert!(page.contains("2 mails to o@example.com, newest first."), "{page}");
        let (new_at, old_at) = (page.find("token=new").unwrap(), page.find("token=old").unwrap());
        assert!(new_at < old_at, "the order given (newest first) is kept");
        assert!(page.contains("<h2>Confirm &lt;now&gt;</h2>") && !page.contains("<now>"));
        assert!(page.contains(&format!("action=\"{MAIL_PATH}\"")));
        assert!(render_mail_page(Some("x@example.com"), Ok(&[][..])).contains("No mail was sent to x@example.com."));
        assert!(render_mail_page(Some("\"><script>"), Err("bad")).contains("value=\"&quot;&gt;&lt;script&gt;\""));
    }

    /// Against the emulator (`IGNY8_TEST_AWS_ENDPOINT` when `cargo xtask test`
    /// runs it, else a private one): a registered owner's verification mail
    /// is found by address, newest first after a resend, over HTTP on the
    /// gateway, and its link's token verifies the email.
    #[tokio::test]
    async fn the_local_mail_viewer_shows_an_address_mail_with_the_verification_link() {
        use igny8::accounts::{self, RegisterInput, VerifyEmailInput};
        let mut own = None;
        let endpoint = match std::env::var("IGNY8_TEST_AWS_ENDPOINT") {
            Ok(e) if !e.is_empty() => e,
            _ => {
                let emu = crate::emulator::Emulator::start().expect("start the emulator");
                let e = emu.endpoint();
                own = Some(emu);
                e
            }
        };
        let stack = format!("igny8-mailview-{}", uuid::Uuid::new_v4().simple());
        let res = crate::provision::deploy(&endpoint, &stack).await.expect("deploy");
        let config = crate::provision::config_for(&endpoint, &res, "mail-viewer-test-secret-0123456789abcdef0123456789");
        let state = std::sync::Arc::new(igny8::AppState::new(config).await);
        let email = format!("Owner-{}@Example.com", uuid::Uuid::new_v4().simple());
        let input = RegisterInput { email: email.clone(), password: "Owner-pass-2026!".into(), name: Some("Olga".into()), account_name: None };
        let session = accounts::register(&state, input, None).await.expect("register");
        let lower = email.to_lowercase();
        // Another mail in the same account, to someone else: not shown.
        let tenant = Tenant::from_verified(&session.account.id);
        let note = Mail::new(&tenant, "someone-else@example.com", "note", "Not yours", "hello".into());
        igny8::mail::sender(&state).send(&state, &note).await.expect("send");
        // A resend: two verification mails, the newest first.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let owner = igny8::auth::guard::Principal {
            user_id: session.user.id.clone(),
            account_id: session.account.id.clone(),
            role: igny8::auth::guard::Role::Owner,
            email: lower.clone(),
            is_staff: false,
        };
        accounts::resend_verification(&state, &owner).await.expect("resend");
        let mails = mail_to(&state, &email).await.expect("mail");
        assert_eq!(mails.len(), 2, "{mails:?}");
        assert!(mails.iter().all(|m| m.to == lower && m.kind == "verify_email"));
        assert!(mails[0].created_at >= mails[1].created_at);
        assert!(mail_to(&state, "nobody@example.com").await.expect("none").is_empty());
        assert!(mail_to(&state, "not an address").await.is_err());

        let gateway = super::Gateway::from_template(state.clone()).expect("gateway");
        let (addr, server) = gateway.serve(([127, 0, 0, 1], 0).into()).await.expect("serve");
        let http = reqwest::Client::new();
        let res = http.get(format!("http://{addr}{MAIL_PATH}?to={}", email.replace('@', "%40"))).send().await.expect("get");
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let page = res.text().await.expect("body");
        assert!(page.contains(&format!("2 mails to {email}, newest first.")), "{page}");
        assert!(!page.contains("Not yours"));
        let newest = igny8::mail::verification_token(&mails[0]).expect("token");
        let link = format!("<a href=\"/verify-email?token={newest}\">");
        let first = page.find("<a href=\"/verify-email?token=").expect("a link");
        assert_eq!(page.find(&link), Some(first), "the newest mail's link comes first");
        assert_eq!(http.get(format!("http://{addr}{MAIL_PATH}/?to=nope")).send().await.expect("get").status(), 400);
        assert_eq!(http.post(format!("http://{addr}{MAIL_PATH}")).send().await.expect("post").status(), 404, "only GET shows mail");
        // The link's token is the one that verifies.
        let verified = accounts::verify_email(&state, VerifyEmailInput { token: newest }, None).await.expect("verify");
        assert!(verified.account.email_verified && verified.free_credits > 0.0);
        server.abort();
        drop(own);
    }
}
