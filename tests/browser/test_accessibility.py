"""axe-core finds no serious or critical accessibility fault on the main pages, in English and Dari."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.test import override_settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

BLOCKING_IMPACTS = ("serious", "critical")


def main_pages() -> list[str]:
    from khedmat.catalog.models import Service

    version = Service.objects.select_related("current_version__category").get(slug="passport").current_version
    assert version is not None, "the demonstration passport service has no published version"
    from khedmat.complaints.models import Complaint

    answered = Complaint.objects.filter(answered_at__isnull=False).order_by("id").first()
    assert answered is not None, "the demonstration has no answered complaint"
    return ["", "services/", f"services/categories/{version.category.slug}/", "services/passport/", "verify/",
            "complaints/new/?service=passport", "complaints/find/", f"complaints/{answered.public_id}/"]


def describe(url: str, violation: dict[str, Any]) -> str:
    nodes = violation["nodes"]
    where = "; ".join(f"{node['target']} {node['html'][:120]}" for node in nodes[:3])
    more = f" (+{len(nodes) - 3} more)" if len(nodes) > 3 else ""
    return f"{url}: [{violation['impact']}] {violation['id']}: {violation['help']} — {where}{more}"


def test_main_pages_have_no_serious_accessibility_violation(browser: Browser, demo_site: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    # bypass_csp lets axe's script into pages whose policy allows only our own scripts.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    faults = []
    checked = 0
    for language in ("en", "fa"):
        for path in main_pages():
            url = f"{demo_site}/{language}/{path}"
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            results = axe.run(page)
            faults += [describe(url, violation) for violation in results.response["violations"]
                       if violation["impact"] in BLOCKING_IMPACTS]
            checked += 1
    context.close()
    print(f"axe-core {axe_version()} checked {checked} pages")
    assert not faults, "Serious or critical accessibility violations:\n" + "\n".join(faults)


def axe_version() -> str:
    import axe_playwright_python

    head = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")[:200]
    match = re.search(r"axe v([\d.]+)", head)
    return match.group(1) if match else "?"


def test_citizen_application_pages_have_no_serious_accessibility_violation(browser: Browser, demo_site: str) -> None:
    """The pages a citizen fills in: the application form, their files and the status check."""
    from axe_playwright_python.sync_playwright import Axe

    from khedmat.notifications.selectors import sms_last_to

    axe = Axe()
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 780})
    page = context.new_page()
    page.goto(f"{demo_site}/en/account/sign-in/")
    page.get_by_label("Mobile number").fill("0700 000 001")
    page.get_by_role("button", name="Send me a code").click()
    sms = sms_last_to(phone_number="+93700000001")
    assert sms is not None
    code = re.search(r"\b(\d{6})\b", sms.body)
    assert code is not None
    page.get_by_label("Code from the SMS").fill(code.group(1))
    page.get_by_role("button", name="Sign in", exact=True).click()
    from khedmat.accounts.models import User
    from khedmat.applications.services import application_draft_save, application_submit
    from khedmat.catalog.models import Service
    from khedmat.payments.models import PaymentOrder

    # The demonstration citizen starts with no file (demo/applications.yaml): they file one.
    citizen = User.objects.get(phone_number="+93700000001")
    draft = application_draft_save(applicant=citizen, service=Service.objects.get(slug="passport"), data={
        "full_name": "Zarghuna Ahmadzai", "father_name": "Mohammad Nabi", "date_of_birth": "1990-03-21",
        "validity_years": "5"})
    application_submit(application=draft, idempotency_key="accessibility-1", actor=citizen)
    order = PaymentOrder.objects.filter(application__applicant__phone_number="+93700000001",
                                        status=PaymentOrder.Status.PENDING).first()
    assert order is not None, "the demonstration citizen has no fee to pay"
    faults = []
    for language in ("en", "fa"):
        for path in ("apply/passport/", "applications/", "status/", f"payments/{order.public_id}/",
                     f"payments/demo/?reference={order.reference}"):
            url = f"{demo_site}/{language}/{path}"
            with override_settings(PAYMENT_DEMO_ENABLED=True):
                response = page.goto(url)
            assert response is not None and response.status == 200, url
            faults += [describe(url, violation) for violation in axe.run(page).response["violations"]
                       if violation["impact"] in BLOCKING_IMPACTS]
    context.close()
    assert not faults, "Serious or critical accessibility violations:\n" + "\n".join(faults)


def test_center_public_pages_have_no_serious_accessibility_violation(browser: Browser, demo_site: str) -> None:
    """The hall's pages (kiosk, a ticket, the board, joining the queue, appointments, rating)."""
    from axe_playwright_python.sync_playwright import Axe

    from khedmat.catalog.models import Service
    from khedmat.centers.models import AppointmentSchedule, Center
    from khedmat.centers.services import ticket_issue

    from .test_center_day import open_around_the_clock, pair_screen, pairing_code

    open_around_the_clock("KBL")
    center = Center.objects.get(slug="kabul")
    passport = Service.objects.get(slug="passport")
    ticket = ticket_issue(center=center, service=passport)
    schedule = AppointmentSchedule.objects.get(center=center, service=passport)
    paths = ["devices/pair/", "centers/kabul/kiosk/", f"centers/kabul/kiosk/?service={passport.pk}",
             "centers/kabul/kiosk/check-in/",
             f"tickets/{ticket.public_id}/", f"tickets/{ticket.public_id}/?kiosk=1",
             f"tickets/{ticket.public_id}/print/?paper=58", f"tickets/{ticket.public_id}/rate/",
             "centers/kabul/board/", "centers/kabul/join/", "appointments/", f"appointments/book/{schedule.pk}/"]
    axe = Axe()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 768})
    page = context.new_page()
    pair_screen(page, demo_site, pairing_code("KBL"))  # the kiosk's pages answer a paired kiosk
    faults = []
    for language in ("en", "fa"):
        for path in paths:
            url = f"{demo_site}/{language}/{path}"
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            faults += [describe(url, violation) for violation in axe.run(page).response["violations"]
                       if violation["impact"] in BLOCKING_IMPACTS]
    context.close()
    assert not faults, "Serious or critical accessibility violations:\n" + "\n".join(faults)


