//! The API keeps what README and /openapi.json promise (issue 12): series name their granularity
//! and mark partial buckets, anomalies ignore partial buckets and runs of zeros, total_tokens is
//! LiteLLM's column everywhere, browsers can read the documented headers, blank and unknown query
//! parameters, the OpenAPI security declaration and Swagger UI's configuration.

use litellm_analytics::config::CorsOrigins;
use serde_json::{json, Value};

use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::{agent_query, invalid_param_names};
use crate::helpers::{ts, Agent, Place, Row, TestApp, TestDb};

/// `field` of every entry of `list`.
fn column(list: &Value, field: &str) -> Vec<Value> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|e| e[field].clone())
        .collect()
}

#[tokio::test]
async fn series_name_their_granularity() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let q = agent_query(NAME, VERSION, 1);
    for path in ["/activitytimeline", "/tokens-usage", "/latency"] {
        let body = app.get_json(&format!("{path}?{q}"), 200).await;
        assert_eq!(body["granularity"], "day", "{path} by default");
        let body = app
            .get_json(&format!("{path}?{q}&granularity=hour"), 200)
            .await;
        assert_eq!(body["granularity"], "hour", "{path}");
        let body = app
            .get_json(&format!("{path}?{q}&granularity=week"), 200)
            .await;
        assert_eq!(body["granularity"], "week", "{path}");
    }
}

#[tokio::test]
async fn the_first_and_the_current_bucket_of_a_days_window_are_partial() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    // days=2 at 2024-12-05 14:30: 12-03 from 14:30 on (partial), 12-04 whole, 12-05 until 14:30
    // (partial, the current day).
    let q = agent_query(NAME, VERSION, 2);
    for (path, list) in [
        ("/activitytimeline", "daily_sessions"),
        ("/tokens-usage", "daily_tokens"),
        ("/latency", "buckets"),
    ] {
        let body = app.get_json(&format!("{path}?{q}"), 200).await;
        assert_eq!(
            column(&body[list], "partial"),
            [json!(true), json!(false), json!(true)],
            "{path}"
        );
    }
    // A range of whole past days has no partial bucket.
    let range =
        format!("agent_name={NAME}&agent_version={VERSION}&start=2024-12-03&end=2024-12-05");
    let body = app
        .get_json(&format!("/activitytimeline?{range}"), 200)
        .await;
    assert_eq!(
        column(&body["daily_sessions"], "partial"),
        [json!(false), json!(false)]
    );
    // /metrics/query marks its buckets the same way, in JSON and in CSV.
    let metrics = "/metrics/query?metrics=requests&days=2&granularity=day";
    let body = app.get_json(metrics, 200).await;
    assert_eq!(
        column(&body["groups"][0]["series"], "partial"),
        [json!(true), json!(false), json!(true)]
    );
    let csv = app
        .http
        .get(format!("{}{metrics}&format=csv", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let partial: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(2).unwrap_or(""))
        .collect();
    assert_eq!(
        csv.lines().next(),
        Some("date,bucket_start,partial,requests")
    );
    assert_eq!(partial, ["true", "false", "true"]);
}

/// One request a day at noon from 12-05 to 12-19 with 1000 prompt tokens, in its own session;
/// 12-15's request failed (the only failure); today, 12-20, one request at 00:30 with 10 tokens.
fn steady_weeks() -> Vec<Row> {
    let mut rows: Vec<Row> = (5..=19)
        .map(|day| {
            let id = format!("day-{day}");
            let row = Row::new(&id, ts(&format!("2024-12-{day:02} 12:00:00")))
                .agent(
                    Place::SpendLogsMetadata,
                    Agent::new(NAME, VERSION).session(&id),
                )
                .tokens(1000, 0)
                .duration_ms(1000);
            if day == 15 {
                row.failed()
            } else {
                row
            }
        })
        .collect();
    rows.push(
        Row::new("today", ts("2024-12-20 00:30:00"))
            .agent(
                Place::SpendLogsMetadata,
                Agent::new(NAME, VERSION).session("today"),
            )
            .tokens(10, 0)
            .duration_ms(1000),
    );
    rows
}

