#!/usr/bin/env bash
# Health under load: runs many connections of DISTINCT expensive requests (SQL-path windows
# beyond the in-memory horizon, /metrics/query, /sessions?sort=spend over the rollup, CSV
# exports) against the release binary for a while, and meanwhile probes /health/live and
# /health/ready every 0.5 s and sends cheap in-memory requests. Passes when every probe answers
# 200 within 200 ms and the cheap requests' p99 stays within 50 ms; prints a table and exits
# non-zero otherwise. Loopback only; bounded in time.
#
#   bench/health-under-load.sh <database> [--duration S] [--connections N] [--record]
#
# <database> comes from bench/generate.sh (e.g. `bench/generate.sh litellm_bench_400k 400000`:
# 60 days, so windows older than the 31-day horizon are answered by SQL). --record appends the
# run (command, machine, figures) to BENCHMARKS.md. Needs wrk (Debian package `wrk`) and python3.
# Env: BENCH_ADMIN_URL (default local Postgres); the service's own variables (DB_POOL_SIZE,
# ADMISSION_*, HTTP_WORKERS, ...) pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

db="${1:?usage: bench/health-under-load.sh <database> [--duration S] [--connections N] [--record]}"
shift
duration=30
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
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
probe_bound_ms=200
cheap_p99_bound_ms=50

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

echo "building (release)..." >&2
cargo build --release --quiet

# Postgres runs on the same machine here, so SQL work is admitted to what it can run at once
# rather than to the pool (the service's default): at 16 concurrent 2-week scans, 2 shared cores
# time out queries and starve everything else (see BENCHMARKS.md). Override to compare.
export ADMISSION_MAX_DATABASE="${ADMISSION_MAX_DATABASE:-4}"
# Four clients for the expensive load (each its own admission share), one for the cheap requests.
keys="bench-key-1,bench-key-2,bench-key-3,bench-key-4"
cheap_key="bench-key-cheap"
api_port="$(free_port)"
base="http://127.0.0.1:$api_port"
DATABASE_URL="$db_url" HOST=127.0.0.1 PORT="$api_port" SHUTDOWN_DRAIN_SECONDS=0 \
    API_KEYS="$keys,$cheap_key" RUST_LOG="${RUST_LOG:-info}" \
    ./target/release/litellm-analytics > "$work/service.log" 2>&1 &
service_pid=$!
pids+=("$service_pid")
agent="support-bot"
version="2.1.0"
until curl -fs "$base/health/ready" >/dev/null; do
    kill -0 "$service_pid" 2>/dev/null || { cat "$work/service.log" >&2; exit 1; }
    sleep 0.5
done
until curl -fsI -H "X-API-Key: $cheap_key" \
    "$base/total-tokens?agent_name=$agent&agent_version=$version&days=20" 2>/dev/null \
    | grep -qi '^x-data-source: memory'; do
    sleep 0.5
done
rows_total=$(psql "$db_url" -At -c 'SELECT count(*) FROM "LiteLLM_SpendLogs"')

# --- distinct expensive requests -------------------------------------------------------------
agents="support-bot:2.1.0 support-bot:2.0.3 sales-agent:1.2.0 sales-agent:1.1.0 code-reviewer:1.2.0 research-assistant:1.2.0 billing-helper:1.1.0 triage-bot:1.0.0"
day() { date -u -d "$1 days ago" +%F; }
{
    for a in $agents; do
        q="agent_name=${a%%:*}&agent_version=${a##*:}"
        # SQL path: windows starting before the 31-day in-memory horizon.
        for back in 32 35 38 41 44 47 50; do
            for span in 3 7 14; do
                range="start=$(day $((back + span)))&end=$(day "$back")"
                echo "/analytics/agent?$q&$range"
                echo "/latency?$q&$range"
            done
        done
        # CPU-heavy work over the rollup: rank every session of 20 days by spend.
        for limit in 10 20 30 40 50 60 70 80 90 100; do
            echo "/sessions?$q&days=20&sort=spend&limit=$limit"
            echo "/users?$q&days=20&sort=spend&limit=$limit"
        done
        # CSV exports of whole lists.
        for d in 7 15 20; do
            echo "/detailed-usage?$q&days=$d&format=csv"
            echo "/recentmessages?$q&days=$d&format=csv"
        done
    done
    # /metrics/query is always SQL.
    for d in 1 2 7 15 20; do
        for g in agent_name agent_name,model model,status agent_version user app; do
            for m in requests,spend latency_p95,error_rate sessions,users,prompt_tokens; do
                echo "/metrics/query?metrics=$m&group_by=$g&days=$d"
            done
        done
    done
} | shuf > "$work/expensive_paths"

# --- cheap in-memory requests ----------------------------------------------------------------
for a in $agents; do
    q="agent_name=${a%%:*}&agent_version=${a##*:}"
    for d in 1 2; do
        echo "/total-tokens?$q&days=$d"
        echo "/analytics/agent?$q&days=$d"
        echo "/tokens-usage?$q&days=$d"
    done
done > "$work/cheap_paths"

