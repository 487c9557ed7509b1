//! Automation rules: the item, save-time validation with field-level errors,
//! CRUD and the plan limit on enabled rules.
//!
//! Keys (rows of the access-pattern table in `store/keys.rs`):
//! rule `ACCT#<a>` / `RULE#<rule>`; rules of an account: begins_with `RULE#`;
//! rules the daily reconcile sweep checks: GSI2 `AUTOMATION#SCHEDULED` /
//! `<a>#<rule>` (sparse); enabled event rules of an account by event type:
//! GSI1 `ACCT#<a>#RULEEVT#<type>` / `<rule>` (sparse).

use super::conditions::{self, Condition, Entity};
use super::cron;
use crate::auth::guard::Principal;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::store::keys::{Index, Key, Tenant};
use crate::store::{Item, Page, Query, SkCondition};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub const RULE_PREFIX: &str = "RULE#";
pub const MAX_ACTIONS: usize = 7;
pub const MAX_CONDITIONS: usize = 20;
pub const DEFAULT_BATCH: u32 = 10;
pub const MAX_BATCH: u32 = 50;

pub fn rule_key(t: &Tenant, rule_id: &str) -> Key {
    Key::new(t.pk(), format!("{RULE_PREFIX}{rule_id}"))
}

pub const TRIGGERS: &[&str] = &["schedule", "event", "manual"];
pub const EVENT_TYPES: &[&str] =
    &["keywords_imported", "clusters_created", "ideas_generated", "content_generated", "images_generated", "job_failed", "content_published"];
pub const ACTION_TYPES: &[&str] =
    &["auto_cluster", "generate_ideas", "create_tasks", "generate_content", "generate_image_prompts", "generate_images", "publish"];

/// The entity an action works on (what its conditions select), and the
/// parameters it takes besides `batch_size`: (name, kind) with kind `ids:<entity>`,
/// `int:<min>-<max>`, `num:<min>-<max>`, `text`.
pub fn action_spec(kind: &str) -> Option<(Entity, &'static [(&'static str, &'static str)])> {
    Some(match kind {
        "auto_cluster" => (Entity::Keyword, &[("keyword_ids", "ids:keyword"), ("threshold", "num:0.1-0.95")]),
        "generate_ideas" => (Entity::Cluster, &[("cluster_ids", "ids:cluster"), ("count", "int:3-7")]),
        "create_tasks" => (Entity::Idea, &[("idea_ids", "ids:idea"), ("tone", "text"), ("language", "text")]),
        "generate_content" => (Entity::Task, &[("task_ids", "ids:task"), ("target_word_count", "int:300-5000"), ("tone", "text"), ("instructions", "text")]),
        "generate_image_prompts" => (Entity::Content, &[("content_ids", "ids:content")]),
        "generate_images" => (Entity::Content, &[("content_ids", "ids:content")]),
        "publish" => (Entity::Content, &[("content_ids", "ids:content"), ("status", "text"), ("spread_minutes", "int:0-10080")]),
        _ => return None,
    })
}

/// The entity whose items an action produces (what a chained action after it works on).
pub fn action_produces(kind: &str) -> Option<Entity> {
    Some(match kind {
        "auto_cluster" => Entity::Cluster,
        "generate_ideas" => Entity::Idea,
        "create_tasks" => Entity::Task,
        "generate_content" | "generate_image_prompts" | "generate_images" => Entity::Content,
        _ => return None,
    })
}

