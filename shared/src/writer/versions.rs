//! Versions of a content item's title and body. A version is immutable and
//! numbered from 1 in the order made; the content's `current_version` is the
//! newest. Versions are written only together with their content item (see
//! [`content::save_body`]), so a version never exists without the content
//! change it records.
//!
//! Restoring version *n* saves its title and body as a new version (source
//! `restore`, note "restored from version n"): history only ever grows.
//!
//! A diff compares two versions line by line, one line per block element
//! (paragraph, heading, list item, table row, ...: [`html::diff_lines`]), in
//! `html` mode (the markup) or `text` mode (the visible text of each block),
//! with a unified diff, per-line changes and word-level counts (`similar`,
//! bounded to one second; past it the diff is coarser, never wrong).

use super::content::{self, Content, ContentInput, Origin};
use super::html;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::keys::{Index, Key, Tenant};
use crate::store::{Item, Page, Query, SkCondition};
use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};
use std::time::Duration;

/// What made a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionSource {
    /// The content was created (by hand or import) with this text.
    Create,
    /// A person edited the title or body.
    Edit,
    /// The first AI generation of the body.
    Generate,
    /// A later AI generation (e.g. with new instructions).
    Regenerate,
    /// An earlier version was restored.
    Restore,
    /// The post was edited in WordPress (a sync or webhook pull).
    #[serde(rename = "wordpress")]
    WordPress,
}

/// Whether a version was ever the content's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Saved as the content's text (it may have been superseded since).
    #[default]
    Saved,
    /// An AI result that came back after a person had changed the content:
    /// kept as a version that was never current, so nobody's edit is
    /// overwritten; restore it to adopt it.
    Conflict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContentVersion {
    pub account_id: String,
    pub site_id: String,
    /// The content's sector (so deleting the sector sweeps its versions too).
    #[serde(default)]
    pub sector_id: Option<String>,
    pub content_id: String,
    pub number: u64,
    pub title: String,
    pub body_html: String,
    pub word_count: u32,
    pub source: VersionSource,
    /// Why: an editor's note, generation instructions, "restored from version n".
    #[serde(default)]
    pub note: Option<String>,
    /// A user id, or `job:<job id>`.
    pub created_by: String,
    pub created_at: String,
    #[serde(default)]
    pub status: VersionStatus,
}

impl Item for ContentVersion {
    const ENTITY: &'static str = "ContentVersion";
    fn key(&self) -> Key {
        version_key(&Tenant::from_verified(&self.account_id), &self.site_id, &self.content_id, self.number)
    }
}

/// A version: table `ACCT#<a>#SITE#<s>` / `VER#<content id>#<n, 8 digits>`
/// (zero-padded so the sort key orders versions by number).
pub fn version_key(t: &Tenant, site_id: &str, content_id: &str, number: u64) -> Key {
    Key::new(t.site_pk(site_id), format!("{}{number:08}", versions_prefix(content_id)))
}

/// Sort-key prefix of one content item's versions (ids are fixed-length
/// ULIDs, so one item's prefix never matches another's).
pub fn versions_prefix(content_id: &str) -> String {
    format!("VER#{content_id}#")
}

/// A version without its body, as the list returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VersionSummary {
    pub content_id: String,
    pub number: u64,
    pub title: String,
    pub word_count: u32,
    pub source: VersionSource,
    #[serde(default)]
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: String,
    #[serde(default)]
    pub status: VersionStatus,
}

impl From<&ContentVersion> for VersionSummary {
    fn from(v: &ContentVersion) -> Self {
        Self {
            content_id: v.content_id.clone(),
            number: v.number,
            title: v.title.clone(),
            word_count: v.word_count,
            source: v.source,
            note: v.note.clone(),
            created_by: v.created_by.clone(),
            created_at: v.created_at.clone(),
            status: v.status,
        }
    }
}

/// The versions of a content item (404 if the content is not there).
pub async fn list(
    state: &AppState,
    t: &Tenant,
    site_id: &str,
    content_id: &str,
    newest_first: bool,
    limit: i32,
    cursor: Option<String>,
) -> AppResult<Page<VersionSummary>> {
    content::get_content(state, t, site_id, content_id).await?;
    let q = Query::new(t, Index::Table, t.site_pk(site_id))
        .sk(SkCondition::BeginsWith(versions_prefix(content_id)))
        .limit(limit)
        .cursor(cursor)
        .newest_first(newest_first);
    state.store.query(&q).await
}

