//! One error type for the whole API, rendered as RFC 9457 `application/problem+json`.

mod responses;

use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::queries::error::DbError;

pub use responses::{AgentErrors, RequestLimits};

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One invalid query parameter: which one and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InvalidParam {
    #[schema(example = "days")]
    pub name: String,
    #[schema(example = "must be one of 1, 2, 7, 15, 20 (got \"3\")")]
    pub reason: String,
}

#[derive(Debug, Clone)]
pub enum ApiError {
    /// The caller's query parameters are wrong (422); each names the parameter and the fix.
    InvalidParams(Vec<InvalidParam>),
    /// The query string could not be parsed at all (422).
    MalformedQuery(String),
    /// The agent+version has no rows in the window (404). `provenance` is what the answer was
    /// read from — `(X-Data-As-Of, X-Data-Source)` — so a 404 says it as a 200 would.
    AgentNotFound {
        detail: String,
        provenance: Option<(String, &'static str)>,
    },
    /// No route at this path (404).
    RouteNotFound,
    /// The path exists but not for this method (405).
    MethodNotAllowed,
    /// The database cannot be reached or gave no connection in time (503).
    DatabaseUnavailable(String),
    /// The database answered but this deployment cannot serve the request (503), e.g. the
    /// LiteLLM table or a column the configured source needs is missing.
    SourceUnavailable(String),
    /// The service received SIGTERM and is draining (503 on readiness).
    ShuttingDown,
    /// The rollup is still loading after a start (503 on readiness).
    WarmingUp(String),
    /// A statement ran past `DB_STATEMENT_TIMEOUT_MS` (504).
    QueryTimeout,
    /// A bug. The cause is logged; the response carries no SQL and no stack.
    Internal(String),
    /// API keys are configured and the request presented none that matches (401).
    Unauthorized,
    /// The client spent its rate limit; it may retry after this many seconds (429).
    RateLimited(u64),
    /// The client's address sent too many wrong or missing keys; retry after this many seconds
    /// (429).
    TooManyAuthFailures(u64),
    /// A GET or HEAD with a body (413).
    BodyNotAllowed,
    /// The query string is longer than this many bytes (414).
    QueryTooLong(usize),
    /// The request took longer than this many seconds (504).
    RequestTimeout(u64),
    /// Every slot for this kind of expensive work is taken (admission.rs): 503, retry soon.
    Overloaded {
        what: &'static str,
        limit: usize,
        retry_after: u64,
    },
    /// This client already runs its share of expensive requests at once (admission.rs): 429.
    ClientBusy { limit: usize, retry_after: u64 },
}

/// The problem+json body every error response carries.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:litellm-analytics:problem:invalid-parameter",
    "title": "Invalid query parameter",
    "status": 422,
    "detail": "days: must be one of 1, 2, 7, 15, 20 (got \"3\")",
    "invalid_params": [{"name": "days", "reason": "must be one of 1, 2, 7, 15, 20 (got \"3\")"}]
}))]
pub struct Problem {
    /// A URI naming the kind of problem; stable, switch on it.
    #[serde(rename = "type")]
    #[schema(example = "urn:litellm-analytics:problem:invalid-parameter")]
    pub problem_type: &'static str,
    /// Short human summary of the kind of problem.
    #[schema(example = "Invalid query parameter")]
    pub title: &'static str,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong with this request and how to fix it.
    pub detail: String,
    /// For 422: every invalid parameter with the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid_params: Option<Vec<InvalidParam>>,
}

