"""Test helpers for the back office: files made through the real services, staff clients."""

from __future__ import annotations

import datetime
import itertools

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.models import Application
from khedmat.applications.services import application_draft_save, application_submit
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import publish, verified_client  # noqa: F401 (re-exported)

from .conftest import PASSPORT_ANSWERS

_keys = itertools.count(1)


def submitted(service: Service, applicant: User, *, due: datetime.date | None = None,
              answers: dict | None = None) -> Application:
    """A file submitted through the real services; `due` moves its deadline for the test."""
    draft = application_draft_save(applicant=applicant, service=service, data=answers or PASSPORT_ANSWERS)
    application = application_submit(application=draft, idempotency_key=f"key-{next(_keys)}", actor=applicant)
    if due is not None:
        Application.objects.filter(pk=application.pk).update(due_date=due)
        application.refresh_from_db()
    return application


def foreign_passport(agency: Agency) -> Service:
    """The passport service, published for another agency (its own slug)."""
    return publish(agency, slug=f"passport-{agency.code.lower()}").service


def agency_admin(agency: Agency, *, username: str = "admin.moi", phone_number: str | None = "+93700999888") -> User:
    return staff_user_create(username=username, password="pass-for-tests-1", role=Role.AGENCY_ADMIN, agency=agency,
                             full_name="Supervisor " + agency.code, phone_number=phone_number)
