//! GET /metrics/query on the operations fixture (helpers/ops.rs holds the table the numbers come
//! from). days=1 means from 2024-12-04 14:30.

use serde_json::{json, Value};

use crate::helpers::enc;
use crate::helpers::ops::{self, MAIL, PAY, V1, V2};

/// (key, totals) of each group.
fn groups(body: &Value) -> Vec<(Value, Value)> {
    body["groups"]
        .as_array()
        .unwrap_or_else(|| panic!("no groups: {body}"))
        .iter()
        .map(|g| (g["key"].clone(), g["totals"].clone()))
        .collect()
}

#[tokio::test]
async fn spend_and_requests_by_agent() {
    let app = ops::app().await;
    let body = app
        .get_json(
            "/metrics/query?metrics=spend,requests&group_by=agent_name&days=1",
            200,
        )
        .await;
    assert_eq!(body["metrics"], json!(["spend", "requests"]));
    assert_eq!(body["group_by"], json!(["agent_name"]));
    assert_eq!(
        groups(&body),
        vec![
            // 2.0.0 (7 rows, 0.0128) + 1.0.0 (4, 0.004) + x01 without a version (1, 0.0001)
            (
                json!({"agent_name": PAY}),
                json!({"spend": 0.0169, "requests": 12})
            ),
            (
                json!({"agent_name": MAIL}),
                json!({"spend": 0.0003, "requests": 1})
            ),
            // z01 names no agent
            (
                json!({"agent_name": null}),
                json!({"spend": 0.0, "requests": 1})
            ),
        ]
    );
    assert!(body["groups"][0]["series"].is_null());
}

#[tokio::test]
async fn filtered_two_dimension_groups_with_latency_and_a_limit() {
    let app = ops::app().await;
    let body = app
        .get_json(
            &format!(
                "/metrics/query?metrics=requests,latency_p50,error_rate&group_by=agent_version,status\
                 &filters={}&limit=2&days=1",
                enc(&format!("agent_name:{PAY}"))
            ),
            200,
        )
        .await;
    // (2.0.0, success): 500 600 900 1200 1800 4000 → p50 = 3rd = 900.
    // (1.0.0, success): 1000 2000 3000 → 2000. The rest (1 request each) fall past the limit.
    assert_eq!(
        groups(&body),
        vec![
            (
                json!({"agent_version": V2, "status": "success"}),
                json!({"requests": 6, "latency_p50": 900.0, "error_rate": 0.0})
            ),
            (
                json!({"agent_version": V1, "status": "success"}),
                json!({"requests": 3, "latency_p50": 2000.0, "error_rate": 0.0})
            ),
        ]
    );
}

