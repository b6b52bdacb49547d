# Shared helpers for the scripts in this folder (sourced, not run).

# Makes sure a Postgres answers at $1 (host) / $2 (port); starts the local Debian/Ubuntu cluster
# if one is installed but stopped.
ensure_postgres() {
    local host="${1:-127.0.0.1}" port="${2:-5432}"
    if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
        return 0
    fi
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        local version
        version="$(ls /etc/postgresql | sort -V | tail -n 1)"
        echo "Postgres is not answering on $host:$port; starting cluster $version/main" >&2
        pg_ctlcluster --skip-systemctl-redirect "$version" main start
        for _ in $(seq 1 30); do
            pg_isready -q -h "$host" -p "$port" && return 0
            sleep 1
        done
    fi
    echo "No Postgres answers on $host:$port. Start one (or set TEST_DATABASE_URL / DEMO_ADMIN_URL" >&2
    echo "to a server where user postgres may create databases) and try again." >&2
    return 1
}

# host and port of a postgres:// URL, space-separated (defaults 127.0.0.1 5432).
url_host_port() {
    local rest="${1#*://}"
    rest="${rest#*@}"
    rest="${rest%%/*}"
    local host="${rest%%:*}" port="5432"
    if [ "$rest" != "$host" ]; then port="${rest#*:}"; fi
    echo "${host:-127.0.0.1} ${port}"
}

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
