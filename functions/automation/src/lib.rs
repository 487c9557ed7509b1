//! `/api/v1/automation/…`: rules (CRUD, execute, dry-run, resume) and their
//! executions (`/rules/{id}/executions/`, and the account's
//! `/scheduled-tasks/` as the seed names them). Domain logic lives in
//! `igny8::automation`; these handlers parse, authorize and answer.

use igny8::AppState;
use igny8::auth::guard::{Access, require};
use igny8::automation::pipeline::{self, Pipeline, PipelineInput, PipelineView, StageRun};
use igny8::automation::{Execution, Rule, RuleInput, rules, run};
use igny8::envelope::{Removed, Reply};
use igny8::http::{Router, dispatch};
use igny8::openapi::{Doc, q};
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "automation";

/// `{site_id}`: which site's pipeline.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteRef {
    pub site_id: String,
}

pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new()
            .guarded(Access::ViewerOrAbove, Access::EditorOrAbove)
            .get("/api/v1/automation/rules", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(rules::list(&ctx.state, &p.tenant(), ctx.query("site_id"), limit, cursor).await?))
            })
            .doc(Doc::new("The account's automation rules, newest first").query("site_id", q::id(), "Only this site's rules.").list_of::<Rule>())
            .post("/api/v1/automation/rules", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let body: Value = ctx.json()?;
                Ok(Reply::created(rules::create(&ctx.state, &p, &body).await?))
            })
            .doc(
                Doc::new("Create a rule (the seed's shape); an enabled schedule rule gets its EventBridge Scheduler schedule")
                    .describe("Validated at save time: every problem is one entry of `errors` naming its field (`actions[1].type`, `schedule.timezone`, `conditions[0].value`). More enabled rules than the plan allows is a 403 `PLAN_LIMIT`.")
                    .body::<RuleInput>()
                    .data::<Rule>()
                    .status(201),
            )
            .get("/api/v1/automation/rules/{id}", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(rules::get(&ctx.state, &p.tenant(), ctx.param("id")?).await?))
            })
            .doc(Doc::new("One rule").data::<Rule>())
            .patch("/api/v1/automation/rules/{id}", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let body: Value = ctx.json()?;
                Ok(Reply::ok(rules::update(&ctx.state, &p, ctx.param("id")?, &body).await?))
            })
            .doc(
                Doc::new("Change a rule: the fields sent replace the stored ones; the schedule follows")
                    .describe("Disabling a rule (or changing its trigger away from schedule) deletes its schedule. `version`, when sent, must be the stored one (409 otherwise).")
                    .body::<RuleInput>()
                    .data::<Rule>(),
            )
            .delete("/api/v1/automation/rules/{id}", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let id = ctx.param("id")?;
                rules::delete(&ctx.state, &p.tenant(), id).await?;
                Ok(Reply::ok(Removed::new(id)).message("rule deleted with its schedule; its executions stay"))
            })
            .doc(Doc::new("Delete a rule and its schedule").data::<Removed>())
            .post("/api/v1/automation/rules/{id}/execute", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                igny8::ratelimit::expensive(&ctx.state, &p.account_id).await?;
                let rule = rules::get(&ctx.state, &p.tenant(), ctx.param("id")?).await?;
                if let Some(reason) = &rule.paused_reason {
                    return Err(igny8::AppError::Conflict(format!("the rule is paused ({reason}); resume it first")));
                }
                let ex = run::execute(&ctx.state, &rule, "manual", None, false).await?;
                let message = format!("{}: {}", ex.outcome, ex.detail);
                Ok(Reply::ok(ex).message(message))
            })
            .doc(
                Doc::new("Run the rule now (editor or above)")
                    .describe("Selects, estimates (above `max_credits_per_run` nothing is enqueued: outcome `over_budget`), enqueues the jobs through the job framework (credits reserved per job) and records the execution. A run while another run of the rule holds its lock is recorded as `skipped`.")
                    .data::<Execution>(),
            )
            .post("/api/v1/automation/rules/{id}/dry-run", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let rule = rules::get(&ctx.state, &p.tenant(), ctx.param("id")?).await?;
                let ex = run::execute(&ctx.state, &rule, "manual", None, true).await?;
                Ok(Reply::ok(ex).message("dry run: nothing was reserved, created or enqueued"))
            })
            .doc(Doc::new("What the rule would select, enqueue and cost, without doing it").data::<Execution>())
            .post("/api/v1/automation/rules/{id}/resume", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                Ok(Reply::ok(rules::resume(&ctx.state, &p, ctx.param("id")?).await?).message("rule resumed"))
            })
            .doc(Doc::new("Resume a rule that paused itself (credits ran out, 3 failed runs)").data::<Rule>())
            .get("/api/v1/automation/rules/{id}/executions", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                let rule = rules::get(&ctx.state, &p.tenant(), ctx.param("id")?).await?;
                Ok(Reply::ok(run::list_for_rule(&ctx.state, &p.tenant(), &rule.id, limit, cursor).await?))
            })
            .doc(Doc::new("The rule's executions, newest first").list_of::<Execution>())
            .get("/api/v1/automation/scheduled-tasks", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(run::list_all(&ctx.state, &p.tenant(), limit, cursor).await?))
            })
            .doc(Doc::new("Every execution of the account's rules, newest first (the seed's scheduled tasks)").list_of::<Execution>())
            .get("/api/v1/automation/pipelines", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let site = ctx.query("site_id").ok_or_else(|| igny8::AppError::field("site_id", "is required"))?;
                Ok(Reply::ok(pipeline::view(&ctx.state, &p, site).await?))
            })
            .doc(
                Doc::new("The site's staged pipeline: configuration, state, current stage, items waiting per stage, each stage's last executions")
                    .query_required("site_id", q::id(), "The site.")
                    .data::<PipelineView>(),
            )
            .post("/api/v1/automation/pipelines", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let body: Value = ctx.json()?;
                Ok(Reply::ok(pipeline::save(&ctx.state, &p, body).await?).message("pipeline saved"))
            })
            .doc(Doc::new("Create or replace the site's pipeline configuration").body::<PipelineInput>().data::<Pipeline>())
            .post("/api/v1/automation/pipelines/run", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let body: SiteRef = ctx.json()?;
                pipeline::get(&ctx.state, &p, &body.site_id).await?;
                igny8::ratelimit::expensive(&ctx.state, &p.account_id).await?;
                let stages = pipeline::run_once(&ctx.state, &p.account_id, &body.site_id).await?;
                Ok(Reply::ok(serde_json::json!({ "results": stages })))
            })
            .doc(
                Doc::new("Run the pipeline now: the stages in order, up to the first whose jobs run")
                    .describe("Each stage is a rule run (its execution is in the stage's history). A paused, cancelled or disabled pipeline is a 409.")
                    .body::<SiteRef>()
                    .data_with(igny8::openapi::results_of::<StageRun>),
            )
            .post("/api/v1/automation/pipelines/pause", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let body: SiteRef = ctx.json()?;
                Ok(Reply::ok(pipeline::set_state(&ctx.state, &p, &body.site_id, "pause").await?))
            })
            .doc(Doc::new("Pause the pipeline").body::<SiteRef>().data::<Pipeline>())
            .post("/api/v1/automation/pipelines/resume", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let body: SiteRef = ctx.json()?;
                Ok(Reply::ok(pipeline::set_state(&ctx.state, &p, &body.site_id, "resume").await?))
            })
            .doc(Doc::new("Resume a paused pipeline (also one that paused itself)").body::<SiteRef>().data::<Pipeline>())
            .post("/api/v1/automation/pipelines/cancel", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let body: SiteRef = ctx.json()?;
                Ok(Reply::ok(pipeline::set_state(&ctx.state, &p, &body.site_id, "cancel").await?))
            })
            .doc(Doc::new("Cancel the pipeline (saving its configuration starts it again)").body::<SiteRef>().data::<Pipeline>())
    })
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
