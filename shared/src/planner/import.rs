//! Keyword file import: turns an exported keyword file (Semrush, Ahrefs,
//! Google Keyword Planner, Google Search Console, a plain list, or JSON rows)
//! into [`KeywordRow`]s. Pure: no I/O, never panics on any input.
//!
//! What it accepts:
//! * text: UTF-8 with or without BOM, UTF-16 LE/BE with BOM (what Keyword
//!   Planner and Ahrefs write), UTF-16 without BOM when it is obvious from NUL
//!   bytes, and as a last resort Windows-1252 (Excel's "CSV" on Windows);
//! * XLSX (zip magic `PK\x03\x04`): the first sheet, same header mapping;
//! * delimiter `,` `;` or tab, detected from the header line; the header is
//!   looked for in the first [`HEADER_SCAN_LINES`] non-empty lines, so
//!   preamble lines (Keyword Planner writes two) are skipped.
//!
//! Which tool wrote a file is told from its header (see [`detect_format`]);
//! a table whose header names a keyword column but matches no tool is reported
//! as [`SourceFormat::PlainList`] with its metric columns still mapped.
//!
//! Row validation: an empty keyword, a keyword over [`MAX_KEYWORD_CHARS`]
//! characters, a volume that is not a number (or is negative), a difficulty
//! that is not a number in 0–100 and a CPC that is not a number or is negative
//! give a [`RowError`] naming the column as written in the header, and the row
//! is skipped. Secondary columns (SERP features, trend, clicks, impressions,
//! position, intent) are lenient: what does not parse is left empty.
//! Rows whose normalised keyword repeats are merged into the first occurrence.

use crate::planner::normalize::normalize_keyword;
use std::borrow::Cow;
use std::collections::HashMap;

/// Longest keyword accepted, in characters.
pub const MAX_KEYWORD_CHARS: usize = 200;
/// How many non-empty lines (or sheet rows) are searched for the header.
pub const HEADER_SCAN_LINES: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Informational,
    Navigational,
    Commercial,
    Transactional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    SemrushKeywordMagic,
    SemrushStrategyBuilder,
    AhrefsKeywordsExplorer,
    GoogleKeywordPlanner,
    GoogleSearchConsole,
    PlainList,
    Json,
}

/// One parsed keyword row.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct KeywordRow {
    /// 1-based data row number in the file (header excluded; for XLSX, sheet
    /// rows below the header, blank ones included; for CSV, records below the
    /// header — blank lines are not records).
    pub row: usize,
    /// As written (trimmed).
    pub keyword: String,
    /// `normalize_keyword(keyword)`: the duplicate key.
    pub normalized: String,
    /// Search volume. For a bucketed value (Keyword Planner "1K – 10K") the
    /// range's lower bound, with the range in `volume_range`.
    pub volume: Option<u64>,
    pub volume_range: Option<(u64, u64)>,
    /// Keyword difficulty 0–100 (Semrush, Ahrefs). Never Keyword Planner's
    /// "Competition", which is ad competition.
    pub difficulty: Option<u8>,
    pub cpc: Option<f64>,
    pub currency: Option<String>,
    pub intent: Option<Intent>,
    pub serp_features: Vec<String>,
    /// Monthly trend, oldest first as in the file (Semrush "Trend" ratios, or
    /// Keyword Planner "Searches: Mon YYYY" counts).
    pub trend: Vec<f64>,
    pub parent_keyword: Option<String>,
    pub clicks: Option<u64>,
    pub impressions: Option<u64>,
    pub position: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ParsedFile {
    pub format: SourceFormat,
    pub rows: Vec<KeywordRow>,
    pub errors: Vec<RowError>,
    /// Rows merged because their normalized keyword repeated within the file.
    pub duplicates_in_file: usize,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    /// Not CSV/XLSX/text at all, or empty, or no keyword column.
    #[error("{0}")]
    Unreadable(String),
}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/// Parses a keyword file (CSV/TSV in UTF-8 with or without BOM, UTF-16 LE/BE
/// with BOM, or XLSX), detects its format from the header, maps columns.
pub fn parse_file(bytes: &[u8]) -> Result<ParsedFile, ImportError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportError::Unreadable("the file is empty".into()));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return parse_xlsx(bytes);
    }
    let text = decode_text(bytes)?;
    let text = text.as_ref();
    if text.trim().is_empty() {
        return Err(ImportError::Unreadable("the file is empty".into()));
    }
    parse_text(text)
}

