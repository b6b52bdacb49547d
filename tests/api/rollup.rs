//! The in-memory rollup answers exactly what SQL answers — on the same data, after new rows
//! arrive, after rows are deleted, after rows are written late — and never serves data older
//! than the staleness bound.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use litellm_analytics::config::Settings;
use litellm_analytics::window::Clock;
use serde_json::Value;

use crate::helpers;
use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::forwarder::{postgres_port, Forwarder};
use crate::helpers::{agent_query, ts, Agent, Place, Row, TestApp, TestDb};

const SUMMARIES: [&str; 4] = [
    "/analytics/agent",
    "/activitytimeline",
    "/tokens-usage",
    "/total-tokens",
];
const DAYS: [u32; 5] = [1, 2, 7, 15, 20];

/// Every agent+version the fixtures use, plus ones that do not exist.
const AGENTS: [(&str, &str); 7] = [
    (NAME, VERSION),
    (NAME, "2.0.0"),
    ("sales-agent", VERSION),
    ("Support-Bot", VERSION),
    ("mix-bot", "1"),
    ("pager", "1"),
    ("nobody", "1"),
];

/// The rollup refreshes every 100 ms and reconciles every 200 ms: changes show up quickly.
fn fast_rollup(settings: &mut Settings) {
    settings.rollup.refresh_interval = Duration::from_millis(100);
    settings.rollup.reconcile_interval = Duration::from_millis(200);
}

/// An app answering from the rollup (once warm) and one answering by SQL, same data, same clock.
async fn twin_apps(db: &TestDb, now: NaiveDateTime) -> (TestApp, TestApp) {
    let (memory, sql) = TestApp::builder()
        .database(db)
        .settings(fast_rollup)
        .now(now)
        .spawn_twins()
        .await;
    wait_for_memory(&memory).await;
    (memory, sql)
}

async fn wait_for_memory(app: &TestApp) {
    let path = format!("/total-tokens?{}", agent_query(NAME, VERSION, 20));
    app.wait_for_source(&path, "memory").await;
}

/// Every summary endpoint, agent and days value answers the same from both apps.
async fn assert_same_answers(memory: &TestApp, sql: &TestApp) {
    for (name, version) in AGENTS {
        for days in DAYS {
            for endpoint in SUMMARIES {
                let path = format!("{endpoint}?{}", agent_query(name, version, days));
                let (status_m, body_m, source_m) = memory.answer(&path).await;
                let (status_s, body_s, _) = sql.answer(&path).await;
                assert_eq!(status_m, status_s, "{path}");
                assert_eq!(body_m, body_s, "{path}");
                if status_m == 200 {
                    assert_eq!(source_m, "memory", "{path}");
                }
            }
        }
    }
}

