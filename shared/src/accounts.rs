//! Accounts, users and sessions: registration, login (with throttling and
//! Django-hash migration), refresh-token rotation with reuse detection,
//! logout, password change, and user management with the role rules.

use crate::audit::{self, Actor};
use crate::auth::guard::{Principal, Role};
use crate::auth::password::{self, Verification};
use crate::auth::token::{Claims, TokenType};
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::ratelimit::{self, Budget};
use crate::store::{Item, ItemKeys, Page, Query, SkCondition, TxError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Free credits a new account receives once its owner verifies the email
/// address — once per email address, ever.
pub const FREE_PLAN_STARTING_CREDITS: f64 = 100.0; // = plans::PLANS[0].monthly_credits
/// How long an email verification link works.
pub const EMAIL_VERIFICATION_TTL_SECS: i64 = 48 * 60 * 60;
/// Failed sign-ins for unknown emails are kept this long (security log).
const LOGIN_SECURITY_LOG_TTL_SECS: i64 = 30 * 24 * 60 * 60;
/// The user key read for an email with no user, so both cases do the same reads.
const NO_ACCOUNT: &str = "00000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    Active,
    Suspended,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub status: AccountStatus,
    pub plan: String,
    /// Plan credits (reset each period) and bonus credits (never expire).
    pub plan_credits: f64,
    pub bonus_credits: f64,
    /// Active owners; the last one can never be demoted, deactivated or removed.
    pub owner_count: u32,
    /// Sites and members, kept in step with the items so plan limits can be
    /// enforced with conditional writes.
    #[serde(default)]
    pub site_count: u32,
    #[serde(default)]
    pub user_count: u32,
    /// Keywords across the account's sites (the plan's `max_keywords`).
    #[serde(default)]
    pub keyword_count: u32,
    /// The billing period (`YYYY-MM`) whose plan credits were granted last.
    #[serde(default)]
    pub period: Option<String>,
    /// Whether the owner who signed up verified the email address (accounts
    /// from before verification existed count as verified). Unverified
    /// accounts get no credits: neither the free ones nor monthly grants.
    #[serde(default = "yes")]
    pub email_verified: bool,
    /// A plan upgrade the owner asked for, waiting for IGNY8 staff (payment).
    #[serde(default)]
    pub pending_plan: Option<String>,
    #[serde(default)]
    pub pending_plan_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

fn yes() -> bool {
    true
}

impl Item for Account {
    const ENTITY: &'static str = "Account";
    fn key(&self) -> Key {
        keys::account(&Tenant::from_verified(&self.id))
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { gsi1: Some((keys::ACCOUNTS_GSI.into(), self.id.clone())), ..Default::default() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub is_active: bool,
    /// Bumped when every existing token of the user must stop working.
    #[serde(default)]
    pub session_version: u64,
    /// IGNY8 platform staff (may adjust any account's credits). Never set
    /// through the API.
    #[serde(default)]
    pub is_staff: bool,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub last_login_at: Option<String>,
    pub version: u64,
}

impl Item for User {
    const ENTITY: &'static str = "User";
    fn key(&self) -> Key {
        keys::user(&Tenant::from_verified(&self.account_id), &self.id)
    }
}

/// What the API shows of a user (never the password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub is_active: bool,
    pub created_at: String,
    pub last_login_at: Option<String>,
    pub version: u64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            account_id: u.account_id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            is_active: u.is_active,
            created_at: u.created_at.clone(),
            last_login_at: u.last_login_at.clone(),
            version: u.version,
        }
    }
}

/// A refresh-token family: one login's rotation chain.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
struct RefreshFamily {
    account_id: String,
    family: String,
    user_id: String,
    revoked: bool,
    expires: i64,
}
impl Item for RefreshFamily {
    const ENTITY: &'static str = "RefreshFamily";
    fn key(&self) -> Key {
        keys::refresh_family(&Tenant::from_verified(&self.account_id), &self.family)
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { ttl: Some(self.expires), ..Default::default() }
    }
}

/// One refresh token; usable once.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
struct RefreshToken {
    account_id: String,
    jti: String,
    family: String,
    used: bool,
    expires: i64,
}
impl Item for RefreshToken {
    const ENTITY: &'static str = "RefreshToken";
    fn key(&self) -> Key {
        keys::refresh_token(&Tenant::from_verified(&self.account_id), &self.jti)
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { ttl: Some(self.expires), ..Default::default() }
    }
}

