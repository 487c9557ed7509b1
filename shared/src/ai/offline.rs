//! The offline provider: deterministic, keyless, network-free stand-ins for
//! chat and image generation so the local demo works without provider keys.
//!
//! Chat answers are valid JSON for the requested schema (values derived from
//! the prompt words); images are real PNGs. Every result names the provider
//! `offline`, and long-form text is prefixed with `[offline]`.

use futures::future::BoxFuture;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::provider::{
    ChatProvider, ChatRequest, ChatResponse, ImageProvider, ImageRequest, ImageResponse,
    ProviderError, TokenUsage,
};

const PROVIDER: &str = "offline";
/// Deepest schema nesting filled in full; deeper levels get minimal values.
const MAX_DEPTH: u32 = 12;
/// Largest image side the offline renderer accepts.
const MAX_SIDE: u32 = 4096;

/// Deterministic chat provider producing schema-valid JSON without a network.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineChat;

impl OfflineChat {
    /// A new offline chat provider.
    pub fn new() -> Self {
        Self
    }

    /// The deterministic answer for `req` (never fails).
    pub fn answer(req: &ChatRequest) -> ChatResponse {
        let mut hasher = Sha256::new();
        hasher.update(req.system.as_bytes());
        hasher.update([0]);
        hasher.update(req.user.as_bytes());
        if let Some((name, schema)) = &req.json_schema {
            hasher.update([0]);
            hasher.update(name.as_bytes());
            hasher.update([0]);
            hasher.update(schema.to_string().as_bytes());
        }
        let digest = hasher.finalize();
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&digest[..8]);
        let null = Value::Null;
        let root = req.json_schema.as_ref().map_or(&null, |(_, schema)| schema);
        let mut generator = Generator {
            root,
            words: prompt_words(&req.user, &req.system),
            rng: SplitMix(u64::from_le_bytes(seed)),
        };
        let content = match &req.json_schema {
            Some((_, schema)) => generator.value(schema, "", 0).to_string(),
            None => format!("[offline] {}.", capitalize(&generator.phrase(24))),
        };
        let prompt_tokens = word_count(&req.system) + word_count(&req.user);
        let completion_tokens = word_count(&content);
        ChatResponse {
            content,
            provider: PROVIDER.to_string(),
            model: "offline-1".to_string(),
            usage: TokenUsage {
                prompt_tokens,
                completion_tokens,
                total_tokens: prompt_tokens + completion_tokens,
            },
            attempts: 1,
        }
    }
}

impl ChatProvider for OfflineChat {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        "offline-1"
    }

    fn chat<'a>(
        &'a self,
        req: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(async move { Ok(Self::answer(req)) })
    }
}

fn word_count(s: &str) -> u64 {
    s.split_whitespace().count() as u64
}

