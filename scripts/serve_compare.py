"""What nginx in front costs or saves: the same URLs through nginx and straight to gunicorn, in
one run, against a running `make serve` (nginx on PORT, gunicorn on PORT + 1).

    DATABASE_URL=… make serve PORT=9320 &          # then, once it answers:
    .venv/bin/python scripts/serve_compare.py --port 9320 --clients 4 --seconds 5 --rounds 2

A closed loop: each client sends its next request when it has the answer. Prints requests/s and
p50/p95 for /healthz, a catalog page in Dari and a hashed static file (whitenoise answers it when
asked straight, nginx from disk otherwise). Ratios within one run are what count: absolute
figures drift with the machine's load.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def closed_loop(port: int, path: str, *, clients: int, seconds: float) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p95 ms, answers other than 200)."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
                if response.getheader("connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
            mine.append(time.perf_counter() - started)
            with lock:
                failures[0] += not ok
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return (len(latencies) / seconds, latencies[len(latencies) // 2] * 1000,
            latencies[int(len(latencies) * 0.95)] * 1000, failures[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080, help="make serve's PORT (nginx); gunicorn is PORT + 1")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    manifest = json.loads((BASE_DIR / "var" / "static" / "staticfiles.json").read_text(encoding="utf-8"))
    static = "/static/" + next(name for name in manifest["paths"].values() if name.endswith(".css"))
    paths = ["/healthz", "/fa/services/", static]
    print(f"{options.clients} clients, {options.seconds:.0f} s each, {options.rounds} rounds")
    for round_number in range(1, options.rounds + 1):
        for path in paths:
            for label, port in (("nginx", options.port), ("gunicorn", options.port + 1)):
                rate, p50, p95, failures = closed_loop(port, path, clients=options.clients, seconds=options.seconds)
                print(f"round {round_number}  {label:8s} {path[:48]:48s} {rate:7.0f}/s  p50 {p50:6.1f} ms  "
                      f"p95 {p95:6.1f} ms  not 200: {failures}")


if __name__ == "__main__":
    main()
