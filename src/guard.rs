//! What stands between the internet and the database: API keys (with a stricter budget for wrong
//! ones, per client address), a per-client rate limit, request limits (no bodies, bounded query strings, a per-request timeout) and the security headers every
//! response carries. The database side of the limits is the pool: at most `DB_POOL_SIZE`
//! connections, and a request that waits 2 s for one gets a 503 (see db.rs).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::Error;
use ipnet::IpNet;

use crate::config::GuardSettings;
use crate::error::{ApiError, InvalidParam};
use crate::request_context::{client_address, forwarded_for};

const API_KEY_HEADER: &str = "x-api-key";

/// The guard's settings and the rate limiter's state, shared by all workers.
pub struct Guard {
    pub settings: GuardSettings,
    limiter: Option<RateLimiter>,
    /// Failed authentications per client address (AUTH_FAILURES_PER_MINUTE).
    auth_failures: Option<RateLimiter>,
}

impl Guard {
    pub fn new(settings: GuardSettings) -> Guard {
        let limiter = (settings.rate_limit_per_minute > 0)
            .then(|| RateLimiter::new(settings.rate_limit_per_minute));
        let auth_failures = (settings.auth_failures_per_minute > 0)
            .then(|| RateLimiter::new(settings.auth_failures_per_minute));
        Guard {
            settings,
            limiter,
            auth_failures,
        }
    }

    /// Which configured key `candidate` is, compared in constant time: every key is compared in
    /// full, whatever matched before, so timing does not tell how much of a guess was right.
    fn key_index(&self, candidate: &str) -> Option<usize> {
        let mut found = None;
        for (i, key) in self.settings.api_keys.iter().enumerate() {
            if constant_time_eq(candidate.as_bytes(), key.as_bytes()) {
                found = Some(i);
            }
        }
        found
    }
}

/// Paths anyone may read: liveness, the service's self-description, the API description and
/// the dashboard's static files (neither holds data; the dashboard asks for a key itself).
pub fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/" | "/health" | "/openapi.json" | "/docs" | "/dashboard"
    ) || path.starts_with("/health/")
        || path.starts_with("/docs/")
        || path.starts_with("/dashboard/")
}

/// Byte strings equal, in time that depends only on their lengths (never on where they differ).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let len = a.len().max(b.len());
    let mut diff = (a.len() ^ b.len()) as u64;
    for i in 0..len {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= u64::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

/// The keys a request presents: `Authorization: Bearer <key>` and/or `X-API-Key: <key>` (an
/// `Authorization` of another scheme, e.g. Basic from a proxy in front, is not a key).
fn presented_keys(headers: &HeaderMap) -> Vec<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim().to_string());
    let header_key = headers
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    bearer.into_iter().chain(header_key).collect()
}

/// Token buckets per client: `per_minute` requests of burst, refilled at `per_minute` a minute.
struct RateLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// Beyond this many tracked clients, full (idle) buckets are forgotten.
const MAX_TRACKED_CLIENTS: usize = 10_000;

impl RateLimiter {
    fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute: f64::from(per_minute),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `client`, or says how long until one is available.
    fn take(&self, client: &str, now: Instant) -> Result<(), Duration> {
        self.spend(client, now, true)
    }

    /// Whether `client` has a token left, without taking it (or how long until it has one).
    fn check(&self, client: &str, now: Instant) -> Result<(), Duration> {
        self.spend(client, now, false)
    }

    fn spend(&self, client: &str, now: Instant, take: bool) -> Result<(), Duration> {
        let per_second = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED_CLIENTS && !buckets.contains_key(client) {
            let full = self.per_minute;
            buckets.retain(|_, (tokens, last)| {
                *tokens + now.duration_since(*last).as_secs_f64() * per_second < full
            });
        }
        let (tokens, last) = buckets
            .entry(client.to_string())
            .or_insert((self.per_minute, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * per_second).min(self.per_minute);
        *last = now;
        if *tokens >= 1.0 {
            if take {
                *tokens -= 1.0;
            }
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / per_second))
        }
    }
}

/// Words that make a query parameter name credential-like, wherever they stand in it
/// (`api_key`, `api.key`, `apiToken`, `private_key`, `x-api-key`, `jwt`).
const CREDENTIAL_WORDS: [&str; 17] = [
    "key",
    "apikey",
    "token",
    "accesstoken",
    "secret",
    "password",
    "passwd",
    "pwd",
    "auth",
    "authorization",
    "bearer",
    "signature",
    "sig",
    "jwt",
    "credential",
    "credentials",
    "passwords",
];

