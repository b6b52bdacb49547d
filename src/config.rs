//! Settings read once from the environment (12-factor: Kubernetes sets them, `.env` helps locally).

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;

/// Where the agent fields (agent_name, agent_version, agent_user_id, agent_session_id,
/// agent_app_name) are read from on each `"LiteLLM_SpendLogs"` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentSource {
    /// Per row: `metadata->'spend_logs_metadata'` when it names an agent, else the stored request
    /// body's `metadata`, else its `requester_metadata` copy.
    Auto,
    /// `metadata->'spend_logs_metadata'`: what callers nest under `metadata.spend_logs_metadata`.
    SpendLogsMetadata,
    /// `proxy_server_request->'metadata'`: the stored request body (only when prompts are stored).
    RequestBody,
    /// `proxy_server_request->'metadata'->'requester_metadata'`: LiteLLM's copy of the caller's dict.
    RequesterCopy,
    /// Top-level keys of the `metadata` column, for proxies or forks that write them there.
    Metadata,
}

impl AgentSource {
    pub const ALL: [AgentSource; 5] = [
        AgentSource::Auto,
        AgentSource::SpendLogsMetadata,
        AgentSource::RequestBody,
        AgentSource::RequesterCopy,
        AgentSource::Metadata,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgentSource::Auto => "auto",
            AgentSource::SpendLogsMetadata => "spend_logs_metadata",
            AgentSource::RequestBody => "request_body",
            AgentSource::RequesterCopy => "requester_copy",
            AgentSource::Metadata => "metadata",
        }
    }

    /// Whether this source reads the stored request body, a column older LiteLLM databases lack.
    pub fn needs_request_body(self) -> bool {
        matches!(self, AgentSource::RequestBody | AgentSource::RequesterCopy)
    }
}

impl fmt::Display for AgentSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgentSource {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AgentSource::ALL
            .into_iter()
            .find(|source| source.as_str() == s.trim())
            .ok_or_else(|| {
                ConfigError(format!(
                    "AGENT_METADATA_SOURCE={s:?} is not one of: {}",
                    AgentSource::ALL.map(AgentSource::as_str).join(", ")
                ))
            })
    }
}

/// What identifies a session (SESSION_ID_SOURCE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSource {
    /// The caller's `agent_session_id` (default).
    Agent,
    /// LiteLLM's own `session_id` column (clients sending `litellm_session_id`).
    Litellm,
}

impl FromStr for SessionSource {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "agent" => Ok(SessionSource::Agent),
            "litellm" => Ok(SessionSource::Litellm),
            other => Err(ConfigError(format!(
                "SESSION_ID_SOURCE={other:?} is not one of: agent, litellm"
            ))),
        }
    }
}

/// Which browser origins may call the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    List(Vec<String>),
}

impl FromStr for CorsOrigins {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim() == "*" {
            return Ok(CorsOrigins::Any);
        }
        let origins: Vec<String> = s
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_string())
            .filter(|o| !o.is_empty())
            .collect();
        if let Some(bad) = origins
            .iter()
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(ConfigError(format!(
                "CORS_ALLOWED_ORIGINS: {bad:?} is not an origin like https://dashboard.example.com (or use *)"
            )));
        }
        Ok(CorsOrigins::List(origins))
    }
}

/// A start-up configuration mistake; the message names the variable and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Everything the service needs to start, validated once.
#[derive(Clone)]
pub struct Settings {
    /// Postgres URL or key=value string of the LiteLLM database. Holds a password: never log it.
    pub database_url: String,
    pub host: String,
    pub port: u16,
    pub db_pool_size: usize,
    pub db_statement_timeout: Duration,
    pub agent_source: AgentSource,
    pub session_source: SessionSource,
    pub cors_allowed_origins: CorsOrigins,
    /// actix worker threads; `None` means one per CPU core.
    pub http_workers: Option<usize>,
    /// How long an idle keep-alive connection stays open. Behind an AWS ALB it must exceed the
    /// ALB's idle timeout (60 s by default), or the ALB may reuse a connection we just closed
    /// and answer 502.
    pub http_keep_alive: Duration,
    /// After SIGTERM: how long to keep serving (readiness 503) before closing the listener.
    pub shutdown_drain: Duration,
    /// After the drain: how long in-flight requests may take to finish.
    pub shutdown_timeout: Duration,
    /// Peers whose `X-Forwarded-For` is believed (the load balancer's addresses).
    pub trusted_proxies: Vec<IpNet>,
    /// The in-memory rollup that answers the summary endpoints (see rollup/).
    pub rollup: RollupSettings,
    /// PEM file of CA certificates for verifying the database's TLS certificate (with
    /// `sslmode=require`), e.g. the Amazon RDS bundle; added to the system's roots.
    pub db_tls_ca_file: Option<PathBuf>,
    /// API keys, rate limit, request limits and content exposure (see guard.rs).
    pub guard: GuardSettings,
    /// Bounds on expensive work: concurrent SQL and CPU-heavy requests, export size.
    pub admission: AdmissionSettings,
}

