//! GET /agents (the catalog: every agent and version seen) and GET /agents/compare (versions of
//! one agent side by side).

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{respond, shared, AppState};
use crate::analytics::{whole_window, with_provenance, Answer, Source};
use crate::csv_export::{columns_of, csv_response, filename, to_csv, wants_csv, FormatParams};
use crate::error::{ApiError, InvalidParam};
use crate::groups::CatalogEntry;
use crate::openapi::AgentErrors;
use crate::params::{AgentKey, AgentQuery, TimeParams};
use crate::range::WindowSpec;
use crate::stats::{round_to, Stats};
use crate::window::{format_timestamp, DateRange};

/// At most this many agents are listed (the busiest).
const MAX_AGENTS: usize = 1000;
const MAX_VERSIONS: usize = 10;

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentVersionEntry {
    #[schema(example = "1.1.0")]
    pub agent_version: String,
    /// Requests in the window.
    #[schema(example = 1462)]
    pub requests: i64,
    /// First and last request in the window.
    #[schema(example = "2024-11-15T14:31:02Z")]
    pub first_seen: String,
    #[schema(example = "2024-12-05T14:29:40Z")]
    pub last_seen: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentEntry {
    #[schema(example = "support-bot")]
    pub agent_name: String,
    /// Requests of all its versions in the window.
    #[schema(example = 2380)]
    pub requests: i64,
    #[schema(example = "2024-11-15T14:31:02Z")]
    pub first_seen: String,
    #[schema(example = "2024-12-05T14:29:40Z")]
    pub last_seen: String,
    /// Its versions, busiest first.
    pub versions: Vec<AgentVersionEntry>,
}

/// One agent version as a CSV row.
#[derive(Debug, Default, Serialize)]
struct CatalogRow {
    agent_name: String,
    agent_version: String,
    requests: i64,
    first_seen: String,
    last_seen: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "date_range": {"start_date": "2024-11-15", "end_date": "2024-12-05",
                   "window_start": "2024-11-15T14:30:00Z", "window_end": "2024-12-05T14:30:00Z",
                   "window_end_inclusive": true, "time_zone": "UTC"},
    "agents": [
        {"agent_name": "support-bot", "requests": 2380,
         "first_seen": "2024-11-15T14:31:02Z", "last_seen": "2024-12-05T14:29:40Z",
         "versions": [
             {"agent_version": "1.1.0", "requests": 1462,
              "first_seen": "2024-11-23T08:00:12Z", "last_seen": "2024-12-05T14:29:40Z"},
             {"agent_version": "1.0.0", "requests": 918,
              "first_seen": "2024-11-15T14:31:02Z", "last_seen": "2024-12-04T22:10:05Z"}
         ]},
        {"agent_name": "sales-agent", "requests": 611,
         "first_seen": "2024-11-15T15:02:44Z", "last_seen": "2024-12-05T13:58:19Z",
         "versions": [
             {"agent_version": "2.0.0", "requests": 611,
              "first_seen": "2024-11-15T15:02:44Z", "last_seen": "2024-12-05T13:58:19Z"}
         ]}
    ],
    "truncated": false
}))]
pub struct AgentCatalog {
    pub date_range: DateRange,
    /// Agents with requests in the window, busiest first (at most 1000).
    pub agents: Vec<AgentEntry>,
    /// Whether agents were left out by the 1000 limit.
    pub truncated: bool,
}

/// `days`, or start/end, or by default the last 20 days.
fn catalog_spec(time: &TimeParams) -> Result<WindowSpec, ApiError> {
    if time.days.is_none() && time.start.is_none() && time.end.is_none() {
        let twenty_days = TimeParams {
            days: Some("20".to_string()),
            tz: time.tz.clone(),
            ..TimeParams::default()
        };
        return twenty_days.spec().map_err(ApiError::InvalidParams);
    }
    time.spec().map_err(ApiError::InvalidParams)
}

