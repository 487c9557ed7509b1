//! Reads `infra/template.yaml`, the single source of truth for HTTP routes and
//! resources. Intrinsic-function tags (`!Ref`, `!Sub`, …) are kept as tagged
//! values; only plain fields are interpreted here.

use anyhow::{Context, Result};
use serde_norway::Value;
use std::path::PathBuf;

pub fn path() -> PathBuf {
    crate::repo_root().join("infra").join("template.yaml")
}

pub fn load_text() -> Result<String> {
    std::fs::read_to_string(path()).with_context(|| format!("reading {}", path().display()))
}

/// One `HttpApi` event of a function: its route key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TemplateRoute {
    /// Logical id of the function (e.g. `HealthFunction`).
    pub function: String,
    /// `GET`, `POST`, … or `ANY`.
    pub method: String,
    /// `/api/v1/health`, `/api/v1/sites/{proxy+}` or `$default`.
    pub path: String,
}

impl TemplateRoute {
    pub fn route_key(&self) -> String {
        if self.path == "$default" { "$default".into() } else { format!("{} {}", self.method, self.path) }
    }
}

/// Every HTTP route the template declares, sorted.
pub fn http_routes(text: &str) -> Result<Vec<TemplateRoute>> {
    let doc: Value = serde_norway::from_str(text).context("parsing infra/template.yaml")?;
    let mut routes = Vec::new();
    let Some(resources) = doc.get("Resources").and_then(Value::as_mapping) else { return Ok(routes) };
    for (id, res) in resources {
        let Some(id) = id.as_str() else { continue };
        if res.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let Some(events) = res.get("Properties").and_then(|p| p.get("Events")).and_then(Value::as_mapping) else { continue };
        for (_, ev) in events {
            if ev.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                continue;
            }
            let props = ev.get("Properties");
            let path = props.and_then(|p| p.get("Path")).and_then(Value::as_str).unwrap_or("$default").to_string();
            let method = props.and_then(|p| p.get("Method")).and_then(Value::as_str).unwrap_or("ANY").to_ascii_uppercase();
            routes.push(TemplateRoute { function: id.to_string(), method, path });
        }
    }
    routes.sort();
    Ok(routes)
}

/// Logical ids of every `AWS::Serverless::Function` with the binary it builds.
pub fn functions(text: &str) -> Result<Vec<(String, String)>> {
    let doc: Value = serde_norway::from_str(text).context("parsing infra/template.yaml")?;
    let mut out = Vec::new();
    if let Some(resources) = doc.get("Resources").and_then(Value::as_mapping) {
        for (id, res) in resources {
            if res.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Function") {
                let binary = res
                    .get("Metadata")
                    .and_then(|m| m.get("BuildProperties"))
                    .and_then(|b| b.get("Binary"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                out.push((id.as_str().unwrap_or_default().to_string(), binary.to_string()));
            }
        }
    }
    out.sort();
    Ok(out)
}
