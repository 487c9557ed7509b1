//! `/api/v1/planner/tasks/…`: CRUD and filters; status changes only through
//! `POST /api/v1/planner/tasks/{id}/transition/` `{status, version?}`;
//! `POST /api/v1/planner/tasks/{id}/generate/` writes the article (a job).

use crate::ideas::author_scope;
use crate::keywords::{parse, scope};
use igny8::AppError;
use igny8::auth::guard::Access;
use igny8::envelope::Reply;
use igny8::http::Router;
use igny8::openapi::{Doc, q};
use igny8::ai::function::Submission;
use igny8::envelope::Removed;
use igny8::planner::tasks::Task;
use igny8::writer::generate::GenerateInput;
use igny8::planner::tasks::{self, TaskFilter, TaskInput, TaskStatus};
use serde::Deserialize;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TransitionInput {
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
    .doc(
        Doc::new("The sector's (or site's) writing tasks")
            .scoped()
            .query("status", q::one_of(&["queued", "in_progress", "generated", "review", "published", "cancelled"]), "")
            .query("cluster_id", q::id(), "")
            .query("assignee_id", q::id(), "")
            .query("ordering", q::one_of(&["created_at", "-created_at"]), "")
            .list_of::<Task>(),
    )
    .post("/api/v1/planner/tasks", |ctx| async move {
        let input: TaskInput = ctx.json()?;
        let (p, s) = author_scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), input.sector_id.as_deref()).await?;
        Ok(Reply::created(tasks::create(&ctx.state, &s, input, &p.user_id).await?))
    })
    .doc(Doc::new("Add a writing task").scoped().body::<TaskInput>().data::<Task>().status(201))
    .get("/api/v1/planner/tasks/{id}", |ctx| async move {
        let s = scope(&ctx, Access::ViewerOrAbove, None, None).await?;
        Ok(Reply::ok(tasks::get(&ctx.state, &s, ctx.param("id")?).await?))
    })
    .doc(Doc::new("One task").scoped().data::<Task>())
    .patch("/api/v1/planner/tasks/{id}", |ctx| async move {
        let input: TaskInput = ctx.json()?;
        if input.sector_id.is_some() {
            return Err(AppError::field("sector_id", "cannot be changed; a task stays in its sector"));
        }
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        Ok(Reply::ok(tasks::update(&ctx.state, &s, ctx.param("id")?, input).await?))
    })
    .doc(Doc::new("Change a task (its sector stays)").scoped().body::<TaskInput>().data::<Task>())
    .delete("/api/v1/planner/tasks/{id}", |ctx| async move {
        let s = scope(&ctx, Access::EditorOrAbove, None, None).await?;
        let id = ctx.param("id")?;
        tasks::delete(&ctx.state, &s, id).await?;
        Ok(Reply::ok(Removed::new(id)).message("task deleted"))
    })
    .doc(Doc::new("Delete a task").scoped().data::<Removed>())
    .post("/api/v1/planner/tasks/{id}/transition", |ctx| async move {
        let input: TransitionInput = ctx.json()?;
        let s = scope(&ctx, Access::EditorOrAbove, input.site_id.as_deref(), None).await?;
        let task = tasks::transition(&ctx.state, &s, ctx.param("id")?, input.status, input.version).await?;
        let message = format!("task is {}", task.status.as_str());
        Ok(Reply::ok(task).message(message))
    })
    .doc(
        Doc::new("Move a task to another state (queued → in_progress → generated → review → published, or cancelled; cancelled → queued)")
            .describe("A transition the task's state does not allow is a 409 naming the allowed states.")
            .scoped()
            .body::<TransitionInput>()
            .data::<Task>(),
    )
    // Writes the task's article (the writer's generate_content job).
    .post("/api/v1/planner/tasks/{id}/generate", |ctx| async move {
        let (input, dry_run) = igny8::writer::generate::GenerateInput::from_request(&ctx, None, Some(ctx.param("id")?), "generate")?;
        igny8::ai::function::submit_http(&ctx, "generate_content", input, dry_run).await
    })
    .doc(
            Doc::new("Write the task's article (a job, 1 credit per started 500 words)")
                .describe("An AI job: `dry_run=true` answers 200 with the estimate and what would run; otherwise the credits are reserved (402 `INSUFFICIENT_CREDITS` when short) and the job is queued: 202 with the job. Follow it at `GET /api/v1/jobs/{id}/`.")
                .optional_body::<GenerateInput>()
                .query("site_id", q::id(), "The site (or in the body).")
                .query("dry_run", q::boolean(), "Estimate only: nothing is reserved or queued.")
                .data::<Submission>()
                .also(202),
        )
}
