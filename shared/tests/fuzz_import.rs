//! Fuzzes the keyword-import parser (issue 10 item 9): mutations of every
//! fixture format — byte flips, inserted and deleted runs, spliced halves of
//! two files, repeated chunks, truncations, and XLSX workbooks whose sheet XML
//! is rewritten with random cell references and dimensions — fed to
//! `planner::import::parse_file`. No input may panic, and no single
//! allocation may exceed 512 MB (the allocator below refuses it, which aborts
//! the run visibly).
//!
//! Runs for `IGNY8_FUZZ_SECS` seconds (`cargo xtask test` sets 60; plain
//! `cargo test` runs 3), from a seed printed at the start (`IGNY8_FUZZ_SEED`
//! replays one).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const LIMIT: usize = 512 * 1024 * 1024;

struct Capped;
static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        if layout.size() > LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        if new_size > LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Capped = Capped;

fn corpus() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/keywords");
    let mut files: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "csv" || x == "txt" || x == "xlsx"))
        .map(|e| std::fs::read(e.path()).expect("fixture"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "the fixture corpus is there");
    files
}

fn mutate(rng: &mut StdRng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut b = corpus[rng.random_range(0..corpus.len())].clone();
    for _ in 0..rng.random_range(1..6) {
        let len = b.len().max(1);
        match rng.random_range(0..7) {
            0 => {
                // flip bytes
                for _ in 0..rng.random_range(1..16) {
                    let i = rng.random_range(0..len);
                    if let Some(x) = b.get_mut(i) {
                        *x = rng.random();
                    }
                }
            }
            1 => {
                // insert a run of interesting bytes
                let at = rng.random_range(0..=b.len());
                let pick: &[&[u8]] = &[b"\"", b",", b"\t", b"\n", b"\r\n", b"\xff\xfe", b"\xef\xbb\xbf", b"\0", b"1e308", b"-", b"\xc3\x28", b"Keyword", b"Volume"];
                let run = pick[rng.random_range(0..pick.len())].repeat(rng.random_range(1..64));
                b.splice(at..at, run);
            }
            2 => {
                // delete a run
                let a = rng.random_range(0..len);
                let e = (a + rng.random_range(0..256)).min(b.len());
                if a < e {
                    b.drain(a..e);
                }
            }
            3 => {
                // splice with another file
                let other = &corpus[rng.random_range(0..corpus.len())];
                let cut = rng.random_range(0..=b.len());
                let from = rng.random_range(0..=other.len());
                b.truncate(cut);
                b.extend_from_slice(&other[from..]);
            }
            4 => {
                // repeat a chunk
                let a = rng.random_range(0..len);
                let e = (a + rng.random_range(1..512)).min(b.len());
                if a < e {
                    let chunk = b[a..e].to_vec();
                    for _ in 0..rng.random_range(1..50) {
                        b.extend_from_slice(&chunk);
                    }
                }
            }
            5 => b.truncate(rng.random_range(0..=b.len())),
            _ => b = hostile_xlsx(rng),
        }
    }
    b
}

