#!/usr/bin/env bash
# Property-based fuzzing of the API contract: schemathesis (PyPI) generates requests for every
# operation in /openapi.json of the real service (release build, demo data in a throw-away
# database, API keys on) and runs every check (`--checks all`): no server errors, the status code,
# content type, body and headers documented, schema-valid requests accepted and schema-violating
# ones rejected, protected operations refusing requests without the key, other methods answered
# 405 with Allow. scripts/fuzz_hooks.py keeps the fuzzer from inventing cursors. Exits non-zero on
# any failure.
#
#   ./scripts/fuzz-api.sh [--max-examples N]      (default 50 per operation and phase)
#
# schemathesis is installed once into $SCHEMATHESIS_VENV (default ~/.cache/litellm-analytics/
# schemathesis). TEST_DATABASE_URL: a Postgres where the user may create databases.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

max_examples=50
while [ $# -gt 0 ]; do
    case "$1" in
        --max-examples) max_examples="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

version="4.32.5"
venv="${SCHEMATHESIS_VENV:-$HOME/.cache/litellm-analytics/schemathesis}"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    echo "installing schemathesis $version into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==$version"
fi

admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
read -r host port < <(url_host_port "$admin_url")
ensure_postgres "$host" "$port"
db="la_fuzz_$$"
db_url="${admin_url%/*}/$db"
work="$(mktemp -d)"
service_pid=""
cleanup() {
    [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    psql "$admin_url" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
    rm -rf "$work"
}
trap cleanup EXIT

export PGOPTIONS="-c client_min_messages=warning"
psql "$admin_url" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db"
psql "$db_url" -q -v ON_ERROR_STOP=1 -f tests/fixtures/litellm_schema.sql -f scripts/demo_data.sql

cargo build --release --quiet
key="fuzz-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
api_port="$(free_port)"
base="http://127.0.0.1:$api_port"
# The fuzzer sends thousands of keyless requests on purpose (checking they are refused 401), so
# the per-address budget for failed authentications, which would turn them into 429s, is off.
DATABASE_URL="$db_url" HOST=127.0.0.1 PORT="$api_port" API_KEYS="$key" SHUTDOWN_DRAIN_SECONDS=0 \
    AUTH_FAILURES_PER_MINUTE=0 RUST_LOG=warn ./target/release/litellm-analytics > "$work/service.log" 2>&1 &
service_pid=$!
until curl -fs "$base/health/ready" >/dev/null; do
    kill -0 "$service_pid" 2>/dev/null || { cat "$work/service.log" >&2; exit 1; }
    sleep 0.3
done

hooks_dir="$PWD/scripts"
cd "$work" # schemathesis keeps its example database in the working directory
status=0
PYTHONPATH="$hooks_dir" SCHEMATHESIS_HOOKS=fuzz_hooks "$venv/bin/schemathesis" run "$base/openapi.json" \
    --header "Authorization: Bearer $key" \
    --checks all \
    --max-examples "$max_examples" --workers 2 --no-color || status=$?
# actix logs the malformed requests schemathesis sends (NUL bytes in headers) as parse errors; those
# are the client's. Anything else at ERROR, or a panic, is ours.
if grep -E "panicked|ERROR" "$work/service.log" | grep -v "request parse error" >&2; then
    echo "the service logged errors during fuzzing" >&2
    status=1
fi
exit "$status"
