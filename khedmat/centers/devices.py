"""Paired devices: the hall's screens (ticket kiosks, rating tablets) a center manager pairs once.

A kiosk that anyone's browser could play let one client take a hundred tickets in twenty
seconds, and a rating tablet that ran the operator's staff session let a citizen tap
through to Call next. Now a screen is a device of its center:

1. the manager adds it on the staff page (`device_add`) and gets a one-time pairing code,
   shown once, valid DEVICE_PAIRING_CODE_MINUTES;
2. the screen opens /<lang>/devices/pair/ and enters the code (`device_pair`); the answer
   sets a long-lived signed cookie naming the device and its pairing `generation`, and
   signs out anyone signed in on that browser: a screen holds no person's session;
3. every request of the screen reads the cookie (`device_from_request`): the device must
   exist, be paired, not be revoked, and be of the same generation. Revoking it
   (`device_revoke`), or pairing another screen with a new code, makes the old cookie
   worthless on its very next request.

Adding, issuing a code, pairing and revoking are each written to the audit trail. The
cookie is signed with SECRET_KEY (rotate with SECRET_KEY_FALLBACKS, or every screen must be
paired again) and refreshed while in use, so a screen in daily use never falls out.
"""

from __future__ import annotations

import datetime
import functools
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from khedmat.accounts.permissions import is_center_manager
from khedmat.audit.services import audit_record
from khedmat.core.errors import Refusal
from khedmat.core.formatting import localize_digits
from khedmat.core.parsing import NotANumber, digit_string

from .models import Center, Counter, Device
from .selectors import rows

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

KIOSK = Device.Kind.KIOSK
RATING_TABLET = Device.Kind.RATING_TABLET
COOKIE_NAME = "khedmat_device"
_COOKIE_SALT = "khedmat.centers.device-credential"
_CODE_SALT = "khedmat.centers.device-pairing-code"
PAIRING_CODE_DIGITS = 8
NAME_MAX = 80
# A screen in use is marked seen (and its cookie renewed) at most this often: one small
# write per screen every few minutes, not one per request.
SEEN_EVERY = datetime.timedelta(minutes=10)


class DeviceError(Refusal):
    """A device operation refused (see core.errors.Refusal); nothing was changed."""


@dataclass(frozen=True)
class PairingCode:
    """A code just issued: shown once to the manager, typed once on the screen."""

    device: Device
    code: str
    expires_at: datetime.datetime

    @property
    def display(self) -> str:
        """"4821 3907": two groups of four, digits as the language writes them."""
        return localize_digits(f"{self.code[:4]} {self.code[4:]}")


def _digest(code: str) -> str:
    return salted_hmac(_CODE_SALT, code, algorithm="sha256").hexdigest()


def _may_manage(actor: Any, center: Center) -> bool:
    return is_center_manager(actor) and actor.center_id == center.pk


def _audit(action: str, device: Device, *, actor: Any, request: HttpRequest | None, **data: Any) -> None:
    audit_record(action=f"centers.{action}", target_type="centers.device", target_id=device.public_id,
                 actor=actor, request=request,
                 data={"center": device.center.code, "kind": device.kind, "name": device.name, **data})


def _issue_code(device: Device, valid_minutes: int | None) -> PairingCode:
    minutes = valid_minutes or settings.DEVICE_PAIRING_CODE_MINUTES
    expires_at = timezone.now() + datetime.timedelta(minutes=minutes)
    first = 10 ** (PAIRING_CODE_DIGITS - 1)
    for _attempt in range(10):
        code = str(first + secrets.randbelow(9 * first))
        try:
            with transaction.atomic():  # a savepoint: a code outstanding for another device
                Device.objects.filter(pk=device.pk).update(pairing_code_digest=_digest(code),
                                                          pairing_code_expires_at=expires_at)
        except IntegrityError:
            continue
        device.pairing_code_digest, device.pairing_code_expires_at = _digest(code), expires_at
        return PairingCode(device=device, code=code, expires_at=expires_at)
    raise DeviceError(_("Please try again."), code="busy")  # pragma: no cover - 9 × 10⁷ codes