/// A failed sign-in for an email with no user (there is no account to audit
/// it under). Written so that unknown and known emails cost the same writes.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
struct LoginFailure {
    id: String,
    day: String,
    email_hash: String,
    ip: Option<String>,
    created_at: String,
    expires: i64,
}
impl Item for LoginFailure {
    const ENTITY: &'static str = "LoginFailure";
    fn key(&self) -> Key {
        keys::login_security_log(&self.day, &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { ttl: Some(self.expires), ..Default::default() }
    }
}

/// The pending email verification of a user: the hash of the link's secret.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
struct EmailVerification {
    account_id: String,
    user_id: String,
    email: String,
    secret_hash: String,
    expires: i64,
    version: u64,
}
impl Item for EmailVerification {
    const ENTITY: &'static str = "EmailVerification";
    fn key(&self) -> Key {
        keys::email_verification(&Tenant::from_verified(&self.account_id), &self.user_id)
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { ttl: Some(self.expires), ..Default::default() }
    }
}

/// Tokens returned by login, refresh and password change.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access: String,
    /// Absent in cookie mode (`X-Session-Mode: cookie`): the refresh token is
    /// then in the `HttpOnly` cookie `igny8_refresh`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_expires_in: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Session {
    pub user: UserView,
    pub account: Account,
    pub tokens: TokenPair,
}

// ------------------------------------------------------------------ inputs

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    pub email: String,
    #[schema(min_length = 8)]
    pub password: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub account_name: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailInput {
    pub token: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshInput {
    pub refresh: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordInput {
    pub current_password: String,
    #[schema(min_length = 8)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddUserInput {
    pub email: String,
    #[schema(min_length = 8)]
    pub password: String,
    #[serde(default)]
    pub name: Option<String>,
    pub role: Role,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountInput {
    pub name: String,
}

// ------------------------------------------------------------------ helpers

/// Lower-cased, trimmed, checked email address.
pub fn normalize_email(raw: &str) -> AppResult<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split('@').count() == 2
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        });
    if valid { Ok(email) } else { Err(AppError::field("email", "is not a valid email address")) }
}

fn clean_name(raw: Option<&str>, field: &str, fallback: &str, max: usize) -> AppResult<String> {
    let name = raw.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(fallback).to_string();
    if name.chars().count() > max {
        return Err(AppError::field(field, format!("must be at most {max} characters")));
    }
    Ok(name)
}

fn email_guard(email: &str) -> Key {
    keys::unique_global("EMAIL", email)
}

