"""The back office inbox page: who may open it, filters, keyset pages, query count, assignment."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.services import ApplicationError, application_assign, application_claim, application_release
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency, Service

from .office_helpers import agency_admin, foreign_passport, submitted, verified_client

INBOX = "/en/office/"
REFERENCE = re.compile(r"MOI-PSP-\d{4}-\d{6}")


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """Addresses built by reverse() in English, as INBOX is."""
    with translation.override("en"):
        yield


def _references(html: str) -> list[str]:
    seen: list[str] = []
    for reference in REFERENCE.findall(html):
        if reference not in seen:
            seen.append(reference)
    return seen


def _next_link(html: str) -> str | None:
    match = re.search(r'<a href="([^"]+)" rel="next">', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_anonymous_visitors_are_sent_to_the_staff_sign_in(db: None) -> None:
    response = Client().get(INBOX)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:staff_login"))


def test_officers_must_give_their_second_factor(officer: User) -> None:
    client = Client()
    client.force_login(officer)  # password only
    response = client.get(INBOX)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:staff_second_factor")


def test_citizens_find_no_back_office(citizen: User) -> None:
    client = Client()
    client.force_login(citizen)
    assert client.get(INBOX).status_code == 404


def test_an_officer_sees_only_their_agencys_files(passport: Service, citizen: User, officer: User,
                                                  other_agency: Agency) -> None:
    own = submitted(passport, citizen)
    foreign = submitted(foreign_passport(other_agency), citizen)
    client = verified_client(officer)
    page = client.get(INBOX).content.decode()
    assert str(own.reference) in page and str(foreign.reference) not in page
    assert client.get(reverse("applications:office_file", kwargs={"public_id": foreign.public_id})).status_code == 404
    assert client.post(reverse("applications:office_claim", kwargs={"public_id": foreign.public_id})).status_code == 404
    assert Application.objects.get(pk=foreign.pk).assigned_to is None


def test_rows_show_what_an_officer_needs(passport: Service, citizen: User, officer: User) -> None:
    citizen.full_name = "Ahmad Zia"
    citizen.save()
    today = timezone.localdate()
    late = submitted(passport, citizen, due=today - datetime.timedelta(days=10))
    Application.objects.filter(pk=late.pk).update(escalated_at=timezone.now())
    page = verified_client(officer).get(INBOX).content.decode()
    assert "Passport issuance and renewal" in page and "Ahmad Zia" in page and "Submitted" in page
    assert "Overdue by" in page and "Escalated to the supervisors" in page  # in words, not only colour
    assert "Nobody" in page and "Assign to me" in page


def test_filters_are_a_plain_get_form(passport: Service, citizen: User, officer: User) -> None:
    today = timezone.localdate()
    overdue = submitted(passport, citizen, due=today - datetime.timedelta(days=10))
    later = submitted(passport, citizen, due=today + datetime.timedelta(days=40))
    client = verified_client(officer)
    page = client.get(INBOX, {"deadline": "overdue"}).content.decode()
    assert str(overdue.reference) in page and str(later.reference) not in page
    page = client.get(INBOX, {"assignment": "me"}).content.decode()
    assert _references(page) == []
    # A filter the form does not understand is reported and left out, never a server error.
    response = client.get(INBOX, {"service": "abc", "deadline": "overdue"})
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()
    assert _references(response.content.decode()) == [overdue.reference]


def test_walking_the_next_page_links_shows_every_file_once(passport: Service, citizen: User, officer: User,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("khedmat.applications.views_office.PAGE_SIZE", 7)
    today = timezone.localdate()
    for n in range(60):
        submitted(passport, citizen, due=today + datetime.timedelta(days=(n * 5) % 11 - 3))
    expected = list(Application.objects.exclude(state="draft").order_by("due_date", "id")
                    .values_list("reference", flat=True))
    client = verified_client(officer)
    url: str | None = INBOX + "?deadline=&closed=on"
    walked: list[str] = []
    pages = 0
    while url:
        html = client.get(url).content.decode()
        walked.extend(_references(html))
        url = _next_link(html)
        if url:
            assert "closed=on" in url and "after=" in url  # the filters travel with the cursor
        pages += 1
    assert walked == expected and pages == 9


def test_a_malformed_cursor_shows_the_first_page(passport: Service, citizen: User, officer: User) -> None:
    for _n in range(3):
        submitted(passport, citizen)
    client = verified_client(officer)
    first = _references(client.get(INBOX).content.decode())
    for bad in ("garbage", "9999-99-99.1", "2026-01-01.-x"):
        response = client.get(INBOX, {"after": bad})
        assert response.status_code == 200 and _references(response.content.decode()) == first


def test_the_inbox_costs_the_same_queries_whatever_its_length(passport: Service, citizen: User, officer: User,
                                                              second_officer: User,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = verified_client(officer)
    client.get(INBOX)  # warm the session

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(INBOX).status_code == 200
        return len(context.captured_queries)

    submitted(passport, citizen)
    queries()  # the service version read once, then kept by the process (selectors.inbox)
    few = queries()
    today = timezone.localdate()
    for n in range(30):
        application = submitted(passport, citizen, due=today + datetime.timedelta(days=n - 10))
        if n % 3 == 0:
            application_claim(application=application, officer=second_officer)
    monkeypatch.setattr("khedmat.applications.views_office.PAGE_SIZE", 50)
    many = queries()
    assert many == few
    with django_assert_max_num_queries(10):
        client.get(INBOX)


def test_claim_from_the_inbox_keeps_the_filters(passport: Service, citizen: User, officer: User) -> None:
    application = submitted(passport, citizen)
    client = verified_client(officer)
    here = INBOX + "?assignment=nobody"
    response = client.post(reverse("applications:office_claim", kwargs={"public_id": application.public_id}),
                           {"next": here})
    assert response.status_code == 302 and response["Location"] == here
    assert Application.objects.get(pk=application.pk).assigned_to == officer
    assert AuditEvent.objects.filter(action="applications.claimed", target_id=application.reference).count() == 1
    # An address elsewhere is not followed.
    response = client.post(reverse("applications:office_release", kwargs={"public_id": application.public_id}),
                           {"next": "https://example.com/"})
    assert response["Location"] == reverse("applications:office_file", kwargs={"public_id": application.public_id})


def test_claim_assign_release(passport: Service, citizen: User, officer: User, second_officer: User,
                              foreign_officer: User, moi: Agency) -> None:
    application = submitted(passport, citizen)
    application_claim(application=application, officer=officer)
    # A colleague cannot claim what is taken; they are told who has it.
    with pytest.raises(ApplicationError) as refused:
        application_claim(application=application, officer=second_officer)
    assert refused.value.code == "taken" and "officer.test" in refused.value.message
    # Nor can they release it; the holder can, and so can an agency administrator.
    with pytest.raises(ApplicationError) as refused:
        application_release(application=application, actor=second_officer)
    assert refused.value.code == "not_yours"
    application_assign(application=application, actor=officer, assignee=second_officer)
    assert Application.objects.get(pk=application.pk).assigned_to == second_officer
    with pytest.raises(ApplicationError) as refused:
        application_assign(application=application, actor=officer, assignee=foreign_officer)
    assert refused.value.code == "bad_assignee"
    with pytest.raises(ApplicationError) as refused:
        application_assign(application=application, actor=foreign_officer, assignee=foreign_officer)
    assert refused.value.code == "forbidden"
    application_release(application=application, actor=agency_admin(moi))
    assert Application.objects.get(pk=application.pk).assigned_to is None
    actions = list(AuditEvent.objects.filter(target_id=application.reference, action__in=[
        "applications.claimed", "applications.assigned", "applications.released"]).values_list("action", flat=True))
    assert actions == ["applications.claimed", "applications.assigned", "applications.released"]


def test_claim_refused_shows_the_message(passport: Service, citizen: User, officer: User,
                                         second_officer: User) -> None:
    application = submitted(passport, citizen)
    application_claim(application=application, officer=second_officer)
    client = verified_client(officer)
    response = client.post(reverse("applications:office_claim", kwargs={"public_id": application.public_id}),
                           follow=True)
    assert "took this file a moment ago" in response.content.decode()
    assert Application.objects.get(pk=application.pk).assigned_to == second_officer


def test_assign_from_the_file_page(passport: Service, citizen: User, officer: User, second_officer: User,
                                   foreign_officer: User) -> None:
    application = submitted(passport, citizen)
    client = verified_client(officer)
    url = reverse("applications:office_assign", kwargs={"public_id": application.public_id})
    response = client.post(url, {"assignee": foreign_officer.pk}, follow=True)
    assert "Choose a colleague of this agency." in response.content.decode()
    assert Application.objects.get(pk=application.pk).assigned_to is None
    client.post(url, {"assignee": second_officer.pk})
    assert Application.objects.get(pk=application.pk).assigned_to == second_officer
