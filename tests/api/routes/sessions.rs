//! GET /sessions: per-session totals, sorting, filtering and paging on the operations fixture
//! (helpers/ops.rs holds the table the numbers come from).

use litellm_analytics::config::SessionSource;
use serde_json::{json, Value};

use crate::helpers;
use crate::helpers::json;
use crate::helpers::ops::{self};
use crate::helpers::TestApp;

#[tokio::test]
async fn sessions_carry_their_totals() {
    let app = ops::app().await;
    let body = app
        .get_json(&format!("/sessions?{}", ops::v2_day()), 200)
        .await;
    assert_eq!(body["sort"], "last_seen");
    assert_eq!(body["order"], "desc");
    assert_eq!(body["next_cursor"], Value::Null);
    assert_eq!(
        body["sessions"],
        json!([
            {   // p03 p04
                "session_id": "B", "user_id": "bob",
                "first_seen": "2024-12-05T12:00:00Z", "last_seen": "2024-12-05T13:00:00Z",
                "requests": 2, "successful": 1, "failed": 1,
                "prompt_tokens": 110, "completion_tokens": 10, "total_tokens": 120,
                "spend": 0.0001, "total_duration_ms": 500.0, "avg_duration_ms": 250.0,
                "requests_with_tools": 1,               // p03's MCP tool
                "models": ["gpt-4o", "gpt-4o-mini"]
            },
            {   // p01 p02 p08
                "session_id": "A", "user_id": "alice",
                "first_seen": "2024-12-05T10:00:00Z", "last_seen": "2024-12-05T11:30:00Z",
                "requests": 3, "successful": 3, "failed": 0,
                "prompt_tokens": 320, "completion_tokens": 75, "total_tokens": 395,
                "spend": 0.005, "total_duration_ms": 3600.0, "avg_duration_ms": 1200.0,
                "requests_with_tools": 1,               // p02's tool call
                "models": ["gpt-4o"]
            },
            {   // p05 (alice) p06 (carol): the user is the latest request's
                "session_id": "C", "user_id": "carol",
                "first_seen": "2024-12-04T20:00:00Z", "last_seen": "2024-12-04T21:00:00Z",
                "requests": 2, "successful": 2, "failed": 0,
                "prompt_tokens": 410, "completion_tokens": 105, "total_tokens": 515,
                "spend": 0.0077, "total_duration_ms": 4900.0, "avg_duration_ms": 2450.0,
                "requests_with_tools": 0,
                "models": ["claude-3-5-sonnet", "gpt-4o"]
            }
        ])
    );
}

#[tokio::test]
async fn sessions_sort_filter_and_page() {
    let app = ops::app().await;
    let base = format!("/sessions?{}", ops::v2_day());
    for (query, expected) in [
        ("sort=spend", ["C", "A", "B"]),
        ("sort=spend&order=asc", ["B", "A", "C"]),
        ("sort=duration", ["C", "A", "B"]),
        ("sort=requests", ["A", "C", "B"]), // 3, then the tie C/B (2) by id descending
        ("sort=requests&order=asc", ["B", "C", "A"]),
        ("sort=last_seen&order=asc", ["C", "A", "B"]),
    ] {
        let body = app.get_json(&format!("{base}&{query}"), 200).await;
        assert_eq!(
            json::ids(&body["sessions"], "session_id"),
            expected,
            "{query}"
        );
    }

    let alice = app.get_json(&format!("{base}&user=alice"), 200).await;
    assert_eq!(json::ids(&alice["sessions"], "session_id"), ["A"]);
    let carol = app.get_json(&format!("{base}&user=carol"), 200).await;
    assert_eq!(json::ids(&carol["sessions"], "session_id"), ["C"]);
    let nobody = app.get_json(&format!("{base}&user=zed"), 200).await;
    assert_eq!(nobody["sessions"], json!([]));

    // Pages of one, by spend: C, A, B, then no cursor.
    let mut seen = Vec::new();
    let mut url = format!("{base}&sort=spend&limit=1");
    loop {
        let page = app.get_json(&url, 200).await;
        seen.extend(json::ids(&page["sessions"], "session_id"));
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("{base}&sort=spend&limit=1&cursor={cursor}"),
            None => break,
        }
        assert!(seen.len() <= 3, "paging does not end: {seen:?}");
    }
    assert_eq!(seen, ["C", "A", "B"]);
}

#[tokio::test]
async fn litellm_session_ids_when_configured() {
    let app = TestApp::builder()
        .rows(&ops::all_rows())
        .settings(|s| {
            s.session_source = SessionSource::Litellm;
        })
        .now(ops::now())
        .spawn()
        .await;
    // ls-1 (p01 p02), ls-2 (p03), and one random id each for p04 p05 p06 p08.
    let body = app
        .get_json(&format!("/sessions?{}", ops::v2_day()), 200)
        .await;
    assert_eq!(body["sessions"].as_array().unwrap().len(), 6);
    let summary = app
        .get_json(&format!("/analytics/agent?{}", ops::v2_day()), 200)
        .await;
    assert_eq!(summary["metrics"]["total_sessions"], 6);
    let one = app
        .get_json(&format!("/sessions/ls-1?{}", ops::v2_day()), 200)
        .await;
    assert_eq!(json::ids(&one["requests"], "request_id"), ["p01", "p02"]);
    assert_eq!(one["session"]["spend"], 0.0045);
}

#[tokio::test]
async fn bad_sort_order_and_user_are_422_naming_the_parameter() {
    let app = ops::app().await;
    // An empty `user=` counts as absent (api_contract); an over-long one is a mistake.
    let long_user = format!("user={}", "u".repeat(257));
    for (path, query, param) in [
        ("/sessions", "sort=sessions", "sort"),
        ("/sessions", "order=up", "order"),
        ("/sessions", "limit=0", "limit"),
        ("/sessions", "cursor=garbage", "cursor"),
        ("/sessions", long_user.as_str(), "user"),
        ("/users", "sort=duration", "sort"),
        ("/users", "limit=1001", "limit"),
    ] {
        let problem = app
            .get_problem(&format!("{path}?{}&{query}", ops::v2_day()), 422)
            .await;
        let names = helpers::invalid_param_names(&problem);
        assert_eq!(names, [param], "{path}?{query}: {problem}");
    }
}
