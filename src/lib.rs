//! litellm-analytics: a read-only analytics HTTP API over the `"LiteLLM_SpendLogs"` table of a
//! LiteLLM proxy's Postgres database.

pub mod config;
pub mod cursor;
pub mod db;
pub mod error;
pub mod openapi;
pub mod params;
pub mod queries;
pub mod routes;
pub mod window;

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::Logger;
use actix_web::{web, App, HttpServer};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::{ConfigError, CorsOrigins, Settings};
use crate::db::Db;
use crate::routes::AppState;
use crate::window::Clock;

/// One access-log line per request: client, request line, status, bytes, latency in ms.
const ACCESS_LOG_FORMAT: &str = r#"%a "%r" %s %b %Dms"#;

/// Why the service could not start.
#[derive(Debug)]
pub enum StartupError {
    Config(ConfigError),
    Io(std::io::Error),
}

impl std::fmt::Display for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartupError::Config(e) => write!(f, "configuration: {e}"),
            StartupError::Io(e) => write!(f, "could not listen: {e}"),
        }
    }
}

impl std::error::Error for StartupError {}

impl From<ConfigError> for StartupError {
    fn from(e: ConfigError) -> Self {
        StartupError::Config(e)
    }
}

impl From<std::io::Error> for StartupError {
    fn from(e: std::io::Error) -> Self {
        StartupError::Io(e)
    }
}

/// A bound, not yet running server. Tests build one on port 0 and read the port it got.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        Self::build_with_clock(settings, Clock::System).await
    }

    /// As [`Application::build`], with "now" taken from `clock` (tests pin it).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Clock,
    ) -> Result<Application, StartupError> {
        let pool = db::build_pool(&settings)?;
        let state = web::Data::new(AppState {
            db: Db::new(pool, settings.agent_source),
            clock,
        });
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))?;
        let port = listener.local_addr()?.port();
        log::info!(
            "listening on http://{}:{port} — database {}, AGENT_METADATA_SOURCE={}, pool {} \
             connections, statement timeout {} ms; docs at /docs/",
            settings.host,
            db::describe_target(&settings),
            settings.agent_source,
            settings.db_pool_size,
            settings.db_statement_timeout.as_millis()
        );
        tokio::spawn(detect_schema_early(state.clone().into_inner()));

        let openapi = openapi::ApiDoc::openapi();
        let cors_origins = settings.cors_allowed_origins.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::QueryConfig::default().error_handler(error::query_error_handler))
                .wrap(cors(&cors_origins))
                .wrap(Logger::new(ACCESS_LOG_FORMAT))
                .configure(routes::configure)
                .service(web::redirect("/docs", "/docs/"))
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()))
                .default_service(web::to(routes::route_not_found))
        })
        .listen(listener)?;
        if let Some(workers) = settings.http_workers {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Builds and runs the service until it is stopped (SIGINT/SIGTERM).
pub async fn run(settings: Settings) -> Result<(), StartupError> {
    Application::build(settings)
        .await?
        .run_until_stopped()
        .await?;
    Ok(())
}

/// Learns the table's columns and logs where agent fields live as soon as the service starts,
/// so an operator sees a wrong setting at once. A database that is down is not fatal: the first
/// request that reaches it does the same.
async fn detect_schema_early(state: Arc<AppState>) {
    let outcome = match state.db.client().await {
        Ok(client) => state.db.statements(&client).await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = outcome {
        log::warn!("database not ready at start-up ({e}); serving anyway and retrying on demand");
    }
}

/// Browsers may call the API from the configured origins; the API is read-only, so GET only.
fn cors(origins: &CorsOrigins) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET"])
        .allow_any_header()
        // A disallowed origin gets a normal response without CORS headers (the browser then
        // blocks it), not a 400 that non-browser clients sending Origin would trip over.
        .block_on_origin_mismatch(false)
        .max_age(3600);
    match origins {
        CorsOrigins::Any => cors.allow_any_origin().send_wildcard(),
        CorsOrigins::List(list) => list
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin)),
    }
}
