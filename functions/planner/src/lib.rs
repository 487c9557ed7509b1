//! `/api/v1/planner/…`: keywords (and their import), clusters, ideas, tasks.
//! Each area's routes live in its own module.

pub mod clusters;
pub mod ideas;
pub mod keywords;
pub mod tasks;

use igny8::AppState;
use igny8::auth::guard::Access;
use igny8::http::{Router, dispatch};
use lambda_http::{Body, Request, Response};
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "planner";

pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| tasks::routes(ideas::routes(clusters::routes(keywords::routes(Router::new().guarded(Access::ViewerOrAbove, Access::EditorOrAbove))))))
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
