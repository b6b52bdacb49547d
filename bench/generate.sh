#!/usr/bin/env bash
# Generates a realistic LiteLLM_SpendLogs of about N rows into a database you name.
#   bench/generate.sh <database> <rows> [days] [--single-request-share F] [--heaviest-share F]
#                     [--users N] [--recommended-index]
# e.g. bench/generate.sh litellm_bench_2m 2000000 60
# (Re)creates the database on BENCH_ADMIN_URL (default: local Postgres, user postgres), loads
# LiteLLM's schema (tests/fixtures/litellm_schema.sql) and inserts rows in chunks of ~100,000 rows,
# two chunks at a time, with LiteLLM's secondary indexes built once at the end (faster than
# keeping them up to date row by row). Sessions of 1-9 requests (5 on average) over `days` days
# (default 60; up to 400 and beyond) ending now; see generate_chunk.sql for the shape. 2M rows
# take ~10 minutes here.
#
# Shape options (defaults: the classic shape above, byte-for-byte what earlier runs generated):
#   --single-request-share F  share of sessions with one request (0-1), as on proxies whose
#                             clients send a new session id per call; 0.98 gives ~1.08 requests
#                             per session, issue 15's heaviest agent (164,565 rows in 151,893
#                             sessions).
#   --heaviest-share F        share of sessions of support-bot 2.1.0 (0.1-0.9; default: a Zipf
#                             split that gives it ~25%); the rest keep the Zipf split.
#   --users N                 distinct agent_user_id values (default 3000).
#   --recommended-index       also builds sql/indexes.sql's index for AGENT_METADATA_SOURCE=auto,
#                             as a DBA following the README would.
# Issue 15's tables are in bench/scale.sh. 400,000 rows over 400 days in that shape took ~3 minutes
# here with the machine busy.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

usage="usage: bench/generate.sh <database> <rows> [days] [--single-request-share F] [--heaviest-share F] [--users N] [--recommended-index]"
db="${1:?$usage}"
rows="${2:?$usage}"
shift 2
days=60
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
    days="$1"
    shift
fi
single_share=0
heaviest_share=-1
users=3000
recommended_index=false
while [ $# -gt 0 ]; do
    case "$1" in
        --single-request-share) single_share="$2"; shift 2 ;;
        --heaviest-share) heaviest_share="$2"; shift 2 ;;
        --users) users="$2"; shift 2 ;;
        --recommended-index) recommended_index=true; shift ;;
        *) echo "unknown option $1; $usage" >&2; exit 2 ;;
    esac
done
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v ~ /^[0-9.]+$/ && v + 0 >= lo && v + 0 <= hi) }'; }
positive_integer() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }
positive_integer "$rows" || { echo "rows must be a positive integer" >&2; exit 2; }
in_range "$days" 0.001 100000 || { echo "days must be a positive number" >&2; exit 2; }
in_range "$single_share" 0 1 || { echo "--single-request-share must be within 0-1" >&2; exit 2; }
# Below 0.1 support-bot's older versions could outgrow 2.1.0; 1 would leave no other agent.
[ "$heaviest_share" = -1 ] || in_range "$heaviest_share" 0.1 0.9 \
    || { echo "--heaviest-share must be within 0.1-0.9" >&2; exit 2; }
positive_integer "$users" || { echo "--users must be a positive integer" >&2; exit 2; }

admin_url="${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
read -r host port < <(url_host_port "$admin_url")
ensure_postgres "$host" "$port"
db_url="${admin_url%/*}/$db"
export PGOPTIONS="-c client_min_messages=warning"

# A multi-request session has 1-9 requests, 5 on average.
per_session=$(awk -v s="$single_share" 'BEGIN { printf "%.4f", s + (1 - s) * 5 }')
sessions=$(awk -v r="$rows" -v p="$per_session" 'BEGIN { printf "%d", (r + p - 1) / p }')
chunk=$(awk -v p="$per_session" 'BEGIN { printf "%d", 100000 / p }')
echo "generating ~$rows rows ($sessions sessions, $per_session requests each on average, over $days days) into $db"
psql "$admin_url" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\""
psql "$db_url" -q -v ON_ERROR_STOP=1 -f tests/fixtures/litellm_schema.sql

# LiteLLM's secondary indexes are dropped for the load and built again at the end (the primary key
# stays: it is what makes a duplicate request_id fail loudly).
index_ddl="$(psql "$db_url" -At -c "SELECT indexdef || ';' FROM pg_indexes WHERE tablename = 'LiteLLM_SpendLogs' AND indexname NOT LIKE '%pkey'")"
psql "$db_url" -q -v ON_ERROR_STOP=1 -c "$(psql "$db_url" -At -c "SELECT 'DROP INDEX \"' || indexname || '\";' FROM pg_indexes WHERE tablename = 'LiteLLM_SpendLogs' AND indexname NOT LIKE '%pkey'")"

started=$(date +%s)
first=1
pids=()
while [ "$first" -le "$sessions" ]; do
    last=$(( first + chunk - 1 ))
    [ "$last" -gt "$sessions" ] && last="$sessions"
    seed=$(awk -v f="$first" -v s="$sessions" 'BEGIN { printf "%.6f", f / (s + 1) }')
    psql "$db_url" -q -v ON_ERROR_STOP=1 -v first="$first" -v last="$last" -v days="$days" \
        -v seed="$seed" -v offset_minutes=20 -v single_share="$single_share" \
        -v heaviest_share="$heaviest_share" -v users="$users" -f bench/generate_chunk.sql &
    pids+=($!)
    if [ "${#pids[@]}" -ge 2 ]; then
        wait "${pids[0]}"
        pids=("${pids[@]:1}")
        echo "  sessions up to $first… ($(( $(date +%s) - started )) s)"
    fi
    first=$(( last + 1 ))
done
for pid in "${pids[@]}"; do wait "$pid"; done
echo "  rows in ($(( $(date +%s) - started )) s); building indexes…"
psql "$db_url" -q -v ON_ERROR_STOP=1 -c "SET maintenance_work_mem = '512MB'" -c "$index_ddl"
if $recommended_index; then
    # The first statement of sql/indexes.sql is the index for AGENT_METADATA_SOURCE=auto (the default).
    psql "$db_url" -q -v ON_ERROR_STOP=1 -c "SET maintenance_work_mem = '512MB'" \
        -c "$(awk '/^CREATE INDEX/ { on = 1 } on { print } on && /;$/ { exit }' sql/indexes.sql)"
fi
psql "$db_url" -q -c 'VACUUM ANALYZE "LiteLLM_SpendLogs"'
psql "$db_url" -At -c "SELECT count(*) || ' rows, ' || pg_size_pretty(pg_total_relation_size('\"LiteLLM_SpendLogs\"')) FROM \"LiteLLM_SpendLogs\""
echo "done in $(( $(date +%s) - started )) s"
