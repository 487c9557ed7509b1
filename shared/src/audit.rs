//! The audit log: who did what to which thing, when, from where. Entries are
//! written in the same transaction as the change where one exists, and are
//! readable by admins and owners, newest first.

use crate::accounts::User;
use crate::auth::guard::Principal;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, Page, Query, SkCondition};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who acted.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub email: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn user(u: &User, ip: Option<&str>) -> Self {
        Self { user_id: u.id.clone(), email: u.email.clone(), ip: ip.map(str::to_string) }
    }
    pub fn principal(p: &Principal, ip: Option<&str>) -> Self {
        Self { user_id: p.user_id.clone(), email: p.email.clone(), ip: ip.map(str::to_string) }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub account_id: String,
    pub actor_id: String,
    pub actor_email: String,
    /// e.g. `auth.login`, `auth.login_failed`, `user.role_change`, `user.add`,
    /// `user.remove`, `auth.password_change`, `site.delete`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    #[serde(default)]
    pub detail: Value,
    #[serde(default)]
    pub ip: Option<String>,
    pub created_at: String,
}

impl Item for AuditEntry {
    const ENTITY: &'static str = "AuditEntry";
    fn key(&self) -> Key {
        keys::audit(&Tenant::from_verified(&self.account_id), &self.id)
    }
}

pub fn entry(tenant: &Tenant, actor: &Actor, action: &str, target_type: &str, target_id: &str, detail: Value) -> AuditEntry {
    AuditEntry {
        id: crate::ids::new_id(),
        account_id: tenant.account_id().to_string(),
        actor_id: actor.user_id.clone(),
        actor_email: actor.email.clone(),
        action: action.to_string(),
        target_type: target_type.to_string(),
        target_id: target_id.to_string(),
        detail,
        ip: actor.ip.clone(),
        created_at: crate::ids::now_rfc3339(),
    }
}

/// Writes one entry on its own (when there is no transaction to join).
pub async fn record(
    state: &AppState,
    tenant: &Tenant,
    actor: &Actor,
    action: &str,
    target_type: &str,
    target_id: &str,
    detail: Value,
) -> AppResult<()> {
    state.store.put(&entry(tenant, actor, action, target_type, target_id, detail)).await
}

/// The account's entries, newest first; `?action=` filters by action.
pub async fn list(state: &AppState, p: &Principal, limit: i32, cursor: Option<String>) -> AppResult<Page<AuditEntry>> {
    let tenant = p.tenant();
    let q = Query::new(&tenant, Index::Table, tenant.pk())
        .sk(SkCondition::BeginsWith(keys::AUDIT_PREFIX.into()))
        .limit(limit)
        .cursor(cursor)
        .newest_first(true);
    state.store.query(&q).await
}
