//! GET /sessions (one row per session, sorted and paged) and GET /sessions/{session_id} (one
//! session's totals and its requests in order).

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::messages::CONTENT_NOT_STORED;
use super::{agent_exists, agent_not_found, respond_capped, shared, AppState, CSV_PAGE_SIZE};
use crate::analytics::{with_provenance, Answer};
use crate::csv_export::{export_stream, filename, wants_csv, ExportPage, FormatParams};
use crate::cursor::Cursor;
use crate::error::{ApiError, InvalidParam};
use crate::groups::{
    session_value, sort_and_page, GroupCursor, GroupParams, SessionSummary, SortKey,
};
use crate::openapi::AgentErrors;
use crate::params::{AgentParams, AgentQuery, PageParams, TimeParams};
use crate::queries::groups::{session_requests, SessionRequestRow};
use crate::queries::PageScope;
use crate::rollup::store::micros;
use crate::stats::round_to;
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
            let (q, request) = super::parse_group(&params, &group, &SESSION_SORTS, &state.clock)?;
            if let Err(errors) = filter.validate() {
                return Err(ApiError::invalid(
                    "user",
                    errors.to_string().replace("user: ", ""),
                ));
            }
            let answer = state.sessions(&q, None, filter.user.as_deref()).await?;
            if answer.value.is_empty() && !agent_exists(&state, &q).await? {
                return Err(agent_not_found(&q, &state.db, answer.as_of, answer.source));
            }
            let sort = request.sort;
            Ok(answer.map(|all| {
                let after = request.cursor.as_ref().map(|c| (c.value, c.id.as_str()));
                let (page, next) = sort_and_page(
                    all,
                    |s| session_value(s, sort),
                    |s| s.session_id.as_str(),
                    request.descending,
                    after,
                    if csv && group.limit.is_none() {
                        state.admission.settings().csv_max_rows
                    } else {
                        request.limit
                    },
                );
                SessionList {
                    agent_name: q.agent.name.clone(),
                    agent_version: q.agent.version.clone(),
                    date_range: q.window.date_range(),
                    sort: sort.name(),
                    order: if request.descending { "desc" } else { "asc" },
                    sessions: page.iter().map(Session::from).collect(),
                    next_cursor: next.map(|(value, id)| {
                        GroupCursor {
                            window_end: q.window.end,
                            sort,
                            descending: request.descending,
                            value,
                            id,
                        }
                        .encode()
                    }),
                }
            }))
        },
    )
    .await
}

/// One request of a session.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct SessionRequest {
    #[schema(example = "2024-12-05T09:15:30.250Z")]
    pub timestamp: String,
    #[schema(example = "chatcmpl-9f2c")]
    pub request_id: String,
    #[schema(example = "gpt-4o")]
    pub model: String,
    #[schema(example = 200)]
    pub prompt_tokens: i64,
    #[schema(example = 40)]
    pub completion_tokens: i64,
    /// LiteLLM's `total_tokens` column (what LiteLLM's own UI shows; it can differ from prompt +
    /// completion where the provider reports so).
    #[schema(example = 240)]
    pub total_tokens: i64,
    /// USD.
    #[schema(example = 0.0009)]
    pub spend: f64,
    #[schema(example = 750.0)]
    pub duration_ms: Option<f64>,
    /// `success` or `failure`.
    #[schema(example = "success")]
    pub status: &'static str,
    /// For failures: LiteLLM's error_information.error_class.
    #[schema(example = json!(null))]
    pub error_class: Option<String>,
    /// For failures: LiteLLM's error_information.error_message (null when the server hides
    /// conversation content: EXPOSE_MESSAGE_CONTENT=false).
    #[schema(example = json!(null))]
    pub error_message: Option<String>,
}

