//! GET /health: 200 with a timestamp while the database answers (outages: database_failures,
//! faults; readiness and the rollup: rollup).

use crate::helpers::fixture;
use crate::helpers::TestApp;

#[tokio::test]
async fn health_is_200_with_a_timestamp_when_the_database_answers() {
    let app = TestApp::builder().now(fixture::now()).spawn().await;
    let body = app.get_json("/health", 200).await;
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["timestamp"], "2024-12-05T14:30:00Z");
}
