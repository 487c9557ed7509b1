//! Job sweeper: EventBridge Scheduler invokes it every few minutes (input
//! `{}`). Running jobs past their lease — their worker crashed or timed out
//! and no delivery will finish them in time — are failed and their reserved
//! credits released in the same transaction; queued jobs waiting past the
//! resend time get their message sent again (a lost send). Returns an error
//! when any job could not be swept, so the schedule's retry policy runs it
//! again (each step is idempotent).

use igny8::AppState;
use igny8::jobs::SweepReport;
use serde::Deserialize;
use std::sync::Arc;

pub const FUNCTION: &str = "job-sweeper";

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Sweep {
    /// Epoch seconds to sweep as of (tests and replays); default now.
    #[serde(default)]
    pub now: Option<i64>,
}

pub async fn handle(state: Arc<AppState>, input: Sweep) -> Result<SweepReport, igny8::lambda::BootError> {
    let now = input.now.unwrap_or_else(igny8::ids::now_epoch);
    let report = igny8::jobs::sweep(&state, now).await.map_err(|e| format!("{e:?}"))?;
    tracing::info!(?report, "job sweep");
    if report.errors > 0 {
        return Err(format!("{} job(s) could not be swept; the last error: {}", report.errors, report.last_error.as_deref().unwrap_or("-")).into());
    }
    Ok(report)
}
