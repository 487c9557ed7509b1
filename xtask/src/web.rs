//! The browser app (`web/`) in `cargo xtask dev` and `cargo xtask test`.
//!
//! - [`ensure_built`]: `npm run build` when any of the app's sources is newer
//!   than `web/dist/index.html` (`cargo xtask dev` then serves `web/dist`);
//! - [`check`]: the web step of `cargo xtask test`: `tsc --noEmit`, Vitest
//!   (jsdom + Testing Library) and the production build, which prints the
//!   initial JavaScript's gzipped size and fails over the 200 KB budget
//!   (`web/scripts/bundle-size.mjs`);
//! - [`e2e`]: Playwright on Debian's Chromium against the real backend
//!   (`web/e2e/`), also in `cargo xtask test`.
//!
//! The packages come from `npm ci` ([`crate::apidocs::ensure_web`], shared with
//! the API document's checks), pinned in `web/package-lock.json`.

use crate::repo_root;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

pub fn web() -> PathBuf {
    repo_root().join("web")
}

/// The production build served by `cargo xtask dev`.
pub fn dist() -> PathBuf {
    web().join("dist")
}

fn npm(args: &[&str], what: &str) -> Result<()> {
    eprintln!("xtask: {what}");
    let status = Command::new("npm")
        .current_dir(web())
        .args(args)
        .env("NO_COLOR", "1")
        .status()
        .with_context(|| format!("running {what} (is Node 20.19+ with npm installed?)"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// The newest modification time under `path` (a file or a directory tree).
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return meta.modified().ok();
    }
    let mut best = None;
    for entry in std::fs::read_dir(path).ok()?.flatten() {
        if let Some(t) = newest(&entry.path()) {
            best = Some(best.map_or(t, |b: SystemTime| b.max(t)));
        }
    }
    best
}

/// The files a build reads, besides `node_modules`.
const SOURCES: &[&str] = &["src", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json", "scripts"];

/// True when `web/dist` is missing or older than any of the app's sources.
pub fn is_stale() -> bool {
    let Some(built) = std::fs::metadata(dist().join("index.html")).and_then(|m| m.modified()).ok() else {
        return true;
    };
    SOURCES.iter().filter_map(|s| newest(&web().join(s))).any(|t| t > built)
}

/// Builds the app when its sources are newer than the build; returns `web/dist`.
pub fn ensure_built() -> Result<PathBuf> {
    if is_stale() {
        crate::apidocs::ensure_web()?;
        npm(&["run", "--silent", "build"], "npm run build (web/: the browser app, sources newer than web/dist)")?;
    } else {
        eprintln!("xtask: web/dist is up to date with web/src");
    }
    Ok(dist())
}

/// Where `cargo xtask package` puts the static build for the deploy step
/// (`aws s3 sync target/web s3://<WebBucketName>`, README).
pub fn deploy_dir() -> PathBuf {
    repo_root().join("target").join("web")
}

/// `cargo xtask package`'s web half: a fresh production build (`npm ci`,
/// `npm run build`) copied to [`deploy_dir`]. Returns (files, bytes).
pub fn package() -> Result<(usize, u64)> {
    crate::apidocs::ensure_web()?;
    npm(&["run", "--silent", "build"], "npm run build (web/: the static build to deploy)")?;
    stage(&dist(), &deploy_dir())
}

/// Replaces `dest` with a copy of the build in `dist`, which must hold
/// `index.html` and its hashed `assets/`. Returns (files, bytes).
pub fn stage(dist: &Path, dest: &Path) -> Result<(usize, u64)> {
    if !dist.join("index.html").is_file() || !dist.join("assets").is_dir() {
        bail!("{} is not a web build (no index.html and assets/)", dist.display());
    }
    let _ = std::fs::remove_dir_all(dest);
    fn copy(from: &Path, to: &Path, n: &mut (usize, u64)) -> Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let target = to.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                copy(&entry.path(), &target, n)?;
            } else {
                n.1 += std::fs::copy(entry.path(), &target)?;
                n.0 += 1;
            }
        }
        Ok(())
    }
    let mut n = (0, 0);
    copy(dist, dest, &mut n).with_context(|| format!("copying {} to {}", dist.display(), dest.display()))?;
    Ok(n)
}

/// The web step of `cargo xtask test`: types, unit and component tests (with
/// v8 coverage: 80 % of lines for the stores and for the API client, the floor
/// of `web/vite.config.ts`; report in `target/coverage/web/`), the production
/// build with its bundle size.
pub fn check() -> Result<()> {
    let started = std::time::Instant::now();
    crate::apidocs::ensure_web()?;
    npm(&["run", "--silent", "typecheck"], "tsc --noEmit (web/)")?;
    npm(
        &["exec", "--", "vitest", "run", "--coverage"],
        "vitest run --coverage (web/: stores, API client, components; jsdom; 80 % lines for stores and API client)",
    )?;
    npm(&["run", "--silent", "build"], "npm run build (web/: production build, initial JS size against the 200 KB budget)")?;
    eprintln!("xtask: web checks passed in {:.0?}", started.elapsed());
    Ok(())
}

