//! Generated images of a content item: the bytes in the assets bucket under
//! the tenant's prefix ([`crate::blobs`]: `accounts/<a>/sites/<s>/images/<id>.<ext>`),
//! the metadata in the table (prompt and alt text copied from the
//! [`ImagePrompt`], provider, model, size, credit cost, content type, byte
//! count, object key). Clients never get the bucket: they read an image
//! through a presigned GET URL valid for [`URL_TTL`], made for the caller's
//! own object only (object keys are built from the verified tenant).
//!
//! # generate_images
//!
//! Input `{site_id, prompt_ids}` (1..=[`MAX_IMAGES`] prompt ids of the
//! caller's site, duplicates dropped). The image provider is configuration
//! (`IMAGE_PROVIDER`: `offline`, `runware` or `openai`); each image costs
//! [`unit_cost`] of the provider that drew it (`costs.image_offline`,
//! `image_runware`, `image_openai`). The estimate uses the configured
//! provider; the charge is the sum over the images made (never above the
//! reservation). Sizes are per provider and slot ([`size_for`]).
//!
//! A provider refusal (a permanent error) for one prompt is reported in the
//! result and the others go on; the job fails only when no image was made.
//! A transient error fails the attempt and the job is retried.
//!
//! Redelivery and retries are safe: an image's id is derived from the job
//! id and the prompt id ([`crate::ids::derived`]); an image already stored is
//! not drawn again (it counts towards the charge), the object key follows
//! from the id (a retried upload overwrites the same object), and the item
//! is created only if absent.
//!
//! # Featured image and deletion
//!
//! [`set_featured`] sets the content's `featured_image_id` through
//! [`content::save_body`] (an edit that makes no version, conditional on the
//! content's version). [`delete`] clears it first when the image is the
//! featured one, then removes the object and the item.
//!
//! # Keys
//!
//! | access pattern | index | PK | SK |
//! |---|---|---|---|
//! | image by id | table | `ACCT#<a>#SITE#<s>` | `IMG#<id>` |
//! | images of a site | table | `ACCT#<a>#SITE#<s>` | begins_with `IMG#` |
//! | images of a content item | GSI1 | `ACCT#<a>#SITE#<s>#CONT#<c>#IMG` | `<id time part>#<position, 2 digits>#<id>` |

