//! The OpenAPI 3.1 document, generated from the code.
//!
//! Paths, methods, path parameters and who may call each operation come from
//! the functions' [`Router`] tables (the same tables that serve requests);
//! each route's [`Doc`] adds its summary, query parameters, request type and
//! response type. Request and response types are Rust types deriving
//! `utoipa::ToSchema`, so their JSON Schemas follow their serde shapes. The
//! envelope, the list shape `{results, next_cursor}`, the error catalogue
//! ([`crate::error::CATALOGUE`]) and the bearer-JWT scheme are added here
//! once for every operation.

use crate::auth::guard::Access;
use crate::http::{Gate, Router};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Named schemas collected while the document is built (`components.schemas`).
#[derive(Default)]
pub struct Defs(BTreeMap<String, Value>, Vec<String>);

impl Defs {
    fn insert(&mut self, name: String, schema: Value) {
        match self.0.get(&name) {
            Some(existing) if *existing != schema => self.1.push(name),
            Some(_) => {}
            None => {
                self.0.insert(name, schema);
            }
        }
    }
}

/// A schema producer: registers what it needs in `Defs` and returns the
/// schema (usually a `$ref`).
pub type SchemaFn = fn(&mut Defs) -> Value;

fn to_json<S: serde::Serialize>(s: &S) -> Value {
    serde_json::to_value(s).unwrap_or(Value::Null)
}

/// `$ref` to `T`'s schema, registering it and the schemas it refers to.
pub fn schema_ref<T: ToSchema>(defs: &mut Defs) -> Value {
    let mut deps = Vec::new();
    T::schemas(&mut deps);
    for (name, schema) in deps {
        defs.insert(name, to_json(&schema));
    }
    let name = T::name().into_owned();
    defs.insert(name.clone(), to_json(&T::schema()));
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The list shape every list route answers with: `{results: [T], next_cursor}`.
pub fn page_of<T: ToSchema>(defs: &mut Defs) -> Value {
    let item = schema_ref::<T>(defs);
    page_schema(item)
}

fn page_schema(item: Value) -> Value {
    json!({
        "type": "object",
        "required": ["results", "next_cursor"],
        "properties": {
            "results": {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"], "description": "Opaque, signed; pass as `cursor` for the next page. `null`: no more."}
        }
    })
}

/// `{results: [T]}` without a cursor (short, complete lists).
pub fn results_of<T: ToSchema>(defs: &mut Defs) -> Value {
    let item = schema_ref::<T>(defs);
    json!({"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": item}}})
}

/// Where a request body comes from.
#[derive(Clone, Copy)]
pub enum Body {
    Json(SchemaFn),
    /// A file: multipart/form-data (`file`), a raw CSV/TSV/text/XLSX body, or JSON.
    Upload(SchemaFn),
}

/// A query parameter.
#[derive(Clone)]
pub struct Query {
    pub name: &'static str,
    pub required: bool,
    pub schema: Value,
    pub description: &'static str,
}

/// Query parameter schemas.
pub mod q {
    use serde_json::{Value, json};
    pub fn string() -> Value {
        json!({"type": "string"})
    }
    pub fn id() -> Value {
        json!({"type": "string", "minLength": 1})
    }
    pub fn one_of(values: &[&str]) -> Value {
        json!({"type": "string", "enum": values})
    }
    pub fn int(min: i64, max: i64) -> Value {
        json!({"type": "integer", "minimum": min, "maximum": max})
    }
    pub fn boolean() -> Value {
        json!({"type": "boolean"})
    }
    /// An RFC 3339 instant or a plain date.
    pub fn date() -> Value {
        json!({"type": "string", "anyOf": [{"format": "date-time"}, {"format": "date"}]})
    }
}

