//! The rollup's memory: a budget it never exceeds (past it the oldest days go to SQL, answers
//! unchanged), request_ids only within the row horizon, and what /health reports of it.

use std::time::{Duration, Instant};

use litellm_analytics::config::Settings;
use serde_json::Value;

use crate::helpers::{agent_query, ts, Agent, Place, Row, TestApp, TestDb};

const BOT: &str = "budget-bot";

/// 300 requests a day on 2024-12-01..10, each its own session (as on proxies whose clients send
/// a new session id per call), every four minutes from midnight; users u0..u6.
fn ten_days() -> Vec<Row> {
    let mut rows = Vec::new();
    for day in 1..=10 {
        for i in 0..300u32 {
            let at = ts(&format!("2024-12-{day:02} 00:00:00"))
                + chrono::Duration::minutes(4 * i64::from(i));
            rows.push(
                Row::new(&format!("r{day}-{i}"), at)
                    .agent(
                        Place::SpendLogsMetadata,
                        Agent::new(BOT, "1")
                            .session(&format!("s{day}-{i}"))
                            .user(&format!("u{}", i % 7)),
                    )
                    .tokens((i % 5 + 1) as i32, 2)
                    .reply("x"),
            );
        }
    }
    rows
}

fn now() -> chrono::NaiveDateTime {
    ts("2024-12-11 12:00:00")
}

fn fast(settings: &mut Settings) {
    settings.rollup.refresh_interval = Duration::from_millis(100);
    settings.rollup.reconcile_interval = Duration::from_millis(200);
}

