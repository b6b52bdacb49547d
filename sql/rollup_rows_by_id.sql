-- Rollup loader: the rows with these request_ids ($1; new rows found by rollup_recent_ids.sql),
-- with the fields of sql/rollup_rows.sql. Primary-key lookups.
{{rollup_rows}}
WHERE l.request_id = ANY($1)
