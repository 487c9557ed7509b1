//! `/api/v1/writer/…`: content items (CRUD, filters) and their versions
//! (list, get, restore, diff). Each area's routes live in its own module.

pub mod content;
pub mod generate;
pub mod images;
pub mod versions;

use igny8::AppState;
use igny8::auth::guard::Access;
use igny8::http::{Router, dispatch};
use lambda_http::{Body, Request, Response};
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "writer";

pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| images::routes(generate::routes(versions::routes(content::routes(Router::new().guarded(Access::ViewerOrAbove, Access::EditorOrAbove))))))
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
