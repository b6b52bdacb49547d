//! GET /health, /health/live and /health/ready: liveness never touches the database, readiness and
//! /health do (outages: database_failures, faults; readiness while the rollup loads: rollup).

use crate::helpers::fixture;
use crate::helpers::TestApp;

#[tokio::test]
async fn health_is_200_with_a_timestamp_when_the_database_answers() {
    let app = TestApp::builder().now(fixture::now()).spawn().await;
    let body = app.get_json("/health", 200).await;
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["timestamp"], "2024-12-05T14:30:00Z");
}

#[tokio::test]
async fn liveness_never_touches_the_database_but_readiness_does() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let app = TestApp::builder()
        .database_url(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        .now(fixture::now())
        .spawn()
        .await;
    let live = app.get_json("/health/live", 200).await;
    assert_eq!(live["status"], "alive");
    app.get_problem("/health/ready", 503).await;
    app.get_problem("/health", 503).await;

    let up = TestApp::builder().now(fixture::now()).spawn().await;
    up.wait_for_status("/health/ready", 200).await;
    assert_eq!(up.get_json("/health/ready", 200).await["status"], "ready");
    assert_eq!(up.get_json("/health", 200).await["status"], "healthy");
}
