//! Real faults: Postgres stopped under load and started again, a backend killed mid-query, wrong
//! credentials, and what the log may never contain. A private Postgres server (helpers/cluster.rs)
//! is stopped for real; the shared one is left alone. Each test prints what it measured.

use std::sync::Arc;
use std::time::{Duration, Instant};

use litellm_analytics::window::Clock;
use tokio::sync::Mutex;

use crate::helpers;
use crate::helpers::binary::RunningBinary;
use crate::helpers::cluster::Cluster;
use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::{agent_query, TestApp, TestDb};

const PASSWORD: &str = "Pg-Sup3r-Secret-7781";
const REPLY: &str = "Your refund of $12 is approved";
const ERROR_TEXT: &str = "Rate limit reached for live-bot";

/// Rows of the last hours, for apps on the wall clock: live-bot 1 in session "live", one reply
/// and one failure.
fn live_rows() -> Vec<helpers::Row> {
    let now = chrono::Utc::now().naive_utc();
    let agent = || {
        helpers::Agent::new("live-bot", "1")
            .session("live")
            .user("u")
    };
    let mut failed = helpers::Row::new("live-2", now - chrono::Duration::minutes(30))
        .agent(helpers::Place::SpendLogsMetadata, agent())
        .tokens(5, 0)
        .failed();
    failed.metadata["error_information"]["error_message"] = serde_json::json!(ERROR_TEXT);
    vec![
        helpers::Row::new("live-1", now - chrono::Duration::hours(1))
            .agent(helpers::Place::SpendLogsMetadata, agent())
            .tokens(3, 4)
            .reply(REPLY),
        failed,
    ]
}

const LIVE: &str = "agent_name=live-bot&agent_version=1&days=1";

/// The agent endpoints and the newer ones, all with parameters the fixture answers 200 to.
fn paths() -> Vec<String> {
    let q = agent_query(NAME, VERSION, 7);
    let mut paths: Vec<String> = helpers::AGENT_ENDPOINTS
        .iter()
        .map(|e| format!("{e}?{q}"))
        .collect();
    for e in ["/latency", "/sessions", "/users"] {
        paths.push(format!("{e}?{q}"));
    }
    paths.push("/agents".to_string());
    paths.push("/metrics/query?metrics=requests&days=7".to_string());
    paths
}