/// Who may call the API and how much (API_KEYS, RATE_LIMIT_PER_MINUTE, ...).
#[derive(Clone, PartialEq, Eq)]
pub struct GuardSettings {
    /// Accepted API keys; empty means the API is open. Secrets: never log them.
    pub api_keys: Vec<String>,
    /// Whether /recentmessages and session details return message text and error messages.
    pub expose_message_content: bool,
    /// Requests per minute per client (API key, else client address); 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// How long one request may take before it is answered 504.
    pub request_timeout: Duration,
    /// Longest accepted query string, in bytes (414 beyond).
    pub max_query_bytes: usize,
    /// Failed authentications (wrong or missing key) allowed per minute per client address
    /// before it is answered 429; 0 turns the limit off. Independent of `rate_limit_per_minute`.
    pub auth_failures_per_minute: u32,
    /// `ALLOW_OPEN_API=true`: the operator's explicit choice to run without keys (demo, dev).
    pub allow_open_api: bool,
    /// Key that signs cursors (`CURSOR_SECRET`); `None`: a random key per process. Secret.
    pub cursor_secret: Option<String>,
}

impl Default for GuardSettings {
    fn default() -> Self {
        GuardSettings {
            api_keys: Vec::new(),
            expose_message_content: true,
            rate_limit_per_minute: 0,
            request_timeout: Duration::from_secs(30),
            max_query_bytes: 4096,
            auth_failures_per_minute: 10,
            allow_open_api: false,
            cursor_secret: None,
        }
    }
}

impl fmt::Debug for GuardSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardSettings")
            .field(
                "api_keys",
                &format_args!("<{} redacted>", self.api_keys.len()),
            )
            .field("expose_message_content", &self.expose_message_content)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("request_timeout", &self.request_timeout)
            .field("max_query_bytes", &self.max_query_bytes)
            .field("auth_failures_per_minute", &self.auth_failures_per_minute)
            .field("allow_open_api", &self.allow_open_api)
            .field(
                "cursor_secret",
                &self.cursor_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl GuardSettings {
    fn from_vars(
        var: &impl Fn(&str) -> Option<String>,
        read_file: impl Fn(&str) -> std::io::Result<String>,
    ) -> Result<Self, ConfigError> {
        let mut guard = GuardSettings::default();
        if let Some(list) = var("API_KEYS") {
            let keys = parse_keys(&list);
            // Only separators (" , "): someone meant to set keys and the value got lost.
            if keys.is_empty() {
                return Err(ConfigError(
                    "API_KEYS is set but holds no key (only commas or blanks); give at least one \
                     key, or unset it and set ALLOW_OPEN_API=true to run without keys"
                        .to_string(),
                ));
            }
            guard.api_keys.extend(keys);
        }
        if let Some(path) = var("API_KEYS_FILE") {
            let path = path.trim();
            // The error names the file, never its content.
            let text = read_file(path)
                .map_err(|e| ConfigError(format!("API_KEYS_FILE={path:?} cannot be read: {e}")))?;
            let keys = parse_keys(&text);
            if keys.is_empty() {
                return Err(ConfigError(format!(
                    "API_KEYS_FILE={path:?} holds no key (one per line or comma-separated)"
                )));
            }
            guard.api_keys.extend(keys);
        }
        if let Some(flag) = var("EXPOSE_MESSAGE_CONTENT") {
            guard.expose_message_content = parse_bool("EXPOSE_MESSAGE_CONTENT", &flag)?;
        }
        if let Some(n) = var("RATE_LIMIT_PER_MINUTE") {
            guard.rate_limit_per_minute =
                parse_number("RATE_LIMIT_PER_MINUTE", &n, 0, 1_000_000)? as u32;
        }
        if let Some(secs) = var("REQUEST_TIMEOUT_SECONDS") {
            guard.request_timeout =
                Duration::from_secs(parse_number("REQUEST_TIMEOUT_SECONDS", &secs, 1, 3600)?);
        }
        if let Some(n) = var("MAX_QUERY_STRING_BYTES") {
            guard.max_query_bytes =
                parse_number("MAX_QUERY_STRING_BYTES", &n, 256, 65_536)? as usize;
        }
        if let Some(n) = var("AUTH_FAILURES_PER_MINUTE") {
            guard.auth_failures_per_minute =
                parse_number("AUTH_FAILURES_PER_MINUTE", &n, 0, 1_000_000)? as u32;
        }
        if let Some(secret) = var("CURSOR_SECRET") {
            if secret.len() < 32 {
                return Err(ConfigError(
                    "CURSOR_SECRET must be at least 32 characters (e.g. openssl rand -hex 32)"
                        .to_string(),
                ));
            }
            guard.cursor_secret = Some(secret);
        }
        if let Some(flag) = var("ALLOW_OPEN_API") {
            guard.allow_open_api = parse_bool("ALLOW_OPEN_API", &flag)?;
        }
        // Fail closed: a deployment that forgot its keys must not come up open.
        if guard.api_keys.is_empty() && !guard.allow_open_api {
            return Err(ConfigError(
                "no API keys: set API_KEYS (comma-separated) or API_KEYS_FILE, or set \
                 ALLOW_OPEN_API=true to run the API open to anyone who can reach it (demo, dev)"
                    .to_string(),
            ));
        }
        Ok(guard)
    }
}

/// Keys separated by commas or line breaks; blanks and `#` comment lines skipped.
fn parse_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => Err(ConfigError(format!(
            "{name}={other:?} is not a boolean (true or false)"
        ))),
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &"<redacted>")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("db_pool_size", &self.db_pool_size)
            .field("db_statement_timeout", &self.db_statement_timeout)
            .field("agent_source", &self.agent_source)
            .field("session_source", &self.session_source)
            .field("cors_allowed_origins", &self.cors_allowed_origins)
            .field("http_workers", &self.http_workers)
            .field("http_keep_alive", &self.http_keep_alive)
            .field("shutdown_drain", &self.shutdown_drain)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("db_tls_ca_file", &self.db_tls_ca_file)
            .field("rollup", &self.rollup)
            .field("guard", &self.guard)
            .field("admission", &self.admission)
            .finish()
    }
}