/// Parses JSON rows: `[{"keyword": "...", "volume": 10, "difficulty": 20,
/// "cpc": 1.2, "intent": "commercial", ...}]`. Field names are those of
/// [`KeywordRow`] (plus a few aliases: `query`, `search_volume`, `kd`,
/// `keyword_difficulty`); numbers may be JSON numbers or strings.
pub fn parse_json_rows(rows: &[serde_json::Value]) -> ParsedFile {
    let mut out = Collector::default();
    for (i, value) in rows.iter().enumerate() {
        let row = i + 1;
        let Some(obj) = value.as_object() else {
            out.error(row, "keyword", "row is not a JSON object".into());
            continue;
        };
        let field = |names: &[&'static str]| json_field(obj, names);
        let text_of = |names: &[&'static str]| json_field_text(obj, names);
        let mut errs = Vec::new();

        let keyword = match text_of(&["keyword", "query", "term"]) {
            Some((name, k)) => check_keyword(name, &k, &mut errs),
            None => {
                errs.push(("keyword", "keyword is empty".to_string()));
                None
            }
        };
        let (mut volume, mut volume_range) = (None, None);
        if let Some((name, t)) = text_of(&["volume", "search_volume"]) {
            match parse_volume(&t) {
                Ok(Some(Volume::Exact(v))) => volume = Some(v),
                Ok(Some(Volume::Range(lo, hi))) => {
                    volume = Some(lo);
                    volume_range = Some((lo, hi));
                }
                Ok(None) => {}
                Err(m) => errs.push((name, m)),
            }
        }
        if let Some((_, serde_json::Value::Array(a))) = field(&["volume_range"])
            && let [lo, hi] = a.as_slice()
            && let (Some(lo), Some(hi)) = (lo.as_u64(), hi.as_u64())
            && lo <= hi
        {
            volume_range = Some((lo, hi));
            volume = volume.or(Some(lo));
        }
        let mut difficulty = None;
        if let Some((name, t)) = text_of(&["difficulty", "kd", "keyword_difficulty"]) {
            match parse_difficulty(&t) {
                Ok(d) => difficulty = d,
                Err(m) => errs.push((name, m)),
            }
        }
        let mut cpc = None;
        if let Some((name, t)) = text_of(&["cpc"]) {
            match parse_cpc(&t) {
                Ok(c) => cpc = c,
                Err(m) => errs.push((name, m)),
            }
        }
        let currency = text_of(&["currency"])
            .and_then(|(_, t)| non_missing(&t).map(|c| c.to_ascii_uppercase()));
        let intent = text_of(&["intent", "intents"]).and_then(|(_, t)| parse_intent(&t));
        let serp_features = match field(&["serp_features"]) {
            Some((_, serde_json::Value::Array(a))) => a
                .iter()
                .filter_map(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            Some((_, v)) => json_text(v).map(|t| split_list(&t)).unwrap_or_default(),
            None => Vec::new(),
        };
        let trend = match field(&["trend"]) {
            Some((_, serde_json::Value::Array(a))) => {
                let t: Option<Vec<f64>> = a
                    .iter()
                    .map(|v| v.as_f64().filter(|f| f.is_finite()))
                    .collect();
                t.unwrap_or_default()
            }
            Some((_, v)) => json_text(v).map(|t| parse_trend(&t)).unwrap_or_default(),
            None => Vec::new(),
        };
        let parent_keyword =
            text_of(&["parent_keyword"]).and_then(|(_, t)| non_missing(&t).map(String::from));
        let clicks = text_of(&["clicks"]).and_then(|(_, t)| parse_count_lenient(&t));
        let impressions = text_of(&["impressions"]).and_then(|(_, t)| parse_count_lenient(&t));
        let position =
            text_of(&["position"]).and_then(|(_, t)| parse_number(&t, false).filter(|p| *p >= 0.0));

        if !errs.is_empty() {
            for (col, msg) in errs {
                out.error(row, col, msg);
            }
            continue;
        }
        let Some(keyword) = keyword else { continue };
        let normalized = normalize_keyword(&keyword);
        out.push(KeywordRow {
            row,
            keyword,
            normalized,
            volume,
            volume_range,
            difficulty,
            cpc,
            currency: if cpc.is_some() || currency.is_some() {
                currency
            } else {
                None
            },
            intent,
            serp_features,
            trend,
            parent_keyword,
            clicks,
            impressions,
            position,
        });
    }
    out.finish(SourceFormat::Json)
}

fn json_field<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    names: &[&'static str],
) -> Option<(&'static str, &'a serde_json::Value)> {
    names
        .iter()
        .find_map(|n| obj.get(*n).filter(|v| !v.is_null()).map(|v| (*n, v)))
}

fn json_field_text<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    names: &[&'static str],
) -> Option<(&'static str, Cow<'a, str>)> {
    let (n, v) = json_field(obj, names)?;
    json_text(v).map(|t| (n, t))
}

fn json_text(v: &serde_json::Value) -> Option<Cow<'_, str>> {
    match v {
        serde_json::Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        serde_json::Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, ImportError> {
    let has_bom = bytes.starts_with(b"\xEF\xBB\xBF")
        || bytes.starts_with(b"\xFF\xFE")
        || bytes.starts_with(b"\xFE\xFF");
    let text: Cow<'_, str> = if has_bom {
        // `decode` sniffs the BOM, picks UTF-8/UTF-16LE/UTF-16BE and strips it.
        let (text, _encoding, _had_errors) = encoding_rs::UTF_8.decode(bytes);
        text
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        Cow::Borrowed(s)
    } else if let Some(enc) = sniff_utf16_without_bom(bytes) {
        enc.decode_without_bom_handling(bytes).0
    } else {
        encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
    };
    if !looks_like_text(&text) {
        return Err(ImportError::Unreadable(
            "the file is not a CSV, TSV, XLSX or text file (binary content)".into(),
        ));
    }
    Ok(text)
}

/// UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte.
fn sniff_utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_nuls = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd_nuls = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    if odd_nuls * 10 >= pairs * 7 && even_nuls * 10 <= pairs {
        Some(encoding_rs::UTF_16LE)
    } else if even_nuls * 10 >= pairs * 7 && odd_nuls * 10 <= pairs {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Text has no NUL and at most 1 % control characters / replacement chars.
fn looks_like_text(s: &str) -> bool {
    let mut total = 0usize;
    let mut bad = 0usize;
    for c in s.chars() {
        total += 1;
        if c == '\0' {
            return false;
        }
        if c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
            bad += 1;
        }
    }
    total > 0 && bad * 100 <= total
}

// ---------------------------------------------------------------------------
// Text (CSV / TSV / plain list)
// ---------------------------------------------------------------------------

fn parse_text(text: &str) -> Result<ParsedFile, ImportError> {
    // The first HEADER_SCAN_LINES non-empty lines, with the byte offset just
    // past each one.
    let mut lines: Vec<(&str, usize)> = Vec::new();
    let mut offset = 0usize;
    for raw in text.split_inclusive('\n') {
        offset += raw.len();
        let line = raw.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            continue;
        }
        lines.push((line, offset));
        if lines.len() >= HEADER_SCAN_LINES {
            break;
        }
    }
    let Some(&(first_line, first_end)) = lines.first() else {
        return Err(ImportError::Unreadable("the file is empty".into()));
    };

    for (i, &(line, end)) in lines.iter().enumerate() {
        let delimiter = detect_delimiter(line);
        let fields = split_line(line, delimiter);
        if fields.len() < 2 {
            // A one-column "keyword"/"keywords" header is a plain list's
            // header, but only as the very first line.
            if i == 0 && is_plain_list_header(&fields) {
                return Ok(parse_plain_list(text.get(first_end..).unwrap_or("")));
            }
            continue;
        }
        if let Some(mapping) = Mapping::from_header(&fields) {
            let body = text.get(end..).unwrap_or("");
            return Ok(parse_delimited(body, delimiter, &mapping));
        }
    }

    // No recognised header. Tabular data without a keyword column is refused;
    // anything else is a list of keywords, one per line.
    let delimiter = detect_delimiter(first_line);
    let width = split_line(first_line, delimiter).len();
    let tabular = width >= 2
        && (delimiter == b'\t'
            || (lines.len() >= 2
                && lines
                    .iter()
                    .all(|(l, _)| split_line(l, delimiter).len() == width)));
    if tabular {
        return Err(ImportError::Unreadable(
            "no keyword column found in the header (expected e.g. \"Keyword\" or \"Top queries\")"
                .into(),
        ));
    }
    Ok(parse_plain_list(text))
}

fn is_plain_list_header(fields: &[String]) -> bool {
    matches!(fields, [f] if matches!(norm_header(f).as_str(), "keyword" | "keywords" | "query" | "queries" | "top queries"))
}

fn parse_plain_list(body: &str) -> ParsedFile {
    let mut out = Collector::default();
    let mut row = 0usize;
    for line in body.lines() {
        let mut k = line.trim().trim_start_matches('\u{feff}').trim();
        if k.is_empty() {
            continue;
        }
        row += 1;
        if k.len() >= 2 && k.starts_with('"') && k.ends_with('"') {
            k = k[1..k.len() - 1].trim();
        }
        let mut errs = Vec::new();
        if let Some(keyword) = check_keyword("keyword", k, &mut errs) {
            let normalized = normalize_keyword(&keyword);
            out.push(KeywordRow::bare(row, keyword, normalized));
        }
        for (col, msg) in errs {
            out.error(row, col, msg);
        }
    }
    out.finish(SourceFormat::PlainList)
}

/// The delimiter of a header line: the most frequent of tab, `;`, `,`
/// outside quotes (tab wins ties, then `;`).
fn detect_delimiter(line: &str) -> u8 {
    let (mut tabs, mut semis, mut commas, mut quoted) = (0usize, 0usize, 0usize, false);
    for b in line.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\t' if !quoted => tabs += 1,
            b';' if !quoted => semis += 1,
            b',' if !quoted => commas += 1,
            _ => {}
        }
    }
    if tabs > 0 && tabs >= semis && tabs >= commas {
        b'\t'
    } else if semis > 0 && semis >= commas {
        b';'
    } else {
        b','
    }
}

fn split_line(line: &str, delimiter: u8) -> Vec<String> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes());
    let mut rec = csv::StringRecord::new();
    match rdr.read_record(&mut rec) {
        Ok(true) => rec
            .iter()
            .map(|f| f.trim_start_matches('\u{feff}').trim().to_string())
            .collect(),
        _ => line
            .split(char::from(delimiter))
            .map(|f| f.trim().to_string())
            .collect(),
    }
}

fn parse_delimited(body: &str, delimiter: u8, mapping: &Mapping) -> ParsedFile {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body.as_bytes());
    let mut out = Collector::default();
    let mut rec = csv::StringRecord::new();
    let mut row = 0usize;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {
                row += 1;
                mapping.parse_row(row, &rec, &mut out);
            }
            Ok(false) => break,
            Err(e) => {
                // The body is a &str, so this is not expected; stop rather
                // than loop on a broken reader.
                out.error(row + 1, "", format!("unreadable CSV record: {e}"));
                break;
            }
        }
    }
    out.finish(mapping.format)
}

// ---------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------

