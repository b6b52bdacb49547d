//! GET /recentmessages — the agent's latest assistant replies, newest first, paged.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::respond::{agent_list_csv, shared};
use crate::answers;
use crate::csv_export::{wants_csv, FormatParams};
use crate::error::AgentErrors;
use crate::error::ApiError;
use crate::params::{AgentParams, AgentQuery, PageParams, TimeParams};
use crate::queries::MessageRow;
use crate::state::AppState;
use crate::window::{format_timestamp, DateRange};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "agent_name": "support-bot",
    "agent_version": "1.0.0",
    "date_range": {"start_date": "2024-12-04", "end_date": "2024-12-05",
                   "window_start": "2024-12-04T14:30:00Z", "window_end": "2024-12-05T14:30:00Z"},
    "messages": [{
        "timestamp": "2024-12-05T14:00:00Z", "session_id": "sess-42", "message_length": 22,
        "agent_name": "support-bot", "model_name": "gpt-4o-2024-08-06",
        "message": "Hello! How can I help?", "request_id": "chatcmpl-9f2c"
    }],
    "next_cursor": null,
    "content_stored": true,
    "content_note": null
}))]
pub struct RecentMessages {
    pub agent_name: String,
    pub agent_version: String,
    pub date_range: DateRange,
    /// Assistant replies, newest first.
    pub messages: Vec<RecentMessage>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Whether any request of the agent version in the window carries a stored reply. False:
    /// the agent has requests but LiteLLM stored no reply for them (its
    /// `store_prompts_in_spend_logs` setting is off by default), so `messages` is empty.
    #[schema(example = true)]
    pub content_stored: bool,
    /// Why `messages` is empty when `content_stored` is false; null otherwise.
    #[schema(example = json!(null))]
    pub content_note: Option<&'static str>,
}

/// Said when an agent (or a session) has requests in the window but none carries a reply.
pub const CONTENT_NOT_STORED: &str = "there are requests in the window, but none of them carries \
     reply text: LiteLLM keeps replies only when the proxy stores prompts \
     (general_settings.store_prompts_in_spend_logs: true, or STORE_PROMPTS_IN_SPEND_LOGS=true; \
     off by default), and a reply that only called tools has no text";

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct RecentMessage {
    /// The request's startTime, RFC 3339 UTC (milliseconds kept when present).
    #[schema(example = "2024-12-05T14:00:00Z")]
    pub timestamp: String,
    /// agent_session_id of the request, "" when it has none.
    #[schema(example = "sess-42")]
    pub session_id: String,
    /// Length of `message` in characters (Unicode code points).
    #[schema(example = 22)]
    pub message_length: i64,
    #[schema(example = "support-bot")]
    pub agent_name: String,
    /// response.model (what the provider reported), else the row's model.
    #[schema(example = "gpt-4o-2024-08-06")]
    pub model_name: String,
    /// The assistant's reply: response.choices[0].message.content. Null when the server hides
    /// conversation content (EXPOSE_MESSAGE_CONTENT=false).
    #[schema(example = "Hello! How can I help?")]
    pub message: Option<String>,
    /// LiteLLM's request id (the row's primary key).
    #[schema(example = "chatcmpl-9f2c")]
    pub request_id: String,
}

impl RecentMessage {
    fn new(q: &AgentQuery, row: MessageRow) -> Self {
        RecentMessage {
            timestamp: format_timestamp(row.start_time),
            session_id: row.session_id.unwrap_or_default(),
            message_length: row.message.chars().count() as i64,
            agent_name: q.agent.name.clone(),
            model_name: row.model_name.unwrap_or_default(),
            message: Some(row.message),
            request_id: row.request_id,
        }
    }

    /// The same without its text (EXPOSE_MESSAGE_CONTENT=false); the length stays.
    fn without_content(mut self) -> Self {
        self.message = None;
        self
    }
}

/// The page's rows as messages, with or without their text.
fn messages(expose: bool) -> fn(&AgentQuery, Vec<MessageRow>) -> Vec<RecentMessage> {
    if expose {
        |q, rows| rows.into_iter().map(|r| RecentMessage::new(q, r)).collect()
    } else {
        |q, rows| {
            rows.into_iter()
                .map(|r| RecentMessage::new(q, r).without_content())
                .collect()
        }
    }
}

/// The latest assistant replies of one agent version, newest first. Exposes conversation content.
#[utoipa::path(
    get,
    path = "/recentmessages",
    tag = "analytics",
    params(AgentParams, TimeParams, PageParams, FormatParams),
    responses(
        (status = 200, description = "One page (CSV: every row from the cursor on, streamed) of assistant replies, newest first", content((RecentMessages = "application/json"), (String = "text/csv")),
         headers(
             ("X-Data-As-Of" = String, description = "The database state the answer reflects (RFC 3339): the in-memory rollup's last refresh, or the query's time"),
             ("X-Data-Source" = String, description = "memory (the rollup) or database (SQL)")
         )),
        AgentErrors
    )
)]
pub async fn recent_messages(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AgentParams>,
    page: web::Query<PageParams>,
    format: web::Query<FormatParams>,
) -> Result<HttpResponse, ApiError> {
    if wants_csv(&req, &format)? {
        let items = messages(state.guard.settings.expose_message_content);
        let params = params.into_inner();
        return agent_list_csv(&req, state, params, &page, "recentmessages", items).await;
    }
    shared(&state, &req, || async {
        let answer = answers::agent_page::<MessageRow>(&state, &params, &page).await?;
        Ok(answer.map(|page| {
            let q = &page.query;
            RecentMessages {
                agent_name: q.agent.name.clone(),
                agent_version: q.agent.version.clone(),
                date_range: q.window.date_range(),
                messages: messages(state.guard.settings.expose_message_content)(q, page.rows),
                next_cursor: page.next_cursor,
                content_stored: page.replies_stored,
                content_note: (!page.replies_stored).then_some(CONTENT_NOT_STORED),
            }
        }))
    })
    .await
}
