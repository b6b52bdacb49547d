//! GET /tokens-usage — tokens and spend per bucket (hour, day or week), with anomaly flags.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::respond::respond;
use crate::answers;
use crate::csv_export::{filename, FormatParams};
use crate::error::AgentErrors;
use crate::error::ApiError;
use crate::params::{parse_series, AgentParams, AgentQuery, SeriesParams, TimeParams};
use crate::state::AppState;
use crate::stats::{anomalies, round_to, Anomaly, SeriesStats};
use crate::window::{Bucket, DateRange, Granularity};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "agent_name": "support-bot",
    "agent_version": "1.0.0",
    "date_range": {"start_date": "2024-12-04", "end_date": "2024-12-05",
                   "window_start": "2024-12-04T14:30:00Z", "window_end": "2024-12-05T14:30:00Z",
                   "window_end_inclusive": true, "time_zone": "UTC"},
    "granularity": "day",
    "daily_tokens": [
        {"date": "2024-12-04", "bucket_start": "2024-12-04T00:00:00Z", "partial": true, "prompt_tokens": 5120,
         "completion_tokens": 880, "total_tokens": 6000, "cached_prompt_tokens": 1024,
         "spend": 0.021, "messages": 11, "anomaly": null},
        {"date": "2024-12-05", "bucket_start": "2024-12-05T00:00:00Z", "partial": true, "prompt_tokens": 9300,
         "completion_tokens": 1710, "total_tokens": 11010, "cached_prompt_tokens": 0,
         "spend": 0.04035, "messages": 19, "anomaly": null}]
}))]
pub struct TokensUsage {
    pub agent_name: String,
    pub agent_version: String,
    pub date_range: DateRange,
    /// The bucket size of the series: `hour`, `day` or `week`.
    #[schema(example = "day")]
    pub granularity: &'static str,
    /// One entry per bucket (per date by default) from start_date to end_date, oldest first,
    /// zero-filled.
    pub daily_tokens: Vec<DailyTokens>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct DailyTokens {
    /// The date the bucket starts on, in `tz`.
    #[schema(example = "2024-12-05")]
    pub date: NaiveDate,
    /// The bucket's start, RFC 3339 with the zone's offset.
    #[schema(example = "2024-12-05T00:00:00Z")]
    pub bucket_start: String,
    /// True for a bucket the window covers only in part: the first one when the window starts
    /// inside it, the last one when the window ends inside it or it is still running (the
    /// current hour, day or week). Partial buckets are never flagged as anomalies.
    #[schema(example = false)]
    pub partial: bool,
    /// Sum of prompt_tokens of the bucket's rows inside the window.
    #[schema(example = 9300)]
    pub prompt_tokens: i64,
    /// Sum of completion_tokens of the bucket's rows inside the window.
    #[schema(example = 1710)]
    pub completion_tokens: i64,
    /// Sum of LiteLLM's `total_tokens` column (what LiteLLM's own UI shows; it can differ from
    /// prompt + completion where the provider reports so).
    #[schema(example = 11010)]
    pub total_tokens: i64,
    /// Prompt tokens served from the provider's prompt cache.
    #[schema(example = 0)]
    pub cached_prompt_tokens: i64,
    /// Sum of `spend` in USD (9 decimals).
    #[schema(example = 0.04035)]
    pub spend: f64,
    /// Requests in the bucket.
    #[schema(example = 19)]
    pub messages: i64,
    /// `total_tokens` against the 7 buckets before it (robust z-score beyond 3), or null.
    #[schema(value_type = Option<Anomaly>)]
    pub anomaly: Option<Anomaly>,
}

impl TokensUsage {
    fn new(
        q: &AgentQuery,
        granularity: Granularity,
        buckets: &[Bucket],
        stats: &SeriesStats,
        now: NaiveDateTime,
    ) -> Self {
        let partial = q.window.partial_flags(buckets, now);
        let totals: Vec<f64> = stats
            .buckets
            .iter()
            .map(|s| s.total_tokens as f64)
            .collect();
        let daily_tokens = buckets
            .iter()
            .zip(&stats.buckets)
            .zip(partial.iter().zip(anomalies(&totals, &partial)))
            .map(|((bucket, s), (partial, anomaly))| DailyTokens {
                date: bucket.date(),
                bucket_start: bucket.start_label(),
                partial: *partial,
                prompt_tokens: s.prompt_tokens,
                completion_tokens: s.completion_tokens,
                total_tokens: s.total_tokens,
                cached_prompt_tokens: s.cached_prompt_tokens,
                spend: round_to(s.spend, 9),
                messages: s.requests,
                anomaly,
            })
            .collect();
        TokensUsage {
            agent_name: q.agent.name.clone(),
            agent_version: q.agent.version.clone(),
            date_range: q.window.date_range(),
            granularity: granularity.name(),
            daily_tokens,
        }
    }
}

/// Tokens and spend per day (or hour, week) of one agent version, with anomaly flags.
#[utoipa::path(
    get,
    path = "/tokens-usage",
    tag = "analytics",
    params(AgentParams, TimeParams, SeriesParams, FormatParams),
    responses(
        (status = 200, description = "Tokens per bucket; for days=N, N + 1 dates (CSV: one row per bucket)", content((TokensUsage = "application/json"), (String = "text/csv")),
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
    series: web::Query<SeriesParams>,
    format: web::Query<FormatParams>,
) -> Result<HttpResponse, ApiError> {
    let name = |t: &TokensUsage| filename(&["tokens-usage", &t.agent_name, &t.agent_version]);
    respond(
        &state,
        &req,
        &format,
        name,
        |t| &t.daily_tokens,
        || async {
            let (q, granularity) = parse_series(&params, &series, &state.clock)?;
            let answer = answers::agent_series(&state, &q, Some(granularity), false).await?;
            let now = state.clock.now();
            Ok(answer.map(|s| TokensUsage::new(&q, granularity, &s.buckets, &s.stats, now)))
        },
    )
    .await
}
