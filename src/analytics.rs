//! Where each answer comes from: the in-memory rollup when it covers the window and is fresh,
//! otherwise SQL. Handlers ask here and get the value with its provenance.

use std::sync::Arc;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::error::ApiError;
use crate::groups::{CatalogEntry, SessionSummary, UserSummary};
use crate::params::AgentQuery;
use crate::queries;
use crate::queries::PagePosition;
use crate::rollup::store::micros;
use crate::rollup::PageCandidates;
use crate::routes::AppState;
use crate::stats::SeriesStats;
use crate::window::format_timestamp;
use crate::window::{Bucket, Window};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Memory,
    Database,
}

impl Source {
    /// The `X-Data-Source` value.
    pub fn header_value(self) -> &'static str {
        match self {
            Source::Memory => "memory",
            Source::Database => "database",
        }
    }
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
    let response = HttpResponse::Ok()
        .content_type("application/json")
        .body(answer.value.clone());
    with_provenance(response, answer.as_of, answer.source)
}

/// `response` with `X-Data-As-Of` and `X-Data-Source`: JSON and CSV answers say the same.
pub fn with_provenance(
    mut response: HttpResponse,
    as_of: NaiveDateTime,
    source: Source,
) -> HttpResponse {
    let source = source.header_value();
    let headers = response.headers_mut();
    if let Ok(as_of) = HeaderValue::from_str(&format_timestamp(as_of)) {
        headers.insert(HeaderName::from_static("x-data-as-of"), as_of);
    }
    headers.insert(
        HeaderName::from_static("x-data-source"),
        HeaderValue::from_static(source),
    );
    response
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
        if let Some(snapshot) = self.rollup.read(q.window.start, self.clock.now()) {
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
        end: q.window.end_exclusive(),
        tz: q.window.tz,
    }]
}

/// What the rollup knows about one list page.
#[derive(Debug, Clone)]
pub struct PageHint {
    /// The agent+version has rows in the window.
    pub has_rows: bool,
    /// It has rows with an assistant reply in the window (asked for messages only; else true).
    pub has_replies: bool,
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
        let has_rows = snapshot.store.has_rows(name, version, start, end);
        let has_replies = !replies_only || snapshot.store.has_replies(name, version, start, end);
        let before = micros(from.start_time).min(end.saturating_add(1));
        let candidates =
            snapshot
                .store
                .page_candidates(name, version, start, before, fetch, replies_only);
        Some(PageHint {
            has_rows,
            has_replies,
            candidates,
            as_of: snapshot.as_of,
        })
    }
}

