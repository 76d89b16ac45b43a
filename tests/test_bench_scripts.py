"""Every bench script starts the way the Makefile runs it (`python bench/X.py`): as a script,
its folder comes first on sys.path, where bench/http.py once hid the standard library's
`http` and broke `make fault-drill`, `bench-sms`, `bench-ussd` and `bench-events` at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BENCH = Path(settings.BASE_DIR) / "bench"
SCRIPTS = sorted(path.name for path in BENCH.glob("*.py") if 'if __name__ == "__main__"' in path.read_text())


def test_the_scripts_are_found() -> None:
    assert {"http.py", "fault_drill.py", "sms.py", "ussd.py", "events_overhead.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_bench_script_starts_as_the_makefile_runs_it(script: str) -> None:
    result = subprocess.run([sys.executable, str(BENCH / script), "--help"], cwd=settings.BASE_DIR,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout
