"""The staff's pages at a center (under /<lang>/center/): the operator's counter screen, the
center manager's dashboard with its CSV export, and the manager's page of the hall's paired
screens (kiosks, rating tablets: khedmat.centers.devices). The rating tablet's own page is
the feedback app's, run by a paired device and no staff session.

Every action is a POST that redirects back to the screen (post/redirect/get); a refused
action changes nothing and comes back as a message in the reader's language. People of one
center never reach another center's counters or tickets: those are 404s. Staff of another
role get the gate's "not allowed" page (403), with a link to their own work.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language_bidi, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from khedmat.accounts.gates import signed_in_user, staff_page, works_at_a_center
from khedmat.accounts.permissions import is_center_manager, is_platform_admin
from khedmat.core.formatting import format_code, format_date_input, format_number
from khedmat.core.parsing import parse_int_or_none
from khedmat.core.public import public_url
from khedmat.core.spreadsheets import csv_lines, spreadsheet_text

from . import selectors, services
from .dashboard_forms import DayForm, RangeForm
from .devices import DeviceError, PairingCode, device_pairing_code_issue
from .devices import device_add as device_add_service
from .devices import device_revoke as device_revoke_service
from .models import Center, Counter, Device, Ticket
from .staff_forms import CounterOpenForm, DeviceAddForm, TransferForm, transfer_options

if TYPE_CHECKING:
    from khedmat.accounts.models import User


# --- who may come in --------------------------------------------------------------------------------

def _runs_a_dashboard(user: Any) -> bool:
    return is_center_manager(user) or is_platform_admin(user)


counter_staff_required = staff_page(
    works_at_a_center, audience=gettext_lazy("the operators and managers of a service center"))
dashboard_staff_required = staff_page(
    _runs_a_dashboard, audience=gettext_lazy("center managers and platform administrators"))
# A center's screens are paired by its own manager (a platform administrator has no center).
devices_staff_required = staff_page(is_center_manager, audience=gettext_lazy("the center's manager"))


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
    screen = selectors.counter_screen(user=user)
    if screen is None:
        assert user.center is not None
        counters = selectors.counters_to_open(center=user.center)
        return render(request, "centers/staff/counter_open.html", {
            "center": user.center, "counter": None, "max_recalls": settings.QUEUE_MAX_RECALLS,
            "counters": counters, "open_form": CounterOpenForm(counters=counters)})
    own, ticket = screen.counter, screen.ticket
    # The counter's own center (read with it): the user's is the same one (counter_open).
    context: dict[str, Any] = {"center": own.center, "counter": own, "max_recalls": settings.QUEUE_MAX_RECALLS,
                               "ticket": ticket, "waiting": screen.waiting,
                               "waiting_beyond_count": screen.waiting_beyond_count,
                               "waiting_counted_up_to": screen.counted_up_to}
    if ticket is not None:
        now = timezone.now()
        waited_until = ticket.called_at or now
        context.update(
            waited_minutes=max(0, int((waited_until - ticket.waiting_since).total_seconds() // 60)),
            no_show_allowed=ticket.no_show_allowed,
        )
    return render(request, "centers/staff/counter.html", context)


@never_cache
@counter_staff_required
@require_GET
def counter_transfer(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Where to send the ticket at the counter: a page of its own, so that the screen shown
    after every call does not read and write out every service and counter of the centre for
    the few tickets that are sent on (docs/performance.md, round seven)."""
    user = _user(request)
    screen = selectors.counter_screen(user=user)
    if screen is None or screen.ticket is None or screen.ticket.public_id != public_id:
        if selectors.ticket_at_center(center_id=user.center_id, public_id=public_id) is None:
            raise Http404
        messages.error(request, _("This ticket is not waiting at your counter."))
        return _back_to_counter()
    to_services, to_counters = selectors.transfer_choices(counter=screen.counter)
    return render(request, "centers/staff/counter_transfer.html", {
        "center": screen.counter.center, "counter": screen.counter, "ticket": screen.ticket,
        "transfer_options": transfer_options(services=to_services, counters=to_counters)})


def _back_to_counter() -> HttpResponse:
    return redirect("centers:counter")


