#!/usr/bin/env bash
# The scale benchmark (issue 15): how the summary and grouped endpoints hold up for the heaviest
# agent+version over 20-day, 90-day and 400-day windows, next to the HTTP ceiling, with the
# service's warm-up time and memory. Prints one table:
#   endpoint | window | req/s | p50 | p99 | % of /health/live | X-Data-Source | one request | non-2xx
#
#   bench/scale.sh <database> [--duration S] [--connections N] [--horizon DAYS] [--rest S]
#                             [--binary PATH] [--record]
#
# <database> comes from bench/generate.sh, e.g. issue 15's tables (with the index the README
# recommends, as earlier BENCHMARKS.md runs had it):
#   bench/generate.sh litellm_bench_2m30 2000000 30 --single-request-share 0.98 --heaviest-share 0.123 --recommended-index
#   bench/generate.sh litellm_bench_4m400 4000000 400 --single-request-share 0.98 --heaviest-share 0.123 --recommended-index
# A smoke run: bench/scale.sh litellm_bench_ci --duration 1 --rest 2
# Runs target/release/litellm-analytics, building it only when it is missing or older than the
# sources and no other cargo build is running (two builds at once starve each other and the
# figures); --binary runs another build instead (target/debug/litellm-analytics to try the script
# out: its figures mean nothing). The service keeps ANALYTICS_HORIZON_DAYS=--horizon (default
# 400) days in memory; readiness (/health/ready: the last ANALYTICS_READY_DAYS loaded) is waited
# for and its time reported as warm-up, then the rest of the horizon (the log's "rollup ready in").
# Each row is wrk (2 threads, --connections, default 32, for --duration s, default 10) cycling
# through 64 URLs that differ only in the ignored `_` parameter, so that no two concurrent
# requests share one computation; req/s counts 2xx answers only, p50/p99 cover every answer
# (refusals too: see non-2xx). "one request" is a lone request's time before the load, which
# also reports X-Data-Source. Between rows the service's SQL is left to finish, so a slow row
# does not slow the next. Before the load the database's queries and rows read per second are
# counted for --rest s (default 30, the reconcile interval) with the service idle.
# --record appends the report to BENCHMARKS.md.
# Env: BENCH_ADMIN_URL (default local Postgres), BENCH_AGENT / BENCH_VERSION (default: the
# busiest agent+version of the last 20 days, from /agents); the service's own variables (RUST_LOG,
# DB_POOL_SIZE, ADMISSION_*, ...) pass through. Needs wrk (Debian package `wrk`) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

usage="usage: bench/scale.sh <database> [--duration S] [--connections N] [--horizon DAYS] [--rest S] [--binary PATH] [--record]"
db="${1:?$usage}"
shift
duration=10
connections=32
horizon=400
steady=30
binary=""
record=false
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --horizon) horizon="$2"; shift 2 ;;
        --rest) steady="$2"; shift 2 ;;
        --binary) binary="$2"; shift 2 ;;
        --record) record=true; shift ;;
        *) echo "unknown option $1; $usage" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "bench/scale.sh needs wrk (apt-get install wrk)" >&2; exit 1; }

admin_url="${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
read -r host port < <(url_host_port "$admin_url")
ensure_postgres "$host" "$port"
db_url="${admin_url%/*}/$db"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

sql() { psql "$db_url" -At -c "$1"; }
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# --- the binary -------------------------------------------------------------------------------
if [ -z "$binary" ]; then
    binary=target/release/litellm-analytics
    sources=(src sql Cargo.toml Cargo.lock)
    if [ ! -x "$binary" ] || [ -n "$(find "${sources[@]}" -newer "$binary" -print -quit)" ]; then
        if pgrep -x cargo >/dev/null || pgrep -x rustc >/dev/null; then
            echo "$binary is missing or older than the sources, and another cargo build is running:" >&2
            echo "not building now. Run again once it is done, or pass --binary PATH." >&2
            exit 1
        fi
        echo "building (release)..." >&2
        cargo build --release --quiet
    fi
fi
[ -x "$binary" ] || { echo "no executable at $binary" >&2; exit 1; }

