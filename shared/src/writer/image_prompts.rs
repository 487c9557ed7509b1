//! Image prompts of a content item: what an image generator is asked to
//! draw, and the alt text the image gets in the article. One prompt for the
//! featured image (position 0) and one per main section (each `<h2>` of the
//! body, in order, positions 1..=[`MAX_SECTIONS`]).
//!
//! # generate_image_prompts
//!
//! Input `{site_id, content_id}`; the content must exist in the caller's
//! site. It costs `costs.image_prompt` credits per prompt (featured + one per
//! H2, at most [`MAX_SECTIONS`] sections), estimated from the body at submit
//! time and charged for the prompts actually made. The job sends the title,
//! focus keyword, opening paragraph and section headings with a JSON schema
//! asking for exactly that many prompts; the answer is checked (count,
//! non-empty prompt and alt text; one repair request otherwise), reduced to
//! plain text, fitted to [`PROMPT_MAX`] / [`ALT_MAX`] characters, and every
//! prompt is saved in one transaction.
//!
//! Redelivery and retries are safe: prompt ids are derived from the job id
//! and the prompt's position ([`crate::ids::derived`]); a run that finds its
//! featured prompt already stored reports the stored set without asking the
//! provider again, and a second save of the same set fails its create
//! conditions and reports what is stored. A new job for the same content
//! adds a new set (the old one stays until deleted).
//!
//! # Editing
//!
//! `prompt` and `alt_text` can be changed (plain text; markup is reduced to
//! its text); `version`, when given, must be the stored one (stale → 409).
//!
//! # Keys
//!
//! | access pattern | index | PK | SK |
//! |---|---|---|---|
//! | image prompt by id | table | `ACCT#<a>#SITE#<s>` | `IMGP#<id>` |
//! | image prompts of a site | table | `ACCT#<a>#SITE#<s>` | begins_with `IMGP#` |
//! | image prompts of a content item | GSI1 | `ACCT#<a>#SITE#<s>#CONT#<c>#IMGP` | `<id time part>#<position, 2 digits>#<id>` |
//!
//! The GSI1 sort key lists a content item's prompt sets in the order they
//! were made and each set in article order (featured first).

use super::content::{self, Content};
use super::html::{self, plain};
use crate::ai::function::{AiFunction, JobCtx, Outcome, Prepared};
use crate::ai::provider::ChatRequest;
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult, FieldError};
use crate::jobs::JobError;
use crate::sites::Scope;
use crate::state::AppState;
use crate::store::keys::{Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Page, Query, SkCondition, TxError};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Most sections (H2s) that get a prompt.
pub const MAX_SECTIONS: usize = 8;
/// Longest prompt, in characters.
pub const PROMPT_MAX: usize = 1000;
/// Longest alt text, in characters (screen readers cut around 125).
pub const ALT_MAX: usize = 125;
/// Sort-key prefix of image prompts in the site partition.
pub const PROMPT_PREFIX: &str = "IMGP#";

