"""The Makefile is the way in: `make help` lists every target, `make run` sets up, seeds and serves."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.availability import unavailable

BASE_DIR = Path(settings.BASE_DIR)
TARGETS = ["run", "test", "lint", "migrate", "seed", "messages", "bench", "screenshots", "worker", "clean"]


def make(*args: str) -> str:
    if shutil.which("make") is None:
        unavailable("GNU make is not installed", install="sudo apt-get install make")
    result = subprocess.run(["make", "--no-print-directory", *args], cwd=BASE_DIR, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_help_lists_every_target_with_one_line() -> None:
    lines = make("help").splitlines()
    described = {line.split()[0]: line for line in lines[1:] if line.startswith("  ")}
    for target in TARGETS:
        assert target in described, f"make help does not list {target}"
        assert len(described[target].split()) > 2, f"{target} has no description"


@pytest.mark.parametrize("port", ["8000", "8765"])
def test_make_run_migrates_seeds_lists_logins_and_serves_on_the_port(port: str) -> None:
    commands = make("--dry-run", "--always-make", "run", f"PORT={port}")
    order = ["compile_translations", "migrate", "seed_demo", "demo_logins", f"runserver 127.0.0.1:{port}"]
    positions = [commands.find(step) for step in order]
    assert -1 not in positions, commands
    assert positions == sorted(positions), commands
    assert "config.settings.local" in commands
    assert f"http://127.0.0.1:{port}" in commands
    # One public address, from the port: every manage.py command (demo_logins, the server) gets it.
    assert f"PUBLIC_BASE_URL='http://127.0.0.1:{port}'" in commands.split("demo_logins")[0].rsplit("\n", 1)[-1]
    assert f"PUBLIC_BASE_URL='http://127.0.0.1:{port}'" in commands.split("runserver")[0].rsplit("\n", 1)[-1]
    # Staff are pointed to their own sign-in page (the citizens' one asks for a mobile number).
    assert f"Staff sign in at http://127.0.0.1:{port}/en/account/staff/sign-in/" in commands