fn catalog(entries: Vec<CatalogEntry>) -> (Vec<AgentEntry>, bool) {
    let mut by_agent: BTreeMap<String, Vec<CatalogEntry>> = BTreeMap::new();
    for entry in entries {
        by_agent.entry(entry.name.clone()).or_default().push(entry);
    }
    let mut agents: Vec<AgentEntry> = by_agent
        .into_iter()
        .map(|(name, mut versions)| {
            versions.sort_by(|a, b| {
                b.requests
                    .cmp(&a.requests)
                    .then_with(|| a.version.cmp(&b.version))
            });
            AgentEntry {
                requests: versions.iter().map(|v| v.requests).sum(),
                first_seen: format_timestamp(
                    versions
                        .iter()
                        .map(|v| v.first_seen)
                        .min()
                        .unwrap_or_default(),
                ),
                last_seen: format_timestamp(
                    versions
                        .iter()
                        .map(|v| v.last_seen)
                        .max()
                        .unwrap_or_default(),
                ),
                versions: versions
                    .into_iter()
                    .map(|v| AgentVersionEntry {
                        agent_version: v.version,
                        requests: v.requests,
                        first_seen: format_timestamp(v.first_seen),
                        last_seen: format_timestamp(v.last_seen),
                    })
                    .collect(),
                agent_name: name,
            }
        })
        .collect();
    agents.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then_with(|| a.agent_name.cmp(&b.agent_name))
    });
    let truncated = agents.len() > MAX_AGENTS;
    agents.truncate(MAX_AGENTS);
    (agents, truncated)
}

/// Every agent and its versions, for pickers.
///
/// Every agent_name with its versions, first/last seen and requests in the window (`days` or
/// start/end; default the last 20 days) — for pickers. Answered from the in-memory rollup in
/// O(agents × days); by SQL (reading the window's rows) only while it loads.
#[utoipa::path(
    get,
    path = "/agents",
    tag = "analytics",
    params(TimeParams, FormatParams),
    responses(
        (status = 200, description = "Agents and versions seen in the window (CSV: one row per version)",
         content((AgentCatalog = "application/json"), (String = "text/csv"))),
        AgentErrors
    )
)]
pub async fn agents(
    req: HttpRequest,
    state: web::Data<AppState>,
    time: web::Query<TimeParams>,
    format: web::Query<FormatParams>,
) -> Result<HttpResponse, ApiError> {
    if wants_csv(&req, &format)? {
        let window = catalog_spec(&time)?.at(state.clock.now());
        let answer = state.catalog(&window).await?;
        let (as_of, source) = (answer.as_of, answer.source);
        let (agents, _) = catalog(answer.value);
        let rows: Vec<CatalogRow> = agents
            .into_iter()
            .flat_map(|agent| {
                let name = agent.agent_name;
                agent.versions.into_iter().map(move |v| CatalogRow {
                    agent_name: name.clone(),
                    agent_version: v.agent_version,
                    requests: v.requests,
                    first_seen: v.first_seen,
                    last_seen: v.last_seen,
                })
            })
            .collect();
        let columns = columns_of(&CatalogRow::default());
        let response = csv_response("agents.csv", to_csv(&columns, &rows, true)?);
        return Ok(with_provenance(response, as_of, source));
    }
    shared(&state, &req, || async {
        let window = catalog_spec(&time)?.at(state.clock.now());
        let answer = state.catalog(&window).await?;
        Ok(answer.map(|entries| {
            let (agents, truncated) = catalog(entries);
            AgentCatalog {
                date_range: window.date_range(),
                agents,
                truncated,
            }
        }))
    })
    .await
}

/// Which agent and versions to compare.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareParams {
    /// The agent's name, exactly as sent in request metadata.
    #[param(required = true, value_type = String, min_length = 1, max_length = 256, example = "support-bot")]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub agent_name: Option<String>,
    /// 1 to 10 comma-separated versions; the first is the baseline the others are compared with.
    #[param(required = true, value_type = String, example = "1.0.0,1.1.0")]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub versions: Option<String>,
}

