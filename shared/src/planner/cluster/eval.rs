//! Scoring a grouping against a labelled keyword set
//! (`tests/fixtures/clustering/`, format in its README): adjusted Rand index,
//! pairwise precision/recall/F1 and per-kind hard-pair accuracy. Used by
//! `cargo xtask bench --clustering` and by the grouping's unit tests.

use std::collections::{BTreeMap, HashMap};

use super::{ClusterInput, Grouping};

/// A hard pair: two keywords that must (`same`) or must not end together.
#[derive(Debug, Clone)]
pub struct HardPair {
    pub kind: String,
    pub same: bool,
    /// Indexes into [`LabelledSet::keywords`].
    pub a: usize,
    pub b: usize,
}

/// Keywords with their topic labels, plus the hard pairs.
#[derive(Debug, Clone, Default)]
pub struct LabelledSet {
    /// `(keyword, topic id, niche)`, in file order.
    pub keywords: Vec<(String, String, String)>,
    pub pairs: Vec<HardPair>,
}

impl LabelledSet {
    /// Parses the fixture format. Errors name the line.
    pub fn parse(text: &str) -> Result<LabelledSet, String> {
        let mut set = LabelledSet::default();
        let mut index: HashMap<String, usize> = HashMap::new();
        let (mut niche, mut topic) = (String::new(), None::<String>);
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            let at = n + 1;
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# niche:") {
                niche = rest.trim().to_string();
                topic = None;
            } else if let Some(rest) = line.strip_prefix("## ") {
                topic = Some(rest.trim().to_string());
            } else if line.starts_with('#') {
                continue;
            } else if let Some(rest) = line.strip_prefix("pair ") {
                let parts: Vec<&str> = rest.split('|').map(str::trim).collect();
                let head: Vec<&str> = parts.first().map(|h| h.split_whitespace().collect()).unwrap_or_default();
                if parts.len() != 3 || head.len() != 2 || !matches!(head[1], "same" | "diff") {
                    return Err(format!("line {at}: expected `pair <kind> <same|diff> | a | b`"));
                }
                let find = |k: &str| index.get(k).copied().ok_or_else(|| format!("line {at}: unknown keyword {k:?}"));
                let (a, b) = (find(parts[1])?, find(parts[2])?);
                let same = head[1] == "same";
                if (set.keywords[a].1 == set.keywords[b].1) != same {
                    return Err(format!("line {at}: the pair is marked {} but the topics say otherwise", head[1]));
                }
                set.pairs.push(HardPair { kind: head[0].to_string(), same, a, b });
            } else {
                let t = topic.clone().ok_or_else(|| format!("line {at}: keyword outside a topic"))?;
                if index.insert(line.to_string(), set.keywords.len()).is_some() {
                    return Err(format!("line {at}: duplicate keyword {line:?}"));
                }
                set.keywords.push((line.to_string(), t, niche.clone()));
            }
        }
        Ok(set)
    }

    /// The keywords as grouping input (ids `k0000`…, equal volumes).
    pub fn inputs(&self) -> Vec<ClusterInput> {
        self.keywords
            .iter()
            .enumerate()
            .map(|(i, (k, _, _))| ClusterInput { id: format!("k{i:04}"), keyword: k.clone(), volume: 100, parent_keyword: None })
            .collect()
    }

    /// Number of distinct topics.
    pub fn topics(&self) -> usize {
        let mut t: Vec<&str> = self.keywords.iter().map(|k| k.1.as_str()).collect();
        t.sort_unstable();
        t.dedup();
        t.len()
    }
}

/// Hard-pair results of one kind.
#[derive(Debug, Clone, PartialEq)]
pub struct KindScore {
    pub kind: String,
    pub right: usize,
    pub total: usize,
}

impl KindScore {
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 { 1.0 } else { self.right as f64 / self.total as f64 }
    }
}

/// How a grouping compares with the labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub keywords: usize,
    pub topics: usize,
    pub groups: usize,
    pub unclustered: usize,
    pub ari: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Sorted by kind.
    pub kinds: Vec<KindScore>,
}

fn pairs(n: u64) -> f64 {
    (n * n.saturating_sub(1) / 2) as f64
}

