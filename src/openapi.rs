//! The OpenAPI document, generated from the handlers and types so docs and code cannot drift.

use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use utoipa::openapi::schema::ArrayItems;
use utoipa::openapi::{RefOr, Schema};

use crate::routes::sessions::SESSION_SORTS;
use crate::routes::users::USER_SORTS;

use crate::error::{InvalidParam, Problem};
use crate::params::{TimeZoneName, INSTANT_PATTERN, NO_NUL_PATTERN, SPACE_CLASS};
use crate::routes;
use crate::summaries::SortKey;
use crate::window::DateRange;

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
    let metrics = routes::metrics_query::parameter_patterns();
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

#[derive(OpenApi)]
#[openapi(
    info(
        title = "litellm-analytics",
        description = include_str!("api-description.md"),
    ),
    paths(
        routes::analytics_agent::agent_analytics,
        routes::activitytimeline::activity_timeline,
        routes::tokens_usage::tokens_usage,
        routes::total_tokens::total_tokens,
        routes::detailed_usage::detailed_usage,
        routes::recentmessages::recent_messages,
        routes::latency::latency,
        routes::sessions::sessions,
        routes::sessions_by_id::session_detail,
        routes::users::users,
        routes::agents::agents,
        routes::agents_compare::compare,
        routes::metrics_query::metrics_query,
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
