//! GET /detailed-usage — one row per request, newest first, paged.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::respond::{agent_list_csv, shared};
use crate::answers;
use crate::csv_export::{wants_csv, FormatParams};
use crate::error::AgentErrors;
use crate::error::ApiError;
use crate::params::{AgentParams, AgentQuery, PageParams, TimeParams};
use crate::queries::UsageRow;
use crate::state::AppState;
use crate::window::{format_timestamp, DateRange};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "agent_name": "support-bot",
    "agent_version": "1.0.0",
    "date_range": {"start_date": "2024-12-04", "end_date": "2024-12-05",
                   "window_start": "2024-12-04T14:30:00Z", "window_end": "2024-12-05T14:30:00Z"},
    "usage_logs": [{
        "timestamp": "2024-12-05T14:00:00.250Z", "agent_name": "support-bot", "total_tokens": 120,
        "prompt_tokens": 100, "completion_tokens": 20, "duration_seconds": 1.5,
        "request_id": "chatcmpl-9f2c", "agent_version": "1.0.0", "model": "gpt-4o"
    }],
    "next_cursor": "djEuMTczMzQwOTAwMDAwMDAwMC4xNzMzNDA3MjAwMjUwMDAwLmNoYXRjbXBsLTlmMmM"
}))]
pub struct DetailedUsage {
    pub agent_name: String,
    pub agent_version: String,
    pub date_range: DateRange,
    /// Requests, newest first.
    pub usage_logs: Vec<UsageLog>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct UsageLog {
    /// The request's startTime, RFC 3339 UTC (milliseconds kept when present).
    #[schema(example = "2024-12-05T14:00:00.250Z")]
    pub timestamp: String,
    #[schema(example = "support-bot")]
    pub agent_name: String,
    /// LiteLLM's `total_tokens` column (what LiteLLM's own UI shows; it can differ from prompt +
    /// completion where the provider reports so).
    #[schema(example = 120)]
    pub total_tokens: i64,
    #[schema(example = 100)]
    pub prompt_tokens: i64,
    #[schema(example = 20)]
    pub completion_tokens: i64,
    /// endTime − startTime in seconds.
    #[schema(example = 1.5)]
    pub duration_seconds: f64,
    /// LiteLLM's request id (the row's primary key).
    #[schema(example = "chatcmpl-9f2c")]
    pub request_id: String,
    #[schema(example = "1.0.0")]
    pub agent_version: String,
    /// The model the request was routed to (the row's `model`).
    #[schema(example = "gpt-4o")]
    pub model: String,
}

impl UsageLog {
    fn new(q: &AgentQuery, row: UsageRow) -> Self {
        let duration = row.end_time - row.start_time;
        UsageLog {
            timestamp: format_timestamp(row.start_time),
            agent_name: q.agent.name.clone(),
            total_tokens: row.total_tokens,
            prompt_tokens: row.prompt_tokens,
            completion_tokens: row.completion_tokens,
            duration_seconds: duration.num_microseconds().unwrap_or(0) as f64 / 1e6,
            request_id: row.request_id,
            agent_version: q.agent.version.clone(),
            model: row.model.unwrap_or_default(),
        }
    }
}

/// Per-request token usage and duration of one agent version, newest first.
#[utoipa::path(
    get,
    path = "/detailed-usage",
    tag = "analytics",
    params(AgentParams, TimeParams, PageParams, FormatParams),
    responses(
        (status = 200, description = "One page (CSV: every row from the cursor on, streamed) of requests, newest first", content((DetailedUsage = "application/json"), (String = "text/csv")),
         headers(
             ("X-Data-As-Of" = String, description = "The database state the answer reflects (RFC 3339): the in-memory rollup's last refresh, or the query's time"),
             ("X-Data-Source" = String, description = "memory (the rollup) or database (SQL)")
         )),
        AgentErrors
    )
)]
pub async fn detailed_usage(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AgentParams>,
    page: web::Query<PageParams>,
    format: web::Query<FormatParams>,
) -> Result<HttpResponse, ApiError> {
    if wants_csv(&req, &format)? {
        let items: fn(&AgentQuery, Vec<UsageRow>) -> Vec<UsageLog> =
            |q, rows| rows.into_iter().map(|r| UsageLog::new(q, r)).collect();
        let params = params.into_inner();
        return agent_list_csv(&req, state, params, &page, "detailed-usage", items).await;
    }
    shared(&state, &req, || async {
        let answer = answers::agent_page::<UsageRow>(&state, &params, &page).await?;
        Ok(answer.map(|page| {
            let q = &page.query;
            DetailedUsage {
                agent_name: q.agent.name.clone(),
                agent_version: q.agent.version.clone(),
                date_range: q.window.date_range(),
                usage_logs: page.rows.into_iter().map(|r| UsageLog::new(q, r)).collect(),
                next_cursor: page.next_cursor,
            }
        }))
    })
    .await
}
