-- Rollup loader: the rows with these request_ids (new rows found by rollup_recent_ids.sql), with
-- the same fields as rollup_rows_between.sql. Primary-key lookups.
SELECT
    l.request_id,
    l."startTime" AS start_time,
    a.fields ->> 'agent_name' AS agent_name,
    a.fields ->> 'agent_version' AS agent_version,
    a.fields ->> 'agent_session_id' AS session_id,
    a.fields ->> 'agent_user_id' AS user_id,
    l.prompt_tokens::bigint AS prompt_tokens,
    l.completion_tokens::bigint AS completion_tokens,
    COALESCE(l.response -> 'choices' -> 0 -> 'message' ->> 'content', '') <> '' AS has_reply
FROM "LiteLLM_SpendLogs" AS l
CROSS JOIN LATERAL (SELECT {{agent}} AS fields OFFSET 0) AS a
WHERE l.request_id = ANY($1)