/// The schedule of a rule, as stored and answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleSchedule {
    /// The unix cron expression as given (5 fields, `@daily`, `@hourly`, …).
    pub cron: String,
    /// IANA time zone (default UTC).
    pub timezone: String,
    /// The EventBridge Scheduler expression it converts to.
    pub expression: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleEvent {
    /// One of keywords_imported, clusters_created, ideas_generated, content_generated, images_generated, job_failed, content_published.
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Action {
    /// One of auto_cluster, generate_ideas, create_tasks, generate_content, generate_image_prompts, generate_images, publish.
    #[serde(rename = "type")]
    pub kind: String,
    /// `batch_size` (1–50, default 10) and the action's own parameters; ids
    /// omitted mean "the items the conditions selected".
    #[serde(default)]
    pub params: Value,
}

impl Action {
    pub fn batch_size(&self) -> u32 {
        self.params.get("batch_size").and_then(Value::as_u64).map(|n| n as u32).unwrap_or(DEFAULT_BATCH)
    }
    /// The ids the params name (`keyword_ids`, `task_ids`, …), if any.
    pub fn explicit_ids(&self) -> Option<Vec<String>> {
        let (_, params) = action_spec(&self.kind)?;
        params.iter().filter(|(_, k)| k.starts_with("ids:")).find_map(|(name, _)| {
            self.params.get(*name).and_then(Value::as_array).map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        })
    }
}

/// An automation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rule {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    #[serde(default)]
    pub sector_id: Option<String>,
    pub name: String,
    /// schedule, event or manual.
    pub trigger: String,
    #[serde(default)]
    pub schedule: Option<RuleSchedule>,
    #[serde(default)]
    pub event: Option<RuleEvent>,
    /// All must hold.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// One must hold (when not empty).
    #[serde(default)]
    pub any: Vec<Condition>,
    pub actions: Vec<Action>,
    pub enabled: bool,
    /// A run whose estimate is above this enqueues nothing.
    #[serde(default)]
    pub max_credits_per_run: Option<f64>,
    /// Set when the rule paused itself (credits ran out, 3 failed runs in a
    /// row); a paused rule does not run until resumed.
    #[serde(default)]
    pub paused_reason: Option<String>,
    #[serde(default)]
    pub paused_at: Option<String>,
    #[serde(default)]
    pub consecutive_failures: u32,
    /// The EventBridge Scheduler schedule of this rule (enabled schedule rules).
    #[serde(default)]
    pub schedule_name: Option<String>,
    /// `in_sync`, `none` (no schedule wanted), or `pending` (the last save
    /// could not reach the Scheduler; the reconcile step repairs it).
    #[serde(default)]
    pub schedule_state: String,
    #[serde(default)]
    pub last_run_at: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

/// GSI2 partition of the rules the reconcile sweep looks at (sparse: rules
/// that want a schedule, or whose last reconcile did not reach the Scheduler).
pub const SCHEDULED_RULES_GSI: &str = "AUTOMATION#SCHEDULED";

impl Item for Rule {
    const ENTITY: &'static str = "AutomationRule";
    fn key(&self) -> Key {
        rule_key(&Tenant::from_verified(&self.account_id), &self.id)
    }
    fn index_keys(&self) -> crate::store::ItemKeys {
        let swept = self.wants_schedule() || self.schedule_state == "pending";
        let t = Tenant::from_verified(&self.account_id);
        let on_event = match (&self.event, self.trigger == "event" && self.enabled && self.paused_reason.is_none()) {
            (Some(e), true) => Some((super::events::rules_for_event(&t, &e.kind), self.id.clone())),
            _ => None,
        };
        crate::store::ItemKeys {
            gsi1: on_event,
            gsi2: swept.then(|| (SCHEDULED_RULES_GSI.to_string(), format!("{}#{}", self.account_id, self.id))),
            ..Default::default()
        }
    }
}
crate::versioned!(Rule);

impl Rule {
    /// The entity the rule selects: the first action's.
    pub fn entity(&self) -> Option<Entity> {
        self.actions.first().and_then(|a| action_spec(&a.kind)).map(|(e, _)| e)
    }
    /// Whether a schedule should exist for it.
    pub fn wants_schedule(&self) -> bool {
        self.enabled && self.paused_reason.is_none() && self.trigger == "schedule" && self.schedule.is_some()
    }
}

/// What a client sends (documentation; the body is read field by field so
/// every problem is reported with its field).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RuleInput {
    pub name: String,
    pub site_id: String,
    #[serde(default)]
    pub sector_id: Option<String>,
    /// schedule, event or manual.
    pub trigger: String,
    /// `"0 0 * * *"` (in the site's time zone, UTC when it has none) or `{cron, timezone}`; required for `trigger: schedule`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub schedule: Option<Value>,
    #[serde(default)]
    pub event: Option<RuleEvent>,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub any: Vec<Condition>,
    pub actions: Vec<Action>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub max_credits_per_run: Option<f64>,
    /// Optimistic lock (PATCH).
    #[serde(default)]
    pub version: Option<u64>,
}

const FIELDS: &[&str] =
    &["name", "site_id", "sector_id", "trigger", "schedule", "event", "conditions", "any", "actions", "enabled", "max_credits_per_run", "version"];

