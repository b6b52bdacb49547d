//! GET /metrics/query — whitelisted metrics by whitelisted dimensions, filtered and bucketed.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::respond::shared;
use crate::answers;
use crate::csv_export::{csv_response, to_csv, wants_csv, FormatParams};
use crate::error::AgentErrors;
use crate::error::{ApiError, InvalidParam};
use crate::params::window_spec::WindowSpec;
use crate::params::{SeriesParams, TimeParams, SPACE_CLASS};
use crate::provenance::{with_provenance, Answer};
use crate::queries::metrics_query::request::{
    Fragments, MetricsRequest, RawMetricsRequest, FRAGMENTS,
};
use crate::queries::MetricsRow;
use crate::state::AppState;
use crate::stats::round_to;
use crate::window::{Bucket, DateRange, Granularity};

/// What to compute (documentation of the query parameters; they are read from the raw query
/// string so that `filter` can repeat).
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsParams {
    /// Comma list of metrics: requests, sessions, users, prompt_tokens, completion_tokens,
    /// total_tokens, spend, error_rate, latency_p50, latency_p95, latency_p99, ttft_p50
    /// (latencies in ms, nearest-rank; total_tokens sums LiteLLM's `total_tokens` column). The
    /// first one ranks the groups.
    #[param(required = true, example = "requests,spend,latency_p95")]
    metrics: String,
    /// Comma list of up to 3 dimensions: agent_name, agent_version, model, user, status, app,
    /// team_id, api_key_alias. Omit for one group of everything.
    #[param(example = "agent_name,model")]
    group_by: Option<String>,
    /// Only rows matching these: a comma list of `dimension:value`, `|` between the values of an
    /// in-list (values of one dimension are OR-ed, different dimensions AND-ed), e.g.
    /// `agent_name:support-bot,model:gpt-4o|gpt-4o-mini`; or, for values holding commas, a JSON
    /// object such as `{"model": ["gpt-4o", "gpt-4o-mini"]}`.
    #[param(example = "agent_name:support-bot,status:failure")]
    filters: Option<String>,
    /// One more `dimension:value` filter; may repeat (`filter=model:a&filter=model:b`).
    #[param(style = Form, explode, example = json!(["model:gpt-4o"]))]
    filter: Option<Vec<String>>,
    /// The biggest groups by the first metric, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000, example = 10)]
    limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsGroup {
    /// The group's dimension values (null where a row has none).
    #[schema(value_type = Object, example = json!({"agent_name": "support-bot", "model": "gpt-4o"}))]
    pub key: Map<String, Value>,
    /// The metrics over the whole window.
    #[schema(value_type = Object, example = json!({"requests": 1204, "spend": 3.21, "latency_p95": 5120.0}))]
    pub totals: Map<String, Value>,
    /// With `granularity`: the metrics per bucket, oldest first, zero-filled; else null.
    pub series: Option<Vec<MetricsPoint>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsPoint {
    #[schema(example = "2024-12-05")]
    pub date: chrono::NaiveDate,
    #[schema(example = "2024-12-05T00:00:00Z")]
    pub bucket_start: String,
    /// True when the window covers only part of this bucket (a first bucket the window starts
    /// inside, or the current one), as on the other series.
    #[schema(example = false)]
    pub partial: bool,
    #[schema(value_type = Object, example = json!({"requests": 31, "spend": 0.083, "latency_p95": 4410.0}))]
    pub values: Map<String, Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsResult {
    pub date_range: DateRange,
    #[schema(example = json!(["requests", "spend", "latency_p95"]))]
    pub metrics: Vec<String>,
    #[schema(example = json!(["agent_name", "model"]))]
    pub group_by: Vec<String>,
    /// hour, day, week, or null for totals only.
    #[schema(example = "day")]
    pub granularity: Option<&'static str>,
    /// The groups, biggest first by the first metric.
    pub groups: Vec<MetricsGroup>,
}

/// The names requests may use (the expressions are rendered per database in Statements).
static WHITELIST: std::sync::LazyLock<Fragments> =
    std::sync::LazyLock::new(|| Fragments::parse(FRAGMENTS));

/// The patterns of the metrics query's parameters (set on its OpenAPI operation), so that what
/// the schema allows is what the server reads: known metric and dimension names, at most 3
/// dimensions, comma-form filters of known dimensions with 1 to 256 characters per value.
pub(crate) fn parameter_patterns() -> Vec<(&'static str, String)> {
    let metric = format!("({})", WHITELIST.metric_names().join("|"));
    let dim = format!("({})", WHITELIST.dimension_names().join("|"));
    let space = format!("[{SPACE_CLASS}]*");
    let edge = format!(r"[^,|\x00{SPACE_CLASS}]");
    let value = format!(r"{edge}([^,|\x00]{{0,254}}{edge})?");
    let item = format!(r"{space}{dim}{space}:{value}(\|{value}){{0,99}}");
    vec![
        (
            "metrics",
            format!(r"^{space}{metric}{space}(,{space}{metric}{space})*$"),
        ),
        (
            "group_by",
            format!(r"^(|{space}{dim}{space}(,{space}{dim}{space}){{0,2}})$"),
        ),
        ("filters", format!(r"^(|{item}(,{item})*)$")),
        // Each `filter`: one dimension and one value (which may hold commas and `|`).
        (
            "filter",
            format!(r"^(|{space}{dim}{space}:[^\x00]{{1,256}})$"),
        ),
    ]
}

/// Metrics that are counts print as integers.
fn value(metric: &str, v: Option<f64>) -> Value {
    let integral = matches!(
        metric,
        "requests" | "sessions" | "users" | "prompt_tokens" | "completion_tokens" | "total_tokens"
    );
    match v {
        Some(v) if integral => Value::from(v.round() as i64),
        Some(v) => Value::from(round_to(v, 9)),
        None => Value::Null,
    }
}

/// What an empty bucket shows: 0 for counts and sums, null for rates and percentiles.
fn empty_value(metric: &str) -> Value {
    match metric {
        "error_rate" | "latency_p50" | "latency_p95" | "latency_p99" | "ttft_p50" => Value::Null,
        "spend" => Value::from(0.0),
        _ => Value::from(0),
    }
}

/// The most points (groups × buckets) one answer holds: a dashboard's chart needs far fewer, and
/// more would keep a worker busy shaping and sending tens of megabytes.
const MAX_SERIES_POINTS: usize = 50_000;

fn too_many_points(groups: usize, buckets: usize) -> ApiError {
    ApiError::InvalidParams(vec![InvalidParam {
        name: "limit".to_string(),
        reason: format!(
            "the answer would hold {groups} groups × {buckets} buckets = {} points, more than \
             {MAX_SERIES_POINTS}; ask for fewer groups (limit), a coarser granularity or a \
             shorter window",
            groups * buckets
        ),
    }])
}

fn shape(
    request: &MetricsRequest,
    buckets: Option<(&[Bucket], &[bool])>,
    rows: Vec<MetricsRow>,
) -> Vec<MetricsGroup> {
    let values_of = |row: &MetricsRow| -> Map<String, Value> {
        request
            .metrics
            .iter()
            .zip(&row.values)
            .map(|(m, v)| (m.clone(), value(m, *v)))
            .collect()
    };
    let (totals, points): (Vec<MetricsRow>, Vec<MetricsRow>) =
        rows.into_iter().partition(|r| r.bucket.is_none());
    // Each group's points by bucket number: the series below is then linear in its size (a scan
    // per point made it groups × buckets × points).
    let points: HashMap<(&[Option<String>], i32), &MetricsRow> = points
        .iter()
        .filter_map(|p| Some(((p.key.as_slice(), p.bucket?), p)))
        .collect();
    let mut groups: Vec<(Vec<Option<String>>, Option<f64>, MetricsGroup)> = totals
        .iter()
        .map(|t| {
            let key = request
                .group_by
                .iter()
                .zip(&t.key)
                .map(|(d, v)| (d.clone(), v.clone().map_or(Value::Null, Value::from)))
                .collect();
            let series = buckets.map(|(buckets, partial)| {
                buckets
                    .iter()
                    .zip(partial)
                    .enumerate()
                    .map(|(i, (bucket, partial))| {
                        let row = points.get(&(t.key.as_slice(), i as i32 + 1));
                        MetricsPoint {
                            date: bucket.date(),
                            bucket_start: bucket.start_label(),
                            partial: *partial,
                            values: match row {
                                Some(row) => values_of(row),
                                None => request
                                    .metrics
                                    .iter()
                                    .map(|m| (m.clone(), empty_value(m)))
                                    .collect(),
                            },
                        }
                    })
                    .collect()
            });
            (
                t.key.clone(),
                t.values.first().copied().flatten(),
                MetricsGroup {
                    key,
                    totals: values_of(t),
                    series,
                },
            )
        })
        .collect();
    groups.sort_by(|a, b| {
        b.1.unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.1.unwrap_or(f64::NEG_INFINITY))
            .then_with(|| a.0.cmp(&b.0))
    });
    groups.into_iter().map(|(_, _, g)| g).collect()
}

/// Every `dimension:value` the request filters on: from `filters` (a comma list or a JSON object,
/// see [`crate::queries::metrics_query::request::filter_items`]) and from each `filter`.
fn filter_items(pairs: &[(String, String)], problems: &mut Vec<InvalidParam>) -> Vec<String> {
    let mut items = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "filter" => items.push(value.clone()),
            "filters" => match crate::queries::metrics_query::request::filter_items(value) {
                Ok(more) => items.extend(more),
                Err(reason) => problems.push(InvalidParam {
                    name: "filters".to_string(),
                    reason,
                }),
            },
            _ => {}
        }
    }
    items
}

