"""What the observability middleware adds to each request: the request's log line (formatted,
redacted and written) and its metrics, in microseconds, in-process.

    .venv/bin/python bench/observability.py
    .venv/bin/python bench/observability.py --requests 20000 --multiprocess   # as under gunicorn

Calls `ObservabilityMiddleware` around a view that does nothing, with a request as Django's
URL resolver leaves it (a resolver match, an anonymous user), against the same view called
bare; the log line goes to /dev/null through the production formatter (JSON) or the
development one (console). --multiprocess sets PROMETHEUS_MULTIPROC_DIR to a temporary folder
first, as gunicorn's workers run (prometheus-client then keeps values in mmapped files).
Prints the median of --rounds rounds of --requests calls.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--multiprocess", action="store_true")
    args = parser.parse_args()
    if args.multiprocess:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="khedmat-bench-metrics-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from khedmat.core.logs import formatter
    from khedmat.core.middleware import ObservabilityMiddleware

    response = HttpResponse("ok")

    def view(_request: object) -> HttpResponse:
        return response

    request = RequestFactory().get("/en/services/passport/")
    request.resolver_match = resolve("/en/services/passport/")
    request.user = AnonymousUser()
    request.request_id = "0123456789abcdef"  # type: ignore[attr-defined]
    middleware = ObservabilityMiddleware(view)

    sink = open(os.devnull, "w")  # noqa: SIM115 (open for the whole run)
    handler = logging.StreamHandler(sink)
    request_logger = logging.getLogger("khedmat.request")
    request_logger.handlers[:] = [handler]
    request_logger.propagate = False
    request_logger.setLevel(logging.INFO)

    def per_call(call: object) -> float:
        start = time.perf_counter()
        for _ in range(args.requests):
            call(request)  # type: ignore[operator]
        return (time.perf_counter() - start) / args.requests * 1e6

    print(f"{args.requests} calls × {args.rounds} rounds, multiprocess={'yes' if args.multiprocess else 'no'}")
    bare = statistics.median(per_call(view) for _ in range(args.rounds))
    # For scale on a machine whose speed varies (shared cores): one plain standard-library log
    # line to /dev/null, measured in the same run.
    plain = logging.getLogger("bench.plain")
    plain_handler = logging.StreamHandler(sink)
    plain_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    plain.handlers[:] = [plain_handler]
    plain.propagate = False
    plain.setLevel(logging.INFO)
    baseline = statistics.median(per_call(lambda _request: plain.info("request %s", "GET"))
                                 for _ in range(args.rounds))
    print(f"  for scale: one plain stdlib log line {baseline:6.1f} µs")
    for fmt in ("json", "console"):
        handler.setFormatter(formatter(fmt))
        with_middleware = statistics.median(per_call(middleware) for _ in range(args.rounds))
        print(f"  {fmt:8} log line + metrics: {with_middleware - bare:6.1f} µs a request "
              f"({(with_middleware - bare) / baseline:.1f}× a plain log line)")
    request_logger.setLevel(logging.WARNING)
    metrics_only = statistics.median(per_call(middleware) for _ in range(args.rounds))
    print(f"  metrics only (request line off):  {metrics_only - bare:6.1f} µs a request")

if __name__ == "__main__":
    main()