/// The checked parts of a body.
struct Checked {
    name: String,
    site_id: String,
    sector_id: Option<String>,
    trigger: String,
    schedule: Option<RuleSchedule>,
    event: Option<RuleEvent>,
    conditions: Vec<Condition>,
    any: Vec<Condition>,
    actions: Vec<Action>,
    enabled: bool,
    max_credits_per_run: Option<f64>,
}

fn conditions_of(v: Option<&Value>, at: &str, errors: &mut Vec<FieldError>) -> (Vec<Condition>, Vec<(usize, Entity)>) {
    let mut out = Vec::new();
    let mut entities = Vec::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            if items.len() > MAX_CONDITIONS {
                errors.push(FieldError::new(at, format!("at most {MAX_CONDITIONS} conditions")));
            }
            for (i, item) in items.iter().enumerate() {
                let here = format!("{at}[{i}]");
                let Some(obj) = item.as_object() else {
                    errors.push(FieldError::new(here, "must be an object {field, operator, value}"));
                    continue;
                };
                if let Some(k) = obj.keys().find(|k| !["field", "operator", "value"].contains(&k.as_str())) {
                    errors.push(FieldError::new(format!("{here}.{k}"), "is not a condition field (field, operator, value)"));
                }
                let field = obj.get("field").and_then(Value::as_str);
                let operator = obj.get("operator").and_then(Value::as_str);
                if field.is_none() {
                    errors.push(FieldError::new(format!("{here}.field"), "is required (a string such as task.status)"));
                }
                if operator.is_none() {
                    errors.push(FieldError::new(format!("{here}.operator"), "is required"));
                }
                let (Some(field), Some(operator)) = (field, operator) else { continue };
                let c = Condition { field: field.into(), operator: operator.into(), value: obj.get("value").cloned().unwrap_or(Value::Null) };
                if let Some(e) = conditions::validate(&c, &here, errors) {
                    entities.push((i, e));
                }
                out.push(c);
            }
        }
        Some(_) => errors.push(FieldError::new(at, "must be a list")),
    }
    (out, entities)
}

/// Checks one action's params; returns the ids it names (entity, ids) for the ownership check.
fn check_params(kind: &str, params: &Value, at: &str, errors: &mut Vec<FieldError>) -> Option<(Entity, Vec<String>)> {
    let (_, spec) = action_spec(kind)?;
    let obj = match params {
        Value::Null => return None,
        Value::Object(o) => o,
        _ => {
            errors.push(FieldError::new(format!("{at}.params"), "must be an object"));
            return None;
        }
    };
    let mut named = None;
    for (k, v) in obj {
        let here = format!("{at}.params.{k}");
        if k == "batch_size" {
            if !v.as_u64().is_some_and(|n| (1..=u64::from(MAX_BATCH)).contains(&n)) {
                errors.push(FieldError::new(here, format!("must be a whole number from 1 to {MAX_BATCH}")));
            }
            continue;
        }
        let Some((_, kind)) = spec.iter().find(|(n, _)| n == k) else {
            let known: Vec<&str> = std::iter::once("batch_size").chain(spec.iter().map(|(n, _)| *n)).collect();
            errors.push(FieldError::new(here, format!("is not a parameter of this action: one of {}", known.join(", "))));
            continue;
        };
        if let Some(entity) = kind.strip_prefix("ids:") {
            match v.as_array() {
                Some(a) if !a.is_empty() && a.len() <= 100 && a.iter().all(|x| x.as_str().is_some_and(crate::ids::is_valid)) => {
                    let e = Entity::parse(entity).unwrap_or(Entity::Task);
                    named = Some((e, a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()));
                }
                _ => errors.push(FieldError::new(here, format!("must be a list of 1 to 100 {entity} ids"))),
            }
        } else if let Some(range) = kind.strip_prefix("int:").or_else(|| kind.strip_prefix("num:")) {
            let (lo, hi) = range.split_once('-').unwrap_or(("0", "0"));
            let (lo, hi): (f64, f64) = (lo.parse().unwrap_or(0.0), hi.parse().unwrap_or(0.0));
            let whole = kind.starts_with("int:");
            let ok = v.as_f64().is_some_and(|n| n >= lo && n <= hi && (!whole || n.fract() == 0.0));
            if !ok {
                errors.push(FieldError::new(here, format!("must be a {} from {lo} to {hi}", if whole { "whole number" } else { "number" })));
            }
        } else if !v.as_str().is_some_and(|s| !s.trim().is_empty() && s.len() <= 2000) {
            errors.push(FieldError::new(here, "must be a non-empty string"));
        }
    }
    named
}

