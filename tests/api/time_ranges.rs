//! start/end, tz and granularity on the agent endpoints, across the end of US daylight saving
//! time (America/New_York, 2024-11-03: 02:00 EDT → 01:00 EST, i.e. 06:00 UTC), and the anomaly
//! flags of the daily series.

use serde_json::{json, Value};

use crate::helpers;
use crate::helpers::{enc, ts, Agent, Place, Row, TestApp};

const TZ_BOT: &str = "agent_name=tz-bot&agent_version=1";

/// One request per row, each its own session, at these UTC times.
fn tz_rows() -> Vec<Row> {
    [
        ("t0", "2024-11-01 04:00:00"),  // NY 11-01 00:00 EDT
        ("t1", "2024-11-02 03:30:00"),  // NY 11-01 23:30 EDT
        ("t2", "2024-11-02 04:30:00"),  // NY 11-02 00:30 EDT
        ("t3", "2024-11-03 03:59:00"),  // NY 11-02 23:59 EDT
        ("t4", "2024-11-03 04:30:00"),  // NY 11-03 00:30 EDT
        ("t7", "2024-11-03 05:10:00"),  // NY 11-03 01:10 EDT (the first 1 am)
        ("t8", "2024-11-03 06:10:00"),  // NY 11-03 01:10 EST (the second 1 am)
        ("t9", "2024-11-03 06:20:00"),  // NY 11-03 01:20 EST
        ("t5", "2024-11-04 04:30:00"),  // NY 11-03 23:30 EST
        ("t6", "2024-11-04 05:30:00"),  // NY 11-04 00:30 EST
        ("t10", "2024-11-05 05:00:00"), // NY 11-05 00:00 EST: the exclusive end
    ]
    .into_iter()
    .map(|(id, at)| {
        Row::new(id, ts(at))
            .agent(
                Place::SpendLogsMetadata,
                Agent::new("tz-bot", "1").session(id).user("u"),
            )
            .tokens(10, 1)
    })
    .collect()
}

async fn app_with(rows: &[Row]) -> TestApp {
    TestApp::builder()
        .rows(rows)
        .now(ts("2024-11-20 12:00:00"))
        .spawn()
        .await
}

