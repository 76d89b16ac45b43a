"""Idempotency keys on every POST of the API, and the cap on a request's size.

A POST with `Idempotency-Key` is answered once: the same key and the same body again get the
answer kept (replayed, `Idempotent-Replayed: true`); the same key with another body is a 422
problem. Answers are kept per owner (the caller's bearer token, hashed; without one, the
client's address) for API_IDEMPOTENCY_KEEP_HOURS. Server errors and throttles are not kept:
a retry of those runs again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from khedmat.core.ratelimit import client_ip

from . import services
from .problems import problem_response

PREFIX = "/api/v1/"
NOT_KEPT = {401, 429}


def _owner(request: HttpRequest) -> str:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return "token:" + hashlib.sha256(authorization.encode()).hexdigest()[:56]
    return "ip:" + client_ip(request)[:60]


class ApiRequestMiddleware:
    """Caps the body size of API requests and applies idempotency keys to their POSTs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        return _as_problem(self._answer(request))

    def _answer(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            return problem_response(413, "body_too_large",
                                    f"A request body may hold at most {settings.API_MAX_BODY_BYTES} bytes.")
        key = request.headers.get("Idempotency-Key", "")
        if request.method != "POST" or not key:
            return self.get_response(request)
        if len(key) > 200:
            return problem_response(422, "idempotency_key_invalid", "An Idempotency-Key has at most 200 characters.")
        body_hash = hashlib.sha256(request.body).hexdigest()
        owner = _owner(request)
        scoped_key = f"{request.path}|{key}"
        kept = services.idempotent_answer_get(owner=owner, key=scoped_key)
        if kept is not None:
            if kept.body_sha256 != body_hash:
                return problem_response(422, "idempotency_key_reused",
                                        "This Idempotency-Key was used with another body.")
            response = HttpResponse(bytes(kept.body), status=kept.status, content_type=kept.content_type)
            response["Idempotent-Replayed"] = "true"
            return response
        response = self.get_response(request)
        if response.status_code < 500 and response.status_code not in NOT_KEPT and not response.streaming:
            services.idempotent_answer_keep(owner=owner, key=scoped_key, body_sha256=body_hash,
                                            status=response.status_code,
                                            content_type=response.get("Content-Type", "application/json"),
                                            body=response.content)
        return response


CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


def _as_problem(response: HttpResponse) -> HttpResponse:
    """An error answered by Django or a middleware before the API (a NUL refused, a body too
    large, a method not allowed) in the API's one error shape, not an HTML page."""
    content_type = response.get("Content-Type", "")
    if response.status_code < 400 or content_type.startswith(("application/problem+json", "application/json")):
        return response
    status = response.status_code
    kept = {name: response[name] for name in ("Allow", "Retry-After", "WWW-Authenticate") if name in response}
    return problem_response(status, CODES.get(status, "server_error" if status >= 500 else "bad_request"),
                            "The request was refused before it reached the API.", headers=kept)
