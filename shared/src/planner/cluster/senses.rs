//! Rare senses on the batch's own evidence: two words of the batch that
//! share a WordNet synset at any rank of their senses ("jumper" is a
//! sweater only in its third sense, "torch" a flashlight in its third,
//! "cot" a crib in its second) become one concept when the batch uses them
//! the same way: some keyword with one and some keyword with the other have
//! the same other words ("christmas jumper" / "christmas sweater", "how to
//! clean a jumper" / "how to clean a sweater", or both alone). The usual
//! sense stays everywhere else, so "jumper cables" in a batch of cars keeps
//! its own concept unless the batch also says "sweater cables".
//!
//! Cost: one pass over the batch's words; contexts are hashed only for the
//! words of a pair to decide (words sharing a synset and no concept), and
//! synsets naming more than [`MAX_WORDS`] words of the batch are too broad
//! to decide by and are skipped, so the work stays linear in the batch.

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use super::{FxHasher, FxMap, lexicon, stem};

type FxSet<T> = HashSet<T, BuildHasherDefault<FxHasher>>;

/// Synsets naming more distinct words of the batch than this are skipped.
pub const MAX_WORDS: usize = 8;

/// Merges the words of one synset that the batch uses in the same context.
/// `docs[d]` are the `(concept, weight, source)` entries of keyword `d` and
/// `sources[d][s - 1]` the word or phrase of its source `s`.
pub fn merge_rare_senses(docs: &mut [Vec<(String, f32, u32)>], sources: &[Vec<String>]) {
    let lex = lexicon::lexicon();
    // 1. the batch's words (one per stem), and each source's word
    let mut index: FxMap<String, u32> = FxMap::default();
    let mut words: Vec<Word<'_>> = Vec::new();
    let word_of: Vec<Vec<u32>> = docs
        .iter()
        .zip(sources)
        .map(|(doc, srcs)| {
            srcs.iter()
                .enumerate()
                .map(|(s, w)| {
                    let id = *index.entry(stem(w)).or_insert_with(|| {
                        let src = s as u32 + 1;
                        let concepts = doc.iter().filter(|e| e.2 == src).map(|e| (stem(&e.0), e.0.clone())).collect();
                        words.push(Word { text: w.as_str(), uses: 0, contexts: FxSet::default(), concepts, candidate: false });
                        words.len() as u32 - 1
                    });
                    words[id as usize].uses += 1;
                    id
                })
                .collect()
        })
        .collect();
    drop(index);
    // 2. synset → words of the batch in it (BTreeMap: a deterministic
    //    order); the pairs to decide are those not meeting already
    let mut members: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (id, w) in words.iter().enumerate() {
        for &s in lex.synsets(w.text) {
            members.entry(s).or_default().push(id as u32);
        }
    }
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for ids in members.values().filter(|ids| ids.len() > 1 && ids.len() <= MAX_WORDS) {
        for (k, &a) in ids.iter().enumerate() {
            for &b in &ids[k + 1..] {
                let (wa, wb) = (&words[a as usize], &words[b as usize]);
                if !wa.concepts.iter().any(|c| wb.concepts.iter().any(|d| d.0 == c.0)) {
                    pairs.push((a, b));
                }
            }
        }
    }
    if pairs.is_empty() {
        return;
    }
    // 3. contexts, only for the words of those pairs
    for &(a, b) in &pairs {
        words[a as usize].candidate = true;
        words[b as usize].candidate = true;
    }
    for (doc, ids) in docs.iter().zip(&word_of) {
        for (s, &id) in ids.iter().enumerate() {
            if words[id as usize].candidate {
                let c = context(doc, s as u32 + 1);
                words[id as usize].contexts.insert(c);
            }
        }
    }
    // 4. a pair used alike somewhere is one word for this batch
    let mut parent: Vec<u32> = (0..words.len() as u32).collect();
    fn find(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }
    let mut merged = false;
    for &(a, b) in &pairs {
        let (wa, wb) = (&words[a as usize], &words[b as usize]);
        let (small, large) = if wa.contexts.len() <= wb.contexts.len() { (wa, wb) } else { (wb, wa) };
        if small.contexts.iter().any(|c| large.contexts.contains(c)) {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                parent[ra.max(rb) as usize] = ra.min(rb);
                merged = true;
            }
        }
    }
    if !merged {
        return;
    }
    // 5. each merged class takes the name of its most used word's concept
    let mut classes: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for id in 0..words.len() as u32 {
        classes.entry(find(&mut parent, id)).or_default().push(id);
    }
    let mut rename: FxMap<u32, String> = FxMap::default();
    for ids in classes.values().filter(|ids| ids.len() > 1) {
        let best = ids
            .iter()
            .map(|&i| &words[i as usize])
            .max_by(|a, b| a.uses.cmp(&b.uses).then_with(|| b.text.cmp(a.text)))
            .expect("a class has members");
        let name = match best.concepts.as_slice() {
            [one] => one.1.clone(),
            _ => best.text.to_string(),
        };
        for &i in ids {
            rename.insert(i, name.clone());
        }
    }
    for (doc, ids) in docs.iter_mut().zip(&word_of) {
        if !ids.iter().any(|id| rename.contains_key(id)) {
            continue;
        }
        let mut out = Vec::with_capacity(doc.len());
        let mut k = 0;
        while k < doc.len() {
            let src = doc[k].2;
            let end = k + doc[k..].iter().take_while(|e| e.2 == src).count();
            match ids.get(src as usize - 1).and_then(|id| rename.get(id)) {
                Some(name) => {
                    let weight: f32 = doc[k..end].iter().map(|e| e.1).sum();
                    out.push((name.clone(), weight, src));
                }
                None => out.extend(doc[k..end].iter().cloned()),
            }
            k = end;
        }
        *doc = out;
    }
}

