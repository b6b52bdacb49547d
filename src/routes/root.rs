//! GET / — what this is and where to go next.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::RequestLimits;

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceInfo {
    #[schema(example = "litellm-analytics")]
    pub name: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
    #[schema(example = "Read-only per-agent analytics over LiteLLM's SpendLogs")]
    pub description: &'static str,
    pub links: Links,
}

/// Name, version and links to the docs, the OpenAPI document and the health check.
#[utoipa::path(
    get,
    path = "/",
    tag = "service",
    security(()),
    responses((status = 200, description = "Service information", body = ServiceInfo), RequestLimits)
)]
pub async fn root() -> web::Json<ServiceInfo> {
    web::Json(ServiceInfo {
        name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        description: env!("CARGO_PKG_DESCRIPTION"),
        links: Links {
            docs: "/docs/",
            openapi: "/openapi.json",
            health: "/health",
        },
    })
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
