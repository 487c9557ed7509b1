//! The API document's checks in `cargo xtask test`, and `cargo xtask openapi`:
//!
//! - the document (built from the routers, as `GET /api/schema/` serves it)
//!   written to `target/openapi/openapi.json`;
//! - `redocly lint` with the minimal rule set (`web/redocly.yaml`);
//! - the browser app's types (`web/src/api/schema.d.ts`) regenerated with
//!   openapi-typescript and compared with the checked-in file;
//! - schemathesis against the local gateway on the emulator, signed in as the
//!   owner of the seeded demo account, every operation, bounded.
//!
//! The Node tools are pinned in `web/package.json` + `web/package-lock.json`
//! and installed by `npm ci` here; schemathesis is pinned in
//! `xtask/requirements.txt` (the project's `.venv`).

use crate::{gateway::Gateway, provision, pytools, repo_root};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// schemathesis's bounds: examples per operation and the run's wall-clock cap.
pub const MAX_EXAMPLES: u32 = 20;
pub const WALL_CLOCK_CAP: Duration = Duration::from_secs(15 * 60);

fn out_dir() -> PathBuf {
    repo_root().join("target").join("openapi")
}

fn web() -> PathBuf {
    repo_root().join("web")
}

/// Writes the document as JSON and YAML under `target/openapi/`; returns the JSON path.
pub fn write_document() -> Result<PathBuf> {
    let dir = out_dir();
    std::fs::create_dir_all(&dir)?;
    let doc = igny8_docs::document();
    let json = dir.join("openapi.json");
    std::fs::write(&json, serde_json::to_string_pretty(doc)? + "\n")?;
    std::fs::write(dir.join("openapi.yaml"), serde_norway::to_string(doc)?)?;
    Ok(json)
}

fn run(mut c: Command, what: &str) -> Result<()> {
    eprintln!("xtask: {what}");
    let status = c.status().with_context(|| format!("running {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// `npm ci` in `web/` when its lockfile changed since the last install (shared
/// by the API document's checks and the browser app's build and tests, `crate::web`).
pub fn ensure_web() -> Result<()> {
    let lock = std::fs::read_to_string(web().join("package-lock.json")).context("web/package-lock.json")?;
    let stamp = web().join("node_modules").join(".igny8-lock");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == lock) {
        return Ok(());
    }
    let mut c = Command::new("npm");
    c.current_dir(web()).args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]);
    run(c, "npm ci (web/: the app's packages, its test tools, openapi-typescript, @redocly/cli, redoc)")?;
    std::fs::write(stamp, lock)?;
    Ok(())
}

fn node_bin(name: &str) -> PathBuf {
    web().join("node_modules").join(".bin").join(name)
}

/// `redocly lint` (minimal rules) on the document.
pub fn lint(doc: &Path) -> Result<()> {
    let mut c = Command::new(node_bin("redocly"));
    c.current_dir(web()).env("REDOCLY_TELEMETRY", "off").env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true");
    c.args(["lint", "--config", "redocly.yaml"]).arg(doc);
    run(c, "redocly lint (minimal rule set) on the OpenAPI document")
}

fn generate_types(doc: &Path, out: &Path) -> Result<()> {
    let mut c = Command::new(node_bin("openapi-typescript"));
    c.current_dir(web()).arg(doc).arg("-o").arg(out);
    run(c, "openapi-typescript")
}

/// Regenerates `web/src/api/schema.d.ts` (`cargo xtask openapi`).
pub fn write_types(doc: &Path) -> Result<()> {
    generate_types(doc, &web().join("src").join("api").join("schema.d.ts"))
}

