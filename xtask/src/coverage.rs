//! `cargo xtask coverage`: the whole Rust test suite (unit and end-to-end,
//! against one emulator, as `cargo xtask test` runs it) under source-based
//! coverage (`cargo llvm-cov`), with
//!
//! - line and region coverage per crate (`shared`, each `functions/*`) and per
//!   module (source file), worst first;
//! - an HTML report in `target/coverage/html/` and an lcov file
//!   `target/coverage/lcov.info` (plus the JSON summary beside it);
//! - the thresholds: ≥ [`TOTAL_LINES_FLOOR`] % of the lines of `shared/` and
//!   `functions/` together, and 100 % of the lines of the critical paths
//!   ([`CRITICAL`]). A miss exits non-zero and names every uncovered critical
//!   line.
//!
//! Flags: `--report-only` prints everything and enforces nothing;
//! `--no-run` reports on the last run's profiles without running the tests again.
//!
//! Excluding a critical-path line: stable Rust cannot mark code for the
//! instrumentation, so the checker honours a comment
//! `// coverage: unreachable — <reason>` (the reason is required; a marker
//! without one fails the check). A trailing marker excludes its own line; a
//! marker on a line of its own excludes the next line holding code. Markers
//! only count on critical paths (the 80 % floor is llvm's own figure).
//!
//! Only the sources of `shared/src/` and `functions/*/src/` are measured: the
//! test crates (`tests/`, `*/tests/`, benches) and `xtask/` (the harness the
//! end-to-end tests run the handlers through) are left out of the report.
//! Unit tests inside a source file (`#[cfg(test)] mod tests`) are part of that
//! file in llvm's figures.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The cargo-llvm-cov installed when missing (checked to install and run here).
pub const CARGO_LLVM_COV_VERSION: &str = "0.9.1";

/// The floor for the lines of `shared/` and `functions/` together, in percent.
pub const TOTAL_LINES_FLOOR: f64 = 80.0;

/// The marker that excludes a critical-path line (see the module docs).
pub const MARKER: &str = "coverage: unreachable";

/// A critical path: a source file and the items in it whose every line must
/// be covered. An item is a declaration's start (`fn verify`, `static
/// SANITIZER`), its span the declaration through its closing brace; `*` is
/// the whole file but its `#[cfg(test)]` items.
#[derive(Debug, Clone, Copy)]
pub struct Critical {
    pub file: &'static str,
    pub what: &'static str,
    pub items: &'static [&'static str],
}

/// The critical paths (issue 17): the auth guard and token verification,
/// tenant key building and cursor signing, credits reserve/settle/release and
/// the ledger, the job claim and outcome write, HTML sanitisation.
pub const CRITICAL: &[Critical] = &[
    Critical { file: "shared/src/auth/token.rs", what: "token signing and verification", items: &["*"] },
    Critical {
        file: "shared/src/auth/guard.rs",
        what: "the auth guard",
        items: &["fn min_role", "fn tenant", "fn check_staff", "fn check", "fn bearer", "fn bearer_headers", "fn require", "fn authenticate"],
    },
    Critical { file: "shared/src/store/keys.rs", what: "tenant key building", items: &["*"] },
    Critical { file: "shared/src/store/cursor.rs", what: "cursor signing", items: &["*"] },
    Critical {
        file: "shared/src/credits.rs",
        what: "credits reserve/settle/release and the ledger",
        items: &[
            "fn key",
            "fn round",
            "fn compute",
            "fn apply",
            "fn apply_with",
            "fn account_version",
            "fn applied_line",
            "fn total",
            "fn reserve_movement",
            "fn reserve_key",
            "fn of",
            "fn reserve",
            "fn reserve_with",
            "fn release_with",
            "fn release_movement",
            "fn settle",
            "fn release",
            "fn usage_op",
        ],
    },
    Critical {
        file: "shared/src/jobs.rs",
        what: "the job claim and outcome write",
        items: &["fn claim", "fn finish", "fn release", "fn record_outcome", "fn fail_open_job"],
    },
    Critical {
        file: "shared/src/writer/html.rs",
        what: "HTML sanitisation",
        items: &["fn allowed_attributes", "static SANITIZER", "fn sanitize"],
    },
];

// ------------------------------------------------------------------ the run

#[derive(Debug, Default)]
struct Options {
    report_only: bool,
    no_run: bool,
}

