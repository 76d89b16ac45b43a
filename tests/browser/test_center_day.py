"""A day at a service center, in the browser, in Dari: a visitor takes a ticket at the kiosk,
the hall's board shows the call within two seconds without reloading, the operator serves
and transfers the visitor, the second counter finishes, and the visitor rates the service
through the link on the ticket. The board shows a stale marker when its link drops and
recovers by itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.utils import translation

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

SCREENSHOTS_WANTED = os.environ.get("KHEDMAT_SCREENSHOTS") == "1"
DOCS_SCREENSHOTS = Path(settings.BASE_DIR, "docs", "screenshots")
BOARD_DELAY_MS = 2000  # the promise: a call is on the board within two seconds


def fa(text: str) -> str:
    """`text` as the Dari pages show it (the catalog's translation, or the English if none)."""
    with translation.override("fa"):
        return translation.gettext(text)


def eastern(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def test_a_day_at_the_center_in_dari(browser: Browser, demo_site: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from khedmat.accounts.models import Role, User
    from khedmat.accounts.services import staff_user_create
    from khedmat.catalog.models import Service
    from khedmat.centers import queue
    from khedmat.centers.models import Center, Ticket
    from khedmat.feedback.models import Rating

    shots = DOCS_SCREENSHOTS if SCREENSHOTS_WANTED else tmp_path / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    center = Center.objects.get(slug="kabul")
    passport = Service.objects.get(slug="passport")
    tazkira = Service.objects.get(slug="e-tazkira")
    with translation.override("fa"):
        passport_fa = passport.name

    # The kiosk: a tablet in the hall, in Dari.
    kiosk_context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fa-AF")
    kiosk = kiosk_context.new_page()
    kiosk.goto(f"{demo_site}/fa/centers/kabul/kiosk/")
    expect(kiosk.locator("html")).to_have_attribute("dir", "rtl")
    kiosk.screenshot(path=shots / "kiosk-fa-1024.png", full_page=False)
    kiosk.get_by_role("link", name=passport_fa).click()
    expect(kiosk.get_by_role("heading", name=fa("Do you need priority?"))).to_be_visible()
    kiosk.get_by_role("button", name=fa("No — take an ordinary ticket")).click()
    ticket = Ticket.objects.get()
    number = eastern(ticket.display_number)
    expect(kiosk.locator(".ticket__number")).to_have_text(number)
    expect(kiosk.get_by_text(fa("People ahead of you"))).to_be_visible()
    kiosk.screenshot(path=shots / "kiosk-ticket-fa-1024.png", full_page=False)

    # The hall's board, a second screen; sound on with one tap.
    board_context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fa-AF")
    board = board_context.new_page()
    board.goto(f"{demo_site}/fa/centers/kabul/board/")
    expect(board.locator("html")).to_have_attribute("dir", "rtl")
    board.get_by_role("button", name=fa("Tap to enable sound")).click()
    expect(board.get_by_role("button", name=fa("Tap to enable sound"))).to_be_hidden()

    # The operator of counter 3 opens it and calls: the board shows it without a reload.
    first_operator = User.objects.get(username="operator.kbl")
    second_operator = staff_user_create(username="operator2.kbl", password="demo-pass-2026", role=Role.OPERATOR,
                                        center=center, full_name="Second Operator")
    counter_3 = queue.counter_open(counter=center.counters.get(number=3), operator=first_operator)
    counter_4 = queue.counter_open(counter=center.counters.get(number=4), operator=second_operator)
    called = queue.ticket_call_next(counter=counter_3)
    assert called is not None and called.pk == ticket.pk
    newest = board.locator("#board-calls tr").first
    expect(newest.locator(".board-call__number")).to_have_text(number, timeout=BOARD_DELAY_MS)
    expect(newest.locator(".board-call__counter")).to_have_text("۳")
    board.screenshot(path=shots / "board-fa-1280.png", full_page=False, animations="disabled")

    # Served at counter 3, then sent on to the e-Tazkira service: counter 4 calls the same number.
    queue.ticket_start(counter=counter_3, ticket=called)
    queue.ticket_transfer(counter=counter_3, ticket=called, service=tazkira)
    again = queue.ticket_call_next(counter=counter_4)
    assert again is not None and again.pk == ticket.pk and again.display_number == ticket.display_number
    expect(newest.locator(".board-call__counter")).to_have_text("۴", timeout=BOARD_DELAY_MS)
    queue.ticket_start(counter=counter_4, ticket=again)
    queue.ticket_finish(counter=counter_4, ticket=again)

    # The board's link drops: a stale marker; it comes back by itself.
    stale = board.locator("#board-stale")
    board.route("**/board/feed/", lambda route: route.abort())
    expect(stale).to_be_visible(timeout=8000)
    expect(stale).to_contain_text(fa("Connection lost — showing calls as of {time}").split("{time}")[0].strip())
    board.unroute("**/board/feed/")
    expect(stale).to_be_hidden(timeout=8000)
    board_context.close()

    # The visitor follows the ticket's link on a phone and rates the service.
    phone_context = browser.new_context(viewport={"width": 360, "height": 780}, locale="fa-AF")
    phone = phone_context.new_page()
    phone.goto(f"{demo_site}/fa/tickets/{ticket.public_id}/")
    phone.get_by_role("link", name=fa("Rate the service")).click()
    phone.get_by_text(fa("Bad"), exact=True).click()
    expect(phone.get_by_text(fa("I waited too long"))).to_be_visible()  # the reasons open for a low score
    phone.get_by_text(fa("I waited too long")).click()
    phone.get_by_role("button", name=fa("Send my rating")).click()
    expect(phone.get_by_role("heading", name=fa("Thank you for your rating"))).to_be_visible()
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.score, rating.reason, rating.channel, rating.counter) == (2, "long_wait", "link", counter_4)
    assert rating.agency_id == tazkira.agency_id
    phone_context.close()
    kiosk_context.close()