/// /health's `rollup` once `check` accepts it.
async fn health_when(app: &TestApp, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let health = app.get_json("/health", 200).await;
        if check(&health["rollup"]) {
            return health["rollup"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "health never got there: {health}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every summary endpoint over `window` (a query string).
fn summaries(window: &str) -> Vec<String> {
    [
        "/analytics/agent",
        "/activitytimeline",
        "/tokens-usage",
        "/total-tokens",
        "/latency",
    ]
    .iter()
    .map(|endpoint| format!("{endpoint}?agent_name={BOT}&agent_version=1&{window}"))
    .collect()
}

/// Windows over the ten days: the last day, the last week, 20 days, all ten days by date.
const WINDOWS: [&str; 4] = [
    "days=1",
    "days=7",
    "days=20",
    "start=2024-12-01&end=2024-12-10",
];

#[tokio::test]
async fn health_reports_what_the_rollup_holds() {
    let app = TestApp::builder()
        .rows(&ten_days())
        .settings(fast)
        .now(now())
        .spawn()
        .await;
    app.wait_for_status("/health/ready", 200).await;
    // Complete back to the 400-day horizon (hour-aligned): 2023-11-07 12:00.
    let rollup = health_when(&app, |r| {
        r["rows"] == 3000
            && r["memory_bytes"].as_u64() > Some(0)
            && r["complete_from"] == "2023-11-07T12:00:00Z"
    })
    .await;
    assert_eq!(rollup["state"], "ready");
    assert_eq!(rollup["memory_budget_bytes"], Value::Null);
    assert_eq!(rollup["limited_by_memory_from"], Value::Null);
    let ready = app.get_json("/health/ready", 200).await;
    assert_eq!(ready["rollup"]["rows"], 3000);
    let live = app.get_json("/health/live", 200).await;
    assert_eq!(live.get("rollup"), None);
}

#[tokio::test]
async fn past_its_memory_budget_the_rollup_drops_the_oldest_days_and_sql_answers_them() {
    let db = TestDb::create().await;
    db.insert(&ten_days()).await;
    // What the ten days take without a budget.
    let unbounded = TestApp::builder()
        .database(&db)
        .settings(fast)
        .now(now())
        .spawn()
        .await;
    let full = health_when(&unbounded, |r| {
        r["rows"] == 3000 && r["memory_bytes"].as_u64() > Some(0)
    })
    .await;
    let full_bytes = full["memory_bytes"].as_u64().unwrap();
    // Half of that: about four of the ten days fit (the store keeps to 90% of the budget).
    let budget = full_bytes / 2;
    let (memory, sql) = TestApp::builder()
        .database(&db)
        .settings(fast)
        .settings(move |s| s.rollup.memory_budget = Some(budget))
        .now(now())
        .spawn_twins()
        .await;
    memory.wait_for_status("/health/ready", 200).await;
    // Cut short, and within the budget (the cut may take a second step: what dropping a day
    // gives back is estimated).
    let held = health_when(&memory, |r| {
        !r["limited_by_memory_from"].is_null() && r["memory_bytes"].as_u64() <= Some(budget)
    })
    .await;
    assert_eq!(held["memory_budget_bytes"], budget);
    let rows = held["rows"].as_u64().unwrap();
    assert!(
        rows > 0 && rows < 3000 && rows % 300 == 0,
        "whole days are dropped: {held}"
    );
    let cut = held["limited_by_memory_from"].as_str().unwrap().to_string();
    assert!(
        cut.as_str() > "2024-12-02" && cut.as_str() < "2024-12-10",
        "{cut}"
    );
    assert_eq!(held["complete_from"], cut.as_str());

    // Short windows stay in memory; longer ones are answered by SQL; both exactly as SQL.
    memory
        .wait_for_source(
            &format!("/total-tokens?{}", agent_query(BOT, "1", 1)),
            "memory",
        )
        .await;
    for window in WINDOWS {
        for path in summaries(window) {
            let (status_m, body_m, source_m) = memory.answer(&path).await;
            let (status_s, body_s, _) = sql.answer(&path).await;
            assert_eq!((status_m, &body_m), (status_s, &body_s), "{path}");
            let expected = if window == "days=1" {
                "memory"
            } else {
                "database"
            };
            assert_eq!(source_m, expected, "{path}: {status_m} {body_m}");
        }
    }
    // 2024-12-10 12:00 to 2024-12-11 12:00: requests i = 180..299 of the 10th (120), each
    // its own session; users u0..u6 all appear.
    let day = memory
        .get_json(
            &format!("/analytics/agent?{}", agent_query(BOT, "1", 1)),
            200,
        )
        .await;
    assert_eq!(day["metrics"]["total_messages"], 120);
    assert_eq!(day["metrics"]["total_sessions"], 120);
    assert_eq!(day["metrics"]["total_users"], 7);
}

#[tokio::test]
async fn lists_reaching_past_the_row_horizon_are_read_by_sql_and_page_the_same() {
    let (memory, sql) = TestApp::builder()
        .rows(&ten_days())
        .settings(fast)
        .settings(|s| s.rollup.row_horizon = Duration::from_secs(3 * 86_400))
        .now(now())
        .spawn_twins()
        .await;
    memory.wait_for_status("/health/ready", 200).await;
    memory
        .wait_for_source(
            &format!("/total-tokens?{}", agent_query(BOT, "1", 20)),
            "memory",
        )
        .await;
    for window in WINDOWS {
        for endpoint in ["/detailed-usage", "/recentmessages", "/sessions", "/users"] {
            let first = format!("{endpoint}?agent_name={BOT}&agent_version=1&{window}&limit=50");
            let mut path = first.clone();
            // Every page, following the cursors.
            for _ in 0..100 {
                let (status_m, body_m, _) = memory.answer(&path).await;
                let (status_s, body_s, _) = sql.answer(&path).await;
                assert_eq!((status_m, &body_m), (status_s, &body_s), "{path}");
                let Some(next) = body_m["next_cursor"].as_str() else {
                    break;
                };
                path = format!("{first}&cursor={next}");
            }
        }
        // Summaries of the same windows still come from memory.
        for path in summaries(window) {
            let (_, body_m, source_m) = memory.answer(&path).await;
            let (_, body_s, _) = sql.answer(&path).await;
            assert_eq!(body_m, body_s, "{path}");
            assert_eq!(source_m, "memory", "{path}");
        }
    }
}
