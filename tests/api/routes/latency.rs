//! GET /latency: nearest-rank duration and time-to-first-token percentiles, worked out by hand
//! from the operations fixture (helpers/ops.rs).

use serde_json::{json, Value};

use crate::helpers::ops::{self, PAY, V1};

#[tokio::test]
async fn latency_percentiles_are_nearest_rank_over_the_window() {
    let app = ops::app().await;
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
    let app = ops::app().await;
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
    let app = ops::app().await;
    app.get_problem(
        &format!("/latency?agent_name={PAY}&agent_version=9.9.9&days=1"),
        404,
    )
    .await;
}
