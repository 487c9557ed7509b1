//! Credits: the balance lives on the account item in two pools — plan credits
//! (reset each period) and bonus credits (bought, never expire); spending takes
//! plan credits first. Every movement is one `TransactWriteItems` of
//!
//! 1. the account's new balances, conditional on the version read (so
//!    concurrent movements serialise and a balance can never go negative),
//! 2. an idempotency guard for the movement (e.g. `JOB#<id>#reserve`), so the
//!    same movement applied twice lands once, and
//! 3. the ledger item ([`CreditTransaction`]) with the balance after it.
//!
//! A job reserves its estimate at enqueue, then either settles (charges the
//! real cost, returns the rest) or is released (returns everything) — settle
//! and release share one guard, so a job can only ever do one of them, once.

use crate::accounts::Account;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, Page, Query, SkCondition, TxError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TxnType {
    /// Credits held for a queued job.
    Reserve,
    /// A finished job: the real cost charged, the rest of the reservation returned.
    Settle,
    /// A failed or cancelled job: the whole reservation returned.
    Release,
    /// Plan credits granted (sign-up, monthly period start).
    Grant,
    /// A manual adjustment by platform staff, with a reason.
    Adjust,
    /// Bonus credits bought.
    Purchase,
}

impl TxnType {
    pub fn as_str(self) -> &'static str {
        match self {
            TxnType::Reserve => "reserve",
            TxnType::Settle => "settle",
            TxnType::Release => "release",
            TxnType::Grant => "grant",
            TxnType::Adjust => "adjust",
            TxnType::Purchase => "purchase",
        }
    }
}

/// One ledger line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreditTransaction {
    pub id: String,
    pub account_id: String,
    #[serde(rename = "type")]
    pub kind: TxnType,
    /// Effect on the total balance (negative = spent).
    pub amount: f64,
    pub plan_delta: f64,
    pub bonus_delta: f64,
    pub plan_after: f64,
    pub bonus_after: f64,
    pub balance_after: f64,
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(default)]
    pub function: Option<String>,
    /// For settle: what the job really cost.
    #[serde(default)]
    pub charged: Option<f64>,
    #[serde(default)]
    pub reason: Option<String>,
    pub idempotency_key: String,
    pub created_at: String,
}

impl Item for CreditTransaction {
    const ENTITY: &'static str = "CreditTransaction";
    fn key(&self) -> Key {
        keys::credit_txn(&Tenant::from_verified(&self.account_id), &self.id)
    }
}

/// How a movement changes the pools.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// Spend `amount`: plan credits first, then bonus. 402 if the total is short.
    Spend(f64),
    /// Return credits to the pools they came from.
    Refund { plan: f64, bonus: f64 },
    /// Set the plan pool (a new period).
    ResetPlan(f64),
    /// Add (or with a negative value remove) credits; plan and bonus deltas.
    Adjust { plan: f64, bonus: f64 },
}

/// A movement to apply.
#[derive(Debug, Clone)]
pub struct Movement {
    pub kind: TxnType,
    pub change: Change,
    /// Unique per movement; applying the same key twice lands once.
    pub idempotency_key: String,
    pub job_id: Option<String>,
    pub function: Option<String>,
    pub charged: Option<f64>,
    pub reason: Option<String>,
}

/// The outcome of [`apply`].
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    Done(Box<CreditTransaction>),
    /// The movement had already been applied; nothing changed.
    AlreadyApplied,
}

/// Rounds to hundredths so float noise never accumulates in balances.
pub fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn compute(account: &Account, change: Change) -> AppResult<(f64, f64)> {
    let (plan, bonus) = (account.plan_credits, account.bonus_credits);
    let (dp, db) = match change {
        Change::Spend(amount) => {
            if amount < 0.0 || !amount.is_finite() {
                return Err(AppError::internal(format!("invalid spend {amount}")));
            }
            if plan + bonus + 1e-9 < amount {
                return Err(AppError::InsufficientCredits(format!(
                    "this needs {amount} credits and the account has {}",
                    round(plan + bonus)
                )));
            }
            let from_plan = amount.min(plan.max(0.0));
            (-from_plan, -(amount - from_plan))
        }
        Change::Refund { plan: p, bonus: b } => (p, b),
        Change::ResetPlan(to) => (to - plan, 0.0),
        Change::Adjust { plan: p, bonus: b } => {
            if plan + p < -1e-9 || bonus + b < -1e-9 {
                return Err(AppError::validation("the adjustment would make a balance negative"));
            }
            (p, b)
        }
    };
    Ok((round(dp), round(db)))
}

