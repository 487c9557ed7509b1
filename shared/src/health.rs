//! `GET /api/v1/health/`: version and whether the table is reachable.

use crate::state::AppState;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` when every dependency answers, `degraded` otherwise.
    pub status: &'static str,
    pub version: &'static str,
    pub table: crate::store::TableHealth,
}

pub async fn check(state: &AppState) -> Health {
    let table = state.store.health().await;
    Health { status: if table.reachable { "ok" } else { "degraded" }, version: crate::VERSION, table }
}
