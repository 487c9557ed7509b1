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

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(l.local_addr()?.port())
}
