"""A Celery task's log lines carry the request id of the request that queued it.

(Checked end to end with a real worker on Redis by hand, docs/observability.md; here the two
halves: the header the sender adds and the context the worker binds.)"""

from __future__ import annotations

from types import SimpleNamespace

from structlog.contextvars import bound_contextvars, get_contextvars

from khedmat.core.tasklog import HEADER, add_request_id_header, bind_task_context, unbind_task_context


def test_the_request_id_goes_into_the_task_headers() -> None:
    headers: dict[str, object] = {}
    with bound_contextvars(request_id="abcdef0123456789"):
        add_request_id_header(headers)
    assert headers[HEADER] == "abcdef0123456789"
    outside: dict[str, object] = {}
    add_request_id_header(outside)
    assert HEADER not in outside


def test_a_worker_binds_it_while_the_task_runs_and_lets_go_after() -> None:
    task = SimpleNamespace(name="core.run_job", request=SimpleNamespace(is_eager=False, **{HEADER: "abcdef0123456789"}))
    bind_task_context(task, "task-1")
    assert get_contextvars() == {"request_id": "abcdef0123456789", "task": "core.run_job", "task_id": "task-1"}
    unbind_task_context(task)
    assert "request_id" not in get_contextvars()


def test_an_eager_task_keeps_its_requests_context() -> None:
    task = SimpleNamespace(name="core.run_job", request=SimpleNamespace(is_eager=True))
    with bound_contextvars(request_id="abcdef0123456789"):
        bind_task_context(task, "task-1")
        assert get_contextvars() == {"request_id": "abcdef0123456789"}
        unbind_task_context(task)
        assert get_contextvars() == {"request_id": "abcdef0123456789"}
