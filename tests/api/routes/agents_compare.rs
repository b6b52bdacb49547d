//! GET /agents/compare: versions side by side, relative to the first, on the operations fixture
//! (helpers/ops.rs).

use serde_json::{json, Value};

use crate::helpers;
use crate::helpers::ops::{self, PAY, V1, V2};

#[tokio::test]
async fn compare_puts_versions_side_by_side_relative_to_the_first() {
    let app = ops::app().await;
    let body = app
        .get_json(
            &format!("/agents/compare?agent_name={PAY}&versions={V1},{V2}&days=1"),
            200,
        )
        .await;
    assert_eq!(body["agent_name"], PAY);
    let versions = body["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    let (v1, v2) = (&versions[0], &versions[1]);

    // 1.0.0: q01 1000 ms, q02 3000, q03 failed (0), q04 2000 ttft 400. Durations sorted
    // 0 1000 2000 3000: p50 = 2nd = 1000, p95 = p99 = 4th = 3000.
    let expected_v1 = json!({
        "agent_version": V1, "requests": 4, "sessions": 2, "users": 2,
        "successful_requests": 3, "failed_requests": 1, "error_rate": 0.25,
        "total_spend": 0.004, "spend_per_request": 0.001,
        "prompt_tokens": 400, "completion_tokens": 50, "total_tokens": 450,
        "latency_p50_ms": 1000.0, "latency_p95_ms": 3000.0, "latency_p99_ms": 3000.0,
        "ttft_p50_ms": 400.0
    });
    for (field, value) in expected_v1.as_object().unwrap() {
        assert_eq!(&v1[field], value, "1.0.0 {field}: {v1}");
    }
    // The baseline against itself.
    assert_eq!(v1["relative_to_first"]["requests"], json!(0.0), "{v1}");
    assert_eq!(
        v1["relative_to_first"]["latency_p95_ms"],
        json!(0.0),
        "{v1}"
    );

    let expected_v2 = json!({
        "agent_version": V2, "requests": 7, "sessions": 3, "users": 3,
        "successful_requests": 6, "failed_requests": 1, "error_rate": 0.1429,
        "total_spend": 0.0128, "spend_per_request": 0.001828571,
        "prompt_tokens": 840, "completion_tokens": 190, "total_tokens": 1030,
        "latency_p50_ms": 900.0, "latency_p95_ms": 4000.0, "latency_p99_ms": 4000.0,
        "ttft_p50_ms": 250.0
    });
    for (field, value) in expected_v2.as_object().unwrap() {
        assert_eq!(&v2[field], value, "2.0.0 {field}: {v2}");
    }
    // (2.0.0 − 1.0.0) / 1.0.0, from the unrounded figures, to 4 places.
    let relative = &v2["relative_to_first"];
    for (field, value) in [
        ("requests", 0.75),            // 7 vs 4
        ("sessions", 0.5),             // 3 vs 2
        ("users", 0.5),                // 3 vs 2
        ("error_rate", -0.4286),       // 1/7 vs 1/4
        ("total_spend", 2.2),          // 0.0128 vs 0.004
        ("spend_per_request", 0.8286), // 0.0128/7 vs 0.001
        ("total_tokens", 1.2889),      // 1030 vs 450
        ("latency_p50_ms", -0.1),      // 900 vs 1000
        ("latency_p95_ms", 0.3333),    // 4000 vs 3000
        ("latency_p99_ms", 0.3333),
        ("ttft_p50_ms", -0.375), // 250 vs 400
    ] {
        assert_eq!(relative[field], json!(value), "{field}: {relative}");
    }
}

#[tokio::test]
async fn compare_shows_a_version_without_requests_with_nulls() {
    let app = ops::app().await;
    let body = app
        .get_json(
            &format!("/agents/compare?agent_name={PAY}&versions={V2},9.9.9&days=1"),
            200,
        )
        .await;
    let absent = &body["versions"][1];
    assert_eq!(absent["agent_version"], "9.9.9");
    assert_eq!(absent["requests"], 0);
    assert_eq!(absent["latency_p50_ms"], Value::Null);
    assert_eq!(absent["spend_per_request"], Value::Null);
    // A rate of no requests is unknown, not 0 %.
    assert_eq!(absent["error_rate"], Value::Null);
    // −100 % requests against 2.0.0; a ratio with no latency has nothing to compare.
    assert_eq!(absent["relative_to_first"]["requests"], json!(-1.0));
    assert_eq!(absent["relative_to_first"]["latency_p50_ms"], Value::Null);
}

#[tokio::test]
async fn compare_rejects_bad_input_naming_the_parameter() {
    let app = ops::app().await;
    for (query, param) in [
        (format!("versions={V1},{V2}&days=1"), "agent_name"),
        (format!("agent_name={PAY}&days=1"), "versions"),
        (format!("agent_name={PAY}&versions=&days=1"), "versions"),
        (
            format!("agent_name={PAY}&versions=1,2,3,4,5,6,7,8,9,10,11&days=1"),
            "versions",
        ),
        (format!("agent_name={PAY}&versions={V1}&days=3"), "days"),
    ] {
        let problem = app
            .get_problem(&format!("/agents/compare?{query}"), 422)
            .await;
        let names = helpers::invalid_param_names(&problem);
        assert_eq!(names, [param], "{query}: {problem}");
    }
    // A version listed twice is compared once (a schema cannot forbid the repeat).
    let body = app
        .get_json(
            &format!("/agents/compare?agent_name={PAY}&versions={V1},{V1}&days=1"),
            200,
        )
        .await;
    assert_eq!(body["versions"].as_array().map(Vec::len), Some(1), "{body}");
    let problem = app.get_problem("/agents?days=5", 422).await;
    assert_eq!(problem["invalid_params"][0]["name"], "days", "{problem}");
}