fn parse_xlsx(bytes: &[u8]) -> Result<ParsedFile, ImportError> {
    // calamine parses untrusted zip/XML; keep a panic in it from escaping.
    let sheet = std::panic::catch_unwind(|| read_first_sheet(bytes))
        .map_err(|_| ImportError::Unreadable("the XLSX workbook could not be read".into()))??;
    let mut scanned = 0usize;
    for (i, cells) in sheet.iter().enumerate() {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        scanned += 1;
        if scanned > HEADER_SCAN_LINES {
            break;
        }
        let header: Vec<String> = cells.iter().map(|c| c.trim().to_string()).collect();
        if let Some(mapping) = Mapping::from_header(&header) {
            let mut out = Collector::default();
            for (n, cells) in sheet[i + 1..].iter().enumerate() {
                mapping.parse_row(n + 1, cells.as_slice(), &mut out);
            }
            return Ok(out.finish(mapping.format));
        }
    }
    Err(ImportError::Unreadable(
        "no keyword column found in the first sheet's header (expected e.g. \"Keyword\")".into(),
    ))
}

/// Rows an XLSX sheet may have (a 6 MB upload holds far fewer keyword rows).
pub const XLSX_MAX_ROWS: u32 = 200_000;
/// Columns an XLSX sheet may have (keyword exports have about 20).
pub const XLSX_MAX_COLS: u32 = 256;

fn too_big(what: &str) -> ImportError {
    ImportError::Unreadable(format!(
        "the XLSX sheet {what}; keyword sheets are limited to {XLSX_MAX_ROWS} rows and {XLSX_MAX_COLS} columns"
    ))
}

