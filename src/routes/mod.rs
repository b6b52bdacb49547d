//! HTTP handlers, one file per URL path (`/analytics/agent` → analytics_agent.rs). Handlers
//! parse parameters, ask answers.rs (which decides memory or SQL) and shape the response;
//! respond.rs turns that into JSON or CSV with its provenance.

pub mod activitytimeline;
pub mod agents;
pub mod agents_compare;
pub mod analytics_agent;
pub mod dashboard;
pub mod detailed_usage;
pub mod health;
pub mod latency;
pub mod metrics_query;
pub mod recentmessages;
pub mod respond;
pub mod root;
pub mod sessions;
pub mod sessions_by_id;
pub mod tokens_usage;
pub mod total_tokens;
pub mod users;

use actix_web::dev::HttpServiceFactory;
use actix_web::middleware::from_fn;
use actix_web::{web, FromRequest, Handler, Responder};

use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_only("/", root::root))
        .service(get_only("/health", health::health))
        .service(get_only("/health/live", health::live))
        .service(get_only("/health/ready", health::ready))
        .service(get_only(
            "/analytics/agent",
            analytics_agent::agent_analytics,
        ))
        .service(get_only(
            "/activitytimeline",
            activitytimeline::activity_timeline,
        ))
        .service(get_only("/tokens-usage", tokens_usage::tokens_usage))
        .service(get_only("/total-tokens", total_tokens::total_tokens))
        .service(get_only("/detailed-usage", detailed_usage::detailed_usage))
        .service(get_only("/recentmessages", recentmessages::recent_messages))
        .service(get_only("/latency", latency::latency))
        .service(get_only("/sessions", sessions::sessions))
        .service(get_only(
            "/sessions/{session_id}",
            sessions_by_id::session_detail,
        ))
        .service(get_only("/users", users::users))
        .service(get_only("/agents", agents::agents))
        .service(get_only("/agents/compare", agents_compare::compare))
        .service(get_only("/metrics/query", metrics_query::metrics_query))
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
        .wrap(from_fn(crate::middleware::deadline))
        .wrap(from_fn(crate::query_names::reject_unknown))
}

async fn method_not_allowed() -> Result<&'static str, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

pub async fn route_not_found() -> Result<&'static str, ApiError> {
    Err(ApiError::RouteNotFound)
}
