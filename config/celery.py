"""Celery application: used when CELERY_BROKER_URL is set; otherwise tasks run in-process.

`celery -A config.celery worker` delivers the outbox; `celery -A config.celery beat` sends
the periodic jobs that the apps register in khedmat.core.jobs (make worker, make beat).
"""
import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
app = Celery("khedmat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def schedule_periodic_jobs(sender: Celery, **_kwargs: Any) -> None:
    """One beat entry per registered job, each running `core.run_job` with its name. The jobs
    are registered by the apps' `ready()`, so Django is set up first (a no-op when it is)."""
    import django

    django.setup()
    from khedmat.core import jobs

    for job in jobs.registered().values():
        sender.add_periodic_task(float(job.every_seconds), sender.signature("core.run_job", args=[job.name]),
                                 name=job.name)
