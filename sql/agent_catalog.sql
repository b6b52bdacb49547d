-- GET /agents by SQL (only when the rollup cannot answer: it reads every row of the window):
-- each agent+version with requests in [$1, $2], first and last seen there, and how many.
SELECT
    r.agent_name,
    r.agent_version,
    MIN(r.start_time) AS first_seen,
    MAX(r.start_time) AS last_seen,
    COUNT(*) AS requests
FROM (
    SELECT
        a.fields ->> 'agent_name' AS agent_name,
        a.fields ->> 'agent_version' AS agent_version,
        l."startTime" AS start_time
    FROM "LiteLLM_SpendLogs" AS l
    CROSS JOIN LATERAL (SELECT {{agent}} AS fields OFFSET 0) AS a
    WHERE l."startTime" >= $1
        AND l."startTime" <= $2
) AS r
WHERE r.agent_name IS NOT NULL
    AND r.agent_version IS NOT NULL
GROUP BY r.agent_name, r.agent_version
