//! The main fixture: agent "support-bot" version "1.0.0" seen from a pinned "now" of
//! 2024-12-05 14:30:00 UTC, plus look-alike rows of other agents that must never be counted.
//!
//! The expected numbers in the tests are worked out by hand from this table:
//!
//! | id    | startTime (UTC)         | dur s | session | user | prompt | compl | reply                 | place |
//! |-------|-------------------------|-------|---------|------|--------|-------|-----------------------|-------|
//! | sb-01 | 2024-12-05 14:00:00     | 1.5   | s1      | u1   | 100    | 20    | "Hello! How can I help?" (response model gpt-4o-2024-08-06) | slm |
//! | sb-02 | 2024-12-05 09:15:30.250 | 0.75  | s1      | u1   | 200    | 40    | "Sure."               | body  |
//! | sb-03 | 2024-12-05 00:00:00.500 | 0     | s2      | u2   | 60     | 0     | failed, response {}   | slm   |
//! | sb-04 | 2024-12-04 23:59:59.500 | 2     | s2      | u2   | 50     | 10    | "Café ☕ ready" (no response model; row model claude-3-5-sonnet) | slm |
//! | sb-05 | 2024-12-04 14:30:00     | 1     | s7      | u1   | 11     | 1     | "boundary" (response model "") | slm |
//! | sb-06 | 2024-12-04 14:29:59.999 | 1     | s8      | u6   | 13     | 3     | "just outside one day" | body |
//! | sb-07 | 2024-12-03 10:00:00     | 1     | —       | —    | 40     | 8     | "no session"          | slm   |
//! | sb-08 | 2024-12-01 12:00:00     | 3.25  | s3      | u1   | 300    | 100   | tool call, content null | slm |
//! | sb-09 | 2024-11-28 14:31:00     | 1     | s4      | u3   | 10     | 5     | "edge inside"         | copy  |
//! | sb-10 | 2024-11-28 14:29:00     | 1     | s5      | u4   | 1000   | 1000  | "edge outside"        | slm   |
//! | sb-11 | 2024-11-20 08:00:00     | 1     | s6      | u5   | 500    | 250   | "twenty days"         | body  |
//! | sb-12 | 2024-12-05 14:31:00     | 1     | s1      | u1   | 7      | 7     | "from the future"     | slm   |
//! | sb-13 | 2024-11-15 14:29:59     | 1     | s9      | u7   | 9      | 9     | "too old"             | slm   |
//!
//! Window starts (now − days×24h): days=1 → 12-04 14:30:00, 2 → 12-03 14:30, 7 → 11-28 14:30,
//! 15 → 11-20 14:30, 20 → 11-15 14:30. sb-12 is after now and never counts.

use chrono::NaiveDateTime;
use serde_json::json;

use super::{ts, Agent, Place, Row};

pub const NAME: &str = "support-bot";
pub const VERSION: &str = "1.0.0";

pub fn now() -> NaiveDateTime {
    ts("2024-12-05 14:30:00")
}

fn sb(session: Option<&str>, user: Option<&str>) -> Agent {
    let mut agent = Agent::new(NAME, VERSION);
    agent.session = session.map(str::to_string);
    agent.user = user.map(str::to_string);
    agent
}