fn email_hash(email: &str) -> String {
    sha256_hex(email)
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn map_tx(e: TxError, on_condition: impl FnOnce(&[usize]) -> AppError) -> AppError {
    match e {
        TxError::ConditionFailed(ops) => on_condition(&ops),
        TxError::Other(e) => e,
    }
}

async fn issue_tokens(state: &AppState, user: &User) -> AppResult<TokenPair> {
    let now = crate::ids::now_epoch();
    let tenant = Tenant::from_verified(&user.account_id);
    let family = crate::ids::new_id();
    let refresh_claims = Claims::refresh(&user.id, &user.account_id, user.role, user.session_version, &family, now);
    let fam = RefreshFamily {
        account_id: tenant.account_id().into(),
        family: family.clone(),
        user_id: user.id.clone(),
        revoked: false,
        expires: now + crate::auth::token::REFRESH_TTL_SECS,
    };
    let tok = RefreshToken {
        account_id: tenant.account_id().into(),
        jti: refresh_claims.jti.clone(),
        family,
        used: false,
        expires: refresh_claims.exp,
    };
    let store = &state.store;
    store.transact(vec![store.tx_create(&fam)?, store.tx_create(&tok)?]).await.map_err(AppError::from)?;
    pair(state, user, &refresh_claims)
}

fn pair(state: &AppState, user: &User, refresh_claims: &Claims) -> AppResult<TokenPair> {
    let tokens = state.tokens()?;
    // The access token names its sign-in's family: logging out or revoking
    // the family ends it at once (the guard reads the family).
    let access = Claims { fam: refresh_claims.fam.clone(), ..Claims::access(&user.id, &user.account_id, user.role, user.session_version, refresh_claims.iat) };
    Ok(TokenPair {
        access: tokens.sign(&access)?,
        refresh: Some(tokens.sign(refresh_claims)?),
        token_type: "Bearer",
        expires_in: crate::auth::token::ACCESS_TTL_SECS,
        refresh_expires_in: crate::auth::token::REFRESH_TTL_SECS,
    })
}

async fn load_account(state: &AppState, tenant: &Tenant) -> AppResult<Account> {
    state.store.get(&keys::account(tenant)).await?.ok_or_else(|| AppError::not_found("account"))
}

async fn load_user(state: &AppState, tenant: &Tenant, user_id: &str) -> AppResult<User> {
    if !crate::ids::is_valid(user_id) {
        return Err(AppError::not_found("user"));
    }
    state.store.get(&keys::user(tenant, user_id)).await?.ok_or_else(|| AppError::not_found("user"))
}

// ------------------------------------------------------------------ registration and sessions

/// Creates an account on the free plan with its owner, signs the owner in and
/// mails a verification link. The account has no credits until the email is
/// verified ([`verify_email`]); sign-ups are throttled per IP and in total.
pub async fn register(state: &AppState, input: RegisterInput, ip: Option<&str>) -> AppResult<Session> {
    let mut problems = Vec::new();
    let email = normalize_email(&input.email).map_err(|e| problems.push(FieldError::new("email", e.public_message()))).ok();
    if let Err(AppError::Validation { errors, .. }) = password::check_policy(&input.password, email.as_deref()) {
        problems.extend(errors);
    }
    let name = clean_name(input.name.as_deref(), "name", "", 120).map_err(|e| problems.push(FieldError::new("name", e.public_message()))).ok();
    let account_name = clean_name(input.account_name.as_deref(), "account_name", "My account", 120)
        .map_err(|e| problems.push(FieldError::new("account_name", e.public_message())))
        .ok();
    let (Some(email), Some(name), Some(account_name)) = (email, name, account_name) else {
        return Err(AppError::fields(problems));
    };
    if !problems.is_empty() {
        return Err(AppError::fields(problems));
    }
    // Budgets before the (deliberately slow) password hash; the address's
    // first, so a refused address never spends the global budget.
    let limits = &state.config.limits;
    ratelimit::take(state, Budget::signup_ip(limits), ratelimit::ip_subject(ip)).await?;
    ratelimit::take(state, Budget::signup_global(limits), "all").await?;
    let now = crate::ids::now_rfc3339();
    let account = Account {
        id: crate::ids::new_id(),
        name: account_name,
        status: AccountStatus::Active,
        plan: "free".into(),
        plan_credits: 0.0,
        bonus_credits: 0.0,
        owner_count: 1,
        site_count: 0,
        user_count: 1,
        keyword_count: 0,
        period: None,
        email_verified: false,
        pending_plan: None,
        pending_plan_at: None,
        created_at: now.clone(),
        updated_at: now.clone(),
        version: 1,
    };
    let user = User {
        id: crate::ids::new_id(),
        account_id: account.id.clone(),
        email: email.clone(),
        name,
        role: Role::Owner,
        password_hash: password::hash(&input.password)?,
        is_active: true,
        session_version: 0,
        is_staff: false,
        created_at: now.clone(),
        updated_at: now,
        last_login_at: None,
        version: 1,
    };
    let tenant = Tenant::from_verified(&account.id);
    let actor = Actor::user(&user, ip);
    let entry = audit::entry(&tenant, &actor, "account.register", "account", &account.id, json!({"plan": "free"}));
    let (verification, token) = new_verification(&user);
    let store = &state.store;
    store
        .transact(vec![
            store.tx_guard(&email_guard(&email), &format!("{}/{}", account.id, user.id))?,
            store.tx_create(&account)?,
            store.tx_create(&user)?,
            store.tx_create(&entry)?,
            store.tx_put(&verification)?,
        ])
        .await
        .map_err(|e| map_tx(e, |_| AppError::Conflict("a user with this email already exists".into())))?;
    send_verification(state, &tenant, &email, &token).await;
    let tokens = issue_tokens(state, &user).await?;
    Ok(Session { user: UserView::from(&user), account, tokens })
}

/// A fresh verification record and its link token `<account>.<user>.<secret>`
/// (only the secret's hash is stored).
fn new_verification(user: &User) -> (EmailVerification, String) {
    use base64::Engine as _;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let record = EmailVerification {
        account_id: user.account_id.clone(),
        user_id: user.id.clone(),
        email: user.email.clone(),
        secret_hash: sha256_hex(&secret),
        expires: crate::ids::now_epoch() + EMAIL_VERIFICATION_TTL_SECS,
        version: 1,
    };
    (record, format!("{}.{}.{secret}", user.account_id, user.id))
}

/// Mails the verification link. A failed send is logged, not fatal: the
/// owner can ask for another link.
async fn send_verification(state: &AppState, tenant: &Tenant, email: &str, token: &str) {
    let text = format!(
        "Welcome to IGNY8.\n\nConfirm your email address to receive your free plan credits:\n\n/verify-email?token={token}\n\n\
         Or send the token to POST /api/v1/auth/verify-email/: {token}\n\nThe link works for {} hours.",
        EMAIL_VERIFICATION_TTL_SECS / 3600
    );
    let mail = crate::mail::Mail::new(tenant, email, "verify_email", "Confirm your email address", text);
    if let Err(e) = crate::mail::sender(state).send(state, &mail).await {
        tracing::error!(error = ?e, "could not send the verification mail");
    }
}

/// What verifying an email did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verified {
    pub account: Account,
    /// Free credits granted now (0 when this email already had them).
    pub free_credits: f64,
}

fn bad_token() -> AppError {
    AppError::field("token", "is invalid or expired; ask for a new verification link")
}

