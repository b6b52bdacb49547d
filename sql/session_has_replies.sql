-- Whether a request of the session ($5) of the agent+version in the window carries an assistant
-- reply (the reply test of messages_page.sql): false when LiteLLM stored none (prompt storage
-- off). One row or none.
SELECT 1 AS found
FROM "LiteLLM_SpendLogs" AS l
CROSS JOIN LATERAL (SELECT {{agent}} AS fields OFFSET 0) AS a
WHERE {{agent}} ->> 'agent_name' = $1
    AND {{agent}} ->> 'agent_version' = $2
    AND l."startTime" >= $3
    AND l."startTime" <= $4
    AND {{session}} = $5
    AND l.response -> 'choices' -> 0 -> 'message' ->> 'content' <> ''
LIMIT 1
