//! GET /tokens-usage (per day) and GET /total-tokens (whole window).

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::{agent_not_found, shared, AppState};
use crate::error::ApiError;
use crate::openapi::AgentErrors;
use crate::params::{AgentParams, AgentQuery};
use crate::queries::{DailyTokensRow, TotalTokensRow};
use crate::window::{each_date, DateRange};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "agent_name": "support-bot",
    "agent_version": "1.0.0",
    "date_range": {"start_date": "2024-12-04", "end_date": "2024-12-05",
                   "window_start": "2024-12-04T14:30:00Z", "window_end": "2024-12-05T14:30:00Z"},
    "daily_tokens": [{"date": "2024-12-04", "prompt_tokens": 5120, "completion_tokens": 880},
                     {"date": "2024-12-05", "prompt_tokens": 9300, "completion_tokens": 1710}]
}))]
pub struct TokensUsage {
    pub agent_name: String,
    pub agent_version: String,
    pub date_range: DateRange,
    /// One entry per UTC date from start_date to end_date, oldest first, zero-filled.
    pub daily_tokens: Vec<DailyTokens>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyTokens {
    #[schema(example = "2024-12-05")]
    pub date: NaiveDate,
    /// Sum of prompt_tokens of the date's rows inside the window.
    #[schema(example = 9300)]
    pub prompt_tokens: i64,
    /// Sum of completion_tokens of the date's rows inside the window.
    #[schema(example = 1710)]
    pub completion_tokens: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "agent_name": "support-bot",
    "agent_version": "1.0.0",
    "date_range": {"start_date": "2024-11-28", "end_date": "2024-12-05",
                   "window_start": "2024-11-28T14:30:00Z", "window_end": "2024-12-05T14:30:00Z"},
    "total_prompt_tokens": 48210,
    "total_completion_tokens": 9120
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
}

impl TokensUsage {
    fn new(q: &AgentQuery, rows: &[DailyTokensRow]) -> Self {
        let by_date: HashMap<NaiveDate, &DailyTokensRow> =
            rows.iter().map(|r| (r.day, r)).collect();
        let daily_tokens = each_date(&q.window, &by_date)
            .into_iter()
            .map(|(date, row)| DailyTokens {
                date,
                prompt_tokens: row.map_or(0, |r| r.prompt_tokens),
                completion_tokens: row.map_or(0, |r| r.completion_tokens),
            })
            .collect();
        TokensUsage {
            agent_name: q.agent.name.clone(),
            agent_version: q.agent.version.clone(),
            date_range: q.window.date_range(),
            daily_tokens,
        }
    }
}

impl TotalTokens {
    fn new(q: &AgentQuery, totals: TotalTokensRow) -> Self {
        TotalTokens {
            agent_name: q.agent.name.clone(),
            agent_version: q.agent.version.clone(),
            date_range: q.window.date_range(),
            total_prompt_tokens: totals.prompt_tokens,
            total_completion_tokens: totals.completion_tokens,
        }
    }
}

/// Prompt and completion tokens per UTC date of one agent version.
#[utoipa::path(
    get,
    path = "/tokens-usage",
    tag = "analytics",
    params(AgentParams),
    responses(
        (status = 200, description = "Tokens per date, days + 1 entries", body = TokensUsage,
         headers(
             ("X-Data-As-Of" = String, description = "The database state the answer reflects (RFC 3339): the in-memory rollup's last refresh, or the query's time"),
             ("X-Data-Source" = String, description = "memory (the rollup) or database (SQL)")
         )),
        AgentErrors
    )
)]
pub async fn tokens_usage(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AgentParams>,
) -> Result<HttpResponse, ApiError> {
    shared(&state, &req, || async {
        let q = params.parse(&state.clock)?;
        let answer = state.daily_tokens(&q).await?;
        if answer.value.is_empty() {
            return Err(agent_not_found(&q, &state.db));
        }
        Ok(answer.map(|rows| TokensUsage::new(&q, &rows)))
    })
    .await
}

/// Prompt and completion tokens of one agent version over the whole window.
#[utoipa::path(
    get,
    path = "/total-tokens",
    tag = "analytics",
    params(AgentParams),
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
        let answer = state.total_tokens(&q).await?;
        if answer.value.messages == 0 {
            return Err(agent_not_found(&q, &state.db));
        }
        Ok(answer.map(|totals| TotalTokens::new(&q, totals)))
    })
    .await
}
