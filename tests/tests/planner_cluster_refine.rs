//! `auto_cluster` refinement through the queue with the fake OpenAI server:
//! the provider reviews the local groups and proposes merges and splits as
//! JSON; valid proposals are applied, malformed answers get one repair
//! request, contradictory and invalid proposals are rejected and reported,
//! and every keyword ends in exactly one cluster or unclustered.

use igny8_e2e::ai_support::{completion, deliver_by_id, production_registry, providers};
use igny8_e2e::{api, env};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

const KEYWORDS: &[(&str, u64)] = &[
    ("espresso machine", 9000),
    ("espresso machines", 5000),
    ("espresso maker", 4000),
    ("espresso makers", 3000),
    ("kitten food", 2000),
    ("kitten foods", 1500),
    ("food for kittens", 1200),
    ("kittens food", 1000),
    ("zebra crossing rules", 10),
];

/// What the fake answers to refinement requests, in order (the last
/// repeats); `{A}`, `{B}`, `{C}` become the listing numbers of the groups
/// holding "espresso machine", "espresso maker" and "kitten food".
struct Fake {
    refinement: Vec<String>,
    seen: Mutex<Vec<(String, String)>>,
}

impl Respond for Fake {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let format = &body["response_format"]["json_schema"];
        let name = format["name"].as_str().unwrap_or_default().to_string();
        let user = body["messages"].as_array().and_then(|m| m.last()).and_then(|m| m["content"].as_str()).unwrap_or_default().to_string();
        let mut seen = self.seen.lock().unwrap();
        seen.push((name.clone(), user.clone()));
        if name == "cluster_refinement" {
            let i = seen.iter().filter(|(n, _)| n == "cluster_refinement").count() - 1;
            let mut answer = self.refinement[i.min(self.refinement.len() - 1)].clone();
            for (slot, member) in [("{A}", "espresso machine;"), ("{B}", "espresso maker;"), ("{C}", "kitten food;")] {
                let n = user
                    .lines()
                    .find(|l| format!("{l};").contains(&format!(": {member}")) || format!("{l};").contains(&format!("; {member}")))
                    .and_then(|l| l.split('.').next())
                    .unwrap_or("0")
                    .to_string();
                answer = answer.replace(slot, &n);
            }
            return completion(&answer);
        }
        let n = format["schema"]["properties"]["clusters"]["minItems"].as_u64().unwrap_or(1);
        let clusters: Vec<Value> = (0..n).map(|i| json!({"description": format!("Fake OpenAI description number {i} of this batch.")})).collect();
        completion(&json!({"clusters": clusters}).to_string())
    }
}