/// (date, bucket_start, messages) of each timeline point.
fn points(body: &Value) -> Vec<(String, String, i64)> {
    body["daily_sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("no series: {body}"))
        .iter()
        .map(|p| {
            (
                p["date"].as_str().unwrap().to_string(),
                p["bucket_start"].as_str().unwrap().to_string(),
                p["messages"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn owned(expected: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    expected
        .iter()
        .map(|(d, b, n)| (d.to_string(), b.to_string(), *n))
        .collect()
}

#[tokio::test]
async fn daily_buckets_follow_the_new_york_calendar_across_the_dst_change() {
    let app = app_with(&tz_rows()).await;
    let tz = enc("America/New_York");
    let body = app
        .get_json(
            &format!("/activitytimeline?{TZ_BOT}&start=2024-11-01&end=2024-11-05&tz={tz}"),
            200,
        )
        .await;
    assert_eq!(
        points(&body),
        owned(&[
            ("2024-11-01", "2024-11-01T00:00:00-04:00", 2), // t0 t1
            ("2024-11-02", "2024-11-02T00:00:00-04:00", 2), // t2 t3
            ("2024-11-03", "2024-11-03T00:00:00-04:00", 5), // 25 hours: t4 t7 t8 t9 t5
            ("2024-11-04", "2024-11-04T00:00:00-05:00", 1), // t6; t10 is the exclusive end
        ])
    );
    assert_eq!(body["date_range"]["time_zone"], "America/New_York");
    assert_eq!(body["date_range"]["window_start"], "2024-11-01T04:00:00Z");
    assert_eq!(body["date_range"]["window_end"], "2024-11-05T05:00:00Z");

    let total = app
        .get_json(
            &format!("/analytics/agent?{TZ_BOT}&start=2024-11-01&end=2024-11-05&tz={tz}"),
            200,
        )
        .await;
    assert_eq!(total["metrics"]["total_messages"], 10);

    // The same range in UTC splits the rows differently.
    let utc = app
        .get_json(
            &format!("/activitytimeline?{TZ_BOT}&start=2024-11-01&end=2024-11-05"),
            200,
        )
        .await;
    let messages: Vec<i64> = points(&utc).into_iter().map(|p| p.2).collect();
    assert_eq!(messages, [1, 2, 5, 2]);
}

#[tokio::test]
async fn hourly_buckets_repeat_the_one_am_hour_when_clocks_go_back() {
    let app = app_with(&tz_rows()).await;
    let body = app
        .get_json(
            &format!(
                "/activitytimeline?{TZ_BOT}&start={}&end={}&tz={}&granularity=hour",
                enc("2024-11-03T05:00:00Z"),
                enc("2024-11-03T08:00:00Z"),
                enc("America/New_York")
            ),
            200,
        )
        .await;
    assert_eq!(
        points(&body),
        owned(&[
            ("2024-11-03", "2024-11-03T01:00:00-04:00", 1), // t7
            ("2024-11-03", "2024-11-03T01:00:00-05:00", 2), // t8 t9
            ("2024-11-03", "2024-11-03T02:00:00-05:00", 0),
        ])
    );
}

#[tokio::test]
async fn weekly_buckets_start_on_monday() {
    let app = app_with(&tz_rows()).await;
    let body = app
        .get_json(
            &format!(
                "/tokens-usage?{TZ_BOT}&start=2024-11-01&end=2024-11-05&tz={}&granularity=week",
                enc("America/New_York")
            ),
            200,
        )
        .await;
    let weeks: Vec<(Value, Value, Value)> = body["daily_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["date"].clone(),
                p["messages"].clone(),
                p["prompt_tokens"].clone(),
            )
        })
        .collect();
    assert_eq!(
        weeks,
        vec![
            // Monday 10-28 to Sunday 11-03 (NY): all but t6 and t10.
            (json!("2024-10-28"), json!(9), json!(90)),
            (json!("2024-11-04"), json!(1), json!(10)),
        ]
    );
}

#[tokio::test]
async fn rfc3339_bounds_with_offsets_are_exact() {
    let app = app_with(&tz_rows()).await;
    // [t4, t8): t4 t7 — the end is exclusive, the start inclusive.
    let body = app
        .get_json(
            &format!(
                "/total-tokens?{TZ_BOT}&start={}&end={}",
                enc("2024-11-03T00:30:00-04:00"),
                enc("2024-11-03T06:10:00Z")
            ),
            200,
        )
        .await;
    assert_eq!(body["total_messages"], 2);
    assert_eq!(body["total_prompt_tokens"], 20);
}

#[tokio::test]
async fn bad_ranges_are_422_naming_the_parameter() {
    let app = app_with(&tz_rows()).await;
    // Combinations of well-formed values are windows (range.rs tests each); only malformed
    // values are mistakes.
    for (query, param) in [
        ("start=2024-13-01&end=2024-11-02", "start"),
        ("start=2024-11-01&end=2024-02-30", "end"),
        ("start=yesterday&end=2024-11-02", "start"),
        ("days=1&tz=Mars%2FOlympus", "tz"),
        ("days=1&granularity=month", "granularity"),
    ] {
        let problem = app
            .get_problem(&format!("/activitytimeline?{TZ_BOT}&{query}"), 422)
            .await;
        let names = helpers::invalid_param_names(&problem);
        assert!(names.iter().any(|n| n == param), "{query}: {problem}");
    }
}

/// spiky-bot over 2024-11-01..11-10, one request (and session) per row, 10 prompt tokens each.
fn spiky_rows() -> Vec<Row> {
    let per_day = [10, 11, 9, 10, 12, 10, 9, 40, 11, 0];
    let mut rows = Vec::new();
    for (day, &n) in per_day.iter().enumerate() {
        for i in 0..n {
            let id = format!("d{day}-{i}");
            let at = ts(&format!("2024-11-{:02} 10:{:02}:00", day + 1, i));
            let mut row = Row::new(&id, at)
                .agent(
                    Place::SpendLogsMetadata,
                    Agent::new("spiky-bot", "1").session(&id).user("u"),
                )
                .tokens(10, 0);
            // Day 9: 5 of its 11 requests fail; no other day has failures.
            if day == 8 && i < 5 {
                row = row.failed();
            }
            rows.push(row);
        }
    }
    rows
}

#[tokio::test]
async fn anomalies_flag_spikes_and_drops_against_the_previous_seven_days() {
    let app = app_with(&spiky_rows()).await;
    let q = "agent_name=spiky-bot&agent_version=1&start=2024-11-01&end=2024-11-11";
    let timeline = app.get_json(&format!("/activitytimeline?{q}"), 200).await;
    let flags: Vec<(Value, Value, Value)> = timeline["daily_sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["sessions"].clone(),
                p["anomaly"].clone(),
                p["error_anomaly"].clone(),
            )
        })
        .collect();
    // Day 8: median 10, MAD 1 of the 7 before → z = 0.6745·30 ≈ 20: spike. Day 9 (11) is
    // normal. Day 10 (0): median 10, MAD 1 → z ≈ −6.7: drop.
    // Errors: day 9 has 5 after seven days of 0: MAD 0, but a baseline without 5 non-zero points
    // is no steady level (the run-of-zeros rule), so nothing is flagged.
    let null = Value::Null;
    assert_eq!(
        flags,
        vec![
            (json!(10), null.clone(), null.clone()),
            (json!(11), null.clone(), null.clone()),
            (json!(9), null.clone(), null.clone()),
            (json!(10), null.clone(), null.clone()),
            (json!(12), null.clone(), null.clone()),
            (json!(10), null.clone(), null.clone()),
            (json!(9), null.clone(), null.clone()),
            (json!(40), json!("spike"), null.clone()),
            (json!(11), null.clone(), null.clone()),
            (json!(0), json!("drop"), null.clone()),
        ]
    );
    let tokens = app.get_json(&format!("/tokens-usage?{q}"), 200).await;
    let token_flags: Vec<Value> = tokens["daily_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["anomaly"].clone())
        .collect();
    let mut expected = vec![Value::Null; 10];
    expected[7] = json!("spike");
    expected[9] = json!("drop");
    assert_eq!(token_flags, expected);
}
