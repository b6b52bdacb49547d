-- GET /sessions and /sessions/{id} by SQL: one row per session of the agent+version with a
-- request in the window, totals over the window. $5: only this session (or NULL for all); $6:
-- only sessions whose user is this one (or NULL). The session's user is that of its latest
-- request naming one. Sorting and paging happen in the service, as for the rollup's answer.
SELECT s.*
FROM (
    SELECT
        r.session_id,
        (array_agg(r.user_id ORDER BY r.start_time DESC, r.request_id DESC)
            FILTER (WHERE r.user_id IS NOT NULL))[1] AS user_id,
        MIN(r.start_time) AS first_seen,
        MAX(r.start_time) AS last_seen,
        COUNT(*) AS requests,
        COUNT(*) FILTER (WHERE r.failed) AS failed,
        COALESCE(SUM(r.prompt_tokens), 0)::bigint AS prompt_tokens,
        COALESCE(SUM(r.completion_tokens), 0)::bigint AS completion_tokens,
        COALESCE(SUM(r.total_tokens), 0)::bigint AS total_tokens,
        COALESCE(SUM(r.spend), 0)::float8 AS spend,
        COALESCE(SUM(r.duration_us), 0)::bigint AS duration_us,
        COUNT(r.duration_us) AS timed_requests,
        COUNT(*) FILTER (WHERE r.has_tools) AS requests_with_tools,
        array_agg(DISTINCT r.model) AS models
    FROM (
        SELECT
            l.request_id,
            l."startTime" AS start_time,
            {{session}} AS session_id,
            a.fields ->> 'agent_user_id' AS user_id,
            l.model,
            l.prompt_tokens::bigint AS prompt_tokens,
            l.completion_tokens::bigint AS completion_tokens,
            l.total_tokens::bigint AS total_tokens,
            l.spend::float8 AS spend,
            {{failed}} AS failed,
            {{duration_us}} AS duration_us,
            {{has_tools}} AS has_tools
        FROM "LiteLLM_SpendLogs" AS l
        CROSS JOIN LATERAL (SELECT {{agent}} AS fields OFFSET 0) AS a
        WHERE {{agent}} ->> 'agent_name' = $1
            AND {{agent}} ->> 'agent_version' = $2
            AND l."startTime" >= $3
            AND l."startTime" <= $4
    ) AS r
    WHERE r.session_id IS NOT NULL
        AND ($5::text IS NULL OR r.session_id = $5)
    GROUP BY r.session_id
) AS s
WHERE $6::text IS NULL OR s.user_id = $6
