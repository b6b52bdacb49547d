-- GET /analytics/agent: requests, distinct sessions and distinct users of one agent+version.
-- $1 agent_name, $2 agent_version, $3 window start, $4 window end (inclusive, UTC).
-- The agent placeholder is replaced at start-up by the configured source (sql/sources/*.sql).
-- COUNT(DISTINCT ...) ignores NULL: rows without a session or user id count as messages only.
SELECT
    COUNT(*) AS total_messages,
    COUNT(DISTINCT {{agent}} ->> 'agent_session_id') AS total_sessions,
    COUNT(DISTINCT {{agent}} ->> 'agent_user_id') AS total_users
FROM "LiteLLM_SpendLogs" AS l
WHERE {{agent}} ->> 'agent_name' = $1
    AND {{agent}} ->> 'agent_version' = $2
    AND l."startTime" >= $3
    AND l."startTime" <= $4