/// Where an image goes in the article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImageKind {
    /// The article's featured image (position 0).
    Featured,
    /// The image of one main section (positions 1..).
    Section,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImagePrompt {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    /// The content's sector (a sector delete sweeps the prompt).
    #[serde(default)]
    pub sector_id: Option<String>,
    pub content_id: String,
    pub kind: ImageKind,
    /// 0 for the featured image, 1.. for the sections in article order.
    pub position: u32,
    /// The section's H2 text (section prompts).
    #[serde(default)]
    pub section_heading: Option<String>,
    pub prompt: String,
    pub alt_text: String,
    /// `generate_image_prompts` (with the job that made it).
    pub source: String,
    #[serde(default)]
    pub job_id: Option<String>,
    /// The chat provider and model that wrote it.
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for ImagePrompt {
    const ENTITY: &'static str = "ImagePrompt";
    fn key(&self) -> Key {
        prompt_key(&Tenant::from_verified(&self.account_id), &self.site_id, &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        let t = Tenant::from_verified(&self.account_id);
        ItemKeys { gsi1: Some((prompts_of_content(&t, &self.site_id, &self.content_id), ordered_sk(&self.id, self.position))), gsi2: None, ttl: None }
    }
}

crate::versioned!(ImagePrompt);

/// An image prompt by id: table `ACCT#<a>#SITE#<s>` / `IMGP#<id>`.
pub fn prompt_key(t: &Tenant, site_id: &str, id: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("{PROMPT_PREFIX}{id}"))
}

/// GSI1: image prompts of a content item (`ACCT#<a>#SITE#<s>#CONT#<c>#IMGP`).
pub fn prompts_of_content(t: &Tenant, site_id: &str, content_id: &str) -> String {
    format!("{}#CONT#{content_id}#IMGP", t.site_pk(site_id))
}

/// GSI1 sort key of prompts and images: the id's time part (the job's, for
/// derived ids), the position, the id.
pub fn ordered_sk(id: &str, position: u32) -> String {
    format!("{}#{position:02}#{id}", id.get(..10).unwrap_or(id))
}

/// The main sections of a body: the text of each non-empty `<h2>`, in order,
/// at most [`MAX_SECTIONS`].
pub fn main_sections(body_html: &str) -> Vec<String> {
    html::headings(body_html).into_iter().filter(|h| h.level == 2 && !h.text.trim().is_empty()).map(|h| h.text).take(MAX_SECTIONS).collect()
}


// ------------------------------------------------------------------ read

/// An image prompt of the scope's site (404 for unknown, malformed or foreign ids).
pub async fn get(state: &AppState, scope: &Scope, id: &str) -> AppResult<ImagePrompt> {
    get_prompt(state, &scope.tenant, &scope.site.id, id).await
}

pub async fn get_prompt(state: &AppState, t: &Tenant, site_id: &str, id: &str) -> AppResult<ImagePrompt> {
    if !crate::ids::is_valid(id) {
        return Err(AppError::not_found("image prompt"));
    }
    state.store.get(&prompt_key(t, site_id, id)).await?.ok_or_else(|| AppError::not_found("image prompt"))
}

/// Prompts of the site, or of one content item (in article order per set).
pub async fn list(state: &AppState, scope: &Scope, content_id: Option<&str>, limit: i32, cursor: Option<String>) -> AppResult<Page<ImagePrompt>> {
    let t = &scope.tenant;
    let q = match content_id {
        Some(c) => Query::new(t, Index::Gsi1, prompts_of_content(t, &scope.site.id, c)),
        None => Query::new(t, Index::Table, scope.site_pk()).sk(SkCondition::BeginsWith(PROMPT_PREFIX.into())),
    };
    state.store.query(&q.limit(limit).cursor(cursor)).await
}

/// Every prompt of a content item (service code).
pub async fn of_content(state: &AppState, t: &Tenant, site_id: &str, content_id: &str) -> AppResult<Vec<ImagePrompt>> {
    state.store.query_all(&Query::new(t, Index::Gsi1, prompts_of_content(t, site_id, content_id)), 1_000).await
}

// ------------------------------------------------------------------ edit

/// What a client may change.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptInput {
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub alt_text: Option<String>,
    /// The version the edit was made on (optional; stale → 409).
    #[serde(default)]
    pub version: Option<u64>,
}

/// A checked prompt text: plain, non-empty, at most [`PROMPT_MAX`].
fn check_text(errors: &mut Vec<FieldError>, field: &str, value: Option<&str>, max: usize) -> Option<String> {
    let v = plain(value?);
    if v.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
        return None;
    }
    let n = v.chars().count();
    if n > max {
        errors.push(FieldError::new(field, format!("must be at most {max} characters (it has {n})")));
        return None;
    }
    Some(v)
}

pub async fn update(state: &AppState, scope: &Scope, id: &str, input: PromptInput) -> AppResult<ImagePrompt> {
    let mut p = get(state, scope, id).await?;
    if input.version.is_some_and(|v| v != p.version) {
        return Err(AppError::Conflict(format!("the image prompt is at version {}, you edited another; reload and retry", p.version)));
    }
    let mut errors = Vec::new();
    let prompt = check_text(&mut errors, "prompt", input.prompt.as_deref(), PROMPT_MAX);
    let alt = check_text(&mut errors, "alt_text", input.alt_text.as_deref(), ALT_MAX);
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    p.prompt = prompt.unwrap_or(p.prompt);
    p.alt_text = alt.unwrap_or(p.alt_text);
    p.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut p).await?;
    Ok(p)
}

/// Deletes a prompt. Images made from it keep their own copy of the prompt.
pub async fn delete(state: &AppState, scope: &Scope, id: &str) -> AppResult<()> {
    let p = get(state, scope, id).await?;
    state.store.delete(&p.key()).await?;
    Ok(())
}

// ------------------------------------------------------------------ generate_image_prompts

