//! The condition engine: plain functions over an item as JSON.
//!
//! A condition is `{field, operator, value}` with `field` = `<entity>.<name>`
//! (`task.status`). Every condition of a rule must hold (AND); the optional
//! `any` group holds when one of its conditions does (OR). Fields are the
//! public names of [`fields_of`]; some map to a stored attribute of another
//! name (`cluster.volume` is the cluster's `total_volume`). Status values
//! accept the seed's names as aliases ([`status_alias`]): `task.status equals
//! pending` selects our `queued` tasks.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The entities conditions may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Keyword,
    Cluster,
    Idea,
    Task,
    Content,
}

impl Entity {
    pub const ALL: [Entity; 5] = [Entity::Keyword, Entity::Cluster, Entity::Idea, Entity::Task, Entity::Content];

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Keyword => "keyword",
            Entity::Cluster => "cluster",
            Entity::Idea => "idea",
            Entity::Task => "task",
            Entity::Content => "content",
        }
    }

    pub fn parse(s: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The sort-key prefix of this entity's items in a site's partition.
    pub fn sk_prefix(self) -> &'static str {
        match self {
            Entity::Keyword => "KW#",
            Entity::Cluster => "CL#",
            Entity::Idea => "IDEA#",
            Entity::Task => "TASK#",
            Entity::Content => "CONT#",
        }
    }

    /// Our status names.
    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            Entity::Keyword => &["new", "clustered", "in_use", "archived"],
            Entity::Cluster => &["active", "archived"],
            Entity::Idea => &["new", "queued", "archived"],
            Entity::Task => &["queued", "in_progress", "generated", "review", "published", "cancelled"],
            Entity::Content => &["draft", "review", "approved", "published"],
        }
    }
}

/// The kind of value a field holds (decides which operators fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Time,
    Status,
    Id,
}

/// The fields of an entity: (public name, stored attribute, kind).
pub fn fields_of(e: Entity) -> &'static [(&'static str, &'static str, Kind)] {
    use Kind::*;
    match e {
        Entity::Keyword => &[
            ("keyword", "keyword", Text),
            ("status", "status", Status),
            ("volume", "volume", Number),
            ("difficulty", "difficulty", Number),
            ("cpc", "cpc", Number),
            ("intent", "intent", Text),
            ("source", "source", Text),
            ("cluster_id", "cluster_id", Id),
            ("sector_id", "sector_id", Id),
            ("created_at", "created_at", Time),
            ("updated_at", "updated_at", Time),
        ],
        Entity::Cluster => &[
            ("name", "name", Text),
            ("status", "status", Status),
            ("keyword_count", "keyword_count", Number),
            ("volume", "total_volume", Number),
            ("difficulty", "avg_difficulty", Number),
            ("intent", "dominant_intent", Text),
            ("sector_id", "sector_id", Id),
            ("created_at", "created_at", Time),
            ("updated_at", "updated_at", Time),
        ],
        Entity::Idea => &[
            ("title", "title", Text),
            ("status", "status", Status),
            ("intent", "intent", Text),
            ("content_type", "content_type", Text),
            ("structure", "structure", Text),
            ("word_count", "target_word_count", Number),
            ("cluster_id", "cluster_id", Id),
            ("sector_id", "sector_id", Id),
            ("created_at", "created_at", Time),
            ("updated_at", "updated_at", Time),
        ],
        Entity::Task => &[
            ("title", "title", Text),
            ("status", "status", Status),
            ("word_count", "target_word_count", Number),
            ("cluster_id", "cluster_id", Id),
            ("idea_id", "idea_id", Id),
            ("sector_id", "sector_id", Id),
            ("created_at", "created_at", Time),
            ("updated_at", "updated_at", Time),
        ],
        Entity::Content => &[
            ("title", "title", Text),
            ("status", "status", Status),
            ("word_count", "word_count", Number),
            ("cluster_id", "cluster_id", Id),
            ("task_id", "task_id", Id),
            ("sector_id", "sector_id", Id),
            ("created_at", "created_at", Time),
            ("updated_at", "updated_at", Time),
        ],
    }
}

