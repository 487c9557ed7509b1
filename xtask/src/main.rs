//! `cargo xtask <command>`: the project's own tooling.
//!
//! - `dev [--port N] [--wordpress]`: the whole platform on 127.0.0.1 (emulator, gateway, queue
//!   workers, local scheduler, the browser app built from `web/` when its sources changed),
//!   with `--wordpress` a real WordPress connected to the demo site.
//! - `test`: every test (template lint, unit, end-to-end against the emulator and a real
//!   WordPress under coverage with its thresholds, the API document's checks, the browser
//!   app's checks, deploy rehearsal).
//! - `rehearse`: the deploy rehearsal alone (`sam build` as the README says, artifacts
//!   checked, the built stack created on the emulator's CloudFormation).
//! - `bench`: criterion benches, figures printed; `bench --scale [--quick]`:
//!   imports, auto-cluster and lists at 100,000 keywords through the local
//!   gateway on the emulator, with DynamoDB units per row; `bench --clustering`:
//!   auto-cluster quality on the labelled set and the 10k/100k grouping timings;
//!   `bench --cold-start`: every function's release bootstrap, spawn to first
//!   response under a local Lambda Runtime API, median of 10.
//! - `package`: `cargo lambda build --release --arm64` for every function, sizes checked;
//!   the browser app's static build in `target/web/` for the deploy step.
//! - `lint-template`: cfn-lint + samtranslator on `infra/template.yaml`.
//! - `schemathesis`: the schemathesis step of `test` alone (its own emulator).
//! - `web`: the web step of `test` alone (`tsc`, Vitest, the production build
//!   with its bundle size); `e2e`: the browser tests alone (Playwright on
//!   Debian's Chromium against the real backend, its own emulator).
//! - `coverage [--report-only] [--no-run]`: the Rust tests (unit and end-to-end,
//!   on an emulator of their own) under `cargo llvm-cov`: line and region
//!   coverage per crate and module, HTML + lcov in `target/coverage/`, and the
//!   thresholds (80 % of lines for shared + functions, 100 % on the critical
//!   paths); see `xtask/src/coverage.rs`.
//! - `openapi`: writes the OpenAPI document to `target/openapi/` and regenerates
//!   the browser app's types (`web/src/api/schema.d.ts`).

use anyhow::{Context, Result, bail};
use std::process::Command;
use std::sync::Arc;
use xtask::{emulator::Emulator, gateway::Gateway, provision, pytools, repo_root};

const USAGE: &str = "usage: cargo xtask <dev [--port N] [--wordpress] | test | coverage [--report-only] [--no-run] | rehearse | bench [--scale [--quick] | --clustering [--show-misses] | --cold-start] | package [--x86-64] | lint-template | openapi | schemathesis | web | e2e [playwright filters, e.g. walk or -g \"a title\"]>";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("dev") => dev(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("coverage") => xtask::coverage::run(&args[1..]),
        Some("bench") if args.iter().any(|a| a == "--scale") => bench_scale(args.iter().any(|a| a == "--quick")),
        Some("bench") if args.iter().any(|a| a == "--cold-start") => bench_cold_start(),
        Some("bench") if args.iter().any(|a| a == "--clustering") => {
            xtask::bench_clustering::run(args.iter().any(|a| a == "--show-misses"))
        }
        Some("bench") => bench(),
        Some("package") => package(&args[1..]),
        Some("lint-template") => lint_template(),
        Some("openapi") => openapi(),
        // schemathesis alone, on an emulator of its own (the step of `test`).
        Some("schemathesis") => {
            let emulator = Emulator::start()?;
            let r = xtask::apidocs::schemathesis(&emulator.endpoint());
            drop(emulator);
            r
        }
        Some("rehearse") => xtask::rehearse::run(None),
        Some("web") => xtask::web::check(),
        // The browser tests alone, on an emulator of their own.
        Some("e2e") => {
            let emulator = Emulator::start()?;
            let r = xtask::web::e2e(&emulator.endpoint(), &args[1..]);
            drop(emulator);
            r
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2)
        }
    }
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(repo_root());
    c
}

