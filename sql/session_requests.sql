-- GET /sessions/{id}: one page of the session's requests, oldest first, keyset on
-- ("startTime", request_id) ascending. $5 the session id; $6, $7 the last row of the previous
-- page (the first page passes window start − 1 µs and ''); $8 page size + 1.
-- Failed requests carry LiteLLM's error_information (class and message).
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
CROSS JOIN LATERAL (SELECT {{agent}} AS fields OFFSET 0) AS a
WHERE {{agent}} ->> 'agent_name' = $1
    AND {{agent}} ->> 'agent_version' = $2
    AND l."startTime" >= $3
    AND l."startTime" <= $4
    AND {{session}} = $5
    AND (l."startTime", l.request_id) > ($6, $7)
ORDER BY l."startTime", l.request_id
LIMIT $8
