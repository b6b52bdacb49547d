//! CSV export (`format=csv` or `Accept: text/csv`) of lists and series, read back with the csv
//! crate. Numbers come from the operations fixture (helpers/ops.rs).

use std::collections::HashSet;

use crate::helpers;
use crate::helpers::ops::{self, PAY, TRICKY_REPLY, V2};
use crate::helpers::TestApp;
use crate::helpers::TestDb;

/// A CSV answer: status, content type, Content-Disposition, raw body.
struct CsvAnswer {
    disposition: String,
    body: String,
}

impl CsvAnswer {
    fn records(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut reader = csv::Reader::from_reader(self.body.as_bytes());
        let header = reader
            .headers()
            .expect("header row")
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| {
                r.expect("valid CSV record")
                    .iter()
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        (header, rows)
    }

    /// The values of one column, by name.
    fn column(&self, name: &str) -> Vec<String> {
        let (header, rows) = self.records();
        let i = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
        rows.into_iter().map(|r| r[i].clone()).collect()
    }
}

async fn get_csv(app: &helpers::TestApp, path_and_query: &str, accept: Option<&str>) -> CsvAnswer {
    let mut request = app.http.get(format!("{}{}", app.address, path_and_query));
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let content_type = header("content-type");
    let disposition = header("content-disposition");
    let body = response.text().await.expect("body");
    assert_eq!(status, 200, "GET {path_and_query}: {body}");
    assert_eq!(content_type, "text/csv; charset=utf-8", "{path_and_query}");
    CsvAnswer { disposition, body }
}

#[tokio::test]
async fn message_text_with_commas_quotes_and_newlines_round_trips() {
    let app = ops::app().await;
    let answer = get_csv(
        &app,
        &format!("/recentmessages?{}&format=csv", ops::v2_day()),
        None,
    )
    .await;
    assert_eq!(
        answer.disposition,
        format!("attachment; filename=\"recentmessages-{PAY}-{V2}.csv\"")
    );
    // RFC 4180: CRLF line ends, the tricky field quoted with its quotes doubled.
    assert!(answer.body.contains("\r\n"), "{}", answer.body);
    assert!(
        answer
            .body
            .contains("\"Refund of $12, \"\"approved\"\"\nThanks!\""),
        "{}",
        answer.body
    );
    let ids = answer.column("request_id");
    let messages = answer.column("message");
    let p01 = ids.iter().position(|id| id == "p01").expect("p01 exported");
    assert_eq!(messages[p01], TRICKY_REPLY);
}

#[tokio::test]
async fn accept_header_means_csv_and_format_json_wins() {
    let app = ops::app().await;
    let by_header = get_csv(
        &app,
        &format!("/sessions?{}", ops::v2_day()),
        Some("text/csv"),
    )
    .await;
    let by_param = get_csv(
        &app,
        &format!("/sessions?{}&format=csv", ops::v2_day()),
        None,
    )
    .await;
    assert_eq!(by_header.body, by_param.body);
    let (header, rows) = by_param.records();
    assert_eq!(header[0], "session_id");
    assert_eq!(by_param.column("session_id"), ["B", "A", "C"]);
    // Lists inside a row are joined with ';'.
    assert_eq!(
        by_param.column("models"),
        ["gpt-4o;gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet;gpt-4o"]
    );
    assert_eq!(by_param.column("spend"), ["0.0001", "0.005", "0.0077"]);
    assert_eq!(rows.len(), 3);

    let json = app
        .http
        .get(format!(
            "{}/sessions?{}&format=json",
            app.address,
            ops::v2_day()
        ))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(json.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));

    let problem = app
        .get_problem(&format!("/sessions?{}&format=xml", ops::v2_day()), 422)
        .await;
    assert_eq!(problem["invalid_params"][0]["name"], "format", "{problem}");
}

