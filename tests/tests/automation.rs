//! Automation (issue 15) over HTTP on the emulator: rules saved with
//! field-level validation and the plan limit; the seed's example rule saved
//! verbatim and run; the schedule created in the emulator's Scheduler with the
//! converted expression and time zone, fired by the local scheduler at an
//! explicit minute (twice → one execution); execute, dry-run, the cost cap,
//! the one-run-per-rule lock, the executions lists; auto-pause on 402 and
//! after three failed runs.

use igny8::automation::schedule;
use igny8::store::keys::Tenant as Tk;
use igny8_e2e::ai_support::{deliver_by_id, offline, production_registry};
use igny8_e2e::{api, credit_balance, env, member, register, workspace};
use serde_json::{Value, json};

/// A queued writing task in the sector: its id.
async fn task(t: &igny8_e2e::Tenant, site: &str, sector: &str, title: &str) -> String {
    let (status, body) = api(
        "POST",
        "/api/v1/planner/tasks/",
        Some(&t.access),
        Some(json!({"site_id": site, "sector_id": sector, "title": title, "keywords": [title.to_lowercase()], "target_word_count": 1000})),
    )
    .await;
    assert_eq!(status, 201, "create task: {body}");
    assert_eq!(body["data"]["status"], "queued");
    body["data"]["id"].as_str().unwrap().to_string()
}

fn fields(body: &Value) -> Vec<String> {
    body["errors"].as_array().map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or_default().to_string()).collect()).unwrap_or_default()
}

/// The seed's example, verbatim: every night, write the pending tasks, then their images.
fn seed_rule(site: &str) -> Value {
    json!({
        "name": "Nightly: write pending tasks",
        "site_id": site,
        "trigger": "schedule",
        "schedule": "0 0 * * *",
        "conditions": [{"field": "task.status", "operator": "equals", "value": "pending"}],
        "actions": [{"type": "generate_content", "params": {}}, {"type": "generate_images", "params": {}}],
        "enabled": true
    })
}

#[tokio::test]
async fn rules_are_validated_field_by_field_and_crud_works() {
    let (t, site, _sector) = workspace("auto-crud").await;
    // Sent: a rule with five problems. Back: 400 naming each field.
    let (status, body) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&t.access),
        Some(json!({
            "name": "bad", "site_id": site, "trigger": "schedule",
            "schedule": {"cron": "*/5 * * * *", "timezone": "Mars/Olympus"},
            "conditions": [{"field": "task.status", "operator": "approximately", "value": "pending"}],
            "actions": [{"type": "generate_content", "params": {"batch_size": 500}}, {"type": "write_poetry"}],
        })),
    )
    .await;
    assert_eq!((status, body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{body}");
    let f = fields(&body);
    for want in ["schedule.timezone", "conditions[0].operator", "actions[0].params.batch_size", "actions[1].type"] {
        assert!(f.contains(&want.to_string()), "missing {want} in {f:?}");
    }
    // A cron AWS cannot express (both day fields), an unknown field, conditions on the wrong entity.
    let (status, body) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&t.access),
        Some(json!({"name": "x", "site_id": site, "trigger": "schedule", "schedule": "0 0 1 * 1", "colour": "red",
                    "conditions": [{"field": "content.status", "operator": "equals", "value": "draft"}],
                    "actions": [{"type": "generate_content"}]})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let f = fields(&body);
    for want in ["schedule", "colour", "conditions[0].field"] {
        assert!(f.contains(&want.to_string()), "missing {want} in {f:?}");
    }
    // Ids in params must be this tenant's: another account's site and task are refused.
    let (other, other_site, other_sector) = workspace("auto-crud-other").await;
    let foreign_task = task(&other, &other_site, &other_sector, "Foreign").await;
    let (status, body) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&t.access),
        Some(json!({"name": "x", "site_id": site, "trigger": "manual", "actions": [{"type": "generate_content", "params": {"task_ids": [foreign_task]}}]})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(fields(&body), vec!["actions[0].params.task_ids"], "{body}");
    let (status, body) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&t.access),
        Some(json!({"name": "x", "site_id": other_site, "trigger": "manual", "actions": [{"type": "generate_content"}]})),
    )
    .await;
    assert_eq!((status, fields(&body)), (400, vec!["site_id".to_string()]), "{body}");

    // The seed's example, sent verbatim: 201, its schedule converted.
    let (status, body) = api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(seed_rule(&site))).await;
    assert_eq!(status, 201, "{body}");
    let rule = &body["data"];
    let id = rule["id"].as_str().unwrap().to_string();
    assert_eq!(rule["schedule"], json!({"cron": "0 0 * * *", "timezone": "UTC", "expression": "cron(0 0 * * ? *)"}));
    assert_eq!(rule["schedule_state"], "in_sync", "{rule}");
    assert_eq!(rule["actions"][1]["type"], "generate_images");

    let (status, body) = api("GET", "/api/v1/automation/rules/", Some(&t.access), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["results"][0]["id"], id.as_str());
    let (status, body) = api("PATCH", &format!("/api/v1/automation/rules/{id}/"), Some(&t.access), Some(json!({"name": "Renamed", "version": 99}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "a stale version: {body}");
    let (status, body) = api("PATCH", &format!("/api/v1/automation/rules/{id}/"), Some(&t.access), Some(json!({"name": "Renamed"}))).await;
    assert_eq!((status, body["data"]["name"].as_str()), (200, Some("Renamed")), "{body}");
    // Viewers read, never write; another tenant sees nothing.
    let (_, viewer) = member(&t, "viewer").await;
    assert_eq!(api("GET", &format!("/api/v1/automation/rules/{id}/"), Some(&viewer), None).await.0, 200);
    let (status, body) = api("POST", "/api/v1/automation/rules/", Some(&viewer), Some(seed_rule(&site))).await;
    assert_eq!((status, body["error_code"].as_str()), (403, Some("FORBIDDEN")));
    assert_eq!(api("GET", &format!("/api/v1/automation/rules/{id}/"), Some(&other.access), None).await.0, 404);
    assert_eq!(api("DELETE", &format!("/api/v1/automation/rules/{id}/"), Some(&other.access), None).await.0, 404);
    // Delete: gone, and so is its schedule.
    let (status, _) = api("DELETE", &format!("/api/v1/automation/rules/{id}/"), Some(&t.access), None).await;
    assert_eq!(status, 200);
    assert_eq!(api("GET", &format!("/api/v1/automation/rules/{id}/"), Some(&t.access), None).await.0, 404);
    let state = env().state().await;
    let name = schedule::schedule_name(&t.account_id, &id);
    assert!(!schedule::list_schedules(&state).await.unwrap().iter().any(|s| s.name == name), "the schedule went with the rule");
}

#[tokio::test]
async fn the_plan_limits_enabled_rules() {
    // A free account (3 enabled rules) with one site.
    let t = register("auto-plan").await;
    let (status, site) = api("POST", "/api/v1/sites/", Some(&t.access), Some(json!({"name": "Site"}))).await;
    assert_eq!(status, 201, "{site}");
    let site = site["data"]["id"].as_str().unwrap().to_string();
    let rule = |enabled: bool| json!({"name": "r", "site_id": site, "trigger": "manual", "actions": [{"type": "generate_content"}], "enabled": enabled});
    for _ in 0..3 {
        assert_eq!(api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(rule(true))).await.0, 201);
    }
    let (status, body) = api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(rule(true))).await;
    assert_eq!((status, body["error_code"].as_str()), (403, Some("PLAN_LIMIT")), "{body}");
    // A disabled rule is fine; enabling it is not.
    let (status, body) = api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(rule(false))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap();
    let (status, body) = api("PATCH", &format!("/api/v1/automation/rules/{id}/"), Some(&t.access), Some(json!({"enabled": true}))).await;
    assert_eq!((status, body["error_code"].as_str()), (403, Some("PLAN_LIMIT")), "{body}");
}

