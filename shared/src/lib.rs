//! IGNY8 domain crate (`igny8`).
//!
//! Everything a Lambda function needs besides its own routes lives here:
//! configuration ([`config`]), the one error type ([`error`]), the one response
//! envelope ([`envelope`]), the request path ([`http`]), AWS clients
//! ([`state`]), the single-table store ([`store`]) and the job runner ([`jobs`]).
//! Functions stay thin: parse, authorize, call into this crate, wrap the result.

pub mod accounts;
pub mod ai;
pub mod audit;
pub mod automation;
pub mod blobs;
pub mod auth;
pub mod config;
pub mod credits;
pub mod envelope;
pub mod error;
pub mod health;
pub mod http;
pub mod integration;
pub mod ids;
pub mod jobs;
pub mod lambda;
pub mod log;
pub mod mail;
pub mod openapi;
pub mod state;
pub mod planner;
pub mod plans;
pub mod ratelimit;
pub mod sites;
pub mod store;
pub mod writer;

pub use config::Config;
pub use error::{AppError, AppResult, FieldError};
pub use state::AppState;

/// The crate (and platform) version reported by the health endpoint.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