/// The seed's status names where ours differ: (entity, seed name, ours).
pub const STATUS_ALIASES: &[(Entity, &str, &str)] = &[
    (Entity::Task, "pending", "queued"),
    (Entity::Task, "completed", "generated"),
    (Entity::Task, "draft", "queued"),
    (Entity::Content, "pending", "draft"),
    (Entity::Content, "publish", "published"),
    (Entity::Keyword, "pending", "new"),
    (Entity::Keyword, "active", "new"),
    (Entity::Idea, "pending", "new"),
];

/// Our name for a status value (an alias of the seed's, or itself).
pub fn status_alias(e: Entity, v: &str) -> String {
    let v = v.trim().to_ascii_lowercase();
    STATUS_ALIASES.iter().find(|(en, from, _)| *en == e && *from == v).map(|(_, _, to)| (*to).to_string()).unwrap_or(v)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Equals,
    NotEquals,
    In,
    NotIn,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
    StartsWith,
    IsEmpty,
    IsNotEmpty,
    OlderThan,
}

impl Operator {
    pub const NAMES: &[&str] =
        &["equals", "not_equals", "in", "not_in", "gt", "gte", "lt", "lte", "contains", "starts_with", "is_empty", "is_not_empty", "older_than"];

    pub fn parse(s: &str) -> Option<Operator> {
        serde_json::from_value(Value::String(s.to_string())).ok()
    }
}

/// One condition as saved (operator and field checked by [`validate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Condition {
    /// `<entity>.<field>`, e.g. `task.status`.
    pub field: String,
    /// One of `equals, not_equals, in, not_in, gt, gte, lt, lte, contains, starts_with, is_empty, is_not_empty, older_than`.
    pub operator: String,
    /// Absent for `is_empty`/`is_not_empty`; a list for `in`/`not_in`; an ISO-8601 duration (`P7D`, `PT12H`) for `older_than`.
    #[serde(default)]
    pub value: Value,
}

/// Splits `task.status` into the entity and the field's (stored attribute, kind).
pub fn resolve(field: &str) -> Result<(Entity, &'static str, Kind), String> {
    let (e, name) = field.split_once('.').ok_or_else(|| "must be <entity>.<field>, e.g. task.status".to_string())?;
    let entity = Entity::parse(e).ok_or_else(|| format!("unknown entity {e:?}: one of keyword, cluster, idea, task, content"))?;
    let (_, attr, kind) = fields_of(entity).iter().find(|(n, _, _)| *n == name).ok_or_else(|| {
        let known: Vec<&str> = fields_of(entity).iter().map(|(n, _, _)| *n).collect();
        format!("unknown field {name:?} of {e}: one of {}", known.join(", "))
    })?;
    Ok((entity, attr, *kind))
}

/// Parses an ISO-8601 duration (`P1Y2M3W4DT5H6M7S`; a year is 365 days, a
/// month 30) into seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let rest = s.trim().strip_prefix('P').or_else(|| s.trim().strip_prefix('p'))?;
    if rest.is_empty() {
        return None;
    }
    let (date, time) = match rest.split_once(['T', 't']) {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    let mut take = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut num = String::new();
        let mut last_unit = 0usize;
        for c in part.chars() {
            if c.is_ascii_digit() {
                num.push(c);
            } else {
                let i = units.iter().position(|(u, _)| *u == c.to_ascii_uppercase())?;
                if num.is_empty() || (last_unit > 0 && i < last_unit) {
                    return None;
                }
                last_unit = i + 1;
                let n: i64 = num.parse().ok()?;
                total = total.checked_add(n.checked_mul(units[i].1)?)?;
                num.clear();
                any = true;
            }
        }
        num.is_empty().then_some(())
    };
    take(date, &[('Y', 365 * 86_400), ('M', 30 * 86_400), ('W', 7 * 86_400), ('D', 86_400)])?;
    if let Some(t) = time {
        take(t, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    }
    any.then_some(total)
}

fn epoch_of(v: &Value) -> Option<i64> {
    let s = v.as_str()?;
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok().map(|t| t.unix_timestamp())
}

