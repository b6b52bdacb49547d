//! Test harness: a throw-away Postgres database holding LiteLLM's table, the real app on a random
//! port, and an HTTP client. Each test gets its own database, dropped when the test ends.

#![allow(dead_code)] // each test binary uses its own subset of the harness

pub mod binary;
pub mod cluster;
pub mod fixture;
pub mod forwarder;
pub mod ops;
pub mod rows;

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use litellm_analytics::config::{AgentSource, Settings};
use litellm_analytics::window::Clock;
use litellm_analytics::Application;
use serde_json::Value;
use tokio_postgres::NoTls;

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

const LITELLM_SCHEMA: &str = include_str!("../fixtures/litellm_schema.sql");

/// The server to create test databases on (any database of it; we only connect to create).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, dbname: &str) -> String {
    let (scheme, rest) = url
        .split_once("://")
        .expect("TEST_DATABASE_URL must be a URL");
    let (authority, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let query = tail
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{scheme}://{authority}/{dbname}{query}")
}

pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to test Postgres ({e}); is it running?"));
    tokio::spawn(connection);
    client
}

/// A uniquely named database with "LiteLLM_SpendLogs" in it, dropped on drop.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn create() -> TestDb {
        TestDb::create_with(LITELLM_SCHEMA).await
    }

    /// A database set up by `sql` instead of our copy of LiteLLM's schema (e.g. a fixture that
    /// carries its own CREATE TABLE).
    pub async fn create_with(sql: &str) -> TestDb {
        let name = format!("la_test_{}", uuid::Uuid::new_v4().simple());
        let admin = connect(&admin_url()).await;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        let db = TestDb {
            url: with_database(&admin_url(), &name),
            name,
        };
        db.client()
            .await
            .batch_execute(sql)
            .await
            .expect("load the schema");
        db
    }

    /// A connection of the test's own (read-write), for fixtures and checks.
    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }

    /// Rows in "LiteLLM_SpendLogs", counted by the test's own connection.
    pub async fn row_count(&self) -> i64 {
        self.client()
            .await
            .query_one(r#"SELECT COUNT(*) FROM "LiteLLM_SpendLogs""#, &[])
            .await
            .expect("count rows")
            .get(0)
    }

    /// Opens a transaction holding an ACCESS EXCLUSIVE lock on the table: the app's queries wait
    /// until it ends (dropping the returned client ends it).
    pub async fn lock_table(&self) -> tokio_postgres::Client {
        let client = self.client().await;
        client
            .batch_execute(r#"BEGIN; LOCK TABLE "LiteLLM_SpendLogs" IN ACCESS EXCLUSIVE MODE"#)
            .await
            .expect("lock table");
        client
    }

    pub async fn insert(&self, rows: &[Row]) {
        let client = self.client().await;
        for row in rows {
            row.insert(&client).await;
        }
        client
            .batch_execute("ANALYZE \"LiteLLM_SpendLogs\"")
            .await
            .expect("analyze");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any async context we could borrow; use a small runtime of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let admin = connect(&admin_url()).await;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

/// The running app and a client for it.
pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
}

impl TestApp {
    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{}", self.address, path_and_query))
            .send()
            .await
            .expect("request failed")
    }

    /// GET and parse the JSON body, asserting the status first.
    pub async fn get_json(&self, path_and_query: &str, status: u16) -> Value {
        let response = self.get(path_and_query).await;
        let got = response.status().as_u16();
        let body = response.text().await.expect("body");
        assert_eq!(got, status, "GET {path_and_query} answered {got}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
    }

    /// Polls GET `path` until it answers `status` (e.g. readiness while the rollup loads).
    pub async fn wait_for_status(&self, path: &str, status: u16) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.get(path).await.status().as_u16();
            if got == status {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "GET {path} still answers {got}, not {status}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// GET expecting an error: checks status, problem+json content type and the problem fields.
    pub async fn get_problem(&self, path_and_query: &str, status: u16) -> Value {
        let response = self.get(path_and_query).await;
        let got = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or_default().to_string())
            .unwrap_or_default();
        let body = response.text().await.expect("body");
        assert_eq!(got, status, "GET {path_and_query} answered {got}: {body}");
        assert_eq!(content_type, "application/problem+json", "{body}");
        let problem: Value = serde_json::from_str(&body).expect("problem is JSON");
        assert_eq!(problem["status"], status, "{problem}");
        for field in ["type", "title", "detail"] {
            assert!(
                problem[field].as_str().is_some_and(|s| !s.is_empty()),
                "problem lacks {field}: {problem}"
            );
        }
        problem
    }
}

/// Settings for a test app on a random local port.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::with_database_url(database_url);
    settings.host = "127.0.0.1".to_string();
    settings.port = 0;
    settings.http_workers = Some(1);
    settings
}

/// Boots the real app in-process against `database_url`.
pub async fn spawn_app_with(settings: Settings, clock: Clock) -> TestApp {
    let _ = env_logger::builder().is_test(true).try_init();
    let app = Application::build_with_clock(settings, clock)
        .await
        .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
    }
}

/// The app on `db` with the default settings and source `auto`, "now" pinned at `now`.
pub async fn spawn_app(db: &TestDb, now: NaiveDateTime) -> TestApp {
    spawn_app_with(test_settings(&db.url), pinned(now)).await
}

pub async fn spawn_app_with_source(
    db: &TestDb,
    now: NaiveDateTime,
    source: AgentSource,
) -> TestApp {
    let mut settings = test_settings(&db.url);
    settings.agent_source = source;
    spawn_app_with(settings, pinned(now)).await
}

pub fn pinned(now: NaiveDateTime) -> Clock {
    Clock::Fixed(DateTime::<Utc>::from_naive_utc_and_offset(now, Utc))
}

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
