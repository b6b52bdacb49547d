#!/usr/bin/env bash
# Benchmarks litellm-analytics against a generated database (bench/generate.sh) and prints, per
# agent endpoint, latency percentiles and requests/s under concurrent load, the service's memory,
# the load it puts on the database, and the SQL path for comparison.
#
#   bench/run.sh <database> [--duration S] [--connections N] [--record]
#
# --record appends the results, with machine, dataset and command, to BENCHMARKS.md.
# Needs wrk (Debian package `wrk`). Env: BENCH_ADMIN_URL (default local Postgres), BENCH_AGENT /
# BENCH_VERSION (the heaviest agent+version; defaults fit bench/generate.sh's data).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

db="${1:?usage: bench/run.sh <database> [--duration S] [--connections N] [--record]}"
shift
duration=10
connections=32
record=false
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --record) record=true; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "bench/run.sh needs wrk (apt-get install wrk)" >&2; exit 1; }

admin_url="${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
read -r host port < <(url_host_port "$admin_url")
ensure_postgres "$host" "$port"
db_url="${admin_url%/*}/$db"
agent="${BENCH_AGENT:-support-bot}"
version="${BENCH_VERSION:-2.1.0}"
days=20
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

sql() { psql "$db_url" -At -c "$1"; }

echo "building (release)..." >&2
cargo build --release --quiet

# --- the service, rollup on --------------------------------------------------------------------
api_port="$(free_port)"
base="http://127.0.0.1:$api_port"
ALLOW_OPEN_API=true DATABASE_URL="$db_url" HOST=127.0.0.1 PORT="$api_port" SHUTDOWN_DRAIN_SECONDS=0 RUST_LOG=info \
    ./target/release/litellm-analytics > "$work/service.log" 2>&1 &
service_pid=$!
pids+=("$service_pid")
query="agent_name=$agent&agent_version=$version&days=$days"
started=$(date +%s.%N)
until curl -fs "$base/health/ready" >/dev/null; do sleep 0.2; done
echo "waiting for the rollup to load..." >&2
until curl -fsI "$base/total-tokens?$query" 2>/dev/null | grep -qi '^x-data-source: memory'; do
    kill -0 "$service_pid" 2>/dev/null || { cat "$work/service.log" >&2; exit 1; }
    sleep 0.5
done
warmup=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

rows_total=$(sql 'SELECT count(*) FROM "LiteLLM_SpendLogs"')
table_size=$(sql "SELECT pg_size_pretty(pg_total_relation_size('\"LiteLLM_SpendLogs\"'))")
agent_rows=$(curl -fs "$base/analytics/agent?$query" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metrics"]["total_messages"])')
has_index=$(sql "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'litellm_analytics_agent_%'")

# Distinct request paths: every agent version x days value (summaries), varying limits (lists).
for d in 1 2 7 15 20; do
    for a in support-bot:2.1.0 support-bot:2.0.3 sales-agent:1.2.0 sales-agent:1.1.0 code-reviewer:1.2.0 research-assistant:1.2.0 billing-helper:1.1.0 triage-bot:1.0.0; do
        echo "agent_name=${a%%:*}&agent_version=${a##*:}&days=$d"
    done
done > "$work/agent_queries"

# --- database load in steady state: the refresher alone, with LiteLLM writing 20 rows/s ----------
db_counters() { sql "SELECT xact_commit + xact_rollback, tup_returned, tup_fetched FROM pg_stat_database WHERE datname = current_database()" | tr '|' ' '; }
writer() {
    local n=0
    while true; do
        n=$((n + 1))
        psql "$db_url" -q -v first=$((900000000 + n * 4)) -v last=$((900000000 + n * 4 + 3)) -v days=0.00001 \
            -v seed=0.5 -v offset_minutes=0 -f bench/generate_chunk.sql >/dev/null 2>&1 || true
        sleep 1
    done
}
writer & pids+=($!)
writer_pid=$!
sleep 5
read -r q0 r0 f0 < <(db_counters)
steady=30
sleep "$steady"
read -r q1 r1 f1 < <(db_counters)
kill "$writer_pid" 2>/dev/null || true
# Our two counter reads and the writer's ~1 statement/s are subtracted from the query count.
steady_qps=$(awk -v a="$q0" -v b="$q1" -v s="$steady" 'BEGIN { v = (b - a) / s - 1 - 2 / s; if (v < 0) v = 0; printf "%.1f", v }')
steady_rows=$(awk -v a="$r0" -v b="$r1" -v c="$f0" -v d="$f1" -v s="$steady" 'BEGIN { printf "%.0f", ((b - a) + (d - c)) / s }')

# --- load: each endpoint, same URL (dashboards opening the same view) and distinct URLs ----------
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }'; }
measure() { # url-or-pathfile mode -> "p50 p99 max rps errors"
    local out
    if [ "$2" = distinct ]; then
        out=$(BENCH_PATHS="$1" wrk -t2 -c"$connections" -d"${duration}s" --latency -s bench/paths.lua "$base")
    else
        out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$1")
    fi
    local p50 p99 max rps errors
    p50=$(echo "$out" | awk '$1 == "50%" { print $2 }' | to_ms)
    p99=$(echo "$out" | awk '$1 == "99%" { print $2 }' | to_ms)
    max=$(echo "$out" | awk '$1 == "Latency" && NF >= 4 { print $4 }' | to_ms)
    rps=$(echo "$out" | awk '/Requests\/sec/ { printf "%.0f", $2 }')
    errors=$(echo "$out" | awk '/Non-2xx/ { print $NF } /Socket errors/ { print "socket-errors" }' | paste -sd, -)
    echo "$p50 $p99 $max $rps ${errors:-0}"
}