/// Checks a condition at save time; the entity it reads on success.
pub fn validate(c: &Condition, at: &str, errors: &mut Vec<FieldError>) -> Option<Entity> {
    let (entity, _, kind) = match resolve(&c.field) {
        Ok(r) => r,
        Err(m) => {
            errors.push(FieldError::new(format!("{at}.field"), m));
            return None;
        }
    };
    let Some(op) = Operator::parse(&c.operator) else {
        errors.push(FieldError::new(format!("{at}.operator"), format!("must be one of {}", Operator::NAMES.join(", "))));
        return Some(entity);
    };
    let vf = format!("{at}.value");
    let scalar_ok = |v: &Value| -> Result<(), String> {
        match (kind, v) {
            (Kind::Number, Value::Number(_)) => Ok(()),
            (Kind::Number, _) => Err("must be a number".into()),
            (Kind::Time, v) if epoch_of(v).is_some() => Ok(()),
            (Kind::Time, _) => Err("must be an RFC 3339 date-time".into()),
            (Kind::Status, Value::String(s)) => {
                let ours = status_alias(entity, s);
                if entity.statuses().contains(&ours.as_str()) {
                    Ok(())
                } else {
                    Err(format!("unknown {} status {s:?}: one of {}", entity.as_str(), entity.statuses().join(", ")))
                }
            }
            (_, Value::String(_)) => Ok(()),
            _ => Err("must be a string".into()),
        }
    };
    let problem: Option<String> = match op {
        Operator::Equals | Operator::NotEquals => scalar_ok(&c.value).err(),
        Operator::In | Operator::NotIn => match &c.value {
            Value::Array(items) if !items.is_empty() => items.iter().find_map(|v| scalar_ok(v).err()).map(|m| format!("each item {m}")),
            _ => Some("must be a non-empty list".into()),
        },
        Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
            if matches!(kind, Kind::Number | Kind::Time) {
                scalar_ok(&c.value).err()
            } else {
                errors.push(FieldError::new(format!("{at}.operator"), format!("{} compares numbers and dates; {} is neither", c.operator, c.field)));
                None
            }
        }
        Operator::Contains | Operator::StartsWith => {
            if matches!(kind, Kind::Number | Kind::Time) {
                errors.push(FieldError::new(format!("{at}.operator"), format!("{} applies to text; {} is not text", c.operator, c.field)));
                None
            } else if c.value.as_str().is_some_and(|s| !s.is_empty()) {
                None
            } else {
                Some("must be a non-empty string".into())
            }
        }
        Operator::IsEmpty | Operator::IsNotEmpty => (!c.value.is_null()).then(|| "must be absent for this operator".into()),
        Operator::OlderThan => {
            if kind != Kind::Time {
                errors.push(FieldError::new(format!("{at}.operator"), format!("older_than applies to created_at/updated_at; {} is not a date", c.field)));
                None
            } else if c.value.as_str().and_then(parse_duration).is_some() {
                None
            } else {
                Some("must be an ISO-8601 duration, e.g. P7D or PT12H".into())
            }
        }
    };
    if let Some(m) = problem {
        errors.push(FieldError::new(vf, m));
    }
    Some(entity)
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Compares an item's value with a condition's (numbers numerically, times
/// by instant, status through the aliases, text case-insensitively).
fn same(kind: Kind, entity: Entity, item: &Value, want: &Value) -> bool {
    match kind {
        Kind::Number => match (item.as_f64(), want.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            _ => false,
        },
        Kind::Time => epoch_of(item).is_some() && epoch_of(item) == epoch_of(want),
        Kind::Status => match (item.as_str(), want.as_str()) {
            (Some(a), Some(b)) => a == status_alias(entity, b),
            _ => false,
        },
        Kind::Text | Kind::Id => match (item.as_str(), want.as_str()) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => item == want,
        },
    }
}

fn order(kind: Kind, item: &Value, want: &Value) -> Option<std::cmp::Ordering> {
    match kind {
        Kind::Time => Some(epoch_of(item)?.cmp(&epoch_of(want)?)),
        _ => item.as_f64()?.partial_cmp(&want.as_f64()?),
    }
}

