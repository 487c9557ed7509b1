//! `/api/v1/planner/clusters/…`: CRUD, add/move/remove keywords, auto-cluster.

use crate::keywords::{parse, scope};
use igny8::AppError;
use igny8::ai::function::submit_http;
use igny8::auth::guard::Access;
use igny8::envelope::Reply;
use igny8::http::{RequestCtx, Router};
use igny8::openapi::{Doc, q};
use igny8::ai::function::Submission;
use igny8::planner::clusters::{Cluster, MembershipResult};
use igny8::planner::auto_cluster::AutoClusterInput;
use igny8::planner::clusters::{self, ClusterFilter, ClusterInput};
use serde::Deserialize;
use serde_json::Value;

/// `data` of a cluster delete.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct ClusterDeleted {
    id: String,
    /// Keywords that were in it and are now unclustered.
    keywords_unclustered: usize,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MembershipInput {
    #[serde(default)]
    site_id: Option<String>,
    keyword_ids: Vec<String>,
    /// For move: the cluster the keywords go to.
    #[serde(default)]
    target_cluster_id: Option<String>,
}

fn auto_cluster_input(ctx: &RequestCtx, cluster_id: Option<&str>) -> Result<(Value, bool), AppError> {
    let mut input: AutoClusterInput = if ctx.body.is_empty() { AutoClusterInput::default() } else { ctx.json()? };
    if input.site_id.is_none() {
        input.site_id = ctx.query("site_id").map(str::to_string);
    }
    if input.sector_id.is_none() {
        input.sector_id = ctx.query("sector_id").map(str::to_string);
    }
    if let Some(id) = cluster_id {
        input.cluster_id = Some(id.to_string());
    }
    let dry_run = ctx.query_flag("dry_run")? | input.dry_run.take().unwrap_or(false);
    Ok((serde_json::to_value(&input).map_err(|e| AppError::internal(e.to_string()))?, dry_run))
}

pub fn routes(r: Router) -> Router {
    r.get("/api/v1/planner/clusters", |ctx| async move {
        let s = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        let (limit, cursor) = ctx.page_params()?;
        let f = ClusterFilter { status: parse(&ctx, "status", "must be active or archived")?, search: ctx.query("search").map(str::to_string) };
        Ok(Reply::ok(clusters::list(&ctx.state, &s, &f, limit, cursor).await?))
    })
    .doc(
        Doc::new("The sector's (or site's) clusters")
            .scoped()
            .query("status", q::one_of(&["active", "archived"]), "")
            .query("search", q::string(), "Substring of the name.")
            .list_of::<Cluster>(),
    )
    .post("/api/v1/planner/clusters", |ctx| async move {
        let input: ClusterInput = ctx.json()?;
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), input.sector_id.as_deref()).await?;
        Ok(Reply::created(clusters::create(&ctx.state, &s, input).await?))
    })
    .doc(Doc::new("Add a cluster").scoped().body::<ClusterInput>().data::<Cluster>().status(201))
    .post("/api/v1/planner/clusters/auto-cluster", |ctx| async move {
        let (input, dry_run) = auto_cluster_input(&ctx, None)?;
        submit_http(&ctx, "auto_cluster", input, dry_run).await
    })
    .doc(
            Doc::new("Auto-cluster the sector's keywords (a job, 10 credits)")
                .describe("An AI job: `dry_run=true` answers 200 with the estimate and what would run; otherwise the credits are reserved (402 `INSUFFICIENT_CREDITS` when short) and the job is queued: 202 with the job. Follow it at `GET /api/v1/jobs/{id}/`.")
                .optional_body::<AutoClusterInput>()
                .query("site_id", q::id(), "The site (or in the body).")
                .query("dry_run", q::boolean(), "Estimate only: nothing is reserved or queued.")
                .data::<Submission>()
                .also(202),
        )
    .get("/api/v1/planner/clusters/{id}", |ctx| async move {
        let s = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        Ok(Reply::ok(clusters::get(&ctx.state, &s, ctx.param("id")?).await?))
    })
    .doc(Doc::new("One cluster").scoped().data::<Cluster>())
    .patch("/api/v1/planner/clusters/{id}", |ctx| async move {
        let input: ClusterInput = ctx.json()?;
        if input.sector_id.is_some() {
            return Err(AppError::field("sector_id", "cannot be changed; a cluster stays in its sector"));
        }
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(clusters::update(&ctx.state, &s, ctx.param("id")?, input).await?))
    })
    .doc(Doc::new("Change a cluster (its sector stays)").scoped().body::<ClusterInput>().data::<Cluster>())
    .delete("/api/v1/planner/clusters/{id}", |ctx| async move {
        let s = scope(&ctx, Access::EditorOrAbove, None, None).await?;
        let id = ctx.param("id")?;
        let released = clusters::delete(&ctx.state, &s, id).await?;
        Ok(Reply::ok(ClusterDeleted { id: id.to_string(), keywords_unclustered: released }).message("cluster deleted; its keywords are unclustered"))
    })
    .doc(Doc::new("Delete a cluster (its keywords become unclustered)").scoped().data::<ClusterDeleted>())
    .post("/api/v1/planner/clusters/{id}/add-keywords", |ctx| async move {
        let input: MembershipInput = ctx.json()?;
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(clusters::assign(&ctx.state, &s, &input.keyword_ids, Some(ctx.param("id")?), None).await?))
    })
    .doc(Doc::new("Put keywords in the cluster").scoped().body::<MembershipInput>().data::<MembershipResult>())
    .post("/api/v1/planner/clusters/{id}/remove-keywords", |ctx| async move {
        let input: MembershipInput = ctx.json()?;
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(clusters::assign(&ctx.state, &s, &input.keyword_ids, None, Some(ctx.param("id")?)).await?))
    })
    .doc(Doc::new("Take keywords out of the cluster").scoped().body::<MembershipInput>().data::<MembershipResult>())
    .post("/api/v1/planner/clusters/{id}/move-keywords", |ctx| async move {
        let input: MembershipInput = ctx.json()?;
        let target = input.target_cluster_id.clone().ok_or_else(|| AppError::field("target_cluster_id", "is required"))?;
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(clusters::assign(&ctx.state, &s, &input.keyword_ids, Some(&target), Some(ctx.param("id")?)).await?))
    })
    .doc(Doc::new("Move keywords to another cluster (target_cluster_id)").scoped().body::<MembershipInput>().data::<MembershipResult>())
    .post("/api/v1/planner/clusters/{id}/auto-cluster", |ctx| async move {
        let id = ctx.param("id")?.to_string();
        let (input, dry_run) = auto_cluster_input(&ctx, Some(&id))?;
        submit_http(&ctx, "auto_cluster", input, dry_run).await
    })
    .doc(
            Doc::new("Refine one cluster: re-cluster its keywords (a job, 10 credits)")
                .describe("An AI job: `dry_run=true` answers 200 with the estimate and what would run; otherwise the credits are reserved (402 `INSUFFICIENT_CREDITS` when short) and the job is queued: 202 with the job. Follow it at `GET /api/v1/jobs/{id}/`.")
                .optional_body::<AutoClusterInput>()
                .query("site_id", q::id(), "The site (or in the body).")
                .query("dry_run", q::boolean(), "Estimate only: nothing is reserved or queued.")
                .data::<Submission>()
                .also(202),
        )
}
