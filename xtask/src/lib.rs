//! IGNY8 dev tooling as a library, shared by `cargo xtask` and the end-to-end
//! tests: the Python tool venv, the AWS emulator (moto server), provisioning
//! from `infra/template.yaml`, the local API gateway and the local queue
//! worker and scheduler, and the browser app's build and checks.

pub mod apidocs;
pub mod bench_clustering;
pub mod cold_start;
pub mod coverage;
pub mod demo;
pub mod emulator;
pub mod functions;
pub mod gateway;
pub mod pytools;
pub mod provision;
pub mod scale;
pub mod bench_scale;
pub mod rehearse;
pub mod scheduler;
pub mod template;
pub mod web;
pub mod worker;
pub mod wordpress;

use std::path::PathBuf;

/// The repository root (parent of `xtask/`).
pub fn repo_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// What the workspace's tests need from `cargo xtask test` (instrumented or
/// not): the run's emulator, and the import-parser fuzz test's full minute
/// (3 s under plain `cargo test`) unless `IGNY8_FUZZ_SECS` says otherwise.
pub fn workspace_test_env(c: &mut std::process::Command, endpoint: &str) {
    c.env("IGNY8_TEST_AWS_ENDPOINT", endpoint);
    c.env("IGNY8_FUZZ_SECS", std::env::var("IGNY8_FUZZ_SECS").unwrap_or_else(|_| "60".into()));
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(l.local_addr()?.port())
}
