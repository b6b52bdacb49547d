#!/usr/bin/env bash
# Generates a realistic LiteLLM_SpendLogs of about N rows into a database you name.
#   bench/generate.sh <database> <rows> [days]
# e.g. bench/generate.sh litellm_bench_2m 2000000 60
# (Re)creates the database on BENCH_ADMIN_URL (default: local Postgres, user postgres), loads
# LiteLLM's schema (tests/fixtures/litellm_schema.sql) and inserts rows in chunks of 20,000
# sessions (~100,000 rows), two chunks at a time. Rows average 5 per session over `days` days
# (default 60) ending now; see generate_chunk.sql for the shape. 2M rows take ~10 minutes here.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

db="${1:?usage: bench/generate.sh <database> <rows> [days]}"
rows="${2:?usage: bench/generate.sh <database> <rows> [days]}"
days="${3:-60}"
admin_url="${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
read -r host port < <(url_host_port "$admin_url")
ensure_postgres "$host" "$port"
db_url="${admin_url%/*}/$db"
export PGOPTIONS="-c client_min_messages=warning"

sessions=$(( (rows + 4) / 5 ))
chunk=20000
echo "generating ~$rows rows ($sessions sessions over $days days) into $db"
psql "$admin_url" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\""
psql "$db_url" -q -v ON_ERROR_STOP=1 -f tests/fixtures/litellm_schema.sql

started=$(date +%s)
first=1
pids=()
while [ "$first" -le "$sessions" ]; do
    last=$(( first + chunk - 1 ))
    [ "$last" -gt "$sessions" ] && last="$sessions"
    seed=$(awk -v f="$first" -v s="$sessions" 'BEGIN { printf "%.6f", f / (s + 1) }')
    psql "$db_url" -q -v ON_ERROR_STOP=1 -v first="$first" -v last="$last" -v days="$days" \
        -v seed="$seed" -v offset_minutes=20 -f bench/generate_chunk.sql &
    pids+=($!)
    if [ "${#pids[@]}" -ge 2 ]; then
        wait "${pids[0]}"
        pids=("${pids[@]:1}")
        echo "  sessions up to $first… ($(( $(date +%s) - started )) s)"
    fi
    first=$(( last + 1 ))
done
for pid in "${pids[@]}"; do wait "$pid"; done
psql "$db_url" -q -c 'VACUUM ANALYZE "LiteLLM_SpendLogs"'
psql "$db_url" -At -c "SELECT count(*) || ' rows, ' || pg_size_pretty(pg_total_relation_size('\"LiteLLM_SpendLogs\"')) FROM \"LiteLLM_SpendLogs\""
echo "done in $(( $(date +%s) - started )) s"
