//! HTTP handlers, one module per resource. Handlers parse parameters, call one query function
//! and shape the response; everything else lives in plain functions elsewhere.

pub mod agent;
pub mod health;
pub mod messages;
pub mod root;
pub mod timeline;
pub mod tokens;
pub mod usage;

use std::sync::atomic::AtomicBool;

use actix_web::{web, FromRequest, Handler, Resource, Responder};
use ipnet::IpNet;

use crate::cursor::split_page;
use crate::db::Db;
use crate::error::ApiError;
use crate::params::{AgentParams, AgentQuery, PageParams};
use crate::queries::{self, PagePosition, PagedRow};
use crate::window::{format_timestamp, Clock};

/// What every handler shares.
pub struct AppState {
    pub db: Db,
    pub clock: Clock,
    /// Set on SIGTERM: readiness answers 503 so the load balancer stops sending traffic.
    pub draining: AtomicBool,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
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

/// A resource answering GET, and 405 with `Allow: GET` to any other method.
fn get_only<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler))
        .default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> Result<&'static str, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

pub async fn route_not_found() -> Result<&'static str, ApiError> {
    Err(ApiError::RouteNotFound)
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
async fn agent_page<T: PagedRow>(
    state: &AppState,
    params: &AgentParams,
    page: &PageParams,
) -> Result<Page<T>, ApiError> {
    let (q, page) = params.parse_with_page(page, &state.clock)?;
    let (client, sql) = state.db.agent_client().await?;
    let from = page
        .cursor
        .as_ref()
        .map_or_else(|| PagePosition::first(&q), PagePosition::after);
    let rows = T::fetch_page(&client, &sql, &q, &from, i64::from(page.limit) + 1).await?;
    // An empty page is not "no data": the cursor may be past the end, or (for messages) the
    // agent's rows may hold no replies.
    if rows.is_empty() && !queries::agent_has_rows(&client, &sql, &q).await? {
        return Err(agent_not_found(&q, &state.db));
    }
    let (rows, next_cursor) = split_page(rows, page.limit, &q.window, T::position);
    Ok(Page {
        query: q,
        rows,
        next_cursor,
    })
}
