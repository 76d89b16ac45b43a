"""Every public and citizen page on a 360-pixel phone, in English, Dari and Pashto: nothing
wider than the screen, and in Dari and Pashto no English left in what a person reads.

The pages come from the URL conf: every pattern under /<lang>/ is either visited here (filled
with the demonstration data, as the citizen, a paired kiosk or tablet where it needs one) or
named in NOT_VISITED with the reason, so a page added tomorrow fails until someone decides.
Latin letters are allowed where they are meant to be: inside `<bdi>`, an element with
`dir="ltr"` (references, codes, phone numbers: `{{ value|ltr }}`) or set left to right by the
stylesheet (.reference, .ltr), `<code>`, text marked `lang="en"` (the language switcher), text
between Unicode isolates (help texts' examples, names in flash messages), and the few words of
ALLOWED_LATIN. One Chromium, one context per language; the failure names each page and text.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

WIDTH = 360
LANGUAGES = ("en", "fa", "ps")
# Names and abbreviations that Dari and Pashto write in Latin letters too.
# (File formats; the transit documents' international names: CMR consignment note, TIR carnet,
# HS tariff code; the PoR card of Afghans registered in Pakistan.)
ALLOWED_LATIN = {"QR", "PDF", "JPEG", "PNG", "JSON", "SMS", "USSD", "CMR", "TIR", "HS", "PoR"}

# Patterns under /<lang>/ this test does not open, by name, and why.
NOT_VISITED = {
    # Not pages: files, feeds, and actions that only take a POST (their pages are visited).
    "payments:receipt": "a PDF", "payments:refund_receipt": "a PDF", "documents:pdf": "a PDF",
    "applications:document_download": "a file the citizen uploaded",
    "centers:board_feed": "JSON for the board's script",
    "centers:board_call_audio": "a WAV of a spoken call, for the board's script",
    "accounts:logout": "POST only (signing out)", "accounts:login_code_resend": "POST only",
    "applications:draft_delete": "a confirmation that deletes the draft the other pages need; "
                                 "visited last would do, but its page is the draft's own",
    "accounts:login_code": "needs a code just sent; the sign-in page is visited",
    "applications:answer": "POST only (the applicant's answer, from the file's page)",
    "centers:appointment_find": "POST only (the form is on the appointments page)",
    "audit:proof": "a JSON download",
    "complaints:act": "POST only (accept or reopen, from the complaint's page)",
    "complaints:rate": "POST only (the rating, from the complaint's page)",
}
# Staff pages (another test walks them) and the staff's sign-in.
STAFF_PREFIXES = ("office/", "center/", "staff/", "account/staff/")


@dataclass
class Route:
    name: str
    route: str
    needs: str = "citizen"  # citizen, anonymous, kiosk or tablet


def patterns() -> list[Route]:
    """Every pattern under the language prefix: its name and its route without the prefix."""
    found: list[Route] = []

    def walk(entries: list[Any], prefix: str, namespace: str, localized: bool) -> None:
        for entry in entries:
            if isinstance(entry, URLResolver):
                inner = localized or isinstance(entry.pattern, LocalePrefixPattern)
                route = "" if isinstance(entry.pattern, LocalePrefixPattern) else str(entry.pattern)
                space = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (
                    entry.namespace or namespace)
                walk(entry.url_patterns, prefix + route, space, inner)
            elif isinstance(entry, URLPattern) and localized:
                found.append(Route(f"{namespace}:{entry.name}".strip(":"), prefix + str(entry.pattern)))

    walk(get_resolver().url_patterns, "", "", False)
    return found


@dataclass
class World:
    """Real values to fill the routes with."""

    values: dict[str, list[str]]


def _citizen_files(citizen: Any) -> None:
    """The demonstration citizen's files: a few of the demonstration's, in their different
    states, moved to the citizen (the seed may leave the citizen with none)."""
    from khedmat.applications.models import Application

    if Application.objects.filter(applicant=citizen).exclude(state="draft").count() >= 3:
        return
    chosen = []
    for state in Application.objects.exclude(state="draft").values_list("state", flat=True).distinct():
        chosen += list(Application.objects.filter(state=state).values_list("pk", flat=True)[:1])
    Application.objects.filter(pk__in=chosen).update(applicant=citizen)


def build_world() -> World:
    from django.db.models import F

    from khedmat.accounts.models import User
    from khedmat.applications.models import Application
    from khedmat.catalog.models import Agency, Category, Service
    from khedmat.centers import services as queue
    from khedmat.centers.models import Appointment, AppointmentSchedule, Center
    from khedmat.complaints.models import Complaint
    from khedmat.payments.models import PaymentOrder

    from .test_center_day import open_around_the_clock

    open_around_the_clock("KBL")
    kabul = Center.objects.get(code="KBL")
    passport = Service.objects.get(slug="passport")
    citizen = User.objects.get(username="+93700000001")
    _citizen_files(citizen)
    operator = User.objects.get(role="operator", center=kabul)
    waiting = queue.ticket_issue(center=kabul, service=passport)
    queue.ticket_issue(center=kabul, service=passport)
    counter = next(counter for counter in kabul.counters.order_by("number")
                   if queue.next_ticket_for(counter) is not None)
    queue.counter_open(counter=counter, operator=operator)
    served = queue.ticket_call_next(counter=counter)
    assert served is not None
    queue.ticket_finish(counter=counter, ticket=queue.ticket_start(counter=counter, ticket=served))
    published = list(Service.objects.filter(current_version__isnull=False, is_active=True)
                     .select_related("current_version").order_by("slug"))
    schedules = list(AppointmentSchedule.objects.filter(center=kabul).values_list("pk", flat=True)[:1])
    applications = Application.objects.filter(applicant=citizen)
    return World(values={
        "services": [service.slug for service in published],
        "online": [service.slug for service in published if service.current_version is not None
                   and "online" in service.current_version.definition.get("channels", ["online"])],
        "categories": list(Category.objects.values_list("slug", flat=True)),
        "agencies": list(Agency.objects.filter(is_active=True).values_list("slug", flat=True)),
        "centers": [kabul.slug],
        "applications": [str(key) for key in applications.values_list("public_id", flat=True)],
        "drafts": [str(key) for key in applications.filter(state="draft").values_list("public_id", flat=True)],
        "tickets": [str(waiting.public_id)],
        "served": [str(served.public_id)],
        "appointments": [str(key) for key in Appointment.objects.values_list("public_id", flat=True)[:1]],
        "orders": [str(key) for key in PaymentOrder.objects.filter(application__applicant=citizen)
                   .values_list("public_id", flat=True)],
        "schedules": [str(key) for key in schedules],
        # The demonstration's answered complaint first: its page shows the answer and the actions.
        "complaints": [str(key) for key in Complaint.objects.order_by(F("answered_at").desc(nulls_last=True), "id")
                       .values_list("public_id", flat=True)[:1]],
    })


# Which values fill a route, by what the route says (first match wins).
ROUTE_VALUES = [
    ("complaints/", "complaints"),
    ("services/categories/", "categories"), ("services/agencies/", "agencies"), ("services/", "services"),
    ("apply/", "online"), ("centers/", "centers"), ("edit/", "drafts"), ("applications/", "applications"),
    ("rate/", "served"), ("tickets/", "tickets"), ("appointments/book/", "schedules"),
    ("appointments/", "appointments"), ("payments/", "orders"),
]
# Pages that answer only a paired screen of the hall, or only a visitor who is not signed in.
NEEDS = {"centers:kiosk": "kiosk", "centers:kiosk_check_in": "kiosk", "feedback:counter_rate": "tablet",
         "accounts:login": "anonymous"}
# A query string that makes a page show what it is for.
QUERIES = {"payments:demo_pay": "?reference={order_reference}", "catalog:services": "?q=pasport"}


# With KHEDMAT_SCREENSHOTS=1 (`make screenshots`), these pages are saved into docs/screenshots/
# as <file>-<language>-360.png: (language, path or pattern name), file.
SCREENSHOTS_WANTED = os.environ.get("KHEDMAT_SCREENSHOTS") == "1"
SCREENSHOTS = {("fa", "verify/"): "verify", ("ps", "verify/"): "verify", ("fa", "status/"): "status",
               ("ps", "apply/passport/"): "apply-form", ("fa", "services/?q=pasport"): "search-typo",
               ("ps", "services/?q=pasport"): "search-typo", ("en", "payments:order"): "payment",
               ("fa", "payments:order"): "payment", ("ps", "payments:order"): "payment",
               ("en", "complaints:detail"): "complaint", ("fa", "complaints:detail"): "complaint"}


# Patterns whose pages differ by what an agency wrote (a service's page and form, an agency's
# description): every value in Dari and Pashto, where English may be left; the first in English.
EVERY_VALUE = ("services", "online", "agencies")


def paths_of(page: Route, world: World, language: str) -> list[str]:
    """The paths that open this pattern in `language`."""
    converters = re.findall(r"<(?:\w+:)?(\w+)>", page.route)
    if not converters:
        return [page.route]
    kind = next((kind for marker, kind in ROUTE_VALUES if marker in page.route), None)
    if kind is None:
        pytest.fail(f"{page.name}: no values for {page.route}; add them to ROUTE_VALUES or the page to NOT_VISITED")
    values = world.values[kind] if kind in EVERY_VALUE and language != "en" else world.values[kind][:1]
    if len(converters) > 1:
        pytest.fail(f"{page.name}: {page.route} has two parts to fill; teach this test")
    return [re.sub(r"<[^>]+>", value, page.route) for value in values]


CHECK = """([checkLatin, allowed]) => {
  const out = {overflow: [], latin: []};
  const width = window.innerWidth;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
      ' "' + (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60) + '"';
  if (document.documentElement.scrollWidth > width) {
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      // Partly outside: what is wholly outside is put there on purpose (a skip link).
      if (box.width && box.right > 0 && box.left < width && (box.right > width + 1 || box.left < -1)) wide.push(el);
    }
    // The innermost offenders: those with no offending child.
    out.overflow = wide.filter(el => !wide.some(other => other !== el && el.contains(other)))
                       .slice(0, 4).map(el => describe(el) + ' ' + Math.round(el.getBoundingClientRect().right) + 'px');
    if (!out.overflow.length) out.overflow = ['the page is ' + document.documentElement.scrollWidth + 'px wide'];
  }
  if (!checkLatin) return out;
  const exempt = 'script,style,noscript,template,bdi,[dir=ltr],code,pre,kbd,samp,[lang^=en],[aria-hidden=true]';
  // Set left to right on purpose (a .reference, .ltr, a <bdi> of Latin text), or isolated in plain text.
  const meant = (el) => el.closest(exempt) || getComputedStyle(el).direction === 'ltr';
  const isolated = /[\u2066\u2067\u2068][^\u2069]*\u2069/g;
  const latin = /[A-Za-z][A-Za-z0-9'’._-]*/g;
  const report = (text, el) => {
    for (const match of text.replace(isolated, ' ').matchAll(latin)) {
      const word = match[0].replace(/[._-]+$/, '');
      if (!allowed.includes(word)) out.latin.push(word + ' in ' + describe(el));
    }
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!/[A-Za-z]/.test(node.nodeValue) || meant(el) || !el.getClientRects().length) continue;
    report(node.nodeValue, el);
  }
  for (const el of document.body.querySelectorAll('[placeholder],[alt],[aria-label],[title],input[type=submit]')) {
    if (el.closest(exempt)) continue;
    for (const name of ['placeholder', 'alt', 'aria-label', 'title']) {
      if (el.hasAttribute(name)) report(el.getAttribute(name), el);
    }
    if (el.matches('input[type=submit]')) report(el.value, el);
  }
  return out;
}"""


def pair(page: Page, site: str, language: str, kind: str) -> None:
    from .test_center_day import pairing_code

    code = pairing_code("KBL", kind="rating_tablet" if kind == "tablet" else kind,
                        counter=1 if kind == "tablet" else None)
    page.goto(f"{site}/{language}/devices/pair/?code={code}")
    page.locator("form[method=post] button[type=submit]").last.click()


def citizen_session() -> str:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="+93700000001"))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_every_page_fits_a_phone_and_reads_in_its_language(browser: Browser, demo_site: str,
                                                           settings: Any) -> None:
    from khedmat.payments.models import PaymentOrder

    settings.PAYMENT_DEMO_ENABLED = True
    started = time.monotonic()
    from django.db import transaction

    with transaction.atomic():  # the queue's reads lock their rows, as in a request
        world = build_world()
    order = PaymentOrder.objects.filter(public_id=world.values["orders"][0]).first() if world.values["orders"] else None
    pages = [page for page in patterns() if not page.route.startswith(STAFF_PREFIXES)]
    visits: dict[tuple[str, str], list[tuple[str, str]]] = {
        (language, needs): [] for language in LANGUAGES for needs in ("anonymous", "kiosk", "tablet", "citizen")}
    for page in pages:
        if page.name in NOT_VISITED:
            continue
        query = QUERIES.get(page.name, "").format(order_reference=order.reference if order else "")
        for language in LANGUAGES:
            for path in paths_of(page, world, language):
                visits[language, NEEDS.get(page.name, "citizen")].append((page.name, path + query))
    session = citizen_session()
    problems: list[str] = []
    visited = 0
    for language in LANGUAGES:
        context = browser.new_context(viewport={"width": WIDTH, "height": 780})
        context.set_default_timeout(15_000)
        tab = context.new_page()
        for needs in ("anonymous", "kiosk", "tablet", "citizen"):
            if needs in ("kiosk", "tablet"):
                pair(tab, demo_site, language, needs)
            if needs == "citizen":
                context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": demo_site}])
            for name, path in visits[language, needs]:
                url = f"{demo_site}/{language}/{path}"
                response = tab.goto(url)
                visited += 1
                if response is None or response.status != 200:
                    problems.append(f"{language} {name} /{language}/{path}: answered "
                                    f"{response.status if response else 'nothing'}")
                    continue
                found = tab.evaluate(CHECK, [language != "en", sorted(ALLOWED_LATIN)])
                shot = SCREENSHOTS.get((language, path)) or SCREENSHOTS.get((language, name))
                if SCREENSHOTS_WANTED and shot:
                    tab.screenshot(path=str(settings.BASE_DIR / "docs" / "screenshots" / f"{shot}-{language}-360.png"),
                                   full_page=True)
                problems += [f"{language} /{language}/{path} ({name}): wider than {WIDTH}px: {where}"
                             for where in found["overflow"]]
                problems += [f"{language} /{language}/{path} ({name}): English left: {text}"
                             for text in dict.fromkeys(found["latin"])]
        context.close()
    elapsed = time.monotonic() - started
    print(f"{visited} pages in {elapsed:.0f}s")
    assert not problems, f"{len(problems)} problems on {visited} pages:\n" + "\n".join(problems)


def test_every_pattern_is_visited_or_excused() -> None:
    """A new page under /<lang>/ is opened by the test above, or named in NOT_VISITED with why;
    a pattern with parts to fill must say where its values come from (ROUTE_VALUES)."""
    pages = patterns()
    names = {page.name for page in pages}
    assert not set(NOT_VISITED) - names, f"NOT_VISITED names pages that no longer exist: {set(NOT_VISITED) - names}"
    unfillable = [page.route for page in pages if "<" in page.route and not page.route.startswith(STAFF_PREFIXES)
                  and page.name not in NOT_VISITED and not any(marker in page.route for marker, _ in ROUTE_VALUES)]
    assert not unfillable, f"teach ROUTE_VALUES where these get their values: {unfillable}"