/// Scores `grouping` (of `set.inputs()`) against the labels. A keyword that
/// is unclustered (or missing) counts as a cluster of its own.
pub fn score(set: &LabelledSet, grouping: &Grouping) -> Score {
    let n = set.keywords.len();
    let mut predicted: Vec<usize> = (0..n).map(|i| usize::MAX - i).collect();
    for (g, group) in grouping.groups.iter().enumerate() {
        for id in &group.keyword_ids {
            if let Some(i) = id.strip_prefix('k').and_then(|s| s.parse::<usize>().ok()).filter(|&i| i < n) {
                predicted[i] = g;
            }
        }
    }
    let truth: Vec<&str> = set.keywords.iter().map(|k| k.1.as_str()).collect();
    let mut cells: HashMap<(&str, usize), u64> = HashMap::new();
    let mut rows: HashMap<&str, u64> = HashMap::new();
    let mut cols: HashMap<usize, u64> = HashMap::new();
    for (&t, &p) in truth.iter().zip(&predicted) {
        *cells.entry((t, p)).or_default() += 1;
        *rows.entry(t).or_default() += 1;
        *cols.entry(p).or_default() += 1;
    }
    let together: f64 = cells.values().map(|&c| pairs(c)).sum();
    let true_pairs: f64 = rows.values().map(|&c| pairs(c)).sum();
    let pred_pairs: f64 = cols.values().map(|&c| pairs(c)).sum();
    let all = pairs(n as u64);
    let expected = if all > 0.0 { true_pairs * pred_pairs / all } else { 0.0 };
    let max = (true_pairs + pred_pairs) / 2.0;
    let ari = if (max - expected).abs() < f64::EPSILON { 1.0 } else { (together - expected) / (max - expected) };
    let precision = if pred_pairs > 0.0 { together / pred_pairs } else { 1.0 };
    let recall = if true_pairs > 0.0 { together / true_pairs } else { 1.0 };
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };

    let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for p in &set.pairs {
        let together = predicted[p.a] == predicted[p.b];
        let e = kinds.entry(p.kind.as_str()).or_default();
        e.1 += 1;
        if together == p.same {
            e.0 += 1;
        }
    }
    Score {
        keywords: n,
        topics: set.topics(),
        groups: grouping.groups.len(),
        unclustered: grouping.unclustered.len(),
        ari,
        precision,
        recall,
        f1,
        kinds: kinds.into_iter().map(|(k, (right, total))| KindScore { kind: k.to_string(), right, total }).collect(),
    }
}

