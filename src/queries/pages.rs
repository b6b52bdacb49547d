//! Keyset-paged lists of one agent+version's rows, newest first.

use std::future::Future;

use chrono::{Duration, NaiveDateTime};
use deadpool_postgres::Object;

use super::{get, Statements};
use crate::cursor::Cursor;
use crate::error::ApiError;
use crate::params::AgentQuery;

/// Where a page starts: strictly older than this (`"startTime"`, `request_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePosition {
    pub start_time: NaiveDateTime,
    pub request_id: String,
}

impl PagePosition {
    /// The first page: one microsecond past the window's end with the smallest request id, so
    /// the keyset condition excludes nothing inside the window.
    pub fn first(q: &AgentQuery) -> PagePosition {
        PagePosition {
            start_time: q.window.end + Duration::microseconds(1),
            request_id: String::new(),
        }
    }

    pub fn after(cursor: &Cursor) -> PagePosition {
        PagePosition {
            start_time: cursor.start_time,
            request_id: cursor.request_id.clone(),
        }
    }
}

/// One row of GET /detailed-usage.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageRow {
    pub request_id: String,
    pub start_time: NaiveDateTime,
    pub end_time: NaiveDateTime,
    pub model: Option<String>,
    pub total_tokens: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

/// One row of GET /recentmessages.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub request_id: String,
    pub start_time: NaiveDateTime,
    pub session_id: String,
    pub model_name: Option<String>,
    pub message: String,
}

async fn page_rows(
    client: &Object,
    sql: &str,
    q: &AgentQuery,
    from: &PagePosition,
    fetch: i64,
) -> Result<Vec<tokio_postgres::Row>, ApiError> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client
        .query(
            &statement,
            &[
                &q.agent.name,
                &q.agent.version,
                &q.window.start,
                &q.window.end,
                &from.start_time,
                &from.request_id,
                &fetch,
            ],
        )
        .await?)
}

/// A row of a keyset-paged list: where it sits, and how to fetch a page of its kind.
pub trait PagedRow: Sized {
    /// (`"startTime"`, `request_id`): the keyset position of this row.
    fn position(&self) -> (NaiveDateTime, String);

    /// Up to `fetch` rows strictly older than `from`, newest first.
    fn fetch_page(
        client: &Object,
        sql: &Statements,
        q: &AgentQuery,
        from: &PagePosition,
        fetch: i64,
    ) -> impl Future<Output = Result<Vec<Self>, ApiError>>;
}

impl PagedRow for UsageRow {
    fn position(&self) -> (NaiveDateTime, String) {
        (self.start_time, self.request_id.clone())
    }

    fn fetch_page(
        client: &Object,
        sql: &Statements,
        q: &AgentQuery,
        from: &PagePosition,
        fetch: i64,
    ) -> impl Future<Output = Result<Vec<Self>, ApiError>> {
        usage_page(client, sql, q, from, fetch)
    }
}

impl PagedRow for MessageRow {
    fn position(&self) -> (NaiveDateTime, String) {
        (self.start_time, self.request_id.clone())
    }

    fn fetch_page(
        client: &Object,
        sql: &Statements,
        q: &AgentQuery,
        from: &PagePosition,
        fetch: i64,
    ) -> impl Future<Output = Result<Vec<Self>, ApiError>> {
        messages_page(client, sql, q, from, fetch)
    }
}

/// Up to `fetch` rows older than `from`.
pub async fn usage_page(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
    from: &PagePosition,
    fetch: i64,
) -> Result<Vec<UsageRow>, ApiError> {
    page_rows(client, &sql.usage_page, q, from, fetch)
        .await?
        .iter()
        .map(|row| {
            Ok(UsageRow {
                request_id: get(row, "request_id")?,
                start_time: get(row, "start_time")?,
                end_time: get(row, "end_time")?,
                model: get(row, "model")?,
                total_tokens: get(row, "total_tokens")?,
                prompt_tokens: get(row, "prompt_tokens")?,
                completion_tokens: get(row, "completion_tokens")?,
            })
        })
        .collect()
}

/// Up to `fetch` assistant replies older than `from`.
pub async fn messages_page(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
    from: &PagePosition,
    fetch: i64,
) -> Result<Vec<MessageRow>, ApiError> {
    page_rows(client, &sql.messages_page, q, from, fetch)
        .await?
        .iter()
        .map(|row| {
            Ok(MessageRow {
                request_id: get(row, "request_id")?,
                start_time: get(row, "start_time")?,
                session_id: get(row, "session_id")?,
                model_name: get(row, "model_name")?,
                message: get(row, "message")?,
            })
        })
        .collect()
}