/// Words of the user prompt (then the system prompt) usable as content.
fn prompt_words(user: &str, system: &str) -> Vec<String> {
    let tokenize = |s: &str| -> Vec<String> {
        s.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
            .map(|w| {
                w.trim_matches(|c: char| c == '-' || c == '\'')
                    .to_lowercase()
            })
            .filter(|w| w.chars().count() >= 3)
            .collect()
    };
    let mut words = tokenize(user);
    if words.is_empty() {
        words = tokenize(system);
    }
    if words.is_empty() {
        words.push("offline".to_string());
    }
    words
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// SplitMix64: tiny, deterministic, good enough for picking words.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-ish index below `n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A fraction in `[0, 1)`.
    fn fraction(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Walks a JSON schema and fills it with prompt-derived values.
struct Generator<'a> {
    root: &'a Value,
    words: Vec<String>,
    rng: SplitMix,
}

impl Generator<'_> {
    fn phrase(&mut self, n: usize) -> String {
        let picked: Vec<&str> = (0..n.max(1))
            .map(|_| {
                let i = self.rng.below(self.words.len());
                self.words[i].as_str()
            })
            .collect();
        picked.join(" ")
    }

    fn value(&mut self, schema: &Value, hint: &str, depth: u32) -> Value {
        let Some(obj) = schema.as_object() else {
            // `true` / `{}`-like schemas: anything goes.
            return Value::String(capitalize(&self.phrase(3)));
        };
        if depth > MAX_DEPTH * 2 {
            return Value::Null;
        }
        if let Some(target) = obj.get("$ref").and_then(Value::as_str) {
            let resolved = target.strip_prefix('#').and_then(|p| self.root.pointer(p));
            if let Some(resolved) = resolved {
                return self.value(resolved, hint, depth + 1);
            }
        }
        if let Some(c) = obj.get("const") {
            return c.clone();
        }
        if let Some(options) = obj
            .get("enum")
            .and_then(Value::as_array)
            .filter(|o| !o.is_empty())
        {
            return options[self.rng.below(options.len())].clone();
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(options) = obj
                .get(key)
                .and_then(Value::as_array)
                .filter(|o| !o.is_empty())
            {
                let choice = options
                    .iter()
                    .find(|o| o.get("type").and_then(Value::as_str) != Some("null"))
                    .unwrap_or(&options[0]);
                return self.value(choice, hint, depth + 1);
            }
        }
        if let Some(parts) = obj
            .get("allOf")
            .and_then(Value::as_array)
            .filter(|o| !o.is_empty())
        {
            return self.value(&merge_all_of(obj, parts), hint, depth + 1);
        }
        let ty = match obj.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(types)) => types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .or_else(|| types.iter().filter_map(Value::as_str).next())
                .unwrap_or("string"),
            _ if obj.contains_key("properties") => "object",
            _ if obj.contains_key("items") => "array",
            _ => "string",
        };
        match ty {
            "object" => self.object(obj, depth),
            "array" => self.array(obj, hint, depth),
            "integer" => self.integer(obj),
            "number" => self.number(obj),
            "boolean" => Value::Bool(self.rng.next() & 1 == 1),
            "null" => Value::Null,
            _ => Value::String(self.string(obj, hint)),
        }
    }

    fn object(&mut self, obj: &Map<String, Value>, depth: u32) -> Value {
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                if depth >= MAX_DEPTH && !required.contains(&name.as_str()) {
                    continue;
                }
                let v = self.value(sub, name, depth + 1);
                out.insert(name.clone(), v);
            }
        }
        // Required keys without a declared schema still have to be present.
        for name in required {
            if !out.contains_key(name) {
                let v = Value::String(capitalize(&self.phrase(3)));
                out.insert(name.to_string(), v);
            }
        }
        Value::Object(out)
    }

    fn array(&mut self, obj: &Map<String, Value>, hint: &str, depth: u32) -> Value {
        let min = obj.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = obj
            .get("maxItems")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize)
            .max(min);
        let n = if depth >= MAX_DEPTH {
            min
        } else {
            3usize.clamp(min, max)
        };
        let unique = obj
            .get("uniqueItems")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let items = obj.get("items").cloned().unwrap_or(Value::Bool(true));
        let item_hint = hint.strip_suffix('s').unwrap_or(hint).to_string();
        let mut out: Vec<Value> = Vec::with_capacity(n);
        for _ in 0..n {
            let mut v = self.value(&items, &item_hint, depth + 1);
            let mut tries = 0;
            while unique && out.contains(&v) && tries < 16 {
                v = self.value(&items, &item_hint, depth + 1);
                tries += 1;
            }
            out.push(v);
        }
        Value::Array(out)
    }

    fn bounds(obj: &Map<String, Value>) -> (Option<f64>, bool, Option<f64>, bool) {
        let num = |k: &str| obj.get(k).and_then(Value::as_f64);
        // Draft 4 uses boolean exclusive flags; later drafts use numbers.
        let flag = |k: &str| obj.get(k).and_then(Value::as_bool).unwrap_or(false);
        let (lo, lo_ex) = match (num("minimum"), num("exclusiveMinimum")) {
            (_, Some(x)) => (Some(x), true),
            (m, None) => (m, flag("exclusiveMinimum")),
        };
        let (hi, hi_ex) = match (num("maximum"), num("exclusiveMaximum")) {
            (_, Some(x)) => (Some(x), true),
            (m, None) => (m, flag("exclusiveMaximum")),
        };
        (lo, lo_ex, hi, hi_ex)
    }

    fn integer(&mut self, obj: &Map<String, Value>) -> Value {
        let (lo, lo_ex, hi, hi_ex) = Self::bounds(obj);
        let lo = lo.map(|x| {
            if lo_ex {
                x.floor() as i64 + 1
            } else {
                x.ceil() as i64
            }
        });
        let hi = hi.map(|x| {
            if hi_ex {
                x.ceil() as i64 - 1
            } else {
                x.floor() as i64
            }
        });
        let (lo, hi) = match (lo, hi) {
            (Some(l), Some(h)) => (l, h.max(l)),
            (Some(l), None) => (l, l.saturating_add(100)),
            (None, Some(h)) => (h.saturating_sub(100), h),
            (None, None) => (1, 100),
        };
        let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
        let offset = (u128::from(self.rng.next()) % span) as i128;
        Value::from((i128::from(lo) + offset) as i64)
    }

    fn number(&mut self, obj: &Map<String, Value>) -> Value {
        let (lo, _, hi, _) = Self::bounds(obj);
        let (lo, hi) = match (lo, hi) {
            (Some(l), Some(h)) => (l, h.max(l)),
            (Some(l), None) => (l, l + 100.0),
            (None, Some(h)) => (h - 100.0, h),
            (None, None) => (0.0, 100.0),
        };
        // Stay strictly inside so exclusive bounds hold too.
        let frac = 0.1 + 0.8 * self.rng.fraction();
        let raw = lo + (hi - lo) * frac;
        let rounded = (raw * 100.0).round() / 100.0;
        let v = if rounded > lo && rounded < hi {
            rounded
        } else {
            raw
        };
        serde_json::Number::from_f64(v).map_or(Value::from(0), Value::Number)
    }

    fn string(&mut self, obj: &Map<String, Value>, hint: &str) -> String {
        let min = obj.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = obj
            .get("maxLength")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |m| m as usize)
            .max(min);
        let hint = hint.to_lowercase();
        let s = match obj.get("format").and_then(Value::as_str) {
            Some("date-time") => "2025-01-01T00:00:00Z".to_string(),
            Some("date") => "2025-01-01".to_string(),
            Some("time") => "12:00:00Z".to_string(),
            Some("email") => "offline@example.com".to_string(),
            Some("uri" | "url" | "iri") => format!(
                "https://example.com/offline/{}",
                self.phrase(2).replace(' ', "-")
            ),
            Some("uuid") => {
                let (a, b) = (self.rng.next(), self.rng.next());
                format!(
                    "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xfff,
                    b >> 52,
                    b & 0xffff_ffff_ffff
                )
            }
            _ if hint.contains("slug") => self.phrase(3).replace(' ', "-"),
            _ if ["content", "body", "html", "article", "text"]
                .iter()
                .any(|k| hint.contains(k)) =>
            {
                format!("[offline] {}.", capitalize(&self.phrase(60)))
            }
            _ if ["description", "summary", "excerpt", "reason", "explanation"]
                .iter()
                .any(|k| hint.contains(k)) =>
            {
                format!("[offline] {}.", capitalize(&self.phrase(18)))
            }
            _ if ["keyword", "term", "tag"].iter().any(|k| hint.contains(k)) => self.phrase(2),
            _ => capitalize(&self.phrase(4)),
        };
        fit_length(s, min, max, &self.words)
    }
}

