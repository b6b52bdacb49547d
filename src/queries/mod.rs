//! The SQL the service runs (from `sql/*.sql`) and one typed function per query. No HTTP here.
//!
//! Query files name the configured agent source with the placeholder `{{agent}}`; it is replaced
//! once, when the database is first reached, by the expression in `sql/sources/<source>.sql`. The
//! placeholder only ever receives those fixed expressions: request values are always `$n`
//! parameters.

mod agent_stats;
pub mod error;
pub mod metrics_query;
mod pages;
pub mod rollup;
mod schema;
pub mod summaries;

use std::collections::HashSet;

pub use agent_stats::{agent_has_replies, agent_has_rows, agent_stats, session_has_replies};
pub use error::DbError;
pub use metrics_query::{metrics_query, MetricsRow};
pub use pages::{
    messages_page, usage_page, MessageRow, PagePosition, PageScope, PagedRow, UsageRow,
};
pub use schema::{agent_source_census, ping, spendlogs_columns, AgentSourceCensus};

use crate::config::{AgentSource, SessionSource};
use metrics_query::request::{self as metrics_request, Fragments};

const AGENT_STATS: &str = include_str!("../../sql/agent_stats.sql");
const SESSIONS: &str = include_str!("../../sql/sessions.sql");
const USERS: &str = include_str!("../../sql/users.sql");
const AGENT_CATALOG: &str = include_str!("../../sql/agent_catalog.sql");
const SESSION_REQUESTS: &str = include_str!("../../sql/session_requests.sql");
const SESSION_REQUESTS_BY_ID: &str = include_str!("../../sql/session_requests_by_id.sql");
const USAGE_PAGE: &str = include_str!("../../sql/usage_page.sql");
const MESSAGES_PAGE: &str = include_str!("../../sql/messages_page.sql");
const USAGE_PAGE_BY_ID: &str = include_str!("../../sql/usage_page_by_id.sql");
const MESSAGES_PAGE_BY_ID: &str = include_str!("../../sql/messages_page_by_id.sql");
const AGENT_HAS_ROWS: &str = include_str!("../../sql/agent_has_rows.sql");
const AGENT_HAS_REPLIES: &str = include_str!("../../sql/agent_has_replies.sql");
const SESSION_HAS_REPLIES: &str = include_str!("../../sql/session_has_replies.sql");
const AGENT_SOURCE_CENSUS: &str = include_str!("../../sql/agent_source_census.sql");
/// The fields the rollup loaders read (their `{{rollup_rows}}`).
const ROLLUP_ROWS: &str = include_str!("../../sql/rollup_rows.sql");
const ROLLUP_ROWS_BETWEEN: &str = include_str!("../../sql/rollup_rows_between.sql");
const ROLLUP_ROWS_BY_ID: &str = include_str!("../../sql/rollup_rows_by_id.sql");
const ROLLUP_AGENT_ROWS_BETWEEN: &str = include_str!("../../sql/rollup_agent_rows_between.sql");

/// The JSON object holding a row's agent fields, per configured source.
pub fn source_expression(source: AgentSource) -> &'static str {
    match source {
        AgentSource::Auto => include_str!("../../sql/sources/auto.sql"),
        AgentSource::SpendLogsMetadata => include_str!("../../sql/sources/spend_logs_metadata.sql"),
        AgentSource::RequestBody => include_str!("../../sql/sources/request_body.sql"),
        AgentSource::RequesterCopy => include_str!("../../sql/sources/requester_copy.sql"),
        AgentSource::Metadata => include_str!("../../sql/sources/metadata.sql"),
    }
}

/// Derived per-row fields, one hand-written expression each (sql/fields/), shared by every query
/// that needs them so that the rollup and the SQL path compute them identically.
const FIELDS: [(&str, &str); 5] = [
    (
        "{{duration_us}}",
        include_str!("../../sql/fields/duration_us.sql"),
    ),
    ("{{ttft_us}}", include_str!("../../sql/fields/ttft_us.sql")),
    ("{{failed}}", include_str!("../../sql/fields/failed.sql")),
    (
        "{{cached_tokens}}",
        include_str!("../../sql/fields/cached_tokens.sql"),
    ),
    (
        "{{has_tools}}",
        include_str!("../../sql/fields/has_tools.sql"),
    ),
];

