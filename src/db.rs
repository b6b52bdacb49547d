//! The connection pool (read-only and time-bounded at the Postgres level) and the per-database
//! facts learned on first contact: which columns exist and hence which SQL to run.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio::sync::OnceCell;
use tokio_postgres::config::SslMode;
use tokio_postgres::NoTls;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::{AgentSource, ConfigError, SessionSource, Settings};
use crate::queries::error::DbError;
use crate::queries::{self, SpendLogsColumns, Statements};

/// How long a request waits for a pooled connection, or for a new one to be made.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a health check's outcome is reused.
pub const HEALTH_CACHE: Duration = Duration::from_secs(1);

/// Builds the pool. Connections are made lazily, so this succeeds while the database is down.
///
/// TLS is used when DATABASE_URL says `sslmode=require` (as managed databases such as RDS with
/// `rds.force_ssl` demand); the server certificate is then verified against the system's CA
/// certificates plus `DB_TLS_CA_FILE`. Otherwise connections are plain.
pub fn build_pool(settings: &Settings) -> Result<Pool, ConfigError> {
    build_pool_of(settings, settings.db_pool_size)
}

/// As [`build_pool`], with `size` connections at most.
pub fn build_pool_of(settings: &Settings, size: usize) -> Result<Pool, ConfigError> {
    let pg_config = read_only_config(settings)?;
    // Verified: a connection goes back out only after a round trip on it. With Fast, a connection
    // whose backend was just terminated (failover, pg_terminate_backend) can be handed out again
    // before its socket's close is noticed, failing one more request; the check costs one
    // empty query per checkout, and summaries do not check out at all.
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Verified,
    };
    let manager = if pg_config.get_ssl_mode() == SslMode::Require {
        let tls = tls_connector(settings.db_tls_ca_file.as_deref())?;
        Manager::from_config(pg_config, tls, manager_config)
    } else {
        Manager::from_config(pg_config, NoTls, manager_config)
    };
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(POOL_TIMEOUT))
        .create_timeout(Some(POOL_TIMEOUT))
        .recycle_timeout(Some(POOL_TIMEOUT))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| ConfigError(format!("could not build the database pool: {e}")))
}

/// The connection settings from DATABASE_URL plus the server-side guards every session gets.
///
/// The guards are startup options (`-c name=value`), applied by Postgres before the first query:
/// `default_transaction_read_only=on` makes every statement of the session read-only, so even a
/// bug here cannot write to LiteLLM's database; `statement_timeout` bounds every query. Ours come
/// after any options in the URL, and the later `-c` wins, so the URL cannot switch them off.
pub fn read_only_config(settings: &Settings) -> Result<tokio_postgres::Config, ConfigError> {
    let mut config: tokio_postgres::Config = settings.database_url.parse().map_err(|e| {
        // The parse error names the offending option, never the URL (which holds the password).
        ConfigError(format!(
            "DATABASE_URL is not a valid Postgres connection string \
             (postgres://user:password@host:5432/dbname): {e}"
        ))
    })?;
    let guards = format!(
        "-c default_transaction_read_only=on -c statement_timeout={} \
         -c plan_cache_mode=force_custom_plan",
        settings.db_statement_timeout.as_millis()
    );
    let options = match config.get_options() {
        Some(existing) if !existing.trim().is_empty() => format!("{existing} {guards}"),
        _ => guards,
    };
    config.options(options);
    if config.get_application_name().is_none() {
        config.application_name("litellm-analytics");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(POOL_TIMEOUT);
    }
    config.keepalives(true);
    Ok(config)
}

