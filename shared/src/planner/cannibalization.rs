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
//! [`find_conflict`] is pure; [`sector_works`] gathers what an idea is
//! compared against: the sector's ideas and tasks, and content items through
//! [`content_works`]: the sector's content items (title + focus keyword).

use super::cluster::stem;
use super::normalize::normalize_keyword;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::keys::Tenant;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Titles whose token sets have a Jaccard index at least this high are
/// near-identical.
pub const TITLE_SIMILARITY: f64 = 0.8;

/// Most ideas (and, separately, tasks) of a sector compared against.
pub const MAX_COMPARED: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
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

/// Content items of a sector, for the guard. The writer module does not
/// exist yet: this returns nothing until it plugs its items in here.
pub async fn content_works(state: &AppState, t: &Tenant, site_id: &str, sector_id: &str) -> AppResult<Vec<Work>> {
    use crate::store::{Query, SkCondition, keys::Index};
    use aws_sdk_dynamodb::types::AttributeValue;
    let q = Query::new(t, Index::Table, t.site_pk(site_id))
        .sk(SkCondition::BeginsWith(crate::writer::content::CONTENT_PREFIX.into()))
        .filter("sector_id = :sector", &[], vec![(":sector", AttributeValue::S(sector_id.to_string()))]);
    let items: Vec<crate::writer::content::Content> = state.store.query_all(&q, 10_000).await?;
    Ok(items
        .into_iter()
        .map(|c| Work { kind: WorkKind::Content, id: c.id, title: c.title, primary_keyword: c.focus_keyword, origin: c.idea_id })
        .collect())
}

/// Everything of a sector an idea is compared against: its ideas (except
/// those `skip_job` generated), tasks and content items.
pub async fn sector_works(state: &AppState, t: &Tenant, site_id: &str, sector_id: &str, skip_job: Option<&str>) -> AppResult<Vec<Work>> {
    let mut works: Vec<Work> = super::ideas::all_in_sector(state, t, site_id, sector_id)
        .await?
        .into_iter()
        .filter(|i| skip_job.is_none() || i.job_id.as_deref() != skip_job)
        .map(|i| i.as_work())
        .collect();
    works.extend(super::tasks::all_in_sector(state, t, site_id, sector_id).await?.iter().map(super::tasks::Task::as_work));
    works.extend(content_works(state, t, site_id, sector_id).await?);
    Ok(works)
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
}
