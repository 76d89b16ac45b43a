"""Run the periodic jobs on one machine, where no Celery beat runs (`make jobs`).

Each app registers its jobs (khedmat.core.jobs); this command runs each at its interval
until stopped, or every job once with --once (cron can call that instead). A job that
fails is logged and tried again at its next turn; the others go on.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from khedmat.core import jobs

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the platform's periodic jobs (the outbox sweep, escalations, reminders, payments…)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run each job once, then stop.")
        parser.add_argument("--only", nargs="+", metavar="JOB", help="Run only these jobs.")
        parser.add_argument("--list", action="store_true", help="List the jobs and their intervals.")

    def handle(self, *args: Any, **options: Any) -> None:
        registered = jobs.registered()
        chosen = options["only"] or list(registered)
        unknown = sorted(set(chosen) - set(registered))
        if unknown:
            raise CommandError(f"unknown job(s): {', '.join(unknown)}; known: {', '.join(registered)}")
        if options["list"]:
            for job in registered.values():
                self.stdout.write(f"{job.name:24} every {job.every_seconds:>6} s  {job.description}")
            return
        if options["once"]:
            for name in chosen:
                self._run(name)
            return
        due = dict.fromkeys(chosen, 0.0)
        self.stdout.write(f"Running {', '.join(chosen)} (Ctrl-C stops).")
        try:
            while True:
                now = time.monotonic()
                for name in chosen:
                    if due[name] <= now:
                        self._run(name)
                        due[name] = time.monotonic() + registered[name].every_seconds
                time.sleep(max(0.2, min(due.values()) - time.monotonic()))
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    def _run(self, name: str) -> None:
        try:
            result = jobs.run_job(name)
        except Exception:
            logger.exception("job %s failed; it runs again at its next turn", name)
            self.stderr.write(f"{name}: failed (see the log)")
        else:
            self.stdout.write(f"{name}: {result}")
