//! GET /analytics/agent: the summary metrics, worked out by hand from the main fixture
//! (helpers/fixture.rs) and, for cost, reliability and cache fields, from the operations fixture
//! (helpers/ops.rs).

use serde_json::{json, Value};

use crate::helpers;
use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::json;
use crate::helpers::ops;
use crate::helpers::{agent_query, TestApp, TestDb};

/// The four metrics the spec defines (the later ones are checked on the operations fixture below).
fn spec_metrics(body: &Value) -> Value {
    let m = &body["metrics"];
    json!({
        "total_sessions": m["total_sessions"],
        "total_messages": m["total_messages"],
        "avg_daily_messages": m["avg_daily_messages"],
        "total_users": m["total_users"],
    })
}

#[tokio::test]
async fn agent_metrics_match_the_fixture_for_every_days_value() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;

    // (days, messages, sessions, users, avg_daily_messages, start_date)
    let expected = [
        // sb-01..05; sessions s1 s2 s7; users u1 u2
        (1, 5, 3, 2, 5.0, "2024-12-04"),
        // + sb-06 (s8, u6)
        (2, 6, 4, 3, 3.0, "2024-12-03"),
        // + sb-07 (no ids), sb-08 (s3, u1), sb-09 (s4, u3); 9 / 7 = 1.2857
        (7, 9, 6, 4, 1.29, "2024-11-28"),
        // + sb-10 (s5, u4); 10 / 15 = 0.667
        (15, 10, 7, 5, 0.67, "2024-11-20"),
        // + sb-11 (s6, u5); 11 / 20
        (20, 11, 8, 6, 0.55, "2024-11-15"),
    ];
    for (days, messages, sessions, users, avg, start_date) in expected {
        let body = app
            .get_json(
                &format!("/analytics/agent?{}", agent_query(NAME, VERSION, days)),
                200,
            )
            .await;
        assert_eq!(body["agent_name"], NAME);
        assert_eq!(body["agent_version"], VERSION);
        assert_eq!(
            spec_metrics(&body),
            json!({
                "total_sessions": sessions,
                "total_messages": messages,
                "avg_daily_messages": avg,
                "total_users": users
            }),
            "days={days}"
        );
        assert_eq!(body["date_range"]["start_date"], start_date, "days={days}");
        assert_eq!(body["date_range"]["end_date"], "2024-12-05");
    }
}

#[tokio::test]
async fn seven_days_on_december_fifth_spans_november_28th_to_december_fifth() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let body = app
        .get_json(
            &format!("/analytics/agent?{}", agent_query(NAME, VERSION, 7)),
            200,
        )
        .await;
    assert_eq!(
        body["date_range"],
        json!({
            "start_date": "2024-11-28",
            "end_date": "2024-12-05",
            "window_start": "2024-11-28T14:30:00Z",
            "window_end": "2024-12-05T14:30:00Z",
            "window_end_inclusive": true,
            "time_zone": "UTC"
        })
    );
}

#[tokio::test]
async fn other_agents_and_versions_are_counted_separately() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;

    // Version 2.0.0 shares session and user ids with 1.0.0 but only has its own row.
    let v2 = app
        .get_json(
            &format!("/analytics/agent?{}", agent_query(NAME, "2.0.0", 1)),
            200,
        )
        .await;
    assert_eq!(
        spec_metrics(&v2),
        json!({"total_sessions": 1, "total_messages": 1, "avg_daily_messages": 1.0, "total_users": 1})
    );
    let sales = app
        .get_json(
            &format!("/total-tokens?{}", agent_query("sales-agent", VERSION, 1)),
            200,
        )
        .await;
    assert_eq!(sales["total_prompt_tokens"], 3000);

    // Names and versions match exactly: no case folding, no trimming.
    let cased = app
        .get_json(
            &format!(
                "/analytics/agent?{}",
                agent_query("Support-Bot", VERSION, 1)
            ),
            200,
        )
        .await;
    assert_eq!(cased["metrics"]["total_messages"], 1);
    let spaced = app
        .get_json(
            &format!("/analytics/agent?{}", agent_query(NAME, "1.0.0 ", 1)),
            200,
        )
        .await;
    assert_eq!(spaced["metrics"]["total_messages"], 1);
}

#[tokio::test]
async fn failed_requests_count_as_messages() {
    let db = TestDb::create().await;
    let now = fixture::now();
    db.insert(&[
        helpers::Row::new("f-1", helpers::ts("2024-12-05 10:00:00"))
            .agent(
                helpers::Place::SpendLogsMetadata,
                helpers::Agent::new("flaky", "1").session("a").user("x"),
            )
            .tokens(10, 0)
            .failed(),
        helpers::Row::new("f-2", helpers::ts("2024-12-05 11:00:00"))
            .agent(
                helpers::Place::SpendLogsMetadata,
                helpers::Agent::new("flaky", "1").session("a").user("x"),
            )
            .tokens(10, 5)
            .reply("ok"),
    ])
    .await;
    let app = TestApp::builder().database(&db).now(now).spawn().await;
    let body = app
        .get_json(
            &format!("/analytics/agent?{}", agent_query("flaky", "1", 1)),
            200,
        )
        .await;
    assert_eq!(
        spec_metrics(&body),
        json!({"total_sessions": 1, "total_messages": 2, "avg_daily_messages": 2.0, "total_users": 1})
    );
}

#[tokio::test]
async fn summary_carries_cost_reliability_and_cache_fields() {
    let app = ops::app().await;
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
        json::pick(
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
