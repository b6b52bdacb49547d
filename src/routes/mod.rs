//! HTTP handlers, one module per resource. Handlers parse parameters, call one query function
//! and shape the response; everything else lives in plain functions elsewhere.

pub mod agent;
pub mod agents;
pub mod dashboard;
pub mod health;
pub mod latency;
pub mod messages;
pub mod metrics;
pub mod root;
pub mod sessions;
pub mod timeline;
pub mod tokens;
pub mod usage;
pub mod users;

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use actix_web::dev::HttpServiceFactory;
use actix_web::middleware::from_fn;
use actix_web::{web, FromRequest, Handler, HttpRequest, HttpResponse, Responder};
use ipnet::IpNet;
use serde::Serialize;

use crate::analytics::{render, serialize, with_provenance, Answer, SharedBody, Source};
use crate::csv_export::{columns_of, csv_response, csv_stream, to_csv, wants_csv, FormatParams};
use crate::cursor::split_page;
use crate::db::Db;
use crate::error::ApiError;
use crate::groups::{GroupParams, GroupRequest, SortKey};
use crate::params::{AgentParams, AgentQuery, PageParams, SeriesParams};
use crate::queries::{self, PagePosition, PageScope, PagedRow};
use crate::rollup::store::micros;
use crate::rollup::Rollup;
use crate::single_flight::SingleFlight;
use crate::window::{format_timestamp, Clock, Granularity, Span, Window};

/// What every handler shares.
pub struct AppState {
    pub db: Arc<Db>,
    /// The in-memory copy that answers summaries when it is fresh (see rollup/).
    pub rollup: Arc<Rollup>,
    pub clock: Clock,
    /// Set on SIGTERM: readiness answers 503 so the load balancer stops sending traffic.
    pub draining: AtomicBool,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Identical concurrent requests (same path and query) share one computation.
    pub flights: SingleFlight<String, SharedBody>,
    /// API keys, rate limit and request limits.
    pub guard: crate::guard::Guard,
}

/// Answers through single-flight: requests with the same path and query string that arrive
/// while one is being computed get its response (dashboards open the same views at once).
async fn shared<T, F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer<T>, ApiError>>,
{
    let key = format!("{}?{}", req.path(), req.query_string());
    let body = state
        .flights
        .run(key, || async { compute().await.and_then(serialize) })
        .await?;
    Ok(render(&body))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_only("/", root::root))
        .service(get_only("/health", health::health))
        .service(get_only("/health/live", health::live))
        .service(get_only("/health/ready", health::ready))
        .service(get_only("/analytics/agent", agent::agent_analytics))
        .service(get_only("/activitytimeline", timeline::activity_timeline))
        .service(get_only("/tokens-usage", tokens::tokens_usage))
        .service(get_only("/total-tokens", tokens::total_tokens))
        .service(get_only("/detailed-usage", usage::detailed_usage))
        .service(get_only("/recentmessages", messages::recent_messages))
        .service(get_only("/latency", latency::latency))
        .service(get_only("/sessions", sessions::sessions))
        .service(get_only("/sessions/{session_id}", sessions::session_detail))
        .service(get_only("/users", users::users))
        .service(get_only("/agents", agents::agents))
        .service(get_only("/agents/compare", agents::compare))
        .service(get_only("/metrics/query", metrics::metrics_query))
        .service(get_only("/dashboard", dashboard::redirect))
        .service(get_only("/dashboard/{file:.*}", dashboard::asset));
}

/// A resource answering GET (and HEAD, the same without the body), and 405 with
/// `Allow: GET, HEAD` to any other method.
fn get_only<F, Args>(path: &str, handler: F) -> impl HttpServiceFactory
where
    F: Handler<Args> + Clone,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(method_not_allowed))
        .wrap(from_fn(crate::guard::deadline))
        .wrap(from_fn(crate::query_names::reject_unknown))
}

async fn method_not_allowed() -> Result<&'static str, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

pub async fn route_not_found() -> Result<&'static str, ApiError> {
    Err(ApiError::RouteNotFound)
}

