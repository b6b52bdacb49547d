//! Throw-away test databases: a uniquely named database holding LiteLLM's table on the test
//! Postgres (TEST_DATABASE_URL), dropped when the test ends.

use tokio_postgres::NoTls;

use super::rows::Row;

pub const LITELLM_SCHEMA: &str = include_str!("../../fixtures/litellm_schema.sql");

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
