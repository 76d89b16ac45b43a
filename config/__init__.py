"""The project package. Importing it loads the Celery app, so that tasks sent from Django
(the outbox's hand-off after commit) use the settings' broker, or run in-process without one."""

from .celery import app as celery_app

__all__ = ("celery_app",)
