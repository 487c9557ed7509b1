//! Outgoing mail behind one interface. The only sender today is the local
//! one: it logs the mail and keeps it as an outbox item in the account's
//! partition (14 days), where the tests and a local developer read it. A real
//! sender (e.g. SES) implements [`Mailer`] and is chosen in [`sender`].

use crate::error::AppResult;
use crate::state::AppState;
use crate::store::keys::{self, Key, Tenant};
use crate::store::{Item, ItemKeys};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// Outbox items live this long.
const OUTBOX_TTL_SECS: i64 = 14 * 24 * 60 * 60;

/// One mail, to one address, on behalf of one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Mail {
    pub id: String,
    pub account_id: String,
    pub to: String,
    /// What kind of mail (`verify_email`, ...).
    pub kind: String,
    pub subject: String,
    pub text: String,
    pub created_at: String,
    pub expires: i64,
}

impl Mail {
    pub fn new(tenant: &Tenant, to: &str, kind: &str, subject: &str, text: String) -> Self {
        Self {
            id: crate::ids::new_id(),
            account_id: tenant.account_id().to_string(),
            to: to.to_string(),
            kind: kind.to_string(),
            subject: subject.to_string(),
            text,
            created_at: crate::ids::now_rfc3339(),
            expires: crate::ids::now_epoch() + OUTBOX_TTL_SECS,
        }
    }
}

impl Item for Mail {
    const ENTITY: &'static str = "Mail";
    fn key(&self) -> Key {
        keys::outbox(&Tenant::from_verified(&self.account_id), &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { ttl: Some(self.expires), ..Default::default() }
    }
}

/// Sends mail.
pub trait Mailer: Send + Sync {
    fn send<'a>(&'a self, state: &'a AppState, mail: &'a Mail) -> BoxFuture<'a, AppResult<()>>;
}

/// The local sender: a log line and an outbox item.
pub struct OutboxMailer;

impl Mailer for OutboxMailer {
    fn send<'a>(&'a self, state: &'a AppState, mail: &'a Mail) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move {
            tracing::info!(to = %mail.to, kind = %mail.kind, subject = %mail.subject, text = %mail.text, "mail (outbox)");
            state.store.put(mail).await
        })
    }
}

/// The account's outbox (the local sender's mail), newest first.
pub async fn outbox(state: &AppState, tenant: &Tenant) -> AppResult<Vec<Mail>> {
    let q = crate::store::Query::new(tenant, keys::Index::Table, tenant.pk())
        .sk(crate::store::SkCondition::BeginsWith(keys::OUTBOX_PREFIX.into()))
        .limit(100)
        .newest_first(true);
    Ok(state.store.query::<Mail>(&q).await?.results)
}

/// The verification token in a `verify_email` mail.
pub fn verification_token(mail: &Mail) -> Option<String> {
    if mail.kind != "verify_email" {
        return None;
    }
    let start = mail.text.find("token=")? + "token=".len();
    Some(mail.text[start..].split_whitespace().next()?.to_string())
}

/// The configured sender.
pub fn sender(_state: &AppState) -> &'static dyn Mailer {
    &OutboxMailer
}
