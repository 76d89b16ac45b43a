"""Files taken to an issuing state through the real services."""

from __future__ import annotations

from typing import Any

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.services import application_draft_save, application_submit, application_transition
from khedmat.applications.tests.conftest import PASSPORT_ANSWERS
from khedmat.catalog.models import Service

DARI_ANSWERS = {"full_name": "احمد ضیا", "father_name": "محمد نبی", "date_of_birth": "1990-03-21",
                "validity_years": "10"}


def sent(service: Service, applicant: User, *, key: str = "k-1", answers: dict[str, Any] | None = None
         ) -> Application:
    """A file submitted and, when the workflow waits for the fee, paid through the demo provider."""
    draft = application_draft_save(applicant=applicant, service=service, data=answers or PASSPORT_ANSWERS)
    application = application_submit(application=draft, idempotency_key=key, actor=applicant)
    if application.state == "awaiting_payment":
        from khedmat.payments.services import payment_demo_record

        application = payment_demo_record(application=application, transaction_id=key)
    return application


def approved(service: Service, applicant: User, by_officer: User, by_approver: User, *, key: str = "k-1",
             answers: dict[str, Any] | None = None) -> Application:
    """A passport file paid, reviewed, recommended and approved: approval issues its certificate."""
    application = sent(service, applicant, key=key, answers=answers)
    for step, state in (("start_review", "submitted"), ("recommend", "in_review")):
        application = application_transition(application=application, actor=by_officer, transition=step,
                                             expected_state=state)
    return application_transition(application=application, actor=by_approver, transition="approve",
                                  expected_state=application.state)
