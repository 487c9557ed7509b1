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
    outcome(report)
}

/// The invocation's result: an error when any account's grant failed, so
/// Lambda retries the asynchronous invocation and, after its retries, sends
/// it to the on-failure destination (the template's BillingDeadLetterQueue).
/// A retry is safe: grants already made are idempotent per period.
pub fn outcome(report: GrantReport) -> Result<GrantReport, igny8::lambda::BootError> {
    if report.failed > 0 {
        tracing::error!(?report, "monthly grant failed for some accounts; failing the invocation so it is retried");
        return Err(format!(
            "monthly grant {}: {} of {} account(s) failed ({} granted, {} already granted); the retry grants only what is missing",
            report.period, report.failed, report.accounts, report.granted, report.already_granted
        )
        .into());
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_grant_fails_the_invocation_so_it_is_retried() {
        let report = |failed| GrantReport { period: "2099-01".into(), accounts: 3, granted: 2 - failed, already_granted: 1, failed };
        assert_eq!(outcome(report(0)).unwrap(), report(0));
        let err = outcome(report(1)).unwrap_err().to_string();
        assert!(err.contains("1 of 3 account(s) failed"), "{err}");
    }
}
