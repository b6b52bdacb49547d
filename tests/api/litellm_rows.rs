//! Every agent endpoint on rows that LiteLLM 1.110.2's own proxy code wrote
//! (tests/fixtures/litellm_real_rows.sql, made by scripts/make-litellm-fixture.py), answered both
//! from the in-memory rollup and by SQL, against numbers worked out by hand from those rows.
//!
//! The rows (agent "real-bot"; durations are LiteLLM's request_duration_ms, equal to
//! endTime − startTime on every row; "reply" is response.choices[0].message.content):
//!
//! | # | startTime (UTC)  | how the agent fields were sent       | version | session/user | prompt/compl/total | spend    | ms  | reply (chars), response.model            |
//! |---|------------------|--------------------------------------|---------|--------------|--------------------|----------|-----|------------------------------------------|
//! | 1 | 2025-03-10 09:00 | spend_logs_metadata, prompts off     | 1.110.2 | s-1 / u-1    | 10 / 20 / 30       | 1.35e-05 | 115 | none                                     |
//! | 2 | 2025-03-10 09:10 | spend_logs_metadata, prompts on      | 1.110.2 | s-1 / u-1    | 10 / 20 / 30       | 1.35e-05 | 13  | "Reply two, longer." (18), slm-prompts-on |
//! | 3 | 2025-03-10 09:20 | plain metadata, prompts on (body)    | 1.110.2 | s-2 / u-2    | 10 / 20 / 30       | 1.35e-05 | 1   | "Plain metadata reply." (21), plain-prompts-on |
//! | 4 | 2025-03-10 09:30 | plain metadata, prompts off: LOST    | —       | —            | 10 / 20 / 30       | 1.35e-05 | 9   | none                                     |
//! | 5 | 2025-03-11 15:40 | x-litellm-spend-logs-metadata header | 1.110.2 | s-2 / u-2    | 10 / 20 / 30       | 1.35e-05 | 2   | none                                     |
//! | 6 | 2025-03-11 15:50 | spend_logs_metadata, FAILURE (429)   | 1.110.2 | s-1 / u-1    | 14 / 0 / 14        | 0        | 781 | none; RateLimitError                     |
//! | 7 | 2025-03-11 16:00 | spend_logs_metadata, STREAM, prompts on | 1.110.2 | s-4 / u-3 | 14 / 5 / 19        | 5.1e-06  | 39 (first token at 20) | "Streamed reply text." (20), stream-prompts-on |
//! | 8 | 2025-03-11 16:10 | spend_logs_metadata, prompts off     | 2.0.0   | s-5 / u-4    | 10 / 20 / 30       | 1.35e-05 | 3   | none                                     |
//!
//! Every row's model is "openai/gpt-4o-mini"; cache_hit is 'None' (rows 1-5, 8) or 'False'
//! (6, 7): no cache hits; usage_object.prompt_tokens_details is null: no cached tokens; plain
//! replies carry "tool_calls": null: no tool use. Only row 7 has completionStartTime before
//! endTime (a real first-token time, 20 ms); the others set it equal to endTime.
//! "now" is pinned at 2025-03-12 00:00:00: days=2 covers every row, days=1 rows 5-8.

use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use crate::helpers::binary::RunningBinary;
use crate::helpers::{agent_query, ts, TestApp, TestDb};

const FIXTURE: &str = include_str!("../fixtures/litellm_real_rows.sql");
const NAME: &str = "real-bot";
const V1: &str = "1.110.2";
const V2: &str = "2.0.0";

fn now() -> NaiveDateTime {
    ts("2025-03-12 00:00:00")
}

/// The fixture in a fresh database, an app answering from the rollup and one answering by SQL.
async fn twin_apps() -> [TestApp; 2] {
    let (memory, sql) = TestApp::builder()
        .schema(FIXTURE)
        .settings(|s| s.rollup.refresh_interval = Duration::from_millis(100))
        .now(now())
        .spawn_twins()
        .await;
    let probe = format!("/total-tokens?{}", agent_query(NAME, V1, 2));
    memory.wait_for_source(&probe, "memory").await;
    [memory, sql]
}