/// How long a movement keeps retrying while other movements on the same
/// account win the race (each retry re-reads the balance) before it answers
/// 429 with `Retry-After`: a request that spends credits stays well inside
/// API Gateway's 30 s, whatever the contention.
pub const CONTENDED_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

/// Applies one movement atomically with its ledger line. Concurrent movements
/// on one account serialise through the account's version.
pub async fn apply(state: &AppState, tenant: &Tenant, m: &Movement) -> AppResult<Applied> {
    apply_with(state, tenant, m, |_| Ok(Vec::new())).await
}

/// [`apply`] with more writes in the same transaction, built from the ledger
/// line about to be written (e.g. the job a reservation is for, or a job's
/// move to `cancelled` with the release of its credits): the movement and the
/// writes land together or not at all. When one of those writes' conditions
/// fails, nothing is applied and the result is a 409 `CONFLICT` (the caller
/// says why); when the movement was already applied (its idempotency key),
/// [`Applied::AlreadyApplied`].
pub async fn apply_with(
    state: &AppState,
    tenant: &Tenant,
    m: &Movement,
    extra: impl Fn(&CreditTransaction) -> AppResult<Vec<aws_sdk_dynamodb::types::TransactWriteItem>>,
) -> AppResult<Applied> {
    let store = &state.store;
    let guard = keys::credit_guard(tenant, &m.idempotency_key);
    let started = std::time::Instant::now();
    for attempt in 0.. {
        let account: Account = store.get(&keys::account(tenant)).await?.ok_or_else(|| AppError::not_found("account"))?;
        let (dp, db) = compute(&account, m.change)?;
        let (plan_after, bonus_after) = (round(account.plan_credits + dp), round(account.bonus_credits + db));
        let txn = CreditTransaction {
            id: crate::ids::new_id(),
            account_id: tenant.account_id().to_string(),
            kind: m.kind,
            amount: round(dp + db),
            plan_delta: dp,
            bonus_delta: db,
            plan_after,
            bonus_after,
            balance_after: round(plan_after + bonus_after),
            job_id: m.job_id.clone(),
            function: m.function.clone(),
            charged: m.charged,
            reason: m.reason.clone(),
            idempotency_key: m.idempotency_key.clone(),
            created_at: crate::ids::now_rfc3339(),
        };
        let update = store.tx_update(
            &keys::account(tenant),
            "SET plan_credits = :p, bonus_credits = :b, version = version + :one",
            Some("#v = :v"),
            &[("#v", "version")],
            HashMap::from([
                (":p".to_string(), AttributeValue::N(plan_after.to_string())),
                (":b".to_string(), AttributeValue::N(bonus_after.to_string())),
                (":one".to_string(), AttributeValue::N("1".into())),
                (":v".to_string(), AttributeValue::N(account.version.to_string())),
            ]),
        )?; // coverage: unreachable — the SDK's builder fails only without a table, key or expression, all set here
        let mut ops = vec![update, store.tx_guard(&guard, &txn.id)?, store.tx_create(&txn)?];
        ops.extend(extra(&txn)?);
        // The usage report's aggregate: in the same transaction as the
        // guard, so a movement applied twice is counted once.
        if let Some(op) = usage_op(state, tenant, &txn)? {
            ops.push(op);
        }
        match store.transact(ops).await {
            Ok(()) => return Ok(Applied::Done(Box::new(txn))),
            Err(TxError::ConditionFailed(failed)) => {
                // Which condition failed is confirmed from the table (the
                // emulator does not always report the reasons).
                if store.get::<serde_json::Value>(&guard).await?.is_some() {
                    return Ok(Applied::AlreadyApplied);
                }
                let extra_failed = failed.iter().any(|&i| i >= 3)
                    || (failed.is_empty() && account_version(state, tenant).await? == account.version);
                if extra_failed {
                    return Err(AppError::Conflict("the change this movement goes with no longer applies".into()));
                }
                // Someone else moved the balance first: read again and retry.
                if started.elapsed() >= CONTENDED_BUDGET {
                    break;
                }
                tokio::time::sleep(crate::store::backoff(attempt.min(6))).await;
            }
            Err(TxError::Other(e)) => return Err(e),
        }
    }
    tracing::warn!(account = tenant.account_id(), key = %m.idempotency_key, "balance contended past the budget; giving up");
    Err(AppError::RateLimited { message: "the balance is changing too fast; try again".into(), retry_after_secs: 1 })
}

