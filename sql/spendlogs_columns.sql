-- Columns of "LiteLLM_SpendLogs" as the service's own search_path resolves the table. Older
-- LiteLLM databases lack later columns (proxy_server_request arrived in Apr 2025); none found
-- means the table is missing.
SELECT a.attname::text AS column_name
FROM pg_catalog.pg_attribute AS a
WHERE a.attrelid = to_regclass('"LiteLLM_SpendLogs"')
    AND a.attnum > 0
    AND NOT a.attisdropped
