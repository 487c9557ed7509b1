//! `/api/v1/account/`, `/api/v1/users/…`, `/api/v1/audit-log/`.

use igny8::accounts::{self, AddUserInput, UpdateAccountInput, UpdateUserInput};
use igny8::auth::guard::{Access, require};
use igny8::envelope::Reply;
use igny8::http::{Router, dispatch};
use igny8::AppState;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "accounts";

pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new()
            .guarded(Access::ViewerOrAbove, Access::AdminOrAbove)
            .get("/api/v1/account", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(accounts::get_account(&ctx.state, &p).await?))
            })
            .patch("/api/v1/account", |ctx| async move {
                let p = require(&ctx, Access::Owner).await?;
                let input: UpdateAccountInput = ctx.json()?;
                Ok(Reply::ok(accounts::update_account(&ctx.state, &p, input).await?))
            })
            .access(Access::Owner)
            .get("/api/v1/users", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(accounts::list_users(&ctx.state, &p, limit, cursor).await?))
            })
            .post("/api/v1/users", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let input: AddUserInput = ctx.json()?;
                Ok(Reply::created(accounts::add_user(&ctx.state, &p, input, ctx.source_ip.as_deref()).await?))
            })
            .get("/api/v1/users/{id}", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(accounts::get_user(&ctx.state, &p, ctx.param("id")?).await?))
            })
            .patch("/api/v1/users/{id}", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let input: UpdateUserInput = ctx.json()?;
                Ok(Reply::ok(accounts::update_user(&ctx.state, &p, ctx.param("id")?, input, ctx.source_ip.as_deref()).await?))
            })
            .delete("/api/v1/users/{id}", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let id = ctx.param("id")?;
                accounts::remove_user(&ctx.state, &p, id, ctx.source_ip.as_deref()).await?;
                Ok(Reply::ok(json!({"id": id})).message("user removed"))
            })
            .get("/api/v1/audit-log", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(igny8::audit::list(&ctx.state, &p, limit, cursor).await?))
            })
    })
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