async fn account_version(state: &AppState, tenant: &Tenant) -> AppResult<u64> {
    let account: Account = state.store.get(&keys::account(tenant)).await?.ok_or_else(|| AppError::not_found("account"))?;
    Ok(account.version)
}

/// The ledger line a movement wrote, found through its idempotency guard.
pub async fn applied_line(state: &AppState, tenant: &Tenant, idempotency_key: &str) -> AppResult<Option<CreditTransaction>> {
    let Some(guard) = state.store.get::<serde_json::Value>(&keys::credit_guard(tenant, idempotency_key)).await? else {
        return Ok(None);
    };
    let Some(txn_id) = guard["owner"].as_str() else { return Ok(None) };
    state.store.get(&keys::credit_txn(tenant, txn_id)).await
}

/// What a job holds: how much of its reservation came from each pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reservation {
    pub plan: f64,
    pub bonus: f64,
}

impl Reservation {
    pub fn total(&self) -> f64 {
        round(self.plan + self.bonus)
    }
}

fn reserve_movement(job_id: &str, function: &str, estimate: f64) -> Movement {
    Movement {
        kind: TxnType::Reserve,
        change: Change::Spend(round(estimate)),
        idempotency_key: reserve_key(job_id),
        job_id: Some(job_id.into()),
        function: Some(function.into()),
        charged: None,
        reason: None,
    }
}

fn reserve_key(job_id: &str) -> String {
    format!("JOB#{job_id}#reserve")
}

impl Reservation {
    /// What a reserve ledger line took from each pool.
    pub fn of(line: &CreditTransaction) -> Self {
        Reservation { plan: -line.plan_delta, bonus: -line.bonus_delta }
    }
}

/// Reserves a job's estimate. 402 `INSUFFICIENT_CREDITS` when short. A retry
/// of a reservation that already landed (its response was lost) returns the
/// reservation it made.
pub async fn reserve(state: &AppState, tenant: &Tenant, job_id: &str, function: &str, estimate: f64) -> AppResult<Reservation> {
    reserve_with(state, tenant, job_id, function, estimate, |_| Ok(Vec::new())).await
}

/// [`reserve`] with more writes in the same transaction, built from the
/// reservation (e.g. the job item that holds it).
pub async fn reserve_with(
    state: &AppState,
    tenant: &Tenant,
    job_id: &str,
    function: &str,
    estimate: f64,
    extra: impl Fn(Reservation) -> AppResult<Vec<aws_sdk_dynamodb::types::TransactWriteItem>>,
) -> AppResult<Reservation> {
    let m = reserve_movement(job_id, function, estimate);
    match apply_with(state, tenant, &m, |line| extra(Reservation::of(line))).await? {
        Applied::Done(t) => Ok(Reservation::of(&t)),
        Applied::AlreadyApplied => match applied_line(state, tenant, &m.idempotency_key).await? {
            Some(line) => Ok(Reservation::of(&line)),
            None => Err(AppError::internal(format!("reservation of job {job_id} applied but its ledger line is missing"))),
        },
    }
}

/// Releases a job's reservation and moves the job in the same transaction
/// (`job_update`: a conditional update of the job item). Nothing changes when
/// the job's condition fails (409) — so a job is never left cancelled or
/// failed with its credits still held, nor released twice.
pub async fn release_with(
    state: &AppState,
    tenant: &Tenant,
    job_id: &str,
    function: &str,
    held: Reservation,
    reason: &str,
    job_update: impl Fn() -> AppResult<aws_sdk_dynamodb::types::TransactWriteItem>,
) -> AppResult<Applied> {
    apply_with(state, tenant, &release_movement(job_id, function, held, reason), |_| Ok(vec![job_update()?])).await
}

fn release_movement(job_id: &str, function: &str, held: Reservation, reason: &str) -> Movement {
    Movement {
        kind: TxnType::Release,
        change: Change::Refund { plan: held.plan, bonus: held.bonus },
        idempotency_key: format!("JOB#{job_id}#final"),
        job_id: Some(job_id.into()),
        function: Some(function.into()),
        charged: Some(0.0),
        reason: Some(reason.chars().take(500).collect()),
    }
}

