//! Billing: EventBridge Scheduler invokes it at the start of each month
//! (input `{}` or `{"period": "YYYY-MM"}` to re-run a period). Every active
//! account's plan credits are reset to its plan's monthly credits, exactly once
//! per period: the grant's idempotency key is the period.

use igny8::AppState;
use igny8::credits::GrantReport;
use serde::Deserialize;
use std::sync::Arc;

pub const FUNCTION: &str = "billing";

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MonthlyGrant {
    #[serde(default)]
    pub period: Option<String>,
}

pub async fn handle(state: Arc<AppState>, input: MonthlyGrant) -> Result<GrantReport, igny8::lambda::BootError> {
    let period = match input.period {
        Some(p) => {
            let ok = p.len() == 7 && p.as_bytes()[4] == b'-' && p[..4].parse::<u16>().is_ok() && p[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
            if !ok {
                return Err(format!("period must be YYYY-MM, got {p:?}").into());
            }
            p
        }
        None => igny8::credits::period_of(&igny8::ids::now_rfc3339()),
    };
    let report = igny8::credits::grant_all(&state, &period).await.map_err(|e| format!("{e:?}"))?;
    tracing::info!(?report, "monthly grant");
    Ok(report)
}
