//! The functions the local runtime runs in process, by their template logical
//! id. Adding a function = one crate, its template resource, one line here.

use futures::future::BoxFuture;
use igny8::AppState;
use lambda_http::{Body, Request, Response};
use std::sync::Arc;

pub type HttpHandler = fn(Arc<AppState>, Request) -> BoxFuture<'static, Response<Body>>;

/// HTTP functions: template logical id → handler.
pub fn http_functions() -> Vec<(&'static str, HttpHandler)> {
    vec![
        ("HealthFunction", |s, r| Box::pin(igny8_health::handle(s, r))),
        ("AuthFunction", |s, r| Box::pin(igny8_auth::handle(s, r))),
        ("AccountsFunction", |s, r| Box::pin(igny8_accounts::handle(s, r))),
        ("SitesFunction", |s, r| Box::pin(igny8_sites::handle(s, r))),
        ("JobsFunction", |s, r| Box::pin(igny8_jobs::handle(s, r))),
        ("CreditsFunction", |s, r| Box::pin(igny8_credits::handle(s, r))),
        ("PlannerFunction", |s, r| Box::pin(igny8_planner::handle(s, r))),
        ("WriterFunction", |s, r| Box::pin(igny8_writer::handle(s, r))),
        ("IntegrationFunction", |s, r| Box::pin(igny8_integration::handle(s, r))),
        ("DocsFunction", |s, r| Box::pin(igny8_docs::handle(s, r))),
        ("AutomationFunction", |s, r| Box::pin(igny8_automation::handle(s, r))),
    ]
}

/// Event functions the local runtime drives itself (queue worker, scheduler target).
pub const EVENT_FUNCTIONS: &[&str] = &["AiWorkerFunction", "PublishWorkerFunction", "AutomationRunnerFunction", "BillingFunction", "JobSweeperFunction"];
