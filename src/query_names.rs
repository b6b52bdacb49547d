//! Query parameters an endpoint does not take are answered 422 naming them, so a typo (`limt=5`)
//! or a parameter of another endpoint (`order=asc`) is never silently ignored. What each endpoint
//! takes is read from its OpenAPI operation, so the check and the documentation cannot drift.

use std::collections::HashMap;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::RefOr;

use crate::error::{ApiError, InvalidParam};

/// Accepted on every endpoint and ignored: cache-busters that browser libraries append
/// (jQuery's `_=<timestamp>`).
pub const IGNORED: [&str; 1] = ["_"];

/// Route pattern (e.g. `/sessions/{session_id}`) → the query parameter names its OpenAPI
/// operation documents. Built once from the document the server serves (lib.rs) and kept in the
/// app's data.
pub struct DocumentedNames(HashMap<String, Vec<String>>);

impl DocumentedNames {
    pub fn of(doc: &utoipa::openapi::OpenApi) -> DocumentedNames {
        let names = doc
            .paths
            .paths
            .iter()
            .filter_map(|(path, item)| {
                let operation = item.get.as_ref()?;
                let names = operation
                    .parameters
                    .iter()
                    .flatten()
                    .filter_map(|p| match p {
                        RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query) => {
                            Some(p.name.clone())
                        }
                        _ => None,
                    })
                    .collect();
                Some((path.clone(), names))
            })
            .collect();
        DocumentedNames(names)
    }

    fn of_route(&self, pattern: &str) -> Option<&Vec<String>> {
        self.0.get(pattern)
    }
}

/// The names in `query` that are neither in `known` nor ignored, each once, in query order.
/// `None` when the query string cannot be read (the endpoint's own parsing reports that).
pub fn unknown_names(query: &str, known: &[String]) -> Option<Vec<String>> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query).ok()?;
    let mut unknown: Vec<String> = Vec::new();
    for (name, _) in pairs.into_inner() {
        let allowed = known.contains(&name) || IGNORED.contains(&name.as_str());
        if !allowed && !unknown.contains(&name) {
            unknown.push(name);
        }
    }
    Some(unknown)
}

/// 422 for query parameters the matched endpoint does not document; wraps each resource.
pub async fn reject_unknown(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let documented = req.app_data::<web::Data<DocumentedNames>>().cloned();
    let pattern = req.match_pattern();
    let known = documented
        .as_deref()
        .zip(pattern.as_deref())
        .and_then(|(names, pattern)| names.of_route(pattern));
    let unknown = match known {
        Some(known) if !req.query_string().is_empty() => {
            unknown_names(req.query_string(), known).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    if unknown.is_empty() {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let takes = known.map(|k| k.join(", ")).unwrap_or_default();
    let takes = if takes.is_empty() {
        "none".to_string()
    } else {
        takes
    };
    let problems = unknown
        .into_iter()
        .map(|name| InvalidParam {
            name,
            reason: format!(
                "is not a parameter of {}; it takes: {takes} (and `_`, ignored, as a cache-buster)",
                req.path()
            ),
        })
        .collect();
    let response = ApiError::InvalidParams(problems).error_response();
    Ok(req.into_response(response).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn unknown_names_are_listed_once_in_query_order_and_the_cache_buster_passes() {
        let known = names(&["days", "limit"]);
        assert_eq!(
            unknown_names("limt=5&days=7&_=1733400000&order=asc&limt=6", &known),
            Some(names(&["limt", "order"]))
        );
        assert_eq!(unknown_names("days=7&limit=5", &known), Some(vec![]));
    }

    #[test]
    fn every_documented_endpoint_is_known() {
        let docs = DocumentedNames::of(&crate::openapi::document(true));
        let takes = |path: &str, name: &str| docs.0[path].contains(&name.to_string());
        assert!(takes("/recentmessages", "cursor"));
        assert!(takes("/sessions", "order"));
        assert!(!takes("/recentmessages", "order"));
        assert!(takes("/metrics/query", "filter"));
    }
}
