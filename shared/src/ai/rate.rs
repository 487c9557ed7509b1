//! The provider request-rate limit, shared by every concurrent worker: one
//! counter item per provider and minute, incremented with a condition
//! (`calls < rpm`). A caller over the limit waits for the next minute.
//!
//! The HTTP providers take a slot before *every* request they send — chat and
//! images, first tries and retries alike — through [`StoreGate`], which
//! [`crate::AppState::providers`] attaches; chat and image calls of one
//! provider (OpenAI) share its budget.

use crate::ai::provider::{Gate, ProviderError, RateGate};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::{Store, keys};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Waits until a request to `provider` fits in its per-minute budget, at most
/// `max_wait`. Returns whether a slot was obtained.
pub async fn acquire(state: &AppState, provider: &str, rpm: u32, max_wait: Duration) -> AppResult<bool> {
    acquire_in(&state.store, provider, rpm, max_wait).await
}

async fn acquire_in(store: &Store, provider: &str, rpm: u32, max_wait: Duration) -> AppResult<bool> {
    let started = std::time::Instant::now();
    loop {
        let now = crate::ids::now_epoch();
        let minute = now / 60;
        let values = HashMap::from([
            (":one".to_string(), AttributeValue::N("1".into())),
            (":rpm".to_string(), AttributeValue::N(rpm.to_string())),
            (":ttl".to_string(), AttributeValue::N((minute * 60 + 180).to_string())),
        ]);
        let got = store
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

/// The gate of the HTTP providers: each request takes a slot of the
/// provider's per-minute budget, waiting at most `max_wait` for one; beyond
/// that the call fails as retryable (the job is tried again later).
pub struct StoreGate {
    pub store: Store,
    pub rpm: u32,
    pub max_wait: Duration,
}

impl StoreGate {
    pub fn gate(store: Store, rpm: u32) -> Gate {
        Gate(Some(Arc::new(Self { store, rpm, max_wait: Duration::from_secs(90) })))
    }
}

impl RateGate for StoreGate {
    fn acquire<'a>(&'a self, provider: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            match acquire_in(&self.store, provider, self.rpm, self.max_wait).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(ProviderError::Retryable {
                    message: format!("the provider's limit of {} requests per minute is reached", self.rpm),
                    retry_after_secs: Some(60),
                }),
                Err(e) => Err(ProviderError::Retryable { message: format!("rate limiter: {e:?}"), retry_after_secs: None }),
            }
        })
    }
}
