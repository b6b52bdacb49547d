-- Whether the agent+version has a row with an assistant reply in the window (the reply test of
-- messages_page.sql): tells /recentmessages' "no replies stored" from "no more replies" when a
-- page comes back empty. One row or none; ordered as agent_has_rows.sql, for the same reason.
SELECT 1 AS found
FROM "LiteLLM_SpendLogs" AS l
WHERE {{agent}} ->> 'agent_name' = $1
    AND {{agent}} ->> 'agent_version' = $2
    AND l."startTime" >= $3
    AND l."startTime" <= $4
    AND l.response -> 'choices' -> 0 -> 'message' ->> 'content' <> ''
ORDER BY l."startTime" DESC
LIMIT 1