/// Verifies the owner's email with the mailed token and grants the free plan
/// credits — once per email address, ever (a global guard on the email's
/// hash), in the same transaction as the ledger line and the audit entry.
pub async fn verify_email(state: &AppState, input: VerifyEmailInput, ip: Option<&str>) -> AppResult<Verified> {
    let mut parts = input.token.trim().splitn(3, '.');
    let (Some(account_id), Some(user_id), Some(secret)) = (parts.next(), parts.next(), parts.next()) else { return Err(bad_token()) };
    if !crate::ids::is_valid(account_id) || !crate::ids::is_valid(user_id) || secret.is_empty() {
        return Err(bad_token());
    }
    let tenant = Tenant::from_verified(account_id);
    let store = &state.store;
    let vkey = keys::email_verification(&tenant, user_id);
    let record: EmailVerification = store.get(&vkey).await?.ok_or_else(bad_token)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(sha256_hex(secret).as_bytes(), record.secret_hash.as_bytes())) {
        return Err(bad_token());
    }
    let user = load_user(state, &tenant, user_id).await?;
    let free_guard = keys::unique_global("FREECREDITS", &email_hash(&record.email));
    let mut with_credits = true;
    for attempt in 0..20u32 {
        let account = load_account(state, &tenant).await?;
        if account.email_verified {
            let _ = store.delete(&vkey).await;
            return Err(AppError::Conflict("the email address is already verified".into()));
        }
        let period = crate::credits::period_of(&crate::ids::now_rfc3339());
        let free = if with_credits { crate::plans::of("free").monthly_credits } else { 0.0 };
        let plan_after = crate::credits::round(account.plan_credits + free);
        let entry = audit::entry(&tenant, &Actor::user(&user, ip), "account.email_verified", "user", &user.id, json!({"email": record.email, "free_credits": free}));
        let mut ops = vec![
            store.tx_delete_versioned(&vkey, record.version)?,
            store.tx_update(
                &keys::account(&tenant),
                "SET email_verified = :t, plan_credits = :p, #period = :period, version = version + :one",
                Some("#v = :v"),
                &[("#v", "version"), ("#period", "period")],
                HashMap::from([
                    (":t".to_string(), AttributeValue::Bool(true)),
                    (":p".to_string(), n(plan_after)),
                    (":period".to_string(), AttributeValue::S(period.clone())),
                    (":one".to_string(), n(1)),
                    (":v".to_string(), n(account.version)),
                ]),
            )?,
            store.tx_create(&entry)?,
        ];
        let grant_key = format!("GRANT#{period}");
        if with_credits {
            let grant = crate::credits::CreditTransaction {
                id: crate::ids::new_id(),
                account_id: account.id.clone(),
                kind: crate::credits::TxnType::Grant,
                amount: free,
                plan_delta: free,
                bonus_delta: 0.0,
                plan_after,
                bonus_after: account.bonus_credits,
                balance_after: crate::credits::round(plan_after + account.bonus_credits),
                job_id: None,
                function: None,
                charged: None,
                reason: Some(format!("free plan credits for {period} (email verified)")),
                idempotency_key: grant_key.clone(),
                created_at: crate::ids::now_rfc3339(),
            };
            ops.push(store.tx_guard(&free_guard, &account.id)?);
            ops.push(store.tx_guard(&keys::credit_guard(&tenant, &grant_key), &grant.id)?);
            ops.push(store.tx_create(&grant)?);
        }
        match store.transact(ops).await {
            Ok(()) => {
                let account = load_account(state, &tenant).await?;
                return Ok(Verified { account, free_credits: free });
            }
            Err(TxError::Other(e)) => return Err(e),
            Err(TxError::ConditionFailed(_)) => {
                // Which condition failed: read back rather than trust the reasons.
                if store.get::<serde_json::Value>(&vkey).await?.is_none() {
                    return Err(bad_token());
                }
                if with_credits
                    && (store.get::<serde_json::Value>(&free_guard).await?.is_some()
                        || store.get::<serde_json::Value>(&keys::credit_guard(&tenant, &grant_key)).await?.is_some())
                {
                    // This email had its free credits already: verify without.
                    with_credits = false;
                    continue;
                }
                tokio::time::sleep(crate::store::backoff(attempt.min(6))).await;
            }
        }
    }
    Err(AppError::Conflict("the account is changing too fast; try again".into()))
}

/// Mails a new verification link to the caller (the account's owner).
pub async fn resend_verification(state: &AppState, p: &Principal) -> AppResult<()> {
    let tenant = p.tenant();
    if load_account(state, &tenant).await?.email_verified {
        return Err(AppError::Conflict("the email address is already verified".into()));
    }
    ratelimit::take(state, Budget::signup_ip(&state.config.limits), &format!("resend-{}", p.account_id)).await?;
    let user = load_user(state, &tenant, &p.user_id).await?;
    let (record, token) = new_verification(&user);
    state.store.put(&record).await?;
    send_verification(state, &tenant, &user.email, &token).await;
    Ok(())
}