# --- the dataset ------------------------------------------------------------------------------
IFS='|' read -r rows_total first_day last_day < <(sql 'SELECT count(*), min("startTime")::date, max("startTime")::date FROM "LiteLLM_SpendLogs"')
table_size=$(sql "SELECT pg_size_pretty(pg_total_relation_size('\"LiteLLM_SpendLogs\"'))")
has_index=$(sql "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'litellm_analytics_agent_%'")

# --- the service: start, wait for readiness ---------------------------------------------------
api_port="$(free_port)"
base="http://127.0.0.1:$api_port"
log="$work/service.log"
started=$(date +%s.%N)
# Appending, so that the log can be emptied between rows (the access log of a run is large).
ALLOW_OPEN_API=true DATABASE_URL="$db_url" HOST=127.0.0.1 PORT="$api_port" SHUTDOWN_DRAIN_SECONDS=0 \
    ANALYTICS_HORIZON_DAYS="$horizon" RUST_LOG="${RUST_LOG:-info}" "$binary" >> "$log" 2>&1 &
service_pid=$!
pids+=("$service_pid")
echo "waiting for readiness (ANALYTICS_HORIZON_DAYS=$horizon)..." >&2
until curl -fs "$base/health/ready" >/dev/null; do
    kill -0 "$service_pid" 2>/dev/null || { cat "$log" >&2; echo "the service exited" >&2; exit 1; }
    sleep 0.2
done
warmup=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
rss_mb() { awk -v key="$1" '$1 == key ":" { printf "%.0f", $2 / 1024 }' "/proc/$service_pid/status"; }
rss_ready=$(rss_mb VmRSS)
# Ready means the last ANALYTICS_READY_DAYS are in memory; the rest of the horizon keeps loading.
# The rows below measure the steady state, so wait for the whole horizon (the log says when).
echo "ready after ${warmup} s; waiting for the whole horizon to load..." >&2
until grep -aq "rollup ready in" "$log"; do
    kill -0 "$service_pid" 2>/dev/null || { cat "$log" >&2; echo "the service exited" >&2; exit 1; }
    sleep 0.5
done
rss_loaded=$(rss_mb VmRSS)
rollup_line=$(grep -a "rollup ready in" "$log" | tail -n 1 | sed -E 's/.*rollup ready in ([0-9.]+ s): ([0-9]+) requests of ([0-9]+) agent versions.*/whole horizon loaded in \1: \2 rows, \3 agent versions/')
cp "$log" "$work/startup.log"

# --- the heaviest agent+version ---------------------------------------------------------------
curl -fs "$base/agents?days=20" > "$work/agents.json"
read -r top_agent top_version versions < <(python3 - "$work/agents.json" <<'EOF'
import json, sys
agents = json.load(open(sys.argv[1]))["agents"]
best = max(((v["requests"], a["agent_name"], v["agent_version"]) for a in agents for v in a["versions"]), default=None)
if best is None:
    sys.exit("no agent has requests in the last 20 days")
name, version = best[1], best[2]
others = [v["agent_version"] for a in agents if a["agent_name"] == name for v in a["versions"] if v["agent_version"] != version]
# /agents/compare takes 1-10 versions; the first is the baseline.
print(name, version, ",".join([version] + others[:9]))
EOF
)
agent="${BENCH_AGENT:-$top_agent}"
version="${BENCH_VERSION:-$top_version}"
[ "$agent" = "$top_agent" ] || versions="$version"
agent_q="agent_name=$(urlencode "$agent")&agent_version=$(urlencode "$version")"
read -r agent_rows agent_sessions < <(curl -fs "$base/analytics/agent?$agent_q&days=20" \
    | python3 -c 'import json, sys; m = json.load(sys.stdin)["metrics"]; print(m["total_messages"], m["total_sessions"])')

# --- database load in steady state (the service's refresher and reconciler alone) -------------
db_counters() { sql "SELECT xact_commit + xact_rollback, tup_returned + tup_fetched FROM pg_stat_database WHERE datname = current_database()" | tr '|' ' '; }
echo "database load at rest (${steady} s)..." >&2
read -r q0 r0 < <(db_counters)
sleep "$steady"
read -r q1 r1 < <(db_counters)
# Our own two counter reads are not the service's.
steady_qps=$(awk -v a="$q0" -v b="$q1" -v s="$steady" 'BEGIN { v = (b - a - 2) / s; if (v < 0) v = 0; printf "%.1f", v }')
steady_rows=$(awk -v a="$r0" -v b="$r1" -v s="$steady" 'BEGIN { printf "%.0f", (b - a) / s }')

