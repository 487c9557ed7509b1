//! Local keyword grouping: the deterministic, near-linear first step of
//! keyword auto-clustering. It turns any number of keywords (far more than
//! would fit in a prompt) into candidate groups without ever comparing all
//! pairs.
//!
//! # Algorithm
//!
//! 1. **Canonical order.** Inputs are stably sorted by id; for duplicate ids
//!    only the first occurrence (in input order) is kept, the rest are
//!    ignored and appear nowhere in the output. Everything after this point
//!    depends only on the sorted list, so the same input in any order gives
//!    the same output (with duplicate ids, "the same input" means the same
//!    first occurrence per id).
//! 2. **Text.** [`normalize_keyword`] (NFC, lower case, collapsed spaces);
//!    Latin letters lose their diacritics ("cafetière" → "cafetiere");
//!    apostrophes are dropped ("women's" → "womens") and every other
//!    non-alphanumeric character splits tokens. A keyword whose normalised
//!    text is empty is always unclustered (it is not even linked through its
//!    parent keyword).
//!    Tokens take their American spelling ([`lexicon`]), then the batch's
//!    own evidence rewrites them ([`variants`]): a token that another
//!    keyword writes as two adjacent tokens is split ("skincare" / "skin
//!    care"), a rare token that is not a real word, one edit from a
//!    frequent token of the batch, is corrected ("expresso" → espresso),
//!    and an acronym used like the words it abbreviates is written out
//!    ("5k pb" / "5k personal best").
//!    Intent ([`intent`]) is read from the tokens (a question links as a
//!    how-to), content tokens become concepts ([`lexicon`]); two words
//!    sharing a WordNet synset at any rank become one concept when the
//!    batch uses them with the same other words ([`senses`]: "christmas
//!    jumper" / "christmas sweater"); and an ambiguous word keeps only the
//!    concepts other keywords of the batch name unambiguously, when some but
//!    not all are ("one sense per batch": "bike" is a bicycle where the
//!    batch says "bicycle").
//! 3. **Stemming.** [`stem`] is a light English suffix stripper (plural `-s`,
//!    `-es`, `-ies`; `-ing`, `-ed`, `-ied`, `-er`, `-ly`; undoubling of a
//!    final double consonant; a final silent `-e`). It only aims to map
//!    variants of one word to one form, not to produce real words.
//! 4. **Stop words.** Function words and search-intent modifiers ("the", "a",
//!    "for", "in", "to", "of", "and", "best", "how", "what", "learn",
//!    "near", "me", "vs", …) stay in the keyword text but do not take part
//!    in similarity. A keyword made only of stop words uses them all.
//! 5. **Features.** Every content stem gives one word feature plus the
//!    character 3-grams of `^stem$` (word boundaries marked), which also
//!    catch variants the stemmer misses and typos. Features are interned to
//!    `u32` ids (n-grams packed into a `u64` key, words through a string
//!    table; hashing uses a small hand-written Fx-style hasher).
//! 6. **Weights.** Damped TF-IDF: `(1 + ln tf) · √(ln((N + 1) / (df + 1)) + 1)`,
//!    word features boosted ×[`WORD_BOOST`], then each vector is
//!    L2-normalised, so a dot product is the cosine. The square root keeps
//!    a rare modifier ("cheap", "trail") from outweighing the shared topic
//!    words, which matters most in small sets.
//! 7. **Candidates, not all pairs.** Keywords are first put in a
//!    locality order — sorted by (intent, MinHash key of their stems) — so
//!    that keywords likely to be each other's candidates sit close in
//!    memory; results map back to the canonical order at the end. An
//!    inverted index maps each (feature, intent class) to the keywords of
//!    that intent containing the feature (keywords of different intents are
//!    never linked, so they never spend each other's budget). For each
//!    keyword its features are visited heaviest (= rarest) first,
//!    accumulating partial dot products into a scratch array, skipping lists
//!    longer than `max_posting`, until either the norm of the unvisited rest
//!    drops below `threshold` (Cauchy–Schwarz: nothing reachable only
//!    through the rest can qualify) or a per-keyword budget of `max_posting`
//!    posting entries is spent. The partial dot is a lower bound of the
//!    cosine (weights are non-negative) and the rest can add at most
//!    `min(‖x_rest‖, Σ x_f · max_weight_f)`; candidates are scored exactly
//!    (dense scratch of the keyword's weights, one pass over the
//!    candidate's features) in descending order of partial dot, stopping
//!    when the bound can no longer beat the current k-th best, and at most
//!    `max(8 · top_k, 64)` of them. When the lists did not cover the
//!    keyword (a keyword made only of common words, whose lists are too long
//!    to visit), its *sorted neighbourhoods* fill in: keywords are sorted
//!    in `FOREST` (4) orders by (intent, a key of `MINHASH_PARTS` (4)
//!    concatenated MinHash values of their stems), and the `WINDOW` (8)
//!    keywords on each side of the keyword in each order are scored exactly
//!    too. Keywords sharing most stems share most MinHash values, hence a
//!    long key prefix, hence nearby positions (the LSH-forest idea). Per
//!    keyword the work is therefore bounded by constants (posting budget,
//!    exact-scoring limit, windows), so total time grows linearly and a
//!    common head term never leaves its keywords without candidates.
//! 8. **Edges.** Each keyword keeps its `top_k` best neighbours with cosine ≥
//!    `threshold` (ties broken by canonical position). The candidate pass
//!    runs on all available cores over interleaved blocks; each keyword's
//!    result is independent of the split.
//! 9. **Linking.** Components are built in this order:
//!    - *parent keywords* first, unconditionally: keywords sharing a
//!      (normalised) parent keyword are linked regardless of similarity, and
//!      so is a keyword whose own text is another keyword's parent;
//!    - keywords with identical stem bags (cosine 1) are linked directly
//!      (this also keeps huge exact-duplicate sets together when all their
//!      features exceed the posting cap);
//!    - the kNN edges, strongest first (cosine desc, then positions), with
//!      *centroid linkage*: two components merge only if the cosine of their
//!      centroids (sums of member vectors) is ≥ `threshold`. For two single
//!      keywords this is exactly the pairwise test of single linkage; for
//!      larger components it stops the chaining single linkage is prone to
//!      (an "A vs B" keyword would otherwise bridge topic A and topic B, and
//!      through them everything).
//! 10. **Components.** Components with at least `max(min_cluster_size, 2)`
//!     keywords become [`Group`]s; all others — singletons always — are
//!     listed in [`Grouping::unclustered`]. Every kept input id appears
//!     exactly once.
//!
//! # Ordering
//!
//! A group is named after its highest-volume keyword (ties: alphabetical by
//! keyword text, then by id); its `keyword_ids` are highest volume first,
//! ties by id. Groups are ordered by `total_volume` (descending), ties by
//! name, then by first id. `unclustered` is highest volume first, ties by id.
//!
//! # Cost
//!
//! Features, index and edge sort are linear (the MinHash orders and the
//! edge sort `n log n`). The candidate pass is at most `max_posting`
//! posting visits plus `max(8 · top_k, 64) + 2 · WINDOW · FOREST` exact
//! scorings per keyword. Centroid merges cost the size of the two centroids
//! per merge attempt. Measured (bench profile, 2 cores,
//! `benches/clustering.rs`): see the README.

pub mod eval;
pub mod intent;
pub mod lexicon;
pub mod refine;
pub mod senses;
pub mod variants;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::planner::normalize::normalize_keyword;

/// Multiplier on word (whole-stem) features relative to character 3-grams:
/// sharing a whole word counts for more than sharing a few letters.
pub const WORD_BOOST: f32 = 1.0;

/// Tolerance on the threshold comparison so that identical vectors (cosine 1
/// up to rounding) pass `threshold = 1.0`.
const EPS: f32 = 1e-5;

/// Exact scoring is limited to the best `max(8 · top_k, MIN_EXACT)`
/// candidates by partial dot product (only matters when unvisited features
/// leave the partial dot inexact).
const MIN_EXACT: usize = 64;

/// Below this many keywords the candidate pass runs on one thread.
const PARALLEL_MIN: usize = 4096;

/// One keyword to group.
#[derive(Debug, Clone)]
pub struct ClusterInput {
    pub id: String,
    pub keyword: String,
    pub volume: u64,
    /// Parent keyword (e.g. from an Ahrefs export); keywords sharing one are
    /// always grouped together.
    pub parent_keyword: Option<String>,
}