/// Settles a finished job: charges `actual` (at most the reservation) and
/// returns the rest, bonus credits first.
pub async fn settle(state: &AppState, tenant: &Tenant, job_id: &str, function: &str, held: Reservation, actual: f64) -> AppResult<Applied> {
    let charged = round(actual.clamp(0.0, held.total()));
    let refund = round(held.total() - charged);
    let bonus_back = refund.min(held.bonus);
    let m = Movement {
        kind: TxnType::Settle,
        change: Change::Refund { plan: round(refund - bonus_back), bonus: round(bonus_back) },
        idempotency_key: format!("JOB#{job_id}#final"),
        job_id: Some(job_id.into()),
        function: Some(function.into()),
        charged: Some(charged),
        reason: None,
    };
    apply(state, tenant, &m).await
}

/// Releases a failed or cancelled job's whole reservation.
pub async fn release(state: &AppState, tenant: &Tenant, job_id: &str, function: &str, held: Reservation, reason: &str) -> AppResult<Applied> {
    apply(state, tenant, &release_movement(job_id, function, held, reason)).await
}

/// The billing period of an instant: `YYYY-MM` (UTC).
pub fn period_of(rfc3339: &str) -> String {
    rfc3339.get(..7).unwrap_or_default().to_string()
}

/// Starts a period for one account: plan credits are reset to the plan's
/// monthly credits (bonus credits stay). Once per period, whatever happens.
pub async fn grant_period(state: &AppState, tenant: &Tenant, period: &str) -> AppResult<Applied> {
    let account: Account = state.store.get(&keys::account(tenant)).await?.ok_or_else(|| AppError::not_found("account"))?;
    let plan = crate::plans::of(&account.plan);
    let m = Movement {
        kind: TxnType::Grant,
        change: Change::ResetPlan(plan.monthly_credits),
        idempotency_key: format!("GRANT#{period}"),
        job_id: None,
        function: None,
        charged: None,
        reason: Some(format!("{} plan credits for {period}", plan.name)),
    };
    let applied = apply(state, tenant, &m).await?;
    // The account's billing period follows its grants (never backwards; a
    // redelivered grant sets it again harmlessly).
    let values = std::collections::HashMap::from([(":p".to_string(), aws_sdk_dynamodb::types::AttributeValue::S(period.to_string()))]);
    state
        .store
        .update_raw(&keys::account(tenant), "SET #period = :p", Some("attribute_exists(PK) AND (attribute_not_exists(#period) OR #period < :p)"), &[("#period", "period")], values)
        .await?;
    Ok(applied)
}

/// What a monthly run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GrantReport {
    pub period: String,
    pub accounts: u64,
    pub granted: u64,
    pub already_granted: u64,
    pub failed: u64,
}