#[tokio::test]
async fn neither_a_partial_day_nor_a_first_failure_after_zeros_is_an_anomaly() {
    let db = TestDb::create().await;
    db.insert(&steady_weeks()).await;
    // days=15 at 2024-12-20 01:00: from 12-05 01:00 (12-05 partial, its noon row inside) to now;
    // 16 dates, 12-20 partial with 10 tokens against 1000 on every whole day.
    let app = TestApp::builder()
        .database(&db)
        .now(ts("2024-12-20 01:00:00"))
        .spawn()
        .await;
    let q = agent_query(NAME, VERSION, 15);
    let tokens = app.get_json(&format!("/tokens-usage?{q}"), 200).await;
    let days = &tokens["daily_tokens"];
    let mut partial = vec![json!(false); 16];
    partial[0] = json!(true);
    partial[15] = json!(true);
    assert_eq!(column(days, "partial"), partial);
    assert_eq!(days[15]["total_tokens"], 10);
    // Before partial days were known, 12-20 was a "drop" (7 days of exactly 1000 before it).
    assert_eq!(column(days, "anomaly"), vec![Value::Null; 16]);

    let timeline = app.get_json(&format!("/activitytimeline?{q}"), 200).await;
    let days = &timeline["daily_sessions"];
    assert_eq!(days[10]["date"], "2024-12-15");
    assert_eq!(days[10]["failed_requests"], 1);
    // The only failure after ten days without any: the baseline is all zeros, no steady level
    // (the MAD = 0 rule needs 5 of 7 non-zero points), so it is not flagged.
    assert_eq!(column(days, "error_anomaly"), vec![Value::Null; 16]);
    assert_eq!(column(days, "anomaly"), vec![Value::Null; 16]);
}

/// Rows whose `total_tokens` column differs from prompt + completion (the provider said so).
async fn rows_with_provider_totals(db: &TestDb) {
    let agent = || Agent::new(NAME, VERSION).session("s-tot").user("u-tot");
    db.insert(&[
        Row::new("tot-1", ts("2024-12-05 10:00:00"))
            .agent(Place::SpendLogsMetadata, agent())
            .tokens(100, 20)
            .duration_ms(1000),
        Row::new("tot-2", ts("2024-12-05 11:00:00"))
            .agent(Place::SpendLogsMetadata, agent())
            .tokens(50, 5)
            .duration_ms(1000),
    ])
    .await;
    // prompt + completion: 120 and 55 (175); LiteLLM's column: 130 and 70 (200).
    db.client()
        .await
        .batch_execute(
            r#"UPDATE "LiteLLM_SpendLogs" SET total_tokens = 130 WHERE request_id = 'tot-1';
               UPDATE "LiteLLM_SpendLogs" SET total_tokens = 70 WHERE request_id = 'tot-2';"#,
        )
        .await
        .expect("set provider totals");
}

#[tokio::test]
async fn total_tokens_is_litellms_column_on_every_endpoint() {
    let db = TestDb::create().await;
    rows_with_provider_totals(&db).await;
    let app = TestApp::builder()
        .database(&db)
        .settings(|s| {
            s.rollup.enabled = false;
        })
        .now(fixture::now())
        .spawn()
        .await;
    let q = agent_query(NAME, VERSION, 1);
    let get = |path: String| {
        let app = &app;
        async move { app.get_json(&path, 200).await }
    };
    let total = get(format!("/total-tokens?{q}")).await;
    assert_eq!(total["total_tokens"], 200);
    let series = get(format!("/tokens-usage?{q}")).await;
    assert_eq!(series["daily_tokens"][1]["total_tokens"], 200); // 12-05
    let usage = get(format!("/detailed-usage?{q}")).await;
    assert_eq!(column(&usage["usage_logs"], "total_tokens"), [70, 130]);
    let sessions = get(format!("/sessions?{q}")).await;
    assert_eq!(sessions["sessions"][0]["total_tokens"], 200);
    let detail = get(format!("/sessions/s-tot?{q}")).await;
    assert_eq!(detail["session"]["total_tokens"], 200);
    assert_eq!(column(&detail["requests"], "total_tokens"), [130, 70]);
    let users = get(format!("/users?{q}")).await;
    assert_eq!(users["users"][0]["total_tokens"], 200);
    let compare = get(format!(
        "/agents/compare?agent_name={NAME}&versions={VERSION}&days=1"
    ))
    .await;
    assert_eq!(compare["versions"][0]["total_tokens"], 200);
    let metrics = get(format!(
        "/metrics/query?metrics=total_tokens&filters=agent_name:{NAME}&days=1"
    ))
    .await;
    assert_eq!(metrics["groups"][0]["totals"]["total_tokens"], 200.0);

    // The documentation says which total it is.
    let doc = get("/openapi.json".to_string()).await;
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("DailyTokens", "total_tokens"),
        ("TotalTokens", "total_tokens"),
        ("UsageLog", "total_tokens"),
        ("Session", "total_tokens"),
        ("User", "total_tokens"),
        ("VersionFigures", "total_tokens"),
    ] {
        let description = schemas[schema]["properties"][field]["description"]
            .as_str()
            .unwrap_or_else(|| panic!("{schema}.{field} has no description"));
        assert!(
            description.contains("LiteLLM's `total_tokens` column"),
            "{schema}.{field}: {description}"
        );
    }
}

