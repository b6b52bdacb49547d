//! Health checks. `/health/live` says the process is up (liveness and startup probes: it never
//! touches the database, so a database blip does not restart pods); `/health/ready` says this
//! instance should get traffic (readiness probe and the load balancer's health check: the
//! database answers and the service is not shutting down); `/health` is the spec's check.

use crate::error::RequestLimits;
use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::window::format_timestamp;

/// How long the database may take to answer `SELECT 1`.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    /// `healthy` (/health), `ready` (/health/ready) or `alive` (/health/live).
    #[schema(example = "healthy")]
    pub status: &'static str,
    #[schema(example = "2024-12-05T14:30:00.123Z")]
    pub timestamp: String,
    /// The in-memory rollup (on /health and /health/ready).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollup: Option<RollupHealth>,
}

/// What the in-memory rollup holds and how it is doing.
#[derive(Debug, Serialize, ToSchema)]
pub struct RollupHealth {
    /// `off` (ANALYTICS_ROLLUP=off or the database cannot be served from memory), `loading` (not
    /// yet covering the last ANALYTICS_READY_DAYS) or `ready`.
    #[schema(example = "ready")]
    pub state: &'static str,
    /// Windows starting at or after this instant are answered from memory (null: nothing yet).
    #[schema(example = "2023-11-01T15:00:00.000Z")]
    pub complete_from: Option<String>,
    /// Requests held.
    #[schema(example = 1520344)]
    pub rows: u64,
    /// The rollup's heap, estimated from its allocations.
    #[schema(example = 201326592)]
    pub memory_bytes: u64,
    /// ANALYTICS_MEMORY_LIMIT_MB in bytes (null: no budget).
    #[schema(example = 322122547)]
    pub memory_budget_bytes: Option<u64>,
    /// The budget made the rollup drop days before this instant: windows reaching further back
    /// are answered by SQL (null: the whole ANALYTICS_HORIZON_DAYS fits).
    #[schema(example = json!(null))]
    pub limited_by_memory_from: Option<String>,
}

impl HealthStatus {
    fn now(status: &'static str, state: &AppState) -> web::Json<HealthStatus> {
        web::Json(HealthStatus {
            status,
            timestamp: format_timestamp(state.clock.now()),
            rollup: None,
        })
    }

    /// With the rollup's state: read from what its refresher last measured, never waiting for
    /// the store.
    fn with_rollup(status: &'static str, state: &AppState) -> web::Json<HealthStatus> {
        let r = state.rollup.status();
        let mut health = HealthStatus::now(status, state);
        health.rollup = Some(RollupHealth {
            state: match (r.enabled, r.ready) {
                (false, _) => "off",
                (true, false) => "loading",
                (true, true) => "ready",
            },
            complete_from: r.covered_from.map(format_timestamp),
            rows: r.rows_held,
            memory_bytes: r.heap_bytes,
            memory_budget_bytes: state.rollup.settings().memory_budget,
            limited_by_memory_from: r.memory_floor.map(format_timestamp),
        });
        health
    }
}

/// `SELECT 1` on the health checks' own connection (never the query pool, so a pool full of
/// slow queries does not fail the checks) within [`HEALTH_TIMEOUT`], reused for a second; any
/// failure is a 503 whose body says only "database unavailable" (the cause is logged).
async fn database_answers(state: &AppState) -> Result<(), ApiError> {
    Ok(state.db.health(HEALTH_TIMEOUT).await?)
}

/// Database health.
///
/// 200 when `SELECT 1` answers within 2 s on the health checks' own connection (never behind
/// queries; a success is reused for 1 s), else 503 saying only "database unavailable".
#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    security(()),
    responses(
        (status = 200, description = "The database answered", body = HealthStatus),
        (status = 503, description = "The database did not answer within 2 s",
         body = Problem, content_type = "application/problem+json"),
        RequestLimits
    )
)]
pub async fn health(state: web::Data<AppState>) -> Result<web::Json<HealthStatus>, ApiError> {
    database_answers(&state).await?;
    Ok(HealthStatus::with_rollup("healthy", &state))
}

/// Liveness: 200 while the process serves HTTP. Never touches the database.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "service",
    security(()),
    responses((status = 200, description = "The process is up", body = HealthStatus), RequestLimits)
)]
pub async fn live(state: web::Data<AppState>) -> web::Json<HealthStatus> {
    HealthStatus::now("alive", &state)
}

/// Readiness for the probe and the load balancer.
///
/// 200 when the database answers `SELECT 1` within 2 s, the in-memory rollup covers the last
/// ANALYTICS_READY_DAYS (after a start: seconds, with the table's size; older days keep loading
/// in the background) and the service is not shutting down; 503 otherwise. The body says what
/// the rollup holds (`rollup`). Use it for the readiness probe and the load balancer.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "service",
    security(()),
    responses(
        (status = 200, description = "Ready for traffic", body = HealthStatus),
        (status = 503, description = "Shutting down, still loading the rollup, or the database did not answer within 2 s",
         body = Problem, content_type = "application/problem+json"),
        RequestLimits
    )
)]
pub async fn ready(state: web::Data<AppState>) -> Result<web::Json<HealthStatus>, ApiError> {
    if state.draining.load(Ordering::Relaxed) {
        return Err(ApiError::ShuttingDown);
    }
    database_answers(&state).await?;
    if !state.rollup.warm() {
        return Err(ApiError::WarmingUp(format!(
            "loading the last {} days into memory (ANALYTICS_READY_DAYS; complete back to {}); \
             summaries are answered by SQL meanwhile",
            state.rollup.settings().ready_span.as_secs() / 86_400,
            state
                .rollup
                .status()
                .covered_from
                .map_or_else(|| "nothing yet".to_string(), format_timestamp)
        )));
    }
    Ok(HealthStatus::with_rollup("ready", &state))
}
