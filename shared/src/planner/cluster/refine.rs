//! LLM refinement of a local grouping, when a real chat provider is
//! configured (the offline provider skips it).
//!
//! The provider reviews the largest groups in batches of [`REFINE_BATCH`]
//! (each group's name, size and up to [`LISTED`] member keywords) and
//! proposes, as typed JSON with a reason each, **merges** (groups that are
//! one article) and **splits** (member keywords that are another article).
//! A proposal is applied only when it keeps every keyword in exactly one
//! group: it must name groups of its batch and keywords listed for the group
//! it splits, no keyword twice, and no group already changed by an earlier
//! proposal (a contradictory proposal — merging a group another proposal
//! splits, or merging one group twice — is rejected). A split part of one
//! keyword becomes unclustered. Everything applied and rejected is reported
//! in the job result; a batch whose answer stays malformed after the repair
//! request keeps its local groups.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Group, Grouping};
use crate::ai::function::JobCtx;
use crate::ai::provider::ChatRequest;
use crate::jobs::JobError;
use crate::planner::normalize::normalize_keyword;

/// Groups reviewed per provider request.
pub const REFINE_BATCH: usize = 25;
/// Groups reviewed per run (largest first).
pub const MAX_REFINED: usize = 200;
/// Member keywords listed per group.
pub const LISTED: usize = 15;

/// What the provider answers for one batch.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Proposals {
    #[serde(default)]
    pub merges: Vec<Merge>,
    #[serde(default)]
    pub splits: Vec<Split>,
}

/// Groups (numbers of the batch listing, from 1) that are one article.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Merge {
    pub groups: Vec<usize>,
    #[serde(default)]
    pub reason: String,
}

/// Keywords of one group that belong to other articles: each part becomes a
/// group of its own, the rest stays.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Split {
    pub group: usize,
    pub parts: Vec<Vec<String>>,
    #[serde(default)]
    pub reason: String,
}

