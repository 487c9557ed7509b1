//! The local gateway's routes and the template's routes agree: every template
//! route reaches a handler the gateway knows, every handler is reachable, every
//! route a function serves is routed to that function, and every function in
//! the template is a binary of this workspace.

use std::collections::BTreeSet;
use xtask::template;

#[tokio::test]
async fn every_template_route_has_an_in_process_handler_and_back() {
    let text = template::load_text().unwrap();
    let routes = template::http_routes(&text).unwrap();
    assert!(!routes.is_empty());
    let known: BTreeSet<&str> = xtask::functions::http_functions().iter().map(|(id, _)| *id).collect();
    let routed: BTreeSet<&str> = routes.iter().map(|r| r.function.as_str()).collect();
    assert_eq!(known, routed, "gateway handlers vs template HttpApi functions");
    assert!(routes.iter().any(|r| r.path == "$default"), "the template must have a $default route");
}

#[tokio::test]
async fn each_function_router_pattern_is_routed_to_that_function() {
    let state = igny8_e2e::env().state().await;
    let gw = xtask::gateway::Gateway::from_template(state).unwrap();
    let cases: Vec<(&str, Vec<(String, String)>)> = vec![
        ("HealthFunction", igny8_health::router().patterns()),
        ("AuthFunction", igny8_auth::router().patterns()),
        ("AccountsFunction", igny8_accounts::router().patterns()),
        ("SitesFunction", igny8_sites::router().patterns()),
        ("JobsFunction", igny8_jobs::router().patterns()),
        ("CreditsFunction", igny8_credits::router().patterns()),
        ("PlannerFunction", igny8_planner::router().patterns()),
        ("WriterFunction", igny8_writer::router().patterns()),
        ("IntegrationFunction", igny8_integration::router().patterns()),
        ("AutomationFunction", igny8_automation::router().patterns()),
    ];
    for (function, patterns) in cases {
        for (method, pattern) in patterns {
            let path = pattern.replace(['{', '}'], "");
            assert!(path.starts_with("/api/v1/"), "{pattern}");
            for p in [path.clone(), format!("{path}/")] {
                let (got, key) = gw.function_for(&method, &p).unwrap_or_else(|| panic!("{method} {p} unrouted"));
                assert_eq!(got, function, "{method} {p} went to {got} via {key}");
            }
        }
    }
    // Unknown paths fall to $default (the health function answers them with a 404 envelope).
    assert_eq!(gw.function_for("GET", "/api/v1/nope").map(|f| f.1), Some("$default".to_string()));
}

#[test]
fn every_template_function_is_a_workspace_binary() {
    let text = template::load_text().unwrap();
    let root = xtask::repo_root();
    let mut bins = BTreeSet::new();
    for entry in std::fs::read_dir(root.join("functions")).unwrap() {
        let manifest = std::fs::read_to_string(entry.unwrap().path().join("Cargo.toml")).unwrap();
        for line in manifest.lines() {
            if let Some(name) = line.strip_prefix("name = \"").and_then(|l| l.strip_suffix('"')) {
                bins.insert(name.to_string());
            }
        }
    }
    for (id, binary) in template::functions(&text).unwrap() {
        assert!(bins.contains(&binary), "{id} builds binary {binary:?}, which no functions/* crate defines");
    }
    for id in xtask::functions::EVENT_FUNCTIONS {
        assert!(template::functions(&text).unwrap().iter().any(|(f, _)| f == id), "{id} missing from the template");
    }
}