/// What a route's documentation says beyond what the router knows.
#[derive(Clone, Default)]
pub struct Doc {
    pub summary: &'static str,
    pub description: Option<&'static str>,
    pub body: Option<Body>,
    pub body_required: bool,
    pub body_example: Option<Value>,
    pub data: Option<SchemaFn>,
    pub data_example: Option<Value>,
    pub status: Option<u16>,
    pub also: Vec<u16>,
    pub query: Vec<Query>,
    pub role: Option<&'static str>,
    /// Cookie sessions ([`crate::auth::session`]): the route takes
    /// `X-Session-Mode` and, if so, sets the session cookies.
    pub session_cookie: Option<SessionCookie>,
}

/// What a route does with the browser's session cookies.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SessionCookie {
    /// Login, register, password change: sets them in cookie mode.
    Issues,
    /// Refresh, logout: reads the refresh cookie and needs `X-CSRF-Token`.
    Reads,
}

impl Doc {
    pub fn new(summary: &'static str) -> Self {
        Self { summary, ..Self::default() }
    }
    pub fn describe(mut self, text: &'static str) -> Self {
        self.description = Some(text);
        self
    }
    /// A required JSON body of type `T`.
    pub fn body<T: ToSchema>(mut self) -> Self {
        self.body = Some(Body::Json(schema_ref::<T>));
        self.body_required = true;
        self
    }
    /// An optional JSON body of type `T` (the route also accepts none).
    pub fn optional_body<T: ToSchema>(mut self) -> Self {
        self.body = Some(Body::Json(schema_ref::<T>));
        self.body_required = false;
        self
    }
    /// A file upload, or a JSON body of type `T`.
    pub fn upload<T: ToSchema>(mut self) -> Self {
        self.body = Some(Body::Upload(schema_ref::<T>));
        self.body_required = true;
        self
    }
    pub fn body_example(mut self, example: Value) -> Self {
        self.body_example = Some(example);
        self
    }
    /// `data` is a `T`.
    pub fn data<T: ToSchema>(mut self) -> Self {
        self.data = Some(schema_ref::<T>);
        self
    }
    /// `data` is a page of `T`: `{results, next_cursor}`; adds `limit` and `cursor`.
    pub fn list_of<T: ToSchema>(mut self) -> Self {
        self.data = Some(page_of::<T>);
        self.query.push(Query { name: "limit", required: false, schema: q::int(1, 100), description: "Page size (default 25)." });
        self.query.push(Query { name: "cursor", required: false, schema: q::string(), description: "`next_cursor` of the previous page." });
        self
    }
    /// `data` is described by `f`.
    pub fn data_with(mut self, f: SchemaFn) -> Self {
        self.data = Some(f);
        self
    }
    pub fn example(mut self, example: Value) -> Self {
        self.data_example = Some(example);
        self
    }
    /// The success status (default 200).
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
    /// Another success status with the same `data` (e.g. 202 for a queued job).
    pub fn also(mut self, status: u16) -> Self {
        self.also.push(status);
        self
    }
    pub fn query(mut self, name: &'static str, schema: Value, description: &'static str) -> Self {
        self.query.push(Query { name, required: false, schema, description });
        self
    }
    pub fn query_required(mut self, name: &'static str, schema: Value, description: &'static str) -> Self {
        self.query.push(Query { name, required: true, schema, description });
        self
    }
    /// `site_id` (and optionally `sector_id`) in the query.
    pub fn scoped(self) -> Self {
        self.query("site_id", q::id(), "The site (required unless the body names it).")
            .query("sector_id", q::id(), "A sector of the site.")
    }
    /// Takes `X-Session-Mode`; in cookie mode sets the session cookies.
    pub fn issues_session_cookie(mut self) -> Self {
        self.session_cookie = Some(SessionCookie::Issues);
        self
    }
    /// Takes `X-Session-Mode`; in cookie mode reads the refresh cookie and
    /// needs `X-CSRF-Token` (403 `CSRF_FAILED`).
    pub fn reads_session_cookie(mut self) -> Self {
        self.session_cookie = Some(SessionCookie::Reads);
        self
    }
    /// The role named in the docs when the handler checks more than the gate (staff).
    pub fn role(mut self, role: &'static str) -> Self {
        self.role = Some(role);
        self
    }
}

