//! Plans: monthly credits and hard limits. Limits are enforced with
//! conditional writes on the account's counters, so concurrent creations can
//! never overshoot; hitting one is a 403 `PLAN_LIMIT` naming the limit.
//!
//! Plans are not free: an owner can downgrade, or *request* an upgrade, which
//! stays pending until IGNY8 staff approve it (after payment, outside the
//! platform) through the staff route. Both are audited.

use crate::accounts::Account;
use crate::audit::{self, Actor};
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::TxError;
use crate::store::keys::{self, Tenant};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: &'static str,
    pub name: &'static str,
    pub monthly_credits: f64,
    pub max_sites: u32,
    pub max_users: u32,
    pub max_keywords: u32,
}

pub const PLANS: &[Plan] = &[
    Plan { id: "free", name: "Free", monthly_credits: 100.0, max_sites: 1, max_users: 3, max_keywords: 500 },
    Plan { id: "starter", name: "Starter", monthly_credits: 1_000.0, max_sites: 3, max_users: 5, max_keywords: 5_000 },
    Plan { id: "growth", name: "Growth", monthly_credits: 5_000.0, max_sites: 10, max_users: 15, max_keywords: 50_000 },
    Plan { id: "scale", name: "Scale", monthly_credits: 20_000.0, max_sites: 50, max_users: 50, max_keywords: 500_000 },
];

pub fn get(id: &str) -> AppResult<&'static Plan> {
    PLANS.iter().find(|p| p.id == id).ok_or_else(|| AppError::field("plan", format!("unknown plan {id:?}; one of free, starter, growth, scale")))
}

/// The plan an account is on (unknown ids fall back to free's limits).
pub fn of(id: &str) -> &'static Plan {
    get(id).unwrap_or(&PLANS[0])
}

pub fn limit_error(plan: &Plan, limit: &str, max: u32) -> AppError {
    AppError::PlanLimit(format!("the {} plan allows at most {max} {limit}; upgrade the plan to add more", plan.name))
}

/// The plan's place in [`PLANS`] (cheapest first).
fn rank(id: &str) -> usize {
    PLANS.iter().position(|p| p.id == id).unwrap_or(0)
}

/// The subscription as the API shows it: the plan, period, usage and balance,
/// and an upgrade waiting for staff approval.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    #[serde(flatten)]
    pub current: crate::credits::Subscription,
    pub pending_plan: Option<Plan>,
    pub pending_plan_at: Option<String>,
}

async fn load(state: &AppState, tenant: &Tenant) -> AppResult<Account> {
    state.store.get(&keys::account(tenant)).await?.ok_or_else(|| AppError::not_found("account"))
}

fn view(a: Account) -> SubscriptionView {
    use crate::credits::{Balance, Subscription, round};
    SubscriptionView {
        pending_plan: a.pending_plan.as_deref().and_then(|p| get(p).ok()).copied(),
        pending_plan_at: a.pending_plan_at.clone(),
        current: Subscription {
            plan: *of(&a.plan),
            period: a.period.clone(),
            sites_used: a.site_count,
            users_used: a.user_count,
            keywords_used: a.keyword_count,
            balance: Balance { plan_credits: a.plan_credits, bonus_credits: a.bonus_credits, total: round(a.plan_credits + a.bonus_credits), plan: a.plan },
        },
    }
}

pub async fn subscription(state: &AppState, tenant: &Tenant) -> AppResult<SubscriptionView> {
    Ok(view(load(state, tenant).await?))
}

/// What an owner's plan change did.
#[derive(Debug, Clone)]
pub enum PlanChange {
    /// A downgrade (or the current plan): in effect now.
    Changed(SubscriptionView),
    /// An upgrade: recorded as pending until IGNY8 staff approve it (payment
    /// is outside the platform); nothing paid is granted before.
    Requested(SubscriptionView),
}

