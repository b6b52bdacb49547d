//! GET /recentmessages: the assistant's replies, newest first (paging: detailed_usage).

use serde_json::{json, Value};

use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::{agent_query, ts, Agent, Place, Row, TestApp};

#[tokio::test]
async fn recent_messages_hold_assistant_text_only() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let body = app
        .get_json(
            &format!("/recentmessages?{}", agent_query(NAME, VERSION, 7)),
            200,
        )
        .await;
    assert_eq!(body["next_cursor"], Value::Null);
    // sb-03 failed (response {}) and sb-08 only called a tool (content null): both absent.
    let expected = json!([
        {"timestamp": "2024-12-05T14:00:00Z", "session_id": "s1", "message_length": 22, "agent_name": NAME,
         "model_name": "gpt-4o-2024-08-06", "message": "Hello! How can I help?", "request_id": "sb-01"},
        {"timestamp": "2024-12-05T09:15:30.250Z", "session_id": "s1", "message_length": 5, "agent_name": NAME,
         "model_name": "gpt-4o", "message": "Sure.", "request_id": "sb-02"},
        // 12 characters (15 bytes): the length counts characters.
        {"timestamp": "2024-12-04T23:59:59.500Z", "session_id": "s2", "message_length": 12, "agent_name": NAME,
         "model_name": "claude-3-5-sonnet", "message": "Café ☕ ready", "request_id": "sb-04"},
        // response.model is "": the row's model stands in.
        {"timestamp": "2024-12-04T14:30:00Z", "session_id": "s7", "message_length": 8, "agent_name": NAME,
         "model_name": "gpt-4o", "message": "boundary", "request_id": "sb-05"},
        {"timestamp": "2024-12-04T14:29:59.999Z", "session_id": "s8", "message_length": 20, "agent_name": NAME,
         "model_name": "gpt-4o", "message": "just outside one day", "request_id": "sb-06"},
        {"timestamp": "2024-12-03T10:00:00Z", "session_id": "", "message_length": 10, "agent_name": NAME,
         "model_name": "gpt-4o", "message": "no session", "request_id": "sb-07"},
        {"timestamp": "2024-11-28T14:31:00Z", "session_id": "s4", "message_length": 11, "agent_name": NAME,
         "model_name": "gpt-4o", "message": "edge inside", "request_id": "sb-09"},
    ]);
    assert_eq!(body["messages"], expected);
}

#[tokio::test]
async fn agent_with_rows_but_no_replies_gets_an_empty_message_list() {
    let app = TestApp::builder()
        .rows(&[
            Row::new("q-1", ts("2024-12-05 10:00:00"))
                .agent(
                    Place::SpendLogsMetadata,
                    Agent::new("quiet", "1").session("a"),
                )
                .failed(),
            Row::new("q-2", ts("2024-12-05 11:00:00"))
                .agent(
                    Place::SpendLogsMetadata,
                    Agent::new("quiet", "1").session("a"),
                )
                .tool_call_only(),
        ])
        .now(fixture::now())
        .spawn()
        .await;
    let body = app
        .get_json(
            &format!("/recentmessages?{}", agent_query("quiet", "1", 1)),
            200,
        )
        .await;
    assert_eq!(body["messages"], json!([]));
    assert_eq!(body["next_cursor"], Value::Null);
}
