"""The hall's public pages: the kiosk, a ticket, joining the queue from a phone, the display
board and its feed, and appointments (book, see, move, cancel, find).

None of them needs an account. A ticket and an appointment are reached only by their
unguessable id; the board and its feed show numbers and counters, nothing personal. Every
form that creates something carries a one-time token: a double tap gives one ticket.

The kiosk and its appointment check-in answer only a paired kiosk of the center (a screen
holding a device credential, khedmat.centers.devices); any other browser is sent to the
remote join, which asks for a mobile number and counts per number and per network.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import json
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from khedmat.core.formatting import format_number, format_time, isolate, localize_digits
from khedmat.core.parsing import digits_only, parse_int_or_none
from khedmat.core.ratelimit import Check, Throttle, Throttled, client_ip, count, ensure_allowed, guard

from . import selectors
from .devices import (
    KIOSK,
    DeviceError,
    device_from_request,
    device_home_url,
    device_pair,
    device_set_credential,
    screen_device,
    screen_response,
)
from .forms import (
    BookForm,
    CheckInForm,
    DevicePairForm,
    FindAppointmentForm,
    JoinForm,
    form_token,
    new_form_token,
)
from .hours import center_closed, center_hours_text
from .models import Appointment, AppointmentSchedule, Center, Device, Ticket
from .selectors import appointment_code_display
from .selectors.board import board_feed_calls
from .services import (
    AppointmentError,
    QueueError,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_move,
    ticket_issue,
    ticket_join,
)
from .views_hall import board_call_audio_url

# How long the kiosk shows a ticket before it goes back to its start for the next person.
KIOSK_TICKET_SECONDS = 20
# How often a ticket's page refreshes itself while the ticket waits.
TICKET_REFRESH_SECONDS = 30


# --- helpers --------------------------------------------------------------------------------

def _center_or_404(slug: str) -> Center:
    center = selectors.center_open_by_slug(slug=slug)
    if center is None:
        raise Http404
    return center


def _network(request: HttpRequest) -> str:
    """The client's address as a throttle key; an IPv6 client by its /64, which one phone or
    one household gets whole: counting single addresses there would count nothing."""
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _per_network(setting: str, request: HttpRequest) -> Check:
    """A per-network limit, larger inside a trusted network (settings.THROTTLE_TRUSTED_NETWORKS)."""
    return Throttle.from_setting(setting).for_address(client_ip(request)), _network(request)


def _phone_key(raw: Any) -> str:
    """A mobile number as a throttle key, however it was written (+93 7…, 07…, ۰۷…)."""
    return digits_only(raw)[-9:]


def _throttled(checks: list[Check]) -> str | None:
    """Count one attempt against each (throttle, identity); a message if one is full."""
    try:
        guard(*checks)
    except Throttled as throttled:
        return throttled.message
    return None


def _ticket_url(ticket: Ticket, *, kiosk: bool = False) -> str:
    url = reverse("centers:ticket", kwargs={"public_id": ticket.public_id})
    return f"{url}?kiosk=1" if kiosk else url


# --- the kiosk ------------------------------------------------------------------------------

def _kiosk_screen(request: HttpRequest, slug: str) -> tuple[Center, Device | None, HttpResponse | None]:
    """The center and the paired kiosk of it this request comes from, or where to send a
    browser that is not one: the center's remote join (a phone number, counted per number),
    or a kiosk of another center back to its own.

    The device's own query brings its (active) center: a kiosk at its own center, every
    request the hall makes, reads no center again (docs/performance.md)."""
    device = screen_device(request, kind=KIOSK)
    if device is not None and device.center.slug == slug:
        return device.center, device, None
    center = _center_or_404(slug)
    if device is None:
        return center, None, screen_response(request, redirect("centers:join", slug=center.slug), None)
    return center, None, redirect(device_home_url(device))


@never_cache
@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, slug: str) -> HttpResponse:
    """Choose a service; then, on a second screen, ordinary, priority or the women's desk."""
    center, device, elsewhere = _kiosk_screen(request, slug)
    if device is None:
        assert elsewhere is not None
        return elsewhere
    if request.method == "POST":
        return screen_response(request, _kiosk_issue(request, center, device), device)
    closed = center_closed(center=center)
    if closed is not None:
        return screen_response(request, render(request, "centers/public/kiosk.html", {
            "center": center, "closed": closed.message(), "hours": center_hours_text(center)}), device)
    layout = selectors.kiosk_layout(center=center)
    chosen = parse_int_or_none(request.GET.get("service"))
    services = {service.pk: (service, group) for group in layout for service in group.services}
    if chosen in services:
        service, group = services[chosen]
        response = render(request, "centers/public/kiosk_choose.html", {
            "center": center, "service": service, "group": group, "token": new_form_token(),
            "priority_groups": list(selectors.priority_groups()),
            "women_desk": service.pk in group.women_desk_services,
        })
    else:
        response = render(request, "centers/public/kiosk.html", {"center": center, "layout": layout})
    return screen_response(request, response, device)


