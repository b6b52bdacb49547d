//! The one place that chooses where an answer comes from: the in-memory rollup when it covers the
//! window and is fresh, otherwise SQL. Handlers parse, ask here, and shape what they get back;
//! none of them touches the pool or the rollup (health excepted).

use std::sync::Arc;

use chrono::NaiveDateTime;
use deadpool_postgres::Object;

use crate::admission;
use crate::cursor::{split_page, Cursor};
use crate::error::ApiError;
use crate::params::{AgentParams, AgentQuery, PageParams};
use crate::provenance::{Answer, Source};
use crate::queries::error::DbError;
use crate::queries::metrics_query::request::MetricsRequest;
use crate::queries::rollup::LoadedRow;
use crate::queries::summaries::{session_requests, SessionRequestRow};
use crate::queries::{self, MetricsRow, PagePosition, PageScope, PagedRow, Statements};
use crate::rollup::store::{from_micros, Store, MICROS_PER_HOUR};
use crate::rollup::{CatalogEdges, EdgeRecords, PageCandidates};
use crate::state::AppState;
use crate::stats::SeriesStats;
use crate::summaries::{
    session_value, user_value, CatalogEntry, RankedPage, Ranking, SessionSummary, UserSummary,
};
use crate::window::micros;
use crate::window::{format_timestamp, Bucket, Granularity, Window};

/// An agent version's stats over a window's buckets.
pub struct Series {
    pub buckets: Vec<Bucket>,
    pub stats: SeriesStats,
}

/// The agent version's stats per bucket of `granularity` (or, for None, of one bucket spanning
/// the window) and overall: from the rollup when it covers the window and is fresh, else by SQL.
/// `latency` asks for duration distributions too.
pub async fn agent_stats(
    state: &AppState,
    q: &AgentQuery,
    granularity: Option<Granularity>,
    latency: bool,
) -> Result<Answer<Series>, ApiError> {
    let buckets = match granularity {
        Some(granularity) => q.window.buckets(granularity),
        None => vec![Bucket {
            start: q.window.start,
            end: q.window.end_exclusive(),
            tz: q.window.tz,
        }],
    };
    let boundaries = boundaries(&buckets);
    let in_memory = stats_in_memory(state, q, &boundaries, latency).await?;
    let stats = match in_memory {
        Some(answer) => answer,
        None => {
            let (client, sql) = window_client(state).await?;
            let value = queries::agent_stats(&client, &sql, q, &boundaries).await?;
            Answer::database(value, q.window.end)
        }
    };
    Ok(stats.map(|stats| Series { buckets, stats }))
}

/// Hours of old days one answer may read from the database for its edges (a window's start and
/// end inside hours the rollup holds only as totals); past that — buckets of a calendar whose
/// days start off the UTC hour, over many old days — SQL answers it all.
const MAX_EDGE_HOURS: usize = 4;

/// The stats from the rollup when it is fresh and covers the window, reading from the database
/// only the parts of hours older than the row horizon that the window or its buckets cut (each
/// at most an hour of one agent, and kept for the next request). None: SQL must answer.
async fn stats_in_memory(
    state: &AppState,
    q: &AgentQuery,
    boundaries: &[NaiveDateTime],
    latency: bool,
) -> Result<Option<Answer<SeriesStats>>, ApiError> {
    let now = state.clock.now();
    let agent = (q.agent.name.as_str(), q.agent.version.as_str());
    let (start, end) = (micros(q.window.start), micros(q.window.end));
    let boundaries: Vec<i64> = boundaries.iter().map(|t| micros(*t)).collect();
    let stats = |store: &Store, edges: &EdgeRecords| {
        store.stats(agent.0, agent.1, start, end, &boundaries, latency, edges)
    };
    let (hours, reloads) = {
        let Some(snapshot) = state.rollup.read(q.window.start, now) else {
            return Ok(None);
        };
        match stats(&snapshot.store, &EdgeRecords::default()) {
            Ok(value) => return Ok(Some(from_memory(value, snapshot.as_of))),
            Err(hours) => (hours, snapshot.store.reloads()),
        }
    };
    if hours.len() > MAX_EDGE_HOURS {
        return Ok(None);
    }
    let rows = edge_rows(state, agent, &hours, reloads).await?;
    let Some(snapshot) = state.rollup.read(q.window.start, now) else {
        return Ok(None);
    };
    let edges = snapshot
        .store
        .edge_records(agent.0, agent.1, rows.iter().flat_map(|r| r.iter()));
    Ok(stats(&snapshot.store, &edges)
        .ok()
        .map(|value| from_memory(value, snapshot.as_of)))
}