/// Whether a (still URL-encoded) query parameter name is credential-like: decoded, split into
/// words at anything but letters and digits and at camelCase humps, one word (or the whole name,
/// run together) is a credential word. `keys_sorted` or `monkey` are not.
pub fn is_credential_name(encoded_name: &str) -> bool {
    let name = percent_decode(encoded_name);
    let mut words: Vec<String> = vec![String::new()];
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            words.push(String::new());
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            words.push(String::new());
        }
        previous_lower = c.is_lowercase() || c.is_numeric();
        if let Some(word) = words.last_mut() {
            word.extend(c.to_lowercase());
        }
    }
    let whole: String = words.concat();
    let credential = |w: &str| CREDENTIAL_WORDS.contains(&w);
    credential(&whole) || words.iter().any(|w| credential(w))
}

/// The `name=value` pairs of a raw query string: split at `&` and at `;` (which some servers and
/// log readers take as a separator too, so a key after it must not slip through).
fn query_pairs(query: &str) -> impl Iterator<Item = &str> {
    query.split(['&', ';'])
}

/// The credential-like parameter names in a raw query string, as sent.
fn credential_params(query: &str) -> Vec<String> {
    query_pairs(query)
        .map(|pair| pair.split_once('=').map_or(pair, |(name, _)| name))
        .filter(|name| is_credential_name(name))
        .map(percent_decode)
        .collect()
}

/// A request target for the access log, with the values of credential-like query parameters
/// replaced by `REDACTED`, so a key someone put in a URL never reaches the logs.
pub fn redacted_target(uri: &actix_web::http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.to_string();
    };
    let mut redacted = String::with_capacity(query.len());
    let mut rest = query;
    // Keep each separator as sent, so the log shows the query as it came.
    while !rest.is_empty() {
        let cut = rest.find(['&', ';']).unwrap_or(rest.len());
        let (pair, tail) = rest.split_at(cut);
        match pair.split_once('=') {
            Some((name, _)) if is_credential_name(name) => {
                redacted.push_str(name);
                redacted.push_str("=REDACTED");
            }
            _ => redacted.push_str(pair),
        }
        let mut chars = tail.chars();
        if let Some(separator) = chars.next() {
            redacted.push(separator);
        }
        rest = chars.as_str();
    }
    format!("{}?{redacted}", uri.path())
}

/// `%XX` escapes and `+` decoded (as in a query string); invalid escapes are kept as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| {
            bytes
                .get(j)
                .and_then(|b| char::from(*b).to_digit(16))
                .map(|d| d as u8)
        };
        match bytes[i] {
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks the key (when keys are configured and the path is not public) and says which one it
/// was. Wrong or missing keys count against the client's address: once its budget is spent,
/// every request from it is refused (a right key too, or the 429 would not slow guessing down).
fn authenticate(
    req: &ServiceRequest,
    trusted: &[IpNet],
    guard: &Guard,
) -> Result<Option<usize>, ApiError> {
    if guard.settings.api_keys.is_empty() || is_public(req.path()) {
        return Ok(None);
    }
    let address = || {
        let address = client_address(
            req.peer_addr().map(|a| a.ip()),
            &forwarded_for(req.headers()),
            trusted,
        );
        format!("ip:{}", address.map_or("-".to_string(), |a| a.to_string()))
    };
    let refused = |wait: Duration| ApiError::TooManyAuthFailures(wait.as_secs().max(1));
    if let Some(failures) = &guard.auth_failures {
        failures
            .check(&address(), Instant::now())
            .map_err(refused)?;
    }
    let index = presented_keys(req.headers())
        .iter()
        .find_map(|key| guard.key_index(key));
    match (index, &guard.auth_failures) {
        (Some(index), _) => Ok(Some(index)),
        (None, Some(failures)) => {
            failures.take(&address(), Instant::now()).map_err(refused)?;
            Err(ApiError::Unauthorized)
        }
        (None, None) => Err(ApiError::Unauthorized),
    }
}

/// Everything checked before a request runs, in order: no body on GET/HEAD, a bounded query
/// string without credentials in it, the API key, the rate limit. Says who the client is (its
/// key, else its address).
pub fn admit(req: &ServiceRequest, trusted: &[IpNet], guard: &Guard) -> Result<String, ApiError> {
    let headers = req.headers();
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > 0) || headers.contains_key(header::TRANSFER_ENCODING) {
            return Err(ApiError::BodyNotAllowed);
        }
    }
    if req.query_string().len() > guard.settings.max_query_bytes {
        return Err(ApiError::QueryTooLong(guard.settings.max_query_bytes));
    }
    let credentials = credential_params(req.query_string());
    if !credentials.is_empty() {
        return Err(ApiError::InvalidParams(
            credentials
                .into_iter()
                .map(|name| InvalidParam {
                    name,
                    reason: "API keys are never accepted in the URL (URLs end up in logs and \
                             browser history); send the key as `X-API-Key: <key>` or \
                             `Authorization: Bearer <key>` and remove this parameter"
                        .to_string(),
                })
                .collect(),
        ));
    }
    let client = authenticate(req, trusted, guard)?
        .map(|index| format!("key:{index}"))
        .unwrap_or_else(|| {
            let address = client_address(
                req.peer_addr().map(|a| a.ip()),
                &forwarded_for(headers),
                trusted,
            );
            format!("ip:{}", address.map_or("-".to_string(), |a| a.to_string()))
        });
    if let Some(limiter) = &guard.limiter {
        if !req.path().starts_with("/health") {
            limiter
                .take(&client, Instant::now())
                .map_err(|wait| ApiError::RateLimited(wait.as_secs().max(1)))?;
        }
    }
    Ok(client)
}

