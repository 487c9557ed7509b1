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
    // Other tests in this binary register accounts concurrently, so only the
    // accounts seen by the first run are known: all of them are granted already.
    assert!(second.already_granted >= first.granted, "{first:?} then {second:?}");

    assert_eq!(grants(&state, &ta, "2099-01").await.len(), 1, "one ledger line for the period");
    let after = igny8::credits::balance(&state, &ta).await.unwrap();
    assert_eq!((after.plan_credits, after.bonus_credits), (100.0, 5.0), "plan credits reset, bonus kept");
    // The billing period advanced with the grant, and /subscription shows it.
    let (status, sub) = igny8_e2e::api("GET", "/api/v1/subscription/", Some(&a.access), None).await;
    assert_eq!((status, sub["data"]["period"].as_str()), (200, Some("2099-01")), "{sub}");
    // An older period's grant (a late redelivery) never moves it back.
    igny8::credits::grant_period(&state, &ta, "2098-12").await.unwrap();
    let sub = igny8::plans::subscription(&state, &ta).await.unwrap();
    assert_eq!(sub.current.period.as_deref(), Some("2099-01"));

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

#[tokio::test]
async fn staff_adjust_credits_with_a_reason_and_owners_change_plans() {
    use igny8_e2e::api;
    use serde_json::json;
    let state = env().state().await;
    let customer = register("adj-customer").await;
    let staff = register("adj-staff").await;
    // Staff is a flag no API sets.
    let key = igny8::store::keys::user(&Tenant::from_verified(&staff.account_id), &staff.user_id);
    let mut u: igny8::accounts::User = state.store.get(&key).await.unwrap().unwrap();
    u.is_staff = true;
    state.store.update_versioned(&mut u).await.unwrap();
    let path = format!("/api/v1/credits/accounts/{}/adjust/", customer.account_id);
    let body = json!({"bonus_delta": 50, "reason": "goodwill for the outage", "idempotency_key": "ticket-42"});
    // A customer (even an owner) cannot.
    let (status, resp) = api("POST", &path, Some(&customer.access), Some(body.clone())).await;
    assert_eq!((status, resp["error_code"].as_str()), (403, Some("FORBIDDEN")), "{resp}");
    let (status, resp) = api("POST", &path, Some(&staff.access), Some(body.clone())).await;
    assert_eq!(status, 201, "{resp}");
    assert_eq!((resp["data"]["type"].as_str(), resp["data"]["balance_after"].as_f64()), (Some("adjust"), Some(150.0)));
    // The same ticket again: once.
    let (status, _) = api("POST", &path, Some(&staff.access), Some(body)).await;
    assert_eq!(status, 409);
    // Sent: no reason / a debit below zero / an unknown account. Got: 400, 400, 404.
    let (status, resp) = api("POST", &path, Some(&staff.access), Some(json!({"plan_delta": 5}))).await;
    assert_eq!(status, 400, "{resp}");
    let (status, resp) = api("POST", &path, Some(&staff.access), Some(json!({"plan_delta": -500, "reason": "chargeback"}))).await;
    assert_eq!((status, resp["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{resp}");
    let ghost = format!("/api/v1/credits/accounts/{}/adjust/", igny8::ids::new_id());
    let (status, _) = api("POST", &ghost, Some(&staff.access), Some(json!({"plan_delta": 5, "reason": "test"}))).await;
    assert_eq!(status, 404);
    let (_, bal) = api("GET", "/api/v1/credits/balance/", Some(&customer.access), None).await;
    assert_eq!((bal["data"]["bonus_credits"].as_f64(), bal["data"]["total"].as_f64()), (Some(50.0), Some(150.0)));
    let (_, log) = api("GET", "/api/v1/audit-log/", Some(&customer.access), None).await;
    assert_eq!(log["data"]["results"][0]["action"], "credits.adjust", "{log}");

    // Subscription: shown to members, changed by the owner, downgrades checked.
    let (status, sub) = api("GET", "/api/v1/subscription/", Some(&customer.access), None).await;
    assert_eq!((status, sub["data"]["plan"]["id"].as_str()), (200, Some("free")), "{sub}");
    let (status, resp) = api("PATCH", "/api/v1/subscription/", Some(&customer.access), Some(json!({"plan": "platinum"}))).await;
    assert_eq!((status, resp["errors"][0]["field"].as_str()), (400, Some("plan")), "{resp}");
    let (status, resp) = api("PATCH", "/api/v1/subscription/", Some(&customer.access), Some(json!({"plan": "starter"}))).await;
    assert_eq!((status, resp["data"]["pending_plan"]["id"].as_str()), (202, Some("starter")), "{resp}");
    let approve = format!("/api/v1/credits/accounts/{}/approve-upgrade/", customer.account_id);
    let (status, resp) = api("POST", &approve, Some(&staff.access), Some(json!({"plan": "starter", "reason": "invoice 1"}))).await;
    assert_eq!((status, resp["data"]["plan"]["max_sites"].as_u64()), (200, Some(3)), "{resp}");
    for name in ["one", "two"] {
        let (status, resp) = api("POST", "/api/v1/sites/", Some(&customer.access), Some(json!({"name": name}))).await;
        assert_eq!(status, 201, "{resp}");
    }
    let (status, resp) = api("PATCH", "/api/v1/subscription/", Some(&customer.access), Some(json!({"plan": "free"}))).await;
    assert_eq!((status, resp["error_code"].as_str()), (409, Some("CONFLICT")), "{resp}");
    assert!(resp["error"].as_str().unwrap().contains("2 sites"), "{resp}");
}

/// Issue 10, item 4: an owner's upgrade is only a request; nothing paid
/// (limits or credits) comes before IGNY8 staff approve it, audited.
#[tokio::test]
async fn upgrades_wait_for_staff_approval_and_grant_nothing_before() {
    use igny8_e2e::api;
    use serde_json::json;
    let state = env().state().await;
    let customer = register("up-customer").await;
    let staff = register("up-staff").await;
    let key = igny8::store::keys::user(&Tenant::from_verified(&staff.account_id), &staff.user_id);
    let mut u: igny8::accounts::User = state.store.get(&key).await.unwrap().unwrap();
    u.is_staff = true;
    state.store.update_versioned(&mut u).await.unwrap();

    // Sent: PATCH /subscription {"plan": "growth"} by the owner. Got: 202, still free, growth pending.
    let (status, resp) = api("PATCH", "/api/v1/subscription/", Some(&customer.access), Some(json!({"plan": "growth"}))).await;
    assert_eq!(status, 202, "{resp}");
    assert_eq!((resp["data"]["plan"]["id"].as_str(), resp["data"]["pending_plan"]["id"].as_str()), (Some("free"), Some("growth")), "{resp}");
    assert_eq!(igny8_e2e::credit_balance(&customer.access).await, 100.0, "no paid credits");
    let (status, resp) = api("GET", "/api/v1/subscription/", Some(&customer.access), None).await;
    assert_eq!((status, resp["data"]["pending_plan"]["id"].as_str()), (200, Some("growth")), "{resp}");
    // Free limits still hold: one site.
    assert_eq!(api("POST", "/api/v1/sites/", Some(&customer.access), Some(json!({"name": "one"}))).await.0, 201);
    let (status, resp) = api("POST", "/api/v1/sites/", Some(&customer.access), Some(json!({"name": "two"}))).await;
    assert_eq!((status, resp["error_code"].as_str()), (403, Some("PLAN_LIMIT")), "{resp}");

    let approve = format!("/api/v1/credits/accounts/{}/approve-upgrade/", customer.account_id);
    // The owner cannot approve their own upgrade; staff approve only what was asked, with a reason.
    let (status, resp) = api("POST", &approve, Some(&customer.access), Some(json!({"plan": "growth", "reason": "me"}))).await;
    assert_eq!((status, resp["error_code"].as_str()), (403, Some("FORBIDDEN")), "{resp}");
    let (status, resp) = api("POST", &approve, Some(&staff.access), Some(json!({"plan": "scale", "reason": "invoice 7"}))).await;
    assert_eq!((status, resp["error_code"].as_str()), (409, Some("CONFLICT")), "{resp}");
    let (status, resp) = api("POST", &approve, Some(&staff.access), Some(json!({"plan": "growth", "reason": " "}))).await;
    assert_eq!((status, resp["errors"][0]["field"].as_str()), (400, Some("reason")), "{resp}");
    let (status, resp) = api("POST", &approve, Some(&staff.access), Some(json!({"plan": "growth", "reason": "invoice 7 paid"}))).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!((resp["data"]["plan"]["id"].as_str(), resp["data"]["pending_plan"].is_null()), (Some("growth"), true), "{resp}");
    // Limits now; credits with the next period's grant.
    assert_eq!(api("POST", "/api/v1/sites/", Some(&customer.access), Some(json!({"name": "two"}))).await.0, 201);
    assert_eq!(igny8_e2e::credit_balance(&customer.access).await, 100.0);
    // Approving twice: nothing pending.
    assert_eq!(api("POST", &approve, Some(&staff.access), Some(json!({"plan": "growth", "reason": "again"}))).await.0, 409);

    let (_, log) = api("GET", "/api/v1/audit-log/?limit=50", Some(&customer.access), None).await;
    let entries = log["data"]["results"].as_array().unwrap();
    let approved = entries.iter().find(|e| e["action"] == "subscription.upgrade_approved").unwrap_or_else(|| panic!("{log}"));
    assert_eq!((approved["actor_id"].as_str(), approved["detail"]["reason"].as_str()), (Some(staff.user_id.as_str()), Some("invoice 7 paid")));
    assert!(entries.iter().any(|e| e["action"] == "subscription.upgrade_requested" && e["actor_id"] == customer.user_id.as_str()), "{log}");

    // Downgrades need no approval.
    let (status, resp) = api("PATCH", "/api/v1/subscription/", Some(&customer.access), Some(json!({"plan": "starter"}))).await;
    assert_eq!((status, resp["data"]["plan"]["id"].as_str()), (200, Some("starter")), "{resp}");
}

/// The usage report is kept as aggregate items written with each ledger line:
/// after spends, refunds, a settlement and retried (duplicate) movements it
/// equals the sum of the ledger, and producing it reads only the aggregates.
#[tokio::test]
async fn the_usage_report_equals_the_ledger_and_reads_only_its_aggregates() {
    use igny8::credits::Reservation;
    let state = env().state().await;
    let a = register("usage-agg").await;
    let t = Tenant::from_verified(&a.account_id);
    let (j1, j2, j3) = (igny8::ids::new_id(), igny8::ids::new_id(), igny8::ids::new_id());
    // A content job: 5 reserved, 3 charged, 2 returned.
    let r1 = igny8::credits::reserve(&state, &t, &j1, "generate_content", 5.0).await.unwrap();
    // The reservation retried (its answer lost): the same reservation, nothing added.
    assert_eq!(igny8::credits::reserve(&state, &t, &j1, "generate_content", 5.0).await.unwrap(), r1);
    assert!(matches!(igny8::credits::settle(&state, &t, &j1, "generate_content", r1, 3.0).await.unwrap(), Applied::Done(_)));
    // A settlement delivered twice lands once.
    assert_eq!(igny8::credits::settle(&state, &t, &j1, "generate_content", r1, 3.0).await.unwrap(), Applied::AlreadyApplied);
    // A clustering job that fails: 10 reserved, 10 returned.
    let r2 = igny8::credits::reserve(&state, &t, &j2, "auto_cluster", 10.0).await.unwrap();
    assert!(matches!(igny8::credits::release(&state, &t, &j2, "auto_cluster", r2, "provider down").await.unwrap(), Applied::Done(_)));
    assert_eq!(igny8::credits::release(&state, &t, &j2, "auto_cluster", r2, "provider down").await.unwrap(), Applied::AlreadyApplied);
    // Another content job charged in full, and a staff adjustment (no function: not usage).
    let r3 = igny8::credits::reserve(&state, &t, &j3, "generate_content", 2.0).await.unwrap();
    igny8::credits::settle(&state, &t, &j3, "generate_content", r3, 2.0).await.unwrap();
    let adjust = Movement { kind: TxnType::Adjust, change: Change::Spend(1.0), idempotency_key: "usage-adjust".into(), job_id: None, function: None, charged: None, reason: Some("test".into()) };
    igny8::credits::apply(&state, &t, &adjust).await.unwrap();
    assert_eq!(igny8::credits::apply(&state, &t, &adjust).await.unwrap(), Applied::AlreadyApplied);
    assert_eq!(r3, Reservation { plan: 2.0, bonus: 0.0 });

    // The ledger, summed by month and function.
    let q = Query::new(&t, Index::Table, t.pk()).sk(SkCondition::BeginsWith("TXN#".into()));
    let ledger: Vec<CreditTransaction> = state.store.query_all(&q, 1000).await.unwrap();
    let mut expected: std::collections::BTreeMap<(String, String), (u64, f64, f64, f64)> = Default::default();
    for l in ledger.iter().filter(|l| l.function.is_some()) {
        let e = expected.entry((igny8::credits::period_of(&l.created_at), l.function.clone().unwrap())).or_default();
        if l.kind == TxnType::Settle {
            e.0 += 1;
            e.1 += l.charged.unwrap();
        }
        e.2 += (-l.amount).max(0.0);
        e.3 += l.amount.max(0.0);
    }
    let month = igny8::credits::period_of(&igny8::ids::now_rfc3339());
    assert_eq!(
        expected.get(&(month.clone(), "generate_content".into())).copied(),
        Some((2, 5.0, 7.0, 2.0)),
        "the ledger itself: 2 settled jobs charged 5, 7 reserved, 2 returned"
    );

    let calls = igny8_e2e::calls::Calls::new();
    let counted = calls.state().await;
    let report = igny8::credits::usage(&counted, &t).await.unwrap();
    let got: std::collections::BTreeMap<(String, String), (u64, f64, f64, f64)> =
        report.iter().map(|r| ((r.month.clone(), r.function.clone()), (r.jobs, r.credits, r.reserved, r.returned))).collect();
    assert_eq!(got, expected, "the report is the ledger's sum: {report:?}");
    assert_eq!(report.len(), 2, "{report:?}");
    let reads = calls.reads();
    assert_eq!(reads.len(), 1, "one query: {reads:?}");
    assert_eq!(reads[0].request["ExpressionAttributeValues"][":sk"]["S"].as_str(), Some("USAGE#"), "{:?}", reads[0].request);
    assert_eq!(reads[0].items, 2, "only the two aggregate items are read, not the {} ledger lines", ledger.len());

    // The API serves the same report.
    let (status, body) = igny8_e2e::api("GET", "/api/v1/credits/usage/", Some(&a.access), None).await;
    assert_eq!(status, 200, "{body}");
    let rows = body["data"]["results"].as_array().unwrap();
    assert_eq!((rows.len(), rows[0]["function"].as_str(), rows[0]["credits"].as_f64()), (2, Some("generate_content"), Some(5.0)), "{body}");
}