/// Grants the period's plan credits to every active account (the scheduled
/// monthly run). Safe to run any number of times.
pub async fn grant_all(state: &AppState, period: &str) -> AppResult<GrantReport> {
    let mut report = GrantReport { period: period.to_string(), ..Default::default() };
    let mut start = None;
    loop {
        let (accounts, next) = state.store.query_platform::<Account>(Index::Gsi1, keys::ACCOUNTS_GSI, start).await?;
        for a in accounts {
            report.accounts += 1;
            // Unverified sign-ups get no credits until their email is verified.
            if a.status != crate::accounts::AccountStatus::Active || !a.email_verified {
                continue;
            }
            match grant_period(state, &Tenant::from_verified(&a.id), period).await {
                Ok(Applied::Done(_)) => report.granted += 1,
                Ok(Applied::AlreadyApplied) => report.already_granted += 1,
                Err(e) => {
                    report.failed += 1;
                    tracing::error!(account = %a.id, error = ?e, "monthly grant failed");
                }
            }
        }
        match next {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    Ok(report)
}

/// The balance as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Balance {
    pub plan_credits: f64,
    pub bonus_credits: f64,
    pub total: f64,
    pub plan: String,
}

pub async fn balance(state: &AppState, tenant: &Tenant) -> AppResult<Balance> {
    let a: Account = state.store.get(&keys::account(tenant)).await?.ok_or_else(|| AppError::not_found("account"))?;
    Ok(Balance { plan_credits: a.plan_credits, bonus_credits: a.bonus_credits, total: round(a.plan_credits + a.bonus_credits), plan: a.plan })
}

/// Ledger filters: type, and an RFC 3339 date range on `created_at`.
#[derive(Debug, Clone, Default)]
pub struct TxnFilter {
    pub kind: Option<TxnType>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The ledger, newest first. Date bounds narrow the key range (ULIDs sort by
/// time); the type filter is applied to each page.
pub async fn transactions(state: &AppState, tenant: &Tenant, f: &TxnFilter, limit: i32, cursor: Option<String>) -> AppResult<Page<CreditTransaction>> {
    let lower = f.from.as_deref().map(ulid_floor).transpose()?.unwrap_or_else(|| "0".into());
    let upper = f.to.as_deref().map(ulid_floor).transpose()?.unwrap_or_else(|| "Z".into());
    let q = Query::new(tenant, Index::Table, tenant.pk())
        .sk(SkCondition::Between(format!("{}{lower}", keys::CREDIT_TXN_PREFIX), format!("{}{upper}", keys::CREDIT_TXN_PREFIX)))
        .limit(limit)
        .cursor(cursor)
        .newest_first(true);
    let mut page = state.store.query::<CreditTransaction>(&q).await?;
    if let Some(kind) = f.kind {
        page.results.retain(|t| t.kind == kind);
    }
    Ok(page)
}

/// The smallest ULID of an RFC 3339 instant (or a plain date).
fn ulid_floor(s: &str) -> AppResult<String> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| time::OffsetDateTime::parse(&format!("{s}T00:00:00Z"), &Rfc3339))
        .map_err(|_| AppError::validation(format!("{s:?} is not a date (use 2026-11-25 or 2026-11-25T10:00:00Z)")))?;
    // Nothing is older than 1970: an earlier bound is the start of the ledger.
    let ms = u64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    Ok(ulid::Ulid::from_parts(ms, 0).to_string())
}

// Kept as an aggregate item per (month, function) that every ledger line of a
// job adds to in the line's own transaction (`usage_op`), so the report reads a
// handful of items however long the ledger grows.
/// Usage of one AI function in one month:
///
/// - `jobs`, `credits`: settled jobs and what they were charged;
/// - `reserved`: credits taken by the function's jobs that month (reservations);
/// - `returned`: credits given back to it (releases, and the unused part of
///   a reservation at settlement).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct UsageRow {
    pub month: String,
    pub function: String,
    #[serde(default)]
    pub jobs: u64,
    #[serde(default)]
    pub credits: f64,
    #[serde(default)]
    pub reserved: f64,
    #[serde(default)]
    pub returned: f64,
}

/// What a ledger line adds to its month's usage of its function (`None` for
/// lines of no function: grants, adjustments, purchases).
fn usage_op(state: &AppState, tenant: &Tenant, txn: &CreditTransaction) -> AppResult<Option<aws_sdk_dynamodb::types::TransactWriteItem>> {
    let Some(function) = txn.function.as_deref().filter(|f| !f.is_empty()) else { return Ok(None) };
    let month = period_of(&txn.created_at);
    let settled = txn.kind == TxnType::Settle;
    let add = [
        ("jobs", if settled { 1.0 } else { 0.0 }),
        ("credits", if settled { txn.charged.unwrap_or(0.0) } else { 0.0 }),
        ("reserved", (-txn.amount).max(0.0)),
        ("returned", txn.amount.max(0.0)),
    ];
    let key = keys::credit_usage(tenant, &month, function);
    Ok(Some(state.store.tx_add(&key, &[("entity", "CreditUsage"), ("month", &month), ("function", function)], &add)?))
}

