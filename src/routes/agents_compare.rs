//! GET /agents/compare — versions of one agent side by side.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::respond::respond;
use crate::answers;
use crate::csv_export::{filename, FormatParams};
use crate::error::AgentErrors;
use crate::error::{ApiError, InvalidParam};
use crate::params::{AgentKey, AgentQuery, TimeParams};
use crate::provenance::{Answer, Source};
use crate::state::AppState;
use crate::stats::{round_to, Stats};
use crate::window::{format_timestamp, DateRange};

const MAX_VERSIONS: usize = 10;
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
        let versions = crate::queries::metrics_query::request::without_repeats(versions);
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

/// `stats` relative to `base`. Spend enters as the 9-decimal total the response shows: the raw
/// float sum depends on the order rows were added in (memory and SQL add them differently), and
/// a ratio landing on a rounding tie would then round differently by source; at 9 decimals the
/// ratio itself is unaffected at the 4 it is rounded to.
fn relative_difference(stats: &Stats, base: &Stats) -> RelativeDifference {
    let rel = |v: Option<f64>, b: Option<f64>| match (v, b) {
        (Some(v), Some(b)) if b != 0.0 => Some(round_to((v - b) / b, 4)),
        _ => None,
    };
    let int = |v: i64| Some(v as f64);
    let error_rate = |s: &Stats| (s.requests > 0).then(|| s.failed as f64 / s.requests as f64);
    let per_request = |s: &Stats| (s.requests > 0).then(|| s.spend_usd() / s.requests as f64);
    RelativeDifference {
        requests: rel(int(stats.requests), int(base.requests)),
        sessions: rel(int(stats.sessions), int(base.sessions)),
        users: rel(int(stats.users), int(base.users)),
        error_rate: rel(error_rate(stats), error_rate(base)),
        total_spend: rel(Some(stats.spend_usd()), Some(base.spend_usd())),
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
                let answer = answers::agent_stats(&state, &q, None, true).await?;
                as_of = as_of.min(answer.as_of);
                if answer.source == Source::Database {
                    source = Source::Database;
                }
                figures.push((version, answer.value.stats.overall));
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