/// The catalog from the rollup when it is fresh and covers the window, reading from the
/// database only the parts of old hours the window cuts (as [`stats_in_memory`]). None: SQL.
async fn catalog_in_memory(
    state: &AppState,
    window: &Window,
) -> Result<Option<Answer<Vec<CatalogEntry>>>, ApiError> {
    let now = state.clock.now();
    let (start, end) = (micros(window.start), micros(window.end));
    let (hours, reloads) = {
        let Some(snapshot) = state.rollup.read(window.start, now) else {
            return Ok(None);
        };
        match snapshot.store.catalog(start, end, &CatalogEdges::default()) {
            Ok(value) => return Ok(Some(from_memory(value, snapshot.as_of))),
            Err(hours) => (hours, snapshot.store.reloads()),
        }
    };
    if hours.len() > MAX_EDGE_HOURS {
        return Ok(None);
    }
    let rows = edge_rows(state, EVERY_AGENT, &hours, reloads).await?;
    let Some(snapshot) = state.rollup.read(window.start, now) else {
        return Ok(None);
    };
    let edges = CatalogEdges::new(&hours, rows.iter().flat_map(|r| r.iter()));
    Ok(snapshot
        .store
        .catalog(start, end, &edges)
        .ok()
        .map(|value| from_memory(value, snapshot.as_of)))
}

/// The edge cache's key for rows of every agent (Postgres text cannot hold NUL, so no agent is
/// named so).
const EVERY_AGENT: (&str, &str) = ("\0", "\0");

/// The agent version's (or [`EVERY_AGENT`]'s) rows of whole `hours`, from the edge cache or the
/// database.
async fn edge_rows(
    state: &AppState,
    agent: (&str, &str),
    hours: &[i64],
    reloads: u64,
) -> Result<Vec<Arc<Vec<LoadedRow>>>, ApiError> {
    let mut rows = Vec::with_capacity(hours.len());
    let mut connection = None;
    for hour in hours {
        if let Some(cached) = state.rollup.cached_edge(agent, *hour, reloads) {
            rows.push(cached);
            continue;
        }
        if connection.is_none() {
            connection = Some(state.db.agent_client().await?);
        }
        let Some((client, sql)) = &connection else {
            continue;
        };
        let (from, to) = (
            from_micros(hour * MICROS_PER_HOUR),
            from_micros((hour + 1) * MICROS_PER_HOUR),
        );
        let loaded = Arc::new(if agent == EVERY_AGENT {
            queries::rollup::rows_between(client, sql, from, to).await?
        } else {
            queries::rollup::agent_rows_between(client, sql, agent, from, to).await?
        });
        state
            .rollup
            .cache_edge(agent, *hour, reloads, loaded.clone());
        rows.push(loaded);
    }
    Ok(rows)
}

/// As [`agent_stats`], or 404 when the agent version has no requests in the window.
pub async fn agent_series(
    state: &AppState,
    q: &AgentQuery,
    granularity: Option<Granularity>,
    latency: bool,
) -> Result<Answer<Series>, ApiError> {
    let answer = agent_stats(state, q, granularity, latency).await?;
    if answer.value.stats.overall.requests == 0 {
        return Err(agent_not_found(state, q, answer.as_of, answer.source));
    }
    Ok(answer)
}

/// The rows of a metrics query over `window`, split at `boundaries` (always SQL today).
pub async fn metrics_rows(
    state: &AppState,
    request: &MetricsRequest,
    window: &Window,
    boundaries: &[NaiveDateTime],
) -> Result<Answer<Vec<MetricsRow>>, ApiError> {
    let (client, sql) = window_client(state).await?;
    let rows = queries::metrics_query(&client, &sql, request, window.start, window.end, boundaries)
        .await?;
    Ok(Answer::database(rows, window.end))
}