/// JSON (through single-flight), or — when the caller asks for CSV — the rows `rows_of` picks
/// from the answer, as a CSV download named `name`.
async fn respond<T, I, F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    format: &FormatParams,
    name: impl FnOnce(&T) -> String,
    rows_of: impl FnOnce(&T) -> &[I],
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    I: Serialize + Default,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer<T>, ApiError>>,
{
    if !wants_csv(req, format)? {
        return shared(state, req, compute).await;
    }
    let answer = compute().await?;
    let rows = rows_of(&answer.value);
    let columns = match rows.first() {
        Some(first) => columns_of(first),
        None => columns_of(&I::default()),
    };
    let response = csv_response(&name(&answer.value), to_csv(&columns, rows, true)?);
    Ok(with_provenance(response, answer.as_of, answer.source))
}

/// The first page a CSV export reads: the caller's `limit` rows when given (the export is that
/// one page), else 1000 rows and the export walks on to the end of the list.
fn csv_first_page(page: &PageParams) -> PageParams {
    PageParams {
        limit: Some(
            page.limit
                .clone()
                .unwrap_or_else(|| CSV_PAGE_SIZE.to_string()),
        ),
        cursor: page.cursor.clone(),
    }
}

/// A list as one CSV download: `first` is the first page (already read, so that its errors are
/// answered as problems); when `walk_on`, further pages are read 1000 rows at a time while the
/// download streams, to the end of the list.
fn stream_pages<T, R>(
    state: web::Data<AppState>,
    params: AgentParams,
    first: Page<T>,
    walk_on: bool,
    items: fn(&AgentQuery, Vec<T>) -> Vec<R>,
    name: String,
) -> HttpResponse
where
    T: PagedRow + 'static,
    R: Serialize + Default + 'static,
{
    struct Walk<T> {
        state: web::Data<AppState>,
        params: AgentParams,
        page: Option<Page<T>>,
        next: Option<String>,
        columns: Option<Vec<String>>,
    }
    let walk = Walk {
        state,
        params,
        next: None,
        page: Some(first),
        columns: None,
    };
    let stream = futures_util::stream::unfold(walk, move |mut walk| async move {
        let page = match walk.page.take() {
            Some(page) => page,
            None => {
                let cursor = walk.next.take()?;
                let request = PageParams {
                    limit: Some(CSV_PAGE_SIZE.to_string()),
                    cursor: Some(cursor),
                };
                match agent_page::<T>(&walk.state, &walk.params, &request).await {
                    Ok(answer) => answer.value,
                    Err(e) => {
                        log::warn!("CSV export stopped: {e}");
                        return Some((Err(e), walk));
                    }
                }
            }
        };
        walk.next = page.next_cursor.clone().filter(|_| walk_on);
        let rows = items(&page.query, page.rows);
        let header = walk.columns.is_none();
        let columns = walk.columns.get_or_insert_with(|| match rows.first() {
            Some(first) => columns_of(first),
            None => columns_of(&R::default()),
        });
        let chunk = to_csv(columns, &rows, header).map(web::Bytes::from);
        Some((chunk, walk))
    });
    csv_stream(&name, stream)
}

/// Rows per page while a CSV export walks a list.
pub(crate) const CSV_PAGE_SIZE: u32 = 1000;

/// Agent and series parameters together, so one 422 lists every mistake.
fn parse_series(
    params: &AgentParams,
    series: &SeriesParams,
    clock: &Clock,
) -> Result<(AgentQuery, Granularity), ApiError> {
    match (params.parse(clock), series.parse()) {
        (Ok(q), Ok(granularity)) => Ok((q, granularity)),
        (q, granularity) => {
            let mut problems = invalid_params(q.err());
            problems.extend(invalid_params(granularity.err()));
            Err(ApiError::InvalidParams(problems))
        }
    }
}

fn invalid_params(err: Option<ApiError>) -> Vec<crate::error::InvalidParam> {
    match err {
        Some(ApiError::InvalidParams(params)) => params,
        Some(other) => vec![crate::error::InvalidParam {
            name: "query".to_string(),
            reason: other.to_string(),
        }],
        None => Vec::new(),
    }
}