/// The highest version number of a content item (0 when it has none): one
/// bounded read of the newest version key.
pub async fn last_number(state: &AppState, t: &Tenant, site_id: &str, content_id: &str) -> AppResult<u64> {
    #[derive(Deserialize, utoipa::ToSchema)]
    struct Number {
        number: u64,
    }
    let q = Query::new(t, Index::Table, t.site_pk(site_id)).sk(SkCondition::BeginsWith(versions_prefix(content_id))).limit(1).newest_first(true);
    Ok(state.store.query::<Number>(&q).await?.results.first().map_or(0, |n| n.number))
}

/// One version of a content item (404 if either is not there).
pub async fn get(state: &AppState, t: &Tenant, site_id: &str, content_id: &str, number: u64) -> AppResult<ContentVersion> {
    content::get_content(state, t, site_id, content_id).await?;
    state.store.get(&version_key(t, site_id, content_id, number)).await?.ok_or_else(|| AppError::not_found("version"))
}

/// Keys of every version of a content item (for deletion).
pub(super) async fn all_keys(state: &AppState, t: &Tenant, site_id: &str, content_id: &str) -> AppResult<Vec<Key>> {
    #[derive(Deserialize, utoipa::ToSchema)]
    struct Number {
        number: u64,
    }
    let q = Query::new(t, Index::Table, t.site_pk(site_id)).sk(SkCondition::BeginsWith(versions_prefix(content_id)));
    let all: Vec<Number> = state.store.query_all(&q, usize::MAX).await?;
    Ok(all.into_iter().map(|n| version_key(t, site_id, content_id, n.number)).collect())
}

/// Restores version `number`: its title and body become a new version
/// (source `restore`). `expected_version` as in [`content::save_body`].
#[allow(clippy::too_many_arguments)]
pub async fn restore(
    state: &AppState,
    t: &Tenant,
    site_id: &str,
    content_id: &str,
    number: u64,
    expected_version: Option<u64>,
    note: Option<String>,
    actor: &str,
) -> AppResult<Content> {
    let v = get(state, t, site_id, content_id, number).await?;
    let input = ContentInput {
        title: Some(v.title),
        body_html: Some(v.body_html),
        note: Some(note.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| format!("restored from version {number}"))),
        ..Default::default()
    };
    content::save_body(state, t, site_id, content_id, expected_version, input, Origin::new(VersionSource::Restore, actor)).await
}

// ------------------------------------------------------------------ diff

/// What a diff compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiffMode {
    /// The markup, one block element per line.
    #[default]
    Html,
    /// The visible text, one block element per line.
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    Equal,
    Insert,
    Delete,
}

/// One line of a diff; line numbers are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DiffLine {
    pub op: DiffOp,
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DiffStats {
    pub lines_added: usize,
    pub lines_removed: usize,
    pub lines_unchanged: usize,
    pub words_added: usize,
    pub words_removed: usize,
    /// 0 (nothing in common) to 1 (same lines).
    pub similarity: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VersionDiff {
    pub content_id: String,
    pub mode: DiffMode,
    pub from: VersionSummary,
    pub to: VersionSummary,
    pub title_changed: bool,
    pub stats: DiffStats,
    pub lines: Vec<DiffLine>,
    /// A unified diff (3 lines of context) of the same lines.
    pub unified: String,
}

const DIFF_TIMEOUT: Duration = Duration::from_secs(1);

fn lines_for(v: &ContentVersion, mode: DiffMode) -> String {
    let lines = html::diff_lines(&v.body_html);
    let lines: Vec<String> = match mode {
        DiffMode::Html => lines,
        DiffMode::Text => lines.iter().map(|l| html::text_of(l).replace('\n', " ")).filter(|l| !l.is_empty()).collect(),
    };
    lines.into_iter().map(|l| l + "\n").collect()
}

/// Compares two versions (pure; see the module doc).
pub fn diff_versions(from: &ContentVersion, to: &ContentVersion, mode: DiffMode) -> VersionDiff {
    let (a, b) = (lines_for(from, mode), lines_for(to, mode));
    let d = TextDiff::configure().timeout(DIFF_TIMEOUT).diff_lines(a.as_str(), b.as_str());
    let mut lines = Vec::new();
    let (mut added, mut removed, mut unchanged) = (0, 0, 0);
    for change in d.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => {
                unchanged += 1;
                DiffOp::Equal
            }
            ChangeTag::Insert => {
                added += 1;
                DiffOp::Insert
            }
            ChangeTag::Delete => {
                removed += 1;
                DiffOp::Delete
            }
        };
        lines.push(DiffLine {
            op,
            old_line: change.old_index().map(|i| i + 1),
            new_line: change.new_index().map(|i| i + 1),
            value: change.value().trim_end_matches('\n').to_string(),
        });
    }
    let unified = d.unified_diff().context_radius(3).header(&format!("version {}", from.number), &format!("version {}", to.number)).to_string();
    let (ta, tb) = (html::text_of(&from.body_html), html::text_of(&to.body_html));
    let words = TextDiff::configure().timeout(DIFF_TIMEOUT).diff_words(ta.as_str(), tb.as_str());
    let (mut words_added, mut words_removed) = (0, 0);
    for change in words.iter_all_changes().filter(|c| !c.value().trim().is_empty()) {
        match change.tag() {
            ChangeTag::Insert => words_added += 1,
            ChangeTag::Delete => words_removed += 1,
            ChangeTag::Equal => {}
        }
    }
    VersionDiff {
        content_id: to.content_id.clone(),
        mode,
        from: from.into(),
        to: to.into(),
        title_changed: from.title != to.title,
        stats: DiffStats {
            lines_added: added,
            lines_removed: removed,
            lines_unchanged: unchanged,
            words_added,
            words_removed,
            similarity: d.ratio(),
        },
        lines,
        unified,
    }
}