/// Tuning of [`group_keywords`].
#[derive(Debug, Clone, Copy)]
pub struct ClusterParams {
    /// Minimum cosine similarity for a neighbour link (default 0.5). NaN is
    /// treated as the default; values above 1 leave only parent links.
    pub threshold: f32,
    /// Neighbours kept per keyword (default 10); 0 disables similarity links.
    pub top_k: usize,
    /// Posting lists (per feature and intent) longer than this are not
    /// visited; also the number of posting entries visited per keyword
    /// (default 300). The sorted neighbourhoods cover what they skip.
    pub max_posting: usize,
    /// A keyword left alone by the linkage joins the group of its best
    /// same-intent neighbour when their cosine is at least this (default
    /// 0.5; NaN or a value ≥ `threshold` turns it off).
    pub attach: f32,
    /// Smallest component reported as a group (default 2; values below 2
    /// are treated as 2 — singletons are always unclustered).
    pub min_cluster_size: usize,
}

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams {
            threshold: 0.75,
            attach: 0.5,
            top_k: 10,
            max_posting: 300,
            min_cluster_size: 2,
        }
    }
}

/// One group of related keywords.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Group {
    /// Named after its highest-volume keyword (ties: alphabetical).
    pub name: String,
    /// Highest volume first, ties by id.
    pub keyword_ids: Vec<String>,
    pub total_volume: u64,
}

/// The result of [`group_keywords`].
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Grouping {
    /// Largest `total_volume` first, ties by name.
    pub groups: Vec<Group>,
    /// Ids of keywords in no group: highest volume first, ties by id.
    pub unclustered: Vec<String>,
}

// ---------------------------------------------------------------------------
// Hashing

/// Fx-style multiplicative hasher with a final avalanche (the plain Fx
/// product leaves the low bits, which pick the bucket, depending only on the
/// low input bits — bad for packed n-gram keys).
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b) ^ ((rest.len() as u64) << 56));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

// ---------------------------------------------------------------------------
// Text

/// Words that stay in the keyword text but take no part in similarity:
/// function words and search-intent modifiers.
pub(crate) fn is_stop_word(w: &str) -> bool {
    matches!(
        w,
        "a" | "an"
            | "the"
            | "and"
            | "or"
            | "for"
            | "in"
            | "on"
            | "to"
            | "of"
            | "with"
            | "without"
            | "by"
            | "at"
            | "from"
            | "into"
            | "about"
            | "is"
            | "are"
            | "was"
            | "be"
            | "do"
            | "does"
            | "can"
            | "i"
            | "my"
            | "your"
            | "you"
            | "it"
            | "its"
            | "this"
            | "that"
            | "best"
            | "top"
            | "how"
            | "what"
            | "why"
            | "when"
            | "where"
            | "which"
            | "who"
            | "learn"
            | "guide"
            | "near"
            | "me"
            | "vs"
            | "versus"
    )
}

/// Tokens of normalised text: alphanumeric runs; apostrophes are dropped
/// (joined), every other character separates tokens.
fn tokenize(text: &str, out: &mut Vec<String>) {
    out.clear();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() && c > '\u{7f}' && c < '\u{250}' {
            // Latin letters lose their diacritics: "cafetière" → "cafetiere"
            cur.extend(std::iter::once(c).nfd().filter(|d| !unicode_normalization::char::is_combining_mark(*d)));
        } else if c.is_alphanumeric() {
            cur.push(c);
        } else if c == '\'' || c == '\u{2019}' {
            // joined: "women's" → "womens"
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

fn has_vowel(s: &str) -> bool {
    s.chars().any(|c| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y'))
}

/// Light English stemming: maps variants of a word to one (not necessarily
/// real) form. Lower-cases its input. Words of three characters or fewer are
/// returned unchanged.
///
/// Steps: plural (`-sses` → `-ss`, `-ies` → `-y`, `-s` unless `-ss`/`-us`/
/// `-is`); then one of `-ied` → `-y`, `-ing`, `-ed` (not `-eed`), `-er`,
/// `-ly` when at least three characters with a vowel remain; a final double
/// consonant left by `-ing`/`-ed`/`-er` is undoubled (not `ll`, `ss`, `zz`);
/// finally a silent `-e` (not `-ee`) is dropped. So "shoes", "shoe" → "sho";
/// "running", "runner", "runs" → "run"; "baked", "baking", "bake" → "bak".
pub fn stem(word: &str) -> String {
    let mut w = word.to_lowercase();
    if char_len(&w) <= 3 {
        return w;
    }
    // 1. plurals
    if w.ends_with("sses") {
        w.truncate(w.len() - 2);
    } else if w.ends_with("ies") && char_len(&w) > 4 {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        w.truncate(w.len() - 1);
    }
    // 2. one verb / comparative / adverb suffix
    let ok_stem = |s: &str| char_len(s) >= 3 && has_vowel(s);
    let mut undouble = false;
    if w.ends_with("ied") && char_len(&w) > 4 {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.ends_with("ing") && ok_stem(&w[..w.len() - 3]) {
        w.truncate(w.len() - 3);
        undouble = true;
    } else if ((w.ends_with("ed") && !w.ends_with("eed")) || (w.ends_with("er") && !w.ends_with("eer")))
        && ok_stem(&w[..w.len() - 2])
    {
        w.truncate(w.len() - 2);
        undouble = true;
    } else if w.ends_with("ly") && ok_stem(&w[..w.len() - 2]) {
        w.truncate(w.len() - 2);
    }
    // 3. undouble a final double consonant ("runn" → "run")
    if undouble {
        let mut it = w.chars().rev();
        if let (Some(a), Some(b)) = (it.next(), it.next())
            && a == b
            && a.is_ascii_alphabetic()
            && !matches!(a, 'a' | 'e' | 'i' | 'o' | 'u' | 'l' | 's' | 'z')
        {
            w.pop();
        }
    }
    // 4. silent final e
    if w.ends_with('e') && !w.ends_with("ee") && char_len(&w) > 3 {
        w.pop();
    }
    w
}

// ---------------------------------------------------------------------------
// Union-find

struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind { parent: (0..n as u32).collect(), size: vec![1; n] }
    }
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (big, small) = if self.size[ra as usize] >= self.size[rb as usize] { (ra, rb) } else { (rb, ra) };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
    }
}

// ---------------------------------------------------------------------------
// Vectors and index

/// Sparse L2-normalised vectors in CSR form (rows sorted by feature id),
/// plus the inverted index.
struct Model {
    offsets: Vec<usize>,
    feats: Vec<u32>,
    weights: Vec<f32>,
    /// Largest weight a feature has in any vector.
    max_weight: Vec<f32>,
    /// Posting lists, per (feature, intent class) at `f · INTENTS + class`:
    /// the keywords of that class containing the feature, in order.
    post_offsets: Vec<usize>,
    post_docs: Vec<u32>,
    post_weights: Vec<f32>,
    n_features: usize,
    /// Intent class per keyword: only keywords of one class are linked.
    intent: Vec<u8>,
    /// Sorted-neighbourhood orders (`FOREST` (4) of them): keywords sorted by
    /// (intent, MinHash key of their word features, index); `forest_pos`
    /// gives each keyword's position in each order.
    forest: Vec<Vec<u32>>,
    forest_pos: Vec<Vec<u32>>,
}

impl Model {
    fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.offsets[i], self.offsets[i + 1]);
        (&self.feats[a..b], &self.weights[a..b])
    }
}

const WORD_TAG: u64 = 1 << 63;

/// Packs a 3-gram of chars into a key (21 bits per char; bit 63 clear).
#[inline]
fn gram_key(a: char, b: char, c: char) -> u64 {
    (u64::from(a as u32) << 42) | (u64::from(b as u32) << 21) | u64::from(c as u32)
}