/// Truncates to `max` characters or pads (with prompt words) to `min`.
fn fit_length(mut s: String, min: usize, max: usize, words: &[String]) -> String {
    if s.chars().count() > max {
        s = s.chars().take(max).collect::<String>();
        let trimmed = s.trim_end().to_string();
        if trimmed.chars().count() >= min {
            s = trimmed;
        }
    }
    let mut i = 0;
    while s.chars().count() < min {
        let word = words
            .get(i % words.len().max(1))
            .map_or("offline", String::as_str);
        s.push(' ');
        s.push_str(word);
        i += 1;
    }
    if s.chars().count() > max {
        s = s.chars().take(max).collect();
    }
    s
}

/// Shallow merge of `allOf` parts (properties and required are unioned).
fn merge_all_of(base: &Map<String, Value>, parts: &[Value]) -> Value {
    let mut merged = base.clone();
    merged.remove("allOf");
    let mut props = merged
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut required: Vec<Value> = merged
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for part in parts.iter().filter_map(Value::as_object) {
        for (k, v) in part {
            match k.as_str() {
                "properties" => {
                    if let Some(p) = v.as_object() {
                        props.extend(p.clone());
                    }
                }
                "required" => {
                    if let Some(r) = v.as_array() {
                        required.extend(r.iter().cloned());
                    }
                }
                _ => {
                    merged.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    if !props.is_empty() {
        merged.insert("properties".into(), Value::Object(props));
    }
    if !required.is_empty() {
        merged.insert("required".into(), Value::Array(required));
    }
    Value::Object(merged)
}

/// Deterministic image provider rendering real PNGs without a network.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineImages;

impl OfflineImages {
    /// A new offline image provider.
    pub fn new() -> Self {
        Self
    }

    /// Renders the image for `req`: a prompt-derived background colour with
    /// diagonal bands and a darker border.
    pub fn render(req: &ImageRequest) -> Result<ImageResponse, ProviderError> {
        let (w, h) = (req.width, req.height);
        if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
            return Err(ProviderError::Permanent(format!(
                "{PROVIDER}: invalid image size {w}x{h} (1..={MAX_SIDE} per side)"
            )));
        }
        let digest = Sha256::digest(req.prompt.as_bytes());
        let base = [0, 1, 2].map(|i| 64 + digest[i] % 160);
        let band = base.map(|c| c.saturating_add(40));
        let edge = base.map(|c| c / 2);
        let border = (w.min(h) / 64).max(1);
        let period = ((w + h) / 16).max(8);
        let mut pixels = Vec::with_capacity(w as usize * h as usize * 3);
        for y in 0..h {
            for x in 0..w {
                let on_border = x < border || y < border || x >= w - border || y >= h - border;
                let colour = if on_border {
                    edge
                } else if ((x + y) / period) % 2 == 1 {
                    band
                } else {
                    base
                };
                pixels.extend_from_slice(&colour);
            }
        }
        Ok(ImageResponse {
            bytes: encode_png_rgb(w, h, &pixels),
            content_type: "image/png".to_string(),
            provider: PROVIDER.to_string(),
            model: "offline-png-1".to_string(),
            width: w,
            height: h,
        })
    }
}

impl ImageProvider for OfflineImages {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        "offline-png-1"
    }

    fn generate<'a>(
        &'a self,
        req: &'a ImageRequest,
    ) -> BoxFuture<'a, Result<ImageResponse, ProviderError>> {
        Box::pin(async move { Self::render(req) })
    }
}