/// The schedule as sent, and whether its time zone was left out (then the
/// site's applies: see [`check`]).
fn schedule_of(v: Option<&Value>, errors: &mut Vec<FieldError>) -> Option<(RuleSchedule, bool)> {
    let defaulted = match v {
        Some(Value::Object(o)) => o.get("timezone").is_none_or(Value::is_null),
        _ => true,
    };
    let (cron_expr, tz) = match v {
        None | Some(Value::Null) => {
            errors.push(FieldError::new("schedule", "is required for trigger schedule: a cron expression or {cron, timezone}"));
            return None;
        }
        Some(Value::String(s)) => (s.clone(), "UTC".to_string()),
        Some(Value::Object(o)) => {
            if let Some(k) = o.keys().find(|k| !["cron", "timezone"].contains(&k.as_str())) {
                errors.push(FieldError::new(format!("schedule.{k}"), "is not a schedule field (cron, timezone)"));
            }
            let Some(c) = o.get("cron").and_then(Value::as_str) else {
                errors.push(FieldError::new("schedule.cron", "is required"));
                return None;
            };
            let tz = match o.get("timezone") {
                None | Some(Value::Null) => "UTC".to_string(),
                Some(Value::String(t)) => t.clone(),
                Some(_) => {
                    errors.push(FieldError::new("schedule.timezone", "must be an IANA time zone name, e.g. Europe/Berlin"));
                    return None;
                }
            };
            (c.to_string(), tz)
        }
        Some(_) => {
            errors.push(FieldError::new("schedule", "must be a cron expression or {cron, timezone}"));
            return None;
        }
    };
    let field = if matches!(v, Some(Value::Object(_))) { "schedule.cron" } else { "schedule" };
    let expression = match cron::unix_to_aws(&cron_expr) {
        Ok(e) => Some(e),
        Err(m) => {
            errors.push(FieldError::new(field, m));
            None
        }
    };
    if !cron::valid_time_zone(&tz) {
        errors.push(FieldError::new("schedule.timezone", format!("{tz:?} is not an IANA time zone name (e.g. UTC, Europe/Berlin)")));
        return None;
    }
    Some((RuleSchedule { cron: cron_expr.trim().to_string(), timezone: tz, expression: expression? }, defaulted))
}