@never_cache
@counter_staff_required
@require_POST
def counter_open(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    assert user.center is not None
    form = CounterOpenForm(request.POST, counters=selectors.counters_to_open(center=user.center))
    chosen = parse_int_or_none(request.POST.get("counter"), minimum=1, maximum=2**31 - 1)
    if chosen is None:
        messages.error(request, _("Choose the counter you sit at."))
        return _back_to_counter()
    # Another center's counter (or one that does not exist) is not found, whatever its state.
    target = selectors.counter_get(center=user.center, pk=chosen)
    if target is None:
        raise Http404
    if not form.is_valid():
        messages.error(request, _("Someone else is signed in at counter %(number)s.") % {
            "number": _counter_number(target)})
        return _back_to_counter()
    try:
        opened = services.counter_open(counter=target, operator=user)
    except services.QueueError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You are signed in at counter %(number)s.") % {
            "number": _counter_number(opened)})
    return _back_to_counter()


def _own_counter_or_message(request: HttpRequest) -> Counter | None:
    own = selectors.counter_of(user=_user(request), with_center=False)
    if own is None:
        messages.error(request, _("Open a counter first."))
    return own


@never_cache
@counter_staff_required
@require_POST
def counter_state(request: HttpRequest) -> HttpResponse:
    """Pause, resume or close (sign out of) the counter."""
    action = request.POST.get("action", "")
    changes = {"pause": services.counter_pause, "resume": services.counter_resume, "close": services.counter_close}
    if action not in changes:
        messages.error(request, _("Choose what to do with the counter."))
        return _back_to_counter()
    own = _own_counter_or_message(request)
    if own is None:
        return _back_to_counter()
    try:
        changed = changes[action](counter=own, operator=_user(request))
    except services.QueueError as error:
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
    try:  # the operator's counter is found as it is locked
        ticket = services.ticket_call_next(operator=_user(request))
    except services.QueueError as error:
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
    action = request.POST.get("action", "")
    if action == "finish":  # every ticket served ends here: read nothing first when it just works
        served = services.ticket_finish_at_own_counter(operator=user, public_id=public_id)
        if served is not None:
            return _finished(request, served)
    ticket = selectors.ticket_at_center(center_id=user.center_id, public_id=public_id)
    if ticket is None:
        raise Http404
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
            form = TransferForm(request.POST, services=selectors.transfer_services(center=user.center),
                                counters=selectors.transfer_counters(counter=own))
            if not form.is_valid():
                for error in itertools.chain.from_iterable(form.errors.values()):
                    messages.error(request, str(error))
                return redirect("centers:counter_transfer", public_id=ticket.public_id)
            services.ticket_transfer(counter=own, ticket=ticket, service=form.cleaned_data["service"],
                                  to_counter=form.cleaned_data["to_counter"])
            messages.success(request, _("Ticket %(number)s is sent on: it keeps its number and its place in "
                                        "the queue.") % {"number": number})
        elif action == "recall":
            recalled = services.ticket_recall(counter=own, ticket=ticket)
            messages.success(request, _("Ticket %(number)s is called again (%(count)s of %(max)s).") % {
                "number": number, "count": format_number(recalled.recalls),
                "max": format_number(settings.QUEUE_MAX_RECALLS)})
        elif action == "no_show":
            services.ticket_no_show(counter=own, ticket=ticket)
            messages.success(request, _("Ticket %(number)s: marked as not come (its holder did not come).") % {
                "number": number})
        elif action == "start":
            services.ticket_start(counter=own, ticket=ticket)
            messages.success(request, _("Service of ticket %(number)s has started.") % {"number": number})
        else:
            return _finished(request, services.ticket_finish(counter=own, ticket=ticket))
    except services.QueueError as error:
        messages.error(request, error.message)
    return _back_to_counter()