@transaction.atomic
def device_add(*, center: Center, kind: str, name: str, actor: Any, counter: Counter | None = None,
               request: HttpRequest | None = None, valid_minutes: int | None = None) -> PairingCode:
    """A new screen of the center, with its first pairing code. A rating tablet faces the
    citizen at one counter of the center; a kiosk at none."""
    if not _may_manage(actor, center):
        raise DeviceError(_("Only the center's manager pairs its screens."), code="not_allowed")
    if kind not in Device.Kind.values:
        raise DeviceError(_("Choose what the screen is for."), code="bad_kind")
    name = " ".join(str(name or "").split())
    if not name or len(name) > NAME_MAX:
        raise DeviceError(_("Give the screen a name of up to %(count)s characters, e.g. where it stands.") % {
            "count": NAME_MAX}, code="bad_name")
    if kind == Device.Kind.RATING_TABLET:
        if counter is None or counter.center_id != center.pk or not counter.is_active:
            raise DeviceError(_("Choose the counter the tablet faces the citizen at."), code="bad_counter")
    else:
        counter = None
    device = Device.objects.create(center=center, kind=kind, name=name, counter=counter, created_by=actor)
    code = _issue_code(device, valid_minutes)
    _audit("device_added", device, actor=actor, request=request,
           counter=counter.number if counter is not None else None)
    return code


def _locked(device: Device) -> Device:
    return Device.objects.select_for_update(of=("self",)).select_related("center").get(pk=device.pk)


@transaction.atomic
def device_pairing_code_issue(*, device: Device, actor: Any, request: HttpRequest | None = None,
                              valid_minutes: int | None = None) -> PairingCode:
    """A new pairing code for a device (its screen was replaced, or its cookie lost). Using
    it unpairs whichever screen holds the device's cookie now; until then that screen works."""
    locked = _locked(device)
    if not _may_manage(actor, locked.center):
        raise DeviceError(_("Only the center's manager pairs its screens."), code="not_allowed")
    if locked.is_revoked:
        raise DeviceError(_("This device is revoked; add a new one instead."), code="revoked")
    code = _issue_code(locked, valid_minutes)
    _audit("device_pairing_code_issued", locked, actor=actor, request=request)
    return code


def normalize_pairing_code(raw: Any) -> str | None:
    """The code as typed (spaces, dashes, any digits), or None when it cannot be one."""
    try:
        return digit_string(raw, lengths=(PAIRING_CODE_DIGITS,))
    except NotANumber:
        return None


@transaction.atomic
def device_pair(*, code: str, request: HttpRequest | None = None) -> Device:
    """The screen that typed `code` becomes the device the code was issued for. The code
    works once; the device's generation goes up, so any earlier screen's cookie stops."""
    typed = normalize_pairing_code(code)
    found = None
    if typed is not None:
        found = (Device.objects.select_for_update(of=("self",)).select_related("center", "counter")
                 .filter(pairing_code_digest=_digest(typed), revoked_at__isnull=True,
                         pairing_code_expires_at__gt=timezone.now()).first())
    if found is None:
        raise DeviceError(_("This pairing code is not valid or has expired. Ask the center manager for a new one."),
                          code="bad_code")
    now = timezone.now()
    found.generation += 1
    found.paired_at = found.last_seen_at = now
    found.pairing_code_digest = found.pairing_code_expires_at = None
    found.save(update_fields=["generation", "paired_at", "last_seen_at", "pairing_code_digest",
                              "pairing_code_expires_at"])
    _audit("device_paired", found, actor=None, request=request, generation=found.generation)
    return found


@transaction.atomic
def device_revoke(*, device: Device, actor: Any, request: HttpRequest | None = None) -> Device:
    """The device's screen stops working at its next request, and no code pairs it again
    (revoking twice changes nothing)."""
    locked = _locked(device)
    if not _may_manage(actor, locked.center):
        raise DeviceError(_("Only the center's manager pairs its screens."), code="not_allowed")
    if locked.is_revoked:
        return locked
    locked.revoked_at = timezone.now()
    locked.pairing_code_digest = locked.pairing_code_expires_at = None
    locked.save(update_fields=["revoked_at", "pairing_code_digest", "pairing_code_expires_at"])
    _audit("device_revoked", locked, actor=actor, request=request)
    return locked


# --- the credential: a signed cookie on the screen ---------------------------------------------

def _max_age() -> int:
    return int(settings.DEVICE_CREDENTIAL_DAYS) * 24 * 60 * 60


def device_set_credential(response: HttpResponse, device: Device) -> None:
    """Give the screen its credential: the device's id and generation, signed."""
    response.set_signed_cookie(COOKIE_NAME, f"{device.public_id}:{device.generation}", salt=_COOKIE_SALT,
                               max_age=_max_age(), httponly=True, samesite="Lax",
                               secure=settings.SESSION_COOKIE_SECURE)


def device_forget_credential(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE_NAME, samesite="Lax")