/// Text and volume of a keyword id.
pub type Lookup<'a> = HashMap<&'a str, (&'a str, u64)>;

/// The listing of one batch, as the provider sees it.
pub fn listing(batch: &[Group], kw: &Lookup) -> String {
    batch
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let sample: Vec<&str> = g.keyword_ids.iter().take(LISTED).filter_map(|id| kw.get(id.as_str()).map(|k| k.0)).collect();
            format!("{}. {} ({} keywords): {}", i + 1, g.name, g.keyword_ids.len(), sample.join("; "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Builds a group from member ids (named and ordered as the local grouping
/// does).
fn make_group(mut ids: Vec<String>, kw: &Lookup) -> Group {
    let vol = |id: &str| kw.get(id).map_or(0, |k| k.1);
    let text = |id: &str| kw.get(id).map_or("", |k| k.0.trim());
    ids.sort_by(|a, b| vol(b).cmp(&vol(a)).then_with(|| a.cmp(b)));
    let name = ids
        .iter()
        .min_by(|a, b| vol(b).cmp(&vol(a)).then_with(|| text(a).cmp(text(b))).then_with(|| a.cmp(b)))
        .map(|id| text(id).to_string())
        .unwrap_or_default();
    let total_volume = ids.iter().fold(0u64, |t, id| t.saturating_add(vol(id)));
    Group { name, keyword_ids: ids, total_volume }
}

/// Applies the proposals of each batch (`start` = index of the batch's first
/// group in `grouping.groups`). Returns the new grouping and the report.
pub fn apply(grouping: Grouping, batches: &[(usize, usize, Proposals)], kw: &Lookup) -> (Grouping, Value) {
    let groups = grouping.groups;
    let mut changed = vec![false; groups.len()];
    let mut new_groups: Vec<Vec<String>> = Vec::new();
    let mut applied: Vec<Value> = Vec::new();
    let mut rejected: Vec<Value> = Vec::new();
    for (b, &(start, len, ref props)) in batches.iter().enumerate() {
        let global = |n: usize| (1..=len).contains(&n).then(|| start + n - 1);
        for m in &props.merges {
            let reject = |why: String, rejected: &mut Vec<Value>| {
                rejected.push(json!({"batch": b + 1, "kind": "merge", "groups": m.groups, "reason": m.reason, "why": why}))
            };
            let mut idx: Vec<usize> = Vec::new();
            let mut bad = None;
            for &n in &m.groups {
                match global(n) {
                    None => bad = Some(format!("group {n} is not in the batch")),
                    Some(g) if idx.contains(&g) => bad = Some(format!("group {n} is named twice")),
                    Some(g) if changed[g] => bad = Some(format!("group {n} is already changed by an earlier proposal")),
                    Some(g) => idx.push(g),
                }
                if bad.is_some() {
                    break;
                }
            }
            if bad.is_none() && idx.len() < 2 {
                bad = Some("a merge needs at least two groups".into());
            }
            if let Some(why) = bad {
                reject(why, &mut rejected);
                continue;
            }
            let names: Vec<&str> = idx.iter().map(|&g| groups[g].name.as_str()).collect();
            let ids: Vec<String> = idx.iter().flat_map(|&g| groups[g].keyword_ids.iter().cloned()).collect();
            let merged = make_group(ids.clone(), kw);
            applied.push(json!({"batch": b + 1, "kind": "merge", "groups": names, "into": merged.name, "reason": m.reason}));
            for &g in &idx {
                changed[g] = true;
            }
            new_groups.push(ids);
        }
        for s in &props.splits {
            let reject = |why: String, rejected: &mut Vec<Value>| {
                rejected.push(json!({"batch": b + 1, "kind": "split", "group": s.group, "parts": s.parts, "reason": s.reason, "why": why}))
            };
            let Some(g) = global(s.group) else {
                reject(format!("group {} is not in the batch", s.group), &mut rejected);
                continue;
            };
            if changed[g] {
                reject(format!("group {} is already changed by an earlier proposal", s.group), &mut rejected);
                continue;
            }
            // listed members by normalised text (first unused id per text)
            let listed: Vec<&String> = groups[g].keyword_ids.iter().take(LISTED).collect();
            let mut taken: HashSet<&str> = HashSet::new();
            let mut parts: Vec<Vec<String>> = Vec::new();
            let mut bad = None;
            'parts: for part in &s.parts {
                if part.is_empty() {
                    bad = Some("a part is empty".to_string());
                    break;
                }
                let mut ids = Vec::new();
                for text in part {
                    let want = normalize_keyword(text);
                    let found = listed.iter().find(|id| {
                        !taken.contains(id.as_str()) && kw.get(id.as_str()).is_some_and(|k| normalize_keyword(k.0) == want)
                    });
                    match found {
                        Some(id) => {
                            taken.insert(id.as_str());
                            ids.push((*id).clone());
                        }
                        None => {
                            bad = Some(format!("{text:?} is not a keyword of group {} (or is named twice)", s.group));
                            break 'parts;
                        }
                    }
                }
                parts.push(ids);
            }
            let rest: Vec<String> = groups[g].keyword_ids.iter().filter(|id| !taken.contains(id.as_str())).cloned().collect();
            if bad.is_none() && parts.len() + usize::from(!rest.is_empty()) < 2 {
                bad = Some("a split must leave at least two parts".into());
            }
            if let Some(why) = bad {
                reject(why, &mut rejected);
                continue;
            }
            changed[g] = true;
            if !rest.is_empty() {
                parts.insert(0, rest);
            }
            let into: Vec<String> = parts.iter().map(|p| make_group(p.clone(), kw).name).collect();
            applied.push(json!({"batch": b + 1, "kind": "split", "group": groups[g].name, "into": into, "reason": s.reason}));
            new_groups.extend(parts);
        }
    }
    let mut unclustered = grouping.unclustered;
    let mut out: Vec<Group> = groups.into_iter().zip(&changed).filter(|(_, c)| !**c).map(|(g, _)| g).collect();
    for ids in new_groups {
        if ids.len() < 2 {
            unclustered.extend(ids);
        } else {
            out.push(make_group(ids, kw));
        }
    }
    out.sort_by(|a, b| {
        b.total_volume.cmp(&a.total_volume).then_with(|| a.name.cmp(&b.name)).then_with(|| a.keyword_ids.first().cmp(&b.keyword_ids.first()))
    });
    let vol = |id: &String| kw.get(id.as_str()).map_or(0, |k| k.1);
    unclustered.sort_by(|a, b| vol(b).cmp(&vol(a)).then_with(|| a.cmp(b)));
    let report = json!({"batches": batches.len(), "applied": applied, "rejected": rejected});
    (Grouping { groups: out, unclustered }, report)
}

fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "merges": {"type": "array", "items": {
                "type": "object",
                "properties": {"groups": {"type": "array", "items": {"type": "integer"}}, "reason": {"type": "string"}},
                "required": ["groups", "reason"], "additionalProperties": false
            }},
            "splits": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "group": {"type": "integer"},
                    "parts": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
                    "reason": {"type": "string"}
                },
                "required": ["group", "parts", "reason"], "additionalProperties": false
            }}
        },
        "required": ["merges", "splits"], "additionalProperties": false
    })
}