/// Agent, time and grouped-list parameters together. A cursor keeps a `days` window where the
/// first page had it.
fn parse_group(
    params: &AgentParams,
    group: &GroupParams,
    allowed: &[SortKey],
    clock: &Clock,
) -> Result<(AgentQuery, GroupRequest), ApiError> {
    let agent = params.parse(clock);
    let request = group.parse(allowed);
    match (agent, request) {
        (Ok(mut q), Ok(request)) => {
            if let (Some(cursor), Span::Days(days)) = (&request.cursor, q.window.span) {
                q.window = Window::ending_at(cursor.window_end, days, q.window.tz);
            }
            Ok((q, request))
        }
        (agent, request) => {
            let mut problems = invalid_params(agent.err());
            problems.extend(request.err().unwrap_or_default());
            Err(ApiError::InvalidParams(problems))
        }
    }
}

/// Whether the agent+version has any row in the window (rollup when fresh, else SQL).
async fn agent_exists(state: &AppState, q: &AgentQuery) -> Result<bool, ApiError> {
    if let Some(snapshot) = state.rollup.read(q.window.start, state.clock.now()) {
        return Ok(snapshot.store.has_rows(
            &q.agent.name,
            &q.agent.version,
            micros(q.window.start),
            micros(q.window.end),
        ));
    }
    let (client, sql) = state.db.agent_client().await?;
    queries::agent_has_rows(&client, &sql, q).await
}

/// 404 for an agent+version without rows in the window, saying exactly what was looked for.
fn agent_not_found(q: &AgentQuery, db: &Db) -> ApiError {
    ApiError::AgentNotFound {
        detail: format!(
            "no requests of agent_name {:?} version {:?} between {} and {} \
             (AGENT_METADATA_SOURCE={}); check both values or ask for more days",
            q.agent.name,
            q.agent.version,
            format_timestamp(q.window.start),
            format_timestamp(q.window.end),
            db.source()
        ),
    }
}

/// One page of a list endpoint.
pub(crate) struct Page<T> {
    query: AgentQuery,
    rows: Vec<T>,
    next_cursor: Option<String>,
}

/// Validates the parameters, reads the page after the cursor (one row more than asked, to know
/// whether another page follows) and answers 404 only when the agent has no rows at all.
///
/// When the rollup is fresh it knows the agent's rows: it answers the 404 question itself and
/// names the rows the page is among, which the database then reads by primary key — one page of
/// rows, with or without the recommended indexes. Rows deleted since its last refresh can make
/// that short; then the page is read from the window like without the rollup.
async fn agent_page<T: PagedRow>(
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
    let hint = state.page_hint(&q, &from, fetch, T::REPLIES_ONLY);
    if hint.as_ref().is_some_and(|h| !h.has_rows) {
        return Err(agent_not_found(&q, &state.db));
    }
    let (client, sql) = state.db.agent_client().await?;
    let read = async |scope| T::fetch_page(&client, &sql, &q, &from, fetch as i64, scope).await;
    let (rows, as_of, source) = match &hint {
        Some(hint) if hint.candidates.request_ids.is_empty() && hint.candidates.exhausted => {
            (Vec::new(), hint.as_of, Source::Memory)
        }
        Some(hint) => {
            let rows = read(PageScope::Among(&hint.candidates.request_ids)).await?;
            if rows.len() < fetch && !hint.candidates.exhausted {
                (
                    read(PageScope::Window).await?,
                    state.clock.now(),
                    Source::Database,
                )
            } else {
                // The database does not open the JSON for these: sessions come from memory.
                let sessions = hint.candidates.sessions_by_id();
                let rows = rows
                    .into_iter()
                    .map(|row| {
                        let session = sessions.get(row.position().1.as_str()).copied().flatten();
                        row.with_session(session)
                    })
                    .collect();
                (rows, hint.as_of, Source::Memory)
            }
        }
        None => {
            let rows = read(PageScope::Window).await?;
            if rows.is_empty() && !queries::agent_has_rows(&client, &sql, &q).await? {
                return Err(agent_not_found(&q, &state.db));
            }
            (rows, state.clock.now(), Source::Database)
        }
    };
    let (rows, next_cursor) = split_page(rows, page.limit, &q.window, T::position);
    Ok(Answer {
        value: Page {
            query: q,
            rows,
            next_cursor,
        },
        as_of,
        source,
    })
}
