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
    /// ARN of the `ai-jobs` dead-letter queue (`AI_JOBS_DLQ_ARN`): the worker
    /// treats a record as a dead letter when its event source ARN is this one.
    pub ai_jobs_dlq_arn: Option<String>,
    /// Secrets Manager secret holding the provider keys as JSON
    /// (`PROVIDER_SECRET_ARN`), read at the AI worker's cold start.
    pub provider_secret_arn: Option<String>,
    /// Secret used to sign JWTs and pagination cursors. Locally from
    /// `JWT_SECRET`; in AWS from Secrets Manager (`JWT_SECRET_ARN`), resolved by
    /// [`crate::AppState::from_env`].
    pub jwt_secret: Option<String>,
    pub jwt_secret_arn: Option<String>,
    /// Largest accepted request body, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// Keyword imports with more rows than this always run as a job
    /// (`IMPORT_SYNC_MAX_ROWS`); below it the measured per-row cost decides
    /// (see `planner::keywords::fits_in_request`).
    pub import_sync_max_rows: usize,
    /// Seconds a site or sector delete job works in one delivery before it
    /// pauses and continues in a fresh message (`DELETE_SLICE_SECS`; below the
    /// worker's timeout). Each delivery does at least one batch (0: exactly one).
    pub delete_slice_secs: u64,
    /// The Lambda function name (or the local function name), for logs.
    pub function_name: String,
    /// AI providers and credit costs.
    pub ai: AiConfig,
    pub costs: CreditCosts,
    // --- request budgets and sign-up/sign-in throttles (issue 10, items 4, 5, 12) ---
    /// Rate limits: `RATE_LIMITS`, `RATE_LIMIT_*`, `SIGNUP_*_PER_HOUR`,
    /// `LOGIN_MAX_FAILURES`, `LOGIN_WINDOW_SECS` ([`crate::ratelimit::LimitsConfig`]).
    pub limits: crate::ratelimit::LimitsConfig,
    // --- integrations (issue 14) ---
    /// The KMS key integration credentials are envelope-encrypted under
    /// (`SECRETS_KEY_ID`: key id, ARN or alias).
    pub secrets_key_id: Option<String>,
    /// Publish jobs queue (`PUBLISH_QUEUE_URL`).
    pub publish_queue_url: Option<String>,
    /// ARN of the publish dead-letter queue (`PUBLISH_DLQ_ARN`): the publish
    /// worker fails the jobs of records from it.
    pub publish_dlq_arn: Option<String>,
    /// ARN of the publish queue (`PUBLISH_QUEUE_ARN`): the target of the
    /// one-time schedules of scheduled publishes.
    pub publish_queue_arn: Option<String>,
    /// Outbound requests to user-supplied URLs may reach private, loopback
    /// and link-local addresses (`OUTBOUND_ALLOW_PRIVATE=1`): only for local
    /// runs and tests, whose WordPress is on 127.0.0.1. Never set in AWS.
    pub outbound_allow_private: bool,
    // --- automation (issue 15) ---
    /// EventBridge Scheduler group holding the rules' schedules
    /// (`SCHEDULE_GROUP_NAME`); without it no schedule is managed.
    pub schedule_group_name: Option<String>,
    /// Role the schedules assume to invoke the runner (`SCHEDULER_ROLE_ARN`).
    pub scheduler_role_arn: Option<String>,
    /// The automation runner's ARN, the schedules' target (`AUTOMATION_RUNNER_ARN`).
    pub automation_runner_arn: Option<String>,
    /// Queue of domain events for event-triggered rules (`AUTOMATION_EVENTS_QUEUE_URL`);
    /// without it no event is sent.
    pub automation_events_queue_url: Option<String>,
}

