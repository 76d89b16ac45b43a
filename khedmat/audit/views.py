"""The public checkpoints page, the JSON feed for outsiders, and a citizen's proofs."""

from __future__ import annotations

import json

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from khedmat.core.parsing import NotANumber, parse_int

from . import selectors


@require_GET
def checkpoints(request: HttpRequest) -> HttpResponse:
    """The newest signed checkpoints and the keys that sign them: light, in three languages."""
    recent = selectors.audit_checkpoints(limit=selectors.PAGE_CHECKPOINTS)
    context = {"latest": recent[0] if recent else None, "earlier": recent[1:],
               "keys": selectors.audit_key_history(), "feed_url": reverse("audit_feed")}
    response = render(request, "audit/checkpoints.html", context)
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def feed(request: HttpRequest) -> JsonResponse:
    """The keys and the newest checkpoints as JSON; with ?since=N also the proof that the newest
    checkpoint extends the tree of N events (for monitors that kept an earlier one)."""
    since = None
    if "since" in request.GET:
        latest = selectors.audit_latest_checkpoint()
        try:
            since = parse_int(request.GET["since"], maximum=latest.tree_size if latest else 0)
        except NotANumber:
            return JsonResponse({"error": {"code": "bad_since", "message": _(
                "“since” must be a whole number of events, at most the size of the newest checkpoint.")}},
                status=400)
    response = JsonResponse(selectors.audit_feed(since=since), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@never_cache
@require_GET
def proof(request: HttpRequest) -> HttpResponse:
    """A file proving that events of the signed-in person's own file are in a signed checkpoint
    (?e=<event id>, repeatable). Anyone else's events are not found."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    raw = request.GET.getlist("e")
    try:
        event_ids = [parse_int(value, minimum=1) for value in raw]
    except NotANumber:
        event_ids = []
    if not event_ids or len(event_ids) > selectors.MAX_PROOF_EVENTS:
        return HttpResponseBadRequest(_("This proof link is not valid. Open it again from your file's page."),
                                      content_type="text/plain; charset=utf-8")
    bundle = selectors.audit_inclusion_proofs(subject=request.user, event_ids=event_ids)
    if bundle is None:
        raise Http404
    response = HttpResponse(json.dumps(bundle, ensure_ascii=False, indent=1) + "\n",
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-proof-{min(event_ids)}.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
