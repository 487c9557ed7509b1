//! Image prompts and images:
//!
//! * `POST /api/v1/writer/content/{id}/image-prompts/` — the
//!   `generate_image_prompts` job (202; `dry_run` → 200 with the price);
//!   `/api/v1/writer/image-prompts/…` list (`content_id`), get, patch
//!   (`prompt`, `alt_text`), delete.
//! * `POST /api/v1/writer/images/generate/` — the `generate_images` job for
//!   1–10 prompt ids; `/api/v1/writer/images/…` list (`content_id`), get
//!   (with a presigned URL valid 15 minutes), set-featured, delete.
//!
//! Reads need a viewer, everything else an editor; `site_id` comes from the
//! query or the body; ids of other sites or accounts are a 404.

use crate::content::scope;
use igny8::AppError;
use igny8::ai::function::submit_http;
use igny8::auth::guard::Access;
use igny8::envelope::Reply;
use igny8::http::{RequestCtx, Router};
use igny8::openapi::{Doc, q};
use igny8::ai::function::Submission;
use igny8::envelope::Removed;
use igny8::writer::content::Content;
use igny8::writer::image_prompts::ImagePrompt;
use igny8::writer::images::ImageView;
use igny8::writer::{image_prompts, images};
use serde::Deserialize;


/// `?content_id=` (optional, an id).
fn content_filter(ctx: &RequestCtx) -> Result<Option<&str>, AppError> {
    match ctx.query("content_id") {
        Some(v) if !igny8::ids::is_valid(v) => Err(AppError::field("content_id", "must be an id")),
        v => Ok(v),
    }
}

/// The body as `T`, or `T::default()` when there is none.
fn body_or_default<T: Default + for<'de> Deserialize<'de>>(ctx: &RequestCtx) -> Result<T, AppError> {
    if ctx.body.iter().all(u8::is_ascii_whitespace) { Ok(T::default()) } else { ctx.json() }
}

fn to_value(v: &impl serde::Serialize) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(v).map_err(|e| AppError::internal(e.to_string()))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SetFeatured {
    #[serde(default)]
    site_id: Option<String>,
    /// The content `version` the client saw (optional; stale → 409).
    #[serde(default)]
    version: Option<u64>,
}

