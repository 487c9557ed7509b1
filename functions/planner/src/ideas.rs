//! `/api/v1/planner/ideas/…`: CRUD and filters, tasks from ideas (one or in
//! bulk), and `POST /api/v1/planner/clusters/{id}/generate-ideas/` (an AI job).

use igny8::ai::function::submit_http;
use crate::keywords::{parse, scope};
use igny8::AppError;
use igny8::auth::guard::{Access, Principal, require};
use igny8::envelope::Reply;
use igny8::http::{RequestCtx, Router};
use igny8::openapi::{Doc, q};
use igny8::ai::function::Submission;
use igny8::envelope::Removed;
use igny8::planner::ideas::Idea;
use igny8::planner::tasks::Task;
use igny8::planner::ideas::{self, GenerateIdeasInput, IdeaFilter, IdeaInput};
use igny8::planner::keywords;
use igny8::planner::tasks::{self, FromIdea};
use serde::Deserialize;
use igny8::sites::Scope;
use serde_json::Value;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BulkTasksInput {
    #[serde(default)]
    site_id: Option<String>,
    ids: Vec<String>,
    #[serde(default)]
    tone: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    assignee_id: Option<String>,
}

/// The caller (who must have `access`) and the site scope of a write that
/// records its author.
pub(crate) async fn author_scope(ctx: &RequestCtx, access: Access, body_site: Option<&str>, body_sector: Option<&str>) -> Result<(Principal, Scope), AppError> {
    let p = require(ctx, access).await?;
    let s = keywords::scope_for(&ctx.state, &p, ctx.query("site_id").or(body_site), ctx.query("sector_id").or(body_sector)).await?;
    Ok((p, s))
}

fn generate_input(ctx: &RequestCtx, cluster_id: &str) -> Result<(Value, bool), AppError> {
    let mut input: GenerateIdeasInput = if ctx.body.is_empty() { GenerateIdeasInput::default() } else { ctx.json()? };
    if input.site_id.is_none() {
        input.site_id = ctx.query("site_id").map(str::to_string);
    }
    input.cluster_id = Some(cluster_id.to_string());
    let dry_run = ctx.query_flag("dry_run")? | input.dry_run.take().unwrap_or(false);
    Ok((serde_json::to_value(&input).map_err(|e| AppError::internal(e.to_string()))?, dry_run))
}

pub fn routes(r: Router) -> Router {
    r.get("/api/v1/planner/ideas", |ctx| async move {
        let s = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        let (limit, cursor) = ctx.page_params()?;
        let f = IdeaFilter {
            cluster_id: ctx.query("cluster_id").map(str::to_string),
            status: parse(&ctx, "status", "must be one of new, queued, archived")?,
            structure: parse(&ctx, "structure", "must be one of article, guide, how_to, listicle, comparison, review, cluster_hub")?,
            newest_first: match ctx.query("ordering") {
                None | Some("created_at") => false,
                Some("-created_at") => true,
                Some(_) => return Err(AppError::field("ordering", "must be created_at or -created_at")),
            },
        };
        Ok(Reply::ok(ideas::list(&ctx.state, &s, &f, limit, cursor).await?))
    })
    .doc(
        Doc::new("The sector's (or site's) content ideas")
            .scoped()
            .query("cluster_id", q::id(), "Only this cluster's ideas.")
            .query("status", q::one_of(&["new", "queued", "archived"]), "")
            .query("structure", q::one_of(&["article", "guide", "how_to", "listicle", "comparison", "review", "cluster_hub"]), "")
            .query("ordering", q::one_of(&["created_at", "-created_at"]), "")
            .list_of::<Idea>(),
    )
    .post("/api/v1/planner/ideas", |ctx| async move {
        let input: IdeaInput = ctx.json()?;
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), input.sector_id.as_deref()).await?;
        Ok(Reply::created(ideas::create(&ctx.state, &s, input).await?))
    })
    .doc(Doc::new("Add an idea").scoped().body::<IdeaInput>().data::<Idea>().status(201))
    .post("/api/v1/planner/ideas/bulk-create-tasks", |ctx| async move {
        let input: BulkTasksInput = ctx.json()?;
        let (p, s) = author_scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        let options = FromIdea { site_id: None, tone: input.tone, language: input.language, due_date: input.due_date, assignee_id: input.assignee_id };
        Ok(Reply::ok(tasks::bulk_create_from_ideas(&ctx.state, &s, &input.ids, &options, &p.user_id).await?))
    })
    .doc(Doc::new("Writing tasks from many ideas").scoped().body::<BulkTasksInput>().data::<tasks::BulkTasks>())
    .get("/api/v1/planner/ideas/{id}", |ctx| async move {
        let s = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        Ok(Reply::ok(ideas::get(&ctx.state, &s, ctx.param("id")?).await?))
    })
    .doc(Doc::new("One idea").scoped().data::<Idea>())
    .patch("/api/v1/planner/ideas/{id}", |ctx| async move {
        let input: IdeaInput = ctx.json()?;
        if input.sector_id.is_some() {
            return Err(AppError::field("sector_id", "cannot be changed; an idea stays in its sector"));
        }
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(ideas::update(&ctx.state, &s, ctx.param("id")?, input).await?))
    })
    .doc(Doc::new("Change an idea (its sector stays)").scoped().body::<IdeaInput>().data::<Idea>())
    .delete("/api/v1/planner/ideas/{id}", |ctx| async move {
        let s = scope(&ctx, Access::EditorOrAbove, None, None).await?;
        let id = ctx.param("id")?;
        ideas::delete(&ctx.state, &s, id).await?;
        Ok(Reply::ok(Removed::new(id)).message("idea deleted"))
    })
    .doc(Doc::new("Delete an idea").scoped().data::<Removed>())
    .post("/api/v1/planner/ideas/{id}/create-task", |ctx| async move {
        let options: FromIdea = if ctx.body.is_empty() { FromIdea::default() } else { ctx.json()? };
        let (p, s) = author_scope(&ctx, Access::EditorOrAbove, options.site_id.as_deref(), None).await?;
        let task = tasks::create_from_idea(&ctx.state, &s, ctx.param("id")?, &options, &p.user_id).await?;
        Ok(Reply::created(task).message("task created; the idea is queued"))
    })
    .doc(Doc::new("A writing task from the idea").scoped().optional_body::<FromIdea>().data::<Task>().status(201))
    .post("/api/v1/planner/clusters/{id}/generate-ideas", |ctx| async move {
        let id = ctx.param("id")?.to_string();
        let (input, dry_run) = generate_input(&ctx, &id)?;
        submit_http(&ctx, "generate_ideas", input, dry_run).await
    })
    .doc(
            Doc::new("Content ideas for the cluster (a job, 1 credit per cluster)")
                .describe("An AI job: `dry_run=true` answers 200 with the estimate and what would run; otherwise the credits are reserved (402 `INSUFFICIENT_CREDITS` when short) and the job is queued: 202 with the job. Follow it at `GET /api/v1/jobs/{id}/`.")
                .optional_body::<GenerateIdeasInput>()
                .query("site_id", q::id(), "The site (or in the body).")
                .query("dry_run", q::boolean(), "Estimate only: nothing is reserved or queued.")
                .data::<Submission>()
                .also(202),
        )
}
