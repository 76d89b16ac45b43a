"""The request id travels with the Celery tasks a request queues (config/celery.py's signals),
so a task's log lines carry the id of the request that caused them."""

from __future__ import annotations

from typing import Any

from structlog.contextvars import bind_contextvars, get_contextvars, unbind_contextvars

HEADER = "khedmat_request_id"


def add_request_id_header(headers: dict[str, Any] | None) -> None:
    """Before a task is sent: put the current request id (if any) into its message headers."""
    request_id = get_contextvars().get("request_id")
    if headers is not None and request_id:
        headers[HEADER] = request_id


def bind_task_context(task: Any, task_id: str | None) -> None:
    """Before a task runs on a worker: bind its request id and name to the log lines it writes.
    A task run in-process (eager) already runs inside its request's context: left alone."""
    request = getattr(task, "request", None)
    if request is None or getattr(request, "is_eager", False):
        return
    request_id = getattr(request, HEADER, None) or (request.get(HEADER) if hasattr(request, "get") else None)
    bind_contextvars(request_id=request_id or "", task=getattr(task, "name", ""), task_id=task_id or "")


def unbind_task_context(task: Any) -> None:
    request = getattr(task, "request", None)
    if request is None or getattr(request, "is_eager", False):
        return
    unbind_contextvars("request_id", "task", "task_id")
