//! Keyset-paged lists of one agent+version's rows, newest first.

use std::future::Future;

use chrono::NaiveDateTime;
use deadpool_postgres::Object;

use super::{get, Statements};
use crate::cursor::Cursor;
use crate::params::AgentQuery;
use crate::queries::error::DbError;

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
            start_time: q.window.end_exclusive(),
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
    /// agent_session_id; None when not read here (the rollup supplies it, see
    /// `PagedRow::with_session`) or when the row has none.
    pub session_id: Option<String>,
    pub model_name: Option<String>,
    pub message: String,
}

/// Where a page's rows are looked for: the agent's whole window, or only among rows the rollup
/// named (by primary key).
#[derive(Debug, Clone, Copy)]
pub enum PageScope<'a> {
    Window,
    Among(&'a [String]),
}

async fn page_rows(
    client: &Object,
    sql: (&str, &str),
    q: &AgentQuery,
    from: &PagePosition,
    fetch: i64,
    scope: PageScope<'_>,
) -> Result<Vec<tokio_postgres::Row>, DbError> {
    let window: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
        &q.agent.name,
        &q.agent.version,
        &q.window.start,
        &q.window.end,
        &from.start_time,
        &from.request_id,
        &fetch,
    ];
    Ok(match scope {
        PageScope::Window => {
            let statement = client.prepare_cached(sql.0).await?;
            client.query(&statement, &window).await?
        }
        PageScope::Among(ids) => {
            let statement = client.prepare_cached(sql.1).await?;
            let mut params = window.to_vec();
            params.push(&ids);
            client.query(&statement, &params).await?
        }
    })
}

/// A row of a keyset-paged list: where it sits, and how to fetch a page of its kind.
pub trait PagedRow: Sized {
    /// Whether the list holds only rows with an assistant reply (/recentmessages).
    const REPLIES_ONLY: bool;

    /// (`"startTime"`, `request_id`): the keyset position of this row.
    fn position(&self) -> (NaiveDateTime, String);

    /// The row with its agent_session_id taken from the rollup, for lists that show it.
    fn with_session(self, _session: Option<&str>) -> Self {
        self
    }

    /// Up to `fetch` rows strictly older than `from`, newest first, within `scope`.
    fn fetch_page(
        client: &Object,
        sql: &Statements,
        q: &AgentQuery,
        from: &PagePosition,
        fetch: i64,
        scope: PageScope<'_>,
    ) -> impl Future<Output = Result<Vec<Self>, DbError>>;
}

impl PagedRow for UsageRow {
    const REPLIES_ONLY: bool = false;

    fn position(&self) -> (NaiveDateTime, String) {
        (self.start_time, self.request_id.clone())
    }

    fn fetch_page(
        client: &Object,
        sql: &Statements,
        q: &AgentQuery,
        from: &PagePosition,
        fetch: i64,
        scope: PageScope<'_>,
    ) -> impl Future<Output = Result<Vec<Self>, DbError>> {
        usage_page(client, sql, q, from, fetch, scope)
    }
}

impl PagedRow for MessageRow {
    const REPLIES_ONLY: bool = true;

    fn with_session(mut self, session: Option<&str>) -> Self {
        if self.session_id.is_none() {
            self.session_id = session.map(str::to_string);
        }
        self
    }

    fn position(&self) -> (NaiveDateTime, String) {
        (self.start_time, self.request_id.clone())
    }

    fn fetch_page(
        client: &Object,
        sql: &Statements,
        q: &AgentQuery,
        from: &PagePosition,
        fetch: i64,
        scope: PageScope<'_>,
    ) -> impl Future<Output = Result<Vec<Self>, DbError>> {
        messages_page(client, sql, q, from, fetch, scope)
    }
}

/// Up to `fetch` rows older than `from`.
pub async fn usage_page(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
    from: &PagePosition,
    fetch: i64,
    scope: PageScope<'_>,
) -> Result<Vec<UsageRow>, DbError> {
    page_rows(
        client,
        (&sql.usage_page, &sql.usage_page_by_id),
        q,
        from,
        fetch,
        scope,
    )
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
    scope: PageScope<'_>,
) -> Result<Vec<MessageRow>, DbError> {
    page_rows(
        client,
        (&sql.messages_page, &sql.messages_page_by_id),
        q,
        from,
        fetch,
        scope,
    )
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