impl Settings {
    /// Settings with the documented defaults for everything but the database URL.
    pub fn with_database_url(database_url: impl Into<String>) -> Self {
        Settings {
            database_url: database_url.into(),
            host: "0.0.0.0".to_string(),
            port: 8000,
            db_pool_size: 16,
            db_statement_timeout: Duration::from_millis(10_000),
            agent_source: AgentSource::Auto,
            session_source: SessionSource::Agent,
            cors_allowed_origins: CorsOrigins::Any,
            http_workers: None,
            http_keep_alive: Duration::from_secs(75),
            shutdown_drain: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(20),
            trusted_proxies: Vec::new(),
            db_tls_ca_file: None,
            rollup: RollupSettings::default(),
            guard: GuardSettings::default(),
            admission: AdmissionSettings::for_pool(16),
        }
    }

    /// Reads the process environment (after `.env`, when present).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads settings through `lookup`, so tests can supply variables without touching the process.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        let database_url = var("DATABASE_URL").ok_or_else(|| {
            ConfigError(
                "DATABASE_URL is required: the LiteLLM Postgres database, e.g. \
                 postgres://analytics_ro:secret@db:5432/litellm"
                    .to_string(),
            )
        })?;
        let mut settings = Settings::with_database_url(database_url);
        if let Some(host) = var("HOST") {
            settings.host = host.trim().to_string();
        }
        if let Some(port) = var("PORT") {
            settings.port = parse_number("PORT", &port, 0, u16::MAX as u64)? as u16;
        }
        if let Some(size) = var("DB_POOL_SIZE") {
            settings.db_pool_size = parse_number("DB_POOL_SIZE", &size, 1, 1_000)? as usize;
        }
        if let Some(ms) = var("DB_STATEMENT_TIMEOUT_MS") {
            let ms = parse_number("DB_STATEMENT_TIMEOUT_MS", &ms, 1, 3_600_000)?;
            settings.db_statement_timeout = Duration::from_millis(ms);
        }
        if let Some(source) = var("AGENT_METADATA_SOURCE") {
            settings.agent_source = source.parse()?;
        }
        if let Some(session) = var("SESSION_ID_SOURCE") {
            settings.session_source = session.parse()?;
        }
        if let Some(origins) = var("CORS_ALLOWED_ORIGINS") {
            settings.cors_allowed_origins = origins.parse()?;
        }
        if let Some(workers) = var("HTTP_WORKERS") {
            settings.http_workers = Some(parse_number("HTTP_WORKERS", &workers, 1, 256)? as usize);
        }
        if let Some(secs) = var("HTTP_KEEP_ALIVE_SECONDS") {
            settings.http_keep_alive =
                Duration::from_secs(parse_number("HTTP_KEEP_ALIVE_SECONDS", &secs, 1, 3600)?);
        }
        if let Some(secs) = var("SHUTDOWN_DRAIN_SECONDS") {
            settings.shutdown_drain =
                Duration::from_secs(parse_number("SHUTDOWN_DRAIN_SECONDS", &secs, 0, 300)?);
        }
        if let Some(secs) = var("SHUTDOWN_TIMEOUT_SECONDS") {
            settings.shutdown_timeout =
                Duration::from_secs(parse_number("SHUTDOWN_TIMEOUT_SECONDS", &secs, 1, 300)?);
        }
        if let Some(list) = var("TRUSTED_PROXIES") {
            settings.trusted_proxies = parse_networks(&list)?;
        }
        if let Some(path) = var("DB_TLS_CA_FILE") {
            settings.db_tls_ca_file = Some(PathBuf::from(path.trim()));
        }
        settings.rollup = RollupSettings::from_vars(&var, |path| std::fs::read_to_string(path))?;
        settings.guard = GuardSettings::from_vars(&var, |path| std::fs::read_to_string(path))?;
        settings.admission = AdmissionSettings::from_vars(&var, settings.db_pool_size)?;
        Ok(settings)
    }
}