/// Validates a whole body; every problem is one field error. Ids are checked
/// against the caller's account.
async fn check(state: &AppState, p: &Principal, body: &Value) -> AppResult<Checked> {
    let Some(obj) = body.as_object() else {
        return Err(AppError::validation("the body must be a JSON object"));
    };
    let mut errors = Vec::new();
    for k in obj.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        errors.push(FieldError::new(k.clone(), format!("is not a rule field: one of {}", FIELDS.join(", "))));
    }
    let text = |k: &str, errors: &mut Vec<FieldError>| -> Option<String> {
        match obj.get(k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => {
                errors.push(FieldError::new(k, "is required (a non-empty string)"));
                None
            }
        }
    };
    let name = text("name", &mut errors);
    if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
        errors.push(FieldError::new("name", "must be at most 200 characters"));
    }
    let site_id = text("site_id", &mut errors);
    let sector_id = match obj.get("sector_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(FieldError::new("sector_id", "must be a sector id"));
            None
        }
    };
    let trigger = text("trigger", &mut errors);
    if let Some(t) = &trigger
        && !TRIGGERS.contains(&t.as_str())
    {
        errors.push(FieldError::new("trigger", "must be one of schedule, event, manual"));
    }
    let (mut schedule, tz_defaulted) = match trigger.as_deref() {
        Some("schedule") => schedule_of(obj.get("schedule"), &mut errors).map_or((None, false), |(s, d)| (Some(s), d)),
        _ => {
            if obj.get("schedule").is_some_and(|v| !v.is_null()) {
                errors.push(FieldError::new("schedule", "only a rule with trigger schedule has a schedule"));
            }
            (None, false)
        }
    };
    let event = match (trigger.as_deref(), obj.get("event")) {
        (Some("event"), Some(Value::Object(o))) => match o.get("type").and_then(Value::as_str) {
            Some(t) if EVENT_TYPES.contains(&t) => Some(RuleEvent { kind: t.to_string() }),
            _ => {
                errors.push(FieldError::new("event.type", format!("must be one of {}", EVENT_TYPES.join(", "))));
                None
            }
        },
        (Some("event"), _) => {
            errors.push(FieldError::new("event", "is required for trigger event: {type}"));
            None
        }
        (_, Some(v)) if !v.is_null() => {
            errors.push(FieldError::new("event", "only a rule with trigger event has an event"));
            None
        }
        _ => None,
    };
    let (conds, cond_entities) = conditions_of(obj.get("conditions"), "conditions", &mut errors);
    let (any, any_entities) = conditions_of(obj.get("any"), "any", &mut errors);
    let mut actions = Vec::new();
    let mut named_ids: Vec<(String, Entity, Vec<String>)> = Vec::new();
    match obj.get("actions") {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_ACTIONS => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("actions[{i}]");
                let Some(o) = item.as_object() else {
                    errors.push(FieldError::new(at, "must be an object {type, params}"));
                    continue;
                };
                if let Some(k) = o.keys().find(|k| !["type", "params"].contains(&k.as_str())) {
                    errors.push(FieldError::new(format!("{at}.{k}"), "is not an action field (type, params)"));
                }
                let kind = o.get("type").and_then(Value::as_str).unwrap_or_default();
                if action_spec(kind).is_none() {
                    errors.push(FieldError::new(format!("{at}.type"), format!("must be one of {}", ACTION_TYPES.join(", "))));
                    continue;
                }
                let params = o.get("params").cloned().unwrap_or(Value::Null);
                if let Some((e, ids)) = check_params(kind, &params, &at, &mut errors) {
                    named_ids.push((at.clone(), e, ids));
                }
                let params = if params.is_null() { Value::Object(Map::new()) } else { params };
                actions.push(Action { kind: kind.to_string(), params });
            }
        }
        Some(Value::Array(items)) if !items.is_empty() => errors.push(FieldError::new("actions", format!("at most {MAX_ACTIONS} actions"))),
        _ => errors.push(FieldError::new("actions", "is required: a non-empty list of {type, params}")),
    }
    // Conditions select what the first action works on.
    if let Some(first) = actions.first().and_then(|a| action_spec(&a.kind).map(|(e, _)| (a.kind.clone(), e))) {
        for (group, list) in [("conditions", &cond_entities), ("any", &any_entities)] {
            for (i, e) in list {
                if *e != first.1 {
                    errors.push(FieldError::new(
                        format!("{group}[{i}].field"),
                        format!("the first action ({}) works on {} items: conditions must read {}.*", first.0, first.1.as_str(), first.1.as_str()),
                    ));
                }
            }
        }
    }
    let enabled = match obj.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(FieldError::new("enabled", "must be true or false"));
            true
        }
    };
    let max_credits_per_run = match obj.get("max_credits_per_run") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(n) if n > 0.0 && n <= 1_000_000.0 => Some(n),
            _ => {
                errors.push(FieldError::new("max_credits_per_run", "must be a number above 0"));
                None
            }
        },
    };
    if let Some(v) = obj.get("version")
        && !v.is_null()
        && v.as_u64().is_none()
    {
        errors.push(FieldError::new("version", "must be a whole number"));
    }
    // The site, sector and named ids must be the caller's.
    if let Some(site) = &site_id {
        match crate::sites::scope(state, p, site, sector_id.as_deref()).await {
            Ok(scope) => {
                // A schedule sent without a time zone runs in the site's.
                if let (Some(s), true) = (schedule.as_mut(), tz_defaulted) {
                    s.timezone = scope.site.time_zone().to_string();
                }
                let tenant = p.tenant();
                for (at, entity, ids) in &named_ids {
                    let keys: Vec<Key> = ids.iter().map(|id| Key::new(tenant.site_pk(&scope.site.id), format!("{}{id}", entity.sk_prefix()))).collect();
                    let found: Vec<Value> = state.store.batch_get_fields(&keys, &["id"]).await?;
                    let found: std::collections::HashSet<&str> = found.iter().filter_map(|v| v["id"].as_str()).collect();
                    if let Some(missing) = ids.iter().find(|id| !found.contains(id.as_str())) {
                        let param = action_spec(entity_action_kind(&actions, at)).and_then(|(_, s)| s.iter().find(|(_, k)| k.starts_with("ids:")).map(|(n, _)| *n)).unwrap_or("ids");
                        errors.push(FieldError::new(format!("{at}.params.{param}"), format!("{missing} is not a {} of this site", entity.as_str())));
                    }
                }
            }
            Err(AppError::NotFound(m)) => {
                let field = if m.contains("sector") { "sector_id" } else { "site_id" };
                errors.push(FieldError::new(field, m));
            }
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    Ok(Checked {
        name: name.unwrap_or_default(),
        site_id: site_id.unwrap_or_default(),
        sector_id,
        trigger: trigger.unwrap_or_default(),
        schedule,
        event,
        conditions: conds,
        any,
        actions,
        enabled,
        max_credits_per_run,
    })
}

fn entity_action_kind<'a>(actions: &'a [Action], at: &str) -> &'a str {
    at.strip_prefix("actions[").and_then(|r| r.strip_suffix(']')).and_then(|i| i.parse::<usize>().ok()).and_then(|i| actions.get(i)).map(|a| a.kind.as_str()).unwrap_or("")
}

