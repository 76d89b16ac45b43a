"""The public performance pages through the real server, each beside a bare control page in the same run.

    .venv/bin/python bench/performance_pages.py
    .venv/bin/python bench/performance_pages.py --seconds 10 --clients 1,4 --json var/bench/performance.json

PostgreSQL from DATABASE_URL (default postgres://postgres@127.0.0.1:5432/khedmat_bench_performance; a
database whose name starts with khedmat_bench, dropped and made again): a copy of the seeded template
that bench/http.py keeps (`<name>_seed`: migrate + seed_demo). In the copy, the public figures are
replaced by the daily rows one million applications and one million served visits over the last year
leave (`insights.synthetic`, written in bulk, as the build job would write them: a row per day, service
and center; the months summed from them). Then gunicorn (4 sync workers, config.settings.production
through bench/control_settings.py, Redis cache) serves each page to closed-loop clients; printed per
page: requests/s, p50/p95/p99, the control's figures, and PASS/MISS for p95 < 100 ms (issue 12).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and bench/http.py would hide the
# standard library's `http`: take the folder off, and put the repository on instead.
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    del sys.path[0]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bench.http import local_env, seeded_copy, static_stamp
from bench.http_support import (
    BASE_DIR,
    Browser,
    Server,
    Tally,
    collect_static,
    free_port,
    percentile_ms,
    postgres_version,
    run_clients,
    server_env,
)

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/khedmat_bench_performance"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
APPLICATIONS = 1_000_000
VISITS = 1_000_000
TARGET_P95_MS = 100.0
PAGES = {
    "index": "/en/performance/",
    "service": "/en/performance/services/passport/",
    "service-fa": "/fa/performance/services/passport/",
    "agency": "/fa/performance/agencies/interior/",
    "center": "/ps/performance/centers/kabul/",
}
CONTROL = "/bench/control/page/"

FILL = """
import datetime, json, os
from django.db import connection
from django.utils import timezone
from khedmat.insights.models import DailyFigure, FigureDay, MonthlyFigure
from khedmat.insights.synthetic import demonstration_offers, figures_write_synthetic
DailyFigure.objects.all().delete(); MonthlyFigure.objects.all().delete(); FigureDay.objects.all().delete()
today = timezone.localdate()
days = [today - datetime.timedelta(days=back) for back in range(365, -1, -1)]
rows = figures_write_synthetic(days=days, offers=demonstration_offers(), skip_built=False,
                               applications_per_day=int(os.environ["BENCH_APPLICATIONS"]) // len(days),
                               visits_per_day=int(os.environ["BENCH_VISITS"]) // len(days))
with connection.cursor() as cursor:
    cursor.execute("ANALYZE insights_dailyfigure; ANALYZE insights_monthlyfigure")
    cursor.execute("SELECT sum(received), sum(served), count(*) FROM insights_dailyfigure")
    received, served, count = cursor.fetchone()
print(json.dumps({"rows": count, "applications": received, "visits": served,
                  "monthly_rows": MonthlyFigure.objects.count()}))
"""


def bench_database_url(given: str) -> str:
    if given.startswith(("postgres://", "postgresql://")) and urlsplit(given).path.lstrip("/").startswith(
            "khedmat_bench"):
        return given
    if given.startswith(("postgres://", "postgresql://")):
        return urlsplit(given)._replace(path="/khedmat_bench_performance").geturl()
    return DEFAULT_DATABASE


def fill_figures(url: str, log: Path) -> dict[str, int]:
    """Replace the copy's figures by a year of 1M applications' and 1M visits' daily rows."""
    import subprocess

    python = str(BASE_DIR / ".venv" / "bin" / "python")
    with log.open("ab") as err:
        env = {**local_env(url), "BENCH_APPLICATIONS": str(APPLICATIONS), "BENCH_VISITS": str(VISITS)}
        done = subprocess.run([python, "manage.py", "shell", "-c", FILL], cwd=BASE_DIR, env=env,
                              stdout=subprocess.PIPE, stderr=err, check=False)
    if done.returncode != 0:
        raise SystemExit(f"filling the figures failed; see {log}")
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def get_client(port: int, path: str, kind: str) -> Callable[[int, float, Tally], None]:
    def client(index: int, deadline: float, tally: Tally) -> None:
        browser = Browser(port)
        while time.perf_counter() < deadline:
            answer = browser.get(path)
            ok = tally.record(kind, answer, problem="" if b"</html>" in answer.body or kind == "control"
                              else "no whole page")
            if ok:
                tally.finished()
        browser.close()
    return client


def figures_of(tally: Tally, seconds: float) -> dict[str, float]:
    latencies = tally.every_latency()
    return {"requests": tally.requests, "rate": tally.requests / seconds if seconds else 0.0,
            "p50_ms": percentile_ms(latencies, 50), "p95_ms": percentile_ms(latencies, 95),
            "p99_ms": percentile_ms(latencies, 99), "unexpected": tally.unexpected_count()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="each page's turn per number of clients")
    parser.add_argument("--clients", default="1,4", help="numbers of clients (default 1,4)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--json", default="", metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.clients.split(",") if n.strip()]
    url = bench_database_url(os.environ.get("DATABASE_URL", ""))
    work = Path(tempfile.mkdtemp(prefix="khedmat-bench-performance-"))
    log = work / "setup.log"
    server: Server | None = None
    pages_out: list[dict[str, Any]] = []
    controls_out: list[dict[str, Any]] = []
    results: dict[str, Any] = {"pages": pages_out, "controls": controls_out}
    try:
        began = time.perf_counter()
        print(f"Setting up in {work} …", flush=True)
        seeded = seeded_copy(url, log)
        filled = fill_figures(url, log)
        print(f"  {seeded}; {filled['rows']:,} daily rows and {filled['monthly_rows']:,} monthly rows of "
              f"{filled['applications']:,} applications and {filled['visits']:,} visits "
              f"({time.perf_counter() - began:.0f} s)", flush=True)
        static_root = BASE_DIR / "var" / "bench" / "http-static"
        env = server_env(database_url=url, static_root=static_root, private_root=work / "files",
                         extra={"CACHE_URL": args.redis})
        stamp = static_stamp()
        if not (static_root / ".bench-stamp").exists() or (static_root / ".bench-stamp").read_text() != stamp:
            collect_static(BASE_DIR, env, log)
            (static_root / ".bench-stamp").write_text(stamp)
        server = Server(name="bench-performance", tree=BASE_DIR, database_url=url, port=free_port(),
                        log=work / "gunicorn.log", env=env, workers=args.workers)
        server.start()
        server.wait_ready()
        print(f"{postgres_version(url)}, {os.cpu_count()} CPUs; gunicorn {args.workers} sync workers, "
              "config.settings.production via bench/control_settings.py, Redis cache", flush=True)
        for path in [CONTROL, *PAGES.values()]:  # warm-up: every page must answer before any timing
            warm = run_clients(server, clients=1, seconds=0.3, client=get_client(server.port, path, "warm"))
            if warm.tally.unexpected_count() or not warm.tally.requests:
                raise SystemExit(f"{path} did not answer: {dict(warm.tally.unexpected)}; see {server.log}")
        header = f"{'page':<12} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  {'p95 < 100 ms'}"
        print(header)
        print("-" * len(header))
        missed = 0
        for clients in counts:
            control = run_clients(server, clients=clients, seconds=args.seconds / 2,
                                  client=get_client(server.port, CONTROL, "control"))
            row: dict[str, Any] = {"page": "control", "path": CONTROL, "clients": clients,
                                   **figures_of(control.tally, control.seconds)}
            controls_out.append(row)
            print(f"{'control':<12} {clients:>7} {row['rate']:>8.1f} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
                  f"{row['p99_ms']:>8.1f}  (a bare page render, no database)")
            for name, path in PAGES.items():
                done = run_clients(server, clients=clients, seconds=args.seconds,
                                   client=get_client(server.port, path, name))
                row = {"page": name, "path": path, "clients": clients, **figures_of(done.tally, done.seconds)}
                passed = row["p95_ms"] < TARGET_P95_MS and not row["unexpected"]
                missed += not passed
                pages_out.append(row)
                print(f"{name:<12} {clients:>7} {row['rate']:>8.1f} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
                      f"{row['p99_ms']:>8.1f}  {'PASS' if passed else 'MISS'}"
                      + (f" ({row['unexpected']} unexpected answers)" if row["unexpected"] else ""), flush=True)
        tracebacks = (work / "gunicorn.log").read_text(errors="replace").count("Traceback")
        results.update({"figures": filled, "server_tracebacks": tracebacks, "target_p95_ms": TARGET_P95_MS})
        print(f"\n{len(PAGES)} pages × {len(counts)} client counts; {missed} missed; server tracebacks: {tracebacks}")
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(results, indent=1))
        return 0 if not missed and not tracebacks else 1
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    raise SystemExit(main())
