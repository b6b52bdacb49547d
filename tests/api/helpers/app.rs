//! The app under test: the real `Application` in-process on a random port, with an HTTP client.
//! One builder makes every variant: `TestApp::builder()` creates a fresh database (optionally
//! with rows, or set up by other SQL), or points the app at a database the test holds or at any
//! URL; `.now()`/`.clock()` set the clock, `.source()`/`.settings()` the configuration.
//! `.spawn_twins()` starts an app answering from the rollup and one answering by SQL on the same
//! data and clock, the pair the parity tests compare.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use litellm_analytics::config::{AgentSource, Settings};
use litellm_analytics::window::Clock;
use litellm_analytics::Application;
use serde_json::Value;

use super::db::{TestDb, LITELLM_SCHEMA};
use super::rows::Row;

/// The running app and a client for it.
pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    /// The database the builder created for this app; dropped (and the database with it) once
    /// the app and its twin are gone.
    db: Option<Arc<TestDb>>,
}

/// Where the app's data lives.
enum Database {
    /// A fresh database set up by this SQL, owned by the app.
    Fresh { schema: &'static str },
    /// A database the test made and holds (several apps may share it).
    Url(String),
}

/// Builds a [`TestApp`]; see the module documentation. Defaults: a fresh database with LiteLLM's
/// table and no rows, the system clock, [`test_settings`].
pub struct TestAppBuilder {
    database: Database,
    rows: Vec<Row>,
    clock: Clock,
    settings: Settings,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            database: Database::Fresh {
                schema: LITELLM_SCHEMA,
            },
            rows: Vec::new(),
            clock: Clock::System,
            settings: test_settings(""),
        }
    }

    /// The database the builder created for this app.
    pub fn db(&self) -> &TestDb {
        self.db
            .as_deref()
            .expect("this app runs on a database the test passed in, not one of its own")
    }

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

    /// Status, body and `X-Data-Source` of a GET (the body parsed as JSON).
    pub async fn answer(&self, path: &str) -> (u16, Value, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        let source = data_source(&response);
        let body: Value = response.json().await.unwrap();
        (status, body, source)
    }

    /// The `X-Data-Source` header of a GET ("" when absent).
    pub async fn source(&self, path: &str) -> String {
        data_source(&self.get(path).await)
    }

    /// Polls GET `path` until it is answered from `source` (e.g. "memory" once the rollup is warm).
    pub async fn wait_for_source(&self, path: &str, source: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.source(path).await != source {
            assert!(
                Instant::now() < deadline,
                "GET {path} is still not answered from {source}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn data_source(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-data-source")
        .map(|v| v.to_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

impl TestAppBuilder {
    /// Rows inserted (then ANALYZEd) into the fresh database before the app starts.
    pub fn rows(mut self, rows: &[Row]) -> Self {
        self.rows.extend_from_slice(rows);
        self
    }

    /// A fresh database set up by `sql` instead of our copy of LiteLLM's schema (e.g. a fixture
    /// that carries its own CREATE TABLE).
    pub fn schema(mut self, sql: &'static str) -> Self {
        self.database = Database::Fresh { schema: sql };
        self
    }

    /// The app on `db`, which the test keeps (to change its rows, lock it, start another app).
    pub fn database(self, db: &TestDb) -> Self {
        self.database_url(&db.url)
    }

    /// The app on any database URL (a private server, a forwarder, TLS, nothing listening).
    pub fn database_url(mut self, url: &str) -> Self {
        self.database = Database::Url(url.to_string());
        self
    }

    /// "Now" pinned at `now` (UTC).
    pub fn now(self, now: NaiveDateTime) -> Self {
        self.clock(pinned(now))
    }

    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Where the app reads the agent fields (`auto` unless set).
    pub fn source(mut self, source: AgentSource) -> Self {
        self.settings.agent_source = source;
        self
    }

    /// Changes the settings (applied at once, in the order given).
    pub fn settings(mut self, tune: impl FnOnce(&mut Settings)) -> Self {
        tune(&mut self.settings);
        self
    }

    /// Creates the database if asked to and starts the app.
    pub async fn spawn(self) -> TestApp {
        let (db, settings, clock) = self.prepare().await;
        start(settings, clock, db).await
    }

    /// Two apps on the same data and clock: the first answers from the rollup (once it is warm),
    /// the second has the rollup off and answers everything by SQL.
    pub async fn spawn_twins(self) -> (TestApp, TestApp) {
        let (db, settings, clock) = self.prepare().await;
        let mut sql = settings.clone();
        sql.rollup.enabled = false;
        let memory = start(settings, clock, db.clone()).await;
        let sql = start(sql, clock, db).await;
        (memory, sql)
    }

    async fn prepare(self) -> (Option<Arc<TestDb>>, Settings, Clock) {
        let mut settings = self.settings;
        let db = match self.database {
            Database::Fresh { schema } => {
                let db = TestDb::create_with(schema).await;
                if !self.rows.is_empty() {
                    db.insert(&self.rows).await;
                }
                settings.database_url = db.url.clone();
                Some(Arc::new(db))
            }
            Database::Url(url) => {
                assert!(
                    self.rows.is_empty(),
                    "rows go into a fresh database; insert them into the test's own with TestDb::insert"
                );
                settings.database_url = url;
                None
            }
        };
        (db, settings, self.clock)
    }
}

/// Settings for a test app on a random local port (what the builder starts from).
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::with_database_url(database_url);
    settings.host = "127.0.0.1".to_string();
    settings.port = 0;
    settings.http_workers = Some(1);
    settings
}

/// Boots the real app in-process.
async fn start(settings: Settings, clock: Clock, db: Option<Arc<TestDb>>) -> TestApp {
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
        db,
    }
}

fn pinned(now: NaiveDateTime) -> Clock {
    Clock::Fixed(DateTime::<Utc>::from_naive_utc_and_offset(now, Utc))
}
