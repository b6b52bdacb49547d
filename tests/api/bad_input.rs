//! Caller mistakes get a 422 (or 404/405) problem+json that says how to fix the request, and
//! names full of SQL metacharacters are plain data.

use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::AGENT_ENDPOINTS;
use crate::helpers::{
    agent_query, enc, invalid_param_names, ts, Agent, Place, Row, TestApp, TestDb,
};

async fn app_with_fixture() -> TestApp {
    TestApp::builder()
        .rows(&fixture::all_rows())
        .now(fixture::now())
        .spawn()
        .await
}

#[tokio::test]
async fn missing_parameters_are_422_naming_each_one() {
    let app = app_with_fixture().await;
    for endpoint in AGENT_ENDPOINTS {
        // Without days, start and end the window is the last 7 days: only the agent is missing.
        let problem = app.get_problem(endpoint, 422).await;
        assert_eq!(
            invalid_param_names(&problem),
            ["agent_name", "agent_version"],
            "{endpoint}"
        );
        let problem = app
            .get_problem(&format!("{endpoint}?agent_name={NAME}&days=7"), 422)
            .await;
        assert_eq!(
            invalid_param_names(&problem),
            ["agent_version"],
            "{endpoint}"
        );
    }
}

#[tokio::test]
async fn empty_and_over_long_strings_are_422() {
    let app = app_with_fixture().await;
    let long_name = "n".repeat(257);
    let long_version = "v".repeat(65);
    let cases = [
        (
            format!("agent_name=&agent_version={VERSION}&days=7"),
            "agent_name",
        ),
        (
            format!("agent_name={NAME}&agent_version=&days=7"),
            "agent_version",
        ),
        (
            format!("agent_name={long_name}&agent_version={VERSION}&days=7"),
            "agent_name",
        ),
        (
            format!("agent_name={NAME}&agent_version={long_version}&days=7"),
            "agent_version",
        ),
        (
            format!("agent_name=a%00b&agent_version={VERSION}&days=7"),
            "agent_name",
        ),
    ];
    for endpoint in AGENT_ENDPOINTS {
        for (query, param) in &cases {
            let problem = app.get_problem(&format!("{endpoint}?{query}"), 422).await;
            assert_eq!(
                invalid_param_names(&problem),
                [*param],
                "{endpoint}?{query}"
            );
        }
    }
    // The longest allowed values are fine (and simply not found).
    let max_name = "n".repeat(256);
    let max_version = "v".repeat(64);
    app.get_problem(
        &format!(
            "/analytics/agent?{}",
            agent_query(&max_name, &max_version, 7)
        ),
        404,
    )
    .await;
}

#[tokio::test]
async fn days_outside_the_allowed_set_is_422_listing_the_allowed_values() {
    let app = app_with_fixture().await;
    for days in [
        "0",
        "3",
        "-1",
        "21",
        "30",
        "7.5",
        "abc",
        "1e3",
        "99999999999999999999",
    ] {
        for endpoint in AGENT_ENDPOINTS {
            let problem = app
                .get_problem(
                    &format!(
                        "{endpoint}?agent_name={NAME}&agent_version={VERSION}&days={}",
                        enc(days)
                    ),
                    422,
                )
                .await;
            assert_eq!(invalid_param_names(&problem), ["days"], "days={days}");
            let detail = problem["detail"].as_str().unwrap();
            assert!(detail.contains("1, 2, 7, 15, 20"), "{detail}");
        }
    }
}

#[tokio::test]
async fn bad_limit_and_cursor_are_422() {
    let app = app_with_fixture().await;
    let base = agent_query(NAME, VERSION, 7);
    for endpoint in ["/detailed-usage", "/recentmessages"] {
        // An empty value counts as absent (api_contract), so "" is no bad limit.
        for limit in ["0", "1001", "-5", "ten", "2.5"] {
            let problem = app
                .get_problem(&format!("{endpoint}?{base}&limit={}", enc(limit)), 422)
                .await;
            assert_eq!(invalid_param_names(&problem), ["limit"], "limit={limit}");
            assert!(problem["detail"].as_str().unwrap().contains("1 to 1000"));
        }
        for cursor in ["garbage", "djEuMS4yLjM", "%FF%FE"] {
            let problem = app
                .get_problem(&format!("{endpoint}?{base}&cursor={cursor}"), 422)
                .await;
            assert_eq!(invalid_param_names(&problem), ["cursor"], "cursor={cursor}");
        }
        // Every mistake in one answer.
        let problem = app
            .get_problem(
                &format!("{endpoint}?agent_name={NAME}&days=9&limit=0&cursor=x"),
                422,
            )
            .await;
        assert_eq!(
            invalid_param_names(&problem),
            ["agent_version", "days", "limit", "cursor"]
        );
    }
}