/// What a client sends (the HTTP layer adds `content_id` from the path).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GenerateImagePromptsInput)]
pub struct GenerateInput {
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub content_id: Option<String>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

pub struct GenerateImagePrompts;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct Generated {
    featured: GeneratedPrompt,
    sections: Vec<GeneratedPrompt>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct GeneratedPrompt {
    prompt: String,
    alt_text: String,
}

fn check_generated(g: &Generated, sections: usize) -> Result<(), String> {
    if g.sections.len() != sections {
        return Err(format!("expected {sections} section prompts, got {}", g.sections.len()));
    }
    for (i, p) in std::iter::once(&g.featured).chain(&g.sections).enumerate() {
        let what = if i == 0 { "the featured prompt".to_string() } else { format!("section prompt {i}") };
        if plain(&p.prompt).is_empty() {
            return Err(format!("{what} is empty"));
        }
        if plain(&p.alt_text).is_empty() {
            return Err(format!("the alt text of {what} is empty"));
        }
    }
    Ok(())
}

fn prompt_schema(sections: usize) -> Value {
    let one = json!({
        "type": "object",
        "properties": {
            "prompt": {"type": "string", "minLength": 20, "maxLength": 600},
            "alt_text": {"type": "string", "minLength": 5, "maxLength": ALT_MAX},
        },
        "required": ["prompt", "alt_text"],
        "additionalProperties": false
    });
    json!({
        "type": "object",
        "properties": {
            "featured": one,
            "sections": {"type": "array", "minItems": sections, "maxItems": sections, "items": one},
        },
        "required": ["featured", "sections"],
        "additionalProperties": false
    })
}

fn chat_request(c: &Content, sections: &[String]) -> ChatRequest {
    let listing: Vec<String> = sections.iter().enumerate().map(|(i, h)| format!("{}. {h}", i + 1)).collect();
    let opening = html::first_paragraph_text(&c.body_html).map(|p| html::fit(&p, 400, true)).unwrap_or_default();
    let excerpt = if c.excerpt.trim().is_empty() { opening } else { html::fit(&c.excerpt, 400, true) };
    let n = sections.len();
    ChatRequest {
        system: "You are an art director for a blog. For an article, write prompts for an AI image generator: a featured image for the \
                 whole article and one image per main section. Each prompt describes one concrete, photographic or illustrative scene \
                 (subject, setting, composition, light, style) in one or two sentences, with no text, letters, logos or watermarks in the \
                 image. Each alt text describes the image for a screen reader in under 125 characters, naturally using the article's \
                 topic. Answer in JSON."
            .into(),
        user: format!(
            "Article title: {}\nFocus keyword: {}\nSummary: {}\nMain sections ({n}, in order):\n{}\n\nWrite the featured image prompt and \
             exactly {n} section prompts, in the same order as the sections.",
            c.title,
            c.focus_keyword.as_deref().unwrap_or("(none)"),
            if excerpt.is_empty() { "(none)" } else { excerpt.as_str() },
            if listing.is_empty() { "(none)".to_string() } else { listing.join("\n") },
        ),
        json_schema: Some(("image_prompts".into(), prompt_schema(n))),
        max_tokens: Some(200 * (n as u32 + 1) + 200),
        temperature: Some(0.7),
    }
}


fn outcome(ctx: &JobCtx, content_id: &str, prompts: &[ImagePrompt]) -> Outcome {
    let (_, provider, model) = ctx.usage();
    let mut prompts: Vec<&ImagePrompt> = prompts.iter().collect();
    prompts.sort_by_key(|p| p.position);
    Outcome {
        result: json!({
            "content_id": content_id,
            "created": prompts.len(),
            "prompts": prompts.iter().map(|p| json!({
                "id": p.id, "kind": p.kind, "position": p.position, "section_heading": p.section_heading,
                "prompt": p.prompt, "alt_text": p.alt_text,
            })).collect::<Vec<_>>(),
            "provider": provider.or_else(|| prompts.first().and_then(|p| p.provider.clone())),
            "model": model.or_else(|| prompts.first().and_then(|p| p.model.clone())),
        }),
        actual_cost: ctx.state.config.costs.image_prompt * prompts.len() as f64,
    }
}

impl AiFunction for GenerateImagePrompts {
    fn name(&self) -> &'static str {
        "generate_image_prompts"
    }

    fn description(&self) -> &'static str {
        "writes image prompts and alt text for a content item: one featured image and one per main section"
    }