#[tokio::test]
async fn concurrent_saves_never_enable_more_rules_than_the_plan_allows() {
    // A free account (3 enabled rules), one site, and 8 enabled rules sent at once.
    let t = register("auto-plan-race").await;
    let (status, site) = api("POST", "/api/v1/sites/", Some(&t.access), Some(json!({"name": "Site"}))).await;
    assert_eq!(status, 201, "{site}");
    let site = site["data"]["id"].as_str().unwrap().to_string();
    let rule = |enabled: bool| json!({"name": "r", "site_id": site, "trigger": "manual", "actions": [{"type": "generate_content"}], "enabled": enabled});
    let sends = (0..8).map(|_| api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(rule(true))));
    let answers = futures::future::join_all(sends).await;
    let created: Vec<String> = answers.iter().filter(|(s, _)| *s == 201).map(|(_, b)| b["data"]["id"].as_str().unwrap().to_string()).collect();
    let refused = answers.iter().filter(|(s, b)| *s == 403 && b["error_code"] == "PLAN_LIMIT").count();
    // Back: exactly 3 created, the other 5 refused with 403 PLAN_LIMIT (never 4 created, never a 500).
    assert_eq!((created.len(), refused), (3, 5), "{answers:?}");
    let enabled = || async {
        let (_, list) = api("GET", "/api/v1/automation/rules/?limit=100", Some(&t.access), None).await;
        list["data"]["results"].as_array().unwrap().iter().filter(|r| r["enabled"] == true).count()
    };
    assert_eq!(enabled().await, 3);

    // Two disabled rules raced to enabled while one enabled rule is disabled:
    // one slot frees, so exactly one of the two gets it.
    let mut disabled = Vec::new();
    for _ in 0..2 {
        let (status, body) = api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(rule(false))).await;
        assert_eq!(status, 201, "{body}");
        disabled.push(body["data"]["id"].as_str().unwrap().to_string());
    }
    let (status, body) = api("PATCH", &format!("/api/v1/automation/rules/{}/", created[0]), Some(&t.access), Some(json!({"enabled": false}))).await;
    assert_eq!((status, body["data"]["enabled"].as_bool()), (200, Some(false)), "{body}");
    let paths: Vec<String> = disabled.iter().map(|id| format!("/api/v1/automation/rules/{id}/")).collect();
    let enables = paths.iter().map(|path| api("PATCH", path, Some(&t.access), Some(json!({"enabled": true}))));
    let answers = futures::future::join_all(enables).await;
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert!(statuses.contains(&200) && statuses.contains(&403), "one enable wins, one is refused: {answers:?}");
    assert_eq!(enabled().await, 3);

    // Deleting an enabled rule frees its slot.
    assert_eq!(api("DELETE", &format!("/api/v1/automation/rules/{}/", created[1]), Some(&t.access), None).await.0, 200);
    assert_eq!(api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(rule(true))).await.0, 201);
    assert_eq!(api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(rule(true))).await.0, 403);

    // An account from before the counter (the attribute missing) is counted
    // from its rules on the next save: still full, still refused.
    let state = env().state().await;
    let key = igny8::store::keys::account(&Tk::from_verified(&t.account_id));
    state.store.update_raw(&key, "REMOVE enabled_rules", None, &[], Default::default()).await.unwrap();
    let (status, body) = api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(rule(true))).await;
    assert_eq!((status, body["error_code"].as_str()), (403, Some("PLAN_LIMIT")), "{body}");
    assert_eq!(enabled().await, 3);
}

#[tokio::test]
async fn deleting_a_sector_or_a_site_removes_its_rules_and_their_schedules() {
    let (t, site, sector) = workspace("auto-site-delete").await;
    let state = env().state().await;
    let names = || async { schedule::list_schedules(&state).await.unwrap().into_iter().map(|s| s.name).collect::<Vec<_>>() };
    let mut site_rule = seed_rule(&site);
    site_rule["name"] = json!("site-wide");
    let (status, body) = api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(site_rule)).await;
    assert_eq!(status, 201, "{body}");
    let site_rule = body["data"]["id"].as_str().unwrap().to_string();
    let mut sector_rule = seed_rule(&site);
    sector_rule["sector_id"] = json!(sector);
    let (status, body) = api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(sector_rule)).await;
    assert_eq!(status, 201, "{body}");
    let sector_rule = body["data"]["id"].as_str().unwrap().to_string();
    let (status, saved) = api("POST", "/api/v1/automation/pipelines/", Some(&t.access), Some(json!({"site_id": site, "schedule": "@daily", "stages": {}}))).await;
    assert_eq!(status, 200, "{saved}");
    let pipeline = schedule::pipeline_schedule_name(&t.account_id, &site);
    let (site_sched, sector_sched) = (schedule::schedule_name(&t.account_id, &site_rule), schedule::schedule_name(&t.account_id, &sector_rule));
    let before = names().await;
    assert!(before.contains(&site_sched) && before.contains(&sector_sched) && before.contains(&pipeline), "three schedules: {before:?}");

    // A delete refused for want of ?confirm=true removes nothing.
    let (status, _) = api("DELETE", &format!("/api/v1/sites/{site}/"), Some(&t.access), None).await;
    assert_eq!(status, 409);
    assert_eq!(api("GET", &format!("/api/v1/automation/rules/{site_rule}/"), Some(&t.access), None).await.0, 200);

    // The (empty) sector goes: its rule and schedule with it, the site's stay.
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/sectors/{sector}/"), Some(&t.access), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(api("GET", &format!("/api/v1/automation/rules/{sector_rule}/"), Some(&t.access), None).await.0, 404);
    assert_eq!(api("GET", &format!("/api/v1/automation/rules/{site_rule}/"), Some(&t.access), None).await.0, 200);
    let now = names().await;
    assert!(!now.contains(&sector_sched) && now.contains(&site_sched), "{now:?}");

    // The site goes (a job, since its pipeline is in it): its rule and both schedules at once.
    let (status, body) = api("DELETE", &format!("/api/v1/sites/{site}/?confirm=true"), Some(&t.access), None).await;
    assert!(status == 202 || status == 200, "{status} {body}");
    assert_eq!(api("GET", &format!("/api/v1/automation/rules/{site_rule}/"), Some(&t.access), None).await.0, 404);
    let now = names().await;
    assert!(!now.contains(&site_sched) && !now.contains(&pipeline), "{now:?}");
    let (_, list) = api("GET", "/api/v1/automation/rules/", Some(&t.access), None).await;
    assert_eq!(list["data"]["results"], json!([]), "{list}");
}

