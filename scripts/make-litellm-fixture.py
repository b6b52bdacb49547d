#!/usr/bin/env python3
"""Regenerates tests/fixtures/litellm_real_rows.sql from LiteLLM's own code.

Drives LiteLLM's proxy app in-process (FastAPI TestClient, a mock model, `mock_response`), captures
the spend-log rows its own payload builder produces (the point where the proxy would hand them to
its database writer), and writes them as SQL: the CREATE TABLE of "LiteLLM_SpendLogs" from
LiteLLM's real Prisma migrations (applied with psql to a scratch database) plus one INSERT per row,
with timestamps moved to fixed dates so that tests are deterministic.

Not run by CI: CI only loads the generated fixture. To rerun (needs network for pip, a local
Postgres as for the tests, and psql):

    python3 -m venv ~/venv-litellm
    ~/venv-litellm/bin/pip install litellm==1.110.2 litellm-proxy-extras==0.4.110 \
        websockets fastapi uvicorn backoff orjson apscheduler python-multipart cryptography \
        pyjwt email-validator redis semver expression fastapi-sso mcp soundfile
    LITELLM_LOCAL_MODEL_COST_MAP=True ~/venv-litellm/bin/python scripts/make-litellm-fixture.py

Environment: ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres) for the scratch
database; OUT (default tests/fixtures/litellm_real_rows.sql).
"""

import asyncio
import datetime as dt
import importlib.metadata
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download of the price map

import litellm  # noqa: E402
import litellm_proxy_extras  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from litellm.proxy import proxy_server  # noqa: E402
from litellm.proxy.db.db_spend_update_writer import DBSpendUpdateWriter  # noqa: E402
from litellm.proxy.hooks.proxy_track_cost_callback import ProxyDBLogger  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = pathlib.Path(os.environ.get("OUT", ROOT / "tests/fixtures/litellm_real_rows.sql"))
ADMIN_URL = os.environ.get("ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SCRATCH = "la_litellm_fixture_scratch"
MASTER_KEY = "sk-" + "5f0c" * 16  # any strong-looking key; nothing checks it but the proxy

# The rows land on these days (UTC), in the order of CALLS; the tests pin "now" after the last.
DAY_ONE = dt.datetime(2025, 3, 10, 9, 0, 0)
DAY_TWO = dt.datetime(2025, 3, 11, 15, 0, 0)

AGENT = {"agent_name": "real-bot", "agent_version": "1.110.2", "agent_app_name": "fixture-app"}


def agent(user, session):
    return {**AGENT, "agent_user_id": user, "agent_session_id": session}


# (label, store prompts?, request body extras, extra headers, stream?)
CALLS = [
    ("slm-prompts-off", False,
     {"metadata": {"spend_logs_metadata": agent("u-1", "s-1")}, "mock_response": "Reply one."},
     {}, False),
    ("slm-prompts-on", True,
     {"metadata": {"spend_logs_metadata": agent("u-1", "s-1")}, "mock_response": "Reply two, longer."},
     {}, False),
    ("plain-prompts-on", True,
     {"metadata": agent("u-2", "s-2"), "mock_response": "Plain metadata reply."},
     {}, False),
    ("plain-prompts-off", False,
     {"metadata": agent("u-3", "s-3"), "mock_response": "Lost metadata reply."},
     {}, False),
    ("header-prompts-off", False,
     {"mock_response": "Header reply."},
     {"x-litellm-spend-logs-metadata": json.dumps(agent("u-2", "s-2"))}, False),
    ("failure-prompts-off", False,
     {"metadata": {"spend_logs_metadata": agent("u-1", "s-1")}, "mock_response": "litellm.RateLimitError"},
     {}, False),
    ("stream-prompts-on", True,
     {"metadata": {"spend_logs_metadata": agent("u-3", "s-4")}, "mock_response": "Streamed reply text."},
     {}, True),
    # A second version, prompts off: an agent whose replies are not stored.
    ("slm-v2-prompts-off", False,
     {"metadata": {"spend_logs_metadata": {**agent("u-4", "s-5"), "agent_version": "2.0.0"}},
      "mock_response": "Version two reply."},
     {}, False),
]


def config():
    """One mock deployment per call: a client's own mock_response is refused unless its key's
    metadata allows it, and this run has no key database. No retries, so a failure is one row."""
    models = "".join(
        f"""
  - model_name: {label}
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: sk-not-used-mock-responses-only
      mock_response: {json.dumps(extra["mock_response"])}
""" for label, _, extra, _, _ in CALLS)
    return f"""
model_list:{models}
router_settings:
  num_retries: 0
litellm_settings:
  num_retries: 0
general_settings:
  master_key: {MASTER_KEY}
"""


def psql(db, *args, stdin=None):
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + db
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", *args], input=stdin,
                          capture_output=True, text=True, check=True).stdout


