//! GET /dashboard: the built-in dashboard, three static files compiled into the binary. It is a
//! client of the public API like any other (same origin, the API key in the browser tab).

use actix_web::http::header::{self, ContentType};
use actix_web::{web, HttpResponse};

use crate::error::ApiError;

const INDEX: &str = include_str!("../dashboard/index.html");
const SCRIPT: &str = include_str!("../dashboard/dashboard.js");
const STYLE: &str = include_str!("../dashboard/dashboard.css");

/// `/dashboard` → `/dashboard/`, so the page's relative links resolve.
pub async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/dashboard/"))
        .finish()
}

/// The page and its script and style; 404 for anything else under /dashboard/.
pub async fn asset(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (content_type, body) = match file.as_str() {
        "" | "index.html" => (ContentType::html(), INDEX),
        "dashboard.js" => (
            ContentType("text/javascript; charset=utf-8".parse().expect("mime")),
            SCRIPT,
        ),
        "dashboard.css" => (
            ContentType("text/css; charset=utf-8".parse().expect("mime")),
            STYLE,
        ),
        _ => return Err(ApiError::RouteNotFound),
    };
    Ok(HttpResponse::Ok().insert_header(content_type).body(body))
}