/// Fails when the checked-in types differ from a fresh generation.
pub fn check_types(doc: &Path) -> Result<()> {
    let fresh = out_dir().join("schema.d.ts");
    generate_types(doc, &fresh)?;
    let checked_in = web().join("src").join("api").join("schema.d.ts");
    let a = std::fs::read_to_string(&checked_in).with_context(|| format!("reading {}", checked_in.display()))?;
    let b = std::fs::read_to_string(&fresh)?;
    if a != b {
        let first = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(a.lines().count().min(b.lines().count()));
        bail!(
            "web/src/api/schema.d.ts differs from a fresh generation from the OpenAPI document (first at line {}): run `cargo xtask openapi` and commit it",
            first + 1
        );
    }
    eprintln!("xtask: web/src/api/schema.d.ts matches the document");
    Ok(())
}

/// schemathesis against the local gateway on the emulator at `endpoint`.
pub fn schemathesis(endpoint: &str) -> Result<()> {
    pytools::ensure()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let stack = format!("igny8-st-{}", std::process::id());
        let res = provision::deploy(endpoint, &stack).await?;
        let mut config = provision::config_for(endpoint, &res, &format!("schemathesis-{}", uuid::Uuid::new_v4().simple()));
        // Thousands of requests from one IP and one account in a few minutes:
        // the request budgets (tested on their own in tests/) would answer most
        // of them 429 and leave the handlers untested.
        config.limits.enabled = false;
        let state = Arc::new(igny8::AppState::new(config).await);
        let demo = crate::demo::seed(&state).await?;
        let gateway = Gateway::from_template(state.clone())?;
        let (addr, server) = gateway.serve(([127, 0, 0, 1], 0).into()).await?;
        let base = format!("http://{addr}");
        let login: serde_json::Value = reqwest::Client::new()
            .post(format!("{base}/api/v1/auth/login/"))
            .json(&serde_json::json!({"email": crate::demo::DEMO_EMAIL, "password": crate::demo::DEMO_PASSWORD}))
            .send()
            .await?
            .json()
            .await?;
        let token = login["data"]["tokens"]["access"].as_str().context("demo login gave no access token")?.to_string();
        let site = demo.site_id.clone().unwrap_or_default();
        let report = out_dir().join("schemathesis");
        std::fs::create_dir_all(&report)?;
        let started = Instant::now();
        let mut c = tokio::process::Command::new(pytools::bin("schemathesis"));
        c.arg("--config-file")
            .arg(repo_root().join("xtask").join("schemathesis.toml"))
            .args(["run", &format!("{base}/api/schema/"), "--url", &base])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--max-examples", &MAX_EXAMPLES.to_string()])
            .args(["--phases", "examples,coverage,fuzzing"])
            // Every default check but positive_data_acceptance: a schema cannot
            // say which ids exist, which cursors and tokens are signed, or which
            // password is the current one, so schema-valid requests are refused
            // by design there (400/404). Kept: not_a_server_error, status-code,
            // content-type, header and response-schema conformance,
            // negative_data_rejection, unsupported_method.
            .args(["--exclude-checks", "positive_data_acceptance"])
            .args(["--workers", "2"])
            .args(["--request-timeout", "30"])
            .args(["--report", "junit", "--report-dir"])
            .arg(&report)
            .args(["--seed", "42"])
            .env("SCHEMATHESIS_SITE_ID", &site)
            .env("SCHEMATHESIS_SECTOR_ID", demo.sector_id.clone().unwrap_or_default())
            .env("NO_COLOR", "1")
            .kill_on_drop(true);
        eprintln!("xtask: schemathesis on {base} as the demo owner (max {MAX_EXAMPLES} examples per operation, cap {:?})", WALL_CLOCK_CAP);
        let status = tokio::time::timeout(WALL_CLOCK_CAP, c.status()).await;
        server.abort();
        let status = match status {
            Ok(s) => s.context("running schemathesis")?,
            Err(_) => bail!("schemathesis exceeded its wall-clock cap of {WALL_CLOCK_CAP:?}"),
        };
        eprintln!("xtask: schemathesis finished in {:.0?} ({status})", started.elapsed());
        if !status.success() {
            bail!("schemathesis found failures (report: {})", report.display());
        }
        anyhow::Ok(())
    })
}
