"""Paired devices: each test performs an attack from issue 9 and checks it now does no harm.

The findings: one anonymous client took 100 kiosk tickets in 21 seconds (pushing the waiting
estimate to 13 hours); the kiosk served any browser; codes and credentials could be guessed
or kept after a screen was lost.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core import signing
from django.test import Client, override_settings
from django.utils import timezone

from khedmat.accounts.models import User
from khedmat.audit.models import AuditEvent
from khedmat.centers.devices import (
    COOKIE_NAME,
    DeviceError,
    device_add,
    device_pair,
    device_pairing_code_issue,
    device_revoke,
)
from khedmat.centers.models import Device, Ticket
from khedmat.centers.selectors import ticket_position

from .conftest import Hall, make_center, pair, paired_client

KIOSK = "/en/centers/kabul/kiosk/"
PAIR = "/en/devices/pair/"
JOIN = "/en/centers/kabul/join/"


def take_ticket(client: Client, hall: Hall, n: int) -> Any:
    return client.post(KIOSK, {"service": hall.passport.pk, "token": f"flood-{n:04d}".ljust(24, "x")})


# --- the flood --------------------------------------------------------------------------------------------

def test_an_unpaired_browser_takes_no_ticket_however_often_it_posts(hall: Hall, client: Client) -> None:
    """The finding replayed: 100 kiosk posts from one anonymous client."""
    hall.open(3)
    for n in range(100):
        response = take_ticket(client, hall, n)
        assert response.status_code == 302 and response["Location"] == JOIN
    assert not Ticket.objects.exists()
    # The kiosk's pages send it to the remote join too; its check-in gives nothing.
    assert client.get(KIOSK)["Location"] == JOIN
    assert client.get(f"{KIOSK}?service={hall.passport.pk}")["Location"] == JOIN
    assert client.post(f"{KIOSK}check-in/", {"code": "1234567890"})["Location"] == JOIN


def test_a_forged_or_altered_credential_is_no_credential(hall: Hall, kiosk_device: tuple[Client, Device]) -> None:
    _kiosk, device = kiosk_device
    forged = Client()
    forged.cookies[COOKIE_NAME] = f"{device.public_id}:{device.generation}"  # unsigned
    assert forged.get(KIOSK)["Location"] == JOIN
    tampered = Client()
    signed = signing.get_cookie_signer(salt=COOKIE_NAME + "khedmat.centers.device-credential").sign(
        f"{device.public_id}:{device.generation + 1}")
    tampered.cookies[COOKIE_NAME] = signed[:-2] + "xx"
    assert tampered.get(KIOSK)["Location"] == JOIN
    assert not Ticket.objects.exists()


def test_a_paired_kiosk_gives_tickets_and_holds_no_session(hall: Hall, kiosk: Client) -> None:
    response = take_ticket(kiosk, hall, 1)
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/en/tickets/{ticket.public_id}/?kiosk=1"
    assert ticket.channel == Ticket.Channel.KIOSK
    assert "sessionid" not in kiosk.cookies or not kiosk.cookies["sessionid"].value


def test_a_paired_kiosk_is_throttled_where_a_real_hall_never_is(hall: Hall, manager: User) -> None:
    """A copied kiosk credential cannot flood the queue: 40 tickets in 5 minutes, then nothing."""
    hall.open(3)
    first, _device = paired_client(hall.center, manager)
    for n in range(40):
        assert take_ticket(first, hall, n).status_code == 302
    refused = take_ticket(first, hall, 99)
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    assert Ticket.objects.count() == 40
    newest = Ticket.objects.order_by("-number").first()
    assert newest is not None and ticket_position(ticket=newest).estimated_wait_minutes <= 40 * 8
    # Another kiosk of the hall keeps working.
    second, _other = paired_client(hall.center, manager, name="Kiosk by the stairs")
    assert take_ticket(second, hall, 100).status_code == 302
    assert Ticket.objects.count() == 41


def test_a_kiosk_of_another_center_is_sent_back_to_its_own(hall: Hall, manager: User) -> None:
    herat = make_center(code="HRT", slug="herat", name="Herat")
    herat_manager = User.objects.create(username="manager.hrt", role="center_manager", center=herat)
    kiosk, _device = paired_client(herat, herat_manager)
    assert kiosk.get(KIOSK)["Location"] == "/en/centers/herat/kiosk/"
    assert take_ticket(kiosk, hall, 1)["Location"] == "/en/centers/herat/kiosk/"
    assert not Ticket.objects.exists()


def test_a_rating_tablet_is_no_kiosk(hall: Hall, tablet_at: Callable[[int], Client]) -> None:
    tablet = tablet_at(3)
    assert take_ticket(tablet, hall, 1)["Location"] == JOIN
    assert not Ticket.objects.exists()


# --- revocation, pairing again ---------------------------------------------------------------------------

def test_revoking_on_the_managers_page_stops_the_kiosk_at_its_next_request(hall: Hall, manager: User,
                                                                             kiosk_device: tuple[Client, Device]
                                                                             ) -> None:
    from khedmat.catalog.tests.factories import verified_client

    kiosk, device = kiosk_device
    assert take_ticket(kiosk, hall, 1).status_code == 302
    staff = verified_client(manager)
    page = staff.get("/en/center/devices/").content.decode()
    assert "Kiosk by the entrance" in page and f"/en/center/devices/{device.public_id}/revoke/" in page
    staff.post(f"/en/center/devices/{device.public_id}/revoke/")
    response = take_ticket(kiosk, hall, 2)
    assert response["Location"] == JOIN
    assert kiosk.cookies[COOKIE_NAME].value == ""  # the dead credential is dropped
    assert Ticket.objects.count() == 1
    with pytest.raises(DeviceError):  # revoked for good: no new code pairs it again
        device_pairing_code_issue(device=device, actor=manager)
    events = list(AuditEvent.objects.filter(target_id=str(device.public_id)).values_list("action", "actor_id"))
    assert events == [("centers.device_added", manager.pk), ("centers.device_paired", None),
                      ("centers.device_revoked", manager.pk)]


def test_pairing_a_new_screen_unpairs_the_old_one(hall: Hall, manager: User,
                                                  kiosk_device: tuple[Client, Device]) -> None:
    old, device = kiosk_device
    issued = device_pairing_code_issue(device=device, actor=manager)
    assert take_ticket(old, hall, 1).status_code == 302  # works until used
    new = pair(Client(), issued.code)
    assert take_ticket(old, hall, 2)["Location"] == JOIN
    assert take_ticket(new, hall, 3).status_code == 302
    assert Ticket.objects.count() == 2


# --- the pairing code ---------------------------------------------------------------------------------

def test_a_pairing_code_works_once_is_kept_only_as_a_digest_and_expires(hall: Hall, manager: User,
                                                                        frozen_at: Callable) -> None:
    issued = device_add(center=hall.center, kind=Device.Kind.KIOSK, name="Kiosk", actor=manager)
    assert len(issued.code) == 8 and issued.code not in str(Device.objects.values().get())
    pair(Client(), f"{issued.code[:4]} {issued.code[4:]}")  # typed with a space
    again = Client().post(PAIR, {"code": issued.code})
    assert again.status_code == 200 and "not valid or has expired" in again.content.decode()
    late = device_add(center=hall.center, kind=Device.Kind.KIOSK, name="Kiosk 2", actor=manager)
    frozen_at(timezone.now() + datetime.timedelta(minutes=31))
    with pytest.raises(DeviceError):
        device_pair(code=late.code)


def test_guessing_pairing_codes_is_stopped_per_network(hall: Hall, manager: User) -> None:
    issued = device_add(center=hall.center, kind=Device.Kind.KIOSK, name="Kiosk", actor=manager)
    guesser = Client(REMOTE_ADDR="2001:db8:1:2::10")
    for n in range(10):
        wrong = f"{10000000 + n}" if f"{10000000 + n}" != issued.code else "99999999"
        assert guesser.post(PAIR, {"code": wrong}).status_code == 200
    # Another address of the same IPv6 /64 is the same network; even the right code is refused.
    neighbour = Client(REMOTE_ADDR="2001:db8:1:2::99")
    refused = neighbour.post(PAIR, {"code": issued.code})
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    assert Device.objects.get().paired_at is None
    assert pair(Client(REMOTE_ADDR="2001:db8:9:9::1"), issued.code)  # elsewhere, the code still works


def test_only_the_centers_manager_adds_and_revokes(hall: Hall, manager: User) -> None:
    with pytest.raises(DeviceError):
        device_add(center=hall.center, kind=Device.Kind.KIOSK, name="Kiosk", actor=hall.operator(3))
    issued = device_add(center=hall.center, kind=Device.Kind.KIOSK, name="Kiosk", actor=manager)
    herat = make_center(code="HRT", slug="herat", name="Herat")
    other = User.objects.create(username="manager.hrt", role="center_manager", center=herat)
    with pytest.raises(DeviceError):
        device_revoke(device=issued.device, actor=other)
    with pytest.raises(DeviceError):  # a tablet faces a counter of its own center
        device_add(center=herat, kind=Device.Kind.RATING_TABLET, name="Tablet", counter=hall.counter(3), actor=other)


def test_the_manager_adds_a_screen_and_sees_its_code_once(hall: Hall, manager: User) -> None:
    from khedmat.catalog.tests.factories import verified_client

    staff = verified_client(manager)
    missing = staff.post("/en/center/devices/add/", {"kind": "rating_tablet", "name": "Tablet 3"})
    assert missing.status_code == 422 and "Choose the counter the tablet faces" in missing.content.decode()
    assert not Device.objects.exists()
    response = staff.post("/en/center/devices/add/", {"kind": "rating_tablet", "name": "Tablet 3",
                                                      "counter": hall.counter(3).pk})
    page = response.content.decode()
    assert response.status_code == 200 and "Pairing code for Tablet 3" in page
    code = page.split("/en/devices/pair/?code=")[1][:8]
    assert code not in staff.get("/en/center/devices/").content.decode()
    tablet = pair(Client(), code)
    assert tablet.get("/en/devices/tablet/").status_code == 200


@override_settings(DEVICE_CREDENTIAL_DAYS=1)
def test_a_credential_unused_longer_than_its_life_lapses(hall: Hall, kiosk: Client, frozen_at: Callable) -> None:
    import time

    real = time.time
    try:
        time.time = lambda: real() + 2 * 24 * 3600  # type: ignore[assignment]
        assert kiosk.get(KIOSK)["Location"] == JOIN
    finally:
        time.time = real  # type: ignore[assignment]
