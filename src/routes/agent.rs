//! GET /analytics/agent — the dashboard's headline numbers.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::{agent_not_found, shared, AppState};
use crate::error::ApiError;
use crate::openapi::AgentErrors;
use crate::params::{AgentParams, AgentQuery};
use crate::queries::AgentSummaryRow;
use crate::window::DateRange;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "agent_name": "support-bot",
    "agent_version": "1.0.0",
    "metrics": {"total_sessions": 42, "total_messages": 310, "avg_daily_messages": 44.29, "total_users": 17},
    "date_range": {"start_date": "2024-11-28", "end_date": "2024-12-05",
                   "window_start": "2024-11-28T14:30:00Z", "window_end": "2024-12-05T14:30:00Z"}
}))]
pub struct AgentAnalytics {
    pub agent_name: String,
    pub agent_version: String,
    pub metrics: AgentMetrics,
    pub date_range: DateRange,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentMetrics {
    /// Distinct non-null agent_session_id values in the window.
    #[schema(example = 42)]
    pub total_sessions: i64,
    /// Requests (rows) in the window, failed ones included.
    #[schema(example = 310)]
    pub total_messages: i64,
    /// total_messages / days, rounded to 2 decimals.
    #[schema(example = 44.29)]
    pub avg_daily_messages: f64,
    /// Distinct non-null agent_user_id values in the window.
    #[schema(example = 17)]
    pub total_users: i64,
}

impl AgentAnalytics {
    fn new(q: &AgentQuery, totals: AgentSummaryRow) -> Self {
        AgentAnalytics {
            agent_name: q.agent.name.clone(),
            agent_version: q.agent.version.clone(),
            metrics: AgentMetrics {
                total_sessions: totals.total_sessions,
                total_messages: totals.total_messages,
                avg_daily_messages: per_day_rounded(totals.total_messages, q.window.days.get()),
                total_users: totals.total_users,
            },
            date_range: q.window.date_range(),
        }
    }
}

/// `total / days` rounded half away from zero to 2 decimals, in integer arithmetic so that no
/// binary-float error can tip a value across a rounding boundary.
fn per_day_rounded(total: i64, days: u32) -> f64 {
    let days = i64::from(days.max(1));
    let hundredths = (total * 100 * 2 + days) / (2 * days);
    hundredths as f64 / 100.0
}

/// Sessions, messages, users and average daily messages of one agent version.
#[utoipa::path(
    get,
    path = "/analytics/agent",
    tag = "analytics",
    params(AgentParams),
    responses(
        (status = 200, description = "Totals for the agent+version in the window", body = AgentAnalytics,
         headers(
             ("X-Data-As-Of" = String, description = "The database state the answer reflects (RFC 3339): the in-memory rollup's last refresh, or the query's time"),
             ("X-Data-Source" = String, description = "memory (the rollup) or database (SQL)")
         )),
        AgentErrors
    )
)]
pub async fn agent_analytics(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AgentParams>,
) -> Result<HttpResponse, ApiError> {
    shared(&state, &req, || async {
        let q = params.parse(&state.clock)?;
        let answer = state.agent_summary(&q).await?;
        if answer.value.total_messages == 0 {
            return Err(agent_not_found(&q, &state.db));
        }
        Ok(answer.map(|totals| AgentAnalytics::new(&q, totals)))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::per_day_rounded;

    #[test]
    fn average_is_rounded_to_two_decimals() {
        assert_eq!(per_day_rounded(10, 7), 1.43); // 1.428…
        assert_eq!(per_day_rounded(1, 7), 0.14); // 0.142…
        assert_eq!(per_day_rounded(5, 2), 2.5);
        assert_eq!(per_day_rounded(1, 15), 0.07); // 0.0666…
        assert_eq!(per_day_rounded(3, 1), 3.0);
        assert_eq!(per_day_rounded(0, 20), 0.0);
        assert_eq!(per_day_rounded(1, 8), 0.13); // 0.125: half away from zero
    }
}