pub fn support_bot_rows() -> Vec<Row> {
    use Place::*;
    vec![
        Row::new("sb-01", ts("2024-12-05 14:00:00"))
            .agent(SpendLogsMetadata, sb(Some("s1"), Some("u1")))
            .tokens(100, 20)
            .duration_ms(1500)
            .reply_from(Some("gpt-4o-2024-08-06"), "Hello! How can I help?"),
        Row::new("sb-02", ts("2024-12-05 09:15:30.250"))
            .agent(RequestBody, sb(Some("s1"), Some("u1")))
            .tokens(200, 40)
            .duration_ms(750)
            .reply("Sure."),
        Row::new("sb-03", ts("2024-12-05 00:00:00.500"))
            .agent(SpendLogsMetadata, sb(Some("s2"), Some("u2")))
            .tokens(60, 0)
            .failed(),
        Row::new("sb-04", ts("2024-12-04 23:59:59.500"))
            .model("claude-3-5-sonnet")
            .agent(SpendLogsMetadata, sb(Some("s2"), Some("u2")))
            .tokens(50, 10)
            .duration_ms(2000)
            .reply_from(None, "Café ☕ ready"),
        Row::new("sb-05", ts("2024-12-04 14:30:00"))
            .agent(SpendLogsMetadata, sb(Some("s7"), Some("u1")))
            .tokens(11, 1)
            .reply_from(Some(""), "boundary"),
        Row::new("sb-06", ts("2024-12-04 14:29:59.999"))
            .agent(RequestBody, sb(Some("s8"), Some("u6")))
            .tokens(13, 3)
            .reply("just outside one day"),
        Row::new("sb-07", ts("2024-12-03 10:00:00"))
            .agent(SpendLogsMetadata, sb(None, None))
            .tokens(40, 8)
            .reply("no session"),
        Row::new("sb-08", ts("2024-12-01 12:00:00"))
            .agent(SpendLogsMetadata, sb(Some("s3"), Some("u1")))
            .tokens(300, 100)
            .duration_ms(3250)
            .tool_call_only(),
        Row::new("sb-09", ts("2024-11-28 14:31:00"))
            .agent(RequesterCopyOnly, sb(Some("s4"), Some("u3")))
            .tokens(10, 5)
            .reply("edge inside"),
        Row::new("sb-10", ts("2024-11-28 14:29:00"))
            .agent(SpendLogsMetadata, sb(Some("s5"), Some("u4")))
            .tokens(1000, 1000)
            .reply("edge outside"),
        Row::new("sb-11", ts("2024-11-20 08:00:00"))
            .agent(RequestBody, sb(Some("s6"), Some("u5")))
            .tokens(500, 250)
            .reply("twenty days"),
        Row::new("sb-12", ts("2024-12-05 14:31:00"))
            .agent(SpendLogsMetadata, sb(Some("s1"), Some("u1")))
            .tokens(7, 7)
            .reply("from the future"),
        Row::new("sb-13", ts("2024-11-15 14:29:59"))
            .agent(SpendLogsMetadata, sb(Some("s9"), Some("u7")))
            .tokens(9, 9)
            .reply("too old"),
    ]
}

/// Rows in the same window that belong to someone else, or to no one.
pub fn look_alike_rows() -> Vec<Row> {
    use Place::*;
    vec![
        Row::new("other-01", ts("2024-12-05 10:00:00"))
            .agent(
                SpendLogsMetadata,
                Agent::new(NAME, "2.0.0").session("s1").user("u1"),
            )
            .tokens(5000, 5000)
            .reply("version two"),
        Row::new("other-02", ts("2024-12-05 11:00:00"))
            .agent(
                SpendLogsMetadata,
                Agent::new("sales-agent", VERSION).session("s9").user("u9"),
            )
            .tokens(3000, 3000)
            .reply("sales"),
        Row::new("other-03", ts("2024-12-05 12:00:00"))
            .agent(
                SpendLogsMetadata,
                Agent::new("Support-Bot", VERSION).session("s1"),
            )
            .tokens(1, 1)
            .reply("case differs"),
        Row::new("other-04", ts("2024-12-05 12:30:00"))
            .spend_logs_metadata(json!({"agent_name": NAME, "agent_session_id": "s1"}))
            .tokens(1, 1)
            .reply("no version"),
        Row::new("other-05", ts("2024-12-05 13:00:00"))
            .tokens(1, 1)
            .reply("a plain LiteLLM request without agent metadata"),
        Row::new("other-06", ts("2024-12-05 13:30:00"))
            .agent(MetadataTopLevel, Agent::new(NAME, VERSION).session("s1"))
            .tokens(1, 1)
            .reply("top-level metadata: not read by auto"),
        Row::new("other-07", ts("2024-12-05 13:45:00"))
            .agent(SpendLogsMetadata, Agent::new(NAME, "1.0.0 ").session("s1"))
            .tokens(1, 1)
            .reply("version with a trailing space"),
    ]
}

pub fn all_rows() -> Vec<Row> {
    let mut rows = support_bot_rows();
    rows.extend(look_alike_rows());
    rows
}
