-- GET /recentmessages: one page of assistant replies, newest first, keyset as in usage_page.sql.
-- A reply is the chat-completion shape response->choices[0]->message->content, non-empty: failed
-- requests (response '{}'), tool-call-only replies (content null) and other response shapes are
-- skipped. model_name: the model the provider reported, else the row's model. session_id: the
-- configured session (sql/fields/session_*.sql), "" when absent.
SELECT
    l.request_id,
    l."startTime" AS start_time,
    COALESCE({{session}}, '') AS session_id,
    COALESCE(NULLIF(l.response ->> 'model', ''), l.model) AS model_name,
    l.response -> 'choices' -> 0 -> 'message' ->> 'content' AS message
FROM "LiteLLM_SpendLogs" AS l
CROSS JOIN LATERAL (SELECT {{agent}} AS fields OFFSET 0) AS a
WHERE {{agent}} ->> 'agent_name' = $1
    AND {{agent}} ->> 'agent_version' = $2
    AND l."startTime" >= $3
    AND l."startTime" <= $4
    AND (l."startTime", l.request_id) < ($5, $6)
    AND l.response -> 'choices' -> 0 -> 'message' ->> 'content' <> ''
ORDER BY l."startTime" DESC, l.request_id DESC
LIMIT $7
