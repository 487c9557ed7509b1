//! Typed configuration, read from the environment once per cold start.
//!
//! Every variable is documented in the README's configuration table. The same
//! binaries run in AWS and locally; locally `AWS_ENDPOINT_URL` points the SDK at
//! the emulator (moto server) started by `cargo xtask dev` / the test harness.

use std::collections::HashMap;

/// Where the code runs. In AWS every secret and provider must be explicit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Local,
    Aws,
}

#[derive(Clone)]
pub struct Config {
    pub environment: Environment,
    pub region: String,
    /// Override for every AWS service endpoint (the emulator locally).
    pub aws_endpoint_url: Option<String>,
    pub table_name: String,
    pub bucket_name: Option<String>,
    pub ai_jobs_queue_url: Option<String>,
    /// Secret used to sign JWTs and pagination cursors. Locally from
    /// `JWT_SECRET`; in AWS from Secrets Manager (`JWT_SECRET_ARN`), resolved by
    /// [`crate::AppState::from_env`].
    pub jwt_secret: Option<String>,
    pub jwt_secret_arn: Option<String>,
    /// Largest accepted request body, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// The Lambda function name (or the local function name), for logs.
    pub function_name: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("environment", &self.environment)
            .field("region", &self.region)
            .field("aws_endpoint_url", &self.aws_endpoint_url)
            .field("table_name", &self.table_name)
            .field("bucket_name", &self.bucket_name)
            .field("ai_jobs_queue_url", &self.ai_jobs_queue_url)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<redacted>"))
            .field("jwt_secret_arn", &self.jwt_secret_arn)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("function_name", &self.function_name)
            .finish()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing required environment variable {0}")]
    Missing(&'static str),
    #[error("invalid value for {name}: {message}")]
    Invalid { name: &'static str, message: String },
}

pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
pub const DEFAULT_REGION: &str = "us-east-1";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_vars(&vars)
    }

    /// Reads configuration from a map of variables (the environment, or a test's map).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |k: &str| vars.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let environment = match get("IGNY8_ENV").as_deref() {
            None | Some("local") => Environment::Local,
            Some("aws") => Environment::Aws,
            Some(other) => {
                return Err(ConfigError::Invalid { name: "IGNY8_ENV", message: format!("expected local or aws, got {other:?}") });
            }
        };
        let table_name = get("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?;
        let max_body_bytes = match get("MAX_BODY_BYTES") {
            None => DEFAULT_MAX_BODY_BYTES,
            Some(v) => v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| ConfigError::Invalid {
                name: "MAX_BODY_BYTES",
                message: format!("expected a positive integer, got {v:?}"),
            })?,
        };
        let jwt_secret = get("JWT_SECRET");
        let jwt_secret_arn = get("JWT_SECRET_ARN");
        if environment == Environment::Aws && jwt_secret.is_none() && jwt_secret_arn.is_none() {
            return Err(ConfigError::Missing("JWT_SECRET_ARN"));
        }
        if let Some(s) = &jwt_secret {
            if s.len() < 32 {
                return Err(ConfigError::Invalid { name: "JWT_SECRET", message: "must be at least 32 characters".into() });
            }
        }
        Ok(Self {
            environment,
            region: get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")).unwrap_or_else(|| DEFAULT_REGION.into()),
            aws_endpoint_url: get("AWS_ENDPOINT_URL"),
            table_name,
            bucket_name: get("BUCKET_NAME"),
            ai_jobs_queue_url: get("AI_JOBS_QUEUE_URL"),
            jwt_secret,
            jwt_secret_arn,
            max_body_bytes,
            function_name: get("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "local".into()),
        })
    }

    /// Configuration for the local runtime and tests: everything explicit, the
    /// emulator as the endpoint.
    pub fn local(endpoint: &str, table_name: &str, jwt_secret: &str) -> Self {
        Self {
            environment: Environment::Local,
            region: DEFAULT_REGION.into(),
            aws_endpoint_url: Some(endpoint.into()),
            table_name: table_name.into(),
            bucket_name: None,
            ai_jobs_queue_url: None,
            jwt_secret: Some(jwt_secret.into()),
            jwt_secret_arn: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            function_name: "local".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn table_name_is_required() {
        assert_eq!(Config::from_vars(&vars(&[])).unwrap_err(), ConfigError::Missing("TABLE_NAME"));
    }

    #[test]
    fn aws_refuses_to_start_without_a_jwt_secret() {
        let err = Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("IGNY8_ENV", "aws")])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("JWT_SECRET_ARN"));
        let ok = Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("IGNY8_ENV", "aws"), ("JWT_SECRET_ARN", "arn:x")]));
        assert!(ok.is_ok());
    }

    #[test]
    fn defaults_and_parsing() {
        let c = Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("MAX_BODY_BYTES", "2048"), ("AWS_REGION", "eu-west-1")])).unwrap();
        assert_eq!(c.max_body_bytes, 2048);
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.environment, Environment::Local);
        let err = Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("MAX_BODY_BYTES", "lots")])).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name: "MAX_BODY_BYTES", .. }));
        let err = Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("JWT_SECRET", "short")])).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name: "JWT_SECRET", .. }));
    }

    #[test]
    fn debug_output_redacts_the_secret() {
        let c = Config::local("http://127.0.0.1:1", "t", "0123456789abcdef0123456789abcdef");
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
    }
}