def test_center_staff_pages_have_no_serious_accessibility_violation(browser: Browser, demo_site: str) -> None:
    """The counter screen (with a ticket called), the counter's rating tablet (a paired screen),
    the center manager's dashboard and its page of kiosks and tablets, in English and Dari."""
    from axe_playwright_python.sync_playwright import Axe

    from khedmat.centers.models import Center
    from khedmat.centers.services import ticket_issue

    from .test_applications_journey import STAFF_PASSWORD, totp_code

    axe = Axe()
    faults: list[str] = []

    def check(page: Any, path: str) -> None:
        for language in ("en", "fa"):
            url = f"{demo_site}/{language}/{path}"
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            faults.extend(describe(url, violation) for violation in axe.run(page).response["violations"]
                          if violation["impact"] in BLOCKING_IMPACTS)

    from .test_center_day import open_around_the_clock, pair_screen, pairing_code

    open_around_the_clock("KBL")
    center = Center.objects.get(code="KBL")
    first_counter = center.counters.filter(is_active=True).order_by("number").first()
    assert first_counter is not None, "the demonstration center has no counter"
    ticket_issue(center=center, service=first_counter.services.all()[0])
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{demo_site}/en/account/staff/sign-in/")
    page.get_by_label("Username").fill("operator.kbl")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    check(page, "center/counter/")  # choosing a counter
    page.goto(f"{demo_site}/en/center/counter/")
    page.locator("input[name=counter]").first.check()
    page.get_by_role("button", name="Open the counter").click()
    page.get_by_role("button", name="Call next").click()
    check(page, "center/counter/")  # a ticket called
    page.goto(f"{demo_site}/en/center/counter/")
    page.get_by_role("button", name="Start service").click()
    page.get_by_role("button", name="Finish service").click()
    context.close()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    tablet = context.new_page()
    pair_screen(tablet, demo_site, pairing_code("KBL", kind="rating_tablet", counter=first_counter.number))
    check(tablet, "devices/tablet/")  # the rating form, on the paired tablet
    context.close()

    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{demo_site}/en/account/staff/sign-in/")
    page.get_by_label("Username").fill("manager.kbl")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(totp_code("manager.kbl"))
    page.get_by_role("button", name="Sign in").click()
    check(page, "center/dashboard/")
    check(page, "center/devices/")
    context.close()
    assert not faults, "Serious or critical accessibility violations:\n" + "\n".join(faults)