#[tokio::test]
async fn series_flatten_nested_figures_into_columns() {
    let app = ops::app().await;
    let latency = get_csv(
        &app,
        &format!("/latency?{}&format=csv", ops::v2_day()),
        None,
    )
    .await;
    assert_eq!(latency.column("date"), ["2024-12-04", "2024-12-05"]);
    assert_eq!(latency.column("duration_p50_ms"), ["900.0", "600.0"]);
    assert_eq!(latency.column("ttft_count"), ["1", "2"]);

    let tokens = get_csv(
        &app,
        &format!("/tokens-usage?{}&format=csv", ops::v2_day()),
        None,
    )
    .await;
    assert_eq!(tokens.column("spend"), ["0.0077", "0.0051"]);
    assert_eq!(tokens.column("total_tokens"), ["515", "515"]);

    let catalog = get_csv(&app, "/agents?format=csv", None).await;
    assert_eq!(catalog.column("agent_version"), [V2, "1.0.0", "0.1"]);
    assert_eq!(catalog.column("requests"), ["8", "4", "2"]);

    let metrics = get_csv(
        &app,
        "/metrics/query?metrics=requests&group_by=model&days=1&format=csv",
        None,
    )
    .await;
    // gpt-4o: p01 p02 p04 p05 p08 q01..q04 x01; gpt-4o-mini: p03 m01 z01; claude: p06.
    assert_eq!(
        metrics.column("model"),
        ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet"]
    );
    assert_eq!(metrics.column("requests"), ["10", "3", "1"]);
}

#[tokio::test]
async fn an_explicit_limit_caps_the_export() {
    let app = ops::app().await;
    let answer = get_csv(
        &app,
        &format!("/detailed-usage?{}&format=csv&limit=2", ops::v2_day()),
        None,
    )
    .await;
    // Newest first: p04 (13:00), p03 (12:00).
    assert_eq!(answer.column("request_id"), ["p04", "p03"]);
    let sessions = get_csv(
        &app,
        &format!("/sessions?{}&format=csv&limit=1&sort=spend", ops::v2_day()),
        None,
    )
    .await;
    assert_eq!(sessions.column("session_id"), ["C"]);
}

#[tokio::test]
async fn exports_larger_than_a_page_stream_every_row_once() {
    let db = TestDb::create().await;
    // 2,500 requests of bulk-bot on 2024-12-05, one second apart, 50 sessions.
    db.client()
        .await
        .batch_execute(
            r#"INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, spend, total_tokens,
                   prompt_tokens, completion_tokens, "startTime", "endTime", model, metadata,
                   status, session_id)
               SELECT 'bulk-' || g, 'acompletion', 0.001, 11, 10, 1,
                      TIMESTAMP '2024-12-05 00:00:00' + g * INTERVAL '1 second',
                      TIMESTAMP '2024-12-05 00:00:00' + g * INTERVAL '1 second' + INTERVAL '2 seconds',
                      'gpt-4o',
                      jsonb_build_object('spend_logs_metadata', jsonb_build_object(
                          'agent_name', 'bulk-bot', 'agent_version', '1',
                          'agent_session_id', 's' || (g % 50), 'agent_user_id', 'u' || (g % 7))),
                      'success', 'litellm-' || g
               FROM generate_series(1, 2500) AS g;
               ANALYZE "LiteLLM_SpendLogs";"#,
        )
        .await
        .expect("bulk insert");
    let app = TestApp::builder()
        .database(&db)
        .now(ops::now())
        .spawn()
        .await;
    let q = "agent_name=bulk-bot&agent_version=1&days=1&format=csv";

    let usage = get_csv(&app, &format!("/detailed-usage?{q}"), None).await;
    let ids = usage.column("request_id");
    assert_eq!(ids.len(), 2500);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 2500);
    assert_eq!(ids[0], "bulk-2500");
    assert_eq!(ids[2499], "bulk-1");

    let sessions = get_csv(&app, &format!("/sessions?{q}"), None).await;
    let requests: i64 = sessions
        .column("requests")
        .iter()
        .map(|n| n.parse::<i64>().unwrap())
        .sum();
    assert_eq!(sessions.column("session_id").len(), 50);
    assert_eq!(requests, 2500);

    let users = get_csv(&app, &format!("/users?{q}"), None).await;
    assert_eq!(users.column("user_id").len(), 7);
}