def _kiosk_issue(request: HttpRequest, center: Center, device: Device) -> HttpResponse:
    try:
        guard((Throttle.from_setting("THROTTLE_KIOSK_TICKETS_PER_DEVICE"), str(device.public_id)))
    except Throttled as throttled:
        return render(request, "centers/public/kiosk.html", {
            "center": center, "layout": selectors.kiosk_layout(center=center),
            "throttle_message": throttled.message}, status=429)
    chosen = parse_int_or_none(request.POST.get("service"))
    token = form_token(request.POST)
    read = selectors.ticket_choice(center=center, service_id=chosen, token=token) if chosen is not None else None
    if read is None:
        messages.error(request, _("Choose a service."))
        return redirect("centers:kiosk", slug=center.slug)
    service = read.service
    priority_code = str(request.POST.get("priority", ""))
    priority_group = None
    if priority_code:
        priority_group = next((g for g in selectors.priority_groups() if g.code == priority_code), None)
        if priority_group is None:
            messages.error(request, _("Unknown priority group."))
            return redirect(f"{reverse('centers:kiosk', kwargs={'slug': center.slug})}?service={service.pk}")
    desk = "women" if request.POST.get("desk") == "women" else ""
    try:
        ticket = ticket_issue(center=center, service=service, priority_group=priority_group, desk=desk,
                              channel=Ticket.Channel.KIOSK, idempotency_key=token, language=get_language(),
                              read=read)
    except QueueError as error:
        messages.error(request, error.message)
        return redirect("centers:kiosk", slug=center.slug)
    return redirect(_ticket_url(ticket, kiosk=True))


@never_cache
@require_http_methods(["GET", "POST"])
def kiosk_check_in(request: HttpRequest, slug: str) -> HttpResponse:
    """An appointment's code typed at the kiosk gives its holder a ticket.

    Only a paired kiosk of the center checks in. A code that checks nobody in here (unknown,
    another center's, cancelled) gets one answer, and such codes are counted per kiosk and
    per network: guessing ten digits there takes longer than any booking lasts.
    """
    center, device, elsewhere = _kiosk_screen(request, slug)
    if device is None:
        assert elsewhere is not None
        return elsewhere
    form = CheckInForm(request.POST if request.method == "POST" else None)
    refusal, status = "", 200
    if request.method == "POST" and form.is_valid():
        checks = [(Throttle.from_setting("THROTTLE_CHECK_IN_PER_DEVICE"), str(device.public_id)),
                  _per_network("THROTTLE_CHECK_IN_PER_NETWORK", request)]
        try:
            ensure_allowed(*checks)
            ticket = appointment_check_in(center=center, code=form.cleaned_data["code"])
        except Throttled as throttled:
            refusal, status = throttled.message, 429
        except AppointmentError as error:
            refusal = error.message
            if error.code == "unknown_code":
                count(*checks)
        else:
            return screen_response(request, redirect(_ticket_url(ticket, kiosk=True)), device)
    return screen_response(request, render(request, "centers/public/kiosk_check_in.html", {
        "center": center, "form": form, "refusal": refusal}, status=status), device)


