//! Issue 13's security breaks, each reproduced through the real HTTP stack (or the real binary
//! where only a process shows it): forged cursors, dates beyond the calendar, wrong-key guessing,
//! keys in URLs, fail-open configuration, unsafe request ids, empty MCP tool names.

use std::io::{Read, Write};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use litellm_analytics::config::Settings;

use crate::helpers;
use crate::helpers::binary::RunningBinary;
use crate::helpers::fixture::{self, NAME, VERSION};
use crate::helpers::ops::{PAY, V2};
use crate::helpers::{agent_query, invalid_param_names, ts, Agent, Place, Row, TestApp, TestDb};

const KEY: &str = "la-test-key-0123456789abcdef";

/// The app on the main fixture, tuned by `tune`, once its rollup is loaded.
async fn app_with(tune: impl FnOnce(&mut Settings)) -> TestApp {
    let app = TestApp::builder()
        .rows(&fixture::all_rows())
        .settings(tune)
        .now(fixture::now())
        .spawn()
        .await;
    app.wait_for_status("/health/ready", 200).await;
    app
}

/// Microseconds since the epoch of chrono's first instant plus `days`.
fn near_chrono_min(days: i64) -> i64 {
    NaiveDateTime::MIN.and_utc().timestamp_micros() + days * 86_400_000_000
}

#[tokio::test]
async fn forged_cursors_from_the_attack_run_are_422_not_a_dropped_connection() {
    let app = app_with(|_| {}).await;
    let q = agent_query(NAME, VERSION, 20);
    // The attack run's payloads: the unsigned cursor format with a window end 2 to 19 days
    // after chrono's minimum (panicked: NaiveDateTime - TimeDelta overflowed) or 25 days after
    // it (Postgres 22008 → 500), and the same for the grouped lists' cursor.
    let mut forged = Vec::new();
    for days in [2, 10, 19, 25] {
        let end = near_chrono_min(days);
        let start = near_chrono_min(1);
        forged.push((
            "/detailed-usage",
            URL_SAFE_NO_PAD.encode(format!("v1.{end}.{start}.x")),
        ));
        forged.push((
            "/recentmessages",
            URL_SAFE_NO_PAD.encode(format!("v1.{end}.{start}.x")),
        ));
        forged.push((
            "/sessions/s1",
            URL_SAFE_NO_PAD.encode(format!("v1.{end}.{start}.x")),
        ));
        forged.push((
            "/sessions",
            URL_SAFE_NO_PAD.encode(format!("g1|{end}|last_seen|desc|i0|x")),
        ));
    }
    for (path, cursor) in forged {
        let problem = app
            .get_problem(&format!("{path}?{q}&cursor={cursor}"), 422)
            .await;
        assert_eq!(invalid_param_names(&problem), ["cursor"], "{path}");
    }
}

#[tokio::test]
async fn a_cursor_the_service_issued_pages_on_and_a_well_formed_forgery_is_refused() {
    let app = app_with(|_| {}).await;
    let q = agent_query(NAME, VERSION, 7);
    let first = app
        .get_json(&format!("/detailed-usage?{q}&limit=1"), 200)
        .await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_string();
    app.get_json(&format!("/detailed-usage?{q}&limit=1&cursor={cursor}"), 200)
        .await;
    // A plausible position written by hand: the fixture's now as the window end, a row time
    // inside the window, any request id. Unsigned cursors were read back as they came.
    let now = fixture::now().and_utc().timestamp_micros();
    let forged = URL_SAFE_NO_PAD.encode(format!("v1.{now}.{}.zzz", now - 3_600_000_000));
    let problem = app
        .get_problem(&format!("/detailed-usage?{q}&limit=1&cursor={forged}"), 422)
        .await;
    assert_eq!(invalid_param_names(&problem), ["cursor"]);
    // The issued cursor with one character changed.
    let mut bytes = cursor.into_bytes();
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(bytes).unwrap();
    let problem = app
        .get_problem(
            &format!("/detailed-usage?{q}&limit=1&cursor={altered}"),
            422,
        )
        .await;
    assert_eq!(invalid_param_names(&problem), ["cursor"]);
}

#[tokio::test]
async fn dates_outside_the_years_1970_to_9999_are_422_before_the_database() {
    let app = app_with(|_| {}).await;
    let who = format!("agent_name={NAME}&agent_version={VERSION}");
    for (start, end) in [
        ("-262143-01-01", "-262143-02-01"), // the attack run's payload: 500 from Postgres
        ("1969-12-01", "1969-12-31"),
        ("10000-01-01", "10000-02-01"),
    ] {
        for path in ["/analytics/agent", "/detailed-usage", "/sessions"] {
            let problem = app
                .get_problem(&format!("{path}?{who}&start={start}&end={end}"), 422)
                .await;
            assert_eq!(
                invalid_param_names(&problem),
                ["start", "end"],
                "{path} {start}"
            );
        }
    }
    // The last year the schema allows is answered like any window without rows: no overflow.
    for path in ["/analytics/agent", "/detailed-usage"] {
        let url = format!(
            "{}{path}?{who}&start=9999-12-01&end=9999-12-31T23:59:59&tz=Etc/GMT%2B12",
            app.address
        );
        let status = app.http.get(&url).send().await.unwrap().status();
        assert_eq!(status.as_u16(), 404, "{path}");
    }
}

