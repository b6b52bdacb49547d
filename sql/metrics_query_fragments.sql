-- The whitelist of GET /metrics/query: every dimension and metric a request may name, each a
-- hand-written SQL expression. Requests only pick names from here; their values are always
-- parameters. The service reads this file at start-up: each entry is a `-- dimension <name>` or
-- `-- metric <name>` line followed by its expression (until the next entry).
-- Dimensions are columns of the query's `base` rows (l = the SpendLogs row, a.fields = the
-- configured agent source); metrics aggregate rows `f` of that base.

-- dimension agent_name
a.fields ->> 'agent_name'
-- dimension agent_version
a.fields ->> 'agent_version'
-- dimension model
l.model
-- dimension user
a.fields ->> 'agent_user_id'
-- dimension status
CASE WHEN {{failed}} THEN 'failure' ELSE 'success' END
-- dimension app
a.fields ->> 'agent_app_name'
-- dimension team_id
l.team_id
-- dimension api_key_alias
l.metadata ->> 'user_api_key_alias'

-- metric requests
COUNT(*)::float8
-- metric sessions
COUNT(DISTINCT f.session_id)::float8
-- metric users
COUNT(DISTINCT f.user_id)::float8
-- metric prompt_tokens
COALESCE(SUM(f.prompt_tokens), 0)::float8
-- metric completion_tokens
COALESCE(SUM(f.completion_tokens), 0)::float8
-- metric total_tokens
COALESCE(SUM(f.total_tokens), 0)::float8
-- metric spend
ROUND(COALESCE(SUM(f.spend), 0)::numeric, 9)::float8
-- metric error_rate
ROUND((COUNT(*) FILTER (WHERE f.failed))::numeric / NULLIF(COUNT(*), 0), 4)::float8
-- metric latency_p50
(percentile_disc(0.5) WITHIN GROUP (ORDER BY f.duration_us) / 1000.0)::float8
-- metric latency_p95
(percentile_disc(0.95) WITHIN GROUP (ORDER BY f.duration_us) / 1000.0)::float8
-- metric latency_p99
(percentile_disc(0.99) WITHIN GROUP (ORDER BY f.duration_us) / 1000.0)::float8
-- metric ttft_p50
(percentile_disc(0.5) WITHIN GROUP (ORDER BY f.ttft_us) / 1000.0)::float8
