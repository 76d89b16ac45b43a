"""The REST API, `/api/v1/`: one NinjaAPI, a module per resource, one error shape.

OpenAPI 3 at /api/v1/openapi.json, its docs page at /api/v1/docs. Every error is a problem
(problems.py); the handlers below turn validation errors, unknown objects, throttles and
crashes into that shape.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from .problems import ApiProblem, from_exception, problem_response

logger = logging.getLogger(__name__)

class ProblemApi(NinjaAPI):
    """A NinjaAPI whose OpenAPI document says what it sends: errors as application/problem+json,
    and a `default` problem on every operation (413, 429, 500 can come from anywhere)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        document = super().get_openapi_schema(*args, **kwargs)
        problem = {"$ref": "#/components/schemas/Problem"}
        document.setdefault("components", {}).setdefault("schemas", {}).setdefault("Problem", {
            "type": "object", "required": ["type", "title", "status", "detail", "code"],
            "properties": {name: {"type": "integer" if name == "status" else "string"}
                           for name in ("type", "title", "status", "detail", "code")}})
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, response in responses.items():
                    code = str(status)  # "200", 404 or "default": ASCII digits only are a status
                    if code.isascii() and code.isdigit() and int(code) >= 400:
                        content = response.get("content") or {}
                        schema = content.get("application/json", {}).get("schema", problem)
                        response["content"] = {"application/problem+json": {"schema": schema}}
                responses["default"] = {"description": "A problem (RFC 9457)",
                                        "content": {"application/problem+json": {"schema": problem}}}
        return document


api = ProblemApi(
    title="Asan Khedmat API",
    version="1",
    description=(
        "Public catalog, centres and document verification without a key; agencies' files, steps, "
        "notes, payment notices and webhooks with a key (`Authorization: Bearer <key>`). Every error is an RFC 9457 "
        "problem (`application/problem+json`) with a stable `code`. Every POST takes an `Idempotency-Key`."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
)


@api.exception_handler(ApiProblem)
def _problem(request: HttpRequest, error: ApiProblem) -> HttpResponse:
    return from_exception(error)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors = [{"loc": [str(part) for part in item.get("loc", ())], "msg": str(item.get("msg", ""))}
              for item in error.errors]
    return problem_response(422, "validation_failed", "The request does not match the schema.", errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return problem_response(401, "not_authenticated", "Send a valid, live key: Authorization: Bearer <key>.",
                            headers={"WWW-Authenticate": "Bearer"})


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, error: Throttled) -> HttpResponse:
    # A public endpoint's limit (throttles.py); ninja adds Retry-After from the throttle's wait.
    return problem_response(429, "rate_limited", "Too many calls from your address; slow down, or send your key.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return problem_response(404, "not_found", "No such object, or not yours.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    if error.status_code == 400:
        return problem_response(400, "body_not_json", "The body is not valid JSON.")
    return problem_response(error.status_code, "server_error" if error.status_code >= 500 else "bad_request",
                            str(error))


@api.exception_handler(Exception)
def _crash(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.exception("api.crash", exc_info=error)
    return problem_response(500, "server_error", "Something went wrong on our side; it is logged.")


def unknown_address(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/v1/: a problem, not Django's HTML page."""
    return problem_response(404, "not_found", "No such endpoint.")


def register_routers() -> None:
    from .routes import catalog, centers, documents, files, payments, verify, webhooks

    api.add_router("/catalog", catalog.router)
    api.add_router("/centers", centers.router)
    api.add_router("/documents", verify.router)
    api.add_router("/files", files.router)
    api.add_router("/files", documents.router)
    api.add_router("/payments", payments.router)
    api.add_router("/webhooks", webhooks.router)


register_routers()

__all__: list[Any] = ["api", "unknown_address"]
