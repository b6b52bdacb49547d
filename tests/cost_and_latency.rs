//! Cost, reliability and latency: the additive fields of the summaries, daily spend, and
//! GET /latency, on the operations fixture (common/ops.rs holds the table the numbers come from).

mod common;

use common::ops::{self, PAY, V1};
use serde_json::{json, Value};

/// Keeps the named fields of an object, in that order.
fn pick(object: &Value, fields: &[&str]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|f| (f.to_string(), object[*f].clone()))
            .collect(),
    )
}

#[tokio::test]
async fn summary_carries_cost_reliability_and_cache_fields() {
    let (_db, app) = ops::app().await;
    let body = app
        .get_json(&format!("/analytics/agent?{}", ops::v2_day()), 200)
        .await;
    // p01 p02 p03 p04 p05 p06 p08 (p07 is one second before the window).
    assert_eq!(
        body["metrics"],
        json!({
            "total_sessions": 3,            // A, B, C
            "total_messages": 7,
            "avg_daily_messages": 7.0,
            "total_users": 3,               // alice, bob, carol
            "total_spend": 0.0128,          // .0015+.0030+.0001+0+.0075+.0002+.0005
            "successful_requests": 6,
            "failed_requests": 1,           // p04
            "error_rate": 0.1429,           // 1/7
            "cache_hits": 2,                // p02, p05
            "cached_prompt_tokens": 150     // 40+0+10+100
        })
    );

    let totals = app
        .get_json(&format!("/total-tokens?{}", ops::v2_day()), 200)
        .await;
    assert_eq!(
        pick(
            &totals,
            &[
                "total_prompt_tokens",
                "total_completion_tokens",
                "total_tokens",
                "total_cached_prompt_tokens",
                "total_spend",
                "total_messages"
            ]
        ),
        json!({
            "total_prompt_tokens": 840,     // 100+200+50+60+400+10+20
            "total_completion_tokens": 190, // 20+50+10+0+100+5+5
            "total_tokens": 1030,
            "total_cached_prompt_tokens": 150,
            "total_spend": 0.0128,
            "total_messages": 7
        })
    );
}

#[tokio::test]
async fn daily_tokens_carry_spend_cached_tokens_and_totals() {
    let (_db, app) = ops::app().await;
    let body = app
        .get_json(&format!("/tokens-usage?{}", ops::v2_day()), 200)
        .await;
    let days: Vec<Value> = body["daily_tokens"]
        .as_array()
        .expect("daily_tokens")
        .iter()
        .map(|d| {
            pick(
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
        .map(|d| pick(d, &["date", "sessions", "messages", "failed_requests"]))
        .collect();
    assert_eq!(
        points,
        vec![
            json!({"date": "2024-12-04", "sessions": 1, "messages": 2, "failed_requests": 0}),
            json!({"date": "2024-12-05", "sessions": 2, "messages": 5, "failed_requests": 1}),
        ]
    );
}

#[tokio::test]
async fn latency_percentiles_are_nearest_rank_over_the_window() {
    let (_db, app) = ops::app().await;
    let body = app
        .get_json(&format!("/latency?{}", ops::v2_day()), 200)
        .await;
    // Durations (ms): p04 0 (failed), p03 500, p08 600, p06 900 (request_duration_ms, not the
    // 800 of endTime), p01 1200, p02 1800 (request_duration_ms), p05 4000. Sum 9000, n 7.
    // Nearest rank: p50 = ⌈3.5⌉ = 4th = 900; p95 = ⌈6.65⌉ = 7th; p99 = 7th.
    assert_eq!(
        body["overall"]["duration"],
        json!({"count": 7, "avg_ms": 1285.714, "min_ms": 0.0, "max_ms": 4000.0,
               "p50_ms": 900.0, "p95_ms": 4000.0, "p99_ms": 4000.0})
    );
    // TTFT: p01 300, p03 100, p05 250. p02 is unstreamed (completionStartTime = endTime) and
    // does not count. p50 = ⌈1.5⌉ = 2nd = 250.
    assert_eq!(
        body["overall"]["ttft"],
        json!({"count": 3, "avg_ms": 216.667, "min_ms": 100.0, "max_ms": 300.0,
               "p50_ms": 250.0, "p95_ms": 300.0, "p99_ms": 300.0})
    );
    let buckets = body["buckets"].as_array().expect("buckets");
    assert_eq!(buckets.len(), 2);
    assert_eq!(buckets[0]["date"], "2024-12-04");
    // p05 4000, p06 900: p50 = 1st of 2 = 900.
    assert_eq!(
        buckets[0]["duration"],
        json!({"count": 2, "avg_ms": 2450.0, "min_ms": 900.0, "max_ms": 4000.0,
               "p50_ms": 900.0, "p95_ms": 4000.0, "p99_ms": 4000.0})
    );
    assert_eq!(buckets[0]["ttft"]["count"], 1);
    assert_eq!(buckets[0]["ttft"]["p50_ms"], 250.0);
    assert_eq!(buckets[1]["date"], "2024-12-05");
    // 0, 500, 600, 1200, 1800: p50 = 3rd = 600, p95 = ⌈4.75⌉ = 5th.
    assert_eq!(
        buckets[1]["duration"],
        json!({"count": 5, "avg_ms": 820.0, "min_ms": 0.0, "max_ms": 1800.0,
               "p50_ms": 600.0, "p95_ms": 1800.0, "p99_ms": 1800.0})
    );
    // 100, 300: p50 = 1st.
    assert_eq!(
        buckets[1]["ttft"],
        json!({"count": 2, "avg_ms": 200.0, "min_ms": 100.0, "max_ms": 300.0,
               "p50_ms": 100.0, "p95_ms": 300.0, "p99_ms": 300.0})
    );
}

#[tokio::test]
async fn latency_of_a_window_without_ttft_has_null_figures() {
    let (_db, app) = ops::app().await;
    // Version 1.0.0 on 12-05 only: q01 1000, q02 3000, q03 0 (failed); none streamed.
    let body = app
        .get_json(
            &format!(
                "/latency?agent_name={PAY}&agent_version={V1}&start=2024-12-05&end=2024-12-06"
            ),
            200,
        )
        .await;
    assert_eq!(body["overall"]["duration"]["count"], 3);
    assert_eq!(body["overall"]["duration"]["p50_ms"], 1000.0);
    assert_eq!(body["overall"]["duration"]["avg_ms"], 1333.333);
    assert_eq!(body["overall"]["ttft"]["count"], 0);
    assert_eq!(body["overall"]["ttft"]["p50_ms"], Value::Null);
}

#[tokio::test]
async fn latency_of_an_unknown_agent_is_404() {
    let (_db, app) = ops::app().await;
    app.get_problem(
        &format!("/latency?agent_name={PAY}&agent_version=9.9.9&days=1"),
        404,
    )
    .await;
}
