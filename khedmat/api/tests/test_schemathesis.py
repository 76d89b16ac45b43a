"""Schemathesis against the OpenAPI document: generated requests to every operation, with no
key and with keys of each scope, must get no server error and answers that match the document.
Kept short for CI: a few examples per operation (a few hundred calls in all)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection

from khedmat.api.services import NewKey
from khedmat.applications.tests.office_helpers import submitted

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def world(keys: dict[str, NewKey], passport: Any, citizen: Any) -> dict[str, NewKey]:
    submitted(passport, citizen)
    return keys


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: Any, world: dict[str, NewKey]) -> None:
    for scope in (None, "read", "act", "pay"):
        headers = {"Authorization": f"Bearer {world[scope].token}"} if scope else {}
        # Lax types are by design (a number is read as a timestamp): refused invalid data is not checked.
        case.call_and_validate(headers=headers, excluded_checks=[negative_data_rejection])
