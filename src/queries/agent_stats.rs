//! Summaries and series of one agent+version by SQL (sql/agent_stats.sql).

use chrono::NaiveDateTime;
use deadpool_postgres::Object;

use super::{get, Statements};
use crate::params::AgentQuery;
use crate::queries::error::DbError;
use crate::stats::{round_to, Latency, SeriesStats, Stats};

/// Stats for each bucket `[boundaries[i], boundaries[i + 1])` and for the whole window.
pub async fn agent_stats(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
    boundaries: &[NaiveDateTime],
) -> Result<SeriesStats, DbError> {
    let statement = client.prepare_cached(&sql.agent_stats).await?;
    let rows = client
        .query(
            &statement,
            &[
                &q.agent.name,
                &q.agent.version,
                &q.window.start,
                &q.window.end,
                &boundaries,
            ],
        )
        .await?;
    let buckets = boundaries.len().saturating_sub(1);
    let mut series = SeriesStats {
        overall: Stats::default(),
        buckets: vec![Stats::default(); buckets],
    };
    for row in &rows {
        let stats = stats_of(row)?;
        match get::<Option<i32>>(row, "bucket")? {
            None => series.overall = stats,
            // width_bucket numbers buckets from 1; rows outside the boundaries (none, since the
            // window lies within them) would be 0 or len.
            Some(b) if b >= 1 && (b as usize) <= buckets => series.buckets[b as usize - 1] = stats,
            Some(_) => {}
        }
    }
    Ok(series)
}

fn stats_of(row: &tokio_postgres::Row) -> Result<Stats, DbError> {
    Ok(Stats {
        requests: get(row, "requests")?,
        sessions: get(row, "sessions")?,
        users: get(row, "users")?,
        prompt_tokens: get(row, "prompt_tokens")?,
        completion_tokens: get(row, "completion_tokens")?,
        total_tokens: get(row, "total_tokens")?,
        cached_prompt_tokens: get(row, "cached_tokens")?,
        spend: get(row, "spend")?,
        failed: get(row, "failed")?,
        cache_hits: get(row, "cache_hits")?,
        duration: latency_of(row, "duration")?,
        ttft: latency_of(row, "ttft")?,
    })
}

fn latency_of(row: &tokio_postgres::Row, prefix: &str) -> Result<Latency, DbError> {
    let count: i64 = get(row, &format!("{prefix}_count"))?;
    if count == 0 {
        return Ok(Latency::default());
    }
    let ms = |micros: i64| round_to(micros as f64 / 1000.0, 3);
    let pct: Vec<Option<i64>> =
        get::<Option<Vec<Option<i64>>>>(row, &format!("{prefix}_pct"))?.unwrap_or_default();
    let at = |i: usize| pct.get(i).copied().flatten().map(ms);
    Ok(Latency {
        count,
        avg_ms: get::<Option<f64>>(row, &format!("{prefix}_avg"))?
            .map(|avg| round_to(avg / 1000.0, 3)),
        min_ms: get::<Option<i64>>(row, &format!("{prefix}_min"))?.map(ms),
        max_ms: get::<Option<i64>>(row, &format!("{prefix}_max"))?.map(ms),
        p50_ms: at(0),
        p95_ms: at(1),
        p99_ms: at(2),
    })
}

/// Whether the agent+version has any row in the window.
pub async fn agent_has_rows(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
) -> Result<bool, DbError> {
    agent_finds(client, &sql.agent_has_rows, q).await
}

/// Whether the agent+version has a row with an assistant reply in the window.
pub async fn agent_has_replies(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
) -> Result<bool, DbError> {
    agent_finds(client, &sql.agent_has_replies, q).await
}

/// Whether a request of `session` (of the agent+version, in the window) carries a reply.
pub async fn session_has_replies(
    client: &Object,
    sql: &Statements,
    q: &AgentQuery,
    session: &str,
) -> Result<bool, DbError> {
    let statement = client.prepare_cached(&sql.session_has_replies).await?;
    let rows = client
        .query(
            &statement,
            &[
                &q.agent.name,
                &q.agent.version,
                &q.window.start,
                &q.window.end,
                &session,
            ],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Whether `statement` (parameters: agent name, version, window start and end) finds a row.
async fn agent_finds(client: &Object, statement: &str, q: &AgentQuery) -> Result<bool, DbError> {
    let statement = client.prepare_cached(statement).await?;
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
    Ok(!rows.is_empty())
}
