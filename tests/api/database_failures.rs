//! The database is down, slow, locked, missing or the wrong one: the API answers honest 503/504
//! problems (never a 200 with zeros) and recovers by itself. And it can never write.

use std::time::{Duration, Instant};

use litellm_analytics::db::build_pool;
use tokio::net::TcpListener;

use crate::helpers;
use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::forwarder::{postgres_port, Forwarder};
use crate::helpers::AGENT_ENDPOINTS;
use crate::helpers::{agent_query, test_settings, with_database, TestApp, TestDb};

/// A local port with nothing listening on it.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// An app answering every request by SQL (the rollup off): these tests are about how requests
/// behave when the database misbehaves. the rollup module covers the rollup's side.
async fn app_on(
    database_url: &str,
    tune: impl FnOnce(&mut litellm_analytics::config::Settings),
) -> TestApp {
    TestApp::builder()
        .database_url(database_url)
        .settings(|s| s.rollup.enabled = false)
        .settings(tune)
        .now(fixture::now())
        .spawn()
        .await
}

#[tokio::test]
async fn unreachable_database_is_503_on_every_endpoint_quickly() {
    let port = closed_port().await;
    let app = app_on(
        &format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        |_| {},
    )
    .await;
    for endpoint in AGENT_ENDPOINTS.iter().chain(&["/health"]) {
        let started = Instant::now();
        let query = if *endpoint == "/health" {
            String::new()
        } else {
            format!("?{}", agent_query(NAME, VERSION, 7))
        };
        let response = app.get(&format!("{endpoint}{query}")).await;
        assert_eq!(response.status(), 503, "{endpoint}");
        assert_eq!(response.headers()["retry-after"], "5");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{endpoint} took {:?}",
            started.elapsed()
        );
    }
    // Bad input is still reported as such without a database.
    app.get_problem("/analytics/agent?days=3", 422).await;
}

#[tokio::test]
async fn service_recovers_when_the_database_comes_back() {
    let db = TestDb::create().await;
    db.insert(&fixture::all_rows()).await;
    // The app talks to Postgres through a port that is closed at first, like a database that is
    // down when the service starts.
    let forwarder = Forwarder::closed(postgres_port()).await;
    let url = with_database(
        &format!("postgres://postgres@127.0.0.1:{}/x", forwarder.port),
        &db.name,
    );
    let app = app_on(&url, |_| {}).await;
    let path = format!("/analytics/agent?{}", agent_query(NAME, VERSION, 7));
    app.get_problem(&path, 503).await;
    app.get_problem("/health", 503).await;

    // The database comes back.
    forwarder.open().await;
    let body = app.get_json(&path, 200).await;
    assert_eq!(body["metrics"]["total_messages"], 9);
    app.get_json("/health", 200).await;
}

#[tokio::test]
async fn statement_timeout_is_504_and_the_connection_stays_usable() {
    let db = TestDb::create().await;
    db.insert(&fixture::all_rows()).await;
    let app = app_on(&db.url, |s| {
        s.db_statement_timeout = Duration::from_millis(300);
        s.db_pool_size = 1;
    })
    .await;
    let path = format!("/analytics/agent?{}", agent_query(NAME, VERSION, 7));
    app.get_json(&path, 200).await;

    // Another session holds an exclusive lock: the app's query waits until its timeout.
    let locker = db.lock_table().await;
    let problem = app.get_problem(&path, 504).await;
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("DB_STATEMENT_TIMEOUT_MS"));
    locker.batch_execute("ROLLBACK").await.unwrap();

    // The pool's only connection was not lost.
    let body = app.get_json(&path, 200).await;
    assert_eq!(body["metrics"]["total_messages"], 9);
}

#[tokio::test]
async fn exhausted_pool_is_503_after_about_two_seconds() {
    let db = TestDb::create().await;
    db.insert(&fixture::all_rows()).await;
    let app = app_on(&db.url, |s| {
        s.db_pool_size = 1;
        s.http_workers = Some(2);
    })
    .await;
    let path = format!("/total-tokens?{}", agent_query(NAME, VERSION, 7));
    app.get_json(&path, 200).await;

    let locker = db.lock_table().await;
    // The first request takes the pool's only connection and waits on the lock.
    let blocked = {
        let http = app.http.clone();
        let url = format!("{}{}", app.address, path);
        tokio::spawn(async move { http.get(url).send().await.unwrap().status().as_u16() })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    // Another query string: an identical request would share the blocked one's answer.
    let other_path = format!("/total-tokens?{}", agent_query(NAME, VERSION, 15));
    app.get_problem(&other_path, 503).await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    locker.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(blocked.await.unwrap(), 200);
}

#[tokio::test]
async fn missing_litellm_table_is_503_naming_it() {
    let db = TestDb::create().await;
    db.client()
        .await
        .batch_execute(r#"DROP TABLE "LiteLLM_SpendLogs""#)
        .await
        .unwrap();
    let app = app_on(&db.url, |_| {}).await;
    for endpoint in AGENT_ENDPOINTS {
        let problem = app
            .get_problem(
                &format!("{endpoint}?{}", agent_query(NAME, VERSION, 7)),
                503,
            )
            .await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("LiteLLM_SpendLogs"),
            "{problem}"
        );
    }
    // The database itself is reachable.
    app.get_json("/health", 200).await;
}

#[tokio::test]
async fn nonexistent_database_is_503() {
    let url = with_database(&helpers::admin_url(), "la_test_no_such_database");
    let app = app_on(&url, |_| {}).await;
    app.get_problem(
        &format!("/analytics/agent?{}", agent_query(NAME, VERSION, 7)),
        503,
    )
    .await;
    app.get_problem("/health", 503).await;
}

#[tokio::test]
async fn writes_through_the_apps_pool_are_refused() {
    let db = TestDb::create().await;
    // Even a URL asking for read-write sessions gets read-only ones.
    let url = format!(
        "{}?options=-c%20default_transaction_read_only%3Doff",
        db.url
    );
    let mut settings = test_settings(&url);
    settings.db_statement_timeout = Duration::from_millis(1234);
    let pool = build_pool(&settings).unwrap();
    let client = pool.get().await.unwrap();

    let err = client
        .execute(
            r#"INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, "startTime", "endTime")
               VALUES ('w', 'acompletion', now(), now())"#,
            &[],
        )
        .await
        .expect_err("insert must be refused");
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION)
    );
    let err = client
        .batch_execute("CREATE TABLE sneaky (id int)")
        .await
        .expect_err("DDL must be refused");
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION)
    );

    let read_only: String = client
        .query_one("SHOW default_transaction_read_only", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(read_only, "on");
    let timeout: String = client
        .query_one("SHOW statement_timeout", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(timeout, "1234ms");
    assert_eq!(db.row_count().await, 0);
}
