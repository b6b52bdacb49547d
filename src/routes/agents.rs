//! GET /agents — the catalog: every agent and version seen in the window, for pickers.

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::respond::shared;
use crate::answers;
use crate::csv_export::{columns_of, csv_response, to_csv, wants_csv, FormatParams};
use crate::error::AgentErrors;
use crate::error::ApiError;
use crate::params::window_spec::WindowSpec;
use crate::params::TimeParams;
use crate::provenance::with_provenance;
use crate::state::AppState;
use crate::summaries::CatalogEntry;
use crate::window::{format_timestamp, DateRange};

/// At most this many agents are listed (the busiest).
const MAX_AGENTS: usize = 1000;

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
        let answer = answers::catalog(&state, &window).await?;
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
        let answer = answers::catalog(&state, &window).await?;
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