/// An operation answered by something other than the JSON envelope (the docs pages).
pub struct RawOp {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub content_type: &'static str,
    pub query: Vec<Query>,
    /// The values its path parameter takes (file names), when it has one.
    pub file_names: &'static [&'static str],
}

/// The role name of an access level (`x-required-role`).
pub fn role_name(access: Access) -> &'static str {
    match access {
        Access::AuthenticatedAndActive => "member",
        Access::ViewerOrAbove => "viewer",
        Access::EditorOrAbove => "editor",
        Access::AdminOrAbove => "admin",
        Access::Owner => "owner",
    }
}

/// The documented path of a router pattern (every path is also served with a
/// trailing slash, as the README's examples write them).
pub fn doc_path(pattern: &str) -> String {
    let p = pattern.trim_end_matches('/');
    if p.is_empty() { "/".into() } else { p.to_string() }
}

fn operation_id(method: &str, pattern: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for seg in pattern.trim_matches('/').split('/').skip(2) {
        id.push('_');
        let seg = seg.trim_start_matches('{').trim_end_matches('}');
        id.extend(seg.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }));
    }
    id
}

fn tag_of(pattern: &str) -> String {
    let segs: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    match segs.get(2).copied() {
        Some(area @ ("planner" | "writer")) => format!("{area}/{}", segs.get(3).copied().unwrap_or("")),
        Some("users" | "account" | "audit-log") => "accounts".into(),
        Some("subscription" | "plans") => "credits".into(),
        Some(other) => other.to_string(),
        None => "docs".into(),
    }
}

fn unsigned_formats(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(f)) = map.get_mut("format")
                && f.starts_with("u-int")
            {
                *f = f.replacen("u-int", "uint", 1);
            }
            map.values_mut().for_each(unsigned_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(unsigned_formats),
        _ => {}
    }
}

fn tag_description(tag: &str) -> &'static str {
    match tag {
        "accounts" => "The account, its users and roles, the audit log.",
        "auth" => "Sign-up, sign-in, token refresh, sign-out, the caller, password change.",
        "credits" => "Balance, ledger, usage, plans and the subscription; staff adjustments.",
        "docs" => "This document, Swagger UI and ReDoc.",
        "health" => "Is the API up and its table reachable.",
        "jobs" => "AI and import jobs: state, progress, result, cancel.",
        "sites" => "Sites and their sectors.",
        "planner/keywords" => "Keywords of a sector: CRUD, filters, bulk status and delete, import.",
        "planner/clusters" => "Topic clusters of keywords, manual and automatic.",
        "planner/ideas" => "Content ideas generated per cluster.",
        "planner/tasks" => "Writing tasks and their workflow.",
        "writer/content" => "Articles: CRUD, generation, versions.",
        "writer/image-prompts" => "Image prompts generated from articles.",
        "writer/images" => "Images generated from prompts.",
        _ => "Operations of this area.",
    }
}

fn envelope(data: Value, example: Option<&Value>) -> Value {
    let mut props = json!({
        "success": {"type": "boolean", "const": true},
        "data": data,
        "message": {"type": ["string", "null"]},
        "request_id": {"type": "string"},
        "timestamp": {"type": "string", "format": "date-time"}
    });
    if let Some(ex) = example {
        props["data"] = json!({"allOf": [props["data"].clone()], "example": ex});
    }
    json!({"type": "object", "required": ["success", "data", "message", "request_id", "timestamp"], "properties": props})
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    })
}

fn path_params(pattern: &str) -> Vec<Value> {
    pattern
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}))
        .collect()
}

/// Query parameters. An empty optional parameter (`?status=`) counts as
/// absent ([`crate::http::RequestCtx::query`]): `allowEmptyValue`.
fn query_params(query: &[Query]) -> Vec<Value> {
    query
        .iter()
        .map(|p| {
            let mut v = json!({"name": p.name, "in": "query", "required": p.required, "schema": p.schema});
            if !p.description.is_empty() {
                v["description"] = json!(p.description);
            }
            if !p.required {
                v["allowEmptyValue"] = json!(true);
            }
            v
        })
        .collect()
}

