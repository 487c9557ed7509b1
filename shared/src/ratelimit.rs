//! Request budgets: token buckets in the table, shared by every concurrent
//! Lambda instance (see [`crate::store::Store::bucket_take`]).
//!
//! | budget | subject | where it is taken |
//! |---|---|---|
//! | `account` | the verified token's account | every authenticated request ([`crate::auth::guard::authenticate`], in parallel with the user and account reads) |
//! | `ip` | the caller's IP | every request: unauthenticated ones in the shared request path ([`crate::http`]), authenticated ones with the account budget |
//! | `expensive` | the account | file imports (upload routes) and AI job submissions |
//! | `login-ip` | the caller's IP | sign-in attempts |
//! | `login-fail` | sha256 of the email | every sign-in attempt *before* the password hash check; a success empties it |
//! | `signup-ip`, `signup` | the caller's IP; everyone | registrations |
//!
//! An empty bucket is a 429 `RATE_LIMITED` with `Retry-After`. Limits are
//! configuration ([`LimitsConfig`], environment variables below); API Gateway
//! stage throttling in the template is the coarse outer layer.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::BucketTake;
use crate::store::keys;
use std::collections::HashMap;

/// Request budgets (environment variables in brackets; a budget of `0` turns
/// that budget off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsConfig {
    /// `RATE_LIMITS` = `on` (default) or `off`: every budget below.
    pub enabled: bool,
    /// Requests per minute per account (`RATE_LIMIT_ACCOUNT_PER_MINUTE`, 600).
    pub account_per_minute: u32,
    /// Requests per minute per IP (`RATE_LIMIT_IP_PER_MINUTE`, 600).
    pub ip_per_minute: u32,
    /// Imports and AI submissions per minute per account (`RATE_LIMIT_EXPENSIVE_PER_MINUTE`, 30).
    pub expensive_per_minute: u32,
    /// Sign-in attempts per minute per IP (`RATE_LIMIT_LOGIN_PER_IP_PER_MINUTE`, 30).
    pub login_per_ip_per_minute: u32,
    /// Sign-in attempts per email before a lock-out (`LOGIN_MAX_FAILURES`, 5),
    /// refilled over `LOGIN_WINDOW_SECS` (900).
    pub login_max_failures: u32,
    pub login_window_secs: u32,
    /// Registrations per hour per IP (`SIGNUP_PER_IP_PER_HOUR`, 5) and in
    /// total (`SIGNUP_GLOBAL_PER_HOUR`, 500).
    pub signup_per_ip_per_hour: u32,
    pub signup_global_per_hour: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            account_per_minute: 600,
            ip_per_minute: 600,
            expensive_per_minute: 30,
            login_per_ip_per_minute: 30,
            login_max_failures: 5,
            login_window_secs: 15 * 60,
            signup_per_ip_per_hour: 5,
            signup_global_per_hour: 500,
        }
    }
}

impl LimitsConfig {
    /// Reads the variables above (absent ones keep their defaults).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, crate::config::ConfigError> {
        let d = Self::default();
        let get = |k: &str| vars.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let num = |k: &'static str, default: u32| -> Result<u32, crate::config::ConfigError> {
            match get(k) {
                None => Ok(default),
                Some(v) => v.parse::<u32>().map_err(|_| crate::config::ConfigError::Invalid {
                    name: k,
                    message: format!("expected a non-negative integer, got {v:?}"),
                }),
            }
        };
        let enabled = match get("RATE_LIMITS").as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("on") | Some("true") | Some("1") => true,
            Some("off") | Some("false") | Some("0") => false,
            Some(other) => {
                return Err(crate::config::ConfigError::Invalid { name: "RATE_LIMITS", message: format!("expected on or off, got {other:?}") });
            }
        };
        Ok(Self {
            enabled,
            account_per_minute: num("RATE_LIMIT_ACCOUNT_PER_MINUTE", d.account_per_minute)?,
            ip_per_minute: num("RATE_LIMIT_IP_PER_MINUTE", d.ip_per_minute)?,
            expensive_per_minute: num("RATE_LIMIT_EXPENSIVE_PER_MINUTE", d.expensive_per_minute)?,
            login_per_ip_per_minute: num("RATE_LIMIT_LOGIN_PER_IP_PER_MINUTE", d.login_per_ip_per_minute)?,
            login_max_failures: num("LOGIN_MAX_FAILURES", d.login_max_failures)?.max(1),
            login_window_secs: num("LOGIN_WINDOW_SECS", d.login_window_secs)?.max(1),
            signup_per_ip_per_hour: num("SIGNUP_PER_IP_PER_HOUR", d.signup_per_ip_per_hour)?,
            signup_global_per_hour: num("SIGNUP_GLOBAL_PER_HOUR", d.signup_global_per_hour)?,
        })
    }

    /// Budgets so generous nothing trips them (the shared test gateway).
    pub fn generous() -> Self {
        Self {
            account_per_minute: 1_000_000,
            ip_per_minute: 1_000_000,
            expensive_per_minute: 1_000_000,
            login_per_ip_per_minute: 1_000_000,
            signup_per_ip_per_hour: 1_000_000,
            signup_global_per_hour: 1_000_000,
            ..Self::default()
        }
    }
}

