//! The project's Python tools (moto server, cfn-lint, aws-sam-translator,
//! SAM CLI and cargo-lambda for the deploy rehearsal),
//! pinned in `xtask/requirements.txt` and installed into a project-local
//! virtualenv `.venv/` on first use. Nothing is assumed to be installed.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const REQUIREMENTS: &str = include_str!("../requirements.txt");

pub fn venv_dir() -> PathBuf {
    crate::repo_root().join(".venv")
}

pub fn bin(name: &str) -> PathBuf {
    venv_dir().join("bin").join(name)
}

fn stamp_path(venv: &Path) -> PathBuf {
    venv.join(".igny8-requirements")
}

/// Creates `.venv` and installs the pinned requirements when they changed.
/// Safe to call from concurrent processes: a lock directory serialises installs.
pub fn ensure() -> Result<()> {
    let venv = venv_dir();
    if std::fs::read_to_string(stamp_path(&venv)).is_ok_and(|s| s == REQUIREMENTS) {
        return Ok(());
    }
    let lock = crate::repo_root().join("target").join(".venv-install.lock");
    std::fs::create_dir_all(lock.parent().unwrap_or(Path::new("."))).ok();
    let mut waited = 0;
    while std::fs::create_dir(&lock).is_err() {
        std::thread::sleep(std::time::Duration::from_millis(500));
        waited += 1;
        if std::fs::read_to_string(stamp_path(&venv)).is_ok_and(|s| s == REQUIREMENTS) {
            return Ok(());
        }
        if waited > 1200 {
            let _ = std::fs::remove_dir(&lock);
        }
    }
    let result = install(&venv);
    let _ = std::fs::remove_dir(&lock);
    result
}

fn install(venv: &Path) -> Result<()> {
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success()))
        .context("python3 is required to install the AWS emulator (moto) and the template linters")?;
    if !venv.join("bin").join("python").exists() {
        eprintln!("xtask: creating {} …", venv.display());
        let ok = Command::new(python).args(["-m", "venv"]).arg(venv).status()?.success();
        if !ok {
            bail!("python3 -m venv failed (on Debian: apt-get install python3-venv)");
        }
    }
    let req = venv.join("requirements.txt");
    std::fs::write(&req, REQUIREMENTS)?;
    eprintln!("xtask: installing pinned Python tools (moto server, cfn-lint, aws-sam-translator) …");
    let ok = Command::new(venv.join("bin").join("python"))
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&req)
        .status()?
        .success();
    if !ok {
        bail!("pip install of xtask/requirements.txt failed");
    }
    std::fs::write(stamp_path(venv), REQUIREMENTS)?;
    Ok(())
}
