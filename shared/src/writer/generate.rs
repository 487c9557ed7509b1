//! `generate_content`: the AI function that writes (and rewrites) articles.
//!
//! # The brief
//! A job starts from a content item or from a task. The brief is gathered
//! from what the planner stored: the task (title, brief, keywords, word
//! count, tone, language), its idea (structure, content type, primary and
//! secondary keywords and the H2 outline with what each section covers) and
//! the content item (title, focus keyword). Nothing is a fixed template:
//! the outline gives the sections, the structure shapes them.
//!
//! # Shape of the answer
//! The provider answers JSON, not free HTML: a title, meta fields, an
//! introduction and one object per outline section (`heading` and a fixed
//! number of HTML blocks, each a paragraph, list, H3 or table), plus what the
//! structure needs: a comparison brings a `comparison_table` (rendered as a
//! `<table>`), a review its pros and cons, a listicle and a how-to get
//! numbered headings. The number of blocks per section follows from the
//! target word count (about [`WORDS_PER_BLOCK`] words each, see [`plan`]); the
//! words per block are then sized so the whole article, headings included,
//! lands on the target ([`block_words`]). The prompt states them; the schema
//! carries them as string lengths, which steers the offline provider to the
//! right length (OpenAI's strict mode does not take string lengths). The
//! HTML we assemble goes through [`html::sanitize`], so nothing the model
//! writes (`<script>`, `onerror=`, `javascript:` links, unclosed tags) is
//! ever stored raw.
//!
//! # Validation
//! [`html::validate_article`] on the assembled article: allowed markup, H2/H3
//! structure, word count within ±20 % of the target, focus keyword in the
//! title, the first paragraph and one H2. A failing article gets one retry
//! that quotes the problems. If the word count is still off, the job fails
//! (credits released). Keyword placement still missing after the retry is
//! fixed deterministically (keyword-led title, an opening sentence naming
//! it, the first H2 extended with it) and reported in the job result as
//! `fixes`. Meta title and description are filled to ≤ 60 / ≤ 160
//! characters from the title and the text when the answer's do not fit.
//!
//! # Regeneration
//! `mode: "regenerate"` rewrites the whole article with optional
//! instructions, or with `section` (an H2's text, or its 1-based number) only
//! that section: the rest of the body is kept byte for byte. Either way the
//! result is a new version (source `regenerate`, the instructions as note).
//!
//! # Credits
//! 1 credit per 500 words (`costs.content_per_500_words`), started blocks of
//! 500 counted: reserved for the target + 20 %, settled on the real count.

use super::content::{self, AiMeta, Content, ContentInput, Origin};
use super::html;
use super::versions::VersionSource;
use crate::ai::function::{AiFunction, JobCtx, Outcome, Prepared};
use crate::ai::provider::ChatRequest;
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult};
use crate::jobs::JobError;
use crate::planner::ideas::{self, Idea, Structure};
use crate::planner::tasks::{self, Task, TaskStatus};
use crate::sites::Scope;
use crate::state::AppState;
use crate::store::keys::{self, Tenant};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Words one HTML block is asked to hold.
pub const WORDS_PER_BLOCK: u32 = 60;
/// Smallest and largest target word counts.
pub const MIN_WORDS: u32 = 300;
pub const MAX_WORDS: u32 = 5_000;
/// Target when neither the request, the task nor the idea gives one.
pub const DEFAULT_WORDS: u32 = 1_200;
/// Sections when there is no outline to follow.
const DEFAULT_SECTIONS: usize = 5;
const MAX_SECTIONS: usize = 12;
/// Blocks in one section (a long article with a short outline gets long
/// sections; blocks may be H3 sub-sections).
const MAX_BLOCKS_PER_SECTION: usize = 40;

/// What a client sends.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GenerateContentInput)]
pub struct GenerateInput {
    #[serde(default)]
    pub site_id: Option<String>,
    /// Set from the path by the HTTP layer.
    #[serde(default)]
    pub content_id: Option<String>,
    /// Set from the path by the HTTP layer (generate from a task).
    #[serde(default)]
    pub task_id: Option<String>,
    /// `generate` (default) or `regenerate`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Regenerate only this section: an H2's text or its 1-based number.
    #[serde(default)]
    pub section: Option<Value>,
    #[serde(default)]
    pub instructions: Option<String>,
    #[serde(default)]
    pub target_word_count: Option<u32>,
    #[serde(default)]
    pub tone: Option<String>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// Everything the prompt is built from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Brief {
    pub title: String,
    pub focus_keyword: String,
    pub secondary_keywords: Vec<String>,
    pub target_words: u32,
    pub structure: Structure,
    pub content_type: String,
    pub outline: Vec<(String, String)>,
    pub tone: String,
    pub language: String,
    pub notes: String,
}

pub struct GenerateContent;

fn cost_for(state: &AppState, words: u32) -> f64 {
    f64::from(words.div_ceil(500).max(1)) * state.config.costs.content_per_500_words
}

async fn load_task(state: &AppState, t: &Tenant, site_id: &str, id: &str) -> AppResult<Option<Task>> {
    state.store.get(&tasks::task_key(t, site_id, id)).await
}