/// The owner's `PATCH /subscription`: downgrades take effect at once (refused
/// below current usage); an upgrade only becomes a pending request, so no
/// paid limits or credits come without payment. Asking for the current plan
/// withdraws a pending request. Audited either way.
pub async fn request_change(state: &AppState, p: &Principal, plan_id: &str, ip: Option<&str>) -> AppResult<PlanChange> {
    let plan = get(plan_id)?;
    let tenant = p.tenant();
    let a = load(state, &tenant).await?;
    let store = &state.store;
    let now = crate::ids::now_rfc3339();
    let actor = Actor::principal(p, ip);
    // Conditional on the version read, so the checks above still hold.
    let version_matches = |set: &str, plan_id: &str| -> AppResult<aws_sdk_dynamodb::types::TransactWriteItem> {
        let v = HashMap::from([
            (":p".to_string(), AttributeValue::S(plan_id.to_string())),
            (":v".to_string(), AttributeValue::N(a.version.to_string())),
            (":one".to_string(), AttributeValue::N("1".into())),
            (":now".to_string(), AttributeValue::S(now.clone())),
        ]);
        let names: &[(&str, &str)] = if set.contains("#plan") { &[("#v", "version"), ("#plan", "plan")] } else { &[("#v", "version")] };
        store.tx_update(&keys::account(&tenant), set, Some("#v = :v"), names, v)
    };
    if rank(plan.id) > rank(&a.plan) {
        let entry = audit::entry(&tenant, &actor, "subscription.upgrade_requested", "account", &a.id, json!({"from": a.plan, "to": plan.id}));
        let ops = vec![
            version_matches("SET pending_plan = :p, pending_plan_at = :now, updated_at = :now, version = version + :one", plan.id)?,
            store.tx_create(&entry)?,
        ];
        commit(state, ops).await?;
        return Ok(PlanChange::Requested(subscription(state, &tenant).await?));
    }
    if a.site_count > plan.max_sites {
        return Err(AppError::Conflict(format!("the account has {} sites and the {} plan allows {}; delete sites first", a.site_count, plan.name, plan.max_sites)));
    }
    if a.user_count > plan.max_users {
        return Err(AppError::Conflict(format!("the account has {} users and the {} plan allows {}; remove users first", a.user_count, plan.name, plan.max_users)));
    }
    if a.keyword_count > plan.max_keywords {
        return Err(AppError::Conflict(format!("the account has {} keywords and the {} plan allows {}; delete keywords first", a.keyword_count, plan.name, plan.max_keywords)));
    }
    let action = if plan.id == a.plan { "subscription.upgrade_withdrawn" } else { "subscription.change" };
    if plan.id == a.plan && a.pending_plan.is_none() {
        return Ok(PlanChange::Changed(view(a)));
    }
    let entry = audit::entry(&tenant, &actor, action, "account", &a.id, json!({"from": a.plan, "to": plan.id, "pending": a.pending_plan}));
    let ops = vec![
        version_matches("SET #plan = :p, updated_at = :now, version = version + :one REMOVE pending_plan, pending_plan_at", plan.id)?,
        store.tx_create(&entry)?,
    ];
    commit(state, ops).await?;
    Ok(PlanChange::Changed(subscription(state, &tenant).await?))
}

async fn commit(state: &AppState, ops: Vec<aws_sdk_dynamodb::types::TransactWriteItem>) -> AppResult<()> {
    state.store.transact(ops).await.map_err(|e| match e {
        TxError::ConditionFailed(_) => AppError::Conflict("the account was changed meanwhile; reload and retry".into()),
        TxError::Other(e) => e,
    })
}

/// Staff approval of a pending upgrade (after payment).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveUpgradeInput {
    /// Must be the plan the owner asked for.
    pub plan: String,
    /// Why (e.g. the invoice or ticket); kept in the audit log.
    pub reason: String,
}

/// IGNY8 staff approve an account's pending upgrade: the plan (its limits, and
/// its monthly credits from the next grant on) takes effect; audited in the
/// customer's log with the staff member as actor, in the same transaction.
pub async fn approve_upgrade(state: &AppState, staff: &Principal, account_id: &str, input: ApproveUpgradeInput, ip: Option<&str>) -> AppResult<SubscriptionView> {
    staff.check_staff()?;
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::field("reason", "is required (at most 500 characters)"));
    }
    let plan = get(&input.plan)?;
    if !crate::ids::is_valid(account_id) {
        return Err(AppError::not_found("account"));
    }
    let tenant = Tenant::from_verified(account_id);
    let a = load(state, &tenant).await?;
    if a.pending_plan.as_deref() != Some(plan.id) {
        return Err(AppError::Conflict(format!(
            "the account has no pending upgrade to {}{}",
            plan.id,
            a.pending_plan.as_deref().map(|p| format!(" (it asked for {p})")).unwrap_or_default()
        )));
    }
    let store = &state.store;
    let entry = audit::entry(&tenant, &Actor::principal(staff, ip), "subscription.upgrade_approved", "account", &a.id, json!({"from": a.plan, "to": plan.id, "reason": reason}));
    let update = store.tx_update(
        &keys::account(&tenant),
        "SET #plan = :p, updated_at = :now, version = version + :one REMOVE pending_plan, pending_plan_at",
        Some("pending_plan = :p"),
        &[("#plan", "plan")],
        HashMap::from([
            (":p".to_string(), AttributeValue::S(plan.id.into())),
            (":now".to_string(), AttributeValue::S(crate::ids::now_rfc3339())),
            (":one".to_string(), AttributeValue::N("1".into())),
        ]),
    )?;
    commit(state, vec![update, store.tx_create(&entry)?]).await?;
    subscription(state, &tenant).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_grow_and_unknown_plans_are_refused() {
        assert!(PLANS.windows(2).all(|w| w[0].monthly_credits < w[1].monthly_credits && w[0].max_sites <= w[1].max_sites));
        assert_eq!(get("growth").unwrap().max_sites, 10);
        assert_eq!(get("platinum").unwrap_err().code(), "VALIDATION_ERROR");
        assert_eq!(limit_error(of("free"), "sites", 1).code(), "PLAN_LIMIT");
        assert!(limit_error(of("free"), "sites", 1).public_message().contains("sites"));
    }
}
