//! The cannibalization guard: two pieces of planned or written work in one
//! sector that target the same search must not compete with each other.
//!
//! An idea is *flagged* (never refused) when another idea, task or content
//! item of its sector
//!
//! 1. has the same primary keyword, compared after
//!    [`normalize_keyword`] (NFC, lower case, collapsed spaces) — for a task
//!    its first keyword is its primary keyword; or
//! 2. has a near-identical title: the Jaccard index of the two titles' token
//!    sets is at least [`TITLE_SIMILARITY`] (0.8). Tokens are the
//!    alphanumeric runs of the normalised title (apostrophes joined), minus a
//!    few function words ("a", "the", "for", "to", …), each reduced by the
//!    planner's light stemmer ([`stem`]), so "Best Running Shoes for Flat
//!    Feet" and "The Best Running Shoe for Flat Feet (2025)" match (5 of 6
//!    tokens shared) while "Running Shoes for Flat Feet" and "Running Shoes
//!    for Marathons" do not.
//!
//! The same primary keyword wins over a similar title; among similar titles
//! the most similar one is reported. A work never conflicts with itself or
//! with work derived from it (an idea and the task made from it).
//!
//! [`find_conflict`] is pure; [`check`] and [`candidates`] gather what a
//! work is compared against from an index kept beside the works, so a check
//! reads a bounded number of small items whatever the size of the sector:
//!
//! - one *keyword entry* per work, keyed by its normalised primary keyword:
//!   a check reads the entries under its own keyword;
//! - *title-signature entries*: a title of `n` tokens (global order by hash)
//!   is filed under every `c`-token subset of its first `n − ⌈0.8n⌉ + c`
//!   tokens ([`title_signatures`]; `c` from [`title_subset_size`], at most
//!   21 subsets). Two titles with Jaccard ≥ 0.8 share at least ⌈0.8n⌉
//!   tokens, so their `c` first shared tokens lie in both prefixes: the
//!   checked title reads the subsets of its own prefix for each size a
//!   similar title could have ([`title_probes`]) and meets every similar
//!   title under at least one key (prefix filtering, exact, no false
//!   negatives); candidates are then compared exactly. A check of a typical
//!   title (5–11 tokens) reads 6–21 keys plus one keyword key, each key
//!   at most [`ENTRIES_PER_KEY`] entries.
//!
//! Entries live in the site partition (`CANN#<sector>#KW#<hash>#<work>`,
//! `CANN#<sector>#TS#<hash>#<work>`, with the work's `sector_id`, so a site
//! or sector delete sweeps them) and are written and removed in the same
//! transaction as the idea, task or content item they file ([`tx_reindex`]).

use super::cluster::stem;
use super::normalize::normalize_keyword;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::keys::Tenant;
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Titles whose token sets have a Jaccard index at least this high are
/// near-identical.
pub const TITLE_SIMILARITY: f64 = 0.8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum WorkKind {
    Idea,
    Task,
    Content,
}

/// A piece of work an idea is compared against.
#[derive(Debug, Clone, PartialEq)]
pub struct Work {
    pub kind: WorkKind,
    pub id: String,
    pub title: String,
    pub primary_keyword: Option<String>,
    /// The idea this work was made from (a task's idea), if any.
    pub origin: Option<String>,
}

/// What an idea conflicts with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConflictRef {
    pub kind: WorkKind,
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConflictReason {
    SamePrimaryKeyword,
    SimilarTitle,
}

/// The flag stored on an idea.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Cannibalization {
    pub conflicts_with: ConflictRef,
    pub reason: ConflictReason,
    /// Title similarity (Jaccard index of the token sets), 0–1.
    pub similarity: f64,
    /// A sentence for people.
    pub message: String,
}

fn is_function_word(w: &str) -> bool {
    matches!(
        w,
        "a" | "an" | "the" | "and" | "or" | "for" | "in" | "on" | "to" | "of" | "with" | "by" | "at" | "from" | "your" | "my" | "is" | "are"
    )
}

