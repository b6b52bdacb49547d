//! The indexes recommended in sql/indexes.sql match the SQL the service runs: with the index for
//! the configured source in place, every agent query is planned as an index scan on it — never
//! a sequential scan of LiteLLM's table.

use chrono::{Duration, NaiveDateTime};
use litellm_analytics::config::{AgentSource, SessionSource};
use litellm_analytics::queries::{SpendLogsColumns, Statements};
use tokio_postgres::types::ToSql;

use crate::helpers::{ts, TestDb};

const INDEXES: &str = include_str!("../../sql/indexes.sql");

/// The CREATE INDEX statement sql/indexes.sql gives for `source`.
fn index_for(source: AgentSource) -> String {
    let marker = format!("-- AGENT_METADATA_SOURCE={source}\n");
    let start = INDEXES
        .find(&marker)
        .unwrap_or_else(|| panic!("no index for {source}"))
        + marker.len();
    let end = INDEXES[start..].find(';').unwrap() + start;
    // CONCURRENTLY is for live databases; the test database is private.
    INDEXES[start..end].replace("CONCURRENTLY ", "")
}

/// 200 agents × 150 rows over ~21 days, agent fields in every place. Many agents make one agent's
/// rows rare, as on a real proxy, so the planner's choice reflects production rather than a toy.
async fn load_many_rows(db: &TestDb) {
    db.client()
        .await
        .batch_execute(
            r#"
            INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, "startTime", "endTime", model,
                prompt_tokens, completion_tokens, total_tokens, metadata, proxy_server_request, response)
            SELECT 'req-' || g,
                   'acompletion',
                   TIMESTAMP '2024-12-05 14:00:00' - (g * INTERVAL '1 minute'),
                   TIMESTAMP '2024-12-05 14:00:01' - (g * INTERVAL '1 minute'),
                   'gpt-4o', 10, 5, 15,
                   jsonb_build_object(
                       'agent_name', 'agent-' || (g % 200), 'agent_version', '1',
                       'spend_logs_metadata', jsonb_build_object(
                           'agent_name', 'agent-' || (g % 200), 'agent_version', '1',
                           'agent_session_id', 's' || (g % 97))),
                   jsonb_build_object('metadata', jsonb_build_object(
                       'agent_name', 'agent-' || (g % 200), 'agent_version', '1',
                       'requester_metadata', jsonb_build_object(
                           'agent_name', 'agent-' || (g % 200), 'agent_version', '1'))),
                   jsonb_build_object('model', 'gpt-4o', 'choices', jsonb_build_array(
                       jsonb_build_object('message', jsonb_build_object('content', 'reply ' || g))))
            FROM generate_series(1, 30000) AS g;
            "#,
        )
        .await
        .unwrap();
}

fn all_columns() -> SpendLogsColumns {
    SpendLogsColumns::new(
        [
            "request_id",
            "metadata",
            "proxy_server_request",
            "startTime",
            "response",
        ]
        .map(str::to_string),
    )
}

