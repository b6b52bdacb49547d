-- Rollup edge loader: one agent+version's rows with $3 <= "startTime" < $4 (fields:
-- sql/rollup_rows.sql). A long window whose start or end falls inside an hour the rollup holds
-- only as totals (older than the row horizon) reads that part here: at most an hour of one agent,
-- on the recommended index, else LiteLLM's "startTime" index.
{{rollup_rows}}
WHERE {{agent}} ->> 'agent_name' = $1
    AND {{agent}} ->> 'agent_version' = $2
    AND l."startTime" >= $3
    AND l."startTime" < $4
