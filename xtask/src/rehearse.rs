//! The deploy rehearsal (`cargo xtask rehearse`, and part of `cargo xtask
//! test`): the README's "Build and deploy to AWS" path, run for real up to the
//! point where AWS would be needed.
//!
//! 1. `sam build` exactly as the README says ([`SAM_BUILD`]), with the
//!    `Architecture=x86_64` override (CI builds x86_64; arm64, the template's
//!    default, is what `cargo xtask package` and a real deploy build). SAM
//!    runs cargo-lambda in the workspace root for each function (a release
//!    build, sharing `target/`, so a second run only relinks what changed).
//! 2. Every function's artifact holds an executable x86-64 ELF `bootstrap`
//!    under [`MAX_BOOTSTRAP_BYTES_X86_64`].
//! 3. `infra/rehearse_deploy.py` uploads the artifacts to the emulator,
//!    translates the built template and creates the stack on the emulator's
//!    CloudFormation, then checks every resource it could create (each Lambda
//!    function, its role and its event source mappings included) and names
//!    the resource types the emulator cannot create.

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// The README's build command (run from the repository root).
pub const SAM_BUILD: &[&str] = &["build", "--template-file", "infra/template.yaml"];
/// What the rehearsal adds to it: CI builds for x86_64.
pub const CI_OVERRIDES: &[&str] = &["--parameter-overrides", "Architecture=x86_64"];
/// The project's limit for one bootstrap of the deployed architecture, arm64
/// (Lambda's own is 250 MB unzipped): measured 8.5–13.0 MB, the writer largest.
pub const MAX_BOOTSTRAP_BYTES: u64 = 15 * 1024 * 1024;
/// The same functions compiled for x86_64 are about 25 % larger (measured
/// 9.4–16.6 MB from the rehearsal's `sam build`; the planner, writer and
/// worker link the spreadsheet reader, the HTML sanitiser and the lexicon), so
/// the x86_64 build the rehearsal makes is held to a proportionally larger
/// limit rather than the arm64 one.
pub const MAX_BOOTSTRAP_BYTES_X86_64: u64 = 20 * 1024 * 1024;

/// The limit for one function's bootstrap. The `docs` function gets twice the
/// limit: to generate the API document it links every function's router (so
/// every handler, measured 29.5 MB on x86_64), plus Swagger UI and ReDoc;
/// it serves documentation pages, off the API's request path.
pub fn bootstrap_limit(binary: &str, x86_64: bool) -> u64 {
    let base = if x86_64 { MAX_BOOTSTRAP_BYTES_X86_64 } else { MAX_BOOTSTRAP_BYTES };
    if binary == "docs" { 2 * base } else { base }
}

pub fn build_dir() -> PathBuf {
    crate::repo_root().join(".aws-sam").join("build")
}

/// PATH with the project's venv first (sam, cargo-lambda and zig live there).
fn venv_path() -> String {
    format!("{}:{}", crate::pytools::venv_dir().join("bin").display(), std::env::var("PATH").unwrap_or_default())
}

/// Step 1: `sam build`.
pub fn sam_build() -> Result<()> {
    crate::pytools::ensure()?;
    let started = Instant::now();
    let mut c = Command::new(crate::pytools::bin("sam"));
    c.args(SAM_BUILD).args(CI_OVERRIDES).current_dir(crate::repo_root());
    c.env("PATH", venv_path()).env("SAM_CLI_TELEMETRY", "0").env("AWS_DEFAULT_REGION", "us-east-1");
    eprintln!("xtask: sam {} {} (a release build of every function; minutes on 2 cores)", SAM_BUILD.join(" "), CI_OVERRIDES.join(" "));
    let status = c.status().context("running sam build (is aws-sam-cli in xtask/requirements.txt?)")?;
    if !status.success() {
        bail!("sam build failed ({status})");
    }
    eprintln!("xtask: sam build took {:.0?}", started.elapsed());
    Ok(())
}