/// One budget: `capacity` requests per `period_secs`, refilled evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub name: &'static str,
    pub capacity: u32,
    pub period_secs: u32,
    /// What the 429 says is limited.
    pub what: &'static str,
}

impl Budget {
    pub fn account(c: &LimitsConfig) -> Self {
        Self { name: "account", capacity: c.account_per_minute, period_secs: 60, what: "requests for this account" }
    }
    pub fn ip(c: &LimitsConfig) -> Self {
        Self { name: "ip", capacity: c.ip_per_minute, period_secs: 60, what: "requests from this address" }
    }
    pub fn expensive(c: &LimitsConfig) -> Self {
        Self { name: "expensive", capacity: c.expensive_per_minute, period_secs: 60, what: "imports and AI jobs for this account" }
    }
    pub fn login_ip(c: &LimitsConfig) -> Self {
        Self { name: "login-ip", capacity: c.login_per_ip_per_minute, period_secs: 60, what: "sign-in attempts from this address" }
    }
    pub fn login_email(c: &LimitsConfig) -> Self {
        Self { name: "login-fail", capacity: c.login_max_failures, period_secs: c.login_window_secs, what: "failed sign-in attempts" }
    }
    pub fn signup_ip(c: &LimitsConfig) -> Self {
        Self { name: "signup-ip", capacity: c.signup_per_ip_per_hour, period_secs: 3600, what: "sign-ups from this address" }
    }
    pub fn signup_global(c: &LimitsConfig) -> Self {
        Self { name: "signup", capacity: c.signup_global_per_hour, period_secs: 3600, what: "sign-ups right now" }
    }

    fn key(&self, subject: &str) -> keys::Key {
        keys::rate_bucket(self.name, self.capacity, self.period_secs, subject)
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

/// Takes one request from `budget` for `subject`; 429 `RATE_LIMITED` with
/// `Retry-After` when the bucket is empty. A disabled or zero budget always passes.
pub async fn take(state: &AppState, budget: Budget, subject: &str) -> AppResult<()> {
    if !state.config.limits.enabled || budget.capacity == 0 {
        return Ok(());
    }
    let interval_ms = (i64::from(budget.period_secs) * 1000 / i64::from(budget.capacity)).max(1);
    match state.store.bucket_take(&budget.key(subject), budget.capacity, interval_ms, now_ms()).await? {
        BucketTake::Taken => Ok(()),
        BucketTake::Empty { retry_after_ms } => {
            let retry_after_secs = (retry_after_ms.max(0) as u64).div_ceil(1000).max(1);
            tracing::warn!(budget = budget.name, retry_after_secs, "rate limited");
            Err(AppError::RateLimited {
                message: format!("too many {} (at most {} per {}); try again in {retry_after_secs} seconds", budget.what, budget.capacity, period_words(budget.period_secs)),
                retry_after_secs,
            })
        }
    }
}

/// Empties a budget's record for `subject` (a full bucket again).
pub async fn reset(state: &AppState, budget: Budget, subject: &str) -> AppResult<()> {
    state.store.delete(&budget.key(subject)).await.map(|_| ())
}

fn period_words(secs: u32) -> String {
    match secs {
        60 => "minute".into(),
        3600 => "hour".into(),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

/// The caller's address as a bucket subject.
pub fn ip_subject(ip: Option<&str>) -> &str {
    ip.filter(|s| !s.is_empty()).unwrap_or("unknown")
}

/// The budget of imports and AI submissions, for an authenticated account.
pub async fn expensive(state: &AppState, account_id: &str) -> AppResult<()> {
    take(state, Budget::expensive(&state.config.limits), account_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn limits_have_defaults_and_parse_from_the_environment() {
        assert_eq!(LimitsConfig::from_vars(&vars(&[])).unwrap(), LimitsConfig::default());
        let c = LimitsConfig::from_vars(&vars(&[("RATE_LIMITS", "off"), ("SIGNUP_PER_IP_PER_HOUR", "2"), ("LOGIN_MAX_FAILURES", "3")])).unwrap();
        assert!(!c.enabled);
        assert_eq!((c.signup_per_ip_per_hour, c.login_max_failures), (2, 3));
        assert!(LimitsConfig::from_vars(&vars(&[("RATE_LIMIT_IP_PER_MINUTE", "lots")])).is_err());
        assert!(LimitsConfig::from_vars(&vars(&[("RATE_LIMITS", "maybe")])).is_err());
    }

    #[test]
    fn a_changed_rate_is_a_different_bucket() {
        let c = LimitsConfig::default();
        let a = Budget::account(&c).key("A");
        let b = Budget::account(&LimitsConfig { account_per_minute: 10, ..c }).key("A");
        assert_ne!(a, b);
        assert!(a.pk.starts_with("RL#account#600/60#"));
        assert_eq!(period_words(900), "15 minutes");
    }
}
