//! Job sweeper: EventBridge Scheduler invokes it every few minutes (input
//! `{}`). Running jobs past their lease — their worker crashed or timed out
//! and no delivery will finish them in time — are failed and their reserved
//! credits released in the same transaction; queued jobs waiting past the
//! resend time get their message sent again (a lost send). Returns an error
//! when any job could not be swept, so the schedule's retry policy runs it
//! again (each step is idempotent).
//!
//! Once a day (input `{"reconcile_schedules": true}`) it also runs the
//! automation schedules' reconcile sweep: every rule that wants a schedule
//! is compared with its EventBridge Scheduler schedule, which is made to
//! match the rule (the store is the source of truth).

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
    /// The daily automation schedule reconcile instead of the job sweep.
    #[serde(default)]
    pub reconcile_schedules: bool,
}

pub async fn handle(state: Arc<AppState>, input: Sweep) -> Result<SweepReport, igny8::lambda::BootError> {
    if input.reconcile_schedules {
        let r = igny8::automation::schedule::reconcile_all(&state).await.map_err(|e| format!("{e:?}"))?;
        tracing::info!(?r, "automation schedule reconcile");
        if r.failed > 0 {
            return Err(format!("{} rule schedule(s) could not be reconciled", r.failed).into());
        }
        return Ok(SweepReport::default());
    }
    let now = input.now.unwrap_or_else(igny8::ids::now_epoch);
    let report = igny8::jobs::sweep(&state, now).await.map_err(|e| format!("{e:?}"))?;
    tracing::info!(?report, "job sweep");
    if report.errors > 0 {
        return Err(format!("{} job(s) could not be swept; the last error: {}", report.errors, report.last_error.as_deref().unwrap_or("-")).into());
    }
    Ok(report)
}
