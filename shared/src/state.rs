//! Per-cold-start state: configuration plus AWS clients, built once and shared
//! by every invocation (and by every handler in the local gateway).

use crate::config::{Config, Environment};
use crate::store::Store;
use aws_config::{BehaviorVersion, Region};

pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
    /// Envelope encryption of integration credentials.
    pub kms: aws_sdk_kms::Client,
    tokens: Option<crate::auth::token::Tokens>,
    providers: std::sync::OnceLock<crate::ai::Providers>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Builds the shared SDK configuration. With an endpoint override (the
/// emulator) the credentials are static test keys and nothing waits on
/// instance metadata.
pub async fn sdk_config(config: &Config) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(config.region.clone()));
    if let Some(endpoint) = &config.aws_endpoint_url {
        loader = loader.endpoint_url(endpoint).credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "igny8-local",
        ));
    }
    loader.load().await
}

/// Interceptors installed on the AWS clients (none in production).
#[derive(Default, Clone)]
pub struct ClientHooks {
    pub dynamodb: Vec<aws_sdk_dynamodb::config::SharedInterceptor>,
    pub sqs: Vec<aws_sdk_sqs::config::SharedInterceptor>,
    /// On the Secrets Manager client a cold start reads its secrets with.
    pub secretsmanager: Vec<aws_sdk_secretsmanager::config::SharedInterceptor>,
}

/// Whether a function needs the signing secret (tokens, cursors). Functions
/// that do not (health, queue workers) never read it, so their IAM policy
/// need not grant Secrets Manager access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    Required,
    NotNeeded,
    /// No signing secret, but the AI provider keys: read from the provider
    /// secret (`PROVIDER_SECRET_ARN`) when set; the cold start fails, with a
    /// log line naming the missing key, when a chosen provider has none.
    ProviderKeys,
}

/// Fills the provider keys from `PROVIDER_SECRET_ARN` (when set) and refuses
/// a configuration whose chosen provider still has no key: the cold start
/// fails with a clear log line instead of calling the provider with an empty
/// bearer token.
pub async fn resolve_provider_keys(config: &mut Config) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let sdk = sdk_config(config).await;
    resolve_provider_keys_with(config, &aws_sdk_secretsmanager::Client::new(&sdk)).await
}

async fn resolve_provider_keys_with(config: &mut Config, sm: &aws_sdk_secretsmanager::Client) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if let Some(arn) = config.provider_secret_arn.clone() {
        let out = sm.get_secret_value().secret_id(&arn).send().await.map_err(|e| {
            let msg = format!(
                "refusing to start: the provider secret {arn} could not be read: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            );
            tracing::error!("{msg}");
            msg
        })?;
        config.ai.apply_secret(out.secret_string().unwrap_or_default())?;
    }
    let missing = config.ai.missing_keys();
    if !missing.is_empty() {
        let msg = format!(
            "refusing to start: AI_PROVIDER={} / IMAGE_PROVIDER={} need {} (set it in the provider secret named by PROVIDER_SECRET_ARN)",
            config.ai.chat_provider,
            config.ai.image_provider,
            missing.join(" and ")
        );
        tracing::error!(missing = ?missing, "{msg}");
        return Err(msg.into());
    }
    Ok(())
}

