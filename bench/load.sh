#!/usr/bin/env bash
# Sustained mixed load: every endpoint (summaries, lists, CSV, sessions, users, catalog,
# comparison, metrics query, plus intended 404s) from many connections, in segments; after each
# segment prints the requests by status and the service's RSS. Fails on any unintended non-2xx
# (anything but the 404s asked for and 429s) or socket error, or when RSS keeps growing.
#
#   bench/load.sh <database> [--duration S] [--connections N] [--segments K]
#
# CI runs 30 s / 64 connections in 3 segments; bench/soak.sh runs 10 minutes. The database is one
# made by bench/generate.sh (or scripts/demo.sh's litellm_demo with BENCH_AGENT/BENCH_VERSION).
# Env: BENCH_ADMIN_URL, BENCH_AGENT, BENCH_VERSION, BENCH_OTHER_VERSION, API_KEY_FOR_LOAD (runs
# the service with API_KEYS set to it, and sends it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

db="${1:?usage: bench/load.sh <database> [--duration S] [--connections N] [--segments K]}"
shift
duration=30
connections=64
segments=3
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --segments) segments="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "bench/load.sh needs wrk (apt-get install wrk)" >&2; exit 1; }

admin_url="${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
read -r host port < <(url_host_port "$admin_url")
ensure_postgres "$host" "$port"
db_url="${admin_url%/*}/$db"
agent="${BENCH_AGENT:-support-bot}"
version="${BENCH_VERSION:-2.1.0}"
other="${BENCH_OTHER_VERSION:-2.0.3}"
key="${API_KEY_FOR_LOAD:-}"
work="$(mktemp -d)"
service_pid=""
cleanup() {
    [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "building (release)..." >&2
cargo build --release --quiet
api_port="$(free_port)"
base="http://127.0.0.1:$api_port"
# Without API_KEY_FOR_LOAD the service runs open, which it does only when told so.
DATABASE_URL="$db_url" HOST=127.0.0.1 PORT="$api_port" SHUTDOWN_DRAIN_SECONDS=0 RUST_LOG=warn \
    API_KEYS="$key" ALLOW_OPEN_API=true ./target/release/litellm-analytics > "$work/service.log" 2>&1 &
service_pid=$!
auth=()
[ -n "$key" ] && auth=(-H "X-API-Key: $key")
until curl -fs "$base/health/ready" >/dev/null; do
    kill -0 "$service_pid" 2>/dev/null || { cat "$work/service.log" >&2; exit 1; }
    sleep 0.3
done

q="agent_name=$agent&agent_version=$version"
session=$(curl -fs "${auth[@]}" "$base/sessions?$q&days=20&limit=1" \
    | python3 -c 'import json,sys; s=json.load(sys.stdin)["sessions"]; print(s[0]["session_id"] if s else "none")')
{
    for d in 1 7 20; do
        for e in analytics/agent activitytimeline tokens-usage total-tokens latency users sessions; do
            echo "/$e?$q&days=$d"
        done
        echo "/detailed-usage?$q&days=$d&limit=100"
        echo "/recentmessages?$q&days=$d&limit=50"
        echo "/sessions/$session?$q&days=$d"
        echo "/agents?days=$d"
        echo "/agents/compare?agent_name=$agent&versions=$other,$version&days=$d"
    done
    echo "/activitytimeline?$q&days=7&granularity=hour&tz=Europe/Berlin"
    echo "/tokens-usage?$q&days=20&format=csv"
    echo "/detailed-usage?$q&days=1&format=csv&limit=500"
    echo "/metrics/query?metrics=requests,spend,latency_p95&group_by=agent_name&days=1"
    echo "/health/ready"
    # Intended 404s: an agent version that does not exist.
    echo "/analytics/agent?agent_name=$agent&agent_version=no-such-version&days=7"
    echo "/sessions?agent_name=no-such-agent&agent_version=1&days=7"
} > "$work/paths"
echo "$(wc -l < "$work/paths") distinct paths, $connections connections, $duration s in $segments segments" >&2

rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$service_pid/status"; }
segment_seconds=$(( duration / segments ))
[ "$segment_seconds" -ge 1 ] || segment_seconds=1
bad=0
rss_first=""
printf '%-8s %-10s %-8s %s\n' "elapsed" "requests" "rss_mb" "statuses"
for i in $(seq 1 "$segments"); do
    out=$(BENCH_PATHS="$work/paths" BENCH_API_KEY="$key" \
        wrk -t2 -c"$connections" -d"${segment_seconds}s" -s bench/mixed.lua "$base")
    statuses=$(echo "$out" | awk '/^STATUS/ { $1 = ""; print substr($0, 2) }')
    requests=$(echo "$out" | awk '/requests in/ { print $1 }')
    rss=$(rss_mb)
    [ -n "$rss_first" ] || rss_first="$rss"
    printf '%-8s %-10s %-8s %s\n' "$((i * segment_seconds))s" "$requests" "$rss" "$statuses"
    # Everything but 2xx, the intended 404s and 429s is an error; so is any socket error.
    unintended=$(echo "$statuses" | tr ' ' '\n' | awk -F= '
        $1 == "socket_errors" { n += $2; next }
        $1 !~ /^2/ && $1 != "404" && $1 != "429" { n += $2 }
        END { print n + 0 }')
    bad=$((bad + unintended))
done
rss_last=$(rss_mb)
growth=$(awk -v a="$rss_first" -v b="$rss_last" 'BEGIN { printf "%.1f", b - a }')
echo "unintended errors: $bad; RSS after the first segment ${rss_first} MB, at the end ${rss_last} MB (${growth} MB)"
if grep -E "panicked|ERROR" "$work/service.log" >&2; then
    echo "FAIL: the service logged errors" >&2
    exit 1
fi
# Stable: growth after the first segment (caches, buffers warmed) stays within 25% + 16 MB.
if ! awk -v a="$rss_first" -v b="$rss_last" 'BEGIN { exit !(b <= a * 1.25 + 16) }'; then
    echo "FAIL: RSS grew from ${rss_first} MB to ${rss_last} MB" >&2
    exit 1
fi
[ "$bad" -eq 0 ] || { echo "FAIL: $bad unintended errors" >&2; exit 1; }
echo "PASS"
