#!/usr/bin/env bash
# Runs the whole test suite against a real Postgres: ./scripts/test.sh
# Needs a Postgres where the URL's user may create databases (default: the local one, trust auth);
# set TEST_DATABASE_URL to use another. Each test creates and drops its own database.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
read -r host port < <(url_host_port "$TEST_DATABASE_URL")
ensure_postgres "$host" "$port"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --all-targets "$@" 2>&1 | tee "$log" || status=$?
# cargo prints one "test result:" line per test binary; add them up into one summary line.
awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i
        }
        n++
     }
     END { printf "SUMMARY: %d passed, %d failed, %d ignored (%d test binaries)\n", p, f, g, n }' "$log"
exit "$status"