/// Builds the model for `stems[i]` (content stems per keyword) of intent
/// classes `intent[i]` with MinHash keys `keys[i]`.
fn build_model(stems: &[&[(String, f32)]], intent: &[u8], keys: &[[u64; FOREST]]) -> Model {
    let n = stems.len();
    let mut word_ids: FxMap<String, u32> = FxMap::default();
    let mut feat_ids: FxMap<u64, u32> = FxMap::default();
    let mut df: Vec<u32> = Vec::new();
    let mut is_word: Vec<bool> = Vec::new();

    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0usize);
    let mut feats: Vec<u32> = Vec::new();
    let mut tfs: Vec<f32> = Vec::new();
    let mut row: Vec<(u32, f32)> = Vec::new();
    let mut chars: Vec<char> = Vec::new();

    let mut intern = |key: u64, word: bool, df: &mut Vec<u32>, is_word: &mut Vec<bool>| -> u32 {
        let next = df.len() as u32;
        let id = *feat_ids.entry(key).or_insert(next);
        if id == next {
            df.push(0);
            is_word.push(word);
        }
        id
    };

    for doc in stems {
        row.clear();
        for (s, weight) in doc.iter() {
            let weight = *weight;
            let wid = match word_ids.get(s.as_str()) {
                Some(&id) => id,
                None => {
                    let id = word_ids.len() as u32;
                    word_ids.insert(s.clone(), id);
                    id
                }
            };
            row.push((intern(WORD_TAG | u64::from(wid), true, &mut df, &mut is_word), weight));
            chars.clear();
            chars.push('^');
            chars.extend(s.chars());
            chars.push('$');
            for g in chars.windows(3) {
                row.push((intern(gram_key(g[0], g[1], g[2]), false, &mut df, &mut is_word), weight));
            }
        }
        row.sort_unstable_by_key(|e| e.0);
        let mut k = 0;
        while k < row.len() {
            let f = row[k].0;
            let mut tf = 0f32;
            while k < row.len() && row[k].0 == f {
                tf += row[k].1;
                k += 1;
            }
            feats.push(f);
            tfs.push(tf);
            df[f as usize] += 1;
        }
        offsets.push(feats.len());
    }

    let n_features = df.len();
    let docs_with_features = offsets.windows(2).filter(|w| w[1] > w[0]).count() as f32;
    let idf: Vec<f32> = df
        .iter()
        .zip(&is_word)
        .map(|(&d, &word)| {
            let v = (((docs_with_features + 1.0) / (d as f32 + 1.0)).ln() + 1.0).sqrt();
            if word { v * WORD_BOOST } else { v }
        })
        .collect();

    // weights and normalisation
    let mut weights = vec![0f32; feats.len()];
    let mut max_weight = vec![0f32; n_features];
    for i in 0..n {
        let (a, b) = (offsets[i], offsets[i + 1]);
        let mut sq = 0f32;
        for k in a..b {
            let tf = tfs[k];
            let w = if tf >= 1.0 { 1.0 + tf.ln() } else { tf } * idf[feats[k] as usize];
            weights[k] = w;
            sq += w * w;
        }
        let norm = sq.sqrt();
        let inv = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        for k in a..b {
            weights[k] *= inv;
            let m = &mut max_weight[feats[k] as usize];
            *m = m.max(weights[k]);
        }
    }

    // inverted index: one posting list per (feature, intent class), in
    // keyword order
    let mut post_offsets = vec![0usize; n_features * INTENTS + 1];
    for i in 0..n {
        for &f in &feats[offsets[i]..offsets[i + 1]] {
            post_offsets[f as usize * INTENTS + usize::from(intent[i]) + 1] += 1;
        }
    }
    for k in 1..post_offsets.len() {
        post_offsets[k] += post_offsets[k - 1];
    }
    let total = post_offsets[n_features * INTENTS];
    let mut post_docs = vec![0u32; total];
    let mut post_weights = vec![0f32; total];
    let mut fill: Vec<usize> = post_offsets[..n_features * INTENTS].to_vec();
    for i in 0..n {
        for k in offsets[i]..offsets[i + 1] {
            let slot = &mut fill[feats[k] as usize * INTENTS + usize::from(intent[i])];
            post_docs[*slot] = i as u32;
            post_weights[*slot] = weights[k];
            *slot += 1;
        }
    }

    // sorted-neighbourhood orders
    let mut forest = Vec::with_capacity(FOREST);
    let mut forest_pos = Vec::with_capacity(FOREST);
    for t in 0..FOREST {
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_unstable_by_key(|&i| (intent[i as usize], keys[i as usize][t], i));
        let mut pos = vec![0u32; n];
        for (p, &i) in order.iter().enumerate() {
            pos[i as usize] = p as u32;
        }
        forest.push(order);
        forest_pos.push(pos);
    }

    Model {
        offsets,
        feats,
        weights,
        max_weight,
        post_offsets,
        post_docs,
        post_weights,
        n_features,
        intent: intent.to_vec(),
        forest,
        forest_pos,
    }
}

/// Number of intent classes ([`intent::Intent`] values).
const INTENTS: usize = 9;

/// Number of sorted-neighbourhood orders (independent MinHash keys).
const FOREST: usize = 4;
/// MinHash values concatenated into one sort key (16 bits each).
const MINHASH_PARTS: usize = 4;
/// Keywords taken on each side of a keyword's position in each order.
const WINDOW: usize = 8;

/// MinHash sort keys of each keyword's content stems, one per order: the
/// minimum of `MINHASH_PARTS` (4) seeded hashes of its stems, 16 bits each,
/// concatenated. Keywords sharing most stems share a long key prefix.
fn minhash_keys(stems: &[Vec<(String, f32)>]) -> Vec<[u64; FOREST]> {
    let bits = 64 / MINHASH_PARTS;
    let mut hashes: Vec<u64> = Vec::new();
    stems
        .iter()
        .map(|doc| {
            hashes.clear();
            hashes.extend(doc.iter().map(|(s, _)| {
                let mut h = FxHasher::default();
                h.write(s.as_bytes());
                h.finish()
            }));
            let mut keys = [0u64; FOREST];
            for (t, key) in keys.iter_mut().enumerate() {
                for j in 0..MINHASH_PARTS {
                    let seed = mix64(0x9e37_79b9_7f4a_7c15 ^ ((t as u64) << 32) ^ j as u64);
                    let m = hashes.iter().map(|&h| mix64(h ^ seed)).min().unwrap_or(u64::MAX);
                    *key = (*key << bits) | (m >> (64 - bits));
                }
            }
            keys
        })
        .collect()
}

/// SplitMix64 finaliser: a well-mixed 64-bit hash of `x`.
#[inline]
fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Per-thread scratch space of the candidate pass.
struct Scratch {
    acc: Vec<f32>,
    touched: Vec<u32>,
    dense: Vec<f32>,
    scored: Vec<(f32, u32)>,
    cands: Vec<(f32, u32)>,
    order: Vec<u32>,
    /// `i + 1` for keywords already scored for keyword `i`.
    mark: Vec<u32>,
}

impl Scratch {
    fn new(model: &Model) -> Self {
        Scratch {
            acc: vec![0.0; model.offsets.len() - 1],
            touched: Vec::new(),
            dense: vec![0.0; model.n_features],
            scored: Vec::new(),
            cands: Vec::new(),
            order: Vec::new(),
            mark: vec![0; model.offsets.len() - 1],
        }
    }
}

/// A similarity link found by the candidate pass.
#[derive(Clone, Copy)]
struct Edge {
    score: f32,
    a: u32,
    b: u32,
}

