//! `/api/v1/writer/content/{id}/versions/…`: list, get, diff, restore.

use crate::content::{newest_first, parse, scope};
use igny8::AppError;
use igny8::auth::guard::Access;
use igny8::envelope::Reply;
use igny8::http::{RequestCtx, Router};
use igny8::openapi::{Doc, q};
use igny8::writer::content::Content;
use igny8::writer::versions::{ContentVersion, VersionDiff, VersionSummary};
use igny8::writer::versions::{self, DiffMode};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RestoreInput {
    #[serde(default)]
    site_id: Option<String>,
    /// The content `version` the client saw (optional; stale → 409).
    #[serde(default)]
    version: Option<u64>,
    #[serde(default)]
    note: Option<String>,
}

/// A version number from the path; anything else is a 404 like an unknown id.
fn number(ctx: &RequestCtx) -> Result<u64, AppError> {
    ctx.param("n")?.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| AppError::not_found("version"))
}

pub fn routes(r: Router) -> Router {
    r.get("/api/v1/writer/content/{id}/versions", |ctx| async move {
        let (_, s) = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        let (limit, cursor) = ctx.page_params()?;
        let newest = newest_first(&ctx, "number", "-number", true)?;
        Ok(Reply::ok(versions::list(&ctx.state, &s.tenant, &s.site.id, ctx.param("id")?, newest, limit, cursor).await?))
    })
    .doc(
        Doc::new("The content's versions (newest first by default)")
            .query_required("site_id", q::id(), "The site.")
            .query("ordering", q::one_of(&["number", "-number"]), "")
            .list_of::<VersionSummary>(),
    )
    // Before `{n}`: the router takes the first pattern that matches.
    .get("/api/v1/writer/content/{id}/versions/diff", |ctx| async move {
        let (_, s) = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        let from = parse::<u64>(&ctx, "from", "must be a version number")?;
        let to = parse::<u64>(&ctx, "to", "must be a version number")?;
        let mode = parse::<DiffMode>(&ctx, "mode", "must be html or text")?.unwrap_or_default();
        Ok(Reply::ok(versions::diff(&ctx.state, &s.tenant, &s.site.id, ctx.param("id")?, from, to, mode).await?))
    })
    .doc(
        Doc::new("What changed between two versions (default: the previous and the latest)")
            .query_required("site_id", q::id(), "The site.")
            .query("from", q::int(1, i64::from(u32::MAX)), "A version number.")
            .query("to", q::int(1, i64::from(u32::MAX)), "A version number.")
            .query("mode", q::one_of(&["html", "text"]), "")
            .data::<VersionDiff>(),
    )
    .get("/api/v1/writer/content/{id}/versions/{n}", |ctx| async move {
        let (_, s) = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        let n = number(&ctx)?;
        Ok(Reply::ok(versions::get(&ctx.state, &s.tenant, &s.site.id, ctx.param("id")?, n).await?))
    })
    .doc(Doc::new("One version with its body").query_required("site_id", q::id(), "The site.").data::<ContentVersion>())
    .post("/api/v1/writer/content/{id}/versions/{n}/restore", |ctx| async move {
        let input: RestoreInput = if ctx.body.is_empty() { RestoreInput::default() } else { ctx.json()? };
        let (p, s) = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        let n = number(&ctx)?;
        let c = versions::restore(&ctx.state, &s.tenant, &s.site.id, ctx.param("id")?, n, input.version, input.note, &p.user_id).await?;
        Ok(Reply::ok(c).message(format!("version {n} restored as a new version")))
    })
    .doc(Doc::new("Restore a version (as a new version)").query("site_id", q::id(), "The site (or in the body).").optional_body::<RestoreInput>().data::<Content>())
}