/// The single value of a non-repeatable parameter; a repeat is a mistake.
fn single<'a>(
    pairs: &'a [(String, String)],
    name: &str,
    problems: &mut Vec<InvalidParam>,
) -> Option<&'a str> {
    let mut values = pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        problems.push(InvalidParam {
            name: name.to_string(),
            reason: "given twice; give it once".to_string(),
        });
    }
    first
}

/// Metrics of any agents, grouped and filtered.
///
/// Any whitelisted metrics over every row of the window, grouped by up to 3 whitelisted
/// dimensions, filtered by equality or in-lists, optionally per bucket; the `limit` biggest
/// groups by the first metric. Reads the window's rows by SQL: for dashboards of one agent, the
/// agent endpoints are faster.
#[utoipa::path(
    get,
    path = "/metrics/query",
    tag = "analytics",
    params(MetricsParams, TimeParams, SeriesParams, FormatParams),
    responses(
        (status = 200, description = "The groups and their metrics (CSV: one row per group, or per group and bucket)",
         content((MetricsResult = "application/json"), (String = "text/csv"))),
        AgentErrors
    )
)]
pub async fn metrics_query(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    // An empty value (a form's blank field) counts as absent, as on every other endpoint.
    let query: web::Query<Vec<(String, String)>> = web::Query(
        query
            .into_inner()
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .collect(),
    );
    let format = FormatParams {
        format: query
            .iter()
            .find(|(k, _)| k == "format")
            .map(|(_, v)| v.clone()),
    };
    if wants_csv(&req, &format)? {
        let result = compute(&state, query.into_inner()).await?;
        let response = csv_response(
            "metrics.csv",
            to_csv(&csv_columns(&result.value), &csv_rows(&result.value), true)?,
        );
        return Ok(with_provenance(response, result.as_of, result.source));
    }
    shared(&state, &req, || compute(&state, query.into_inner())).await
}

