//! `/api/v1/jobs/…`: status, phase, progress, credits and tokens of jobs; cancel.

use igny8::auth::guard::{Access, require};
use igny8::envelope::Reply;
use igny8::http::{Router, dispatch};
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
            .get("/api/v1/jobs/{id}", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(igny8::jobs::get(&ctx.state, &p.tenant(), ctx.param("id")?).await?))
            })
            .post("/api/v1/jobs/{id}/cancel", |ctx| async move {
                let p = require(&ctx, Access::EditorOrAbove).await?;
                let job = igny8::jobs::cancel(&ctx.state, &p.tenant(), ctx.param("id")?).await?;
                Ok(Reply::ok(job).message("job cancelled; its credits were released"))
            })
    })
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