struct Word<'a> {
    text: &'a str,
    uses: usize,
    /// Hashes of the other words' stems, per keyword using the word (only
    /// for candidates).
    contexts: FxSet<u64>,
    /// Its concepts where first seen: (stem, concept).
    concepts: Vec<(String, String)>,
    /// In a pair to decide.
    candidate: bool,
}

/// Hash of the sorted, deduplicated stems of the keyword's other sources.
fn context(doc: &[(String, f32, u32)], src: u32) -> u64 {
    let mut rest: Vec<String> = doc.iter().filter(|e| e.2 != src).map(|e| stem(&e.0)).collect();
    rest.sort_unstable();
    rest.dedup();
    let mut h = FxHasher::default();
    rest.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Batch = (Vec<Vec<(String, f32, u32)>>, Vec<Vec<String>>);

    /// `(concepts, sources)` of keywords as the grouping builds them.
    fn batch(keywords: &[&str]) -> Batch {
        let (mut docs, mut sources) = (Vec::new(), Vec::new());
        for k in keywords {
            let tokens: Vec<String> = k.split(' ').map(str::to_string).collect();
            let (mut out, mut words) = (Vec::new(), Vec::new());
            lexicon::conceptualize_words(&tokens, &mut out, &mut words);
            docs.push(out);
            sources.push(words);
        }
        (docs, sources)
    }

    fn names(doc: &[(String, f32, u32)]) -> Vec<&str> {
        doc.iter().map(|e| e.0.as_str()).collect()
    }

    #[test]
    fn a_rare_sense_applies_where_the_batch_uses_both_words_alike() {
        let (mut docs, sources) =
            batch(&["christmas jumper", "christmas sweater", "wool sweater", "sweater weather", "jumper cables", "torch", "flashlight"]);
        let cables = docs[4].clone();
        assert_eq!(names(&cables), ["jumper", "cables"]);
        merge_rare_senses(&mut docs, &sources);
        assert_eq!(names(&docs[0]), names(&docs[1]), "same context: jumper is a sweater here: {docs:?}");
        assert_eq!(names(&docs[1]), ["christmas", "sweater"], "named after the word the batch uses most");
        assert_eq!(docs[0][1].1, 1.0, "the word keeps its weight");
        assert_eq!(names(&docs[4]), ["sweater", "cables"], "one sense per batch: the word is renamed everywhere");
        assert_eq!(names(&docs[5]), names(&docs[6]), "both alone is the same (empty) context");
    }

    #[test]
    fn words_of_one_synset_used_differently_stay_apart() {
        // "jumper" and "sweater" share a synset, but no keyword pair uses
        // them with the same other words
        let (mut docs, sources) = batch(&["jumper cables", "wool sweater", "kitchen tap", "tap dance shoes"]);
        let before = docs.clone();
        merge_rare_senses(&mut docs, &sources);
        assert_eq!(docs, before);
        // tap and faucet meet through "spigot" (both of its senses) when used alike
        let (mut docs, sources) = batch(&["kitchen tap", "kitchen faucet", "tap dance shoes"]);
        merge_rare_senses(&mut docs, &sources);
        assert_eq!(names(&docs[0]), names(&docs[1]), "{docs:?}");
    }

    #[test]
    fn synsets_naming_too_many_words_of_the_batch_decide_nothing() {
        // one WordNet group of ten mistakes, all used alike: too broad a
        // synset to say which words the batch means as one
        let words = ["blunder", "blooper", "bloomer", "bungle", "pratfall", "flub", "botch", "boner", "foul up"];
        assert!(words.len() > MAX_WORDS);
        let keywords: Vec<String> = words.iter().map(|w| format!("funny {w}")).collect();
        let refs: Vec<&str> = keywords.iter().map(String::as_str).collect();
        let (mut docs, sources) = batch(&refs);
        let before = docs.clone();
        merge_rare_senses(&mut docs, &sources);
        assert_eq!(docs, before);
        // the first five of them are few enough
        let (mut docs, sources) = batch(&refs[..5]);
        merge_rare_senses(&mut docs, &sources);
        assert!(docs.iter().all(|d| names(d) == names(&docs[0])), "{docs:?}");
    }
}