/// The header (and cookie) parameters of a route that takes cookie sessions.
fn session_params(session: Option<SessionCookie>) -> Vec<Value> {
    let Some(session) = session else { return Vec::new() };
    let mut params = vec![json!({
        "name": "X-Session-Mode", "in": "header", "required": false,
        "schema": {"type": "string", "enum": ["cookie", "json"]},
        "description": "`cookie`: the refresh token travels in the `HttpOnly; Secure; SameSite=Strict` cookie `igny8_refresh` (Path=/api/v1/auth), never in JSON, with a readable CSRF cookie `igny8_csrf`. Absent or `json`: tokens in JSON.",
    })];
    if session == SessionCookie::Reads {
        params.push(json!({
            "name": "X-CSRF-Token", "in": "header", "required": false,
            "schema": {"type": "string"},
            "description": "Cookie mode: the value of the `igny8_csrf` cookie (missing or different: 403 `CSRF_FAILED`).",
        }));
        params.push(json!({
            "name": "igny8_refresh", "in": "cookie", "required": false,
            "schema": {"type": "string"},
            "description": "Cookie mode: the refresh token set by sign-in.",
        }));
    }
    params
}

fn success_headers(session: Option<SessionCookie>) -> Value {
    let mut headers = json!({"x-request-id": {"$ref": "#/components/headers/RequestId"}});
    if session.is_some() {
        headers["Set-Cookie"] = json!({
            "description": "Cookie mode only: `igny8_refresh` (HttpOnly) and `igny8_csrf`; cleared (Max-Age=0) by logout.",
            "schema": {"type": "string"},
        });
    }
    headers
}

