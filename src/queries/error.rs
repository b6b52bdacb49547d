//! The database layer's error: what went wrong reaching or querying Postgres, with nothing of
//! HTTP in it. queries/ and db.rs return it; error.rs turns it into a problem at the edge.

use std::fmt;

use tokio_postgres::error::SqlState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbError {
    /// The database cannot be reached, gave no connection in time, or refused (connection,
    /// resources, operator intervention, authorization, unknown database).
    Unavailable(String),
    /// It answered but cannot serve what this deployment reads, e.g. the LiteLLM table or a
    /// column the configured source needs is missing.
    SourceUnavailable(String),
    /// A statement ran past `DB_STATEMENT_TIMEOUT_MS`.
    Timeout,
    /// Anything else (a bug or an unexpected reply): logged, never shown to callers.
    Internal(String),
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Unavailable(why) => write!(f, "database unavailable: {why}"),
            DbError::SourceUnavailable(why) => write!(f, "{why}"),
            DbError::Timeout => write!(f, "the query ran past the statement timeout"),
            DbError::Internal(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for DbError {}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::PoolError;
        match err {
            PoolError::Timeout(_) => {
                DbError::Unavailable("no database connection became available in time".to_string())
            }
            PoolError::Backend(e) => DbError::from(e),
            PoolError::Closed => DbError::Unavailable("the pool is closed".to_string()),
            other => DbError::Internal(format!("pool: {other}")),
        }
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(err: tokio_postgres::Error) -> Self {
        let Some(code) = err.code() else {
            // No SQLSTATE: an I/O, TLS or protocol failure, or a connection that closed under us.
            return DbError::Unavailable(describe_connection_error(&err));
        };
        if *code == SqlState::QUERY_CANCELED {
            return DbError::Timeout;
        }
        if *code == SqlState::UNDEFINED_TABLE {
            return DbError::SourceUnavailable(
                "table \"LiteLLM_SpendLogs\" was not found: point DATABASE_URL at the database \
                 LiteLLM writes (the one its DATABASE_URL names)"
                    .to_string(),
            );
        }
        let message = err.as_db_error().map(|e| e.message()).unwrap_or_default();
        match code.code().get(..2).unwrap_or_default() {
            // connection exception, insufficient resources, operator intervention,
            // invalid authorization, invalid catalog name: the database, not the request.
            "08" | "53" | "57" | "28" | "3D" => {
                DbError::Unavailable(format!("database refused with {}: {message}", code.code()))
            }
            _ => DbError::Internal(format!("database error {}: {err}", code.code())),
        }
    }
}

/// A log-safe description of a connection-level error (no connection string in it).
fn describe_connection_error(err: &tokio_postgres::Error) -> String {
    if err.is_closed() {
        "the connection was closed".to_string()
    } else {
        // tokio-postgres error texts name the failing step (e.g. "error connecting to server:
        // Connection refused"), never the password.
        err.to_string()
    }
}