/// One CSV row per group (or per group and bucket): dimensions, then bucket, then metrics.
fn csv_rows(result: &MetricsResult) -> Vec<Map<String, Value>> {
    let mut rows = Vec::new();
    for group in &result.groups {
        match &group.series {
            None => {
                let mut row = group.key.clone();
                row.extend(group.totals.clone());
                rows.push(row);
            }
            Some(points) => {
                for point in points {
                    let mut row = group.key.clone();
                    row.insert("date".into(), Value::from(point.date.to_string()));
                    row.insert(
                        "bucket_start".into(),
                        Value::from(point.bucket_start.clone()),
                    );
                    row.insert("partial".into(), Value::from(point.partial));
                    row.extend(point.values.clone());
                    rows.push(row);
                }
            }
        }
    }
    rows
}

fn csv_columns(result: &MetricsResult) -> Vec<String> {
    let mut columns = result.group_by.clone();
    if result.granularity.is_some() {
        columns.extend([
            "date".to_string(),
            "bucket_start".to_string(),
            "partial".to_string(),
        ]);
    }
    columns.extend(result.metrics.clone());
    columns
}

async fn compute(
    state: &AppState,
    pairs: Vec<(String, String)>,
) -> Result<Answer<MetricsResult>, ApiError> {
    {
        let mut problems = Vec::new();
        let raw = RawMetricsRequest {
            metrics: single(&pairs, "metrics", &mut problems),
            group_by: single(&pairs, "group_by", &mut problems),
            filters: filter_items(&pairs, &mut problems),
            limit: single(&pairs, "limit", &mut problems),
        };
        let time = TimeParams {
            days: single(&pairs, "days", &mut problems).map(str::to_string),
            start: single(&pairs, "start", &mut problems).map(str::to_string),
            end: single(&pairs, "end", &mut problems).map(str::to_string),
            tz: single(&pairs, "tz", &mut problems).map(str::to_string),
        };
        let granularity = single(&pairs, "granularity", &mut problems).map(str::to_string);
        let request = MetricsRequest::parse(&raw, &WHITELIST);
        let spec = if time.days.is_none() && time.start.is_none() && time.end.is_none() {
            TimeParams {
                days: Some("20".to_string()),
                ..time
            }
            .spec()
        } else {
            time.spec()
        };
        let granularity = match granularity.as_deref() {
            None => Ok(None),
            Some(raw) => Granularity::parse(raw).map(Some).map_err(|reason| {
                vec![InvalidParam {
                    name: "granularity".to_string(),
                    reason,
                }]
            }),
        };
        let (request, spec, granularity): (MetricsRequest, WindowSpec, Option<Granularity>) =
            match (request, spec, granularity) {
                (Ok(r), Ok(s), Ok(g)) if problems.is_empty() => (r, s, g),
                (r, s, g) => {
                    problems.extend(r.err().unwrap_or_default());
                    problems.extend(s.err().unwrap_or_default());
                    problems.extend(g.err().unwrap_or_default());
                    return Err(ApiError::InvalidParams(problems));
                }
            };
        let now = state.clock.now();
        let window = spec.at(now);
        let buckets = window.buckets(granularity.unwrap_or(Granularity::Day));
        let boundaries = match granularity {
            Some(_) => buckets
                .iter()
                .map(|b| b.start)
                .chain(buckets.last().map(|b| b.end))
                .collect(),
            None => vec![window.start, window.end_exclusive()],
        };
        let answer = answers::metrics_rows(state, &request, &window, &boundaries).await?;
        let (as_of, source, rows) = (answer.as_of, answer.source, answer.value);
        let groups_found = rows.iter().filter(|r| r.bucket.is_none()).count();
        if granularity.is_some() && groups_found * buckets.len() > MAX_SERIES_POINTS {
            return Err(too_many_points(groups_found, buckets.len()));
        }
        let partial = window.partial_flags(&buckets, now);
        // Shaping (and zero-filling) up to MAX_SERIES_POINTS points runs off the HTTP workers.
        let shaped = request.clone();
        let series_buckets = granularity.map(|_| buckets.clone());
        let groups = crate::admission::off_worker(move || {
            shape(
                &shaped,
                series_buckets
                    .as_deref()
                    .map(|buckets| (buckets, partial.as_slice())),
                rows,
            )
        })
        .await?;
        Ok(Answer {
            value: MetricsResult {
                date_range: window.date_range(),
                metrics: request.metrics.clone(),
                group_by: request.group_by.clone(),
                granularity: granularity.map(|g| match g {
                    Granularity::Hour => "hour",
                    Granularity::Day => "day",
                    Granularity::Week => "week",
                }),
                groups,
            },
            as_of,
            source,
        })
    }
}
