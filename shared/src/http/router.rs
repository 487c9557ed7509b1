//! A small method + path router. Patterns use `{name}` segments; a path
//! matches with or without a trailing slash; a known path with another method
//! is a 405 naming the allowed methods; anything else is a 404.

use super::RequestCtx;
use crate::auth::guard::Access;
use crate::envelope::Reply;
use crate::error::{AppError, AppResult};
use futures::future::BoxFuture;
use http::Method;
use std::future::Future;
use std::sync::Arc;

type Handler = Arc<dyn Fn(RequestCtx) -> BoxFuture<'static, AppResult<Reply>> + Send + Sync>;

/// Path parameters of the matched route.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

enum Segment {
    Literal(String),
    Param(String),
}

struct Route {
    method: Method,
    pattern: String,
    segments: Vec<Segment>,
    handler: Handler,
    /// File uploads may carry up to [`UPLOAD_MAX_BYTES`].
    upload: bool,
    /// Who may call it; `None`: the router's default for the method.
    gate: Option<Gate>,
    /// Takes the account's `expensive` budget too (imports; uploads are).
    expensive: bool,
    /// What the OpenAPI document says about it ([`crate::openapi`]).
    doc: Option<crate::openapi::Doc>,
}

/// A route as the OpenAPI document sees it.
pub struct RouteDoc<'a> {
    pub method: &'a str,
    pub pattern: &'a str,
    pub gate: Gate,
    pub upload: bool,
    pub doc: Option<&'a crate::openapi::Doc>,
}

/// Who may call a route. The request path checks it after routing and
/// before the handler runs, so no route reads (or parses) a body for a caller
/// without a valid token and the role the route needs. Handlers still call
/// `require` for finer checks (the principal is verified once per request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Anyone (sign-up, sign-in, refresh, health).
    Public,
    /// A valid access token of an active user with at least this access.
    Signed(Access),
}

/// Largest body of an upload route: what a synchronous Lambda invocation
/// accepts (6 MB), which API Gateway's 10 MB would otherwise exceed.
pub const UPLOAD_MAX_BYTES: usize = 6 * 1000 * 1000;

pub struct Router {
    routes: Vec<Route>,
    read_gate: Gate,
    write_gate: Gate,
}