# --- pairing a screen -------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
def device_pair_view(request: HttpRequest) -> HttpResponse:
    """A screen of the hall types the pairing code its center manager issued, once; it then
    holds the device's credential and goes to its page (the kiosk, the rating tablet).

    Pairing signs out anyone signed in on this browser: a screen the public touches must
    not carry a person's session. Wrong codes are counted per network.
    """
    form = DevicePairForm(request.POST if request.method == "POST" else None,
                          initial={"code": str(request.GET.get("code", ""))[:20]})
    context: dict[str, Any] = {"form": form, "paired": device_from_request(request)}
    if request.method == "POST":
        check = _per_network("THROTTLE_DEVICE_PAIR_PER_NETWORK", request)
        try:
            ensure_allowed(check)
        except Throttled as throttled:
            context["refusal"] = throttled.message
            return render(request, "centers/public/device_pair.html", context, status=429)
        if form.is_valid():
            try:
                device = device_pair(code=form.cleaned_data["code"], request=request)
            except DeviceError as error:
                count(check)
                context["refusal"] = error.message
            else:
                if request.user.is_authenticated:
                    logout(request)
                messages.success(request, _("This screen is now paired: %(name)s, %(center)s.") % {
                    "name": isolate(device.name), "center": device.center.name})
                response = redirect(device_home_url(device))
                device_set_credential(response, device)
                return response
        else:
            count(check)
    return render(request, "centers/public/device_pair.html", context)


# --- a ticket -------------------------------------------------------------------------------

_STATUS_WORDS: dict[str, str] = {
    Ticket.Status.WAITING: "waiting",
    Ticket.Status.CALLED: "called",
    Ticket.Status.SERVING: "serving",
    Ticket.Status.SERVED: "served",
    Ticket.Status.NO_SHOW: "no_show",
    Ticket.Status.CANCELLED: "cancelled",
}


