//! Batch-level token variants: rules that use the keywords of one grouping
//! run as their own evidence, applied uniformly to every keyword of it.
//!
//! - **Compounds**: a token that is two adjacent tokens of another keyword
//!   of the batch written together is split into them ("skincare" when the
//!   batch has "skin care", "jumpstart" / "jump start", "chickpea" /
//!   "chick pea"), so both spellings give the same words.
//! - **Misspellings**: a rare token (in at most [`RARE`] keywords of the
//!   batch) of at least [`MIN_LEN`] letters that is not a word of the
//!   lexicon becomes the frequent token (in at least [`FREQUENT`] keywords
//!   and [`RATIO`] times as many) at Damerau–Levenshtein distance 1 with the
//!   same first letter ("expresso" → espresso, "hummous" → hummus). When
//!   several qualify, the most frequent wins (ties: alphabetical). Lookups
//!   go through the tokens' one-deletion variants (symmetric deletion), so
//!   the cost is linear in the number of distinct tokens.
//! - **Acronyms**: a token of [`ACRONYM`] letters that spells the initials
//!   of adjacent words of another keyword, with the same other words in
//!   both keywords ("5k pb" / "5k personal best"; "hiit" / "high intensity
//!   interval training" both alone, when the acronym is not a word), is
//!   those words everywhere in the batch, when at least a quarter of the
//!   contexts the acronym stands in agree. The same-context evidence keeps
//!   a short word that happens to spell some initials ("car" / "cheap auto
//!   rental", the brand "lg" / "lenovo green") as it is.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use super::lexicon::lexicon;
use super::{intent, is_stop_word};

/// A token in at most this many keywords of the batch is rare.
pub const RARE: u32 = 2;
/// A correction target is in at least this many keywords.
pub const FREQUENT: u32 = 3;
/// ... and in at least this many times as many keywords as the rare token.
pub const RATIO: u32 = 3;
/// Shortest token that is corrected (short words are too often one letter
/// apart from another real word).
pub const MIN_LEN: usize = 5;

/// Lengths of a token read as an acronym.
pub const ACRONYM: std::ops::RangeInclusive<usize> = 2..=5;

/// Rewrites the tokens of every keyword of the batch in place (see the
/// module documentation). Deterministic: depends only on the multiset of
/// keywords.
pub fn normalise_batch(docs: &mut [Vec<String>]) {
    // compounds: joined adjacent pairs seen in the batch
    let mut joined: HashMap<String, (String, String)> = HashMap::new();
    for doc in docs.iter() {
        for pair in doc.windows(2) {
            if pair[0].chars().all(char::is_alphabetic) && pair[1].chars().all(char::is_alphabetic) {
                let j = format!("{}{}", pair[0], pair[1]);
                if j.chars().count() >= MIN_LEN {
                    let e = joined.entry(j).or_insert_with(|| (pair[0].clone(), pair[1].clone()));
                    // deterministic choice when one joined form has two splits
                    if (pair[0].as_str(), pair[1].as_str()) < (e.0.as_str(), e.1.as_str()) {
                        *e = (pair[0].clone(), pair[1].clone());
                    }
                }
            }
        }
    }
    if !joined.is_empty() {
        for doc in docs.iter_mut() {
            if doc.iter().any(|t| joined.contains_key(t)) {
                let mut out = Vec::with_capacity(doc.len() + 1);
                for t in doc.drain(..) {
                    match joined.get(&t) {
                        Some((a, b)) => {
                            out.push(a.clone());
                            out.push(b.clone());
                        }
                        None => out.push(t),
                    }
                }
                *doc = out;
            }
        }
    }

    // misspellings: document frequency of each token
    let mut freq: HashMap<&str, u32> = HashMap::new();
    for doc in docs.iter() {
        let mut seen: Vec<&str> = doc.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            *freq.entry(t).or_default() += 1;
        }
    }
    // frequent tokens by their one-deletion variants (and themselves)
    let mut by_deletion: HashMap<String, Vec<&str>> = HashMap::new();
    for (&t, &f) in &freq {
        if f >= FREQUENT && t.chars().count() >= MIN_LEN - 1 && t.chars().all(char::is_alphabetic) {
            for v in deletions(t).into_iter().chain(std::iter::once(t.to_string())) {
                by_deletion.entry(v).or_default().push(t);
            }
        }
    }
    let lex = lexicon();
    let mut fix: HashMap<String, String> = HashMap::new();
    for (&t, &f) in &freq {
        if f > RARE || t.chars().count() < MIN_LEN || !t.chars().all(char::is_alphabetic) || lex.knows(t) {
            continue;
        }
        let mut best: Option<(&str, u32)> = None;
        for v in deletions(t).into_iter().chain(std::iter::once(t.to_string())) {
            for &c in by_deletion.get(&v).map(Vec::as_slice).unwrap_or(&[]) {
                let fc = freq[c];
                if c == t || fc < f.saturating_mul(RATIO) || c.chars().next() != t.chars().next() || !within_one(t, c) {
                    continue;
                }
                if best.is_none_or(|(b, fb)| fc > fb || (fc == fb && c < b)) {
                    best = Some((c, fc));
                }
            }
        }
        if let Some((c, _)) = best {
            fix.insert(t.to_string(), c.to_string());
        }
    }
    if !fix.is_empty() {
        for doc in docs.iter_mut() {
            for t in doc.iter_mut() {
                if let Some(c) = fix.get(t.as_str()) {
                    *t = c.clone();
                }
            }
        }
    }
    expand_acronyms(docs);
}