#[tokio::test]
async fn browsers_on_other_origins_can_read_the_documented_headers() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let q = agent_query(NAME, VERSION, 7);
    let response = app
        .http
        .get(format!("{}/tokens-usage?{q}", app.address))
        .header("Origin", "https://dash.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in [
        "x-data-source",
        "x-data-as-of",
        "x-request-id",
        "retry-after",
        "content-disposition",
    ] {
        assert!(exposed.contains(header), "{header} not in {exposed}");
    }
}

/// The provenance headers of a GET.
async fn provenance(app: &TestApp, path: &str) -> (u16, Option<String>, Option<String>) {
    let response = app.get(path).await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    (
        response.status().as_u16(),
        header("x-data-source"),
        header("x-data-as-of"),
    )
}

#[tokio::test]
async fn csv_answers_carry_the_same_provenance_as_json() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .settings(|s| {
            s.rollup.enabled = false;
        })
        .now(fixture::now())
        .spawn()
        .await;
    let q = agent_query(NAME, VERSION, 7);
    for path in [
        format!("/activitytimeline?{q}"),
        format!("/tokens-usage?{q}"),
        format!("/latency?{q}"),
        format!("/detailed-usage?{q}"),
        format!("/recentmessages?{q}"),
        format!("/sessions?{q}"),
        format!("/sessions/s1?{q}"),
        format!("/users?{q}"),
        "/agents?days=7".to_string(),
        "/metrics/query?metrics=requests&days=7".to_string(),
    ] {
        let (status, source, as_of) = provenance(&app, &format!("{path}&format=csv")).await;
        assert_eq!(status, 200, "{path}");
        // By SQL at the pinned now.
        assert_eq!(source.as_deref(), Some("database"), "{path}");
        assert_eq!(as_of.as_deref(), Some("2024-12-05T14:30:00Z"), "{path}");
        let json = provenance(&app, &path).await;
        assert_eq!(
            (json.1, json.2),
            (source, as_of),
            "{path}: JSON and CSV differ"
        );
    }
}

#[tokio::test]
async fn empty_query_values_count_as_absent() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let q = agent_query(NAME, VERSION, 7);
    // What a form with blank start/end fields sends next to days=7.
    let blank = app
        .get_json(&format!("/total-tokens?{q}&start=&end=&tz="), 200)
        .await;
    let plain = app.get_json(&format!("/total-tokens?{q}"), 200).await;
    assert_eq!(blank, plain);
    for path in [
        format!("/activitytimeline?{q}&start=&end=&granularity=&format="),
        format!("/recentmessages?{q}&start=&end=&limit=&cursor="),
        format!("/sessions?{q}&start=&sort=&order=&user="),
        "/metrics/query?metrics=requests&days=7&start=&end=&group_by=".to_string(),
        format!("/agents/compare?agent_name={NAME}&versions={VERSION}&days=7&start=&end="),
    ] {
        app.get_json(&path, 200).await;
    }
    // A blank required value is still missing.
    let problem = app
        .get_problem("/total-tokens?agent_name=&agent_version=1.0.0&days=7", 422)
        .await;
    assert_eq!(invalid_param_names(&problem), ["agent_name"]);
}

#[tokio::test]
async fn unknown_query_parameters_are_named_in_a_422() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let q = agent_query(NAME, VERSION, 7);
    let problem = app
        .get_problem(&format!("/recentmessages?{q}&limt=5"), 422)
        .await;
    assert_eq!(invalid_param_names(&problem), ["limt"]);
    assert!(
        problem["invalid_params"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("limit"),
        "the reason lists what the endpoint takes: {problem}"
    );
    // `order` exists on /sessions, not on /recentmessages; every unknown one is named.
    let problem = app
        .get_problem(&format!("/recentmessages?{q}&order=asc&foo=1"), 422)
        .await;
    assert_eq!(invalid_param_names(&problem), ["order", "foo"]);
    app.get_json(&format!("/sessions?{q}&order=asc"), 200).await;
    let problem = app.get_problem("/health?verbose=1", 422).await;
    assert_eq!(invalid_param_names(&problem), ["verbose"]);
    // The cache-buster is allowed everywhere.
    app.get_json(&format!("/recentmessages?{q}&_=1733409000000"), 200)
        .await;
    app.get_json("/agents?_=1", 200).await;
}