/// Which providers the workers use. In AWS the chat provider must be chosen
/// explicitly (`AI_PROVIDER`); locally it defaults to `offline` when no
/// OpenAI key is configured.
#[derive(Clone, Debug, PartialEq)]
pub struct AiConfig {
    pub chat_provider: String,
    pub openai_base_url: String,
    pub openai_api_key: Option<String>,
    pub openai_model: String,
    pub image_provider: String,
    pub runware_base_url: String,
    pub runware_api_key: Option<String>,
    pub runware_model: String,
    pub openai_image_model: String,
    /// Deliveries of a job message before the job is failed for good
    /// (the queue's maxReceiveCount).
    pub max_attempts: u32,
    /// Provider request timeout in seconds.
    pub timeout_secs: u64,
    /// Jobs one account may have running at once (more wait in the queue).
    pub max_running_per_account: u32,
    /// Provider requests per minute, shared by every concurrent worker.
    pub provider_rpm: u32,
}

impl AiConfig {
    /// The key variables the chosen providers need and do not have.
    pub fn missing_keys(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        let openai = self.chat_provider == "openai" || self.image_provider == "openai";
        if openai && self.openai_api_key.as_deref().is_none_or(|k| k.trim().is_empty()) {
            missing.push("OPENAI_API_KEY");
        }
        if self.image_provider == "runware" && self.runware_api_key.as_deref().is_none_or(|k| k.trim().is_empty()) {
            missing.push("RUNWARE_API_KEY");
        }
        missing
    }

    /// Takes the provider keys from the provider secret's JSON document
    /// (`{"OPENAI_API_KEY": "...", "RUNWARE_API_KEY": "..."}`); keys set in the
    /// environment win.
    pub fn apply_secret(&mut self, json: &str) -> Result<(), ConfigError> {
        let doc: HashMap<String, serde_json::Value> = serde_json::from_str(json).map_err(|e| ConfigError::Invalid {
            name: "PROVIDER_SECRET_ARN",
            message: format!("the secret is not a JSON object of keys: {e}"),
        })?;
        let key = |k: &str| doc.get(k).and_then(|v| v.as_str()).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        if self.openai_api_key.is_none() {
            self.openai_api_key = key("OPENAI_API_KEY");
        }
        if self.runware_api_key.is_none() {
            self.runware_api_key = key("RUNWARE_API_KEY");
        }
        Ok(())
    }

    pub fn offline() -> Self {
        Self {
            chat_provider: "offline".into(),
            openai_base_url: "https://api.openai.com/v1".into(),
            openai_api_key: None,
            openai_model: "gpt-4o-mini".into(),
            image_provider: "offline".into(),
            runware_base_url: "https://api.runware.ai/v1".into(),
            runware_api_key: None,
            runware_model: "runware:100@1".into(),
            openai_image_model: "dall-e-3".into(),
            max_attempts: 5,
            timeout_secs: 60,
            max_running_per_account: 3,
            provider_rpm: 500,
        }
    }
}

/// Credit costs (configuration, not literals in code).
#[derive(Clone, Debug, PartialEq)]
pub struct CreditCosts {
    pub content_per_500_words: f64,
    pub image_prompt: f64,
    pub image_offline: f64,
    pub image_runware: f64,
    pub image_openai: f64,
    pub clustering_per_run: f64,
    pub ideas_per_cluster: f64,
}

