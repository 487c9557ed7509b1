//! `/api/v1/account/`, `/api/v1/users/…`, `/api/v1/audit-log/`.

use igny8::accounts::{self, AddUserInput, UpdateAccountInput, UpdateUserInput};
use igny8::auth::guard::{Access, require};
use igny8::envelope::Reply;
use igny8::http::{Router, dispatch};
use igny8::openapi::Doc;
use igny8::accounts::{Account, UserView};
use igny8::envelope::Removed;
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
            .doc(Doc::new("The caller's account: plan, credits, counts").data::<Account>())
            .patch("/api/v1/account", |ctx| async move {
                let p = require(&ctx, Access::Owner).await?;
                let input: UpdateAccountInput = ctx.json()?;
                Ok(Reply::ok(accounts::update_account(&ctx.state, &p, input).await?))
            })
            .access(Access::Owner)
            .doc(Doc::new("Rename the account").body::<UpdateAccountInput>().body_example(json!({"name": "Demo Agency"})).data::<Account>())
            .get("/api/v1/users", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(accounts::list_users(&ctx.state, &p, limit, cursor).await?))
            })
            .doc(Doc::new("The account's users").list_of::<UserView>())
            .post("/api/v1/users", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let input: AddUserInput = ctx.json()?;
                Ok(Reply::created(accounts::add_user(&ctx.state, &p, input, ctx.source_ip.as_deref()).await?))
            })
            .doc(
                Doc::new("Add a user (only an owner adds owners or admins; the plan limits users)")
                    .body::<AddUserInput>()
                    .body_example(json!({"email": "ed@example.com", "password": "A-long-passphrase-2026", "name": "Ed", "role": "editor"}))
                    .data::<UserView>()
                    .status(201),
            )
            .get("/api/v1/users/{id}", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(accounts::get_user(&ctx.state, &p, ctx.param("id")?).await?))
            })
            .doc(Doc::new("One user").data::<UserView>())
            .patch("/api/v1/users/{id}", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let input: UpdateUserInput = ctx.json()?;
                Ok(Reply::ok(accounts::update_user(&ctx.state, &p, ctx.param("id")?, input, ctx.source_ip.as_deref()).await?))
            })
            .doc(Doc::new("Change a user's role, name or is_active (the last active owner stays)").body::<UpdateUserInput>().data::<UserView>())
            .delete("/api/v1/users/{id}", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let id = ctx.param("id")?;
                accounts::remove_user(&ctx.state, &p, id, ctx.source_ip.as_deref()).await?;
                Ok(Reply::ok(Removed::new(id)).message("user removed"))
            })
            .doc(Doc::new("Remove a user").data::<Removed>())
            .get("/api/v1/audit-log", |ctx| async move {
                let p = require(&ctx, Access::AdminOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                Ok(Reply::ok(igny8::audit::list(&ctx.state, &p, limit, cursor).await?))
            })
            .doc(Doc::new("The account's audit log, newest first").list_of::<igny8::audit::AuditEntry>())
            .access(Access::AdminOrAbove)
    })
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
