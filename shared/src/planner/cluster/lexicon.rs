//! Synonyms and spelling variants from real lexical resources, shipped as
//! compact tables derived by `lexicon/derive.py` (licences next to them):
//!
//! - `lexicon/synonyms.tsv`, from **WordNet 3.0** (Princeton University;
//!   WordNet 3.0 licence, `lexicon/LICENSE-WordNet`): a word whose most
//!   frequent sense belongs to a synset "owned" by another lemma maps to the
//!   owners of its one or two most frequent senses ("bike" → motorcycle,
//!   bicycle; "nappy" → diaper; "aubergine" → eggplant). Multi-word lemmas
//!   ("spring_onion", "house-train") are matched on two or three tokens.
//! - `lexicon/synsets.txt`, from **WordNet 3.0**: every noun synset of two
//!   or more common words, whatever the rank of the sense, synsets sharing
//!   a two-sense word grouped ("faucet spigot tap"); the grouping uses a
//!   rare sense only on the batch's evidence ([`super::senses`]).
//! - `lexicon/gerund_compounds.txt`, from **WordNet 3.0**: noun compounds
//!   led by a gerund ("washing up", "washing machine"): "washing up liquid"
//!   is a thing, not a how-to like "washing a car".
//! - `lexicon/spelling.tsv`, from the **SCOWL** word lists (Debian
//!   `wbritish`/`wamerican`; licence in `lexicon/LICENSE-SCOWL`): British
//!   spellings whose American form by the regular correspondences is an
//!   American word ("tyre" → tire, "colour" → color, "moisturiser" →
//!   moisturizer).
//!
//! Shipping the derived tables (≈ 1.5 MB of text with the Bloom filter aside, parsed once on first use)
//! keeps builds and CI free of apt packages; rerun the script after
//! `apt-get install wordnet-base wamerican wbritish` to regenerate them.

use std::collections::HashMap;
use std::sync::OnceLock;

const SYNONYMS: &str = include_str!("lexicon/synonyms.tsv");
const SPELLING: &str = include_str!("lexicon/spelling.tsv");
const MODIFIERS: &str = include_str!("lexicon/modifiers.txt");
const SYNSETS: &str = include_str!("lexicon/synsets.txt");
const GERUND_COMPOUNDS: &str = include_str!("lexicon/gerund_compounds.txt");
/// Bloom filter of real words (SCOWL lists and WordNet lemmas), by
/// `lexicon/derive.py`: [`BLOOM_BITS`] bits, [`BLOOM_PROBES`] probes.
const WORDS_BLOOM: &[u8] = include_bytes!("lexicon/words.bloom");
pub const BLOOM_BITS: u64 = 1 << 21;
pub const BLOOM_PROBES: u64 = 10;

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// SplitMix64 finaliser (FNV's low bits depend only on the input's low
/// bits; this spreads all 64 into them).
fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Weight of a modifier word (main part of speech adjective or adverb:
/// "easy", "homemade", "crispy") relative to a noun or verb: "easy eggplant
/// recipes" is the article "eggplant recipes", while "bike tyre pressure" is
/// not "tyre pressure".
pub const MODIFIER_WEIGHT: f32 = 0.4;

/// Longest multi-word lemma matched, in tokens.
pub const MAX_PHRASE: usize = 3;

pub struct Lexicon {
    synonyms: HashMap<&'static str, Vec<&'static str>>,
    /// Multi-word concepts ("green_onion"), matched as one token.
    phrases: std::collections::HashSet<&'static str>,
    spelling: HashMap<&'static str, &'static str>,
    modifiers: std::collections::HashSet<&'static str>,
    /// Every WordNet synset of two or more common words, by number (its
    /// line in `synsets.txt`), whatever the sense's rank: word → synsets.
    synsets: HashMap<&'static str, Vec<u32>>,
    /// Noun compounds led by a gerund ("running_shoe", "washing_machine").
    gerund_compounds: std::collections::HashSet<&'static str>,
}

fn rows(text: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    text.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_once('\t'))
}