/// When the running request must have ended (REQUEST_TIMEOUT_SECONDS after it was routed), for
/// work that outlives the handler: a streamed export stops by it.
#[derive(Debug, Clone, Copy)]
pub struct RequestDeadline(pub tokio::time::Instant);

/// Swagger UI and the dashboard: own scripts only, inline styles (Swagger UI sets them), images
/// from the page or data: URLs, API calls to this origin only, never framed.
const CSP_PAGES: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
/// JSON and CSV answers are never rendered as pages.
const CSP_DATA: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// Headers every response carries (`from_fn(security_headers)`), errors included.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let pages = {
        let path = req.path();
        path == "/docs" || path.starts_with("/docs/") || path.starts_with("/dashboard")
    };
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        header::CONTENT_SECURITY_POLICY,
        if pages { CSP_PAGES } else { CSP_DATA },
    );
    // Analytics and conversation content must not sit in shared or browser caches; the static
    // pages may be cached briefly.
    set(
        header::CACHE_CONTROL,
        if pages { "no-cache" } else { "no-store" },
    );
    headers.remove(header::SERVER);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"secret-key", b"secret-key"));
        assert!(!constant_time_eq(b"secret-key", b"secret-kez"));
        assert!(!constant_time_eq(b"secret-key", b"secret-key-longer"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn bearer_and_x_api_key_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(presented_keys(&headers), ["abc"]);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(presented_keys(&headers).is_empty());
        headers.insert(
            HeaderName::from_static(API_KEY_HEADER),
            HeaderValue::from_static(" def "),
        );
        assert_eq!(presented_keys(&headers), ["def"]);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(presented_keys(&headers), ["abc", "def"]);
    }

    #[test]
    fn credential_like_parameters_are_found_and_redacted() {
        for name in [
            "api_key",
            "API-KEY",
            "apiKey",
            "key",
            "Token",
            "access_token",
            "api%5Fkey",
            "x-api-key",
            // The variations an attack run slipped past an exact list.
            "api.key",
            "api%20key",
            "api+key",
            "api_key%00",
            "api_key[]",
            "apiToken",
            "private_key",
            "jwt",
            "sig",
            "%E2%80%8Bapi_key",
            "client_secret",
            "passwords",
        ] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in [
            "agent_name",
            "agent_version",
            "cursor",
            "days",
            "start",
            "end",
            "tz",
            "granularity",
            "limit",
            "format",
            "sort",
            "user",
            "group_by",
            "metrics",
            "filters",
            "filter",
            "versions",
            "_",
            "keys_sorted",
            "monkey",
            "signal",
        ] {
            assert!(!is_credential_name(name), "{name}");
        }
        let uri: actix_web::http::Uri =
            "/total-tokens?agent_name=a&API_KEY=s3cret&days=7&token=t0k&key"
                .parse()
                .unwrap();
        assert_eq!(
            redacted_target(&uri),
            "/total-tokens?agent_name=a&API_KEY=REDACTED&days=7&token=REDACTED&key"
        );
        assert_eq!(credential_params("a=1&Api%2DKey=x&b"), ["Api-Key"]);
        let uri: actix_web::http::Uri = "/x?a=1;api_key=s3cret&api.key=s&api_key%5B%5D=s&b=2"
            .parse()
            .unwrap();
        assert_eq!(
            redacted_target(&uri),
            "/x?a=1;api_key=REDACTED&api.key=REDACTED&api_key%5B%5D=REDACTED&b=2"
        );
    }

    #[test]
    fn check_looks_without_taking() {
        let limiter = RateLimiter::new(1);
        let t0 = Instant::now();
        assert!(limiter.check("a", t0).is_ok());
        assert!(limiter.check("a", t0).is_ok());
        assert!(limiter.take("a", t0).is_ok());
        assert!(limiter.check("a", t0).is_err());
    }

    #[test]
    fn token_bucket_allows_a_burst_then_refills() {
        let limiter = RateLimiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take("a", t0).is_ok());
        }
        let wait = limiter.take("a", t0).unwrap_err();
        assert_eq!(wait.as_secs(), 20); // 3 a minute: one token every 20 s
        assert!(
            limiter.take("b", t0).is_ok(),
            "clients have their own buckets"
        );
        assert!(limiter.take("a", t0 + Duration::from_secs(20)).is_ok());
        assert!(limiter.take("a", t0 + Duration::from_secs(20)).is_err());
    }
}