/// Step 2: each function's artifact holds an executable x86-64 `bootstrap`
/// under the size limit. Returns (logical id, size) per function.
pub fn check_artifacts() -> Result<Vec<(String, u64)>> {
    let mut sizes = Vec::new();
    let mut problems = Vec::new();
    for (id, binary) in crate::template::functions(&crate::template::load_text()?)? {
        let path = build_dir().join(&id).join("bootstrap");
        match std::fs::read(&path) {
            Err(e) => problems.push(format!("{id}: no {} ({e})", path.display())),
            Ok(bytes) => {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path)?.permissions().mode();
                let size = bytes.len() as u64;
                // ELF magic, 64-bit, e_machine 0x3E (x86-64).
                let elf = bytes.len() > 20 && bytes[..4] == *b"\x7fELF" && bytes[4] == 2 && u16::from_le_bytes([bytes[18], bytes[19]]) == 0x3E;
                println!("{id:<26} {binary:<18} bootstrap {:>6.2} MB  {}", size as f64 / 1e6, if elf { "ELF x86-64" } else { "NOT an x86-64 ELF" });
                if mode & 0o111 == 0 {
                    problems.push(format!("{id}: bootstrap is not executable (mode {mode:o})"));
                }
                if !elf {
                    problems.push(format!("{id}: bootstrap is not an x86-64 ELF executable"));
                }
                let limit = bootstrap_limit(&binary, true);
                if size > limit {
                    problems.push(format!("{id}: bootstrap is {size} bytes, over {limit}"));
                }
                sizes.push((id, size));
            }
        }
    }
    if !problems.is_empty() {
        bail!("artifacts of sam build:\n  {}", problems.join("\n  "));
    }
    Ok(sizes)
}

/// Step 3: the built stack on the emulator at `endpoint`.
pub fn deploy_to_emulator(endpoint: &str) -> Result<()> {
    deploy_dir_to_emulator(endpoint, &build_dir())
}

fn deploy_dir_to_emulator(endpoint: &str, dir: &std::path::Path) -> Result<()> {
    let mut c = Command::new(crate::pytools::bin("python"));
    c.arg(crate::repo_root().join("infra").join("rehearse_deploy.py")).args(["--endpoint", endpoint, "--build-dir"]).arg(dir);
    let status = c.status().context("running infra/rehearse_deploy.py")?;
    if !status.success() {
        bail!("the deploy rehearsal on the emulator failed ({status})");
    }
    Ok(())
}

/// The whole rehearsal; `endpoint` is an emulator already running, or None
/// to start one for it.
pub fn run(endpoint: Option<&str>) -> Result<()> {
    let started = Instant::now();
    sam_build()?;
    check_artifacts()?;
    match endpoint {
        Some(e) => deploy_to_emulator(e)?,
        None => {
            let emulator = crate::emulator::Emulator::start()?;
            deploy_to_emulator(&emulator.endpoint())?;
        }
    }
    eprintln!("xtask: deploy rehearsal passed in {:.0?}", started.elapsed());
    Ok(())
}

/// The deploy half alone, on stand-in artifacts: a build directory laid out
/// as `sam build` lays it out (the template with each function's `CodeUri`
/// pointing at its own folder, a placeholder executable `bootstrap` in each),
/// deployed to the emulator with every check of step 3. A local shortcut:
/// `cargo xtask test` runs it instead of [`run`] when `IGNY8_REHEARSAL_BUILD=0`
/// (the real `sam build` is a release build of every function).
pub fn run_stand_in(endpoint: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let started = Instant::now();
    let dir = crate::repo_root().join("target").join("rehearsal-stand-in");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut text = crate::template::load_text()?;
    for (id, _binary) in crate::template::functions(&text)? {
        let head = format!("\n  {id}:\n    Type: AWS::Serverless::Function\n");
        let at = text.find(&head).with_context(|| format!("{id} in the template"))? + head.len();
        let props = text[at..].find("\n    Properties:\n").with_context(|| format!("{id} has Properties"))? + at + "\n    Properties:\n".len();
        text.insert_str(props, &format!("      CodeUri: {id}\n"));
        let art = dir.join(&id);
        std::fs::create_dir_all(&art)?;
        let bootstrap = art.join("bootstrap");
        std::fs::write(&bootstrap, "#!/bin/sh\n# stand-in: the rehearsal's deploy half checks wiring, not code\nexit 1\n")?;
        std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755))?;
    }
    std::fs::write(dir.join("template.yaml"), text)?;
    deploy_dir_to_emulator(endpoint, &dir)?;
    eprintln!("xtask: deploy rehearsal (stand-in artifacts, IGNY8_REHEARSAL_BUILD=0) passed in {:.0?}", started.elapsed());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_documents_the_command_the_rehearsal_runs() {
        let readme = std::fs::read_to_string(crate::repo_root().join("README.md")).unwrap();
        let section = readme.split("## Build and deploy to AWS").nth(1).and_then(|s| s.split("\n## ").next()).expect("the README's deploy section");
        let build = format!("sam {}", SAM_BUILD.join(" "));
        assert!(section.lines().any(|l| l.trim_start().starts_with(&build)), "the README's deploy section must run `{build}`");
        assert!(section.contains(&CI_OVERRIDES[1..].join(" ")), "the README must say what the rehearsal adds: {CI_OVERRIDES:?}");
        assert!(section.contains("sam deploy"), "the README's deploy section ends with sam deploy");
        assert!(section.contains("pip install -r xtask/requirements.txt"), "SAM CLI and cargo-lambda come from the pinned requirements");
    }
}
