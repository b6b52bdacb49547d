//! GET /tokens-usage: daily tokens, spend and cached tokens per UTC date, worked out by hand from
//! helpers/fixture.rs and helpers/ops.rs.

use serde_json::{json, Value};

use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::json;
use crate::helpers::ops;
use crate::helpers::{agent_query, TestApp};

#[tokio::test]
async fn seven_day_tokens_per_date() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let body = app
        .get_json(
            &format!("/tokens-usage?{}", agent_query(NAME, VERSION, 7)),
            200,
        )
        .await;
    assert_eq!(body["date_range"]["end_date"], "2024-12-05");
    assert_eq!(
        json::pick_each(&body["daily_tokens"], &json::TOKENS),
        json!([
            {"date": "2024-11-28", "prompt_tokens": 10, "completion_tokens": 5},
            {"date": "2024-11-29", "prompt_tokens": 0, "completion_tokens": 0},
            {"date": "2024-11-30", "prompt_tokens": 0, "completion_tokens": 0},
            {"date": "2024-12-01", "prompt_tokens": 300, "completion_tokens": 100},
            {"date": "2024-12-02", "prompt_tokens": 0, "completion_tokens": 0},
            {"date": "2024-12-03", "prompt_tokens": 40, "completion_tokens": 8},
            {"date": "2024-12-04", "prompt_tokens": 74, "completion_tokens": 14}, // sb-04 + 05 + 06
            {"date": "2024-12-05", "prompt_tokens": 360, "completion_tokens": 60}, // sb-01 + 02 + 03
        ])
    );
}

#[tokio::test]
async fn daily_tokens_carry_spend_cached_tokens_and_totals() {
    let app = ops::app().await;
    let body = app
        .get_json(&format!("/tokens-usage?{}", ops::v2_day()), 200)
        .await;
    let days: Vec<Value> = body["daily_tokens"]
        .as_array()
        .expect("daily_tokens")
        .iter()
        .map(|d| {
            json::pick(
                d,
                &[
                    "date",
                    "prompt_tokens",
                    "completion_tokens",
                    "total_tokens",
                    "cached_prompt_tokens",
                    "spend",
                    "messages",
                ],
            )
        })
        .collect();
    assert_eq!(
        days,
        vec![
            // p05 p06
            json!({"date": "2024-12-04", "prompt_tokens": 410, "completion_tokens": 105,
                   "total_tokens": 515, "cached_prompt_tokens": 100, "spend": 0.0077, "messages": 2}),
            // p01 p02 p03 p04 p08
            json!({"date": "2024-12-05", "prompt_tokens": 430, "completion_tokens": 85,
                   "total_tokens": 515, "cached_prompt_tokens": 50, "spend": 0.0051, "messages": 5}),
        ]
    );

    let timeline = app
        .get_json(&format!("/activitytimeline?{}", ops::v2_day()), 200)
        .await;
    let points: Vec<Value> = timeline["daily_sessions"]
        .as_array()
        .expect("daily_sessions")
        .iter()
        .map(|d| json::pick(d, &["date", "sessions", "messages", "failed_requests"]))
        .collect();
    assert_eq!(
        points,
        vec![
            json!({"date": "2024-12-04", "sessions": 1, "messages": 2, "failed_requests": 0}),
            json!({"date": "2024-12-05", "sessions": 2, "messages": 5, "failed_requests": 1}),
        ]
    );
}
