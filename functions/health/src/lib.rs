//! Health function: `GET /api/v1/health/` reports the version and whether the
//! table is reachable. It also owns the API's `$default` route, so a path no
//! function serves still gets a 404 in the envelope.

use igny8::envelope::Reply;
use igny8::http::{Router, dispatch};
use igny8::openapi::Doc;
use igny8::AppState;
use lambda_http::{Body, Request, Response};
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "health";

pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new()
            .get("/api/v1/health", |ctx| async move { Ok(Reply::ok(igny8::health::check(&ctx.state).await)) })
            .public()
            .doc(
                Doc::new("Health: the version and whether the table is reachable")
                    .data::<igny8::health::Health>()
                    .example(serde_json::json!({"status": "ok", "table": {"reachable": true, "status": "ACTIVE"}, "version": "0.1.0"})),
            )
    })
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
