//! `/api/v1/auth/…`: register, verify-email, resend-verification, login,
//! refresh, logout, me, change-password.

use igny8::accounts::{self, ChangePasswordInput, LoginInput, RefreshInput, RegisterInput, VerifyEmailInput};
use igny8::auth::guard::{Access, require};
use igny8::auth::session::{self, Mode};
use igny8::envelope::Reply;
use igny8::http::{Router, dispatch};
use igny8::openapi::Doc;
use igny8::envelope::Empty;
use igny8::accounts::{Account, Session, TokenPair, UserView, Verified};
use serde::Serialize;
use igny8::AppState;
use igny8::error::AppError;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "auth";

/// `data` of `GET /api/v1/auth/me/`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user: UserView,
    pub account: Account,
}

/// `data` of a password change: the new pair for this session.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewTokens {
    pub tokens: TokenPair,
}

pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new()
            .post("/api/v1/auth/register", |ctx| async move {
                let mode = session::mode(&ctx.headers)?;
                let input: RegisterInput = ctx.json()?;
                let mut s = accounts::register(&ctx.state, input, ctx.source_ip.as_deref()).await?;
                let cookies = session::deliver(ctx.state.tokens()?, mode, &mut s.tokens)?;
                Ok(Reply::created(s).message("account created").headers(cookies))
            })
            .public()
            .doc(
                Doc::new("Register: a new account on the free plan, its owner signed in")
                    .body::<RegisterInput>()
                    .body_example(json!({"email": "ana@example.com", "password": "A-long-passphrase-2026", "name": "Ana", "account_name": "Ana's Agency"}))
                    .data::<Session>()
                    .status(201)
                    .issues_session_cookie(),
            )
            .post("/api/v1/auth/login", |ctx| async move {
                let mode = session::mode(&ctx.headers)?;
                let input: LoginInput = ctx.json()?;
                let mut s = accounts::login(&ctx.state, input, ctx.source_ip.as_deref()).await?;
                let cookies = session::deliver(ctx.state.tokens()?, mode, &mut s.tokens)?;
                Ok(Reply::ok(s).headers(cookies))
            })
            .public()
            .doc(
                Doc::new("Sign in: the user, the account and a token pair")
                    .describe("Budgeted per email (5 attempts per 15 minutes) and per IP: 429 `RATE_LIMITED` with `Retry-After`.")
                    .body::<LoginInput>()
                    .body_example(json!({"email": "demo@igny8.local", "password": "Demo-pass-2026"}))
                    .data::<Session>()
                    .issues_session_cookie(),
            )
            .post("/api/v1/auth/verify-email", |ctx| async move {
                let input: VerifyEmailInput = ctx.json()?;
                let verified = accounts::verify_email(&ctx.state, input, ctx.source_ip.as_deref()).await?;
                let message = if verified.free_credits > 0.0 { "email verified; the free plan credits were added" } else { "email verified; this address already had its free credits" };
                Ok(Reply::ok(verified).message(message))
            })
            // The verification token in the body is this route's credential.
            .public()
            .doc(Doc::new("Verify the email address with the mailed token (grants the free plan's credits once per address)").body::<VerifyEmailInput>().data::<Verified>())
            .post("/api/v1/auth/resend-verification", |ctx| async move {
                let p = require(&ctx, Access::Owner).await?;
                accounts::resend_verification(&ctx.state, &p).await?;
                Ok(Reply::ok(Empty {}).message("a new verification link was sent"))
            })
            .access(Access::Owner)
            .doc(Doc::new("Send a new verification link to the owner").data::<Empty>())
            .post("/api/v1/auth/refresh", |ctx| async move {
                let mode = session::mode(&ctx.headers)?;
                let input = match mode {
                    Mode::Json => ctx.json::<RefreshInput>()?,
                    Mode::Cookie => {
                        cookie_mode_body(&ctx)?;
                        RefreshInput { refresh: session::refresh_from_cookie(ctx.state.tokens()?, &ctx.headers)? }
                    }
                };
                let mut pair = accounts::refresh(&ctx.state, input).await?;
                let cookies = session::deliver(ctx.state.tokens()?, mode, &mut pair)?;
                Ok(Reply::ok(pair).headers(cookies))
            })
            .public()
            .doc(
                Doc::new("Rotate a refresh token: a new pair (a spent token revokes its whole family)")
                    .describe("JSON mode: the refresh token in the body. Cookie mode (`X-Session-Mode: cookie`): no body; the `igny8_refresh` cookie is the token and `X-CSRF-Token` must equal the `igny8_csrf` cookie (else 403 `CSRF_FAILED`); both cookies are rotated.")
                    .optional_body::<RefreshInput>()
                    .data::<TokenPair>()
                    .reads_session_cookie(),
            )
            .post("/api/v1/auth/logout", |ctx| async move {
                match session::mode(&ctx.headers)? {
                    Mode::Json => accounts::logout(&ctx.state, ctx.json::<RefreshInput>()?).await?,
                    Mode::Cookie => {
                        cookie_mode_body(&ctx)?;
                        // No session cookie, or one no longer valid: nothing to
                        // revoke, the cookies are cleared all the same. A CSRF
                        // failure is still a 403 (and clears nothing).
                        if session::cookie(&ctx.headers, session::REFRESH_COOKIE).is_some() {
                            let revoked = match session::refresh_from_cookie(ctx.state.tokens()?, &ctx.headers) {
                                Ok(refresh) => accounts::logout(&ctx.state, RefreshInput { refresh }).await,
                                Err(e) => Err(e),
                            };
                            match revoked {
                                Ok(()) | Err(AppError::Unauthorized(_)) => {}
                                Err(e) => return Err(e),
                            }
                        }
                        return Ok(Reply::ok(Empty {}).message("signed out").headers(session::clear()));
                    }
                }
                Ok(Reply::ok(Empty {}).message("signed out"))
            })
            // The refresh token (body or cookie) is this route's credential.
            .public()
            .doc(
                Doc::new("Sign out: revokes the refresh token's sign-in (its access tokens end too)")
                    .describe("Cookie mode (`X-Session-Mode: cookie`): no body; the `igny8_refresh` cookie's sign-in is revoked (with `X-CSRF-Token`, as for refresh) and both cookies are cleared.")
                    .optional_body::<RefreshInput>()
                    .data::<Empty>()
                    .reads_session_cookie(),
            )
            .get("/api/v1/auth/me", |ctx| async move {
                let p = require(&ctx, Access::AuthenticatedAndActive).await?;
                let (user, account) = accounts::me(&ctx.state, &p).await?;
                Ok(Reply::ok(Me { user, account }))
            })
            .doc(Doc::new("The signed-in user and their account").data::<Me>())
            .post("/api/v1/auth/change-password", |ctx| async move {
                let p = require(&ctx, Access::AuthenticatedAndActive).await?;
                let mode = session::mode(&ctx.headers)?;
                let input: ChangePasswordInput = ctx.json()?;
                let mut tokens = accounts::change_password(&ctx.state, &p, input, ctx.source_ip.as_deref()).await?;
                let cookies = session::deliver(ctx.state.tokens()?, mode, &mut tokens)?;
                Ok(Reply::ok(NewTokens { tokens }).message("password changed; other sessions were signed out").headers(cookies))
            })
            .doc(
                Doc::new("Change the password: every other sign-in ends; a new pair for this one")
                    .body::<ChangePasswordInput>()
                    .data::<NewTokens>()
                    .issues_session_cookie(),
            )
    })
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}

/// Cookie mode takes no body (the cookie is the token); one sent anyway must
/// still be the documented `RefreshInput`, so a malformed body is a 400 in
/// both modes rather than silently ignored.
fn cookie_mode_body(ctx: &igny8::http::RequestCtx) -> igny8::AppResult<()> {
    if !ctx.body.iter().all(u8::is_ascii_whitespace) {
        ctx.json::<RefreshInput>()?;
    }
    Ok(())
}
