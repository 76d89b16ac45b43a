"""The center manager's list of low ratings (2 or below), with the citizen's reason and
comment, the ticket, service, counter and operator, and what was done about each:
/<lang>/center/ratings/.

Only a manager of the rating's own center sees it or records a follow-up: any other
rating id is a 404. The list shows the citizens' mobile numbers (to call them back), so
each reading of it is audited, as is each follow-up.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from khedmat.accounts.gates import signed_in_user, staff_page
from khedmat.accounts.permissions import is_center_manager
from khedmat.accounts.phone import display_mobile_number
from khedmat.audit.services import audit_record

from . import selectors
from .manager_forms import FollowUpForm, LowRatingsFilter
from .services import FollowUpError, rating_follow_up_record

manager_required = staff_page(is_center_manager)


def _page(request: HttpRequest, *, failed: tuple[int, FollowUpForm] | None = None,
          status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    center = user.center
    assert center is not None  # is_center_manager holds
    shown = LowRatingsFilter(request.GET or None, today=timezone.localdate())
    start, end = shown.span()
    open_only = shown.is_bound and shown.is_valid() and bool(shown.cleaned_data.get("open"))
    items = selectors.low_ratings(center_id=center.pk, start=start, end=end, open_only=open_only)
    audit_record(action="feedback.low_ratings_read", target_type="centers.center", target_id=center.code,
                 actor=user, data={"ratings": [item.rating.pk for item in items],
                                   "start": start.isoformat(), "end": end.isoformat()}, request=request)
    forms: dict[int, FollowUpForm] = {}
    for item in items:
        if failed is not None and failed[0] == item.rating.pk:
            forms[item.rating.pk] = failed[1]
        else:
            forms[item.rating.pk] = FollowUpForm(initial={"key": uuid.uuid4().hex}, prefix=f"r{item.rating.pk}")
    rows: list[dict[str, Any]] = [
        {"item": item, "form": forms[item.rating.pk],
         "phone": display_mobile_number(item.rating.ticket.phone) if item.rating.ticket.phone else ""}
        for item in items]
    if not (shown.is_bound and shown.errors):
        shown = LowRatingsFilter(initial={"start": start, "end": end, "open": open_only}, today=shown.today)
    return render(request, "feedback/manager/low_ratings.html", {
        "center": center, "rows": rows, "filter": shown, "start": start, "end": end,
        "shown_limit": selectors.LOW_RATINGS_SHOWN, "query": request.GET.urlencode(),
    }, status=status)


@never_cache
@manager_required
@require_GET
def low_ratings(request: HttpRequest) -> HttpResponse:
    return _page(request)


@never_cache
@manager_required
@require_POST
def follow_up(request: HttpRequest, rating_id: int) -> HttpResponse:
    user = signed_in_user(request)
    rating = selectors.low_rating_of_center(center_id=user.center_id, rating_id=rating_id)
    if rating is None:
        raise Http404
    form = FollowUpForm(request.POST, prefix=f"r{rating.pk}")
    back = f"{reverse('feedback:low_ratings')}?{request.GET.urlencode()}#rating-{rating.pk}"
    if not form.is_valid():
        return _page(request, failed=(rating.pk, form), status=422)
    try:
        rating_follow_up_record(rating=rating, by=user, method=form.cleaned_data["method"],
                                note=form.cleaned_data["note"], key=form.cleaned_data["key"], request=request)
    except FollowUpError as error:
        form.add_error(None, error.message)
        return _page(request, failed=(rating.pk, form), status=422)
    messages.success(request, _("The follow-up is recorded."))
    return redirect(back)