/// How many enabled rules the plan allows.
pub fn max_enabled_rules(plan_id: &str) -> u32 {
    match plan_id {
        "starter" => 10,
        "growth" => 50,
        "scale" => 200,
        _ => 3,
    }
}

/// Most rules one account can hold (enabled or not), so counting stays bounded.
pub const MAX_RULES: usize = 500;

async fn all_rules(state: &AppState, tenant: &Tenant) -> AppResult<Vec<Rule>> {
    let q = Query::new(tenant, Index::Table, tenant.pk()).sk(SkCondition::BeginsWith(RULE_PREFIX.into()));
    state.store.query_all(&q, MAX_RULES + 1).await
}

/// The plan's limit on enabled rules, exact under concurrency: the account
/// item's `enabled_rules` counter changes in the same transaction as the rule
/// that is created enabled, enabled, disabled or deleted, on the condition
/// that it stays within the plan. Counting the rules and then writing (what
/// this replaced) let two concurrent saves both see room for one more.
mod enabled_count {
    use super::*;
    use crate::store::TxError;
    use crate::store::keys;
    use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
    use std::collections::HashMap;

    const ATTR: &str = "enabled_rules";

    fn n(v: i64) -> AttributeValue {
        AttributeValue::N(v.to_string())
    }

    /// The plan and its limit, after making sure the counter exists: an
    /// account from before it gets it once, counted from its rules (a
    /// concurrent first count loses its condition and changes nothing).
    pub(super) async fn limit(state: &AppState, t: &Tenant) -> AppResult<(&'static crate::plans::Plan, u32)> {
        let account: Value = state.store.get(&keys::account(t)).await?.ok_or_else(|| AppError::not_found("account"))?;
        let plan = crate::plans::of(account["plan"].as_str().unwrap_or_default());
        if account.get(ATTR).is_none() {
            let enabled = all_rules(state, t).await?.iter().filter(|r| r.enabled).count() as i64;
            let values = HashMap::from([(":n".to_string(), n(enabled))]);
            state
                .store
                .update_raw(&keys::account(t), &format!("SET {ATTR} = :n"), Some(&format!("attribute_exists(PK) AND attribute_not_exists({ATTR})")), &[], values)
                .await?;
        }
        Ok((plan, max_enabled_rules(plan.id)))
    }

    /// The counter's step: one more (within `max`) or one fewer (never below zero).
    fn step(state: &AppState, t: &Tenant, up: bool, max: u32) -> AppResult<TransactWriteItem> {
        if up {
            let values = HashMap::from([(":one".to_string(), n(1)), (":room".to_string(), n(i64::from(max) - 1))]);
            state.store.tx_update(&keys::account(t), &format!("SET {ATTR} = {ATTR} + :one"), Some(&format!("{ATTR} <= :room")), &[], values)
        } else {
            let values = HashMap::from([(":one".to_string(), n(1))]);
            state.store.tx_update(&keys::account(t), &format!("SET {ATTR} = {ATTR} - :one"), Some(&format!("{ATTR} >= :one")), &[], values)
        }
    }

