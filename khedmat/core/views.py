"""Operational endpoints: liveness, readiness and metrics (docs/observability.md)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import metrics as metrics_module
from .readiness import OK, readiness


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while this process answers: liveness, asking no dependency (a load balancer that
    restarted servers whenever the database hiccuped would make an outage worse; /readyz says
    whether to send traffic)."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the cache and (when configured) the broker answer; 503 naming
    those that did not. Says which, never where or why: no host, port or error text."""
    checks = readiness()
    failed = sorted(name for name, state in checks.items() if state not in (OK, "not configured"))
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed, "checks": checks}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})


def _bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus metrics, for a scraper with METRICS_TOKEN or staff whose role may see them.

    A wrong token is a 401; staff whose role may not see them get a 403; anyone else (nobody
    signed in, a citizen) a 404, as for any staff page: no hint that the address exists.
    """
    token = _bearer_token(request)
    expected = getattr(settings, "METRICS_TOKEN", "")
    if token is not None:
        if not expected or not constant_time_compare(token, expected):
            response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    else:
        verdict = metrics_module.viewer_verdict(request.user)
        if verdict == "forbid":
            return HttpResponse(gettext("Only platform administrators may read the metrics.") + "\n", status=403,
                                content_type="text/plain; charset=utf-8")
        if verdict != "allow":
            raise Http404
    return HttpResponse(metrics_module.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
