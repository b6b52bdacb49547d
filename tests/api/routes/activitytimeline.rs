//! GET /activitytimeline: one zero-filled entry per UTC date of the window (expected values worked
//! out by hand from helpers/fixture.rs). The twenty-day test checks /tokens-usage beside it.

use serde_json::{json, Value};

use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::json;
use crate::helpers::{agent_query, TestApp};

#[tokio::test]
async fn seven_day_timeline_has_eight_zero_filled_dates() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let body = app
        .get_json(
            &format!("/activitytimeline?{}", agent_query(NAME, VERSION, 7)),
            200,
        )
        .await;
    assert_eq!(body["agent_name"], NAME);
    assert_eq!(body["agent_version"], VERSION);
    assert_eq!(body["date_range"]["start_date"], "2024-11-28");
    assert_eq!(
        json::pick_each(&body["daily_sessions"], &json::SESSIONS),
        json!([
            {"date": "2024-11-28", "sessions": 1, "messages": 1}, // sb-09 (sb-10 is before the window)
            {"date": "2024-11-29", "sessions": 0, "messages": 0},
            {"date": "2024-11-30", "sessions": 0, "messages": 0},
            {"date": "2024-12-01", "sessions": 1, "messages": 1}, // sb-08
            {"date": "2024-12-02", "sessions": 0, "messages": 0},
            {"date": "2024-12-03", "sessions": 0, "messages": 1}, // sb-07 has no session id
            {"date": "2024-12-04", "sessions": 3, "messages": 3}, // sb-04 s2, sb-05 s7, sb-06 s8
            {"date": "2024-12-05", "sessions": 2, "messages": 3}, // sb-01/02 s1, sb-03 s2
        ])
    );
}

#[tokio::test]
async fn session_spanning_midnight_counts_on_both_dates() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    // s2: sb-04 at 12-04 23:59:59.500 and sb-03 at 12-05 00:00:00.500. With days=1 the window
    // starts 12-04 14:30, so 12-04 holds s2 and s7 (sb-06 at 14:29:59.999 is outside).
    let body = app
        .get_json(
            &format!("/activitytimeline?{}", agent_query(NAME, VERSION, 1)),
            200,
        )
        .await;
    assert_eq!(
        json::pick_each(&body["daily_sessions"], &json::SESSIONS),
        json!([
            {"date": "2024-12-04", "sessions": 2, "messages": 2},
            {"date": "2024-12-05", "sessions": 2, "messages": 3},
        ])
    );
    // The whole window still counts s2 once.
    let totals = app
        .get_json(
            &format!("/analytics/agent?{}", agent_query(NAME, VERSION, 1)),
            200,
        )
        .await;
    assert_eq!(totals["metrics"]["total_sessions"], 3);
}

#[tokio::test]
async fn every_days_value_gives_days_plus_one_dates_oldest_first() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    for (days, first) in [
        (1, "2024-12-04"),
        (2, "2024-12-03"),
        (7, "2024-11-28"),
        (15, "2024-11-20"),
        (20, "2024-11-15"),
    ] {
        for endpoint in ["activitytimeline", "tokens-usage"] {
            let body = app
                .get_json(
                    &format!("/{endpoint}?{}", agent_query(NAME, VERSION, days)),
                    200,
                )
                .await;
            let key = if endpoint == "activitytimeline" {
                "daily_sessions"
            } else {
                "daily_tokens"
            };
            let listed = json::dates(&body[key]);
            assert_eq!(listed.len(), days as usize + 1, "{endpoint} days={days}");
            assert_eq!(listed[0], first, "{endpoint} days={days}");
            assert_eq!(listed.last().unwrap(), "2024-12-05");
            let mut sorted = listed.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, listed, "{endpoint}: dates unique and ascending");
        }
    }
}

#[tokio::test]
async fn twenty_day_series_count_only_rows_inside_the_window() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let sessions = app
        .get_json(
            &format!("/activitytimeline?{}", agent_query(NAME, VERSION, 20)),
            200,
        )
        .await;
    let tokens = app
        .get_json(
            &format!("/tokens-usage?{}", agent_query(NAME, VERSION, 20)),
            200,
        )
        .await;
    let day = |list: &Value, date: &str| -> Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|e| e["date"] == date)
            .cloned()
            .unwrap_or_else(|| panic!("{date} missing"))
    };
    let sessions =
        json!({"daily_sessions": json::pick_each(&sessions["daily_sessions"], &json::SESSIONS)});
    let tokens = json!({"daily_tokens": json::pick_each(&tokens["daily_tokens"], &json::TOKENS)});
    // 11-15: sb-13 at 14:29:59 is one second before the window start.
    assert_eq!(
        day(&sessions["daily_sessions"], "2024-11-15"),
        json!({"date": "2024-11-15", "sessions": 0, "messages": 0})
    );
    assert_eq!(
        day(&sessions["daily_sessions"], "2024-11-20"),
        json!({"date": "2024-11-20", "sessions": 1, "messages": 1})
    );
    // 11-28: sb-09 (s4) and sb-10 (s5) are both inside a 20-day window.
    assert_eq!(
        day(&sessions["daily_sessions"], "2024-11-28"),
        json!({"date": "2024-11-28", "sessions": 2, "messages": 2})
    );
    assert_eq!(
        day(&tokens["daily_tokens"], "2024-11-28"),
        json!({"date": "2024-11-28", "prompt_tokens": 1010, "completion_tokens": 1005})
    );
    let total_prompt: i64 = tokens["daily_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["prompt_tokens"].as_i64().unwrap())
        .sum();
    assert_eq!(total_prompt, 2284);
}
