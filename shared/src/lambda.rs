//! Bootstraps for the Lambda runtime, so each function's `main.rs` is a few
//! lines: initialise logs, build [`AppState`] once per cold start, serve.

use crate::state::{AppState, Secrets};
use lambda_http::{Body, Request, Response};
use std::future::Future;
use std::sync::Arc;

pub type BootError = Box<dyn std::error::Error + Send + Sync>;

/// Runs an HTTP function: `handle(state, request)` per invocation.
pub async fn run_http<F, Fut>(secrets: Secrets, handle: F) -> Result<(), BootError>
where
    F: Fn(Arc<AppState>, Request) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    crate::log::init();
    let state = Arc::new(AppState::from_env(secrets).await?);
    lambda_http::run(lambda_http::service_fn(move |req: Request| {
        let state = state.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(state, req).await) }
    }))
    .await
}

/// Runs an event function (SQS, Scheduler): `handle(state, event)` per invocation.
pub async fn run_event<E, R, F, Fut>(secrets: Secrets, handle: F) -> Result<(), BootError>
where
    E: serde::de::DeserializeOwned + Send + 'static,
    R: serde::Serialize + Send + 'static,
    F: Fn(Arc<AppState>, E) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<R, BootError>> + Send + 'static,
{
    crate::log::init();
    let state = Arc::new(AppState::from_env(secrets).await?);
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<E>| {
        let state = state.clone();
        async move { handle(state, event.payload).await }
    }))
    .await
}
