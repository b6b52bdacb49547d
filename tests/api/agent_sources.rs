//! AGENT_METADATA_SOURCE: each setting reads agent fields from its own place, and `auto` picks
//! per row. One table mixes every place LiteLLM (or a fork) may keep them:
//!
//! | id  | spend_logs_metadata      | body metadata (plain) | body requester copy | top-level metadata |
//! |-----|--------------------------|-----------------------|---------------------|--------------------|
//! | m-1 | mix-bot/1, session a     |                       |                     |                    |
//! | m-2 |                          | mix-bot/1, session b  | mix-bot/1, b        |                    |
//! | m-3 |                          |                       | mix-bot/1, c        |                    |
//! | m-4 |                          |                       |                     | mix-bot/1, d       |
//! | m-5 | mix-bot/1, session e-slm | other-bot/9, e-body   | other-bot/9, e-body |                    |
//! | m-6 | {"team": "x"} (no agent) | mix-bot/1, f          | mix-bot/1, f        |                    |
//! | m-7 |                          | mix-bot/1, g          |                     |                    |
//! | m-8 | agent_name: null         | mix-bot/1, h          |                     |                    |
//!
//! Rows of mix-bot/1 per source: spend_logs_metadata m-1 m-5 = 2; request_body m-2 m-6 m-7 m-8
//! = 4; requester_copy m-2 m-3 m-6 = 3; metadata m-4 = 1; auto (slm if it names an agent, else
//! body, else copy) m-1 m-2 m-3 m-5 m-6 m-7 m-8 = 7.

use litellm_analytics::config::AgentSource;
use serde_json::json;

use crate::helpers::{agent_query, ts, Agent, Place, Row, TestApp, TestDb};

fn now() -> chrono::NaiveDateTime {
    ts("2024-12-05 14:30:00")
}

fn mix(session: &str) -> Agent {
    Agent::new("mix-bot", "1").session(session).user("u")
}

fn mixed_rows() -> Vec<Row> {
    use Place::*;
    let at = |minute: u32| ts(&format!("2024-12-05 10:{minute:02}:00"));
    vec![
        Row::new("m-1", at(1)).agent(SpendLogsMetadata, mix("a")),
        Row::new("m-2", at(2)).agent(RequestBody, mix("b")),
        Row::new("m-3", at(3)).agent(RequesterCopyOnly, mix("c")),
        Row::new("m-4", at(4)).agent(MetadataTopLevel, mix("d")),
        Row::new("m-5", at(5))
            .agent(SpendLogsMetadata, mix("e-slm"))
            .agent(RequestBody, Agent::new("other-bot", "9").session("e-body")),
        Row::new("m-6", at(6))
            .spend_logs_metadata(json!({"team": "x"}))
            .agent(RequestBody, mix("f")),
        Row::new("m-7", at(7)).agent(RequestBodyPlainOnly, mix("g")),
        Row::new("m-8", at(8))
            .spend_logs_metadata(json!({"agent_name": null, "agent_version": null}))
            .agent(RequestBodyPlainOnly, mix("h")),
    ]
    .into_iter()
    .map(|r| r.tokens(10, 1).reply("hello"))
    .collect()
}

async fn sessions_seen(source: AgentSource) -> Vec<String> {
    let app = TestApp::builder()
        .rows(&mixed_rows())
        .source(source)
        .now(now())
        .spawn()
        .await;
    let summary = app
        .get_json(
            &format!("/analytics/agent?{}", agent_query("mix-bot", "1", 1)),
            200,
        )
        .await;
    let messages = app
        .get_json(
            &format!("/recentmessages?{}", agent_query("mix-bot", "1", 1)),
            200,
        )
        .await;
    let mut sessions: Vec<String> = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["session_id"].as_str().unwrap().to_string())
        .collect();
    sessions.sort();
    assert_eq!(
        summary["metrics"]["total_messages"],
        sessions.len(),
        "{source}"
    );
    assert_eq!(
        summary["metrics"]["total_sessions"],
        sessions.len(),
        "{source}"
    );
    sessions
}

#[tokio::test]
async fn spend_logs_metadata_source_reads_only_spend_logs_metadata() {
    assert_eq!(
        sessions_seen(AgentSource::SpendLogsMetadata).await,
        ["a", "e-slm"]
    );
}

#[tokio::test]
async fn request_body_source_reads_the_plain_body_metadata() {
    assert_eq!(
        sessions_seen(AgentSource::RequestBody).await,
        ["b", "f", "g", "h"]
    );
}

#[tokio::test]
async fn requester_copy_source_reads_litellms_copy() {
    assert_eq!(
        sessions_seen(AgentSource::RequesterCopy).await,
        ["b", "c", "f"]
    );
}

#[tokio::test]
async fn metadata_source_reads_top_level_keys() {
    assert_eq!(sessions_seen(AgentSource::Metadata).await, ["d"]);
}

#[tokio::test]
async fn auto_prefers_spend_logs_metadata_then_body_then_copy_per_row() {
    // m-5: spend_logs_metadata wins over the body, session read from the same place (e-slm).
    // m-6, m-8: spend_logs_metadata without a usable agent_name falls through to the body.
    assert_eq!(
        sessions_seen(AgentSource::Auto).await,
        ["a", "b", "c", "e-slm", "f", "g", "h"]
    );
}

#[tokio::test]
async fn auto_gives_a_row_to_one_agent_only() {
    let db = TestDb::create().await;
    db.insert(&mixed_rows()).await;
    let auto = TestApp::builder()
        .database(&db)
        .source(AgentSource::Auto)
        .now(now())
        .spawn()
        .await;
    auto.get_problem(
        &format!("/analytics/agent?{}", agent_query("other-bot", "9", 1)),
        404,
    )
    .await;
    let body = TestApp::builder()
        .database(&db)
        .source(AgentSource::RequestBody)
        .now(now())
        .spawn()
        .await;
    let other = body
        .get_json(
            &format!("/analytics/agent?{}", agent_query("other-bot", "9", 1)),
            200,
        )
        .await;
    assert_eq!(other["metrics"]["total_messages"], 1);
}

#[tokio::test]
async fn database_without_request_body_column_degrades_auto_and_refuses_body_sources() {
    let db = TestDb::create().await;
    db.insert(&mixed_rows()).await;
    // A LiteLLM database from before April 2025.
    db.client()
        .await
        .batch_execute(r#"ALTER TABLE "LiteLLM_SpendLogs" DROP COLUMN proxy_server_request"#)
        .await
        .unwrap();
    let auto = TestApp::builder()
        .database(&db)
        .source(AgentSource::Auto)
        .now(now())
        .spawn()
        .await;
    let summary = auto
        .get_json(
            &format!("/analytics/agent?{}", agent_query("mix-bot", "1", 1)),
            200,
        )
        .await;
    assert_eq!(summary["metrics"]["total_messages"], 2); // m-1 and m-5 from spend_logs_metadata
    let body = TestApp::builder()
        .database(&db)
        .source(AgentSource::RequestBody)
        .now(now())
        .spawn()
        .await;
    let problem = body
        .get_problem(
            &format!("/analytics/agent?{}", agent_query("mix-bot", "1", 1)),
            503,
        )
        .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("proxy_server_request"),
        "{problem}"
    );
}