/// A one-sheet workbook whose dimension and cell references are random,
/// often far outside the sheet caps.
fn hostile_xlsx(rng: &mut StdRng) -> Vec<u8> {
    fn col(mut n: u32) -> String {
        let mut s = Vec::new();
        n += 1;
        while n > 0 {
            let r = (n - 1) % 26;
            s.push(b'A' + r as u8);
            n = (n - 1) / 26;
        }
        s.reverse();
        String::from_utf8(s).unwrap()
    }
    let far = |rng: &mut StdRng| if rng.random_bool(0.5) { rng.random_range(0..1_048_576u32) } else { rng.random_range(0..300u32) };
    let cell = |rng: &mut StdRng| format!("{}{}", col(if rng.random_bool(0.5) { rng.random_range(0..16_384) } else { rng.random_range(0..30) }), far(rng) + 1);
    let dim = if rng.random_bool(0.5) { format!("<dimension ref=\"A1:{}\"/>", cell(rng)) } else { String::new() };
    let mut rows = String::from("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Keyword</t></is></c></row>");
    for _ in 0..rng.random_range(0..6) {
        let c = cell(rng);
        rows.push_str(&format!("<row><c r=\"{c}\" t=\"inlineStr\"><is><t>lisbon {c}</t></is></c></row>"));
    }
    let sheet = format!("<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">{dim}<sheetData>{rows}</sheetData></worksheet>");
    let files: [(&str, String); 5] = [
        ("[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/></Types>".into()),
        ("_rels/.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>".into()),
        ("xl/workbook.xml", "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>".into()),
        ("xl/_rels/workbook.xml.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>".into()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    stored_zip(&files)
}

/// A zip archive with stored (uncompressed) entries.
fn stored_zip(files: &[(&str, String)]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, body) in files {
        let (data, offset, crc) = (body.as_bytes(), out.len() as u32, crc32(body.as_bytes()));
        let header = |sig: u32, central_entry: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central_entry {
                h.extend(20u16.to_le_bytes());
            }
            h.extend(20u16.to_le_bytes()); // version needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(0u16.to_le_bytes()); // stored
            h.extend(0u32.to_le_bytes()); // time, date
            h.extend(crc.to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central_entry {
                h.extend([0u8; 6]); // comment len, disk, internal attrs
                h.extend(0u32.to_le_bytes()); // external attrs
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(data);
        central.extend(header(0x0201_4b50, true));
    }
    let (cd_offset, cd_len, n) = (out.len() as u32, central.len() as u32, files.len() as u16);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(n.to_le_bytes());
    out.extend(n.to_le_bytes());
    out.extend(cd_len.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

#[test]
fn the_import_parser_survives_mutated_and_hostile_files() {
    let secs: u64 = std::env::var("IGNY8_FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let seed: u64 = std::env::var("IGNY8_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    println!("fuzzing the keyword import parser for {secs} s, seed {seed} (IGNY8_FUZZ_SEED={seed} replays it)");
    let corpus = corpus();
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut runs, mut parsed, mut refused) = (0u64, 0u64, 0u64);
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        let input = mutate(&mut rng, &corpus);
        let result = std::panic::catch_unwind(|| igny8::planner::import::parse_file(&input));
        match result {
            Ok(Ok(_)) => parsed += 1,
            Ok(Err(_)) => refused += 1,
            Err(_) => {
                let path = std::env::temp_dir().join(format!("igny8-fuzz-crash-{seed}-{runs}.bin"));
                let _ = std::fs::write(&path, &input);
                panic!("parse_file panicked on input {runs} of seed {seed} (saved to {})", path.display());
            }
        }
        runs += 1;
    }
    let largest = LARGEST.load(Ordering::Relaxed);
    println!("{runs} inputs: {parsed} parsed, {refused} refused with a reason; largest single allocation {} KB", largest / 1024);
    assert!(runs > 50, "the fuzzer ran ({runs} inputs)");
    assert!(parsed > 0 && refused > 0, "both outcomes are exercised");
    assert!(largest <= LIMIT);
}

#[test]
fn the_zip_writer_makes_workbooks_the_parser_reads() {
    // The generator's workbooks are real: a plain one parses.
    let files = [
        ("[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>".to_string()),
        ("_rels/.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>".to_string()),
        ("xl/workbook.xml", "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>".to_string()),
        ("xl/_rels/workbook.xml.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>".to_string()),
        ("xl/worksheets/sheet1.xml", "<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Keyword</t></is></c></row><row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>porto wine tour</t></is></c></row></sheetData></worksheet>".to_string()),
    ];
    let parsed = igny8::planner::import::parse_file(&stored_zip(&files)).expect("a plain generated workbook parses");
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].keyword, "porto wine tour");
}
