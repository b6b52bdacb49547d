-- Rollup refresh, step 1: how many rows have "startTime" >= $1 (now minus the ingest lag).
-- Answered from LiteLLM's own "startTime" index; when it equals what the rollup holds for that
-- span, nothing arrived or left and the refresh stops here.
SELECT COUNT(*) AS n
FROM "LiteLLM_SpendLogs"
WHERE "startTime" >= $1
