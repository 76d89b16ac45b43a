"""A signed-in citizen's own appointments (/<lang>/appointments/mine/): those still to come,
with move and cancel where the booking still stands, and the past ones.

A booking belongs to the mobile number it was made with; a citizen's account is that number,
so they see and cancel only the bookings of their own number. Any other booking is a 404,
whatever its id.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from khedmat.accounts.roles import Role

from . import selectors
from .models import Appointment
from .services import AppointmentError, appointment_cancel


def _citizen_phone(request: HttpRequest) -> str | HttpResponse:
    """The signed-in citizen's mobile number; else the sign-in (and back), or a 404 for staff."""
    user: Any = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    if getattr(user, "role", None) != Role.CITIZEN or not user.phone_number:
        raise Http404
    return str(user.phone_number)


def _own_or_404(phone: str, public_id: uuid.UUID) -> Appointment:
    found = selectors.appointment_of_phone(phone=phone, public_id=public_id)
    if found is None:
        raise Http404
    return found


@never_cache
@require_GET
def my_appointments(request: HttpRequest) -> HttpResponse:
    phone = _citizen_phone(request)
    if isinstance(phone, HttpResponse):
        return phone
    mine = selectors.appointments_of_phone(phone=phone)
    upcoming = [{"appointment": found, "code": selectors.appointment_code_display(found.code)}
                for found in mine.upcoming]
    return render(request, "centers/public/my_appointments.html", {"upcoming": upcoming, "past": mine.past})


@never_cache
@require_http_methods(["GET", "POST"])
def my_appointment_cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Ask, then cancel one of one's own bookings (cancelling twice changes nothing)."""
    phone = _citizen_phone(request)
    if isinstance(phone, HttpResponse):
        return phone
    found = _own_or_404(phone, public_id)
    if not found.is_changeable:
        if request.method == "POST" and found.status == Appointment.Status.CANCELLED:
            messages.success(request, _("Your appointment is cancelled."))
        return redirect("centers:my_appointments")
    if request.method == "POST":
        try:
            appointment_cancel(appointment=found)
        except AppointmentError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your appointment is cancelled."))
        return redirect("centers:my_appointments")
    return render(request, "centers/public/appointment_cancel.html", {
        "appointment": found, "cancel_url": reverse("centers:my_appointment_cancel", args=[found.public_id]),
        "back_url": reverse("centers:my_appointments")})