/// Usage by month (newest first) and function: the aggregate items only.
pub async fn usage(state: &AppState, tenant: &Tenant) -> AppResult<Vec<UsageRow>> {
    let q = Query::new(tenant, Index::Table, tenant.pk()).sk(SkCondition::BeginsWith(keys::CREDIT_USAGE_PREFIX.into())).newest_first(true);
    // Twenty years of every AI function, far beyond any real account.
    let rows: Vec<UsageRow> = state.store.query_all(&q, 2_400).await?;
    Ok(rows
        .into_iter()
        .map(|r| UsageRow { credits: round(r.credits), reserved: round(r.reserved), returned: round(r.returned), ..r })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(plan: f64, bonus: f64) -> Account {
        Account {
            id: "A".into(),
            name: "n".into(),
            status: crate::accounts::AccountStatus::Active,
            plan: "free".into(),
            plan_credits: plan,
            bonus_credits: bonus,
            owner_count: 1,
            site_count: 0,
            user_count: 1,
            keyword_count: 0,
            period: None,
            email_verified: true, pending_plan: None, pending_plan_at: None,
            created_at: String::new(),
            updated_at: String::new(),
            version: 1,
        }
    }

    #[test]
    fn spending_takes_plan_credits_first_then_bonus() {
        assert_eq!(compute(&account(10.0, 5.0), Change::Spend(4.0)).unwrap(), (-4.0, 0.0));
        assert_eq!(compute(&account(10.0, 5.0), Change::Spend(12.5)).unwrap(), (-10.0, -2.5));
        assert_eq!(compute(&account(0.0, 5.0), Change::Spend(0.5)).unwrap(), (0.0, -0.5));
        let err = compute(&account(10.0, 5.0), Change::Spend(15.5)).unwrap_err();
        assert_eq!(err.code(), "INSUFFICIENT_CREDITS");
    }

    #[test]
    fn a_new_period_resets_plan_credits_and_keeps_bonus() {
        assert_eq!(compute(&account(3.0, 7.0), Change::ResetPlan(100.0)).unwrap(), (97.0, 0.0));
        assert_eq!(compute(&account(3.0, 7.0), Change::Adjust { plan: -3.0, bonus: 2.0 }).unwrap(), (-3.0, 2.0));
        assert!(compute(&account(3.0, 7.0), Change::Adjust { plan: -4.0, bonus: 0.0 }).is_err());
    }

    #[test]
    fn dates_bound_ulids() {
        let a = ulid_floor("2026-11-01").unwrap();
        let b = ulid_floor("2026-11-25T10:00:00Z").unwrap();
        assert!(a < b);
        assert!(ulid_floor("yesterday").is_err());
    }
}

/// A staff adjustment: `plan` and `bonus` deltas with a reason.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustInput {
    #[serde(default)]
    pub plan_delta: f64,
    #[serde(default)]
    pub bonus_delta: f64,
    pub reason: String,
    /// Makes a retried request land once.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

pub async fn adjust(state: &AppState, staff: &crate::auth::guard::Principal, account_id: &str, input: AdjustInput) -> AppResult<CreditTransaction> {
    staff.check_staff()?;
    if !crate::ids::is_valid(account_id) {
        return Err(AppError::not_found("account"));
    }
    let reason = input.reason.trim();
    if reason.len() < 3 {
        return Err(AppError::field("reason", "say why (at least 3 characters)"));
    }
    if !input.plan_delta.is_finite() || !input.bonus_delta.is_finite() || (input.plan_delta == 0.0 && input.bonus_delta == 0.0) {
        return Err(AppError::field("plan_delta", "plan_delta or bonus_delta must be a non-zero number"));
    }
    let tenant = Tenant::from_verified(account_id);
    let m = Movement {
        kind: TxnType::Adjust,
        change: Change::Adjust { plan: round(input.plan_delta), bonus: round(input.bonus_delta) },
        idempotency_key: format!("ADJUST#{}", input.idempotency_key.unwrap_or_else(crate::ids::new_id)),
        job_id: None,
        function: None,
        charged: None,
        reason: Some(format!("{reason} (by {})", staff.email)),
    };
    match apply(state, &tenant, &m).await? {
        Applied::Done(t) => {
            let actor = crate::audit::Actor { user_id: staff.user_id.clone(), email: staff.email.clone(), ip: None };
            crate::audit::record(state, &tenant, &actor, "credits.adjust", "account", account_id, serde_json::json!({"plan_delta": t.plan_delta, "bonus_delta": t.bonus_delta, "reason": reason})).await?;
            Ok(*t)
        }
        Applied::AlreadyApplied => Err(AppError::Conflict("this adjustment was already applied".into())),
    }
}

/// The account's plan, period, limits and usage.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Subscription {
    pub plan: crate::plans::Plan,
    pub period: Option<String>,
    pub sites_used: u32,
    pub users_used: u32,
    pub keywords_used: u32,
    pub balance: Balance,
}