/// Acronyms (see the module documentation): the phrase each acronym of the
/// batch stands for, written out in every keyword.
fn expand_acronyms(docs: &mut [Vec<String>]) {
    let word = |t: &str| t.bytes().all(|b| b.is_ascii_lowercase());
    let shaped = |t: &str| ACRONYM.contains(&t.len()) && word(t) && !is_stop_word(t) && !intent::is_marker(t);
    // 1. tokens that could be acronyms, then the windows of adjacent words
    //    whose initials spell one of them (cheap: no contexts yet)
    let tokens: HashSet<&str> = docs.iter().flatten().map(String::as_str).filter(|t| shaped(t)).collect();
    let mut windows: Vec<(usize, usize, usize)> = Vec::new();
    let mut initials = String::new();
    for (d, doc) in docs.iter().enumerate() {
        for len in ACRONYM {
            for i in 0..(doc.len() + 1).saturating_sub(len) {
                let words = &doc[i..i + len];
                if !words.iter().all(|w| w.len() >= 2 && word(w)) {
                    continue;
                }
                initials.clear();
                initials.extend(words.iter().filter_map(|w| w.chars().next()));
                if tokens.contains(initials.as_str()) && !words.iter().any(|w| *w == initials) {
                    windows.push((d, i, len));
                }
            }
        }
    }
    if windows.is_empty() {
        return;
    }
    // 2. the contexts the candidate acronyms stand in; a real word standing
    //    alone is no evidence ("car" is not "cheap auto rental")
    let spelled = |d: usize, i: usize, len: usize| -> String { docs[d][i..i + len].iter().filter_map(|w| w.chars().next()).collect() };
    let candidates: HashSet<String> = windows.iter().map(|&(d, i, len)| spelled(d, i, len)).collect();
    let lex = lexicon();
    let mut alone: HashMap<&str, HashSet<u64>> = HashMap::new();
    for doc in docs.iter() {
        for (i, t) in doc.iter().enumerate() {
            if candidates.contains(t) && (doc.len() > 1 || !lex.knows(t)) {
                alone.entry(t.as_str()).or_default().insert(context(doc, i, i + 1));
            }
        }
    }
    // 3. a window in the same context as its acronym: the acronym is those
    //    words when at least a quarter of its contexts say so (a brand used
    //    in a thousand keywords is not "lenovo green" for one coincidence)
    let mut agree: HashMap<String, (Vec<String>, HashSet<u64>)> = HashMap::new();
    for &(d, i, len) in &windows {
        let acronym = spelled(d, i, len);
        let c = context(&docs[d], i, i + len);
        if alone.get(acronym.as_str()).is_some_and(|cs| cs.contains(&c)) {
            // deterministic when one acronym has two phrases: the smallest
            let words = &docs[d][i..i + len];
            let e = agree.entry(acronym).or_insert_with(|| (words.to_vec(), HashSet::new()));
            if words < e.0.as_slice() {
                e.0 = words.to_vec();
            }
            e.1.insert(c);
        }
    }
    let expand: HashMap<String, Vec<String>> = agree
        .into_iter()
        .filter(|(acronym, (_, matched))| matched.len() * 4 >= alone[acronym.as_str()].len())
        .map(|(acronym, (words, _))| (acronym, words))
        .collect();
    if expand.is_empty() {
        return;
    }
    for doc in docs.iter_mut() {
        if doc.iter().any(|t| expand.contains_key(t)) {
            *doc = doc.drain(..).flat_map(|t| expand.get(&t).cloned().unwrap_or_else(|| vec![t])).collect();
        }
    }
}

