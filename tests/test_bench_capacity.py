"""bench/capacity.py prices the peak with a run's figures: the sums docs/capacity.md shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import capacity


def figures(cpu: dict[str, float]) -> dict:
    return {"code": "test", "clients": [1, 16], "scenarios": [
        *({"scenario": key, "clients": 16, "server_cpu_ms": value * 0.8, "database_cpu_ms": value * 0.2}
          for key, value in cpu.items()),
        *({"scenario": key, "clients": 1, "server_cpu_ms": 999.0, "database_cpu_ms": 0.0} for key in cpu),
    ]}


EVERY = ["kiosk", "join", "call", "board", "board304", "home", "service", "catalog", "submission", "status", "officer"]


def test_applicants_are_priced_at_the_largest_number_of_clients(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "http.json"
    path.write_text(json.dumps(figures({key: 10.0 for key in EVERY} | {"board304": 1.0})))

    assert capacity.main([str(path)]) == 0

    out = capsys.readouterr().out
    # 9 requests at a centre, 17 online, every one at 10 ms: 90 and 170, mixed 60/40 = 122; boards 40 × 1 ms.
    assert "at a centre 90 CPU-ms (9 requests), online 170 (17), mix 122; boards 40 CPU-ms" in out
    # 19,800 a day over 8 hours, twice in the peak hour and twice again in the peak second: 2.75 a second.
    assert "peak second 2.75/s" in out
    # (2,000 − 40) ÷ (2.75 × 122) = 5.8× the peak second on one node.
    assert "one node holds 5.8× it" in out


def test_a_run_without_every_scenario_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "http.json"
    path.write_text(json.dumps(figures({"kiosk": 10.0, "board304": 1.0})))

    with pytest.raises(SystemExit, match="no figures for"):
        capacity.main([str(path)])
