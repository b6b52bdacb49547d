-- GET /metrics/query: the chosen metrics per group of the chosen dimensions (and per bucket),
-- over every row of the window [$1, $2] (inclusive, UTC), the groups restricted by the filters and
-- limited to the `limit` biggest by the first metric. $3: bucket boundaries (UTC, ascending).
-- Filters are `d_<dimension> = ANY($n)` with the values as text[] parameters; $LIMIT is the group
-- limit. The service fills the placeholders only from sql/metrics_query_fragments.sql.
WITH base AS (
    SELECT
        width_bucket(l."startTime", $3::timestamp[]) AS bucket,
        {{dimension_columns}},
        {{session}} AS session_id,
        a.fields ->> 'agent_user_id' AS user_id,
        l.prompt_tokens::bigint AS prompt_tokens,
        l.completion_tokens::bigint AS completion_tokens,
        l.total_tokens::bigint AS total_tokens,
        l.spend::float8 AS spend,
        {{failed}} AS failed,
        {{duration_us}} AS duration_us,
        {{ttft_us}} AS ttft_us
    FROM "LiteLLM_SpendLogs" AS l
    CROSS JOIN LATERAL (SELECT {{agent}} AS fields OFFSET 0) AS a
    WHERE l."startTime" >= $1
        AND l."startTime" <= $2
),
filtered AS (
    SELECT * FROM base AS f WHERE {{filter_conditions}}
),
ranked AS (
    SELECT {{group_columns}}, {{rank_metric}} AS rank_value
    FROM filtered AS f
    GROUP BY {{group_columns}}
    ORDER BY rank_value DESC NULLS LAST, {{group_columns}}
    LIMIT {{limit_param}}
)
SELECT
    f.bucket,
    {{group_columns_of_f}},
    {{metric_columns}}
FROM filtered AS f
JOIN ranked AS r ON {{group_join}}
GROUP BY GROUPING SETS (({{group_columns_of_f}}, f.bucket), ({{group_columns_of_f}}))
