-- GET /sessions/{id} when the rollup is fresh: as session_requests.sql, among the session's
-- request_ids it names ($9), read by primary key. $1, $2, $5 are unused (the ids are the agent's
-- and the session's); the window, keyset and order are those of session_requests.sql.
SELECT
    l.request_id,
    l."startTime" AS start_time,
    l.model,
    l.prompt_tokens::bigint AS prompt_tokens,
    l.completion_tokens::bigint AS completion_tokens,
    l.total_tokens::bigint AS total_tokens,
    l.spend::float8 AS spend,
    {{duration_us}} AS duration_us,
    {{failed}} AS failed,
    l.metadata -> 'error_information' ->> 'error_class' AS error_class,
    l.metadata -> 'error_information' ->> 'error_message' AS error_message
FROM "LiteLLM_SpendLogs" AS l
WHERE l.request_id = ANY($9)
    AND $1::text IS NOT NULL
    AND $2::text IS NOT NULL
    AND $5::text IS NOT NULL
    AND l."startTime" >= $3
    AND l."startTime" <= $4
    AND (l."startTime", l.request_id) > ($6, $7)
ORDER BY l."startTime", l.request_id
LIMIT $8