impl Default for CreditCosts {
    fn default() -> Self {
        Self {
            content_per_500_words: 1.0,
            image_prompt: 0.5,
            image_offline: 1.0,
            image_runware: 2.0,
            image_openai: 4.0,
            clustering_per_run: 10.0,
            ideas_per_cluster: 1.0,
        }
    }
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
            .field("ai_jobs_dlq_arn", &self.ai_jobs_dlq_arn)
            .field("provider_secret_arn", &self.provider_secret_arn)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<redacted>"))
            .field("jwt_secret_arn", &self.jwt_secret_arn)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("import_sync_max_rows", &self.import_sync_max_rows)
            .field("delete_slice_secs", &self.delete_slice_secs)
            .field("function_name", &self.function_name)
            .field("secrets_key_id", &self.secrets_key_id)
            .field("publish_queue_url", &self.publish_queue_url)
            .field("outbound_allow_private", &self.outbound_allow_private)
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

/// Keyword rows imported within the request; bigger files import as a job.
pub const DEFAULT_IMPORT_SYNC_MAX_ROWS: usize = 50_000;

/// A delete job's time slice: well below the AI worker's 300 s timeout, with
/// room for the batch in flight.
pub const DEFAULT_DELETE_SLICE_SECS: u64 = 200;
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
        if let Some(s) = &jwt_secret
            && s.len() < 32 {
                return Err(ConfigError::Invalid { name: "JWT_SECRET", message: "must be at least 32 characters".into() });
            }
        let num = |k: &'static str, default: f64| -> Result<f64, ConfigError> {
            match get(k) {
                None => Ok(default),
                Some(v) => v.parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0).ok_or_else(|| ConfigError::Invalid {
                    name: k,
                    message: format!("expected a non-negative number, got {v:?}"),
                }),
            }
        };
        let d = CreditCosts::default();
        let costs = CreditCosts {
            content_per_500_words: num("CREDIT_COST_CONTENT_PER_500_WORDS", d.content_per_500_words)?,
            image_prompt: num("CREDIT_COST_IMAGE_PROMPT", d.image_prompt)?,
            image_offline: num("CREDIT_COST_IMAGE_OFFLINE", d.image_offline)?,
            image_runware: num("CREDIT_COST_IMAGE_RUNWARE", d.image_runware)?,
            image_openai: num("CREDIT_COST_IMAGE_OPENAI", d.image_openai)?,
            clustering_per_run: num("CREDIT_COST_CLUSTERING_PER_RUN", d.clustering_per_run)?,
            ideas_per_cluster: num("CREDIT_COST_IDEAS_PER_CLUSTER", d.ideas_per_cluster)?,
        };
        let o = AiConfig::offline();
        let openai_api_key = get("OPENAI_API_KEY");
        let chat_provider = match (get("AI_PROVIDER"), environment) {
            (Some(p), _) => p,
            (None, Environment::Aws) => return Err(ConfigError::Missing("AI_PROVIDER")),
            (None, Environment::Local) => if openai_api_key.is_some() { "openai".into() } else { "offline".into() },
        };
        if !matches!(chat_provider.as_str(), "offline" | "openai") {
            return Err(ConfigError::Invalid { name: "AI_PROVIDER", message: format!("expected offline or openai, got {chat_provider:?}") });
        }
        let image_provider = get("IMAGE_PROVIDER").unwrap_or_else(|| if chat_provider == "offline" { "offline".into() } else { "openai".into() });
        if !matches!(image_provider.as_str(), "offline" | "openai" | "runware") {
            return Err(ConfigError::Invalid { name: "IMAGE_PROVIDER", message: format!("expected offline, openai or runware, got {image_provider:?}") });
        }
        let ai = AiConfig {
            chat_provider,
            openai_base_url: get("OPENAI_BASE_URL").unwrap_or(o.openai_base_url),
            openai_api_key,
            openai_model: get("OPENAI_MODEL").unwrap_or(o.openai_model),
            image_provider,
            runware_base_url: get("RUNWARE_BASE_URL").unwrap_or(o.runware_base_url),
            runware_api_key: get("RUNWARE_API_KEY"),
            runware_model: get("RUNWARE_MODEL").unwrap_or(o.runware_model),
            openai_image_model: get("OPENAI_IMAGE_MODEL").unwrap_or(o.openai_image_model),
            max_attempts: get("AI_MAX_ATTEMPTS").and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(o.max_attempts),
            timeout_secs: get("AI_TIMEOUT_SECS").and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(o.timeout_secs),
            max_running_per_account: get("AI_MAX_RUNNING_JOBS_PER_ACCOUNT").and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(o.max_running_per_account),
            provider_rpm: get("AI_PROVIDER_RPM").and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(o.provider_rpm),
        };
        Ok(Self {
            ai,
            costs,
            environment,
            region: get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")).unwrap_or_else(|| DEFAULT_REGION.into()),
            aws_endpoint_url: get("AWS_ENDPOINT_URL"),
            table_name,
            bucket_name: get("BUCKET_NAME"),
            ai_jobs_queue_url: get("AI_JOBS_QUEUE_URL"),
            ai_jobs_dlq_arn: get("AI_JOBS_DLQ_ARN"),
            provider_secret_arn: get("PROVIDER_SECRET_ARN"),
            jwt_secret,
            jwt_secret_arn,
            max_body_bytes,
            import_sync_max_rows: get("IMPORT_SYNC_MAX_ROWS").and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(DEFAULT_IMPORT_SYNC_MAX_ROWS),
            delete_slice_secs: get("DELETE_SLICE_SECS").and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(DEFAULT_DELETE_SLICE_SECS),
            function_name: get("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "local".into()),
            limits: crate::ratelimit::LimitsConfig::from_vars(vars)?,
            secrets_key_id: get("SECRETS_KEY_ID"),
            publish_queue_url: get("PUBLISH_QUEUE_URL"),
            publish_dlq_arn: get("PUBLISH_DLQ_ARN"),
            publish_queue_arn: get("PUBLISH_QUEUE_ARN"),
            outbound_allow_private: match get("OUTBOUND_ALLOW_PRIVATE").as_deref() {
                None | Some("0") | Some("false") => false,
                Some("1") | Some("true") if environment == Environment::Local => true,
                Some("1") | Some("true") => {
                    return Err(ConfigError::Invalid { name: "OUTBOUND_ALLOW_PRIVATE", message: "private addresses are never allowed in AWS".into() });
                }
                Some(other) => return Err(ConfigError::Invalid { name: "OUTBOUND_ALLOW_PRIVATE", message: format!("expected 0 or 1, got {other:?}") }),
            },
            schedule_group_name: get("SCHEDULE_GROUP_NAME"),
            scheduler_role_arn: get("SCHEDULER_ROLE_ARN"),
            automation_runner_arn: get("AUTOMATION_RUNNER_ARN"),
            automation_events_queue_url: get("AUTOMATION_EVENTS_QUEUE_URL"),
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
            ai_jobs_dlq_arn: None,
            provider_secret_arn: None,
            jwt_secret: Some(jwt_secret.into()),
            jwt_secret_arn: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            import_sync_max_rows: DEFAULT_IMPORT_SYNC_MAX_ROWS,
            delete_slice_secs: DEFAULT_DELETE_SLICE_SECS,
            function_name: "local".into(),
            ai: AiConfig::offline(),
            costs: CreditCosts::default(),
            limits: crate::ratelimit::LimitsConfig::default(),
            secrets_key_id: None,
            publish_queue_url: None,
            publish_dlq_arn: None,
            publish_queue_arn: None,
            outbound_allow_private: false,
            schedule_group_name: None,
            scheduler_role_arn: None,
            automation_runner_arn: None,
            automation_events_queue_url: None,
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
        let err = Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("IGNY8_ENV", "aws"), ("JWT_SECRET_ARN", "arn:x")])).unwrap_err();
        assert_eq!(err, ConfigError::Missing("AI_PROVIDER"), "in AWS the provider must be chosen explicitly");
        let ok = Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("IGNY8_ENV", "aws"), ("JWT_SECRET_ARN", "arn:x"), ("AI_PROVIDER", "openai")]));
        assert!(ok.is_ok());
    }

    #[test]
    fn locally_the_offline_provider_is_used_without_a_key_and_costs_are_configurable() {
        let c = Config::from_vars(&vars(&[("TABLE_NAME", "t")])).unwrap();
        assert_eq!((c.ai.chat_provider.as_str(), c.ai.image_provider.as_str()), ("offline", "offline"));
        let c = Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("OPENAI_API_KEY", "sk-x"), ("CREDIT_COST_IMAGE_PROMPT", "0.25")])).unwrap();
        assert_eq!(c.ai.chat_provider, "openai");
        assert_eq!(c.costs.image_prompt, 0.25);
        assert!(Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("AI_PROVIDER", "magic")])).is_err());
        assert!(Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("CREDIT_COST_IMAGE_PROMPT", "-1")])).is_err());
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
    fn provider_keys_come_from_the_secret_and_missing_ones_are_named() {
        let aws = |extra: &[(&str, &str)]| {
            let mut v = vec![("TABLE_NAME", "t"), ("IGNY8_ENV", "aws"), ("JWT_SECRET_ARN", "arn:x"), ("AI_PROVIDER", "openai")];
            v.extend_from_slice(extra);
            Config::from_vars(&vars(&v)).unwrap()
        };
        let c = aws(&[("PROVIDER_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:keys")]);
        assert_eq!(c.provider_secret_arn.as_deref(), Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:keys"));
        assert_eq!(c.ai.missing_keys(), ["OPENAI_API_KEY"], "openai without a key is named, never an empty bearer token");
        let mut ai = c.ai.clone();
        ai.apply_secret(r#"{"OPENAI_API_KEY": "sk-from-secret", "RUNWARE_API_KEY": " "}"#).unwrap();
        assert_eq!(ai.openai_api_key.as_deref(), Some("sk-from-secret"));
        assert_eq!(ai.runware_api_key, None, "a blank key is no key");
        assert!(ai.missing_keys().is_empty());
        ai.image_provider = "runware".into();
        assert_eq!(ai.missing_keys(), ["RUNWARE_API_KEY"]);
        let err = c.ai.clone().apply_secret("sk-plain-string").unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name: "PROVIDER_SECRET_ARN", .. }), "{err}");
        let mut env_wins = aws(&[("OPENAI_API_KEY", "sk-env")]).ai;
        env_wins.apply_secret(r#"{"OPENAI_API_KEY": "sk-secret"}"#).unwrap();
        assert_eq!(env_wins.openai_api_key.as_deref(), Some("sk-env"));
        assert!(AiConfig::offline().missing_keys().is_empty(), "offline needs no key");
    }

    #[test]
    fn the_dead_letter_queue_arn_is_read() {
        let c = Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("AI_JOBS_DLQ_ARN", "arn:aws:sqs:us-east-1:1:dlq")])).unwrap();
        assert_eq!(c.ai_jobs_dlq_arn.as_deref(), Some("arn:aws:sqs:us-east-1:1:dlq"));
    }

    #[test]
    fn private_outbound_addresses_are_a_local_only_switch() {
        let c = Config::from_vars(&vars(&[("TABLE_NAME", "t")])).unwrap();
        assert!(!c.outbound_allow_private, "off unless asked for");
        let c = Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("OUTBOUND_ALLOW_PRIVATE", "1"), ("SECRETS_KEY_ID", "alias/x")])).unwrap();
        assert!(c.outbound_allow_private);
        assert_eq!(c.secrets_key_id.as_deref(), Some("alias/x"));
        let aws = [("TABLE_NAME", "t"), ("IGNY8_ENV", "aws"), ("JWT_SECRET_ARN", "arn:x"), ("AI_PROVIDER", "openai"), ("OUTBOUND_ALLOW_PRIVATE", "1")];
        assert!(matches!(Config::from_vars(&vars(&aws)), Err(ConfigError::Invalid { name: "OUTBOUND_ALLOW_PRIVATE", .. })));
        assert!(Config::from_vars(&vars(&[("TABLE_NAME", "t"), ("OUTBOUND_ALLOW_PRIVATE", "yes")])).is_err());
    }

    #[test]
    fn debug_output_redacts_the_secret() {
        let c = Config::local("http://127.0.0.1:1", "t", "0123456789abcdef0123456789abcdef");
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
    }
}
