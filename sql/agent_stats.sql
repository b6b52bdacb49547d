-- Summaries and series of one agent+version by SQL (when the in-memory rollup cannot answer):
-- per bucket and for the whole window in one pass.
-- $1 agent_name, $2 agent_version, $3 window start, $4 window end (inclusive, UTC),
-- $5 the bucket boundaries (UTC, ascending; bucket i holds boundary[i-1] <= startTime <
-- boundary[i], computed by the service in the caller's time zone).
-- GROUPING SETS gives one row per bucket and one (bucket NULL) for the window: distinct counts
-- and percentiles cannot be added up from buckets. Percentiles are percentile_disc, i.e.
-- nearest-rank. The placeholder fields are sql/fields/*.sql; the WHERE repeats the agent expression so
-- that the recommended index of sql/indexes.sql applies.
SELECT
    r.bucket,
    COUNT(*) AS requests,
    COUNT(DISTINCT r.session_id) AS sessions,
    COUNT(DISTINCT r.user_id) AS users,
    COALESCE(SUM(r.prompt_tokens), 0)::bigint AS prompt_tokens,
    COALESCE(SUM(r.completion_tokens), 0)::bigint AS completion_tokens,
    COALESCE(SUM(r.total_tokens), 0)::bigint AS total_tokens,
    COALESCE(SUM(r.cached_tokens), 0)::bigint AS cached_tokens,
    COALESCE(SUM(r.spend), 0)::float8 AS spend,
    COUNT(*) FILTER (WHERE r.failed) AS failed,
    COUNT(*) FILTER (WHERE r.cache_hit) AS cache_hits,
    COUNT(r.duration_us) AS duration_count,
    AVG(r.duration_us)::float8 AS duration_avg,
    MIN(r.duration_us) AS duration_min,
    MAX(r.duration_us) AS duration_max,
    percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY r.duration_us) AS duration_pct,
    COUNT(r.ttft_us) AS ttft_count,
    AVG(r.ttft_us)::float8 AS ttft_avg,
    MIN(r.ttft_us) AS ttft_min,
    MAX(r.ttft_us) AS ttft_max,
    percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY r.ttft_us) AS ttft_pct
FROM (
    SELECT
        width_bucket(l."startTime", $5::timestamp[]) AS bucket,
        {{session}} AS session_id,
        a.fields ->> 'agent_user_id' AS user_id,
        l.prompt_tokens::bigint AS prompt_tokens,
        l.completion_tokens::bigint AS completion_tokens,
        l.total_tokens::bigint AS total_tokens,
        {{cached_tokens}} AS cached_tokens,
        l.spend::float8 AS spend,
        {{failed}} AS failed,
        COALESCE(l.cache_hit = 'True', false) AS cache_hit,
        {{duration_us}} AS duration_us,
        {{ttft_us}} AS ttft_us
    FROM "LiteLLM_SpendLogs" AS l
    CROSS JOIN LATERAL (SELECT {{agent}} AS fields OFFSET 0) AS a
    WHERE {{agent}} ->> 'agent_name' = $1
        AND {{agent}} ->> 'agent_version' = $2
        AND l."startTime" >= $3
        AND l."startTime" <= $4
) AS r
GROUP BY GROUPING SETS ((r.bucket), ())