/// Later columns as the queries reference them, and what they read as in databases without them.
const OPTIONAL_COLUMNS: [(&str, &str, &str); 6] = [
    (
        "proxy_server_request",
        "l.proxy_server_request",
        "NULL::jsonb",
    ),
    (
        "request_duration_ms",
        "l.request_duration_ms",
        "NULL::integer",
    ),
    (
        "completionStartTime",
        "l.\"completionStartTime\"",
        "NULL::timestamp",
    ),
    ("status", "l.status", "NULL::text"),
    (
        "mcp_namespaced_tool_name",
        "l.mcp_namespaced_tool_name",
        "NULL::text",
    ),
    ("session_id", "l.session_id", "NULL::text"),
];

/// Columns LiteLLM added over time; older databases lack them.
const LATER_COLUMNS: [&str; 8] = [
    "proxy_server_request",
    "session_id",
    "status",
    "mcp_namespaced_tool_name",
    "request_duration_ms",
    "completionStartTime",
    "organization_id",
    "agent_id",
];

/// The columns "LiteLLM_SpendLogs" has in this database.
#[derive(Debug, Clone, Default)]
pub struct SpendLogsColumns(HashSet<String>);

impl SpendLogsColumns {
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        SpendLogsColumns(names.into_iter().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    pub fn missing_optional(&self) -> Vec<&'static str> {
        LATER_COLUMNS.into_iter().filter(|c| !self.has(c)).collect()
    }
}

/// Every query's SQL, rendered for one agent source and one database's columns.
#[derive(Debug, Clone)]
pub struct Statements {
    pub agent_stats: String,
    pub sessions: String,
    pub users: String,
    pub agent_catalog: String,
    pub session_requests: String,
    pub session_requests_by_id: String,
    pub usage_page: String,
    pub messages_page: String,
    pub usage_page_by_id: String,
    pub messages_page_by_id: String,
    pub agent_has_rows: String,
    pub agent_has_replies: String,
    pub session_has_replies: String,
    pub agent_source_census: String,
    pub rollup_rows_between: String,
    pub rollup_rows_by_id: String,
    pub rollup_agent_rows_between: String,
    /// GET /metrics/query's template and whitelisted fragments, with the static placeholders
    /// filled in; the request-specific ones are filled per request (metrics_query.rs).
    pub metrics_template: String,
    pub metrics_fragments: Fragments,
    /// Why agent queries cannot run on this database, if they cannot.
    pub source_unavailable: Option<String>,
}

impl Statements {
    pub fn render(
        source: AgentSource,
        session: SessionSource,
        columns: &SpendLogsColumns,
    ) -> Statements {
        let agent = format!("(\n{}\n)", strip_comments(source_expression(source)));
        let session_sql = strip_comments(match session {
            SessionSource::Agent => include_str!("../../sql/fields/session_agent.sql"),
            SessionSource::Litellm => include_str!("../../sql/fields/session_litellm.sql"),
        });
        let render = |template: &str| {
            let mut sql = template
                .replace("{{rollup_rows}}", &strip_comments(ROLLUP_ROWS))
                .replace("{{session}}", &session_sql);
            for (placeholder, fragment) in FIELDS {
                sql = sql.replace(placeholder, &format!("(\n{}\n)", strip_comments(fragment)));
            }
            sql = sql.replace("{{agent}}", &agent);
            // Older databases lack later columns: read them as NULL, so that `auto` falls back to
            // spend_logs_metadata, durations to endTime − startTime, status to metadata, etc.
            for (column, reference, null) in OPTIONAL_COLUMNS {
                if !columns.has(column) {
                    sql = replace_reference(&sql, reference, null);
                }
            }
            sql
        };
        let source_unavailable = if source.needs_request_body()
            && !columns.has("proxy_server_request")
        {
            Some(format!(
                "AGENT_METADATA_SOURCE={source} reads the stored request body, but this \
                 \"LiteLLM_SpendLogs\" has no proxy_server_request column (LiteLLM before Apr 2025); \
                 use AGENT_METADATA_SOURCE=spend_logs_metadata or auto"
            ))
        } else if session == SessionSource::Litellm && !columns.has("session_id") {
            Some(
                "SESSION_ID_SOURCE=litellm reads the session_id column, which this \
                 \"LiteLLM_SpendLogs\" lacks (LiteLLM before Apr 2025); use SESSION_ID_SOURCE=agent"
                    .to_string(),
            )
        } else {
            None
        };
        Statements {
            agent_stats: render(AGENT_STATS),
            sessions: render(SESSIONS),
            users: render(USERS),
            agent_catalog: render(AGENT_CATALOG),
            session_requests: render(SESSION_REQUESTS),
            session_requests_by_id: render(SESSION_REQUESTS_BY_ID),
            usage_page: render(USAGE_PAGE),
            messages_page: render(MESSAGES_PAGE),
            usage_page_by_id: render(USAGE_PAGE_BY_ID),
            messages_page_by_id: render(MESSAGES_PAGE_BY_ID),
            agent_has_rows: render(AGENT_HAS_ROWS),
            agent_has_replies: render(AGENT_HAS_REPLIES),
            session_has_replies: render(SESSION_HAS_REPLIES),
            agent_source_census: render(AGENT_SOURCE_CENSUS),
            rollup_rows_between: render(ROLLUP_ROWS_BETWEEN),
            rollup_rows_by_id: render(ROLLUP_ROWS_BY_ID),
            rollup_agent_rows_between: render(ROLLUP_AGENT_ROWS_BETWEEN),
            metrics_template: render(metrics_request::TEMPLATE),
            metrics_fragments: Fragments::parse(metrics_request::FRAGMENTS).rendered(render),
            source_unavailable,
        }
    }
}