/// Polls until both apps agree (the rollup refreshes every 100 ms), failing after `within`.
async fn eventually_same(memory: &TestApp, sql: &TestApp, path: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (_, body_m, _) = memory.answer(path).await;
        let (_, body_s, _) = sql.answer(path).await;
        if body_m == body_s {
            return body_m;
        }
        assert!(
            Instant::now() < deadline,
            "{path}: memory {body_m} != sql {body_s}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn all_fixture_rows() -> Vec<Row> {
    let mut rows = fixture::all_rows();
    let at = |minute: u32| ts(&format!("2024-12-05 10:{minute:02}:00"));
    // Agent fields in every place LiteLLM keeps them, and rows sharing a startTime.
    rows.push(
        Row::new("mix-1", at(1))
            .agent(Place::RequestBody, Agent::new("mix-bot", "1").session("b"))
            .reply("x"),
    );
    rows.push(
        Row::new("mix-2", at(2))
            .agent(
                Place::RequesterCopyOnly,
                Agent::new("mix-bot", "1").session("c"),
            )
            .reply("x"),
    );
    rows.push(
        Row::new("mix-3", at(3))
            .agent(
                Place::MetadataTopLevel,
                Agent::new("mix-bot", "1").session("d"),
            )
            .reply("x"),
    );
    for id in ["p-a", "p-b", "p-c"] {
        rows.push(
            Row::new(id, ts("2024-12-05 12:00:00"))
                .agent(
                    Place::SpendLogsMetadata,
                    Agent::new("pager", "1").session("p"),
                )
                .reply("x"),
        );
    }
    rows
}

#[tokio::test]
async fn memory_answers_equal_sql_answers_for_every_agent_and_days_value() {
    let db = TestDb::create().await;
    db.insert(&all_fixture_rows()).await;
    let (memory, sql) = twin_apps(&db, fixture::now()).await;
    assert_same_answers(&memory, &sql).await;
    // The hand-worked numbers hold from memory too (helpers/fixture.rs).
    let (_, body, source) = memory
        .answer(&format!(
            "/analytics/agent?{}",
            agent_query(NAME, VERSION, 7)
        ))
        .await;
    assert_eq!(source, "memory");
    assert_eq!(body["metrics"]["total_messages"], 9);
    assert_eq!(body["metrics"]["total_sessions"], 6);
    assert_eq!(body["metrics"]["total_users"], 4);
}

#[tokio::test]
async fn lists_page_identically_with_and_without_the_rollup() {
    let db = TestDb::create().await;
    db.insert(&all_fixture_rows()).await;
    let (memory, sql) = twin_apps(&db, fixture::now()).await;
    for (name, version) in AGENTS {
        for (endpoint, key) in [
            ("/detailed-usage", "usage_logs"),
            ("/recentmessages", "messages"),
        ] {
            for days in [1, 20] {
                let base = format!("{endpoint}?{}&limit=2", agent_query(name, version, days));
                let (mut path_m, mut path_s) = (base.clone(), base.clone());
                loop {
                    let (status_m, body_m, _) = memory.answer(&path_m).await;
                    let (status_s, body_s, _) = sql.answer(&path_s).await;
                    assert_eq!(status_m, status_s, "{path_m}");
                    assert_eq!(body_m[key], body_s[key], "{path_m}");
                    match (
                        body_m["next_cursor"].as_str(),
                        body_s["next_cursor"].as_str(),
                    ) {
                        (Some(m), Some(s)) => {
                            path_m = format!("{base}&cursor={m}");
                            path_s = format!("{base}&cursor={s}");
                        }
                        (None, None) => break,
                        other => panic!("{path_m}: cursors differ {other:?}"),
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn new_rows_show_up_within_the_refresh_interval() {
    let db = TestDb::create().await;
    db.insert(&all_fixture_rows()).await;
    let (memory, sql) = twin_apps(&db, fixture::now()).await;
    let path = format!("/analytics/agent?{}", agent_query(NAME, VERSION, 1));
    let before = memory.answer(&path).await.1;
    db.insert(&[
        Row::new("new-1", ts("2024-12-05 14:20:00"))
            .agent(
                Place::SpendLogsMetadata,
                Agent::new(NAME, VERSION).session("fresh").user("u-new"),
            )
            .tokens(5, 5)
            .reply("new"),
        // A new agent version appears.
        Row::new("new-2", ts("2024-12-05 14:25:00"))
            .agent(Place::RequestBody, Agent::new(NAME, "3.0.0").session("s"))
            .reply("v3"),
    ])
    .await;
    let after = eventually_same(&memory, &sql, &path, Duration::from_secs(5)).await;
    assert_eq!(
        after["metrics"]["total_messages"],
        before["metrics"]["total_messages"].as_i64().unwrap() + 1
    );
    eventually_same(
        &memory,
        &sql,
        &format!("/total-tokens?{}", agent_query(NAME, "3.0.0", 1)),
        Duration::from_secs(5),
    )
    .await;
    assert_same_answers(&memory, &sql).await;
}

#[tokio::test]
async fn deleted_and_late_rows_are_reconciled() {
    let db = TestDb::create().await;
    db.insert(&all_fixture_rows()).await;
    let (memory, sql) = twin_apps(&db, fixture::now()).await;
    let client = db.client().await;
    // The retention job deletes old rows; a recent one is deleted too.
    client
        .batch_execute(
            r#"DELETE FROM "LiteLLM_SpendLogs" WHERE request_id IN ('sb-09', 'sb-07', 'sb-01')"#,
        )
        .await
        .unwrap();
    // A row written long after its startTime (beyond the ingest lag).
    db.insert(&[Row::new("late-1", ts("2024-12-02 09:00:00"))
        .agent(
            Place::SpendLogsMetadata,
            Agent::new(NAME, VERSION).session("late").user("u-late"),
        )
        .tokens(1000, 1)
        .reply("late")])
        .await;
    let path = format!("/analytics/agent?{}", agent_query(NAME, VERSION, 7));
    let body = eventually_same(&memory, &sql, &path, Duration::from_secs(5)).await;
    assert_eq!(body["metrics"]["total_messages"], 9 - 3 + 1);
    eventually_same(
        &memory,
        &sql,
        &format!("/tokens-usage?{}", agent_query(NAME, VERSION, 7)),
        Duration::from_secs(5),
    )
    .await;
    assert_same_answers(&memory, &sql).await;
}

#[tokio::test]
async fn a_stale_rollup_is_not_served() {
    let db = TestDb::create().await;
    // The wall clock runs in this test: rows of the last hours.
    let now = chrono::Utc::now().naive_utc();
    db.insert(&[Row::new("live-1", now - chrono::Duration::hours(1))
        .agent(
            Place::SpendLogsMetadata,
            Agent::new(NAME, VERSION).session("s"),
        )
        .tokens(3, 4)])
        .await;
    let forwarder = Forwarder::closed(postgres_port()).await;
    forwarder.open().await;
    let url = helpers::with_database(
        &format!("postgres://postgres@127.0.0.1:{}/x", forwarder.port),
        &db.name,
    );
    let app = TestApp::builder()
        .database_url(&url)
        .settings(|s| {
            s.rollup.refresh_interval = Duration::from_millis(100);
            s.rollup.max_staleness = Duration::from_secs(2);
        })
        .clock(Clock::System)
        .spawn()
        .await;
    let path = format!("/total-tokens?{}", agent_query(NAME, VERSION, 1));
    wait_for_memory(&app).await;

    // The database goes away: for up to the staleness bound the rollup still answers...
    forwarder.cut();
    let cut_at = Instant::now();
    let (status, body, source) = app.answer(&path).await;
    assert_eq!((status, source.as_str()), (200, "memory"), "{body}");
    assert_eq!(body["total_prompt_tokens"], 3);
    // ...then requests go to SQL, which fails honestly: 503, never stale numbers.
    tokio::time::sleep(Duration::from_millis(2500).saturating_sub(cut_at.elapsed())).await;
    let problem = app.get_problem(&path, 503).await;
    assert_eq!(problem["status"], 503);

    // Back again: fresh answers from memory.
    forwarder.open().await;
    wait_for_memory(&app).await;
}

#[tokio::test]
async fn readiness_waits_for_the_rollup_while_summaries_are_answered_by_sql() {
    let db = TestDb::create().await;
    db.insert(&fixture::all_rows()).await;
    // The rollup's loader cannot read the table yet.
    let locker = db.lock_table().await;
    let app = TestApp::builder()
        .database(&db)
        .settings(fast_rollup)
        .now(fixture::now())
        .spawn()
        .await;
    let problem = app.get_problem("/health/ready", 503).await;
    assert_eq!(problem["type"], "urn:litellm-analytics:problem:warming-up");
    app.get_json("/health/live", 200).await;
    // Meanwhile requests are answered, by SQL (this one waits for the lock like any query).
    let http = app.http.clone();
    let url = format!(
        "{}/analytics/agent?{}",
        app.address,
        agent_query(NAME, VERSION, 7)
    );
    let request = tokio::spawn(async move { http.get(url).send().await.unwrap() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    locker.batch_execute("ROLLBACK").await.unwrap();
    let response = request.await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-data-source"], "database");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["metrics"]["total_messages"], 9);
    app.wait_for_status("/health/ready", 200).await;
    wait_for_memory(&app).await;
}

#[tokio::test]
async fn identical_concurrent_requests_cost_one_database_query() {
    let db = TestDb::create().await;
    db.insert(&fixture::all_rows()).await;
    let app = TestApp::builder()
        .database(&db)
        .settings(|s| {
            s.rollup.enabled = false; // every request would otherwise query
            s.db_pool_size = 4;
        })
        .now(fixture::now())
        .spawn()
        .await;
    let path = format!("/detailed-usage?{}", agent_query(NAME, VERSION, 7));
    app.get_json(&path, 200).await;

    let locker = db.lock_table().await;
    let requests: Vec<_> = (0..5)
        .map(|_| {
            let (http, url) = (app.http.clone(), format!("{}{path}", app.address));
            tokio::spawn(async move { http.get(url).send().await.unwrap().text().await.unwrap() })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // One query waits for the lock; the four other requests wait for its answer.
    let waiting: i64 = db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock' \
             AND application_name = 'litellm-analytics'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(waiting, 1);
    locker.batch_execute("ROLLBACK").await.unwrap();
    let mut bodies = Vec::new();
    for request in requests {
        bodies.push(request.await.unwrap());
    }
    assert!(bodies.windows(2).all(|pair| pair[0] == pair[1]));
    let body: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(body["usage_logs"].as_array().unwrap().len(), 9);
}

#[tokio::test]
async fn newer_endpoints_answer_the_same_with_and_without_the_rollup() {
    let db = TestDb::create().await;
    db.insert(&helpers::ops::all_rows()).await;
    let (memory, sql) = twin_apps_on(&db, helpers::ops::now()).await;
    let tz = helpers::enc("America/New_York");
    let mut paths = vec![
        "/agents".to_string(),
        "/agents?days=1".to_string(),
        "/agents?start=2024-11-24&end=2024-11-26".to_string(),
        "/agents/compare?agent_name=pay-bot&versions=1.0.0,2.0.0,9&days=1".to_string(),
        "/agents/compare?agent_name=pay-bot&versions=2.0.0,1.0.0&days=20".to_string(),
        "/metrics/query?metrics=requests,spend,latency_p95&group_by=agent_name,model&days=7"
            .to_string(),
    ];
    for version in ["1.0.0", "2.0.0", "9"] {
        for range in [
            "days=1".to_string(),
            "days=20".to_string(),
            format!("start=2024-12-04&end=2024-12-06&tz={tz}"),
            "start=2024-12-04T13:00:00Z&end=2024-12-05T12:30:00Z&granularity=hour".to_string(),
        ] {
            let q = format!("agent_name=pay-bot&agent_version={version}&{range}");
            for endpoint in [
                "/analytics/agent",
                "/activitytimeline",
                "/tokens-usage",
                "/latency",
                "/sessions",
                "/sessions/A",
                "/users",
            ] {
                paths.push(format!("{endpoint}?{q}"));
            }
            paths.push(format!("/sessions?{q}&sort=spend&order=asc"));
            paths.push(format!("/users?{q}&sort=sessions"));
        }
    }
    for path in paths {
        let (status_m, body_m, source_m) = memory.answer(&path).await;
        let (status_s, body_s, source_s) = sql.answer(&path).await;
        assert_eq!(status_m, status_s, "{path}: {body_m} / {body_s}");
        assert_eq!(body_m, body_s, "{path}");
        assert_ne!(source_s, "memory", "{path}");
        if status_m == 200 && path.starts_with("/analytics/agent") {
            assert_eq!(source_m, "memory", "{path}");
        }
    }
}

/// Like `twin_apps`, waiting for the rollup on the operations fixture's agent.
async fn twin_apps_on(db: &TestDb, now: NaiveDateTime) -> (TestApp, TestApp) {
    let (memory, sql) = TestApp::builder()
        .database(db)
        .settings(fast_rollup)
        .now(now)
        .spawn_twins()
        .await;
    memory.wait_for_status("/health/ready", 200).await;
    (memory, sql)
}
