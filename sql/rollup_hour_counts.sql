-- Rollup reconciliation: rows per hour of "startTime" in [$1, $2). An hour whose count differs
-- from the rollup's (rows deleted by LiteLLM's retention job, or inserted later than the ingest
-- lag) is reloaded. Reads only LiteLLM's "startTime" index.
SELECT date_trunc('hour', "startTime") AS hour, COUNT(*) AS n
FROM "LiteLLM_SpendLogs"
WHERE "startTime" >= $1
    AND "startTime" < $2
GROUP BY 1