/// Reads the first sheet cell by cell (calamine's streaming reader), never
/// building the bounding range calamine would allocate as rows × columns: a
/// 2 KB file with cells at A1 and XFD1048576 would ask for hundreds of GB. The
/// sheet's declared dimension is refused first, then any cell outside the caps.
fn read_first_sheet(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    use calamine::{DataRef, Reader, Xlsx, open_workbook_from_rs};
    let unreadable = |e: &dyn std::fmt::Display| ImportError::Unreadable(format!("not a readable XLSX workbook: {e}"));
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let Some(name) = wb.sheet_names().first().cloned() else {
        return Err(ImportError::Unreadable("the XLSX workbook has no sheet".into()));
    };
    let mut cells = wb.worksheet_cells_reader(&name).map_err(|e| unreadable(&e))?;
    let declared = cells.dimensions();
    if declared.end.0 >= XLSX_MAX_ROWS || declared.end.1 >= XLSX_MAX_COLS {
        return Err(too_big(&format!("declares its cells up to row {} and column {}", declared.end.0 + 1, declared.end.1 + 1)));
    }
    let text = |d: &DataRef| -> String {
        match d {
            DataRef::Empty | DataRef::Error(_) => String::new(),
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
            DataRef::SharedString(s) => s.to_string(),
            DataRef::Int(i) => i.to_string(),
            DataRef::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            DataRef::Float(f) => f.to_string(),
            DataRef::Bool(b) => b.to_string(),
            DataRef::DateTime(dt) => dt.to_string(),
        }
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
        let (r, c) = cell.get_position();
        if r >= XLSX_MAX_ROWS || c >= XLSX_MAX_COLS {
            return Err(too_big(&format!("has a cell at row {} and column {}", r + 1, c + 1)));
        }
        let value = text(cell.get_value());
        if value.is_empty() {
            continue;
        }
        let (r, c) = (r as usize, c as usize);
        if rows.len() <= r {
            rows.resize_with(r + 1, Vec::new);
        }
        let row = &mut rows[r];
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = value;
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------
// Header mapping and format detection
// ---------------------------------------------------------------------------

/// A header name compared case- and space-insensitively.
fn norm_header(h: &str) -> String {
    let h = h
        .trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .trim_matches('"');
    h.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[derive(Debug)]
struct Mapping {
    format: SourceFormat,
    /// Header names as written, for error messages.
    names: Vec<String>,
    keyword: usize,
    volume: Option<usize>,
    difficulty: Option<usize>,
    cpc: Option<usize>,
    /// Currency named by the CPC header, e.g. "CPC (USD)".
    cpc_currency: Option<String>,
    bid_low: Option<usize>,
    bid_high: Option<usize>,
    currency: Option<usize>,
    intent: Option<usize>,
    /// Ahrefs-style one-column-per-intent flags ("true"/"false").
    intent_flags: Vec<(usize, Intent)>,
    serp: Option<usize>,
    trend: Option<usize>,
    /// Keyword Planner "Searches: Mon YYYY" columns, in file order.
    months: Vec<usize>,
    parent: Option<usize>,
    clicks: Option<usize>,
    impressions: Option<usize>,
    position: Option<usize>,
    /// Currency assumed when the file names none (Ahrefs CPCs are USD).
    default_currency: Option<&'static str>,
}

impl Mapping {
    /// Maps a header row; `None` when it has no keyword column.
    fn from_header(fields: &[String]) -> Option<Mapping> {
        let norm: Vec<String> = fields.iter().map(|f| norm_header(f)).collect();
        let mut m = Mapping {
            format: SourceFormat::PlainList,
            names: fields
                .iter()
                .map(|f| f.trim().trim_start_matches('\u{feff}').trim().to_string())
                .collect(),
            keyword: 0,
            volume: None,
            difficulty: None,
            cpc: None,
            cpc_currency: None,
            bid_low: None,
            bid_high: None,
            currency: None,
            intent: None,
            intent_flags: Vec::new(),
            serp: None,
            trend: None,
            months: Vec::new(),
            parent: None,
            clicks: None,
            impressions: None,
            position: None,
            default_currency: None,
        };
        let mut keyword = None;
        let set = |slot: &mut Option<usize>, i: usize| {
            if slot.is_none() {
                *slot = Some(i);
            }
        };
        for (i, h) in norm.iter().enumerate() {
            match h.as_str() {
                "keyword" | "keywords" | "top queries" | "query" | "queries" | "search term"
                | "search query" | "keyword phrase" => set(&mut keyword, i),
                "volume"
                | "search volume"
                | "avg. monthly searches"
                | "avg monthly searches"
                | "monthly searches"
                | "monthly volume" => set(&mut m.volume, i),
                "keyword difficulty"
                | "keyword difficulty index"
                | "kd"
                | "kd %"
                | "kd%"
                | "difficulty" => set(&mut m.difficulty, i),
                "cpc" => set(&mut m.cpc, i),
                "top of page bid (low range)" => set(&mut m.bid_low, i),
                "top of page bid (high range)" => set(&mut m.bid_high, i),
                "currency" => set(&mut m.currency, i),
                "intent" | "intents" | "search intent" => set(&mut m.intent, i),
                "informational" => m.intent_flags.push((i, Intent::Informational)),
                "navigational" => m.intent_flags.push((i, Intent::Navigational)),
                "commercial" => m.intent_flags.push((i, Intent::Commercial)),
                "transactional" => m.intent_flags.push((i, Intent::Transactional)),
                "serp features" | "serp features by keyword" => set(&mut m.serp, i),
                "trend" => set(&mut m.trend, i),
                "parent keyword" | "parent topic" => set(&mut m.parent, i),
                "clicks" => set(&mut m.clicks, i),
                "impressions" => set(&mut m.impressions, i),
                "position" | "average position" | "avg. position" => set(&mut m.position, i),
                // "Global volume" (Ahrefs), "Competition" (Keyword Planner: ad
                // competition, not difficulty), "Competitive Density" … are
                // deliberately not mapped.
                other => {
                    if let Some(code) = other
                        .strip_prefix("cpc (")
                        .and_then(|r| r.strip_suffix(')'))
                    {
                        if m.cpc.is_none()
                            && !code.is_empty()
                            && code.chars().all(|c| c.is_ascii_alphabetic())
                        {
                            m.cpc = Some(i);
                            m.cpc_currency = Some(code.to_ascii_uppercase());
                        }
                    } else if other.starts_with("searches: ") {
                        m.months.push(i);
                    } else if other.starts_with("volume (") {
                        set(&mut m.volume, i);
                    }
                }
            }
        }
        m.keyword = keyword?;
        m.format = detect_format(&norm);
        if m.format == SourceFormat::AhrefsKeywordsExplorer {
            m.default_currency = Some("USD");
        }
        Some(m)
    }

    fn name(&self, i: usize) -> &str {
        self.names.get(i).map(String::as_str).unwrap_or("")
    }

    fn parse_row<C: Cells + ?Sized>(&self, row: usize, cells: &C, out: &mut Collector) {
        if cells.all_blank() {
            return;
        }
        let cell = |i: Option<usize>| i.map(|i| cells.cell(i)).unwrap_or("");
        let mut errs: Vec<(&str, String)> = Vec::new();

        let keyword = check_keyword(self.name(self.keyword), cells.cell(self.keyword), &mut errs);

        let (mut volume, mut volume_range) = (None, None);
        if let Some(i) = self.volume {
            match parse_volume(cells.cell(i)) {
                Ok(Some(Volume::Exact(v))) => volume = Some(v),
                Ok(Some(Volume::Range(lo, hi))) => {
                    volume = Some(lo);
                    volume_range = Some((lo, hi));
                }
                Ok(None) => {}
                Err(msg) => errs.push((self.name(i), msg)),
            }
        }
        let mut difficulty = None;
        if let Some(i) = self.difficulty {
            match parse_difficulty(cells.cell(i)) {
                Ok(d) => difficulty = d,
                Err(msg) => errs.push((self.name(i), msg)),
            }
        }
        let mut cpc_of = |col: Option<usize>| -> Option<f64> {
            let i = col?;
            match parse_cpc(cells.cell(i)) {
                Ok(c) => c,
                Err(msg) => {
                    errs.push((self.name(i), msg));
                    None
                }
            }
        };
        let direct = cpc_of(self.cpc);
        let low = cpc_of(self.bid_low);
        let high = cpc_of(self.bid_high);
        // Keyword Planner has no CPC, only the top-of-page bid range: the CPC
        // is the average of the low and high bids (either one alone if only
        // one is given), the nearest to what Semrush/Ahrefs call CPC.
        let cpc = direct.or(match (low, high) {
            (Some(l), Some(h)) => Some((l + h) / 2.0),
            (l, h) => l.or(h),
        });

        if !errs.is_empty() {
            for (col, msg) in errs {
                out.error(row, col, msg);
            }
            return;
        }
        let Some(keyword) = keyword else { return };

        let currency = non_missing(cell(self.currency))
            .map(|c| c.to_ascii_uppercase())
            .or_else(|| {
                cpc.and_then(|_| {
                    self.cpc_currency
                        .clone()
                        .or_else(|| {
                            self.cpc
                                .and_then(|i| currency_of_symbol(cells.cell(i)))
                                .map(String::from)
                        })
                        .or_else(|| self.default_currency.map(String::from))
                })
            });
        let intent = parse_intent(cell(self.intent)).or_else(|| {
            self.intent_flags
                .iter()
                .find(|(i, _)| is_truthy(cells.cell(*i)))
                .map(|(_, intent)| *intent)
        });
        let serp_features = split_list(cell(self.serp));
        let trend = if self.trend.is_some() {
            parse_trend(cell(self.trend))
        } else {
            self.months
                .iter()
                .filter_map(|i| parse_count_lenient(cells.cell(*i)))
                .map(|v| v as f64)
                .collect()
        };
        let parent_keyword = non_missing(cell(self.parent)).map(String::from);
        let clicks = parse_count_lenient(cell(self.clicks));
        let impressions = parse_count_lenient(cell(self.impressions));
        let position = parse_number(cell(self.position), false).filter(|p| *p >= 0.0);

        let normalized = normalize_keyword(&keyword);
        out.push(KeywordRow {
            row,
            keyword,
            normalized,
            volume,
            volume_range,
            difficulty,
            cpc,
            currency,
            intent,
            serp_features,
            trend,
            parent_keyword,
            clicks,
            impressions,
            position,
        });
    }
}

/// Tells the tool from the (normalised) header names.
fn detect_format(h: &[String]) -> SourceFormat {
    let has = |n: &str| h.iter().any(|x| x == n);
    let has_prefix = |p: &str| h.iter().any(|x| x.starts_with(p));
    if has("top queries")
        || ((has("query") || has("queries")) && (has("impressions") || has("clicks")))
    {
        SourceFormat::GoogleSearchConsole
    } else if has("avg. monthly searches")
        || has("avg monthly searches")
        || has_prefix("top of page bid")
        || has("competition (indexed value)")
        || has_prefix("searches: ")
    {
        SourceFormat::GoogleKeywordPlanner
    } else if has("parent keyword")
        || has("parent topic")
        || has("traffic potential")
        || has("global volume")
        || has("cps")
        || has("difficulty")
        || has("kd")
    {
        SourceFormat::AhrefsKeywordsExplorer
    } else if has("topic") || has("page type") || has("page") {
        SourceFormat::SemrushStrategyBuilder
    } else if has("keyword difficulty")
        || has("kd %")
        || has("kd%")
        || has("competitive density")
        || has("number of results")
        || has("trend")
        || has("intent")
        || has_prefix("cpc (")
    {
        SourceFormat::SemrushKeywordMagic
    } else {
        SourceFormat::PlainList
    }
}

/// Cell access for CSV records and sheet rows alike.
trait Cells {
    /// The trimmed cell, "" when absent.
    fn cell(&self, i: usize) -> &str;
    fn all_blank(&self) -> bool;
}

impl Cells for csv::StringRecord {
    fn cell(&self, i: usize) -> &str {
        self.get(i).unwrap_or("").trim()
    }
    fn all_blank(&self) -> bool {
        self.iter().all(|c| c.trim().is_empty())
    }
}

impl Cells for [String] {
    fn cell(&self, i: usize) -> &str {
        self.get(i).map(|s| s.trim()).unwrap_or("")
    }
    fn all_blank(&self) -> bool {
        self.iter().all(|c| c.trim().is_empty())
    }
}

// ---------------------------------------------------------------------------
// Collecting rows (dedup) and errors
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Collector {
    rows: Vec<KeywordRow>,
    index: HashMap<String, usize>,
    errors: Vec<RowError>,
    duplicates: usize,
}

impl Collector {
    fn error(&mut self, row: usize, column: &str, message: String) {
        self.errors.push(RowError {
            row,
            column: column.to_string(),
            message,
        });
    }

    fn push(&mut self, r: KeywordRow) {
        match self.index.get(&r.normalized) {
            Some(&i) => {
                if let Some(first) = self.rows.get_mut(i) {
                    first.fill_from(r);
                }
                self.duplicates += 1;
            }
            None => {
                self.index.insert(r.normalized.clone(), self.rows.len());
                self.rows.push(r);
            }
        }
    }

    fn finish(self, format: SourceFormat) -> ParsedFile {
        ParsedFile {
            format,
            rows: self.rows,
            errors: self.errors,
            duplicates_in_file: self.duplicates,
        }
    }
}

impl KeywordRow {
    fn bare(row: usize, keyword: String, normalized: String) -> KeywordRow {
        KeywordRow {
            row,
            keyword,
            normalized,
            volume: None,
            volume_range: None,
            difficulty: None,
            cpc: None,
            currency: None,
            intent: None,
            serp_features: Vec::new(),
            trend: Vec::new(),
            parent_keyword: None,
            clicks: None,
            impressions: None,
            position: None,
        }
    }

    /// Fills what this (first) occurrence lacks from a later duplicate.
    fn fill_from(&mut self, later: KeywordRow) {
        if self.volume.is_none() && self.volume_range.is_none() {
            self.volume = later.volume;
            self.volume_range = later.volume_range;
        }
        if self.difficulty.is_none() {
            self.difficulty = later.difficulty;
        }
        // The CPC and its currency travel together.
        if self.cpc.is_none() && later.cpc.is_some() {
            self.cpc = later.cpc;
            if later.currency.is_some() {
                self.currency = later.currency;
            }
        } else if self.currency.is_none() {
            self.currency = later.currency;
        }
        if self.intent.is_none() {
            self.intent = later.intent;
        }
        if self.serp_features.is_empty() {
            self.serp_features = later.serp_features;
        }
        if self.trend.is_empty() {
            self.trend = later.trend;
        }
        if self.parent_keyword.is_none() {
            self.parent_keyword = later.parent_keyword;
        }
        if self.clicks.is_none() {
            self.clicks = later.clicks;
        }
        if self.impressions.is_none() {
            self.impressions = later.impressions;
        }
        if self.position.is_none() {
            self.position = later.position;
        }
    }
}

// ---------------------------------------------------------------------------
// Cell parsers
// ---------------------------------------------------------------------------

/// Cells meaning "no value".
fn is_missing(s: &str) -> bool {
    let s = s.trim();
    s.is_empty()
        || s == "-"
        || s == "--"
        || s == "—"
        || s == "–"
        || s.eq_ignore_ascii_case("n/a")
        || s.eq_ignore_ascii_case("na")
        || s.eq_ignore_ascii_case("null")
}

fn non_missing(s: &str) -> Option<&str> {
    let s = s.trim();
    (!is_missing(s)).then_some(s)
}

fn check_keyword<'c>(
    column: &'c str,
    raw: &str,
    errs: &mut Vec<(&'c str, String)>,
) -> Option<String> {
    let k = raw.trim();
    if k.is_empty() {
        errs.push((column, "keyword is empty".into()));
        return None;
    }
    let n = k.chars().count();
    if n > MAX_KEYWORD_CHARS {
        errs.push((
            column,
            format!("keyword is {n} characters long (at most {MAX_KEYWORD_CHARS})"),
        ));
        return None;
    }
    Some(k.to_string())
}

enum Volume {
    Exact(u64),
    Range(u64, u64),
}

/// A volume: a count ("1,200", "1.200", "1 200", "12K"), or a Keyword
/// Planner bucket ("1K – 10K", "10 – 100", "<10" → 0–10).
fn parse_volume(raw: &str) -> Result<Option<Volume>, String> {
    let s = raw.trim();
    if is_missing(s) {
        return Ok(None);
    }
    let bad = || format!("volume {s:?} is not a number");
    if s.starts_with('-') || s.starts_with('−') {
        return Err(format!("volume {s:?} is negative"));
    }
    if let Some(upper) = s.strip_prefix('<') {
        let hi = parse_count(upper.trim_start_matches('=')).ok_or_else(bad)?;
        return Ok(Some(Volume::Range(0, hi)));
    }
    if let Some(lower) = s.strip_prefix('>') {
        let lo = parse_count(lower.trim_start_matches('=')).ok_or_else(bad)?;
        return Ok(Some(Volume::Exact(lo)));
    }
    let range_sep = s.find(['–', '—']).or_else(|| s.find('-'));
    if let Some(at) = range_sep {
        let sep_len = s[at..].chars().next().map(char::len_utf8).unwrap_or(1);
        let (lo, hi) = (&s[..at], &s[at + sep_len..]);
        let lo = parse_count(lo).ok_or_else(bad)?;
        let hi = parse_count(hi).ok_or_else(bad)?;
        if lo > hi {
            return Err(bad());
        }
        return Ok(Some(Volume::Range(lo, hi)));
    }
    parse_count(s)
        .map(|v| Some(Volume::Exact(v)))
        .ok_or_else(bad)
}

/// A non-negative count with optional K/M/B suffix and thousands grouping.
fn parse_count(raw: &str) -> Option<u64> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let (mantissa, mult) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 1e3),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 1e6),
        Some(b'b' | b'B') => (&s[..s.len() - 1], 1e9),
        _ => (s, 1.0),
    };
    let v = parse_number(mantissa, mult == 1.0)? * mult;
    to_u64(v)
}

