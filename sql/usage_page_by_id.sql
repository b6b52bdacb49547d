-- GET /detailed-usage, when the rollup is fresh: the page is chosen among the rows with these
-- request_ids ($8: what memory knows to be this agent's rows in the window, from the cursor down
-- to the page's last row, ties included). Primary-key lookups and no JSON: the database reads
-- about one page of rows, with or without the indexes of sql/indexes.sql. $1, $2 are unused (the
-- ids are the agent's); the window, keyset and order are those of usage_page.sql, so the
-- database's collation still decides ties on "startTime".
SELECT
    l.request_id,
    l."startTime" AS start_time,
    l."endTime" AS end_time,
    l.model,
    l.total_tokens::bigint AS total_tokens,
    l.prompt_tokens::bigint AS prompt_tokens,
    l.completion_tokens::bigint AS completion_tokens
FROM "LiteLLM_SpendLogs" AS l
WHERE l.request_id = ANY($8)
    AND $1::text IS NOT NULL
    AND $2::text IS NOT NULL
    AND l."startTime" >= $3
    AND l."startTime" <= $4
    AND (l."startTime", l.request_id) < ($5, $6)
ORDER BY l."startTime" DESC, l.request_id DESC
LIMIT $7