#[tokio::test]
async fn a_query_string_that_cannot_be_read_is_a_422_problem() {
    let app = app_with_fixture().await;
    let problem = app
        .get_problem(
            &format!("/analytics/agent?{}&days=7", agent_query(NAME, VERSION, 7)),
            422,
        )
        .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("days"),
        "{problem}"
    );
}

#[tokio::test]
async fn unknown_agent_is_404_on_every_endpoint() {
    let app = app_with_fixture().await;
    for endpoint in AGENT_ENDPOINTS {
        for (name, version, days) in [("nobody", VERSION, 20), (NAME, "9.9.9", 20)] {
            let problem = app
                .get_problem(
                    &format!("{endpoint}?{}", agent_query(name, version, days)),
                    404,
                )
                .await;
            assert!(
                problem["detail"].as_str().unwrap().contains(name),
                "{problem}"
            );
        }
    }
}

#[tokio::test]
async fn agent_with_rows_only_outside_the_window_is_404() {
    let app = TestApp::builder()
        .rows(&[Row::new("old-1", ts("2024-11-01 10:00:00"))
            .agent(Place::SpendLogsMetadata, Agent::new("retired", "1"))
            .reply("long ago")])
        .now(fixture::now())
        .spawn()
        .await;
    for endpoint in AGENT_ENDPOINTS {
        app.get_problem(
            &format!("{endpoint}?{}", agent_query("retired", "1", 20)),
            404,
        )
        .await;
    }
}

#[tokio::test]
async fn names_with_sql_metacharacters_and_unicode_are_plain_data() {
    let db = TestDb::create().await;
    let names = [
        "o'brien",
        "100%",
        "a_c",
        "x'; DROP TABLE \"LiteLLM_SpendLogs\"; --",
        "机器人 🤖",
        "back\\slash",
    ];
    let mut rows: Vec<Row> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            Row::new(&format!("odd-{i}"), ts("2024-12-05 10:00:00"))
                .agent(
                    Place::SpendLogsMetadata,
                    Agent::new(name, "v'1").session("s"),
                )
                .reply("hi")
        })
        .collect();
    // Look-alikes a LIKE pattern would match: they must not be counted.
    rows.push(
        Row::new("odd-like-1", ts("2024-12-05 10:00:00"))
            .agent(Place::SpendLogsMetadata, Agent::new("100x", "v'1"))
            .reply("hi"),
    );
    rows.push(
        Row::new("odd-like-2", ts("2024-12-05 10:00:00"))
            .agent(Place::SpendLogsMetadata, Agent::new("abc", "v'1"))
            .reply("hi"),
    );
    db.insert(&rows).await;
    let app = TestApp::builder()
        .database(&db)
        .now(fixture::now())
        .spawn()
        .await;
    for name in names {
        let body = app
            .get_json(
                &format!("/analytics/agent?{}", agent_query(name, "v'1", 1)),
                200,
            )
            .await;
        assert_eq!(body["agent_name"], name);
        assert_eq!(body["metrics"]["total_messages"], 1, "{name}");
    }
    // The table is still there.
    assert_eq!(db.row_count().await, 8);
}

#[tokio::test]
async fn unknown_path_is_404_and_methods_other_than_get_and_head_are_405_problems() {
    let app = app_with_fixture().await;
    app.get_problem("/no/such/endpoint", 404).await;
    let head = app
        .http
        .head(format!("{}/health/live", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], "application/json");
    for endpoint in AGENT_ENDPOINTS.iter().chain(&["/health", "/"]) {
        let response = app
            .http
            .post(format!("{}{endpoint}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{endpoint}");
        assert_eq!(response.headers()["allow"], "GET, HEAD");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
}
