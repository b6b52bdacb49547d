//! litellm-analytics: a read-only analytics HTTP API over the `"LiteLLM_SpendLogs"` table of a
//! LiteLLM proxy's Postgres database.

pub mod admission;
pub mod answers;
pub mod config;
pub mod csv_export;
pub mod cursor;
pub mod db;
pub mod error;
pub mod guard;
pub mod middleware;
pub mod openapi;
pub mod params;
pub mod provenance;
pub mod queries;
pub mod query_names;
pub mod request_context;
pub mod rollup;
pub mod routes;
pub mod single_flight;
pub mod state;
pub mod stats;
pub mod summaries;
pub mod window;

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use utoipa_swagger_ui::SwaggerUi;

use crate::config::{ConfigError, CorsOrigins, Settings};
use crate::db::Db;
use crate::rollup::Rollup;
use crate::state::AppState;
use crate::window::Clock;

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
    state: web::Data<AppState>,
    drain: Duration,
    shutdown_timeout: Duration,
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
        cursor::install_secret(settings.guard.cursor_secret.as_deref());
        let pool = db::build_pool(&settings)?;
        // The rollup's refresher: one connection, and a second while it warms up (two spans load
        // at once).
        let background = db::build_pool_of(&settings, 2)?;
        let health = db::build_pool_of(&settings, 1)?;
        let db = Arc::new(Db::new(
            pool,
            background,
            health,
            settings.agent_source,
            settings.session_source,
        ));
        let rollup = Arc::new(Rollup::new(settings.rollup.clone(), clock));
        let state = web::Data::new(AppState {
            db: db.clone(),
            rollup: rollup.clone(),
            clock,
            draining: AtomicBool::new(false),
            flights: Default::default(),
            trusted_proxies: settings.trusted_proxies.clone(),
            guard: guard::Guard::new(settings.guard.clone()),
            admission: admission::Admission::new(settings.admission.clone()),
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
        tokio::spawn(rollup::run_refresher(rollup, db));
        log_guard(&settings.guard);
        if settings.trusted_proxies.is_empty() {
            log::info!("TRUSTED_PROXIES unset: access logs show the peer address, X-Forwarded-For is ignored");
        }

        let openapi = openapi::document(!settings.guard.api_keys.is_empty());
        let documented_names = web::Data::new(query_names::DocumentedNames::of(&openapi));
        let cors_origins = settings.cors_allowed_origins.clone();
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(documented_names.clone())
                .app_data(web::QueryConfig::default().error_handler(error::query_error_handler))
                // The last wrap runs first: request context, security headers, problem bodies
                // for bodiless errors, CORS (answers preflights before the key check, and
                // decorates 401s so browsers can read them), then the guard.
                .wrap(from_fn(middleware::guard))
                .wrap(cors(&cors_origins))
                .wrap(from_fn(error::problem_bodies))
                .wrap(from_fn(guard::security_headers))
                .wrap(from_fn(middleware::request_context))
                .configure(routes::configure)
                .service(web::redirect("/docs", "/docs/"))
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .url("/openapi.json", openapi.clone())
                        .config(swagger_config()),
                )
                .default_service(web::to(routes::route_not_found))
        })
        // Signals are ours (see run_until_signalled): actix would stop accepting at once.
        .disable_signals()
        .keep_alive(settings.http_keep_alive)
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        .listen(listener)?;
        if let Some(workers) = settings.http_workers {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.run(),
            state,
            drain: settings.shutdown_drain,
            shutdown_timeout: settings.shutdown_timeout,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the server is stopped; installs no signal handlers (tests use this).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or SIGINT, then shuts down without dropping requests:
    /// readiness turns 503 and requests keep being served for the drain period (so a load
    /// balancer deregisters this instance first), then the listener closes and in-flight
    /// requests get up to the shutdown timeout to finish. A second signal stops at once.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let (state, drain, timeout) = (self.state.clone(), self.drain, self.shutdown_timeout);
        tokio::spawn(async move {
            let signal = shutdown_signal().await;
            state.draining.store(true, Ordering::SeqCst);
            log::info!(
                "{signal}: readiness now 503; serving for the {} s drain, then finishing \
                 in-flight requests (up to {} s)",
                drain.as_secs(),
                timeout.as_secs()
            );
            tokio::select! {
                _ = tokio::time::sleep(drain) => {
                    log::info!("drain over: closing the listener");
                    handle.stop(true).await;
                }
                again = shutdown_signal() => {
                    log::warn!("second {again}: stopping now");
                    handle.stop(false).await;
                }
            }
        });
        let result = self.server.await;
        log::info!("stopped");
        result
    }
}

/// Waits for SIGTERM (what Kubernetes and `docker stop` send) or SIGINT (Ctrl-C).
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(e) => {
                log::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = terminate => "SIGTERM",
    }
}

/// Builds and runs the service until SIGTERM/SIGINT, then drains and stops gracefully.
pub async fn run(settings: Settings) -> Result<(), StartupError> {
    Application::build(settings)
        .await?
        .run_until_signalled()
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

/// Says at start-up how the API is protected (never the keys themselves).
fn log_guard(guard: &config::GuardSettings) {
    if guard.api_keys.is_empty() {
        log::warn!(
            "no API keys (ALLOW_OPEN_API=true): the API is open to anyone who can reach it, \
             including /recentmessages and /sessions/{{id}} (conversation content); set API_KEYS \
             or API_KEYS_FILE, or EXPOSE_MESSAGE_CONTENT=false"
        );
    } else {
        log::info!(
            "API keys required ({} configured) on every endpoint but /, /health*, /docs, \
             /openapi.json and /dashboard",
            guard.api_keys.len()
        );
    }
    if guard.cursor_secret.is_none() {
        log::info!(
            "CURSOR_SECRET unset: cursors are signed with a random key of this process; with \
             several replicas set a shared CURSOR_SECRET, or a cursor served by one pod is \
             refused (422) by another"
        );
    }
    log::info!(
        "limits: RATE_LIMIT_PER_MINUTE={} per client, AUTH_FAILURES_PER_MINUTE={} per address, \
         REQUEST_TIMEOUT_SECONDS={}, \
         MAX_QUERY_STRING_BYTES={}, EXPOSE_MESSAGE_CONTENT={}",
        guard.rate_limit_per_minute,
        guard.auth_failures_per_minute,
        guard.request_timeout.as_secs(),
        guard.max_query_bytes,
        guard.expose_message_content
    );
}

/// Swagger UI loads nothing off-site: no validator badge (it would send the internal spec URL
/// to validator.swagger.io) and no Explore bar (it loads any URL typed into it).
fn swagger_config() -> utoipa_swagger_ui::Config<'static> {
    utoipa_swagger_ui::Config::from("/openapi.json")
        .validator_url("none")
        .use_base_layout()
}

/// Browsers may call the API from the configured origins; the API is read-only, so GET only.
fn cors(origins: &CorsOrigins) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET"])
        .allow_any_header()
        // A disallowed origin gets a normal response without Access-Control-Allow-Origin (the browser then
        // blocks it), not a 400 that non-browser clients sending Origin would trip over.
        .block_on_origin_mismatch(false)
        // Without this a page on another origin reads the documented headers as null.
        .expose_headers([
            "X-Data-Source",
            "X-Data-As-Of",
            "X-Request-Id",
            "Retry-After",
            "Content-Disposition",
        ])
        .max_age(3600);
    match origins {
        CorsOrigins::Any => cors.allow_any_origin().send_wildcard(),
        CorsOrigins::List(list) => list
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin)),
    }
}