/// The comparable tokens of a title.
pub fn title_tokens(title: &str) -> BTreeSet<String> {
    let text = normalize_keyword(title).replace(['\'', '\u{2019}'], "");
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty() && !is_function_word(w)).map(stem).collect()
}

/// Jaccard index of the two titles' token sets (0 when either has none).
pub fn title_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (title_tokens(a), title_tokens(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(&b).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The first conflict of an idea (`id`, `title`, `primary_keyword`) with
/// `existing`, or `None`.
pub fn find_conflict(id: &str, title: &str, primary_keyword: &str, existing: &[Work]) -> Option<Cannibalization> {
    let primary = normalize_keyword(primary_keyword);
    let unrelated = existing.iter().filter(|w| w.id != id && w.origin.as_deref() != Some(id));
    let what = |k: WorkKind| match k {
        WorkKind::Idea => "idea",
        WorkKind::Task => "task",
        WorkKind::Content => "content item",
    };
    let reference = |w: &Work| ConflictRef { kind: w.kind, id: w.id.clone(), title: w.title.clone() };
    if !primary.is_empty()
        && let Some(w) = unrelated.clone().find(|w| w.primary_keyword.as_deref().map(normalize_keyword).as_deref() == Some(primary.as_str()))
    {
        return Some(Cannibalization {
            conflicts_with: reference(w),
            reason: ConflictReason::SamePrimaryKeyword,
            similarity: round2(title_similarity(title, &w.title)),
            message: format!("the {} {:?} already targets the primary keyword {:?}", what(w.kind), w.title, primary),
        });
    }
    let best = unrelated
        .map(|w| (title_similarity(title, &w.title), w))
        .filter(|(s, _)| *s >= TITLE_SIMILARITY)
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    Some(Cannibalization {
        conflicts_with: reference(best.1),
        reason: ConflictReason::SimilarTitle,
        similarity: round2(best.0),
        message: format!("the {} {:?} has a near-identical title", what(best.1.kind), best.1.title),
    })
}

// ------------------------------------------------------------------ the index

/// Entries a key read returns at most: reads per check are bounded by the
/// number of keys a title has, never by the size of the sector.
pub const ENTRIES_PER_KEY: i32 = 25;
/// Key reads in flight at once.
const PARALLEL_READS: usize = 8;
/// Most title keys of one title (see [`title_subset_size`]).
pub const MAX_TITLE_KEYS: u64 = 21;

/// One index entry: a work of a sector filed under one key, a normalised
/// primary keyword (`KW`) or a title signature (`TS`, a set of title tokens
/// the work's title must contain). Site partition, sort key
/// `CANN#<sector>#<KW|TS>#<hash>#<work id>` ([`entry_key`]); it carries the
/// work as the guard compares it, so a check reads only entries, never the
/// ideas, tasks or content items (nor their bodies). Entries are written and
/// removed in the same transaction as the work they file ([`tx_reindex`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardEntry {
    pub account_id: String,
    pub site_id: String,
    /// Also what a sector delete filters on.
    pub sector_id: String,
    /// `KW#<hash>` or `TS#<hash>`.
    pub slot: String,
    pub kind: WorkKind,
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub primary_keyword: Option<String>,
    #[serde(default)]
    pub origin: Option<String>,
    /// The job that generated the work (ideas), so a job can leave its own out.
    #[serde(default)]
    pub job_id: Option<String>,
}

impl crate::store::Item for GuardEntry {
    const ENTITY: &'static str = "GuardEntry";
    fn key(&self) -> crate::store::keys::Key {
        entry_key(&Tenant::from_verified(&self.account_id), &self.site_id, &self.sector_id, &self.slot, &self.id)
    }
}

impl GuardEntry {
    fn work(&self) -> Work {
        Work { kind: self.kind, id: self.id.clone(), title: self.title.clone(), primary_keyword: self.primary_keyword.clone(), origin: self.origin.clone() }
    }
}

/// `ACCT#<a>#SITE#<s>` / `CANN#<sector>#<slot>#<work id>`.
pub fn entry_key(t: &Tenant, site_id: &str, sector_id: &str, slot: &str, work_id: &str) -> crate::store::keys::Key {
    crate::store::keys::Key::new(t.site_pk(site_id), format!("{}{slot}#{work_id}", sector_prefix(sector_id)))
}

/// Every index entry of a sector begins with this.
pub fn sector_prefix(sector_id: &str) -> String {
    format!("CANN#{sector_id}#")
}

fn digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn keyword_slot(normalized: &str) -> String {
    format!("KW#{}", digest(normalized))
}

/// Title tokens in the global order every signature uses (by hash, so no
/// word is systematically first; ties by text).
fn ordered_tokens(title: &str) -> Vec<String> {
    let mut tokens: Vec<(String, String)> = title_tokens(title).into_iter().map(|t| (digest(&t), t)).collect();
    tokens.sort();
    tokens.into_iter().map(|(_, t)| t).collect()
}

/// The fewest tokens a title of `n` tokens shares with any title at least
/// [`TITLE_SIMILARITY`] similar to it: ⌈0.8·n⌉ (J = k/(n+m−k) ≥ 0.8 and
/// m ≥ k give k ≥ 0.8·n).
fn min_shared(n: usize) -> usize {
    (4 * n).div_ceil(5)
}

fn binomial(n: usize, k: usize) -> u64 {
    (0..k.min(n)).fold(1u64, |acc, i| acc * (n - i) as u64 / (i as u64 + 1))
}

/// How many tokens a title signature of a title with `n` tokens holds. The
/// prefix-filter argument: if two titles are similar, their `c` first shared
/// tokens (global order) are among the first `n − ⌈0.8n⌉ + c` tokens of
/// each, so both file the same `c`-token subset. Larger `c` makes keys more
/// specific (fewer unrelated titles under one key); it is the largest
/// `c ≤ 5` (and ≤ ⌈0.8n⌉) whose subsets number at most [`MAX_TITLE_KEYS`].
pub fn title_subset_size(n: usize) -> usize {
    let r = n - min_shared(n);
    let mut c = min_shared(n).min(5);
    while c > 1 && binomial(r + c, c) > MAX_TITLE_KEYS {
        c -= 1;
    }
    c
}

/// Every `c`-subset of the first `len` tokens.
fn subsets(tokens: &[String], len: usize, c: usize) -> Vec<Vec<&String>> {
    fn go<'a>(pool: &'a [String], c: usize, start: usize, cur: &mut Vec<&'a String>, out: &mut Vec<Vec<&'a String>>) {
        if cur.len() == c {
            out.push(cur.clone());
            return;
        }
        for i in start..pool.len() {
            cur.push(&pool[i]);
            go(pool, c, i + 1, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    if c > 0 && c <= len {
        go(&tokens[..len.min(tokens.len())], c, 0, &mut Vec::new(), &mut out);
    }
    out
}

fn signature_slot(subset: &[&String]) -> String {
    let joined: Vec<&str> = subset.iter().map(|s| s.as_str()).collect();
    format!("TS#{}", digest(&joined.join(" ")))
}

/// The signatures a title is filed under.
pub fn title_signatures(title: &str) -> Vec<String> {
    let tokens = ordered_tokens(title);
    let n = tokens.len();
    if n == 0 {
        return Vec::new();
    }
    let c = title_subset_size(n);
    let len = n - min_shared(n) + c;
    subsets(&tokens, len, c).iter().map(|s| signature_slot(s)).collect()
}

/// The signatures a check of `title` reads: for every length a similar title
/// may have (⌈0.8n⌉ ..= ⌊n/0.8⌋), the subsets of that length's size among
/// this title's first `n − ⌈0.8n⌉ + c` tokens.
pub fn title_probes(title: &str) -> Vec<String> {
    let tokens = ordered_tokens(title);
    let n = tokens.len();
    if n == 0 {
        return Vec::new();
    }
    let sizes: BTreeSet<usize> = (min_shared(n)..=(5 * n) / 4).map(title_subset_size).collect();
    let mut out: Vec<String> = Vec::new();
    for c in sizes {
        let len = (n - min_shared(n) + c).min(n);
        out.extend(subsets(&tokens, len, c).iter().map(|s| signature_slot(s)));
    }
    out.sort();
    out.dedup();
    out
}

/// The index entries of one work of a sector.
pub fn entries(t: &Tenant, site_id: &str, sector_id: &str, work: &Work, job_id: Option<&str>) -> Vec<GuardEntry> {
    let entry = |slot: String| GuardEntry {
        account_id: t.account_id().to_string(),
        site_id: site_id.to_string(),
        sector_id: sector_id.to_string(),
        slot,
        kind: work.kind,
        id: work.id.clone(),
        title: work.title.clone(),
        primary_keyword: work.primary_keyword.clone(),
        origin: work.origin.clone(),
        job_id: job_id.map(str::to_string),
    };
    let mut out: Vec<GuardEntry> = Vec::new();
    if let Some(kw) = work.primary_keyword.as_deref().map(normalize_keyword).filter(|k| !k.is_empty()) {
        out.push(entry(keyword_slot(&kw)));
    }
    out.extend(title_signatures(&work.title).into_iter().map(entry));
    out
}

/// Transaction steps that move a work's entries from `before` to `after`:
/// entries no longer wanted are deleted, new or changed ones written. Put in
/// the transaction that writes (or deletes) the work, so the index never
/// drifts from what it files.
pub fn tx_reindex(store: &crate::store::Store, before: &[GuardEntry], after: &[GuardEntry]) -> AppResult<Vec<TransactWriteItem>> {
    use crate::store::Item;
    let mut ops = Vec::new();
    for old in before {
        if !after.iter().any(|e| e.key() == old.key()) {
            ops.push(store.tx_delete(&old.key())?);
        }
    }
    for new in after {
        if !before.contains(new) {
            ops.push(store.tx_put(new)?);
        }
    }
    Ok(ops)
}

/// Saves a versioned work (optimistic lock, as [`crate::store::Store::update_versioned`])
/// and moves its index entries from `before` to `after` in the same
/// transaction; a plain conditional write when the entries do not change.
pub async fn save_versioned<T: crate::store::Versioned>(state: &AppState, item: &mut T, before: &[GuardEntry], after: &[GuardEntry]) -> AppResult<()> {
    use crate::error::AppError;
    use crate::store::TxError;
    let store = &state.store;
    let index = tx_reindex(store, before, after)?;
    if index.is_empty() {
        return store.update_versioned(item).await;
    }
    let expected = item.version();
    let mut ops = vec![store.tx_update_versioned(item)?];
    ops.extend(index);
    match store.transact(ops).await {
        Ok(()) => Ok(()),
        Err(e) => {
            item.set_version(expected);
            match e {
                TxError::ConditionFailed(_) => {
                    if store.get::<serde_json::Value>(&item.key()).await?.is_some() {
                        Err(AppError::Conflict(format!("{} was changed since version {expected}; reload it and apply your change again", T::ENTITY)))
                    } else {
                        Err(AppError::not_found(T::ENTITY))
                    }
                }
                TxError::Other(e) => Err(e),
            }
        }
    }
}

/// The works of a sector that may conflict with a work titled `title` with
/// `primary_keyword`: the entries under its keyword and under its title
/// probes (each key read once, at most [`ENTRIES_PER_KEY`] entries), without
/// works generated by `skip_job`. Exact comparison is [`find_conflict`]'s.
pub async fn candidates(
    state: &AppState,
    t: &Tenant,
    site_id: &str,
    sector_id: &str,
    title: &str,
    primary_keyword: &str,
    skip_job: Option<&str>,
) -> AppResult<Vec<Work>> {
    use crate::store::{Query, SkCondition, keys::Index};
    use futures::StreamExt;
    let mut slots = title_probes(title);
    let kw = normalize_keyword(primary_keyword);
    if !kw.is_empty() {
        slots.push(keyword_slot(&kw));
    }
    let prefix = sector_prefix(sector_id);
    let reads = slots.into_iter().map(|slot| {
        let q = Query::new(t, Index::Table, t.site_pk(site_id)).sk(SkCondition::BeginsWith(format!("{prefix}{slot}#"))).limit(ENTRIES_PER_KEY);
        async move { state.store.query::<GuardEntry>(&q).await }
    });
    let pages: Vec<AppResult<crate::store::Page<GuardEntry>>> = futures::stream::iter(reads).buffer_unordered(PARALLEL_READS).collect().await;
    let mut seen = std::collections::HashSet::new();
    let mut works: Vec<Work> = Vec::new();
    for page in pages {
        for e in page?.results {
            if skip_job.is_some() && e.job_id.as_deref() == skip_job {
                continue;
            }
            if seen.insert(e.id.clone()) {
                works.push(e.work());
            }
        }
    }
    // Ideas, then tasks, then content, each oldest first (ids are ULIDs).
    works.sort_by(|a, b| (a.kind as u8, &a.id).cmp(&(b.kind as u8, &b.id)));
    Ok(works)
}

/// The guard's verdict on a work of a sector: [`find_conflict`] against the
/// [`candidates`] the index holds.
pub async fn check(state: &AppState, t: &Tenant, site_id: &str, sector_id: &str, id: &str, title: &str, primary_keyword: &str) -> AppResult<Option<Cannibalization>> {
    let works = candidates(state, t, site_id, sector_id, title, primary_keyword, None).await?;
    Ok(find_conflict(id, title, primary_keyword, &works))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(kind: WorkKind, id: &str, title: &str, kw: Option<&str>, origin: Option<&str>) -> Work {
        Work { kind, id: id.into(), title: title.into(), primary_keyword: kw.map(str::to_string), origin: origin.map(str::to_string) }
    }

    #[test]
    fn near_identical_titles_score_high_and_different_topics_low() {
        let s = title_similarity("Best Running Shoes for Flat Feet", "The Best Running Shoe for Flat Feet (2025)");
        assert!((s - 5.0 / 6.0).abs() < 1e-9, "{s}");
        assert!(title_similarity("Running Shoes for Flat Feet", "Running Shoes for Marathons") < TITLE_SIMILARITY);
        assert_eq!(title_similarity("How to Bake Bread", "how  to bake BREAD"), 1.0);
        assert_eq!(title_similarity("", "anything"), 0.0);
        assert_eq!(title_similarity("Women's Boots", "womens boot"), 1.0);
    }

    #[test]
    fn the_same_primary_keyword_is_a_conflict_whatever_the_title() {
        let existing = vec![
            work(WorkKind::Idea, "I1", "Completely different title", Some("Trail  Running Shoes"), None),
            work(WorkKind::Task, "T1", "Trail running shoes reviewed", Some("other"), None),
        ];
        let c = find_conflict("NEW", "Trail running shoes reviewed!", "trail running shoes", &existing).expect("conflict");
        assert_eq!(c.reason, ConflictReason::SamePrimaryKeyword, "the keyword wins over the similar title");
        assert_eq!(c.conflicts_with, ConflictRef { kind: WorkKind::Idea, id: "I1".into(), title: "Completely different title".into() });
        assert!(c.message.contains("trail running shoes"), "{}", c.message);
    }

    #[test]
    fn a_near_identical_title_is_a_conflict_and_the_most_similar_is_named() {
        let existing = vec![
            work(WorkKind::Task, "T1", "Best trail running shoes for women in winter", Some("a"), None),
            work(WorkKind::Content, "C1", "Best trail running shoes for women", Some("b"), None),
        ];
        let c = find_conflict("NEW", "The best trail running shoes for women", "c", &existing).expect("conflict");
        assert_eq!((c.reason, c.conflicts_with.kind, c.conflicts_with.id.as_str()), (ConflictReason::SimilarTitle, WorkKind::Content, "C1"));
        assert_eq!(c.similarity, 1.0);
        assert!(find_conflict("NEW", "Trail running for beginners", "c", &existing).is_none());
    }

    #[test]
    fn an_idea_never_conflicts_with_itself_or_its_own_task() {
        let existing = vec![
            work(WorkKind::Idea, "I1", "Trail running shoes", Some("trail running shoes"), None),
            work(WorkKind::Task, "T1", "Trail running shoes", Some("trail running shoes"), Some("I1")),
        ];
        assert!(find_conflict("I1", "Trail running shoes", "trail running shoes", &existing).is_none());
        let other = find_conflict("I2", "Trail running shoes", "trail running shoes", &existing).expect("conflict");
        assert_eq!(other.conflicts_with.id, "I1");
        // An empty primary keyword matches no one by keyword.
        let blank = vec![work(WorkKind::Idea, "I3", "Something else entirely", Some(""), None)];
        assert!(find_conflict("I4", "Unrelated words here", "  ", &blank).is_none());
    }

    /// Pseudo-random titles and their near variants: every pair at or above
    /// the similarity threshold shares a key (the index misses no similar
    /// title), and titles are filed under at most 21 keys.
    #[test]
    fn similar_titles_always_share_a_signature() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let word = |i: u64| format!("tok{i}x");
        let (mut similar, mut checked) = (0, 0);
        for _ in 0..4000 {
            let n = 1 + next(24) as usize;
            let mut a: Vec<u64> = Vec::new();
            while a.len() < n {
                let w = next(400);
                if !a.contains(&w) {
                    a.push(w);
                }
            }
            let mut b = a.clone();
            for _ in 0..next(4) {
                if next(2) == 0 && b.len() > 1 {
                    b.remove(next(b.len() as u64) as usize);
                } else {
                    b.push(400 + next(400));
                }
            }
            let (ta, tb) = (a.iter().map(|&i| word(i)).collect::<Vec<_>>().join(" "), b.iter().map(|&i| word(i)).collect::<Vec<_>>().join(" "));
            let filed = title_signatures(&ta);
            assert!(filed.len() as u64 <= MAX_TITLE_KEYS, "{} keys for {n} tokens", filed.len());
            let probes = title_probes(&tb).len();
            assert!(probes <= 86 && (b.len() > 14 || probes <= 31), "{probes} probes for {} tokens", b.len());
            checked += 1;
            if title_similarity(&ta, &tb) >= TITLE_SIMILARITY {
                similar += 1;
                let probes = title_probes(&tb);
                assert!(filed.iter().any(|k| probes.contains(k)), "similar titles share no key: {ta:?} / {tb:?}");
            }
        }
        assert!(similar > 1000, "{similar} of {checked} pairs similar: the test must exercise the claim");
    }

    #[test]
    fn entries_file_the_keyword_and_the_title_signatures() {
        let t = Tenant::from_verified("A1");
        let w = work(WorkKind::Idea, "I1", "Best Running Shoes for Flat Feet", Some(" Running  Shoes "), None);
        let e = entries(&t, "S1", "X1", &w, Some("J1"));
        assert_eq!(e.len(), 1 + title_signatures(&w.title).len());
        assert!(e[0].slot.starts_with("KW#") && e.iter().skip(1).all(|x| x.slot.starts_with("TS#")));
        use crate::store::Item;
        assert!(e.iter().all(|x| x.key().pk == "ACCT#A1#SITE#S1" && x.key().sk.starts_with("CANN#X1#") && x.key().sk.ends_with("#I1")));
        // The same keyword however written files under the same key.
        let w2 = work(WorkKind::Task, "T1", "Other", Some("running shoes"), None);
        assert_eq!(entries(&t, "S1", "X1", &w2, None)[0].slot, e[0].slot);
        // Moving an entry set to another is deletes of the old keys and puts of the new.
        let none: Vec<GuardEntry> = Vec::new();
        assert!(title_signatures("").is_empty());
        assert_eq!(entries(&t, "S1", "X1", &work(WorkKind::Idea, "I2", "", Some(""), None), None), none);
    }

}
