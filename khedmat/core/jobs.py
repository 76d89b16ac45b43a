"""Work driven by the clock: each app registers its periodic jobs here in `ready()`.

In production Celery beat runs each job at its interval (config/celery.py builds the
schedule from this registry); on one machine `manage.py run_jobs` does the same in a loop.
Every job must be safe to run again, and twice at once: a missed or doubled run changes
nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: int
    run: Callable[[], Any]
    description: str = ""


_jobs: dict[str, Job] = {}


def register(name: str, *, every_seconds: int, run: Callable[[], Any], description: str = "") -> None:
    """Add a periodic job (idempotent: the same name again replaces it)."""
    _jobs[name] = Job(name=name, every_seconds=every_seconds, run=run, description=description)


def registered() -> dict[str, Job]:
    return dict(sorted(_jobs.items()))


def run_job(name: str) -> Any:
    """Run one job now, logging how long it took and what it returned."""
    job = _jobs[name]
    started = time.monotonic()
    result = job.run()
    logger.info("job %s done in %.2fs: %s", name, time.monotonic() - started, result)
    return result