    /// Writes `rule_op` (the rule's create, versioned update or delete) with
    /// the counter's step when `delta` is ±1, alone when 0. The rule's own
    /// condition failing is a 409 (`changed`), the counter's a 403
    /// `PLAN_LIMIT`; a counter already at zero on the way down (it can only
    /// err on the generous side) lets the rule's write go alone.
    pub(super) async fn write(state: &AppState, t: &Tenant, rule_op: TransactWriteItem, delta: i8, changed: &str) -> AppResult<()> {
        if delta == 0 {
            return state.store.transact(vec![rule_op]).await.map_err(|e| match e {
                TxError::ConditionFailed(_) => AppError::Conflict(changed.to_string()),
                TxError::Other(e) => e,
            });
        }
        let (plan, max) = limit(state, t).await?;
        match state.store.transact(vec![rule_op.clone(), step(state, t, delta > 0, max)?]).await {
            Ok(()) => Ok(()),
            Err(TxError::ConditionFailed(failed)) if failed.contains(&0) => Err(AppError::Conflict(changed.to_string())),
            Err(TxError::ConditionFailed(_)) if delta > 0 => Err(crate::plans::limit_error(plan, "enabled automation rules", max)),
            Err(TxError::ConditionFailed(_)) => Box::pin(write(state, t, rule_op, 0, changed)).await,
            Err(TxError::Other(e)) => Err(e),
        }
    }
}

/// Creates a rule (editor or above), then reconciles its schedule.
pub async fn create(state: &AppState, p: &Principal, body: &Value) -> AppResult<Rule> {
    let tenant = p.tenant();
    let c = check(state, p, body).await?;
    let existing = all_rules(state, &tenant).await?;
    if existing.len() >= MAX_RULES {
        return Err(AppError::PlanLimit(format!("an account holds at most {MAX_RULES} automation rules; delete some first")));
    }
    let now = crate::ids::now_rfc3339();
    let mut rule = Rule {
        id: crate::ids::new_id(),
        account_id: tenant.account_id().to_string(),
        site_id: c.site_id,
        sector_id: c.sector_id,
        name: c.name,
        trigger: c.trigger,
        schedule: c.schedule,
        event: c.event,
        conditions: c.conditions,
        any: c.any,
        actions: c.actions,
        enabled: c.enabled,
        max_credits_per_run: c.max_credits_per_run,
        paused_reason: None,
        paused_at: None,
        consecutive_failures: 0,
        schedule_name: None,
        schedule_state: "none".into(),
        last_run_at: None,
        created_by: p.user_id.clone(),
        created_at: now.clone(),
        updated_at: now,
        version: 1,
    };
    let op = state.store.tx_create(&rule)?;
    enabled_count::write(state, &tenant, op, i8::from(rule.enabled), "the rule already exists").await?;
    super::schedule::reconcile_rule(state, &mut rule).await;
    Ok(rule)
}

pub async fn get(state: &AppState, tenant: &Tenant, id: &str) -> AppResult<Rule> {
    if !crate::ids::is_valid(id) {
        return Err(AppError::not_found("rule"));
    }
    state.store.get(&rule_key(tenant, id)).await?.ok_or_else(|| AppError::not_found("rule"))
}

pub async fn list(state: &AppState, tenant: &Tenant, site_id: Option<&str>, limit: i32, cursor: Option<String>) -> AppResult<Page<Rule>> {
    let mut q = Query::new(tenant, Index::Table, tenant.pk()).sk(SkCondition::BeginsWith(RULE_PREFIX.into())).limit(limit).cursor(cursor).newest_first(true);
    if let Some(s) = site_id {
        q = q.filter("site_id = :site", &[], vec![(":site", aws_sdk_dynamodb::types::AttributeValue::S(s.to_string()))]);
    }
    state.store.query(&q).await
}