async fn plan(
    client: &tokio_postgres::Client,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> String {
    client
        .query(&format!("EXPLAIN {sql}"), params)
        .await
        .unwrap_or_else(|e| panic!("EXPLAIN failed: {e}\n{sql}"))
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn every_agent_query_uses_the_recommended_index_of_its_source() {
    let db = TestDb::create().await;
    load_many_rows(&db).await;
    let client = db.client().await;
    let name = "agent-3".to_string();
    let version = "1".to_string();
    let end: NaiveDateTime = ts("2024-12-05 14:30:00");
    let start = end - Duration::days(20);
    let first_page = end + Duration::microseconds(1);
    let no_id = String::new();
    let fetch: i64 = 101;
    for source in AgentSource::ALL {
        let index_name = format!("litellm_analytics_agent_{source}_idx");
        client.batch_execute(&index_for(source)).await.unwrap();
        client
            .batch_execute(r#"ANALYZE "LiteLLM_SpendLogs""#)
            .await
            .unwrap();
        let sql = Statements::render(source, SessionSource::Agent, &all_columns());
        let window: [&(dyn ToSql + Sync); 4] = [&name, &version, &start, &end];
        // Daily buckets over the window, as /activitytimeline asks for them.
        let days: Vec<NaiveDateTime> = (0..=21)
            .map(|d| ts("2024-11-15 00:00:00") + Duration::days(d))
            .collect();
        let stats: [&(dyn ToSql + Sync); 5] = [&name, &version, &start, &end, &days];
        let page: [&(dyn ToSql + Sync); 7] =
            [&name, &version, &start, &end, &first_page, &no_id, &fetch];
        for (query, text, params) in [
            ("agent_stats", &sql.agent_stats, &stats[..]),
            ("agent_has_rows", &sql.agent_has_rows, &window[..]),
            ("usage_page", &sql.usage_page, &page[..]),
            ("messages_page", &sql.messages_page, &page[..]),
        ] {
            let plan = plan(&client, text, params).await;
            assert!(
                !plan.contains("Seq Scan"),
                "{source} {query} scans the table:\n{plan}"
            );
            // agent_has_rows stops at its first row: walking LiteLLM's "startTime" index back
            // from the window end is as good a plan, and the planner may pick either.
            if query != "agent_has_rows" {
                assert!(
                    plan.contains(&index_name),
                    "{source} {query} does not use {index_name}:\n{plan}"
                );
            }
        }
        client
            .batch_execute(&format!("DROP INDEX \"{index_name}\""))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn pages_are_read_in_index_order_without_sorting() {
    let db = TestDb::create().await;
    load_many_rows(&db).await;
    let client = db.client().await;
    client
        .batch_execute(&index_for(AgentSource::Auto))
        .await
        .unwrap();
    client
        .batch_execute(r#"ANALYZE "LiteLLM_SpendLogs""#)
        .await
        .unwrap();
    let sql = Statements::render(AgentSource::Auto, SessionSource::Agent, &all_columns());
    let end = ts("2024-12-05 14:30:00");
    let start = end - Duration::days(20);
    let (name, version, cursor_id, fetch) = (
        "agent-3".to_string(),
        "1".to_string(),
        "req-500".to_string(),
        101_i64,
    );
    let cursor_time = ts("2024-12-04 20:00:00");
    let plan = plan(
        &client,
        &sql.usage_page,
        &[
            &name,
            &version,
            &start,
            &end,
            &cursor_time,
            &cursor_id,
            &fetch,
        ],
    )
    .await;
    assert!(plan.contains("Index Scan Backward"), "{plan}");
    assert!(!plan.contains("Sort"), "{plan}");
}

#[tokio::test]
async fn rollup_driven_queries_read_index_ranges_even_without_the_recommended_index() {
    let db = TestDb::create().await;
    load_many_rows(&db).await;
    let client = db.client().await;
    client
        .batch_execute(r#"ANALYZE "LiteLLM_SpendLogs""#)
        .await
        .unwrap();
    let end = ts("2024-12-05 14:30:00");
    let start = end - Duration::days(20);
    let first_page = end + Duration::microseconds(1);
    let (name, version, no_id, fetch) = (
        "agent-3".to_string(),
        "1".to_string(),
        String::new(),
        101_i64,
    );
    // A page's candidates as the rollup would name them: 101 of agent-3's request ids.
    let ids: Vec<String> = (0..101).map(|i| format!("req-{}", 3 + 200 * i)).collect();
    for source in AgentSource::ALL {
        let sql = Statements::render(source, SessionSource::Agent, &all_columns());
        for (query, text) in [
            ("usage_page_by_id", &sql.usage_page_by_id),
            ("messages_page_by_id", &sql.messages_page_by_id),
        ] {
            let page = plan(
                &client,
                text,
                &[
                    &name,
                    &version,
                    &start,
                    &end,
                    &first_page,
                    &no_id,
                    &fetch,
                    &ids,
                ],
            )
            .await;
            assert!(!page.contains("Seq Scan"), "{source} {query}:\n{page}");
            assert!(
                page.contains("LiteLLM_SpendLogs_pkey"),
                "{source} {query} does not use the primary key:\n{page}"
            );
        }
        let hour_start = ts("2024-12-05 10:00:00");
        let hour_end = ts("2024-12-05 11:00:00");
        let between = plan(&client, &sql.rollup_rows_between, &[&hour_start, &hour_end]).await;
        assert!(
            !between.contains("Seq Scan"),
            "{source} rollup_rows_between:\n{between}"
        );
        let by_id = plan(&client, &sql.rollup_rows_by_id, &[&ids]).await;
        assert!(
            by_id.contains("LiteLLM_SpendLogs_pkey"),
            "{source} rollup_rows_by_id:\n{by_id}"
        );
    }
    for text in [
        include_str!("../../sql/rollup_recent_count.sql"),
        include_str!("../../sql/rollup_recent_ids.sql"),
    ] {
        let recent = ts("2024-12-05 13:00:00");
        let scan = plan(&client, text, &[&recent]).await;
        assert!(!scan.contains("Seq Scan"), "{text}\n{scan}");
    }
    let hours = plan(
        &client,
        include_str!("../../sql/rollup_hour_counts.sql"),
        &[&ts("2024-12-04 00:00:00"), &ts("2024-12-04 06:00:00")],
    )
    .await;
    assert!(!hours.contains("Seq Scan"), "{hours}");
}