async fn load_idea(state: &AppState, t: &Tenant, site_id: &str, id: &str) -> AppResult<Option<Idea>> {
    state.store.get(&ideas::idea_key(t, site_id, id)).await
}

/// The content written for a task, if any.
async fn content_of_task(state: &AppState, t: &Tenant, site_id: &str, task_id: &str) -> AppResult<Option<Content>> {
    let q = crate::store::Query::new(t, crate::store::keys::Index::Gsi2, content::content_by_task(t, site_id, task_id));
    Ok(state.store.query_all::<Content>(&q, 1).await?.into_iter().next())
}

/// Builds the brief from the task, its idea and the content item.
fn brief_of(task: Option<&Task>, idea: Option<&Idea>, content: Option<&Content>, input: &GenerateInput) -> AppResult<Brief> {
    let title = content
        .map(|c| c.title.clone())
        .or_else(|| task.map(|t| t.title.clone()))
        .or_else(|| idea.map(|i| i.title.clone()))
        .unwrap_or_default();
    let focus = content
        .and_then(|c| c.focus_keyword.clone())
        .or_else(|| idea.map(|i| i.primary_keyword.clone()))
        .or_else(|| task.and_then(|t| t.keywords.first().cloned()))
        .filter(|k| !k.trim().is_empty())
        .ok_or_else(|| AppError::field("focus_keyword", "the content needs a focus keyword (set it on the content, or generate from a task or idea that has keywords)"))?;
    let mut secondary: Vec<String> = content.map(|c| c.secondary_keywords.clone()).unwrap_or_default();
    if secondary.is_empty() {
        secondary = idea.map(|i| i.secondary_keywords.clone()).unwrap_or_default();
    }
    if secondary.is_empty() {
        secondary = task.map(|t| t.keywords.iter().skip(1).cloned().collect()).unwrap_or_default();
    }
    // A length asked for in the request must fit; one planned on the task or
    // idea is brought into the range one generation can write.
    let target = match input.target_word_count {
        Some(w) if !(MIN_WORDS..=MAX_WORDS).contains(&w) => {
            return Err(AppError::field("target_word_count", format!("must be from {MIN_WORDS} to {MAX_WORDS}")));
        }
        Some(w) => w,
        None => task
            .map(|t| t.target_word_count)
            .filter(|w| *w > 0)
            .or_else(|| idea.map(|i| i.target_word_count).filter(|w| *w > 0))
            .unwrap_or(DEFAULT_WORDS)
            .clamp(MIN_WORDS, MAX_WORDS),
    };
    let tone = input.tone.clone().or_else(|| task.and_then(|t| t.tone.clone())).unwrap_or_else(|| "clear, helpful and specific".into());
    if tone.chars().count() > 200 {
        return Err(AppError::field("tone", "must be at most 200 characters"));
    }
    let language = content.map(|c| c.language.clone()).or_else(|| task.map(|t| t.language.clone())).unwrap_or_else(|| "en".into());
    let outline = idea.map(|i| i.outline.iter().map(|s| (s.heading.clone(), s.covers.clone())).collect()).unwrap_or_default();
    Ok(Brief {
        title: if title.trim().is_empty() { focus.clone() } else { title },
        focus_keyword: focus,
        secondary_keywords: secondary.into_iter().take(10).collect(),
        target_words: target,
        structure: idea.map(|i| i.structure).unwrap_or(Structure::Article),
        content_type: idea.map(|i| format!("{:?}", i.content_type).to_lowercase()).unwrap_or_else(|| "post".into()),
        outline,
        tone,
        language,
        notes: task.map(|t| t.brief.clone()).unwrap_or_default(),
    })
}

/// Words a heading is reckoned at when sizing the blocks.
const HEADING_WORDS: u32 = 5;

/// Sections and blocks per section for a brief.
pub fn plan(brief: &Brief) -> (usize, usize) {
    let sections = if brief.outline.is_empty() { DEFAULT_SECTIONS } else { brief.outline.len().min(MAX_SECTIONS) };
    let blocks_total = f64::from(brief.target_words) / f64::from(WORDS_PER_BLOCK) - 1.0;
    let per = (blocks_total / sections as f64).round().clamp(1.0, MAX_BLOCKS_PER_SECTION as f64) as usize;
    (sections, per)
}

/// Words each block (and the introduction) should hold so that the whole
/// article, headings included, lands on the target.
pub fn block_words(brief: &Brief, sections: usize, per: usize) -> u32 {
    let text = brief.target_words.saturating_sub(HEADING_WORDS * sections as u32);
    (text / (sections * per + 1) as u32).clamp(15, 150)
}

fn structure_guidance(s: Structure) -> &'static str {
    match s {
        Structure::Article => "An article: explain the topic in depth, one idea per section.",
        Structure::Guide => "A guide: take the reader from basics to advanced, with practical advice and H3 sub-steps where useful.",
        Structure::HowTo => "A how-to: each section is one step in order; start blocks with the action; include a short list of what is needed in the introduction.",
        Structure::Listicle => "A listicle: each section is one list item (its heading names the item); keep items parallel and scannable.",
        Structure::Comparison => "A comparison: compare the options on the same criteria in each section and fill comparison_table (one column per option, one row per criterion).",
        Structure::Review => "A review: describe, test and judge; fill verdict with honest pros and cons.",
        Structure::ClusterHub => "A cluster hub: a broad overview of the topic that introduces each sub-topic briefly and points to deeper articles.",
    }
}

