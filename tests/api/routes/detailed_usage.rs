//! GET /detailed-usage: every request, newest first, and keyset paging (the paging tests walk
//! /recentmessages too, which pages the same way).

use litellm_analytics::cursor::Cursor;
use serde_json::{json, Value};

use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::{agent_query, ts, Agent, Place, Row, TestApp, TestDb};

fn request_ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|e| e["request_id"].as_str().expect("request_id").to_string())
        .collect()
}

#[tokio::test]
async fn detailed_usage_lists_every_request_newest_first() {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let body = app
        .get_json(
            &format!("/detailed-usage?{}", agent_query(NAME, VERSION, 7)),
            200,
        )
        .await;
    assert_eq!(body["next_cursor"], Value::Null);
    assert_eq!(body["date_range"]["start_date"], "2024-11-28");
    let logs = body["usage_logs"].as_array().unwrap();
    let expected = [
        // (request_id, timestamp, prompt, completion, duration_seconds)
        ("sb-01", "2024-12-05T14:00:00Z", 100, 20, 1.5),
        ("sb-02", "2024-12-05T09:15:30.250Z", 200, 40, 0.75),
        ("sb-03", "2024-12-05T00:00:00.500Z", 60, 0, 0.0),
        ("sb-04", "2024-12-04T23:59:59.500Z", 50, 10, 2.0),
        ("sb-05", "2024-12-04T14:30:00Z", 11, 1, 1.0),
        ("sb-06", "2024-12-04T14:29:59.999Z", 13, 3, 1.0),
        ("sb-07", "2024-12-03T10:00:00Z", 40, 8, 1.0),
        ("sb-08", "2024-12-01T12:00:00Z", 300, 100, 3.25),
        ("sb-09", "2024-11-28T14:31:00Z", 10, 5, 1.0),
    ];
    assert_eq!(logs.len(), expected.len(), "{body}");
    for (log, (id, timestamp, prompt, completion, duration)) in logs.iter().zip(expected) {
        assert_eq!(
            log,
            &json!({
                "timestamp": timestamp,
                "agent_name": NAME,
                "total_tokens": prompt + completion,
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "duration_seconds": duration,
                "request_id": id,
                "agent_version": VERSION,
                "model": if id == "sb-04" { "claude-3-5-sonnet" } else { "gpt-4o" },
            })
        );
    }
}

#[tokio::test]
async fn default_page_size_is_one_hundred() {
    let db = TestDb::create().await;
    let rows: Vec<Row> = (0..150)
        .map(|i| {
            Row::new(
                &format!("many-{i:03}"),
                ts("2024-12-05 08:00:00") + chrono::Duration::seconds(i),
            )
            .agent(Place::SpendLogsMetadata, Agent::new("busy", "1"))
            .reply("x")
        })
        .collect();
    db.insert(&rows).await;
    let app = TestApp::builder()
        .database(&db)
        .now(fixture::now())
        .spawn()
        .await;
    let first = app
        .get_json(
            &format!("/detailed-usage?{}", agent_query("busy", "1", 1)),
            200,
        )
        .await;
    assert_eq!(first["usage_logs"].as_array().unwrap().len(), 100);
    assert_eq!(first["usage_logs"][0]["request_id"], "many-149");
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = app
        .get_json(
            &format!(
                "/detailed-usage?{}&cursor={cursor}",
                agent_query("busy", "1", 1)
            ),
            200,
        )
        .await;
    assert_eq!(second["usage_logs"].as_array().unwrap().len(), 50);
    assert_eq!(second["usage_logs"][49]["request_id"], "many-000");
    assert_eq!(second["next_cursor"], Value::Null);
}

/// Ten rows of agent "pager": seven share one startTime, so only request_id orders them.
fn pager_rows() -> Vec<Row> {
    let agent = || Agent::new("pager", "1").session("p");
    let mut rows: Vec<Row> = ["p-a", "p-b", "p-c", "p-d", "p-e", "p-f", "p-g"]
        .into_iter()
        .map(|id| Row::new(id, ts("2024-12-05 12:00:00")).agent(Place::SpendLogsMetadata, agent()))
        .collect();
    rows.push(Row::new("p-h", ts("2024-12-05 13:00:00")).agent(Place::SpendLogsMetadata, agent()));
    rows.push(Row::new("p-i", ts("2024-12-05 11:00:00")).agent(Place::SpendLogsMetadata, agent()));
    rows.push(Row::new("p-j", ts("2024-12-04 20:00:00")).agent(Place::SpendLogsMetadata, agent()));
    rows.into_iter().map(|r| r.reply("hi")).collect()
}

