//! GET /sessions/{session_id}: one session's requests in order, with their errors, on the
//! operations fixture (helpers/ops.rs).

use serde_json::{json, Value};

use crate::helpers::json;
use crate::helpers::ops::{self, PAY, V2};

#[tokio::test]
async fn session_detail_lists_requests_in_order_with_errors() {
    let app = ops::app().await;
    let body = app
        .get_json(&format!("/sessions/B?{}", ops::v2_day()), 200)
        .await;
    assert_eq!(body["session"]["session_id"], "B");
    assert_eq!(body["session"]["requests"], 2);
    assert_eq!(body["session"]["failed"], 1);
    assert_eq!(
        body["requests"],
        json!([
            {"timestamp": "2024-12-05T12:00:00Z", "request_id": "p03", "model": "gpt-4o-mini",
             "prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60, "spend": 0.0001,
             "duration_ms": 500.0, "status": "success", "error_class": null, "error_message": null},
            {"timestamp": "2024-12-05T13:00:00Z", "request_id": "p04", "model": "gpt-4o",
             "prompt_tokens": 60, "completion_tokens": 0, "total_tokens": 60, "spend": 0.0,
             "duration_ms": 0.0, "status": "failure", "error_class": "RateLimitError",
             "error_message": "Rate limit reached"}
        ])
    );

    // Paged: A has p01 p02 p08.
    let first = app
        .get_json(&format!("/sessions/A?{}&limit=2", ops::v2_day()), 200)
        .await;
    assert_eq!(json::ids(&first["requests"], "request_id"), ["p01", "p02"]);
    assert_eq!(first["requests"][1]["duration_ms"], 1800.0);
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = app
        .get_json(
            &format!("/sessions/A?{}&limit=2&cursor={cursor}", ops::v2_day()),
            200,
        )
        .await;
    assert_eq!(json::ids(&second["requests"], "request_id"), ["p08"]);
    assert_eq!(second["next_cursor"], Value::Null);
    // The session totals do not depend on the page.
    assert_eq!(second["session"]["requests"], 3);
}

#[tokio::test]
async fn unknown_session_is_404() {
    let app = ops::app().await;
    let problem = app
        .get_problem(&format!("/sessions/nope?{}", ops::v2_day()), 404)
        .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("nope"),
        "{problem}"
    );
    // D exists but only before the window.
    app.get_problem(&format!("/sessions/D?{}", ops::v2_day()), 404)
        .await;
    let d = app
        .get_json(
            &format!("/sessions/D?agent_name={PAY}&agent_version={V2}&days=2"),
            200,
        )
        .await;
    assert_eq!(d["session"]["spend"], 1.0);
}
