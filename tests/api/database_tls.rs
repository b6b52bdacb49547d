//! `sslmode=require` in DATABASE_URL: connections are TLS, verified against the system roots
//! plus DB_TLS_CA_FILE (what managed databases such as RDS with rds.force_ssl need).

use std::path::PathBuf;

use litellm_analytics::db::build_pool;
use litellm_analytics::queries::DbError;

use crate::helpers;
use crate::helpers::{fixture, test_settings, with_database, TestApp, TestDb};

/// The local server's TLS certificate file, when it has TLS on and we can read the file.
async fn server_certificate(db: &TestDb) -> Option<PathBuf> {
    let client = db.client().await;
    let ssl: String = client.query_one("SHOW ssl", &[]).await.unwrap().get(0);
    if ssl != "on" {
        return None;
    }
    let file: String = client
        .query_one("SHOW ssl_cert_file", &[])
        .await
        .unwrap()
        .get(0);
    let path = PathBuf::from(file);
    path.is_file().then_some(path)
}

/// The test database's URL on host `localhost` (the name in the local server's certificate).
fn tls_url(db: &TestDb) -> String {
    let port = helpers::admin_url()
        .parse::<tokio_postgres::Config>()
        .unwrap()
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432);
    format!(
        "{}?sslmode=require",
        with_database(&format!("postgres://postgres@localhost:{port}/x"), &db.name)
    )
}

#[tokio::test]
async fn require_uses_verified_tls_or_fails_with_503() {
    let db = TestDb::create().await;
    let url = tls_url(&db);
    match server_certificate(&db).await {
        Some(cert) => {
            // Trusting the server's certificate: connections are encrypted.
            let mut settings = test_settings(&url);
            settings.db_tls_ca_file = Some(cert);
            let pool = build_pool(&settings).unwrap();
            let client = pool.get().await.expect("TLS connection");
            let encrypted: bool = client
                .query_one(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            assert!(encrypted);
            let app = TestApp::builder()
                .database_url(&url)
                .settings(|s| s.db_tls_ca_file = settings.db_tls_ca_file.clone())
                .now(fixture::now())
                .spawn()
                .await;
            app.wait_for_status("/health/ready", 200).await;

            // Not trusting it (a self-signed certificate): refused, and the reason says so.
            // Debian keeps its snakeoil certificate in /etc/ssl/certs, which the system roots
            // include; point them at the public CA bundle only. The variables stay set for the
            // rest of the test process; only pools with sslmode=require read them, and no other
            // test asks for TLS.
            std::env::set_var("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt");
            std::env::set_var("SSL_CERT_DIR", "/nonexistent");
            let app = TestApp::builder()
                .database_url(&url)
                .now(fixture::now())
                .spawn()
                .await;
            let problem = app.get_problem("/health", 503).await;
            // The public body says only that the database is unavailable...
            let detail = problem["detail"].as_str().unwrap().to_lowercase();
            assert!(detail.starts_with("database unavailable"), "{detail}");
            // ...while the cause, logged, names the certificate.
            let pool = build_pool(&test_settings(&url)).unwrap();
            let cause = DbError::from(pool.get().await.unwrap_err())
                .to_string()
                .to_lowercase();
            assert!(
                cause.contains("certificate") || cause.contains("tls"),
                "{cause}"
            );
        }
        None => {
            // A server without TLS cannot satisfy sslmode=require.
            let app = TestApp::builder()
                .database_url(&url)
                .now(fixture::now())
                .spawn()
                .await;
            app.get_problem("/health", 503).await;
        }
    }
}

#[test]
fn unreadable_ca_file_stops_start_up_with_a_clear_message() {
    let mut settings = test_settings("postgres://postgres@localhost/x?sslmode=require");
    settings.db_tls_ca_file = Some(PathBuf::from("/nonexistent/ca.pem"));
    let err = build_pool(&settings).unwrap_err();
    assert!(err.0.contains("DB_TLS_CA_FILE"), "{err}");
}