/// How the in-memory rollup is kept (ANALYTICS_* variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupSettings {
    /// Off: every request is answered by SQL.
    pub enabled: bool,
    /// Answers from memory are at most this old; older, the service answers from SQL.
    pub max_staleness: Duration,
    /// How often new rows are looked for.
    pub refresh_interval: Duration,
    /// How far back the rollup holds each agent version's hourly and daily totals, distinct
    /// session/user sets and latency distributions: summaries of windows within it come from
    /// memory; windows reaching further are answered from SQL.
    pub horizon: Duration,
    /// How far back the rollup also holds one record per request (lists, session and user
    /// rankings, a session's requests). At most `horizon`.
    pub row_horizon: Duration,
    /// Readiness waits until the rollup covers this last span (the windows dashboards ask for);
    /// the rest of the horizon loads in the background while SQL answers the longer windows.
    pub ready_span: Duration,
    /// The most heap the rollup may take, in bytes (ANALYTICS_MEMORY_LIMIT_MB; by default 60% of
    /// the container's memory limit, none without one). Past it the rollup drops its oldest days
    /// and windows reaching them are answered by SQL.
    pub memory_budget: Option<u64>,
    /// How late LiteLLM may write a row after its startTime (batched writes, long requests):
    /// every refresh re-checks the rows of this last span.
    pub ingest_lag: Duration,
    /// How often hourly row counts are compared with the database, to catch deletions (the
    /// retention job) and rows written later than the ingest lag.
    pub reconcile_interval: Duration,
}

impl Default for RollupSettings {
    fn default() -> Self {
        RollupSettings {
            enabled: true,
            max_staleness: Duration::from_secs(30),
            refresh_interval: Duration::from_secs(1),
            horizon: Duration::from_secs(400 * 24 * 3600),
            row_horizon: Duration::from_secs(31 * 24 * 3600),
            ready_span: Duration::from_secs(20 * 24 * 3600),
            memory_budget: None,
            ingest_lag: Duration::from_secs(600),
            reconcile_interval: Duration::from_secs(30),
        }
    }
}

impl RollupSettings {
    fn from_vars(
        var: &impl Fn(&str) -> Option<String>,
        read_file: impl Fn(&str) -> std::io::Result<String>,
    ) -> Result<Self, ConfigError> {
        let mut r = RollupSettings::default();
        if let Some(value) = var("ANALYTICS_ROLLUP") {
            r.enabled = match value.trim() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                other => {
                    return Err(ConfigError(format!(
                        "ANALYTICS_ROLLUP={other:?} must be on or off"
                    )))
                }
            };
        }
        let seconds = |name: &str, min: u64, max: u64| -> Result<Option<Duration>, ConfigError> {
            var(name)
                .map(|v| parse_number(name, &v, min, max).map(Duration::from_secs))
                .transpose()
        };
        if let Some(d) = seconds("ANALYTICS_MAX_STALENESS_SECONDS", 1, 3600)? {
            r.max_staleness = d;
        }
        if let Some(d) = seconds("ANALYTICS_REFRESH_SECONDS", 1, 3600)? {
            r.refresh_interval = d;
        }
        if let Some(days) = var("ANALYTICS_HORIZON_DAYS") {
            let days = parse_number("ANALYTICS_HORIZON_DAYS", &days, 1, 400)?;
            r.horizon = Duration::from_secs(days * 24 * 3600);
        }
        if let Some(days) = var("ANALYTICS_ROW_HORIZON_DAYS") {
            let days = parse_number("ANALYTICS_ROW_HORIZON_DAYS", &days, 1, 400)?;
            r.row_horizon = Duration::from_secs(days * 24 * 3600);
        }
        if r.row_horizon > r.horizon {
            // Records are only kept for days the totals cover.
            r.row_horizon = r.horizon;
        }
        if let Some(days) = var("ANALYTICS_READY_DAYS") {
            let days = parse_number("ANALYTICS_READY_DAYS", &days, 0, 400)?;
            r.ready_span = Duration::from_secs(days * 24 * 3600);
        }
        r.ready_span = r.ready_span.min(r.horizon);
        r.memory_budget = match var("ANALYTICS_MEMORY_LIMIT_MB") {
            Some(v) if v.trim() == "off" => None,
            Some(v) => Some(parse_number("ANALYTICS_MEMORY_LIMIT_MB", &v, 16, 1 << 30)? << 20),
            None => container_memory_limit(read_file).map(|limit| limit / 10 * 6),
        };
        if let Some(d) = seconds("ANALYTICS_INGEST_LAG_SECONDS", 0, 86_400)? {
            r.ingest_lag = d;
        }
        if let Some(d) = seconds("ANALYTICS_RECONCILE_SECONDS", 1, 86_400)? {
            r.reconcile_interval = d;
        }
        if r.refresh_interval >= r.max_staleness {
            return Err(ConfigError(format!(
                "ANALYTICS_REFRESH_SECONDS ({}) must be below ANALYTICS_MAX_STALENESS_SECONDS ({}), \
                 or answers would go stale between refreshes",
                r.refresh_interval.as_secs(),
                r.max_staleness.as_secs()
            )));
        }
        Ok(r)
    }
}

