//! `/api/v1/planner/tasks/…`: CRUD and filters; status changes only through
//! `POST /api/v1/planner/tasks/{id}/transition/` `{status, version?}`;
//! `POST /api/v1/planner/tasks/{id}/generate/` writes the article (a job).

use crate::ideas::author_scope;
use crate::keywords::{parse, scope};
use igny8::AppError;
use igny8::auth::guard::Access;
use igny8::envelope::Reply;
use igny8::http::Router;
use igny8::planner::tasks::{self, TaskFilter, TaskInput, TaskStatus};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Transition {
    #[serde(default)]
    site_id: Option<String>,
    status: TaskStatus,
    #[serde(default)]
    version: Option<u64>,
}

const STATUSES: &str = "must be one of queued, in_progress, generated, review, published, cancelled";

pub fn routes(r: Router) -> Router {
    r.get("/api/v1/planner/tasks", |ctx| async move {
        let s = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        let (limit, cursor) = ctx.page_params()?;
        let f = TaskFilter {
            status: parse(&ctx, "status", STATUSES)?,
            cluster_id: ctx.query("cluster_id").map(str::to_string),
            assignee_id: ctx.query("assignee_id").map(str::to_string),
            newest_first: match ctx.query("ordering") {
                None | Some("created_at") => false,
                Some("-created_at") => true,
                Some(_) => return Err(AppError::field("ordering", "must be created_at or -created_at")),
            },
        };
        Ok(Reply::ok(tasks::list(&ctx.state, &s, &f, limit, cursor).await?))
    })
    .post("/api/v1/planner/tasks", |ctx| async move {
        let input: TaskInput = ctx.json()?;
        let (p, s) = author_scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), input.sector_id.as_deref()).await?;
        Ok(Reply::created(tasks::create(&ctx.state, &s, input, &p.user_id).await?))
    })
    .get("/api/v1/planner/tasks/{id}", |ctx| async move {
        let s = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        Ok(Reply::ok(tasks::get(&ctx.state, &s, ctx.param("id")?).await?))
    })
    .patch("/api/v1/planner/tasks/{id}", |ctx| async move {
        let input: TaskInput = ctx.json()?;
        if input.sector_id.is_some() {
            return Err(AppError::field("sector_id", "cannot be changed; a task stays in its sector"));
        }
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(tasks::update(&ctx.state, &s, ctx.param("id")?, input).await?))
    })
    .delete("/api/v1/planner/tasks/{id}", |ctx| async move {
        let s = scope(&ctx, Access::EditorOrAbove, None, None).await?;
        let id = ctx.param("id")?;
        tasks::delete(&ctx.state, &s, id).await?;
        Ok(Reply::ok(json!({"id": id})).message("task deleted"))
    })
    .post("/api/v1/planner/tasks/{id}/transition", |ctx| async move {
        let input: Transition = ctx.json()?;
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        let task = tasks::transition(&ctx.state, &s, ctx.param("id")?, input.status, input.version).await?;
        let message = format!("task is {}", task.status.as_str());
        Ok(Reply::ok(task).message(message))
    })
    // Writes the task's article (the writer's generate_content job).
    .post("/api/v1/planner/tasks/{id}/generate", |ctx| async move {
        let (input, dry_run) = igny8::writer::generate::GenerateInput::from_request(&ctx, None, Some(ctx.param("id")?), "generate")?;
        igny8::ai::function::submit_http(&ctx, "generate_content", input, dry_run).await
    })
}
