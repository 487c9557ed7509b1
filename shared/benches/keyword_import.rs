//! Keyword import throughput: `parse_file` on a 100 000-row Semrush Keyword
//! Magic CSV generated in memory (deterministic). Target: ≤ 1 s per file in a
//! release build.
use criterion::{Criterion, criterion_group, criterion_main};
use igny8::planner::import::{SourceFormat, parse_file};
use std::hint::black_box;
use std::time::Instant;

const ROWS: usize = 100_000;

/// A Semrush-style export: quoted intent / trend / SERP feature lists,
/// numbers as Semrush writes them, ~1 % in-file duplicates.
fn semrush_csv(rows: usize) -> Vec<u8> {
    const HEADS: [&str; 8] = [
        "running shoes",
        "espresso machine",
        "project management",
        "dog grooming",
        "home workout",
        "sourdough bread",
        "trail camera",
        "standing desk",
    ];
    const MODS: [&str; 10] = [
        "best",
        "cheap",
        "how to choose",
        "review",
        "near me",
        "for beginners",
        "vs",
        "alternatives",
        "2026",
        "guide",
    ];
    const INTENTS: [&str; 6] = [
        "Informational",
        "Commercial",
        "Transactional",
        "Navigational",
        "Informational, Commercial",
        "Commercial, Transactional",
    ];
    const SERP: [&str; 4] = [
        "Featured snippet, People also ask, Video",
        "Image pack, Popular products, Reviews",
        "Sitelinks",
        "n/a",
    ];
    let mut out = String::with_capacity(rows * 190);
    out.push_str("Keyword,Intent,Volume,Trend,Keyword Difficulty,CPC (USD),Competitive Density,SERP Features,Number of Results\n");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..rows {
        let r = next();
        // Every 100th row repeats an earlier keyword in another case.
        let id = if i % 100 == 99 { i / 2 } else { i };
        let kw = format!(
            "{} {} {}",
            MODS[id % MODS.len()],
            HEADS[(id / MODS.len()) % HEADS.len()],
            id
        );
        let kw = if id != i { kw.to_uppercase() } else { kw };
        let trend: Vec<String> = (0..12)
            .map(|m| format!("{:.2}", ((r >> (m * 4)) & 0xF) as f64 / 15.0))
            .collect();
        out.push_str(&format!(
            "{kw},\"{}\",{},\"{}\",{},{:.2},{:.2},\"{}\",{}\n",
            INTENTS[(r % 6) as usize],
            10 + (r >> 8) % 200_000,
            trend.join(","),
            (r >> 20) % 101,
            ((r >> 28) % 2_000) as f64 / 100.0,
            ((r >> 40) % 100) as f64 / 100.0,
            SERP[((r >> 50) % 4) as usize],
            (r >> 30) % 1_000_000_000,
        ));
    }
    out.into_bytes()
}

fn bench(c: &mut Criterion) {
    let csv = semrush_csv(ROWS);
    // One timed pass to report rows/s alongside criterion's figures.
    let start = Instant::now();
    let parsed = parse_file(&csv).expect("generated CSV parses");
    let elapsed = start.elapsed();
    assert_eq!(parsed.format, SourceFormat::SemrushKeywordMagic);
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.rows.len() + parsed.duplicates_in_file, ROWS);
    println!(
        "keyword_import: {ROWS} rows ({:.1} MB) in {:.1} ms = {:.0} rows/s ({} unique, {} duplicates)",
        csv.len() as f64 / 1e6,
        elapsed.as_secs_f64() * 1e3,
        ROWS as f64 / elapsed.as_secs_f64(),
        parsed.rows.len(),
        parsed.duplicates_in_file,
    );

    let mut group = c.benchmark_group("keyword_import");
    group.sample_size(10);
    group.throughput(criterion::Throughput::Elements(ROWS as u64));
    group.bench_function("parse_file semrush csv 100k rows", |b| {
        b.iter(|| parse_file(black_box(&csv)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