/// Appends similarity edges for keywords `range` to `edges`: for each, its
/// `top_k` best neighbours with cosine ≥ `threshold`. Leaves `s` zeroed.
///
/// Two bounded sources of candidates, both restricted to the keyword's own
/// intent:
///
/// - *posting lists*: the keyword's features are visited heaviest (rarest)
///   first, each through its intent's range of the feature's list, skipping
///   ranges longer than `max_posting`, until either the norm of the
///   unvisited rest drops below `threshold` (Cauchy–Schwarz: nothing
///   reachable only through the rest can qualify) or the per-keyword budget
///   of `max_posting` posting entries is spent. As weights are non-negative
///   the accumulated dot is a lower bound of each candidate's cosine, and
///   the rest can add at most `bound = min(‖x_rest‖, Σ x_f · max_weight_f)`.
///   Candidates are scored exactly in descending order of their partial
///   dot, stopping as soon as `partial + bound` cannot beat the current
///   k-th best score; when the bound is not zero only the best
///   `max(8 · top_k, MIN_EXACT)` candidates by partial dot are scored.
/// - *sorted neighbourhoods*: the `WINDOW` keywords on each side of the
///   keyword in each of the `FOREST` MinHash orders are scored exactly.
///   These find the neighbours of keywords made only of common words, whose
///   lists are too long to visit (keywords sharing most of their words
///   share most MinHash values, hence a long key prefix).
///
/// Per keyword the work is bounded by constants, so total time is linear.
fn neighbour_edges(
    model: &Model,
    s: &mut Scratch,
    range: std::ops::Range<usize>,
    threshold: f32,
    top_k: usize,
    max_posting: usize,
    edges: &mut Vec<Edge>,
) {
    let min_score = threshold - EPS;
    let budget = max_posting.max(1);
    for i in range {
        let (fx, wx) = model.row(i);
        if fx.is_empty() {
            continue;
        }
        let intent = model.intent[i];
        let stamp = i as u32 + 1;
        s.order.clear();
        s.order.extend(0..fx.len() as u32);
        s.order.sort_unstable_by(|&p, &q| wx[q as usize].total_cmp(&wx[p as usize]).then(p.cmp(&q)));
        let mut rest_sq: f32 = wx.iter().map(|w| w * w).sum();
        let mut spent = 0usize;
        let mut stop = false;
        let mut rest_sq_at_stop = 0f32;
        let mut rest_max = 0f32;
        for &k in &s.order {
            let (f, w) = (fx[k as usize], wx[k as usize]);
            s.dense[f as usize] = w;
            // this intent's list of the feature
            let key = f as usize * INTENTS + usize::from(intent);
            let (lo, hi) = (model.post_offsets[key], model.post_offsets[key + 1]);
            let df = hi - lo;
            if !stop && rest_sq.max(0.0).sqrt() < min_score {
                stop = true;
            }
            if !stop && df <= max_posting && spent + df > budget && spent > 0 {
                stop = true;
            }
            if stop || df > max_posting {
                rest_sq_at_stop += w * w;
                rest_max += w * model.max_weight[f as usize];
                continue;
            }
            rest_sq -= w * w;
            spent += df;
            for (&j, &wy) in model.post_docs[lo..hi].iter().zip(&model.post_weights[lo..hi]) {
                let slot = &mut s.acc[j as usize];
                if *slot == 0.0 {
                    s.touched.push(j);
                }
                *slot += w * wy;
            }
        }
        let bound = rest_sq_at_stop.max(0.0).sqrt().min(rest_max);
        s.cands.clear();
        for &j in &s.touched {
            let partial = s.acc[j as usize];
            s.acc[j as usize] = 0.0;
            if j as usize != i && partial + bound >= min_score {
                s.cands.push((partial, j));
            }
        }
        s.touched.clear();
        let limit = top_k.saturating_mul(8).max(MIN_EXACT);
        if bound > 0.0 && s.cands.len() > limit {
            s.cands.select_nth_unstable_by(limit - 1, score_order);
            s.cands.truncate(limit);
        }
        s.cands.sort_unstable_by(score_order);
        // top-k so far as a min-heap-like sorted vec (small k)
        s.scored.clear();
        s.mark[i] = stamp;
        let mut kth = min_score;
        let exact = |s: &Scratch, j: u32| {
            let (fy, wy) = model.row(j as usize);
            fy.iter().zip(wy).map(|(&f, &w)| s.dense[f as usize] * w).sum::<f32>()
        };
        let push = |s: &mut Scratch, kth: &mut f32, dot: f32, j: u32| {
            s.mark[j as usize] = stamp;
            if dot >= min_score {
                s.scored.push((dot, j));
                if s.scored.len() >= top_k.max(1).saturating_mul(4) {
                    prune_top(&mut s.scored, top_k);
                }
                if s.scored.len() >= top_k {
                    *kth = kth.max(kth_best(&mut s.scored, top_k));
                }
            }
        };
        for c in 0..s.cands.len() {
            let (partial, j) = s.cands[c];
            if partial + bound < kth {
                break;
            }
            let dot = if bound > 0.0 { exact(s, j) } else { partial };
            push(s, &mut kth, dot, j);
        }
        // sorted neighbourhoods
        if bound > 0.0 {
            for (order, pos) in model.forest.iter().zip(&model.forest_pos) {
                let p = pos[i] as usize;
                let near = order[p.saturating_sub(WINDOW)..(p + WINDOW + 1).min(order.len())].iter();
                for &j in near {
                    if s.mark[j as usize] != stamp && model.intent[j as usize] == intent {
                        let dot = exact(s, j);
                        push(s, &mut kth, dot, j);
                    }
                }
            }
        }
        for &f in fx {
            s.dense[f as usize] = 0.0;
        }
        prune_top(&mut s.scored, top_k);
        edges.extend(s.scored.iter().map(|&(score, j)| Edge { score, a: i as u32, b: j }));
    }
}

fn score_order(x: &(f32, u32), y: &(f32, u32)) -> std::cmp::Ordering {
    y.0.total_cmp(&x.0).then(x.1.cmp(&y.1))
}

/// Keeps the best `k` of `v` (score desc, index asc), unordered.
fn prune_top(v: &mut Vec<(f32, u32)>, k: usize) {
    if v.len() > k {
        if k == 0 {
            v.clear();
            return;
        }
        v.select_nth_unstable_by(k - 1, score_order);
        v.truncate(k);
    }
}

/// The k-th best score in `v` (requires `v.len() >= k >= 1`).
fn kth_best(v: &mut [(f32, u32)], k: usize) -> f32 {
    let k = k.max(1).min(v.len());
    v.select_nth_unstable_by(k - 1, score_order);
    v[k - 1].0
}

// ---------------------------------------------------------------------------
// Centroid linkage

/// Components of the similarity phase with their (unnormalised) centroid
/// sums, so that two components merge only when they are similar as wholes.
struct Agglomeration<'m> {
    uf: UnionFind,
    model: &'m Model,
    /// Sum of member vectors, sorted by feature id; `None` for singletons
    /// (their centroid is their row).
    sums: Vec<Option<Vec<(u32, f32)>>>,
    norm_sq: Vec<f32>,
    /// Intent class per component root.
    intent: Vec<u8>,
}

/// Dot product of two feature-sorted sparse vectors.
fn sparse_dot(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (small, big) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut dot = 0f32;
    if small.len() * 8 < big.len() {
        for &(f, w) in small {
            if let Ok(k) = big.binary_search_by_key(&f, |e| e.0) {
                dot += w * big[k].1;
            }
        }
    } else {
        let (mut x, mut y) = (0, 0);
        while x < small.len() && y < big.len() {
            match small[x].0.cmp(&big[y].0) {
                std::cmp::Ordering::Less => x += 1,
                std::cmp::Ordering::Greater => y += 1,
                std::cmp::Ordering::Equal => {
                    dot += small[x].1 * big[y].1;
                    x += 1;
                    y += 1;
                }
            }
        }
    }
    dot
}

impl<'m> Agglomeration<'m> {
    fn new(model: &'m Model, n: usize) -> Self {
        let norm_sq = (0..n).map(|i| model.row(i).1.iter().map(|w| w * w).sum()).collect();
        Agglomeration { uf: UnionFind::new(n), model, sums: vec![None; n], norm_sq, intent: model.intent.clone() }
    }

    fn sum_of(&self, root: u32, buf: &mut Vec<(u32, f32)>) -> Option<usize> {
        match &self.sums[root as usize] {
            Some(_) => None,
            None => {
                buf.clear();
                let (f, w) = self.model.row(root as usize);
                buf.extend(f.iter().copied().zip(w.iter().copied()));
                Some(buf.len())
            }
        }
    }

    /// Cosine of the centroids of the components of `a` and `b` (`None` if
    /// they are already one component).
    fn centroid_cosine(&mut self, a: u32, b: u32, bufs: &mut [Vec<(u32, f32)>; 2]) -> Option<(u32, u32, f32)> {
        let (ra, rb) = (self.uf.find(a), self.uf.find(b));
        if ra == rb {
            return None;
        }
        let [ba, bb] = bufs;
        self.sum_of(ra, ba);
        self.sum_of(rb, bb);
        let va: &[(u32, f32)] = self.sums[ra as usize].as_deref().unwrap_or(ba);
        let vb: &[(u32, f32)] = self.sums[rb as usize].as_deref().unwrap_or(bb);
        let denom = (self.norm_sq[ra as usize] * self.norm_sq[rb as usize]).sqrt();
        let cos = if denom > 0.0 { sparse_dot(va, vb) / denom } else { 0.0 };
        Some((ra, rb, cos))
    }

