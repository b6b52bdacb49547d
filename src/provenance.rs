//! An answer and where it came from: the value, the database state it reflects and its source
//! (the in-memory rollup or SQL), and how those travel as `X-Data-As-Of` / `X-Data-Source`.

use std::sync::Arc;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::error::ApiError;
use crate::window::format_timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Memory,
    Database,
}

impl Source {
    /// The `X-Data-Source` value.
    pub fn header_value(self) -> &'static str {
        match self {
            Source::Memory => "memory",
            Source::Database => "database",
        }
    }
}

/// A value and how fresh it is.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub value: T,
    /// The database state the value reflects: the rollup's last refresh, or the query's time.
    pub as_of: NaiveDateTime,
    pub source: Source,
}

impl<T> Answer<T> {
    /// A value read by SQL now: it reflects the database as of `now`.
    pub fn database(value: T, now: NaiveDateTime) -> Answer<T> {
        Answer {
            value,
            as_of: now,
            source: Source::Database,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Answer<U> {
        Answer {
            value: f(self.value),
            as_of: self.as_of,
            source: self.source,
        }
    }
}

/// A response body computed once and possibly shared by identical concurrent requests.
pub type SharedBody = Result<Arc<Answer<web::Bytes>>, ApiError>;

/// Serializes an answer's value once, for every request sharing it.
pub fn serialize<T: Serialize>(answer: Answer<T>) -> SharedBody {
    let body = serde_json::to_vec(&answer.value)
        .map_err(|e| ApiError::Internal(format!("serializing a response: {e}")))?;
    Ok(Arc::new(answer.map(|_| web::Bytes::from(body))))
}

/// The JSON response for a shared body, with `X-Data-As-Of` (the database state it reflects)
/// and `X-Data-Source` (memory or database).
pub fn render(answer: &Answer<web::Bytes>) -> HttpResponse {
    let response = HttpResponse::Ok()
        .content_type("application/json")
        .body(answer.value.clone());
    with_provenance(response, answer.as_of, answer.source)
}

/// `response` with `X-Data-As-Of` and `X-Data-Source`: JSON and CSV answers say the same.
pub fn with_provenance(
    mut response: HttpResponse,
    as_of: NaiveDateTime,
    source: Source,
) -> HttpResponse {
    let source = source.header_value();
    let headers = response.headers_mut();
    if let Ok(as_of) = HeaderValue::from_str(&format_timestamp(as_of)) {
        headers.insert(HeaderName::from_static("x-data-as-of"), as_of);
    }
    headers.insert(
        HeaderName::from_static("x-data-source"),
        HeaderValue::from_static(source),
    );
    response
}