use super::content::{self, Content, ContentInput, Origin};
use super::image_prompts::{self, ImageKind, ImagePrompt, ordered_sk};
use super::versions::VersionSource;
use crate::ai::function::{AiFunction, JobCtx, Outcome, Prepared};
use crate::ai::provider::{ImageRequest, ProviderError};
use crate::auth::guard::Principal;
use crate::config::CreditCosts;
use crate::error::{AppError, AppResult};
use crate::jobs::JobError;
use crate::sites::Scope;
use crate::state::AppState;
use crate::store::keys::{Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Page, Query, SkCondition};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// Most images one `generate_images` job draws.
pub const MAX_IMAGES: usize = 10;
/// How long a presigned image URL works.
pub const URL_TTL: Duration = Duration::from_secs(15 * 60);
/// Sort-key prefix of images in the site partition.
pub const IMAGE_PREFIX: &str = "IMG#";
/// Sent to providers that take a negative prompt.
pub const NEGATIVE_PROMPT: &str = "text, letters, words, watermark, logo, signature, blurry, low quality, distorted";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Image {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    /// The content's sector (a sector delete sweeps the image and its object).
    #[serde(default)]
    pub sector_id: Option<String>,
    pub content_id: String,
    /// The prompt it was drawn from (it may have been deleted since).
    #[serde(default)]
    pub prompt_id: Option<String>,
    pub kind: ImageKind,
    pub position: u32,
    #[serde(default)]
    pub section_heading: Option<String>,
    pub prompt: String,
    pub alt_text: String,
    pub provider: String,
    pub model: String,
    pub width: u32,
    pub height: u32,
    /// Credits charged for it.
    pub cost: f64,
    pub content_type: String,
    pub bytes: u64,
    /// The full object key in the assets bucket (`accounts/<a>/...`).
    pub s3_key: String,
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Item for Image {
    const ENTITY: &'static str = "Image";
    fn key(&self) -> Key {
        image_key(&Tenant::from_verified(&self.account_id), &self.site_id, &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        let t = Tenant::from_verified(&self.account_id);
        ItemKeys { gsi1: Some((images_of_content(&t, &self.site_id, &self.content_id), ordered_sk(&self.id, self.position))), gsi2: None, ttl: None }
    }
}

crate::versioned!(Image);

/// An image by id: table `ACCT#<a>#SITE#<s>` / `IMG#<id>`.
pub fn image_key(t: &Tenant, site_id: &str, id: &str) -> Key {
    Key::new(t.site_pk(site_id), format!("{IMAGE_PREFIX}{id}"))
}

/// GSI1: images of a content item (`ACCT#<a>#SITE#<s>#CONT#<c>#IMG`).
pub fn images_of_content(t: &Tenant, site_id: &str, content_id: &str) -> String {
    format!("{}#CONT#{content_id}#IMG", t.site_pk(site_id))
}

/// The object key of an image inside the tenant's prefix.
pub fn object_rest(site_id: &str, id: &str, extension: &str) -> String {
    format!("sites/{site_id}/images/{id}.{extension}")
}

/// The file extension of an image content type the API stores.
pub fn extension(content_type: &str) -> Option<&'static str> {
    match content_type {
        "image/png" => Some("png"),
        "image/jpeg" => Some("jpg"),
        "image/webp" => Some("webp"),
        _ => None,
    }
}

/// Credits per image drawn by `provider` (an unknown provider is priced as the dearest).
pub fn unit_cost(costs: &CreditCosts, provider: &str) -> f64 {
    match provider {
        "offline" => costs.image_offline,
        "runware" => costs.image_runware,
        "openai" => costs.image_openai,
        _ => costs.image_offline.max(costs.image_runware).max(costs.image_openai),
    }
}

/// Width and height asked of `provider` for a slot: sizes every provider
/// accepts (Runware: multiples of 64; OpenAI: 1024×1024 works for every
/// image model), smaller for the offline renderer.
pub fn size_for(provider: &str, kind: ImageKind) -> (u32, u32) {
    match (provider, kind) {
        ("openai", _) => (1024, 1024),
        ("runware", ImageKind::Featured) => (1024, 576),
        ("runware", ImageKind::Section) => (768, 512),
        (_, ImageKind::Featured) => (640, 360),
        (_, ImageKind::Section) => (512, 384),
    }
}

/// An image as the API returns it: the item plus a presigned GET URL.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImageView {
    #[serde(flatten)]
    pub image: Image,
    pub url: String,
    pub url_expires_at: String,
}

/// The tenant-relative object key of a stored image.
fn rest_of(t: &Tenant, img: &Image) -> AppResult<String> {
    let prefix = crate::blobs::object_key(t, "");
    img.s3_key.strip_prefix(&prefix).map(str::to_string).ok_or_else(|| AppError::internal(format!("image {} has a key outside its tenant", img.id)))
}

/// Adds a presigned URL (valid [`URL_TTL`]) to an image of the tenant.
pub async fn view(state: &AppState, t: &Tenant, image: Image) -> AppResult<ImageView> {
    let url = crate::blobs::presigned_get(state, t, &rest_of(t, &image)?, URL_TTL).await?;
    let expires = time::OffsetDateTime::now_utc() + URL_TTL;
    let url_expires_at = expires.replace_nanosecond(0).unwrap_or(expires).format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    Ok(ImageView { image, url, url_expires_at })
}

// ------------------------------------------------------------------ read

/// An image of the scope's site (404 for unknown, malformed or foreign ids).
pub async fn get(state: &AppState, scope: &Scope, id: &str) -> AppResult<Image> {
    scope.find(state, "image", id, image_key).await
}

