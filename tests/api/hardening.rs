//! API keys, rate limits, request limits, security headers and hidden message content, through
//! the real HTTP stack (fixture: helpers/fixture.rs, support-bot 1.0.0, and helpers/ops.rs).

use std::time::{Duration, Instant};

use litellm_analytics::config::{CorsOrigins, Settings};
use litellm_analytics::guard::constant_time_eq;
use serde_json::Value;

use crate::helpers;
use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::{agent_query, TestApp};

const KEY: &str = "la-test-key-0123456789abcdef";
const OTHER_KEY: &str = "la-second-key-fedcba9876543210";

/// The app on the main fixture, tuned by `tune`, once its rollup is loaded.
async fn app_with(tune: impl FnOnce(&mut Settings)) -> TestApp {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .settings(tune)
        .now(fixture::now())
        .spawn()
        .await;
    app.wait_for_status("/health/ready", 200).await;
    app
}

/// Every documented GET operation, with parameters that make it answer 200 on the fixture.
async fn documented_paths(app: &TestApp) -> Vec<String> {
    let doc = app.get_json("/openapi.json", 200).await;
    let q = agent_query(NAME, VERSION, 7);
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|path| match path.as_str() {
            "/sessions/{session_id}" => format!("/sessions/s1?{q}"),
            "/agents" => "/agents".to_string(),
            "/agents/compare" => {
                format!("/agents/compare?agent_name={NAME}&versions={VERSION}&days=7")
            }
            "/metrics/query" => "/metrics/query?metrics=requests&days=7".to_string(),
            p if p == "/" || p.starts_with("/health") => p.to_string(),
            p => format!("{p}?{q}"),
        })
        .collect()
}

fn is_public(path: &str) -> bool {
    path == "/" || path.starts_with("/health")
}

async fn status_with(
    app: &TestApp,
    path: &str,
    header: Option<(&str, &str)>,
) -> (u16, reqwest::Response) {
    let mut request = app.http.get(format!("{}{path}", app.address));
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response)
}

#[tokio::test]
async fn with_api_keys_every_data_endpoint_needs_one() {
    // About a hundred wrong keys from one address follow: the failure budget (tested in
    // security.rs) is off here.
    let app = app_with(|s| {
        s.guard.api_keys = vec![KEY.into(), OTHER_KEY.into()];
        s.guard.auth_failures_per_minute = 0;
    })
    .await;
    let paths = documented_paths(&app).await;
    assert!(paths.len() >= 17, "{paths:?}");
    let bearer = format!("Bearer {KEY}");
    for path in &paths {
        let (status, response) = status_with(&app, path, None).await;
        if is_public(path) {
            assert_eq!(status, 200, "{path} must stay open");
            continue;
        }
        assert_eq!(status, 401, "{path} without a key");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"litellm-analytics\""
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["status"], 401);
        assert!(problem["detail"].as_str().unwrap().contains("X-API-Key"));

        for header in [
            ("Authorization", bearer.as_str()),
            ("Authorization", &format!("bearer {OTHER_KEY}")),
            ("X-API-Key", KEY),
        ] {
            let (status, _) = status_with(&app, path, Some(header)).await;
            assert_eq!(status, 200, "{path} with {}", header.0);
        }
        for wrong in [
            ("Authorization", format!("Bearer {KEY}x")),
            ("Authorization", format!("Bearer {}", &KEY[..KEY.len() - 1])),
            ("Authorization", format!("Basic {KEY}")),
            ("X-API-Key", String::new()),
            ("X-API-Key", KEY.to_uppercase()),
        ] {
            let (status, _) = status_with(&app, path, Some((wrong.0, &wrong.1))).await;
            assert_eq!(status, 401, "{path} with {wrong:?}");
        }
    }
    // A proxy's Basic credentials next to a valid X-API-Key: the key counts.
    let path = format!("/total-tokens?{}", agent_query(NAME, VERSION, 7));
    let both = app
        .http
        .get(format!("{}{path}", app.address))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .header("X-API-Key", OTHER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 200);
    // The API description and Swagger UI stay readable, so people can find the Authorize button.
    let doc = app.get_json("/openapi.json", 200).await;
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["name"],
        "X-API-Key"
    );
    assert_eq!(app.get("/docs/").await.status(), 200);
}

#[tokio::test]
async fn without_api_keys_the_api_is_open() {
    let app = app_with(|_| {}).await;
    for path in documented_paths(&app).await {
        assert_eq!(app.get(&path).await.status(), 200, "{path}");
    }
}