/// `sql` with every whole reference `reference` (not a prefix of a longer name) replaced.
fn replace_reference(sql: &str, reference: &str, replacement: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find(reference) {
        let after = &rest[at + reference.len()..];
        let continues = after
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        out.push_str(&rest[..at]);
        out.push_str(if continues { reference } else { replacement });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The expression without its `--` comment lines, so it can sit inside a larger statement.
fn strip_comments(sql: &str) -> String {
    sql.lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads a column, turning a type mismatch into a logged 500 rather than a panic.
fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    column: &str,
) -> Result<T, DbError> {
    row.try_get(column)
        .map_err(|e| DbError::Internal(format!("reading column {column}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_columns() -> SpendLogsColumns {
        SpendLogsColumns::new(
            [
                "request_id",
                "metadata",
                "proxy_server_request",
                "startTime",
            ]
            .map(str::to_string),
        )
    }

    #[test]
    fn every_placeholder_is_replaced_for_every_source() {
        for source in AgentSource::ALL {
            let s = Statements::render(source, SessionSource::Agent, &all_columns());
            for sql in [
                &s.agent_stats,
                &s.sessions,
                &s.users,
                &s.agent_catalog,
                &s.session_requests,
                &s.session_requests_by_id,
                &s.usage_page,
                &s.messages_page,
                &s.usage_page_by_id,
                &s.messages_page_by_id,
                &s.agent_has_rows,
                &s.agent_has_replies,
                &s.session_has_replies,
                &s.agent_source_census,
                &s.rollup_rows_between,
                &s.rollup_rows_by_id,
                &s.rollup_agent_rows_between,
            ] {
                assert!(!sql.contains("{{"), "{source}: {sql}");
            }
            assert!(s.source_unavailable.is_none());
        }
    }

    #[test]
    fn without_request_body_column_auto_degrades_and_body_sources_are_unavailable() {
        let old = SpendLogsColumns::new(["request_id", "metadata"].map(str::to_string));
        let auto = Statements::render(AgentSource::Auto, SessionSource::Agent, &old);
        for gone in [
            "proxy_server_request",
            "request_duration_ms",
            "completionStartTime",
            "l.status",
            "mcp_",
        ] {
            assert!(!auto.agent_stats.contains(gone), "{gone}");
            assert!(!auto.rollup_rows_between.contains(gone), "{gone}");
        }
        assert!(auto.source_unavailable.is_none());
        for source in [AgentSource::RequestBody, AgentSource::RequesterCopy] {
            let s = Statements::render(source, SessionSource::Agent, &old);
            assert!(s
                .source_unavailable
                .unwrap()
                .contains("proxy_server_request"));
        }
        let litellm = Statements::render(AgentSource::Auto, SessionSource::Litellm, &old);
        assert!(litellm.source_unavailable.unwrap().contains("session_id"));
        assert_eq!(old.missing_optional()[0], "proxy_server_request");
    }

    #[test]
    fn only_whole_column_references_are_replaced() {
        assert_eq!(
            replace_reference("l.status, l.status_x", "l.status", "NULL"),
            "NULL, l.status_x"
        );
    }

    #[test]
    fn comment_lines_are_dropped_from_source_expressions() {
        let expr = strip_comments(source_expression(AgentSource::Auto));
        assert!(!expr.contains("--"));
        assert!(expr.contains("CASE"));
    }
}