/// The tables, parsed on first use.
pub fn lexicon() -> &'static Lexicon {
    static LEX: OnceLock<Lexicon> = OnceLock::new();
    LEX.get_or_init(|| {
        let synonyms: HashMap<&'static str, Vec<&'static str>> = rows(SYNONYMS).map(|(w, c)| (w, c.split(' ').collect())).collect();
        let phrases = synonyms.values().flatten().copied().filter(|c| c.contains(['_', '-'])).collect();
        let modifiers = MODIFIERS.lines().filter(|l| !l.starts_with('#')).collect();
        let gerund_compounds = GERUND_COMPOUNDS.lines().filter(|l| !l.starts_with('#')).collect();
        let mut synsets: HashMap<&'static str, Vec<u32>> = HashMap::new();
        for (n, line) in SYNSETS.lines().filter(|l| !l.starts_with('#')).enumerate() {
            for w in line.split(' ') {
                synsets.entry(w).or_default().push(n as u32);
            }
        }
        Lexicon { synonyms, phrases, spelling: rows(SPELLING).collect(), modifiers, gerund_compounds, synsets }
    })
}

impl Lexicon {
    /// Whether `word` is a real word: in the lexicon tables or in the Bloom
    /// filter of the SCOWL lists and WordNet lemmas (≈ 0.02 % false
    /// positives, so a misspelling is rarely taken for a word; a real word
    /// is never taken for a misspelling).
    pub fn knows(&self, word: &str) -> bool {
        if self.synonyms.contains_key(word) || self.modifiers.contains(word) || self.spelling.contains_key(word) {
            return true;
        }
        if WORDS_BLOOM.len() as u64 * 8 != BLOOM_BITS {
            return true;
        }
        let h = fnv1a(word.as_bytes());
        let (h1, h2) = (mix64(h), mix64(h ^ 0x9e37_79b9_7f4a_7c15) | 1);
        (0..BLOOM_PROBES).all(|i| {
            let bit = h1.wrapping_add(i.wrapping_mul(h2)) % BLOOM_BITS;
            WORDS_BLOOM[(bit >> 3) as usize] & (1 << (bit & 7)) != 0
        })
    }

    /// The American spelling of `word` (itself when it has none).
    pub fn american<'w>(&'w self, word: &'w str) -> &'w str {
        self.spelling.get(word).copied().unwrap_or(word)
    }

    /// Whether `gerund next` is a noun compound in WordNet ("washing up",
    /// "washing machine", "running shoes"; `next` also tried in the
    /// singular): a thing, not doing something.
    pub fn is_gerund_compound(&self, gerund: &str, next: &str) -> bool {
        let join = |n: &str| self.gerund_compounds.contains(format!("{gerund}_{n}").as_str());
        join(next)
            || next.strip_suffix("ies").is_some_and(|s| join(&format!("{s}y")))
            || next.strip_suffix("es").is_some_and(join)
            || next.strip_suffix('s').is_some_and(join)
    }

    /// Every synset of a word or `_`-joined phrase (all its senses, rare
    /// ones too), trying the singular when the form itself is not listed.
    pub fn synsets(&self, word: &str) -> &[u32] {
        if let Some(s) = self.synsets.get(word) {
            return s;
        }
        let singular = [
            word.strip_suffix("ies").map(|s| format!("{s}y")),
            word.strip_suffix("es").map(str::to_string),
            word.strip_suffix('s').filter(|s| !s.ends_with('s')).map(str::to_string),
        ];
        singular.into_iter().flatten().find_map(|s| self.synsets.get(s.as_str()).map(Vec::as_slice)).unwrap_or(&[])
    }

    /// The concepts of a word or `_`-joined phrase, trying the singular
    /// ("bikes" → "bike") when the form itself is not listed.
    pub fn concepts(&self, word: &str) -> Option<&[&'static str]> {
        if let Some(c) = self.synonyms.get(word) {
            return Some(c);
        }
        let singular = [
            word.strip_suffix("ies").map(|s| format!("{s}y")),
            word.strip_suffix("es").map(str::to_string),
            word.strip_suffix('s').filter(|s| !s.ends_with('s')).map(str::to_string),
        ];
        singular.into_iter().flatten().filter(|s| s.len() >= 3).find_map(|s| self.synonyms.get(s.as_str()).map(Vec::as_slice))
    }
}

/// Replaces content tokens by their concepts:  see [`conceptualize_words`];
/// this form drops the source-word indexes.
pub fn conceptualize(tokens: &[String], out: &mut Vec<(String, f32)>) {
    let (mut with_words, mut sources) = (Vec::new(), Vec::new());
    conceptualize_words(tokens, &mut with_words, &mut sources);
    out.clear();
    out.extend(with_words.into_iter().map(|(c, w, _)| (c, w)));
}