/// The same GET on both apps: each answers `status`; the bodies are returned memory first.
async fn both(apps: &[TestApp; 2], path: &str, status: u16) -> [Value; 2] {
    let memory = apps[0].get_json(path, status).await;
    let sql = apps[1].get_json(path, status).await;
    [memory, sql]
}

fn q(version: &str, days: u32) -> String {
    agent_query(NAME, version, days)
}

fn close(got: &Value, want: f64) -> bool {
    got.as_f64().is_some_and(|g| (g - want).abs() < 1e-12)
}

#[track_caller]
fn assert_close(got: &Value, want: f64, context: &Value) {
    assert!(close(got, want), "got {got}, want {want}: {context}");
}

#[tokio::test]
async fn agent_summary_counts_every_way_litellm_stores_agent_fields() {
    let apps = twin_apps().await;
    for body in both(&apps, &format!("/analytics/agent?{}", q(V1, 2)), 200).await {
        let m = &body["metrics"];
        // Rows 1, 2, 3, 5, 6, 7: row 4's fields were stored nowhere, row 8 is version 2.0.0.
        assert_eq!(m["total_messages"], 6, "{body}");
        // s-1 (1, 2, 6), s-2 (3, 5), s-4 (7).
        assert_eq!(m["total_sessions"], 3, "{body}");
        // u-1, u-2, u-3.
        assert_eq!(m["total_users"], 3, "{body}");
        // 6 requests / 2 days.
        assert_close(&m["avg_daily_messages"], 3.0, &body);
        // 4 × 1.35e-05 + 0 (the failure) + 5.1e-06 (the stream).
        assert_close(&m["total_spend"], 5.91e-05, &body);
        assert_eq!(m["successful_requests"], 5, "{body}");
        assert_eq!(m["failed_requests"], 1, "{body}");
        // 1 / 6 = 0.16666… → 4 decimals.
        assert_close(&m["error_rate"], 0.1667, &body);
        // cache_hit is 'None' or 'False' on every row: not a hit.
        assert_eq!(m["cache_hits"], 0, "{body}");
        assert_eq!(m["cached_prompt_tokens"], 0, "{body}");
    }
    for body in both(&apps, &format!("/analytics/agent?{}", q(V1, 1)), 200).await {
        let m = &body["metrics"];
        // Rows 5, 6, 7 (from 2025-03-11 00:00).
        assert_eq!(m["total_messages"], 3, "{body}");
        assert_eq!(m["total_sessions"], 3, "{body}");
        assert_eq!(m["total_users"], 3, "{body}");
        // 1.35e-05 + 0 + 5.1e-06.
        assert_close(&m["total_spend"], 1.86e-05, &body);
        assert_eq!(m["failed_requests"], 1, "{body}");
        // 1 / 3.
        assert_close(&m["error_rate"], 0.3333, &body);
    }
    for body in both(&apps, &format!("/analytics/agent?{}", q(V2, 2)), 200).await {
        // Row 8 alone.
        assert_eq!(body["metrics"]["total_messages"], 1, "{body}");
        assert_close(&body["metrics"]["total_spend"], 1.35e-05, &body);
    }
}