/// Signs a user in. Every attempt first takes a token from the email's
/// budget (one conditional update, before the password hash is checked, so
/// parallel guesses can never pass a stale count; a success refills it).
/// Known and unknown emails do the same reads, the same hash work and one
/// write each, and get the same answer.
pub async fn login(state: &AppState, input: LoginInput, ip: Option<&str>) -> AppResult<Session> {
    let email = input.email.trim().to_lowercase();
    if email.is_empty() || input.password.is_empty() {
        return Err(AppError::validation("email and password are required"));
    }
    let limits = &state.config.limits;
    let hash = email_hash(&email);
    // The address's budget first, so a refused address never spends the email's.
    ratelimit::take(state, Budget::login_ip(limits), ratelimit::ip_subject(ip)).await?;
    ratelimit::take(state, Budget::login_email(limits), &hash).await?;
    let guard: Option<serde_json::Value> = state.store.get(&email_guard(&email)).await?;
    let owner = guard.as_ref().and_then(|g| g["owner"].as_str()).and_then(|o| o.split_once('/'));
    let (account_id, user_id) = owner.unwrap_or((NO_ACCOUNT, NO_ACCOUNT));
    let user: Option<User> = state.store.get(&keys::user(&Tenant::from_verified(account_id), user_id)).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let attempt = input.password.clone();
    let verification = tokio::task::spawn_blocking(move || match stored {
        Some(stored) => password::verify(&attempt, &stored),
        None => {
            password::verify_dummy(&attempt);
            Verification::Invalid
        }
    })
    .await
    .map_err(AppError::internal)?;
    let (Some(mut user), Verification::Valid { needs_rehash }) = (user, verification) else {
        return Err(login_failed(state, user_failed(&email, account_id, user_id), &hash, ip).await.unwrap_or_else(|e| e));
    };
    let tenant = Tenant::from_verified(&user.account_id);
    let account = load_account(state, &tenant).await?;
    if !user.is_active || account.status != AccountStatus::Active {
        return Err(AppError::Unauthorized("this user or account is not active".into()));
    }
    ratelimit::reset(state, Budget::login_email(limits), &hash).await?;
    if needs_rehash {
        user.password_hash = password::hash(&input.password)?;
    }
    user.last_login_at = Some(crate::ids::now_rfc3339());
    // A concurrent edit of the user only costs the last-login stamp.
    if let Err(e) = state.store.update_versioned(&mut user).await {
        tracing::warn!(error = ?e, "could not record last login / rehash");
        user = load_user(state, &tenant, &user.id).await?;
    }
    audit::record(state, &tenant, &Actor::user(&user, ip), "auth.login", "user", &user.id, json!({"rehashed": needs_rehash})).await?;
    let tokens = issue_tokens(state, &user).await?;
    Ok(Session { user: UserView::from(&user), account, tokens })
}

/// Who a failed sign-in was for: a known user (audited in the account) or not.
enum Failed<'a> {
    Known { account_id: &'a str, user_id: &'a str, email: &'a str },
    Unknown,
}

fn user_failed<'a>(email: &'a str, account_id: &'a str, user_id: &'a str) -> Failed<'a> {
    if account_id == NO_ACCOUNT { Failed::Unknown } else { Failed::Known { account_id, user_id, email } }
}

/// Records a failed sign-in with one write either way: the account's audit
/// log for a known user, the security log otherwise. Always ends in the same
/// 401 (or the store's error).
async fn login_failed(state: &AppState, who: Failed<'_>, hash: &str, ip: Option<&str>) -> AppResult<AppError> {
    match who {
        Failed::Known { account_id, user_id, email } => {
            let actor = Actor { user_id: user_id.to_string(), email: email.to_string(), ip: ip.map(str::to_string) };
            audit::record(state, &Tenant::from_verified(account_id), &actor, "auth.login_failed", "user", user_id, json!({})).await?;
        }
        Failed::Unknown => {
            let now = crate::ids::now_rfc3339();
            let failure = LoginFailure {
                id: crate::ids::new_id(),
                day: now.get(..10).unwrap_or_default().to_string(),
                email_hash: hash.to_string(),
                ip: ip.map(str::to_string),
                created_at: now,
                expires: crate::ids::now_epoch() + LOGIN_SECURITY_LOG_TTL_SECS,
            };
            state.store.put(&failure).await?;
        }
    }
    Ok(AppError::Unauthorized("invalid email or password".into()))
}

/// Whether a sign-in family is still live (the guard's revocation check).
pub(crate) async fn family_live(state: &AppState, tenant: &Tenant, family: &str) -> AppResult<bool> {
    let fam: Option<RefreshFamily> = state.store.get(&keys::refresh_family(tenant, family)).await?;
    Ok(fam.is_some_and(|f| !f.revoked))
}

async fn revoke_family(state: &AppState, tenant: &Tenant, family: &str) -> AppResult<()> {
    state
        .store
        .update_raw(
            &keys::refresh_family(tenant, family),
            "SET revoked = :t",
            Some("attribute_exists(PK)"),
            &[],
            HashMap::from([(":t".to_string(), AttributeValue::Bool(true))]),
        )
        .await?;
    Ok(())
}

