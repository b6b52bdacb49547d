-- AGENT_METADATA_SOURCE=spend_logs_metadata: what callers nest under metadata.spend_logs_metadata
-- (or send in the x-litellm-spend-logs-metadata header). Always stored, small, inline.
l.metadata -> 'spend_logs_metadata'