#[tokio::test]
async fn daily_series_and_totals() {
    let apps = twin_apps().await;
    for body in both(&apps, &format!("/activitytimeline?{}", q(V1, 2)), 200).await {
        let days = body["daily_sessions"].as_array().expect("daily_sessions");
        // 2025-03-10 … 2025-03-12: days + 1 entries.
        let dates: Vec<&str> = days.iter().map(|d| d["date"].as_str().unwrap()).collect();
        assert_eq!(dates, ["2025-03-10", "2025-03-11", "2025-03-12"], "{body}");
        // 03-10: rows 1, 2, 3 — sessions s-1, s-2.
        assert_eq!(
            (&days[0]["sessions"], &days[0]["messages"]),
            (&json!(2), &json!(3))
        );
        assert_eq!(days[0]["failed_requests"], 0, "{body}");
        // 03-11: rows 5, 6, 7 — sessions s-2, s-1, s-4; row 6 failed.
        assert_eq!(
            (&days[1]["sessions"], &days[1]["messages"]),
            (&json!(3), &json!(3))
        );
        assert_eq!(days[1]["failed_requests"], 1, "{body}");
        assert_eq!(days[2]["messages"], 0, "{body}");
    }
    for body in both(&apps, &format!("/tokens-usage?{}", q(V1, 2)), 200).await {
        let days = body["daily_tokens"].as_array().expect("daily_tokens");
        assert_eq!(days.len(), 3, "{body}");
        // 03-10: rows 1, 2, 3 — 3 × (10, 20, 30).
        assert_eq!(days[0]["prompt_tokens"], 30, "{body}");
        assert_eq!(days[0]["completion_tokens"], 60, "{body}");
        assert_eq!(days[0]["total_tokens"], 90, "{body}");
        assert_close(&days[0]["spend"], 4.05e-05, &body);
        // 03-11: rows 5, 6, 7 — prompt 10 + 14 + 14, completion 20 + 0 + 5, total 30 + 14 + 19.
        assert_eq!(days[1]["prompt_tokens"], 38, "{body}");
        assert_eq!(days[1]["completion_tokens"], 25, "{body}");
        assert_eq!(days[1]["total_tokens"], 63, "{body}");
        assert_eq!(days[1]["cached_prompt_tokens"], 0, "{body}");
        assert_close(&days[1]["spend"], 1.86e-05, &body);
        assert_eq!(days[1]["messages"], 3, "{body}");
        assert_eq!(days[2]["total_tokens"], 0, "{body}");
    }
    for body in both(&apps, &format!("/total-tokens?{}", q(V1, 2)), 200).await {
        // 30 + 38, 60 + 25, 90 + 63 (LiteLLM's total_tokens column; the failure's 14 prompt
        // tokens count).
        assert_eq!(body["total_prompt_tokens"], 68, "{body}");
        assert_eq!(body["total_completion_tokens"], 85, "{body}");
        assert_eq!(body["total_tokens"], 153, "{body}");
        assert_eq!(body["total_cached_prompt_tokens"], 0, "{body}");
        assert_close(&body["total_spend"], 5.91e-05, &body);
        assert_eq!(body["total_messages"], 6, "{body}");
    }
}

#[tokio::test]
async fn latency_counts_the_failure_and_only_the_streamed_first_token() {
    let apps = twin_apps().await;
    for body in both(&apps, &format!("/latency?{}", q(V1, 2)), 200).await {
        let d = &body["overall"]["duration"];
        // 115, 13, 1, 2, 781, 39 ms → sorted 1, 2, 13, 39, 115, 781.
        assert_eq!(d["count"], 6, "{body}");
        // 951 / 6.
        assert_close(&d["avg_ms"], 158.5, &body);
        assert_close(&d["min_ms"], 1.0, &body);
        assert_close(&d["max_ms"], 781.0, &body);
        // Nearest rank: p50 the 3rd, p95 and p99 the 6th.
        assert_close(&d["p50_ms"], 13.0, &body);
        assert_close(&d["p95_ms"], 781.0, &body);
        assert_close(&d["p99_ms"], 781.0, &body);
        // Only row 7 was streamed: 20 ms to the first token.
        let t = &body["overall"]["ttft"];
        assert_eq!(t["count"], 1, "{body}");
        assert_close(&t["p50_ms"], 20.0, &body);
        let buckets = body["buckets"].as_array().expect("buckets");
        // 03-10: 115, 13, 1 → avg 43, p50 13; no first-token times.
        assert_eq!(buckets[0]["duration"]["count"], 3, "{body}");
        assert_close(&buckets[0]["duration"]["avg_ms"], 43.0, &body);
        assert_close(&buckets[0]["duration"]["p50_ms"], 13.0, &body);
        assert_eq!(buckets[0]["ttft"]["count"], 0, "{body}");
        // 03-11: 2, 781, 39 → avg 274, p50 39.
        assert_close(&buckets[1]["duration"]["avg_ms"], 274.0, &body);
        assert_close(&buckets[1]["duration"]["p50_ms"], 39.0, &body);
        assert_eq!(buckets[1]["ttft"]["count"], 1, "{body}");
    }
}

