#!/usr/bin/env bash
# A 10-minute soak: bench/load.sh in 10 one-minute segments, printing requests by status and
# the service's RSS after each minute.   bench/soak.sh <database> [--connections N]
set -euo pipefail
cd "$(dirname "$0")/.."
db="${1:?usage: bench/soak.sh <database> [--connections N]}"
shift
exec bench/load.sh "$db" --duration 600 --segments 10 "$@"
