"""Request plumbing: a request id for logs and audit records; addresses no page can read refused."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from structlog.contextvars import bind_contextvars, unbind_contextvars

from . import metrics

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_View = TypeVar("_View", bound=Callable[..., Any])


class RequestIdMiddleware:
    """Take the proxy's X-Request-ID when it is well-formed, otherwise make one; echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class RefuseNulMiddleware:
    """Answer 400, with a page in the reader's language, when the address holds a NUL character.

    No page uses one, and PostgreSQL refuses NUL in any text it stores or compares, so a `?q=`,
    `?center=` or slug carrying one (%00) was a server error wherever it reached a query.
    Checked once here, for every view, before it runs. A view that decodes the raw query
    string itself (an SMS gateway sends UCS-2 texts as bytes, zeros included) is marked with
    `reads_raw_query`. (Form fields refuse NUL themselves; application answers and inbound
    texts drop it.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable[..., HttpResponse], view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        if getattr(view_func, "reads_raw_query", False):
            return None
        if "\x00" in request.path or any("\x00" in key or any("\x00" in value for value in values)
                                          for key, values in request.GET.lists()):
            return render(request, "core/refused_address.html", status=400)
        return None


_request_log = logging.getLogger("khedmat.request")
# Views whose successful answers are not logged line by line: probes and scrapes every few seconds.
_QUIET_VIEWS = frozenset({"healthz", "readyz", "metrics"})


class ObservabilityMiddleware:
    """One log line and the request metrics per request, labelled by view name, never by raw path.

    Placed right after RequestIdMiddleware: the request id is known and bound to every log line
    written while the request runs (and handed to the Celery tasks it queues). The user's role
    is read after the view, from the user AuthenticationMiddleware already loaded. Kept cheap:
    perf measures the whole stack (docs/observability.md has the figure).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        metrics.start_counting()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        # Bound until the response is finished (core.apps unbinds it on request_finished), so
        # that Django's own "Not Found" and "Internal Server Error" lines, written after the
        # middleware returns, carry it too.
        bind_contextvars(request_id=getattr(request, "request_id", ""))
        response = self.get_response(request)
        duration = time.perf_counter() - started
        match = request.resolver_match
        view = (match.view_name or match.route or "unnamed") if match is not None else "unmatched"
        status = response.status_code
        metrics.observe_request(view=view, method=request.method or "", status=status, seconds=duration)
        level = logging.ERROR if status >= 500 else logging.INFO
        if (status >= 400 or view not in _QUIET_VIEWS) and _request_log.isEnabledFor(level):
            # A plain record (not through structlog's chain): the formatter adds the rest.
            _request_log.log(level, "request", extra={"log_fields": {
                "role": _role(request), "view": view, "route": match.route if match is not None else None,
                "method": request.method, "status": status, "duration_ms": round(duration * 1000, 2)}})
        return response


def unbind_request_id(**_kwargs: Any) -> None:
    """On request_finished: log lines written between requests carry no request id."""
    unbind_contextvars("request_id")


def _role(request: HttpRequest) -> str:
    """The role of whoever made the request ("anonymous" when nobody is signed in); never who."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    return str(getattr(user, "role", "") or "unknown")


def reads_raw_query(view: _View) -> _View:
    """Mark a view that reads request.META["QUERY_STRING"] as bytes: RefuseNulMiddleware lets
    NUL through to it, and the view answers for what it decodes."""
    view.reads_raw_query = True  # type: ignore[attr-defined]
    return view