fn run(mut c: Command, what: &str) -> Result<()> {
    eprintln!("xtask: {what}");
    let status = c.status().with_context(|| format!("running {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn lint_template() -> Result<()> {
    pytools::ensure()?;
    let mut c = Command::new(pytools::bin("python"));
    c.arg(repo_root().join("infra").join("lint_template.py"));
    run(c, "template lint (cfn-lint + samtranslator)")
}

/// Every test: template lint, the whole workspace's tests against one
/// emulator started for this run (each test binary deploys its own stack on
/// it) under coverage with its thresholds, then the deploy rehearsal on the same emulator: the README's `sam
/// build` for real (a release build of every function), the artifact checks
/// and the stack created from the built template.
///
/// Local shortcuts (CI sets none): `IGNY8_COVERAGE=0` runs the Rust tests
/// uninstrumented, without thresholds; `IGNY8_REHEARSAL_BUILD=0` rehearses on
/// stand-in artifacts instead of building (seconds instead of ~20 minutes on
/// 2 cores); `IGNY8_SKIP_REHEARSAL=1` skips the rehearsal.
fn test(extra: &[String]) -> Result<()> {
    let started = std::time::Instant::now();
    lint_template()?;
    let emulator = Emulator::start()?;
    eprintln!("xtask: emulator for this run on {}", emulator.endpoint());
    // Every workspace test under coverage, thresholds enforced (80 % of the
    // lines of shared/ + functions/, 100 % on the critical paths).
    // `IGNY8_COVERAGE=0` runs them uninstrumented instead (a local shortcut;
    // CI never sets it).
    if std::env::var("IGNY8_COVERAGE").is_ok_and(|v| v == "0") {
        eprintln!("xtask: coverage SKIPPED (IGNY8_COVERAGE=0)");
        let mut c = cargo();
        c.args(["test", "--workspace", "--all-targets", "--locked"]).args(extra);
        xtask::workspace_test_env(&mut c, &emulator.endpoint());
        run(c, "cargo test --workspace --all-targets")?;
    } else {
        xtask::coverage::test_step(&emulator.endpoint(), extra)?;
    }
    // The API document: lint, the browser app's types, then schemathesis on
    // the local gateway (on the same emulator, its own stack).
    api_document_checks(&emulator.endpoint())?;
    // The browser app: tsc, Vitest (stores, API client, components), the
    // production build with its initial JavaScript size printed.
    xtask::web::check()?;
    // Playwright on Debian's Chromium against the real backend (own stack on
    // the same emulator). `IGNY8_SKIP_E2E=1` skips it (a local shortcut; CI never sets it).
    if std::env::var("IGNY8_SKIP_E2E").is_ok_and(|v| v == "1") {
        eprintln!("xtask: browser tests SKIPPED (IGNY8_SKIP_E2E=1)");
    } else {
        xtask::web::e2e(&emulator.endpoint(), &[])?;
    }
    if std::env::var("IGNY8_SKIP_REHEARSAL").is_ok_and(|v| v == "1") {
        eprintln!("xtask: deploy rehearsal SKIPPED (IGNY8_SKIP_REHEARSAL=1)");
    } else if std::env::var("IGNY8_REHEARSAL_BUILD").is_ok_and(|v| v == "0") {
        xtask::rehearse::run_stand_in(&emulator.endpoint())?;
    } else {
        xtask::rehearse::run(Some(&emulator.endpoint()))?;
    }
    drop(emulator);
    eprintln!("xtask: all tests passed in {:.0?}", started.elapsed());
    Ok(())
}

/// `redocly lint`, the checked-in TypeScript types, schemathesis.
/// `IGNY8_SKIP_SCHEMATHESIS=1` skips schemathesis (a local shortcut; CI never sets it).
fn api_document_checks(endpoint: &str) -> Result<()> {
    let started = std::time::Instant::now();
    let doc = xtask::apidocs::write_document()?;
    xtask::apidocs::ensure_web()?;
    xtask::apidocs::lint(&doc)?;
    xtask::apidocs::check_types(&doc)?;
    if std::env::var("IGNY8_SKIP_SCHEMATHESIS").is_ok_and(|v| v == "1") {
        eprintln!("xtask: schemathesis SKIPPED (IGNY8_SKIP_SCHEMATHESIS=1)");
    } else {
        xtask::apidocs::schemathesis(endpoint)?;
    }
    eprintln!("xtask: API document checks passed in {:.0?}", started.elapsed());
    Ok(())
}

/// Writes the OpenAPI document and regenerates the browser app's types from it.
fn openapi() -> Result<()> {
    let doc = xtask::apidocs::write_document()?;
    println!("{}", doc.display());
    xtask::apidocs::ensure_web()?;
    xtask::apidocs::write_types(&doc)?;
    println!("{}", xtask::repo_root().join("web/src/api/schema.d.ts").display());
    Ok(())
}

fn bench() -> Result<()> {
    let mut c = cargo();
    c.args(["bench", "-p", "igny8", "--bench", "request_path"]);
    run(c, "criterion: request path")
}

fn bench_scale(quick: bool) -> Result<()> {
    // The figures are the release build's (the clustering step is ~20x
    // slower unoptimised): a debug xtask runs itself again in release.
    if cfg!(debug_assertions) && std::env::var_os("IGNY8_BENCH_DEBUG").is_none() {
        let mut c = cargo();
        c.args(["run", "--release", "--quiet", "--package", "xtask", "--bin", "xtask", "--", "bench", "--scale"]);
        if quick {
            c.arg("--quick");
        }
        return run(c, "scale bench (release build)");
    }
    let emulator = Emulator::start()?;
    let rt = tokio::runtime::Runtime::new()?;
    let result = rt.block_on(xtask::bench_scale::run(&emulator.endpoint(), quick));
    drop(rt);
    drop(emulator);
    result
}

/// Cold start of every function's release bootstrap under a local Lambda
/// Runtime API (see `xtask/src/cold_start.rs`).
fn bench_cold_start() -> Result<()> {
    xtask::cold_start::build()?;
    let emulator = Emulator::start()?;
    let rt = tokio::runtime::Runtime::new()?;
    let result = rt.block_on(xtask::cold_start::run(&emulator.endpoint()));
    drop(rt);
    drop(emulator);
    result
}

fn package(args: &[String]) -> Result<()> {
    pytools::ensure()?;
    let venv_bin = pytools::venv_dir().join("bin");
    if !venv_bin.join("cargo-lambda").exists() {
        let mut c = Command::new(venv_bin.join("python"));
        c.args(["-m", "pip", "install", "--quiet", "cargo-lambda==1.9.2"]);
        run(c, "pip install cargo-lambda (brings zig)")?;
    }
    let path = format!("{}:{}", venv_bin.display(), std::env::var("PATH").unwrap_or_default());
    let arch = if args.iter().any(|a| a == "--x86-64") { "--x86-64" } else { "--arm64" };
    let mut c = cargo();
    c.env("PATH", &path).args(["lambda", "build", "--release", arch, "--output-format", "zip"]);
    for (_, binary) in xtask::template::functions(&xtask::template::load_text()?)? {
        c.args(["--bin", &binary]);
    }
    run(c, &format!("cargo lambda build --release {arch}"))?;
    // Check the unzipped bootstrap sizes by building the binaries' sizes from the zip listing.
    let mut too_big = Vec::new();
    for (_, binary) in xtask::template::functions(&xtask::template::load_text()?)? {
        let zip = repo_root().join("target").join("lambda").join(&binary).join("bootstrap.zip");
        let out = Command::new(venv_bin.join("python"))
            .args(["-c", "import sys,zipfile; print(zipfile.ZipFile(sys.argv[1]).getinfo('bootstrap').file_size)"])
            .arg(&zip)
            .output()?;
        let size: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
        let zipped = std::fs::metadata(&zip).map(|m| m.len()).unwrap_or(0);
        println!("{binary:<20} bootstrap {:>6.2} MB   zip {:>6.2} MB   {}", size as f64 / 1e6, zipped as f64 / 1e6, zip.display());
        let limit = xtask::rehearse::bootstrap_limit(&binary, arch.contains("x86"));
        if size == 0 || size > limit {
            too_big.push(binary);
        }
    }
    if !too_big.is_empty() {
        bail!("bootstrap missing or over the size limit (15 MB arm64, 20 MB x86_64; docs twice that): {too_big:?}");
    }
    // The browser app's static build, where the README's deploy step uploads it from.
    let (files, bytes) = xtask::web::package()?;
    println!("web app: {files} files, {:.2} MB in {} (aws s3 sync it to the stack's WebBucketName; README)", bytes as f64 / 1e6, xtask::web::deploy_dir().display());
    Ok(())
}

/// The whole platform locally.
fn dev(args: &[String]) -> Result<()> {
    let mut port: u16 = 3000;
    let mut with_wordpress = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => port = it.next().and_then(|p| p.parse().ok()).context("--port needs a number")?,
            "--wordpress" => with_wordpress = true,
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    igny8::log::init_pretty();
    // The browser app, rebuilt when web/ changed. Without Node the API still
    // comes up (and says the app is missing).
    let web_app = match xtask::web::ensure_built() {
        Ok(dist) => Some(dist),
        Err(e) => {
            eprintln!("xtask: the browser app is not served: {e:#}");
            None
        }
    };
    let emulator = Emulator::start()?;
    // A real WordPress beside the platform (Debian's packages, installed if missing).
    let wordpress = if with_wordpress {
        let wp = xtask::wordpress::WordPress::start(&xtask::wordpress::Options { seo: xtask::wordpress::Seo::Yoast, ..Default::default() })?;
        Some(wp)
    } else {
        None
    };
    let rt = tokio::runtime::Runtime::new()?;
    let result = rt.block_on(async {
        let stack = format!("igny8-dev-{}", std::process::id());
        let res = provision::deploy(&emulator.endpoint(), &stack).await?;
        let secret = std::env::var("JWT_SECRET").unwrap_or_else(|_| format!("local-dev-secret-{}", uuid::Uuid::new_v4().simple()));
        let config = provision::config_for(&emulator.endpoint(), &res, &secret);
        let state = Arc::new(igny8::AppState::new(config).await);
        let demo = xtask::demo::seed(&state).await?;
        let mut gateway = Gateway::from_template(state.clone())?;
        if let Some(dist) = web_app.clone() {
            gateway = gateway.with_web_app(dist);
        }
        let routes = gateway.route_keys();
        let (addr, server) = gateway.serve(([127, 0, 0, 1], port).into()).await?;
        let wp_integration = match &wordpress {
            Some(wp) => Some(xtask::demo::connect_wordpress(&state, &demo, wp, &format!("http://{addr}")).await?),
            None => None,
        };
        let worker = tokio::spawn(xtask::worker::run(state.clone(), igny8_ai_worker::registry(), res.ai_jobs_queue_url.clone()));
        let dead_letters = tokio::spawn(xtask::worker::run(state.clone(), igny8_ai_worker::registry(), res.ai_jobs_dlq_url.clone()));
        let publisher = tokio::spawn(xtask::worker::run(state.clone(), igny8_publish_worker::registry(), res.publish_queue_url.clone()));
        let publish_dead_letters = tokio::spawn(xtask::worker::run(state.clone(), igny8_publish_worker::registry(), res.publish_dlq_url.clone()));
        let sweeper = tokio::spawn(xtask::worker::sweep_every(state.clone(), std::time::Duration::from_secs(60)));
        let scheduler = tokio::spawn(xtask::scheduler::run(state.clone()));
        let events = tokio::spawn(xtask::scheduler::run_events(state.clone(), res.automation_events_queue_url.clone()));
        println!();
        println!("IGNY8 is running locally.");
        match &web_app {
            Some(_) => println!("  app        http://{addr}/   (sign in with the demo login below)"),
            None => println!("  app        not built (see the message above); the API is served alone"),
        }
        println!("  API        http://{addr}/api/v1/   (try: curl http://{addr}/api/v1/health/)");
        println!("  routes     {}", routes.join(" | "));
        println!("  mail       http://{addr}{}?to=<email>   (the mails the platform sent, e.g. verification links; local only)", xtask::gateway::MAIL_PATH);
        println!("  emulator   {} (moto server; stack {stack})", emulator.endpoint());
        println!("  table      {}", res.table);
        println!("  ai-jobs    {}", res.ai_jobs_queue_url);
        println!("  worker     polling ai-jobs and its dead-letter queue ({} job kinds registered)", igny8_ai_worker::registry().kinds().len());
        println!("  sweeper    every 60 s: fails jobs stuck past their lease (credits back), re-sends stale queued ones");
        println!("  scheduler  every minute: fires the schedules due in {} (automation rules, pipelines, daily WordPress syncs, scheduled publishes; the emulator never fires them); runs event rules from the events queue", res.schedule_group);
        println!(
            "  demo       {} / {}  (account {}{}{})",
            xtask::demo::DEMO_EMAIL,
            xtask::demo::DEMO_PASSWORD,
            demo.account_id,
            demo.site_id.as_deref().map(|s| format!(", site {s}")).unwrap_or_default(),
            demo.sector_id.as_deref().map(|s| format!(", sector {s}")).unwrap_or_default(),
        );
        if let (Some(wp), Some(id)) = (&wordpress, &wp_integration) {
            println!("  wordpress  {} (admin / {}; started in {:.1?}); the demo site is connected: integration {id}", wp.base_url, xtask::wordpress::ADMIN_LOGIN_PASSWORD, wp.startup);
            println!("             publish: POST http://{addr}/api/v1/integration/integrations/{id}/publish/ {{\"content_id\": \"…\"}}; the post appears at {}/?p=<post_id>", wp.base_url);
        }
        println!(
            "             curl -s -X POST http://{addr}/api/v1/auth/login/ -H 'content-type: application/json' -d '{{\"email\":\"{}\",\"password\":\"{}\"}}'",
            xtask::demo::DEMO_EMAIL,
            xtask::demo::DEMO_PASSWORD
        );
        println!("Press Ctrl-C to stop everything this command started.");
        tokio::signal::ctrl_c().await?;
        server.abort();
        worker.abort();
        dead_letters.abort();
        publisher.abort();
        publish_dead_letters.abort();
        sweeper.abort();
        scheduler.abort();
        events.abort();
        println!("\nstopping …");
        anyhow::Ok(())
    });
    drop(rt);
    drop(emulator);
    result
}
