//! Picking the fields a test is about out of a JSON answer.

use serde_json::Value;

/// Keeps the named fields of an object, in that order.
pub fn pick(object: &Value, fields: &[&str]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|f| (f.to_string(), object[*f].clone()))
            .collect(),
    )
}

/// Only `fields` of each entry of a list (entries carry more, tested elsewhere).
pub fn pick_each(list: &Value, fields: &[&str]) -> Value {
    Value::Array(
        list.as_array()
            .expect("array")
            .iter()
            .map(|e| {
                Value::Object(
                    fields
                        .iter()
                        .map(|f| (f.to_string(), e[*f].clone()))
                        .collect(),
                )
            })
            .collect(),
    )
}

/// The `date` of each entry of a daily series.
pub fn dates(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|e| e["date"].as_str().expect("date").to_string())
        .collect()
}

/// The fields of /activitytimeline entries the series tests compare.
pub const SESSIONS: [&str; 3] = ["date", "sessions", "messages"];
/// The fields of /tokens-usage entries the series tests compare.
pub const TOKENS: [&str; 3] = ["date", "prompt_tokens", "completion_tokens"];

/// The string `field` of each entry of a list (session ids, user ids, request ids).
pub fn ids(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|s| s[field].as_str().expect("id").to_string())
        .collect()
}
