//! The scheduled monthly grant: plan credits reset once per period.

use igny8::credits::{Applied, Change, CreditTransaction, Movement, TxnType};
use igny8::store::keys::{Index, Tenant};
use igny8::store::{Query, SkCondition};
use igny8_e2e::{env, register};

async fn grants(state: &igny8::AppState, t: &Tenant, period: &str) -> Vec<CreditTransaction> {
    let q = Query::new(t, Index::Table, t.pk()).sk(SkCondition::BeginsWith("TXN#".into()));
    let all: Vec<CreditTransaction> = state.store.query_all(&q, 1000).await.unwrap();
    all.into_iter().filter(|x| x.kind == TxnType::Grant && x.idempotency_key == format!("GRANT#{period}")).collect()
}

#[tokio::test]
async fn monthly_grant_run_twice_for_the_same_period_grants_once() {
    let state = env().state().await;
    let a = register("bill-a").await;
    let ta = Tenant::from_verified(&a.account_id);
    // Spend 30 plan credits and buy 5 bonus credits.
    for m in [
        Movement { kind: TxnType::Adjust, change: Change::Spend(30.0), idempotency_key: "spend-1".into(), job_id: None, function: None, charged: None, reason: Some("test".into()) },
        Movement { kind: TxnType::Purchase, change: Change::Adjust { plan: 0.0, bonus: 5.0 }, idempotency_key: "buy-1".into(), job_id: None, function: None, charged: None, reason: None },
    ] {
        assert!(matches!(igny8::credits::apply(&state, &ta, &m).await.unwrap(), Applied::Done(_)));
    }
    let before = igny8::credits::balance(&state, &ta).await.unwrap();
    assert_eq!((before.plan_credits, before.bonus_credits), (70.0, 5.0));

    let input: igny8_billing::MonthlyGrant = serde_json::from_str(r#"{"period": "2099-01"}"#).unwrap();
    let first = igny8_billing::handle(state.clone(), input.clone()).await.unwrap();
    assert!(first.granted >= 1, "{first:?}");
    let second = igny8_billing::handle(state.clone(), input).await.unwrap();
    assert_eq!(second.granted, 0, "{second:?}");
    assert_eq!(second.already_granted, first.granted, "{second:?}");

    assert_eq!(grants(&state, &ta, "2099-01").await.len(), 1, "one ledger line for the period");
    let after = igny8::credits::balance(&state, &ta).await.unwrap();
    assert_eq!((after.plan_credits, after.bonus_credits), (100.0, 5.0), "plan credits reset, bonus kept");

    // Registration already counted this month: a run for the current period adds nothing to a new account.
    let b = register("bill-b").await;
    let tb = Tenant::from_verified(&b.account_id);
    let now = igny8::credits::period_of(&igny8::ids::now_rfc3339());
    igny8_billing::handle(state.clone(), igny8_billing::MonthlyGrant::default()).await.unwrap();
    assert_eq!(grants(&state, &tb, &now).await.len(), 1);
    assert_eq!(igny8::credits::balance(&state, &tb).await.unwrap().total, 100.0);

    // A malformed period is refused.
    let bad: igny8_billing::MonthlyGrant = serde_json::from_str(r#"{"period": "2099-13"}"#).unwrap();
    assert!(igny8_billing::handle(state.clone(), bad).await.is_err());
}