/// `cargo xtask coverage [--report-only] [--no-run]`.
pub fn run(args: &[String]) -> Result<()> {
    let mut opts = Options::default();
    for a in args {
        match a.as_str() {
            "--report-only" => opts.report_only = true,
            "--no-run" => opts.no_run = true,
            other => bail!("unknown option {other} (coverage takes --report-only and --no-run)"),
        }
    }
    ensure_tools()?;
    let mut tests_failed = None;
    if !opts.no_run {
        let emulator = crate::emulator::Emulator::start()?;
        eprintln!("xtask: emulator for this run on {}", emulator.endpoint());
        if !run_tests(&emulator.endpoint(), &["--no-fail-fast".to_string()])? {
            tests_failed = Some("some tests failed (the figures below count what ran)");
        }
        drop(emulator);
    }
    let misses = report_and_check(true)?;
    if opts.report_only {
        for m in &misses {
            println!("threshold missed (not enforced, --report-only): {m}");
        }
    } else if !misses.is_empty() {
        bail!("coverage thresholds missed:\n  {}", misses.join("\n  "));
    }
    if let Some(why) = tests_failed {
        bail!("{why}");
    }
    Ok(())
}

/// The Rust step of `cargo xtask test`: every workspace test (unit and
/// end-to-end, on the emulator at `endpoint`) under coverage, then the
/// figures and the thresholds, enforced. A failing test fails the step
/// first; the HTML report is left to `cargo xtask coverage --no-run` (the
/// run's profiles stay in `target/llvm-cov-target/`).
pub fn test_step(endpoint: &str, extra: &[String]) -> Result<()> {
    ensure_tools()?;
    if !run_tests(endpoint, extra)? {
        bail!("cargo llvm-cov: some tests failed");
    }
    let misses = report_and_check(false)?;
    if !misses.is_empty() {
        bail!("coverage thresholds missed:\n  {}", misses.join("\n  "));
    }
    Ok(())
}

/// Builds the workspace's tests instrumented and runs them all against the
/// emulator; `Ok(false)` when a test failed.
fn run_tests(endpoint: &str, extra: &[String]) -> Result<bool> {
    let root = crate::repo_root();
    let mut c = cargo(&root);
    c.args(["llvm-cov", "--no-report", "--workspace", "--all-targets", "--locked"]).args(extra);
    crate::workspace_test_env(&mut c, endpoint);
    let timing = run_timed(c)?;
    eprintln!("xtask: instrumented build {:.0?}, tests {:.0?}", timing.build, timing.total.saturating_sub(timing.build));
    Ok(timing.success)
}

/// Writes the JSON summary and lcov file (and with `html` the HTML report)
/// under `target/coverage/`, prints the per-crate and per-module table and
/// the critical paths, and returns the thresholds missed.
fn report_and_check(html: bool) -> Result<Vec<String>> {
    let started = Instant::now();
    let root = crate::repo_root();
    let out = root.join("target").join("coverage");
    std::fs::create_dir_all(&out)?;
    let ignore = ignore_regex(&root);
    let json_path = out.join("summary.json");
    let lcov_path = out.join("lcov.info");
    let html_dir = out.join("html");
    report(&root, &ignore, &["--json", "--summary-only", "--output-path"], &json_path)?;
    report(&root, &ignore, &["--lcov", "--output-path"], &lcov_path)?;
    if html {
        // (--html writes into `<output-dir>/html/`.)
        report(&root, &ignore, &["--html", "--output-dir"], &out)?;
    }

    let root_s = root.to_string_lossy().to_string();
    let files = parse_summary(&std::fs::read_to_string(&json_path)?, &root_s)?;
    let lcov = parse_lcov(&std::fs::read_to_string(&lcov_path)?, &root_s);
    let table = Table::of(&files);
    print!("{}", table.render());
    let critical = check_critical(CRITICAL, &lcov, |rel| std::fs::read_to_string(root.join(rel)).map_err(Into::into));
    print!("{}", critical.render());
    if html {
        println!("reports: {} (HTML), {} (lcov), {} (JSON summary)", html_dir.join("index.html").display(), lcov_path.display(), json_path.display());
    } else {
        println!("reports: {} (lcov), {} (JSON summary); HTML: cargo xtask coverage --no-run", lcov_path.display(), json_path.display());
    }
    eprintln!("xtask: coverage reports in {:.0?}", started.elapsed());

    let mut misses = Vec::new();
    let total = table.total.lines.percent();
    if total < TOTAL_LINES_FLOOR {
        misses.push(format!("lines of shared/ + functions/: {total:.2} % < {TOTAL_LINES_FLOOR} %"));
    }
    if !critical.ok() {
        misses.push(format!(
            "critical paths: {} uncovered line(s), {} marker(s) without a reason, {} item(s) not found",
            critical.uncovered_lines(),
            critical.bad_markers.len(),
            critical.missing.len()
        ));
    }
    Ok(misses)
}

