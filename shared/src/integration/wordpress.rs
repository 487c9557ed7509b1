//! WordPress core's REST API with an Application Password, through the
//! guarded client, and the connection test.

use super::outbound::{self, OutboundError, Policy, Request, Response};
use super::{Integration, IntegrationView};
use crate::auth::guard::Principal;
use crate::error::AppResult;
use crate::state::AppState;
use serde::Serialize;
use serde_json::Value;
use std::time::Instant;

/// How the REST API is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestMode {
    /// `/wp-json/<route>` (pretty permalinks).
    Pretty,
    /// `/?rest_route=<route>` (plain permalinks).
    Query,
}

impl RestMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RestMode::Pretty => "pretty",
            RestMode::Query => "query",
        }
    }
    pub fn parse(s: Option<&str>) -> Self {
        if s == Some("query") { RestMode::Query } else { RestMode::Pretty }
    }
}

/// A WordPress site's REST API as one user.
pub struct Client {
    pub base_url: String,
    pub mode: RestMode,
    pub username: String,
    pub password: String,
    pub policy: Policy,
}

impl Client {
    /// A client for an integration (opens its password).
    pub async fn for_integration(state: &AppState, i: &Integration) -> AppResult<Self> {
        Ok(Self {
            base_url: i.base_url.clone(),
            mode: RestMode::parse(i.rest_mode.as_deref()),
            username: i.username.clone(),
            password: super::credentials(state, i).await?,
            policy: Policy::from_config(&state.config),
        })
    }

    /// The URL of a REST route (`/wp/v2/posts`) with a query string (`a=b&c=d`).
    pub fn url(&self, route: &str, query: &str) -> String {
        match (self.mode, query.is_empty()) {
            (RestMode::Pretty, true) => format!("{}/wp-json{route}", self.base_url),
            (RestMode::Pretty, false) => format!("{}/wp-json{route}?{query}", self.base_url),
            (RestMode::Query, true) => format!("{}/?rest_route={route}", self.base_url),
            (RestMode::Query, false) => format!("{}/?rest_route={route}&{query}", self.base_url),
        }
    }

    pub fn request(&self, method: http::Method, route: &str, query: &str) -> Request {
        Request::new(method, self.url(route, query)).basic_auth(&self.username, &self.password).header("x-igny8-origin", "1")
    }

    pub async fn send(&self, req: Request) -> Result<Response, OutboundError> {
        outbound::send(&self.policy, req).await
    }
}

/// One line of a connection test.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Check {
    /// `reachable`, `rest_api`, `application_passwords`, `authenticated`,
    /// `capabilities`, `wordpress_version`, `seo_plugin`, `companion_plugin`.
    pub check: String,
    pub ok: bool,
    pub detail: String,
    /// What to do when it failed.
    pub fix: Option<String>,
}

fn pass(check: &str, detail: impl Into<String>) -> Check {
    Check { check: check.into(), ok: true, detail: detail.into(), fix: None }
}

fn fail(check: &str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check { check: check.into(), ok: false, detail: detail.into(), fix: Some(fix.into()) }
}

/// `data` of a connection test.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TestReport {
    /// Every check passed.
    pub ok: bool,
    pub checks: Vec<Check>,
    pub integration: IntegrationView,
}

/// The likely causes when WordPress answers a correct application password
/// as if no credentials had been sent.
pub const ANONYMOUS_FIX: &str = "WordPress answered as if no credentials were sent. Likely causes: (1) the web server strips the Authorization header — on Apache/CGI add to .htaccess `RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]` (or `SetEnvIf Authorization \"(.*)\" HTTP_AUTHORIZATION=$1`), on nginx/FastCGI pass `fastcgi_param HTTP_AUTHORIZATION $http_authorization;`; (2) Application Passwords are disabled (a security plugin or the `wp_is_application_passwords_available` filter); (3) the site is served over plain HTTP and is not a local environment — WordPress only offers Application Passwords over HTTPS (or with WP_ENVIRONMENT_TYPE=local).";

