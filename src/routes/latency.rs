//! GET /latency — request duration and time-to-first-token distributions, per bucket and overall.

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
use crate::stats::{Latency, SeriesStats, Stats};
use crate::window::{Bucket, DateRange, Granularity};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "agent_name": "support-bot",
    "agent_version": "1.0.0",
    "date_range": {"start_date": "2024-12-04", "end_date": "2024-12-05",
                   "window_start": "2024-12-04T14:30:00Z", "window_end": "2024-12-05T14:30:00Z",
                   "window_end_inclusive": true, "time_zone": "UTC"},
    "granularity": "day",
    "overall": {
        "duration": {"count": 30, "avg_ms": 1834.5, "min_ms": 61.0, "max_ms": 15872.0,
                     "p50_ms": 1204.0, "p95_ms": 5120.0, "p99_ms": 15872.0},
        "ttft": {"count": 12, "avg_ms": 412.25, "min_ms": 180.0, "max_ms": 990.0,
                 "p50_ms": 377.0, "p95_ms": 990.0, "p99_ms": 990.0}},
    "buckets": [{"date": "2024-12-04", "bucket_start": "2024-12-04T00:00:00Z", "partial": true,
                 "duration": {"count": 11, "avg_ms": 1502.1, "min_ms": 61.0, "max_ms": 4410.0,
                              "p50_ms": 1203.0, "p95_ms": 4410.0, "p99_ms": 4410.0},
                 "ttft": {"count": 0, "avg_ms": null, "min_ms": null, "max_ms": null,
                          "p50_ms": null, "p95_ms": null, "p99_ms": null}}]
}))]
pub struct LatencyReport {
    pub agent_name: String,
    pub agent_version: String,
    pub date_range: DateRange,
    /// The bucket size of the series: `hour`, `day` or `week`.
    #[schema(example = "day")]
    pub granularity: &'static str,
    /// The whole window.
    pub overall: Durations,
    /// One entry per bucket, oldest first (empty buckets have count 0 and nulls).
    pub buckets: Vec<BucketDurations>,
}

/// Request duration (`request_duration_ms` where present, else endTime − startTime) and time to
/// first token (completionStartTime − startTime, only where completionStartTime is earlier than
/// endTime: unstreamed calls have it equal to endTime). Percentiles are nearest-rank: the p-th
/// percentile of n values is the ⌈p·n⌉-th smallest.
#[derive(Debug, Serialize, ToSchema)]
pub struct Durations {
    pub duration: Latency,
    pub ttft: Latency,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct BucketDurations {
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
    pub duration: Latency,
    pub ttft: Latency,
}

impl Durations {
    fn of(stats: &Stats) -> Durations {
        Durations {
            duration: stats.duration.clone(),
            ttft: stats.ttft.clone(),
        }
    }
}

impl LatencyReport {
    fn new(
        q: &AgentQuery,
        granularity: Granularity,
        buckets: &[Bucket],
        stats: &SeriesStats,
        now: NaiveDateTime,
    ) -> Self {
        LatencyReport {
            agent_name: q.agent.name.clone(),
            agent_version: q.agent.version.clone(),
            date_range: q.window.date_range(),
            granularity: granularity.name(),
            overall: Durations::of(&stats.overall),
            buckets: buckets
                .iter()
                .zip(&stats.buckets)
                .map(|(bucket, s)| BucketDurations {
                    date: bucket.date(),
                    bucket_start: bucket.start_label(),
                    partial: q.window.is_partial(bucket, now),
                    duration: s.duration.clone(),
                    ttft: s.ttft.clone(),
                })
                .collect(),
        }
    }
}

/// Latency of one agent version: count, average, min, max and nearest-rank p50/p95/p99 of request
/// duration and time to first token, per bucket and overall.
#[utoipa::path(
    get,
    path = "/latency",
    tag = "analytics",
    params(AgentParams, TimeParams, SeriesParams, FormatParams),
    responses(
        (status = 200, description = "Duration distributions per bucket and overall (CSV: one row per bucket)", content((LatencyReport = "application/json"), (String = "text/csv")),
         headers(
             ("X-Data-As-Of" = String, description = "The database state the answer reflects (RFC 3339): the in-memory rollup's last refresh, or the query's time"),
             ("X-Data-Source" = String, description = "memory (the rollup) or database (SQL)")
         )),
        AgentErrors
    )
)]
pub async fn latency(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AgentParams>,
    series: web::Query<SeriesParams>,
    format: web::Query<FormatParams>,
) -> Result<HttpResponse, ApiError> {
    let name = |l: &LatencyReport| filename(&["latency", &l.agent_name, &l.agent_version]);
    respond(
        &state,
        &req,
        &format,
        name,
        |l| &l.buckets,
        || async {
            let (q, granularity) = parse_series(&params, &series, &state.clock)?;
            let answer = answers::agent_series(&state, &q, Some(granularity), true).await?;
            let now = state.clock.now();
            Ok(answer.map(|s| LatencyReport::new(&q, granularity, &s.buckets, &s.stats, now)))
        },
    )
    .await
}
