//! `/api/v1/writer/content/…`: CRUD with filters and pagination. Edits name
//! the `version` they were made on (stale → 409); a title or body change
//! makes a version.

use igny8::AppError;
use igny8::auth::guard::{Access, Principal, require};
use igny8::envelope::Reply;
use igny8::http::{RequestCtx, Router};
use igny8::openapi::{Doc, q};
use igny8::writer::content::{Content, ContentSummary};
use igny8::sites::Scope;
use igny8::writer::content::{self, ContentFilter, ContentInput};
use serde::Deserialize;
use serde_json::Value;

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(ctx: &RequestCtx, name: &str, what: &str) -> Result<Option<T>, AppError> {
    match ctx.query(name) {
        None => Ok(None),
        Some(v) => {
            let json = v.parse::<Value>().unwrap_or_else(|_| Value::String(v.to_string()));
            serde_json::from_value(json).map(Some).map_err(|_| AppError::field(name, what))
        }
    }
}

/// Authorizes the caller and resolves `site_id` / `sector_id` (query first, then body).
pub(crate) async fn scope(
    ctx: &RequestCtx,
    access: Access,
    body_site: Option<&str>,
    body_sector: Option<&str>,
) -> Result<(Principal, Scope), AppError> {
    let p = require(ctx, access).await?;
    let site = ctx.query("site_id").or(body_site).ok_or_else(|| AppError::field("site_id", "is required"))?;
    let sector = ctx.query("sector_id").or(body_sector);
    let s = igny8::sites::scope(&ctx.state, &p, site, sector).await?;
    Ok((p, s))
}

/// `ordering=created_at|-created_at` (the default: oldest first).
pub(crate) fn newest_first(ctx: &RequestCtx, oldest: &str, newest: &str, default_newest: bool) -> Result<bool, AppError> {
    match ctx.query("ordering") {
        None => Ok(default_newest),
        Some(o) if o == oldest => Ok(false),
        Some(o) if o == newest => Ok(true),
        Some(_) => Err(AppError::field("ordering", format!("must be {oldest} or {newest}"))),
    }
}

/// `data` of a content delete.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ContentDeleted {
    pub id: String,
    pub versions_deleted: usize,
}

pub fn routes(r: Router) -> Router {
    r.get("/api/v1/writer/content", |ctx| async move {
        let (_, s) = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        let (limit, cursor) = ctx.page_params()?;
        let id = |name: &str| -> Result<Option<String>, AppError> {
            match ctx.query(name) {
                Some(v) if !igny8::ids::is_valid(v) => Err(AppError::field(name, "must be an id")),
                v => Ok(v.map(str::to_string)),
            }
        };
        let f = ContentFilter {
            status: parse(&ctx, "status", "must be one of draft, review, approved, published")?,
            task_id: id("task_id")?,
            cluster_id: id("cluster_id")?,
            search: ctx.query("search").map(str::to_string),
            newest_first: newest_first(&ctx, "created_at", "-created_at", false)?,
        };
        Ok(Reply::ok(content::list(&ctx.state, &s, &f, limit, cursor).await?))
    })
    .doc(
        Doc::new("The site's content (articles), with filters")
            .query_required("site_id", q::id(), "The site.")
            .query("sector_id", q::id(), "Only this sector's.")
            .query("status", q::one_of(&["draft", "review", "approved", "published"]), "")
            .query("task_id", q::id(), "")
            .query("cluster_id", q::id(), "")
            .query("search", q::string(), "Substring of the title.")
            .query("ordering", q::one_of(&["created_at", "-created_at"]), "")
            .list_of::<ContentSummary>(),
    )
    .post("/api/v1/writer/content", |ctx| async move {
        let input: ContentInput = ctx.json()?;
        let (p, s) = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), input.sector_id.as_deref()).await?;
        Ok(Reply::created(content::create(&ctx.state, &s, input, &p.user_id).await?))
    })
    .doc(Doc::new("Add content (a draft written by hand)").scoped().body::<ContentInput>().data::<Content>().status(201))
    .get("/api/v1/writer/content/{id}", |ctx| async move {
        let (_, s) = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        Ok(Reply::ok(content::get(&ctx.state, &s, ctx.param("id")?).await?))
    })
    .doc(Doc::new("One piece of content with its body").query_required("site_id", q::id(), "The site.").data::<Content>())
    .patch("/api/v1/writer/content/{id}", |ctx| async move {
        let input: ContentInput = ctx.json()?;
        let (p, s) = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(content::update(&ctx.state, &s, ctx.param("id")?, input, &p.user_id).await?))
    })
    .doc(
        Doc::new("Change content: send the `version` you saw (stale: 409); a body change makes a new version")
            .query("site_id", q::id(), "The site (or in the body).")
            .body::<ContentInput>()
            .data::<Content>(),
    )
    .delete("/api/v1/writer/content/{id}", |ctx| async move {
        let (_, s) = scope(&ctx, Access::EditorOrAbove, None, None).await?;
        let id = ctx.param("id")?;
        let versions = content::delete(&ctx.state, &s, id).await?;
        Ok(Reply::ok(ContentDeleted { id: id.to_string(), versions_deleted: versions }).message("content deleted"))
    })
    .doc(Doc::new("Delete content and its versions").query_required("site_id", q::id(), "The site.").data::<ContentDeleted>())
}