pub fn routes(r: Router) -> Router {
    r.post("/api/v1/writer/content/{id}/image-prompts", |ctx| async move {
        let mut input: image_prompts::GenerateInput = body_or_default(&ctx)?;
        input.site_id = input.site_id.or_else(|| ctx.query("site_id").map(str::to_string));
        input.content_id = Some(ctx.param("id")?.to_string());
        let dry_run = ctx.query_flag("dry_run")? | input.dry_run.take().unwrap_or(false);
        submit_http(&ctx, "generate_image_prompts", to_value(&input)?, dry_run).await
    })
    .doc(
        Doc::new("Image prompts for the content (a job)")
            .describe("An AI job: `dry_run=true` answers 200 with the estimate and what would run; otherwise the credits are reserved (402 `INSUFFICIENT_CREDITS` when short) and the job is queued: 202 with the job. Follow it at `GET /api/v1/jobs/{id}/`.")
            .optional_body::<image_prompts::GenerateInput>()
            .query("site_id", q::id(), "The site (or in the body).")
            .query("dry_run", q::boolean(), "Estimate only: nothing is reserved or queued.")
            .data::<Submission>()
            .also(202),
    )
    .get("/api/v1/writer/image-prompts", |ctx| async move {
        let (_, s) = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        let (limit, cursor) = ctx.page_params()?;
        Ok(Reply::ok(image_prompts::list(&ctx.state, &s, content_filter(&ctx)?, limit, cursor).await?))
    })
    .doc(
        Doc::new("The site's image prompts")
            .query_required("site_id", q::id(), "The site.")
            .query("content_id", q::id(), "Only this content's.")
            .list_of::<ImagePrompt>(),
    )
    .get("/api/v1/writer/image-prompts/{id}", |ctx| async move {
        let (_, s) = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        Ok(Reply::ok(image_prompts::get(&ctx.state, &s, ctx.param("id")?).await?))
    })
    .doc(Doc::new("One image prompt").query_required("site_id", q::id(), "The site.").data::<ImagePrompt>())
    .patch("/api/v1/writer/image-prompts/{id}", |ctx| async move {
        let input: image_prompts::PromptInput = ctx.json()?;
        let (_, s) = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(image_prompts::update(&ctx.state, &s, ctx.param("id")?, input).await?))
    })
    .doc(Doc::new("Change an image prompt").query("site_id", q::id(), "The site (or in the body).").body::<image_prompts::PromptInput>().data::<ImagePrompt>())
    .delete("/api/v1/writer/image-prompts/{id}", |ctx| async move {
        let (_, s) = scope(&ctx, Access::EditorOrAbove, None, None).await?;
        let id = ctx.param("id")?;
        image_prompts::delete(&ctx.state, &s, id).await?;
        Ok(Reply::ok(Removed::new(id)).message("image prompt deleted"))
    })
    .doc(Doc::new("Delete an image prompt").query_required("site_id", q::id(), "The site.").data::<Removed>())
    .post("/api/v1/writer/images/generate", |ctx| async move {
        let mut input: images::GenerateInput = ctx.json()?;
        input.site_id = input.site_id.or_else(|| ctx.query("site_id").map(str::to_string));
        let dry_run = ctx.query_flag("dry_run")? | input.dry_run.take().unwrap_or(false);
        submit_http(&ctx, "generate_images", to_value(&input)?, dry_run).await
    })
    .doc(
        Doc::new("Images from prompts (a job, priced per image)")
            .describe("An AI job: `dry_run=true` answers 200 with the estimate and what would run; otherwise the credits are reserved (402 `INSUFFICIENT_CREDITS` when short) and the job is queued: 202 with the job. Follow it at `GET /api/v1/jobs/{id}/`.")
            .body::<images::GenerateInput>()
            .query("site_id", q::id(), "The site (or in the body).")
            .query("dry_run", q::boolean(), "Estimate only: nothing is reserved or queued.")
            .data::<Submission>()
            .also(202),
    )
    .get("/api/v1/writer/images", |ctx| async move {
        let (_, s) = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        let (limit, cursor) = ctx.page_params()?;
        Ok(Reply::ok(images::list(&ctx.state, &s, content_filter(&ctx)?, limit, cursor).await?))
    })
    .doc(
        Doc::new("The site's images (with short-lived download URLs)")
            .query_required("site_id", q::id(), "The site.")
            .query("content_id", q::id(), "Only this content's.")
            .list_of::<ImageView>(),
    )
    .get("/api/v1/writer/images/{id}", |ctx| async move {
        let (_, s) = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        let img = images::get(&ctx.state, &s, ctx.param("id")?).await?;
        Ok(Reply::ok(images::view(&ctx.state, &s.tenant, img).await?))
    })
    .doc(Doc::new("One image").query_required("site_id", q::id(), "The site.").data::<ImageView>())
    .post("/api/v1/writer/images/{id}/set-featured", |ctx| async move {
        let input: SetFeatured = body_or_default(&ctx)?;
        let (p, s) = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        let c = images::set_featured(&ctx.state, &s, ctx.param("id")?, input.version, &p.user_id).await?;
        Ok(Reply::ok(c).message("featured image set"))
    })
    .doc(Doc::new("Make the image its content's featured image").query("site_id", q::id(), "The site (or in the body).").optional_body::<SetFeatured>().data::<Content>())
    .delete("/api/v1/writer/images/{id}", |ctx| async move {
        let (p, s) = scope(&ctx, Access::EditorOrAbove, None, None).await?;
        Ok(Reply::ok(images::delete(&ctx.state, &s, ctx.param("id")?, &p.user_id).await?).message("image deleted"))
    })
    .doc(Doc::new("Delete an image (and its file)").query_required("site_id", q::id(), "The site.").data::<images::Deleted>())
}