#[tokio::test]
async fn request_log_lists_every_attributed_row_newest_first() {
    let apps = twin_apps().await;
    for body in both(&apps, &format!("/detailed-usage?{}", q(V1, 2)), 200).await {
        let logs = body["usage_logs"].as_array().expect("usage_logs");
        let ids: Vec<&str> = logs
            .iter()
            .map(|l| l["request_id"].as_str().unwrap())
            .collect();
        // Rows 7, 6, 5, 3, 2, 1.
        assert_eq!(
            ids,
            [
                "chatcmpl-62d47a31-6621-4585-8a6c-e96a534035e2",
                "d26b0189-c2f3-400c-b72c-560fd9971450",
                "chatcmpl-516128c6-edf0-4a60-841b-0b07efff95cb",
                "chatcmpl-467ce6fc-2bf8-4bfd-b432-4517b99bb5c2",
                "chatcmpl-583e5352-6a5a-4158-91e2-3b8e1acf72c8",
                "chatcmpl-6481b831-0bfb-4a03-9081-09982232953b",
            ],
            "{body}"
        );
        // Row 7: the stream.
        assert_eq!(logs[0]["timestamp"], "2025-03-11T16:00:00Z", "{body}");
        assert_eq!(logs[0]["prompt_tokens"], 14, "{body}");
        assert_eq!(logs[0]["completion_tokens"], 5, "{body}");
        assert_eq!(logs[0]["total_tokens"], 19, "{body}");
        assert_close(&logs[0]["duration_seconds"], 0.039, &body);
        assert_eq!(logs[0]["model"], "openai/gpt-4o-mini", "{body}");
        // Row 6: the failure keeps its prompt tokens and its 781 ms.
        assert_eq!(logs[1]["total_tokens"], 14, "{body}");
        assert_close(&logs[1]["duration_seconds"], 0.781, &body);
        assert!(body["next_cursor"].is_null(), "{body}");
    }
}

