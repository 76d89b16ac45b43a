"""What people in the hall see (issue 10): a picture on each kiosk button, a ticket printed for
a thermal printer with a QR code of its live page, and a board that keeps showing the day's
calls without JavaScript."""

from __future__ import annotations

import base64
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from khedmat.catalog import services as catalog_services
from khedmat.centers.admin import KioskServiceAdmin, QueueGroupForm
from khedmat.centers.models import KioskService, Ticket
from khedmat.centers.services import (
    queue_group_set_pictogram,
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_no_show,
    ticket_recall,
    ticket_transfer,
)
from khedmat.centers.tests.conftest import Hall
from khedmat.centers.views_hall import qr_data_uri
from khedmat.core.pictograms import PICTOGRAMS

KIOSK = "/en/centers/kabul/kiosk/"


def page(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


# --- kiosk pictograms ---------------------------------------------------------------------------

def _button(html: str, service_pk: int) -> str:
    """The kiosk's button of one service."""
    match = re.search(rf'<a class="kiosk-button" href="\?service={service_pk}">(.*?)</a>', html)
    assert match, f"no button for service {service_pk}"
    return match.group(1)


def test_each_service_and_group_shows_its_own_pictogram_beside_its_label(kiosk: Client, hall: Hall) -> None:
    catalog_services.service_set_pictogram(service=hall.passport, pictogram="passport")
    queue_group_set_pictogram(group=hall.licences, pictogram="driving-licence")
    html = page(kiosk.get(KIOSK))
    passport, licence = _button(html, hall.passport.pk), _button(html, hall.licence.pk)
    assert '<use href="#pict-s-passport">' in passport and "<span>Passport issuance and renewal</span>" in passport
    # The licence has no pictogram of its own: it shows its queue group's.
    assert '<use href="#pict-s-driving-licence">' in licence
    assert 'aria-hidden="true"' in passport and 'aria-hidden="true"' in licence
    # The passports' group has none either: a ticket, the generic picture.
    assert re.search(r'id="kiosk-group-\d+"><span[^>]*>P</span><svg[^>]*><use href="#pict-s-generic">', html)
    # The sprite draws each pictogram the page uses, once, and no other.
    assert html.count('<symbol id="pict-s-passport"') == 1 and html.count('<symbol id="pict-s-driving-licence"') == 1
    assert '<symbol id="pict-s-health"' not in html


def test_the_second_kiosk_screen_repeats_the_services_picture(kiosk: Client, hall: Hall) -> None:
    catalog_services.service_set_pictogram(service=hall.passport, pictogram="passport")
    html = page(kiosk.get(KIOSK, {"service": hall.passport.pk}))
    assert '<use href="#pict-s-passport">' in html and '<symbol id="pict-s-passport"' in html


def test_a_pictogram_that_is_not_in_the_registry_is_refused(hall: Hall) -> None:
    with pytest.raises(ValidationError):
        catalog_services.service_set_pictogram(service=hall.passport, pictogram="<script>")
    with pytest.raises(ValidationError):
        queue_group_set_pictogram(group=hall.passports, pictogram="nope")
    form = QueueGroupForm(data={"center": hall.center.pk, "letter": "P", "name_en": "P", "name_fa": "P",
                                "name_ps": "P", "pictogram": "nope", "services": [hall.passport.pk]},
                          instance=hall.passports)
    assert not form.is_valid() and "pictogram" in form.errors


def test_every_pictogram_is_small_and_drawn_in_the_pages_colour() -> None:
    for code, pictogram in PICTOGRAMS.items():
        assert len(pictogram.body) < 1024, code
        assert "style=" not in pictogram.body and "<script" not in pictogram.body, code


def test_only_platform_administrators_choose_service_pictograms(rf: object, hall: Hall, manager: object) -> None:
    from django.contrib.admin.sites import site

    from khedmat.accounts.models import Role
    from khedmat.accounts.services import staff_user_create

    admin = KioskServiceAdmin(KioskService, site)
    request = rf.get("/")  # type: ignore[attr-defined]
    request.user = manager
    assert admin.has_view_permission(request) and not admin.has_change_permission(request)
    request.user = staff_user_create(username="platform", password="pass-for-tests-1", role=Role.PLATFORM_ADMIN,
                                     full_name="Platform")
    assert admin.has_change_permission(request) and not admin.has_add_permission(request)
    request.user = AnonymousUser()
    assert not admin.has_view_permission(request)


# --- the printed ticket -------------------------------------------------------------------------

def _print_url(ticket: Ticket, language: str = "en") -> str:
    with translation.override(language):
        return reverse("centers:ticket_print", kwargs={"public_id": ticket.public_id})


@override_settings(PUBLIC_BASE_URL="http://hall.example:8123/")
def test_printed_ticket_has_number_service_center_time_people_ahead_and_a_qr_of_its_page(
        client: Client, hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    html = page(client.get(_print_url(ticket, "fa")))
    assert "P-۰۰۲" in html and "Kabul" in html
    assert re.search(r"<dt>[^<]+</dt><dd>۱</dd>", html)  # one person ahead, in Eastern digits
    assert "۱۴۰" in html  # the time, in the Solar Hijri calendar (year 140x)
    live = f"http://hall.example:8123/fa/tickets/{ticket.public_id}/"
    assert f'src="{qr_data_uri(live)}"' in html
    svg = base64.b64decode(qr_data_uri(live).split(",", 1)[1]).decode()
    assert svg.startswith("<svg") and "<script" not in svg
    assert 'dir="rtl"' in html and "<script src=" in html and "onclick" not in html


def test_the_printed_ticket_comes_in_58_and_80_mm(client: Client, hall: Hall) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    narrow = page(client.get(_print_url(ticket), {"paper": "58"}))
    assert "ticket-print-58mm.css" in narrow and "ticket-print--58" in narrow
    for odd in ("", "80", "999", "۵۸", "58mm' onload='x"):
        assert "ticket-print-80mm.css" in page(client.get(_print_url(ticket), {"paper": odd}))
    wide = client.get("/static/centers/ticket-print-58mm.css")
    assert b"size: 58mm auto" in b"".join(wide.streaming_content)  # type: ignore[attr-defined]


def test_a_ticket_links_to_its_print_layout_and_an_unknown_one_is_not_found(client: Client, hall: Hall) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    assert _print_url(ticket) in page(client.get(f"/en/tickets/{ticket.public_id}/"))
    assert f"{_print_url(ticket)}?kiosk=1" in page(client.get(f"/en/tickets/{ticket.public_id}/?kiosk=1"))
    assert client.get("/en/tickets/00000000-0000-4000-8000-000000000000/print/").status_code == 404
    assert client.post(_print_url(ticket)).status_code == 405


# --- the board without JavaScript ---------------------------------------------------------------

BOARD = "/en/centers/kabul/board/"


def _rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'board-call__number"><span dir="ltr">([^<]+)</span></td>\s*'
                      r'<td class="board-call__counter">([^<]+)</td>', html)


def test_the_board_without_javascript_shows_the_call_not_no_ticket_called(client: Client, hall: Hall) -> None:
    assert re.search(r'<p class="board__empty" id="board-empty">No ticket has been called', page(client.get(BOARD)))
    ticket_issue(center=hall.center, service=hall.passport)
    counter = hall.open(3)
    called = ticket_call_next(counter=counter)
    assert called is not None
    html = page(client.get(BOARD))
    assert _rows(html) == [("P-001", "3")]
    assert '<p class="board__empty" id="board-empty" hidden>' in html
    # Served, the call stays on the board: the hall saw it, and the day had a call.
    ticket_finish(counter=counter, ticket=called)
    html = page(client.get(BOARD))
    assert _rows(html) == [("P-001", "3")] and 'id="board-empty" hidden' in html


def test_the_board_leaves_out_tickets_sent_on_and_no_shows(client: Client, hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    ticket_issue(center=hall.center, service=hall.passport)
    three, four = hall.open(3), hall.open(4)
    sent_on = ticket_call_next(counter=three)
    missing = ticket_call_next(counter=four)
    assert sent_on is not None and missing is not None
    ticket_transfer(counter=three, ticket=sent_on, service=hall.licence)
    for _ in range(2):
        ticket_recall(counter=four, ticket=missing)
    ticket_no_show(counter=four, ticket=missing)
    assert _rows(page(client.get(BOARD))) == []


# --- weight -------------------------------------------------------------------------------------

def test_the_demo_kiosk_with_its_pictograms_and_the_printed_ticket_stay_within_the_budget(db: None) -> None:
    """Kabul's kiosk, 25 buttons in five groups, each with its picture: under 30 KB compressed."""
    from django.core.management import call_command

    from khedmat.accounts.models import User
    from khedmat.centers.models import Center
    from khedmat.centers.tests.conftest import paired_client
    from tests.test_page_weight import page_weight

    call_command("seed_demo", quiet=True)
    center = Center.objects.get(slug="kabul")
    manager = User.objects.filter(center=center, role="center_manager").first()
    assert manager is not None
    kiosk, _device = paired_client(center, manager)
    weights = []
    for language in ("en", "fa", "ps"):
        weight = page_weight.measure_page(kiosk, f"/{language}/centers/kabul/kiosk/")
        html = page(kiosk.get(f"/{language}/centers/kabul/kiosk/"))
        assert html.count('<use href="#pict-s-') == 25 + 5 and "#pict-s-passport" in html
        weights.append(weight)
        assert weight.total <= page_weight.BUDGET_BYTES, weight
    from khedmat.catalog.models import Service

    ticket = ticket_issue(center=center, service=Service.objects.get(slug="passport"))
    printed = page_weight.measure_page(Client(), _print_url(ticket, "fa"))
    print(page_weight.format_table([*weights, printed]))
    assert printed.total <= page_weight.BUDGET_BYTES, printed