impl ApiError {
    pub fn invalid(name: &str, reason: impl Into<String>) -> Self {
        ApiError::InvalidParams(vec![InvalidParam {
            name: name.to_string(),
            reason: reason.into(),
        }])
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::InvalidParams(_) | ApiError::MalformedQuery(_) => (
                "urn:litellm-analytics:problem:invalid-parameter",
                "Invalid query parameter",
            ),
            ApiError::AgentNotFound { .. } => (
                "urn:litellm-analytics:problem:agent-not-found",
                "No data for this agent and version",
            ),
            ApiError::RouteNotFound => ("urn:litellm-analytics:problem:not-found", "Not found"),
            ApiError::MethodNotAllowed => (
                "urn:litellm-analytics:problem:method-not-allowed",
                "Method not allowed",
            ),
            ApiError::DatabaseUnavailable(_) => (
                "urn:litellm-analytics:problem:database-unavailable",
                "Database unavailable",
            ),
            ApiError::SourceUnavailable(_) => (
                "urn:litellm-analytics:problem:source-unavailable",
                "Data source unavailable",
            ),
            ApiError::ShuttingDown => (
                "urn:litellm-analytics:problem:shutting-down",
                "Shutting down",
            ),
            ApiError::WarmingUp(_) => ("urn:litellm-analytics:problem:warming-up", "Warming up"),
            ApiError::QueryTimeout => (
                "urn:litellm-analytics:problem:query-timeout",
                "Database query timed out",
            ),
            ApiError::Internal(_) => (
                "urn:litellm-analytics:problem:internal",
                "Internal server error",
            ),
            ApiError::Unauthorized => (
                "urn:litellm-analytics:problem:unauthorized",
                "API key required",
            ),
            ApiError::RateLimited(_) => (
                "urn:litellm-analytics:problem:rate-limited",
                "Too many requests",
            ),
            ApiError::TooManyAuthFailures(_) => (
                "urn:litellm-analytics:problem:too-many-auth-failures",
                "Too many failed authentications",
            ),
            ApiError::BodyNotAllowed => (
                "urn:litellm-analytics:problem:body-not-allowed",
                "Request body not allowed",
            ),
            ApiError::QueryTooLong(_) => (
                "urn:litellm-analytics:problem:query-too-long",
                "Query string too long",
            ),
            ApiError::RequestTimeout(_) => (
                "urn:litellm-analytics:problem:request-timeout",
                "Request timed out",
            ),
            ApiError::Overloaded { .. } => (
                "urn:litellm-analytics:problem:overloaded",
                "Too much expensive work in progress",
            ),
            ApiError::ClientBusy { .. } => (
                "urn:litellm-analytics:problem:too-many-concurrent-requests",
                "Too many concurrent expensive requests",
            ),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::InvalidParams(params) => params
                .iter()
                .map(|p| format!("{}: {}", p.name, p.reason))
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::MalformedQuery(why) => format!(
                "the query string could not be read ({why}); send each parameter once, URL-encoded"
            ),
            ApiError::AgentNotFound { detail, .. } => detail.clone(),
            ApiError::RouteNotFound => {
                "no such endpoint; GET / lists the API and /docs documents it".to_string()
            }
            ApiError::MethodNotAllowed => {
                "this endpoint only answers GET and HEAD (the API is read-only)".to_string()
            }
            // The cause (e.g. `password authentication failed for user "postgres"`) describes
            // the deployment, not the request: it goes to the log, never to callers.
            ApiError::DatabaseUnavailable(_) => "database unavailable: the LiteLLM database \
                 cannot be used right now; retry shortly (the cause is in the service's log)"
                .to_string(),
            ApiError::SourceUnavailable(why) => why.clone(),
            ApiError::ShuttingDown => {
                "this instance is shutting down and takes no new traffic; other instances do"
                    .to_string()
            }
            ApiError::WarmingUp(why) => why.clone(),
            ApiError::QueryTimeout => "the database query ran past the statement timeout \
                 (DB_STATEMENT_TIMEOUT_MS); retry, ask for fewer days, or apply the indexes in sql/indexes.sql"
                .to_string(),
            ApiError::Internal(_) => {
                "an unexpected error occurred; it has been logged".to_string()
            }
            ApiError::Unauthorized => "this endpoint needs an API key: send it as \
                 `Authorization: Bearer <key>` or `X-API-Key: <key>`"
                .to_string(),
            ApiError::RateLimited(secs) => format!(
                "this client sent more requests than RATE_LIMIT_PER_MINUTE allows; retry in {secs} s"
            ),
            ApiError::TooManyAuthFailures(secs) => format!(
                "too many requests with a wrong or missing API key came from this address \
                 (AUTH_FAILURES_PER_MINUTE); every request from it is refused for {secs} s"
            ),
            ApiError::BodyNotAllowed => "GET requests take no body; send the parameters in the \
                 query string"
                .to_string(),
            ApiError::QueryTooLong(limit) => format!(
                "the query string is longer than {limit} bytes; ask for fewer values (e.g. fewer \
                 filters) per request"
            ),
            ApiError::RequestTimeout(secs) => format!(
                "the request took longer than {secs} s (REQUEST_TIMEOUT_SECONDS); retry, or ask \
                 for a shorter time range"
            ),
            ApiError::Overloaded { what, limit, retry_after } => format!(
                "the service is already running {limit} {what} requests (the most it admits at \
                 once); retry in {retry_after} s, ask for a window inside the in-memory horizon, or \
                 use a smaller limit"
            ),
            ApiError::ClientBusy { limit, retry_after } => format!(
                "this client already has {limit} expensive requests (SQL, /metrics/query, \
                 exports, session or user rankings) in progress, the most one client may run at \
                 once (ADMISSION_MAX_PER_CLIENT); wait for them or retry in {retry_after} s"
            ),
        }
    }

    pub fn problem(&self) -> Problem {
        let (problem_type, title) = self.kind();
        Problem {
            problem_type,
            title,
            status: self.status_code().as_u16(),
            detail: self.detail(),
            invalid_params: match self {
                ApiError::InvalidParams(params) => Some(params.clone()),
                _ => None,
            },
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Internal(cause) => write!(f, "internal error: {cause}"),
            ApiError::DatabaseUnavailable(cause) => write!(f, "database unavailable: {cause}"),
            other => f.write_str(&other.detail()),
        }
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidParams(_) | ApiError::MalformedQuery(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::AgentNotFound { .. } | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::DatabaseUnavailable(_)
            | ApiError::SourceUnavailable(_)
            | ApiError::ShuttingDown
            | ApiError::WarmingUp(_)
            | ApiError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::QueryTimeout | ApiError::RequestTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::RateLimited(_)
            | ApiError::TooManyAuthFailures(_)
            | ApiError::ClientBusy { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BodyNotAllowed => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::QueryTooLong(_) => StatusCode::URI_TOO_LONG,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => log::error!("internal error: {cause}"),
            ApiError::DatabaseUnavailable(cause) => log::warn!("database unavailable: {cause}"),
            ApiError::SourceUnavailable(cause) => log::warn!("source unavailable: {cause}"),
            ApiError::QueryTimeout => log::warn!("statement timeout hit"),
            ApiError::RequestTimeout(secs) => log::warn!("request ran past {secs} s"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_CONTENT_TYPE));
        match self {
            ApiError::MethodNotAllowed => {
                response.insert_header((header::ALLOW, "GET, HEAD"));
            }
            ApiError::AgentNotFound {
                provenance: Some((as_of, source)),
                ..
            } => {
                response.insert_header(("X-Data-As-Of", as_of.as_str()));
                response.insert_header(("X-Data-Source", *source));
            }
            ApiError::DatabaseUnavailable(_) | ApiError::SourceUnavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::RateLimited(secs)
            | ApiError::TooManyAuthFailures(secs)
            | ApiError::Overloaded {
                retry_after: secs, ..
            }
            | ApiError::ClientBusy {
                retry_after: secs, ..
            } => {
                response.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            ApiError::Unauthorized => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"litellm-analytics\"",
                ));
            }
            _ => {}
        }
        match serde_json::to_vec(&self.problem()) {
            Ok(body) => response.body(body),
            Err(_) => response.finish(),
        }
    }
}

