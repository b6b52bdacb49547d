-- Start-up report: in the most recent rows, how many carry agent_name in each possible source,
-- and how many the configured source sees. Reads at most 1000 rows, newest first by "startTime".
-- On databases without proxy_server_request the service reads that column as NULL::jsonb.
SELECT
    COUNT(*) AS sampled,
    COUNT(*) FILTER (
        WHERE l.metadata -> 'spend_logs_metadata' ->> 'agent_name' IS NOT NULL
    ) AS spend_logs_metadata,
    COUNT(*) FILTER (
        WHERE l.proxy_server_request -> 'metadata' ->> 'agent_name' IS NOT NULL
    ) AS request_body,
    COUNT(*) FILTER (
        WHERE l.proxy_server_request -> 'metadata' -> 'requester_metadata' ->> 'agent_name' IS NOT NULL
    ) AS requester_copy,
    COUNT(*) FILTER (WHERE l.metadata ->> 'agent_name' IS NOT NULL) AS metadata,
    COUNT(*) FILTER (WHERE {{agent}} ->> 'agent_name' IS NOT NULL) AS configured
FROM (
    SELECT *
    FROM "LiteLLM_SpendLogs"
    ORDER BY "startTime" DESC
    LIMIT 1000
) AS l