impl CompareParams {
    fn parse(&self) -> Result<(String, Vec<String>), Vec<InvalidParam>> {
        let mut problems = Vec::new();
        let mut problem = |name: &str, reason: &str| {
            problems.push(InvalidParam {
                name: name.to_string(),
                reason: reason.to_string(),
            })
        };
        let name = match self.agent_name.as_deref() {
            Some(n) if !n.is_empty() && n.chars().count() <= 256 && !n.contains('\0') => Some(n),
            Some(_) => {
                problem(
                    "agent_name",
                    "must be 1 to 256 characters long, without NUL",
                );
                None
            }
            None => {
                problem("agent_name", "is required");
                None
            }
        };
        let versions: Vec<String> = self
            .versions
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        // A version listed again is compared once, where it first appears.
        let versions = crate::metrics_query::without_repeats(versions);
        if versions.is_empty() || versions.len() > MAX_VERSIONS {
            problem(
                "versions",
                "is required: 1 to 10 comma-separated versions, like 1.0.0,1.1.0",
            );
        } else if versions
            .iter()
            .any(|v| v.chars().count() > 64 || v.contains('\0'))
        {
            problem(
                "versions",
                "each version must be 1 to 64 characters long, without NUL",
            );
        }
        match name {
            Some(name) if problems.is_empty() => Ok((name.to_string(), versions)),
            _ => Err(problems),
        }
    }
}

/// One version's figures.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct VersionFigures {
    #[schema(example = "1.1.0")]
    pub agent_version: String,
    #[schema(example = 1462)]
    pub requests: i64,
    #[schema(example = 303)]
    pub sessions: i64,
    #[schema(example = 60)]
    pub users: i64,
    #[schema(example = 1431)]
    pub successful_requests: i64,
    #[schema(example = 31)]
    pub failed_requests: i64,
    /// failed_requests / requests, 4 decimals; null for a version without requests.
    #[schema(example = 0.0212)]
    pub error_rate: Option<f64>,
    /// USD, 9 decimals.
    #[schema(example = 3.512)]
    pub total_spend: f64,
    /// total_spend / requests (USD, 9 decimals).
    #[schema(example = 0.002402189)]
    pub spend_per_request: Option<f64>,
    #[schema(example = 1820231)]
    pub prompt_tokens: i64,
    #[schema(example = 402112)]
    pub completion_tokens: i64,
    /// Sum of LiteLLM's `total_tokens` column (what LiteLLM's own UI shows; it can differ from
    /// prompt + completion where the provider reports so).
    #[schema(example = 2222343)]
    pub total_tokens: i64,
    /// Request duration percentiles (nearest-rank), ms.
    #[schema(example = 1204.0)]
    pub latency_p50_ms: Option<f64>,
    #[schema(example = 5120.0)]
    pub latency_p95_ms: Option<f64>,
    #[schema(example = 11020.0)]
    pub latency_p99_ms: Option<f64>,
    /// Median time to first token (streamed requests), ms.
    #[schema(example = 377.0)]
    pub ttft_p50_ms: Option<f64>,
}