/// A rustls connector trusting the system's CA certificates and those in `ca_file`.
fn tls_connector(ca_file: Option<&Path>) -> Result<MakeRustlsConnect, ConfigError> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable system certificates are not fatal: DB_TLS_CA_FILE may be all that is needed.
    let (system_roots, _) =
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = ca_file {
        let shown = path.display();
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| {
                ConfigError(format!(
                    "DB_TLS_CA_FILE={shown}: cannot read PEM certificates: {e}"
                ))
            })?;
        if certs.is_empty() {
            return Err(ConfigError(format!(
                "DB_TLS_CA_FILE={shown} holds no PEM certificates"
            )));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                ConfigError(format!("DB_TLS_CA_FILE={shown}: bad certificate: {e}"))
            })?;
        }
    }
    if roots.is_empty() {
        return Err(ConfigError(
            "DATABASE_URL asks for sslmode=require, but no CA certificates were found to verify \
             the server with: install ca-certificates or set DB_TLS_CA_FILE"
                .to_string(),
        ));
    }
    log::debug!("database TLS: {system_roots} system CA certificates, CA file {ca_file:?}");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError(format!("database TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Where to log in, without the password: for start-up and error log lines.
pub fn describe_target(settings: &Settings) -> String {
    match settings.database_url.parse::<tokio_postgres::Config>() {
        Ok(config) => {
            let hosts: Vec<String> = config
                .get_hosts()
                .iter()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(name) => name.clone(),
                    #[cfg(unix)]
                    tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .collect();
            let port = config
                .get_ports()
                .first()
                .map_or("5432".to_string(), u16::to_string);
            let tls = if config.get_ssl_mode() == SslMode::Require {
                " (TLS)"
            } else {
                ""
            };
            format!(
                "{}@{}:{}/{}{tls}",
                config.get_user().unwrap_or("?"),
                hosts.join(","),
                port,
                config.get_dbname().unwrap_or("?")
            )
        }
        Err(_) => "<unparseable DATABASE_URL>".to_string(),
    }
}

/// The pools plus what the service learned about this database on first contact.
pub struct Db {
    /// Connections for requests (DB_POOL_SIZE).
    pool: Pool,
    /// Connections for background work (the rollup's refresher: one, two while warming up), so
    /// that it never takes a connection a request is waiting for.
    background: Pool,
    /// One connection for the health checks, so that they never wait behind queries.
    health: Pool,
    /// The last health check's outcome and when it was taken (see [`Db::health`]).
    health_cache: tokio::sync::Mutex<Option<(Instant, Result<(), DbError>)>>,
    source: AgentSource,
    session: SessionSource,
    statements: OnceCell<Arc<Statements>>,
}

impl Db {
    pub fn new(
        pool: Pool,
        background: Pool,
        health: Pool,
        source: AgentSource,
        session: SessionSource,
    ) -> Db {
        Db {
            pool,
            background,
            health,
            health_cache: tokio::sync::Mutex::new(None),
            source,
            session,
            statements: OnceCell::new(),
        }
    }

    /// The background connection (waits up to [`POOL_TIMEOUT`]).
    pub async fn background_client(&self) -> Result<Object, DbError> {
        Ok(self.background.get().await?)
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn source(&self) -> AgentSource {
        self.source
    }

    /// A pooled connection, or [`DbError::Unavailable`] within [`POOL_TIMEOUT`]. How much SQL
    /// work runs at once is bounded above this layer (answers.rs admits a request first).
    pub async fn client(&self) -> Result<Object, DbError> {
        Ok(self.pool.get().await?)
    }

    /// Whether the database answers `SELECT 1` on the health checks' own connection within
    /// `timeout`. Success is reused for [`HEALTH_CACHE`], so probes from many load balancer
    /// nodes and kubelets cost at most one query a second; checks never queue behind each other:
    /// probes arriving while one runs take its outcome, failure included. A failure is not
    /// reused later, so a database that comes back is seen at once.
    pub async fn health(&self, timeout: Duration) -> Result<(), DbError> {
        let asked = Instant::now();
        let mut cache = self.health_cache.lock().await;
        if let Some((at, outcome)) = cache.as_ref() {
            let fresh_success = outcome.is_ok() && at.elapsed() < HEALTH_CACHE;
            if fresh_success || *at >= asked {
                return outcome.clone();
            }
        }
        let check = async {
            let client = self.health.get().await?;
            queries::ping(&client).await
        };
        let outcome = match tokio::time::timeout(timeout, check).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(DbError::Unavailable(why))) => Err(DbError::Unavailable(why)),
            Ok(Err(other)) => Err(DbError::Unavailable(other.to_string())),
            Err(_) => Err(DbError::Unavailable(format!(
                "SELECT 1 did not answer within {} s",
                timeout.as_secs()
            ))),
        };
        *cache = Some((Instant::now(), outcome.clone()));
        outcome
    }

    /// A connection and the SQL for this database, ready to query agent data.
    pub async fn agent_client(&self) -> Result<(Object, Arc<Statements>), DbError> {
        self.agent_client_from(self.client().await?).await
    }

    async fn agent_client_from(
        &self,
        client: Object,
    ) -> Result<(Object, Arc<Statements>), DbError> {
        let statements = self.statements(&client).await?;
        if let Some(why) = &statements.source_unavailable {
            return Err(DbError::SourceUnavailable(why.clone()));
        }
        Ok((client, statements))
    }

    /// The SQL rendered for this database's columns, detected once on the first connection. A
    /// failure (database down, table missing) is not remembered: the next request tries again.
    pub async fn statements(&self, client: &Object) -> Result<Arc<Statements>, DbError> {
        self.statements
            .get_or_try_init(|| async {
                let columns = queries::spendlogs_columns(client).await?;
                if columns.is_empty() {
                    return Err(DbError::SourceUnavailable(
                        "table \"LiteLLM_SpendLogs\" was not found: point DATABASE_URL at the \
                         database LiteLLM writes"
                            .to_string(),
                    ));
                }
                let statements = Arc::new(Statements::render(self.source, self.session, &columns));
                log_schema(&columns, &statements);
                report_agent_sources(client, &statements, self.source).await;
                Ok(statements)
            })
            .await
            .cloned()
    }
}

fn log_schema(columns: &SpendLogsColumns, statements: &Statements) {
    let missing = columns.missing_optional();
    if !missing.is_empty() {
        log::warn!(
            "\"LiteLLM_SpendLogs\" lacks columns of newer LiteLLM versions: {} (older database); \
             features reading them are degraded",
            missing.join(", ")
        );
    }
    if let Some(why) = &statements.source_unavailable {
        log::error!("{why}");
    }
}

/// Logs where agent fields live in recent rows, so a wrong AGENT_METADATA_SOURCE shows at once.
async fn report_agent_sources(client: &Object, statements: &Statements, source: AgentSource) {
    match queries::agent_source_census(client, statements).await {
        Ok(census) if census.sampled == 0 => {
            log::info!("\"LiteLLM_SpendLogs\" is empty; agent sources will show once rows arrive")
        }
        Ok(census) => {
            log::info!(
                "agent_name found in the {} most recent rows: spend_logs_metadata={} \
                 request_body={} requester_copy={} metadata={}; AGENT_METADATA_SOURCE={} reads {}",
                census.sampled,
                census.spend_logs_metadata,
                census.request_body,
                census.requester_copy,
                census.metadata,
                source,
                census.configured
            );
            if let Some(hint) = census.better_source_hint(source) {
                log::warn!("{hint}");
            }
            if let Some(warning) = census.no_agent_fields_warning() {
                log::warn!("{warning}");
            }
        }
        Err(e) => log::warn!("could not sample recent rows for agent sources: {e}"),
    }
}
