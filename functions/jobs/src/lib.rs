//! `/api/v1/jobs/…`: status, phase, progress, credits and tokens of jobs; cancel.

use igny8::auth::guard::{Access, require};
use igny8::envelope::Reply;
use igny8::http::{Router, dispatch};
use igny8::jobs::Job;
use igny8::openapi::{Doc, q};
use igny8::AppState;
use lambda_http::{Body, Request, Response};
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "jobs";

pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new()
            .guarded(Access::ViewerOrAbove, Access::EditorOrAbove)
            .get("/api/v1/jobs", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(igny8::jobs::list(&ctx.state, &p.tenant(), ctx.query("status"), limit, cursor).await?))
            })
            .doc(
                Doc::new("The account's jobs, newest first")
                    .query("status", q::one_of(igny8::jobs::JobStatus::NAMES), "Only jobs in this state.")
                    .list_of::<Job>(),
            )
            .get("/api/v1/jobs/{id}", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(igny8::jobs::get(&ctx.state, &p.tenant(), ctx.param("id")?).await?))
            })
            .doc(Doc::new("One job: its state, progress, result or error").data::<Job>())
            .post("/api/v1/jobs/{id}/cancel", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let job = igny8::jobs::cancel(&ctx.state, &p.tenant(), ctx.param("id")?).await?;
                Ok(Reply::ok(job).message("job cancelled; its credits were released"))
            })
            .doc(Doc::new("Cancel a queued or running job (releases its credits)").data::<Job>())
    })
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
