-- GET /detailed-usage: one page of requests, newest first, by keyset on ("startTime", request_id).
-- $5, $6: the last row of the previous page; the first page passes (window end + 1 µs, ''),
-- which excludes nothing. $7: page size + 1, so the service knows whether another page follows.
-- The row comparison matches the index order of sql/indexes.sql, so a page is an index range scan.
SELECT
    l.request_id,
    l."startTime" AS start_time,
    l."endTime" AS end_time,
    l.model,
    l.total_tokens::bigint AS total_tokens,
    l.prompt_tokens::bigint AS prompt_tokens,
    l.completion_tokens::bigint AS completion_tokens
FROM "LiteLLM_SpendLogs" AS l
WHERE {{agent}} ->> 'agent_name' = $1
    AND {{agent}} ->> 'agent_version' = $2
    AND l."startTime" >= $3
    AND l."startTime" <= $4
    AND (l."startTime", l.request_id) < ($5, $6)
ORDER BY l."startTime" DESC, l.request_id DESC
LIMIT $7