/// Images of the site, or of one content item, each with a presigned URL.
pub async fn list(state: &AppState, scope: &Scope, content_id: Option<&str>, limit: i32, cursor: Option<String>) -> AppResult<Page<ImageView>> {
    let t = &scope.tenant;
    let q = match content_id {
        Some(c) => Query::new(t, Index::Gsi1, images_of_content(t, &scope.site.id, c)),
        None => Query::new(t, Index::Table, scope.site_pk()).sk(SkCondition::BeginsWith(IMAGE_PREFIX.into())),
    };
    let page: Page<Image> = state.store.query(&q.limit(limit).cursor(cursor)).await?;
    let mut results = Vec::with_capacity(page.results.len());
    for img in page.results {
        results.push(view(state, t, img).await?);
    }
    Ok(Page { results, next_cursor: page.next_cursor })
}

// ------------------------------------------------------------------ featured, delete

/// Makes the image its content's featured image. `content_version`, when
/// given, must be the content's stored version (stale → 409).
pub async fn set_featured(state: &AppState, scope: &Scope, id: &str, content_version: Option<u64>, actor: &str) -> AppResult<Content> {
    let img = get(state, scope, id).await?;
    let input = ContentInput { featured_image_id: Some(img.id.clone()), ..ContentInput::default() };
    content::save_body(state, &scope.tenant, &scope.site.id, &img.content_id, content_version, input, Origin::new(VersionSource::Edit, actor)).await
}

/// What a deletion did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ImageDeleted)]
pub struct Deleted {
    pub id: String,
    pub content_id: String,
    /// The image was the content's featured image, which is now unset.
    pub featured_cleared: bool,
}

/// Deletes an image: unsets it as featured image (when it is), then removes
/// the object and the item.
pub async fn delete(state: &AppState, scope: &Scope, id: &str, actor: &str) -> AppResult<Deleted> {
    let img = get(state, scope, id).await?;
    let t = &scope.tenant;
    let mut featured_cleared = false;
    for attempt in 0..3 {
        let c = match content::get_content(state, t, &img.site_id, &img.content_id).await {
            Ok(c) => c,
            Err(AppError::NotFound(_)) => break,
            Err(e) => return Err(e),
        };
        if c.featured_image_id.as_deref() != Some(img.id.as_str()) {
            break;
        }
        let clear = ContentInput { featured_image_id: Some(String::new()), ..ContentInput::default() };
        match content::save_body(state, t, &img.site_id, &img.content_id, Some(c.version), clear, Origin::new(VersionSource::Edit, actor)).await {
            Ok(_) => {
                featured_cleared = true;
                break;
            }
            Err(AppError::Conflict(_)) if attempt < 2 => continue,
            Err(AppError::NotFound(_)) => break,
            Err(e) => return Err(e),
        }
    }
    crate::blobs::delete(state, t, &rest_of(t, &img)?).await?;
    state.store.delete(&img.key()).await?;
    Ok(Deleted { id: img.id, content_id: img.content_id, featured_cleared })
}

/// Deletes every image (object and item) and image prompt of a content item:
/// what deleting the content takes with it.
pub async fn sweep_content(state: &AppState, t: &Tenant, site_id: &str, content_id: &str) -> AppResult<usize> {
    let q = Query::new(t, Index::Gsi1, images_of_content(t, site_id, content_id));
    let images: Vec<Image> = state.store.query_all(&q, usize::MAX).await?;
    for img in &images {
        crate::blobs::delete(state, t, &rest_of(t, img)?).await?;
    }
    let prompts = image_prompts::of_content(state, t, site_id, content_id).await?;
    let mut keys: Vec<Key> = images.iter().map(Item::key).collect();
    keys.extend(prompts.iter().map(Item::key));
    state.store.batch_delete(&keys).await
}

/// Deletes the objects of image items that a sweep (sector delete) removes;
/// `items` are raw table items, only images (`IMG#`) with a key in the
/// tenant's prefix are touched.
pub async fn delete_objects_of_items(state: &AppState, t: &Tenant, items: &[serde_json::Value]) -> AppResult<usize> {
    let prefix = crate::blobs::object_key(t, "");
    let mut n = 0;
    for item in items {
        let is_image = item["SK"].as_str().is_some_and(|sk| sk.starts_with(IMAGE_PREFIX));
        if let (true, Some(rest)) = (is_image, item["s3_key"].as_str().and_then(|k| k.strip_prefix(&prefix))) {
            crate::blobs::delete(state, t, rest).await?;
            n += 1;
        }
    }
    Ok(n)
}

