"""The supervisor's workload page: open files per officer against the time standard."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from khedmat.accounts.models import User
from khedmat.applications.selectors.workload import agency_workload, week_start
from khedmat.applications.services import application_assign, application_transition
from khedmat.catalog.models import Agency, Service
from khedmat.core.workdays import add_working_days

from .office_helpers import agency_admin, foreign_passport, submitted, verified_client


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def _url() -> str:
    return reverse("applications:office_workload")


@pytest.fixture
def supervisor(moi: Agency) -> User:
    return agency_admin(moi)


@pytest.fixture
def work(passport: Service, citizen: User, supervisor: User, officer: User, second_officer: User) -> dict[str, int]:
    today = timezone.localdate()
    late = [submitted(passport, citizen, due=today - datetime.timedelta(days=10)) for _n in range(2)]
    soon = submitted(passport, citizen, due=add_working_days(today, 1))
    later = submitted(passport, citizen, due=today + datetime.timedelta(days=60))
    for application in (*late, soon):
        application_assign(application=application, actor=supervisor, assignee=officer)
    application_assign(application=later, actor=supervisor, assignee=second_officer)
    reviewed = application_transition(application=later, actor=second_officer, transition="start_review",
                                      expected_state=later.state)
    application_transition(application=reviewed, actor=second_officer, transition="reject",
                           expected_state=reviewed.state, reason_code="not_eligible", reason_text="Too young.")
    submitted(passport, citizen)  # nobody holds it
    return {"officer": officer.pk, "second": second_officer.pk}


def test_counts_per_officer_against_the_time_standard(work: dict[str, int], moi: Agency) -> None:
    workload = agency_workload(agency_id=moi.pk)
    rows = {row.officer.pk if row.officer else None: row for row in workload.rows}
    first = rows[work["officer"]]
    assert (first.open_files, first.overdue, first.due_soon) == (3, 2, 1)
    assert [(count.state, count.count) for count in first.by_state] == [("submitted", 3)]
    assert first.oldest_submitted_at is not None
    second = rows[work["second"]]
    assert (second.open_files, second.decided_this_week) == (0, 1)  # the rejection counts, the file is closed
    nobody = rows[None]
    assert nobody.open_files == 1 and nobody.inbox_filter == "nobody"
    assert workload.total_open == 4 and workload.total_overdue == 2
    assert workload.rows[0].officer is not None and workload.rows[0].officer.pk == work["officer"]  # most overdue first


def test_the_week_starts_on_saturday() -> None:
    wednesday = datetime.date(2026, 10, 7)
    assert week_start(wednesday) == datetime.date(2026, 10, 3)
    assert week_start(datetime.date(2026, 10, 3)) == datetime.date(2026, 10, 3)
    assert week_start(datetime.date(2026, 10, 2)) == datetime.date(2026, 9, 26)  # a Friday


def test_the_page_links_each_officer_to_their_inbox(work: dict[str, int], supervisor: User) -> None:
    client = verified_client(supervisor)
    page = client.get(_url()).content.decode()
    assert "Workload of the officers of Ministry of Interior Affairs" in page
    link = f'/en/office/?assignment={work["officer"]}'
    assert link in page and f'{link}&amp;deadline=overdue' in page
    inbox = client.get(link).content.decode()
    assert len(set(re.findall(r"MOI-PSP-\d{4}-\d{6}", inbox))) == 3
    assert client.get("/en/office/?assignment=nobody").status_code == 200
    assert "Workload of the officers" in client.get("/en/office/").content.decode()  # linked from the inbox


def test_only_the_agencys_supervisors_see_it(work: dict[str, int], officer: User, approver: User,
                                             citizen: User, other_agency: Agency, passport: Service) -> None:
    for user in (officer, approver):  # staff of another role: the friendly "not allowed" page
        assert verified_client(user).get(_url()).status_code == 403
        assert "Workload of the officers" not in verified_client(user).get("/en/office/").content.decode()
    signed_in = Client()
    signed_in.force_login(citizen)
    assert signed_in.get(_url()).status_code == 404
    assert Client().get(_url()).status_code == 302
    # Another agency's supervisor sees their own agency, never ours.
    foreign = agency_admin(other_agency, username="admin.mof", phone_number=None)
    submitted(foreign_passport(other_agency), citizen)
    page = verified_client(foreign).get(_url()).content.decode()
    assert "Ministry of Finance" in page and "officer.test" not in page
    assert agency_workload(agency_id=other_agency.pk).total_open == 1


def test_the_workload_costs_a_fixed_number_of_queries(work: dict[str, int], supervisor: User, passport: Service,
                                                      citizen: User, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = verified_client(supervisor)
    client.get(_url())
    for _n in range(10):
        submitted(passport, citizen)
    with django_assert_max_num_queries(14):
        assert client.get(_url()).status_code == 200


def test_the_page_reads_in_dari(work: dict[str, int], supervisor: User) -> None:
    with translation.override("fa"):
        url = reverse("applications:office_workload")
    response = verified_client(supervisor).get(url)
    page = response.content.decode()
    assert response.status_code == 200 and 'dir="rtl"' in page
    assert "حجم کار مأموران" in page and "گذشته از مدت معیاری" in page
    assert "۲" in page  # the numbers in the reader's digits