fn to_u64(v: f64) -> Option<u64> {
    (0.0..1.8e19).contains(&v).then(|| v.round() as u64)
}

/// Lenient count for secondary columns: `None` for anything unusable.
fn parse_count_lenient(raw: &str) -> Option<u64> {
    let s = non_missing(raw)?;
    parse_count(s)
}

fn parse_difficulty(raw: &str) -> Result<Option<u8>, String> {
    let s = raw.trim();
    if is_missing(s) {
        return Ok(None);
    }
    let d = parse_number(s, false).ok_or_else(|| format!("difficulty {s:?} is not a number"))?;
    if !(0.0..=100.0).contains(&d) {
        return Err(format!("difficulty {s} is outside 0–100"));
    }
    Ok(Some(d.round() as u8))
}

fn parse_cpc(raw: &str) -> Result<Option<f64>, String> {
    let s = raw.trim();
    if is_missing(s) {
        return Ok(None);
    }
    let c = parse_number(s, false).ok_or_else(|| format!("CPC {s:?} is not a number"))?;
    if c < 0.0 {
        return Err(format!("CPC {s} is negative"));
    }
    if !c.is_finite() || c > crate::planner::keywords::MAX_CPC {
        return Err(format!("CPC {s} is larger than 1000000"));
    }
    Ok(Some(c))
}

fn is_currency_symbol(c: char) -> bool {
    matches!(c, '$' | '€' | '£' | '¥' | '₹' | '₽' | '₩')
}

fn currency_of_symbol(s: &str) -> Option<&'static str> {
    s.chars().find_map(|c| match c {
        '$' => Some("USD"),
        '€' => Some("EUR"),
        '£' => Some("GBP"),
        '₹' => Some("INR"),
        _ => None,
    })
}

/// A number as written in exports: optional sign, currency symbol and `%`;
/// thousands grouping with `,` (or, in integer columns, `.`), spaces or
/// apostrophes when every group after the first has exactly 3 digits; a
/// decimal `.` or `,`. For `,` alone: exactly 3 digits after a single comma
/// is grouping ("1,200"), otherwise a decimal comma ("0,85").
fn parse_number(raw: &str, integer_col: bool) -> Option<f64> {
    let mut s = raw.trim();
    let mut negative = false;
    if let Some(r) = s.strip_prefix('-').or_else(|| s.strip_prefix('−')) {
        negative = true;
        s = r;
    } else if let Some(r) = s.strip_prefix('+') {
        s = r;
    }
    s = s
        .trim()
        .trim_matches(|c: char| is_currency_symbol(c) || c == '%')
        .trim();
    if let Some(r) = s.strip_prefix('-') {
        if negative {
            return None;
        }
        negative = true;
        s = r.trim();
    }
    if s.is_empty() || is_missing(s) {
        return None;
    }
    let v = if s.bytes().all(|b| b.is_ascii_digit()) || is_plain_decimal(s, integer_col) {
        s.parse::<f64>().ok()?
    } else {
        parse_separated(s, integer_col)?
    };
    if !v.is_finite() {
        return None;
    }
    Some(if negative { -v } else { v })
}

/// "12.5": digits, one '.', digits — except "1.200" in an integer column,
/// which is thousands grouping.
fn is_plain_decimal(s: &str, integer_col: bool) -> bool {
    let Some((int, frac)) = s.split_once('.') else {
        return false;
    };
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(integer_col && frac.len() == 3 && int.len() <= 3)
}

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’')
}

