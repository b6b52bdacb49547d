//! GET /total-tokens — tokens and spend of one agent version over the whole window.

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
    "date_range": {"start_date": "2024-11-28", "end_date": "2024-12-05",
                   "window_start": "2024-11-28T14:30:00Z", "window_end": "2024-12-05T14:30:00Z",
                   "window_end_inclusive": true, "time_zone": "UTC"},
    "granularity": "day",
    "total_prompt_tokens": 48210,
    "total_completion_tokens": 9120,
    "total_tokens": 57330,
    "total_cached_prompt_tokens": 4096,
    "total_spend": 0.2146,
    "total_messages": 310
}))]
pub struct TotalTokens {
    pub agent_name: String,
    pub agent_version: String,
    pub date_range: DateRange,
    /// Sum of prompt_tokens over the window.
    #[schema(example = 48210)]
    pub total_prompt_tokens: i64,
    /// Sum of completion_tokens over the window.
    #[schema(example = 9120)]
    pub total_completion_tokens: i64,
    /// Sum of LiteLLM's `total_tokens` column (what LiteLLM's own UI shows; it can differ from
    /// prompt + completion where the provider reports so).
    #[schema(example = 57330)]
    pub total_tokens: i64,
    /// Prompt tokens served from the provider's prompt cache.
    #[schema(example = 4096)]
    pub total_cached_prompt_tokens: i64,
    /// Sum of `spend` in USD (9 decimals).
    #[schema(example = 0.2146)]
    pub total_spend: f64,
    /// Requests in the window.
    #[schema(example = 310)]
    pub total_messages: i64,
}

impl TotalTokens {
    fn new(q: &AgentQuery, s: &Stats) -> Self {
        TotalTokens {
            agent_name: q.agent.name.clone(),
            agent_version: q.agent.version.clone(),
            date_range: q.window.date_range(),
            total_prompt_tokens: s.prompt_tokens,
            total_completion_tokens: s.completion_tokens,
            total_tokens: s.total_tokens,
            total_cached_prompt_tokens: s.cached_prompt_tokens,
            total_spend: s.spend_usd(),
            total_messages: s.requests,
        }
    }
}

/// Tokens and spend of one agent version over the whole window.
#[utoipa::path(
    get,
    path = "/total-tokens",
    tag = "analytics",
    params(AgentParams, TimeParams),
    responses(
        (status = 200, description = "Token totals for the window", body = TotalTokens,
         headers(
             ("X-Data-As-Of" = String, description = "The database state the answer reflects (RFC 3339): the in-memory rollup's last refresh, or the query's time"),
             ("X-Data-Source" = String, description = "memory (the rollup) or database (SQL)")
         )),
        AgentErrors
    )
)]
pub async fn total_tokens(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AgentParams>,
) -> Result<HttpResponse, ApiError> {
    shared(&state, &req, || async {
        let q = params.parse(&state.clock)?;
        let answer = answers::agent_series(&state, &q, None, false).await?;
        Ok(answer.map(|s| TotalTokens::new(&q, &s.stats.overall)))
    })
    .await
}
