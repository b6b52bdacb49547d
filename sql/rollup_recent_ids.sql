-- Rollup refresh, step 2 (only when the count changed): the ids of the rows with
-- "startTime" >= $1, to tell new rows from known ones. Index-only on LiteLLM's own
-- ("startTime", request_id) index: no JSON is read.
SELECT request_id, "startTime" AS start_time
FROM "LiteLLM_SpendLogs"
WHERE "startTime" >= $1
