-- A request's duration in microseconds: LiteLLM's request_duration_ms where present (the column
-- arrived in early 2026), else "endTime" − "startTime".
COALESCE(
    l.request_duration_ms::bigint * 1000,
    (EXTRACT(EPOCH FROM (l."endTime" - l."startTime")) * 1000000)::bigint
)