/// The PNG file signature.
pub const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// CRC-32 (ISO-HDLC, as used by PNG chunks).
pub fn crc32(parts: &[&[u8]]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for part in parts {
        for &b in *part {
            c = CRC_TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
        }
    }
    c ^ 0xFFFF_FFFF
}

/// Adler-32 (the zlib stream checksum).
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 is the largest run that cannot overflow u32 before reducing.
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// A zlib stream of `data` using stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    const MAX_BLOCK: usize = 65_535;
    let blocks = data.len().div_ceil(MAX_BLOCK).max(1);
    let mut out = Vec::with_capacity(data.len() + blocks * 5 + 6);
    out.extend_from_slice(&[0x78, 0x01]); // deflate, 32K window, fastest; (0x7801 % 31 == 0)
    let mut chunks = data.chunks(MAX_BLOCK).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        out.push(u8::from(last)); // BFINAL, BTYPE=00
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// Encodes 8-bit RGB `pixels` (row-major, `width * height * 3` bytes) as a PNG.
pub fn encode_png_rgb(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    let row = width as usize * 3;
    let mut raw = Vec::with_capacity((row + 1) * height as usize);
    for y in 0..height as usize {
        raw.push(0); // filter: none
        let start = (y * row).min(pixels.len());
        let end = (start + row).min(pixels.len());
        raw.extend_from_slice(&pixels[start..end]);
        raw.resize(raw.len() + row - (end - start), 0);
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // depth 8, RGB, deflate, filter 0, no interlace
    let idat = zlib_stored(&raw);
    let mut out = Vec::with_capacity(idat.len() + 64);
    out.extend_from_slice(&PNG_SIGNATURE);
    push_chunk(&mut out, b"IHDR", &ihdr);
    push_chunk(&mut out, b"IDAT", &idat);
    push_chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A tiny JSON-schema checker covering what the generator supports.
    fn check(root: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
        let Some(s) = schema.as_object() else {
            return Ok(());
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let target = root
                .pointer(r.trim_start_matches('#'))
                .ok_or(format!("{at}: bad ref"))?;
            return check(root, target, v, at);
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            return Err(format!("{at}: {v} not in enum"));
        }
        match s.get("type").and_then(Value::as_str) {
            Some("object") => {
                let o = v.as_object().ok_or(format!("{at}: not an object"))?;
                for r in s
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let k = r.as_str().unwrap_or_default();
                    if !o.contains_key(k) {
                        return Err(format!("{at}: missing {k}"));
                    }
                }
                let props = s.get("properties").and_then(Value::as_object);
                if s.get("additionalProperties") == Some(&Value::Bool(false))
                    && let Some(extra) = o
                        .keys()
                        .find(|k| !props.is_some_and(|p| p.contains_key(*k)))
                {
                    return Err(format!("{at}: unexpected {extra}"));
                }
                for (k, sub) in props.into_iter().flatten() {
                    if let Some(x) = o.get(k) {
                        check(root, sub, x, &format!("{at}.{k}"))?;
                    }
                }
            }
            Some("array") => {
                let a = v.as_array().ok_or(format!("{at}: not an array"))?;
                let n = a.len() as u64;
                if s.get("minItems")
                    .and_then(Value::as_u64)
                    .is_some_and(|m| n < m)
                    || s.get("maxItems")
                        .and_then(Value::as_u64)
                        .is_some_and(|m| n > m)
                {
                    return Err(format!("{at}: {n} items out of bounds"));
                }
                for (i, x) in a.iter().enumerate() {
                    check(root, &s["items"], x, &format!("{at}[{i}]"))?;
                }
            }
            Some("string") => {
                let n = v
                    .as_str()
                    .ok_or(format!("{at}: not a string"))?
                    .chars()
                    .count() as u64;
                if s.get("minLength")
                    .and_then(Value::as_u64)
                    .is_some_and(|m| n < m)
                    || s.get("maxLength")
                        .and_then(Value::as_u64)
                        .is_some_and(|m| n > m)
                {
                    return Err(format!("{at}: length {n} out of bounds"));
                }
            }
            Some(t @ ("integer" | "number")) => {
                let x = v.as_f64().ok_or(format!("{at}: not a number"))?;
                if t == "integer" && !v.is_i64() && !v.is_u64() {
                    return Err(format!("{at}: not an integer"));
                }
                if s.get("minimum")
                    .and_then(Value::as_f64)
                    .is_some_and(|m| x < m)
                    || s.get("maximum")
                        .and_then(Value::as_f64)
                        .is_some_and(|m| x > m)
                    || s.get("exclusiveMinimum")
                        .and_then(Value::as_f64)
                        .is_some_and(|m| x <= m)
                    || s.get("exclusiveMaximum")
                        .and_then(Value::as_f64)
                        .is_some_and(|m| x >= m)
                {
                    return Err(format!("{at}: {x} out of bounds"));
                }
            }
            Some("boolean") if !v.is_boolean() => return Err(format!("{at}: not a boolean")),
            _ => {}
        }
        Ok(())
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["title", "slug", "intent", "keywords", "score", "confidence", "draft", "sections", "meta_description"],
            "properties": {
                "title": {"type": "string", "minLength": 10, "maxLength": 60},
                "slug": {"type": "string", "maxLength": 40},
                "intent": {"type": "string", "enum": ["informational", "commercial", "transactional", "navigational"]},
                "keywords": {"type": "array", "minItems": 5, "maxItems": 8, "items": {"type": "string", "minLength": 3}},
                "score": {"type": "integer", "minimum": 1, "maximum": 5},
                "confidence": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "draft": {"type": "boolean"},
                "meta_description": {"type": ["string", "null"], "maxLength": 155},
                "sections": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"$ref": "#/$defs/section"}}
            },
            "$defs": {
                "section": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["heading", "content"],
                    "properties": {"heading": {"type": "string"}, "content": {"type": "string", "minLength": 50}}
                }
            }
        })
    }

    fn request(user: &str) -> ChatRequest {
        ChatRequest {
            system: "You are an SEO writer.".into(),
            user: user.into(),
            json_schema: Some(("article".into(), schema())),
            max_tokens: None,
            temperature: None,
        }
    }

    #[tokio::test]
    async fn same_request_same_answer_and_different_prompt_differs() {
        let p = OfflineChat::new();
        let a = p
            .chat(&request("best hiking boots for winter trails"))
            .await
            .expect("never fails");
        let b = p
            .chat(&request("best hiking boots for winter trails"))
            .await
            .expect("never fails");
        let c = p
            .chat(&request("espresso machines under 500 dollars"))
            .await
            .expect("never fails");
        assert_eq!(a.content, b.content);
        assert_ne!(a.content, c.content);
        assert_eq!(
            (a.provider.as_str(), a.model.as_str()),
            ("offline", "offline-1")
        );
        assert!(c.content.contains("espresso") || c.content.contains("machines"));
    }

    #[tokio::test]
    async fn output_validates_against_schema() {
        let p = OfflineChat::new();
        let root = schema();
        for user in [
            "best hiking boots for winter trails",
            "",
            "a",
            "Rust Lambda cold starts, explained!",
        ] {
            let resp = p.chat(&request(user)).await.expect("never fails");
            let v: Value = serde_json::from_str(&resp.content).expect("valid JSON");
            check(&root, &root, &v, "$").unwrap_or_else(|e| panic!("{e} in {v}"));
            assert_eq!(
                resp.usage.completion_tokens,
                resp.content.split_whitespace().count() as u64
            );
            assert_eq!(
                resp.usage.prompt_tokens,
                (5 + user.split_whitespace().count()) as u64
            );
            assert_eq!(
                resp.usage.total_tokens,
                resp.usage.prompt_tokens + resp.usage.completion_tokens
            );
        }
    }

    #[tokio::test]
    async fn plain_text_without_schema() {
        let req = ChatRequest {
            system: "sys".into(),
            user: "summarize tidal energy".into(),
            ..ChatRequest::default()
        };
        let a = OfflineChat.chat(&req).await.expect("never fails");
        assert!(a.content.starts_with("[offline] "));
        assert!(a.content.contains("tidal") || a.content.contains("energy"));
        assert_eq!(
            a.content,
            OfflineChat.chat(&req).await.expect("never fails").content
        );
        assert_eq!(a.usage.prompt_tokens, 4);
    }

    #[test]
    fn checksums_match_known_vectors() {
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(crc32(&[b"1234", b"56789"]), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(&[]), 1);
    }

    /// Parses the PNG, verifying every chunk CRC; returns (IHDR, IDAT bytes).
    fn parse_png(png: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<String>) {
        assert_eq!(&png[..8], &PNG_SIGNATURE);
        let (mut pos, mut ihdr, mut idat, mut kinds) = (8, Vec::new(), Vec::new(), Vec::new());
        while pos < png.len() {
            let len = u32::from_be_bytes(png[pos..pos + 4].try_into().expect("len")) as usize;
            let kind = &png[pos + 4..pos + 8];
            let data = &png[pos + 8..pos + 8 + len];
            let crc =
                u32::from_be_bytes(png[pos + 8 + len..pos + 12 + len].try_into().expect("crc"));
            assert_eq!(
                crc,
                crc32(&[kind, data]),
                "CRC of {}",
                String::from_utf8_lossy(kind)
            );
            match kind {
                b"IHDR" => ihdr = data.to_vec(),
                b"IDAT" => idat.extend_from_slice(data),
                _ => {}
            }
            kinds.push(String::from_utf8_lossy(kind).into_owned());
            pos += 12 + len;
        }
        assert_eq!(pos, png.len());
        (ihdr, idat, kinds)
    }

    /// Inflates a zlib stream of stored blocks, verifying header and adler32.
    fn inflate_stored(z: &[u8]) -> Vec<u8> {
        assert_eq!(z[0] & 0x0F, 8, "deflate method");
        assert_eq!((u16::from(z[0]) << 8 | u16::from(z[1])) % 31, 0, "FCHECK");
        let (mut pos, mut out) = (2, Vec::new());
        loop {
            let hdr = z[pos];
            assert_eq!(hdr & 0b110, 0, "stored block");
            let len = u16::from_le_bytes([z[pos + 1], z[pos + 2]]);
            let nlen = u16::from_le_bytes([z[pos + 3], z[pos + 4]]);
            assert_eq!(len, !nlen);
            out.extend_from_slice(&z[pos + 5..pos + 5 + len as usize]);
            pos += 5 + len as usize;
            if hdr & 1 == 1 {
                break;
            }
        }
        let adler = u32::from_be_bytes(z[pos..pos + 4].try_into().expect("adler"));
        assert_eq!(adler, adler32(&out), "adler32");
        assert_eq!(pos + 4, z.len());
        out
    }

    #[tokio::test]
    async fn renders_a_valid_png() {
        // 300x250 RGB = 225,250 raw bytes: several stored blocks.
        let req = ImageRequest {
            prompt: "a red fox".into(),
            negative_prompt: None,
            width: 300,
            height: 250,
        };
        let img = OfflineImages.generate(&req).await.expect("renders");
        assert_eq!(img.content_type, "image/png");
        assert_eq!((img.width, img.height), (300, 250));
        let (ihdr, idat, kinds) = parse_png(&img.bytes);
        assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
        assert_eq!(u32::from_be_bytes(ihdr[0..4].try_into().expect("w")), 300);
        assert_eq!(u32::from_be_bytes(ihdr[4..8].try_into().expect("h")), 250);
        assert_eq!(&ihdr[8..], &[8, 2, 0, 0, 0]);
        let raw = inflate_stored(&idat);
        assert_eq!(raw.len(), 250 * (1 + 300 * 3));
        assert!(raw.chunks(1 + 300 * 3).all(|row| row[0] == 0));
        // Deterministic, and the prompt changes the colours.
        assert_eq!(
            OfflineImages.generate(&req).await.expect("renders").bytes,
            img.bytes
        );
        let other = ImageRequest {
            prompt: "a blue whale".into(),
            ..req.clone()
        };
        assert_ne!(
            OfflineImages.generate(&other).await.expect("renders").bytes,
            img.bytes
        );
        // Not a flat image: border, background and bands differ.
        let row = &raw[120 * 901 + 1..121 * 901];
        let distinct: std::collections::HashSet<&[u8]> = row.chunks(3).collect();
        assert!(distinct.len() >= 3, "{distinct:?}");
    }

    #[tokio::test]
    async fn rejects_degenerate_sizes() {
        let req = ImageRequest {
            prompt: "x".into(),
            negative_prompt: None,
            width: 0,
            height: 10,
        };
        assert!(matches!(
            OfflineImages.generate(&req).await,
            Err(ProviderError::Permanent(_))
        ));
        let tiny = ImageRequest {
            width: 1,
            height: 1,
            ..req
        };
        let (_, idat, _) = parse_png(&OfflineImages.generate(&tiny).await.expect("1x1").bytes);
        assert_eq!(inflate_stored(&idat).len(), 4);
    }
}
