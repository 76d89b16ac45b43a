"""Celery application: used when CELERY_BROKER_URL is set; otherwise tasks run in-process.

`celery -A config.celery worker` delivers the outbox; `celery -A config.celery beat` sends
the periodic jobs that the apps register in khedmat.core.jobs (make worker, make beat).
"""
import os
from typing import Any

from celery import Celery, signals

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


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_connections(sender: Any = None, **_kwargs: Any) -> None:
    """A task on a worker keeps its database connection as a request does (CONN_MAX_AGE,
    health checks, a broken one replaced). Celery's Django fix-up would open a new one for
    every task, which cost the outbox half its throughput; CELERY_DB_REUSE_MAX keeps it out.
    A task run in-process (eager) is left alone: it runs in its caller's transaction."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


# --- observability (issue 11): worker logs as the web's, and the request id of the request ---
# that queued a task (docs/observability.md).
@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def json_worker_logs(logger: Any = None, **_kwargs: Any) -> None:
    """With LOG_FORMAT=json (production), the handlers Celery sets up write our JSON lines,
    personal data masked; otherwise Celery's own readable format stays."""
    from django.conf import settings

    if logger is None or getattr(settings, "LOG_FORMAT", "") != "json":
        return
    from khedmat.core.logs import formatter

    for handler in logger.handlers:
        handler.setFormatter(formatter("json"))


@signals.before_task_publish.connect
def send_request_id(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    from khedmat.core.tasklog import add_request_id_header

    add_request_id_header(headers)


@signals.task_prerun.connect
def bind_request_id(task: Any = None, task_id: str | None = None, **_kwargs: Any) -> None:
    from khedmat.core.tasklog import bind_task_context

    bind_task_context(task, task_id)


@signals.task_postrun.connect
def unbind_request_id(task: Any = None, **_kwargs: Any) -> None:
    from khedmat.core.tasklog import unbind_task_context

    unbind_task_context(task)