/// How much expensive work runs at once, and how long an export may be (ADMISSION_*,
/// CSV_EXPORT_MAX_ROWS). Beyond the bounds, requests are refused at once (admission.rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionSettings {
    /// Requests on the SQL path at once (ADMISSION_MAX_DATABASE; default DB_POOL_SIZE, so an
    /// admitted request never waits for a connection).
    pub max_database: usize,
    /// CPU-heavy computations over the rollup at once (ADMISSION_MAX_CPU; default one less than
    /// the CPU cores, at least 1, so a core stays free for HTTP workers and health checks).
    pub max_cpu: usize,
    /// Expensive requests one client (API key, else address) runs at once
    /// (ADMISSION_MAX_PER_CLIENT; default half of DB_POOL_SIZE, at least 1: one client never
    /// takes every slot).
    pub max_per_client: usize,
    /// Rows one CSV export holds at most (CSV_EXPORT_MAX_ROWS); a longer one ends with a
    /// truncation row naming the cursor to continue from.
    pub csv_max_rows: usize,
}

impl AdmissionSettings {
    /// The defaults for a pool of `pool_size` connections.
    pub fn for_pool(pool_size: usize) -> AdmissionSettings {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        AdmissionSettings {
            max_database: pool_size.max(1),
            max_cpu: cores.saturating_sub(1).max(1),
            max_per_client: (pool_size / 2).max(1),
            csv_max_rows: 100_000,
        }
    }

    fn from_vars(
        var: &impl Fn(&str) -> Option<String>,
        pool_size: usize,
    ) -> Result<Self, ConfigError> {
        let mut a = AdmissionSettings::for_pool(pool_size);
        let number = |name: &str, min: u64, max: u64| -> Result<Option<usize>, ConfigError> {
            var(name)
                .map(|v| parse_number(name, &v, min, max).map(|n| n as usize))
                .transpose()
        };
        if let Some(n) = number("ADMISSION_MAX_DATABASE", 1, 1_000)? {
            a.max_database = n;
        }
        if let Some(n) = number("ADMISSION_MAX_CPU", 1, 256)? {
            a.max_cpu = n;
        }
        if let Some(n) = number("ADMISSION_MAX_PER_CLIENT", 1, 1_000)? {
            a.max_per_client = n;
        }
        if let Some(n) = number("CSV_EXPORT_MAX_ROWS", 1, 100_000_000)? {
            a.csv_max_rows = n;
        }
        if a.max_database > pool_size {
            log::warn!(
                "ADMISSION_MAX_DATABASE={} exceeds DB_POOL_SIZE={pool_size}: admitted requests \
                 may wait up to 2 s for a connection",
                a.max_database
            );
        }
        Ok(a)
    }
}

/// `TRUSTED_PROXIES`: comma-separated CIDRs (`10.0.0.0/16`) or single addresses.
fn parse_networks(list: &str) -> Result<Vec<IpNet>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    ConfigError(format!(
                        "TRUSTED_PROXIES: {item:?} is not a CIDR like 10.0.0.0/16 or an IP address"
                    ))
                })
        })
        .collect()
}

/// The memory limit of the container we run in (cgroup v2, else v1), if it sets one.
fn container_memory_limit(read_file: impl Fn(&str) -> std::io::Result<String>) -> Option<u64> {
    [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|path| read_file(path).ok())
    .find_map(|text| text.trim().parse::<u64>().ok())
    // cgroup v1 spells "no limit" as a number near 2^63.
    .filter(|limit| *limit < 1 << 50)
}