    fn prepare<'a>(&'a self, state: &'a AppState, p: &'a Principal, input: Value) -> BoxFuture<'a, AppResult<Prepared>> {
        Box::pin(async move {
            let input: GenerateInput = crate::ai::function::parse_input(input)?;
            let site = input.site_id.as_deref().ok_or_else(|| AppError::field("site_id", "is required"))?;
            let content_id = input.content_id.as_deref().ok_or_else(|| AppError::field("content_id", "is required"))?;
            let scope = crate::sites::scope(state, p, site, None).await?;
            let c = content::get(state, &scope, content_id).await?;
            let sections = main_sections(&c.body_html);
            let n = sections.len() + 1;
            Ok(Prepared {
                input: json!({"site_id": scope.site.id, "content_id": c.id}),
                estimate: state.config.costs.image_prompt * n as f64,
                preview: json!({"content_id": c.id, "title": c.title, "prompts": n, "featured": 1, "sections": sections}),
            })
        })
    }

    fn execute<'a>(&'a self, ctx: &'a JobCtx) -> BoxFuture<'a, Result<Outcome, JobError>> {
        Box::pin(async move {
            let gone = JobError::from;
            let input = &ctx.job.input;
            let s = |k: &str| input[k].as_str().map(str::to_string).ok_or_else(|| JobError::Permanent(format!("job input lacks {k}")));
            let (site_id, content_id) = (s("site_id")?, s("content_id")?);
            let (state, t) = (&ctx.state, ctx.tenant());
            let store = &state.store;
            let ids: Vec<String> = (0..=MAX_SECTIONS).map(|i| crate::ids::derived(&ctx.job.id, &format!("image-prompt-{i}"))).collect();
            let mine = || async {
                let all = of_content(state, &t, &site_id, &content_id).await.map_err(gone)?;
                Ok::<Vec<ImagePrompt>, JobError>(all.into_iter().filter(|p| p.job_id.as_deref() == Some(ctx.job.id.as_str())).collect())
            };
            if store.get::<ImagePrompt>(&prompt_key(&t, &site_id, &ids[0])).await.map_err(gone)?.is_some() {
                // A redelivery after the prompts were saved: report them.
                return Ok(outcome(ctx, &content_id, &mine().await?));
            }

            ctx.progress("Processing", 20).await;
            let c = content::get_content(state, &t, &site_id, &content_id).await.map_err(gone)?;
            let sections = main_sections(&c.body_html);

            ctx.progress("AI Analysis", 40).await;
            let n = sections.len();
            let answer: Generated = ctx.ask_json(chat_request(&c, &sections), |g: &Generated| check_generated(g, n)).await?;

            ctx.progress("Saving", 80).await;
            let (_, provider, model) = ctx.usage();
            let now = crate::ids::now_rfc3339();
            let slots = std::iter::once((ImageKind::Featured, None)).chain(sections.iter().map(|h| (ImageKind::Section, Some(h.clone()))));
            let generated = std::iter::once(answer.featured).chain(answer.sections);
            let prompts: Vec<ImagePrompt> = slots
                .zip(generated)
                .zip(ids)
                .enumerate()
                .map(|(i, (((kind, heading), g), id))| ImagePrompt {
                    id,
                    account_id: t.account_id().to_string(),
                    site_id: site_id.clone(),
                    sector_id: c.sector_id.clone(),
                    content_id: content_id.clone(),
                    kind,
                    position: i as u32,
                    section_heading: heading,
                    prompt: html::fit(&plain(&g.prompt), PROMPT_MAX, false),
                    alt_text: html::fit(&plain(&g.alt_text), ALT_MAX, false),
                    source: "generate_image_prompts".into(),
                    job_id: Some(ctx.job.id.clone()),
                    provider: provider.clone(),
                    model: model.clone(),
                    created_at: now.clone(),
                    updated_at: now.clone(),
                    version: 1,
                })
                .collect();
            let ops = prompts.iter().map(|p| store.tx_create(p)).collect::<AppResult<Vec<_>>>().map_err(gone)?;
            match store.transact(ops).await {
                Ok(()) => Ok(outcome(ctx, &content_id, &prompts)),
                Err(TxError::ConditionFailed(_)) => {
                    // Saved by a concurrent execution of this job: report what is stored.
                    let stored = mine().await?;
                    if stored.is_empty() {
                        return Err(JobError::Retryable("the image prompts could not be saved (conflict); retrying".into()));
                    }
                    Ok(outcome(ctx, &content_id, &stored))
                }
                Err(TxError::Other(e)) => Err(gone(e)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::offline::OfflineChat;
    use crate::ai::provider::ChatProvider;

    #[test]
    fn keys_live_in_the_site_partition_and_list_in_article_order() {
        let t = Tenant::from_verified("A");
        assert_eq!(prompt_key(&t, "S", "P"), Key::new("ACCT#A#SITE#S", "IMGP#P"));
        assert_eq!(prompts_of_content(&t, "S", "C"), "ACCT#A#SITE#S#CONT#C#IMGP");
        let job = crate::ids::new_id();
        let a = crate::ids::derived(&job, "image-prompt-0");
        let b = crate::ids::derived(&job, "image-prompt-1");
        let c = crate::ids::derived(&job, "image-prompt-10");
        assert!(ordered_sk(&a, 0) < ordered_sk(&b, 1) && ordered_sk(&b, 1) < ordered_sk(&c, 10), "positions sort whatever the ids");
        let later = crate::ids::derived(&format!("{}ZZZZZZZZZZZZZZZZ", "7ZZZZZZZZZ"), "image-prompt-0");
        assert!(ordered_sk(&c, 8) < ordered_sk(&later, 0), "a later set sorts after an earlier one");
    }

    #[test]
    fn main_sections_are_the_non_empty_h2s_capped() {
        let body = "<h1>T</h1><h2>One</h2><p>x</p><h3>Sub</h3><h2> </h2><h2>Two <em>b</em></h2>";
        assert_eq!(main_sections(body), ["One", "Two b"]);
        let many: String = (0..12).map(|i| format!("<h2>S{i}</h2><p>p</p>")).collect();
        assert_eq!(main_sections(&many).len(), MAX_SECTIONS);
        assert!(main_sections("<p>no headings</p>").is_empty());
    }

    #[test]
    fn generated_prompts_are_checked() {
        let p = |s: &str, a: &str| GeneratedPrompt { prompt: s.into(), alt_text: a.into() };
        let ok = Generated { featured: p("a runner at dawn", "runner"), sections: vec![p("shoes on a track", "shoes")] };
        assert_eq!(check_generated(&ok, 1), Ok(()));
        assert!(check_generated(&ok, 2).unwrap_err().contains("expected 2"));
        let empty = Generated { featured: p("a runner", "runner"), sections: vec![p("<b> </b>", "shoes")] };
        assert!(check_generated(&empty, 1).unwrap_err().contains("section prompt 1"));
        let no_alt = Generated { featured: p("a runner", " "), sections: vec![] };
        assert!(check_generated(&no_alt, 0).unwrap_err().contains("alt text"));
    }

    #[test]
    fn clients_cannot_send_unknown_fields() {
        assert!(serde_json::from_value::<PromptInput>(json!({"prompt": "x", "kind": "featured"})).is_err());
        assert!(serde_json::from_value::<GenerateInput>(json!({"site_id": "x", "count": 3})).is_err());
    }

    #[tokio::test]
    async fn the_offline_answer_fits_the_schema_and_the_check() {
        let c = Content {
            id: crate::ids::new_id(),
            account_id: "A".into(),
            site_id: "S".into(),
            sector_id: None,
            task_id: None,
            cluster_id: None,
            idea_id: None,
            title: "Best running shoes".into(),
            normalized_title: "best running shoes".into(),
            slug: "best-running-shoes".into(),
            body_html: "<p>Shoes matter.</p><h2>Cushioning</h2><p>a</p><h2>Fit</h2><p>b</p>".into(),
            excerpt: String::new(),
            meta_title: String::new(),
            meta_description: String::new(),
            focus_keyword: Some("running shoes".into()),
            secondary_keywords: vec![],
            word_count: 6,
            language: "en".into(),
            status: content::ContentStatus::Draft,
            provider: None,
            model: None,
            tokens: None,
            featured_image_id: None,
            publication: None,
            current_version: 1,
            created_by: "u".into(),
            created_at: "t".into(),
            updated_at: "t".into(),
            version: 1,
        };
        let sections = main_sections(&c.body_html);
        let req = chat_request(&c, &sections);
        assert!(req.user.contains("1. Cushioning\n2. Fit") && req.user.contains("Summary: Shoes matter."), "{}", req.user);
        let answer = OfflineChat::new().chat(&req).await.expect("offline never fails");
        let g: Generated = serde_json::from_str(&answer.content).expect("schema-valid JSON");
        assert_eq!(check_generated(&g, 2), Ok(()));
    }
}