/// Whether one condition holds for `item` (the entity's stored JSON) at `now`
/// (epoch seconds). A condition on another entity than the item's, or one
/// that does not validate, never holds.
pub fn holds(c: &Condition, entity: Entity, item: &Value, now: i64) -> bool {
    let Ok((e, attr, kind)) = resolve(&c.field) else { return false };
    let Some(op) = Operator::parse(&c.operator) else { return false };
    if e != entity {
        return false;
    }
    let v = item.get(attr).unwrap_or(&Value::Null);
    use std::cmp::Ordering::*;
    match op {
        Operator::Equals => same(kind, entity, v, &c.value),
        Operator::NotEquals => !same(kind, entity, v, &c.value),
        Operator::In => c.value.as_array().is_some_and(|a| a.iter().any(|w| same(kind, entity, v, w))),
        Operator::NotIn => c.value.as_array().is_some_and(|a| !a.iter().any(|w| same(kind, entity, v, w))),
        Operator::Gt => order(kind, v, &c.value) == Some(Greater),
        Operator::Gte => matches!(order(kind, v, &c.value), Some(Greater | Equal)),
        Operator::Lt => order(kind, v, &c.value) == Some(Less),
        Operator::Lte => matches!(order(kind, v, &c.value), Some(Less | Equal)),
        Operator::Contains => {
            let want = c.value.as_str().unwrap_or_default().to_lowercase();
            match v {
                Value::String(s) => s.to_lowercase().contains(&want),
                Value::Array(a) => a.iter().any(|x| x.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&want))),
                _ => false,
            }
        }
        Operator::StartsWith => {
            let want = c.value.as_str().unwrap_or_default().to_lowercase();
            v.as_str().is_some_and(|s| s.to_lowercase().starts_with(&want))
        }
        Operator::IsEmpty => is_empty(v),
        Operator::IsNotEmpty => !is_empty(v),
        Operator::OlderThan => match (epoch_of(v), c.value.as_str().and_then(parse_duration)) {
            (Some(t), Some(d)) => now - t > d,
            _ => false,
        },
    }
}