/// Diffs versions `from` and `to` of a content item; `to` defaults to the
/// current version and `from` to the one before `to`.
pub async fn diff(
    state: &AppState,
    t: &Tenant,
    site_id: &str,
    content_id: &str,
    from: Option<u64>,
    to: Option<u64>,
    mode: DiffMode,
) -> AppResult<VersionDiff> {
    let c = content::get_content(state, t, site_id, content_id).await?;
    let to = to.unwrap_or(c.current_version);
    let from = from.unwrap_or_else(|| to.saturating_sub(1).max(1));
    for (field, n) in [("from", from), ("to", to)] {
        if n == 0 || n > c.current_version {
            return Err(AppError::field(field, format!("must be a version number from 1 to {}", c.current_version)));
        }
    }
    let (a, b) = tokio::join!(get(state, t, site_id, content_id, from), get(state, t, site_id, content_id, to));
    Ok(diff_versions(&a?, &b?, mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(number: u64, title: &str, body: &str) -> ContentVersion {
        ContentVersion {
            sector_id: None,
            account_id: "A".into(),
            site_id: "S".into(),
            content_id: "C".into(),
            number,
            title: title.into(),
            body_html: body.into(),
            word_count: html::word_count(body),
            source: VersionSource::Edit,
            note: None,
            created_by: "u".into(),
            created_at: String::new(),
            status: VersionStatus::Saved,
        }
    }

    #[test]
    fn version_keys_sort_by_number() {
        let t = Tenant::from_verified("A");
        let k = |n| version_key(&t, "S", "C", n).sk;
        assert_eq!(k(7), "VER#C#00000007");
        assert!(k(9) < k(10) && k(99) < k(100));
        assert!(k(1).starts_with(&versions_prefix("C")));
    }

    #[test]
    fn a_diff_shows_changed_blocks_and_words() {
        let a = v(1, "T", "<h2>Intro</h2><p>One two three.</p><p>Same.</p>");
        let b = v(2, "T2", "<h2>Intro</h2><p>One two four five.</p><p>Same.</p><p>New.</p>");
        let d = diff_versions(&a, &b, DiffMode::Html);
        assert!(d.title_changed);
        assert_eq!((d.stats.lines_added, d.stats.lines_removed, d.stats.lines_unchanged), (2, 1, 2), "{:?}", d.lines);
        assert!(d.lines.iter().any(|l| l.op == DiffOp::Delete && l.value == "<p>One two three.</p>" && l.old_line == Some(2)));
        assert!(d.lines.iter().any(|l| l.op == DiffOp::Insert && l.value == "<p>New.</p>" && l.new_line == Some(4)));
        assert!(d.unified.contains("--- version 1") && d.unified.contains("+<p>New.</p>"), "{}", d.unified);
        // "three." out, "four five." and "New." in.
        assert_eq!((d.stats.words_removed, d.stats.words_added), (1, 3));
        let text = diff_versions(&a, &b, DiffMode::Text);
        assert!(text.lines.iter().any(|l| l.op == DiffOp::Insert && l.value == "New."), "{:?}", text.lines);
        let same = diff_versions(&a, &a, DiffMode::Html);
        assert_eq!((same.stats.lines_added, same.stats.lines_removed, same.stats.similarity), (0, 0, 1.0));
    }

    #[test]
    fn sources_serialise_in_snake_case() {
        assert_eq!(serde_json::to_value(VersionSource::Regenerate).unwrap(), "regenerate");
        assert_eq!(serde_json::from_value::<DiffMode>(serde_json::json!("text")).unwrap(), DiffMode::Text);
    }
}
