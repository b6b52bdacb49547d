//! GET /analytics/agent — the dashboard's headline numbers.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::respond::shared;
use crate::answers;
use crate::error::AgentErrors;
use crate::error::ApiError;
use crate::params::{AgentParams, AgentQuery, TimeParams};
use crate::state::AppState;
use crate::stats::Stats;
use crate::window::DateRange;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "agent_name": "support-bot",
    "agent_version": "1.0.0",
    "metrics": {"total_sessions": 42, "total_messages": 310, "avg_daily_messages": 44.29, "total_users": 17,
                "total_spend": 1.284503112, "successful_requests": 301, "failed_requests": 9,
                "error_rate": 0.029, "cache_hits": 12, "cached_prompt_tokens": 20480},
    "date_range": {"start_date": "2024-11-28", "end_date": "2024-12-05",
                   "window_start": "2024-11-28T14:30:00Z", "window_end": "2024-12-05T14:30:00Z",
                   "window_end_inclusive": true, "time_zone": "UTC"}
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
    /// Sum of `spend` in USD (rounded to 9 decimals).
    #[schema(example = 1.284503112)]
    pub total_spend: f64,
    /// Requests that did not fail.
    #[schema(example = 301)]
    pub successful_requests: i64,
    /// Requests with status `failure`.
    #[schema(example = 9)]
    pub failed_requests: i64,
    /// failed_requests / total_messages, 4 decimals (null without requests).
    #[schema(example = 0.029)]
    pub error_rate: Option<f64>,
    /// Requests LiteLLM answered from its cache (`cache_hit` = 'True').
    #[schema(example = 12)]
    pub cache_hits: i64,
    /// Prompt tokens the provider served from its prompt cache
    /// (`metadata.usage_object.prompt_tokens_details.cached_tokens`).
    #[schema(example = 20480)]
    pub cached_prompt_tokens: i64,
}

impl AgentAnalytics {
    fn new(q: &AgentQuery, stats: &Stats) -> Self {
        AgentAnalytics {
            agent_name: q.agent.name.clone(),
            agent_version: q.agent.version.clone(),
            metrics: AgentMetrics {
                total_sessions: stats.sessions,
                total_messages: stats.requests,
                avg_daily_messages: per_day_rounded(stats.requests, q.window.length_micros()),
                total_users: stats.users,
                total_spend: stats.spend_usd(),
                successful_requests: stats.successful(),
                failed_requests: stats.failed,
                error_rate: stats.error_rate(),
                cache_hits: stats.cache_hits,
                cached_prompt_tokens: stats.cached_prompt_tokens,
            },
            date_range: q.window.date_range(),
        }
    }
}

/// `total` per 24 hours of the window (for `days=N`: total / N), rounded half away from zero to
/// 2 decimals, in integer arithmetic so that no binary-float error can tip a rounding.
fn per_day_rounded(total: i64, window_micros: i64) -> f64 {
    const DAY_MICROS: i128 = 24 * 3_600_000_000;
    let window = i128::from(window_micros.max(1));
    let hundredths = (i128::from(total) * 100 * DAY_MICROS * 2 + window) / (2 * window);
    hundredths as f64 / 100.0
}

/// Sessions, messages, users and average daily messages of one agent version.
#[utoipa::path(
    get,
    path = "/analytics/agent",
    tag = "analytics",
    params(AgentParams, TimeParams),
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
        let answer = answers::agent_series(&state, &q, None, false).await?;
        Ok(answer.map(|s| AgentAnalytics::new(&q, &s.stats.overall)))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::per_day_rounded;

    #[test]
    fn average_is_rounded_to_two_decimals() {
        let days = |n: i64| n * 24 * 3_600_000_000;
        assert_eq!(per_day_rounded(10, days(7)), 1.43); // 1.428…
        assert_eq!(per_day_rounded(1, days(7)), 0.14); // 0.142…
        assert_eq!(per_day_rounded(5, days(2)), 2.5);
        assert_eq!(per_day_rounded(1, days(15)), 0.07); // 0.0666…
        assert_eq!(per_day_rounded(3, days(1)), 3.0);
        assert_eq!(per_day_rounded(0, days(20)), 0.0);
        assert_eq!(per_day_rounded(1, days(8)), 0.13); // 0.125: half away from zero
        assert_eq!(per_day_rounded(3, days(1) / 2), 6.0); // a 12-hour range
    }
}