/// The buckets' edges: each bucket's start, then the last one's end.
fn boundaries(buckets: &[Bucket]) -> Vec<NaiveDateTime> {
    buckets
        .iter()
        .map(|b| b.start)
        .chain(buckets.last().map(|b| b.end))
        .collect()
}

fn from_memory<T>(value: T, as_of: NaiveDateTime) -> Answer<T> {
    Answer {
        value,
        as_of,
        source: Source::Memory,
    }
}

/// A connection for work that reads the agent's rows over a window (grows with the window), once
/// the running request is admitted to the database (admission.rs): at once, or 503/429.
/// Reads of rows the rollup named, by primary key, take `state.db.agent_client()` unadmitted.
async fn window_client(state: &AppState) -> Result<(Object, Arc<Statements>), ApiError> {
    admission::admit_database()?;
    Ok(state.db.agent_client().await?)
}

/// Whether the agent+version has any row in the window (rollup when fresh, else SQL).
pub async fn agent_exists(state: &AppState, q: &AgentQuery) -> Result<bool, ApiError> {
    if let Some(snapshot) = state.rollup.read_records(q.window.start, state.clock.now()) {
        let (start, end) = (micros(q.window.start), micros(q.window.end));
        return Ok(snapshot
            .store
            .has_rows(&q.agent.name, &q.agent.version, start, end));
    }
    let (client, sql) = window_client(state).await?;
    Ok(queries::agent_has_rows(&client, &sql, q).await?)
}

/// 404 for an agent+version without rows in the window, saying exactly what was looked for and
/// (in its headers) what it was read from.
pub fn agent_not_found(
    state: &AppState,
    q: &AgentQuery,
    as_of: NaiveDateTime,
    source: Source,
) -> ApiError {
    ApiError::AgentNotFound {
        provenance: Some((format_timestamp(as_of), source.header_value())),
        detail: format!(
            "no requests of agent_name {:?} version {:?} between {} and {} \
             (AGENT_METADATA_SOURCE={}); check both values or ask for more days",
            q.agent.name,
            q.agent.version,
            format_timestamp(q.window.start),
            format_timestamp(q.window.end),
            state.db.source()
        ),
    }
}

/// `compute` over the rollup, when it is fresh and covers the window: CPU-heavy work (it walks
/// every row of the window), so it is admitted against the CPU bound and runs on a blocking
/// thread, never on an HTTP worker. None when the rollup cannot answer (then SQL).
async fn computed_in_memory<T, F>(
    state: &AppState,
    q: &AgentQuery,
    compute: F,
) -> Result<Option<Answer<T>>, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Store, &AgentQuery) -> T + Send + 'static,
{
    let now = state.clock.now();
    if state.rollup.read_records(q.window.start, now).is_none() {
        return Ok(None);
    }
    let permit = admission::admit_cpu().await?;
    let (rollup, q) = (state.rollup.clone(), q.clone());
    admission::off_worker(move || {
        let _slot = permit;
        // Read again: the rollup may have gone stale while this waited for a thread.
        let snapshot = rollup.read_records(q.window.start, now)?;
        Some(from_memory(compute(&snapshot.store, &q), snapshot.as_of))
    })
    .await
}

/// One page of the agent version's sessions in the window (only one user's, when given),
/// ranked as asked. From memory only the page's summaries are built; by SQL every session of the
/// window is read and ranked here.
async fn ranked_sessions(
    state: &AppState,
    q: &AgentQuery,
    user: Option<&str>,
    ranking: &Ranking,
) -> Result<Answer<RankedPage<SessionSummary>>, ApiError> {
    let (one_user, in_memory) = (user.map(str::to_string), ranking.clone());
    let from_memory = computed_in_memory(state, q, move |store, q| {
        let (start, end) = (micros(q.window.start), micros(q.window.end));
        let (name, version) = (&q.agent.name, &q.agent.version);
        store.ranked_sessions(name, version, start, end, one_user.as_deref(), &in_memory)
    })
    .await?;
    if let Some(answer) = from_memory {
        return Ok(answer);
    }
    let (client, sql) = window_client(state).await?;
    let all = queries::summaries::sessions(&client, &sql, q, None, user).await?;
    let page = ranking.page(all, session_value, |s| s.session_id.as_str());
    Ok(Answer::database(page, q.window.end))
}

