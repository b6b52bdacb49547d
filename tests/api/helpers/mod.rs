//! Test harness for the `api` test binary: throw-away Postgres databases holding LiteLLM's table
//! (db.rs), the real app on a random port built by `TestApp::builder()` (app.rs), fixture rows
//! shaped like LiteLLM's (rows.rs) with two hand-worked fixtures (fixture.rs, ops.rs), field
//! pickers for JSON answers (json.rs), and tools for what only a process or a real outage shows
//! (binary.rs, cluster.rs, forwarder.rs).

pub mod app;
pub mod binary;
pub mod cluster;
pub mod db;
pub mod fixture;
pub mod forwarder;
pub mod json;
pub mod ops;
pub mod rows;

use chrono::NaiveDateTime;
use serde_json::Value;

pub use app::{test_settings, TestApp};
pub use db::{admin_url, connect, with_database, TestDb};
pub use rows::{Agent, Place, Row};

/// The six agent endpoints of the spec.
pub const AGENT_ENDPOINTS: [&str; 6] = [
    "/analytics/agent",
    "/activitytimeline",
    "/tokens-usage",
    "/total-tokens",
    "/detailed-usage",
    "/recentmessages",
];

/// `"2024-12-05 14:30:00.250"` → timestamp.
pub fn ts(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .unwrap_or_else(|_| panic!("bad timestamp {text}"))
}

/// URL-encodes a query value.
pub fn enc(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `?agent_name=…&agent_version=…&days=…`
pub fn agent_query(name: &str, version: &str, days: u32) -> String {
    format!(
        "agent_name={}&agent_version={}&days={days}",
        enc(name),
        enc(version)
    )
}

/// The `name`s of a 422 problem's `invalid_params`, in order.
pub fn invalid_param_names(problem: &Value) -> Vec<String> {
    problem["invalid_params"]
        .as_array()
        .unwrap_or_else(|| panic!("no invalid_params: {problem}"))
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_string())
        .collect()
}