    fn merge(&mut self, ra: u32, rb: u32, bufs: &mut [Vec<(u32, f32)>; 2]) {
        let [ba, bb] = bufs;
        self.sum_of(ra, ba);
        self.sum_of(rb, bb);
        let sa = self.sums[ra as usize].take();
        let sb = self.sums[rb as usize].take();
        let va: &[(u32, f32)] = sa.as_deref().unwrap_or(ba);
        let vb: &[(u32, f32)] = sb.as_deref().unwrap_or(bb);
        let mut merged = Vec::with_capacity(va.len() + vb.len());
        let (mut x, mut y) = (0, 0);
        while x < va.len() || y < vb.len() {
            if y >= vb.len() || (x < va.len() && va[x].0 < vb[y].0) {
                merged.push(va[x]);
                x += 1;
            } else if x >= va.len() || vb[y].0 < va[x].0 {
                merged.push(vb[y]);
                y += 1;
            } else {
                merged.push((va[x].0, va[x].1 + vb[y].1));
                x += 1;
                y += 1;
            }
        }
        let nsq = merged.iter().map(|e| e.1 * e.1).sum();
        let intent = self.intent[ra as usize];
        self.uf.union(ra, rb);
        let root = self.uf.find(ra);
        self.intent[root as usize] = intent;
        self.sums[root as usize] = Some(merged);
        self.norm_sq[root as usize] = nsq;
    }

    /// Merges the components of `a` and `b` if their centroids have cosine
    /// ≥ `min_score` (or unconditionally when `force`).
    fn link(&mut self, a: u32, b: u32, min_score: f32, force: bool, bufs: &mut [Vec<(u32, f32)>; 2]) {
        if let Some((ra, rb, cos)) = self.centroid_cosine(a, b, bufs)
            && (force || (cos >= min_score && self.intent[ra as usize] == self.intent[rb as usize]))
        {
            self.merge(ra, rb, bufs);
        }
    }
}

// ---------------------------------------------------------------------------
// Entry point

/// Groups keywords by textual similarity and shared parent keywords. See the
/// module documentation for the algorithm. Never panics; every input id
/// (first occurrence of each id) appears exactly once in the output.
pub fn group_keywords(items: &[ClusterInput], params: &ClusterParams) -> Grouping {
    // 1. canonical order; first occurrence per id
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| items[a].id.cmp(&items[b].id)); // stable
    order.dedup_by(|b, a| items[*a].id == items[*b].id);
    let docs: Vec<&ClusterInput> = order.iter().map(|&k| &items[k]).collect();
    let n = docs.len();
    if n == 0 {
        return Grouping { groups: Vec::new(), unclustered: Vec::new() };
    }
    if n > u32::MAX as usize - 1 {
        // Out of the u32 index range: refuse to group rather than panic.
        return finish(&docs, &mut UnionFind::new(0), &vec![false; n], 2);
    }

    let threshold = if params.threshold.is_nan() { ClusterParams::default().threshold } else { params.threshold };
    let top_k = params.top_k;
    let attach = if params.attach.is_nan() { threshold } else { params.attach };
    let max_posting = params.max_posting;

    // 2–4. text, tokens, content stems
    let texts: Vec<String> = docs.iter().map(|d| normalize_keyword(&d.keyword)).collect();
    let active: Vec<bool> = texts.iter().map(|t| !t.is_empty()).collect();
    let mut tokens = Vec::new();
    let mut intents: Vec<u8> = Vec::with_capacity(n);
    let lex = lexicon::lexicon();
    let mut batch: Vec<Vec<String>> = texts
        .iter()
        .map(|t| {
            tokenize(t, &mut tokens);
            tokens.iter().map(|w| lex.american(w).to_string()).collect()
        })
        .collect();
    variants::normalise_batch(&mut batch);
    let mut classified: Vec<intent::Intent> = batch.iter().map(|t| intent::classify(t)).collect();
    intent::gerunds_asked_how(&batch, &mut classified);
    intents.extend(classified.iter().map(|i| i.linked_as() as u8));
    let mut sources: Vec<Vec<String>> = Vec::with_capacity(n);
    let mut concepts: Vec<Vec<(String, f32, u32)>> = batch
        .into_iter()
        .map(|tokens| {
            let content: Vec<String> =
                tokens.iter().filter(|w| !is_stop_word(w) && !intent::is_marker(w)).cloned().collect();
            let content = if content.is_empty() { tokens.clone() } else { content };
            let (mut out, mut words) = (Vec::new(), Vec::new());
            lexicon::conceptualize_words(&content, &mut out, &mut words);
            sources.push(words);
            out
        })
        .collect();
    senses::merge_rare_senses(&mut concepts, &sources);
    drop(sources);
    disambiguate(&mut concepts);
    let stems: Vec<Vec<(String, f32)>> =
        concepts.iter().map(|doc| doc.iter().map(|(c, w, _)| (stem(c), *w)).collect()).collect();

    // 9. parent keywords: forced links, applied before similarity
    let mut parent_links: Vec<(u32, u32)> = Vec::new();
    let mut by_parent: FxMap<String, u32> = FxMap::default();
    for (i, d) in docs.iter().enumerate() {
        if !active[i] {
            continue;
        }
        if let Some(p) = &d.parent_keyword {
            let p = normalize_keyword(p);
            if p.is_empty() {
                continue;
            }
            match by_parent.get(&p) {
                Some(&r) => parent_links.push((r, i as u32)),
                None => {
                    by_parent.insert(p, i as u32);
                }
            }
        }
    }
    for i in 0..n {
        if active[i]
            && let Some(&r) = by_parent.get(&texts[i])
            && r as usize != i
        {
            parent_links.push((r, i as u32));
        }
    }

    let mut uf = if top_k > 0 && threshold <= 1.0 + EPS {
        similarity_components(&stems, &intents, &parent_links, threshold, attach, top_k, max_posting)
    } else {
        let mut uf = UnionFind::new(n);
        for &(a, b) in &parent_links {
            uf.union(a, b);
        }
        uf
    };

    finish(&docs, &mut uf, &active, params.min_cluster_size.max(2))
}

/// One sense per batch: an ambiguous word (several concepts, from the
/// lexicon) keeps only those of its concepts that some keyword of the batch
/// names unambiguously, when there are such concepts and not all of them
/// are ("stroller" is a baby buggy, not a saunterer, in a batch that also
/// says "pram"; "bike" is a bicycle where the batch says "bicycle"). The
/// word's total weight is kept, shared by the remaining concepts.
fn disambiguate(docs: &mut [Vec<(String, f32, u32)>]) {
    let mut support: FxMap<&str, u32> = FxMap::default();
    let single = |doc: &[(String, f32, u32)], k: usize| {
        let src = doc[k].2;
        (k == 0 || doc[k - 1].2 != src) && (k + 1 == doc.len() || doc[k + 1].2 != src)
    };
    for doc in docs.iter() {
        for k in 0..doc.len() {
            if single(doc, k) {
                *support.entry(doc[k].0.as_str()).or_default() += 1;
            }
        }
    }
    let mut keep: Vec<Vec<(String, f32, u32)>> = Vec::with_capacity(docs.len());
    for doc in docs.iter() {
        let mut out = Vec::with_capacity(doc.len());
        let mut k = 0;
        while k < doc.len() {
            let src = doc[k].2;
            let end = k + doc[k..].iter().take_while(|e| e.2 == src).count();
            let sense = &doc[k..end];
            let supported = sense.iter().filter(|e| support.contains_key(e.0.as_str())).count();
            if sense.len() > 1 && supported > 0 && supported < sense.len() {
                let total: f32 = sense.iter().map(|e| e.1).sum();
                let w = total / supported as f32;
                out.extend(sense.iter().filter(|e| support.contains_key(e.0.as_str())).map(|e| (e.0.clone(), w, src)));
            } else {
                out.extend(sense.iter().cloned());
            }
            k = end;
        }
        keep.push(out);
    }
    for (doc, new) in docs.iter_mut().zip(keep) {
        *doc = new;
    }
}