impl From<SessionRequestRow> for SessionRequest {
    fn from(r: SessionRequestRow) -> Self {
        SessionRequest {
            timestamp: format_timestamp(r.start_time),
            request_id: r.request_id,
            model: r.model.unwrap_or_default(),
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            total_tokens: r.total_tokens,
            spend: r.spend,
            duration_ms: r.duration_us.map(|us| round_to(us as f64 / 1000.0, 3)),
            status: if r.failed { "failure" } else { "success" },
            error_class: r.error_class.filter(|_| r.failed),
            error_message: r.error_message.filter(|_| r.failed),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "agent_name": "support-bot", "agent_version": "1.1.0",
    "date_range": {"start_date": "2024-11-28", "end_date": "2024-12-05",
                   "window_start": "2024-11-28T14:30:00Z", "window_end": "2024-12-05T14:30:00Z",
                   "window_end_inclusive": true, "time_zone": "UTC"},
    "session": {"session_id": "sess-42", "user_id": "user-17",
                "first_seen": "2024-12-05T09:15:30.250Z", "last_seen": "2024-12-05T09:16:02Z",
                "requests": 2, "successful": 1, "failed": 1, "prompt_tokens": 1450,
                "completion_tokens": 210, "total_tokens": 1660, "spend": 0.005725,
                "total_duration_ms": 2180.0, "avg_duration_ms": 1090.0, "requests_with_tools": 1,
                "models": ["gpt-4o"]},
    "requests": [
        {"timestamp": "2024-12-05T09:15:30.250Z", "request_id": "chatcmpl-9f2c", "model": "gpt-4o",
         "prompt_tokens": 1400, "completion_tokens": 210, "total_tokens": 1610, "spend": 0.005725,
         "duration_ms": 2100.0, "status": "success", "error_class": null, "error_message": null},
        {"timestamp": "2024-12-05T09:16:02Z", "request_id": "chatcmpl-a71e", "model": "gpt-4o",
         "prompt_tokens": 50, "completion_tokens": 0, "total_tokens": 50, "spend": 0.0,
         "duration_ms": 80.0, "status": "failure", "error_class": "RateLimitError",
         "error_message": "Rate limit reached for gpt-4o"}
    ],
    "next_cursor": null,
    "content_stored": true,
    "content_note": null
}))]
pub struct SessionDetail {
    pub agent_name: String,
    pub agent_version: String,
    pub date_range: DateRange,
    /// The session's totals within the window.
    pub session: Session,
    /// Its requests, oldest first.
    pub requests: Vec<SessionRequest>,
    /// Pass as `cursor` for the next page of requests; null on the last.
    pub next_cursor: Option<String>,
    /// Whether any request of the session in the window carries a stored assistant reply (see
    /// /recentmessages). False: LiteLLM stored none (its `store_prompts_in_spend_logs` setting
    /// is off by default), so no conversation can be shown for this session.
    #[schema(example = true)]
    pub content_stored: bool,
    /// Why no reply can be shown when `content_stored` is false; null otherwise.
    #[schema(example = json!(null))]
    pub content_note: Option<&'static str>,
}

/// One session of one agent version: its totals and its requests in order (timestamp, model,
/// tokens, spend, duration, status, and for failures LiteLLM's error class and message).
#[utoipa::path(
    get,
    path = "/sessions/{session_id}",
    tag = "analytics",
    params(
        ("session_id" = String, Path, description = "The session id (agent_session_id, or LiteLLM's session_id with SESSION_ID_SOURCE=litellm)"),
        AgentParams, TimeParams, PageParams, FormatParams
    ),
    responses(
        (status = 200, description = "The session and one page of its requests (CSV: every request from the cursor on)",
         content((SessionDetail = "application/json"), (String = "text/csv"))),
        AgentErrors
    )
)]
pub async fn session_detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    session_id: web::Path<String>,
    params: web::Query<AgentParams>,
    page: web::Query<PageParams>,
    format: web::Query<FormatParams>,
) -> Result<HttpResponse, ApiError> {
    if wants_csv(&req, &format)? {
        // A whole-list export is expensive work: admitted before its first page.
        crate::admission::admit_database()?;
        return session_requests_csv(&req, state, session_id.into_inner(), &params, &page).await;
    }
    shared(&state, &req, || async {
        let (q, page) = params.parse_with_page(&page, &state.clock)?;
        let summary = session_summary(&state, &q, &session_id).await?;
        let (rows, next_cursor) = requests_page(
            &state,
            &q,
            &session_id,
            page.cursor.as_ref(),
            page.limit as usize,
        )
        .await?;
        let content_stored = state.session_has_replies(&q, &session_id).await?;
        Ok(Answer {
            value: SessionDetail {
                agent_name: q.agent.name.clone(),
                agent_version: q.agent.version.clone(),
                date_range: q.window.date_range(),
                session: Session::from(&summary.value),
                requests: session_requests_of(rows, state.guard.settings.expose_message_content),
                next_cursor,
                content_stored,
                content_note: (!content_stored).then_some(CONTENT_NOT_STORED),
            },
            as_of: summary.as_of,
            source: summary.source,
        })
    })
    .await
}

