#!/usr/bin/env python3
"""Probes a running litellm-analytics for bench/health-under-load.sh: /health/live and
/health/ready every 0.5 s on a new connection each (as kubelet and the ALB do), and, meanwhile,
cheap in-memory requests back to back on one keep-alive connection. Prints one JSON object with
every probe's (path, status, ms) and the cheap requests' latencies and statuses.

    bench/health_probe.py <base-url> <seconds> <cheap-paths-file> <api-key>
"""
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlparse


def get(conn, path, key=None):
    headers = {"X-API-Key": key} if key else {}
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status, (time.perf_counter() - started) * 1000


def probes(host, port, seconds, out):
    end = time.monotonic() + seconds
    tick = time.monotonic()
    while tick < end:
        for path in ("/health/live", "/health/ready"):
            conn = http.client.HTTPConnection(host, port, timeout=5)
            started = time.perf_counter()
            try:
                status, _ = get(conn, path)
            except Exception:  # no answer within 5 s counts as a failed probe
                status = 0
            ms = (time.perf_counter() - started) * 1000
            conn.close()
            out.append((path, status, round(ms, 2)))
        tick += 0.5
        time.sleep(max(0.0, tick - time.monotonic()))


def cheap(host, port, seconds, paths, key, out):
    end = time.monotonic() + seconds
    conn = http.client.HTTPConnection(host, port, timeout=5)
    i = 0
    while time.monotonic() < end:
        path = paths[i % len(paths)]
        i += 1
        try:
            status, ms = get(conn, path, key)
        except Exception:
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=5)
            status, ms = 0, 5000.0
        out.append((status, round(ms, 2)))
        # About 50 requests/s: a dashboard's worth, not a second load generator.
        time.sleep(0.02)
    conn.close()


def main():
    base, seconds, paths_file, key = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
    url = urlparse(base)
    with open(paths_file) as f:
        paths = [line.strip() for line in f if line.strip()]
    probe_out, cheap_out = [], []
    threads = [
        threading.Thread(target=probes, args=(url.hostname, url.port, seconds, probe_out)),
        threading.Thread(target=cheap, args=(url.hostname, url.port, seconds, paths, key, cheap_out)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"probes": probe_out, "cheap": cheap_out}))


if __name__ == "__main__":
    main()