fn cargo(root: &Path) -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root);
    c
}

/// `llvm-tools` (for llvm-profdata/llvm-cov) and cargo-llvm-cov, installed when missing.
fn ensure_tools() -> Result<()> {
    let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output().context("rustc --print sysroot")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    let has_profdata = std::fs::read_dir(sysroot.join("lib").join("rustlib"))
        .map(|dirs| dirs.flatten().any(|d| d.path().join("bin").join("llvm-profdata").exists()))
        .unwrap_or(false);
    if !has_profdata {
        eprintln!("xtask: installing the llvm-tools component …");
        let ok = Command::new("rustup").args(["component", "add", "llvm-tools"]).status()?.success();
        if !ok {
            bail!("rustup component add llvm-tools failed");
        }
    }
    let has_llvm_cov = cargo(&crate::repo_root())
        .args(["llvm-cov", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_llvm_cov {
        eprintln!("xtask: installing cargo-llvm-cov {CARGO_LLVM_COV_VERSION} (about 2 minutes) …");
        let ok = cargo(&crate::repo_root())
            .args(["install", "cargo-llvm-cov", "--locked", "--version", CARGO_LLVM_COV_VERSION])
            .status()?
            .success();
        if !ok {
            bail!("cargo install cargo-llvm-cov failed");
        }
    }
    Ok(())
}

struct Timing {
    build: Duration,
    total: Duration,
    success: bool,
}

/// Runs `c`, echoing its stderr, and notes when the build ended (the first
/// test binary starts).
fn run_timed(mut c: Command) -> Result<Timing> {
    eprintln!("xtask: cargo llvm-cov (instrumented build, then every test)");
    let started = Instant::now();
    let mut child = c.stderr(Stdio::piped()).spawn().context("running cargo llvm-cov")?;
    let mut build = None;
    if let Some(err) = child.stderr.take() {
        for line in BufReader::new(err).lines() {
            let line = line?;
            if build.is_none() && line.trim_start().starts_with("Running ") {
                build = Some(started.elapsed());
            }
            eprintln!("{line}");
        }
    }
    let status = child.wait()?;
    let total = started.elapsed();
    Ok(Timing { build: build.unwrap_or(total), total, success: status.success() })
}

fn report(root: &Path, ignore: &str, args: &[&str], out: &Path) -> Result<()> {
    let mut c = cargo(root);
    c.args(["llvm-cov", "report", "--ignore-filename-regex", ignore]).args(args).arg(out);
    let status = c.status().context("cargo llvm-cov report")?;
    if !status.success() {
        bail!("cargo llvm-cov report {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// What the report leaves out: the harness and every test or bench crate.
pub fn ignore_regex(root: &Path) -> String {
    let root: String = root
        .to_string_lossy()
        .chars()
        .flat_map(|c| if c.is_ascii_alphanumeric() || c == '/' || c == '_' { vec![c] } else { vec!['\\', c] })
        .collect();
    format!("^{root}/(xtask|tests)/|/(tests|benches|examples)/[^/]+\\.rs$")
}

// ------------------------------------------------------------------ parsing

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Count {
    pub covered: u64,
    pub count: u64,
}

impl Count {
    pub fn percent(&self) -> f64 {
        if self.count == 0 { 100.0 } else { self.covered as f64 * 100.0 / self.count as f64 }
    }
    fn add(&mut self, o: Count) {
        self.covered += o.covered;
        self.count += o.count;
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileCov {
    /// Relative to the repository root.
    pub path: String,
    pub lines: Count,
    pub regions: Count,
}

fn rel<'a>(path: &'a str, root: &str) -> Option<&'a str> {
    path.strip_prefix(root.trim_end_matches('/')).and_then(|p| p.strip_prefix('/'))
}

fn count(v: &Value) -> Result<Count> {
    Ok(Count {
        covered: v["covered"].as_u64().context("summary without `covered`")?,
        count: v["count"].as_u64().context("summary without `count`")?,
    })
}

/// The files of an `llvm-cov export` JSON (`cargo llvm-cov report --json`)
/// under `root`, with their line and region counts.
pub fn parse_summary(json: &str, root: &str) -> Result<Vec<FileCov>> {
    let v: Value = serde_json::from_str(json).context("the coverage JSON does not parse")?;
    if v["type"] != "llvm.coverage.json.export" {
        bail!("not an llvm-cov JSON export (type {})", v["type"]);
    }
    let mut out = Vec::new();
    for data in v["data"].as_array().context("no `data` in the coverage JSON")? {
        for f in data["files"].as_array().context("no `files` in the coverage JSON")? {
            let name = f["filename"].as_str().context("a file without `filename`")?;
            let Some(path) = rel(name, root) else { continue };
            let s = &f["summary"];
            out.push(FileCov { path: path.to_string(), lines: count(&s["lines"])?, regions: count(&s["regions"])? });
        }
    }
    Ok(out)
}

/// The crate a measured source file belongs to: `shared` or
/// `functions/<name>`; `None` for anything else (not measured).
pub fn crate_of(path: &str) -> Option<String> {
    if path.starts_with("shared/src/") {
        return Some("shared".into());
    }
    let rest = path.strip_prefix("functions/")?;
    let (name, tail) = rest.split_once('/')?;
    tail.starts_with("src/").then(|| format!("functions/{name}"))
}

/// Per file (relative to `root`): line → execution count, from an lcov file.
pub fn parse_lcov(text: &str, root: &str) -> HashMap<String, BTreeMap<u32, u64>> {
    let mut out: HashMap<String, BTreeMap<u32, u64>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(sf) = line.strip_prefix("SF:") {
            current = rel(sf, root).map(String::from);
        } else if line == "end_of_record" {
            current = None;
        } else if let (Some(file), Some(da)) = (&current, line.strip_prefix("DA:")) {
            let mut parts = da.split(',');
            let (Some(Ok(n)), Some(Ok(c))) = (parts.next().map(str::parse::<u32>), parts.next().map(str::parse::<u64>)) else {
                continue;
            };
            // A line can appear more than once (several functions on it): covered if any run it.
            let e = out.entry(file.clone()).or_default().entry(n).or_insert(0);
            *e = (*e).max(c);
        }
    }
    out
}

// ------------------------------------------------------------------ the table

#[derive(Debug, Default)]
pub struct Table {
    pub crates: BTreeMap<String, (Count, Count)>,
    pub files: Vec<FileCov>,
    pub total: FileCov,
}

impl Table {
    /// The measured files (shared, functions) by crate, worst lines first.
    pub fn of(files: &[FileCov]) -> Self {
        let mut t = Table { total: FileCov { path: "shared + functions".into(), ..Default::default() }, ..Default::default() };
        for f in files {
            let Some(krate) = crate_of(&f.path) else { continue };
            let e = t.crates.entry(krate).or_default();
            e.0.add(f.lines);
            e.1.add(f.regions);
            t.total.lines.add(f.lines);
            t.total.regions.add(f.regions);
            t.files.push(f.clone());
        }
        t.files.sort_by(|a, b| a.lines.percent().total_cmp(&b.lines.percent()).then(b.lines.count.cmp(&a.lines.count)).then(a.path.cmp(&b.path)));
        t
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let row = |name: &str, l: Count, r: Count| {
            format!(
                "{name:<52} {:>6.1} % {:>6}/{:<6} {:>6.1} % {:>6}/{:<6}\n",
                l.percent(),
                l.covered,
                l.count,
                r.percent(),
                r.covered,
                r.count
            )
        };
        s += &format!("\n{:<52} {:>8} {:>13} {:>8} {:>13}\n", "module (worst lines first)", "lines", "", "regions", "");
        for f in &self.files {
            s += &row(&f.path, f.lines, f.regions);
        }
        s += &format!("\n{:<52} {:>8} {:>13} {:>8} {:>13}\n", "crate", "lines", "", "regions", "");
        for (name, (l, r)) in &self.crates {
            s += &row(name, *l, *r);
        }
        s += &row("TOTAL shared + functions", self.total.lines, self.total.regions);
        s
    }
}

// ------------------------------------------------------------------ critical paths

/// One critical item's uncovered lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub file: String,
    pub item: String,
    pub lines: Vec<u32>,
}

#[derive(Debug, Default)]
pub struct CriticalReport {
    pub covered: u64,
    pub count: u64,
    pub gaps: Vec<Gap>,
    /// (file, line, reason) of every excluded line.
    pub excluded: Vec<(String, u32, String)>,
    /// (file, line) of markers without a reason.
    pub bad_markers: Vec<(String, u32)>,
    /// Critical files or items not found (in the sources or the report).
    pub missing: Vec<String>,
}

impl CriticalReport {
    pub fn ok(&self) -> bool {
        self.gaps.is_empty() && self.bad_markers.is_empty() && self.missing.is_empty()
    }

    pub fn uncovered_lines(&self) -> usize {
        self.gaps.iter().map(|g| g.lines.len()).sum()
    }

    pub fn render(&self) -> String {
        let mut s = format!(
            "\ncritical paths: {}/{} lines covered ({:.1} %), {} excluded by marker\n",
            self.covered,
            self.count,
            Count { covered: self.covered, count: self.count }.percent(),
            self.excluded.len()
        );
        for g in &self.gaps {
            s += &format!("  UNCOVERED {}  {}: {} line(s): {}\n", g.file, g.item, g.lines.len(), ranges(&g.lines));
        }
        for (f, l) in &self.bad_markers {
            s += &format!("  MARKER WITHOUT A REASON {f}:{l} (write `// {MARKER} — <why>`)\n");
        }
        for m in &self.missing {
            s += &format!("  NOT FOUND {m}\n");
        }
        for (f, l, why) in &self.excluded {
            s += &format!("  excluded {f}:{l}: {why}\n");
        }
        s
    }
}

/// `1, 2, 3, 7` → `1-3, 7`.
pub fn ranges(lines: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i];
        let mut end = start;
        while i + 1 < lines.len() && lines[i + 1] == end + 1 {
            i += 1;
            end = lines[i];
        }
        out.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
        i += 1;
    }
    out.join(", ")
}

/// Checks every critical item: each line llvm instrumented in its span must
/// have run, unless a marker with a reason excludes it.
pub fn check_critical(
    critical: &[Critical],
    lcov: &HashMap<String, BTreeMap<u32, u64>>,
    source: impl Fn(&str) -> Result<String>,
) -> CriticalReport {
    let mut r = CriticalReport::default();
    for c in critical {
        let src = match source(c.file) {
            Ok(s) => s,
            Err(e) => {
                r.missing.push(format!("{} (source: {e:#})", c.file));
                continue;
            }
        };
        let Some(hits) = lcov.get(c.file) else {
            r.missing.push(format!("{} (not in the coverage report)", c.file));
            continue;
        };
        let (excluded, bad) = markers(&src);
        for l in bad {
            r.bad_markers.push((c.file.to_string(), l));
        }
        let tests = test_spans(&src);
        let mut seen_lines = std::collections::BTreeSet::new();
        for item in c.items {
            let spans = if *item == "*" {
                let last = src.lines().count() as u32;
                vec![(1, last.max(1))]
            } else {
                item_spans(&src, item)
            };
            if spans.is_empty() {
                r.missing.push(format!("{}: `{item}`", c.file));
                continue;
            }
            let mut uncovered = Vec::new();
            for (from, to) in spans {
                for (&line, &n) in hits.range(from..=to) {
                    if tests.iter().any(|&(a, b)| (a..=b).contains(&line)) || !seen_lines.insert(line) {
                        continue;
                    }
                    if let Some(why) = excluded.get(&line) {
                        r.excluded.push((c.file.to_string(), line, why.clone()));
                        continue;
                    }
                    r.count += 1;
                    if n > 0 {
                        r.covered += 1;
                    } else {
                        uncovered.push(line);
                    }
                }
            }
            if !uncovered.is_empty() {
                uncovered.sort_unstable();
                r.gaps.push(Gap { file: c.file.to_string(), item: item.to_string(), lines: uncovered });
            }
        }
    }
    r
}

/// The lines excluded by markers (line → reason) and the lines of markers
/// without a reason.
pub fn markers(src: &str) -> (BTreeMap<u32, String>, Vec<u32>) {
    let lines: Vec<&str> = src.lines().collect();
    let mut excluded = BTreeMap::new();
    let mut bad = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(m) = line.find(MARKER) else { continue };
        let Some(at) = line[..m].trim_end().strip_suffix("//").map(str::len) else { continue };
        let rest = &line[m + MARKER.len()..];
        let reason = rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '—' | '–' | '-' | ':')).trim();
        let n = i as u32 + 1;
        if reason.is_empty() {
            bad.push(n);
            continue;
        }
        let target = if line[..at].trim().is_empty() {
            // A marker of its own: the next line holding code.
            lines
                .iter()
                .enumerate()
                .skip(i + 1)
                .find(|(_, l)| {
                    let t = l.trim();
                    !t.is_empty() && !t.starts_with("//")
                })
                .map(|(j, _)| j as u32 + 1)
        } else {
            Some(n)
        };
        if let Some(t) = target {
            excluded.insert(t, reason.to_string());
        }
    }
    (excluded, bad)
}