#[tokio::test]
async fn a_schedule_without_a_time_zone_runs_in_the_sites() {
    let (t, site, _sector) = workspace("auto-site-tz").await;
    let (status, body) = api("PATCH", &format!("/api/v1/sites/{site}/"), Some(&t.access), Some(json!({"timezone": "Asia/Tokyo"}))).await;
    assert_eq!(status, 200, "{body}");
    // Sent: the seed's rule, its schedule a bare cron. Back: the site's zone, also in the Scheduler.
    let (status, body) = api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(seed_rule(&site))).await;
    assert_eq!((status, body["data"]["schedule"]["timezone"].as_str()), (201, Some("Asia/Tokyo")), "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let state = env().state().await;
    let name = schedule::schedule_name(&t.account_id, &id);
    let s = schedule::list_schedules(&state).await.unwrap().into_iter().find(|s| s.name == name).expect("the rule's schedule");
    assert_eq!(s.timezone, "Asia/Tokyo");
    // A zone of its own wins; so does an explicit UTC.
    let mut own = seed_rule(&site);
    own["schedule"] = json!({"cron": "0 0 * * *", "timezone": "UTC"});
    let (status, body) = api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(own)).await;
    assert_eq!((status, body["data"]["schedule"]["timezone"].as_str()), (201, Some("UTC")), "{body}");
    // A pipeline without `timezone`: the site's too.
    let (status, saved) = api("POST", "/api/v1/automation/pipelines/", Some(&t.access), Some(json!({"site_id": site, "schedule": "@daily", "stages": {}}))).await;
    assert_eq!((status, saved["data"]["schedule"]["timezone"].as_str()), (200, Some("Asia/Tokyo")), "{saved}");
}

#[tokio::test]
async fn the_daily_sweep_puts_back_a_pipelines_lost_schedule() {
    let (t, site, _sector) = workspace("auto-pipe-reconcile").await;
    let (status, saved) = api("POST", "/api/v1/automation/pipelines/", Some(&t.access), Some(json!({"site_id": site, "schedule": "30 6 * * *", "timezone": "Asia/Tokyo", "stages": {}}))).await;
    assert_eq!(status, 200, "{saved}");
    let state = env().state().await;
    let name = schedule::pipeline_schedule_name(&t.account_id, &site);
    let find = |all: Vec<schedule::ScheduleInfo>| all.into_iter().find(|s| s.name == name);
    schedule::delete_named(&state, &name).await.unwrap();
    assert!(find(schedule::list_schedules(&state).await.unwrap()).is_none());
    let sweep = igny8_job_sweeper::Sweep { reconcile_schedules: true, ..Default::default() };
    igny8_job_sweeper::handle(state.clone(), sweep).await.expect("the reconcile sweep succeeds");
    let s = find(schedule::list_schedules(&state).await.unwrap()).expect("the sweep re-created the pipeline's schedule");
    assert_eq!((s.expression.as_str(), s.timezone.as_str()), ("cron(30 6 * * ? *)", "Asia/Tokyo"));
}