/// Hash of the keyword's tokens outside `from..to`, sorted and deduplicated.
fn context(doc: &[String], from: usize, to: usize) -> u64 {
    let mut rest: Vec<&str> = doc[..from].iter().chain(&doc[to..]).map(String::as_str).collect();
    rest.sort_unstable();
    rest.dedup();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    rest.hash(&mut h);
    h.finish()
}

/// The strings obtained by deleting one character of `t`.
fn deletions(t: &str) -> Vec<String> {
    let chars: Vec<char> = t.chars().collect();
    (0..chars.len()).map(|k| chars[..k].iter().chain(&chars[k + 1..]).collect()).collect()
}

/// Whether `a` and `b` are at Damerau–Levenshtein distance exactly 1 (one
/// insertion, deletion, substitution or transposition of neighbours).
pub fn within_one(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return false;
    }
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    match long.len() - short.len() {
        0 => {
            let diff: Vec<usize> = (0..a.len()).filter(|&k| a[k] != b[k]).collect();
            diff.len() == 1 || (diff.len() == 2 && diff[1] == diff[0] + 1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]])
        }
        1 => {
            let k = (0..short.len()).find(|&k| short[k] != long[k]).unwrap_or(short.len());
            short[k..] == long[k + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(kws: &[&str]) -> Vec<Vec<String>> {
        let mut docs: Vec<Vec<String>> = kws.iter().map(|k| k.split(' ').map(str::to_string).collect()).collect();
        normalise_batch(&mut docs);
        docs
    }

    #[test]
    fn compounds_split_where_the_batch_writes_them_apart() {
        let d = batch(&["skin care routine", "skincare routine order", "jumpstart a car", "skinny jeans"]);
        assert_eq!(d[1], ["skin", "care", "routine", "order"]);
        assert_eq!(d[2], ["jumpstart", "a", "car"], "no \"jump start\" in the batch");
        assert_eq!(d[3], ["skinny", "jeans"]);
    }

    #[test]
    fn rare_tokens_one_edit_from_frequent_ones_are_corrected() {
        let d = batch(&[
            "espresso machine",
            "best espresso machine",
            "espresso beans",
            "expresso machine",
            "hummus recipe",
            "easy hummus",
            "hummus dip",
            "hummous recipe",
            "bread recipe",
            "bread machine",
            "bread flour",
            "dog breed",
        ]);
        assert_eq!(d[3], ["espresso", "machine"]);
        assert_eq!(d[7], ["hummus", "recipe"]);
        assert_eq!(d[11], ["dog", "breed"], "a lexicon word is not a misspelling");
    }

    #[test]
    fn acronyms_used_like_their_words_are_written_out() {
        let d = batch(&[
            "5k pb",
            "5k personal best",
            "hiit",
            "high intensity interval training",
            "car",
            "cheap auto rental",
            "suv tyres",
            "sport utility vehicle",
            "tv vs smart tv",
            "tv",
            "lg tv",
            "lg fridge",
            "lg washer",
            "lg monitor",
            "lg phone",
            "lenovo green phone",
        ]);
        assert_eq!(d[0], ["5k", "personal", "best"]);
        assert_eq!(d[2], ["high", "intensity", "interval", "training"], "both alone: the same (empty) context");
        assert_eq!(d[4], ["car"], "spelling some initials is not enough");
        assert_eq!(d[6], ["suv", "tyres"], "different other words: no evidence");
        assert_eq!(d[14], ["lg", "phone"], "one agreeing context of five is a coincidence");
        assert_eq!(d[8], ["tv", "vs", "smart", "tv"], "a stop word or marker is no acronym, nor a window holding the acronym itself");
    }

    #[test]
    fn distance_one() {
        assert!(within_one("expresso", "espresso"));
        assert!(within_one("hummous", "hummus"));
        assert!(within_one("recieve", "receive"));
        assert!(!within_one("hummus", "hummus"));
        assert!(!within_one("houmous", "hummus"));
        assert!(!within_one("abcd", "abdcx"));
    }
}
