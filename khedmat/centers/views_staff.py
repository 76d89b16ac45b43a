"""The staff's pages at a center (under /<lang>/center/): the operator's counter screen, the
center manager's dashboard with its CSV export, and the manager's page of the hall's paired
screens (kiosks, rating tablets: khedmat.centers.devices). The rating tablet's own page is
the feedback app's, run by a paired device and no staff session.

Every action is a POST that redirects back to the screen (post/redirect/get); a refused
action changes nothing and comes back as a message in the reader's language. People of one
center never reach another center's counters or tickets: those are 404s.
"""

from __future__ import annotations

import csv
import datetime
import itertools
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from khedmat.accounts.gates import signed_in_user, staff_page, works_at_a_center
from khedmat.accounts.permissions import is_center_manager, is_platform_admin
from khedmat.core.formatting import format_code, format_number
from khedmat.core.parsing import parse_int_or_none
from khedmat.core.public import public_url

from . import queue, selectors, stats
from .devices import DeviceError, PairingCode, device_pairing_code_issue
from .devices import device_add as device_add_service
from .devices import device_revoke as device_revoke_service
from .models import Center, Counter, Device, Ticket
from .staff_forms import CounterOpenForm, DayForm, DeviceAddForm, TransferForm

if TYPE_CHECKING:
    from khedmat.accounts.models import User


# --- who may come in --------------------------------------------------------------------------------

def _runs_a_dashboard(user: Any) -> bool:
    return is_center_manager(user) or is_platform_admin(user)


counter_staff_required = staff_page(works_at_a_center)
dashboard_staff_required = staff_page(_runs_a_dashboard)
# A center's screens are paired by its own manager (a platform administrator has no center).
devices_staff_required = staff_page(is_center_manager)


def _user(request: HttpRequest) -> User:
    return signed_in_user(request)


def _counter_number(counter: Counter) -> str:
    return format_number(counter.number)


# --- the counter screen -----------------------------------------------------------------------------

@never_cache
@counter_staff_required
@require_GET
def counter(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    assert user.center is not None
    own = selectors.counter_of(user=user)
    context: dict[str, Any] = {"center": user.center, "counter": own, "max_recalls": settings.QUEUE_MAX_RECALLS}
    if own is None:
        counters = stats.counters_to_open(center=user.center)
        context.update(counters=counters, open_form=CounterOpenForm(counters=counters))
        return render(request, "centers/staff/counter_open.html", context)
    ticket = stats.counter_current_ticket(counter=own)
    context.update(ticket=ticket, waiting=stats.counter_waiting_count(counter=own))
    if ticket is not None:
        now = timezone.now()
        waited_until = ticket.called_at or now
        context.update(
            waited_minutes=max(0, int((waited_until - ticket.waiting_since).total_seconds() // 60)),
            no_show_allowed=ticket.status == Ticket.Status.CALLED and ticket.recalls >= settings.QUEUE_MAX_RECALLS,
            transfer_form=TransferForm(services=stats.transfer_services(center=user.center),
                                       counters=stats.transfer_counters(counter=own)),
        )
    return render(request, "centers/staff/counter.html", context)


def _back_to_counter() -> HttpResponse:
    return redirect("centers:counter")


@never_cache
@counter_staff_required
@require_POST
def counter_open(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    assert user.center is not None
    form = CounterOpenForm(request.POST, counters=stats.counters_to_open(center=user.center))
    chosen = parse_int_or_none(request.POST.get("counter"), minimum=1, maximum=2**31 - 1)
    if chosen is None:
        messages.error(request, _("Choose the counter you sit at."))
        return _back_to_counter()
    # Another center's counter (or one that does not exist) is not found, whatever its state.
    target = stats.counter_get(center=user.center, pk=chosen)
    if target is None:
        raise Http404
    if not form.is_valid():
        messages.error(request, _("Someone else is signed in at counter %(number)s.") % {
            "number": _counter_number(target)})
        return _back_to_counter()
    try:
        opened = queue.counter_open(counter=target, operator=user)
    except queue.QueueError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You are signed in at counter %(number)s.") % {
            "number": _counter_number(opened)})
    return _back_to_counter()


def _own_counter_or_message(request: HttpRequest) -> Counter | None:
    own = selectors.counter_of(user=_user(request))
    if own is None:
        messages.error(request, _("Open a counter first."))
    return own


@never_cache
@counter_staff_required
@require_POST
def counter_state(request: HttpRequest) -> HttpResponse:
    """Pause, resume or close (sign out of) the counter."""
    action = request.POST.get("action", "")
    changes = {"pause": queue.counter_pause, "resume": queue.counter_resume, "close": queue.counter_close}
    if action not in changes:
        messages.error(request, _("Choose what to do with the counter."))
        return _back_to_counter()
    own = _own_counter_or_message(request)
    if own is None:
        return _back_to_counter()
    try:
        changed = changes[action](counter=own, operator=_user(request))
    except queue.QueueError as error:
        messages.error(request, error.message)
        return _back_to_counter()
    if action == "pause":
        messages.success(request, _("The counter is paused: no ticket is called to it until you resume."))
    elif action == "resume":
        messages.success(request, _("The counter is open again and calls tickets."))
    else:
        messages.success(request, _("You are signed out of counter %(number)s.") % {
            "number": _counter_number(changed)})
    return _back_to_counter()


@never_cache
@counter_staff_required
@require_POST
def counter_call(request: HttpRequest) -> HttpResponse:
    own = _own_counter_or_message(request)
    if own is None:
        return _back_to_counter()
    try:
        ticket = queue.ticket_call_next(counter=own)
    except queue.QueueError as error:
        messages.error(request, error.message)
        return _back_to_counter()
    if ticket is None:
        messages.info(request, _("Nobody is waiting for the services of your counter."))
    else:
        messages.success(request, _("Ticket %(number)s is called to your counter.") % {
            "number": format_code(ticket.display_number)})
    return _back_to_counter()


TICKET_ACTIONS = ("recall", "no_show", "start", "finish", "transfer")


@never_cache
@counter_staff_required
@require_POST
def counter_ticket(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Recall, mark a no-show, start, finish or transfer the ticket at the counter."""
    user = _user(request)
    ticket = selectors.ticket_at_center(center_id=user.center_id, public_id=public_id)
    if ticket is None:
        raise Http404
    action = request.POST.get("action", "")
    if action not in TICKET_ACTIONS:
        messages.error(request, _("Choose what to do with the ticket."))
        return _back_to_counter()
    own = _own_counter_or_message(request)
    if own is None:
        return _back_to_counter()
    number = format_code(ticket.display_number)
    try:
        if action == "transfer":
            assert user.center is not None
            form = TransferForm(request.POST, services=stats.transfer_services(center=user.center),
                                counters=stats.transfer_counters(counter=own))
            if not form.is_valid():
                for error in itertools.chain.from_iterable(form.errors.values()):
                    messages.error(request, str(error))
                return _back_to_counter()
            queue.ticket_transfer(counter=own, ticket=ticket, service=form.cleaned_data["service"],
                                  to_counter=form.cleaned_data["to_counter"])
            messages.success(request, _("Ticket %(number)s is sent on: it keeps its number and its place in "
                                        "the queue.") % {"number": number})
        elif action == "recall":
            recalled = queue.ticket_recall(counter=own, ticket=ticket)
            messages.success(request, _("Ticket %(number)s is called again (%(count)s of %(max)s).") % {
                "number": number, "count": format_number(recalled.recalls),
                "max": format_number(settings.QUEUE_MAX_RECALLS)})
        elif action == "no_show":
            queue.ticket_no_show(counter=own, ticket=ticket)
            messages.success(request, _("Ticket %(number)s: marked as not come (its holder did not come).") % {
                "number": number})
        elif action == "start":
            queue.ticket_start(counter=own, ticket=ticket)
            messages.success(request, _("Service of ticket %(number)s has started.") % {"number": number})
        else:
            queue.ticket_finish(counter=own, ticket=ticket)
            messages.success(request, _("Ticket %(number)s is served. The citizen can rate the service on the "
                                        "tablet now.") % {"number": number})
    except queue.QueueError as error:
        messages.error(request, error.message)
    return _back_to_counter()


# --- the dashboard --------------------------------------------------------------------------------------

def _dashboard_center(request: HttpRequest) -> tuple[Center, list[Center]]:
    """The center whose figures are asked for: a manager's own (any other is a 404), or the
    one a platform administrator chose (the first, if none)."""
    user = _user(request)
    asked = request.GET.get("center", "")
    if is_platform_admin(user):
        centers = stats.centers_for_dashboard()
        if asked:
            chosen = stats.center_by_slug(slug=asked)
            if chosen is None:
                raise Http404
            return chosen, centers
        if not centers:
            raise Http404
        return centers[0], centers
    center = user.center
    if center is None or (asked and asked != center.slug):
        raise Http404
    return center, []


@never_cache
@dashboard_staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    center, centers = _dashboard_center(request)
    day = DayForm(request.GET or None).chosen_day()
    today = timezone.localdate()
    report = stats.day_report(center=center, day=day, rtl=get_language_bidi())

    def day_link(other: datetime.date) -> str:
        query = {"day": other.isoformat(), **({"center": center.slug} if centers else {})}
        return f"{reverse('centers:dashboard')}?{urlencode(query)}"

    csv_query = {"day": day.isoformat(), **({"center": center.slug} if centers else {})}
    context = {
        "center": center, "centers": centers, "day": day, "today": today, "is_today": day == today,
        "report": report, "live_services": stats.live_services(center=center),
        "live_counters": stats.live_counters(center=center),
        "previous_day": day_link(day - datetime.timedelta(days=1)),
        "next_day": day_link(day + datetime.timedelta(days=1)) if day < today else "",
        "csv_url": f"{reverse('centers:dashboard_csv')}?{urlencode(csv_query)}",
    }
    return render(request, "centers/staff/dashboard.html", context)


CSV_HEADER = ("scope", "key", "name", "issued", "served", "transferred", "no_shows",
              "waiting_median_minutes", "waiting_p90_minutes", "service_median_minutes", "service_p90_minutes",
              "waiting_standard_breaches", "rating_average", "ratings")


def _plain(value: Any) -> str:
    """A number as a machine reads it (no grouping, Western digits); "" for none."""
    return "" if value is None else str(value)


def _cell(text: str) -> str:
    """Text a spreadsheet will not take for a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


@never_cache
@dashboard_staff_required
@require_GET
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    center, _centers = _dashboard_center(request)
    day = DayForm(request.GET or None).chosen_day()
    with translation.override("en"):  # names in English, like the headers
        report = stats.day_report(center=center, day=day)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="asan-khedmat-{center.code}-{day.isoformat()}.csv"'
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in report.rows():
        writer.writerow([
            row.scope, _cell(row.key), _cell(row.label), _plain(row.issued), row.served, row.transferred, row.no_shows,
            _plain(row.waiting.median_minutes), _plain(row.waiting.p90_minutes),
            _plain(row.service_time.median_minutes), _plain(row.service_time.p90_minutes),
            row.breaches, _plain(row.rating_average), row.ratings,
        ])
    return response


# --- the hall's paired screens ------------------------------------------------------------------

def _managed_center(request: HttpRequest) -> Center:
    center = _user(request).center
    assert center is not None  # is_center_manager holds
    return center


def _devices_page(request: HttpRequest, *, form: DeviceAddForm | None = None, status: int = 200) -> HttpResponse:
    center = _managed_center(request)
    counters = selectors.counters_for_tablets(center=center)
    return render(request, "centers/staff/devices.html", {
        "center": center, "devices": selectors.devices_of_center(center=center), "now": timezone.now(),
        "form": form or DeviceAddForm(counters=counters),
    }, status=status)


def _code_page(request: HttpRequest, issued: PairingCode) -> HttpResponse:
    # Typed on a device in the hall: the site's public address, not this request's Host.
    pair_url = public_url(reverse("centers:device_pair"))
    return render(request, "centers/staff/device_code.html", {
        "center": issued.device.center, "device": issued.device, "code": issued.display,
        "expires_at": issued.expires_at, "pair_url": pair_url,
        "pair_link": f"{pair_url}?{urlencode({'code': issued.code})}",
    })


@never_cache
@devices_staff_required
@require_GET
def devices(request: HttpRequest) -> HttpResponse:
    """The center's kiosks and rating tablets: add one, give one a new pairing code, revoke one."""
    return _devices_page(request)


@never_cache
@devices_staff_required
@require_POST
def device_add(request: HttpRequest) -> HttpResponse:
    """Add a screen; the answer shows its pairing code, once (it is kept only as a digest)."""
    center = _managed_center(request)
    form = DeviceAddForm(request.POST, counters=selectors.counters_for_tablets(center=center))
    if not form.is_valid():
        return _devices_page(request, form=form, status=422)
    try:
        issued = device_add_service(center=center, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"],
                                    counter=form.cleaned_data["counter"], actor=_user(request), request=request)
    except DeviceError as error:
        form.add_error(None, error.message)
        return _devices_page(request, form=form, status=422)
    return _code_page(request, issued)


def _device_or_404(request: HttpRequest, public_id: uuid.UUID) -> Device:
    device = selectors.device_of_center(center_id=_user(request).center_id, public_id=public_id)
    if device is None:
        raise Http404
    return device


@never_cache
@devices_staff_required
@require_POST
def device_code(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """A new pairing code for a device whose screen was replaced or lost its pairing."""
    device = _device_or_404(request, public_id)
    try:
        issued = device_pairing_code_issue(device=device, actor=_user(request), request=request)
    except DeviceError as error:
        messages.error(request, error.message)
        return redirect("centers:devices")
    return _code_page(request, issued)


@never_cache
@devices_staff_required
@require_POST
def device_revoke(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The device's screen stops working at its next request."""
    device = _device_or_404(request, public_id)
    try:
        revoked = device_revoke_service(device=device, actor=_user(request), request=request)
    except DeviceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s is revoked: that screen stops working at once.") % {
            "name": revoked.name})
    return redirect("centers:devices")