/// One session's totals in the window, or 404 when it has no request of this agent version there.
pub async fn session(
    state: &AppState,
    q: &AgentQuery,
    session_id: &str,
) -> Result<Answer<SessionSummary>, ApiError> {
    let one = session_id.to_string();
    let from_memory = computed_in_memory(state, q, move |store, q| {
        let (start, end) = (micros(q.window.start), micros(q.window.end));
        let (name, version) = (&q.agent.name, &q.agent.version);
        store.sessions(name, version, start, end, None, Some(&one))
    })
    .await?;
    let answer = match from_memory {
        Some(answer) => answer,
        None => {
            let (client, sql) = window_client(state).await?;
            let value =
                queries::summaries::sessions(&client, &sql, q, Some(session_id), None).await?;
            Answer::database(value, q.window.end)
        }
    };
    let (as_of, source) = (answer.as_of, answer.source);
    match answer.value.into_iter().next() {
        Some(found) => Ok(Answer {
            value: found,
            as_of,
            source,
        }),
        None => Err(ApiError::AgentNotFound {
            provenance: Some((format_timestamp(as_of), source.header_value())),
            detail: format!(
                "no requests of session {session_id:?} of agent_name {:?} version {:?} in the \
                 window; check the id, or ask for more days",
                q.agent.name, q.agent.version
            ),
        }),
    }
}

/// Whether a request of the session in the window carries an assistant reply (rollup when
/// fresh, else SQL).
pub async fn session_has_replies(
    state: &AppState,
    q: &AgentQuery,
    session: &str,
) -> Result<bool, ApiError> {
    if let Some(snapshot) = state.rollup.read_records(q.window.start, state.clock.now()) {
        let (start, end) = (micros(q.window.start), micros(q.window.end));
        let (name, version) = (&q.agent.name, &q.agent.version);
        return Ok(snapshot
            .store
            .session_has_replies(name, version, start, end, session));
    }
    let (client, sql) = window_client(state).await?;
    Ok(queries::session_has_replies(&client, &sql, q, session).await?)
}

/// One page of the agent version's users in the window, ranked as asked; 404 when it has no
/// rows there.
pub async fn users(
    state: &AppState,
    q: &AgentQuery,
    ranking: &Ranking,
) -> Result<Answer<RankedPage<UserSummary>>, ApiError> {
    let answer = ranked_users(state, q, ranking).await?;
    found_or_not(state, q, answer).await
}

/// One page of the agent version's sessions in the window (only one user's, when given), ranked
/// as asked; 404 when it has no rows there (a user without sessions is an empty list).
pub async fn sessions(
    state: &AppState,
    q: &AgentQuery,
    user: Option<&str>,
    ranking: &Ranking,
) -> Result<Answer<RankedPage<SessionSummary>>, ApiError> {
    let answer = ranked_sessions(state, q, user, ranking).await?;
    found_or_not(state, q, answer).await
}

/// `answer`, or 404 when its page is empty because the agent version has no rows in the window.
async fn found_or_not<T>(
    state: &AppState,
    q: &AgentQuery,
    answer: Answer<RankedPage<T>>,
) -> Result<Answer<RankedPage<T>>, ApiError> {
    if answer.value.items.is_empty() && !agent_exists(state, q).await? {
        return Err(agent_not_found(state, q, answer.as_of, answer.source));
    }
    Ok(answer)
}

/// One page of the agent version's users in the window, ranked as asked (as
/// [`ranked_sessions`]).
async fn ranked_users(
    state: &AppState,
    q: &AgentQuery,
    ranking: &Ranking,
) -> Result<Answer<RankedPage<UserSummary>>, ApiError> {
    let in_memory = ranking.clone();
    let from_memory = computed_in_memory(state, q, move |store, q| {
        let (start, end) = (micros(q.window.start), micros(q.window.end));
        store.ranked_users(&q.agent.name, &q.agent.version, start, end, &in_memory)
    })
    .await?;
    if let Some(answer) = from_memory {
        return Ok(answer);
    }
    let (client, sql) = window_client(state).await?;
    let all = queries::summaries::users(&client, &sql, q).await?;
    let page = ranking.page(all, user_value, |u| u.user_id.as_str());
    Ok(Answer::database(page, q.window.end))
}