impl AppState {
    /// Cold start in Lambda: read the environment, then [`AppState::boot`].
    pub async fn from_env(secrets: Secrets) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::boot(Config::from_env()?, secrets, ClientHooks::default()).await
    }

    /// A cold start from a configuration: resolves the secrets the function
    /// needs — the JWT signing secret from Secrets Manager (`JWT_SECRET_ARN`)
    /// for [`Secrets::Required`], the provider keys for
    /// [`Secrets::ProviderKeys`] — with one `GetSecretValue` call each, once
    /// per cold start (the state, and so the secret, then serves every
    /// invocation of the instance), and builds the clients on one SDK
    /// configuration. Refuses to start in AWS without the signing secret.
    pub async fn boot(mut config: Config, secrets: Secrets, hooks: ClientHooks) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let sdk = sdk_config(&config).await;
        let secrets_manager = || {
            let mut conf = aws_sdk_secretsmanager::config::Builder::from(&sdk);
            for i in hooks.secretsmanager.iter().cloned() {
                conf.push_interceptor(i);
            }
            aws_sdk_secretsmanager::Client::from_conf(conf.build())
        };
        match secrets {
            Secrets::NotNeeded => {}
            Secrets::ProviderKeys => resolve_provider_keys_with(&mut config, &secrets_manager()).await?,
            Secrets::Required => {
                if config.jwt_secret.is_none()
                    && let Some(arn) = config.jwt_secret_arn.clone()
                {
                    let out = secrets_manager().get_secret_value().secret_id(arn).send().await?;
                    config.jwt_secret = out.secret_string().map(str::to_string);
                }
                if config.environment == Environment::Aws && config.jwt_secret.as_deref().is_none_or(str::is_empty) {
                    return Err("refusing to start: the JWT secret could not be resolved".into());
                }
            }
        }
        Ok(Self::with_sdk(config, hooks, &sdk))
    }

    pub async fn new(config: Config) -> Self {
        Self::with_hooks(config, ClientHooks::default()).await
    }

    /// [`AppState::new`] with interceptors on the AWS clients: the test
    /// harness injects the failures real AWS produces and the emulator never
    /// does (transaction conflicts, throttling, a lost response after a write).
    pub async fn with_hooks(config: Config, hooks: ClientHooks) -> Self {
        let sdk = sdk_config(&config).await;
        Self::with_sdk(config, hooks, &sdk)
    }

    fn with_sdk(config: Config, hooks: ClientHooks, sdk: &aws_config::SdkConfig) -> Self {
        let sdk = sdk.clone();
        let mut dynamo_conf = aws_sdk_dynamodb::config::Builder::from(&sdk);
        for i in hooks.dynamodb {
            dynamo_conf.push_interceptor(i);
        }
        let dynamo = aws_sdk_dynamodb::Client::from_conf(dynamo_conf.build());
        let mut sqs_conf = aws_sdk_sqs::config::Builder::from(&sdk);
        for i in hooks.sqs {
            sqs_conf.push_interceptor(i);
        }
        let sqs = aws_sdk_sqs::Client::from_conf(sqs_conf.build());
        let s3_conf = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(config.aws_endpoint_url.is_some())
            .build();
        let s3 = aws_sdk_s3::Client::from_conf(s3_conf);
        let kms = aws_sdk_kms::Client::new(&sdk);
        let secret = config.jwt_secret.clone().unwrap_or_default();
        let cursor_key = crate::store::cursor::derive_key(secret.as_bytes());
        let store = Store::new(dynamo, config.table_name.clone(), cursor_key);
        let tokens = config
            .jwt_secret
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| crate::auth::token::Tokens::new(s.as_bytes()));
        Self { config, store, sqs, s3, kms, tokens, providers: std::sync::OnceLock::new() }
    }

    /// The AI providers chosen by configuration (built on first use), every
    /// request of theirs within the shared per-minute budget.
    pub fn providers(&self) -> crate::ai::Providers {
        self.providers
            .get_or_init(|| {
                let gate = crate::ai::rate::StoreGate::gate(self.store.clone(), self.config.ai.provider_rpm);
                crate::ai::Providers::from_config_gated(&self.config.ai, gate)
            })
            .clone()
    }

    /// Replaces the providers (tests point them at fake servers).
    pub fn with_providers(self, providers: crate::ai::Providers) -> Self {
        let _ = self.providers.set(providers);
        self
    }

    /// The token signer/verifier; an error when this function has no secret.
    pub fn tokens(&self) -> crate::error::AppResult<&crate::auth::token::Tokens> {
        self.tokens.as_ref().ok_or_else(|| crate::error::AppError::internal("JWT secret not configured for this function"))
    }
}