#[tokio::test]
async fn in_list_filters_in_both_syntaxes() {
    let app = ops::app().await;
    // gpt-4o-mini: p03 (60), m01 (33), z01 (2); claude-3-5-sonnet: p06 (15).
    let expected = vec![
        (
            json!({"model": "gpt-4o-mini"}),
            json!({"requests": 3, "total_tokens": 95}),
        ),
        (
            json!({"model": "claude-3-5-sonnet"}),
            json!({"requests": 1, "total_tokens": 15}),
        ),
    ];
    let list = app
        .get_json(
            &format!(
                "/metrics/query?metrics=requests,total_tokens&group_by=model&days=1&filters={}",
                enc("model:gpt-4o-mini|claude-3-5-sonnet")
            ),
            200,
        )
        .await;
    assert_eq!(groups(&list), expected);
    let object = app
        .get_json(
            &format!(
                "/metrics/query?metrics=requests,total_tokens&group_by=model&days=1&filters={}",
                enc(r#"{"model": ["gpt-4o-mini", "claude-3-5-sonnet"]}"#)
            ),
            200,
        )
        .await;
    assert_eq!(groups(&object), expected);
    // Repeated `filter` parameters are the same thing, one item each.
    let repeated = app
        .get_json(
            "/metrics/query?metrics=requests,total_tokens&group_by=model&days=1\
             &filter=model:gpt-4o-mini&filter=model:claude-3-5-sonnet",
            200,
        )
        .await;
    assert_eq!(groups(&repeated), expected);

    // Team, key alias, user and app dimensions.
    for (filters, requests) in [
        (r#"{"team_id": ["team-red"]}"#, 2),     // p01 p02
        (r#"{"api_key_alias": "key-blue"}"#, 1), // m01
        ("user:alice", 4),                       // p01 p02 p05 p08
        ("app:helpdesk,status:failure", 2),      // p04 q03
    ] {
        let body = app
            .get_json(
                &format!(
                    "/metrics/query?metrics=requests&days=1&filters={}",
                    enc(filters)
                ),
                200,
            )
            .await;
        assert_eq!(
            groups(&body),
            vec![(json!({}), json!({"requests": requests}))],
            "{filters}"
        );
    }
}

#[tokio::test]
async fn daily_series_per_group() {
    let app = ops::app().await;
    let body = app
        .get_json(
            &format!(
                "/metrics/query?metrics=requests,spend,sessions&granularity=day&days=1&filters={}",
                enc(&format!("agent_name:{PAY},agent_version:{V2}"))
            ),
            200,
        )
        .await;
    assert_eq!(body["granularity"], "day");
    let series: Vec<Value> = body["groups"][0]["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|p| json!([p["date"], p["values"]]))
        .collect();
    assert_eq!(
        series,
        vec![
            json!(["2024-12-04", {"requests": 2, "spend": 0.0077, "sessions": 1}]),
            json!(["2024-12-05", {"requests": 5, "spend": 0.0051, "sessions": 2}]),
        ]
    );
    assert_eq!(
        body["groups"][0]["totals"],
        json!({"requests": 7, "spend": 0.0128, "sessions": 3})
    );
}

#[tokio::test]
async fn bad_input_names_the_parameter_and_what_is_allowed() {
    let app = ops::app().await;
    for (query, param, mentions) in [
        ("metrics=cost&days=1", "metrics", "requests"),
        ("days=1", "metrics", "requests"),
        (
            "metrics=requests&group_by=colour&days=1",
            "group_by",
            "agent_name",
        ),
        (
            "metrics=requests&filters=colour:red&days=1",
            "filters",
            "team_id",
        ),
        (
            "metrics=requests&filters=model&days=1",
            "filters",
            "dimension:value",
        ),
        (
            "metrics=requests&filters=%7Bnot%20json&days=1",
            "filters",
            "JSON",
        ),
        ("metrics=requests&limit=0&days=1", "limit", "1000"),
        (
            "metrics=requests&granularity=minute&days=1",
            "granularity",
            "hour",
        ),
        ("metrics=requests&days=4", "days", "20"),
    ] {
        let problem = app
            .get_problem(&format!("/metrics/query?{query}"), 422)
            .await;
        let params = problem["invalid_params"]
            .as_array()
            .unwrap_or_else(|| panic!("{query}: {problem}"));
        assert_eq!(params.len(), 1, "{query}: {problem}");
        assert_eq!(params[0]["name"], param, "{query}: {problem}");
        let reason = params[0]["reason"].as_str().unwrap();
        assert!(reason.contains(mentions), "{query}: {reason}");
    }
}

#[tokio::test]
async fn a_series_of_more_than_50000_points_is_refused_naming_limit() {
    use crate::helpers::{invalid_param_names, ts, Agent, Place, Row, TestApp, TestDb};
    // 110 agents with one request each: by hour over 20 days that is 110 groups × 481 buckets =
    // 52,910 points (over the 50,000 cap); by day 110 × 21 = 2,310 points, answered.
    let db = TestDb::create().await;
    let rows: Vec<Row> = (0..110)
        .map(|i| {
            Row::new(&format!("r{i}"), ts("2024-12-05 10:00:00")).agent(
                Place::SpendLogsMetadata,
                Agent::new(&format!("a{i:03}"), "1"),
            )
        })
        .collect();
    db.insert(&rows).await;
    let app = TestApp::builder()
        .database(&db)
        .now(ts("2024-12-05 14:30:00"))
        .spawn()
        .await;
    let query = "/metrics/query?metrics=requests&group_by=agent_name&days=20&limit=1000";
    let problem = app
        .get_problem(&format!("{query}&granularity=hour"), 422)
        .await;
    assert_eq!(invalid_param_names(&problem), ["limit"]);
    let detail = problem["invalid_params"][0]["reason"].as_str().unwrap();
    assert!(detail.contains("110 groups × 481 buckets"), "{detail}");
    let body = app.get_json(&format!("{query}&granularity=day"), 200).await;
    let groups = body["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 110);
    assert!(groups
        .iter()
        .all(|g| g["series"].as_array().unwrap().len() == 21));
    // Each agent's only request lands in its 12-05 bucket (the last, partial one).
    assert!(groups
        .iter()
        .all(|g| g["series"][20]["values"]["requests"] == 1));
    assert!(groups.iter().all(|g| g["totals"]["requests"] == 1));
}