fn string(min: usize, max: usize) -> Value {
    json!({"type": "string", "minLength": min, "maxLength": max})
}

/// A text of about `words` words, as length bounds (≈ 6–7 characters a word;
/// OpenAI gets the words in the prompt, the offline provider follows these).
fn sized(words: u32) -> Value {
    string(words as usize * 6, words as usize * 7)
}

fn blocks(n: usize, words: u32) -> Value {
    json!({"type": "array", "minItems": n, "maxItems": n, "items": sized(words)})
}

/// The JSON schema of a whole article.
pub fn article_schema(brief: &Brief, sections: usize, per: usize) -> Value {
    let words = block_words(brief, sections, per);
    let section = json!({"type": "object", "properties": {"heading": string(3, 120), "html_blocks": blocks(per, words)}, "required": ["heading", "html_blocks"], "additionalProperties": false});
    let mut props = json!({
        "title": string(10, 120),
        "meta_title": string(10, 60),
        "meta_description": string(50, 160),
        "excerpt": string(40, 400),
        "introduction_html": sized(words),
        "sections": {"type": "array", "minItems": sections, "maxItems": sections, "items": section},
    });
    let mut required = vec!["title", "meta_title", "meta_description", "excerpt", "introduction_html", "sections"];
    match brief.structure {
        Structure::Comparison => {
            props["comparison_table"] = json!({"type": "object", "properties": {
                "columns": {"type": "array", "minItems": 2, "maxItems": 6, "items": string(1, 60)},
                "rows": {"type": "array", "minItems": 2, "maxItems": 12, "items": {"type": "array", "minItems": 2, "maxItems": 6, "items": string(1, 200)}}
            }, "required": ["columns", "rows"], "additionalProperties": false});
            required.push("comparison_table");
        }
        Structure::Review => {
            props["verdict"] = json!({"type": "object", "properties": {
                "pros": {"type": "array", "minItems": 2, "maxItems": 8, "items": string(3, 200)},
                "cons": {"type": "array", "minItems": 1, "maxItems": 8, "items": string(3, 200)}
            }, "required": ["pros", "cons"], "additionalProperties": false});
            required.push("verdict");
        }
        _ => {}
    }
    json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Section {
    pub heading: String,
    pub html_blocks: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Verdict {
    pub pros: Vec<String>,
    pub cons: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Article {
    pub title: String,
    pub meta_title: String,
    pub meta_description: String,
    pub excerpt: String,
    pub introduction_html: String,
    pub sections: Vec<Section>,
    #[serde(default)]
    pub comparison_table: Option<Table>,
    #[serde(default)]
    pub verdict: Option<Verdict>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// One block as HTML: kept when it is a block element, else a paragraph.
fn block(b: &str) -> String {
    let t = b.trim();
    let lower = t.to_ascii_lowercase();
    let is_block = ["<p", "<ul", "<ol", "<table", "<h3", "<h4", "<blockquote", "<figure", "<pre"].iter().any(|p| lower.starts_with(p));
    if is_block { t.to_string() } else { format!("<p>{t}</p>") }
}

/// A heading as the structure shows it (numbered for listicles and how-tos).
fn heading_for(structure: Structure, i: usize, text: &str) -> String {
    let text = html::text_of(text).trim().to_string();
    let numbered = text.split_whitespace().next().is_some_and(|w| w.trim_end_matches(['.', ':', ')']).parse::<u32>().is_ok());
    match structure {
        Structure::Listicle if !numbered => format!("{}. {text}", i + 1),
        Structure::HowTo if !numbered && !text.to_lowercase().starts_with("step") => format!("Step {}: {text}", i + 1),
        _ => text,
    }
}

/// The section's HTML (`<h2>` and its blocks).
fn section_html(structure: Structure, i: usize, s: &Section) -> String {
    let mut out = format!("<h2>{}</h2>", escape(&heading_for(structure, i, &s.heading)));
    for b in &s.html_blocks {
        out.push_str(&block(b));
    }
    out
}

/// Assembles (and sanitises) the article body.
pub fn render(brief: &Brief, a: &Article) -> String {
    let mut out = block(&a.introduction_html);
    for (i, s) in a.sections.iter().enumerate() {
        out.push_str(&section_html(brief.structure, i, s));
        if i == 0
            && let Some(t) = &a.comparison_table
        {
            out.push_str("<table><thead><tr>");
            for c in &t.columns {
                out.push_str(&format!("<th>{}</th>", escape(c)));
            }
            out.push_str("</tr></thead><tbody>");
            for r in &t.rows {
                out.push_str("<tr>");
                for c in r.iter().take(t.columns.len()) {
                    out.push_str(&format!("<td>{}</td>", escape(c)));
                }
                out.push_str("</tr>");
            }
            out.push_str("</tbody></table>");
        }
    }
    if let Some(v) = &a.verdict {
        out.push_str("<h2>Pros and cons</h2><h3>Pros</h3><ul>");
        for p in &v.pros {
            out.push_str(&format!("<li>{}</li>", escape(p)));
        }
        out.push_str("</ul><h3>Cons</h3><ul>");
        for c in &v.cons {
            out.push_str(&format!("<li>{}</li>", escape(c)));
        }
        out.push_str("</ul>");
    }
    html::sanitize(&out)
}

/// Puts the focus keyword where the checks need it; returns what changed.
pub fn fix_keyword_placement(title: &mut String, body: &mut String, keyword: &str) -> Vec<String> {
    let mut fixes = Vec::new();
    if !html::contains_keyword(title, keyword) {
        *title = format!("{}: {title}", html::capitalize(keyword));
        fixes.push("title led with the focus keyword".to_string());
    }
    if !html::first_paragraph_text(body).is_some_and(|p| html::contains_keyword(&p, keyword)) {
        *body = format!("<p>This article is about {}.</p>{body}", escape(keyword));
        fixes.push("opening sentence names the focus keyword".to_string());
    }
    let hs = html::headings(body);
    if !hs.iter().any(|h| h.level == 2 && html::contains_keyword(&h.text, keyword))
        && let Some(start) = body.find("<h2>")
        && let Some(end) = body[start..].find("</h2>")
    {
        let end = start + end;
        body.insert_str(end, &format!(": {}", escape(keyword)));
        fixes.push("first H2 names the focus keyword".to_string());
    }
    if !fixes.is_empty() {
        *body = html::sanitize(body);
    }
    fixes
}

fn prompt(brief: &Brief, sections: usize, per: usize) -> ChatRequest {
    let outline = if brief.outline.is_empty() {
        format!("No outline was given: plan {sections} H2 sections that cover the topic fully.")
    } else {
        let lines: Vec<String> =
            brief.outline.iter().take(sections).enumerate().map(|(i, (h, c))| format!("{}. {h} — covers: {c}", i + 1)).collect();
        format!("Follow this outline, one section per line, in this order (you may sharpen a heading's wording, not its topic):\n{}", lines.join("\n"))
    };
    let words = brief.target_words;
    let block = block_words(brief, sections, per);
    ChatRequest {
        system: format!(
            "You are an expert SEO content writer. Write in the language with tag {:?}, tone: {}. Answer only with the JSON asked for. \
             HTML blocks may use p, ul, ol, li, h3, table, blockquote, strong, em and a (https links only); never h1, h2, scripts, styles or attributes other than href.",
            brief.language, brief.tone
        ),
        user: format!(
            "Write a {content_type} titled {title:?}.\nStructure: {structure}\nFocus keyword: {kw:?} — it must appear in the title, in the introduction's first sentence and in at least one section heading.\n\
             Secondary keywords (use naturally): {secondary}\nTarget length: {words} words in total: an introduction of about {block} words and {per} blocks of about {block} words in each of the {sections} sections.\n\
             {outline}\n{notes}Meta title at most 60 characters, meta description at most 160, both with the focus keyword.",
            content_type = brief.content_type,
            title = brief.title,
            structure = structure_guidance(brief.structure),
            kw = brief.focus_keyword,
            secondary = if brief.secondary_keywords.is_empty() { "none".to_string() } else { brief.secondary_keywords.join(", ") },
            notes = if brief.notes.trim().is_empty() { String::new() } else { format!("Brief from the editor: {}\n", brief.notes.trim()) },
        ),
        json_schema: Some(("article".into(), article_schema(brief, sections, per))),
        max_tokens: Some((words * 2 + 800).min(16_000)),
        temperature: Some(0.7),
    }
}

fn check_article(sections: usize, per: usize) -> impl Fn(&Article) -> Result<(), String> {
    move |a: &Article| {
        if a.title.trim().is_empty() {
            return Err("the title is empty".into());
        }
        if a.sections.len() != sections {
            return Err(format!("expected {sections} sections, got {}", a.sections.len()));
        }
        if let Some(s) = a.sections.iter().find(|s| s.heading.trim().is_empty() || s.html_blocks.len() != per || s.html_blocks.iter().any(|b| b.trim().is_empty())) {
            return Err(format!("section {:?} must have a heading and exactly {per} non-empty blocks", s.heading));
        }
        Ok(())
    }
}

/// Which section (0-based index among the H2 sections) `sel` names.
fn find_section(body: &str, sel: &Value) -> Option<usize> {
    let h2: Vec<String> = html::headings(body).into_iter().filter(|h| h.level == 2).map(|h| h.text).collect();
    match sel {
        Value::Number(n) => n.as_u64().and_then(|n| (n as usize).checked_sub(1)).filter(|i| *i < h2.len()),
        Value::String(s) => match s.trim().parse::<usize>() {
            Ok(n) => n.checked_sub(1).filter(|i| *i < h2.len()),
            Err(_) => h2.iter().position(|h| html::match_form(h) == html::match_form(s)),
        },
        _ => None,
    }
}

/// Splits a sanitised body into (before the first H2, [H2 sections]).
fn split_sections(body: &str) -> (String, Vec<String>) {
    let mut parts = body.split("<h2>");
    let head = parts.next().unwrap_or_default().to_string();
    (head, parts.map(|p| format!("<h2>{p}")).collect())
}

impl GenerateInput {
    /// The request's input: the JSON body (optional), `site_id` from the
    /// query when the body lacks it, the content or task id from the path.
    pub fn from_request(ctx: &crate::http::RequestCtx, content_id: Option<&str>, task_id: Option<&str>, mode: &str) -> AppResult<(Value, bool)> {
        let mut input: GenerateInput = if ctx.body.is_empty() { GenerateInput::default() } else { ctx.json()? };
        if input.site_id.is_none() {
            input.site_id = ctx.query("site_id").map(str::to_string);
        }
        input.content_id = content_id.map(str::to_string);
        input.task_id = task_id.map(str::to_string);
        input.mode = Some(mode.to_string());
        let dry_run = ctx.query_flag("dry_run")? | input.dry_run.take().unwrap_or(false);
        Ok((serde_json::to_value(&input).map_err(AppError::internal)?, dry_run))
    }
}


impl AiFunction for GenerateContent {
    fn name(&self) -> &'static str {
        "generate_content"
    }

    fn description(&self) -> &'static str {
        "writes (or rewrites) an article from its brief and outline"
    }

    fn prepare<'a>(&'a self, state: &'a AppState, p: &'a Principal, input: Value) -> BoxFuture<'a, AppResult<Prepared>> {
        Box::pin(async move {
            let input: GenerateInput = crate::ai::function::parse_input(input)?;
            let site_id = input.site_id.as_deref().ok_or_else(|| AppError::field("site_id", "is required"))?;
            let scope: Scope = crate::sites::scope(state, p, site_id, None).await?;
            let t = &scope.tenant;
            let regenerate = match input.mode.as_deref() {
                None | Some("generate") => false,
                Some("regenerate") => true,
                Some(_) => return Err(AppError::field("mode", "must be generate or regenerate")),
            };
            if input.instructions.as_deref().is_some_and(|i| i.chars().count() > 2000) {
                return Err(AppError::field("instructions", "must be at most 2000 characters"));
            }
            let (task, mut existing) = match (&input.task_id, &input.content_id) {
                (Some(task_id), None) => {
                    let task = tasks::get(state, &scope, task_id).await?;
                    if matches!(task.status, TaskStatus::Published | TaskStatus::Cancelled) {
                        return Err(AppError::Conflict(format!("the task is {}; reopen it before generating", task.status.as_str())));
                    }
                    let existing = content_of_task(state, t, site_id, &task.id).await?;
                    (Some(task), existing)
                }
                (None, Some(content_id)) => {
                    let c = content::get(state, &scope, content_id).await?;
                    let task = match &c.task_id {
                        Some(id) => load_task(state, t, site_id, id).await?,
                        None => None,
                    };
                    (task, Some(c))
                }
                _ => return Err(AppError::internal("generate needs a content or a task id")),
            };
            let idea_id = existing.as_ref().and_then(|c| c.idea_id.clone()).or_else(|| task.as_ref().and_then(|t| t.idea_id.clone()));
            let idea = match idea_id {
                Some(id) => load_idea(state, t, site_id, &id).await?,
                None => None,
            };
            let brief = brief_of(task.as_ref(), idea.as_ref(), existing.as_ref(), &input)?;
            let section = match (&input.section, regenerate) {
                (Some(_), false) => return Err(AppError::field("section", "is only for regenerate")),
                (Some(sel), true) => {
                    let c = existing.as_ref().ok_or_else(|| AppError::field("section", "the content has no body yet"))?;
                    Some(find_section(&c.body_html, sel).ok_or_else(|| AppError::field("section", "names no H2 of the article (give its heading text or its number)"))?)
                }
                (None, _) => None,
            };
            if regenerate && existing.as_ref().is_none_or(|c| c.body_html.trim().is_empty()) {
                return Err(AppError::field("mode", "there is nothing to regenerate yet; generate first"));
            }
            let (sections, per) = plan(&brief);
            let words = match section {
                Some(_) => (per as u32 + 1) * block_words(&brief, sections, per),
                None => brief.target_words,
            };
            let estimate = cost_for(state, html::word_range(words).1);
            let content_id = existing.take().map(|c| c.id);
            Ok(Prepared {
                input: json!({
                    "site_id": site_id, "content_id": content_id, "task_id": task.as_ref().map(|t| t.id.clone()),
                    "idea_id": idea.as_ref().map(|i| i.id.clone()), "brief": brief, "regenerate": regenerate,
                    "section": section, "instructions": input.instructions,
                }),
                estimate,
                preview: json!({"title": brief.title, "focus_keyword": brief.focus_keyword, "target_words": words, "sections": sections, "blocks_per_section": per, "structure": brief.structure, "regenerate": regenerate, "section": section.map(|s| s + 1)}),
            })
        })
    }

    fn execute<'a>(&'a self, ctx: &'a JobCtx) -> BoxFuture<'a, Result<Outcome, JobError>> {
        Box::pin(async move {
            let retry = JobError::from;
            let input = &ctx.job.input;
            let brief: Brief = serde_json::from_value(input["brief"].clone()).map_err(|e| JobError::Permanent(format!("job brief unreadable: {e}")))?;
            let site_id = input["site_id"].as_str().unwrap_or_default().to_string();
            let t = ctx.tenant();
            let state = &ctx.state;
            let instructions = input["instructions"].as_str().map(str::to_string);
            let regenerate = input["regenerate"].as_bool().unwrap_or(false);
            let existing = match input["content_id"].as_str() {
                Some(id) => Some(content::get_content(state, &t, &site_id, id).await.map_err(retry)?),
                None => None,
            };
            let (sections, per) = plan(&brief);
            let mut fixes: Vec<String> = Vec::new();

            ctx.progress("Writing", 20).await;
            let (title, body, meta_title, meta_description, excerpt) = match (input["section"].as_u64(), &existing) {
                (Some(i), Some(c)) => {
                    let words = block_words(&brief, sections, per);
                    let (title, body) = regenerate_section(ctx, &brief, c, i as usize, (per, words), instructions.as_deref()).await?;
                    (title, body, c.meta_title.clone(), c.meta_description.clone(), c.excerpt.clone())
                }
                _ => {
                    let mut req = prompt(&brief, sections, per);
                    if let Some(i) = &instructions {
                        req.user.push_str(&format!("\nInstructions for this version: {i}"));
                    }
                    if let (true, Some(c)) = (regenerate, &existing) {
                        req.user.push_str(&format!("\nThe current version, to improve on:\n{}", html::text_of(&c.body_html).chars().take(6000).collect::<String>()));
                    }
                    let mut article: Article = ctx.ask_json(req.clone(), check_article(sections, per)).await?;
                    let mut body = render(&brief, &article);
                    if let Err(problems) = html::validate_article(&body, &brief.focus_keyword, &article.title, brief.target_words) {
                        ctx.progress("Revising", 50).await;
                        let mut again = req;
                        again.user.push_str(&format!("\n\nA previous attempt had these problems; avoid them:\n- {}", problems.join("\n- ")));
                        article = ctx.ask_json(again, check_article(sections, per)).await?;
                        body = render(&brief, &article);
                    }
                    let mut title = html::text_of(&article.title).trim().to_string();
                    if let Err(problems) = html::validate_article(&body, &brief.focus_keyword, &title, brief.target_words) {
                        if let Some(p) = problems.iter().find(|p| p.contains(" words; ")) {
                            return Err(JobError::Permanent(format!("the article missed its length after a retry: {p}")));
                        }
                        fixes = fix_keyword_placement(&mut title, &mut body, &brief.focus_keyword);
                        if let Err(problems) = html::validate_article(&body, &brief.focus_keyword, &title, brief.target_words) {
                            return Err(JobError::Permanent(format!("the article fails its checks: {}", problems.join("; "))));
                        }
                    }
                    let text = html::text_of(&body);
                    let meta_title = Some(html::text_of(&article.meta_title).trim().to_string())
                        .filter(|m| m.chars().count() <= html::META_TITLE_MAX && html::contains_keyword(m, &brief.focus_keyword))
                        .unwrap_or_else(|| html::meta_title(&title, &brief.focus_keyword));
                    let meta_description = Some(html::text_of(&article.meta_description).trim().to_string())
                        .filter(|m| m.chars().count() <= html::META_DESCRIPTION_MAX && html::contains_keyword(m, &brief.focus_keyword))
                        .unwrap_or_else(|| html::meta_description(&text, &brief.focus_keyword));
                    let excerpt = html::fit(&html::text_of(&article.excerpt), content::EXCERPT_MAX, true);
                    (title, body, meta_title, meta_description, excerpt)
                }
            };

            ctx.progress("Saving", 85).await;
            let (tokens, provider, model) = ctx.usage();
            let ai = AiMeta { provider: provider.unwrap_or_default(), model: model.unwrap_or_default(), tokens };
            let source = if regenerate { VersionSource::Regenerate } else { VersionSource::Generate };
            let origin = Origin::new(source, format!("job:{}", ctx.job.id));
            // What the job produced is what it costs, wherever it is kept.
            let produced_cost = match input["section"].as_u64() {
                Some(_) => cost_for(state, (per as u32 + 1) * block_words(&brief, sections, per)),
                None => cost_for(state, html::word_count(&body)),
            };
            let fields = ContentInput {
                title: Some(title.clone()),
                body_html: Some(body),
                excerpt: Some(excerpt),
                meta_title: Some(meta_title),
                meta_description: Some(meta_description),
                note: instructions.clone(),
                ai: Some(ai),
                ..Default::default()
            };
            let saved = match &existing {
                // Saved on the version the job read: a person's edit meanwhile
                // stays current, and the result is kept as a `conflict` version.
                Some(c) => match content::save_body(state, &t, &site_id, &c.id, Some(c.version), fields.clone(), origin.clone()).await {
                    Ok(saved) => saved,
                    Err(AppError::Conflict(_)) => {
                        let number = content::save_conflict_version(state, &t, &site_id, &c.id, fields, origin).await.map_err(retry)?;
                        let now = content::get_content(state, &t, &site_id, &c.id).await.map_err(retry)?;
                        return Ok(Outcome {
                            result: json!({
                                "content_id": c.id, "conflict": true, "version": number, "current_version": now.current_version,
                                "message": format!("the content was edited while this job ran; the edit stays current and this result was kept as version {number} (status conflict): restore it to use it"),
                            }),
                            actual_cost: produced_cost,
                        });
                    }
                    Err(e) => return Err(retry(e)),
                },
                None => {
                    // From a task: the content's id is derived from the job, so a retry finds it.
                    let id = crate::ids::derived(&ctx.job.id, "content");
                    match content::get_content(state, &t, &site_id, &id).await {
                        Ok(c) => c,
                        Err(_) => {
                            let task_id = input["task_id"].as_str().map(str::to_string);
                            let task = match &task_id {
                                Some(tid) => load_task(state, &t, &site_id, tid).await.map_err(retry)?,
                                None => None,
                            };
                            let create = ContentInput {
                                id: Some(id),
                                task_id: task_id.clone(),
                                idea_id: input["idea_id"].as_str().map(str::to_string),
                                cluster_id: task.as_ref().and_then(|t| t.cluster_id.clone()),
                                focus_keyword: Some(brief.focus_keyword.clone()),
                                secondary_keywords: Some(brief.secondary_keywords.clone()),
                                language: Some(brief.language.clone()),
                                ..fields
                            };
                            let sector = task.as_ref().map(|t| t.sector_id.clone());
                            content::create_content(state, &t, &site_id, sector.as_deref(), create, origin).await.map_err(retry)?
                        }
                    }
                }
            };
            if let Some(task_id) = saved.task_id.clone() {
                mark_task_generated(state, &t, &site_id, &task_id).await.map_err(retry)?;
            }
            let words = saved.word_count;
            Ok(Outcome {
                result: json!({"content_id": saved.id, "title": saved.title, "word_count": words, "target_words": brief.target_words, "version": saved.current_version, "fixes": fixes, "regenerated_section": input["section"].as_u64().map(|s| s + 1)}),
                actual_cost: match input["section"].as_u64() {
                    Some(_) => cost_for(state, (per as u32 + 1) * block_words(&brief, sections, per)),
                    None => cost_for(state, words),
                },
            })
        })
    }
}