fn parse_separated(s: &str, integer_col: bool) -> Option<f64> {
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',' || is_group_space(c))
    {
        // Scientific notation ("1.2e3") and nothing else that Rust accepts:
        // no "inf"/"nan".
        if s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
            && s.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        {
            return s.parse::<f64>().ok();
        }
        return None;
    }
    let dots = s.matches('.').count();
    let commas = s.matches(',').count();
    // Which separator (if any) is the decimal one.
    let single_decimal = |sep: char, count: usize, grouping_possible: bool| -> Option<char> {
        if count > 1 {
            return None;
        }
        let after = s.rfind(sep).map(|i| &s[i + 1..]).unwrap_or("");
        if grouping_possible && after.len() == 3 && after.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            Some(sep)
        }
    };
    let decimal = match (dots, commas) {
        (0, 0) => None,
        (d, 0) => single_decimal('.', d, integer_col),
        (0, c) => single_decimal(',', c, true),
        _ => {
            if s.rfind('.') > s.rfind(',') {
                Some('.')
            } else {
                Some(',')
            }
        }
    };
    let (int_part, frac) = match decimal {
        Some(d) => {
            let i = s.rfind(d)?;
            (&s[..i], &s[i + 1..])
        }
        None => (s, ""),
    };
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut groups = int_part.split(|c: char| !c.is_ascii_digit());
    let mut digits = String::with_capacity(s.len());
    let first = groups.next().unwrap_or("");
    if first.is_empty() && (!int_part.is_empty() || frac.is_empty()) {
        return None;
    }
    let mut grouped = false;
    for g in groups {
        if g.len() != 3 {
            return None;
        }
        grouped = true;
        digits.push_str(g);
    }
    if grouped && (first.is_empty() || first.len() > 3) {
        return None;
    }
    let mut number = String::with_capacity(s.len() + 1);
    number.push_str(if first.is_empty() { "0" } else { first });
    number.push_str(&digits);
    if decimal.is_some() {
        if frac.is_empty() {
            return None;
        }
        number.push('.');
        number.push_str(frac);
    }
    number.parse::<f64>().ok()
}

/// Intent from Semrush codes ("i, c"), words ("Informational, Commercial"),
/// or Semrush API numeric codes (0 commercial, 1 informational, 2
/// navigational, 3 transactional): the first recognised one.
fn parse_intent(raw: &str) -> Option<Intent> {
    raw.split([',', ';', '/', '|']).find_map(|tok| {
        let t = tok.trim();
        let is = |a: &str| t.eq_ignore_ascii_case(a);
        if is("i") || is("informational") || is("1") {
            Some(Intent::Informational)
        } else if is("n") || is("navigational") || is("2") {
            Some(Intent::Navigational)
        } else if is("c") || is("commercial") || is("0") {
            Some(Intent::Commercial)
        } else if is("t") || is("transactional") || is("3") {
            Some(Intent::Transactional)
        } else {
            None
        }
    })
}

fn is_truthy(s: &str) -> bool {
    let s = s.trim();
    ["true", "yes", "1", "x", "✓"]
        .iter()
        .any(|t| s.eq_ignore_ascii_case(t))
}

