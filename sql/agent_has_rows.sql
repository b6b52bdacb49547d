-- Whether the agent+version has any row in the window: tells "no data" (404) from "no more rows"
-- when a list page comes back empty. One row or none.
-- Deliberately not EXISTS(...): Postgres drops ORDER BY inside EXISTS and may then pick a
-- sequential scan hoping to hit a match early. ORDER BY "startTime" DESC LIMIT 1 keeps the plan
-- on an index: the recommended one, else LiteLLM's "startTime" index walked from the window end.
SELECT 1 AS found
FROM "LiteLLM_SpendLogs" AS l
WHERE {{agent}} ->> 'agent_name' = $1
    AND {{agent}} ->> 'agent_version' = $2
    AND l."startTime" >= $3
    AND l."startTime" <= $4
ORDER BY l."startTime" DESC
LIMIT 1