/// (value − first version's value) / first version's value, 4 decimals; null where the first
/// version's value is 0 or either is missing.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct RelativeDifference {
    pub requests: Option<f64>,
    pub sessions: Option<f64>,
    pub users: Option<f64>,
    pub error_rate: Option<f64>,
    pub total_spend: Option<f64>,
    pub spend_per_request: Option<f64>,
    pub total_tokens: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub ttft_p50_ms: Option<f64>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ComparedVersion {
    #[serde(flatten)]
    pub figures: VersionFigures,
    /// Against the first version listed (0 for the first itself where defined).
    pub relative_to_first: RelativeDifference,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionComparison {
    #[schema(example = "support-bot")]
    pub agent_name: String,
    pub date_range: DateRange,
    /// In the order asked for; the first is the baseline.
    pub versions: Vec<ComparedVersion>,
}

impl VersionFigures {
    fn new(version: String, s: &Stats) -> VersionFigures {
        VersionFigures {
            agent_version: version,
            requests: s.requests,
            sessions: s.sessions,
            users: s.users,
            successful_requests: s.successful(),
            failed_requests: s.failed,
            error_rate: s.error_rate(),
            total_spend: s.spend_usd(),
            spend_per_request: (s.requests > 0).then(|| round_to(s.spend / s.requests as f64, 9)),
            prompt_tokens: s.prompt_tokens,
            completion_tokens: s.completion_tokens,
            total_tokens: s.total_tokens,
            latency_p50_ms: s.duration.p50_ms,
            latency_p95_ms: s.duration.p95_ms,
            latency_p99_ms: s.duration.p99_ms,
            ttft_p50_ms: s.ttft.p50_ms,
        }
    }
}

/// `stats` relative to `base`, from the unrounded figures (rounding first would skew the ratio).
fn relative_difference(stats: &Stats, base: &Stats) -> RelativeDifference {
    let rel = |v: Option<f64>, b: Option<f64>| match (v, b) {
        (Some(v), Some(b)) if b != 0.0 => Some(round_to((v - b) / b, 4)),
        _ => None,
    };
    let int = |v: i64| Some(v as f64);
    let error_rate = |s: &Stats| (s.requests > 0).then(|| s.failed as f64 / s.requests as f64);
    let per_request = |s: &Stats| (s.requests > 0).then(|| s.spend / s.requests as f64);
    RelativeDifference {
        requests: rel(int(stats.requests), int(base.requests)),
        sessions: rel(int(stats.sessions), int(base.sessions)),
        users: rel(int(stats.users), int(base.users)),
        error_rate: rel(error_rate(stats), error_rate(base)),
        total_spend: rel(Some(stats.spend), Some(base.spend)),
        spend_per_request: rel(per_request(stats), per_request(base)),
        total_tokens: rel(int(stats.total_tokens), int(base.total_tokens)),
        latency_p50_ms: rel(stats.duration.p50_ms, base.duration.p50_ms),
        latency_p95_ms: rel(stats.duration.p95_ms, base.duration.p95_ms),
        latency_p99_ms: rel(stats.duration.p99_ms, base.duration.p99_ms),
        ttft_p50_ms: rel(stats.ttft.p50_ms, base.ttft.p50_ms),
    }
}

/// Versions of one agent side by side — requests, sessions, users, errors, cost, tokens, latency
/// percentiles — each with its relative difference to the first version listed.
#[utoipa::path(
    get,
    path = "/agents/compare",
    tag = "analytics",
    params(CompareParams, TimeParams, FormatParams),
    responses(
        (status = 200, description = "The versions' figures side by side (CSV: one row per version)",
         content((VersionComparison = "application/json"), (String = "text/csv"))),
        AgentErrors
    )
)]
pub async fn compare(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<CompareParams>,
    time: web::Query<TimeParams>,
    format: web::Query<FormatParams>,
) -> Result<HttpResponse, ApiError> {
    let name = |c: &VersionComparison| filename(&["compare", &c.agent_name]);
    respond(
        &state,
        &req,
        &format,
        name,
        |c| &c.versions,
        || async {
            let (agent, spec) = match (params.parse(), time.spec()) {
                (Ok(agent), Ok(spec)) => (agent, spec),
                (agent, spec) => {
                    let mut problems = agent.err().unwrap_or_default();
                    problems.extend(spec.err().unwrap_or_default());
                    return Err(ApiError::InvalidParams(problems));
                }
            };
            let (name, versions) = agent;
            let window = spec.at(state.clock.now());
            let mut figures = Vec::new();
            let (mut as_of, mut source) = (window.end, Source::Memory);
            for version in versions {
                let q = AgentQuery {
                    agent: AgentKey {
                        name: name.clone(),
                        version: version.clone(),
                    },
                    window,
                };
                let answer = state.agent_stats(&q, &whole_window(&q), true).await?;
                as_of = as_of.min(answer.as_of);
                if answer.source == Source::Database {
                    source = Source::Database;
                }
                figures.push((version, answer.value.overall));
            }
            if figures.iter().all(|(_, stats)| stats.requests == 0) {
                return Err(ApiError::AgentNotFound {
                    provenance: Some((format_timestamp(as_of), source.header_value())),
                    detail: format!(
                    "none of these versions of agent_name {name:?} has requests between {} and {}",
                    format_timestamp(window.start),
                    format_timestamp(window.end)
                ),
                });
            }
            let base = figures[0].1.clone();
            Ok(Answer {
                value: VersionComparison {
                    agent_name: name,
                    date_range: window.date_range(),
                    versions: figures
                        .into_iter()
                        .map(|(version, stats)| ComparedVersion {
                            relative_to_first: relative_difference(&stats, &base),
                            figures: VersionFigures::new(version, &stats),
                        })
                        .collect(),
                },
                as_of,
                source,
            })
        },
    )
    .await
}