/// A rule's conditions hold for `item`: all of `all`, and one of `any` when
/// `any` is not empty.
pub fn matches(all: &[Condition], any: &[Condition], entity: Entity, item: &Value, now: i64) -> bool {
    all.iter().all(|c| holds(c, entity, item, now)) && (any.is_empty() || any.iter().any(|c| holds(c, entity, item, now)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(field: &str, op: &str, value: Value) -> Condition {
        Condition { field: field.into(), operator: op.into(), value }
    }

    // 2026-01-10T04:00:00Z
    const NOW: i64 = 1_768_017_600;

    fn task() -> Value {
        json!({"id": "T1", "status": "queued", "title": "Best Running Shoes 2026", "target_word_count": 1500,
               "cluster_id": "C1", "idea_id": null, "keywords": ["running shoes", "trail"],
               "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-09T12:00:00Z"})
    }

    /// Every operator, holding and not holding, on a task.
    #[test]
    fn every_operator() {
        let t = task();
        let table: Vec<(Condition, bool)> = vec![
            (c("task.status", "equals", json!("queued")), true),
            (c("task.status", "equals", json!("pending")), true), // the seed's alias
            (c("task.status", "equals", json!("generated")), false),
            (c("task.status", "not_equals", json!("generated")), true),
            (c("task.status", "not_equals", json!("pending")), false),
            (c("task.status", "in", json!(["review", "pending"])), true),
            (c("task.status", "in", json!(["review", "published"])), false),
            (c("task.status", "not_in", json!(["review", "published"])), true),
            (c("task.status", "not_in", json!(["queued"])), false),
            (c("task.word_count", "gt", json!(1000)), true),
            (c("task.word_count", "gt", json!(1500)), false),
            (c("task.word_count", "gte", json!(1500)), true),
            (c("task.word_count", "gte", json!(1501)), false),
            (c("task.word_count", "lt", json!(2000)), true),
            (c("task.word_count", "lt", json!(1500)), false),
            (c("task.word_count", "lte", json!(1500)), true),
            (c("task.word_count", "lte", json!(1499)), false),
            (c("task.created_at", "lt", json!("2026-01-02T00:00:00Z")), true),
            (c("task.created_at", "gt", json!("2026-01-02T00:00:00+00:00")), false),
            (c("task.title", "contains", json!("running")), true),
            (c("task.title", "contains", json!("cycling")), false),
            (c("task.title", "starts_with", json!("best")), true),
            (c("task.title", "starts_with", json!("Running")), false),
            (c("task.idea_id", "is_empty", Value::Null), true),
            (c("task.cluster_id", "is_empty", Value::Null), false),
            (c("task.cluster_id", "is_not_empty", Value::Null), true),
            (c("task.idea_id", "is_not_empty", Value::Null), false),
            (c("task.created_at", "older_than", json!("P7D")), true),
            (c("task.updated_at", "older_than", json!("P1D")), false),
            (c("task.updated_at", "older_than", json!("PT6H")), true),
            (c("task.cluster_id", "equals", json!("C1")), true),
            // A condition on another entity never holds for a task.
            (c("content.status", "equals", json!("draft")), false),
        ];
        for (cond, want) in &table {
            let mut errors = Vec::new();
            validate(cond, "conditions[0]", &mut errors);
            assert!(errors.is_empty(), "{cond:?} should validate: {errors:?}");
            assert_eq!(holds(cond, Entity::Task, &t, NOW), *want, "{cond:?}");
        }
    }

    #[test]
    fn field_aliases_of_other_entities() {
        let cluster = json!({"total_volume": 5000, "avg_difficulty": 30.5, "dominant_intent": "commercial", "status": "active"});
        assert!(holds(&c("cluster.volume", "gte", json!(5000)), Entity::Cluster, &cluster, NOW));
        assert!(holds(&c("cluster.difficulty", "lt", json!(31)), Entity::Cluster, &cluster, NOW));
        assert!(holds(&c("cluster.intent", "equals", json!("Commercial")), Entity::Cluster, &cluster, NOW));
        let content = json!({"status": "published", "word_count": 900});
        assert!(holds(&c("content.status", "equals", json!("publish")), Entity::Content, &content, NOW));
        let kw = json!({"keyword": "trail shoes", "volume": null});
        assert!(holds(&c("keyword.volume", "is_empty", Value::Null), Entity::Keyword, &kw, NOW));
        assert!(!holds(&c("keyword.volume", "gt", json!(0)), Entity::Keyword, &kw, NOW), "a missing number compares as nothing");
    }

    #[test]
    fn all_and_any() {
        let t = task();
        let all = vec![c("task.status", "equals", json!("pending"))];
        assert!(matches(&all, &[], Entity::Task, &t, NOW));
        let any = vec![c("task.word_count", "gt", json!(5000)), c("task.title", "contains", json!("shoes"))];
        assert!(matches(&all, &any, Entity::Task, &t, NOW));
        let any_none = vec![c("task.word_count", "gt", json!(5000))];
        assert!(!matches(&all, &any_none, Entity::Task, &t, NOW));
    }

    #[test]
    fn validation_names_the_field() {
        let cases = [
            (c("task.colour", "equals", json!("x")), "conditions[0].field"),
            (c("widget.status", "equals", json!("x")), "conditions[0].field"),
            (c("status", "equals", json!("x")), "conditions[0].field"),
            (c("task.status", "approximately", json!("x")), "conditions[0].operator"),
            (c("task.status", "equals", json!("flying")), "conditions[0].value"),
            (c("task.status", "in", json!([])), "conditions[0].value"),
            (c("task.status", "gt", json!(3)), "conditions[0].operator"),
            (c("task.word_count", "gt", json!("many")), "conditions[0].value"),
            (c("task.word_count", "contains", json!("x")), "conditions[0].operator"),
            (c("task.created_at", "older_than", json!("7 days")), "conditions[0].value"),
            (c("task.title", "older_than", json!("P7D")), "conditions[0].operator"),
            (c("task.title", "is_empty", json!("x")), "conditions[0].value"),
        ];
        for (cond, field) in cases {
            let mut errors = Vec::new();
            validate(&cond, "conditions[0]", &mut errors);
            assert_eq!(errors.first().map(|e| e.field.as_str()), Some(field), "{cond:?}: {errors:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("P7D"), Some(7 * 86_400));
        assert_eq!(parse_duration("PT12H"), Some(12 * 3_600));
        assert_eq!(parse_duration("P1W"), Some(7 * 86_400));
        assert_eq!(parse_duration("P1DT1H30M"), Some(86_400 + 5_400));
        assert_eq!(parse_duration("P1M"), Some(30 * 86_400));
        assert_eq!(parse_duration("PT1M"), Some(60));
        for bad in ["", "P", "7D", "PT", "P1H", "PD", "P1D2", "PT1D", "P1D1Y"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
