//! HTTP handlers, one module per resource. Handlers parse parameters, call one query function
//! and shape the response; everything else lives in plain functions elsewhere.

pub mod agent;
pub mod health;
pub mod messages;
pub mod root;
pub mod timeline;
pub mod tokens;
pub mod usage;

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use actix_web::{web, FromRequest, Handler, HttpRequest, HttpResponse, Resource, Responder};
use ipnet::IpNet;
use serde::Serialize;

use crate::analytics::{render, serialize, Answer, SharedBody, Source};
use crate::cursor::split_page;
use crate::db::Db;
use crate::error::ApiError;
use crate::params::{AgentParams, AgentQuery, PageParams, SeriesParams};
use crate::queries::{self, PagePosition, PageScope, PagedRow};
use crate::rollup::Rollup;
use crate::single_flight::SingleFlight;
use crate::window::{format_timestamp, Clock, Granularity};

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
        .service(get_only("/recentmessages", messages::recent_messages));
}

/// A resource answering GET (and HEAD, the same without the body), and 405 with
/// `Allow: GET, HEAD` to any other method.
fn get_only<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args> + Clone,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> Result<&'static str, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

pub async fn route_not_found() -> Result<&'static str, ApiError> {
    Err(ApiError::RouteNotFound)
}

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
struct Page<T> {
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
