"""The center manager's dashboard and low ratings list as a manager sees them (issue 10): at
1280 px every table, rating columns included, fits without scrolling sideways in the three
languages; at 360 px the page itself never scrolls sideways (wide tables scroll in their own
region), and the day is typed and shown in the Solar Hijri calendar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def _a_served_and_rated_day() -> None:
    """Three tickets served at Kabul's first general counter by the demo operator, one rated 1."""
    from khedmat.accounts.models import User
    from khedmat.centers.models import Center
    from khedmat.centers.services import counter_open, ticket_call_next, ticket_finish, ticket_issue, ticket_start
    from khedmat.feedback.services import rating_submit

    center = Center.objects.get(code="KBL")
    counter = center.counters.filter(is_active=True, designation="general").order_by("number").first()
    assert counter is not None
    counter_open(counter=counter, operator=User.objects.get(username="operator.kbl"))
    for score in (1, 4, 5):
        ticket = ticket_issue(center=center, service=counter.services.all()[0])
        called = ticket_call_next(counter=counter)
        assert called == ticket
        ticket_start(counter=counter, ticket=called)
        done = ticket_finish(counter=counter, ticket=called)
        rating_submit(ticket=done, score=score, reason="long_wait" if score <= 2 else "", channel="link",
                      comment="سه ساعت منتظر ماندم." if score <= 2 else "")


def _overflow(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => ({
        page: document.documentElement.scrollWidth > window.innerWidth,
        regions: Array.from(document.querySelectorAll('.dash-scroll'))
            .filter(region => region.scrollWidth > region.clientWidth + 1)
            .map(region => region.getAttribute('aria-labelledby')),
    })""")


def test_the_dashboard_fits_at_1280_and_360_in_three_languages(browser: Browser, demo_site: str) -> None:
    from .test_applications_journey import STAFF_PASSWORD, totp_code
    from .test_center_day import open_around_the_clock

    open_around_the_clock("KBL")
    _a_served_and_rated_day()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{demo_site}/en/account/staff/sign-in/")
    page.get_by_label("Username").fill("manager.kbl")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(totp_code("manager.kbl"))
    page.get_by_role("button", name="Sign in").click()
    for language in ("en", "fa", "ps"):
        page.goto(f"{demo_site}/{language}/center/dashboard/")
        assert page.locator("#operators-heading").count() == 1
        assert _overflow(page) == {"page": False, "regions": []}, language
    # The day typed in Dari digits comes back as the page shows it.
    page.goto(f"{demo_site}/fa/center/dashboard/")
    shown = page.locator("#id_day").input_value()
    assert all("۰" <= c <= "۹" or c == "/" for c in shown), shown
    page.locator("#id_day").fill("۱۴۰۵/۱۲/۳۰")
    page.get_by_role("button", name="نمایش").click()
    assert "۲۹" in page.locator("#id_day_error").inner_text()
    page.set_viewport_size({"width": 360, "height": 800})
    for language in ("fa", "ps"):
        for path in ("center/dashboard/", "center/ratings/"):
            page.goto(f"{demo_site}/{language}/{path}")
            assert _overflow(page)["page"] is False, (language, path)
    assert page.locator(".low-rating").count() == 1
    context.close()