/// Every route is signed-in only unless said otherwise.
impl Default for Router {
    fn default() -> Self {
        Self { routes: Vec::new(), read_gate: Gate::Signed(Access::AuthenticatedAndActive), write_gate: Gate::Signed(Access::AuthenticatedAndActive) }
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.trim_matches('/').split('/').filter(|s| !s.is_empty())
}

impl Router {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route. `pattern` like `/api/v1/sites/{id}`.
    pub fn route<F, Fut>(mut self, method: Method, pattern: &str, f: F) -> Self
    where
        F: Fn(RequestCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = AppResult<Reply>> + Send + 'static,
    {
        let segments = split(pattern)
            .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_string()),
                None => Segment::Literal(s.to_string()),
            })
            .collect();
        let handler: Handler = Arc::new(move |ctx| Box::pin(f(ctx)));
        self.routes.push(Route { method, pattern: pattern.to_string(), segments, handler, upload: false, expensive: false, gate: None, doc: None });
        self
    }

    /// The access reads (GET) and writes (anything else) need by default.
    pub fn guarded(mut self, read: Access, write: Access) -> Self {
        self.read_gate = Gate::Signed(read);
        self.write_gate = Gate::Signed(write);
        self
    }

    /// Marks the route added last as open to anyone.
    pub fn public(self) -> Self {
        self.gated(Gate::Public)
    }

    /// Sets the access the route added last needs.
    pub fn access(self, access: Access) -> Self {
        self.gated(Gate::Signed(access))
    }

    fn gated(mut self, gate: Gate) -> Self {
        if let Some(r) = self.routes.last_mut() {
            r.gate = Some(gate);
        }
        self
    }

    fn gate_of(&self, route: &Route) -> Gate {
        route.gate.unwrap_or(if route.method == Method::GET || route.method == Method::HEAD { self.read_gate } else { self.write_gate })
    }

    pub fn get<F, Fut>(self, pattern: &str, f: F) -> Self
    where
        F: Fn(RequestCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = AppResult<Reply>> + Send + 'static,
    {
        self.route(Method::GET, pattern, f)
    }

    pub fn post<F, Fut>(self, pattern: &str, f: F) -> Self
    where
        F: Fn(RequestCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = AppResult<Reply>> + Send + 'static,
    {
        self.route(Method::POST, pattern, f)
    }

    pub fn patch<F, Fut>(self, pattern: &str, f: F) -> Self
    where
        F: Fn(RequestCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = AppResult<Reply>> + Send + 'static,
    {
        self.route(Method::PATCH, pattern, f)
    }

    pub fn delete<F, Fut>(self, pattern: &str, f: F) -> Self
    where
        F: Fn(RequestCtx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = AppResult<Reply>> + Send + 'static,
    {
        self.route(Method::DELETE, pattern, f)
    }

    /// Marks the route added last as a file upload (bigger body limit). An
    /// upload is an import: it is also [`Router::expensive`].
    pub fn uploads(mut self) -> Self {
        if let Some(r) = self.routes.last_mut() {
            r.upload = true;
            r.expensive = true;
        }
        self
    }

    /// Marks the route added last as expensive: besides the per-account and
    /// per-IP budgets it takes the account's `expensive` budget
    /// ([`crate::ratelimit`]) when the guard authenticates the request.
    pub fn expensive(mut self) -> Self {
        if let Some(r) = self.routes.last_mut() {
            r.expensive = true;
        }
        self
    }

    /// True when the request goes to an expensive route.
    pub fn is_expensive(&self, method: &Method, path: &str) -> bool {
        let parts: Vec<&str> = split(path).collect();
        self.routes.iter().find(|r| r.method == *method && matches(&r.segments, &parts).is_some()).is_some_and(|r| r.expensive)
    }

    /// True when the request goes to an upload route.
    pub fn is_upload(&self, method: &Method, path: &str) -> bool {
        let parts: Vec<&str> = split(path).collect();
        self.routes.iter().find(|r| r.method == *method && matches(&r.segments, &parts).is_some()).is_some_and(|r| r.upload)
    }

    /// Documents the route added last (its summary, query, body and `data` types).
    pub fn doc(mut self, doc: crate::openapi::Doc) -> Self {
        if let Some(r) = self.routes.last_mut() {
            r.doc = Some(doc);
        }
        self
    }

    /// Every route with its gate and documentation, in declaration order.
    pub fn routes_doc(&self) -> Vec<RouteDoc<'_>> {
        self.routes
            .iter()
            .map(|r| RouteDoc { method: r.method.as_str(), pattern: &r.pattern, gate: self.gate_of(r), upload: r.upload, doc: r.doc.as_ref() })
            .collect()
    }

    /// The patterns this router serves, `(METHOD, pattern)`.
    pub fn patterns(&self) -> Vec<(String, String)> {
        self.routes.iter().map(|r| (r.method.to_string(), r.pattern.clone())).collect()
    }

    /// Finds the handler for a request, or the 404/405 error.
    pub fn find(&self, method: &Method, path: &str) -> AppResult<(Handler, Params)> {
        self.find_gated(method, path).map(|(h, p, _)| (h, p))
    }

    /// [`Router::find`] with the route's [`Gate`].
    pub fn find_gated(&self, method: &Method, path: &str) -> AppResult<(Handler, Params, Gate)> {
        let parts: Vec<&str> = split(path).collect();
        let mut allowed: Vec<String> = Vec::new();
        // The most specific pattern wins, as in API Gateway: a path with a
        // literal route (`clusters/auto-cluster`) is not also `clusters/{id}`,
        // so its 405 names only the literal route's methods (found by
        // schemathesis: `OPTIONS …/clusters/auto-cluster` advertised GET, PATCH, DELETE).
        let literals = |r: &Route| r.segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count();
        let best = self.routes.iter().filter(|r| matches(&r.segments, &parts).is_some()).map(literals).max();
        for route in &self.routes {
            if Some(literals(route)) != best {
                continue;
            }
            let Some(params) = matches(&route.segments, &parts) else { continue };
            if route.method == *method {
                return Ok((route.handler.clone(), params, self.gate_of(route)));
            }
            if !allowed.contains(&route.method.to_string()) {
                allowed.push(route.method.to_string());
            }
        }
        if allowed.is_empty() {
            Err(AppError::NotFound(format!("no route for {method} {path}")))
        } else {
            Err(AppError::MethodNotAllowed { method: method.to_string(), allowed })
        }
    }
}

fn matches(segments: &[Segment], parts: &[&str]) -> Option<Params> {
    if segments.len() != parts.len() {
        return None;
    }
    let mut params = Vec::new();
    for (seg, part) in segments.iter().zip(parts) {
        match seg {
            Segment::Literal(l) if l == part => {}
            Segment::Literal(_) => return None,
            Segment::Param(name) => params.push((name.clone(), percent_decode(part))),
        }
    }
    Some(Params(params))
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (bytes.get(i + 1).and_then(|b| hex(*b)), bytes.get(i + 2).and_then(|b| hex(*b))) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router::new()
            .get("/api/v1/sites", |_| async { Ok(Reply::ok("list")) })
            .post("/api/v1/sites/", |_| async { Ok(Reply::ok("create")) })
            .get("/api/v1/sites/{id}", |_| async { Ok(Reply::ok("one")) })
            .patch("/api/v1/sites/{id}", |_| async { Ok(Reply::ok("patch")) })
    }

    #[test]
    fn trailing_slash_is_optional() {
        let r = router();
        assert!(r.find(&Method::GET, "/api/v1/sites").is_ok());
        assert!(r.find(&Method::GET, "/api/v1/sites/").is_ok());
        assert!(r.find(&Method::POST, "/api/v1/sites").is_ok());
        let (_, p) = r.find(&Method::GET, "/api/v1/sites/01ABC/").unwrap();
        assert_eq!(p.get("id"), Some("01ABC"));
    }

    #[test]
    fn unknown_path_is_404_and_wrong_method_is_405_naming_allowed() {
        let r = router();
        assert!(matches!(r.find(&Method::GET, "/api/v1/nope"), Err(AppError::NotFound(_))));
        assert!(matches!(r.find(&Method::GET, "/api/v1/sites/1/extra"), Err(AppError::NotFound(_))));
        match r.find(&Method::DELETE, "/api/v1/sites/1") {
            Err(AppError::MethodNotAllowed { allowed, .. }) => assert_eq!(allowed, vec!["GET", "PATCH"]),
            Err(e) => panic!("unexpected {e:?}"),
            Ok(_) => panic!("unexpected match"),
        }
    }

    #[test]
    fn routes_are_signed_in_only_unless_marked_and_writes_take_the_write_gate() {
        let r = router().guarded(Access::ViewerOrAbove, Access::AdminOrAbove).get("/api/v1/open", |_| async { Ok(Reply::ok("open")) }).public();
        let gate = |m: Method, p: &str| r.find_gated(&m, p).unwrap().2;
        assert_eq!(gate(Method::GET, "/api/v1/sites"), Gate::Signed(Access::ViewerOrAbove));
        assert_eq!(gate(Method::PATCH, "/api/v1/sites/1"), Gate::Signed(Access::AdminOrAbove));
        assert_eq!(gate(Method::GET, "/api/v1/open"), Gate::Public);
        assert_eq!(router().find_gated(&Method::POST, "/api/v1/sites").unwrap().2, Gate::Signed(Access::AuthenticatedAndActive));
    }

    #[test]
    fn a_literal_route_hides_the_parameter_route_of_the_same_shape() {
        let r = router().post("/api/v1/sites/import", |_| async { Ok(Reply::ok("import")) });
        assert!(r.find(&Method::POST, "/api/v1/sites/import").is_ok());
        match r.find(&Method::GET, "/api/v1/sites/import") {
            Err(AppError::MethodNotAllowed { allowed, .. }) => assert_eq!(allowed, vec!["POST"]),
            Err(e) => panic!("unexpected {e:?}"),
            Ok(_) => panic!("GET sites/import must not be GET sites/{{id}}"),
        }
        let (_, p) = r.find(&Method::GET, "/api/v1/sites/01ABC").unwrap();
        assert_eq!(p.get("id"), Some("01ABC"));
    }

    #[test]
    fn params_are_percent_decoded() {
        let r = router();
        let (_, p) = r.find(&Method::GET, "/api/v1/sites/a%20b").unwrap();
        assert_eq!(p.get("id"), Some("a b"));
        let (_, p) = r.find(&Method::GET, "/api/v1/sites/100%").unwrap();
        assert_eq!(p.get("id"), Some("100%"));
    }
}