#[tokio::test]
async fn wrong_key_guesses_are_limited_per_client_address() {
    // 127.0.0.1 is the load balancer here, so X-Forwarded-For names the client.
    let app = app_with(|s| {
        s.guard.api_keys = vec![KEY.into()];
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let path = format!(
        "{}/total-tokens?{}",
        app.address,
        agent_query(NAME, VERSION, 7)
    );
    let send = |key: &str, client: &str| {
        app.http
            .get(&path)
            .header("X-API-Key", key)
            .header("X-Forwarded-For", client)
            .send()
    };
    // The default budget: 10 failures a minute per address.
    for guess in 0..10 {
        let response = send(&format!("guess-{guess}"), "198.51.100.7")
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "guess {guess}");
    }
    let refused = send("guess-10", "198.51.100.7").await.unwrap();
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    // Even the right key: a guesser must not learn which guess was right from a 200.
    assert_eq!(send(KEY, "198.51.100.7").await.unwrap().status(), 429);
    // Another client behind the same load balancer is not affected.
    assert_eq!(send(KEY, "203.0.113.50").await.unwrap().status(), 200);
    assert_eq!(send("wrong", "203.0.113.50").await.unwrap().status(), 401);
}

#[tokio::test]
async fn keys_in_the_query_string_are_refused_with_how_to_send_them() {
    let app = app_with(|s| s.guard.api_keys = vec![KEY.into()]).await;
    let q = agent_query(NAME, VERSION, 7);
    for name in [
        "api_key",
        "API_KEY",
        "key",
        "token",
        "access_token",
        "apiKey",
    ] {
        let response = app
            .http
            .get(format!("{}/total-tokens?{q}&{name}={KEY}", app.address))
            .header("X-API-Key", KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{name}");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(invalid_param_names(&problem), [name]);
        assert!(
            problem["detail"].as_str().unwrap().contains("X-API-Key"),
            "{problem}"
        );
    }
}

#[tokio::test]
async fn request_ids_are_echoed_only_when_safe() {
    let app = app_with(|_| {}).await;
    let id_for = |value: &'static str| {
        let request = app
            .http
            .get(format!("{}/health/live", app.address))
            .header("X-Request-Id", value);
        async move {
            let response = request.send().await.unwrap();
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(id_for("trace-1.2:3_x").await, "trace-1.2:3_x");
    for unsafe_id in [
        "a\"b",
        "<script>alert(1)</script>",
        "x y",
        "k=v;k2=v2",
        "%0d%0a",
    ] {
        let echoed = id_for(unsafe_id).await;
        assert_ne!(echoed, unsafe_id);
        assert_eq!(echoed.len(), 32, "a fresh id: {echoed}");
    }
}

/// Reads a raw HTTP answer to `request` sent over a fresh connection.
fn raw_exchange(address: &str, request: &[u8]) -> String {
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The server may answer and close before reading everything we send.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn framework_errors_answer_with_a_status_and_close() {
    let app = app_with(|_| {}).await;
    let address = app.address.clone();
    let (malformed, oversized) = tokio::task::spawn_blocking(move || {
        let malformed = raw_exchange(&address, b"GET /health/live HTTP/1.1 extra\r\n\r\n");
        let big = format!(
            "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(256 * 1024)
        );
        let oversized = raw_exchange(&address, big.as_bytes());
        (malformed, oversized)
    })
    .await
    .unwrap();
    assert!(malformed.starts_with("HTTP/1.1 400"), "{malformed}");
    assert!(oversized.starts_with("HTTP/1.1 431"), "{oversized}");
}

#[tokio::test]
async fn errors_the_framework_answers_inside_the_app_are_problem_json() {
    let app = app_with(|_| {}).await;
    let q = agent_query(NAME, VERSION, 7);
    // Swagger UI's file service answered these with an empty 404; a path segment that is not
    // UTF-8 goes through actix's path extractor.
    for path in [
        "/docs/nonexistent.js".to_string(),
        "/docs/%FF".to_string(),
        format!("/sessions/%FF?{q}"),
    ] {
        let response = app.get(&path).await;
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{path}: {status}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["status"], status, "{path}");
    }
}

#[tokio::test]
async fn empty_mcp_tool_names_are_not_tool_calls_in_sql_or_memory() {
    // Session T of pay-bot 2.0.0, 2024-12-05 (inside days=1 at the pinned now 14:30):
    //   t1 10:00 mcp tool "github/search"  → a tool call
    //   t2 10:10 mcp tool ""               → not one (LiteLLM writes '' for "no tool")
    //   t3 10:20 mcp tool "   "            → not one
    //   t4 10:30 no mcp tool               → not one
    // requests_with_tools = 1 of 4 requests.
    let who = || {
        let mut agent = Agent::new(PAY, V2);
        agent.session = Some("T".to_string());
        agent.user = Some("tess".to_string());
        agent
    };
    let row = |id: &str, at: &str| Row::new(id, ts(at)).agent(Place::SpendLogsMetadata, who());
    let rows = vec![
        row("t1", "2024-12-05 10:00:00").mcp_tool("github/search"),
        row("t2", "2024-12-05 10:10:00").mcp_tool(""),
        row("t3", "2024-12-05 10:20:00").mcp_tool("   "),
        row("t4", "2024-12-05 10:30:00"),
    ];
    for rollup in [false, true] {
        let app = TestApp::builder()
            .rows(&rows)
            .settings(|s| {
                s.rollup.enabled = rollup;
            })
            .now(helpers::ops::now())
            .spawn()
            .await;
        app.wait_for_status("/health/ready", 200).await;
        let body = app
            .get_json(
                &format!("/sessions?agent_name={PAY}&agent_version={V2}&days=1"),
                200,
            )
            .await;
        let session = &body["sessions"][0];
        assert_eq!(session["session_id"], "T");
        assert_eq!(session["requests"], 4, "rollup={rollup}");
        assert_eq!(session["requests_with_tools"], 1, "rollup={rollup}");
    }
}

#[test]
fn without_keys_the_binary_refuses_to_start_unless_open_api_is_allowed() {
    for env in [
        vec![
            ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/x"),
            ("ALLOW_OPEN_API", "false"),
        ],
        vec![
            ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/x"),
            ("ALLOW_OPEN_API", "false"),
            ("API_KEYS", " , "),
        ],
        vec![
            ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/x"),
            ("API_KEYS_FILE", "/nonexistent/api-keys"),
        ],
    ] {
        let mut binary = RunningBinary::spawn(&env);
        let code = binary.wait_exit(Duration::from_secs(20));
        assert_ne!(code, Some(0), "{env:?}");
        let logs = binary.logs().join("\n");
        assert!(
            logs.contains("API_KEYS"),
            "the refusal names what to set: {logs}"
        );
    }
    // The explicit opt-in starts it.
    let open = RunningBinary::start(&[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/x")]);
    drop(open);
}

#[test]
fn credential_like_query_values_never_reach_the_access_log() {
    let mut binary = RunningBinary::start(&[
        ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/x"),
        ("API_KEYS", KEY),
    ]);
    let client = reqwest::blocking::Client::new();
    let secret = "leaked-secret-value-42";
    for name in ["api_key", "Token", "access_token"] {
        let _ = client
            .get(format!(
                "{}/total-tokens?agent_name=a&agent_version=1&days=7&{name}={secret}",
                binary.address
            ))
            .send()
            .unwrap();
        binary.wait_for_log(&format!("{name}=REDACTED"), Duration::from_secs(5));
    }
    let logs = binary.logs().join("\n");
    assert!(!logs.contains(secret), "{logs}");
}

#[tokio::test]
async fn a_cursor_issued_for_a_window_near_1970_pages_on() {
    // Two requests on 1970-01-02: a one-row page of a range ending 1970-01-05 gives a cursor,
    // and that cursor (the service's own) must give the second row, not a 422.
    let db = TestDb::create().await;
    let agent = || Agent::new(NAME, VERSION).session("s");
    db.insert(&[
        Row::new("early-1", ts("1970-01-02 10:00:00")).agent(Place::SpendLogsMetadata, agent()),
        Row::new("early-2", ts("1970-01-02 11:00:00")).agent(Place::SpendLogsMetadata, agent()),
    ])
    .await;
    let app = TestApp::builder()
        .database(&db)
        .now(fixture::now())
        .spawn()
        .await;
    let q = format!("agent_name={NAME}&agent_version={VERSION}&start=1970-01-01&end=1970-01-05");
    for path in ["/detailed-usage", "/sessions/s"] {
        let first = app.get_json(&format!("{path}?{q}&limit=1"), 200).await;
        let cursor = first["next_cursor"]
            .as_str()
            .expect("a next page")
            .to_string();
        let second = app
            .get_json(&format!("{path}?{q}&limit=1&cursor={cursor}"), 200)
            .await;
        let list = if path == "/detailed-usage" {
            "usage_logs"
        } else {
            "requests"
        };
        assert_eq!(
            second[list].as_array().map(Vec::len),
            Some(1),
            "{path}: {second}"
        );
    }
}