/// Rotates a refresh token: the presented one is spent, a new pair returned.
/// Presenting a spent token again revokes its whole family (the chain
/// started by that login), so a stolen token dies with the legitimate one.
pub async fn refresh(state: &AppState, input: RefreshInput) -> AppResult<TokenPair> {
    let claims = state.tokens()?.verify(&input.refresh, TokenType::Refresh)?;
    let unauthorized = |m: &str| AppError::Unauthorized(m.into());
    let family = claims.fam.clone().ok_or_else(|| unauthorized("the token is invalid"))?;
    if !crate::ids::is_valid(&claims.account_id) || !crate::ids::is_valid(&claims.sub) {
        return Err(unauthorized("the token is invalid"));
    }
    let tenant = Tenant::from_verified(&claims.account_id);
    let fam: Option<RefreshFamily> = state.store.get(&keys::refresh_family(&tenant, &family)).await?;
    if fam.as_ref().is_none_or(|f| f.revoked) {
        return Err(unauthorized("the refresh token was revoked; sign in again"));
    }
    let user = state.store.get::<User>(&keys::user(&tenant, &claims.sub)).await?;
    let account = state.store.get::<Account>(&keys::account(&tenant)).await?;
    let (Some(user), Some(account)) = (user, account) else { return Err(unauthorized("the user or account is not active")) };
    if !user.is_active || account.status != AccountStatus::Active || user.session_version != claims.sv {
        revoke_family(state, &tenant, &family).await?;
        return Err(unauthorized("the refresh token was revoked; sign in again"));
    }
    let now = crate::ids::now_epoch();
    let next = Claims::refresh(&user.id, &user.account_id, user.role, user.session_version, &family, now);
    let next_tok = RefreshToken { account_id: tenant.account_id().into(), jti: next.jti.clone(), family: family.clone(), used: false, expires: next.exp };
    let store = &state.store;
    let spend = store.tx_update(
        &keys::refresh_token(&tenant, &claims.jti),
        "SET used = :t",
        Some("attribute_exists(PK) AND used = :f"),
        &[],
        HashMap::from([(":t".to_string(), AttributeValue::Bool(true)), (":f".to_string(), AttributeValue::Bool(false))]),
    )?;
    match store.transact(vec![spend, store.tx_create(&next_tok)?]).await {
        Ok(()) => pair(state, &user, &next),
        Err(TxError::ConditionFailed(_)) => {
            // Reuse of a spent (or unknown) token: revoke the whole family.
            revoke_family(state, &tenant, &family).await?;
            audit::record(state, &tenant, &Actor::user(&user, None), "auth.refresh_reuse", "user", &user.id, json!({"family": family})).await?;
            Err(unauthorized("this refresh token was already used; every session of this sign-in was revoked"))
        }
        Err(TxError::Other(e)) => Err(e),
    }
}

/// Revokes the refresh token's family (this sign-in on every device it was rotated to).
pub async fn logout(state: &AppState, input: RefreshInput) -> AppResult<()> {
    let claims = state.tokens()?.verify(&input.refresh, TokenType::Refresh)?;
    let family = claims.fam.ok_or_else(|| AppError::Unauthorized("the token is invalid".into()))?;
    if !crate::ids::is_valid(&claims.account_id) {
        return Err(AppError::Unauthorized("the token is invalid".into()));
    }
    let tenant = Tenant::from_verified(&claims.account_id);
    revoke_family(state, &tenant, &family).await?;
    audit::record(state, &tenant, &Actor { user_id: claims.sub.clone(), email: String::new(), ip: None }, "auth.logout", "user", &claims.sub, json!({})).await
}

pub async fn me(state: &AppState, p: &Principal) -> AppResult<(UserView, Account)> {
    let tenant = p.tenant();
    let user = load_user(state, &tenant, &p.user_id).await?;
    Ok((UserView::from(&user), load_account(state, &tenant).await?))
}

/// Changes the caller's password; every earlier token stops working and a
/// fresh pair is returned.
pub async fn change_password(state: &AppState, p: &Principal, input: ChangePasswordInput, ip: Option<&str>) -> AppResult<TokenPair> {
    let tenant = p.tenant();
    let mut user = load_user(state, &tenant, &p.user_id).await?;
    if password::verify(&input.current_password, &user.password_hash) == Verification::Invalid {
        return Err(AppError::field("current_password", "is not your current password"));
    }
    if input.current_password == input.new_password {
        return Err(AppError::field("new_password", "must differ from the current password"));
    }
    password::check_policy(&input.new_password, Some(&user.email)).map_err(|e| match e {
        AppError::Validation { errors, .. } => {
            AppError::fields(errors.into_iter().map(|f| FieldError::new("new_password", f.message)).collect())
        }
        other => other,
    })?;
    user.password_hash = password::hash(&input.new_password)?;
    user.session_version += 1;
    user.updated_at = crate::ids::now_rfc3339();
    state.store.update_versioned(&mut user).await?;
    audit::record(state, &tenant, &Actor::user(&user, ip), "auth.password_change", "user", &user.id, json!({})).await?;
    issue_tokens(state, &user).await
}

// ------------------------------------------------------------------ account