// ------------------------------------------------------------------ generate_images

/// What a client sends.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GenerateImagesInput)]
pub struct GenerateInput {
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    #[schema(min_items = 1, max_items = 10)]
    pub prompt_ids: Option<Vec<String>>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

pub struct GenerateImages;


/// The prompt ids of a request: given, ids, duplicates dropped (first kept), 1..=[`MAX_IMAGES`].
pub fn check_prompt_ids(ids: Option<&[String]>) -> AppResult<Vec<String>> {
    let ids = ids.ok_or_else(|| AppError::field("prompt_ids", "is required"))?;
    let mut unique: Vec<String> = Vec::new();
    for id in ids {
        if !crate::ids::is_valid(id) {
            return Err(AppError::field("prompt_ids", "must be ids of image prompts"));
        }
        if !unique.contains(id) {
            unique.push(id.clone());
        }
        if unique.len() > MAX_IMAGES {
            break;
        }
    }
    if unique.is_empty() || unique.len() > MAX_IMAGES {
        return Err(AppError::field("prompt_ids", format!("give 1 to {MAX_IMAGES} prompt ids")));
    }
    Ok(unique)
}

impl AiFunction for GenerateImages {
    fn name(&self) -> &'static str {
        "generate_images"
    }

    fn description(&self) -> &'static str {
        "draws images from image prompts with the configured image provider and stores them"
    }

    fn prepare<'a>(&'a self, state: &'a AppState, p: &'a Principal, input: Value) -> BoxFuture<'a, AppResult<Prepared>> {
        Box::pin(async move {
            let input: GenerateInput = crate::ai::function::parse_input(input)?;
            let ids = check_prompt_ids(input.prompt_ids.as_deref())?;
            let site = input.site_id.as_deref().ok_or_else(|| AppError::field("site_id", "is required"))?;
            let scope = crate::sites::scope(state, p, site, None).await?;
            let mut prompts = Vec::with_capacity(ids.len());
            let mut missing = 0;
            for id in &ids {
                match state.store.get::<ImagePrompt>(&image_prompts::prompt_key(&scope.tenant, &scope.site.id, id)).await? {
                    Some(p) => prompts.push(p),
                    None => missing += 1,
                }
            }
            if missing > 0 {
                return Err(AppError::field("prompt_ids", format!("{missing} of the ids are not image prompts of this site")));
            }
            let provider = state.config.ai.image_provider.as_str();
            let unit = unit_cost(&state.config.costs, provider);
            Ok(Prepared {
                input: json!({"site_id": scope.site.id, "prompt_ids": ids}),
                estimate: unit * ids.len() as f64,
                preview: json!({
                    "provider": provider,
                    "unit_cost": unit,
                    "images": ids.len(),
                    "prompts": prompts.iter().map(|p| json!({"id": p.id, "content_id": p.content_id, "kind": p.kind, "position": p.position})).collect::<Vec<_>>(),
                }),
            })
        })
    }

    fn execute<'a>(&'a self, ctx: &'a JobCtx) -> BoxFuture<'a, Result<Outcome, JobError>> {
        Box::pin(async move {
            let gone = JobError::from;
            let input = &ctx.job.input;
            let site_id = input["site_id"].as_str().map(str::to_string).ok_or_else(|| JobError::Permanent("job input lacks site_id".into()))?;
            let prompt_ids: Vec<String> =
                serde_json::from_value(input["prompt_ids"].clone()).map_err(|e| JobError::Permanent(format!("job input prompt_ids: {e}")))?;
            let (state, t) = (&ctx.state, ctx.tenant());
            let store = &state.store;
            let images = ctx.providers.images.clone();
            let n = prompt_ids.len().max(1);
            let (mut made, mut failed, mut skipped): (Vec<Image>, Vec<Value>, Vec<Value>) = (Vec::new(), Vec::new(), Vec::new());

            ctx.progress("Generating images", 15).await;
            for (i, pid) in prompt_ids.iter().enumerate() {
                let id = crate::ids::derived(&ctx.job.id, &format!("image-{pid}"));
                if let Some(existing) = store.get::<Image>(&image_key(&t, &site_id, &id)).await.map_err(gone)? {
                    // Made by an earlier attempt of this job.
                    made.push(existing);
                    continue;
                }
                let Some(p) = store.get::<ImagePrompt>(&image_prompts::prompt_key(&t, &site_id, pid)).await.map_err(gone)? else {
                    skipped.push(json!({"prompt_id": pid, "reason": "the prompt was deleted"}));
                    continue;
                };
                match content::get_content(state, &t, &site_id, &p.content_id).await {
                    Ok(_) => {}
                    Err(AppError::NotFound(_)) => {
                        skipped.push(json!({"prompt_id": pid, "reason": "the content was deleted"}));
                        continue;
                    }
                    Err(e) => return Err(gone(e)),
                }
                // The provider takes each request's slot of the shared
                // per-minute budget itself, retries included (`ai::rate::StoreGate`).
                let (width, height) = size_for(images.name(), p.kind);
                let req = ImageRequest { prompt: p.prompt.clone(), negative_prompt: Some(NEGATIVE_PROMPT.into()), width, height };
                let drawn = match images.generate(&req).await {
                    Ok(d) => d,
                    Err(ProviderError::Retryable { message, .. }) => return Err(JobError::Retryable(message)),
                    Err(ProviderError::Permanent(message)) => {
                        failed.push(json!({"prompt_id": pid, "error": message}));
                        continue;
                    }
                };
                let Some(ext) = extension(&drawn.content_type).filter(|_| !drawn.bytes.is_empty()) else {
                    failed.push(
                        json!({"prompt_id": pid, "error": format!("{}: unusable image ({}, {} bytes)", drawn.provider, drawn.content_type, drawn.bytes.len())}),
                    );
                    continue;
                };
                ctx.record_provider(&drawn.provider, &drawn.model);
                let bytes = drawn.bytes.len() as u64;
                let s3_key = crate::blobs::put(state, &t, &object_rest(&site_id, &id, ext), drawn.bytes, &drawn.content_type).await.map_err(gone)?;
                let now = crate::ids::now_rfc3339();
                let image = Image {
                    id,
                    account_id: t.account_id().to_string(),
                    site_id: site_id.clone(),
                    sector_id: p.sector_id.clone(),
                    content_id: p.content_id.clone(),
                    prompt_id: Some(p.id.clone()),
                    kind: p.kind,
                    position: p.position,
                    section_heading: p.section_heading.clone(),
                    prompt: p.prompt.clone(),
                    alt_text: p.alt_text.clone(),
                    cost: unit_cost(&state.config.costs, &drawn.provider),
                    provider: drawn.provider,
                    model: drawn.model,
                    width: drawn.width,
                    height: drawn.height,
                    content_type: drawn.content_type,
                    bytes,
                    s3_key,
                    job_id: Some(ctx.job.id.clone()),
                    created_by: ctx.job.created_by.clone(),
                    created_at: now.clone(),
                    updated_at: now,
                    version: 1,
                };
                match store.create(&image).await {
                    Ok(()) | Err(AppError::Conflict(_)) => made.push(image),
                    Err(e) => return Err(gone(e)),
                }
                ctx.progress("Generating images", (15 + (i + 1) * 75 / n) as u8).await;
            }
            if made.is_empty() {
                let why = failed.first().or(skipped.first()).map(|v| v.to_string()).unwrap_or_default();
                return Err(JobError::Permanent(format!("no image was made: {why}")));
            }
            ctx.progress("Saving", 95).await;
            let cost: f64 = made.iter().map(|i| i.cost).sum();
            Ok(Outcome {
                result: json!({
                    "created": made.len(),
                    "images": made.iter().map(|i| json!({
                        "id": i.id, "prompt_id": i.prompt_id, "content_id": i.content_id, "kind": i.kind, "position": i.position,
                        "provider": i.provider, "model": i.model, "width": i.width, "height": i.height, "cost": i.cost, "bytes": i.bytes,
                    })).collect::<Vec<_>>(),
                    "failed": failed,
                    "skipped": skipped,
                    "provider": images.name(),
                    "model": images.model(),
                }),
                actual_cost: cost,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_live_in_the_site_partition_and_objects_in_the_tenant_prefix() {
        let t = Tenant::from_verified("A");
        assert_eq!(image_key(&t, "S", "I"), Key::new("ACCT#A#SITE#S", "IMG#I"));
        assert_eq!(images_of_content(&t, "S", "C"), "ACCT#A#SITE#S#CONT#C#IMG");
        assert_eq!(crate::blobs::object_key(&t, &object_rest("S", "I", "png")), "accounts/A/sites/S/images/I.png");
        assert!(!format!("{IMAGE_PREFIX}x").starts_with(image_prompts::PROMPT_PREFIX) && !"IMGP#x".starts_with(IMAGE_PREFIX), "the two prefixes never overlap");
    }

    #[test]
    fn stored_keys_outside_the_tenant_are_refused() {
        let t = Tenant::from_verified("A");
        let mut img = Image {
            id: "I".into(),
            account_id: "A".into(),
            site_id: "S".into(),
            sector_id: None,
            content_id: "C".into(),
            prompt_id: None,
            kind: ImageKind::Featured,
            position: 0,
            section_heading: None,
            prompt: "p".into(),
            alt_text: "a".into(),
            provider: "offline".into(),
            model: "m".into(),
            width: 1,
            height: 1,
            cost: 1.0,
            content_type: "image/png".into(),
            bytes: 1,
            s3_key: "accounts/A/sites/S/images/I.png".into(),
            job_id: None,
            created_by: None,
            created_at: "t".into(),
            updated_at: "t".into(),
            version: 1,
        };
        assert_eq!(rest_of(&t, &img).unwrap(), "sites/S/images/I.png");
        img.s3_key = "accounts/B/sites/S/images/I.png".into();
        assert!(rest_of(&t, &img).is_err());
        assert!(rest_of(&Tenant::from_verified("AB"), &Image { s3_key: "accounts/A/x".into(), ..img }).is_err());
    }

    #[test]
    fn costs_follow_the_provider() {
        let c = CreditCosts::default();
        assert_eq!((unit_cost(&c, "offline"), unit_cost(&c, "runware"), unit_cost(&c, "openai")), (1.0, 2.0, 4.0));
        assert_eq!(unit_cost(&c, "someone-else"), 4.0, "unknown providers are priced as the dearest");
    }

    #[test]
    fn sizes_suit_each_provider() {
        for kind in [ImageKind::Featured, ImageKind::Section] {
            let (w, h) = size_for("runware", kind);
            assert!(w % 64 == 0 && h % 64 == 0 && (128..=2048).contains(&w) && (128..=2048).contains(&h));
            assert_eq!(size_for("openai", kind), (1024, 1024));
            let (w, h) = size_for("offline", kind);
            assert!(w * h <= 640 * 360);
        }
    }

    #[test]
    fn prompt_ids_are_checked() {
        let id = crate::ids::new_id;
        assert!(check_prompt_ids(None).is_err());
        assert!(check_prompt_ids(Some(&[])).is_err());
        assert!(check_prompt_ids(Some(&["x".to_string()])).is_err());
        let a = id();
        assert_eq!(check_prompt_ids(Some(&[a.clone(), a.clone()])).unwrap(), std::slice::from_ref(&a));
        let ten: Vec<String> = (0..10).map(|_| id()).collect();
        assert_eq!(check_prompt_ids(Some(&ten)).unwrap().len(), 10);
        let eleven: Vec<String> = (0..11).map(|_| id()).collect();
        assert!(check_prompt_ids(Some(&eleven)).is_err());
        assert!(extension("image/png") == Some("png") && extension("text/html").is_none());
    }
}
