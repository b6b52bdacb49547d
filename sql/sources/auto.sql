-- AGENT_METADATA_SOURCE=auto: the JSON object holding a row's agent fields.
-- Per row: spend_logs_metadata when it names an agent, else the stored request body's metadata,
-- else LiteLLM's requester_metadata copy inside it. CASE, not COALESCE: CASE stops at the first
-- branch that matches, so Postgres only de-TOASTs the large request body for rows that need it.
CASE
    WHEN l.metadata -> 'spend_logs_metadata' ->> 'agent_name' IS NOT NULL
        THEN l.metadata -> 'spend_logs_metadata'
    WHEN l.proxy_server_request -> 'metadata' ->> 'agent_name' IS NOT NULL
        THEN l.proxy_server_request -> 'metadata'
    ELSE l.proxy_server_request -> 'metadata' -> 'requester_metadata'
END
