//! GET /activitytimeline — sessions (and requests, failures) per day, hour or week.

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
use crate::stats::{anomalies, Anomaly, SeriesStats};
use crate::window::{Bucket, DateRange, Granularity};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "agent_name": "support-bot",
    "agent_version": "1.0.0",
    "date_range": {"start_date": "2024-12-04", "end_date": "2024-12-05",
                   "window_start": "2024-12-04T14:30:00Z", "window_end": "2024-12-05T14:30:00Z",
                   "window_end_inclusive": true, "time_zone": "UTC"},
    "granularity": "day",
    "daily_sessions": [
        {"date": "2024-12-04", "bucket_start": "2024-12-04T00:00:00Z", "partial": true, "sessions": 3, "messages": 11,
         "failed_requests": 0, "anomaly": null, "error_anomaly": null},
        {"date": "2024-12-05", "bucket_start": "2024-12-05T00:00:00Z", "partial": true, "sessions": 5, "messages": 19,
         "failed_requests": 1, "anomaly": null, "error_anomaly": null}]
}))]
pub struct ActivityTimeline {
    pub agent_name: String,
    pub agent_version: String,
    pub date_range: DateRange,
    /// The bucket size of the series: `hour`, `day` or `week`.
    #[schema(example = "day")]
    pub granularity: &'static str,
    /// One entry per bucket (per date by default) from start_date to end_date, oldest first,
    /// zero-filled.
    pub daily_sessions: Vec<DailySessions>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct DailySessions {
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
    /// Distinct sessions with at least one row (inside the window) in this bucket.
    #[schema(example = 5)]
    pub sessions: i64,
    /// Requests in this bucket inside the window.
    #[schema(example = 19)]
    pub messages: i64,
    /// Requests with status `failure` in this bucket.
    #[schema(example = 1)]
    pub failed_requests: i64,
    /// `sessions` against the 7 buckets before it (robust z-score beyond 3), or null.
    #[schema(value_type = Option<Anomaly>)]
    pub anomaly: Option<Anomaly>,
    /// `failed_requests` against the 7 buckets before it, or null.
    #[schema(value_type = Option<Anomaly>)]
    pub error_anomaly: Option<Anomaly>,
}

impl ActivityTimeline {
    fn new(
        q: &AgentQuery,
        granularity: Granularity,
        buckets: &[Bucket],
        stats: &SeriesStats,
        now: NaiveDateTime,
    ) -> Self {
        let partial = q.window.partial_flags(buckets, now);
        let sessions: Vec<f64> = stats.buckets.iter().map(|s| s.sessions as f64).collect();
        let failed: Vec<f64> = stats.buckets.iter().map(|s| s.failed as f64).collect();
        let daily_sessions = buckets
            .iter()
            .zip(&stats.buckets)
            .zip(
                partial.iter().zip(
                    anomalies(&sessions, &partial)
                        .into_iter()
                        .zip(anomalies(&failed, &partial)),
                ),
            )
            .map(
                |((bucket, s), (partial, (anomaly, error_anomaly)))| DailySessions {
                    date: bucket.date(),
                    bucket_start: bucket.start_label(),
                    partial: *partial,
                    sessions: s.sessions,
                    messages: s.requests,
                    failed_requests: s.failed,
                    anomaly,
                    error_anomaly,
                },
            )
            .collect();
        ActivityTimeline {
            agent_name: q.agent.name.clone(),
            agent_version: q.agent.version.clone(),
            date_range: q.window.date_range(),
            granularity: granularity.name(),
            daily_sessions,
        }
    }
}

/// Distinct sessions per day (or hour, week) of one agent version, with anomaly flags.
#[utoipa::path(
    get,
    path = "/activitytimeline",
    tag = "analytics",
    params(AgentParams, TimeParams, SeriesParams, FormatParams),
    responses(
        (status = 200, description = "Sessions per bucket; for days=N, N + 1 dates (CSV: one row per bucket)", content((ActivityTimeline = "application/json"), (String = "text/csv")),
         headers(
             ("X-Data-As-Of" = String, description = "The database state the answer reflects (RFC 3339): the in-memory rollup's last refresh, or the query's time"),
             ("X-Data-Source" = String, description = "memory (the rollup) or database (SQL)")
         )),
        AgentErrors
    )
)]
pub async fn activity_timeline(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AgentParams>,
    series: web::Query<SeriesParams>,
    format: web::Query<FormatParams>,
) -> Result<HttpResponse, ApiError> {
    let name =
        |t: &ActivityTimeline| filename(&["activitytimeline", &t.agent_name, &t.agent_version]);
    respond(
        &state,
        &req,
        &format,
        name,
        |t| &t.daily_sessions,
        || async {
            let (q, granularity) = parse_series(&params, &series, &state.clock)?;
            let answer = answers::agent_series(&state, &q, Some(granularity), false).await?;
            let now = state.clock.now();
            Ok(answer.map(|s| ActivityTimeline::new(&q, granularity, &s.buckets, &s.stats, now)))
        },
    )
    .await
}