/// Changes a rule: the body's fields replace the stored ones (PATCH), the
/// whole is validated again; `version` (when given) must match.
pub async fn update(state: &AppState, p: &Principal, id: &str, body: &Value) -> AppResult<Rule> {
    let tenant = p.tenant();
    let mut rule = get(state, &tenant, id).await?;
    let Some(patch) = body.as_object() else {
        return Err(AppError::validation("the body must be a JSON object"));
    };
    if let Some(v) = patch.get("version").and_then(Value::as_u64)
        && v != rule.version
    {
        return Err(AppError::Conflict(format!("the rule was changed since version {v} (now {}); reload it and apply your change again", rule.version)));
    }
    let mut merged = json!({
        "name": rule.name, "site_id": rule.site_id, "sector_id": rule.sector_id, "trigger": rule.trigger,
        "schedule": rule.schedule.as_ref().map(|s| json!({"cron": s.cron, "timezone": s.timezone})),
        "event": rule.event, "conditions": rule.conditions, "any": rule.any, "actions": rule.actions,
        "enabled": rule.enabled, "max_credits_per_run": rule.max_credits_per_run,
    });
    if let Some(m) = merged.as_object_mut() {
        for (k, v) in patch {
            m.insert(k.clone(), v.clone());
        }
        // A rule that stops being a schedule rule drops its schedule.
        if patch.contains_key("trigger") && !patch.contains_key("schedule") && patch.get("trigger").and_then(Value::as_str) != Some("schedule") {
            m.insert("schedule".into(), Value::Null);
        }
        if patch.contains_key("trigger") && !patch.contains_key("event") && patch.get("trigger").and_then(Value::as_str) != Some("event") {
            m.insert("event".into(), Value::Null);
        }
    }
    let c = check(state, p, &merged).await?;
    if c.site_id != rule.site_id {
        return Err(AppError::field("site_id", "cannot be changed; create a rule for the other site"));
    }
    let delta = i8::from(c.enabled) - i8::from(rule.enabled);
    rule.name = c.name;
    rule.sector_id = c.sector_id;
    rule.trigger = c.trigger;
    rule.schedule = c.schedule;
    rule.event = c.event;
    rule.conditions = c.conditions;
    rule.any = c.any;
    rule.actions = c.actions;
    rule.enabled = c.enabled;
    rule.max_credits_per_run = c.max_credits_per_run;
    rule.updated_at = crate::ids::now_rfc3339();
    let read = rule.version;
    let op = state.store.tx_update_versioned(&mut rule)?;
    let changed = format!("the rule was changed since version {read}; reload it and apply your change again");
    if let Err(e) = enabled_count::write(state, &tenant, op, delta, &changed).await {
        rule.version = read;
        return Err(e);
    }
    super::schedule::reconcile_rule(state, &mut rule).await;
    Ok(rule)
}

/// Deletes a rule and its schedule (its executions stay, as history).
pub async fn delete(state: &AppState, tenant: &Tenant, id: &str) -> AppResult<()> {
    let rule = get(state, tenant, id).await?;
    let op = state.store.tx_delete_versioned(&rule.key(), rule.version)?;
    enabled_count::write(state, tenant, op, -i8::from(rule.enabled), "the rule was changed while deleting it; retry").await?;
    if let Err(e) = super::schedule::delete_schedule(state, &rule).await {
        // The daily reconcile sweep removes a schedule whose rule is gone;
        // until then the runner records its fires as skipped.
        tracing::warn!(error = ?e, rule_id = %rule.id, "could not delete the rule's schedule");
    }
    Ok(())
}

/// Deletes the rules of a site, or of one of its sectors, with their
/// schedules (and, for a site, its pipeline's schedule): called when the site
/// or sector is deleted, so nothing is left firing at a place that is gone
/// and the rules stop counting against the plan. Returns how many went.
pub async fn remove_for_site(state: &AppState, tenant: &Tenant, site_id: &str, sector_id: Option<&str>) -> AppResult<usize> {
    let mut removed = 0;
    for rule in all_rules(state, tenant).await? {
        if rule.site_id != site_id || (sector_id.is_some() && rule.sector_id.as_deref() != sector_id) {
            continue;
        }
        match delete(state, tenant, &rule.id).await {
            Ok(()) => removed += 1,
            // Deleted meanwhile by someone else: gone all the same.
            Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if sector_id.is_none() {
        super::schedule::delete_named(state, &super::schedule::pipeline_schedule_name(tenant.account_id(), site_id)).await?;
    }
    Ok(removed)
}

/// Clears a pause (explicit resume), then reconciles the schedule.
pub async fn resume(state: &AppState, p: &Principal, id: &str) -> AppResult<Rule> {
    let tenant = p.tenant();
    let mut rule = get(state, &tenant, id).await?;
    if rule.paused_reason.is_none() {
        return Err(AppError::Conflict("the rule is not paused".into()));
    }
    rule.paused_reason = None;
    rule.paused_at = None;
    rule.consecutive_failures = 0;
    rule.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut rule).await?;
    crate::audit::record(state, &tenant, &crate::audit::Actor::principal(p, None), "automation.rule_resumed", "automation_rule", &rule.id, json!({})).await?;
    super::schedule::reconcile_rule(state, &mut rule).await;
    Ok(rule)
}