#[tokio::test]
async fn openapi_declares_api_key_security_only_when_keys_are_configured() {
    let db = TestDb::create().await;
    let open = TestApp::builder()
        .database(&db)
        .now(fixture::now())
        .spawn()
        .await;
    let doc = open.get_json("/openapi.json", 200).await;
    assert_eq!(doc["security"], Value::Null, "{}", doc["security"]);
    let schemes = &doc["components"]["securitySchemes"];
    assert!(
        schemes.is_null() || schemes.as_object().is_some_and(|s| s.is_empty()),
        "{schemes}"
    );
    for (path, item) in doc["paths"].as_object().unwrap() {
        let op = &item["get"];
        assert!(op["security"].is_null(), "{path}");
        assert!(op["responses"]["401"].is_null(), "{path} documents a 401");
    }

    let keyed = TestApp::builder()
        .database(&db)
        .settings(|s| {
            s.guard.api_keys = vec!["contract-key-0123456789".into()];
        })
        .now(fixture::now())
        .spawn()
        .await;
    let doc = keyed.get_json("/openapi.json", 200).await;
    assert_eq!(doc["security"].as_array().map(Vec::len), Some(2));
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["paths"]["/tokens-usage"]["get"]["responses"]["401"].is_object());
    // Health stays open: its operation opts out.
    assert_eq!(doc["paths"]["/health/live"]["get"]["security"], json!([{}]));
}

#[tokio::test]
async fn swagger_ui_loads_nothing_off_site_and_descriptions_render_as_written() {
    let app = TestApp::builder().now(fixture::now()).spawn().await;
    let response = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(response.status(), 200);
    let script = response.text().await.unwrap();
    // No validator badge (it would send the spec's URL to validator.swagger.io) and no Explore bar.
    assert!(script.contains(r#""validatorUrl": "none""#), "{script}");
    assert!(script.contains(r#""layout": "BaseLayout""#), "{script}");

    let doc = app.get_json("/openapi.json", 200).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let op = &item["get"];
        // Swagger UI shows summaries as plain text: Markdown would show literally.
        let summary = op["summary"].as_str().unwrap_or_default();
        assert!(!summary.contains('`'), "{path} summary: {summary}");
        // A description line starting with "20. " or "7) " renders as a numbered list item.
        for p in op["parameters"].as_array().into_iter().flatten() {
            let description = p["description"].as_str().unwrap_or_default();
            for line in description.lines().skip(1) {
                let numbered = [". ", ") "].iter().any(|marker| {
                    line.trim_start().split_once(marker).is_some_and(|(n, _)| {
                        !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
                    })
                });
                assert!(!numbered, "{path} {}: {line:?}", p["name"]);
            }
        }
    }
}

#[tokio::test]
async fn a_404_for_an_unknown_agent_says_where_it_was_read_from() {
    // The rollup app answers from memory (once ready), the other by SQL: a 404 names its source
    // and freshness like a 200 does.
    let db = TestDb::create().await;
    db.insert(&fixture::all_rows()).await;
    for (rollup, source) in [(true, "memory"), (false, "database")] {
        let app = TestApp::builder()
            .database(&db)
            .settings(|s| {
                s.rollup.enabled = rollup;
            })
            .now(fixture::now())
            .spawn()
            .await;
        app.wait_for_status("/health/ready", 200).await;
        let who = "agent_name=nobody&agent_version=0&days=7";
        let paths = [
            format!("/analytics/agent?{who}"),
            format!("/activitytimeline?{who}"),
            format!("/total-tokens?{who}"),
            format!("/latency?{who}"),
            format!("/recentmessages?{who}"),
            format!("/detailed-usage?{who}"),
            format!("/sessions?{who}"),
            format!("/users?{who}"),
            "/agents/compare?agent_name=nobody&versions=0&days=7".to_string(),
            format!("/sessions/no-such-session?agent_name={NAME}&agent_version={VERSION}&days=7"),
        ];
        for path in paths {
            let response = app.get(&path).await;
            assert_eq!(response.status().as_u16(), 404, "{path}");
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap_or_default().to_string())
            };
            assert_eq!(header("x-data-source").as_deref(), Some(source), "{path}");
            assert!(header("x-data-as-of").is_some(), "{path}");
        }
    }
}

#[tokio::test]
async fn cors_allows_listed_origins_only() {
    let db = TestDb::create().await;
    let app = TestApp::builder()
        .database(&db)
        .settings(|s| {
            s.cors_allowed_origins = CorsOrigins::List(vec!["https://dash.example.com".into()]);
        })
        .now(fixture::now())
        .spawn()
        .await;
    let allowed = app
        .http
        .get(format!("{}/health", app.address))
        .header("Origin", "https://dash.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://dash.example.com"
    );
    let other = app
        .http
        .get(format!("{}/health", app.address))
        .header("Origin", "https://evil.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // The default: any origin ("*").
    let open = TestApp::builder()
        .database(&db)
        .now(fixture::now())
        .spawn()
        .await;
    let any = open
        .http
        .get(format!("{}/health", open.address))
        .header("Origin", "https://anyone.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(any.headers()["access-control-allow-origin"], "*");
    let preflight = open
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/analytics/agent", open.address),
        )
        .header("Origin", "https://anyone.example.com")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-methods"], "GET");
}
