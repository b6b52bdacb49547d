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
}

impl HealthStatus {
    fn now(status: &'static str, state: &AppState) -> web::Json<HealthStatus> {
        web::Json(HealthStatus {
            status,
            timestamp: format_timestamp(state.clock.now()),
        })
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
    Ok(HealthStatus::now("healthy", &state))
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
/// 200 when the database answers `SELECT 1` within 2 s, the in-memory rollup has
/// loaded (after a start: seconds to minutes, with the table's size) and the service is not
/// shutting down; 503 otherwise. Use it for the readiness probe and the load balancer.
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
            "loading the last {} days into memory (complete back to {}); summaries are answered \
             by SQL meanwhile",
            state.rollup.settings().horizon.as_secs() / 86_400,
            state
                .rollup
                .covered_from()
                .map_or_else(|| "nothing yet".to_string(), format_timestamp)
        )));
    }
    Ok(HealthStatus::now("ready", &state))
}
