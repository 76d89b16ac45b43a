"""One error shape for the whole API: RFC 9457 problem details, with a stable machine `code`.

Every refusal an endpoint raises is an `ApiProblem`; validation errors, unknown addresses,
throttles and server errors are turned into the same shape by the handlers in `api.py`.
A client branches on `code` (documented in docs/api.md), never on `title` or `detail`.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

PROBLEM_TYPE_BASE = "https://asan-khedmat.af/api/problems/"
CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Server error",
}


class ApiProblem(Exception):
    """A refusal: HTTP status, stable code, and a sentence for the developer reading it."""

    def __init__(self, status: int, code: str, detail: str = "", *, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra or {}
        self.headers = headers or {}


def problem_body(status: int, code: str, detail: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": PROBLEM_TYPE_BASE + code, "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail, "code": code, **extra}


def problem_response(status: int, code: str, detail: str = "", *, headers: dict[str, str] | None = None,
                     **extra: Any) -> HttpResponse:
    response = HttpResponse(json.dumps(problem_body(status, code, detail, **extra), ensure_ascii=False),
                            status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def from_exception(problem: ApiProblem) -> HttpResponse:
    return problem_response(problem.status, problem.code, problem.detail, headers=problem.headers, **problem.extra)