const PAGER_ORDER: [&str; 10] = [
    "p-h", "p-g", "p-f", "p-e", "p-d", "p-c", "p-b", "p-a", "p-i", "p-j",
];

/// Follows next_cursor to the end; returns the pages' ids.
async fn walk(app: &TestApp, endpoint: &str, list_key: &str, limit: u32) -> Vec<Vec<String>> {
    let base = format!("/{endpoint}?{}&limit={limit}", agent_query("pager", "1", 1));
    let mut pages = Vec::new();
    let mut path = base.clone();
    loop {
        let body = app.get_json(&path, 200).await;
        pages.push(request_ids(&body[list_key]));
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("{base}&cursor={cursor}"),
            None => break,
        }
        assert!(pages.len() <= 20, "paging does not end");
    }
    pages
}

#[tokio::test]
async fn paging_with_shared_start_times_yields_every_row_once() {
    let app = TestApp::builder()
        .rows(&pager_rows())
        .now(fixture::now())
        .spawn()
        .await;
    for (endpoint, key) in [
        ("detailed-usage", "usage_logs"),
        ("recentmessages", "messages"),
    ] {
        let pages = walk(&app, endpoint, key, 3).await;
        assert_eq!(
            pages,
            vec![
                vec!["p-h", "p-g", "p-f"],
                vec!["p-e", "p-d", "p-c"],
                vec!["p-b", "p-a", "p-i"],
                vec!["p-j"],
            ],
            "{endpoint}"
        );
        // A page that ends exactly at the last row has no next cursor.
        let pages = walk(&app, endpoint, key, 5).await;
        assert_eq!(pages.len(), 2, "{endpoint}");
        assert_eq!(pages.concat(), PAGER_ORDER);
        let pages = walk(&app, endpoint, key, 1000).await;
        assert_eq!(pages, vec![PAGER_ORDER.to_vec()], "{endpoint}");
        let pages = walk(&app, endpoint, key, 1).await;
        assert_eq!(pages.len(), 10);
        assert_eq!(pages.concat(), PAGER_ORDER);
    }
}

#[tokio::test]
async fn cursor_keeps_the_window_of_the_first_page() {
    let db = TestDb::create().await;
    db.insert(&pager_rows()).await;
    let first_app = TestApp::builder()
        .database(&db)
        .now(fixture::now())
        .spawn()
        .await;
    // The same service two days later: without the cursor's window, days=1 would hold nothing.
    let later_app = TestApp::builder()
        .database(&db)
        .now(fixture::now() + chrono::Duration::days(2))
        .spawn()
        .await;
    let base = format!("/detailed-usage?{}&limit=4", agent_query("pager", "1", 1));
    let first = first_app.get_json(&base, 200).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = later_app
        .get_json(&format!("{base}&cursor={cursor}"), 200)
        .await;
    assert_eq!(
        request_ids(&second["usage_logs"]),
        ["p-d", "p-c", "p-b", "p-a"]
    );
    assert_eq!(second["date_range"], first["date_range"]);
    later_app.get_problem(&base, 404).await;
}

#[tokio::test]
async fn cursor_past_the_end_is_an_empty_page() {
    let app = TestApp::builder()
        .rows(&pager_rows())
        .now(fixture::now())
        .spawn()
        .await;
    let past_the_end = Cursor {
        window_end: fixture::now(),
        start_time: ts("2024-12-01 00:00:00"),
        request_id: "zzz".to_string(),
    }
    .encode();
    for (endpoint, key) in [
        ("detailed-usage", "usage_logs"),
        ("recentmessages", "messages"),
    ] {
        let body = app
            .get_json(
                &format!(
                    "/{endpoint}?{}&cursor={past_the_end}",
                    agent_query("pager", "1", 1)
                ),
                200,
            )
            .await;
        assert_eq!(body[key], json!([]), "{endpoint}");
        assert_eq!(body["next_cursor"], Value::Null);
        // The same cursor for an agent without rows is still a 404.
        app.get_problem(
            &format!(
                "/{endpoint}?{}&cursor={past_the_end}",
                agent_query("nobody", "1", 1)
            ),
            404,
        )
        .await;
    }
}
