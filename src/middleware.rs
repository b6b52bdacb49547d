//! The middleware that needs the application's state: the access log with the request's
//! context, the guard (keys, limits, admission ticket) and the per-request deadline. What they
//! decide lives below, in request_context.rs, guard.rs and admission.rs.

use std::sync::atomic::Ordering;
use std::time::Instant;

use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, ResponseError};

use crate::admission::{self, Ticket};
use crate::error::ApiError;
use crate::guard::{admit, redacted_target, RequestDeadline};
use crate::request_context::{
    client_address, forwarded_for, incoming_id, AMZN_TRACE_ID, REQUEST_ID,
};
use crate::state::AppState;

/// The access-log middleware (`actix_web::middleware::from_fn(request_context)`).
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let trusted = state
        .as_ref()
        .map_or(&[][..], |s| s.trusted_proxies.as_slice());
    let client = client_address(
        req.peer_addr().map(|a| a.ip()),
        &forwarded_for(req.headers()),
        trusted,
    );
    let request_id = incoming_id(req.headers(), &REQUEST_ID, 128, b"._:-")
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    // The ALB's form: `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=...;Sampled=1`.
    let trace_id = incoming_id(req.headers(), &AMZN_TRACE_ID, 256, b"._:-=;");
    // Credential-like query values never reach the log (a key pasted into a URL).
    let line = format!(
        "\"{} {} {:?}\"",
        req.method(),
        redacted_target(req.uri()),
        req.version()
    );

    let mut res = next.call(req).await?;

    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID, value);
    }
    if let Some(trace) = trace_id
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
    {
        headers.insert(AMZN_TRACE_ID, trace);
    }
    // While draining, ask keep-alive clients (the load balancer among them) to reconnect, which
    // lands them on an instance that is staying.
    if state.is_some_and(|s| s.draining.load(Ordering::Relaxed)) {
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    let bytes = match res.response().body().size() {
        BodySize::Sized(n) => n.to_string(),
        _ => "-".to_string(),
    };
    log::info!(
        target: "access",
        "{} {line} {} {bytes} {:.1}ms request_id={request_id}{}",
        client.map_or("-".to_string(), |ip| ip.to_string()),
        res.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0,
        trace_id.map(|t| format!(" trace_id={t}")).unwrap_or_default(),
    );
    Ok(res)
}

/// The guard middleware (`actix_web::middleware::from_fn(guard)`): admits the request or answers
/// the problem.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let client = match admit(&req, &state.trusted_proxies, &state.guard) {
        Ok(client) => client,
        Err(problem) => {
            return Ok(req
                .into_response(problem.error_response())
                .map_into_right_body())
        }
    };
    // Expensive work of this request is admitted against its client (admission.rs).
    let ticket = Ticket::new(state.admission.clone(), client);
    admission::within(ticket, next.call(req))
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Bounds how long a request may take (REQUEST_TIMEOUT_SECONDS); wraps each resource, after
/// routing, where the request may be shared (the router needs it unshared).
pub async fn deadline(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(limit) = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.guard.settings.request_timeout)
    else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let request = req.request().clone();
    let until = tokio::time::Instant::now() + limit;
    req.extensions_mut().insert(RequestDeadline(until));
    match tokio::time::timeout_at(until, next.call(req)).await {
        Ok(response) => response.map(ServiceResponse::map_into_left_body),
        Err(_) => {
            let problem = ApiError::RequestTimeout(limit.as_secs());
            Ok(ServiceResponse::new(request, problem.error_response()).map_into_right_body())
        }
    }
}
