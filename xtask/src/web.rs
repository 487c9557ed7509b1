//! The browser app (`web/`) in `cargo xtask dev` and `cargo xtask test`.
//!
//! - [`ensure_built`]: `npm run build` when any of the app's sources is newer
//!   than `web/dist/index.html` (`cargo xtask dev` then serves `web/dist`);
//! - [`check`]: the web step of `cargo xtask test`: `tsc --noEmit`, Vitest
//!   (jsdom + Testing Library) and the production build, which prints the
//!   initial JavaScript's gzipped size and fails over the 200 KB budget
//!   (`web/scripts/bundle-size.mjs`).
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

/// The web step of `cargo xtask test`: types, unit and component tests, the
/// production build with its bundle size.
pub fn check() -> Result<()> {
    let started = std::time::Instant::now();
    crate::apidocs::ensure_web()?;
    npm(&["run", "--silent", "typecheck"], "tsc --noEmit (web/)")?;
    npm(&["exec", "--", "vitest", "run"], "vitest run (web/: stores, API client, components; jsdom)")?;
    npm(&["run", "--silent", "build"], "npm run build (web/: production build, initial JS size against the 200 KB budget)")?;
    eprintln!("xtask: web checks passed in {:.0?}", started.elapsed());
    Ok(())
}