fn split_list(raw: &str) -> Vec<String> {
    if is_missing(raw) {
        return Vec::new();
    }
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Semrush "Trend": comma-separated ratios; anything unparsable → empty.
fn parse_trend(raw: &str) -> Vec<f64> {
    if is_missing(raw) {
        return Vec::new();
    }
    let t: Option<Vec<f64>> = raw
        .split(',')
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && *f >= 0.0)
        })
        .collect();
    t.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEMRUSH_KMT: &[u8] =
        include_bytes!("../../../tests/fixtures/keywords/semrush_keyword_magic.csv");
    const SEMRUSH_KSB: &[u8] =
        include_bytes!("../../../tests/fixtures/keywords/semrush_strategy_builder.xlsx");
    const AHREFS_UTF16: &[u8] =
        include_bytes!("../../../tests/fixtures/keywords/ahrefs_keywords_explorer_utf16.csv");
    const AHREFS_UTF8: &[u8] =
        include_bytes!("../../../tests/fixtures/keywords/ahrefs_keywords_explorer_utf8.csv");
    const KEYWORD_PLANNER: &[u8] =
        include_bytes!("../../../tests/fixtures/keywords/google_keyword_planner.csv");
    const SEARCH_CONSOLE: &[u8] =
        include_bytes!("../../../tests/fixtures/keywords/google_search_console_queries.csv");
    const PLAIN_LIST: &[u8] = include_bytes!("../../../tests/fixtures/keywords/plain_list.txt");
    const MESSY: &[u8] = include_bytes!("../../../tests/fixtures/keywords/messy.csv");

    fn parse(bytes: &[u8]) -> ParsedFile {
        match parse_file(bytes) {
            Ok(p) => p,
            Err(e) => panic!("fixture should parse: {e}"),
        }
    }

    fn find<'a>(p: &'a ParsedFile, keyword: &str) -> &'a KeywordRow {
        match p.rows.iter().find(|r| r.keyword == keyword) {
            Some(r) => r,
            None => panic!(
                "row {keyword:?} missing from {:?}",
                p.rows.iter().map(|r| &r.keyword).collect::<Vec<_>>()
            ),
        }
    }

    #[test]
    fn semrush_keyword_magic() {
        let p = parse(SEMRUSH_KMT);
        assert_eq!(p.format, SourceFormat::SemrushKeywordMagic);
        assert_eq!(p.rows.len(), 20);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let r = find(&p, "best running shoes");
        assert_eq!(r.row, 2);
        assert_eq!(r.volume, Some(74_000));
        assert_eq!(r.volume_range, None);
        assert_eq!(r.difficulty, Some(78));
        assert_eq!(r.cpc, Some(1.31));
        assert_eq!(r.currency.as_deref(), Some("USD"));
        assert_eq!(r.intent, Some(Intent::Commercial));
        assert_eq!(r.trend.len(), 12);
        assert_eq!(r.trend[0], 0.54);
        assert_eq!(
            r.serp_features,
            ["Featured snippet", "People also ask", "Video", "Reviews"]
        );
        // "Informational, Commercial" → the first.
        assert_eq!(
            find(&p, "best running shoes for flat feet").intent,
            Some(Intent::Informational)
        );
        assert_eq!(
            find(&p, "nike running shoes").intent,
            Some(Intent::Navigational)
        );
        // CPC 0.00 is a value, not a missing one.
        assert_eq!(find(&p, "when to replace running shoes").cpc, Some(0.0));
    }

    #[test]
    fn xlsx_sheets_past_the_caps_are_refused_before_any_range_is_built() {
        // Issue 10 item 9 (calamine issue 693): cells at A1 and XFD1048576
        // would make calamine allocate rows x columns. Both the declared
        // dimension and a far cell without one are a clear error naming the cap.
        for (name, bytes, says) in [
            ("declared", &include_bytes!("../../../tests/fixtures/keywords/hostile_declared_dimension.xlsx")[..], "declares its cells up to row 1048576 and column 16384"),
            ("far cell", &include_bytes!("../../../tests/fixtures/keywords/hostile_far_cell.xlsx")[..], "has a cell at row 1048576 and column 16384"),
        ] {
            match parse_file(bytes) {
                Err(ImportError::Unreadable(m)) => {
                    assert!(m.contains(says) && m.contains("200000 rows and 256 columns"), "{name}: {m}");
                }
                other => panic!("{name}: a sheet past the caps gave {other:?}"),
            }
        }
        // A small sheet written with inline strings still reads.
        let p = parse(include_bytes!("../../../tests/fixtures/keywords/tiny_inline.xlsx"));
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].keyword, "lisbon trams");
    }

    #[test]
    fn semrush_strategy_builder_xlsx() {
        let p = parse(SEMRUSH_KSB);
        assert_eq!(p.format, SourceFormat::SemrushStrategyBuilder);
        assert_eq!(p.rows.len(), 14);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let r = find(&p, "adjustable dumbbells");
        assert_eq!(r.row, 10);
        assert_eq!(r.volume, Some(60_500));
        assert_eq!(r.difficulty, Some(74));
        assert_eq!(r.cpc, Some(1.12));
        assert_eq!(r.currency.as_deref(), Some("USD"));
        assert_eq!(r.intent, Some(Intent::Transactional));
        assert_eq!(r.serp_features, ["Popular products", "Image pack"]);
        assert_eq!(
            find(&p, "home gym equipment").intent,
            Some(Intent::Commercial)
        );
        assert!(find(&p, "resistance bands set").serp_features.is_empty());
    }

    fn check_ahrefs(p: &ParsedFile) {
        assert_eq!(p.format, SourceFormat::AhrefsKeywordsExplorer);
        assert_eq!(p.rows.len(), 15);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let r = find(p, "project management tools");
        assert_eq!(r.row, 2);
        // `Volume`, not `Global volume` (61000) nor `Traffic potential` (97000).
        assert_eq!(r.volume, Some(22_000));
        assert_eq!(r.difficulty, Some(84));
        assert_eq!(r.cpc, Some(16.0));
        assert_eq!(r.currency.as_deref(), Some("USD"));
        assert_eq!(
            r.parent_keyword.as_deref(),
            Some("project management software")
        );
        assert_eq!(r.intent, Some(Intent::Commercial));
        assert!(r.trend.is_empty());
        assert_eq!(r.serp_features.len(), 4);
        assert_eq!(
            find(p, "monday.com login").intent,
            Some(Intent::Navigational)
        );
        assert_eq!(
            find(p, "project management certification").intent,
            Some(Intent::Informational)
        );
    }

    #[test]
    fn ahrefs_utf16_tab_separated() {
        assert_eq!(
            &AHREFS_UTF16[..2],
            b"\xFF\xFE",
            "fixture is UTF-16 LE with BOM"
        );
        check_ahrefs(&parse(AHREFS_UTF16));
    }

    #[test]
    fn ahrefs_utf8_quoted_commas() {
        let p = parse(AHREFS_UTF8);
        check_ahrefs(&p);
        let r = find(&p, "monday.com login");
        assert_eq!((r.cpc, r.currency.as_deref()), (None, None));
    }

    #[test]
    fn google_keyword_planner() {
        assert_eq!(
            &KEYWORD_PLANNER[..2],
            b"\xFF\xFE",
            "fixture is UTF-16 LE with BOM"
        );
        let p = parse(KEYWORD_PLANNER);
        assert_eq!(p.format, SourceFormat::GoogleKeywordPlanner);
        assert_eq!(p.rows.len(), 13);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let r = find(&p, "dog grooming prices");
        assert_eq!(
            r.row, 4,
            "the two preamble lines and the header are not data rows"
        );
        assert_eq!(r.volume_range, Some((1_000, 10_000)));
        assert_eq!(r.volume, Some(1_000));
        // "Competition" is Low/Medium/High ad competition: never difficulty.
        assert_eq!(r.difficulty, None);
        // CPC = mean of the top-of-page bid range (0.95 + 3.40) / 2.
        assert_eq!(r.cpc, Some(2.175));
        assert_eq!(r.currency.as_deref(), Some("USD"));
        assert_eq!(r.trend.len(), 12);
        assert_eq!(r.trend[0], 4400.0);
        assert_eq!(r.trend[4], 6600.0);
        assert!(p.rows.iter().all(|r| r.difficulty.is_none()));
        assert_eq!(
            find(&p, "dog grooming near me").volume_range,
            Some((100_000, 1_000_000))
        );
        assert_eq!(
            find(&p, "poodle grooming styles").volume_range,
            Some((10, 100))
        );
        let tiny = find(&p, "schnauzer grooming chart printable");
        assert_eq!((tiny.volume, tiny.volume_range), (Some(0), Some((0, 10))));
        assert_eq!(tiny.cpc, None);
        assert_eq!(find(&p, "dog grooming certification online").cpc, None);
    }

    #[test]
    fn google_search_console() {
        let p = parse(SEARCH_CONSOLE);
        assert_eq!(p.format, SourceFormat::GoogleSearchConsole);
        assert_eq!(p.rows.len(), 16);
        let r = find(&p, "how to descale espresso machine");
        assert_eq!(r.row, 4);
        assert_eq!(
            (r.clicks, r.impressions, r.position),
            (Some(455), Some(9988), Some(4.4))
        );
        assert_eq!((r.volume, r.difficulty, r.cpc), (None, None, None));
        assert_eq!(
            find(&p, "espresso machine cleaning tablets").clicks,
            Some(0)
        );
    }

    #[test]
    fn plain_list() {
        let p = parse(PLAIN_LIST);
        assert_eq!(p.format, SourceFormat::PlainList);
        // 14 keyword lines (the "keywords" header excluded), one a duplicate.
        assert_eq!(p.rows.len(), 13);
        assert_eq!(p.duplicates_in_file, 1);
        assert_eq!(p.rows[0].keyword, "sourdough starter");
        assert_eq!(p.rows[0].row, 1);
        assert!(p.rows.iter().all(|r| r.volume.is_none()));
        assert_eq!(find(&p, "sourdough crêpes").normalized, "sourdough crêpes");
        // Without a header line every line is a keyword.
        let p = parse(b"red shoes\r\nblue shoes\r\n");
        assert_eq!(
            p.rows
                .iter()
                .map(|r| r.keyword.as_str())
                .collect::<Vec<_>>(),
            ["red shoes", "blue shoes"]
        );
        // A keyword containing a comma is still one keyword.
        let p = parse(b"shoes, red\nshoes\n");
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].keyword, "shoes, red");
    }

    #[test]
    fn messy_file_errors_duplicates_and_numbers() {
        assert_eq!(&MESSY[..3], b"\xEF\xBB\xBF", "fixture has a UTF-8 BOM");
        let p = parse(MESSY);
        assert_eq!(p.format, SourceFormat::SemrushKeywordMagic);
        let errs: Vec<(usize, &str)> = p
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str()))
            .collect();
        assert_eq!(
            errs,
            [
                (4, "Keyword"),
                (7, "Volume"),
                (8, "Keyword Difficulty"),
                (9, "CPC (USD)")
            ],
            "{:?}",
            p.errors
        );
        assert!(p.errors[1].message.contains("lots"));
        assert!(p.errors[2].message.contains("140"));
        // 16 records: 4 bad, 1 blank (;;;;;;), 2 duplicates → 9 keywords.
        assert_eq!(p.duplicates_in_file, 2);
        assert_eq!(p.rows.len(), 9);
        assert!(
            !p.rows
                .iter()
                .any(|r| r.keyword.is_empty() || r.keyword == "espresso grinder")
        );

        let first = find(&p, "Espresso Machine");
        assert_eq!(first.row, 1);
        assert_eq!(first.volume, Some(12_100)); // "12 100"
        assert_eq!(first.cpc, Some(1.45)); // "1,45"
        assert_eq!(
            first.difficulty,
            Some(67),
            "filled from the duplicate on row 5"
        );
        assert_eq!(first.intent, Some(Intent::Commercial));

        let best = find(&p, "best espresso machine");
        assert_eq!(
            (best.row, best.volume, best.difficulty, best.cpc),
            (2, Some(1_200), Some(58), Some(0.95))
        );
        assert_eq!(find(&p, "espresso machine for home").volume, Some(1_300)); // "1.300"
        assert_eq!(find(&p, "espresso machine for home").difficulty, None);
        assert_eq!(
            find(&p, "espresso machine for home").intent,
            Some(Intent::Informational)
        ); // "i, c"
        let descale = find(&p, "how to descale an espresso machine");
        assert_eq!((descale.volume, descale.cpc), (Some(2_400), None)); // "2 400", "-"
        assert_eq!(find(&p, "moka pot vs espresso machine").volume, Some(1_000));
        assert_eq!(
            find(&p, "espresso machine with grinder").volume,
            Some(2_900)
        ); // "2,900"
        assert_eq!(find(&p, "espresso machine with grinder").cpc, Some(1.05));
        assert_eq!(
            find(&p, "semi automatic espresso machine").serp_features,
            Vec::<String>::new()
        ); // n/a
        assert_eq!(find(&p, "café crème vs espresso").cpc, None);
        assert_eq!(find(&p, "cheap espresso machine").row, 16);
    }

    #[test]
    fn unreadable_inputs() {
        assert!(matches!(parse_file(b""), Err(ImportError::Unreadable(_))));
        assert!(matches!(
            parse_file(b"  \r\n\n "),
            Err(ImportError::Unreadable(_))
        ));
        assert!(matches!(
            parse_file(b"\xEF\xBB\xBF"),
            Err(ImportError::Unreadable(_))
        ));
        assert!(matches!(
            parse_file(b"\xFF\xFE"),
            Err(ImportError::Unreadable(_))
        ));
        // Deterministic pseudo-random bytes.
        let mut x: u32 = 0x1234_5678;
        let garbage: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        assert!(matches!(
            parse_file(&garbage),
            Err(ImportError::Unreadable(_))
        ));
        // A PNG header is not text.
        assert!(matches!(
            parse_file(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10"),
            Err(ImportError::Unreadable(_))
        ));
        // Zip magic that is not a workbook.
        assert!(matches!(
            parse_file(b"PK\x03\x04garbage garbage"),
            Err(ImportError::Unreadable(_))
        ));
        // A table without a keyword column.
        assert!(matches!(
            parse_file(b"Date,Clicks,Impressions\n2026-11-01,10,100\n2026-11-02,12,130\n"),
            Err(ImportError::Unreadable(_))
        ));
        // Truncated UTF-16 and every prefix of a real fixture: never a panic.
        for n in 0..KEYWORD_PLANNER.len().min(400) {
            let _ = parse_file(&KEYWORD_PLANNER[..n]);
        }
        for n in (0..SEMRUSH_KSB.len()).step_by(97) {
            let _ = parse_file(&SEMRUSH_KSB[..n]);
        }
    }

    #[test]
    fn row_validation() {
        let long = "k".repeat(201);
        let csv = format!(
            "Keyword,Volume,KD %,CPC (EUR)\nok,10,5,0.5\n{long},10,5,0.5\nneg,-5,5,0.5\nnan,10,abc,0.5\nfine,\"1,234,567\",100,€2.10\n"
        );
        let p = parse(csv.as_bytes());
        let errs: Vec<(usize, &str)> = p
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str()))
            .collect();
        assert_eq!(errs, [(2, "Keyword"), (3, "Volume"), (4, "KD %")]);
        assert_eq!(p.rows.len(), 2);
        let fine = find(&p, "fine");
        assert_eq!(
            (fine.volume, fine.difficulty, fine.cpc),
            (Some(1_234_567), Some(100), Some(2.1))
        );
        assert_eq!(fine.currency.as_deref(), Some("EUR"));
        // Exactly 200 characters is allowed.
        let ok = format!("Keyword,Volume\n{},1\n", "é".repeat(200));
        assert_eq!(parse(ok.as_bytes()).rows.len(), 1);
    }

    #[test]
    fn number_parsing() {
        assert_eq!(parse_count("1,200"), Some(1200));
        assert_eq!(parse_count("1.200"), Some(1200));
        assert_eq!(parse_count("1 200"), Some(1200));
        assert_eq!(parse_count("1\u{a0}200\u{a0}300"), Some(1_200_300));
        assert_eq!(parse_count("12K"), Some(12_000));
        assert_eq!(parse_count("1.5M"), Some(1_500_000));
        assert_eq!(parse_count("1,20"), Some(1)); // decimal comma, rounded
        assert_eq!(parse_count("12,00,000"), None); // not 3-digit groups
        assert_eq!(parse_count("1 2"), None);
        assert_eq!(parse_count("inf"), None);
        assert_eq!(parse_count("NaN"), None);
        assert_eq!(
            parse_number("1.200", false),
            Some(1.2),
            "decimal columns keep '.' as the decimal point"
        );
        assert_eq!(parse_number("0,85", false), Some(0.85));
        assert_eq!(parse_number("1.234,56", false), Some(1234.56));
        assert_eq!(parse_number("1,234.56", false), Some(1234.56));
        assert_eq!(parse_number("$-1.00", false), Some(-1.0));
        assert_eq!(parse_number("3.2%", false), Some(3.2));
        assert_eq!(parse_number("1e3", false), Some(1000.0));
        assert_eq!(parse_number("--5", false), None);
        assert!(matches!(
            parse_volume("1K – 10K"),
            Ok(Some(Volume::Range(1000, 10000)))
        ));
        assert!(matches!(
            parse_volume("10K-100K"),
            Ok(Some(Volume::Range(10000, 100000)))
        ));
        assert!(matches!(
            parse_volume("<10"),
            Ok(Some(Volume::Range(0, 10)))
        ));
        assert!(matches!(parse_volume("n/a"), Ok(None)));
        assert!(parse_volume("10K – 1K").is_err());
        assert_eq!(parse_intent("i, c"), Some(Intent::Informational));
        assert_eq!(
            parse_intent("Branded, Transactional"),
            Some(Intent::Transactional)
        );
        assert_eq!(parse_intent("local"), None);
    }

    #[test]
    fn delimiter_detection() {
        let tsv = parse(b"Keyword\tVolume\tKeyword Difficulty\nred shoes\t1,200\t30\n");
        assert_eq!(tsv.rows[0].volume, Some(1200));
        let semi = parse(b"Keyword;Volume;Keyword Difficulty\n\"red; shoes\";\"1.200\";30\n");
        assert_eq!(semi.rows[0].keyword, "red; shoes");
        assert_eq!(semi.rows[0].volume, Some(1200));
        // UTF-16 BE with BOM.
        let text = "Keyword,Volume\r\nblue shoes,90\r\n";
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        let p = parse(&be);
        assert_eq!(
            (p.rows[0].keyword.as_str(), p.rows[0].volume),
            ("blue shoes", Some(90))
        );
    }

    #[test]
    fn ahrefs_intent_flag_columns() {
        let p = parse(b"Keyword,Volume,Difficulty,Informational,Navigational,Commercial,Transactional\nbuy shoes,10,5,false,false,false,true\nshoe sizes,10,5,true,false,true,false\n");
        assert_eq!(p.format, SourceFormat::AhrefsKeywordsExplorer);
        assert_eq!(find(&p, "buy shoes").intent, Some(Intent::Transactional));
        assert_eq!(find(&p, "shoe sizes").intent, Some(Intent::Informational));
    }

    #[test]
    fn json_rows() {
        let rows: Vec<serde_json::Value> = match serde_json::from_str(
            r#"[
                {"keyword": "Running Shoes", "volume": 1200, "difficulty": 45, "cpc": 1.2, "intent": "commercial",
                 "serp_features": ["Reviews"], "trend": [0.5, 1.0], "currency": "usd"},
                {"keyword": "trail shoes", "volume": "1K – 10K", "difficulty": "30", "cpc": "0,80", "intent": "i, t"},
                {"keyword": "running  shoes", "parent_keyword": "shoes"},
                {"keyword": "", "volume": 1},
                {"keyword": "bad kd", "difficulty": 101},
                {"keyword": "bad cpc", "cpc": -0.5},
                {"keyword": "bad volume", "volume": "many"},
                "not an object",
                {"query": "gsc query", "clicks": 3, "impressions": "1,000", "position": 4.5}
            ]"#,
        ) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        let p = parse_json_rows(&rows);
        assert_eq!(p.format, SourceFormat::Json);
        let errs: Vec<(usize, &str)> = p
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str()))
            .collect();
        assert_eq!(
            errs,
            [
                (4, "keyword"),
                (5, "difficulty"),
                (6, "cpc"),
                (7, "volume"),
                (8, "keyword")
            ]
        );
        assert_eq!(p.rows.len(), 3);
        assert_eq!(p.duplicates_in_file, 1);
        let r = &p.rows[0];
        assert_eq!(
            (r.row, r.volume, r.difficulty, r.cpc),
            (1, Some(1200), Some(45), Some(1.2))
        );
        assert_eq!(r.intent, Some(Intent::Commercial));
        assert_eq!(r.currency.as_deref(), Some("USD"));
        assert_eq!(r.trend, [0.5, 1.0]);
        assert_eq!(
            r.parent_keyword.as_deref(),
            Some("shoes"),
            "filled from the duplicate"
        );
        let t = &p.rows[1];
        assert_eq!(
            (t.volume, t.volume_range, t.difficulty, t.cpc),
            (Some(1000), Some((1000, 10000)), Some(30), Some(0.8))
        );
        assert_eq!(t.intent, Some(Intent::Informational));
        let g = &p.rows[2];
        assert_eq!(
            (g.clicks, g.impressions, g.position),
            (Some(3), Some(1000), Some(4.5))
        );
    }
}