/// The fix when WordPress rejects the credentials themselves.
pub const WRONG_CREDENTIALS_FIX: &str = "WordPress did not accept the user name or application password. In WordPress open Users → Profile → Application Passwords, create a new one for IGNY8 and save it here (the login password does not work for the REST API).";

fn error_code(r: &Response) -> String {
    r.json().and_then(|j| j.get("code").and_then(Value::as_str).map(str::to_string)).unwrap_or_default()
}

fn unreachable_fix(e: &OutboundError) -> String {
    match e {
        OutboundError::Forbidden { .. } => "Use the site's public address: private, loopback and cloud metadata addresses are refused.".into(),
        OutboundError::Dns(_) => "Check the site's address (base_url): the host name does not resolve.".into(),
        OutboundError::Timeout(_) => "The site did not answer in time: check that it is up and not blocking our requests (firewall, security plugin).".into(),
        OutboundError::Redirect(_) => "The site redirects to another host: save the address it redirects to (e.g. with or without www, https) as base_url.".into(),
        _ => "Check that the site is up and that base_url is its address (scheme, host and port).".into(),
    }
}

/// The version from the RSS feed's generator (`https://wordpress.org/?v=6.1.9`).
pub fn version_from_feed(feed: &str) -> Option<String> {
    let at = feed.find("wordpress.org/?v=")? + "wordpress.org/?v=".len();
    let v: String = feed[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-').collect();
    (!v.is_empty()).then_some(v)
}

fn version_at_least(v: &str, major: u32, minor: u32) -> bool {
    let mut parts = v.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse::<u32>().unwrap_or(0));
    let (a, b) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

/// The SEO plugin's meta keys, by its REST namespace.
pub fn seo_keys(plugin: &str) -> Option<[&'static str; 3]> {
    match plugin {
        "yoast" => Some(["_yoast_wpseo_title", "_yoast_wpseo_metadesc", "_yoast_wpseo_focuskw"]),
        "rank_math" => Some(["rank_math_title", "rank_math_description", "rank_math_focus_keyword"]),
        _ => None,
    }
}

/// What a run of the checks found (before it is recorded).
#[derive(Debug, Default)]
pub struct Findings {
    pub checks: Vec<Check>,
    pub rest_mode: Option<RestMode>,
    pub seo_plugin: Option<String>,
    pub wp_version: Option<String>,
    /// WordPress refused the credentials (or answered as anonymous).
    pub auth_refused: Option<String>,
}

/// Runs the checks against a site.
pub async fn run_checks(client: &mut Client) -> Findings {
    let mut f = Findings::default();
    // 1. Reachable, and 2. the REST API (pretty permalinks first).
    client.mode = RestMode::Pretty;
    let index = match client.send(Request::new(http::Method::GET, client.url("/", ""))).await {
        Err(e) => {
            f.checks.push(fail("reachable", e.to_string(), unreachable_fix(&e)));
            return f;
        }
        Ok(r) => {
            f.checks.push(pass("reachable", format!("{} answered HTTP {} in {} ms", client.base_url, r.status, r.elapsed.as_millis())));
            r
        }
    };
    let is_index = |r: &Response| r.status == 200 && r.json().is_some_and(|j| j.get("namespaces").is_some_and(Value::is_array));
    let index = if is_index(&index) {
        f.checks.push(pass("rest_api", format!("discovered at {}/wp-json/", client.base_url)));
        Some(index)
    } else {
        client.mode = RestMode::Query;
        match client.send(Request::new(http::Method::GET, client.url("/", ""))).await {
            Ok(r) if is_index(&r) => {
                f.checks.push(pass("rest_api", format!("discovered at {}/?rest_route=/ (pretty permalinks are off)", client.base_url)));
                Some(r)
            }
            other => {
                let seen = match other {
                    Ok(r) => format!("HTTP {} without the REST index", r.status),
                    Err(e) => e.to_string(),
                };
                f.checks.push(fail(
                    "rest_api",
                    format!("neither /wp-json/ nor /?rest_route=/ answered with the REST API index ({seen})"),
                    "Check that this is a WordPress 5.6+ site and that no security plugin disables the REST API.",
                ));
                None
            }
        }
    };
    let Some(index) = index.and_then(|r| r.json()) else {
        return f;
    };
    f.rest_mode = Some(client.mode);
    let namespaces: Vec<String> = index["namespaces"].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default();
    // 3. Application Passwords offered.
    if index.pointer("/authentication/application-passwords").is_some() {
        f.checks.push(pass("application_passwords", "offered by the site"));
    } else {
        f.checks.push(fail(
            "application_passwords",
            "the REST index does not offer Application Passwords",
            "Application Passwords need WordPress 5.6+, HTTPS (or WP_ENVIRONMENT_TYPE=local), and no plugin disabling them.",
        ));
    }
    // 4. Authenticated as the user, and 5. capabilities.
    match client.send(client.request(http::Method::GET, "/wp/v2/users/me", "context=edit")).await {
        Ok(r) if r.status == 200 => {
            let me = r.json().unwrap_or_default();
            let roles: Vec<&str> = me["roles"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            f.checks.push(pass("authenticated", format!("as {} (user {}, {})", me["username"].as_str().unwrap_or("?"), me["id"], roles.join(", "))));
            let cap = |c: &str| me["capabilities"][c].as_bool() == Some(true);
            let missing: Vec<&str> = ["publish_posts", "upload_files"].into_iter().filter(|c| !cap(c)).collect();
            if missing.is_empty() {
                f.checks.push(pass("capabilities", "publish_posts and upload_files"));
            } else {
                f.checks.push(fail(
                    "capabilities",
                    format!("the user lacks {}", missing.join(" and ")),
                    "Use an Editor or Administrator account (Authors cannot publish others' posts; Contributors cannot publish or upload).",
                ));
            }
        }
        Ok(r) => {
            let code = error_code(&r);
            let detail = format!("HTTP {} {code}", r.status);
            // WordPress answers a wrong application password and a missing
            // header alike (401 rest_not_logged_in). The companion plugin, when
            // active, says whether the header reached PHP at all.
            let header_seen = if namespaces.iter().any(|n| n == "igny8/v1") {
                match client.send(client.request(http::Method::GET, "/igny8/v1/status", "")).await {
                    Ok(s) if s.status == 200 => s.json().and_then(|j| j["authorization_header"].as_bool()),
                    _ => None,
                }
            } else {
                None
            };
            let wrong = matches!(code.as_str(), "incorrect_password" | "invalid_username" | "invalid_email" | "application_passwords_disabled_for_user");
            match (wrong, header_seen) {
                (true, _) | (false, Some(true)) => {
                    f.checks.push(fail("authenticated", format!("{detail}: WordPress received the credentials and refused them"), WRONG_CREDENTIALS_FIX));
                }
                (false, Some(false)) => f.checks.push(fail(
                    "authenticated",
                    format!("{detail}: the Authorization header never reached WordPress (the IGNY8 Connector saw none)"),
                    ANONYMOUS_FIX,
                )),
                (false, None) => f.checks.push(fail(
                    "authenticated",
                    format!("{detail}: the request was treated as anonymous"),
                    format!("Either the user name or application password is wrong ({WRONG_CREDENTIALS_FIX}) or {}", ANONYMOUS_FIX.trim_start_matches("WordPress answered as if no credentials were sent. ")),
                )),
            }
            f.auth_refused = Some(detail);
        }
        Err(e) => f.checks.push(fail("authenticated", e.to_string(), unreachable_fix(&e))),
    }
    // 6. WordPress version (from the feed's generator; hidden by some sites).
    let feed = client.send(Request::new(http::Method::GET, format!("{}/?feed=rss2", client.base_url))).await;
    match feed.ok().and_then(|r| version_from_feed(&r.text())) {
        Some(v) if version_at_least(&v, 5, 6) => {
            f.checks.push(pass("wordpress_version", format!("WordPress {v}")));
            f.wp_version = Some(v);
        }
        Some(v) => {
            f.checks.push(fail("wordpress_version", format!("WordPress {v}"), "Update WordPress to 5.6 or later (Application Passwords)."));
            f.wp_version = Some(v);
        }
        None => f.checks.push(pass("wordpress_version", "not disclosed by the site")),
    }
    // 7. SEO plugin, by REST namespace.
    let seo = if namespaces.iter().any(|n| n == "yoast/v1") {
        Some(("yoast", "Yoast SEO"))
    } else if namespaces.iter().any(|n| n == "rankmath/v1") {
        Some(("rank_math", "Rank Math"))
    } else {
        None
    };
    match seo {
        Some((id, name)) => {
            let keys = seo_keys(id).unwrap_or_default();
            f.checks.push(pass("seo_plugin", format!("{name}: SEO title, description and focus keyword go to {}", keys.join(", "))));
            f.seo_plugin = Some(id.to_string());
        }
        None => f.checks.push(pass("seo_plugin", "none detected (Yoast or Rank Math): SEO fields are not written")),
    }
    // 8. The companion plugin (optional).
    if namespaces.iter().any(|n| n == "igny8/v1") {
        f.checks.push(pass("companion_plugin", "IGNY8 Connector active: webhooks and the igny8_content_id meta"));
    } else {
        f.checks.push(pass("companion_plugin", "not installed (optional): no webhooks; a retried publish finds its post by slug"));
    }
    f
}

/// `POST …/{id}/test-connection/`: runs the checks and records what they
/// found on the integration (REST mode, SEO plugin, version; a refusal of
/// the credentials marks it `needs_attention`, a full pass clears that).
pub async fn test_connection(state: &AppState, p: &Principal, id: &str) -> AppResult<TestReport> {
    let item = super::get(state, p, id).await?;
    let started = Instant::now();
    let mut client = Client::for_integration(state, &item).await?;
    let f = run_checks(&mut client).await;
    let ok = f.checks.iter().all(|c| c.ok) && f.checks.len() >= 4;
    let failed: Vec<String> = f.checks.iter().filter(|c| !c.ok).map(|c| format!("{}: {}", c.check, c.detail)).collect();
    let now = crate::ids::now_rfc3339();
    let item = super::record_state(state, item, |i| {
        if let Some(m) = f.rest_mode {
            i.rest_mode = Some(m.as_str().to_string());
        }
        if f.rest_mode.is_some() {
            i.seo_plugin = f.seo_plugin.clone();
        }
        if f.wp_version.is_some() {
            i.wp_version = f.wp_version.clone();
        }
        i.last_tested_at = Some(now.clone());
        i.last_test_ok = Some(ok);
        if ok {
            i.status = "active".into();
            i.status_reason = None;
        } else if let Some(why) = &f.auth_refused {
            i.status = "needs_attention".into();
            i.status_reason = Some(format!("WordPress refused the credentials ({why})"));
        }
    })
    .await?;
    super::synclog::write(
        state,
        &p.tenant(),
        &item.id,
        super::synclog::Entry {
            action: "test",
            ok,
            duration_ms: started.elapsed().as_millis() as u64,
            detail: Some(format!("{} checks", f.checks.len())),
            error: (!ok).then(|| failed.join("; ")),
            ..Default::default()
        },
    )
    .await;
    Ok(TestReport { ok, checks: f.checks, integration: IntegrationView::from(&item) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_feed_generator() {
        assert_eq!(version_from_feed("<generator>https://wordpress.org/?v=6.1.9</generator>").as_deref(), Some("6.1.9"));
        assert_eq!(version_from_feed("<rss></rss>"), None);
        assert!(version_at_least("6.1.9", 5, 6) && version_at_least("5.6", 5, 6) && !version_at_least("5.5.3", 5, 6));
    }

    #[test]
    fn rest_urls_follow_the_mode() {
        let mut c = Client { base_url: "https://b.example".into(), mode: RestMode::Pretty, username: "u".into(), password: "p".into(), policy: Policy::default() };
        assert_eq!(c.url("/wp/v2/users/me", "context=edit"), "https://b.example/wp-json/wp/v2/users/me?context=edit");
        c.mode = RestMode::Query;
        assert_eq!(c.url("/wp/v2/users/me", "context=edit"), "https://b.example/?rest_route=/wp/v2/users/me&context=edit");
        assert_eq!(c.url("/", ""), "https://b.example/?rest_route=/");
    }
}
