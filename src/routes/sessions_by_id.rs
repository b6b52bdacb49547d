//! GET /sessions/{session_id} — one session's totals and its requests in order.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::recentmessages::CONTENT_NOT_STORED;
use super::respond::{csv_first_page, csv_pages, shared};
use super::sessions::Session;
use crate::answers;
use crate::csv_export::{filename, wants_csv, ExportPage, FormatParams};
use crate::cursor::Cursor;
use crate::error::AgentErrors;
use crate::error::{ApiError, InvalidParam};
use crate::params::{AgentParams, PageParams, TimeParams};
use crate::provenance::Answer;
use crate::queries::summaries::SessionRequestRow;
use crate::state::AppState;
use crate::stats::round_to;
use crate::window::{format_timestamp, DateRange};

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
        check_session_id(&session_id)?;
        let summary = answers::session(&state, &q, &session_id).await?;
        let cursor = page.cursor.as_ref();
        let (rows, next_cursor) =
            answers::session_requests_page(&state, &q, &session_id, cursor, page.limit as usize)
                .await?;
        let content_stored = answers::session_has_replies(&state, &q, &session_id).await?;
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
    let (q, request) = params.parse_with_page(&csv_first_page(page, &state), &state.clock)?;
    check_session_id(&session_id)?;
    // The CSV says what the JSON would: the summary's provenance.
    let summary = answers::session(&state, &q, &session_id).await?;
    let cursor = request.cursor.as_ref();
    let (rows, next) =
        answers::session_requests_page(&state, &q, &session_id, cursor, request.limit as usize)
            .await?;
    let name = filename(&["session", &q.agent.name, &q.agent.version, &session_id]);
    let expose = state.guard.settings.expose_message_content;
    let first = ExportPage {
        rows: session_requests_of(rows, expose),
        next_cursor: next,
    };
    let (walker, q, session_id) = (state.clone(), Arc::new(q), Arc::new(session_id));
    let next_page = move |cursor: String, size: usize| {
        let (state, q, session_id) = (walker.clone(), q.clone(), session_id.clone());
        async move {
            // Our own cursor from the previous page.
            let cursor = Cursor::decode(&cursor).map_err(|why| ApiError::invalid("cursor", why))?;
            let (rows, next) =
                answers::session_requests_page(&state, &q, &session_id, Some(&cursor), size)
                    .await?;
            Ok(ExportPage {
                rows: session_requests_of(rows, expose),
                next_cursor: next,
            })
        }
    };
    let (as_of, source, walk_on) = (summary.as_of, summary.source, page.limit.is_none());
    Ok(csv_pages(
        req, &state, &name, first, walk_on, as_of, source, next_page,
    ))
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

/// A session id the database can hold: 1 to 1024 characters, no NUL.
fn check_session_id(session_id: &str) -> Result<(), ApiError> {
    if session_id.is_empty() || session_id.len() > 1024 || session_id.contains('\0') {
        return Err(ApiError::InvalidParams(vec![InvalidParam {
            name: "session_id".to_string(),
            reason: "must be 1 to 1024 characters without NUL".to_string(),
        }]));
    }
    Ok(())
}