/// Builds the document from the functions' routers and the docs function's own routes.
pub fn document(routers: &[&Router], raw: &[RawOp]) -> Value {
    let mut defs = Defs::default();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for router in routers {
        for route in router.routes_doc() {
            let method = route.method.to_ascii_lowercase();
            let doc = route.doc.cloned().unwrap_or_else(|| Doc::new("(undocumented)"));
            let mut op = Map::new();
            op.insert("operationId".into(), json!(operation_id(&method, route.pattern)));
            op.insert("tags".into(), json!([tag_of(route.pattern)]));
            op.insert("summary".into(), json!(doc.summary));
            let mut params = path_params(route.pattern);
            params.extend(query_params(&doc.query));
            params.extend(session_params(doc.session_cookie));
            if !params.is_empty() {
                op.insert("parameters".into(), Value::Array(params));
            }
            let role = match route.gate {
                Gate::Public => None,
                Gate::Signed(access) => Some(doc.role.unwrap_or(role_name(access))),
            };
            let mut description = doc.description.map(str::to_string).unwrap_or_default();
            match role {
                Some(role) => {
                    op.insert("security".into(), json!([{"bearerAuth": []}]));
                    op.insert("x-required-role".into(), json!(role));
                    if !description.is_empty() {
                        description.push_str("\n\n");
                    }
                    description.push_str(&format!("**Requires:** a signed-in {role} (or above){}.", if route.upload { "; a file upload" } else { "" }));
                }
                None => {
                    op.insert("security".into(), json!([]));
                    op.insert("x-required-role".into(), json!("anyone"));
                }
            }
            if !description.is_empty() {
                op.insert("description".into(), json!(description));
            }
            if let Some(body) = doc.body {
                let mut content = Map::new();
                let (schema_fn, upload) = match body {
                    Body::Json(f) => (f, false),
                    Body::Upload(f) => (f, true),
                };
                let mut media = json!({"schema": schema_fn(&mut defs)});
                if let Some(ex) = &doc.body_example {
                    media["example"] = ex.clone();
                }
                content.insert("application/json".into(), media);
                if upload {
                    content.insert(
                        "multipart/form-data".into(),
                        json!({"schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream"}}}}),
                    );
                    // Any text is a keyword file to the importer (bad rows are reported, not refused).
                    content.insert("text/csv".into(), json!({"schema": {"description": "CSV, TSV or one keyword per line"}}));
                }
                op.insert("requestBody".into(), json!({"required": doc.body_required, "content": content}));
            }
            let data = doc.data.map(|f| f(&mut defs)).unwrap_or_else(|| json!({}));
            let success = envelope(data, doc.data_example.as_ref());
            let mut responses = Map::new();
            let status = doc.status.unwrap_or(200);
            for s in std::iter::once(status).chain(doc.also.iter().copied()) {
                responses.insert(
                    s.to_string(),
                    json!({
                        "description": match s { 201 => "Created", 202 => "Accepted: queued as a job", _ => "OK" },
                        "headers": success_headers(doc.session_cookie),
                        "content": {"application/json": {"schema": success}}
                    }),
                );
            }
            if doc.session_cookie == Some(SessionCookie::Reads) {
                responses.insert("401".into(), json!({"$ref": "#/components/responses/Unauthorized"}));
                responses.insert("403".into(), json!({"$ref": "#/components/responses/Forbidden"}));
            }
            responses.insert("400".into(), json!({"$ref": "#/components/responses/BadRequest"}));
            if role.is_some() {
                responses.insert("401".into(), json!({"$ref": "#/components/responses/Unauthorized"}));
                responses.insert("403".into(), json!({"$ref": "#/components/responses/Forbidden"}));
            }
            responses.insert("404".into(), json!({"$ref": "#/components/responses/NotFound"}));
            responses.insert("429".into(), json!({"$ref": "#/components/responses/RateLimited"}));
            responses.insert("500".into(), json!({"$ref": "#/components/responses/InternalError"}));
            responses.insert("default".into(), json!({"$ref": "#/components/responses/Error"}));
            op.insert("responses".into(), Value::Object(responses));
            paths.entry(doc_path(route.pattern)).or_default().insert(method, Value::Object(op));
        }
    }
    for r in raw {
        let method = r.method.to_ascii_lowercase();
        let mut op = Map::new();
        op.insert("operationId".into(), json!(operation_id(&method, r.path).replacen(&method, &format!("{method}_schema"), 1)));
        op.insert("tags".into(), json!(["docs"]));
        op.insert("summary".into(), json!(r.summary));
        op.insert("security".into(), json!([]));
        op.insert("x-required-role".into(), json!("anyone"));
        let mut params = path_params(r.path);
        if !r.file_names.is_empty() {
            for p in &mut params {
                p["schema"] = json!({"type": "string", "enum": r.file_names});
            }
        }
        params.extend(query_params(&r.query));
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        let mut content = Map::new();
        if r.content_type == "application/json" {
            content.insert("application/json".into(), json!({"schema": {"type": "object"}}));
            content.insert("application/yaml".into(), json!({"schema": {"type": "string"}}));
        } else {
            content.insert(r.content_type.into(), json!({"schema": {"type": "string"}}));
        }
        op.insert(
            "responses".into(),
            json!({
                "200": {"description": "OK", "content": content},
                "400": {"$ref": "#/components/responses/BadRequest"},
                "404": {"$ref": "#/components/responses/NotFound"},
                "default": {"$ref": "#/components/responses/Error"}
            }),
        );
        paths.entry(doc_path(r.path)).or_default().insert(method, Value::Object(op));
    }
    // Two types under one schema name would silently share a schema: the
    // document names them (`x-schema-name-conflicts`) and a test fails.
    let mut conflicts = defs.1;
    conflicts.sort();
    conflicts.dedup();
    let mut schemas = defs.0;
    // utoipa spells the unsigned formats `u-int64`; the usual name is `uint64`.
    for schema in schemas.values_mut() {
        unsigned_formats(schema);
    }
    schemas.insert("FieldError".into(), json!({
        "type": "object", "required": ["field", "message"],
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}}
    }));
    let codes: Vec<&str> = crate::error::CATALOGUE.iter().map(|(c, _, _)| *c).collect();
    schemas.insert("ErrorCode".into(), json!({
        "type": "string",
        "enum": codes,
        "description": crate::error::CATALOGUE.iter().map(|(c, s, d)| format!("- `{c}` ({s}): {d}")).collect::<Vec<_>>().join("\n")
    }));
    schemas.insert("ErrorEnvelope".into(), json!({
        "type": "object",
        "required": ["success", "error", "error_code", "request_id", "timestamp"],
        "properties": {
            "success": {"type": "boolean", "const": false},
            "error": {"type": "string"},
            "error_code": {"$ref": "#/components/schemas/ErrorCode"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}, "description": "Field-level problems (validation errors only)."},
            "request_id": {"type": "string"},
            "timestamp": {"type": "string", "format": "date-time"}
        },
        "example": {"success": false, "error": "name: is required", "error_code": "VALIDATION_ERROR", "errors": [{"field": "name", "message": "is required"}], "request_id": "4b0c7a8e-1f7e-4d39-9a55-3c1f5d0e2b11", "timestamp": "2026-11-25T14:35:34.229Z"}
    }));
    let catalogue: Vec<Value> = crate::error::CATALOGUE.iter().map(|(c, s, d)| json!({"code": c, "status": s, "description": d})).collect();
    let mut tags: Vec<String> = paths.values().flat_map(|item| item.values().filter_map(|op| op["tags"][0].as_str().map(str::to_string))).collect();
    tags.sort();
    tags.dedup();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "IGNY8 API",
            "version": crate::VERSION,
            "description": DESCRIPTION,
            "license": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
        },
        "servers": [{"url": "/", "description": "This API (the gateway serving this document)"}],
        "tags": tags.iter().map(|t| json!({"name": t, "description": tag_description(t)})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                    "description": "The `tokens.access` of `POST /api/v1/auth/login/` (1 h). Each operation's `x-required-role` names the least role it needs: member < viewer < editor < admin < owner; `staff` is IGNY8 staff."}
            },
            "headers": {
                "RequestId": {"description": "The request id, also in the body's `request_id`.", "schema": {"type": "string"}},
                "RetryAfter": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
            },
            "responses": {
                "BadRequest": error_response("VALIDATION_ERROR: the request is malformed or a field is invalid (`errors` names the fields)"),
                "Unauthorized": error_response("UNAUTHORIZED: no valid access token"),
                "Forbidden": error_response("FORBIDDEN or PLAN_LIMIT: the role or the plan does not allow it"),
                "NotFound": error_response("NOT_FOUND: no such item in the caller's account"),
                "RateLimited": {
                    "description": "RATE_LIMITED: a request budget is empty",
                    "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}, "Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
                },
                "InternalError": error_response("INTERNAL_ERROR: unexpected (quote the request_id)"),
                "Error": error_response("Any other error of the catalogue (`ErrorCode`): 402, 405, 409, 413, 415")
            }
        },
        "x-error-codes": catalogue,
        "x-schema-name-conflicts": conflicts
    })
}

const DESCRIPTION: &str = "IGNY8: multi-tenant AI SEO content platform.\n\n\
Every response is the envelope: success `{success: true, data, message, request_id, timestamp}`, \
error `{success: false, error, error_code, request_id, timestamp}` plus `errors: [{field, message}]` \
for validation failures. Lists answer `data: {results, next_cursor}`; pass `next_cursor` back as `cursor`. \
Paths answer with or without the trailing slash.\n\n\
Sign in with `POST /api/v1/auth/login/` and send `Authorization: Bearer <tokens.access>` \
(Swagger UI: *Authorize*). Each operation's `x-required-role` names the least role it needs.\n\n\
The error codes (`ErrorCode`, also in `x-error-codes`) and their statuses are stable.";