impl AppState {
    /// `compute` over the rollup, when it is fresh and covers the window: CPU-heavy work (it
    /// walks every row of the window), so it is admitted against the CPU bound and runs on a
    /// blocking thread, never on an HTTP worker. None when the rollup cannot answer (then SQL).
    async fn computed_in_memory<T, F>(
        &self,
        q: &AgentQuery,
        compute: F,
    ) -> Result<Option<Answer<T>>, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&crate::rollup::store::Store, &AgentQuery) -> T + Send + 'static,
    {
        let now = self.clock.now();
        if self.rollup.read(q.window.start, now).is_none() {
            return Ok(None);
        }
        let permit = crate::admission::admit_cpu().await?;
        let (rollup, q) = (self.rollup.clone(), q.clone());
        crate::admission::off_worker(move || {
            let _slot = permit;
            // Read again: the rollup may have gone stale while this waited for a thread.
            let snapshot = rollup.read(q.window.start, now)?;
            Some(Answer {
                value: compute(&snapshot.store, &q),
                as_of: snapshot.as_of,
                source: Source::Memory,
            })
        })
        .await
    }

    /// The agent version's sessions in the window (one session, or one user's, when given).
    pub async fn sessions(
        &self,
        q: &AgentQuery,
        session: Option<&str>,
        user: Option<&str>,
    ) -> Result<Answer<Vec<SessionSummary>>, ApiError> {
        let (one_session, one_user) = (session.map(str::to_string), user.map(str::to_string));
        let from_memory = self
            .computed_in_memory(q, move |store, q| {
                let mut value = store.sessions(
                    &q.agent.name,
                    &q.agent.version,
                    micros(q.window.start),
                    micros(q.window.end),
                    one_user.as_deref(),
                );
                if let Some(session) = &one_session {
                    value.retain(|s| &s.session_id == session);
                }
                value
            })
            .await?;
        if let Some(answer) = from_memory {
            return Ok(answer);
        }
        let (client, sql) = self.db.agent_client().await?;
        let value = queries::groups::sessions(&client, &sql, q, session, user).await?;
        Ok(Answer::database(value, q))
    }

    /// Whether a request of the session in the window carries an assistant reply (rollup when
    /// fresh, else SQL).
    pub async fn session_has_replies(
        &self,
        q: &AgentQuery,
        session: &str,
    ) -> Result<bool, ApiError> {
        if let Some(snapshot) = self.rollup.read(q.window.start, self.clock.now()) {
            return Ok(snapshot.store.session_has_replies(
                &q.agent.name,
                &q.agent.version,
                micros(q.window.start),
                micros(q.window.end),
                session,
            ));
        }
        let (client, sql) = self.db.agent_client().await?;
        queries::session_has_replies(&client, &sql, q, session).await
    }

    /// The agent version's users in the window.
    pub async fn users(&self, q: &AgentQuery) -> Result<Answer<Vec<UserSummary>>, ApiError> {
        let from_memory = self
            .computed_in_memory(q, |store, q| {
                store.users(
                    &q.agent.name,
                    &q.agent.version,
                    micros(q.window.start),
                    micros(q.window.end),
                )
            })
            .await?;
        if let Some(answer) = from_memory {
            return Ok(answer);
        }
        let (client, sql) = self.db.agent_client().await?;
        let value = queries::groups::users(&client, &sql, q).await?;
        Ok(Answer::database(value, q))
    }

    /// Every agent+version with requests in the window. From memory this is O(agents × days);
    /// by SQL it reads every row of the window, so it only happens when the rollup cannot answer.
    pub async fn catalog(&self, window: &Window) -> Result<Answer<Vec<CatalogEntry>>, ApiError> {
        if let Some(snapshot) = self.rollup.read(window.start, self.clock.now()) {
            let value = snapshot
                .store
                .catalog(micros(window.start), micros(window.end));
            return Ok(Answer {
                value,
                as_of: snapshot.as_of,
                source: Source::Memory,
            });
        }
        let (client, sql) = self.db.agent_client().await?;
        let value = queries::groups::catalog(&client, &sql, window.start, window.end).await?;
        Ok(Answer {
            value,
            as_of: window.end,
            source: Source::Database,
        })
    }

    /// A page of a session's requests after `after` (startTime µs, inclusive: ties are decided
    /// by the database) as the rollup knows them: the first `fetch` later ones and any sharing
    /// the last one's startTime, with whether that reaches the session's end. None when the
    /// rollup cannot say.
    pub fn session_page_candidates(
        &self,
        q: &AgentQuery,
        session: &str,
        after: i64,
        fetch: usize,
    ) -> Option<PageCandidates> {
        let snapshot = self.rollup.read(q.window.start, self.clock.now())?;
        let requests = snapshot.store.session_requests(
            &q.agent.name,
            &q.agent.version,
            micros(q.window.start),
            micros(q.window.end),
            session,
        );
        let mut candidates = PageCandidates {
            request_ids: Vec::new(),
            sessions: Vec::new(),
            exhausted: true,
        };
        let (mut beyond, mut last) = (0, None);
        for (ts, id) in requests.into_iter().filter(|(ts, _)| *ts >= after) {
            if last.is_some_and(|t| ts > t) {
                candidates.exhausted = false;
                break;
            }
            candidates.request_ids.push(id);
            if ts > after {
                beyond += 1;
                if beyond == fetch {
                    last = Some(ts);
                }
            }
        }
        Some(candidates)
    }
}