/// Sets string attributes of the account item in place (never rewriting the
/// item, whose counters and balances move concurrently).
pub async fn set_account_fields(state: &AppState, tenant: &Tenant, fields: &[(&str, &str)]) -> AppResult<()> {
    let mut names = Vec::new();
    let mut values = HashMap::new();
    let mut sets = Vec::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        names.push((format!("#f{i}"), (*name).to_string()));
        values.insert(format!(":f{i}"), aws_sdk_dynamodb::types::AttributeValue::S((*value).to_string()));
        sets.push(format!("#f{i} = :f{i}"));
    }
    let names: Vec<(&str, &str)> = names.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    state
        .store
        .update_raw(&keys::account(tenant), &format!("SET {}", sets.join(", ")), Some("attribute_exists(PK)"), &names, values)
        .await?
        .ok_or_else(|| AppError::not_found("account"))?;
    Ok(())
}

pub async fn get_account(state: &AppState, p: &Principal) -> AppResult<Account> {
    load_account(state, &p.tenant()).await
}

pub async fn update_account(state: &AppState, p: &Principal, input: UpdateAccountInput) -> AppResult<Account> {
    let name = clean_name(Some(&input.name), "name", "", 120)?;
    if name.is_empty() {
        return Err(AppError::field("name", "must not be empty"));
    }
    let tenant = p.tenant();
    let mut account = load_account(state, &tenant).await?;
    let before = account.name.clone();
    account.name = name;
    account.updated_at = crate::ids::now_rfc3339();
    // Only these attributes: counters and balances are updated in place elsewhere.
    set_account_fields(state, &tenant, &[("name", &account.name), ("updated_at", &account.updated_at)]).await?;
    audit::record(state, &tenant, &Actor::principal(p, None), "account.update", "account", &account.id, json!({"name": {"from": before, "to": account.name}})).await?;
    Ok(account)
}

// ------------------------------------------------------------------ users

pub async fn list_users(state: &AppState, p: &Principal, limit: i32, cursor: Option<String>) -> AppResult<Page<UserView>> {
    let tenant = p.tenant();
    let q = Query::new(&tenant, Index::Table, tenant.pk()).sk(SkCondition::BeginsWith(keys::USER_PREFIX.into())).limit(limit).cursor(cursor);
    let page = state.store.query::<User>(&q).await?;
    Ok(Page { results: page.results.iter().map(UserView::from).collect(), next_cursor: page.next_cursor })
}

pub async fn get_user(state: &AppState, p: &Principal, user_id: &str) -> AppResult<UserView> {
    Ok(UserView::from(&load_user(state, &p.tenant(), user_id).await?))
}

/// Only an owner may grant, hold back or touch the owner and admin roles.
fn check_role_power(p: &Principal, roles: &[Role]) -> AppResult<()> {
    if p.role != Role::Owner && roles.iter().any(|r| *r >= Role::Admin) {
        return Err(AppError::Forbidden("only an owner can grant, change or remove the owner and admin roles".into()));
    }
    Ok(())
}

/// One update of the account's member counters (a transaction may touch an
/// item only once). Removing an active owner requires another to remain;
/// adding a member requires room in the plan.
fn account_counters(state: &AppState, tenant: &Tenant, users: i64, owners: i64, max_users: Option<u32>) -> AppResult<aws_sdk_dynamodb::types::TransactWriteItem> {
    let mut sets = Vec::new();
    let mut conditions = vec!["attribute_exists(PK)".to_string()];
    let mut values = HashMap::from([(":one".to_string(), n(1)), (":zero".to_string(), n(0))]);
    match users {
        1 => {
            sets.push("user_count = if_not_exists(user_count, :zero) + :one");
            if let Some(max) = max_users {
                conditions.push("(attribute_not_exists(user_count) OR user_count < :max)".into());
                values.insert(":max".into(), n(max));
            }
        }
        -1 => {
            sets.push("user_count = user_count - :one");
            conditions.push("user_count > :zero".into());
        }
        _ => {}
    }
    match owners {
        1 => sets.push("owner_count = owner_count + :one"),
        -1 => {
            sets.push("owner_count = owner_count - :one");
            conditions.push("owner_count > :one".into());
        }
        _ => {}
    }
    state.store.tx_update(&keys::account(tenant), &format!("SET {}", sets.join(", ")), Some(&conditions.join(" AND ")), &[], values)
}

/// Why a member change failed: the last owner, or a concurrent edit.
async fn explain_member_failure(state: &AppState, tenant: &Tenant, e: TxError, removes_owner: bool) -> AppError {
    match e {
        TxError::Other(e) => e,
        TxError::ConditionFailed(_) => match load_account(state, tenant).await {
            Ok(a) if removes_owner && a.owner_count <= 1 => last_owner(),
            Ok(_) => AppError::Conflict("the user was changed meanwhile; reload and retry".into()),
            Err(e) => e,
        },
    }
}

fn last_owner() -> AppError {
    AppError::Conflict("the account's last active owner cannot be demoted, deactivated or removed".into())
}

