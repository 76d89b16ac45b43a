"""The one Celery task behind every periodic job (khedmat.core.jobs): beat sends its name."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import jobs


@shared_task(name="core.run_job", ignore_result=True)
def run_job(name: str) -> Any:
    return jobs.run_job(name)
