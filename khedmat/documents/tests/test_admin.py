"""The administration site: an agency administrator sees and revokes their agency's documents only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from khedmat.accounts.models import User
from khedmat.applications.tests.office_helpers import agency_admin
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.documents.models import IssuedDocument, Revocation

from .helpers import approved

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:documents_issueddocument_changelist"


@pytest.fixture
def document(passport: Service, citizen: User, officer: User, approver: User) -> IssuedDocument:
    return IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))


def test_an_agency_admin_revokes_with_a_reason(document: IssuedDocument, moi: Agency) -> None:
    client = verified_client(agency_admin(moi))
    listing = client.get(reverse(CHANGELIST))
    assert listing.status_code == 200 and document.number in listing.content.decode()
    form = {"action": "revoke_selected", "_selected_action": [document.pk]}
    asked = client.post(reverse(CHANGELIST), form)
    assert asked.status_code == 200 and "Reason" in asked.content.decode()
    assert not Revocation.objects.exists()
    done = client.post(reverse(CHANGELIST), {**form, "confirm": "yes", "reason": "Issued in error"})
    assert done.status_code == 302
    assert Revocation.objects.get(document=document).reason == "Issued in error"


def test_another_agencys_admin_sees_nothing(document: IssuedDocument, other_agency: Agency) -> None:
    client = verified_client(agency_admin(other_agency, username="admin.mof", phone_number="+93700999777"))
    assert document.number not in client.get(reverse(CHANGELIST)).content.decode()
    change = reverse("admin:documents_issueddocument_change", args=[document.pk])
    assert client.get(change).status_code == 404
