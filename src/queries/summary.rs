//! Aggregates over one agent+version's rows in a window.

use chrono::NaiveDate;
use deadpool_postgres::Object;

use super::{get, Statements};
use crate::error::ApiError;
use crate::params::AgentQuery;

/// Totals for GET /analytics/agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentSummaryRow {
    pub total_messages: i64,
    pub total_sessions: i64,
    pub total_users: i64,
}

/// One UTC date of GET /activitytimeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailySessionsRow {
    pub day: NaiveDate,
    pub messages: i64,
    pub sessions: i64,
}

/// One UTC date of GET /tokens-usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyTokensRow {
    pub day: NaiveDate,
    pub messages: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

/// Totals for GET /total-tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotalTokensRow {
    pub messages: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

async fn agent_rows(
    client: &Object,
    sql: &str,
    q: &AgentQuery,
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
            ],
        )
        .await?)
}

async fn agent_row(
    client: &Object,
    sql: &str,
    q: &AgentQuery,
) -> Result<tokio_postgres::Row, ApiError> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client
        .query_one(
            &statement,
            &[
                &q.agent.name,
                &q.agent.version,
                &q.window.start,
                &q.window.end,
            ],
        )
        .await?)
}

pub async fn agent_summary(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
) -> Result<AgentSummaryRow, ApiError> {
    let row = agent_row(client, &sql.agent_summary, q).await?;
    Ok(AgentSummaryRow {
        total_messages: get(&row, "total_messages")?,
        total_sessions: get(&row, "total_sessions")?,
        total_users: get(&row, "total_users")?,
    })
}

pub async fn daily_sessions(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
) -> Result<Vec<DailySessionsRow>, ApiError> {
    agent_rows(client, &sql.daily_sessions, q)
        .await?
        .iter()
        .map(|row| {
            Ok(DailySessionsRow {
                day: get(row, "day")?,
                messages: get(row, "messages")?,
                sessions: get(row, "sessions")?,
            })
        })
        .collect()
}

pub async fn daily_tokens(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
) -> Result<Vec<DailyTokensRow>, ApiError> {
    agent_rows(client, &sql.daily_tokens, q)
        .await?
        .iter()
        .map(|row| {
            Ok(DailyTokensRow {
                day: get(row, "day")?,
                messages: get(row, "messages")?,
                prompt_tokens: get(row, "prompt_tokens")?,
                completion_tokens: get(row, "completion_tokens")?,
            })
        })
        .collect()
}

pub async fn total_tokens(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
) -> Result<TotalTokensRow, ApiError> {
    let row = agent_row(client, &sql.total_tokens, q).await?;
    Ok(TotalTokensRow {
        messages: get(&row, "messages")?,
        prompt_tokens: get(&row, "prompt_tokens")?,
        completion_tokens: get(&row, "completion_tokens")?,
    })
}

pub async fn agent_has_rows(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
) -> Result<bool, ApiError> {
    Ok(!agent_rows(client, &sql.agent_has_rows, q).await?.is_empty())
}