pub async fn add_user(state: &AppState, p: &Principal, input: AddUserInput, ip: Option<&str>) -> AppResult<UserView> {
    check_role_power(p, &[input.role])?;
    let email = normalize_email(&input.email)?;
    password::check_policy(&input.password, Some(&email))?;
    let now = crate::ids::now_rfc3339();
    let tenant = p.tenant();
    let user = User {
        id: crate::ids::new_id(),
        account_id: p.account_id.clone(),
        email: email.clone(),
        name: clean_name(input.name.as_deref(), "name", "", 120)?,
        role: input.role,
        password_hash: password::hash(&input.password)?,
        is_active: true,
        session_version: 0,
        is_staff: false,
        created_at: now.clone(),
        updated_at: now,
        last_login_at: None,
        version: 1,
    };
    let entry = audit::entry(&tenant, &Actor::principal(p, ip), "user.add", "user", &user.id, json!({"email": email, "role": user.role}));
    let store = &state.store;
    let account = load_account(state, &tenant).await?;
    let plan = crate::plans::of(&account.plan);
    let owners = i64::from(user.role == Role::Owner);
    let ops = vec![
        store.tx_guard(&email_guard(&email), &format!("{}/{}", user.account_id, user.id))?,
        store.tx_create(&user)?,
        store.tx_create(&entry)?,
        account_counters(state, &tenant, 1, owners, Some(plan.max_users))?,
    ];
    match store.transact(ops).await {
        Ok(()) => {}
        Err(TxError::Other(e)) => return Err(e),
        Err(TxError::ConditionFailed(_)) => {
            // Which condition failed: read back rather than trust the reasons.
            return Err(if state.store.get::<serde_json::Value>(&email_guard(&email)).await?.is_some() {
                AppError::Conflict("a user with this email already exists".into())
            } else {
                crate::plans::limit_error(plan, "users", plan.max_users)
            });
        }
    }
    Ok(UserView::from(&user))
}

pub async fn update_user(state: &AppState, p: &Principal, user_id: &str, input: UpdateUserInput, ip: Option<&str>) -> AppResult<UserView> {
    let tenant = p.tenant();
    let mut user = load_user(state, &tenant, user_id).await?;
    let before = user.clone();
    if let Some(role) = input.role {
        check_role_power(p, &[user.role, role])?;
        user.role = role;
    }
    if let Some(active) = input.is_active {
        check_role_power(p, &[user.role])?;
        if !active && user.id == p.user_id && user.role != Role::Owner {
            return Err(AppError::Conflict("you cannot deactivate yourself".into()));
        }
        user.is_active = active;
    }
    if let Some(name) = input.name.as_deref() {
        user.name = clean_name(Some(name), "name", "", 120)?;
    }
    let was_owner = before.role == Role::Owner && before.is_active;
    let is_owner = user.role == Role::Owner && user.is_active;
    // Roles are read from the store on every request, so a role change takes
    // effect at once; deactivation also kills every token outright.
    if before.is_active && !user.is_active {
        user.session_version += 1;
    }
    user.updated_at = crate::ids::now_rfc3339();
    let mut changes = serde_json::Map::new();
    if before.role != user.role {
        changes.insert("role".into(), json!({"from": before.role, "to": user.role}));
    }
    if before.is_active != user.is_active {
        changes.insert("is_active".into(), json!({"from": before.is_active, "to": user.is_active}));
    }
    let action = if before.role != user.role { "user.role_change" } else if before.is_active != user.is_active { "user.active_change" } else { "user.update" };
    let entry = audit::entry(&tenant, &Actor::principal(p, ip), action, "user", &user.id, serde_json::Value::Object(changes));
    let store = &state.store;
    let mut ops = vec![store.tx_update_versioned(&mut user)?, store.tx_create(&entry)?];
    if was_owner != is_owner {
        ops.push(account_counters(state, &tenant, 0, if is_owner { 1 } else { -1 }, None)?);
    }
    match store.transact(ops).await {
        Ok(()) => {}
        Err(e) => return Err(explain_member_failure(state, &tenant, e, was_owner && !is_owner).await),
    }
    Ok(UserView::from(&user))
}

pub async fn remove_user(state: &AppState, p: &Principal, user_id: &str, ip: Option<&str>) -> AppResult<()> {
    let tenant = p.tenant();
    let user = load_user(state, &tenant, user_id).await?;
    check_role_power(p, &[user.role])?;
    let entry = audit::entry(&tenant, &Actor::principal(p, ip), "user.remove", "user", &user.id, json!({"email": user.email, "role": user.role}));
    let store = &state.store;
    let delete_user = store.tx_delete_versioned(&user.key(), user.version)?;
    let owners = if user.role == Role::Owner && user.is_active { -1 } else { 0 };
    let ops = vec![delete_user, store.tx_delete(&email_guard(&user.email))?, store.tx_create(&entry)?, account_counters(state, &tenant, -1, owners, None)?];
    match store.transact(ops).await {
        Ok(()) => {}
        Err(e) => return Err(explain_member_failure(state, &tenant, e, owners < 0).await),
    }
    Ok(())
}

crate::versioned!(Account, User);
