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
use crate::csv_export::{
    columns_of, csv_response, export_stream, to_csv, truncation_row, wants_csv, ExportLimits,
    ExportPage, FormatParams,
};
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
    /// Slots for expensive work (SQL path, CPU-heavy rollup work, exports).
    pub admission: Arc<crate::admission::Admission>,
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
    name: impl FnOnce(&T) -> String + Send + 'static,
    rows_of: impl FnOnce(&T) -> &[I] + Send + 'static,
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    I: Serialize + Default,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer<T>, ApiError>>,
{
    respond_capped(state, req, format, name, rows_of, |_| None, compute).await
}

/// As [`respond`], for a list cut at CSV_EXPORT_MAX_ROWS: when `cut_at` names the cursor of the
/// rest, the CSV ends with a truncation row naming it. The CSV is written on a blocking thread.
async fn respond_capped<T, I, F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    format: &FormatParams,
    name: impl FnOnce(&T) -> String + Send + 'static,
    rows_of: impl FnOnce(&T) -> &[I] + Send + 'static,
    cut_at: impl FnOnce(&T) -> Option<String> + Send + 'static,
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    I: Serialize + Default,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer<T>, ApiError>>,
{
    if !wants_csv(req, format)? {
        return shared(state, req, compute).await;
    }
    let answer = compute().await?;
    let (as_of, source) = (answer.as_of, answer.source);
    let max_rows = state.admission.settings().csv_max_rows;
    let (name, body) = crate::admission::off_worker(move || {
        let value = &answer.value;
        let rows = rows_of(value);
        let columns = match rows.first() {
            Some(first) => columns_of(first),
            None => columns_of(&I::default()),
        };
        let mut body = to_csv(&columns, rows, true)?;
        if let Some(cursor) = cut_at(value) {
            let why = format!(
                "stopped after {max_rows} rows (CSV_EXPORT_MAX_ROWS); ask again with the cursor \
                 for the rest"
            );
            body.extend_from_slice(&truncation_row(&why, Some(&cursor)));
        }
        Ok::<_, ApiError>((name(value), body))
    })
    .await??;
    Ok(with_provenance(csv_response(&name, body), as_of, source))
}

/// The first page a CSV export reads: the caller's `limit` rows when given (the export is that
/// one page), else a page of 1000 rows (fewer if CSV_EXPORT_MAX_ROWS is lower) and the export
/// walks on to the end of the list.
fn csv_first_page(page: &PageParams, state: &AppState) -> PageParams {
    let size = (CSV_PAGE_SIZE as usize).min(state.admission.settings().csv_max_rows.max(1));
    PageParams {
        limit: Some(page.limit.clone().unwrap_or_else(|| size.to_string())),
        cursor: page.cursor.clone(),
    }
}

/// The bounds of a CSV export of the running request (see csv_export.rs).
fn export_limits(req: &HttpRequest, state: &AppState) -> ExportLimits {
    ExportLimits::of(
        req,
        state.guard.settings.request_timeout,
        state.admission.settings().csv_max_rows,
    )
}

/// A list as one CSV download: `first` is the first page (already read, so that its errors are
/// answered as problems); when `walk_on`, further pages are read 1000 rows at a time while the
/// download streams, to the end of the list or the export's bounds (csv_export.rs).
fn stream_pages<T, R>(
    req: &HttpRequest,
    state: web::Data<AppState>,
    params: AgentParams,
    first: Page<T>,
    walk_on: bool,
    items: fn(&AgentQuery, Vec<T>) -> Vec<R>,
    name: String,
) -> HttpResponse
where
    T: PagedRow + 'static,
    R: Serialize + Default + Send + 'static,
{
    let limits = export_limits(req, &state);
    let params = Arc::new(params);
    let first = ExportPage {
        rows: items(&first.query, first.rows),
        next_cursor: first.next_cursor,
    };
    let fetch = move |cursor: String, size: usize| {
        let (state, params) = (state.clone(), params.clone());
        async move {
            let request = PageParams {
                limit: Some(size.to_string()),
                cursor: Some(cursor),
            };
            let page = agent_page::<T>(&state, &params, &request).await?.value;
            Ok(ExportPage {
                rows: items(&page.query, page.rows),
                next_cursor: page.next_cursor,
            })
        }
    };
    export_stream(&name, first, walk_on, limits, CSV_PAGE_SIZE as usize, fetch)
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

/// 404 for an agent+version without rows in the window, saying exactly what was looked for and
/// (in its headers) what it was read from.
fn agent_not_found(
    q: &AgentQuery,
    db: &Db,
    as_of: chrono::NaiveDateTime,
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
            db.source()
        ),
    }
}

/// One page of a list endpoint.
pub(crate) struct Page<T> {
    query: AgentQuery,
    rows: Vec<T>,
    next_cursor: Option<String>,
    /// For lists of replies: whether any row of the agent in the window carries one (false when
    /// LiteLLM stores no replies, i.e. store_prompts_in_spend_logs is off). Always true otherwise.
    replies_stored: bool,
}

/// Validates the parameters, reads the page after the cursor (one row more than asked, to know
/// whether another page follows) and answers 404 only when the agent has no rows at all — also
/// for lists of replies, where an agent whose rows carry none is a 200 with an empty page.
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
    if let Some(hint) = hint.as_ref().filter(|h| !h.has_rows) {
        return Err(agent_not_found(&q, &state.db, hint.as_of, Source::Memory));
    }
    // Rows the rollup named are read by primary key (cheap, not admitted); a window scan is
    // admitted first.
    let (client, sql) = match hint {
        Some(_) => state.db.agent_keyed_client().await?,
        None => state.db.agent_client().await?,
    };
    let read = async |scope| T::fetch_page(&client, &sql, &q, &from, fetch as i64, scope).await;
    let (rows, as_of, source, has_replies) = match &hint {
        Some(hint) if hint.candidates.request_ids.is_empty() && hint.candidates.exhausted => (
            Vec::new(),
            hint.as_of,
            Source::Memory,
            Some(hint.has_replies),
        ),
        Some(hint) => {
            let rows = read(PageScope::Among(&hint.candidates.request_ids)).await?;
            if rows.len() < fetch && !hint.candidates.exhausted {
                crate::admission::admit_database()?;
                (
                    read(PageScope::Window).await?,
                    state.clock.now(),
                    Source::Database,
                    None,
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
                (rows, hint.as_of, Source::Memory, Some(hint.has_replies))
            }
        }
        None => {
            let rows = read(PageScope::Window).await?;
            if rows.is_empty() && !queries::agent_has_rows(&client, &sql, &q).await? {
                let now = state.clock.now();
                return Err(agent_not_found(&q, &state.db, now, Source::Database));
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
