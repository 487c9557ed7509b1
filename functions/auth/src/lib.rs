//! `/api/v1/auth/…`: register, verify-email, resend-verification, login,
//! refresh, logout, me, change-password.

use igny8::accounts::{self, ChangePasswordInput, LoginInput, RefreshInput, RegisterInput, VerifyEmailInput};
use igny8::auth::guard::{Access, require};
use igny8::envelope::Reply;
use igny8::http::{Router, dispatch};
use igny8::AppState;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "auth";

pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new()
            .post("/api/v1/auth/register", |ctx| async move {
                let input: RegisterInput = ctx.json()?;
                let session = accounts::register(&ctx.state, input, ctx.source_ip.as_deref()).await?;
                Ok(Reply::created(session).message("account created"))
            })
            .public()
            .post("/api/v1/auth/login", |ctx| async move {
                let input: LoginInput = ctx.json()?;
                Ok(Reply::ok(accounts::login(&ctx.state, input, ctx.source_ip.as_deref()).await?))
            })
            .public()
            .post("/api/v1/auth/verify-email", |ctx| async move {
                let input: VerifyEmailInput = ctx.json()?;
                let verified = accounts::verify_email(&ctx.state, input, ctx.source_ip.as_deref()).await?;
                let message = if verified.free_credits > 0.0 { "email verified; the free plan credits were added" } else { "email verified; this address already had its free credits" };
                Ok(Reply::ok(verified).message(message))
            })
            // The verification token in the body is this route's credential.
            .public()
            .post("/api/v1/auth/resend-verification", |ctx| async move {
                let p = require(&ctx, Access::Owner).await?;
                accounts::resend_verification(&ctx.state, &p).await?;
                Ok(Reply::ok(json!({})).message("a new verification link was sent"))
            })
            .post("/api/v1/auth/refresh", |ctx| async move {
                let input: RefreshInput = ctx.json()?;
                Ok(Reply::ok(accounts::refresh(&ctx.state, input).await?))
            })
            .public()
            .post("/api/v1/auth/logout", |ctx| async move {
                let input: RefreshInput = ctx.json()?;
                accounts::logout(&ctx.state, input).await?;
                Ok(Reply::ok(json!({})).message("signed out"))
            })
            // The refresh token in the body is this route's credential.
            .public()
            .get("/api/v1/auth/me", |ctx| async move {
                let p = require(&ctx, Access::AuthenticatedAndActive).await?;
                let (user, account) = accounts::me(&ctx.state, &p).await?;
                Ok(Reply::ok(json!({"user": user, "account": account})))
            })
            .post("/api/v1/auth/change-password", |ctx| async move {
                let p = require(&ctx, Access::AuthenticatedAndActive).await?;
                let input: ChangePasswordInput = ctx.json()?;
                let tokens = accounts::change_password(&ctx.state, &p, input, ctx.source_ip.as_deref()).await?;
                Ok(Reply::ok(json!({"tokens": tokens})).message("password changed; other sessions were signed out"))
            })
    })
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