read -r lq0 lr0 lf0 < <(db_counters)
load_started=$(date +%s)
results="$work/results"
: > "$results"
for endpoint in analytics/agent activitytimeline tokens-usage total-tokens detailed-usage recentmessages; do
    echo "load: /$endpoint" >&2
    same=$(measure "$base/$endpoint?$query" same)
    if [ "$endpoint" = detailed-usage ] || [ "$endpoint" = recentmessages ]; then
        while read -r q; do for limit in 90 100 110; do echo "/$endpoint?$q&limit=$limit"; done; done < "$work/agent_queries" > "$work/paths"
    else
        sed "s#^#/$endpoint?#" "$work/agent_queries" > "$work/paths"
    fi
    distinct=$(measure "$work/paths" distinct)
    echo "/$endpoint $same $distinct" >> "$results"
done
read -r lq1 lr1 lf1 < <(db_counters)
load_seconds=$(( $(date +%s) - load_started ))
load_qps=$(awk -v a="$lq0" -v b="$lq1" -v s="$load_seconds" 'BEGIN { printf "%.0f", (b - a) / s }')
load_rows=$(awk -v a="$lr0" -v b="$lr1" -v c="$lf0" -v d="$lf1" -v s="$load_seconds" 'BEGIN { printf "%.0f", ((b - a) + (d - c)) / s }')
rss_mb=$(ps -o rss= -p "$service_pid" | awk '{ printf "%.0f", $1 / 1024 }')
rollup_rows=$(grep -a "rollup ready" "$work/service.log" | sed -E 's/.*: ([0-9]+) requests of ([0-9]+) agent versions.*/\1 rows, \2 agent versions/' | tail -n 1)

# --- the SQL path, for comparison (rollup off, a few connections: each query scans the window) --
sql_port="$(free_port)"
ALLOW_OPEN_API=true DATABASE_URL="$db_url" HOST=127.0.0.1 PORT="$sql_port" ANALYTICS_ROLLUP=off SHUTDOWN_DRAIN_SECONDS=0 \
    ./target/release/litellm-analytics > "$work/sql.log" 2>&1 &
pids+=($!)
until curl -fs "http://127.0.0.1:$sql_port/health/ready" >/dev/null; do sleep 0.2; done
echo "SQL path: /analytics/agent" >&2
sql_paths="$work/sql_paths"
grep "days=$days" "$work/agent_queries" | sed 's#^#/analytics/agent?#' > "$sql_paths"
sql_result=$(BENCH_PATHS="$sql_paths" wrk -t1 -c4 -d"$(( duration > 20 ? duration : 20 ))s" --latency --timeout 60s -s bench/paths.lua "http://127.0.0.1:$sql_port")
sql_p50=$(echo "$sql_result" | awk '$1 == "50%" { print $2 }' | to_ms)
sql_rps=$(echo "$sql_result" | awk '/Requests\/sec/ { printf "%.2f", $2 }')
memory_rps=$(awk '$1 == "/analytics/agent" { print $10 }' "$results")

# --- report -------------------------------------------------------------------------------------
report="$work/report.md"
{
    echo "Dataset: database \`$db\`, $rows_total rows ($table_size), heaviest agent+version $agent $version: $agent_rows rows in the $days-day window; recommended index: $([ "$has_index" -gt 0 ] && echo present || echo absent)."
    echo "Service: rollup loaded in ${warmup} s ($rollup_rows); RSS after the load runs: ${rss_mb} MB."
    echo "Load: wrk, 2 threads, $connections connections, ${duration} s per run, days=$days."
    echo
    echo "| endpoint | same URL p50 ms | p99 ms | max ms | req/s | distinct URLs p50 ms | p99 ms | max ms | req/s | non-2xx |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    awk '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s %s |\n", $1, $2, $3, $4, $5, $7, $8, $9, $10, $6, $11 }' "$results"
    echo
    echo "Database load in steady state (LiteLLM writing ~20 rows/s, no HTTP load): ${steady_qps} queries/s, ${steady_rows} rows read/s."
    echo "Database load during the load runs (all endpoints): ${load_qps} queries/s, ${load_rows} rows read/s."
    echo "SQL path (rollup off), /analytics/agent over the same agent versions at days=$days, 4 connections: p50 ${sql_p50} ms, ${sql_rps} req/s; rollup: ${memory_rps} req/s with distinct URLs ($(awk -v a="$memory_rps" -v b="$sql_rps" 'BEGIN { if (b > 0) printf "%.0f", a / b; else print "n/a" }')x)."
} > "$report"
cat "$report"

# Any error response makes the figures meaningless: fail (CI runs this as a smoke test).
if awk '$6 != "0" || $11 != "0" { bad = 1 } END { exit !bad }' "$results"; then
    echo "error responses or socket errors during the load runs (see the table)" >&2
    exit 1
fi

if $record; then
    {
        echo
        echo "## $(date -u +%Y-%m-%d) — $db"
        echo
        echo "Machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(psql "$db_url" -At -c 'SHOW server_version' | cut -d' ' -f1 | sed 's/^/PostgreSQL /') on the same machine."
        echo "Command: \`bench/run.sh $db --duration $duration --connections $connections\`"
        echo
        cat "$report"
    } >> BENCHMARKS.md
    echo "appended to BENCHMARKS.md" >&2
fi