/// The hard pairs a grouping gets wrong, as `(kind, same, a, b)` keyword
/// texts (for inspecting the tuning half only).
pub fn misses<'s>(set: &'s LabelledSet, grouping: &Grouping) -> Vec<(&'s str, bool, &'s str, &'s str)> {
    let mut cluster_of: HashMap<&str, usize> = HashMap::new();
    for (g, group) in grouping.groups.iter().enumerate() {
        for id in &group.keyword_ids {
            cluster_of.insert(id.as_str(), g);
        }
    }
    let ids: Vec<String> = set.inputs().into_iter().map(|i| i.id).collect();
    set.pairs
        .iter()
        .filter(|p| {
            let (a, b) = (cluster_of.get(ids[p.a].as_str()), cluster_of.get(ids[p.b].as_str()));
            let together = a.is_some() && a == b;
            together != p.same
        })
        .map(|p| (p.kind.as_str(), p.same, set.keywords[p.a].0.as_str(), set.keywords[p.b].0.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::cluster::Group;

    const TUNING_FLOOR: f64 = 0.70;

    const TINY: &str = "# niche: x\n## t1\nalpha one\nalpha two\n## t2\nbeta\n## t3\ngamma\npair synonym same | alpha one | alpha two\npair intent diff | beta | gamma\n";

    fn group(ids: &[&str]) -> Group {
        Group { name: ids[0].into(), keyword_ids: ids.iter().map(|s| s.to_string()).collect(), total_volume: 0 }
    }

    #[test]
    fn perfect_and_wrong_groupings_score_as_expected() {
        let set = LabelledSet::parse(TINY).unwrap();
        assert_eq!(set.keywords.len(), 4);
        assert_eq!(set.topics(), 3);
        let perfect = Grouping { groups: vec![group(&["k0000", "k0001"])], unclustered: vec!["k0002".into(), "k0003".into()] };
        let s = score(&set, &perfect);
        assert!((s.ari - 1.0).abs() < 1e-9 && (s.f1 - 1.0).abs() < 1e-9, "{s:?}");
        assert!(s.kinds.iter().all(|k| k.right == k.total));
        // everything in one group: recall 1, precision 1/6, ARI 0, both pairs judged
        let lumped = Grouping { groups: vec![group(&["k0000", "k0001", "k0002", "k0003"])], unclustered: vec![] };
        let s = score(&set, &lumped);
        assert!((s.recall - 1.0).abs() < 1e-9 && (s.precision - 1.0 / 6.0).abs() < 1e-9, "{s:?}");
        assert!(s.ari.abs() < 1e-9, "{s:?}");
        assert_eq!(s.kinds, vec![
            KindScore { kind: "intent".into(), right: 0, total: 1 },
            KindScore { kind: "synonym".into(), right: 1, total: 1 },
        ]);
        assert_eq!(misses(&set, &lumped), vec![("intent", false, "beta", "gamma")]);
    }

    #[test]
    fn bad_fixtures_are_refused_with_the_line() {
        for (text, err) in [
            ("alpha\n", "line 1: keyword outside a topic"),
            ("## t\na\na\n", "line 3: duplicate keyword"),
            ("## t\na\npair x same | a | b\n", "line 3: unknown keyword"),
            ("## t\na\nb\npair x diff | a | b\n", "line 4: the pair is marked diff"),
            ("## t\na\npair x maybe | a | a\n", "line 3: expected"),
        ] {
            let e = LabelledSet::parse(text).unwrap_err();
            assert!(e.starts_with(err), "{text:?} → {e}");
        }
    }

    fn fixture(name: &str) -> LabelledSet {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/clustering");
        LabelledSet::parse(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    }

    /// The tuning half only (the held-out half is scored by the bench):
    /// a floor well under the measured figures, so a regression fails here
    /// before anyone runs the bench. `--nocapture` prints the misses.
    #[test]
    fn the_tuning_half_scores_above_its_floor() {
        use crate::planner::cluster::{ClusterParams, group_keywords};
        let set = fixture("tuning.txt");
        if let Ok(list) = std::env::var("CLUSTER_SWEEP") {
            for t in list.split(',').filter_map(|t| t.parse::<f32>().ok()) {
                let g = group_keywords(&set.inputs(), &ClusterParams { threshold: t, ..Default::default() });
                let s = score(&set, &g);
                let kinds: Vec<String> = s.kinds.iter().map(|k| format!("{} {}/{}", k.kind, k.right, k.total)).collect();
                println!("sweep {t:.2}: ARI {:.3} P {:.3} R {:.3} groups {} unclustered {} | {}", s.ari, s.precision, s.recall, s.groups, s.unclustered, kinds.join(", "));
            }
        }
        let g = group_keywords(&set.inputs(), &ClusterParams::default());
        let s = score(&set, &g);
        for (kind, same, a, b) in misses(&set, &g) {
            println!("miss {kind:<11} {} {a:?} / {b:?}", if same { "split " } else { "merged" });
        }
        if std::env::var("CLUSTER_SHOW_GROUPS").is_ok() {
            let names: HashMap<String, &str> = set.inputs().into_iter().map(|i| i.id).zip(set.keywords.iter().map(|k| k.0.as_str())).collect();
            for gr in &g.groups {
                println!("group {:?}", gr.keyword_ids.iter().map(|id| names[id]).collect::<Vec<_>>());
            }
            println!("unclustered {:?}", g.unclustered.iter().map(|id| names[id]).collect::<Vec<_>>());
        }
        println!("{s:?}");
        assert!(s.ari >= TUNING_FLOOR, "{s:?}");
    }

    #[test]
    fn the_repository_fixtures_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/clustering");
        let mut total = 0;
        for f in ["tuning.txt", "heldout.txt"] {
            let set = LabelledSet::parse(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap();
            let niches: std::collections::HashSet<&str> = set.keywords.iter().map(|k| k.2.as_str()).collect();
            assert!(niches.len() >= 6, "{f}: {} niches", niches.len());
            let kinds: std::collections::HashSet<&str> = set.pairs.iter().map(|p| p.kind.as_str()).collect();
            assert_eq!(kinds.len(), 8, "{f}: every hard-pair kind present: {kinds:?}");
            total += set.keywords.len();
        }
        assert!(total >= 800, "{total} keywords");
    }
}
