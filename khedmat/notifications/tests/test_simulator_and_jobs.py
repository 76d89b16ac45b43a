"""The staff phone simulator, the periodic jobs and the recorded events."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.catalog.tests.factories import verified_client
from khedmat.core import events, jobs
from khedmat.core.models import EventRecord
from khedmat.core.services import events_prune
from khedmat.notifications.models import Message, Status

from .conftest import PASSWORD


@pytest.fixture
def simulator_on(settings: Any) -> None:
    settings.SMS_SIMULATOR_ENABLED = True


def test_the_simulator_dials_the_menu_and_texts_the_platform(simulator_on: None, platform_admin: User) -> None:
    client = verified_client(platform_admin)
    url = reverse("notifications_staff:simulator")
    dialled = client.post(url, {"mode": "ussd", "phone": "0700 000 001", "action": "dial"}).content.decode()
    assert "English" in dialled and "پښتو" in dialled and 'name="path" value=""' in dialled
    session = dialled.split('name="session" value="', 1)[1].split('"', 1)[0]
    menu = client.post(url, {"mode": "ussd", "phone": "+93700000001", "session": session, "path": "",
                             "choice": "1", "action": "send"}).content.decode()
    assert "My applications" in menu and 'name="path" value="1"' in menu
    texted = client.post(url, {"mode": "sms", "phone": "+93700000001", "text": "HELP"}).content.decode()
    assert "HELP" in texted and "STATUS" in texted  # the question and the platform's answer
    assert Message.objects.get(to="+93700000001").template == "reply.help"


def test_the_simulator_is_for_platform_administrators_and_only_where_it_is_switched_on(
        platform_admin: User, settings: Any, db: None) -> None:
    url = reverse("notifications_staff:simulator")
    officer = staff_user_create(username="operator.test", password=PASSWORD, role=Role.PLATFORM_ADMIN)
    settings.SMS_SIMULATOR_ENABLED = False
    assert verified_client(officer).get(url).status_code == 404
    settings.SMS_SIMULATOR_ENABLED = True
    assert verified_client(officer).get(url).status_code == 200
    from khedmat.catalog.services import agency_upsert

    moi = agency_upsert(code="MOI", slug="interior", name={"en": "Interior", "fa": "داخله", "ps": "کورنۍ"})
    agency_admin = staff_user_create(username="admin.moi", password=PASSWORD, role=Role.AGENCY_ADMIN, agency=moi)
    assert verified_client(agency_admin).get(url).status_code == 403  # the gate's "not allowed" page


def test_a_bad_phone_number_in_the_simulator_is_told(simulator_on: None, platform_admin: User) -> None:
    page = verified_client(platform_admin).get(reverse("notifications_staff:simulator"),
                                               {"phone": "12"}).content.decode()
    assert "mobile number" in page


def test_every_periodic_job_is_registered_and_runs_once_on_one_machine(db: None) -> None:
    expected = {"deliver_due", "escalate_overdue", "lapse_appointments", "payments_update",
                "appointment_reminders", "audit_seal", "events_prune"}
    assert expected <= set(jobs.registered())
    out = StringIO()
    call_command("run_jobs", "--once", stdout=out)
    for name in expected:
        assert f"{name}:" in out.getvalue()


def test_celery_beat_sends_each_job_at_its_interval() -> None:
    from config.celery import app

    app.loader.import_default_modules()
    schedule = {entry["args"][0]: entry for entry in app.conf.beat_schedule.values()}
    assert set(schedule) == set(jobs.registered())
    assert schedule["deliver_due"]["task"] == "core.run_job"
    assert schedule["deliver_due"]["schedule"] == 15.0


def test_the_sweep_delivers_what_a_lost_hand_off_left(db: None) -> None:
    """The broker was down when the message was committed: the sweep finds it."""
    from khedmat.notifications.services import message_queue

    with transaction.atomic():
        message = message_queue(to="+93700123456", key="ticket.called", language="en",
                                values={"number": "A-1", "counter": "2"})
    assert message is not None and Message.objects.get(pk=message.pk).status == Status.CREATED
    jobs.run_job("deliver_due")
    assert Message.objects.get(pk=message.pk).status == Status.DELIVERED


def test_events_are_recorded_with_what_happened_and_pruned_after_a_while(db: None, settings: Any) -> None:
    from khedmat.accounts.events import PhoneCodeRequested

    with transaction.atomic():
        events.publish(PhoneCodeRequested(phone_number="+93700123456", language="en", minutes=5, code="123456"))
    record = EventRecord.objects.get()
    assert record.name == "account.phone_code_requested"
    assert record.payload == {"phone_number": "+93700123456", "language": "en", "minutes": 5}
    settings.EVENTS_KEEP_DAYS = 30
    EventRecord.objects.update(occurred_at=timezone.now() - datetime.timedelta(days=31))
    assert events_prune() == 1 and not EventRecord.objects.exists()


def test_publishing_outside_a_transaction_or_an_undeclared_event_is_a_bug() -> None:
    from dataclasses import dataclass

    from khedmat.accounts.events import PhoneCodeRequested

    with pytest.raises(RuntimeError):
        events.publish(PhoneCodeRequested(phone_number="+93700123456", language="en", minutes=5, code="1"))

    @dataclass(frozen=True, kw_only=True)
    class Undeclared(events.DomainEvent):
        name = "thing.happened"

    with pytest.raises(ValueError, match="not declared"):
        events.subscribe(Undeclared, lambda event, request: None)
    with pytest.raises(ValueError, match="past_tense"):
        @events.declare
        @dataclass(frozen=True, kw_only=True)
        class BadName(events.DomainEvent):
            name = "NotDotted"


def test_the_platform_declares_the_events_the_other_apps_react_to() -> None:
    declared = set(events.declared())
    assert {"application.submitted", "application.information_requested", "application.sent_back",
            "application.approved", "application.rejected", "payment.received", "document.issued",
            "document.revoked", "ticket.issued", "ticket.called", "appointment.booked",
            "appointment.reminder_due"} <= declared
    reactions = {handler.__module__ for handler in events.subscribers(events.declared()["application.transitioned"])}
    # and the agencies' webhooks hear of every step (khedmat/api/webhooks.py, NOTIFY)
    assert reactions == {"khedmat.documents.subscribers", "khedmat.payments.subscribers", "khedmat.api.webhooks"}
    submitted = events.subscribers(events.declared()["application.submitted"])
    # The fee's order is opened before the applicant is told of it.
    assert [handler.__module__ for handler in submitted] == ["khedmat.payments.subscribers",
                                                             "khedmat.notifications.notices", "khedmat.api.webhooks"]
