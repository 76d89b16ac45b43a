"""Every URL of the complaints app × every kind of visitor, against real complaints.

The URLs come from `khedmat.complaints.urls.urlpatterns`, so a page added tomorrow fails here
until someone writes down who may reach it. Allowed: 200 or a redirect that is not a sign-in
page; refused: a sign-in redirect for anonymous visitors on staff pages, 404 for anyone else
(never a hint that the complaint exists), or 403 for staff whose role has no complaints."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.centers.models import Center
from khedmat.complaints import urls as complaint_urls
from khedmat.complaints.models import Complaint

from .helpers import file

PUBLIC = "anyone, signed in or not"
HANDLERS = "staff who answer for it"

# Per URL name: who may GET it, and what it is filled with.
MATRIX = {
    "mine": PUBLIC, "new": PUBLIC, "find": PUBLIC,
    "detail": PUBLIC,  # the link is the key (sent to the complainant's phone)
    "staff_inbox": "complaints staff", "staff_detail": HANDLERS,
}
POST_ONLY = {"act", "rate", "staff_act"}
FILE_ONLY = {"staff_attachment"}


def test_every_url_is_in_the_matrix() -> None:
    names = {pattern.name for pattern in complaint_urls.urlpatterns}
    assert names == set(MATRIX) | POST_ONLY | FILE_ONLY


@pytest.fixture
def people(moi: Agency, other_agency: Agency, center: Center, citizen: User, officer: User, approver: User,
           foreign_officer: User, manager: User, operator: User, ombudsman: User) -> dict[str, User | None]:
    platform = staff_user_create(username="platform.x", password="pass-for-tests-1", role=Role.PLATFORM_ADMIN)
    return {"anonymous": None, "citizen": citizen, "officer": officer, "approver": approver,
            "foreign officer": foreign_officer, "centre manager": manager, "operator": operator,
            "ombudsman desk": ombudsman, "platform admin (not on the desk)": platform}


def client_of(user: User | None) -> Client:
    if user is None:
        return Client()
    if user.role == Role.CITIZEN:
        client = Client()
        client.force_login(user)
        return client
    return verified_client(user)


def test_the_matrix(passport: Service, people: dict[str, User | None]) -> None:
    complaint: Complaint = file(service=passport)
    handlers = {"officer", "approver"}
    inbox = {"officer", "approver", "foreign officer", "centre manager", "ombudsman desk"}
    for who, user in people.items():
        client = client_of(user)
        for name, rule in MATRIX.items():
            kwargs = {"public_id": complaint.public_id} if name in ("detail", "staff_detail") else {}
            response = client.get(reverse(f"complaints:{name}", kwargs=kwargs))
            location = response.get("Location", "")
            if rule == PUBLIC:
                allowed = True
            elif rule == HANDLERS:
                allowed = who in handlers
            else:
                allowed = who in inbox
            if allowed:
                assert response.status_code in (200, 302) and "sign-in" not in location, (who, name)
            elif user is None:
                assert response.status_code == 302 and "sign-in" in location, (who, name)
            else:
                assert response.status_code in (403, 404), (who, name, response.status_code)
        for name in POST_ONLY:
            url = reverse(f"complaints:{name}", kwargs={"public_id": complaint.public_id})
            # A page of its own for nobody: 405, or the gate's answer first (sign-in, 403, 404).
            assert client.get(url).status_code in (302, 403, 404, 405), (who, name)
    # Nothing any of them did changed the complaint.
    complaint.refresh_from_db()
    assert complaint.state == "received" and complaint.rating is None