/// Imports the keywords, runs auto-cluster through the queue against a fake
/// answering `refinement`; returns the job result, the clusters by name (→
/// sorted member texts), the unclustered texts and the requests seen.
async fn run(tag: &str, refinement: Vec<String>) -> (Value, BTreeMap<String, Vec<String>>, Vec<String>, Vec<(String, String)>) {
    let (t, site, sector) = igny8_e2e::workspace(tag).await;
    let tok = Some(t.access.as_str());
    let rows: Vec<Value> = KEYWORDS.iter().map(|(k, v)| json!({"keyword": k, "volume": v})).collect();
    let (status, body) = api("POST", "/api/v1/planner/keywords/bulk-import/", tok, Some(json!({"site_id": site, "sector_id": sector, "rows": rows}))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = api("POST", "/api/v1/planner/clusters/auto-cluster/", tok, Some(json!({"site_id": site, "sector_id": sector}))).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();

    let fake = Arc::new(Fake { refinement, seen: Mutex::new(Vec::new()) });
    struct Shared(Arc<Fake>);
    impl Respond for Shared {
        fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
            self.0.respond(req)
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(Shared(fake.clone())).mount(&server).await;
    let state = env().state().await;
    let job = deliver_by_id(&state, &production_registry(providers(&server)), &t.account_id, &job_id, 1).await;
    assert_eq!(job.status.as_str(), "completed", "{:?}", job.error);

    let (status, body) = api("GET", &format!("/api/v1/jobs/{job_id}/"), tok, None).await;
    assert_eq!(status, 200, "{body}");
    let result = body["data"]["result"].clone();
    let (_, list) = api("GET", &format!("/api/v1/planner/keywords/?site_id={site}&sector_id={sector}&limit=100"), tok, None).await;
    let kws = list["data"]["results"].as_array().unwrap().clone();
    let (_, list) = api("GET", &format!("/api/v1/planner/clusters/?site_id={site}&sector_id={sector}&limit=100"), tok, None).await;
    let names: BTreeMap<String, String> =
        list["data"]["results"].as_array().unwrap().iter().map(|c| (c["id"].as_str().unwrap().to_string(), c["name"].as_str().unwrap().to_string())).collect();
    let mut clusters: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unclustered = Vec::new();
    for k in &kws {
        let text = k["keyword"].as_str().unwrap().to_string();
        match k["cluster_id"].as_str() {
            Some(c) => clusters.entry(names[c].clone()).or_default().push(text),
            None => unclustered.push(text),
        }
    }
    clusters.values_mut().for_each(|v| v.sort());
    assert_eq!(clusters.len(), names.len(), "no empty cluster: {names:?} {clusters:?}");
    assert_eq!(clusters.values().map(Vec::len).sum::<usize>() + unclustered.len(), KEYWORDS.len(), "every keyword exactly once");
    let seen = fake.seen.lock().unwrap().clone();
    (result, clusters, unclustered, seen)
}

fn members(texts: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = texts.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn refinement_applies_valid_proposals_after_a_malformed_answer_and_rejects_contradictions() {
    let valid = r#"{"merges": [
            {"groups": [{A}, {B}], "reason": "a machine and a maker are one article"},
            {"groups": [{B}, {C}], "reason": "contradicts the first merge"}
        ], "splits": [
            {"group": {C}, "parts": [["zebra crossing rules"]], "reason": "not a member"},
            {"group": {C}, "parts": [["food for kittens", "kittens food"]], "reason": "worded for kittens"},
            {"group": {A}, "parts": [["espresso machines"]], "reason": "contradicts the merge of this group"},
            {"group": 42, "parts": [["kitten food"]], "reason": "no such group"}
        ]}"#;
    let (result, clusters, unclustered, seen) =
        run("cl-refine", vec!["Sure! Merge the espresso groups, they are the same.".into(), valid.into()]).await;

    // The malformed answer got one repair request quoting the problem.
    let refinement_requests: Vec<&(String, String)> = seen.iter().filter(|(n, _)| n == "cluster_refinement").collect();
    assert_eq!(refinement_requests.len(), 2, "{seen:?}");
    assert!(refinement_requests[0].1.contains("espresso machine") && refinement_requests[0].1.contains("kitten food"), "the listing names groups and keywords");
    assert!(refinement_requests[1].1.contains("could not be used"), "{}", refinement_requests[1].1);

    let expected: BTreeMap<String, Vec<String>> = [
        ("espresso machine".to_string(), members(&["espresso machine", "espresso machines", "espresso maker", "espresso makers"])),
        ("kitten food".to_string(), members(&["kitten food", "kitten foods"])),
        ("food for kittens".to_string(), members(&["food for kittens", "kittens food"])),
    ]
    .into_iter()
    .collect();
    assert_eq!(clusters, expected, "{result}");
    assert_eq!(unclustered, ["zebra crossing rules"]);

    let r = &result["refinement"];
    let applied: Vec<(&str, &str)> = r["applied"].as_array().unwrap().iter().map(|a| (a["kind"].as_str().unwrap(), a["reason"].as_str().unwrap())).collect();
    assert_eq!(applied, [("merge", "a machine and a maker are one article"), ("split", "worded for kittens")], "{r}");
    assert_eq!(r["applied"][0]["into"], "espresso machine");
    assert_eq!(r["applied"][1]["into"], json!(["kitten food", "food for kittens"]));
    let rejected: Vec<(&str, &str)> = r["rejected"].as_array().unwrap().iter().map(|a| (a["reason"].as_str().unwrap(), a["why"].as_str().unwrap())).collect();
    assert_eq!(rejected.len(), 4, "{r}");
    assert!(rejected[0].0 == "contradicts the first merge" && rejected[0].1.contains("already changed by an earlier proposal"), "{r}");
    assert!(rejected[1].1.contains("\"zebra crossing rules\" is not a keyword of group"), "{r}");
    assert!(rejected[2].0 == "contradicts the merge of this group" && rejected[2].1.contains("already changed by an earlier proposal"), "{r}");
    assert_eq!(rejected[3].1, "group 42 is not in the batch");
    assert_eq!(result["clusters_created"], 3);
    assert_eq!(result["unclustered"], 1);
}

#[tokio::test]
async fn an_answer_malformed_twice_keeps_the_local_groups() {
    let (result, clusters, unclustered, seen) =
        run("cl-refine-bad", vec!["{\"merges\": \"all of them\"}".into(), "still not it".into()]).await;
    assert_eq!(seen.iter().filter(|(n, _)| n == "cluster_refinement").count(), 2, "one repair request, then give up: {seen:?}");
    let names: Vec<&String> = clusters.keys().collect();
    assert_eq!(names, ["espresso machine", "espresso maker", "kitten food"], "the local grouping stands: {clusters:?}");
    assert_eq!(clusters["kitten food"].len(), 4);
    assert_eq!(unclustered, ["zebra crossing rules"]);
    let r = &result["refinement"];
    assert_eq!(r["applied"], json!([]), "{r}");
    assert_eq!(r["failed_batches"].as_array().unwrap().len(), 1, "{r}");
    assert!(r["failed_batches"][0]["why"].as_str().unwrap().contains("malformed twice"), "{r}");
}