/// Every agent+version with requests in the window. From memory this is O(agents × days); by
/// SQL it reads every row of the window, so it only happens when the rollup cannot answer.
pub async fn catalog(
    state: &AppState,
    window: &Window,
) -> Result<Answer<Vec<CatalogEntry>>, ApiError> {
    if let Some(answer) = catalog_in_memory(state, window).await? {
        return Ok(answer);
    }
    let (client, sql) = window_client(state).await?;
    let value = queries::summaries::catalog(&client, &sql, window.start, window.end).await?;
    Ok(Answer::database(value, window.end))
}

/// One page of a list endpoint.
pub struct Page<T> {
    pub query: AgentQuery,
    pub rows: Vec<T>,
    pub next_cursor: Option<String>,
    /// For lists of replies: whether any row of the agent in the window carries one (false when
    /// LiteLLM stores no replies, i.e. store_prompts_in_spend_logs is off). Always true otherwise.
    pub replies_stored: bool,
}

/// One page's rows as read by [`read_page`], with the connection they were read on.
struct PageRead<R> {
    rows: Vec<R>,
    /// Read among the rows the rollup named (its view of the page held).
    from_memory: bool,
    client: Object,
    sql: Arc<Statements>,
}

/// The one page walker of every list (/detailed-usage, /recentmessages, a session's requests,
/// their CSV exports): when the rollup named the rows a page is among (`candidates`), they are
/// read by primary key — one page of rows, cheap, not admitted; rows deleted since its last
/// refresh can make that short, and then (like without the rollup) the page is read from the
/// window, which is admitted first.
async fn read_page<R>(
    state: &AppState,
    candidates: Option<&PageCandidates>,
    fetch: usize,
    read: impl AsyncFn(&Object, &Statements, PageScope<'_>) -> Result<Vec<R>, DbError>,
) -> Result<PageRead<R>, ApiError> {
    let (client, sql) = match candidates {
        Some(_) => state.db.agent_client().await?,
        None => window_client(state).await?,
    };
    let (rows, from_memory) = match candidates {
        Some(c) if c.request_ids.is_empty() && c.exhausted => (Vec::new(), true),
        Some(c) => {
            let rows = read(&client, &sql, PageScope::Among(&c.request_ids)).await?;
            if rows.len() < fetch && !c.exhausted {
                admission::admit_database()?;
                (read(&client, &sql, PageScope::Window).await?, false)
            } else {
                (rows, true)
            }
        }
        None => (read(&client, &sql, PageScope::Window).await?, false),
    };
    Ok(PageRead {
        rows,
        from_memory,
        client,
        sql,
    })
}

/// Validates the parameters, reads the page after the cursor (one row more than asked, to know
/// whether another page follows) and answers 404 only when the agent has no rows at all — also
/// for lists of replies, where an agent whose rows carry none is a 200 with an empty page.
pub async fn agent_page<T: PagedRow>(
    state: &AppState,
    params: &AgentParams,
    page: &PageParams,
) -> Result<Answer<Page<T>>, ApiError> {
    let (q, page) = params.parse_with_page(page, &state.clock)?;
    let from = page
        .cursor
        .as_ref()
        .map_or_else(|| PagePosition::first(&q), PagePosition::after);
    let fetch = page.limit as usize + 1;
    let hint = page_hint(state, &q, &from, fetch, T::REPLIES_ONLY);
    if let Some(hint) = hint.as_ref().filter(|h| !h.has_rows) {
        return Err(agent_not_found(state, &q, hint.as_of, Source::Memory));
    }
    let read = async |client: &Object, sql: &Statements, scope: PageScope<'_>| {
        T::fetch_page(client, sql, &q, &from, fetch as i64, scope).await
    };
    let candidates = hint.as_ref().map(|h| &h.candidates);
    let PageRead {
        rows,
        from_memory,
        client,
        sql,
    } = read_page(state, candidates, fetch, read).await?;
    let (rows, as_of, source, has_replies) = match &hint {
        Some(hint) if from_memory => {
            // The database does not open the JSON for these: sessions come from memory.
            let sessions = hint.candidates.sessions_by_id();
            let rows = rows
                .into_iter()
                .map(|row| {
                    let session = sessions.get(row.position().1.as_str()).copied().flatten();
                    row.with_session(session)
                })
                .collect();
            (rows, hint.as_of, Source::Memory, Some(hint.has_replies))
        }
        Some(_) => (rows, state.clock.now(), Source::Database, None),
        None => {
            if rows.is_empty() && !queries::agent_has_rows(&client, &sql, &q).await? {
                let now = state.clock.now();
                return Err(agent_not_found(state, &q, now, Source::Database));
            }
            (rows, state.clock.now(), Source::Database, None)
        }
    };
    // A page with rows answers the question itself; only an empty page of replies asks.
    let replies_stored = match has_replies {
        _ if !T::REPLIES_ONLY || !rows.is_empty() => true,
        Some(known) => known,
        None => queries::agent_has_replies(&client, &sql, &q).await?,
    };
    let (rows, next_cursor) = split_page(rows, page.limit, &q.window, T::position);
    Ok(Answer {
        value: Page {
            query: q,
            rows,
            next_cursor,
            replies_stored,
        },
        as_of,
        source,
    })
}