# --- the rows: endpoint x window --------------------------------------------------------------
# Date-only ends are exclusive midnights: ending tomorrow covers today; the starts stay inside a
# horizon of as many days.
end=$(date -u -d tomorrow +%F)
days_before_end() { date -u -d "@$(( $(date -u -d "$end" +%s) - $1 * 86400 ))" +%F; }
windows=("days=20" "start=$(days_before_end 90)&end=$end" "start=$(days_before_end 400)&end=$end")
window_names=("20 days" "90 days" "400 days")
endpoints=(
    "/analytics/agent|/analytics/agent?$agent_q"
    "/activitytimeline (series)|/activitytimeline?$agent_q"
    "/total-tokens|/total-tokens?$agent_q"
    "/latency|/latency?$agent_q"
    "/agents|/agents?"
    "/agents/compare ($versions)|/agents/compare?agent_name=$(urlencode "$agent")&versions=$versions"
    "/metrics/query by agent_name|/metrics/query?metrics=requests&group_by=agent_name"
    "/metrics/query by agent_name,agent_version,model|/metrics/query?metrics=requests,spend,latency_p95&group_by=agent_name,agent_version,model"
    "/users|/users?$agent_q"
    "/sessions?sort=spend|/sessions?$agent_q&sort=spend"
)

to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }'; }
# Waits (at most 60 s) until none of the service's queries runs, so a row's leftover SQL (wrk
# stops mid-request) does not weigh on the next row.
drain() {
    local i
    for i in $(seq 1 120); do
        [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'litellm-analytics' AND state = 'active'")" = 0 ] && return 0
        sleep 0.5
    done
    echo "  (the service's SQL still runs after 60 s)" >&2
}
# url -> "req/s p50 p99 non-2xx": wrk over 64 variants of url differing in `_` only.
measure() {
    local url="$1" sep="&" out
    case "$url" in *\?) sep="" ;; *\?*) ;; *) sep="?" ;; esac
    for i in $(seq 1 64); do echo "$url${sep}_=$i"; done > "$work/paths"
    out=$(BENCH_PATHS="$work/paths" wrk -t2 -c"$connections" -d"${duration}s" --latency --timeout 60s \
        -s bench/mixed.lua "$base")
    echo "$out" > "$work/wrk.txt"
    local p50 p99 seconds ok bad
    p50=$(echo "$out" | awk '$1 == "50%" { print $2 }' | to_ms)
    p99=$(echo "$out" | awk '$1 == "99%" { print $2 }' | to_ms)
    seconds=$(echo "$out" | awk '/requests in/ { v = $4; sub(/,$/, "", v); print v }' | to_ms)
    ok=$(echo "$out" | awk '/^STATUS/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] ~ /^2/) n += kv[2] } } END { print n + 0 }')
    bad=$(echo "$out" | awk '/^STATUS/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] !~ /^2/ && kv[2] > 0) s = s (s ? "," : "") $i } } END { print (s ? s : "0") }')
    echo "$(awk -v n="$ok" -v ms="$seconds" 'BEGIN { printf "%.1f", (ms > 0 ? n / (ms / 1000) : 0) }') ${p50:-nan} ${p99:-nan} $bad"
}

results="$work/results"
: > "$results"
failed=false
load_before="$(cut -d' ' -f1 /proc/loadavg)"
read -r lq0 lr0 < <(db_counters)
load_started=$(date +%s)

