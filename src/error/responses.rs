//! The error responses of each kind of endpoint, as OpenAPI response sets: handlers list them in
//! their `#[utoipa::path]`, so the documented errors sit beside the error type that makes them.

use utoipa::IntoResponses;

use super::Problem;

/// The error responses every agent endpoint can give, all `application/problem+json`.
#[allow(dead_code)] // only its derived OpenAPI description is used
#[derive(IntoResponses)]
pub enum AgentErrors {
    /// The agent+version has no rows in the window (check spelling and version, or ask for more days).
    #[response(
        status = 404,
        content_type = "application/problem+json",
        example = json!({
            "type": "urn:litellm-analytics:problem:agent-not-found",
            "title": "No data for this agent and version",
            "status": 404,
            "detail": "no requests of agent_name \"support-bot\" version \"9.9.9\" between 2024-11-28T14:30:00Z and 2024-12-05T14:30:00Z (AGENT_METADATA_SOURCE=auto); check both values or ask for more days"
        })
    )]
    NotFound(Problem),
    /// A query parameter is missing or invalid; `invalid_params` names each one and the fix.
    #[response(
        status = 422,
        content_type = "application/problem+json",
        example = json!({
            "type": "urn:litellm-analytics:problem:invalid-parameter",
            "title": "Invalid query parameter",
            "status": 422,
            "detail": "days: must be one of 1, 2, 7, 15, 20 (got \"3\")",
            "invalid_params": [{"name": "days", "reason": "must be one of 1, 2, 7, 15, 20 (got \"3\")"}]
        })
    )]
    Invalid(Problem),
    /// The database is unavailable (the cause is in the service log, not here), or gave no
    /// connection within 2 s, or the service already runs all the expensive work it admits
    /// (ADMISSION_MAX_DATABASE, ADMISSION_MAX_CPU); retry after `Retry-After`.
    #[response(
        status = 503,
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before retrying")),
        example = json!({
            "type": "urn:litellm-analytics:problem:database-unavailable",
            "title": "Database unavailable",
            "status": 503,
            "detail": "database unavailable: the LiteLLM database cannot be used right now; retry shortly (the cause is in the service's log)"
        })
    )]
    Unavailable(Problem),
    /// A query ran past the statement timeout (DB_STATEMENT_TIMEOUT_MS).
    #[response(
        status = 504,
        content_type = "application/problem+json",
        example = json!({
            "type": "urn:litellm-analytics:problem:query-timeout",
            "title": "Database query timed out",
            "status": 504,
            "detail": "the database query ran past the statement timeout (DB_STATEMENT_TIMEOUT_MS); retry, ask for fewer days, or apply the indexes in sql/indexes.sql"
        })
    )]
    Timeout(Problem),
    /// The server requires an API key (API_KEYS) and the request carried none that matches.
    #[response(
        status = 401,
        content_type = "application/problem+json",
        headers(("WWW-Authenticate" = String, description = "Bearer realm=\"litellm-analytics\"")),
        example = json!({
            "type": "urn:litellm-analytics:problem:unauthorized",
            "title": "API key required",
            "status": 401,
            "detail": "this endpoint needs an API key: send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`"
        })
    )]
    Unauthorized(Problem),
    /// A GET carried a body; parameters go in the query string.
    #[response(status = 413, content_type = "application/problem+json")]
    BodyNotAllowed(Problem),
    /// The query string is longer than MAX_QUERY_STRING_BYTES.
    #[response(status = 414, content_type = "application/problem+json")]
    QueryTooLong(Problem),
    /// The client spent its rate limit (RATE_LIMIT_PER_MINUTE), its address sent too many wrong or
    /// missing keys (AUTH_FAILURES_PER_MINUTE), or it already runs its share of expensive requests
    /// (ADMISSION_MAX_PER_CLIENT); retry after `Retry-After`.
    #[response(
        status = 429,
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds until a request is allowed again")),
        example = json!({
            "type": "urn:litellm-analytics:problem:rate-limited",
            "title": "Too many requests",
            "status": 429,
            "detail": "this client sent more requests than RATE_LIMIT_PER_MINUTE allows; retry in 2 s"
        })
    )]
    RateLimited(Problem),
    /// A bug; the cause is in the service log, not in the response.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(Problem),
}

/// Limits that apply to the public endpoints too (no key, no rate limit there).
#[allow(dead_code)] // documentation only
#[derive(IntoResponses)]
pub enum RequestLimits {
    /// A GET carried a body; parameters go in the query string.
    #[response(status = 413, content_type = "application/problem+json")]
    BodyNotAllowed(Problem),
    /// The query string is longer than MAX_QUERY_STRING_BYTES.
    #[response(status = 414, content_type = "application/problem+json")]
    QueryTooLong(Problem),
}