/// Steps 5–8: the similarity phase, as components of a union-find.
fn similarity_components(
    stems: &[Vec<(String, f32)>],
    intents: &[u8],
    parent_links: &[(u32, u32)],
    threshold: f32,
    attach: f32,
    top_k: usize,
    max_posting: usize,
) -> UnionFind {
    let n = stems.len();
    let min_score = threshold - EPS;
    let search = threshold.min(attach);
    // Work in a locality order: keywords sorted by (intent, first MinHash
    // key), so that keywords which are each other's candidates sit close in
    // memory (rows, posting lists, scratch). `perm[p]` is the canonical
    // index of position `p`; results map back at the end.
    let keys = minhash_keys(stems);
    let mut perm: Vec<u32> = (0..n as u32).collect();
    perm.sort_unstable_by_key(|&i| (intents[i as usize], keys[i as usize][0], i));
    let mut inv = vec![0u32; n];
    for (p, &i) in perm.iter().enumerate() {
        inv[i as usize] = p as u32;
    }
    let stems: Vec<&[(String, f32)]> = perm.iter().map(|&i| stems[i as usize].as_slice()).collect();
    let intents: Vec<u8> = perm.iter().map(|&i| intents[i as usize]).collect();
    let keys: Vec<[u64; FOREST]> = perm.iter().map(|&i| keys[i as usize]).collect();
    let parent_links: Vec<(u32, u32)> = parent_links.iter().map(|&(a, b)| (inv[a as usize], inv[b as usize])).collect();
    let model = build_model(&stems, &intents, &keys);
    let mut agg = Agglomeration::new(&model, n);
    let mut bufs = [Vec::new(), Vec::new()];

    for &(a, b) in &parent_links {
        agg.link(a, b, min_score, true, &mut bufs);
    }

    // identical stem bags: cosine 1, linked directly
    let mut by_bag: FxMap<String, u32> = FxMap::default();
    for (i, s) in stems.iter().enumerate() {
        if s.is_empty() {
            continue;
        }
        let mut bag: Vec<&str> = s.iter().map(|e| e.0.as_str()).collect();
        bag.sort_unstable();
        let key = format!("{}|{}", intents[i], bag.join(" "));
        match by_bag.get(&key) {
            Some(&r) => agg.link(r, i as u32, min_score, true, &mut bufs),
            None => {
                by_bag.insert(key, i as u32);
            }
        }
    }

    // candidate pass, in parallel over interleaved blocks
    let threads = std::thread::available_parallelism().map(|t| t.get()).unwrap_or(1).clamp(1, 16);
    let threads = if n < PARALLEL_MIN { 1 } else { threads };
    let mut edges: Vec<Edge> = if threads == 1 {
        let mut edges = Vec::new();
        let mut scratch = Scratch::new(&model);
        neighbour_edges(&model, &mut scratch, 0..n, search, top_k, max_posting, &mut edges);
        edges
    } else {
        let block = 256usize;
        let model = &model;
        let parts: Vec<Vec<Edge>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        let mut out = Vec::new();
                        let mut scratch = Scratch::new(model);
                        let mut start = t * block;
                        while start < n {
                            let end = (start + block).min(n);
                            neighbour_edges(model, &mut scratch, start..end, search, top_k, max_posting, &mut out);
                            start += threads * block;
                        }
                        out
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        parts.into_iter().flatten().collect()
    };

    // greedy centroid linkage, strongest edges first
    for e in &mut edges {
        if e.a > e.b {
            std::mem::swap(&mut e.a, &mut e.b);
        }
    }
    edges.sort_unstable_by(|x, y| y.score.total_cmp(&x.score).then(x.a.cmp(&y.a)).then(x.b.cmp(&y.b)));
    for e in edges.iter().filter(|e| e.score >= min_score) {
        agg.link(e.a, e.b, min_score, false, &mut bufs);
    }
    // a keyword still alone joins the component of its best same-intent
    // neighbour at cosine ≥ `attach` (it is closer to that topic than to
    // none; this never merges two existing groups)
    let min_attach = attach - EPS;
    let mut attached = vec![false; n];
    for e in edges.iter().filter(|e| e.score >= min_attach) {
        for (x, y) in [(e.a, e.b), (e.b, e.a)] {
            let rx = agg.uf.find(x);
            if !attached[x as usize] && agg.uf.size[rx as usize] == 1 && agg.uf.find(y) != rx {
                attached[x as usize] = true;
                agg.link(x, y, min_score, true, &mut bufs);
                break;
            }
        }
    }
    // back to canonical indexes
    let mut uf = UnionFind::new(n);
    for p in 0..n as u32 {
        let r = agg.uf.find(p);
        if r != p {
            uf.union(perm[p as usize], perm[r as usize]);
        }
    }
    uf
}

