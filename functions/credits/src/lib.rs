//! `/api/v1/credits/…`, `/api/v1/subscription` and `/api/v1/plans/`: balance,
//! ledger, usage, plans; staff adjustments and upgrade approvals.

use igny8::AppError;
use igny8::auth::guard::{Access, require};
use igny8::credits::{TxnFilter, TxnType};
use igny8::envelope::Reply;
use igny8::plans::PlanChange;
use igny8::http::{Router, dispatch};
use igny8::openapi::{Doc, q};
use igny8::credits::{Balance, CreditTransaction, UsageRow};
use igny8::plans::{Plan, SubscriptionView};

/// `data` of `PATCH /api/v1/subscription/`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePlan {
    /// The plan's id (`free`, `starter`, `growth`, `scale`).
    pub plan: String,
}

/// `data` of `GET /api/v1/credits/usage/`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Usage {
    pub results: Vec<UsageRow>,
}

/// `data` of `GET /api/v1/plans/`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Plans {
    pub results: &'static [Plan],
}
use igny8::AppState;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "credits";

pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new()
            .get("/api/v1/credits/balance", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(igny8::credits::balance(&ctx.state, &p.tenant()).await?))
            })
            .doc(Doc::new("The credit balance: plan and bonus pools").data::<Balance>())
            .get("/api/v1/credits/transactions", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                let (limit, cursor) = ctx.page_params()?;
                let kind = match ctx.query("type") {
                    None => None,
                    Some(t) => Some(serde_json::from_value::<TxnType>(json!(t)).map_err(|_| {
                        AppError::field("type", "must be one of reserve, settle, release, grant, adjust, purchase")
                    })?),
                };
                let filter = TxnFilter { kind, from: ctx.query("from").map(str::to_string), to: ctx.query("to").map(str::to_string) };
                Ok(Reply::ok(igny8::credits::transactions(&ctx.state, &p.tenant(), &filter, limit, cursor).await?))
            })
            .doc(
                Doc::new("The credit ledger, newest first")
                    .query("type", q::one_of(&["reserve", "settle", "release", "grant", "adjust", "purchase"]), "Only lines of this type.")
                    .query("from", q::date(), "From this time (RFC 3339).")
                    .query("to", q::date(), "Up to this time (RFC 3339).")
                    .list_of::<CreditTransaction>(),
            )
            .get("/api/v1/credits/usage", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(Usage { results: igny8::credits::usage(&ctx.state, &p.tenant()).await? }))
            })
            .doc(Doc::new("Credits used, by AI function and month").data::<Usage>())
            .post("/api/v1/credits/accounts/{account_id}/adjust", |ctx| async move {
                let p = require(&ctx, Access::AuthenticatedAndActive).await?;
                p.check_staff()?;
                let input: igny8::credits::AdjustInput = ctx.json()?;
                let t = igny8::credits::adjust(&ctx.state, &p, ctx.param("account_id")?, input).await?;
                Ok(Reply::created(t).message("credits adjusted"))
            })
            .doc(Doc::new("Staff: adjust an account's credits (idempotent by key; audited)").role("staff").body::<igny8::credits::AdjustInput>().data::<CreditTransaction>().status(201))
            .post("/api/v1/credits/accounts/{account_id}/approve-upgrade", |ctx| async move {
                let p = require(&ctx, Access::AuthenticatedAndActive).await?;
                p.check_staff()?;
                let input: igny8::plans::ApproveUpgradeInput = ctx.json()?;
                let sub = igny8::plans::approve_upgrade(&ctx.state, &p, ctx.param("account_id")?, input, ctx.source_ip.as_deref()).await?;
                Ok(Reply::ok(sub).message("upgrade approved; the plan's limits apply now and its monthly credits from the next period"))
            })
            .doc(Doc::new("Staff: approve an account's pending upgrade after payment").role("staff").body::<igny8::plans::ApproveUpgradeInput>().data::<SubscriptionView>())
            .get("/api/v1/subscription", |ctx| async move {
                let p = require(&ctx, Access::ViewerOrAbove).await?;
                Ok(Reply::ok(igny8::plans::subscription(&ctx.state, &p.tenant()).await?))
            })
            .doc(Doc::new("The subscription: plan, period, limits, usage, balance, pending plan").data::<SubscriptionView>())
            .patch("/api/v1/subscription", |ctx| async move {
                let p = require(&ctx, Access::Owner).await?;
                let input: ChangePlan = ctx.json()?;
                Ok(match igny8::plans::request_change(&ctx.state, &p, &input.plan, ctx.source_ip.as_deref()).await? {
                    PlanChange::Changed(sub) => Reply::ok(sub).message("plan changed"),
                    PlanChange::Requested(sub) => Reply::accepted(sub).message("upgrade requested: it takes effect when IGNY8 staff approve it after payment"),
                })
            })
            .access(Access::Owner)
            .doc(
                Doc::new("Change the plan: a downgrade applies at once (202: an upgrade waits for staff approval)")
                    .body::<ChangePlan>()
                    .body_example(json!({"plan": "starter"}))
                    .data::<SubscriptionView>()
                    .also(202),
            )
            .get("/api/v1/plans", |ctx| async move {
                require(&ctx, Access::AuthenticatedAndActive).await?;
                Ok(Reply::ok(Plans { results: igny8::plans::PLANS }))
            })
            .doc(Doc::new("The plans: monthly credits and limits").data::<Plans>())
    })
}

pub async fn handle(state: Arc<AppState>, req: Request) -> Response<Body> {
    dispatch(FUNCTION, state, router(), req).await
}