/// The spans (first line, last line; 1-based) of the declarations `item`
/// (e.g. `fn verify`) in `src`: from the declaration to its closing brace.
pub fn item_spans(src: &str, item: &str) -> Vec<(u32, u32)> {
    let starts = line_starts(src);
    let mut out = Vec::new();
    for (i, line) in src.lines().enumerate() {
        let mut t = line.trim_start();
        loop {
            let before = t;
            for p in ["pub(crate) ", "pub(super) ", "pub ", "async ", "const ", "unsafe ", "default "] {
                t = t.strip_prefix(p).unwrap_or(t);
            }
            if t == before {
                break;
            }
        }
        let Some(after) = t.strip_prefix(item) else { continue };
        if after.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(end) = block_end(src, starts[i]) {
            out.push((i as u32 + 1, line_of(&starts, end)));
        }
    }
    out
}

/// The spans of the items under `#[cfg(test)]` (test modules, test helpers).
pub fn test_spans(src: &str) -> Vec<(u32, u32)> {
    let starts = line_starts(src);
    src.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "#[cfg(test)]")
        .filter_map(|(i, _)| block_end(src, starts[i]).map(|end| (i as u32 + 1, line_of(&starts, end))))
        .collect()
}

fn line_starts(src: &str) -> Vec<usize> {
    std::iter::once(0).chain(src.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

fn line_of(starts: &[usize], offset: usize) -> u32 {
    starts.partition_point(|&s| s <= offset) as u32
}

/// From byte `from`, the offset of the brace closing the first block opened,
/// skipping comments, strings and char literals; `None` when a `;` ends the
/// item first (no body) or the braces never close.
fn block_end(src: &str, from: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut i = from;
    let mut depth = 0usize;
    let mut opened = false;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut nest = 1;
                i += 2;
                while i < b.len() && nest > 0 {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        nest += 1;
                        i += 1;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        nest -= 1;
                        i += 1;
                    }
                    i += 1;
                }
                continue;
            }
            b'r' if !ident_before(b, i) && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#')) => {
                // A raw string r"…" / r#"…"#.
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) == Some(&b'"') {
                    j += 1;
                    loop {
                        if j >= b.len() {
                            return None;
                        }
                        if b[j] == b'"' && b[j + 1..].iter().take(hashes).filter(|&&c| c == b'#').count() == hashes {
                            i = j + 1 + hashes;
                            break;
                        }
                        j += 1;
                    }
                    continue;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'\'' => {
                // A char literal ('{', '\'', '\u{7b}'), not a lifetime.
                if b.get(i + 1) == Some(&b'\\') {
                    let mut j = i + 3;
                    while j < b.len() && b[j] != b'\'' {
                        j += 1;
                    }
                    i = j;
                } else if let Some(c) = src[i + 1..].chars().next()
                    && src[i + 1 + c.len_utf8()..].starts_with('\'')
                {
                    i += c.len_utf8() + 1;
                }
            }
            b';' if !opened && depth == 0 => return None,
            b'{' => {
                depth += 1;
                opened = true;
            }
            b'}' => {
                depth = depth.checked_sub(1)?;
                if opened && depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn ident_before(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "/repo";

    /// (file name, (lines covered, lines), (regions covered, regions)).
    type Fixture<'a> = (&'a str, (u64, u64), (u64, u64));

    fn export(files: &[Fixture]) -> String {
        let files: Vec<Value> = files
            .iter()
            .map(|(name, (lc, ln), (rc, rn))| {
                serde_json::json!({
                    "filename": name,
                    "summary": {
                        "lines": {"count": ln, "covered": lc, "percent": 0.0},
                        "regions": {"count": rn, "covered": rc, "notcovered": rn - rc, "percent": 0.0},
                        "functions": {"count": 1, "covered": 1, "percent": 100.0}
                    }
                })
            })
            .collect();
        serde_json::json!({"type": "llvm.coverage.json.export", "version": "3.1.0", "data": [{"files": files, "functions": [], "totals": {}}]})
            .to_string()
    }

    #[test]
    fn the_summary_is_read_per_file_relative_to_the_root() {
        let json = export(&[
            ("/repo/shared/src/credits.rs", (90, 100), (40, 50)),
            ("/root/.cargo/registry/src/x/lib.rs", (1, 1), (1, 1)),
        ]);
        let files = parse_summary(&json, ROOT).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "shared/src/credits.rs");
        assert_eq!(files[0].lines, Count { covered: 90, count: 100 });
        assert_eq!(files[0].regions, Count { covered: 40, count: 50 });
        assert!(parse_summary("{\"type\": \"other\"}", ROOT).is_err());
        assert!(parse_summary("not json", ROOT).is_err());
    }

    #[test]
    fn crates_are_shared_and_each_function_and_nothing_else() {
        assert_eq!(crate_of("shared/src/store/keys.rs").as_deref(), Some("shared"));
        assert_eq!(crate_of("functions/auth/src/lib.rs").as_deref(), Some("functions/auth"));
        assert_eq!(crate_of("functions/auth/tests/x.rs"), None);
        assert_eq!(crate_of("shared/tests/fuzz_import.rs"), None);
        assert_eq!(crate_of("tests/src/lib.rs"), None);
        assert_eq!(crate_of("xtask/src/gateway.rs"), None);
    }

    #[test]
    fn the_table_totals_shared_and_functions_worst_first() {
        let json = export(&[
            ("/repo/shared/src/a.rs", (50, 100), (10, 20)),
            ("/repo/shared/src/b.rs", (100, 100), (20, 20)),
            ("/repo/functions/auth/src/lib.rs", (30, 40), (5, 10)),
            ("/repo/xtask/src/gateway.rs", (0, 1000), (0, 1000)),
        ]);
        let t = Table::of(&parse_summary(&json, ROOT).unwrap());
        assert_eq!(t.total.lines, Count { covered: 180, count: 240 });
        assert_eq!(t.total.regions, Count { covered: 35, count: 50 });
        assert_eq!(t.total.lines.percent(), 75.0);
        assert_eq!(t.crates["shared"].0, Count { covered: 150, count: 200 });
        assert_eq!(t.crates["functions/auth"].0, Count { covered: 30, count: 40 });
        let order: Vec<&str> = t.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(order, ["shared/src/a.rs", "functions/auth/src/lib.rs", "shared/src/b.rs"]);
        let text = t.render();
        assert!(text.contains("TOTAL shared + functions"), "{text}");
        assert!(!text.contains("xtask"), "{text}");
    }

    #[test]
    fn lcov_lines_are_read_and_merged() {
        let lcov = "SF:/repo/shared/src/a.rs\nFN:1,f\nDA:1,0\nDA:2,3\nDA:2,0\nDA:3,0\nDA:3,1\nend_of_record\nSF:/elsewhere/x.rs\nDA:1,1\nend_of_record\n";
        let m = parse_lcov(lcov, ROOT);
        assert_eq!(m.len(), 1);
        assert_eq!(m["shared/src/a.rs"], BTreeMap::from([(1, 0), (2, 3), (3, 1)]));
    }

    const SRC: &str = r##"use x;

pub fn verify(t: &str) -> bool {
    let s = "a } brace in a string";
    let c = '}';
    if t.is_empty() {
        return false; // coverage: unreachable — the caller never passes an empty token
    }
    // coverage: unreachable: only reached on a poisoned lock
    let _ = r#"raw { "# ;
    true
}

fn helper<'a>(x: &'a str) -> &'a str {
    x // coverage: unreachable
}