def migrated_schema():
    """CREATE TABLE "LiteLLM_SpendLogs" (and its indexes) as LiteLLM's migrations leave it."""
    psql("postgres", "-c", f"DROP DATABASE IF EXISTS {SCRATCH}", "-c", f"CREATE DATABASE {SCRATCH}")
    migrations = pathlib.Path(litellm_proxy_extras.__file__).parent / "migrations"
    for folder in sorted(p for p in migrations.iterdir() if p.is_dir()):
        psql(SCRATCH, "-f", str(folder / "migration.sql"))
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + SCRATCH
    dump = subprocess.run(["pg_dump", url, "--schema-only", "--no-owner", "--no-privileges",
                           "-t", '"LiteLLM_SpendLogs"'], capture_output=True, text=True, check=True).stdout
    columns = psql(SCRATCH, "-c", "SELECT column_name || ' ' || data_type FROM information_schema.columns "
                   "WHERE table_name = 'LiteLLM_SpendLogs' ORDER BY ordinal_position").split("\n")
    psql("postgres", "-c", f"DROP DATABASE {SCRATCH}")
    keep = [line for line in dump.splitlines()
            if line and not line.startswith(("--", "SET ", "SELECT pg_catalog", "\\"))]
    return "\n".join(keep), dict(c.split(" ", 1) for c in columns if c)


captured = []


async def capture(self, payload, prisma_client=None, spend_logs_url=None, llm_router=None):
    """Stands in for the database writer: keeps the payload the proxy would insert."""
    captured.append(dict(payload))
    return prisma_client


def drive():
    DBSpendUpdateWriter._insert_spend_log_to_db = capture
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(config())
    os.environ["CONFIG_FILE_PATH"] = f.name  # read by the proxy's start-up (lifespan)
    labelled = []
    with TestClient(proxy_server.app) as client:
        # The proxy registers its spend logger only when it has a database (cost_tracking());
        # register it the same way, in-process, with the writer above standing in for Postgres.
        db_logger = ProxyDBLogger(None)
        litellm.logging_callback_manager.add_litellm_callback(db_logger)
        litellm.logging_callback_manager.add_litellm_async_success_callback(db_logger)
        for label, prompts, extra, headers, stream in CALLS:
            proxy_server.general_settings["store_prompts_in_spend_logs"] = prompts
            before = len(captured)
            body = {"model": label, "stream": stream,
                    "messages": [{"role": "user", "content": f"Question for {label}?"}],
                    **{k: v for k, v in extra.items() if k != "mock_response"}}
            response = client.post("/chat/completions", json=body,
                                   headers={"Authorization": f"Bearer {MASTER_KEY}", **headers})
            print(label, response.status_code, file=sys.stderr)
            deadline = time.time() + 20
            while len(captured) == before and time.time() < deadline:
                time.sleep(0.05)
                client.portal.call(asyncio.sleep, 0.01)
            if len(captured) != before + 1:
                sys.exit(f"{label}: expected one spend-log row, got {len(captured) - before}")
            labelled.append((label, captured[-1]))
    return labelled


def sql_literal(value, data_type):
    if value is None:
        return "NULL"
    if data_type == "jsonb":
        text = value if isinstance(value, str) else json.dumps(value)
        return "'" + text.replace("'", "''") + "'::jsonb"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def parse_time(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)


def shifted(labelled):
    """Moves each row so its startTime is a fixed instant, keeping its own durations."""
    rows = []
    for i, (label, payload) in enumerate(labelled):
        base = (DAY_ONE if i < 4 else DAY_TWO) + dt.timedelta(minutes=10 * i)
        start = parse_time(payload["startTime"])
        row = dict(payload)
        for key in ("startTime", "endTime", "completionStartTime"):
            if row.get(key):
                row[key] = (base + (parse_time(row[key]) - start)).isoformat(sep=" ", timespec="milliseconds")
        row["created_at"] = row["updated_at"] = (base + dt.timedelta(seconds=5)).isoformat(sep=" ")
        rows.append((label, row))
    return rows


def main():
    schema, columns = migrated_schema()
    labelled = drive()
    version = importlib.metadata.version("litellm")
    out = [f"-- Rows written by LiteLLM {version}'s own proxy code (mock_response, in-process), with the table",
           "-- its Prisma migrations (litellm-proxy-extras) create. Generated by",
           "-- scripts/make-litellm-fixture.py; do not edit by hand. Timestamps moved to fixed dates.",
           schema, ""]
    dropped = set()
    for label, row in shifted(labelled):
        names = [k for k in row if k in columns]
        dropped |= {k for k in row if k not in columns}
        values = [sql_literal(row[k], columns[k]) for k in names]
        out.append(f"-- {label}")
        out.append('INSERT INTO "LiteLLM_SpendLogs" (%s) VALUES (%s);'
                   % (", ".join(f'"{n}"' for n in names), ", ".join(values)))
    out.append("")
    OUT.write_text("\n".join(out))
    print(f"wrote {len(labelled)} rows to {OUT}; payload keys that are no column: {sorted(dropped)}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