/// Reviews the largest groups with the configured provider and applies the
/// valid proposals. With the offline provider, or no groups, the grouping is
/// returned unchanged. A provider failure worth retrying fails the job (to
/// be retried); an answer still malformed after one repair request leaves
/// that batch's groups as they were.
pub async fn refine(ctx: &JobCtx, grouping: Grouping, kw: &Lookup<'_>) -> Result<(Grouping, Value), JobError> {
    if ctx.providers.chat.name() == "offline" {
        return Ok((grouping, json!({"skipped": "the offline provider does not refine groups"})));
    }
    let reviewed = grouping.groups.len().min(MAX_REFINED);
    if reviewed < 2 {
        return Ok((grouping, json!({"skipped": "fewer than two groups"})));
    }
    let mut batches: Vec<(usize, usize, Proposals)> = Vec::new();
    let mut failed: Vec<Value> = Vec::new();
    for (b, batch) in grouping.groups[..reviewed].chunks(REFINE_BATCH).enumerate() {
        let start = b * REFINE_BATCH;
        let req = ChatRequest {
            system: "You are an SEO strategist reviewing keyword clusters. Rule: one cluster = the keywords one article would rank for. \
                     Keywords with a different search intent (comparison \"vs\", best/review roundups, how-to, what-is, price, buy, near me) \
                     or about a different brand or product are different articles. Propose merges of clusters that are one article and \
                     splits of keywords that are another article, each with a short reason. Propose nothing when the clusters are right. Answer in JSON."
                .into(),
            user: format!(
                "Clusters (number. name (size): listed keywords):\n{}\n\nAnswer {{\"merges\": [{{\"groups\": [numbers], \"reason\": …}}], \
                 \"splits\": [{{\"group\": number, \"parts\": [[keywords of one new cluster], …], \"reason\": …}}]}}. \
                 Use only the numbers and keywords listed.",
                listing(batch, kw)
            ),
            json_schema: Some(("cluster_refinement".into(), schema())),
            max_tokens: Some(1500),
            temperature: Some(0.0),
        };
        match ctx.ask_json(req, |_: &Proposals| Ok(())).await {
            Ok(p) => batches.push((start, batch.len(), p)),
            Err(JobError::Permanent(why)) => failed.push(json!({"batch": b + 1, "why": why})),
            Err(e) => return Err(e),
        }
    }
    let (grouping, mut report) = apply(grouping, &batches, kw);
    report["batches"] = json!(batches.len() + failed.len());
    report["failed_batches"] = json!(failed);
    Ok((grouping, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Vec<(String, String, u64)>, Grouping) {
        let kws = vec![
            ("a1".to_string(), "espresso machine".to_string(), 900),
            ("a2".into(), "espresso machines".into(), 800),
            ("b1".into(), "espresso maker".into(), 700),
            ("b2".into(), "espresso makers".into(), 600),
            ("c1".into(), "dog food".into(), 500),
            ("c2".into(), "dog foods".into(), 400),
            ("c3".into(), "puppy food".into(), 300),
            ("c4".into(), "puppy foods".into(), 200),
            ("c5".into(), "kitten food".into(), 100),
            ("z".into(), "zebra".into(), 1),
        ];
        let g = Grouping {
            groups: vec![
                Group { name: "espresso machine".into(), keyword_ids: vec!["a1".into(), "a2".into()], total_volume: 1700 },
                Group { name: "dog food".into(), keyword_ids: vec!["c1".into(), "c2".into(), "c3".into(), "c4".into(), "c5".into()], total_volume: 1500 },
                Group { name: "espresso maker".into(), keyword_ids: vec!["b1".into(), "b2".into()], total_volume: 1300 },
            ],
            unclustered: vec!["z".into()],
        };
        (kws, g)
    }

    fn every_id_once(g: &Grouping, n: usize) {
        let mut all: Vec<&String> = g.groups.iter().flat_map(|g| g.keyword_ids.iter()).chain(g.unclustered.iter()).collect();
        all.sort();
        let before = all.len();
        all.dedup();
        assert_eq!((before, all.len()), (n, n), "{g:?}");
        assert!(g.groups.iter().all(|g| g.keyword_ids.len() >= 2), "{g:?}");
    }

    #[test]
    fn valid_proposals_apply_and_invalid_ones_are_reported() {
        let (kws, g) = setup();
        let kw: Lookup = kws.iter().map(|(id, t, v)| (id.as_str(), (t.as_str(), *v))).collect();
        let props: Proposals = serde_json::from_value(json!({
            "merges": [
                {"groups": [1, 3], "reason": "same article"},
                {"groups": [3, 2], "reason": "contradicts the first"},
                {"groups": [7, 2], "reason": "no such group"},
                {"groups": [2], "reason": "one group"}
            ],
            "splits": [
                {"group": 1, "parts": [["espresso machines"]], "reason": "already merged"},
                {"group": 2, "parts": [["Puppy Food", "puppy foods"], ["kitten food"]], "reason": "puppies and kittens"},
                {"group": 2, "parts": [["dog food"]], "reason": "second change of one group"}
            ]
        }))
        .unwrap();
        let (out, report) = apply(g, &[(0, 3, props)], &kw);
        every_id_once(&out, 10);
        let names: Vec<&str> = out.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["espresso machine", "dog food", "puppy food"], "{out:?}");
        assert_eq!(out.groups[0].keyword_ids, ["a1", "a2", "b1", "b2"]);
        assert_eq!(out.unclustered, ["c5", "z"], "a one-keyword part is unclustered");
        assert_eq!(report["applied"].as_array().unwrap().len(), 2, "{report}");
        let why: Vec<&str> = report["rejected"].as_array().unwrap().iter().map(|r| r["why"].as_str().unwrap()).collect();
        assert_eq!(
            why,
            [
                "group 3 is already changed by an earlier proposal",
                "group 7 is not in the batch",
                "a merge needs at least two groups",
                "group 1 is already changed by an earlier proposal",
                "group 2 is already changed by an earlier proposal"
            ],
            "{report}"
        );
    }

    #[test]
    fn splits_must_name_listed_members_once_and_leave_two_parts() {
        let (kws, g) = setup();
        let kw: Lookup = kws.iter().map(|(id, t, v)| (id.as_str(), (t.as_str(), *v))).collect();
        let props: Proposals = serde_json::from_value(json!({"merges": [], "splits": [
            {"group": 2, "parts": [["zebra"]], "reason": "not a member"},
            {"group": 2, "parts": [["dog food"], ["dog food"]], "reason": "twice"},
            {"group": 1, "parts": [["espresso machine", "espresso machines"]], "reason": "everything"},
            {"group": 3, "parts": [[]], "reason": "empty"}
        ]}))
        .unwrap();
        let before = g.clone();
        let (out, report) = apply(g, &[(0, 3, props)], &kw);
        assert_eq!(out, before, "nothing applied");
        assert_eq!(report["rejected"].as_array().unwrap().len(), 4, "{report}");
        assert!(report["applied"].as_array().unwrap().is_empty());
    }
}
