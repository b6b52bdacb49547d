//! What a deployment behind a load balancer relies on: a drain on SIGTERM that drops no request,
//! request ids, and client addresses from trusted proxies. The split health checks it also relies
//! on are tested in routes::health.

use std::time::{Duration, Instant};

use crate::helpers::binary::RunningBinary;
use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::{agent_query, Agent, Place, Row, TestApp, TestDb};

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::builder().now(fixture::now()).spawn().await;
    let given = app
        .http
        .get(format!("{}/health/live", app.address))
        .header("X-Request-Id", "req-abc.123")
        .header(
            "X-Amzn-Trace-Id",
            "Root=1-67891233-abcdef012345678912345678",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "req-abc.123");
    assert_eq!(
        given.headers()["x-amzn-trace-id"],
        "Root=1-67891233-abcdef012345678912345678"
    );

    let generated = app.get("/health/live").await;
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(generated.headers().get("x-amzn-trace-id").is_none());
    let other = app.get("/health/live").await;
    assert_ne!(other.headers()["x-request-id"].to_str().unwrap(), id);

    // An id that is too long or not printable is replaced, not echoed.
    let oversized = app
        .http
        .get(format!("{}/nope", app.address))
        .header("X-Request-Id", "x".repeat(200))
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 404);
    assert_eq!(oversized.headers()["x-request-id"].len(), 32);
}

#[tokio::test]
async fn sigterm_during_a_slow_request_drains_then_exits_zero() {
    let db = TestDb::create().await;
    // The binary runs on the wall clock: rows from the last hours.
    let now = chrono::Utc::now().naive_utc();
    db.insert(&[
        Row::new("live-1", now - chrono::Duration::hours(2)).agent(
            Place::SpendLogsMetadata,
            Agent::new(NAME, VERSION).session("s"),
        ),
        Row::new("live-2", now - chrono::Duration::hours(1)).agent(
            Place::SpendLogsMetadata,
            Agent::new(NAME, VERSION).session("s"),
        ),
    ])
    .await;
    let mut binary = RunningBinary::start(&[
        ("DATABASE_URL", &db.url),
        ("SHUTDOWN_DRAIN_SECONDS", "2"),
        ("SHUTDOWN_TIMEOUT_SECONDS", "15"),
    ]);
    let http = reqwest::Client::new();
    let base = binary.address.clone();
    let status = |path: &str| {
        let (http, url) = (http.clone(), format!("{base}{path}"));
        async move { http.get(url).send().await.unwrap() }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while status("/health/ready").await.status() != 200 {
        assert!(Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A list always reads the database (summaries may come from the in-memory rollup).
    let slow_path = format!("/detailed-usage?{}", agent_query(NAME, VERSION, 7));
    assert_eq!(status(&slow_path).await.status(), 200);

    // A request that cannot finish until we let it: the table is locked.
    let locker = db.lock_table().await;
    let slow = tokio::spawn(status(&slow_path));
    tokio::time::sleep(Duration::from_millis(300)).await;
    binary.signal("TERM");
    binary.wait_for_log("SIGTERM", Duration::from_secs(5));
    let signalled = Instant::now();

    // During the drain: not ready, still alive, still serving, asking clients to reconnect.
    let ready = status("/health/ready").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.headers()["content-type"], "application/problem+json");
    assert_eq!(status("/health/live").await.status(), 200);
    let served = status("/").await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["connection"], "close");

    // After the drain the listener is closed, while the slow request is still running.
    binary.wait_for_log("drain over", Duration::from_secs(5));
    assert!(
        signalled.elapsed() >= Duration::from_millis(1800),
        "{:?}",
        signalled.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let port = base.rsplit(':').next().unwrap();
    assert!(
        std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err(),
        "still accepting connections after the drain"
    );
    assert!(!slow.is_finished());

    // Let the slow request finish: it completes normally, then the process exits 0.
    locker.batch_execute("ROLLBACK").await.unwrap();
    let response = slow.await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["usage_logs"].as_array().unwrap().len(), 2);
    assert_eq!(binary.wait_exit(Duration::from_secs(10)), Some(0));
}

#[tokio::test]
async fn access_log_uses_forwarded_for_only_from_trusted_proxies() {
    let db = TestDb::create().await;
    let mut trusting = RunningBinary::start(&[
        ("DATABASE_URL", &db.url),
        ("TRUSTED_PROXIES", "127.0.0.0/8"),
    ]);
    let http = reqwest::Client::new();
    http.get(format!("{}/health/live", trusting.address))
        .header("X-Forwarded-For", "6.6.6.6, 198.51.100.7")
        .header("X-Request-Id", "trusting-1")
        .send()
        .await
        .unwrap();
    let line = trusting.wait_for_log("request_id=trusting-1", Duration::from_secs(5));
    assert!(
        line.contains("198.51.100.7 \"GET /health/live HTTP/1.1\" 200"),
        "{line}"
    );

    let mut wary = RunningBinary::start(&[("DATABASE_URL", &db.url)]);
    http.get(format!("{}/health/live", wary.address))
        .header("X-Forwarded-For", "198.51.100.7")
        .header("X-Request-Id", "wary-1")
        .send()
        .await
        .unwrap();
    let line = wary.wait_for_log("request_id=wary-1", Duration::from_secs(5));
    assert!(line.contains("127.0.0.1 \"GET /health/live"), "{line}");
    assert!(!line.contains("198.51.100.7"), "{line}");
}