# The same probes without the load first: what this machine gives when the service is idle.
baseline_seconds=10
echo "baseline: probing for ${baseline_seconds}s without load..." >&2
python3 bench/health_probe.py "$base" "$baseline_seconds" "$work/cheap_paths" "$cheap_key" > "$work/baseline.json"
load_before="$(cut -d' ' -f1 /proc/loadavg)"
echo "running: $connections connections of $(wc -l < "$work/expensive_paths") distinct expensive paths for ${duration}s, probing health every 0.5 s..." >&2
python3 bench/health_probe.py "$base" "$duration" "$work/cheap_paths" "$cheap_key" > "$work/probe.json" &
probe_pid=$!
pids+=("$probe_pid")
BENCH_PATHS="$work/expensive_paths" BENCH_KEYS="$keys" \
    wrk -t2 -c"$connections" -d"${duration}s" --timeout 35s -s bench/expensive.lua "$base" \
    > "$work/wrk.txt" 2>&1 || true
wait "$probe_pid"
load_after="$(cut -d' ' -f1 /proc/loadavg)"

report="$(python3 - "$work/probe.json" "$work/wrk.txt" "$probe_bound_ms" "$cheap_p99_bound_ms" "$work/baseline.json" <<'EOF'
import json, re, sys
data = json.load(open(sys.argv[1]))
wrk = open(sys.argv[2]).read()
probe_bound, cheap_bound = float(sys.argv[3]), float(sys.argv[4])
baseline = json.load(open(sys.argv[5]))

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")

rows, ok = [], True
for path in ("/health/live", "/health/ready"):
    ms = [m for p, s, m in data["probes"] if p == path]
    bad = [(s, m) for p, s, m in data["probes"] if p == path and (s != 200 or m > probe_bound)]
    ok &= not bad and bool(ms)
    rows.append((path, len(ms), len(bad), pct(ms, 50), pct(ms, 99), max(ms or [0]),
                 f"every probe 200 within {probe_bound:.0f} ms"))
cheap_ms = [m for s, m in data["cheap"]]
cheap_bad = sum(1 for s, m in data["cheap"] if s != 200)
cheap_p99 = pct(cheap_ms, 99)
ok &= cheap_bad == 0 and cheap_p99 <= cheap_bound
rows.append(("cheap in-memory", len(cheap_ms), cheap_bad, pct(cheap_ms, 50), cheap_p99,
             max(cheap_ms or [0]), f"all 200, p99 <= {cheap_bound:.0f} ms"))
requests = re.search(r"(\d+) requests in", wrk)
statuses = re.search(r"statuses:(.*)", wrk)
latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", wrk)
for path in ("/health/live", "/health/ready"):
    ms = [m for p, s, m in baseline["probes"] if p == path]
    rows.append((f"{path} (idle baseline)", len(ms), sum(1 for p, s, m in baseline["probes"] if p == path and s != 200),
                 pct(ms, 50), pct(ms, 99), max(ms or [0]), "reference, not judged"))
ms = [m for s, m in baseline["cheap"]]
rows.append(("cheap in-memory (idle baseline)", len(ms), sum(1 for s, m in baseline["cheap"] if s != 200),
             pct(ms, 50), pct(ms, 99), max(ms or [0]), "reference, not judged"))
print("| requests | n | failed | p50 ms | p99 ms | max ms | bound |")
print("|---|---:|---:|---:|---:|---:|---|")
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.1f} | {r[6]} |")
print()
print(f"expensive load: {requests.group(1) if requests else '?'} requests, statuses"
      f"{statuses.group(1) if statuses else ' ?'} (429/503 = shed at once by admission control), "
      f"mean latency {latency.group(1) if latency else '?'}")
print("RESULT: " + ("PASS" if ok else "FAIL"))
EOF
)"
echo "$report"
cpu="$(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')"
machine="$(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GB RAM, Postgres $(psql "$db_url" -At -c 'SHOW server_version')"
echo "machine: $machine; $rows_total rows; load average $load_before before the load, $load_after after"
if $record; then
    {
        echo
        echo "### Health under load run $(date -u '+%F %H:%M') UTC"
        echo
        knobs="$(env | grep -E '^(ADMISSION_|DB_POOL_SIZE|HTTP_WORKERS|CSV_EXPORT_)' | sort | tr '\n' ' ' || true)"
        echo "\`${knobs}bench/health-under-load.sh $db --duration $duration --connections $connections\` on $machine;"
        echo "$rows_total rows over 60 days (bench/generate.sh), rollup horizon 31 days, defaults otherwise."
        echo "$connections connections of distinct expensive requests (4 API keys) for ${duration} s, while"
        echo "/health/live and /health/ready are probed every 0.5 s (new connection each) and cheap in-memory"
        echo "requests run back to back on one connection (~50/s). Load average (whole machine, shared with"
        echo "other builds): $load_before before, $load_after after."
        echo
        echo "$report"
    } >> BENCHMARKS.md
    echo "recorded in BENCHMARKS.md" >&2
fi
grep -q "RESULT: PASS" <<< "$report"
