#!/usr/bin/env bash
# Browser tests (tests/browser/run.mjs) in headless Chromium: Swagger UI, a cross-origin page and
# the dashboard, against the release build on tests/browser/fixture.sql.
#
#   ./scripts/browser-tests.sh
#
# Needs Node.js/npm and Debian's chromium (`apt-get install chromium`; .ci/run installs it).
# Screenshots land in target/browser-artifacts/. TEST_DATABASE_URL: a Postgres where the user may
# create databases.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium)" >&2; exit 1; }
admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
read -r host port < <(url_host_port "$admin_url")
ensure_postgres "$host" "$port"
db="la_browser_$$"
db_url="${admin_url%/*}/$db"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    psql "$admin_url" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
    rm -rf "$work"
}
trap cleanup EXIT

export PGOPTIONS="-c client_min_messages=warning"
psql "$admin_url" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db"
psql "$db_url" -q -v ON_ERROR_STOP=1 -f tests/fixtures/litellm_schema.sql -f tests/browser/fixture.sql

(cd tests/browser && npm ci --no-audit --no-fund --silent)
cargo build --release --quiet

open_port="$(free_port)"
keyed_port="$(free_port)"
allowed_port="$(free_port)"
blocked_port="$(free_port)"
api_key="browser-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
start() { # port, extra env...
    local port="$1"
    shift
    env DATABASE_URL="$db_url" HOST=127.0.0.1 PORT="$port" SHUTDOWN_DRAIN_SECONDS=0 RUST_LOG=warn "$@" \
        ./target/release/litellm-analytics >> "$work/service.log" 2>&1 &
    pids+=($!)
}
start "$open_port" ALLOW_OPEN_API=true CORS_ALLOWED_ORIGINS="http://127.0.0.1:$allowed_port"
start "$keyed_port" API_KEYS="$api_key"
for p in "$open_port" "$keyed_port"; do
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$p/health/ready" >/dev/null && break; sleep 0.2; done
done

OPEN_BASE="http://127.0.0.1:$open_port" KEYED_BASE="http://127.0.0.1:$keyed_port" API_KEY="$api_key" \
    ALLOWED_PORT="$allowed_port" BLOCKED_PORT="$blocked_port" ARTIFACTS="$PWD/target/browser-artifacts" \
    node tests/browser/run.mjs
