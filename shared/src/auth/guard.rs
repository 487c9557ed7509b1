//! The principal and the role guards. Every handler authorizes the same way:
//!
//! ```ignore
//! let p = require(&ctx, Access::EditorOrAbove).await?;
//! ```
//!
//! `require` verifies the bearer token, then loads the user and the account
//! (in parallel) to check both are still active, that the token was issued
//! after the user's last password change, and to take the user's *current*
//! role — a demotion takes effect at once, not when the token expires. It
//! also reads the token's sign-in family (a logout or a revoked family ends
//! the access token within one request) and takes the account's and the
//! caller's request budgets ([`crate::ratelimit`]), all in parallel.

use super::token::TokenType;
use crate::accounts::{Account, AccountStatus, User};
use crate::error::{AppError, AppResult};
use crate::http::RequestCtx;
use crate::ratelimit::{self, Budget};
use crate::store::keys::{self, Tenant};
use serde::{Deserialize, Serialize};

/// Roles, ordered: owner > admin > editor > viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

/// The guards. Names follow the original IGNY8 permission classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `IsAuthenticatedAndActive`: any active member of an active account.
    AuthenticatedAndActive,
    /// `IsViewerOrAbove`
    ViewerOrAbove,
    /// `IsEditorOrAbove`: may write content.
    EditorOrAbove,
    /// `IsAdminOrAbove`: may manage users, sites, credentials.
    AdminOrAbove,
    /// `IsOwner`: may manage owners and the account itself.
    Owner,
}

impl Access {
    pub fn min_role(self) -> Role {
        match self {
            Access::AuthenticatedAndActive | Access::ViewerOrAbove => Role::Viewer,
            Access::EditorOrAbove => Role::Editor,
            Access::AdminOrAbove => Role::Admin,
            Access::Owner => Role::Owner,
        }
    }
}

/// Who is calling: taken only from a verified token and the stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub account_id: String,
    pub role: Role,
    pub email: String,
    /// IGNY8 platform staff.
    pub is_staff: bool,
}

impl Principal {
    pub fn tenant(&self) -> Tenant {
        Tenant::from_verified(&self.account_id)
    }

    /// 403 `FORBIDDEN` unless the principal is platform staff.
    pub fn check_staff(&self) -> AppResult<()> {
        if self.is_staff { Ok(()) } else { Err(AppError::Forbidden("only IGNY8 staff can do this".into())) }
    }

    /// 403 `FORBIDDEN` unless the principal's role is at least `access`'s.
    pub fn check(&self, access: Access) -> AppResult<()> {
        if self.role >= access.min_role() {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "this action needs the {} role or above; you are {}",
                access.min_role().as_str(),
                self.role.as_str()
            )))
        }
    }
}

/// The bearer token of a request, or 401.
pub fn bearer(ctx: &RequestCtx) -> AppResult<&str> {
    bearer_headers(&ctx.headers)
}

/// The bearer token in `headers`, or 401.
pub fn bearer_headers(headers: &http::HeaderMap) -> AppResult<&str> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AppError::Unauthorized("authentication required: send Authorization: Bearer <access token>".into()))?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(|| AppError::Unauthorized("malformed Authorization header".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AppError::Unauthorized("malformed Authorization header".into()));
    }
    Ok(token.trim())
}

/// Authenticates the request and applies the guard. The principal is
/// verified once per request (the route's gate usually did it already).
pub async fn require(ctx: &RequestCtx, access: Access) -> AppResult<Principal> {
    let principal = match ctx.principal.get() {
        Some(p) => p.clone(),
        None => {
            let p = authenticate(ctx).await?;
            let _ = ctx.principal.set(p.clone());
            p
        }
    };
    principal.check(access)?;
    Ok(principal)
}

/// `IsAuthenticatedAndActive`.
pub async fn authenticate(ctx: &RequestCtx) -> AppResult<Principal> {
    let token = bearer(ctx)?;
    let tokens = ctx.state.tokens()?;
    let claims = tokens.verify(token, TokenType::Access)?;
    if !crate::ids::is_valid(&claims.account_id) || !crate::ids::is_valid(&claims.sub) {
        return Err(AppError::Unauthorized("the token is invalid".into()));
    }
    if claims.fam.as_deref().is_some_and(|f| !crate::ids::is_valid(f)) {
        return Err(AppError::Unauthorized("the token is invalid".into()));
    }
    let tenant = Tenant::from_verified(&claims.account_id);
    let state = &ctx.state;
    let (user_key, account_key) = (keys::user(&tenant, &claims.sub), keys::account(&tenant));
    // Everything the guard checks, in parallel: the user, the account, the
    // sign-in family (logout and reuse revocation end access tokens at once)
    // and the account's and caller's request budgets.
    let family = async {
        match claims.fam.as_deref() {
            Some(f) => crate::accounts::family_live(state, &tenant, f).await,
            None => Ok(true),
        }
    };
    let limits = &state.config.limits;
    let budgets = async {
        tokio::try_join!(
            ratelimit::take(state, Budget::account(limits), &claims.account_id),
            ratelimit::take(state, Budget::ip(limits), ratelimit::ip_subject(ctx.source_ip.as_deref())),
            async { if ctx.expensive { ratelimit::expensive(state, &claims.account_id).await } else { Ok(()) } },
        )
    };
    let (user, account, family, budgets) =
        tokio::join!(state.store.get::<User>(&user_key), state.store.get::<Account>(&account_key), family, budgets);
    let (user, account, family_live) = (user?, account?, family?);
    let inactive = || AppError::Unauthorized("the user or account is not active".into());
    let user = user.ok_or_else(inactive)?;
    let account = account.ok_or_else(inactive)?;
    if !user.is_active || account.status != AccountStatus::Active {
        return Err(inactive());
    }
    if claims.sv != user.session_version || !family_live {
        return Err(AppError::Unauthorized("the token was revoked; sign in again".into()));
    }
    budgets?;
    tracing::Span::current().record("account", tracing::field::display(&claims.account_id));
    Ok(Principal { user_id: user.id, account_id: account.id, role: user.role, email: user.email, is_staff: user.is_staff })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_guards_check_them() {
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Editor && Role::Editor > Role::Viewer);
        let p = |role| Principal { user_id: "u".into(), account_id: "a".into(), role, email: "e".into(), is_staff: false };
        assert!(p(Role::Viewer).check(Access::ViewerOrAbove).is_ok());
        assert_eq!(p(Role::Viewer).check(Access::EditorOrAbove).unwrap_err().code(), "FORBIDDEN");
        assert!(p(Role::Editor).check(Access::EditorOrAbove).is_ok());
        assert_eq!(p(Role::Editor).check(Access::AdminOrAbove).unwrap_err().code(), "FORBIDDEN");
        assert!(p(Role::Admin).check(Access::AdminOrAbove).is_ok());
        assert_eq!(p(Role::Admin).check(Access::Owner).unwrap_err().code(), "FORBIDDEN");
        assert!(p(Role::Owner).check(Access::Owner).is_ok());
    }
}