/// What the rollup knows about one list page.
struct PageHint {
    /// The agent+version has rows in the window.
    has_rows: bool,
    /// It has rows with an assistant reply in the window (asked for messages only; else true).
    has_replies: bool,
    /// The rows the page is among.
    candidates: PageCandidates,
    as_of: NaiveDateTime,
}

/// The rollup's knowledge of a list page, when it is fresh and covers the window.
fn page_hint(
    state: &AppState,
    q: &AgentQuery,
    from: &PagePosition,
    fetch: usize,
    replies_only: bool,
) -> Option<PageHint> {
    let snapshot = state
        .rollup
        .read_records(q.window.start, state.clock.now())?;
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

/// One page of a session's requests after `cursor`, oldest first, and the next cursor.
pub async fn session_requests_page(
    state: &AppState,
    q: &AgentQuery,
    session_id: &str,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<(Vec<SessionRequestRow>, Option<String>), ApiError> {
    let (after_time, after_id) = match cursor {
        Some(c) => (c.start_time, c.request_id.clone()),
        None => (q.window.before_start(), String::new()),
    };
    let fetch = limit + 1;
    let candidates = session_page_candidates(state, q, session_id, micros(after_time), fetch);
    let read = async |client: &Object, sql: &Statements, scope: PageScope<'_>| {
        let (after_id, fetch) = (after_id.as_str(), fetch as i64);
        session_requests(
            client, sql, q, session_id, after_time, after_id, fetch, scope,
        )
        .await
    };
    let mut rows = read_page(state, candidates.as_ref(), fetch, read)
        .await?
        .rows;
    let next = (rows.len() > limit).then(|| {
        rows.truncate(limit);
        rows.last().map(|last| {
            Cursor {
                window_end: q.window.end,
                start_time: last.start_time,
                request_id: last.request_id.clone(),
            }
            .encode()
        })
    });
    Ok((rows, next.flatten()))
}

/// A page of a session's requests after `after` (startTime µs, inclusive: ties are decided by
/// the database) as the rollup knows them: the first `fetch` later ones and any sharing the last
/// one's startTime, with whether that reaches the session's end. None when the rollup cannot say.
fn session_page_candidates(
    state: &AppState,
    q: &AgentQuery,
    session: &str,
    after: i64,
    fetch: usize,
) -> Option<PageCandidates> {
    let snapshot = state
        .rollup
        .read_records(q.window.start, state.clock.now())?;
    let (start, end) = (micros(q.window.start), micros(q.window.end));
    let requests =
        snapshot
            .store
            .session_requests(&q.agent.name, &q.agent.version, start, end, session);
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
