//! The one guarded client for requests to user-supplied URLs (a WordPress
//! site's base URL is user input fetched by our functions).
//!
//! - Only `http`/`https`, no credentials in the URL.
//! - The host is resolved once; every address it resolves to must be public
//!   (no private, loopback, link-local, CGNAT, multicast, reserved or cloud
//!   metadata address such as 169.254.169.254 / fd00:ec2::254) unless the
//!   configuration allows private addresses (`OUTBOUND_ALLOW_PRIVATE`, local
//!   runs and tests only). The connection then goes to that very address
//!   (the client is pinned to it), so a second DNS answer cannot rebind the
//!   name to an internal address.
//! - Redirects are followed only to the same scheme, host and port (at most 3).
//! - Connect and total timeouts; the body is read up to a size cap.

use crate::error::AppError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

/// Largest response body read (a WordPress post list page with content is
/// well under this).
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The guard's settings.
#[derive(Debug, Clone)]
pub struct Policy {
    pub allow_private: bool,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_bytes: usize,
}

impl Policy {
    pub fn from_config(config: &crate::Config) -> Self {
        Self { allow_private: config.outbound_allow_private, ..Self::default() }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self { allow_private: false, connect_timeout: Duration::from_secs(5), timeout: Duration::from_secs(30), max_bytes: MAX_RESPONSE_BYTES }
    }
}

/// Why a request did not get an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("the URL is not allowed: {0}")]
    BadUrl(String),
    #[error("{host} resolves to {addr}, a private or reserved address; requests to it are refused")]
    Forbidden { host: String, addr: IpAddr },
    #[error("{0} could not be resolved")]
    Dns(String),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("redirected to another host ({0}); refused")]
    Redirect(String),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("request failed: {0}")]
    Other(String),
}

impl OutboundError {
    /// Worth retrying later (the remote side may recover).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::Timeout(_) | Self::Dns(_) | Self::Other(_))
    }
}

impl From<OutboundError> for AppError {
    fn from(e: OutboundError) -> Self {
        match e {
            OutboundError::BadUrl(_) | OutboundError::Forbidden { .. } => AppError::field("base_url", e.to_string()),
            other => AppError::validation(other.to_string()),
        }
    }
}

/// True for addresses our functions must never reach on a tenant's behalf.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => is_forbidden_v6(v6),
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16: instance metadata (169.254.169.254, 169.254.170.2)
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0 // "this network"
        || (o[0] == 100 && (o[1] & 0xC0) == 64) // 100.64/10 shared address space (CGNAT)
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0/24 protocol assignments
        || (o[0] == 198 && (o[1] & 0xFE) == 18) // 198.18/15 benchmarking
        || o[0] >= 240 // 240/4 reserved
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_forbidden_v4(v4);
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xFE00) == 0xFC00 // fc00::/7 unique local (fd00:ec2::254: metadata)
        || (s[0] & 0xFFC0) == 0xFE80 // fe80::/10 link-local
        || (s[0] & 0xFFC0) == 0xFEC0 // fec0::/10 site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96) embed an IPv4 address.
        || (s[0..6] == [0, 0, 0, 0, 0, 0] && is_forbidden_v4(Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8)))
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] && is_forbidden_v4(Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8)))
}

/// Checks a URL's shape: http(s), a host, no user info. Returns it parsed.
pub fn parse_url(raw: &str) -> Result<reqwest::Url, OutboundError> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|_| OutboundError::BadUrl("not a URL".into()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OutboundError::BadUrl("only http and https URLs".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OutboundError::BadUrl("credentials in the URL are not accepted".into()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(OutboundError::BadUrl("no host".into()));
    }
    Ok(url)
}

/// The checks that need no DNS (used when a URL is saved): the shape, and an
/// IP-literal or `localhost` host against the address rules.
pub fn check_url_statically(raw: &str, policy: &Policy) -> Result<reqwest::Url, OutboundError> {
    let url = parse_url(raw)?;
    if policy.allow_private {
        return Ok(url);
    }
    let host = url.host_str().unwrap_or_default().trim_matches(|c| c == '[' || c == ']').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") || host.ends_with(".internal") {
        return Err(OutboundError::Forbidden { host: host.clone(), addr: IpAddr::V4(Ipv4Addr::LOCALHOST) });
    }
    if let Ok(ip) = host.parse::<IpAddr>()
        && is_forbidden(ip)
    {
        return Err(OutboundError::Forbidden { host, addr: ip });
    }
    Ok(url)
}

/// Resolves the URL's host once and checks every address: the one to connect to.
pub async fn resolve(url: &reqwest::Url, policy: &Policy) -> Result<SocketAddr, OutboundError> {
    let host = url.host_str().ok_or_else(|| OutboundError::BadUrl("no host".into()))?.trim_matches(|c| c == '[' || c == ']').to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(policy.connect_timeout, tokio::net::lookup_host((host.as_str(), port)))
            .await
            .map_err(|_| OutboundError::Dns(host.clone()))?
            .map_err(|_| OutboundError::Dns(host.clone()))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(OutboundError::Dns(host));
    }
    if !policy.allow_private
        && let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip()))
    {
        return Err(OutboundError::Forbidden { host, addr: bad.ip() });
    }
    Ok(addrs[0])
}

/// A response read within the cap.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
    /// The URL that answered (after same-host redirects).
    pub url: String,
    pub elapsed: Duration,
}

