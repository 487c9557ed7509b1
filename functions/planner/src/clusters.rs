//! `/api/v1/planner/clusters/…`: CRUD, add/move/remove keywords, auto-cluster.

use crate::keywords::{parse, scope};
use igny8::AppError;
use igny8::ai::function::submit_http;
use igny8::auth::guard::Access;
use igny8::envelope::Reply;
use igny8::http::{RequestCtx, Router};
use igny8::planner::auto_cluster::AutoClusterInput;
use igny8::planner::clusters::{self, ClusterFilter, ClusterInput};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Membership {
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
    let dry_run = input.dry_run.take().unwrap_or(false) || ctx.query_flag("dry_run");
    Ok((serde_json::to_value(&input).map_err(|e| AppError::internal(e.to_string()))?, dry_run))
}

pub fn routes(r: Router) -> Router {
    r.get("/api/v1/planner/clusters", |ctx| async move {
        let s = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        let (limit, cursor) = ctx.page_params()?;
        let f = ClusterFilter { status: parse(&ctx, "status", "must be active or archived")?, search: ctx.query("search").map(str::to_string) };
        Ok(Reply::ok(clusters::list(&ctx.state, &s, &f, limit, cursor).await?))
    })
    .post("/api/v1/planner/clusters", |ctx| async move {
        let input: ClusterInput = ctx.json()?;
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), input.sector_id.as_deref()).await?;
        Ok(Reply::created(clusters::create(&ctx.state, &s, input).await?))
    })
    .post("/api/v1/planner/clusters/auto-cluster", |ctx| async move {
        let (input, dry_run) = auto_cluster_input(&ctx, None)?;
        submit_http(&ctx, "auto_cluster", input, dry_run).await
    })
    .get("/api/v1/planner/clusters/{id}", |ctx| async move {
        let s = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        Ok(Reply::ok(clusters::get(&ctx.state, &s, ctx.param("id")?).await?))
    })
    .patch("/api/v1/planner/clusters/{id}", |ctx| async move {
        let input: ClusterInput = ctx.json()?;
        if input.sector_id.is_some() {
            return Err(AppError::field("sector_id", "cannot be changed; a cluster stays in its sector"));
        }
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(clusters::update(&ctx.state, &s, ctx.param("id")?, input).await?))
    })
    .delete("/api/v1/planner/clusters/{id}", |ctx| async move {
        let s = scope(&ctx, Access::EditorOrAbove, None, None).await?;
        let id = ctx.param("id")?;
        let released = clusters::delete(&ctx.state, &s, id).await?;
        Ok(Reply::ok(json!({"id": id, "keywords_unclustered": released})).message("cluster deleted; its keywords are unclustered"))
    })
    .post("/api/v1/planner/clusters/{id}/add-keywords", |ctx| async move {
        let input: Membership = ctx.json()?;
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(clusters::assign(&ctx.state, &s, &input.keyword_ids, Some(ctx.param("id")?), None).await?))
    })
    .post("/api/v1/planner/clusters/{id}/remove-keywords", |ctx| async move {
        let input: Membership = ctx.json()?;
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(clusters::assign(&ctx.state, &s, &input.keyword_ids, None, Some(ctx.param("id")?)).await?))
    })
    .post("/api/v1/planner/clusters/{id}/move-keywords", |ctx| async move {
        let input: Membership = ctx.json()?;
        let target = input.target_cluster_id.clone().ok_or_else(|| AppError::field("target_cluster_id", "is required"))?;
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(clusters::assign(&ctx.state, &s, &input.keyword_ids, Some(&target), Some(ctx.param("id")?)).await?))
    })
    .post("/api/v1/planner/clusters/{id}/auto-cluster", |ctx| async move {
        let id = ctx.param("id")?.to_string();
        let (input, dry_run) = auto_cluster_input(&ctx, Some(&id))?;
        submit_http(&ctx, "auto_cluster", input, dry_run).await
    })
}
