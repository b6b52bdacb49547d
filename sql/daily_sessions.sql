-- GET /activitytimeline: per UTC date, the requests and distinct sessions with a row that date.
-- "startTime" is a timestamp without time zone holding UTC, so ::date is the UTC date.
-- Dates without rows are absent here; the service fills them with zeros.
SELECT
    l."startTime"::date AS day,
    COUNT(*) AS messages,
    COUNT(DISTINCT {{agent}} ->> 'agent_session_id') AS sessions
FROM "LiteLLM_SpendLogs" AS l
WHERE {{agent}} ->> 'agent_name' = $1
    AND {{agent}} ->> 'agent_version' = $2
    AND l."startTime" >= $3
    AND l."startTime" <= $4
GROUP BY 1
ORDER BY 1
