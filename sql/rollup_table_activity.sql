-- Rollup: cumulative updates and deletes on "LiteLLM_SpendLogs" from Postgres' activity
-- statistics. When they move, rows may have gone (LiteLLM's retention job) and the rollup
-- reconciles at once instead of waiting for its next scheduled reconciliation. Meaningless on a
-- standby (replayed changes are not counted) or with track_counts off: `usable` says so.
SELECT
    s.n_tup_upd + s.n_tup_del AS changes,
    NOT pg_is_in_recovery() AND current_setting('track_counts')::boolean AS usable
FROM pg_stat_user_tables AS s
WHERE s.relid = to_regclass('"LiteLLM_SpendLogs"')