fn parse_number(name: &str, value: &str, min: u64, max: u64) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            ConfigError(format!(
                "{name}={value:?} must be a whole number from {min} to {max}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Settings from exactly `vars`.
    fn exact_settings_from(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|key| map.get(key).cloned())
    }

    /// Settings from `vars`, open (ALLOW_OPEN_API=true) unless they say otherwise, so that
    /// tests of other variables need not set keys.
    fn settings_from(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut vars = vars.to_vec();
        if !vars.iter().any(|(k, _)| *k == "ALLOW_OPEN_API") {
            vars.push(("ALLOW_OPEN_API", "true"));
        }
        exact_settings_from(&vars)
    }

    #[test]
    fn without_keys_the_service_refuses_to_start_unless_open_api_is_allowed() {
        let no_keys = exact_settings_from(&[("DATABASE_URL", "x")]).unwrap_err();
        assert!(no_keys.0.contains("ALLOW_OPEN_API=true"), "{no_keys}");
        // Blank values count as unset.
        let blank = exact_settings_from(&[("DATABASE_URL", "x"), ("API_KEYS", "  ")]);
        assert!(blank.is_err());
        // Only separators: keys were meant and got lost; refused even with the opt-in.
        for allow in ["false", "true"] {
            let lost = exact_settings_from(&[
                ("DATABASE_URL", "x"),
                ("API_KEYS", " , "),
                ("ALLOW_OPEN_API", allow),
            ])
            .unwrap_err();
            assert!(
                lost.0.contains("API_KEYS is set but holds no key"),
                "{lost}"
            );
        }
        let open = exact_settings_from(&[("DATABASE_URL", "x"), ("ALLOW_OPEN_API", "true")]);
        assert!(open.unwrap().guard.api_keys.is_empty());
        let keyed = exact_settings_from(&[("DATABASE_URL", "x"), ("API_KEYS", "k1")]).unwrap();
        assert_eq!(keyed.guard.api_keys, ["k1"]);
        assert_eq!(keyed.guard.auth_failures_per_minute, 10);
    }

    #[test]
    fn cursor_secret_must_be_long_and_is_never_printed() {
        let short = settings_from(&[("DATABASE_URL", "x"), ("CURSOR_SECRET", "short")]);
        assert!(short.unwrap_err().0.contains("CURSOR_SECRET"));
        let secret = "s".repeat(40);
        let s = settings_from(&[("DATABASE_URL", "x"), ("CURSOR_SECRET", &secret)]).unwrap();
        assert_eq!(s.guard.cursor_secret.as_deref(), Some(secret.as_str()));
        assert!(!format!("{s:?}").contains(&secret));
    }

    #[test]
    fn api_keys_come_from_the_list_and_the_file_and_are_never_printed() {
        let dir = std::env::temp_dir().join(format!("la-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("keys");
        std::fs::write(
            &file,
            "# rotated 2024-12\nkey-from-file-1\n\nkey-from-file-2, key-3\n",
        )
        .unwrap();
        let settings = settings_from(&[
            ("DATABASE_URL", "x"),
            ("API_KEYS", " key-a ,key-b,"),
            ("API_KEYS_FILE", file.to_str().unwrap()),
            ("RATE_LIMIT_PER_MINUTE", "120"),
            ("EXPOSE_MESSAGE_CONTENT", "false"),
        ])
        .unwrap();
        assert_eq!(
            settings.guard.api_keys,
            [
                "key-a",
                "key-b",
                "key-from-file-1",
                "key-from-file-2",
                "key-3"
            ]
        );
        assert_eq!(settings.guard.rate_limit_per_minute, 120);
        assert!(!settings.guard.expose_message_content);
        let printed = format!("{settings:?}");
        assert!(
            !printed.contains("key-a") && !printed.contains("key-from-file"),
            "{printed}"
        );

        let missing = settings_from(&[("DATABASE_URL", "x"), ("API_KEYS_FILE", "/nonexistent/k")]);
        assert!(missing.unwrap_err().0.contains("/nonexistent/k"));
        std::fs::write(&file, "# nothing\n").unwrap();
        let empty = settings_from(&[
            ("DATABASE_URL", "x"),
            ("API_KEYS_FILE", file.to_str().unwrap()),
        ]);
        assert!(empty.unwrap_err().0.contains("no key"));
        let bad = settings_from(&[("DATABASE_URL", "x"), ("EXPOSE_MESSAGE_CONTENT", "maybe")]);
        assert!(bad.unwrap_err().0.contains("EXPOSE_MESSAGE_CONTENT"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn defaults_apply_when_only_database_url_is_set() {
        let s = settings_from(&[("DATABASE_URL", "postgres://u@h/db")]).unwrap();
        assert_eq!(s.host, "0.0.0.0");
        assert_eq!(s.port, 8000);
        assert_eq!(s.db_pool_size, 16);
        assert_eq!(s.db_statement_timeout, Duration::from_millis(10_000));
        assert_eq!(s.agent_source, AgentSource::Auto);
        assert_eq!(s.cors_allowed_origins, CorsOrigins::Any);
    }

    #[test]
    fn missing_database_url_is_an_error_naming_it() {
        let err = settings_from(&[]).unwrap_err();
        assert!(err.0.contains("DATABASE_URL"), "{err}");
    }

    #[test]
    fn unknown_agent_source_lists_the_choices() {
        let err =
            settings_from(&[("DATABASE_URL", "x"), ("AGENT_METADATA_SOURCE", "body")]).unwrap_err();
        assert!(err.0.contains("AGENT_METADATA_SOURCE"), "{err}");
        assert!(err
            .0
            .contains("auto, spend_logs_metadata, request_body, requester_copy, metadata"));
    }

    #[test]
    fn every_agent_source_parses_from_its_name() {
        for source in AgentSource::ALL {
            assert_eq!(source.as_str().parse::<AgentSource>().unwrap(), source);
        }
    }

    #[test]
    fn numbers_out_of_range_are_rejected() {
        assert!(settings_from(&[("DATABASE_URL", "x"), ("DB_POOL_SIZE", "0")]).is_err());
        assert!(settings_from(&[("DATABASE_URL", "x"), ("PORT", "70000")]).is_err());
        assert!(
            settings_from(&[("DATABASE_URL", "x"), ("DB_STATEMENT_TIMEOUT_MS", "-5")]).is_err()
        );
    }

    #[test]
    fn cors_list_is_split_and_checked() {
        let s = settings_from(&[
            ("DATABASE_URL", "x"),
            (
                "CORS_ALLOWED_ORIGINS",
                "https://a.example.com, http://localhost:3000/",
            ),
        ])
        .unwrap();
        assert_eq!(
            s.cors_allowed_origins,
            CorsOrigins::List(vec![
                "https://a.example.com".into(),
                "http://localhost:3000".into()
            ])
        );
        assert!(
            settings_from(&[("DATABASE_URL", "x"), ("CORS_ALLOWED_ORIGINS", "a.com")]).is_err()
        );
    }

    #[test]
    fn trusted_proxies_accept_cidrs_and_addresses() {
        let s = settings_from(&[
            ("DATABASE_URL", "x"),
            ("TRUSTED_PROXIES", "10.0.0.0/16, 192.168.1.7 ,fd00::/8"),
        ])
        .unwrap();
        assert_eq!(s.trusted_proxies.len(), 3);
        assert!(s.trusted_proxies[1].contains(&"192.168.1.7".parse::<IpAddr>().unwrap()));
        assert!(
            settings_from(&[("DATABASE_URL", "x"), ("TRUSTED_PROXIES", "10.0.0.0/33")]).is_err()
        );
    }

    #[test]
    fn shutdown_timings_have_defaults_and_bounds() {
        let s = settings_from(&[("DATABASE_URL", "x")]).unwrap();
        assert_eq!(s.shutdown_drain, Duration::from_secs(10));
        assert_eq!(s.shutdown_timeout, Duration::from_secs(20));
        let s = settings_from(&[("DATABASE_URL", "x"), ("SHUTDOWN_DRAIN_SECONDS", "0")]).unwrap();
        assert_eq!(s.shutdown_drain, Duration::ZERO);
        assert!(
            settings_from(&[("DATABASE_URL", "x"), ("SHUTDOWN_TIMEOUT_SECONDS", "0")]).is_err()
        );
    }

    #[test]
    fn the_memory_budget_defaults_to_sixty_percent_of_the_container_limit() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let cgroup_v2 = |path: &str| match path {
            "/sys/fs/cgroup/memory.max" => Ok("1073741824\n".to_string()),
            _ => Err(std::io::ErrorKind::NotFound.into()),
        };
        let unlimited_v2 = |path: &str| match path {
            "/sys/fs/cgroup/memory.max" => Ok("max\n".to_string()),
            _ => Err(std::io::ErrorKind::NotFound.into()),
        };
        let unlimited_v1 = |path: &str| match path {
            "/sys/fs/cgroup/memory/memory.limit_in_bytes" => {
                Ok("9223372036854771712\n".to_string())
            }
            _ => Err(std::io::ErrorKind::NotFound.into()),
        };
        let limited_v1 = |path: &str| match path {
            "/sys/fs/cgroup/memory/memory.limit_in_bytes" => Ok("536870912".to_string()),
            _ => Err(std::io::ErrorKind::NotFound.into()),
        };
        let none = vars(&[]);
        let budget = |r: RollupSettings| r.memory_budget;
        // 1 GiB / 10 * 6 and 512 MiB / 10 * 6.
        assert_eq!(
            budget(RollupSettings::from_vars(&none, cgroup_v2).unwrap()),
            Some(644_245_092)
        );
        assert_eq!(
            budget(RollupSettings::from_vars(&none, limited_v1).unwrap()),
            Some(322_122_546)
        );
        assert_eq!(
            budget(RollupSettings::from_vars(&none, unlimited_v2).unwrap()),
            None
        );
        assert_eq!(
            budget(RollupSettings::from_vars(&none, unlimited_v1).unwrap()),
            None
        );
        let set = vars(&[("ANALYTICS_MEMORY_LIMIT_MB", " 300 ")]);
        assert_eq!(
            budget(RollupSettings::from_vars(&set, cgroup_v2).unwrap()),
            Some(300 << 20)
        );
        let off = vars(&[("ANALYTICS_MEMORY_LIMIT_MB", "off")]);
        assert_eq!(
            budget(RollupSettings::from_vars(&off, cgroup_v2).unwrap()),
            None
        );
        for bad in [
            &[("ANALYTICS_MEMORY_LIMIT_MB", "0")][..],
            &[("ANALYTICS_MEMORY_LIMIT_MB", "1.5GB")],
        ] {
            let err = RollupSettings::from_vars(&vars(bad), cgroup_v2).unwrap_err();
            assert!(err.0.contains("ANALYTICS_MEMORY_LIMIT_MB"), "{err}");
        }
    }

    #[test]
    fn horizons_and_the_ready_span_default_and_nest() {
        let s = settings_from(&[("DATABASE_URL", "x")]).unwrap();
        assert_eq!(s.rollup.horizon, Duration::from_secs(400 * 86_400));
        assert_eq!(s.rollup.row_horizon, Duration::from_secs(31 * 86_400));
        assert_eq!(s.rollup.ready_span, Duration::from_secs(20 * 86_400));
        let short = settings_from(&[
            ("DATABASE_URL", "x"),
            ("ANALYTICS_HORIZON_DAYS", "10"),
            ("ANALYTICS_ROW_HORIZON_DAYS", "31"),
        ])
        .unwrap();
        assert_eq!(short.rollup.row_horizon, Duration::from_secs(10 * 86_400));
        assert_eq!(short.rollup.ready_span, Duration::from_secs(10 * 86_400));
        assert!(settings_from(&[("DATABASE_URL", "x"), ("ANALYTICS_READY_DAYS", "401")]).is_err());
    }

    #[test]
    fn rollup_settings_have_defaults_and_refuse_a_refresh_slower_than_the_staleness_bound() {
        let s = settings_from(&[("DATABASE_URL", "x")]).unwrap();
        assert!(s.rollup.enabled);
        assert_eq!(s.rollup.max_staleness, Duration::from_secs(30));
        let off = settings_from(&[("DATABASE_URL", "x"), ("ANALYTICS_ROLLUP", "off")]).unwrap();
        assert!(!off.rollup.enabled);
        let err = settings_from(&[
            ("DATABASE_URL", "x"),
            ("ANALYTICS_MAX_STALENESS_SECONDS", "5"),
            ("ANALYTICS_REFRESH_SECONDS", "10"),
        ])
        .unwrap_err();
        assert!(err.0.contains("ANALYTICS_REFRESH_SECONDS"), "{err}");
        assert!(settings_from(&[("DATABASE_URL", "x"), ("ANALYTICS_ROLLUP", "maybe")]).is_err());
    }

    #[test]
    fn debug_output_hides_the_database_url() {
        let s = settings_from(&[("DATABASE_URL", "postgres://u:hunter2@h/db")]).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn admission_defaults_follow_the_pool_and_can_be_set() {
        let url = ("DATABASE_URL", "postgres://u@h/db");
        let s = settings_from(&[url, ("DB_POOL_SIZE", "12")]).unwrap();
        assert_eq!(s.admission.max_database, 12);
        assert_eq!(s.admission.max_per_client, 6);
        assert!(s.admission.max_cpu >= 1);
        assert_eq!(s.admission.csv_max_rows, 100_000);
        let s = settings_from(&[
            url,
            ("ADMISSION_MAX_DATABASE", "4"),
            ("ADMISSION_MAX_CPU", "2"),
            ("ADMISSION_MAX_PER_CLIENT", "1"),
            ("CSV_EXPORT_MAX_ROWS", "500"),
        ])
        .unwrap();
        let a = &s.admission;
        assert_eq!(
            (a.max_database, a.max_cpu, a.max_per_client, a.csv_max_rows),
            (4, 2, 1, 500)
        );
        let err = settings_from(&[url, ("ADMISSION_MAX_PER_CLIENT", "0")]).unwrap_err();
        assert!(err.0.contains("ADMISSION_MAX_PER_CLIENT"), "{err}");
    }
}
