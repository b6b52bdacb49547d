//! GET /users: per-user totals and sorting on the operations fixture (helpers/ops.rs).

use serde_json::json;

use crate::helpers::json;
use crate::helpers::ops::{self};

#[tokio::test]
async fn users_carry_their_totals_and_sort() {
    let app = ops::app().await;
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
        assert_eq!(json::ids(&page["users"], "user_id"), expected, "{query}");
    }
}
