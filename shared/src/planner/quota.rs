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
use crate::store::keys::{self, Key, Tenant};
use crate::store::{Item, ItemKeys, TxError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
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

/// Says why rows were refused: "the <plan> plan allows at most N keywords …".
pub async fn limit_message(state: &AppState, t: &Tenant) -> AppResult<String> {
    let account: Account = state.store.get(&keys::account(t)).await?.ok_or_else(|| AppError::not_found("account"))?;
    let plan = crate::plans::of(&account.plan);
    Ok(format!(
        "the {} plan allows at most {} keywords and the account has {}; upgrade the plan or delete keywords",
        plan.name, plan.max_keywords, account.keyword_count
    ))
}

/// A chunk's reservation, recorded in the same transaction as the counter
/// update so a retried chunk (a redelivered or resumed import job) finds it
/// instead of reserving twice. Expires after a week.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
struct Grant {
    account_id: String,
    key: String,
    granted: usize,
    expires_at: i64,
}

impl Item for Grant {
    const ENTITY: &'static str = "QuotaGrant";
    fn key(&self) -> Key {
        grant_key(&Tenant::from_verified(&self.account_id), &self.key)
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { ttl: Some(self.expires_at), ..ItemKeys::default() }
    }
}

/// `ACCT#<a>` / `QGRANT#<idempotency key>`: one chunk's keyword reservation.
pub fn grant_key(t: &Tenant, idempotency_key: &str) -> Key {
    Key::new(t.pk(), format!("QGRANT#{idempotency_key}"))
}

/// Reserves room for up to `want` new keywords with one conditional update
/// and returns how many fit (0 when the plan is full). With an idempotency
/// key (e.g. `<job>#<chunk>`), the reservation is recorded with it and a
/// repeated call returns the first call's grant without reserving again.
pub async fn reserve_up_to(state: &AppState, t: &Tenant, want: usize, idempotency_key: Option<&str>) -> AppResult<usize> {
    if let Some(k) = idempotency_key
        && let Some(g) = state.store.get::<Grant>(&grant_key(t, k)).await?
    {
        return Ok(g.granted);
    }
    if want == 0 {
        return Ok(0);
    }
    let store = &state.store;
    for _ in 0..8 {
        let account: Account = store.get(&keys::account(t)).await?.ok_or_else(|| AppError::not_found("account"))?;
        let max = i64::from(crate::plans::of(&account.plan).max_keywords);
        let room = (max - account.keyword_count as i64).max(0);
        let grant = (want as i64).min(room);
        if grant == 0 {
            return Ok(0);
        }
        let values = HashMap::from([(":n".to_string(), n(grant)), (":room".to_string(), n(max - grant)), (":zero".to_string(), n(0))]);
        let update = "SET keyword_count = if_not_exists(keyword_count, :zero) + :n";
        let condition = "attribute_exists(PK) AND (attribute_not_exists(keyword_count) OR keyword_count <= :room)";
        match idempotency_key {
            None => {
                if store.update_raw(&keys::account(t), update, Some(condition), &[], values).await?.is_some() {
                    return Ok(grant as usize);
                }
            }
            Some(k) => {
                let g = Grant {
                    account_id: t.account_id().to_string(),
                    key: k.to_string(),
                    granted: grant as usize,
                    expires_at: crate::ids::now_epoch() + 7 * 86_400,
                };
                let ops = vec![store.tx_update(&keys::account(t), update, Some(condition), &[], values)?, store.tx_create(&g)?];
                match store.transact(ops).await {
                    Ok(()) => return Ok(grant as usize),
                    Err(TxError::ConditionFailed(_)) => {
                        if let Some(g) = store.get::<Grant>(&grant_key(t, k)).await? {
                            return Ok(g.granted);
                        }
                    }
                    Err(TxError::Other(e)) => return Err(e),
                }
            }
        }
        // the counter moved between the read and the update: read again
    }
    Err(AppError::Conflict("the keyword count is changing concurrently; retry".into()))
}