/// Rewrites section `i` of the content; returns (title, body).
async fn regenerate_section(ctx: &JobCtx, brief: &Brief, c: &Content, i: usize, (per, words): (usize, u32), instructions: Option<&str>) -> Result<(String, String), JobError> {
    let (head, sections) = split_sections(&c.body_html);
    let Some(current) = sections.get(i) else {
        return Err(JobError::Permanent("the section no longer exists (the article changed)".into()));
    };
    let headings: Vec<String> = html::headings(&c.body_html).into_iter().filter(|h| h.level == 2).map(|h| h.text).collect();
    let schema = json!({"type": "object", "properties": {"heading": string(3, 120), "html_blocks": blocks(per, words)}, "required": ["heading", "html_blocks"], "additionalProperties": false});
    let req = ChatRequest {
        system: format!("You are an expert SEO content writer. Write in the language with tag {:?}, tone: {}. Answer only with the JSON asked for.", brief.language, brief.tone),
        user: format!(
            "Rewrite one section of the article {title:?} (focus keyword {kw:?}).\nThe article's sections: {all}.\nThe section to rewrite, now:\n{now}\n{instr}\nKeep its topic; write {per} blocks of about {words} words.",
            title = c.title,
            kw = brief.focus_keyword,
            all = headings.join(" | "),
            now = html::text_of(current),
            instr = instructions.map(|s| format!("Instructions: {s}")).unwrap_or_default(),
        ),
        json_schema: Some(("article_section".into(), schema)),
        max_tokens: Some((per as u32 * words * 2 + 400).min(8000)),
        temperature: Some(0.7),
    };
    let s: Section = ctx
        .ask_json(req, |s: &Section| if s.html_blocks.len() == per && !s.heading.trim().is_empty() { Ok(()) } else { Err(format!("give a heading and exactly {per} blocks")) })
        .await?;
    let mut out = head;
    for (j, old) in sections.iter().enumerate() {
        if j == i {
            out.push_str(&section_html(brief.structure, i, &s));
        } else {
            out.push_str(old);
        }
    }
    let body = html::sanitize(&out);
    let problems = html::markup_problems(&body);
    if !problems.is_empty() {
        return Err(JobError::Permanent(format!("the rewritten section is not clean HTML: {}", problems.join("; "))));
    }
    Ok((c.title.clone(), body))
}