def credential_presented(request: HttpRequest) -> bool:
    return COOKIE_NAME in request.COOKIES


def device_from_request(request: HttpRequest) -> Device | None:
    """The paired, unrevoked device whose current credential this request carries (one
    query, remembered for the request), or None."""
    if hasattr(request, "_khedmat_device"):
        return request._khedmat_device  # type: ignore[no-any-return]
    device = None
    try:
        value = request.get_signed_cookie(COOKIE_NAME, salt=_COOKIE_SALT, max_age=_max_age()) or ""
    except (KeyError, signing.BadSignature):
        value = ""
    public_id, _sep, generation = value.partition(":")
    try:
        key, number = uuid.UUID(public_id), int(generation)
    except ValueError:
        key = None
    if key is not None:
        device = _paired_device(key, number)
    request._khedmat_device = device  # type: ignore[attr-defined]
    return device


def _paired_device(public_id: uuid.UUID, generation: int) -> Device | None:
    """The paired, unrevoked device of an active center with this id and generation, with its
    center and counter: one plain statement, written once per process. Every request of every
    screen of every hall asks this, and the ORM's building of it (three tables' columns) was a
    fifth of a kiosk ticket's CPU (docs/performance.md)."""
    sql, parts = _paired_device_sql(connection.vendor)
    row = rows.fetch_one(sql, [rows.param(Device, "public_id", public_id), generation])
    if row is None:
        return None
    device_columns, center_columns, counter_columns = parts
    device = device_columns.build(row[:device_columns.width])
    device.center = center_columns.build(row[device_columns.width:device_columns.width + center_columns.width])
    counter_values = row[device_columns.width + center_columns.width:]
    device.counter = counter_columns.build(counter_values) if device.counter_id is not None else None
    return device


@functools.lru_cache(maxsize=4)
def _paired_device_sql(vendor: str) -> tuple[str, tuple[rows.Columns[Device], rows.Columns[Center],
                                                        rows.Columns[Counter]]]:
    parts = (rows.columns(Device, "d"), rows.columns(Center, "c"), rows.columns(Counter, "k"))
    column = rows.column
    sql = (f"SELECT {parts[0].select}, {parts[1].select}, {parts[2].select} "  # noqa: S608 - our names
           f"FROM {rows.table(Device)} d JOIN {rows.table(Center)} c ON c.id = d.{column(Device, 'center')} "
           f"LEFT JOIN {rows.table(Counter)} k ON k.id = d.{column(Device, 'counter')} "
           f"WHERE d.{column(Device, 'public_id')} = %s AND d.{column(Device, 'generation')} = %s "
           f"AND d.{column(Device, 'paired_at')} IS NOT NULL AND d.{column(Device, 'revoked_at')} IS NULL "
           f"AND c.{column(Center, 'is_active')}")
    return sql, parts


def screen_device(request: HttpRequest, *, kind: str) -> Device | None:
    """The paired device of `kind` this request comes from (a rating tablet with its counter), or None."""
    device = device_from_request(request)
    if device is None or device.kind != kind or (kind == RATING_TABLET and device.counter is None):
        return None
    return device


def device_seen(*, device: Device, response: HttpResponse) -> None:
    """Note that the screen is in use and renew its cookie, at most every SEEN_EVERY."""
    now = timezone.now()
    if device.last_seen_at is not None and now - device.last_seen_at < SEEN_EVERY:
        return
    Device.objects.filter(pk=device.pk).update(last_seen_at=now)
    device.last_seen_at = now
    device_set_credential(response, device)


def screen_response(request: HttpRequest, response: HttpResponse, device: Device | None) -> HttpResponse:
    """Finish a screen's page: mark a paired device seen, and drop a credential that no
    longer works (revoked, paired elsewhere since) so the screen shows itself unpaired."""
    if device is not None:
        device_seen(device=device, response=response)
    elif credential_presented(request) and device_from_request(request) is None:
        device_forget_credential(response)
    return response


# --- where a paired screen goes -------------------------------------------------------------------

_HOMES: dict[str, Callable[[Device], str]] = {
    Device.Kind.KIOSK: lambda device: reverse("centers:kiosk", kwargs={"slug": device.center.slug}),
}


def device_home_register(kind: str, home: Callable[[Device], str]) -> None:
    """Where a screen of `kind` goes once paired (apps above centers register theirs in
    AppConfig.ready(): the rating tablet is the feedback app's page)."""
    _HOMES[kind] = home


def device_home_url(device: Device) -> str:
    home = _HOMES.get(device.kind)
    return home(device) if home is not None else reverse("catalog:home")
