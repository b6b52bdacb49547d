//! Sessions, users, a session's requests and the agent catalog by SQL.

use chrono::NaiveDateTime;
use deadpool_postgres::Object;

use super::{get, PageScope, Statements};
use crate::params::AgentQuery;
use crate::queries::error::DbError;
use crate::summaries::{CatalogEntry, SessionSummary, UserSummary};

/// Sessions of the agent version in the window (one, or those of one user, when given).
pub async fn sessions(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
    session: Option<&str>,
    user: Option<&str>,
) -> Result<Vec<SessionSummary>, DbError> {
    let statement = client.prepare_cached(&sql.sessions).await?;
    let rows = client
        .query(
            &statement,
            &[
                &q.agent.name,
                &q.agent.version,
                &q.window.start,
                &q.window.end,
                &session,
                &user,
            ],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let mut models: Vec<String> = get::<Vec<Option<String>>>(row, "models")?
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect();
            // Byte order, as the rollup sorts them (the database's collation may differ).
            models.sort();
            Ok(SessionSummary {
                session_id: get(row, "session_id")?,
                user_id: get(row, "user_id")?,
                first_seen: get(row, "first_seen")?,
                last_seen: get(row, "last_seen")?,
                requests: get(row, "requests")?,
                failed: get(row, "failed")?,
                prompt_tokens: get(row, "prompt_tokens")?,
                completion_tokens: get(row, "completion_tokens")?,
                total_tokens: get(row, "total_tokens")?,
                spend: get(row, "spend")?,
                duration_us: get(row, "duration_us")?,
                timed_requests: get(row, "timed_requests")?,
                requests_with_tools: get(row, "requests_with_tools")?,
                models,
            })
        })
        .collect()
}

/// Users of the agent version in the window.
pub async fn users(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
) -> Result<Vec<UserSummary>, DbError> {
    let statement = client.prepare_cached(&sql.users).await?;
    let rows = client
        .query(
            &statement,
            &[
                &q.agent.name,
                &q.agent.version,
                &q.window.start,
                &q.window.end,
            ],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(UserSummary {
                user_id: get(row, "user_id")?,
                sessions: get(row, "sessions")?,
                requests: get(row, "requests")?,
                failed: get(row, "failed")?,
                prompt_tokens: get(row, "prompt_tokens")?,
                completion_tokens: get(row, "completion_tokens")?,
                total_tokens: get(row, "total_tokens")?,
                spend: get(row, "spend")?,
                first_seen: get(row, "first_seen")?,
                last_seen: get(row, "last_seen")?,
            })
        })
        .collect()
}

/// Every agent+version with requests in `[start, end]`.
pub async fn catalog(
    client: &Object,
    sql: &Statements,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<Vec<CatalogEntry>, DbError> {
    let statement = client.prepare_cached(&sql.agent_catalog).await?;
    let rows = client.query(&statement, &[&start, &end]).await?;
    rows.iter()
        .map(|row| {
            Ok(CatalogEntry {
                name: get(row, "agent_name")?,
                version: get(row, "agent_version")?,
                first_seen: get(row, "first_seen")?,
                last_seen: get(row, "last_seen")?,
                requests: get(row, "requests")?,
            })
        })
        .collect()
}

/// One request of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRequestRow {
    pub request_id: String,
    pub start_time: NaiveDateTime,
    pub model: Option<String>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    pub spend: f64,
    pub duration_us: Option<i64>,
    pub failed: bool,
    pub error_class: Option<String>,
    pub error_message: Option<String>,
}

/// Up to `fetch` of the session's requests after `(after_time, after_id)`, oldest first.
#[allow(clippy::too_many_arguments)]
pub async fn session_requests(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
    session: &str,
    after_time: NaiveDateTime,
    after_id: &str,
    fetch: i64,
    scope: PageScope<'_>,
) -> Result<Vec<SessionRequestRow>, DbError> {
    let base: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
        &q.agent.name,
        &q.agent.version,
        &q.window.start,
        &q.window.end,
        &session,
        &after_time,
        &after_id,
        &fetch,
    ];
    let rows = match scope {
        PageScope::Window => {
            let statement = client.prepare_cached(&sql.session_requests).await?;
            client.query(&statement, &base).await?
        }
        PageScope::Among(ids) => {
            let statement = client.prepare_cached(&sql.session_requests_by_id).await?;
            let mut params = base.to_vec();
            params.push(&ids);
            client.query(&statement, &params).await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok(SessionRequestRow {
                request_id: get(row, "request_id")?,
                start_time: get(row, "start_time")?,
                model: get(row, "model")?,
                prompt_tokens: get(row, "prompt_tokens")?,
                completion_tokens: get(row, "completion_tokens")?,
                total_tokens: get(row, "total_tokens")?,
                spend: get::<Option<f64>>(row, "spend")?.unwrap_or_default(),
                duration_us: get(row, "duration_us")?,
                failed: get(row, "failed")?,
                error_class: get(row, "error_class")?,
                error_message: get(row, "error_message")?,
            })
        })
        .collect()
}
