//! What the in-memory rollup reads: rows by time span or by id, and cheap counts to notice change.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use deadpool_postgres::Object;

use super::{get, Statements};
use crate::queries::error::DbError;

const RECENT_COUNT: &str = include_str!("../../sql/rollup_recent_count.sql");
const RECENT_IDS: &str = include_str!("../../sql/rollup_recent_ids.sql");
const HOUR_COUNTS: &str = include_str!("../../sql/rollup_hour_counts.sql");
const TABLE_ACTIVITY: &str = include_str!("../../sql/rollup_table_activity.sql");

/// One row as the rollup keeps it. `agent` is None when the row names no agent and version.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedRow {
    pub request_id: String,
    pub start_time: NaiveDateTime,
    pub agent: Option<AgentFields>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentFields {
    pub name: String,
    pub version: String,
    pub session: Option<String>,
    pub user: Option<String>,
    pub model: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    pub cached_tokens: i64,
    pub spend: f64,
    pub failed: bool,
    pub cache_hit: bool,
    /// Request duration in microseconds (sql/fields/duration_us.sql).
    pub duration_us: Option<i64>,
    /// Time to first token in microseconds, where meaningful (sql/fields/ttft_us.sql).
    pub ttft_us: Option<i64>,
    pub has_tools: bool,
    /// The response carries assistant text (what /recentmessages lists).
    pub has_reply: bool,
}

fn loaded_row(row: &tokio_postgres::Row) -> Result<LoadedRow, DbError> {
    let name: Option<String> = get(row, "agent_name")?;
    let version: Option<String> = get(row, "agent_version")?;
    let agent = match (name, version) {
        (Some(name), Some(version)) => Some(AgentFields {
            name,
            version,
            session: get(row, "session_id")?,
            user: get(row, "user_id")?,
            model: get::<Option<String>>(row, "model")?.unwrap_or_default(),
            prompt_tokens: get(row, "prompt_tokens")?,
            completion_tokens: get(row, "completion_tokens")?,
            total_tokens: get(row, "total_tokens")?,
            cached_tokens: get(row, "cached_tokens")?,
            spend: get::<Option<f64>>(row, "spend")?.unwrap_or_default(),
            failed: get(row, "failed")?,
            cache_hit: get(row, "cache_hit")?,
            duration_us: get(row, "duration_us")?,
            ttft_us: get(row, "ttft_us")?,
            has_tools: get::<Option<bool>>(row, "has_tools")?.unwrap_or_default(),
            has_reply: get(row, "has_reply")?,
        }),
        _ => None,
    };
    Ok(LoadedRow {
        request_id: get(row, "request_id")?,
        start_time: get(row, "start_time")?,
        agent,
    })
}

/// Every row with `from <= "startTime" < to`.
pub async fn rows_between(
    client: &Object,
    sql: &Statements,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<LoadedRow>, DbError> {
    let statement = client.prepare_cached(&sql.rollup_rows_between).await?;
    client
        .query(&statement, &[&from, &to])
        .await?
        .iter()
        .map(loaded_row)
        .collect()
}

/// One agent+version's rows with `from <= "startTime" < to`.
pub async fn agent_rows_between(
    client: &Object,
    sql: &Statements,
    (name, version): (&str, &str),
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<LoadedRow>, DbError> {
    let statement = client
        .prepare_cached(&sql.rollup_agent_rows_between)
        .await?;
    client
        .query(&statement, &[&name, &version, &from, &to])
        .await?
        .iter()
        .map(loaded_row)
        .collect()
}

/// The rows with these request_ids (those still present).
pub async fn rows_by_id(
    client: &Object,
    sql: &Statements,
    ids: &[String],
) -> Result<Vec<LoadedRow>, DbError> {
    let statement = client.prepare_cached(&sql.rollup_rows_by_id).await?;
    client
        .query(&statement, &[&ids])
        .await?
        .iter()
        .map(loaded_row)
        .collect()
}

/// How many rows have `"startTime" >= from`.
pub async fn recent_count(client: &Object, from: NaiveDateTime) -> Result<i64, DbError> {
    let statement = client.prepare_cached(RECENT_COUNT).await?;
    let row = client.query_one(&statement, &[&from]).await?;
    get(&row, "n")
}

/// (request_id, startTime) of the rows with `"startTime" >= from`.
pub async fn recent_ids(
    client: &Object,
    from: NaiveDateTime,
) -> Result<Vec<(String, NaiveDateTime)>, DbError> {
    let statement = client.prepare_cached(RECENT_IDS).await?;
    client
        .query(&statement, &[&from])
        .await?
        .iter()
        .map(|row| Ok((get(row, "request_id")?, get(row, "start_time")?)))
        .collect()
}

/// Rows per hour (by startTime) in `[from, to)`.
pub async fn hour_counts(
    client: &Object,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<BTreeMap<NaiveDateTime, i64>, DbError> {
    let statement = client.prepare_cached(HOUR_COUNTS).await?;
    client
        .query(&statement, &[&from, &to])
        .await?
        .iter()
        .map(|row| Ok((get(row, "hour")?, get(row, "n")?)))
        .collect()
}

/// Updates plus deletes ever counted on the table, when the statistics can be trusted.
pub async fn table_changes(client: &Object) -> Result<Option<i64>, DbError> {
    let statement = client.prepare_cached(TABLE_ACTIVITY).await?;
    let row = client.query_opt(&statement, &[]).await?;
    Ok(match row {
        Some(row) if get::<bool>(&row, "usable")? => Some(get(&row, "changes")?),
        _ => None,
    })
}
