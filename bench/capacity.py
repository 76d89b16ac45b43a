"""The national peak set against one node, priced with the CPU per request bench/http.py measured.

    .venv/bin/python bench/http.py --seconds 4 --clients 16 --json var/bench/http.json
    .venv/bin/python bench/capacity.py var/bench/http.json

docs/capacity.md derives the model; this prints it with a run's own figures, so the document can
be redone by anyone and says no more than a run showed. CPU per request is gunicorn's (master
and workers) plus its PostgreSQL backends', at the largest number of clients of the run: a
2-core node supplies 2,000 CPU-ms a second in all.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Applicants a day (docs/capacity.md, "The peak"): Kabul's centres, e-Tazkira and passports.
STREAMS = {"Kabul service centres": 2_000, "e-Tazkira (national)": 5_800, "passports (national)": 12_000}
WORKING_HOURS = 8
PEAK_HOUR_FACTOR = 2.0  # the morning queue at opening: the peak hour carries twice the average hour
PEAK_SECOND_FACTOR = 2.0  # arrivals bunch within the hour
AT_A_CENTRE = 0.6  # the rest apply online
BOARD_POLLS_PER_SECOND = 40  # 10 centres × 2 boards, each polling twice a second (board.js)
NODE_CPU_MS_PER_SECOND = 2_000  # 2 cores

# Each request an applicant makes, priced as the measured scenario closest to it. At a centre: 2 kiosk
# screens and the ticket page (as service pages), the ticket, the operator's call cycle and start.
AT_CENTRE_REQUESTS = {"service": 3, "kiosk": 1, "call": 5}
# Online: home, catalog, the service page and the submitted page, sign-in (3, as status checks) and 2
# status checks, the form and its upload, the payment notice (as a kiosk ticket), the officer's inbox
# and file, 3 officer or approver actions (as call next).
ONLINE_REQUESTS = {"home": 1, "catalog": 1, "service": 2, "status": 5, "submission": 2, "kiosk": 1, "officer": 2,
                   "call": 3}


def cpu_per_request(figures: dict) -> dict[str, float]:
    """CPU-ms per request of each scenario at the run's largest number of clients."""
    largest = max(figures["clients"])
    return {row["scenario"]: row["server_cpu_ms"] + row["database_cpu_ms"]
            for row in figures["scenarios"] if row["clients"] == largest}


def applicant_cost(cpu: dict[str, float], requests: dict[str, int]) -> float:
    missing = sorted(set(requests) - set(cpu))
    if missing:
        raise SystemExit(f"the run has no figures for {', '.join(missing)}: run bench/http.py with every scenario")
    return sum(cpu[key] * count for key, count in requests.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("figures", help="the JSON that bench/http.py --json wrote")
    args = parser.parse_args(argv)
    figures = json.loads(Path(args.figures).read_text(encoding="utf-8"))
    cpu = cpu_per_request(figures)

    a_day = sum(STREAMS.values())
    peak_per_second = a_day * PEAK_HOUR_FACTOR / WORKING_HOURS / 3600 * PEAK_SECOND_FACTOR
    peak_hour_per_second = a_day * PEAK_HOUR_FACTOR / WORKING_HOURS / 3600
    centre = applicant_cost(cpu, AT_CENTRE_REQUESTS)
    online = applicant_cost(cpu, ONLINE_REQUESTS)
    mixed = AT_A_CENTRE * centre + (1 - AT_A_CENTRE) * online
    boards = BOARD_POLLS_PER_SECOND * cpu["board304"]

    print(f"code {figures.get('code', '?')}; CPU-ms per request at {max(figures['clients'])} clients:")
    for key in sorted(cpu):
        print(f"  {key:11} {cpu[key]:6.2f}")
    print(f"applicants a day, all streams: {a_day:,}; peak second {peak_per_second:.2f}/s "
          f"(peak hour's average {peak_hour_per_second:.2f}/s)")
    print(f"per applicant: at a centre {centre:.0f} CPU-ms ({sum(AT_CENTRE_REQUESTS.values())} requests), "
          f"online {online:.0f} ({sum(ONLINE_REQUESTS.values())}), mix {mixed:.0f}; "
          f"boards {boards:.0f} CPU-ms a second")
    for label, rate in (("peak second", peak_per_second), ("peak hour", peak_hour_per_second)):
        need = rate * mixed + boards
        held = (NODE_CPU_MS_PER_SECOND - boards) / (rate * mixed)
        print(f"{label:12}: needs {need:,.0f} CPU-ms a second = {need / NODE_CPU_MS_PER_SECOND:.2f} of a node; "
              f"one node holds {held:.1f}× it; 10× needs {(10 * rate * mixed + boards) / NODE_CPU_MS_PER_SECOND:.2f} "
              "nodes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
