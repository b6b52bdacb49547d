-- Rollup loader, the shared part: each row's fields the in-memory copy keeps, for the loaders
-- rollup_rows_between.sql (a time range) and rollup_rows_by_id.sql (named rows), which add their
-- WHERE. Rows naming no agent come back too (agent_name NULL).
-- OFFSET 0 keeps the lateral subquery from being inlined, so the agent source is evaluated (and
-- its JSON opened) once per row instead of once per field. The placeholder fields are sql/fields/*.sql.
SELECT
    l.request_id,
    l."startTime" AS start_time,
    a.fields ->> 'agent_name' AS agent_name,
    a.fields ->> 'agent_version' AS agent_version,
    {{session}} AS session_id,
    a.fields ->> 'agent_user_id' AS user_id,
    l.model,
    l.prompt_tokens::bigint AS prompt_tokens,
    l.completion_tokens::bigint AS completion_tokens,
    l.total_tokens::bigint AS total_tokens,
    {{cached_tokens}} AS cached_tokens,
    l.spend::float8 AS spend,
    {{failed}} AS failed,
    COALESCE(l.cache_hit = 'True', false) AS cache_hit,
    {{duration_us}} AS duration_us,
    {{ttft_us}} AS ttft_us,
    {{has_tools}} AS has_tools,
    COALESCE(l.response -> 'choices' -> 0 -> 'message' ->> 'content', '') <> '' AS has_reply
FROM "LiteLLM_SpendLogs" AS l
CROSS JOIN LATERAL (SELECT {{agent}} AS fields OFFSET 0) AS a