/// Replaces content tokens by their concepts: spelling first, then the
/// longest listed phrase (three, then two tokens, joined with `_` or `-`),
/// then single words. Each output is `(concept, weight, source)`: a word
/// with `m` concepts gives each the weight `1/m`, so an ambiguous word
/// counts once; `source` numbers the word (or phrase) the concept came from,
/// so that the concepts of one ambiguous word can be told apart, and
/// `sources[source - 1]` is that word or phrase (`_`-joined).
pub fn conceptualize_words(tokens: &[String], out: &mut Vec<(String, f32, u32)>, sources: &mut Vec<String>) {
    let lex = lexicon();
    out.clear();
    sources.clear();
    let words: Vec<&str> = tokens.iter().map(|t| lex.american(t.as_str())).collect();
    // the same words with an unambiguous synonym substituted, so that
    // "nappy rash" meets the phrase "diaper_rash"
    let mapped: Vec<&str> = words
        .iter()
        .map(|w| match lex.concepts(w) {
            Some([one]) => *one,
            _ => *w,
        })
        .collect();
    let mut i = 0;
    let mut source = 0u32;
    while i < words.len() {
        source += 1;
        let mut matched = false;
        for len in (2..=MAX_PHRASE.min(words.len() - i)).rev() {
            for (part, sep) in [(&words[i..i + len], "_"), (&words[i..i + len], "-"), (&mapped[i..i + len], "_")] {
                let phrase = part.join(sep);
                if let Some(c) = lex.concepts(&phrase) {
                    let w = 1.0 / c.len() as f32;
                    out.extend(c.iter().map(|c| (c.to_string(), w, source)));
                    sources.push(part.join("_"));
                    matched = true;
                    break;
                }
                if lex.phrases.contains(phrase.as_str()) {
                    sources.push(part.join("_"));
                    out.push((phrase, 1.0, source));
                    matched = true;
                    break;
                }
            }
            if matched {
                i += len;
                break;
            }
        }
        if matched {
            continue;
        }
        sources.push(words[i].to_string());
        let base = if lex.modifiers.contains(words[i]) { MODIFIER_WEIGHT } else { 1.0 };
        match lex.concepts(words[i]) {
            Some(c) => {
                let w = base / c.len() as f32;
                out.extend(c.iter().map(|c| (c.to_string(), w, source)));
            }
            None => out.push((words[i].to_string(), base, source)),
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concepts(text: &str) -> Vec<(String, f32)> {
        let tokens: Vec<String> = text.split(' ').map(str::to_string).collect();
        let mut out = Vec::new();
        conceptualize(&tokens, &mut out);
        out
    }

    #[test]
    fn real_synonyms_and_spellings_meet() {
        assert_eq!(concepts("tyre pressure"), concepts("tire pressure"));
        assert_eq!(concepts("colour"), concepts("color"));
        assert_eq!(concepts("aubergine"), concepts("eggplant"));
        assert_eq!(concepts("nappy rash"), concepts("diaper rash"));
        assert_eq!(concepts("spring onion"), concepts("green onion"));
        assert_eq!(concepts("house train"), concepts("housebreak"));
        let bike = concepts("bikes");
        assert!(bike.contains(&("bicycle".to_string(), 0.5)), "{bike:?}");
        assert_eq!(concepts("bicycle"), vec![("bicycle".to_string(), 1.0)]);
        assert_eq!(concepts("zebra"), vec![("zebra".to_string(), 1.0)], "unlisted words stay");
        assert_eq!(concepts("easy"), vec![("easy".to_string(), MODIFIER_WEIGHT)], "modifiers weigh less");
        let lex = lexicon();
        for w in ["bread", "breed", "espresso", "hummus", "skincare", "stroller"] {
            assert!(lex.knows(w), "{w}");
        }
        let (jumper, sweater) = (lex.synsets("jumpers"), lex.synsets("sweater"));
        assert!(jumper.iter().any(|s| sweater.contains(s)), "a rare sense is listed (singular tried)");
        assert!(lex.synsets("qwzxv").is_empty());
        assert!(lex.is_gerund_compound("washing", "machines") && lex.is_gerund_compound("washing", "up"));
        assert!(!lex.is_gerund_compound("washing", "a"));
        for w in ["expresso", "hummous", "strollr", "qwzxv"] {
            assert!(!lex.knows(w), "{w}");
        }
    }
}