#[tokio::test]
async fn recent_messages_lists_the_stored_replies_newest_first() {
    let apps = twin_apps().await;
    for body in both(&apps, &format!("/recentmessages?{}", q(V1, 2)), 200).await {
        let messages = body["messages"].as_array().expect("messages");
        // Rows 7, 3, 2: the rows written while the proxy stored prompts.
        let got: Vec<(&str, i64, &str, &str)> = messages
            .iter()
            .map(|m| {
                (
                    m["message"].as_str().unwrap(),
                    m["message_length"].as_i64().unwrap(),
                    m["session_id"].as_str().unwrap(),
                    m["model_name"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Streamed reply text.", 20, "s-4", "stream-prompts-on"),
                ("Plain metadata reply.", 21, "s-2", "plain-prompts-on"),
                ("Reply two, longer.", 18, "s-1", "slm-prompts-on"),
            ],
            "{body}"
        );
        assert_eq!(body["content_stored"], true, "{body}");
        assert!(body["content_note"].is_null(), "{body}");
    }
    // Two replies a page: rows 7, 3, then row 2 on the page the cursor leads to.
    for app in &apps {
        let first = app
            .get_json(&format!("/recentmessages?{}&limit=2", q(V1, 2)), 200)
            .await;
        assert_eq!(
            first["messages"].as_array().map(Vec::len),
            Some(2),
            "{first}"
        );
        let cursor = first["next_cursor"].as_str().expect("a next page");
        let path = format!("/recentmessages?{}&limit=2&cursor={cursor}", q(V1, 2));
        let second = app.get_json(&path, 200).await;
        assert_eq!(
            second["messages"][0]["message"], "Reply two, longer.",
            "{second}"
        );
        assert!(second["next_cursor"].is_null(), "{second}");
        assert_eq!(second["content_stored"], true, "{second}");
    }
}

#[tokio::test]
async fn an_agent_whose_replies_were_not_stored_gets_an_empty_list_that_says_why() {
    let apps = twin_apps().await;
    // Version 2.0.0 has one request (row 8), written with prompt storage off: no reply stored.
    // Same answer as /analytics/agent gives it — 200 — with an empty list that says why.
    for body in both(&apps, &format!("/recentmessages?{}", q(V2, 2)), 200).await {
        assert_eq!(body["messages"], json!([]), "{body}");
        assert_eq!(body["content_stored"], false, "{body}");
        let note = body["content_note"].as_str().unwrap_or_default();
        assert!(note.contains("store_prompts_in_spend_logs"), "{body}");
        assert!(body["next_cursor"].is_null(), "{body}");
    }
    // The same as CSV: a header row and nothing else, not a 404.
    for app in &apps {
        let path = format!("/recentmessages?{}&format=csv", q(V2, 2));
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let csv = response.text().await.unwrap();
        assert_eq!(csv.lines().count(), 1, "{csv}");
        assert!(csv.starts_with("timestamp,"), "{csv}");
    }
    // The OpenAPI document describes both fields.
    let spec = apps[0].get_json("/openapi.json", 200).await;
    let properties = &spec["components"]["schemas"]["RecentMessages"]["properties"];
    assert_eq!(
        properties["content_stored"]["type"], "boolean",
        "{properties}"
    );
    assert!(properties["content_note"].is_object(), "{properties}");
    // No rows of the version in the window at all: 404, as on every agent endpoint.
    let before = format!(
        "/recentmessages?agent_name={NAME}&agent_version={V2}&start=2025-03-01&end=2025-03-05"
    );
    for app in &apps {
        app.get_problem(&before, 404).await;
    }
}

#[tokio::test]
async fn sessions_users_and_session_details() {
    let apps = twin_apps().await;
    for body in both(&apps, &format!("/sessions?{}", q(V1, 2)), 200).await {
        let sessions = body["sessions"].as_array().expect("sessions");
        let ids: Vec<&str> = sessions
            .iter()
            .map(|s| s["session_id"].as_str().unwrap())
            .collect();
        // Latest request first: s-4 (16:00), s-1 (15:50), s-2 (15:40).
        assert_eq!(ids, ["s-4", "s-1", "s-2"], "{body}");
        let s1 = &sessions[1];
        // Rows 1, 2, 6.
        assert_eq!(s1["user_id"], "u-1", "{body}");
        assert_eq!(s1["first_seen"], "2025-03-10T09:00:00Z", "{body}");
        assert_eq!(s1["last_seen"], "2025-03-11T15:50:00Z", "{body}");
        assert_eq!(s1["requests"], 3, "{body}");
        assert_eq!(s1["successful"], 2, "{body}");
        assert_eq!(s1["failed"], 1, "{body}");
        // 10 + 10 + 14, 20 + 20 + 0, 30 + 30 + 14.
        assert_eq!(s1["prompt_tokens"], 34, "{body}");
        assert_eq!(s1["completion_tokens"], 40, "{body}");
        assert_eq!(s1["total_tokens"], 74, "{body}");
        assert_close(&s1["spend"], 2.7e-05, &body);
        // 115 + 13 + 781 = 909 ms, / 3.
        assert_close(&s1["total_duration_ms"], 909.0, &body);
        assert_close(&s1["avg_duration_ms"], 303.0, &body);
        // Plain replies carry "tool_calls": null — no tool was called.
        assert_eq!(s1["requests_with_tools"], 0, "{body}");
        assert_eq!(s1["models"], json!(["openai/gpt-4o-mini"]), "{body}");
        // s-2: rows 3 (request body) and 5 (header).
        let s2 = &sessions[2];
        assert_eq!(s2["requests"], 2, "{body}");
        assert_eq!(s2["total_tokens"], 60, "{body}");
        assert_close(&s2["total_duration_ms"], 3.0, &body);
        assert_eq!(s2["requests_with_tools"], 0, "{body}");
        // s-4: row 7.
        assert_eq!(sessions[0]["total_tokens"], 19, "{body}");
        assert_eq!(sessions[0]["requests_with_tools"], 0, "{body}");
    }
    for body in both(&apps, &format!("/sessions/s-1?{}", q(V1, 2)), 200).await {
        assert_eq!(body["session"]["requests"], 3, "{body}");
        let requests = body["requests"].as_array().expect("requests");
        // Oldest first: rows 1, 2, 6.
        let times: Vec<&str> = requests
            .iter()
            .map(|r| r["timestamp"].as_str().unwrap())
            .collect();
        assert_eq!(
            times,
            [
                "2025-03-10T09:00:00Z",
                "2025-03-10T09:10:00Z",
                "2025-03-11T15:50:00Z"
            ],
            "{body}"
        );
        assert_close(&requests[0]["duration_ms"], 115.0, &body);
        assert_eq!(requests[0]["status"], "success", "{body}");
        let failure = &requests[2];
        assert_eq!(failure["status"], "failure", "{body}");
        assert_eq!(failure["prompt_tokens"], 14, "{body}");
        assert_eq!(failure["total_tokens"], 14, "{body}");
        assert_close(&failure["duration_ms"], 781.0, &body);
        assert_eq!(failure["error_class"], "RateLimitError", "{body}");
        let message = failure["error_message"].as_str().unwrap_or_default();
        assert!(
            message.contains("this is a mock rate limit error"),
            "{body}"
        );
        // Row 2 (prompts on) carries a reply.
        assert_eq!(body["content_stored"], true, "{body}");
        assert!(body["content_note"].is_null(), "{body}");
    }
    // One day back s-1 is row 6 alone — a failure, no reply — though the agent has one (row 7).
    for body in both(&apps, &format!("/sessions/s-1?{}", q(V1, 1)), 200).await {
        assert_eq!(body["session"]["requests"], 1, "{body}");
        assert_eq!(body["content_stored"], false, "{body}");
    }
    // The version whose replies were never stored: its session is there all the same, and says
    // that no conversation can be shown.
    for body in both(&apps, &format!("/sessions/s-5?{}", q(V2, 2)), 200).await {
        assert_eq!(body["session"]["requests"], 1, "{body}");
        assert_eq!(body["session"]["total_tokens"], 30, "{body}");
        assert_eq!(body["requests"].as_array().map(Vec::len), Some(1), "{body}");
        assert_eq!(body["content_stored"], false, "{body}");
        let note = body["content_note"].as_str().unwrap_or_default();
        assert!(note.contains("store_prompts_in_spend_logs"), "{body}");
    }
    for body in both(&apps, &format!("/users?{}", q(V1, 2)), 200).await {
        let users = body["users"].as_array().expect("users");
        let ids: Vec<&str> = users
            .iter()
            .map(|u| u["user_id"].as_str().unwrap())
            .collect();
        // Latest request first: u-3 (16:00), u-1 (15:50), u-2 (15:40).
        assert_eq!(ids, ["u-3", "u-1", "u-2"], "{body}");
        // u-1: session s-1, rows 1, 2, 6.
        assert_eq!(users[1]["sessions"], 1, "{body}");
        assert_eq!(users[1]["requests"], 3, "{body}");
        assert_eq!(users[1]["failed"], 1, "{body}");
        assert_eq!(users[1]["total_tokens"], 74, "{body}");
        assert_close(&users[1]["spend"], 2.7e-05, &body);
        // u-2: rows 3, 5.
        assert_eq!(users[2]["requests"], 2, "{body}");
        assert_eq!(users[2]["prompt_tokens"], 20, "{body}");
        assert_eq!(users[2]["completion_tokens"], 40, "{body}");
        // u-3: row 7.
        assert_eq!(users[0]["total_tokens"], 19, "{body}");
    }
}

#[tokio::test]
async fn catalog_comparison_and_metrics_query() {
    let apps = twin_apps().await;
    for body in both(&apps, "/agents?days=2", 200).await {
        let agents = body["agents"].as_array().expect("agents");
        // Row 4 names no agent anywhere: real-bot is the only agent.
        assert_eq!(agents.len(), 1, "{body}");
        let bot = &agents[0];
        assert_eq!(bot["agent_name"], NAME, "{body}");
        // 6 + 1.
        assert_eq!(bot["requests"], 7, "{body}");
        assert_eq!(bot["first_seen"], "2025-03-10T09:00:00Z", "{body}");
        assert_eq!(bot["last_seen"], "2025-03-11T16:10:00Z", "{body}");
        let versions: Vec<(&str, i64)> = bot["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .map(|v| {
                (
                    v["agent_version"].as_str().unwrap(),
                    v["requests"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(versions, [(V1, 6), (V2, 1)], "{body}");
    }
    let compare = format!("/agents/compare?agent_name={NAME}&versions={V1},{V2}&days=2");
    for body in both(&apps, &compare, 200).await {
        let v1 = &body["versions"][0];
        assert_eq!(v1["requests"], 6, "{body}");
        assert_eq!(v1["sessions"], 3, "{body}");
        assert_eq!(v1["users"], 3, "{body}");
        assert_eq!(v1["failed_requests"], 1, "{body}");
        assert_close(&v1["error_rate"], 0.1667, &body);
        assert_close(&v1["total_spend"], 5.91e-05, &body);
        assert_eq!(v1["total_tokens"], 153, "{body}");
        // Durations 1, 2, 13, 39, 115, 781: p50 13, p95 781; first token 20 (row 7).
        assert_close(&v1["latency_p50_ms"], 13.0, &body);
        assert_close(&v1["latency_p95_ms"], 781.0, &body);
        assert_close(&v1["ttft_p50_ms"], 20.0, &body);
        let v2 = &body["versions"][1];
        // Row 8.
        assert_eq!(v2["requests"], 1, "{body}");
        assert_eq!(v2["total_tokens"], 30, "{body}");
        assert_close(&v2["latency_p50_ms"], 3.0, &body);
        assert!(v2["ttft_p50_ms"].is_null(), "{body}");
        // (1 − 6) / 6 and (30 − 153) / 153 = −0.80392…
        assert_close(&v2["relative_to_first"]["requests"], -0.8333, &body);
        assert_close(&v2["relative_to_first"]["total_tokens"], -0.8039, &body);
    }
    let metrics = format!(
        "/metrics/query?metrics=requests,total_tokens,spend,error_rate&group_by=agent_version\
         &filters=agent_name:{NAME}&days=2"
    );
    for body in both(&apps, &metrics, 200).await {
        let groups = body["groups"].as_array().expect("groups");
        assert_eq!(groups.len(), 2, "{body}");
        // Busiest first: 1.110.2 (rows 1-3, 5-7), then 2.0.0 (row 8).
        assert_eq!(groups[0]["key"]["agent_version"], V1, "{body}");
        assert_eq!(groups[0]["totals"]["requests"], 6, "{body}");
        assert_eq!(groups[0]["totals"]["total_tokens"], 153, "{body}");
        assert_close(&groups[0]["totals"]["spend"], 5.91e-05, &body);
        assert_close(&groups[0]["totals"]["error_rate"], 0.1667, &body);
        assert_eq!(groups[1]["key"]["agent_version"], V2, "{body}");
        assert_eq!(groups[1]["totals"]["requests"], 1, "{body}");
        assert_eq!(groups[1]["totals"]["total_tokens"], 30, "{body}");
    }
    let by_status = format!(
        "/metrics/query?metrics=requests,latency_p50,ttft_p50,sessions&group_by=status\
         &filters=agent_name:{NAME}&days=2"
    );
    for body in both(&apps, &by_status, 200).await {
        let groups = body["groups"].as_array().expect("groups");
        assert_eq!(groups.len(), 2, "{body}");
        // success: rows 1, 2, 3, 5, 7, 8 — durations 1, 2, 3, 13, 39, 115: p50 the 3rd = 3;
        // sessions s-1, s-2, s-4, s-5; first token only on row 7.
        assert_eq!(groups[0]["key"]["status"], "success", "{body}");
        assert_eq!(groups[0]["totals"]["requests"], 6, "{body}");
        assert_close(&groups[0]["totals"]["latency_p50"], 3.0, &body);
        assert_close(&groups[0]["totals"]["ttft_p50"], 20.0, &body);
        assert_eq!(groups[0]["totals"]["sessions"], 4, "{body}");
        // failure: row 6, 781 ms, no first token.
        assert_eq!(groups[1]["key"]["status"], "failure", "{body}");
        assert_eq!(groups[1]["totals"]["requests"], 1, "{body}");
        assert_close(&groups[1]["totals"]["latency_p50"], 781.0, &body);
        assert!(groups[1]["totals"]["ttft_p50"].is_null(), "{body}");
    }
    // Over every row: row 4, whose agent fields were stored nowhere, is a group without a name.
    for body in both(
        &apps,
        "/metrics/query?metrics=requests&group_by=agent_name&days=2",
        200,
    )
    .await
    {
        let groups: Vec<(Value, Value)> = body["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| {
                (
                    g["key"]["agent_name"].clone(),
                    g["totals"]["requests"].clone(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [(json!(NAME), json!(7)), (Value::Null, json!(1))],
            "{body}"
        );
    }
}

/// The start-up census warns when recent rows exist but none carries agent fields anywhere —
/// what a team sees when its callers send plain metadata while LiteLLM stores no prompts.
#[tokio::test]
async fn start_up_warns_when_no_row_carries_agent_fields_anywhere() {
    const WARNING: &str = "carries agent fields anywhere";
    // Only row 4: plain metadata with prompt storage off, its agent fields stored nowhere.
    let lost = TestDb::create_with(FIXTURE).await;
    lost.client()
        .await
        .batch_execute(
            r#"DELETE FROM "LiteLLM_SpendLogs"
               WHERE request_id <> 'chatcmpl-56e4e08e-c661-426e-9c66-e8c8874b0f73'"#,
        )
        .await
        .expect("keep row 4 only");
    assert_eq!(lost.row_count().await, 1);
    let mut binary = RunningBinary::start(&[("DATABASE_URL", &lost.url)]);
    let line = binary.wait_for_log(WARNING, Duration::from_secs(20));
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("spend_logs_metadata"), "{line}");
    assert!(line.contains("x-litellm-spend-logs-metadata"), "{line}");

    // Every row: the census reports where it found agents, and no such warning.
    let all = TestDb::create_with(FIXTURE).await;
    let mut binary = RunningBinary::start(&[("DATABASE_URL", &all.url)]);
    let census = binary.wait_for_log("agent_name found in the", Duration::from_secs(20));
    // spend_logs_metadata: rows 1, 2, 5, 6, 7, 8. Request body and its requester_metadata copy:
    // row 3 only (rows 2 and 7 stored their body too, but it nests the fields under
    // spend_logs_metadata). auto reads 6 + 1 = 7: all but row 4.
    assert!(census.contains("the 8 most recent rows"), "{census}");
    assert!(
        census.contains("spend_logs_metadata=6 request_body=1 requester_copy=1 metadata=0"),
        "{census}"
    );
    assert!(census.ends_with("reads 7"), "{census}");
    assert!(
        binary.logs().iter().all(|l| !l.contains(WARNING)),
        "{:?}",
        binary.logs()
    );
}
