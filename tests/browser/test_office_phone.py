"""A supervisor on a 360 px phone, in Dari: searches the inbox, assigns files by ticking them,
reads the workload page. Nothing is wider than the screen (issue 10, officers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .test_applications_journey import STAFF_PASSWORD, totp_code

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{page.url} is {width} px wide"


def test_a_supervisor_searches_assigns_and_reads_the_workload_on_a_phone(browser: Browser, demo_site: str) -> None:
    from playwright.sync_api import expect

    from khedmat.applications.models import Application

    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    page.goto(f"{demo_site}/en/account/staff/sign-in/")
    page.get_by_label("Username").fill("admin.moi")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(totp_code("admin.moi"))
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{demo_site}/fa/office/")
    _fits(page)
    # The name typed with Arabic letters finds the file of نسرین حکیمی (Persian letters).
    page.get_by_label("جستجو").fill("حکيمي")
    page.get_by_role("button", name="نمایش", exact=True).click()
    rows = page.locator("table.office-inbox tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("نسرین حکیمی")
    _fits(page)

    # Clear the search, tick two unassigned files and give them to the officer.
    page.goto(f"{demo_site}/fa/office/?assignment=nobody")
    boxes = page.locator("input[name=ticked]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_label("پرونده‌های نشانی‌شده را بسپارید به").select_option(label="Mariam Sultani")
    page.get_by_role("button", name="سپردن پرونده‌های نشانی‌شده").click()
    expect(page.locator(".messages")).to_contain_text("۲ پرونده به Mariam Sultani سپرده شد.")
    assert Application.objects.filter(assigned_to__username="officer.moi").count() == 2
    _fits(page)

    page.get_by_role("link", name="حجم کار مأموران").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("حجم کار مأموران")
    expect(page.locator("table.workload")).to_contain_text("Mariam Sultani")
    _fits(page)
    context.close()
