"""The API's two figures (issue 13), through gunicorn on PostgreSQL, in one run:

1. the public catalog read (GET /api/v1/catalog/services) beside a bare Django JSON answer of
   the same size (/bench/control/json/): target ≥ 0.5 of the control's rate;
2. an agency's system listing 1,000 of its files by keyset pages (GET /api/v1/files,
   100 a page, following next_cursor) among ROWS files (default one million): target p95 of a
   page < 50 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/khedmat_bench_api .venv/bin/python bench/api.py
    … --rows 2000 --seconds 0.5 --json figures.json   (the test's short run, tests/test_bench_api.py)
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as bench/api.py, bench/ comes first on the path and its http.py would hide the standard
# library's http: the project's root instead.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench.http_support import Answer, Server, Tally, free_port, percentile_ms, run_clients, server_env  # noqa: E402
from bench.support import configure_postgres  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/khedmat_bench_api"
PAGE = 100
LISTED = 1000


def prepare(rows: int) -> str:
    """The demonstration's Ministry of Interior with `rows` files (added by one INSERT … SELECT
    the first time) and a read key; returns the key."""
    from django.db import connection

    from khedmat.accounts.services import citizen_get_or_create
    from khedmat.api.services import api_key_create
    from khedmat.applications.models import Application
    from khedmat.catalog.models import Service

    service = Service.objects.filter(current_version__isnull=False).select_related("agency").order_by("pk").first()
    assert service is not None, "seed_demo published no service"
    citizen, _made = citizen_get_or_create(phone_number="+93700555000")
    have = Application.objects.filter(agency=service.agency).count()
    if have < rows:
        fields = [field for field in Application._meta.concrete_fields if not field.primary_key]
        values = {"public_id": "gen_random_uuid()", "reference": "NULL", "service_id": str(service.pk),
                  "service_version_id": str(service.current_version_id), "agency_id": str(service.agency_id),
                  "applicant_id": str(citizen.pk), "state": "'submitted'", "is_final": "false",
                  "data": "'{}'::jsonb", "created_at": "now() - (n || ' seconds')::interval",
                  "updated_at": "now() - (n || ' seconds')::interval",
                  "submitted_at": "now() - (n || ' seconds')::interval", "due_date": "current_date + (n %% 30)"}
        columns, expressions, params = [], [], []
        for field in fields:
            columns.append(connection.ops.quote_name(field.column))
            if field.attname in values:
                expressions.append(values[field.attname])
            elif field.null:
                expressions.append("NULL")
            else:
                expressions.append("%s")
                params.append(field.get_db_prep_save(field.get_default(), connection))
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {Application._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
                           f"SELECT {', '.join(expressions)} FROM generate_series(1, %s) AS n",
                           [*params, rows - have])
            cursor.execute(f"ANALYZE {Application._meta.db_table}")
    return api_key_create(agency=service.agency, name=f"bench {time.time():.0f}", scopes=["read"]).token


def _get(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    connection.request("GET", path, headers={"Host": "127.0.0.1", **headers})
    response = connection.getresponse()
    return response.status, response.read()


def reads(server: Server, path: str, *, clients: int, seconds: float) -> dict[str, object]:
    def client(index: int, deadline: float, tally: Tally) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            status, body = _get(connection, path, {})
            tally.record("GET", Answer(status=status, headers={}, body=body, seconds=time.perf_counter() - began))
        connection.close()

    measured = run_clients(server, clients=clients, seconds=seconds, client=client)
    return {"path": path, "requests": measured.tally.requests, "rate": round(measured.rate, 1),
            "p95_ms": round(percentile_ms(measured.tally.every_latency(), 95), 2),
            "unexpected": {kind: dict(counts) for kind, counts in measured.tally.unexpected.items()}}


def listing(server: Server, token: str, *, rounds: int) -> dict[str, object]:
    """Follow next_cursor for LISTED files, `rounds` times; the latency of every page."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    latencies: list[float] = []
    unexpected: dict[str, int] = {}
    listed = 0
    for _round in range(rounds):
        after, seen = "", 0
        while seen < LISTED:
            query = urlencode({"limit": PAGE, **({"after": after} if after else {})})
            began = time.perf_counter()
            status, body = _get(connection, f"/api/v1/files?{query}", {"Authorization": f"Bearer {token}"})
            latencies.append(time.perf_counter() - began)
            if status != 200:
                unexpected[str(status)] = unexpected.get(str(status), 0) + 1
                break
            page = json.loads(body)
            seen += len(page["items"])
            after = page["next_cursor"] or ""
            if not after:
                break
        listed += seen
    connection.close()
    return {"pages": len(latencies), "files": listed, "p50_ms": round(percentile_ms(latencies, 50), 2),
            "p95_ms": round(percentile_ms(latencies, 95), 2), "max_ms": round(percentile_ms(latencies, 100), 2),
            "unexpected": unexpected}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5, help="times to list 1,000 files")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    configure_postgres(database_url, bench="bench/api.py")
    token = prepare(args.rows)
    workdir = Path(tempfile.mkdtemp(prefix="khedmat-bench-api-"))
    env = server_env(database_url=database_url, static_root=workdir / "static", private_root=workdir,
                     extra={"API_KEY_RATE_LIMIT": str(10**9), "API_PUBLIC_RATE_LIMIT": str(10**9),
                            "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/14")})
    server = Server(name="api", tree=Path(__file__).resolve().parent.parent, database_url=database_url,
                    port=free_port(), log=workdir / "gunicorn.log", env=env, workers=2)
    server.start()
    try:
        server.wait_ready()
        control = reads(server, "/bench/control/json/", clients=args.clients, seconds=args.seconds)
        catalog = reads(server, "/api/v1/catalog/services", clients=args.clients, seconds=args.seconds)
        listing(server, token, rounds=1)  # warm-up: each worker's first requests load what it keeps
        pages = listing(server, token, rounds=args.rounds)
    finally:
        server.stop()
    log = (workdir / "gunicorn.log").read_text(errors="replace")
    figures = {"rows": args.rows, "control": control, "catalog": catalog,
               "catalog_to_control": round(float(catalog["rate"]) / float(control["rate"]), 3)  # type: ignore[arg-type]
               if control["rate"] else None,
               "listing": pages, "server_tracebacks": log.count("Traceback")}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
