//! The OpenAPI document, generated from the handlers and types so docs and code cannot drift.

use serde::Serialize;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use utoipa::openapi::schema::ArrayItems;
use utoipa::openapi::{RefOr, Schema};

use crate::routes::sessions::SESSION_SORTS;
use crate::routes::users::USER_SORTS;

use crate::error::{InvalidParam, Problem};
use crate::groups::SortKey;
use crate::params::{TimeZoneName, INSTANT_PATTERN, NO_NUL_PATTERN, SPACE_CLASS};
use crate::routes;
use crate::window::DateRange;

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

/// The API-key schemes (either works) and the requirement on every operation that does not
/// opt out (health, root).
pub struct ApiKeySecurity;

impl Modify for ApiKeySecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key from the server's API_KEYS, as `Authorization: Bearer <key>` \
                         (only when the server sets API_KEYS)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "The same key as an `X-API-Key` header",
            ))),
        );
        openapi.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("api_key", Vec::<String>::new()),
        ]);
    }
}

/// The document as this server runs: API-key security (the schemes, the requirement and the 401
/// answers) only when API keys are configured — without them no operation asks for a key.
pub fn document(keys_required: bool) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    tighten_parameters(&mut doc);
    if !keys_required {
        doc.security = None;
        if let Some(components) = doc.components.as_mut() {
            components.security_schemes.clear();
        }
        for item in doc.paths.paths.values_mut() {
            if let Some(operation) = item.get.as_mut() {
                operation.security = None;
                operation.responses.responses.remove("401");
            }
        }
    }
    doc
}

/// Narrows parameter schemas to what the server reads, so that every request the schema calls
/// valid is answered (derive attributes take literals only; these are built from constants).
fn tighten_parameters(doc: &mut utoipa::openapi::OpenApi) {
    let metrics = routes::metrics::parameter_patterns();
    for (path, item) in doc.paths.paths.iter_mut() {
        let Some(operation) = item.get.as_mut() else {
            continue;
        };
        for parameter in operation.parameters.iter_mut().flatten() {
            let RefOr::T(parameter) = parameter else {
                continue;
            };
            let pattern = match parameter.name.as_str() {
                "start" | "end" => Some(INSTANT_PATTERN.to_string()),
                "agent_name" | "agent_version" | "user" => Some(NO_NUL_PATTERN.to_string()),
                "session_id" => Some(r"^[^\x00]{1,1024}$".to_string()),
                "versions" => Some(versions_pattern()),
                "sort" if path == "/sessions" => Some(one_of(&SESSION_SORTS)),
                "sort" if path == "/users" => Some(one_of(&USER_SORTS)),
                name if path == "/metrics/query" => metrics
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, p)| p.clone()),
                _ => None,
            };
            let Some(pattern) = pattern else {
                continue;
            };
            match parameter.schema.as_mut() {
                Some(RefOr::T(Schema::Object(schema))) => schema.pattern = Some(pattern),
                // A repeatable parameter: the pattern is each value's.
                Some(RefOr::T(Schema::Array(array))) => {
                    if let ArrayItems::RefOrSchema(item) = &mut array.items {
                        if let RefOr::T(Schema::Object(schema)) = item.as_mut() {
                            schema.pattern = Some(pattern);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// One of the sort keys, or empty (absent).
fn one_of(keys: &[SortKey]) -> String {
    let names: Vec<&str> = keys.iter().map(|k| k.name()).collect();
    format!("^(|{})$", names.join("|"))
}

/// 1 to 10 comma-separated versions of 1 to 64 characters (spaces around each are trimmed).
fn versions_pattern() -> String {
    let space = format!("[{SPACE_CLASS}]*");
    let edge = format!(r"[^,\x00{SPACE_CLASS}]");
    let version = format!(r"{edge}([^,\x00]{{0,62}}{edge})?");
    format!(r"^{space}{version}{space}(,{space}{version}{space}){{0,9}}$")
}

/// Links for clients that start at the root.
#[derive(Debug, Serialize, ToSchema)]
pub struct Links {
    #[schema(example = "/docs/")]
    pub docs: &'static str,
    #[schema(example = "/openapi.json")]
    pub openapi: &'static str,
    #[schema(example = "/health")]
    pub health: &'static str,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "litellm-analytics",
        description = include_str!("api-description.md"),
    ),
    paths(
        routes::agent::agent_analytics,
        routes::timeline::activity_timeline,
        routes::tokens::tokens_usage,
        routes::tokens::total_tokens,
        routes::usage::detailed_usage,
        routes::messages::recent_messages,
        routes::latency::latency,
        routes::sessions::sessions,
        routes::sessions::session_detail,
        routes::users::users,
        routes::agents::agents,
        routes::agents::compare,
        routes::metrics::metrics_query,
        routes::health::health,
        routes::health::live,
        routes::health::ready,
        routes::root::root,
    ),
    components(schemas(Problem, InvalidParam, DateRange, TimeZoneName)),
    modifiers(&ApiKeySecurity),
    tags(
        (name = "analytics", description = "Per-agent, per-version analytics over LiteLLM_SpendLogs"),
        (name = "service", description = "Health and discovery"),
    )
)]
pub struct ApiDoc;
