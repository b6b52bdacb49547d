-- GET /users by SQL: one row per agent_user_id of the agent+version with a request in the window,
-- totals over the window. Sorting and paging happen in the service.
SELECT
    r.user_id,
    COUNT(DISTINCT r.session_id) AS sessions,
    COUNT(*) AS requests,
    COUNT(*) FILTER (WHERE r.failed) AS failed,
    COALESCE(SUM(r.prompt_tokens), 0)::bigint AS prompt_tokens,
    COALESCE(SUM(r.completion_tokens), 0)::bigint AS completion_tokens,
    COALESCE(SUM(r.total_tokens), 0)::bigint AS total_tokens,
    COALESCE(SUM(r.spend), 0)::float8 AS spend,
    MIN(r.start_time) AS first_seen,
    MAX(r.start_time) AS last_seen
FROM (
    SELECT
        l."startTime" AS start_time,
        {{session}} AS session_id,
        a.fields ->> 'agent_user_id' AS user_id,
        l.prompt_tokens::bigint AS prompt_tokens,
        l.completion_tokens::bigint AS completion_tokens,
        l.total_tokens::bigint AS total_tokens,
        l.spend::float8 AS spend,
        {{failed}} AS failed
    FROM "LiteLLM_SpendLogs" AS l
    CROSS JOIN LATERAL (SELECT {{agent}} AS fields OFFSET 0) AS a
    WHERE {{agent}} ->> 'agent_name' = $1
        AND {{agent}} ->> 'agent_version' = $2
        AND l."startTime" >= $3
        AND l."startTime" <= $4
) AS r
WHERE r.user_id IS NOT NULL
GROUP BY r.user_id
