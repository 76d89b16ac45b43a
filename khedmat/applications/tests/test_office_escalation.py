"""Overdue files escalate once to the agency's administrators."""

from __future__ import annotations

import datetime
import io

from django.core.management import call_command
from django.utils import timezone, translation

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.services import application_transition
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency, Service
from khedmat.notifications.models import Message

from .office_helpers import agency_admin, foreign_passport, submitted, verified_client


def test_escalation_is_idempotent_and_tells_the_agency_admin(passport: Service, citizen: User, officer: User,
                                                             moi: Agency, other_agency: Agency,
                                                             django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    supervisor = agency_admin(moi)
    agency_admin(moi, username="admin.nophone", phone_number=None)  # cannot be reached by SMS
    foreign_supervisor = agency_admin(other_agency, username="admin.mof", phone_number="+93700555666")

    late = submitted(passport, citizen, due=today - datetime.timedelta(days=3))
    also_late = submitted(passport, citizen, due=today - datetime.timedelta(days=1))
    on_time = submitted(passport, citizen, due=today)
    paused = submitted(passport, citizen, due=today - datetime.timedelta(days=5))
    paused = application_transition(application=paused, actor=officer, transition="start_review",
                                    expected_state="submitted")
    application_transition(application=paused, actor=officer, transition="request_information",
                           expected_state="in_review", reason_text="Which city were you born in?")
    closed = submitted(passport, citizen, due=today - datetime.timedelta(days=5))
    closed = application_transition(application=closed, actor=officer, transition="start_review",
                                    expected_state="submitted")
    application_transition(application=closed, actor=officer, transition="reject", expected_state="in_review",
                           reason_code="duplicate")

    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("escalate_overdue", stdout=io.StringIO())

    escalated = set(Application.objects.filter(escalated_at__isnull=False).values_list("pk", flat=True))
    assert escalated == {late.pk, also_late.pk}
    assert on_time.pk not in escalated
    events = AuditEvent.objects.filter(action="applications.escalated")
    assert sorted(events.values_list("target_id", flat=True)) == sorted([str(late.reference), str(also_late.reference)])
    assert all(event.subject == citizen for event in events)
    [sms] = Message.objects.filter(template="application.escalated")  # one, however often it runs
    assert sms.to == supervisor.phone_number
    assert str(late.reference) in sms.body and str(also_late.reference) in sms.body
    assert not Message.objects.filter(to=foreign_supervisor.phone_number).exists()


def test_each_agency_hears_about_its_own_files(passport: Service, citizen: User, moi: Agency,
                                              other_agency: Agency,
                                              django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    supervisor = agency_admin(moi)
    foreign_supervisor = agency_admin(other_agency, username="admin.mof", phone_number="+93700555666")
    ours = submitted(passport, citizen, due=today - datetime.timedelta(days=2))
    theirs = submitted(foreign_passport(other_agency), citizen, due=today - datetime.timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("escalate_overdue", stdout=io.StringIO())
    [to_us] = Message.objects.filter(to=supervisor.phone_number)
    [to_them] = Message.objects.filter(to=foreign_supervisor.phone_number)
    assert str(ours.reference) in to_us.body and str(theirs.reference) not in to_us.body
    assert str(theirs.reference) in to_them.body


def test_the_inbox_marks_escalated_files(passport: Service, citizen: User, officer: User, moi: Agency,
                                         django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    agency_admin(moi)
    submitted(passport, citizen, due=timezone.localdate() - datetime.timedelta(days=4))
    client = verified_client(officer)
    with translation.override("en"):
        assert "Escalated to the supervisors" not in client.get("/en/office/").content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("escalate_overdue", stdout=io.StringIO())
        assert "Escalated to the supervisors" in client.get("/en/office/").content.decode()
