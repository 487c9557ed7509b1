//! `cargo xtask bench --clustering`: auto-cluster quality on the labelled set
//! (both halves of `tests/fixtures/clustering/`) and the 10k/100k grouping
//! timings, printed by the `clustering` bench of the domain crate in its
//! figures-only mode (no criterion sampling, about a minute on 2 cores).

use anyhow::{Context, Result, bail};
use std::process::Command;

/// Runs the figures; `show_misses` also lists the tuning half's misses.
pub fn run(show_misses: bool) -> Result<()> {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(crate::repo_root());
    c.args(["bench", "-p", "igny8", "--bench", "clustering"]).env("CLUSTER_ONLY_FIGURES", "1");
    if show_misses {
        c.env("CLUSTER_SHOW_MISSES", "1");
    }
    eprintln!("xtask: clustering quality and timings");
    let status = c.status().context("running cargo bench --bench clustering")?;
    if !status.success() {
        bail!("clustering bench failed ({status})");
    }
    Ok(())
}
