//! GET /sessions — one row per session of an agent version, sorted and paged.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::respond::respond_capped;
use crate::answers;
use crate::csv_export::{filename, wants_csv, FormatParams};
use crate::error::AgentErrors;
use crate::error::ApiError;
use crate::params::ranking::{parse_ranked, GroupParams};
use crate::params::{AgentParams, TimeParams};
use crate::state::AppState;
use crate::stats::round_to;
use crate::summaries::{SessionSummary, SortKey};
use crate::window::{format_timestamp, DateRange};

pub(crate) const SESSION_SORTS: [SortKey; 4] = [
    SortKey::LastSeen,
    SortKey::Spend,
    SortKey::Requests,
    SortKey::Duration,
];

/// Only the sessions of one user.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct SessionFilter {
    /// agent_user_id: only sessions whose user (that of the session's latest request naming one)
    /// is this one.
    #[param(value_type = Option<String>, min_length = 1, max_length = 256, example = "user-17")]
    #[validate(length(min = 1, max = 256, message = "must be 1 to 256 characters long"))]
    #[serde(default, deserialize_with = "crate::params::empty_as_none")]
    pub user: Option<String>,
}

/// One session's totals within the window.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Session {
    #[schema(example = "sess-42")]
    pub session_id: String,
    /// agent_user_id of the session's latest request naming one.
    #[schema(example = "user-17")]
    pub user_id: Option<String>,
    #[schema(example = "2024-12-05T09:15:30.250Z")]
    pub first_seen: String,
    #[schema(example = "2024-12-05T09:31:02Z")]
    pub last_seen: String,
    #[schema(example = 6)]
    pub requests: i64,
    #[schema(example = 5)]
    pub successful: i64,
    #[schema(example = 1)]
    pub failed: i64,
    #[schema(example = 5120)]
    pub prompt_tokens: i64,
    #[schema(example = 880)]
    pub completion_tokens: i64,
    /// Sum of LiteLLM's `total_tokens` column (what LiteLLM's own UI shows; it can differ from
    /// prompt + completion where the provider reports so).
    #[schema(example = 6000)]
    pub total_tokens: i64,
    /// USD, 9 decimals.
    #[schema(example = 0.0234)]
    pub spend: f64,
    /// Sum of the requests' durations.
    #[schema(example = 9815.5)]
    pub total_duration_ms: f64,
    #[schema(example = 1635.917)]
    pub avg_duration_ms: Option<f64>,
    /// Requests whose response called tools, or that ran an MCP tool.
    #[schema(example = 2)]
    pub requests_with_tools: i64,
    /// Distinct models used, sorted.
    #[schema(example = json!(["gpt-4o", "gpt-4o-mini"]))]
    pub models: Vec<String>,
}

impl From<&SessionSummary> for Session {
    fn from(s: &SessionSummary) -> Self {
        Session {
            session_id: s.session_id.clone(),
            user_id: s.user_id.clone(),
            first_seen: format_timestamp(s.first_seen),
            last_seen: format_timestamp(s.last_seen),
            requests: s.requests,
            successful: s.requests - s.failed,
            failed: s.failed,
            prompt_tokens: s.prompt_tokens,
            completion_tokens: s.completion_tokens,
            total_tokens: s.total_tokens,
            spend: round_to(s.spend, 9),
            total_duration_ms: round_to(s.duration_us as f64 / 1000.0, 3),
            avg_duration_ms: s.avg_duration_ms(),
            requests_with_tools: s.requests_with_tools,
            models: s.models.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub agent_name: String,
    pub agent_version: String,
    pub date_range: DateRange,
    #[schema(example = "last_seen")]
    pub sort: &'static str,
    #[schema(example = "desc")]
    pub order: &'static str,
    pub sessions: Vec<Session>,
    /// Pass as `cursor` (with the same sort and order) for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// The sessions of one agent version in the window — requests, failures, tokens, spend,
/// durations, tool use and models per session — sorted and paged.
#[utoipa::path(
    get,
    path = "/sessions",
    tag = "analytics",
    params(AgentParams, TimeParams, GroupParams, SessionFilter, FormatParams),
    responses(
        (status = 200, description = "One page of sessions (CSV: every session from the cursor on)",
         content((SessionList = "application/json"), (String = "text/csv"))),
        AgentErrors
    )
)]
pub async fn sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AgentParams>,
    group: web::Query<GroupParams>,
    filter: web::Query<SessionFilter>,
    format: web::Query<FormatParams>,
) -> Result<HttpResponse, ApiError> {
    let csv = wants_csv(&req, &format)?;
    let name = |l: &SessionList| filename(&["sessions", &l.agent_name, &l.agent_version]);
    // A CSV of the whole list stops at CSV_EXPORT_MAX_ROWS and says where to go on.
    let whole_list = csv && group.limit.is_none();
    respond_capped(
        &state,
        &req,
        &format,
        name,
        |l| &l.sessions,
        move |l: &SessionList| l.next_cursor.clone().filter(|_| whole_list),
        || async {
            let (q, request) = parse_ranked(&params, &group, &SESSION_SORTS, &state.clock)?;
            if let Err(errors) = filter.validate() {
                return Err(ApiError::invalid(
                    "user",
                    errors.to_string().replace("user: ", ""),
                ));
            }
            let limit = match whole_list {
                true => state.admission.settings().csv_max_rows,
                false => request.limit,
            };
            let ranking = request.ranking(limit);
            let user = filter.user.as_deref();
            let answer = answers::sessions(&state, &q, user, &ranking).await?;
            Ok(answer.map(|page| SessionList {
                agent_name: q.agent.name.clone(),
                agent_version: q.agent.version.clone(),
                date_range: q.window.date_range(),
                sort: request.sort.name(),
                order: request.order(),
                sessions: page.items.iter().map(Session::from).collect(),
                next_cursor: request.next_cursor(q.window.end, page.next),
            }))
        },
    )
    .await
}
