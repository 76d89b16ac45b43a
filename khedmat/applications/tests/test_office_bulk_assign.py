"""Assigning several files from the inbox at once: per-file permission, audit, no silent overwrite."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.models import Application
from khedmat.applications.services import application_assign, application_transition
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency, Service

from .office_helpers import agency_admin, foreign_passport, submitted, verified_client

INBOX = "/en/office/"


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def _url() -> str:
    return reverse("applications:office_assign_bulk")


def _box(application: Application, seen: User | None = None) -> str:
    return f"{application.public_id}.{seen.pk if seen else 0}"


def _said(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def supervisor(moi: Agency) -> User:
    return agency_admin(moi)


def test_the_inbox_offers_a_tick_box_per_open_file_and_a_colleague_to_give_them_to(
        passport: Service, citizen: User, officer: User, second_officer: User) -> None:
    application = submitted(passport, citizen)
    page = verified_client(officer).get(INBOX).content.decode()
    assert f'name="ticked" value="{application.public_id}.0"' in page and 'form="bulk-assign"' in page
    assert "officer2.test" in page and "Assign the ticked files" in page


def test_a_supervisor_assigns_several_files_each_audited(passport: Service, citizen: User, supervisor: User,
                                                         officer: User) -> None:
    files = [submitted(passport, citizen) for _n in range(3)]
    client = verified_client(supervisor)
    response = client.post(_url(), {"ticked": [_box(f) for f in files], "assignee": officer.pk,
                                    "next": INBOX + "?assignment=nobody"})
    assert response.status_code == 302 and response["Location"] == INBOX + "?assignment=nobody"
    assert "3 files are assigned to officer.test." in _said(response)
    assert set(Application.objects.filter(pk__in=[f.pk for f in files]).values_list("assigned_to", flat=True)) \
        == {officer.pk}
    events = AuditEvent.objects.filter(action="applications.assigned", actor=supervisor)
    assert sorted(events.values_list("target_id", flat=True)) == sorted(str(f.reference) for f in files)
    # The same POST again (a second click, a retry) changes nothing and writes nothing.
    again = client.post(_url(), {"ticked": [_box(f) for f in files], "assignee": officer.pk})
    assert "3 files are assigned to officer.test." in _said(again)
    assert AuditEvent.objects.filter(action="applications.assigned").count() == 3


def test_a_file_a_colleague_just_assigned_is_reported_not_taken(passport: Service, citizen: User,
                                                                supervisor: User, officer: User,
                                                                second_officer: User, moi: Agency) -> None:
    free, taken = submitted(passport, citizen), submitted(passport, citizen)
    other_supervisor = agency_admin(moi, username="admin2.moi", phone_number=None)
    # The page was read with both unassigned; meanwhile another supervisor gives one away.
    application_assign(application=taken, actor=other_supervisor, assignee=second_officer)
    response = verified_client(supervisor).post(_url(), {"ticked": [_box(free), _box(taken)], "assignee": officer.pk})
    said = _said(response)
    assert "1 file is assigned to officer.test." in said
    assert any(str(taken.reference) in message and "officer2.test" in message for message in said), said
    assert Application.objects.get(pk=taken.pk).assigned_to == second_officer
    assert Application.objects.get(pk=free.pk).assigned_to == officer


def test_another_agencys_files_are_left_alone_and_not_described(passport: Service, citizen: User,
                                                                supervisor: User, officer: User,
                                                                other_agency: Agency) -> None:
    own = submitted(passport, citizen)
    foreign = submitted(foreign_passport(other_agency), citizen)
    before = AuditEvent.objects.count()
    response = verified_client(supervisor).post(_url(), {
        "ticked": [_box(own), _box(foreign), f"{uuid.uuid4()}.0"], "assignee": officer.pk})
    said = _said(response)
    assert "1 file is assigned to officer.test." in said
    assert "2 ticked files are not open files of your agency: they were left alone." in said
    assert not any(str(foreign.reference) in message for message in said)
    assert Application.objects.get(pk=foreign.pk).assigned_to is None
    assert AuditEvent.objects.count() == before + 1


def test_a_supervisor_of_another_agency_cannot_assign_our_files(passport: Service, citizen: User,
                                                                officer: User, other_agency: Agency) -> None:
    application = submitted(passport, citizen)
    foreign_supervisor = agency_admin(other_agency, username="admin.mof", phone_number=None)
    response = verified_client(foreign_supervisor).post(_url(), {"ticked": [_box(application)],
                                                                 "assignee": officer.pk})
    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).assigned_to is None  # officer is not their colleague
    foreign_officer = staff_user_create(username="clerk.mof", password="pass-for-tests-1", role=Role.OFFICER,
                                        agency=other_agency)
    verified_client(foreign_supervisor).post(_url(), {"ticked": [_box(application)], "assignee": foreign_officer.pk})
    assert Application.objects.get(pk=application.pk).assigned_to is None


def test_only_colleagues_of_the_agency_may_receive_files(passport: Service, citizen: User, supervisor: User,
                                                         foreign_officer: User) -> None:
    application = submitted(passport, citizen)
    operator = staff_user_create(username="platform.test", password="pass-for-tests-1", role=Role.PLATFORM_ADMIN)
    client = verified_client(supervisor)
    for assignee in (foreign_officer.pk, operator.pk, citizen.pk, "x", "۱", 2**70, ""):
        response = client.post(_url(), {"ticked": [_box(application)], "assignee": assignee})
        assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).assigned_to is None


@pytest.mark.parametrize("files", [
    [], ["garbage"], ["not-a-uuid.0"], ["{uuid}.x"], ["{uuid}.-1"], ["{uuid}.99999999999999999999999"],
    ["{uuid}.۰"], ["\x00"], ["{uuid}.0"] * 101,
])
def test_malformed_ticks_are_refused_in_words(passport: Service, citizen: User, supervisor: User,
                                              officer: User, files: list[str]) -> None:
    application = submitted(passport, citizen)
    values = [value.replace("{uuid}", str(application.public_id)) for value in files]
    before = AuditEvent.objects.count()
    response = verified_client(supervisor).post(_url(), {"ticked": values, "assignee": officer.pk})
    assert response.status_code == 302 and _said(response)
    if values != [f"{application.public_id}.۰"]:  # Eastern digits are digits: "nobody", as seen
        assert Application.objects.get(pk=application.pk).assigned_to is None
        assert AuditEvent.objects.count() == before


def test_closed_files_are_reported(passport: Service, citizen: User, supervisor: User, officer: User,
                                   approver: User) -> None:
    application = submitted(passport, citizen)
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state=application.state)
    application = application_transition(application=application, actor=officer, transition="reject",
                                         expected_state=application.state, reason_code="incomplete_documents",
                                         reason_text="Missing pages.")
    assert application.is_final
    response = verified_client(supervisor).post(_url(), {"ticked": [_box(application)], "assignee": officer.pk})
    assert "This file is closed." in _said(response)