#[test]
fn key_comparison_time_does_not_depend_on_the_matching_prefix() {
    // Large keys make a byte-by-byte early exit visible: a guess wrong in its first byte would
    // return at once, one wrong in its last byte only after 256 KiB.
    let key = vec![b'k'; 256 * 1024];
    let mut wrong_first = key.clone();
    wrong_first[0] = b'x';
    let mut wrong_last = key.clone();
    *wrong_last.last_mut().unwrap() = b'x';
    let median = |guess: &[u8]| {
        let mut times: Vec<Duration> = (0..41)
            .map(|_| {
                let started = Instant::now();
                assert!(!constant_time_eq(guess, &key));
                started.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    // Interleave the two to share the machine's noise.
    let (mut first, mut last) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        first.push(median(&wrong_first));
        last.push(median(&wrong_last));
    }
    first.sort();
    last.sort();
    let ratio = first[2].as_secs_f64() / last[2].as_secs_f64();
    println!(
        "median compare: wrong first byte {:?}, wrong last byte {:?}, ratio {ratio:.3}",
        first[2], last[2]
    );
    assert!((0.5..2.0).contains(&ratio), "ratio {ratio}");
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_per_client() {
    let app = app_with(|s| {
        s.guard.api_keys = vec![KEY.into(), OTHER_KEY.into()];
        s.guard.rate_limit_per_minute = 3;
    })
    .await;
    let path = format!("/total-tokens?{}", agent_query(NAME, VERSION, 7));
    let bearer = format!("Bearer {KEY}");
    for _ in 0..3 {
        let (status, _) = status_with(&app, &path, Some(("Authorization", &bearer))).await;
        assert_eq!(status, 200);
    }
    let (status, response) = status_with(&app, &path, Some(("Authorization", &bearer))).await;
    assert_eq!(status, 429);
    // 3 a minute: the next token comes 20 s after the bucket emptied.
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((19..=20).contains(&retry), "Retry-After {retry}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 429);
    // Another key has its own bucket; health checks are never limited.
    let (status, _) = status_with(&app, &path, Some(("X-API-Key", OTHER_KEY))).await;
    assert_eq!(status, 200);
    for _ in 0..5 {
        assert_eq!(app.get("/health/live").await.status(), 200);
    }
}

#[tokio::test]
async fn rate_limit_without_keys_is_per_client_address() {
    let app = app_with(|s| s.guard.rate_limit_per_minute = 2).await;
    let path = format!("/analytics/agent?{}", agent_query(NAME, VERSION, 7));
    assert_eq!(app.get(&path).await.status(), 200);
    assert_eq!(app.get(&path).await.status(), 200);
    assert_eq!(app.get(&path).await.status(), 429);
}

#[tokio::test]
async fn bodies_long_query_strings_and_slow_requests_are_refused() {
    let app = app_with(|s| {
        s.guard.request_timeout = Duration::from_secs(1);
        s.rollup.enabled = false;
    })
    .await;
    let db = app.db();
    let path = format!("/total-tokens?{}", agent_query(NAME, VERSION, 7));
    let with_body = app
        .http
        .get(format!("{}{path}", app.address))
        .body("{\"days\": 7}")
        .send()
        .await
        .unwrap();
    assert_eq!(with_body.status(), 413);
    assert_eq!(
        with_body.headers()["content-type"],
        "application/problem+json"
    );

    let long = format!("{path}&agent_app={}", "a".repeat(5000));
    let problem = app.get_problem(&long, 414).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("4096"),
        "{problem}"
    );

    // A query held up by a lock: the request gives up after REQUEST_TIMEOUT_SECONDS.
    let lock = db.lock_table().await;
    let started = Instant::now();
    let problem = app.get_problem(&path, 504).await;
    let took = started.elapsed();
    assert_eq!(
        problem["type"],
        "urn:litellm-analytics:problem:request-timeout"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    drop(lock);
    // The connection the timed-out request held is usable again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.get(&path).await.status(), 200);
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = app_with(|s| s.guard.api_keys = vec![KEY.into()]).await;
    let q = agent_query(NAME, VERSION, 7);
    for (path, key, page) in [
        (format!("/recentmessages?{q}"), true, false),
        (format!("/total-tokens?{q}"), true, false),
        (format!("/total-tokens?{q}"), false, false), // 401
        ("/nope".to_string(), true, false),           // 404
        ("/health".to_string(), false, false),
        ("/docs/".to_string(), false, true),
        ("/docs/swagger-ui.css".to_string(), false, true),
    ] {
        let header = key.then_some(("X-API-Key", KEY));
        let (_, response) = status_with(&app, &path, header).await;
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        if page {
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe"),
                "{csp}"
            );
        } else {
            assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
            assert_eq!(h["cache-control"], "no-store", "{path}");
        }
        assert!(h.get("server").is_none(), "{path} names the server");
    }
}

#[tokio::test]
async fn cors_preflight_and_401s_work_for_allowed_origins_with_keys() {
    let app = app_with(|s| {
        s.guard.api_keys = vec![KEY.into()];
        s.cors_allowed_origins = CorsOrigins::List(vec!["https://dash.example.com".into()]);
    })
    .await;
    let url = format!(
        "{}/analytics/agent?{}",
        app.address,
        agent_query(NAME, VERSION, 7)
    );
    // The browser's preflight carries no key: it must pass.
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, &url)
        .header("Origin", "https://dash.example.com")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://dash.example.com"
    );
    // A 401 is readable by the allowed page (so it can ask for a key).
    let denied = app
        .http
        .get(&url)
        .header("Origin", "https://dash.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    assert_eq!(
        denied.headers()["access-control-allow-origin"],
        "https://dash.example.com"
    );
    let other = app
        .http
        .get(&url)
        .header("Origin", "https://evil.example.com")
        .header("X-API-Key", KEY)
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn message_content_can_be_withheld() {
    let app = TestApp::builder()
        .rows(&helpers::ops::all_rows())
        .settings(|s| {
            s.guard.expose_message_content = false;
        })
        .now(helpers::ops::now())
        .spawn()
        .await;
    let q = helpers::ops::v2_day();
    let body = app.get_json(&format!("/recentmessages?{q}"), 200).await;
    let messages = body["messages"].as_array().unwrap();
    assert!(!messages.is_empty());
    for m in messages {
        assert_eq!(m["message"], Value::Null, "{m}");
        assert!(m["message_length"].as_i64().unwrap() > 0, "{m}");
    }
    let csv = app
        .get(&format!("/recentmessages?{q}&format=csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("Refund"), "{csv}");
    let detail = app.get_json(&format!("/sessions/B?{q}"), 200).await;
    assert_eq!(detail["requests"][1]["error_class"], "RateLimitError");
    assert_eq!(detail["requests"][1]["error_message"], Value::Null);
}