#[tokio::test]
async fn a_schedule_rule_is_in_the_emulators_scheduler_and_the_local_scheduler_fires_it_once_per_minute() {
    let (t, site, sector) = workspace("auto-sched").await;
    let task_id = task(&t, &site, &sector, "Trail running shoes").await;
    let before = credit_balance(&t.access).await;
    // Weekdays 09:30 in New York.
    let mut body = seed_rule(&site);
    body["schedule"] = json!({"cron": "30 9 * * 1-5", "timezone": "America/New_York"});
    body["actions"] = json!([{"type": "generate_content", "params": {"batch_size": 5}}]);
    let (status, created) = api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let rule_id = created["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(created["data"]["schedule"]["expression"], "cron(30 9 ? * 2-6 *)");

    // The emulator's Scheduler holds it: converted expression, time zone, the runner's input.
    let state = env().state().await;
    let name = schedule::schedule_name(&t.account_id, &rule_id);
    let listed = schedule::list_schedules(&state).await.unwrap();
    let s = listed.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no schedule {name} in {listed:?}"));
    assert_eq!((s.expression.as_str(), s.timezone.as_str(), s.enabled), ("cron(30 9 ? * 2-6 *)", "America/New_York", true));
    let input: Value = serde_json::from_str(&s.input).unwrap();
    assert_eq!((input["account_id"].as_str(), input["rule_id"].as_str()), (Some(t.account_id.as_str()), Some(rule_id.as_str())));

    // Monday 2026-01-05 14:30:20 UTC is 09:30 in New York: due. A minute later is not.
    let due = 1_767_623_420;
    let mine = |f: Vec<xtask::scheduler::Fired>| f.into_iter().filter(|f| f.schedule_name == name).collect::<Vec<_>>();
    assert!(mine(xtask::scheduler::fire_due(&state, due + 60).await.unwrap()).is_empty(), "09:31 is not due");
    let fired = mine(xtask::scheduler::fire_due(&state, due).await.unwrap());
    assert_eq!(fired.len(), 1);
    let ex = fired[0].execution.clone().expect("the first fire of the minute runs");
    assert_eq!(ex.outcome, "enqueued", "{ex:?}");
    assert_eq!(ex.trigger, "schedule");
    assert_eq!(ex.scheduled_time.as_deref(), Some("2026-01-05T14:30:00Z"));
    assert_eq!(ex.matched_ids, vec![task_id.clone()]);
    assert_eq!(ex.job_ids.len(), 1);
    assert!(ex.credits_reserved > 0.0, "{ex:?}");
    // Credits were reserved through the job framework.
    let after = credit_balance(&t.access).await;
    assert!((before - after - ex.credits_reserved).abs() < 1e-6, "balance {before} → {after}, reserved {}", ex.credits_reserved);
    let (status, job) = api("GET", &format!("/api/v1/jobs/{}/", ex.job_ids[0]), Some(&t.access), None).await;
    assert_eq!((status, job["data"]["kind"].as_str(), job["data"]["status"].as_str()), (200, Some("generate_content"), Some("queued")), "{job}");

    // The same minute fired again (Scheduler's at-least-once delivery): dropped.
    let again = mine(xtask::scheduler::fire_due(&state, due + 15).await.unwrap());
    assert_eq!(again.len(), 1);
    assert!(again[0].execution.is_none(), "the same minute must not run twice");
    let (status, list) = api("GET", &format!("/api/v1/automation/rules/{rule_id}/executions/"), Some(&t.access), None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"]["results"].as_array().unwrap().len(), 1, "one execution: {list}");
    assert_eq!(list["data"]["results"][0]["job_ids"][0], ex.job_ids[0].as_str());

    // The job runs (offline provider): the execution then shows what was spent.
    let job = deliver_by_id(&state, &production_registry(offline()), &t.account_id, &ex.job_ids[0], 1).await;
    assert_eq!(job.status, igny8::jobs::JobStatus::Completed, "{job:?}");
    let (_, list) = api("GET", "/api/v1/automation/scheduled-tasks/", Some(&t.access), None).await;
    let row = &list["data"]["results"][0];
    assert_eq!(row["id"], ex.id.as_str());
    assert!(row["credits_spent"].as_f64().is_some_and(|c| c > 0.0), "{row}");

    // Disabling the rule deletes its schedule.
    let (status, body) = api("PATCH", &format!("/api/v1/automation/rules/{rule_id}/"), Some(&t.access), Some(json!({"enabled": false}))).await;
    assert_eq!((status, body["data"]["schedule_state"].as_str()), (200, Some("none")), "{body}");
    assert!(!schedule::list_schedules(&state).await.unwrap().iter().any(|s| s.name == name), "disabled: no schedule");
}

#[tokio::test]
async fn execute_dry_run_the_cost_cap_the_lock_and_the_executions_pages() {
    let (t, site, sector) = workspace("auto-exec").await;
    let a = task(&t, &site, &sector, "Road shoes").await;
    let b = task(&t, &site, &sector, "Trail shoes").await;
    let (status, created) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&t.access),
        Some(json!({"name": "write", "site_id": site, "trigger": "manual", "max_credits_per_run": 1,
                    "conditions": [{"field": "task.status", "operator": "in", "value": ["pending", "review"]}],
                    "any": [{"field": "task.title", "operator": "contains", "value": "shoes"}],
                    "actions": [{"type": "generate_content", "params": {"batch_size": 10}}, {"type": "generate_image_prompts"}]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let balance = credit_balance(&t.access).await;

    // Dry run: what it would select, enqueue and cost; nothing moves.
    let (status, body) = api("POST", &format!("/api/v1/automation/rules/{id}/dry-run/"), Some(&t.access), None).await;
    assert_eq!(status, 200, "{body}");
    let d = &body["data"];
    assert_eq!(d["outcome"], "over_budget", "2 articles of 1000 words cost more than the cap of 1: {d}");
    assert_eq!(d["matched"], 2);
    let mut matched: Vec<String> = d["matched_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    matched.sort();
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(matched, want);
    let estimate = d["estimated_credits"].as_f64().unwrap();
    assert!(estimate >= 4.0, "at least 2 credits an article: {d}");
    assert_eq!(d["actions"][0]["estimated_credits"].as_f64(), Some(estimate));
    // Execute: the cap is enforced on the estimate before anything is enqueued.
    let (status, body) = api("POST", &format!("/api/v1/automation/rules/{id}/execute/"), Some(&t.access), None).await;
    assert_eq!((status, body["data"]["outcome"].as_str()), (200, Some("over_budget")), "{body}");
    assert!(body["data"]["job_ids"].as_array().unwrap().is_empty());
    assert_eq!(credit_balance(&t.access).await, balance, "nothing was reserved");

    // Raise the cap: the dry run now shows both jobs; the run enqueues them.
    let (status, _) = api("PATCH", &format!("/api/v1/automation/rules/{id}/"), Some(&t.access), Some(json!({"max_credits_per_run": 10}))).await;
    assert_eq!(status, 200);
    let (_, body) = api("POST", &format!("/api/v1/automation/rules/{id}/dry-run/"), Some(&t.access), None).await;
    assert_eq!(body["data"]["outcome"], "dry_run", "{body}");
    assert_eq!(body["data"]["actions"][0]["status"], "would_enqueue");
    assert_eq!(body["data"]["actions"][1]["status"], "waiting", "image prompts wait for the articles");
    assert_eq!(credit_balance(&t.access).await, balance);
    let (status, body) = api("POST", &format!("/api/v1/automation/rules/{id}/execute/"), Some(&t.access), None).await;
    assert_eq!(status, 200, "{body}");
    let ex = &body["data"];
    assert_eq!(ex["outcome"], "enqueued", "{ex}");
    assert_eq!(ex["job_ids"].as_array().unwrap().len(), 2);
    assert_eq!(ex["credits_reserved"].as_f64(), Some(estimate), "a run reserves what it estimated: {ex}");
    assert_eq!(credit_balance(&t.access).await, balance - estimate);

    // One run per rule: while the lock is held, a fire is recorded as skipped.
    let state = env().state().await;
    let tenant = Tk::from_verified(&t.account_id);
    let now = igny8::ids::now_epoch();
    assert!(state.store.take_lease(&igny8::automation::run::lock_key(&tenant, &id), "AutomationRuleLock", "another-run", now + 60, now).await.unwrap());
    let (status, body) = api("POST", &format!("/api/v1/automation/rules/{id}/execute/"), Some(&t.access), None).await;
    assert_eq!((status, body["data"]["outcome"].as_str()), (200, Some("skipped")), "{body}");
    assert!(body["data"]["detail"].as_str().unwrap().contains("in progress"));
    state.store.release_lease(&igny8::automation::run::lock_key(&tenant, &id), "another-run").await.unwrap();

    // Executions: newest first, cursor pages.
    let (status, page1) = api("GET", &format!("/api/v1/automation/rules/{id}/executions/?limit=2"), Some(&t.access), None).await;
    assert_eq!(status, 200);
    let outcomes: Vec<&str> = page1["data"]["results"].as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["skipped", "enqueued"], "{page1}");
    let cursor = page1["data"]["next_cursor"].as_str().expect("a next page");
    let (_, page2) = api("GET", &format!("/api/v1/automation/rules/{id}/executions/?limit=2&cursor={cursor}"), Some(&t.access), None).await;
    let outcomes: Vec<&str> = page2["data"]["results"].as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["over_budget"], "dry runs are not recorded: {page2}");
    // Another tenant cannot read them.
    let other = register("auto-exec-other").await;
    assert_eq!(api("GET", &format!("/api/v1/automation/rules/{id}/executions/"), Some(&other.access), None).await.0, 404);
    let (_, theirs) = api("GET", "/api/v1/automation/scheduled-tasks/", Some(&other.access), None).await;
    assert!(theirs["data"]["results"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_rule_pauses_itself_when_credits_run_out_and_after_three_failed_runs() {
    let (t, site, sector) = workspace("auto-pause").await;
    for i in 0..10 {
        task(&t, &site, &sector, &format!("Long guide {i}")).await;
    }
    let balance = credit_balance(&t.access).await;
    // 10 articles of 5,000 words: over 100 credits, more than the account has.
    let (status, created) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&t.access),
        Some(json!({"name": "long", "site_id": site, "trigger": "manual",
                    "conditions": [{"field": "task.status", "operator": "equals", "value": "pending"}],
                    "actions": [{"type": "generate_content", "params": {"target_word_count": 5000}}]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = api("POST", &format!("/api/v1/automation/rules/{id}/execute/"), Some(&t.access), None).await;
    assert_eq!((status, body["data"]["outcome"].as_str()), (200, Some("paused")), "balance {balance}: {body}");
    assert_eq!(credit_balance(&t.access).await, balance, "nothing reserved");
    let (_, rule) = api("GET", &format!("/api/v1/automation/rules/{id}/"), Some(&t.access), None).await;
    assert!(rule["data"]["paused_reason"].as_str().unwrap().contains("insufficient credits"), "{rule}");
    let (_, audit) = api("GET", "/api/v1/audit-log/", Some(&t.access), None).await;
    assert!(
        audit["data"]["results"].as_array().unwrap().iter().any(|e| e["action"] == "automation.rule_paused" && e["target_id"] == id.as_str()),
        "{audit}"
    );
    // Paused: running it is refused until resumed, explicitly.
    let (status, body) = api("POST", &format!("/api/v1/automation/rules/{id}/execute/"), Some(&t.access), None).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")));
    let (status, body) = api("POST", &format!("/api/v1/automation/rules/{id}/resume/"), Some(&t.access), None).await;
    assert_eq!((status, body["data"]["paused_reason"].clone()), (200, Value::Null), "{body}");

    // Three failed runs in a row: the rule's author lost the editor role.
    let (editor_id, editor) = member(&t, "editor").await;
    let (status, created) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&editor),
        Some(json!({"name": "by editor", "site_id": site, "trigger": "manual", "actions": [{"type": "generate_content", "params": {"batch_size": 1}}]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let rid = created["data"]["id"].as_str().unwrap().to_string();
    let (status, _) = api("PATCH", &format!("/api/v1/users/{editor_id}/"), Some(&t.access), Some(json!({"role": "viewer"}))).await;
    assert_eq!(status, 200);
    for i in 1..=3 {
        let (status, body) = api("POST", &format!("/api/v1/automation/rules/{rid}/execute/"), Some(&t.access), None).await;
        assert_eq!((status, body["data"]["outcome"].as_str()), (200, Some("failed")), "run {i}: {body}");
    }
    let (_, rule) = api("GET", &format!("/api/v1/automation/rules/{rid}/"), Some(&t.access), None).await;
    assert!(rule["data"]["paused_reason"].as_str().unwrap().contains("3 failed runs in a row"), "{rule}");
    assert_eq!(rule["data"]["consecutive_failures"], 3);
}

#[tokio::test]
async fn the_reconcile_sweep_repairs_drift_and_a_stray_schedule_removes_itself() {
    let (t, site, _sector) = workspace("auto-reconcile").await;
    let mut body = seed_rule(&site);
    body["schedule"] = json!({"cron": "@hourly", "timezone": "Europe/Berlin"});
    let (status, created) = api("POST", "/api/v1/automation/rules/", Some(&t.access), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let rule_id = created["data"]["id"].as_str().unwrap().to_string();
    let state = env().state().await;
    let name = schedule::schedule_name(&t.account_id, &rule_id);
    let find = |all: Vec<schedule::ScheduleInfo>| all.into_iter().find(|s| s.name == name);

    // Drift: the schedule disappears behind the rule's back; the daily sweep
    // (the job sweeper's {"reconcile_schedules": true}) puts it back.
    schedule::delete_schedule_of(&state, &t.account_id, &rule_id).await.unwrap();
    assert!(find(schedule::list_schedules(&state).await.unwrap()).is_none());
    let sweep = igny8_job_sweeper::Sweep { reconcile_schedules: true, ..Default::default() };
    igny8_job_sweeper::handle(state.clone(), sweep).await.expect("the reconcile sweep succeeds");
    let s = find(schedule::list_schedules(&state).await.unwrap()).expect("the sweep re-created the schedule");
    assert_eq!((s.expression.as_str(), s.timezone.as_str()), ("cron(0 * * * ? *)", "Europe/Berlin"));

    // A stray: the rule is gone but its schedule is not (its delete failed).
    // Its next fire records a skipped execution and deletes the schedule.
    let tenant = Tk::from_verified(&t.account_id);
    assert!(state.store.delete(&igny8::automation::rules::rule_key(&tenant, &rule_id)).await.unwrap());
    let top_of_hour = 1_767_625_200; // 2026-01-05T15:00:00Z
    let fired: Vec<_> = xtask::scheduler::fire_due(&state, top_of_hour).await.unwrap().into_iter().filter(|f| f.schedule_name == name).collect();
    let ex = fired[0].execution.clone().expect("fired");
    assert_eq!(ex.outcome, "skipped");
    assert!(ex.detail.contains("no longer exists"), "{}", ex.detail);
    assert!(find(schedule::list_schedules(&state).await.unwrap()).is_none(), "the stray schedule removed itself");
}

/// Hands the events queue's messages to the runner until `done` holds (the
/// queue is shared by the tests of this process, so any test's poll may run
/// any event; each test waits for its own outcome through the API).
async fn until<F, Fut>(mut done: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    let state = env().state().await;
    let url = env().resources.automation_events_queue_url.clone();
    for _ in 0..40 {
        if let Some(v) = done().await {
            return v;
        }
        xtask::scheduler::poll_events_once(&state, &url, std::time::Duration::from_millis(200)).await.unwrap();
    }
    panic!("the awaited automation outcome never came");
}

async fn executions(token: &str, rule: &str) -> Vec<Value> {
    let (status, body) = api("GET", &format!("/api/v1/automation/rules/{rule}/executions/"), Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["results"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_event_rule_reacts_to_content_generated() {
    let (t, site, sector) = workspace("auto-event").await;
    let task_id = task(&t, &site, &sector, "Porto food guide").await;
    // Sent: an event rule — when content is generated, write the drafts' image prompts.
    let (status, created) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&t.access),
        Some(json!({"name": "prompts for new drafts", "site_id": site, "trigger": "event", "event": {"type": "content_generated"},
                    "conditions": [{"field": "content.status", "operator": "equals", "value": "draft"}],
                    "actions": [{"type": "generate_image_prompts"}]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let rule_id = created["data"]["id"].as_str().unwrap().to_string();
    // Write the task's article by hand (not through automation) and run the job.
    let (status, body) = api("POST", &format!("/api/v1/planner/tasks/{task_id}/generate/"), Some(&t.access), Some(json!({"site_id": site}))).await;
    assert_eq!(status, 202, "{body}");
    let state = env().state().await;
    let job = deliver_by_id(&state, &production_registry(offline()), &t.account_id, body["data"]["id"].as_str().unwrap(), 1).await;
    assert_eq!(job.status, igny8::jobs::JobStatus::Completed, "{job:?}");
    // Back: the content_generated event ran the rule once, at depth 1, enqueueing the prompts job.
    let ex = until(|| async { executions(&t.access, &rule_id).await.into_iter().next() }).await;
    assert_eq!((ex["trigger"].as_str(), ex["event"].as_str(), ex["depth"].as_u64()), (Some("event"), Some("content_generated"), Some(1)), "{ex}");
    assert_eq!(ex["outcome"], "enqueued", "{ex}");
    let job_id = ex["job_ids"][0].as_str().unwrap();
    let (_, job) = api("GET", &format!("/api/v1/jobs/{job_id}/"), Some(&t.access), None).await;
    assert_eq!(job["data"]["kind"], "generate_image_prompts");
    assert_eq!(job["data"]["origin"]["rule_id"], rule_id.as_str());
    assert_eq!(job["data"]["origin"]["depth"], 1);
}

#[tokio::test]
async fn a_job_failed_by_the_dead_letter_queue_raises_job_failed_for_event_rules() {
    let (t, site, sector) = workspace("auto-job-failed").await;
    let task_id = task(&t, &site, &sector, "Lisbon tram guide").await;
    let (status, created) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&t.access),
        Some(json!({"name": "retry failed articles", "site_id": site, "trigger": "event", "event": {"type": "job_failed"},
                    "conditions": [{"field": "task.status", "operator": "equals", "value": "queued"}],
                    "actions": [{"type": "generate_content"}], "enabled": true})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let rule_id = created["data"]["id"].as_str().unwrap().to_string();
    // An article job whose message ends in the dead-letter queue (its worker
    // never recorded an outcome): failed there, not by a worker.
    let (status, body) = api("POST", &format!("/api/v1/planner/tasks/{task_id}/generate/"), Some(&t.access), Some(json!({"site_id": site}))).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    let state = env().state().await;
    let msg = igny8::jobs::JobMessage { job_id: job_id.clone(), account_id: t.account_id.clone(), kind: "generate_content".into(), deferrals: 0 };
    assert!(matches!(igny8::jobs::dead_letter(&state, &msg).await, igny8::jobs::Delivery::Failed(_)));
    // Back: the job is failed, and the job_failed event ran the rule once.
    let (_, job) = api("GET", &format!("/api/v1/jobs/{job_id}/"), Some(&t.access), None).await;
    assert_eq!(job["data"]["status"], "failed", "{job}");
    let ex = until(|| async { executions(&t.access, &rule_id).await.into_iter().next() }).await;
    assert_eq!((ex["trigger"].as_str(), ex["event"].as_str(), ex["depth"].as_u64()), (Some("event"), Some("job_failed"), Some(1)), "{ex}");
}

#[tokio::test]
async fn a_loop_of_event_rules_stops_at_depth_three() {
    let (t, site, sector) = workspace("auto-loop").await;
    let (status, cluster) = api("POST", "/api/v1/planner/clusters/", Some(&t.access), Some(json!({"site_id": site, "sector_id": sector, "name": "Lisbon trams"}))).await;
    assert_eq!(status, 201, "{cluster}");
    let cluster_id = cluster["data"]["id"].as_str().unwrap().to_string();
    let mut kws = Vec::new();
    for k in ["lisbon tram 28", "lisbon tram tickets", "tram 28 route"] {
        let (status, kw) = api("POST", "/api/v1/planner/keywords/", Some(&t.access), Some(json!({"site_id": site, "sector_id": sector, "keyword": k}))).await;
        assert_eq!(status, 201, "{kw}");
        kws.push(kw["data"]["id"].as_str().unwrap().to_string());
    }
    let (status, body) = api("POST", &format!("/api/v1/planner/clusters/{cluster_id}/add-keywords/"), Some(&t.access), Some(json!({"site_id": site, "keyword_ids": kws}))).await;
    assert_eq!(status, 200, "{body}");
    // A rule that feeds itself: ideas generated → generate ideas again.
    let (status, created) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&t.access),
        Some(json!({"name": "more ideas", "site_id": site, "trigger": "event", "event": {"type": "ideas_generated"},
                    "conditions": [{"field": "cluster.status", "operator": "equals", "value": "active"}],
                    "actions": [{"type": "generate_ideas", "params": {"batch_size": 1, "count": 3}}]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let rule_id = created["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = api("POST", &format!("/api/v1/planner/clusters/{cluster_id}/generate-ideas/"), Some(&t.access), Some(json!({"site_id": site, "count": 3}))).await;
    assert_eq!(status, 202, "{body}");
    let state = env().state().await;
    let registry = production_registry(offline());
    let mut job_id = body["data"]["id"].as_str().unwrap().to_string();
    for depth in 1..=3u64 {
        let job = deliver_by_id(&state, &registry, &t.account_id, &job_id, 1).await;
        assert_eq!(job.status, igny8::jobs::JobStatus::Completed, "depth {depth}: {job:?}");
        let ex = until(|| async { executions(&t.access, &rule_id).await.into_iter().find(|e| e["depth"].as_u64() == Some(depth)) }).await;
        assert_eq!(ex["outcome"], "enqueued", "depth {depth}: {ex}");
        job_id = ex["job_ids"][0].as_str().unwrap().to_string();
    }
    // The depth-3 run's job raises an event of depth 3: recorded, not run.
    let job = deliver_by_id(&state, &registry, &t.account_id, &job_id, 1).await;
    assert_eq!(job.status, igny8::jobs::JobStatus::Completed);
    let stop = until(|| async { executions(&t.access, &rule_id).await.into_iter().find(|e| e["depth"].as_u64() == Some(4)) }).await;
    assert_eq!(stop["outcome"], "skipped", "{stop}");
    assert!(stop["detail"].as_str().unwrap().contains("stopped at depth 3"), "{stop}");
    assert!(stop["job_ids"].as_array().unwrap().is_empty());
    assert_eq!(executions(&t.access, &rule_id).await.len(), 4, "three runs and the stop, nothing more");
}

#[tokio::test]
async fn the_pipeline_walks_imported_keywords_to_images_with_the_offline_provider() {
    let (t, site, sector) = workspace("auto-pipeline").await;
    // Imported keywords (the SEMrush fixture, 20 rows, in the request).
    let csv = std::fs::read_to_string(xtask::repo_root().join("tests/fixtures/keywords/semrush_keyword_magic.csv")).unwrap();
    let (status, body) = api("POST", "/api/v1/planner/keywords/bulk-import/", Some(&t.access), Some(json!({"site_id": site, "sector_id": sector, "csv": csv}))).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["created"].as_u64().unwrap() >= 5, "{body}");
    // Bad configuration: field-level errors.
    let (status, bad) = api(
        "POST",
        "/api/v1/automation/pipelines/",
        Some(&t.access),
        Some(json!({"site_id": site, "stages": {"ideas": {"per_cluster": 12}, "content": {"word_count": 50}, "review": {"mode": "whenever"}}})),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(fields(&bad), vec!["stages.ideas.per_cluster", "stages.content.word_count", "stages.review.mode"], "{bad}");
    let (status, saved) = api(
        "POST",
        "/api/v1/automation/pipelines/",
        Some(&t.access),
        Some(json!({"site_id": site, "enabled": true, "stages": {"cluster": {"enabled": true, "min_keywords": 5}, "ideas": {"per_cluster": 3},
                    "tasks": {}, "content": {"batch_size": 50, "word_count": 500}, "image_prompts": {"enabled": true}, "images": {"enabled": true},
                    "review": {"mode": "manual"}, "publish": {"enabled": true, "spread_minutes": 30}}})),
    )
    .await;
    assert_eq!((status, saved["data"]["state"].as_str()), (200, Some("active")), "{saved}");
    // Pause and resume are explicit; a paused pipeline does not run.
    assert_eq!(api("POST", "/api/v1/automation/pipelines/pause/", Some(&t.access), Some(json!({"site_id": site}))).await.0, 200);
    let (status, body) = api("POST", "/api/v1/automation/pipelines/run/", Some(&t.access), Some(json!({"site_id": site}))).await;
    assert_eq!((status, body["error_code"].as_str()), (409, Some("CONFLICT")), "{body}");
    assert_eq!(api("POST", "/api/v1/automation/pipelines/resume/", Some(&t.access), Some(json!({"site_id": site}))).await.0, 200);

    let state = env().state().await;
    let registry = production_registry(offline());
    let balance = credit_balance(&t.access).await;
    let mut walked: Vec<String> = Vec::new();
    for round in 0..12 {
        let (status, run) = api("POST", "/api/v1/automation/pipelines/run/", Some(&t.access), Some(json!({"site_id": site}))).await;
        assert_eq!(status, 200, "round {round} (stages so far {walked:?}): {run}");
        let stages = run["data"]["results"].as_array().unwrap().clone();
        for s in &stages {
            if s["status"] == "enqueued" || s["status"] == "done" {
                walked.push(s["stage"].as_str().unwrap().to_string());
            }
        }
        if stages.iter().any(|s| s["stage"] == "review" && s["status"] == "waiting_for_review") {
            break;
        }
        // Run every open job of the pipeline's stages (the worker's part).
        let (_, view) = api("GET", &format!("/api/v1/automation/pipelines/?site_id={site}"), Some(&t.access), None).await;
        for st in view["data"]["stages"].as_array().unwrap() {
            for ex in st["history"].as_array().unwrap() {
                for job in ex["job_ids"].as_array().unwrap() {
                    let job_id = job.as_str().unwrap();
                    let (_, j) = api("GET", &format!("/api/v1/jobs/{job_id}/"), Some(&t.access), None).await;
                    if j["data"]["status"] == "queued" {
                        let done = deliver_by_id(&state, &registry, &t.account_id, job_id, 1).await;
                        assert_eq!(done.status, igny8::jobs::JobStatus::Completed, "{done:?}");
                    }
                }
            }
        }
    }
    walked.dedup();
    assert_eq!(walked, vec!["cluster", "ideas", "tasks", "content", "image_prompts", "images"], "every stage ran, in order");
    let (_, view) = api("GET", &format!("/api/v1/automation/pipelines/?site_id={site}"), Some(&t.access), None).await;
    let v = &view["data"];
    assert_eq!(v["pipeline"]["current_stage"], "review", "{v}");
    let images = v["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "images").unwrap();
    assert_eq!(images["history"][0]["outcome"], "enqueued", "{images}");
    assert_eq!(images["waiting"], 0, "every draft has its images: {images}");
    assert!(credit_balance(&t.access).await < balance, "the stages' jobs were charged through the credit rules");
    // The review gate set to auto_approve: the drafts with their images are approved.
    let (status, _) = api(
        "POST",
        "/api/v1/automation/pipelines/",
        Some(&t.access),
        Some(json!({"site_id": site, "stages": {"review": {"mode": "auto_approve"}, "content": {"word_count": 500}}})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, run) = api("POST", "/api/v1/automation/pipelines/run/", Some(&t.access), Some(json!({"site_id": site}))).await;
    let review = run["data"]["results"].as_array().unwrap().iter().find(|s| s["stage"] == "review").unwrap().clone();
    assert_eq!(review["status"], "approved", "{run}");
    let (_, drafts) = api("GET", &format!("/api/v1/writer/content/?site_id={site}&status=draft"), Some(&t.access), None).await;
    assert!(drafts["data"]["results"].as_array().unwrap().is_empty(), "{drafts}");
    let (_, approved) = api("GET", &format!("/api/v1/writer/content/?site_id={site}&status=approved"), Some(&t.access), None).await;
    assert!(!approved["data"]["results"].as_array().unwrap().is_empty(), "{approved}");
    // Cancel: it no longer runs until its configuration is saved again.
    let (status, c) = api("POST", "/api/v1/automation/pipelines/cancel/", Some(&t.access), Some(json!({"site_id": site}))).await;
    assert_eq!((status, c["data"]["state"].as_str()), (200, Some("cancelled")));
    assert_eq!(api("POST", "/api/v1/automation/pipelines/run/", Some(&t.access), Some(json!({"site_id": site}))).await.0, 409);
}

#[tokio::test]
async fn chained_actions_run_on_what_the_previous_actions_jobs_produced() {
    let (t, site, sector) = workspace("auto-chain").await;
    task(&t, &site, &sector, "Sintra day trip").await;
    // Sent: write the pending tasks, then the image prompts of what was written.
    let (status, created) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&t.access),
        Some(json!({"name": "write then prompts", "site_id": site, "trigger": "manual",
                    "conditions": [{"field": "task.status", "operator": "equals", "value": "pending"}],
                    "actions": [{"type": "generate_content"}, {"type": "generate_image_prompts"}]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let rule_id = created["data"]["id"].as_str().unwrap().to_string();
    let (_, body) = api("POST", &format!("/api/v1/automation/rules/{rule_id}/execute/"), Some(&t.access), None).await;
    let ex = &body["data"];
    assert_eq!((ex["outcome"].as_str(), ex["actions"][1]["status"].as_str()), (Some("enqueued"), Some("waiting")), "{ex}");
    // The article's job runs; its event continues the chain on the content it wrote.
    let state = env().state().await;
    let job = deliver_by_id(&state, &production_registry(offline()), &t.account_id, ex["job_ids"][0].as_str().unwrap(), 1).await;
    assert_eq!(job.status, igny8::jobs::JobStatus::Completed);
    let content_id = job.result.as_ref().unwrap()["content_id"].as_str().unwrap().to_string();
    let chain = until(|| async { executions(&t.access, &rule_id).await.into_iter().find(|e| e["trigger"] == "chain") }).await;
    assert_eq!(chain["outcome"], "enqueued", "{chain}");
    assert_eq!(chain["actions"][0]["type"], "generate_image_prompts");
    assert_eq!(chain["actions"][0]["items"], json!([content_id]), "{chain}");
    let (_, pj) = api("GET", &format!("/api/v1/jobs/{}/", chain["job_ids"][0].as_str().unwrap()), Some(&t.access), None).await;
    assert_eq!(pj["data"]["kind"], "generate_image_prompts");
}

#[tokio::test]
async fn a_scheduled_pipeline_has_its_schedule_and_the_local_scheduler_runs_it() {
    let (t, site, sector) = workspace("auto-pipe-sched").await;
    for k in ["porto wine tour", "porto wine cellars", "porto wine tasting", "douro wine tour", "port wine lodges"] {
        let (status, kw) = api("POST", "/api/v1/planner/keywords/", Some(&t.access), Some(json!({"site_id": site, "sector_id": sector, "keyword": k}))).await;
        assert_eq!(status, 201, "{kw}");
    }
    let (status, bad) = api("POST", "/api/v1/automation/pipelines/", Some(&t.access), Some(json!({"site_id": site, "schedule": "0 0 1 * 1", "timezone": "Atlantis/Capital", "stages": {}}))).await;
    assert_eq!((status, fields(&bad)), (400, vec!["timezone".to_string(), "schedule".to_string()]), "{bad}");
    let (status, saved) = api("POST", "/api/v1/automation/pipelines/", Some(&t.access), Some(json!({"site_id": site, "schedule": "@daily", "timezone": "Europe/Lisbon", "stages": {}}))).await;
    assert_eq!((status, saved["data"]["schedule_state"].as_str()), (200, Some("in_sync")), "{saved}");
    let state = env().state().await;
    let name = schedule::pipeline_schedule_name(&t.account_id, &site);
    let find = |all: Vec<schedule::ScheduleInfo>| all.into_iter().find(|s| s.name == name);
    let s = find(schedule::list_schedules(&state).await.unwrap()).expect("the pipeline's schedule");
    assert_eq!((s.expression.as_str(), s.timezone.as_str()), ("cron(0 0 * * ? *)", "Europe/Lisbon"));
    // Paused: no schedule; resumed: back.
    api("POST", "/api/v1/automation/pipelines/pause/", Some(&t.access), Some(json!({"site_id": site}))).await;
    assert!(find(schedule::list_schedules(&state).await.unwrap()).is_none());
    api("POST", "/api/v1/automation/pipelines/resume/", Some(&t.access), Some(json!({"site_id": site}))).await;
    assert!(find(schedule::list_schedules(&state).await.unwrap()).is_some());
    // Lisbon's midnight on 2026-07-01 is 23:00 UTC the day before (summer time): the pipeline runs its first stage.
    let due = 1_782_860_400; // 2026-06-30T23:00:00Z
    let fired: Vec<_> = xtask::scheduler::fire_due(&state, due).await.unwrap().into_iter().filter(|f| f.schedule_name == name).collect();
    assert_eq!(fired.len(), 1);
    let (_, view) = api("GET", &format!("/api/v1/automation/pipelines/?site_id={site}"), Some(&t.access), None).await;
    let cluster = view["data"]["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "cluster").unwrap().clone();
    assert_eq!(cluster["history"][0]["outcome"], "enqueued", "{view}");
    assert_eq!(view["data"]["pipeline"]["current_stage"], "cluster");
    // Cancelled: the schedule goes.
    api("POST", "/api/v1/automation/pipelines/cancel/", Some(&t.access), Some(json!({"site_id": site}))).await;
    assert!(find(schedule::list_schedules(&state).await.unwrap()).is_none());
}

#[tokio::test]
async fn a_keyword_import_job_raises_keywords_imported_for_event_rules() {
    let (t, site, sector) = workspace("auto-import-event").await;
    let (status, created) = api(
        "POST",
        "/api/v1/automation/rules/",
        Some(&t.access),
        Some(json!({"name": "cluster what was imported", "site_id": site, "sector_id": sector, "trigger": "event", "event": {"type": "keywords_imported"},
                    "conditions": [{"field": "keyword.status", "operator": "equals", "value": "new"}],
                    "actions": [{"type": "auto_cluster", "params": {"batch_size": 1}}]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let rule_id = created["data"]["id"].as_str().unwrap().to_string();
    // 300 rows: above the tests' in-request limit (250), so an import job.
    let csv = std::iter::once("Keyword,Volume".to_string()).chain((0..300).map(|i| format!("lisbon day trip idea {i},{}", 100 + i))).collect::<Vec<_>>().join("\n");
    let (status, body) = api("POST", "/api/v1/planner/keywords/bulk-import/", Some(&t.access), Some(json!({"site_id": site, "sector_id": sector, "csv": csv}))).await;
    assert_eq!(status, 202, "{body}");
    let state = env().state().await;
    let job = deliver_by_id(&state, igny8_ai_worker::registry(), &t.account_id, body["data"]["id"].as_str().unwrap(), 1).await;
    assert_eq!(job.status, igny8::jobs::JobStatus::Completed, "{job:?}");
    let ex = until(|| async { executions(&t.access, &rule_id).await.into_iter().next() }).await;
    assert_eq!((ex["event"].as_str(), ex["outcome"].as_str()), (Some("keywords_imported"), Some("enqueued")), "{ex}");
    let (_, j) = api("GET", &format!("/api/v1/jobs/{}/", ex["job_ids"][0].as_str().unwrap()), Some(&t.access), None).await;
    assert_eq!(j["data"]["kind"], "auto_cluster");
}