/// 10. Components → groups and unclustered.
fn finish(docs: &[&ClusterInput], uf: &mut UnionFind, active: &[bool], min_size: usize) -> Grouping {
    let n = docs.len();
    let mut unclustered: Vec<u32> = Vec::new();
    let mut members: FxMap<u32, Vec<u32>> = FxMap::default();
    if uf.parent.len() != n {
        unclustered.extend(0..n as u32);
    } else {
        for i in 0..n as u32 {
            if !active[i as usize] {
                unclustered.push(i);
            } else {
                let r = uf.find(i);
                members.entry(r).or_default().push(i);
            }
        }
    }
    let by_volume = |a: &u32, b: &u32| {
        let (da, db) = (docs[*a as usize], docs[*b as usize]);
        db.volume.cmp(&da.volume).then_with(|| da.id.cmp(&db.id))
    };
    let mut groups = Vec::new();
    for (_, mut m) in members {
        if m.len() < min_size {
            unclustered.extend(m);
            continue;
        }
        m.sort_by(by_volume);
        let name_doc = m
            .iter()
            .map(|&i| docs[i as usize])
            .min_by(|a, b| {
                b.volume.cmp(&a.volume).then_with(|| a.keyword.trim().cmp(b.keyword.trim())).then_with(|| a.id.cmp(&b.id))
            })
            .map(|d| d.keyword.trim().to_string())
            .unwrap_or_default();
        let total_volume = m.iter().fold(0u64, |t, &i| t.saturating_add(docs[i as usize].volume));
        groups.push(Group {
            name: name_doc,
            keyword_ids: m.iter().map(|&i| docs[i as usize].id.clone()).collect(),
            total_volume,
        });
    }
    groups.sort_by(|a, b| {
        b.total_volume
            .cmp(&a.total_volume)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.keyword_ids.first().cmp(&b.keyword_ids.first()))
    });
    unclustered.sort_by(by_volume);
    Grouping { groups, unclustered: unclustered.iter().map(|&i| docs[i as usize].id.clone()).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn kw(id: &str, keyword: &str, volume: u64) -> ClusterInput {
        ClusterInput { id: id.to_string(), keyword: keyword.to_string(), volume, parent_keyword: None }
    }

    fn with_parent(id: &str, keyword: &str, volume: u64, parent: &str) -> ClusterInput {
        ClusterInput { parent_keyword: Some(parent.to_string()), ..kw(id, keyword, volume) }
    }

    fn group_of<'a>(g: &'a Grouping, id: &str) -> Option<&'a Group> {
        g.groups.iter().find(|gr| gr.keyword_ids.iter().any(|k| k == id))
    }

    fn sample() -> Vec<ClusterInput> {
        vec![
            kw("s1", "running shoes", 9000),
            kw("s2", "running shoe", 1200),
            kw("s3", "shoes for running", 5000),
            kw("s4", "running shoes for women", 3000),
            kw("p1", "python tutorial", 4000),
            kw("p2", "python tutorials for beginners", 1500),
            kw("p3", "learn python tutorial", 6000),
            kw("z1", "zebra", 100),
        ]
    }

    /// Every id (first occurrence) appears exactly once in groups + unclustered.
    fn assert_partition(items: &[ClusterInput], g: &Grouping) {
        let expected: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
        let mut seen: HashSet<&str> = HashSet::new();
        for id in g.groups.iter().flat_map(|gr| gr.keyword_ids.iter()).chain(g.unclustered.iter()) {
            assert!(seen.insert(id.as_str()), "id {id} appears twice");
        }
        assert_eq!(seen, expected, "ids lost or invented");
        for gr in &g.groups {
            assert!(gr.keyword_ids.len() >= 2, "group {} is a singleton", gr.name);
        }
    }

    /// Small deterministic PRNG (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[(self.next() % xs.len() as u64) as usize]
        }
    }

    fn generated(n: usize, seed: u64) -> Vec<ClusterInput> {
        let heads = [
            "running shoes", "yoga mat", "coffee grinder", "python tutorial", "dog food", "gaming laptop",
            "wireless headphones", "standing desk", "electric bike", "sourdough bread",
        ];
        let mods = [
            "best", "cheap", "near me", "for beginners", "review", "2026", "nike", "red", "large", "buy",
            "how to choose", "vs", "for women", "for kids", "reviews", "deals",
        ];
        let mut rng = Rng(seed | 1);
        (0..n)
            .map(|i| {
                let r = rng.next() % 10;
                let text = if r == 0 {
                    // noise: random letters
                    let len = 3 + (rng.next() % 8) as usize;
                    (0..len).map(|_| (b'a' + (rng.next() % 26) as u8) as char).collect::<String>()
                } else if r == 1 {
                    String::new()
                } else {
                    let mut t = rng.pick(&heads).to_string();
                    for _ in 0..(rng.next() % 3) {
                        let m = rng.pick(&mods);
                        t = if rng.next().is_multiple_of(2) { format!("{m} {t}") } else { format!("{t} {m}") };
                    }
                    t
                };
                let parent = if rng.next().is_multiple_of(7) { Some(rng.pick(&heads).to_string()) } else { None };
                ClusterInput {
                    // some duplicate ids on purpose
                    id: format!("k{:05}", if i % 97 == 0 && i > 0 { i - 1 } else { i }),
                    keyword: text,
                    volume: rng.next() % 5000,
                    parent_keyword: parent,
                }
            })
            .collect()
    }

    #[test]
    fn stemming_examples() {
        for (w, s) in [
            ("shoes", "sho"),
            ("shoe", "sho"),
            ("running", "run"),
            ("runner", "run"),
            ("runs", "run"),
            ("tutorials", "tutorial"),
            ("tutorial", "tutorial"),
            ("batteries", "battery"),
            ("battery", "battery"),
            ("quickly", "quick"),
            ("baked", "bak"),
            ("baking", "bak"),
            ("bake", "bak"),
            ("boxes", "box"),
            ("dresses", "dress"),
            ("falling", "fall"),
            ("shopping", "shop"),
            ("cheaper", "cheap"),
            ("tried", "try"),
            ("bus", "bus"),
            ("class", "class"),
            ("analysis", "analysis"),
            ("tree", "tree"),
            ("string", "string"),
            ("Running", "run"),
            ("café", "café"),
            ("", ""),
        ] {
            assert_eq!(stem(w), s, "stem({w:?})");
        }
        assert_eq!(stem("beginners"), stem("beginner"));
        assert_eq!(stem("computers"), stem("compute"));
    }

    #[test]
    fn topics_group_and_strays_stay_out() {
        let items = sample();
        let g = group_keywords(&items, &ClusterParams::default());
        assert_partition(&items, &g);
        let shoes = group_of(&g, "s1").expect("shoes grouped");
        let mut ids = shoes.keyword_ids.clone();
        ids.sort();
        assert_eq!(ids, ["s1", "s2", "s3", "s4"]);
        assert_eq!(shoes.name, "running shoes");
        assert_eq!(shoes.total_volume, 9000 + 1200 + 5000 + 3000);
        assert_eq!(shoes.keyword_ids, ["s1", "s3", "s4", "s2"], "highest volume first");
        let python = group_of(&g, "p1").expect("python grouped");
        let mut ids = python.keyword_ids.clone();
        ids.sort();
        assert_eq!(ids, ["p1", "p2", "p3"]);
        assert_eq!(python.name, "learn python tutorial");
        assert_eq!(g.groups.len(), 2);
        assert_eq!(g.groups[0].name, "running shoes", "largest total volume first");
        assert_eq!(g.unclustered, ["z1"]);
    }

    #[test]
    fn every_id_exactly_once_on_a_generated_set() {
        let items = generated(2000, 0x1234_5678);
        for params in [
            ClusterParams::default(),
            ClusterParams { threshold: 0.3, ..Default::default() },
            ClusterParams { threshold: 0.99, attach: 0.99, top_k: 3, max_posting: 50, min_cluster_size: 5 },
        ] {
            let g = group_keywords(&items, &params);
            assert_partition(&items, &g);
            assert!(!g.groups.is_empty());
            for gr in &g.groups {
                assert!(gr.keyword_ids.len() >= params.min_cluster_size);
            }
        }
        // empty keyword text is always unclustered
        let g = group_keywords(&items, &ClusterParams::default());
        let mut seen = HashSet::new();
        for it in &items {
            if seen.insert(&it.id) && it.keyword.is_empty() {
                assert!(g.unclustered.contains(&it.id));
            }
        }
    }

    #[test]
    fn parent_keyword_links_unrelated_text() {
        let items = vec![
            with_parent("a", "trainers", 500, "Running Shoes"),
            with_parent("b", "sneakers for jogging", 800, "running  shoes"),
            kw("c", "running shoes", 2000),
            with_parent("d", "quantum chromodynamics", 10, "physics"),
            with_parent("e", "", 10, "running shoes"),
        ];
        let g = group_keywords(&items, &ClusterParams::default());
        assert_partition(&items, &g);
        let gr = group_of(&g, "a").expect("linked by parent");
        assert_eq!(gr.keyword_ids, ["c", "b", "a"], "the parent keyword itself joins too");
        assert_eq!(gr.name, "running shoes");
        assert!(g.unclustered.contains(&"d".to_string()));
        assert!(g.unclustered.contains(&"e".to_string()), "empty text stays unclustered");
    }

    #[test]
    fn naming_and_order_are_deterministic() {
        let mut items = sample();
        items.push(kw("s5", "running shoes uk", 9000)); // ties with s1 on volume
        items.push(kw("c1", "coffee grinder", 300));
        items.push(kw("c2", "coffee grinders", 300));
        let base = group_keywords(&items, &ClusterParams::default());
        let shoes = group_of(&base, "s1").unwrap();
        assert_eq!(shoes.name, "running shoes", "volume tie broken alphabetically");
        assert_eq!(&shoes.keyword_ids[..2], ["s1", "s5"]);
        let coffee = group_of(&base, "c1").unwrap();
        assert_eq!(coffee.name, "coffee grinder");
        assert_eq!(coffee.keyword_ids, ["c1", "c2"]);
        assert_eq!(base.groups.last().unwrap().name, "coffee grinder");

        // fixed permutations of the input
        let n = items.len();
        for step in [3usize, 5, 7] {
            let shuffled: Vec<ClusterInput> = (0..n).map(|k| items[(k * step + 1) % n].clone()).collect();
            assert_eq!(group_keywords(&shuffled, &ClusterParams::default()), base);
        }
        let reversed: Vec<ClusterInput> = items.iter().rev().cloned().collect();
        assert_eq!(group_keywords(&reversed, &ClusterParams::default()), base);

        // on a larger set too
        let big: Vec<ClusterInput> = generated(1500, 99).into_iter().filter(|i| i.id.len() == 6).collect();
        let mut uniq = big.clone();
        uniq.sort_by(|a, b| a.id.cmp(&b.id));
        uniq.dedup_by(|a, b| a.id == b.id);
        let m = uniq.len();
        let perm: Vec<ClusterInput> = (0..m).map(|k| uniq[(k * 7919) % m].clone()).collect();
        if !m.is_multiple_of(7919) {
            assert_eq!(group_keywords(&perm, &ClusterParams::default()), group_keywords(&uniq, &ClusterParams::default()));
        }
    }

    #[test]
    fn intents_stay_apart_and_variants_meet() {
        let items = vec![
            kw("g1", "espresso machine", 900),
            kw("g2", "espresso machines", 800),
            kw("c1", "best espresso machine", 700),
            kw("c2", "top espresso machines", 600),
            kw("h1", "how to clean an espresso machine", 500),
            kw("h2", "how to clean espresso machine", 400),
            kw("v1", "espresso machine vs coffee maker", 300),
            kw("v2", "coffee maker vs espresso machine", 200),
            kw("t1", "tyre pressure", 100),
            kw("t2", "tire pressure", 90),
            kw("b1", "bicycle helmet", 80),
            kw("b2", "bike helmets", 70),
            kw("a1", "aubergine recipes", 60),
            kw("a2", "eggplant recipes", 50),
        ];
        let g = group_keywords(&items, &ClusterParams::default());
        assert_partition(&items, &g);
        let mut groups: Vec<Vec<String>> = g
            .groups
            .iter()
            .map(|gr| {
                let mut ids = gr.keyword_ids.clone();
                ids.sort();
                ids
            })
            .collect();
        groups.sort();
        let expected: Vec<Vec<&str>> =
            vec![vec!["a1", "a2"], vec!["b1", "b2"], vec!["c1", "c2"], vec!["g1", "g2"], vec!["h1", "h2"], vec!["t1", "t2"], vec!["v1", "v2"]];
        assert_eq!(groups, expected, "{g:?}");
        // a shared parent keyword is the data saying otherwise
        let mut linked = items.clone();
        linked[2].parent_keyword = Some("espresso machine".into());
        let g = group_keywords(&linked, &ClusterParams::default());
        assert!(group_of(&g, "c1").unwrap().keyword_ids.contains(&"g1".to_string()), "{g:?}");
    }

    #[test]
    fn common_words_find_neighbours_past_the_posting_cap() {
        // every word is in more keywords than the posting cap, so no posting
        // list is visited: the sorted neighbourhoods must find the
        // neighbours (before them, all of these stayed unclustered)
        let heads = ["running shoes", "yoga mat", "coffee grinder", "standing desk", "dog food"];
        let mods = ["red", "blue", "green", "black", "white", "large", "small", "cheap", "nike", "ikea"];
        let mut items = Vec::new();
        for (h, head) in heads.iter().enumerate() {
            for (m, m1) in mods.iter().enumerate() {
                for m2 in &mods[m + 1..] {
                    items.push(kw(&format!("{h}-{m1}-{m2}"), &format!("{m1} {m2} {head}"), 10));
                }
                items.push(kw(&format!("{h}-{m1}"), &format!("{m1} {head}"), 10));
            }
        }
        let params = ClusterParams { max_posting: 5, ..Default::default() };
        let g = group_keywords(&items, &params);
        assert_partition(&items, &g);
        assert!(g.unclustered.len() * 20 <= items.len(), "{} of {} unclustered", g.unclustered.len(), items.len());
        // and they are the right neighbours: nearly every clustered keyword
        // is in a group whose main head term is its own
        let mut right = 0;
        for gr in &g.groups {
            let mut count: HashMap<&str, usize> = HashMap::new();
            for id in &gr.keyword_ids {
                *count.entry(id.split('-').next().unwrap()).or_default() += 1;
            }
            right += count.values().max().unwrap();
        }
        let clustered = items.len() - g.unclustered.len();
        assert!(right * 100 >= clustered * 95, "{right} of {clustered} with their head term: {g:?}");
    }

    #[test]
    fn one_sense_per_batch() {
        let c = |x: &str, w: f32, src: u32| (x.to_string(), w, src);
        // "stroller" (saunterer | baby buggy) next to "pram" (baby buggy)
        let mut docs = vec![
            vec![c("saunterer", 0.5, 1), c("baby_buggy", 0.5, 1), c("twin", 1.0, 2)],
            vec![c("baby_buggy", 1.0, 1)],
            vec![c("gym_shoe", 0.5, 1), c("fink", 0.5, 1)],
        ];
        disambiguate(&mut docs);
        assert_eq!(docs[0], vec![c("baby_buggy", 1.0, 1), c("twin", 1.0, 2)]);
        assert_eq!(docs[1], vec![c("baby_buggy", 1.0, 1)]);
        assert_eq!(docs[2], vec![c("gym_shoe", 0.5, 1), c("fink", 0.5, 1)], "no evidence: both senses stay");
        // through the grouping: "bike" meets "bicycle" at full weight
        let items = vec![kw("1", "bike helmet", 10), kw("2", "bicycle helmet", 10), kw("3", "bicycle lights", 10), kw("4", "bike lights", 10)];
        let g = group_keywords(&items, &ClusterParams { attach: f32::NAN, ..Default::default() });
        let mut ids: Vec<Vec<String>> = g.groups.iter().map(|gr| { let mut v = gr.keyword_ids.clone(); v.sort(); v }).collect();
        ids.sort();
        assert_eq!(ids, [vec!["1", "2"], vec!["3", "4"]], "{g:?}");
    }

    #[test]
    fn duplicate_ids_keep_the_first_occurrence() {
        let items = vec![kw("x", "running shoes", 10), kw("x", "zebra", 99), kw("y", "running shoe", 5)];
        let g = group_keywords(&items, &ClusterParams::default());
        assert_eq!(g.groups.len(), 1);
        assert_eq!(g.groups[0].keyword_ids, ["x", "y"]);
        assert_eq!(g.groups[0].total_volume, 15);
        assert!(g.unclustered.is_empty());
    }

    #[test]
    fn threshold_controls_merging() {
        let items = vec![
            kw("1", "running shoes", 100),
            kw("2", "running shoes for women", 90),
            kw("3", "trail running shoes", 80),
            kw("4", "running shoes for flat feet", 70),
            kw("5", "running socks", 60),
            kw("6", "running shorts", 50),
            kw("7", "running shoes 2026", 40),
            kw("8", "cheap running shoes", 30),
            kw("9", "python tutorial", 20),
            kw("10", "python tutorials", 10),
        ];
        let clustered = |t: f32| {
            let g = group_keywords(&items, &ClusterParams { threshold: t, attach: f32::NAN, ..Default::default() });
            assert_partition(&items, &g);
            let largest = g.groups.iter().map(|gr| gr.keyword_ids.len()).max().unwrap_or(0);
            (items.len() - g.unclustered.len(), largest, g)
        };
        let (c99, l99, g99) = clustered(0.99);
        let (c50, l50, g50) = clustered(0.5);
        let (c30, l30, g30) = clustered(0.3);
        assert!(group_of(&g50, "1").is_some_and(|gr| gr.keyword_ids.len() >= 5), "{g50:?}");
        // at 0.99 only exact stem-level duplicates survive
        assert_eq!(c99, 2, "{g99:?}");
        assert!(group_of(&g99, "9").is_some_and(|gr| gr.keyword_ids.len() == 2));
        assert!(c50 > c99 && l50 > l99, "{g50:?}");
        assert!(c30 >= c50 && l30 > l50, "{g30:?}");
        // attaching: at 0.99 with attach 0.5, the strays join their nearest
        // group, but the two exact pairs stay two groups
        let g = group_keywords(&items, &ClusterParams { threshold: 0.99, attach: 0.5, ..Default::default() });
        assert_partition(&items, &g);
        assert!(items.len() - g.unclustered.len() > c99, "{g:?}");
        assert!(g.groups.len() <= 2 && group_of(&g, "9").is_some_and(|gr| !gr.keyword_ids.contains(&"1".to_string())), "{g:?}");
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let items = vec![
            kw("a", "", 0),
            kw("b", "   ", u64::MAX),
            kw("c", "!!! ???", u64::MAX),
            kw("d", "the the", 1),
            kw("e", "the", 1),
            kw("f", "日本語 キーワード", 3),
            kw("g", "日本語 キーワード", 3),
            kw("h", "a", 1),
            kw("i", "x", u64::MAX),
            kw("j", "x", u64::MAX),
        ];
        for params in [
            ClusterParams::default(),
            ClusterParams { threshold: f32::NAN, attach: f32::NAN, top_k: 0, max_posting: 0, min_cluster_size: 0 },
            ClusterParams { threshold: -1.0, attach: -1.0, top_k: usize::MAX, max_posting: usize::MAX, min_cluster_size: usize::MAX },
            ClusterParams { threshold: 2.0, ..Default::default() },
            ClusterParams { threshold: f32::INFINITY, ..Default::default() },
            ClusterParams { threshold: f32::NEG_INFINITY, ..Default::default() },
        ] {
            let g = group_keywords(&items, &params);
            assert_partition(&items, &g);
        }
        let g = group_keywords(&items, &ClusterParams::default());
        assert_eq!(group_of(&g, "f").unwrap().keyword_ids, ["f", "g"]);
        assert_eq!(group_of(&g, "i").unwrap().total_volume, u64::MAX, "saturating");
        assert_eq!(group_keywords(&[], &ClusterParams::default()), Grouping { groups: vec![], unclustered: vec![] });
    }
}
