//! `/api/v1/sites/…`: sites and their sectors.

use igny8::auth::guard::{Access, require};
use igny8::envelope::Reply;
use igny8::http::{Router, dispatch};
use igny8::openapi::{Doc, q};
use igny8::sites::{Deletion, Sector, Site};
use serde_json::json;
use igny8::sites::{self, SectorInput, SiteInput};
use igny8::AppState;
use lambda_http::{Body, Request, Response};
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "sites";

pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new()
            .guarded(Access::ViewerOrAbove, Access::AdminOrAbove)
            .get("/api/v1/sites", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(sites::list_sites(&ctx.state, &p, limit, cursor).await?))
            })
            .doc(Doc::new("The account's sites").list_of::<Site>())
            .post("/api/v1/sites", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let input: SiteInput = ctx.json()?;
                Ok(Reply::created(sites::create_site(&ctx.state, &p, input, ctx.source_ip.as_deref()).await?))
            })
            .doc(
                Doc::new("Add a site (the plan limits sites)")
                    .body::<SiteInput>()
                    .body_example(json!({"name": "Travel Blog", "url": "https://travel.example.com"}))
                    .data::<Site>()
                    .status(201),
            )
            .get("/api/v1/sites/{site_id}", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(sites::scope(&ctx.state, &p, ctx.param("site_id")?, None).await?.site))
            })
            .doc(Doc::new("One site").data::<Site>())
            .patch("/api/v1/sites/{site_id}", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let input: SiteInput = ctx.json()?;
                Ok(Reply::ok(sites::update_site(&ctx.state, &p, ctx.param("site_id")?, input).await?))
            })
            .doc(Doc::new("Change a site").body::<SiteInput>().data::<Site>())
            .delete("/api/v1/sites/{site_id}", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let confirm = ctx.query_flag("confirm")?;
                let deletion = sites::delete_site(&ctx.state, &p, ctx.param("site_id")?, confirm, ctx.source_ip.as_deref()).await?;
                Ok(deleted_reply(deletion, "site"))
            })
            .doc(
                Doc::new("Delete a site with its sectors (and, with confirm=true, everything in them)")
                    .describe("An empty site is deleted at once (200, what was removed). A site holding data is deleted by a job (202, the job; follow it at /api/v1/jobs/{id}/); while it runs, the site answers 409 BEING_DELETED.")
                    .query("confirm", q::boolean(), "Required (true) to delete a site holding data.")
                    .data::<Deletion>()
                    .also(202),
            )
            .get("/api/v1/sites/{site_id}/sectors", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(sites::list_sectors(&ctx.state, &p, ctx.param("site_id")?, limit, cursor).await?))
            })
            .doc(Doc::new("The site's sectors").list_of::<Sector>())
            .post("/api/v1/sites/{site_id}/sectors", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let input: SectorInput = ctx.json()?;
                Ok(Reply::created(sites::create_sector(&ctx.state, &p, ctx.param("site_id")?, input).await?))
            })
            .doc(Doc::new("Add a sector to the site").body::<SectorInput>().body_example(json!({"name": "City Breaks"})).data::<Sector>().status(201))
            .get("/api/v1/sites/{site_id}/sectors/{sector_id}", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(sites::get_sector(&ctx.state, &p, ctx.param("site_id")?, ctx.param("sector_id")?).await?))
            })
            .doc(Doc::new("One sector").data::<Sector>())
            .patch("/api/v1/sites/{site_id}/sectors/{sector_id}", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let input: SectorInput = ctx.json()?;
                Ok(Reply::ok(sites::update_sector(&ctx.state, &p, ctx.param("site_id")?, ctx.param("sector_id")?, input).await?))
            })
            .doc(Doc::new("Change a sector").body::<SectorInput>().data::<Sector>())
            .delete("/api/v1/sites/{site_id}/sectors/{sector_id}", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let (site, sector) = (ctx.param("site_id")?, ctx.param("sector_id")?);
                let deletion = sites::delete_sector(&ctx.state, &p, site, sector, ctx.query_flag("confirm")?, ctx.source_ip.as_deref()).await?;
                Ok(deleted_reply(deletion, "sector"))
            })
            .doc(
                Doc::new("Delete a sector (with confirm=true, also what it holds)")
                    .describe("An empty sector is deleted at once (200). A sector holding data is deleted by a job (202, the job); while it runs, the sector answers 409 BEING_DELETED.")
                    .query("confirm", q::boolean(), "Required (true) to delete a sector holding data.")
                    .data::<Deletion>()
                    .also(202),
            )
    })
}

/// 200 for a delete done within the request, 202 with the job for one
/// that runs as a job.
fn deleted_reply(deletion: sites::Deletion, what: &str) -> Reply {
    match deletion {
        sites::Deletion::Done(d) => Reply::ok(d).message(format!("{what} deleted")),
        queued @ sites::Deletion::Queued(_) => {
            Reply::accepted(queued).message(format!("the {what} is being deleted by a job; follow it at /api/v1/jobs/{{id}}/"))
        }
    }
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