@never_cache
@require_GET
def ticket(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Where a ticket stands: its number, service, people ahead, estimated wait, the counter."""
    found = selectors.ticket_by_public_id(public_id=public_id)
    if found is None:
        raise Http404
    in_kiosk = request.GET.get("kiosk") == "1"
    position = selectors.ticket_position(ticket=found) if found.status == Ticket.Status.WAITING else None
    live = found.status in (Ticket.Status.WAITING, Ticket.Status.CALLED, Ticket.Status.SERVING)
    kiosk_url = reverse("centers:kiosk", kwargs={"slug": found.center.slug})
    refresh_url = kiosk_url if in_kiosk else (request.get_full_path() if live else "")
    return render(request, "centers/public/ticket.html", {
        "ticket": found, "center": found.center, "position": position, "in_kiosk": in_kiosk,
        "state": _STATUS_WORDS.get(found.status, ""), "live": live,
        "refresh_seconds": KIOSK_TICKET_SECONDS if in_kiosk else TICKET_REFRESH_SECONDS,
        "kiosk_url": kiosk_url, "refresh_url": refresh_url,
        "base_template": "centers/public/hall_base.html" if in_kiosk else "base.html",
    })


# --- joining the queue from a phone ---------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, slug: str) -> HttpResponse:
    """A phone number and a service: a ticket (channel online) and an SMS with its link.

    A POST reads what issuing needs (the centre, the chosen service's own row, the throttles);
    ticket_issue checks the hours and the queue group. The page's layout is built only to show
    the form again (docs/performance.md)."""
    center = _center_or_404(slug)
    if request.method != "POST":
        return _join_page(request, center)
    token = form_token(request.POST)
    message = _throttled([
        _per_network("THROTTLE_QUEUE_JOIN_PER_IP", request),
        (Throttle.from_setting("THROTTLE_QUEUE_JOIN_PER_PHONE"), _phone_key(request.POST.get("phone"))),
    ])
    if message:
        return _join_page(request, center, token=token, status=429, throttle_message=message)
    chosen = parse_int_or_none(request.POST.get("service"))
    read = selectors.ticket_choice(center=center, service_id=chosen, token=token) if chosen is not None else None
    form = JoinForm(request.POST, services=[(read.service.pk, "")] if read is not None else [])
    if read is None or not form.is_valid():
        return _join_page(request, center, token=token)
    try:
        issued = ticket_join(center=center, service=read.service, phone=form.cleaned_data["phone"],
                             idempotency_key=token, language=get_language(), read=read)
    except QueueError as error:
        return _join_page(request, center, token=token, refusal=error.message)
    return redirect(_ticket_url(issued))


def _join_page(request: HttpRequest, center: Center, *, token: str | None = None, status: int = 200,
               **shown: str) -> HttpResponse:
    """The join form: every service the centre's queue groups offer; after a POST, bound to
    what was sent, with its errors, the throttle's message or the refusal."""
    choices = selectors.join_choices(center=center, language=get_language())
    form = JoinForm(request.POST if request.method == "POST" else None, services=choices)
    closed = center_closed(center=center)
    return render(request, "centers/public/join.html", {
        "center": center, "form": form, "token": token or new_form_token(),
        "hours": center_hours_text(center), "closed": closed.message() if closed else "", **shown,
    }, status=status)


# --- the display board ----------------------------------------------------------------------

def _board_state(center: Center) -> tuple[str, list[dict[str, Any]]]:
    """The calls on the board as the feed sends them (numbers and counters already written in
    the page's digits), and their version: it changes with every call and recall."""
    board_calls = selectors.board_calls(center=center, limit=8)
    calls = [{
        "number": call.number, "counter": call.counter, "service": call.service,
        "called_at": call.called_at.isoformat(),
        "number_display": localize_digits(call.number), "counter_display": format_number(call.counter),
        "audio": board_call_audio_url(center, call.number, call.counter),
    } for call in board_calls]
    return selectors.board_version(board_calls), calls


@never_cache
@require_GET
def board(request: HttpRequest, slug: str) -> HttpResponse:
    """The hall's screen: the last tickets called and their counters, newest first."""
    center = _center_or_404(slug)
    version, calls = _board_state(center)
    return render(request, "centers/public/board.html", {
        "center": center, "calls": calls, "version": version,
        "feed_url": reverse("centers:board_feed", kwargs={"slug": center.slug}),
    })


@require_GET
def board_feed(request: HttpRequest, slug: str) -> HttpResponse:
    """The board's calls as JSON; 304 when the board already shows this version (ETag). Both
    are kept in the cache until a call changes them (selectors/board.py): a poll that hears
    "not modified" reads no statement; the centre and its calls are read only for a new version."""
    feed = board_feed_calls(slug=slug, language=get_language() or "", render=_board_state)
    if feed is None:
        raise Http404
    etag = f'"{feed.version}"'
    asked = [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag in asked:
        response: HttpResponse = HttpResponseNotModified()
    else:
        now = timezone.now()
        # The kept calls are JSON already: the answer is JsonResponse's, written around them.
        dumps = functools.partial(json.dumps, ensure_ascii=False)
        body = (f'{{"center": {dumps(feed.slug)}, "version": {dumps(feed.version)}, "calls": {feed.calls_json}, '
                f'"now": {dumps(now.isoformat())}, "now_display": {dumps(format_time(now))}}}')
        response = HttpResponse(body.encode(), content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "no-store"
    return response


# --- appointments ---------------------------------------------------------------------------

def _appointment_or_404(public_id: uuid.UUID) -> Appointment:
    found = selectors.appointment_by_public_id(public_id=public_id)
    if found is None:
        raise Http404
    return found


@never_cache
@require_GET
def appointment_start(request: HttpRequest) -> HttpResponse:
    """Choose a center and a service that take appointments; or find an appointment."""
    by_center: dict[int, dict[str, Any]] = {}
    for schedule in selectors.appointment_schedules_open():
        entry = by_center.setdefault(schedule.center_id, {"center": schedule.center, "schedules": []})
        entry["schedules"].append(schedule)
    return render(request, "centers/public/appointment_start.html", {
        "centers": list(by_center.values()), "find_form": FindAppointmentForm()})


def _day_and_slots(request: HttpRequest, schedule: AppointmentSchedule) -> dict[str, Any]:
    """The bookable days of a schedule, the chosen one (?day=, else the first) and its slots."""
    days = selectors.appointment_days(schedule=schedule)
    wanted = str(request.POST.get("day") or request.GET.get("day") or "")
    day = next((d for d in days if d.isoformat() == wanted), days[0] if days else None)
    slots = selectors.appointment_slots(schedule=schedule, day=day) if day is not None else []
    return {"days": days, "day": day, "slots": slots,
            "choices": [(slot.starts_at.isoformat(), format_time(slot.starts_at)) for slot in slots if slot.free > 0]}


def _chosen_start(form: BookForm) -> datetime.datetime:
    return datetime.datetime.fromisoformat(form.cleaned_data["slot"])


@never_cache
@require_http_methods(["GET", "POST"])
def appointment_new(request: HttpRequest, schedule_id: int) -> HttpResponse:
    """Pick a day and a free time, give a phone number: the appointment is booked once."""
    schedule = selectors.appointment_schedule_open(pk=schedule_id)
    if schedule is None:
        raise Http404
    picker = _day_and_slots(request, schedule)
    # A signed-in citizen books with their own number, so the booking is under "My appointments".
    own_number = getattr(request.user, "phone_number", None) if request.user.is_authenticated else None
    form = BookForm(request.POST if request.method == "POST" else None, slots=picker["choices"],
                    initial={"phone": own_number} if own_number else None)
    context: dict[str, Any] = {"schedule": schedule, "form": form, "token": new_form_token(), **picker}
    if request.method == "POST":
        context["token"] = form_token(request.POST) or context["token"]
        phone_key = _phone_key(request.POST.get("phone"))
        message = _throttled([
            _per_network("THROTTLE_APPOINTMENT_BOOK_PER_IP", request),
            (Throttle.from_setting("THROTTLE_APPOINTMENT_BOOK_PER_PHONE"), phone_key),
        ])
        if message:
            context["throttle_message"] = message
            return render(request, "centers/public/appointment_new.html", context, status=429)
        if form.is_valid():
            try:
                booked = appointment_book(center=schedule.center, service=schedule.service,
                                          starts_at=_chosen_start(form), phone=form.cleaned_data["phone"],
                                          idempotency_key=form_token(request.POST) or new_form_token(),
                                          language=get_language())
            except AppointmentError as error:
                context["refusal"] = error.message
            else:
                return redirect("centers:appointment", public_id=booked.public_id)
    return render(request, "centers/public/appointment_new.html", context)


@never_cache
@require_GET
def appointment(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The appointment: its code, where and when, when to check in; move or cancel it."""
    found = _appointment_or_404(public_id)
    opens, closes = found.check_in_window
    return render(request, "centers/public/appointment.html", {
        "appointment": found, "check_in_opens": opens, "check_in_closes": closes,
        "changeable": found.is_changeable,
        "code_display": appointment_code_display(found.code),
    })


@never_cache
@require_http_methods(["GET", "POST"])
def appointment_move_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Choose another day and time for a booked appointment."""
    found = _appointment_or_404(public_id)
    if not found.is_changeable:
        return redirect("centers:appointment", public_id=found.public_id)
    schedule = found.slot.schedule
    picker = _day_and_slots(request, schedule)
    form = BookForm(request.POST if request.method == "POST" else None, slots=picker["choices"], with_phone=False)
    context: dict[str, Any] = {"appointment": found, "schedule": schedule, "form": form, **picker}
    if request.method == "POST" and form.is_valid():
        try:
            appointment_move(appointment=found, starts_at=_chosen_start(form))
        except AppointmentError as error:
            context["refusal"] = error.message
        else:
            messages.success(request, _("Your appointment is moved. We sent you an SMS with the new time."))
            return redirect("centers:appointment", public_id=found.public_id)
    return render(request, "centers/public/appointment_move.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def appointment_cancel_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Ask, then cancel: the slot is freed for someone else."""
    found = _appointment_or_404(public_id)
    if not found.is_changeable:
        return redirect("centers:appointment", public_id=found.public_id)
    if request.method == "POST":
        try:
            appointment_cancel(appointment=found)
        except AppointmentError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your appointment is cancelled."))
        return redirect("centers:appointment", public_id=found.public_id)
    return render(request, "centers/public/appointment_cancel.html", {"appointment": found})


@never_cache
@require_POST
def appointment_find(request: HttpRequest) -> HttpResponse:
    """An appointment's code and phone number lead to its page; any wrong pair gets the same
    answer, and attempts are counted per address and per code."""
    form = FindAppointmentForm(request.POST)
    context: dict[str, Any] = {"centers": None, "find_form": form}
    code_key = digits_only(request.POST.get("code"))
    message = _throttled([
        _per_network("THROTTLE_APPOINTMENT_FIND_PER_IP", request),
        (Throttle.from_setting("THROTTLE_APPOINTMENT_FIND_PER_CODE"), code_key),
    ])
    if message:
        context["throttle_message"] = message
        return render(request, "centers/public/appointment_find.html", context, status=429)
    if form.is_valid():
        found = selectors.appointment_find(code=form.cleaned_data["code"], phone=form.cleaned_data["phone"])
        if found is not None:
            return redirect("centers:appointment", public_id=found.public_id)
        context["not_found"] = True
    return render(request, "centers/public/appointment_find.html", context)
