//! GET /sessions, GET /sessions/{session_id} and GET /users on the operations fixture
//! (common/ops.rs holds the table the numbers come from).

mod common;

use common::ops::{self, PAY, V2};
use common::{spawn_app_with, test_settings, TestDb};
use litellm_analytics::config::SessionSource;
use serde_json::{json, Value};

fn ids(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|s| s[field].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn sessions_carry_their_totals() {
    let (_db, app) = ops::app().await;
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
    let (_db, app) = ops::app().await;
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
        assert_eq!(ids(&body["sessions"], "session_id"), expected, "{query}");
    }

    let alice = app.get_json(&format!("{base}&user=alice"), 200).await;
    assert_eq!(ids(&alice["sessions"], "session_id"), ["A"]);
    let carol = app.get_json(&format!("{base}&user=carol"), 200).await;
    assert_eq!(ids(&carol["sessions"], "session_id"), ["C"]);
    let nobody = app.get_json(&format!("{base}&user=zed"), 200).await;
    assert_eq!(nobody["sessions"], json!([]));

    // Pages of one, by spend: C, A, B, then no cursor.
    let mut seen = Vec::new();
    let mut url = format!("{base}&sort=spend&limit=1");
    loop {
        let page = app.get_json(&url, 200).await;
        seen.extend(ids(&page["sessions"], "session_id"));
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("{base}&sort=spend&limit=1&cursor={cursor}"),
            None => break,
        }
        assert!(seen.len() <= 3, "paging does not end: {seen:?}");
    }
    assert_eq!(seen, ["C", "A", "B"]);
}

#[tokio::test]
async fn session_detail_lists_requests_in_order_with_errors() {
    let (_db, app) = ops::app().await;
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
    assert_eq!(ids(&first["requests"], "request_id"), ["p01", "p02"]);
    assert_eq!(first["requests"][1]["duration_ms"], 1800.0);
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = app
        .get_json(
            &format!("/sessions/A?{}&limit=2&cursor={cursor}", ops::v2_day()),
            200,
        )
        .await;
    assert_eq!(ids(&second["requests"], "request_id"), ["p08"]);
    assert_eq!(second["next_cursor"], Value::Null);
    // The session totals do not depend on the page.
    assert_eq!(second["session"]["requests"], 3);
}

#[tokio::test]
async fn unknown_session_is_404() {
    let (_db, app) = ops::app().await;
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

#[tokio::test]
async fn litellm_session_ids_when_configured() {
    let db = TestDb::create().await;
    db.insert(&ops::all_rows()).await;
    let mut settings = test_settings(&db.url);
    settings.session_source = SessionSource::Litellm;
    let app = spawn_app_with(settings, common::pinned(ops::now())).await;
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
    assert_eq!(ids(&one["requests"], "request_id"), ["p01", "p02"]);
    assert_eq!(one["session"]["spend"], 0.0045);
}

#[tokio::test]
async fn users_carry_their_totals_and_sort() {
    let (_db, app) = ops::app().await;
    let body = app
        .get_json(&format!("/users?{}", ops::v2_day()), 200)
        .await;
    assert_eq!(
        body["users"],
        json!([
            {"user_id": "bob", "sessions": 1, "requests": 2, "failed": 1,
             "prompt_tokens": 110, "completion_tokens": 10, "total_tokens": 120, "spend": 0.0001,
             "first_seen": "2024-12-05T12:00:00Z", "last_seen": "2024-12-05T13:00:00Z"},
            // p05 (session C) p01 p02 p08 (session A)
            {"user_id": "alice", "sessions": 2, "requests": 4, "failed": 0,
             "prompt_tokens": 720, "completion_tokens": 175, "total_tokens": 895, "spend": 0.0125,
             "first_seen": "2024-12-04T20:00:00Z", "last_seen": "2024-12-05T11:30:00Z"},
            {"user_id": "carol", "sessions": 1, "requests": 1, "failed": 0,
             "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "spend": 0.0002,
             "first_seen": "2024-12-04T21:00:00Z", "last_seen": "2024-12-04T21:00:00Z"}
        ])
    );
    for (query, expected) in [
        ("sort=spend", ["alice", "carol", "bob"]),
        ("sort=sessions", ["alice", "carol", "bob"]), // 2, then the tie by id descending
        ("sort=requests&order=asc", ["carol", "bob", "alice"]),
    ] {
        let page = app
            .get_json(&format!("/users?{}&{query}", ops::v2_day()), 200)
            .await;
        assert_eq!(ids(&page["users"], "user_id"), expected, "{query}");
    }
}

#[tokio::test]
async fn bad_sort_order_and_user_are_422_naming_the_parameter() {
    let (_db, app) = ops::app().await;
    // An empty `user=` counts as absent (tests/api_contract.rs); an over-long one is a mistake.
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
        let names = common::invalid_param_names(&problem);
        assert_eq!(names, [param], "{path}?{query}: {problem}");
    }
}
