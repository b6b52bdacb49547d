-- Rollup loader: every row with $1 <= "startTime" < $2 (fields: sql/rollup_rows.sql).
-- Rows naming no agent come back too: they count towards the hour's row total, which is compared
-- with the database later to notice deletions and very late inserts.
{{rollup_rows}}
WHERE l."startTime" >= $1
    AND l."startTime" < $2
