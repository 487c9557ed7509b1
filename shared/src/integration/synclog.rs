//! SyncLog: one entry per exchange with WordPress (connection test, publish,
//! update, media upload, pull, webhook) with its status, duration, the
//! WordPress post id and the error. Kept 90 days (TTL).

use crate::error::AppResult;
use crate::state::AppState;
use crate::store::keys::{self, Index, Key, Tenant};
use crate::store::{Item, ItemKeys, Page, Query, SkCondition};
use serde::{Deserialize, Serialize};

const KEEP_SECS: i64 = 90 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncLog {
    pub id: String,
    pub account_id: String,
    pub integration_id: String,
    /// `test`, `publish`, `update`, `media`, `pull`, `webhook`.
    pub action: String,
    /// `ok` or `error`.
    pub status: String,
    pub duration_ms: u64,
    #[serde(default)]
    pub wp_post_id: Option<u64>,
    #[serde(default)]
    pub content_id: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    pub created_at: String,
}

impl Item for SyncLog {
    const ENTITY: &'static str = "SyncLog";
    fn key(&self) -> Key {
        keys::sync_log(&Tenant::from_verified(&self.account_id), &self.integration_id, &self.id)
    }
    fn index_keys(&self) -> ItemKeys {
        ItemKeys { ttl: Some(crate::ids::now_epoch() + KEEP_SECS), ..Default::default() }
    }
}

/// What one exchange did.
#[derive(Debug, Default, Clone)]
pub struct Entry {
    pub action: &'static str,
    pub ok: bool,
    pub duration_ms: u64,
    pub wp_post_id: Option<u64>,
    pub content_id: Option<String>,
    pub detail: Option<String>,
    pub error: Option<String>,
}

/// Writes an entry (a failure to log is logged, never fails the work).
pub async fn write(state: &AppState, tenant: &Tenant, integration_id: &str, e: Entry) {
    let item = SyncLog {
        id: crate::ids::new_id(),
        account_id: tenant.account_id().to_string(),
        integration_id: integration_id.to_string(),
        action: e.action.to_string(),
        status: if e.ok { "ok".into() } else { "error".into() },
        duration_ms: e.duration_ms,
        wp_post_id: e.wp_post_id,
        content_id: e.content_id,
        detail: e.detail,
        error: e.error,
        created_at: crate::ids::now_rfc3339(),
    };
    if let Err(err) = state.store.put(&item).await {
        tracing::warn!(error = ?err, integration = integration_id, "could not write a sync log entry");
    }
}

/// An integration's log, newest first.
pub async fn list(state: &AppState, tenant: &Tenant, integration_id: &str, limit: i32, cursor: Option<String>) -> AppResult<Page<SyncLog>> {
    let q = Query::new(tenant, Index::Table, keys::sync_log_pk(tenant, integration_id))
        .sk(SkCondition::BeginsWith(keys::SYNC_LOG_PREFIX.into()))
        .newest_first(true)
        .limit(limit)
        .cursor(cursor);
    state.store.query(&q).await
}