static TABLE: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    vec![1]
});

#[cfg(test)]
mod tests {
    #[test]
    fn t() {}
}
"##;

    #[test]
    fn spans_run_from_the_declaration_to_its_closing_brace() {
        assert_eq!(item_spans(SRC, "fn verify"), vec![(3, 12)]);
        assert_eq!(item_spans(SRC, "fn helper"), vec![(14, 16)]);
        assert_eq!(item_spans(SRC, "static TABLE"), vec![(18, 20)]);
        assert_eq!(item_spans(SRC, "fn verif"), vec![]);
        assert_eq!(item_spans(SRC, "fn nothing"), vec![]);
        assert_eq!(test_spans(SRC), vec![(22, 26)]);
    }

    #[test]
    fn markers_need_a_reason_and_exclude_their_line_or_the_next() {
        let (excluded, bad) = markers(SRC);
        assert_eq!(
            excluded,
            BTreeMap::from([
                (7, "the caller never passes an empty token".to_string()),
                (10, "only reached on a poisoned lock".to_string()),
            ])
        );
        assert_eq!(bad, vec![15]);
    }

    fn lcov_of(lines: &[(u32, u64)]) -> HashMap<String, BTreeMap<u32, u64>> {
        HashMap::from([("shared/src/x.rs".to_string(), lines.iter().copied().collect())])
    }

    const CRIT: &[Critical] = &[Critical { file: "shared/src/x.rs", what: "test", items: &["fn verify"] }];

    #[test]
    fn a_critical_path_passes_only_with_every_line_run_or_excluded() {
        let src = SRC.replace(" // coverage: unreachable\n", "\n");
        let all_run = lcov_of(&[(3, 1), (4, 1), (5, 1), (6, 1), (7, 0), (10, 0), (11, 1), (12, 1), (15, 0)]);
        let r = check_critical(CRIT, &all_run, |_| Ok(src.clone()));
        assert!(r.ok(), "{}", r.render());
        assert_eq!((r.covered, r.count, r.excluded.len()), (6, 6, 2));

        let gap = lcov_of(&[(3, 1), (4, 1), (5, 0), (6, 0), (7, 0), (10, 0), (11, 0), (12, 1)]);
        let r = check_critical(CRIT, &gap, |_| Ok(src.clone()));
        assert!(!r.ok());
        assert_eq!(r.gaps, vec![Gap { file: "shared/src/x.rs".into(), item: "fn verify".into(), lines: vec![5, 6, 11] }]);
        assert!(r.render().contains("UNCOVERED shared/src/x.rs  fn verify: 3 line(s): 5-6, 11"), "{}", r.render());
    }

    #[test]
    fn a_marker_without_a_reason_or_a_missing_item_fails() {
        let run = lcov_of(&[(3, 1), (4, 1), (5, 1), (6, 1), (11, 1), (12, 1)]);
        // SRC has a reasonless marker on line 15 (outside verify): still a failure.
        let r = check_critical(CRIT, &run, |_| Ok(SRC.to_string()));
        assert_eq!(r.bad_markers, vec![("shared/src/x.rs".to_string(), 15)]);
        assert!(!r.ok());

        let src = SRC.replace(" // coverage: unreachable\n", "\n");
        let renamed = &[Critical { file: "shared/src/x.rs", what: "test", items: &["fn verify", "fn gone"] }];
        let r = check_critical(renamed, &run, |_| Ok(src.clone()));
        assert_eq!(r.missing, vec!["shared/src/x.rs: `fn gone`".to_string()]);
        assert!(!r.ok());

        let r = check_critical(CRIT, &HashMap::new(), |_| Ok(src.clone()));
        assert_eq!(r.missing.len(), 1);
    }

    #[test]
    fn whole_file_items_leave_out_test_code() {
        let src = SRC.replace(" // coverage: unreachable\n", "\n");
        let whole = &[Critical { file: "shared/src/x.rs", what: "test", items: &["*"] }];
        let run = lcov_of(&[(3, 1), (11, 1), (15, 0), (19, 1), (24, 0), (25, 0)]);
        let r = check_critical(whole, &run, |_| Ok(src.clone()));
        assert_eq!(r.gaps.len(), 1);
        assert_eq!(r.gaps[0].lines, vec![15]);
        assert_eq!(r.count, 4);
    }

    #[test]
    fn line_ranges_are_compact() {
        assert_eq!(ranges(&[1, 2, 3, 7, 9, 10]), "1-3, 7, 9-10");
        assert_eq!(ranges(&[]), "");
    }

    #[test]
    fn every_critical_item_exists_in_the_sources() {
        let root = crate::repo_root();
        for c in CRITICAL {
            let src = std::fs::read_to_string(root.join(c.file)).unwrap();
            for item in c.items.iter().filter(|i| **i != "*") {
                assert!(!item_spans(&src, item).is_empty(), "{}: {item} not found", c.file);
            }
        }
    }
}