/// Hammers `paths` from `workers` tasks until `stop`, recording (elapsed since `t0`, status,
/// duration) of every request.
async fn load(
    app: Arc<TestApp>,
    workers: usize,
    t0: Instant,
    until: Instant,
) -> Vec<(Duration, u16, Duration)> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (app, seen) = (app.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            let paths = paths();
            let mut i = w;
            while Instant::now() < until {
                let path = &paths[i % paths.len()];
                i += 1;
                let started = Instant::now();
                let status = match app.http.get(format!("{}{path}", app.address)).send().await {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0, // no HTTP answer at all
                };
                seen.lock()
                    .await
                    .push((started - t0, status, started.elapsed()));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut seen = std::mem::take(&mut *seen.lock().await);
    seen.sort_by_key(|s| s.0);
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_stopped_under_load_gives_503s_then_recovers() {
    let cluster = Cluster::start(PASSWORD);
    cluster
        .create_database("litellm", &fixture::all_rows())
        .await;
    let url = cluster.url(PASSWORD, "litellm");
    // Answering by SQL: every request needs the database.
    let app = Arc::new(
        TestApp::builder()
            .database_url(&url)
            .settings(|s| {
                s.rollup.enabled = false;
                s.http_workers = Some(2);
            })
            .now(fixture::now())
            .spawn()
            .await,
    );

    let t0 = Instant::now();
    let warm = load(app.clone(), 8, t0, t0 + Duration::from_secs(1)).await;
    assert!(
        warm.iter().all(|s| s.1 == 200),
        "before the outage: {warm:?}"
    );

    cluster.stop_server();
    let stopped = Instant::now();
    let outage = load(app.clone(), 8, stopped, stopped + Duration::from_secs(4)).await;
    let statuses: std::collections::BTreeMap<u16, usize> =
        outage.iter().fold(Default::default(), |mut m, s| {
            *m.entry(s.1).or_default() += 1;
            m
        });
    let slowest = outage.iter().map(|s| s.2).max().unwrap();
    let first_503 = outage.iter().find(|s| s.1 == 503).map(|s| s.0);
    println!(
        "outage: {} requests {statuses:?}, first 503 after {first_503:?}, slowest answer {slowest:?}",
        outage.len()
    );
    // Requests that were already past the database may still finish; after that, only 503s.
    let late: Vec<_> = outage
        .iter()
        .filter(|s| s.0 > Duration::from_millis(500))
        .collect();
    assert!(!late.is_empty());
    assert!(
        late.iter().all(|s| s.1 == 503),
        "after the stop only 503s: {late:?}"
    );
    assert!(
        slowest < Duration::from_secs(3),
        "no request hangs past the pool timeout: {slowest:?}"
    );
    assert_eq!(app.get("/health/live").await.status(), 200, "still serving");

    cluster.start_server();
    let restarted = Instant::now();
    let path = format!("/analytics/agent?{}", agent_query(NAME, VERSION, 7));
    loop {
        if app.get(&path).await.status() == 200 {
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(5),
            "not back to 200 within 5 s of Postgres returning"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered = restarted.elapsed();
    let after = load(
        app.clone(),
        8,
        Instant::now(),
        Instant::now() + Duration::from_secs(1),
    )
    .await;
    println!(
        "recovered {recovered:?} after Postgres accepted connections; then {} requests, all 200: {}",
        after.len(),
        after.iter().all(|s| s.1 == 200)
    );
    assert!(after.iter().all(|s| s.1 == 200), "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rollup_serves_until_stale_then_503s_and_recovers() {
    let cluster = Cluster::start(PASSWORD);
    cluster.create_database("litellm", &live_rows()).await;
    let app = TestApp::builder()
        .database_url(&cluster.url(PASSWORD, "litellm"))
        .settings(|s| {
            s.rollup.max_staleness = Duration::from_secs(2);
            s.rollup.refresh_interval = Duration::from_millis(200);
        })
        // Staleness is measured on the wall clock.
        .clock(Clock::System)
        .spawn()
        .await;
    app.wait_for_status("/health/ready", 200).await;
    let path = format!("/total-tokens?{LIVE}");
    assert_eq!(app.get(&path).await.status(), 200);

    cluster.stop_server();
    let stopped = Instant::now();
    // Within the staleness bound memory may answer; past it, only 503s.
    let mut first_503 = None;
    while stopped.elapsed() < Duration::from_secs(5) {
        let response = app.get(&path).await;
        let status = response.status().as_u16();

        if stopped.elapsed() > Duration::from_millis(2600) {
            assert_eq!(status, 503, "a stale rollup must not answer");
        } else {
            assert!(status == 200 || status == 503, "{status}");
        }
        if status == 503 && first_503.is_none() {
            first_503 = Some(stopped.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cluster.start_server();
    let restarted = Instant::now();
    while app.get(&path).await.status() != 200 {
        assert!(
            restarted.elapsed() < Duration::from_secs(5),
            "no recovery in 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "rollup: first 503 {first_503:?} after the stop; 200 again {:?} after the start",
        restarted.elapsed()
    );
}

#[tokio::test]
async fn a_backend_killed_mid_query_costs_one_request() {
    let db = TestDb::create().await;
    db.insert(&fixture::all_rows()).await;
    let app = Arc::new(
        TestApp::builder()
            .database(&db)
            .settings(|s| {
                s.rollup.enabled = false;
            })
            .now(fixture::now())
            .spawn()
            .await,
    );
    let path = format!("/total-tokens?{}", agent_query(NAME, VERSION, 7));
    assert_eq!(app.get(&path).await.status(), 200);

    // Hold the table so the next query waits inside Postgres, then kill its backend.
    let lock = db.lock_table().await;
    let in_flight = {
        let (app, path) = (app.clone(), path.clone());
        tokio::spawn(async move { app.get(&path).await.status().as_u16() })
    };
    let killer = db.client().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let killed = loop {
        let n: i64 = killer
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND application_name = 'litellm-analytics'
                   AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if n > 0 {
            break n;
        }
        assert!(Instant::now() < deadline, "the app's query never waited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let status = in_flight.await.unwrap();
    drop(lock);
    println!("killed {killed} backend(s); the request in flight answered {status}");
    assert_eq!(status, 503, "the killed query is an honest 503");
    // The pool drops the dead connection: every later request succeeds.
    for _ in 0..20 {
        assert_eq!(app.get(&path).await.status(), 200);
    }
}

#[test]
fn wrong_password_is_503_with_a_clear_log_line_and_no_crash() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cluster = Cluster::start(PASSWORD);
    runtime.block_on(cluster.create_database("litellm", &fixture::all_rows()));
    let wrong = "Not-The-Password-4242";
    let mut binary = RunningBinary::start(&[("DATABASE_URL", &cluster.url(wrong, "litellm"))]);
    let client = reqwest::blocking::Client::new();
    let path = format!(
        "{}/analytics/agent?{}",
        binary.address,
        agent_query(NAME, VERSION, 7)
    );
    for _ in 0..3 {
        let response = client.get(&path).send().unwrap();
        assert_eq!(response.status(), 503);
        let body = response.text().unwrap();
        // The cause goes to the log, never to callers: it names the database's user and setup.
        assert!(body.contains("database unavailable"), "{body}");
        assert!(!body.contains("password"), "{body}");
        assert!(!body.contains(wrong), "{body}");
    }
    // The public health endpoints say as little.
    for health in ["/health", "/health/ready"] {
        let response = client
            .get(format!("{}{health}", binary.address))
            .send()
            .unwrap();
        assert_eq!(response.status(), 503, "{health}");
        let body = response.text().unwrap();
        assert!(body.contains("database unavailable"), "{health}: {body}");
        for leak in ["password", "postgres", "authentication", wrong] {
            assert!(!body.contains(leak), "{health} leaks {leak:?}: {body}");
        }
    }
    let line = binary.wait_for_log("password authentication failed", Duration::from_secs(5));
    println!("log: {line}");
    // Started without API_KEYS (and ALLOW_OPEN_API=true): the start-up log says the API is open.
    binary.wait_for_log("no API keys (ALLOW_OPEN_API=true)", Duration::from_secs(1));
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        binary.child.try_wait().unwrap().is_none(),
        "the service must keep running, not crash-loop"
    );
    let logs = binary.logs().join("\n");
    assert!(!logs.contains(wrong), "the password leaked into the log");
}

#[test]
fn secrets_and_message_content_never_reach_the_log() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cluster = Cluster::start(PASSWORD);
    runtime.block_on(cluster.create_database("litellm", &live_rows()));
    let key = "la-log-test-key-5b1e0c9d7a";
    let url = cluster.url(PASSWORD, "litellm");
    let binary = RunningBinary::start(&[
        ("DATABASE_URL", url.as_str()),
        ("API_KEYS", key),
        ("RUST_LOG", "debug"),
    ]);
    let client = reqwest::blocking::Client::new();
    let q = LIVE;
    for (path, with_key) in [
        (format!("/recentmessages?{q}"), true),
        (format!("/recentmessages?{q}&format=csv"), true),
        (format!("/sessions/live?{q}"), true),
        (format!("/analytics/agent?{q}"), false),
        ("/health".to_string(), false),
    ] {
        let mut request = client.get(format!("{}{path}", binary.address));
        if with_key {
            request = request.header("Authorization", format!("Bearer {key}"));
        } else {
            request = request.header("X-API-Key", format!("{key}-wrong"));
        }
        let response = request.send().unwrap();
        let status = response.status().as_u16();
        let body = response.text().unwrap();
        if with_key && path.starts_with("/recent") {
            assert!(body.contains(REPLY), "{path}: {body}"); // the content was served...
        }
        if with_key && path.starts_with("/sessions") {
            assert!(body.contains(ERROR_TEXT), "{path}: {body}");
        }
        let expected = if with_key || path == "/health" {
            200
        } else {
            401
        };
        assert_eq!(status, expected, "{path}: {body}");
    }
    // Wrong database credentials in a second process, so failure paths are logged too.
    let mut logs = binary.logs();
    drop(binary);
    let failing = RunningBinary::start(&[
        (
            "DATABASE_URL",
            cluster.url(&format!("{PASSWORD}-x"), "litellm").as_str(),
        ),
        ("API_KEYS", key),
        ("RUST_LOG", "debug"),
    ]);
    let _ = client
        .get(format!("{}/analytics/agent?{q}", failing.address))
        .header("X-API-Key", key)
        .send();
    std::thread::sleep(Duration::from_millis(500));
    logs.extend(failing.logs());
    let text = logs.join("\n");
    assert!(text.contains("password authentication failed"), "{text}");
    // ...and never logged.
    for secret in [PASSWORD, key, REPLY, ERROR_TEXT] {
        assert!(!text.contains(secret), "{secret:?} appears in the log");
    }
}