impl Response {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Retry-After` in seconds (delta form; an HTTP date counts as 60 s).
    pub fn retry_after(&self) -> Option<u64> {
        let v = self.header("retry-after")?.trim();
        Some(v.parse::<u64>().unwrap_or(60))
    }
}

/// A request to send through the guard.
pub struct Request {
    pub method: http::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub basic_auth: Option<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn new(method: http::Method, url: impl Into<String>) -> Self {
        Self { method, url: url.into(), headers: Vec::new(), basic_auth: None, body: None }
    }
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.basic_auth = Some((user.to_string(), password.to_string()));
        self
    }
    pub fn json(mut self, value: &serde_json::Value) -> Self {
        self.body = Some(serde_json::to_vec(value).unwrap_or_default());
        self.header("content-type", "application/json")
    }
    pub fn bytes(mut self, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self
    }
}

/// Sends one request through the guard.
pub async fn send(policy: &Policy, req: Request) -> Result<Response, OutboundError> {
    let started = Instant::now();
    let url = parse_url(&req.url)?;
    let addr = resolve(&url, policy).await?;
    let host = url.host_str().unwrap_or_default().to_string();
    let (scheme, port) = (url.scheme().to_string(), url.port_or_known_default());
    let redirect = reqwest::redirect::Policy::custom(move |attempt| {
        let u = attempt.url();
        if attempt.previous().len() > 3 {
            attempt.error("too many redirects")
        } else if u.scheme() == scheme && u.host_str() == Some(host.as_str()) && u.port_or_known_default() == port {
            attempt.follow()
        } else {
            let to = u.host_str().unwrap_or_default().to_string();
            attempt.error(OutboundError::Redirect(to))
        }
    });
    let client = reqwest::Client::builder()
        .resolve(url.host_str().unwrap_or_default(), addr)
        .redirect(redirect)
        .connect_timeout(policy.connect_timeout)
        .timeout(policy.timeout)
        .user_agent(concat!("IGNY8/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| OutboundError::Other(e.to_string()))?;
    let mut builder = client.request(req.method, url);
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    if let Some((u, p)) = &req.basic_auth {
        builder = builder.basic_auth(u, Some(p));
    }
    if let Some(body) = req.body {
        builder = builder.body(body);
    }
    let classify = |e: reqwest::Error, policy: &Policy| -> OutboundError {
        if let Some(r) = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<OutboundError>()) {
            return r.clone();
        }
        if e.is_timeout() {
            OutboundError::Timeout(policy.timeout)
        } else if e.is_redirect() {
            OutboundError::Redirect(e.to_string())
        } else if e.is_connect() {
            OutboundError::Connect(e.to_string())
        } else {
            OutboundError::Other(e.to_string())
        }
    };
    let mut resp = builder.send().await.map_err(|e| classify(e, policy))?;
    if resp.content_length().is_some_and(|n| n as usize > policy.max_bytes) {
        return Err(OutboundError::TooLarge(policy.max_bytes));
    }
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let final_url = resp.url().to_string();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify(e, policy))? {
        if body.len() + chunk.len() > policy.max_bytes {
            return Err(OutboundError::TooLarge(policy.max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response { status, headers, body, url: final_url, elapsed: started.elapsed() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "169.254.170.2",
            "0.0.0.0", "0.1.2.3", "100.64.0.1", "100.127.255.255", "192.0.0.170", "198.18.0.1", "224.0.0.1", "255.255.255.255", "240.0.0.1",
            "192.0.2.1", "::1", "::", "fd00:ec2::254", "fc00::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
            "::ffff:10.1.2.3", "64:ff9b::a9fe:a9fe", "::7f00:1", "2001:db8::1",
        ] {
            assert!(is_forbidden(ip(bad)), "{bad} must be refused");
        }
        for good in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "192.0.1.1", "198.20.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"] {
            assert!(!is_forbidden(ip(good)), "{good} is public");
        }
    }

    #[test]
    fn urls_must_be_http_with_a_host_and_no_credentials() {
        let p = Policy::default();
        assert!(check_url_statically("https://blog.example.com", &p).is_ok());
        assert!(check_url_statically("http://93.184.216.34:8080/wp", &p).is_ok());
        for bad in ["ftp://example.com", "https://user:pw@example.com", "not a url", "file:///etc/passwd", "https://"] {
            assert!(matches!(check_url_statically(bad, &p), Err(OutboundError::BadUrl(_))), "{bad}");
        }
        for bad in ["http://127.0.0.1:8080", "http://localhost/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[fd00:ec2::254]/", "http://metadata.google.internal/"] {
            assert!(matches!(check_url_statically(bad, &p), Err(OutboundError::Forbidden { .. })), "{bad}");
        }
        let local = Policy { allow_private: true, ..Policy::default() };
        assert!(check_url_statically("http://127.0.0.1:8080", &local).is_ok(), "the local switch allows loopback");
    }

    #[tokio::test]
    async fn resolution_refuses_names_that_point_inside_and_pins_the_address() {
        let p = Policy::default();
        let url = parse_url("http://localhost:9/").unwrap();
        assert!(matches!(resolve(&url, &p).await, Err(OutboundError::Forbidden { .. })), "localhost resolves to loopback");
        let url = parse_url("http://169.254.169.254/latest/").unwrap();
        assert!(matches!(resolve(&url, &p).await, Err(OutboundError::Forbidden { .. })));
        let allowed = Policy { allow_private: true, ..Policy::default() };
        let url = parse_url("http://127.0.0.1:8081/").unwrap();
        assert_eq!(resolve(&url, &allowed).await.unwrap(), "127.0.0.1:8081".parse().unwrap());
        // A refused address never gets a connection: the error comes first.
        let err = send(&p, Request::new(http::Method::GET, "http://127.0.0.1:1/")).await.unwrap_err();
        assert!(matches!(err, OutboundError::Forbidden { .. }), "{err:?}");
    }
}
