//! GET /health — can the service reach its database right now?

use std::time::Duration;

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::error::{ApiError, Problem};
use crate::queries;
use crate::window::format_timestamp;

/// How long the database may take to answer `SELECT 1`.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    #[schema(example = "healthy")]
    pub status: &'static str,
    #[schema(example = "2024-12-05T14:30:00.123Z")]
    pub timestamp: String,
}

/// 200 when `SELECT 1` through the pool answers within 2 s, else 503.
#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    responses(
        (status = 200, description = "The database answered", body = HealthStatus),
        (status = 503, description = "The database did not answer within 2 s",
         body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn health(state: web::Data<AppState>) -> Result<web::Json<HealthStatus>, ApiError> {
    let check = async {
        let client = state.db.client().await?;
        queries::ping(&client).await
    };
    match tokio::time::timeout(HEALTH_TIMEOUT, check).await {
        Ok(Ok(())) => Ok(web::Json(HealthStatus {
            status: "healthy",
            timestamp: format_timestamp(state.clock.now()),
        })),
        Ok(Err(ApiError::DatabaseUnavailable(why))) => Err(ApiError::DatabaseUnavailable(why)),
        Ok(Err(other)) => Err(ApiError::DatabaseUnavailable(other.to_string())),
        Err(_) => Err(ApiError::DatabaseUnavailable(
            "SELECT 1 did not answer within 2 s".to_string(),
        )),
    }
}
