//! The plan's `max_keywords` limit, enforced on the account's
//! `keyword_count` counter with conditional writes, so concurrent creations
//! and imports can never overshoot.
//!
//! A creation reserves room before writing (`reserve(n)` succeeds only if
//! `keyword_count + n ≤ max`); an import reserves one slot per row it may
//! create and gives back the rows that merged into existing keywords or
//! failed. Deletions (one keyword, a cluster sweep, a sector or a site)
//! give their count back. DynamoDB conditions cannot add, so the condition
//! compares the counter with `max − n`, computed here. Counters are
//! separate attributes of the account item, updated in place; nothing
//! rewrites the whole account item (name and plan changes set their own
//! attributes), so no write can overwrite a newer count.

use crate::accounts::Account;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::keys::{self, Tenant};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// Reserves room for `count` new keywords; 403 `PLAN_LIMIT` when the plan has
/// less room left.
pub async fn reserve(state: &AppState, t: &Tenant, count: usize) -> AppResult<()> {
    if count == 0 {
        return Ok(());
    }
    let account: Account = state.store.get(&keys::account(t)).await?.ok_or_else(|| AppError::not_found("account"))?;
    let plan = crate::plans::of(&account.plan);
    let max = i64::from(plan.max_keywords);
    let count = count as i64;
    let over = || {
        AppError::PlanLimit(format!(
            "the {} plan allows at most {max} keywords; the account has {} and this adds up to {count}; upgrade the plan or delete keywords",
            plan.name, account.keyword_count
        ))
    };
    if count > max {
        return Err(over());
    }
    let values = HashMap::from([(":n".to_string(), n(count)), (":room".to_string(), n(max - count)), (":zero".to_string(), n(0))]);
    match state
        .store
        .update_raw(
            &keys::account(t),
            "SET keyword_count = if_not_exists(keyword_count, :zero) + :n",
            Some("attribute_exists(PK) AND (attribute_not_exists(keyword_count) OR keyword_count <= :room)"),
            &[],
            values,
        )
        .await?
    {
        Some(_) => Ok(()),
        None => Err(over()),
    }
}

/// Gives back room for `count` keywords (never below zero). Best effort:
/// a failure is logged, the counter only errs on the generous side.
pub async fn release(state: &AppState, t: &Tenant, count: usize) {
    if count == 0 {
        return;
    }
    let count = count as i64;
    let values = HashMap::from([(":n".to_string(), n(count))]);
    let r = state
        .store
        .update_raw(&keys::account(t), "SET keyword_count = keyword_count - :n", Some("keyword_count >= :n"), &[], values)
        .await;
    match r {
        Ok(Some(_)) => {}
        Ok(None) => {
            // Fewer counted than released (e.g. keywords from before the counter): floor at zero.
            let zero = HashMap::from([(":zero".to_string(), n(0))]);
            let _ = state.store.update_raw(&keys::account(t), "SET keyword_count = :zero", Some("attribute_exists(PK)"), &[], zero).await;
        }
        Err(e) => tracing::warn!(error = ?e, "could not give back keyword quota"),
    }
}