/// The session's requests as a CSV download: from the cursor (or the first) to the end, read
/// 1000 at a time while the download streams — or, with `limit`, that one page.
async fn session_requests_csv(
    req: &HttpRequest,
    state: web::Data<AppState>,
    session_id: String,
    params: &AgentParams,
    page: &PageParams,
) -> Result<HttpResponse, ApiError> {
    let (q, request) = params.parse_with_page(page, &state.clock)?;
    // The CSV says what the JSON would: the summary's provenance.
    let summary = session_summary(&state, &q, &session_id).await?;
    let (as_of, source) = (summary.as_of, summary.source);
    let walk_on = page.limit.is_none();
    let limits = super::export_limits(req, &state);
    let size = if walk_on {
        limits.next_page_size(0, CSV_PAGE_SIZE as usize)
    } else {
        request.limit as usize
    };
    let (rows, next) =
        requests_page(&state, &q, &session_id, request.cursor.as_ref(), size).await?;
    let name = filename(&["session", &q.agent.name, &q.agent.version, &session_id]);
    let expose = state.guard.settings.expose_message_content;
    let first = ExportPage {
        rows: session_requests_of(rows, expose),
        next_cursor: next,
    };
    let (q, session_id) = (Arc::new(q), Arc::new(session_id));
    let fetch = move |cursor: String, size: usize| {
        let (state, q, session_id) = (state.clone(), q.clone(), session_id.clone());
        async move {
            // Our own cursor from the previous page.
            let cursor = Cursor::decode(&cursor).map_err(|why| ApiError::invalid("cursor", why))?;
            let (rows, next) = requests_page(&state, &q, &session_id, Some(&cursor), size).await?;
            Ok(ExportPage {
                rows: session_requests_of(rows, expose),
                next_cursor: next,
            })
        }
    };
    let response = export_stream(&name, first, walk_on, limits, CSV_PAGE_SIZE as usize, fetch);
    Ok(with_provenance(response, as_of, source))
}

/// The rows as requests; without error messages (which can quote conversation content) when the
/// server hides content.
fn session_requests_of(rows: Vec<SessionRequestRow>, expose_content: bool) -> Vec<SessionRequest> {
    rows.into_iter()
        .map(SessionRequest::from)
        .map(|mut r| {
            if !expose_content {
                r.error_message = None;
            }
            r
        })
        .collect()
}

/// The session's totals, or 404 when it has no request of this agent version in the window.
async fn session_summary(
    state: &AppState,
    q: &AgentQuery,
    session_id: &str,
) -> Result<Answer<SessionSummary>, ApiError> {
    if session_id.is_empty() || session_id.len() > 1024 || session_id.contains('\0') {
        return Err(ApiError::InvalidParams(vec![InvalidParam {
            name: "session_id".to_string(),
            reason: "must be 1 to 1024 characters without NUL".to_string(),
        }]));
    }
    let answer = state.sessions(q, Some(session_id), None).await?;
    let (as_of, source) = (answer.as_of, answer.source);
    match answer.value.into_iter().next() {
        Some(found) => Ok(Answer {
            value: found,
            as_of,
            source,
        }),
        None => Err(ApiError::AgentNotFound {
            provenance: Some((format_timestamp(as_of), source.header_value())),
            detail: format!(
                "no requests of session {session_id:?} of agent_name {:?} version {:?} in the \
                 window; check the id, or ask for more days",
                q.agent.name, q.agent.version
            ),
        }),
    }
}

/// One page of the session's requests after `cursor`, oldest first, and the next cursor.
async fn requests_page(
    state: &AppState,
    q: &AgentQuery,
    session_id: &str,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<(Vec<SessionRequestRow>, Option<String>), ApiError> {
    let (after_time, after_id) = match cursor {
        Some(c) => (c.start_time, c.request_id.clone()),
        None => (q.window.before_start(), String::new()),
    };
    let fetch = limit + 1;
    let candidates = state.session_page_candidates(q, session_id, micros(after_time), fetch);
    // Rows the rollup named are read by primary key (cheap, not admitted); a window scan is
    // admitted first.
    let (client, sql) = match candidates {
        Some(_) => state.db.agent_keyed_client().await?,
        None => state.db.agent_client().await?,
    };
    let read = async |scope| {
        session_requests(
            &client,
            &sql,
            q,
            session_id,
            after_time,
            &after_id,
            fetch as i64,
            scope,
        )
        .await
    };
    let mut rows = match candidates {
        Some(c) if c.request_ids.is_empty() => Vec::new(),
        Some(c) => {
            let rows = read(PageScope::Among(&c.request_ids)).await?;
            if rows.len() < fetch && !c.exhausted {
                crate::admission::admit_database()?;
                read(PageScope::Window).await?
            } else {
                rows
            }
        }
        None => read(PageScope::Window).await?,
    };
    let next = (rows.len() > limit).then(|| {
        rows.truncate(limit);
        rows.last()
            .map(|last| next_position(q, last.start_time, &last.request_id))
    });
    Ok((rows, next.flatten()))
}

fn next_position(q: &AgentQuery, start_time: NaiveDateTime, request_id: &str) -> String {
    Cursor {
        window_end: q.window.end,
        start_time,
        request_id: request_id.to_string(),
    }
    .encode()
}
