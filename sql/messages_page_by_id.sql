-- GET /recentmessages, when the rollup is fresh: as usage_page_by_id.sql, among the candidate
-- request_ids ($8) memory knows to carry a reply. session_id comes from memory too (NULL here),
-- so the metadata and the stored request body are never opened: only the response is read.
SELECT
    l.request_id,
    l."startTime" AS start_time,
    NULL::text AS session_id,
    COALESCE(NULLIF(l.response ->> 'model', ''), l.model) AS model_name,
    l.response -> 'choices' -> 0 -> 'message' ->> 'content' AS message
FROM "LiteLLM_SpendLogs" AS l
WHERE l.request_id = ANY($8)
    AND $1::text IS NOT NULL
    AND $2::text IS NOT NULL
    AND l."startTime" >= $3
    AND l."startTime" <= $4
    AND (l."startTime", l.request_id) < ($5, $6)
    AND l.response -> 'choices' -> 0 -> 'message' ->> 'content' <> ''
ORDER BY l."startTime" DESC, l.request_id DESC
LIMIT $7
