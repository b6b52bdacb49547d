//! Questions about the database itself: is it there, what does its table look like.

use deadpool_postgres::Object;

use super::{get, SpendLogsColumns, Statements};
use crate::config::AgentSource;
use crate::queries::error::DbError;

const PING: &str = include_str!("../../sql/ping.sql");
const SPENDLOGS_COLUMNS: &str = include_str!("../../sql/spendlogs_columns.sql");

pub async fn ping(client: &Object) -> Result<(), DbError> {
    let statement = client.prepare_cached(PING).await?;
    client.query_one(&statement, &[]).await?;
    Ok(())
}

/// The columns of "LiteLLM_SpendLogs"; empty when the table does not exist.
pub async fn spendlogs_columns(client: &Object) -> Result<SpendLogsColumns, DbError> {
    let rows = client.query(SPENDLOGS_COLUMNS, &[]).await?;
    let names = rows
        .iter()
        .map(|row| get::<String>(row, "column_name"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SpendLogsColumns::new(names))
}

/// How many of the most recent rows carry agent_name in each place LiteLLM may keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentSourceCensus {
    pub sampled: i64,
    pub spend_logs_metadata: i64,
    pub request_body: i64,
    pub requester_copy: i64,
    pub metadata: i64,
    /// Rows the configured source reads an agent_name from.
    pub configured: i64,
}

impl AgentSourceCensus {
    /// A warning when another source would see agents in more recent rows than the configured one.
    pub fn better_source_hint(&self, configured: AgentSource) -> Option<String> {
        let candidates = [
            (AgentSource::SpendLogsMetadata, self.spend_logs_metadata),
            (AgentSource::RequestBody, self.request_body),
            (AgentSource::RequesterCopy, self.requester_copy),
            (AgentSource::Metadata, self.metadata),
        ];
        let (best, count) = candidates.into_iter().max_by_key(|(_, n)| *n)?;
        (count > self.configured).then(|| {
            format!(
                "AGENT_METADATA_SOURCE={configured} finds agent_name in {} of the {} most recent \
                 rows, but {best} has it in {count}: check the setting (auto covers \
                 spend_logs_metadata and the stored request body)",
                self.configured, self.sampled
            )
        })
    }
}

impl AgentSourceCensus {
    /// A warning when recent rows exist but none names an agent in any place LiteLLM keeps
    /// caller metadata: typically plain request `metadata` sent while the proxy does not store
    /// prompts, which LiteLLM stores nowhere.
    pub fn no_agent_fields_warning(&self) -> Option<String> {
        let anywhere =
            self.spend_logs_metadata + self.request_body + self.requester_copy + self.metadata;
        (self.sampled > 0 && anywhere == 0).then(|| {
            format!(
                "none of the {} most recent rows of \"LiteLLM_SpendLogs\" carries agent fields \
                 anywhere, so every agent endpoint will answer 404: callers must nest agent_name, \
                 agent_version, ... under metadata.spend_logs_metadata (or send the \
                 x-litellm-spend-logs-metadata header); plain request metadata is stored only when \
                 the proxy stores prompts (store_prompts_in_spend_logs), else nowhere",
                self.sampled
            )
        })
    }
}

pub async fn agent_source_census(
    client: &Object,
    sql: &Statements,
) -> Result<AgentSourceCensus, DbError> {
    let row = client.query_one(&sql.agent_source_census, &[]).await?;
    Ok(AgentSourceCensus {
        sampled: get(&row, "sampled")?,
        spend_logs_metadata: get(&row, "spend_logs_metadata")?,
        request_body: get(&row, "request_body")?,
        requester_copy: get(&row, "requester_copy")?,
        metadata: get(&row, "metadata")?,
        configured: get(&row, "configured")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn census(slm: i64, body: i64, copy: i64, meta: i64, configured: i64) -> AgentSourceCensus {
        AgentSourceCensus {
            sampled: 100,
            spend_logs_metadata: slm,
            request_body: body,
            requester_copy: copy,
            metadata: meta,
            configured,
        }
    }

    #[test]
    fn no_hint_when_the_configured_source_sees_the_most() {
        assert!(census(70, 30, 30, 0, 100)
            .better_source_hint(AgentSource::Auto)
            .is_none());
    }

    #[test]
    fn warns_only_when_rows_carry_no_agent_fields_anywhere() {
        let warning = census(0, 0, 0, 0, 0).no_agent_fields_warning().unwrap();
        assert!(warning.contains("spend_logs_metadata"), "{warning}");
        assert!(census(0, 0, 0, 1, 0).no_agent_fields_warning().is_none());
        assert!(census(1, 0, 0, 0, 1).no_agent_fields_warning().is_none());
        let empty = AgentSourceCensus {
            sampled: 0,
            ..census(0, 0, 0, 0, 0)
        };
        assert!(empty.no_agent_fields_warning().is_none());
    }

    #[test]
    fn hint_names_the_source_that_sees_more() {
        let hint = census(0, 0, 0, 80, 0)
            .better_source_hint(AgentSource::Auto)
            .unwrap();
        assert!(hint.contains("metadata has it in 80"), "{hint}");
    }
}