/// The browser Playwright drives: `IGNY8_CHROMIUM`, else Debian's
/// `/usr/bin/chromium`, installed with apt when missing and running as root
/// (Playwright's own browser download cannot work on these machines and is
/// never used).
pub fn ensure_chromium() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("IGNY8_CHROMIUM") {
        return Ok(PathBuf::from(p));
    }
    let path = PathBuf::from("/usr/bin/chromium");
    if path.exists() {
        return Ok(path);
    }
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        bail!("Chromium is missing: install Debian's `chromium` (apt-get install -y chromium) or set IGNY8_CHROMIUM");
    }
    for args in [&["update"][..], &["install", "-y", "--no-install-recommends", "chromium"][..]] {
        eprintln!("xtask: apt-get {}", args.join(" "));
        let status = Command::new("apt-get").args(args).env("DEBIAN_FRONTEND", "noninteractive").status().context("running apt-get")?;
        if !status.success() {
            bail!("apt-get {} failed ({status})", args.join(" "));
        }
    }
    Ok(path)
}

/// Playwright (Debian's Chromium) against the real backend: the local gateway
/// on the emulator at `endpoint` (its own stack), the demo account seeded,
/// the AI worker polling, the built app served beside the API, the offline
/// AI provider. Screenshots land in `target/screenshots/` (so a test run
/// leaves the work tree as it was), or in `docs/screenshots/` with
/// `IGNY8_UPDATE_SCREENSHOTS=1` (then commit them). `filters` go to
/// Playwright as they are (`cargo xtask e2e walk` runs `walk.spec.ts` alone,
/// `-g "a title"` the tests whose title matches); the whole suite without.
pub fn e2e(endpoint: &str, filters: &[String]) -> Result<()> {
    let started = std::time::Instant::now();
    let chromium = ensure_chromium()?;
    let dist = ensure_built()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let stack = format!("igny8-e2e-{}", std::process::id());
        let res = crate::provision::deploy(endpoint, &stack).await?;
        let config = crate::provision::config_for(endpoint, &res, &format!("e2e-{}", uuid::Uuid::new_v4().simple()));
        let state = std::sync::Arc::new(igny8::AppState::new(config).await);
        crate::demo::seed(&state).await?;
        let gateway = crate::gateway::Gateway::from_template(state.clone())?.with_web_app(dist);
        let (addr, server) = gateway.serve(([127, 0, 0, 1], 0).into()).await?;
        let worker = tokio::spawn(crate::worker::run(state.clone(), igny8_ai_worker::registry(), res.ai_jobs_queue_url.clone()));
        let base = format!("http://{addr}");
        eprintln!("xtask: playwright (Chromium {}) on {base}", chromium.display());
        let mut c = tokio::process::Command::new(web().join("node_modules").join(".bin").join("playwright"));
        let shots = if std::env::var("IGNY8_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
            crate::repo_root().join("docs").join("screenshots")
        } else {
            crate::repo_root().join("target").join("screenshots")
        };
        std::fs::create_dir_all(&shots)?;
        eprintln!("xtask: screenshots to {}", shots.display());
        c.current_dir(web())
            .args(["test"])
            .args(filters)
            .env("IGNY8_SCREENSHOTS", &shots)
            .env("IGNY8_E2E_URL", &base)
            .env("IGNY8_CHROMIUM", &chromium)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .kill_on_drop(true);
        let status = tokio::time::timeout(std::time::Duration::from_secs(10 * 60), c.status()).await;
        server.abort();
        worker.abort();
        let status = match status {
            Ok(s) => s.context("running playwright")?,
            Err(_) => bail!("playwright exceeded its 10-minute cap"),
        };
        if !status.success() {
            bail!("playwright failed ({status}); traces and screenshots of failures are in target/playwright/");
        }
        anyhow::Ok(())
    })?;
    eprintln!("xtask: browser tests passed in {:.0?}", started.elapsed());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::stage;

    #[test]
    fn package_stages_a_complete_build_and_refuses_anything_else() {
        let root = std::env::temp_dir().join(format!("igny8-stage-{}", uuid::Uuid::new_v4().simple()));
        let (dist, dest) = (root.join("dist"), root.join("web"));
        std::fs::create_dir_all(dist.join("assets")).unwrap();
        assert!(stage(&dist, &dest).is_err(), "no index.html: not a build");
        std::fs::write(dist.join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(dist.join("assets/index-abc.js"), "x").unwrap();
        std::fs::create_dir_all(&dest).unwrap();
        std::fs::write(dest.join("stale.js"), "old").unwrap();
        assert_eq!(stage(&dist, &dest).unwrap(), (2, 16));
        assert!(dest.join("index.html").is_file() && dest.join("assets/index-abc.js").is_file());
        assert!(!dest.join("stale.js").exists(), "the previous build is replaced");
        std::fs::remove_dir_all(&root).ok();
    }
}
