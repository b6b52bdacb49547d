-- Recommended indexes for litellm-analytics. OPTIONAL, and applied by a DBA, never by the
-- service (its connections are read-only).
--
-- Apply the ONE that matches your AGENT_METADATA_SOURCE (default: auto). Each is an expression
-- index on (agent_name, agent_version, "startTime", request_id) read from that source, so every
-- agent query becomes an index range scan over one agent+version's window, and the paged lists
-- (ordered by "startTime" DESC, request_id DESC) read exactly one page. Without it, queries
-- walk LiteLLM's own "startTime" index over the whole window and filter every row.
--
-- CREATE INDEX CONCURRENTLY does not block LiteLLM's inserts, but on a large table it takes
-- minutes, reads the whole table (and, for auto / request_body / requester_copy, de-TOASTs stored
-- request bodies), needs roughly 100 bytes per row of extra disk, and adds a little work to every
-- insert. It cannot run inside a transaction block: run each statement on its own, e.g.
--   psql "$DATABASE_URL" -c 'CREATE INDEX CONCURRENTLY ...'
-- If it fails midway it leaves an INVALID index: DROP INDEX CONCURRENTLY it and retry.
-- The expressions must stay character-for-character equivalent to sql/sources/*.sql, or the
-- planner will not use them (tests/api/index_plans.rs checks this).

-- AGENT_METADATA_SOURCE=auto
CREATE INDEX CONCURRENTLY IF NOT EXISTS "litellm_analytics_agent_auto_idx"
    ON "LiteLLM_SpendLogs" (
        ((CASE
            WHEN metadata -> 'spend_logs_metadata' ->> 'agent_name' IS NOT NULL
                THEN metadata -> 'spend_logs_metadata'
            WHEN proxy_server_request -> 'metadata' ->> 'agent_name' IS NOT NULL
                THEN proxy_server_request -> 'metadata'
            ELSE proxy_server_request -> 'metadata' -> 'requester_metadata'
        END) ->> 'agent_name'),
        ((CASE
            WHEN metadata -> 'spend_logs_metadata' ->> 'agent_name' IS NOT NULL
                THEN metadata -> 'spend_logs_metadata'
            WHEN proxy_server_request -> 'metadata' ->> 'agent_name' IS NOT NULL
                THEN proxy_server_request -> 'metadata'
            ELSE proxy_server_request -> 'metadata' -> 'requester_metadata'
        END) ->> 'agent_version'),
        "startTime",
        request_id
    );

-- AGENT_METADATA_SOURCE=spend_logs_metadata
CREATE INDEX CONCURRENTLY IF NOT EXISTS "litellm_analytics_agent_spend_logs_metadata_idx"
    ON "LiteLLM_SpendLogs" (
        ((metadata -> 'spend_logs_metadata') ->> 'agent_name'),
        ((metadata -> 'spend_logs_metadata') ->> 'agent_version'),
        "startTime",
        request_id
    );

-- AGENT_METADATA_SOURCE=request_body
CREATE INDEX CONCURRENTLY IF NOT EXISTS "litellm_analytics_agent_request_body_idx"
    ON "LiteLLM_SpendLogs" (
        ((proxy_server_request -> 'metadata') ->> 'agent_name'),
        ((proxy_server_request -> 'metadata') ->> 'agent_version'),
        "startTime",
        request_id
    );

-- AGENT_METADATA_SOURCE=requester_copy
CREATE INDEX CONCURRENTLY IF NOT EXISTS "litellm_analytics_agent_requester_copy_idx"
    ON "LiteLLM_SpendLogs" (
        ((proxy_server_request -> 'metadata' -> 'requester_metadata') ->> 'agent_name'),
        ((proxy_server_request -> 'metadata' -> 'requester_metadata') ->> 'agent_version'),
        "startTime",
        request_id
    );

-- AGENT_METADATA_SOURCE=metadata
CREATE INDEX CONCURRENTLY IF NOT EXISTS "litellm_analytics_agent_metadata_idx"
    ON "LiteLLM_SpendLogs" (
        (metadata ->> 'agent_name'),
        (metadata ->> 'agent_version'),
        "startTime",
        request_id
    );
