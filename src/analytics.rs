//! Where each answer comes from: the in-memory rollup when it covers the window and is fresh,
//! otherwise SQL. Handlers ask here and get the value with its provenance.

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::error::ApiError;
use crate::params::AgentQuery;
use crate::queries;
use crate::queries::PagePosition;
use crate::rollup::store::micros;
use crate::rollup::PageCandidates;
use crate::routes::AppState;
use crate::stats::SeriesStats;
use crate::window::format_timestamp;
use crate::window::Bucket;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Memory,
    Database,
}

/// A value and how fresh it is.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub value: T,
    /// The database state the value reflects: the rollup's last refresh, or the query's time.
    pub as_of: NaiveDateTime,
    pub source: Source,
}

impl<T> Answer<T> {
    fn database(value: T, q: &AgentQuery) -> Answer<T> {
        Answer {
            value,
            as_of: q.window.end,
            source: Source::Database,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Answer<U> {
        Answer {
            value: f(self.value),
            as_of: self.as_of,
            source: self.source,
        }
    }
}

/// A response body computed once and possibly shared by identical concurrent requests.
pub type SharedBody = Result<Arc<Answer<web::Bytes>>, ApiError>;

/// Serializes an answer's value once, for every request sharing it.
pub fn serialize<T: Serialize>(answer: Answer<T>) -> SharedBody {
    let body = serde_json::to_vec(&answer.value)
        .map_err(|e| ApiError::Internal(format!("serializing a response: {e}")))?;
    Ok(Arc::new(answer.map(|_| web::Bytes::from(body))))
}

/// The JSON response for a shared body, with `X-Data-As-Of` (the database state it reflects)
/// and `X-Data-Source` (memory or database).
pub fn render(answer: &Answer<web::Bytes>) -> HttpResponse {
    let source = match answer.source {
        Source::Memory => "memory",
        Source::Database => "database",
    };
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("X-Data-As-Of", format_timestamp(answer.as_of)))
        .insert_header(("X-Data-Source", source))
        .body(answer.value.clone())
}

impl AppState {
    /// Stats of the window, per bucket and overall: from the rollup when it covers the window
    /// and is fresh, else by SQL. `latency` asks for duration distributions too.
    pub async fn agent_stats(
        &self,
        q: &AgentQuery,
        buckets: &[Bucket],
        latency: bool,
    ) -> Result<Answer<SeriesStats>, ApiError> {
        let boundaries = boundaries(buckets);
        if let Some(snapshot) = self.rollup.read(q.window.start, q.window.end) {
            let boundaries: Vec<i64> = boundaries.iter().map(|t| micros(*t)).collect();
            let value = snapshot.store.stats(
                &q.agent.name,
                &q.agent.version,
                micros(q.window.start),
                micros(q.window.end),
                &boundaries,
                latency,
            );
            return Ok(Answer {
                value,
                as_of: snapshot.as_of,
                source: Source::Memory,
            });
        }
        let (client, sql) = self.db.agent_client().await?;
        let value = queries::agent_stats(&client, &sql, q, &boundaries).await?;
        Ok(Answer::database(value, q))
    }
}

/// The buckets' edges: each bucket's start, then the last one's end.
fn boundaries(buckets: &[Bucket]) -> Vec<NaiveDateTime> {
    buckets
        .iter()
        .map(|b| b.start)
        .chain(buckets.last().map(|b| b.end))
        .collect()
}

/// One bucket spanning the whole window, for summaries that need no series.
pub fn whole_window(q: &AgentQuery) -> [Bucket; 1] {
    [Bucket {
        start: q.window.start,
        end: q.window.end + chrono::Duration::microseconds(1),
        tz: q.window.tz,
    }]
}

/// What the rollup knows about one list page.
#[derive(Debug, Clone)]
pub struct PageHint {
    /// The agent+version has rows (or, for messages, replies) in the window.
    pub has_rows: bool,
    /// The rows the page is among.
    pub candidates: PageCandidates,
    pub as_of: NaiveDateTime,
}

impl AppState {
    /// The rollup's knowledge of a list page, when it is fresh and covers the window.
    pub fn page_hint(
        &self,
        q: &AgentQuery,
        from: &PagePosition,
        fetch: usize,
        replies_only: bool,
    ) -> Option<PageHint> {
        let snapshot = self.rollup.read(q.window.start, self.clock.now())?;
        let (name, version) = (q.agent.name.as_str(), q.agent.version.as_str());
        let (start, end) = (micros(q.window.start), micros(q.window.end));
        let has_rows = if replies_only {
            snapshot.store.has_replies(name, version, start, end)
        } else {
            snapshot.store.has_rows(name, version, start, end)
        };
        let before = micros(from.start_time).min(end.saturating_add(1));
        let candidates =
            snapshot
                .store
                .page_candidates(name, version, start, before, fetch, replies_only);
        Some(PageHint {
            has_rows,
            candidates,
            as_of: snapshot.as_of,
        })
    }
}
