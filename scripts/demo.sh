#!/usr/bin/env bash
# Runs litellm-analytics on demo data in the local Postgres: ./scripts/demo.sh
# (Re)creates database litellm_demo with ~20k realistic LiteLLM_SpendLogs rows over the last 30
# days, builds the service and starts it on http://localhost:8000 (Ctrl-C stops it).
# DEMO_ADMIN_URL: a Postgres where the user may create databases (default: local, user postgres).
# PORT: where the API listens (default 8000).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

admin_url="${DEMO_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
read -r host port < <(url_host_port "$admin_url")
ensure_postgres "$host" "$port"
demo_url="${admin_url%/*}/litellm_demo"

echo "Creating database litellm_demo with demo data..."
export PGOPTIONS="-c client_min_messages=warning"
psql "$admin_url" -q -v ON_ERROR_STOP=1 \
    -c 'DROP DATABASE IF EXISTS litellm_demo WITH (FORCE)' \
    -c 'CREATE DATABASE litellm_demo'
psql "$demo_url" -q -v ON_ERROR_STOP=1 \
    -f tests/fixtures/litellm_schema.sql \
    -f scripts/demo_data.sql
psql "$demo_url" -At -c "SELECT count(*) || ' rows loaded' FROM \"LiteLLM_SpendLogs\""

echo "Building the service (release)..."
cargo build --release --quiet

api_port="${PORT:-8000}"
cat <<INFO

  Swagger UI:  http://localhost:${api_port}/docs/
  Try:         curl 'http://localhost:${api_port}/analytics/agent?agent_name=support-bot&agent_version=1.1.0&days=7'

INFO
# A local demo runs without keys; the service refuses that unless told so explicitly.
export DATABASE_URL="$demo_url" PORT="$api_port" RUST_LOG="${RUST_LOG:-info}" ALLOW_OPEN_API=true
exec ./target/release/litellm-analytics