def _finished(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    messages.success(request, _("Ticket %(number)s is served. The citizen can rate the service on the "
                                "tablet now.") % {"number": format_code(ticket.display_number)})
    return _back_to_counter()


# --- the dashboard --------------------------------------------------------------------------------------

def _dashboard_center(request: HttpRequest) -> tuple[Center, list[Center]]:
    """The center whose figures are asked for: a manager's own (any other is a 404), or the
    one a platform administrator chose (the first, if none)."""
    user = _user(request)
    asked = request.GET.get("center", "")
    if is_platform_admin(user):
        centers = selectors.centers_for_dashboard()
        if asked:
            chosen = selectors.center_by_slug(slug=asked)
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
    return _dashboard_page(request, center, centers)


def _dashboard_page(request: HttpRequest, center: Center, centers: list[Center], *,
                    range_form: RangeForm | None = None, status: int = 200) -> HttpResponse:
    """The dashboard of the day asked for (today if none; a day refused is said beside the
    input, with today's figures), and the CSV export's form (with its refusal, if any)."""
    today = timezone.localdate()
    asked = DayForm(request.GET if "day" in request.GET else None, today=today)
    day = asked.chosen_day()
    day_form = asked if asked.is_bound and asked.errors else DayForm(initial={"day": day}, today=today)
    report = selectors.day_report(center=center, day=day, rtl=get_language_bidi())
    at_center = {"center": center.slug} if centers else {}

    def day_link(other: datetime.date) -> str:
        return f"{reverse('centers:dashboard')}?{urlencode({'day': other.isoformat(), **at_center})}"

    csv_query = {"day": day.isoformat(), **at_center}
    context = {
        "center": center, "centers": centers, "day": day, "today": today, "is_today": day == today,
        "day_form": day_form,
        "range_form": range_form or RangeForm(initial={"start": day - datetime.timedelta(days=6), "end": day},
                                              today=today),
        "report": report, "live_services": selectors.live_services(center=center),
        "live_counters": selectors.live_counters(center=center),
        "operators": selectors.operator_rows(center=center, start=day, end=day),
        "low_ratings_open": selectors.low_ratings_not_followed_up(center=center) if not centers else 0,
        "previous_day": day_link(day - datetime.timedelta(days=1)),
        "next_day": day_link(day + datetime.timedelta(days=1)) if day < today else "",
        "csv_url": f"{reverse('centers:dashboard_csv')}?{urlencode(csv_query)}",
    }
    return render(request, "centers/staff/dashboard.html", context, status=status)


CSV_HEADER = ("day", "day_solar_hijri", "scope", "key", "name", "issued", "served", "transferred", "no_shows",
              "waiting_median_minutes", "waiting_p90_minutes", "service_median_minutes", "service_p90_minutes",
              "waiting_standard_breaches", "rating_average", "ratings")


def _plain(value: Any) -> str:
    """A number as a machine reads it (no grouping, Western digits); "" for none."""
    return "" if value is None else str(value)


def _csv_rows(center: Center, days: list[datetime.date]) -> Iterator[list[Any]]:
    """The header, then per day: the day, its services, counters, hours and operators. Produced
    a day at a time, as the response is sent (a year is a few hundred small reports)."""
    yield list(CSV_HEADER)
    for day in days:
        with translation.override("en"):  # names in English, like the headers
            report = selectors.day_report(center=center, day=day)
            operators = selectors.operator_rows(center=center, start=day, end=day)
        solar = format_date_input(day, "en").replace("/", "-")
        for row in itertools.chain(report.rows(), operators):
            yield [
                day.isoformat(), solar, row.scope, spreadsheet_text(row.key), spreadsheet_text(row.label),
                _plain(row.issued), row.served, row.transferred, row.no_shows,
                _plain(row.waiting.median_minutes), _plain(row.waiting.p90_minutes),
                _plain(row.service_time.median_minutes), _plain(row.service_time.p90_minutes),
                row.breaches, _plain(row.rating_average), row.ratings,
            ]


@never_cache
@dashboard_staff_required
@require_GET
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    """The figures of a day (?day=) or of a range of days (?start=&end=, Solar Hijri as typed,
    at most a year) as a CSV file, streamed. A refused range comes back as the dashboard
    saying why (422), never as an empty or cut-short file."""
    center, centers = _dashboard_center(request)
    today = timezone.localdate()
    if "start" in request.GET or "end" in request.GET:
        form = RangeForm(request.GET, today=today)
        if not form.is_valid():
            return _dashboard_page(request, center, centers, range_form=form, status=422)
        days = form.days()
    else:
        days = [DayForm(request.GET if "day" in request.GET else None, today=today).chosen_day()]
    span = days[0].isoformat() if len(days) == 1 else f"{days[0].isoformat()}-to-{days[-1].isoformat()}"
    response = StreamingHttpResponse(csv_lines(_csv_rows(center, days)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="asan-khedmat-{center.code}-{span}.csv"'
    # The staff gates are typed for HttpResponse; a streamed response passes through them the same.
    return cast(HttpResponse, response)


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