/// Moves the task to `generated` (through `in_progress` from `queued`).
async fn mark_task_generated(state: &AppState, t: &Tenant, site_id: &str, task_id: &str) -> AppResult<()> {
    let Some(site) = state.store.get::<crate::sites::Site>(&keys::site(t, site_id)).await?.filter(|s| s.deleting.is_none()) else { return Ok(()) };
    let scope = Scope { tenant: t.clone(), site, sector: None };
    let task = match tasks::get(state, &scope, task_id).await {
        Ok(task) => task,
        Err(AppError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    if task.status == TaskStatus::Queued {
        tasks::transition(state, &scope, task_id, TaskStatus::InProgress, None).await?;
    }
    if matches!(task.status, TaskStatus::Queued | TaskStatus::InProgress) {
        tasks::transition(state, &scope, task_id, TaskStatus::Generated, None).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brief(structure: Structure, words: u32, outline: usize) -> Brief {
        Brief {
            title: "Lisbon city breaks".into(),
            focus_keyword: "lisbon city break".into(),
            secondary_keywords: vec![],
            target_words: words,
            structure,
            content_type: "post".into(),
            outline: (0..outline).map(|i| (format!("Part {i}"), "covers".into())).collect(),
            tone: "warm".into(),
            language: "en".into(),
            notes: String::new(),
        }
    }

    fn article(sections: usize, per: usize, block: &str) -> Article {
        Article {
            title: "A Lisbon city break in three days".into(),
            meta_title: "Lisbon city break".into(),
            meta_description: "Plan a Lisbon city break".into(),
            excerpt: "x".into(),
            introduction_html: "<p>A lisbon city break is short.</p>".into(),
            sections: (0..sections).map(|i| Section { heading: format!("Day {i}"), html_blocks: vec![block.to_string(); per] }).collect(),
            comparison_table: Some(Table { columns: vec!["Option".into(), "Price <b>".into()], rows: vec![vec!["Hotel".into(), "€90".into()]] }),
            verdict: None,
        }
    }

    #[test]
    fn blocks_per_section_follow_the_target_length() {
        assert_eq!(plan(&brief(Structure::Article, 1200, 5)), (5, 4));
        assert_eq!(plan(&brief(Structure::Article, 300, 0)), (5, 1));
        assert_eq!(plan(&brief(Structure::Guide, 5000, 4)), (4, 21));
        assert_eq!(plan(&brief(Structure::Guide, 5000, 1)), (1, 40));
    }

    #[test]
    fn the_offline_provider_lands_on_the_target_length_for_any_outline() {
        for words in [300, 691, 1200, 2500, 5000] {
            for sections in [3, 5, 8, 12] {
                let b = brief(Structure::Guide, words, sections);
                let (n, per) = plan(&b);
                let answer = crate::ai::offline::OfflineChat::answer(&prompt(&b, n, per));
                let a: Article = serde_json::from_str(&answer.content).unwrap();
                check_article(n, per)(&a).unwrap();
                let got = html::word_count(&render(&b, &a));
                let (min, max) = html::word_range(words);
                assert!((min..=max).contains(&got), "{words} words, {sections} sections: {got} not in {min}..={max}");
            }
        }
    }

    #[test]
    fn structures_shape_the_article() {
        let b = brief(Structure::Comparison, 600, 2);
        let body = render(&b, &article(2, 1, "Some words here."));
        assert!(body.contains("<table><thead><tr><th>Option</th><th>Price &lt;b&gt;</th></tr></thead>"), "{body}");
        let listicle = render(&brief(Structure::Listicle, 600, 2), &article(2, 1, "x"));
        assert!(listicle.contains("<h2>1. Day 0</h2>") && listicle.contains("<h2>2. Day 1</h2>"), "{listicle}");
        let howto = render(&brief(Structure::HowTo, 600, 2), &article(2, 1, "x"));
        assert!(howto.contains("<h2>Step 1: Day 0</h2>"), "{howto}");
    }

    #[test]
    fn hostile_blocks_are_sanitised_in_the_assembled_body() {
        let b = brief(Structure::Article, 600, 2);
        let body = render(&b, &article(2, 1, "<p onclick=\"x()\">Hi <script>alert(1)</script><a href=\"javascript:alert(1)\">link</a> <b>unclosed"));
        assert!(!body.contains("script") && !body.contains("onclick") && !body.contains("javascript:"), "{body}");
        assert!(html::markup_problems(&body).is_empty(), "{body}");
    }

    #[test]
    fn missing_keyword_placement_is_fixed_and_reported() {
        let mut title = "Three days by the river".to_string();
        let mut body = html::sanitize("<p>Trams and tiles.</p><h2>Where to stay</h2><p>Alfama.</p><h2>What to eat</h2><p>Pastéis.</p>");
        let fixes = fix_keyword_placement(&mut title, &mut body, "lisbon city break");
        assert_eq!(fixes.len(), 3, "{fixes:?}");
        assert!(html::contains_keyword(&title, "lisbon city break"));
        assert!(html::first_paragraph_text(&body).is_some_and(|p| html::contains_keyword(&p, "lisbon city break")), "{body}");
        assert!(html::headings(&body).iter().any(|h| h.level == 2 && html::contains_keyword(&h.text, "lisbon city break")), "{body}");
        assert!(fix_keyword_placement(&mut title, &mut body, "lisbon city break").is_empty(), "idempotent");
    }

    #[test]
    fn sections_are_found_by_heading_or_number() {
        let body = "<p>i</p><h2>Where to stay</h2><p>a</p><h2>What to eat</h2><p>b</p>";
        assert_eq!(find_section(body, &json!("what to EAT")), Some(1));
        assert_eq!(find_section(body, &json!(1)), Some(0));
        assert_eq!(find_section(body, &json!("2")), Some(1));
        assert_eq!(find_section(body, &json!(3)), None);
        assert_eq!(find_section(body, &json!("Nightlife")), None);
        let (head, parts) = split_sections(body);
        assert_eq!((head.as_str(), parts.len()), ("<p>i</p>", 2));
    }
}