/// The database layer's errors become problems here, at the edge.
impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Unavailable(why) => ApiError::DatabaseUnavailable(why),
            DbError::SourceUnavailable(why) => ApiError::SourceUnavailable(why),
            DbError::Timeout => ApiError::QueryTimeout,
            DbError::Internal(why) => ApiError::Internal(why),
        }
    }
}

/// actix's query extractor answers a plain-text 400 by default; ours is a 422 problem.
pub fn query_error_handler(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::MalformedQuery(err.to_string()).into()
}

/// Gives error responses that some part of the framework made without a body (Swagger UI's
/// file service, for instance) a problem+json body, keeping their status and headers; responses
/// that already have a body are left alone. (actix-http's own 400/408/431 for unreadable
/// requests are written by its connection handler before any middleware runs, so they keep
/// their empty bodies.)
pub async fn problem_bodies(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    use actix_web::body::BodySize;
    let res = next.call(req).await?;
    let status = res.status();
    let bodyless = matches!(
        res.response().body().size(),
        BodySize::None | BodySize::Sized(0)
    );
    if !(status.is_client_error() || status.is_server_error())
        || !bodyless
        || res.headers().contains_key(header::CONTENT_TYPE)
    {
        return Ok(res.map_into_left_body());
    }
    let (request, old) = res.into_parts();
    let mut response = framework_problem(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_LENGTH {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(actix_web::dev::ServiceResponse::new(request, response).map_into_right_body())
}

/// A problem+json answer for a status the framework chose.
fn framework_problem(status: StatusCode) -> HttpResponse {
    let detail = match status.as_u16() {
        400 => "the request could not be read; send a plain HTTP GET with a URL-encoded query",
        404 => "no such endpoint or file; GET / lists the API and /docs documents it",
        405 => "this endpoint only answers GET and HEAD (the API is read-only)",
        408 => "the request was not received in time",
        413 => "the request is too large; GET requests take no body",
        414 => "the URL is too long; ask for fewer values per request",
        431 => "the request headers are too large; send fewer or shorter headers",
        _ => "the request could not be served",
    };
    let problem = Problem {
        problem_type: "urn:litellm-analytics:problem:http",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail: detail.to_string(),
        invalid_params: None,
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, PROBLEM_CONTENT_TYPE));
    match serde_json::to_vec(&problem) {
        Ok(body) => response.body(body),
        Err(_) => response.finish(),
    }
}
