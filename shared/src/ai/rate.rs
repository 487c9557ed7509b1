//! The provider request-rate limit, shared by every concurrent worker: one
//! counter item per provider and minute, incremented with a condition
//! (`calls < rpm`). A caller over the limit waits for the next minute.

use crate::error::AppResult;
use crate::state::AppState;
use crate::store::keys;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::time::Duration;

/// Waits until a request to `provider` fits in its per-minute budget, at most
/// `max_wait`. Returns whether a slot was obtained.
pub async fn acquire(state: &AppState, provider: &str, rpm: u32, max_wait: Duration) -> AppResult<bool> {
    let started = std::time::Instant::now();
    loop {
        let now = crate::ids::now_epoch();
        let minute = now / 60;
        let values = HashMap::from([
            (":one".to_string(), AttributeValue::N("1".into())),
            (":rpm".to_string(), AttributeValue::N(rpm.to_string())),
            (":ttl".to_string(), AttributeValue::N((minute * 60 + 180).to_string())),
        ]);
        let got = state
            .store
            .update_raw(
                &keys::provider_rate(provider, minute),
                "ADD calls :one SET #ttl = :ttl",
                Some("attribute_not_exists(calls) OR calls < :rpm"),
                &[("#ttl", "ttl")],
                values,
            )
            .await?;
        if got.is_some() {
            return Ok(true);
        }
        let until_next_minute = Duration::from_secs(((minute + 1) * 60 - now).max(1) as u64);
        if started.elapsed() + until_next_minute > max_wait {
            return Ok(false);
        }
        tokio::time::sleep(until_next_minute + crate::store::backoff(3)).await;
    }
}