echo "load: /health/live" >&2
read -r live_rps live_p50 live_p99 live_bad < <(measure "/health/live")
echo "/health/live|-|$live_rps|$live_p50|$live_p99|100|-|-|$live_bad" >> "$results"
for entry in "${endpoints[@]}"; do
    name="${entry%%|*}"
    path="${entry#*|}"
    for i in "${!windows[@]}"; do
        url="$path&${windows[$i]}"
        url="${url/\?&/?}"
        drain
        : > "$log"
        # One lone request first: its time, status and provenance.
        read -r status single_s < <(curl -s -o "$work/body" -D "$work/headers" -w '%{http_code} %{time_total}\n' --max-time 60 "$base$url" || echo "000 0")
        source_header=$(awk -F': *' 'tolower($1) == "x-data-source" { gsub(/\r/, "", $2); print $2 }' "$work/headers" 2>/dev/null)
        single_ms=$(awk -v s="$single_s" 'BEGIN { printf "%.0f", s * 1000 }')
        case "$status" in
            2*|429|503|504) ;;
            *)  echo "  $url answered $status: $(head -c 300 "$work/body")" >&2
                failed=true ;;
        esac
        echo "load: $name, ${window_names[$i]} ($status, ${source_header:-no X-Data-Source}, ${single_ms} ms alone)" >&2
        read -r rps p50 p99 bad < <(measure "$url")
        share=$(awk -v a="$rps" -v b="$live_rps" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }')
        echo "$name|${window_names[$i]}|$rps|$p50|$p99|$share|${source_header:--} ($status)|$single_ms|$bad" >> "$results"
    done
done
drain
read -r lq1 lr1 < <(db_counters)
load_seconds=$(( $(date +%s) - load_started ))
load_after="$(cut -d' ' -f1 /proc/loadavg)"
load_qps=$(awk -v a="$lq0" -v b="$lq1" -v s="$load_seconds" 'BEGIN { printf "%.0f", (b - a) / s }')
load_rows=$(awk -v a="$lr0" -v b="$lr1" -v s="$load_seconds" 'BEGIN { printf "%.0f", (b - a) / s }')
kill -0 "$service_pid" 2>/dev/null || { tail -n 50 "$log" >&2; echo "the service exited during the load" >&2; exit 1; }
rss_after=$(rss_mb VmRSS)
rss_peak=$(rss_mb VmHWM)

# --- report -----------------------------------------------------------------------------------
cpu="$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')"
machine="$(nproc) cores ($cpu), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, PostgreSQL $(sql 'SHOW server_version' | cut -d' ' -f1) on the same machine"
command_line="bench/scale.sh $db --duration $duration --connections $connections --horizon $horizon"
report="$work/report.md"
{
    echo "Command: \`$command_line\` ($binary); machine: $machine; load average $load_before before the load, $load_after after."
    echo "Dataset: database \`$db\`, $rows_total rows ($table_size) from $first_day to $last_day; recommended index: $([ "$has_index" -gt 0 ] && echo present || echo absent)."
    echo "Heaviest agent+version: $agent $version, $agent_rows rows in $agent_sessions sessions over the last 20 days."
    echo "Service: ANALYTICS_HORIZON_DAYS=$horizon; ready after ${warmup} s (${rollup_line:-no rollup line in the log}); RSS ${rss_ready} MB when ready, ${rss_loaded} MB once the whole horizon is loaded, ${rss_after} MB after the load, peak ${rss_peak} MB."
    echo "Database load at rest (no HTTP load, no writes, ${steady} s): ${steady_qps} queries/s, ${steady_rows} rows read/s; during the load: ${load_qps} queries/s, ${load_rows} rows read/s."
    echo "Load: wrk, 2 threads, $connections connections, ${duration} s per row, 64 distinct URLs per row; req/s counts 2xx answers."
    echo "Where non-2xx is not 0, p50/p99 mix refusals (answered at once) with served requests: read req/s and one request ms there."
    echo
    echo "| endpoint | window | req/s | p50 ms | p99 ms | % of /health/live | X-Data-Source (status) | one request ms | non-2xx |"
    echo "|---|---|---:|---:|---:|---:|---|---:|---|"
    awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$results"
} > "$report"
cat "$report"

if $record; then
    {
        echo
        echo "## $(date -u +%Y-%m-%d) — scale: $db"
        echo
        cat "$report"
    } >> BENCHMARKS.md
    echo "appended to BENCHMARKS.md" >&2
fi
if $failed; then
    echo "some requests were answered with an unexpected status (see above): the URLs need fixing" >&2
    exit 1
fi
