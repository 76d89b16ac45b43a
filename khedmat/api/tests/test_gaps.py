"""The public API's smaller gaps (issue 13): a key limited to some services on every file
endpoint; a key's system account, which acts but is never listed or chosen as a person; the
per-address limit of the endpoints that need no key."""

from __future__ import annotations

import datetime
import importlib
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from khedmat.accounts import permissions
from khedmat.accounts import selectors as account_selectors
from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.api.services import NewKey, api_key_create
from khedmat.applications.models import ApplicationEvent, Note
from khedmat.applications.selectors.office import inbox_filter_choices
from khedmat.applications.selectors.workload import agency_workload
from khedmat.applications.services import ApplicationError, application_assign, application_submit
from khedmat.applications.services.drafts import application_draft_store
from khedmat.applications.tests.citizen_helpers import pdf
from khedmat.applications.tests.conftest import PASSPORT_ANSWERS
from khedmat.applications.tests.office_helpers import agency_admin, publish, submitted, verified_client
from khedmat.applications.uploads import megabytes, upload_check
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency, Service
from khedmat.centers.models import Center
from khedmat.centers.services import center_upsert
from khedmat.complaints import standards
from khedmat.complaints.services import escalation_recipients
from khedmat.complaints.tests.helpers import file as complaint_file
from khedmat.documents.models import IssuedDocument
from khedmat.notifications.models import Message
from khedmat.payments import selectors as payment_selectors
from khedmat.payments.models import Payment

from .conftest import bearer

pytestmark = pytest.mark.django_db


def post(client: Client, path: str, data: dict[str, Any], key: NewKey | None = None, **extra: Any) -> Any:
    headers: dict[str, Any] = bearer(key) if key else {}
    return client.post(path, json.dumps(data), content_type="application/json", **headers, **extra)


def step(client: Client, key: NewKey, file: Any, transition: str, expected: str) -> Any:
    return post(client, f"/api/v1/files/{file.public_id}/steps", {"transition": transition, "expected_state": expected},
                key)


# --- 1. a key limited to some services, on every file endpoint ----------------------------------

@pytest.fixture
def other_service(moi: Agency) -> Service:
    return publish(moi, slug="passport-other", code="PSPX").service


def _every_call(client: Client, key: NewKey, file: Any, order_reference: str, document: str) -> dict[str, Any]:
    """Every endpoint that names one file (or its order, or its document), as `key`."""
    base = f"/api/v1/files/{file.public_id}"
    upload = file.documents.first()
    calls = {
        "get": client.get(base, **bearer(key)),
        "step": step(client, key, file, "start_review" if file.state == "submitted" else "reject", file.state),
        "note": post(client, base + "/notes", {"text": "checked by the registry"}, key),
        "message": post(client, base + "/messages", {"text": "Please bring the original Tazkira."}, key),
        "documents": client.get(base + "/documents", **bearer(key)),
        "issue": post(client, base + "/documents", {}, key),
        "revoke": post(client, f"{base}/documents/{document}/revoke", {"reason": "Issued on a forged Tazkira"}, key),
        "file_order": client.get(f"/api/v1/payments/files/{file.public_id}/order", **bearer(key)),
        "order": client.get(f"/api/v1/payments/orders/{order_reference}", **bearer(key)),
        "notice": post(client, "/api/v1/payments/notices", {"order_reference": order_reference,
                                                            "transaction_id": "TX-LIMITED", "amount_afn": 1}, key),
    }
    if upload is not None:
        calls["upload"] = client.get(f"{base}/uploads/{upload.public_id}", **bearer(key))
    return calls


def _what_a_file_holds(file: Any) -> tuple[Any, ...]:
    file.refresh_from_db()
    return (file.state, file.updated_at, file.notes.count(), ApplicationEvent.objects.filter(application=file).count(),
            file.messages.count(),
            list(IssuedDocument.objects.filter(application=file).values_list("number", "revocation")),
            Payment.objects.count())


def test_a_key_limited_to_another_service_meets_every_file_endpoint_as_another_agency_does(
        api, keys, moi, passport, citizen, other_service):
    everything = ["read", "act", "pay"]
    limited = api_key_create(agency=moi, name="another service", scopes=everything, services=[other_service],
                             payment_operator="azizi-bank")
    # the same file at two moments: waiting, with an upload (issue), and approved with its document (revoke)
    draft = application_draft_store(applicant=citizen, service=passport, data=PASSPORT_ANSWERS, uploads=[
        ("tazkira_copy", upload_check(pdf("tazkira.pdf"), max_bytes=megabytes(5)))])
    waiting = application_submit(application=draft, idempotency_key="with-upload", actor=citizen)
    assert api.get(f"/api/v1/files/{waiting.public_id}/uploads/{waiting.documents.get().public_id}",
                   **bearer(keys["read"])).status_code == 200  # an upload the agency's own key reads
    approved = submitted(passport, citizen)
    assert step(api, keys["act"], approved, "start_review", "submitted").status_code == 200
    assert step(api, keys["act"], approved, "recommend", "in_review").status_code == 200
    assert step(api, keys["approve"], approved, "approve", "awaiting_approval").status_code == 200
    number = IssuedDocument.objects.get(application=approved).number
    for file in (waiting, approved):
        order = payment_selectors.order_of(file)
        assert order is not None
        before = _what_a_file_holds(file)
        answers = _every_call(api, limited, file, order.reference, number)
        # another agency's key with every scope: the answer a stranger gets
        strangers = _every_call(api, keys["other"], file, order.reference, number)
        assert ("upload" in answers) == (file is waiting)
        for endpoint, response in answers.items():
            assert response.status_code == 404, (endpoint, response.content)
            assert response["Content-Type"] == "application/problem+json"
            assert response.json() == strangers[endpoint].json(), endpoint
        assert _what_a_file_holds(file) == before
    assert not Note.objects.exists()
    # the same key limited to the file's own service reaches it: the 404s above are the limit's
    own = api_key_create(agency=moi, name="passports", scopes=everything, services=[passport, other_service])
    assert api.get(f"/api/v1/files/{waiting.public_id}", **bearer(own)).status_code == 200
    assert post(api, f"/api/v1/files/{waiting.public_id}/notes", {"text": "seen"}, own).status_code == 201
    waiting_order = payment_selectors.order_of(waiting)
    assert waiting_order is not None
    assert api.get(f"/api/v1/payments/orders/{waiting_order.reference}", **bearer(own)).status_code == 200


# --- 2. a key's system account is not a person --------------------------------------------------

@pytest.fixture
def officer(moi: Agency) -> User:
    return staff_user_create(username="officer.gaps", password="pass-for-tests-1", role=Role.OFFICER, agency=moi,
                             full_name="Officer Karimi")


@pytest.fixture
def center(db: None) -> Center:
    return center_upsert(code="KBL", slug="kabul", name={"en": "Kabul center", "fa": "مرکز کابل", "ps": "د کابل مرکز"},
                         city={"en": "Kabul", "fa": "کابل", "ps": "کابل"},
                         address={"en": "Street 1", "fa": "سرک ۱", "ps": "سړک ۱"},
                         opens_at=datetime.time(8), closes_at=datetime.time(16))


@pytest.fixture
def approver_key(moi: Agency) -> NewKey:
    return api_key_create(agency=moi, name="registry", scopes=["read", "act"], acts_as=Role.APPROVER)


def test_a_keys_account_is_a_system_account_and_people_lists_leave_it_out(moi, keys, approver_key, officer):
    system = approver_key.key.user
    assert system.is_system and all(new.key.user.is_system for new in keys.values())
    assert not officer.is_system
    assert system in User.objects.all() and system not in User.objects.people()
    assert account_selectors.agency_staff(agency_id=moi.pk) == [officer]
    assert account_selectors.agency_staff(agency_id=moi.pk, roles={Role.APPROVER}) == []
    assert account_selectors.users_by_ids(ids=[system.pk, officer.pk]) == [officer]
    assert [user.pk for user in inbox_filter_choices(agency_id=moi.pk).colleagues] == [officer.pk]
    assert [row.officer for row in agency_workload(agency_id=moi.pk).rows if row.officer] == [officer]


def test_the_data_migration_marks_the_accounts_of_keys_made_before_the_flag(keys, officer):
    from django.apps import apps

    migration = importlib.import_module("khedmat.accounts.migrations.0005_mark_api_key_accounts_as_system")
    User.objects.update(is_system=False)  # as they were before 0004
    migration.mark(apps, None)
    assert set(User.objects.filter(is_system=True)) == {new.key.user for new in keys.values()}
    migration.unmark(apps, None)
    assert not User.objects.filter(is_system=True).exists()


def test_a_system_account_of_a_centre_is_not_its_staff(center):
    manager = staff_user_create(username="manager.kbl", password="pass-for-tests-1", role=Role.CENTER_MANAGER,
                                center=center)
    staff_user_create(username="kiosk-system", password="pass-for-tests-1", role=Role.CENTER_MANAGER,
                      center=center, is_system=True)
    assert account_selectors.center_staff(center_id=center.pk, roles={Role.CENTER_MANAGER}) == [manager]


def test_the_back_office_never_offers_a_keys_account(moi, passport, citizen, officer, approver_key):
    file = submitted(passport, citizen)
    with translation.override("en"):
        page = verified_client(officer).get(reverse("applications:office_file", kwargs={"public_id": file.public_id}))
        inbox = verified_client(officer).get(reverse("applications:office_inbox"))
    system = approver_key.key.user
    for response in (page, inbox):
        assert response.status_code == 200
        html = response.content.decode()
        assert f'value="{officer.pk}"' in html  # the colleague is offered…
        assert f'value="{system.pk}"' not in html and system.full_name not in html  # …the key's account never
    with pytest.raises(ApplicationError) as refused:
        application_assign(application=file, actor=officer, assignee=system)
    assert refused.value.code == "bad_assignee"


def test_an_agency_administrator_neither_lists_nor_edits_a_keys_account(moi, approver_key, officer):
    admin = agency_admin(moi)
    system = approver_key.key.user
    listed = permissions.limit_to_manageable_users(admin, User.objects.all())
    assert officer in listed and system not in listed
    assert permissions.can_manage_user(admin, officer) and not permissions.can_manage_user(admin, system)
    with translation.override("en"):
        page = verified_client(admin).get(reverse("admin:accounts_user_changelist"))
    assert page.status_code == 200
    assert officer.username in page.content.decode() and system.username not in page.content.decode()


def test_complaint_escalation_never_goes_to_a_keys_account(moi, passport, officer, approver_key):
    head = agency_admin(moi)
    complaint = complaint_file(service=passport, officer=officer, about="staff", category="conduct")
    # no approver but the key's: the supervisors' rung falls to the head, as with no approver at all
    assert escalation_recipients(complaint, standards.SUPERVISOR) == [head]
    assert escalation_recipients(complaint, standards.HEAD) == [head]


def test_overdue_files_are_told_to_people_never_to_a_system_account(passport, citizen, moi,
                                                                     django_capture_on_commit_callbacks):
    head = agency_admin(moi)
    # a system account in a supervisor's role, with a number: the rule, not the key's role, keeps it out
    system = staff_user_create(username="system.head", password="pass-for-tests-1", role=Role.AGENCY_ADMIN,
                               agency=moi, phone_number="+93700333444", is_system=True)
    late = submitted(passport, citizen, due=timezone.localdate() - datetime.timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("escalate_overdue", stdout=io.StringIO())
    assert set(Message.objects.filter(template="application.escalated").values_list("to", flat=True)) == \
        {head.phone_number}
    escalated = AuditEvent.objects.get(action="applications.escalated", target_id=str(late.reference))
    assert escalated.data["notified"] == [head.pk] and system.pk not in escalated.data["notified"]


def test_a_keys_account_still_acts_and_is_named_in_the_history_and_the_audit_trail(
        api, keys, passport, citizen, officer):
    file = submitted(passport, citizen)
    system = keys["act"].key.user
    assert step(api, keys["act"], file, "start_review", "submitted").status_code == 200
    assert post(api, f"/api/v1/files/{file.public_id}/notes", {"text": "Tazkira checked"}, keys["act"]).status_code \
        == 201
    assert api.get(f"/api/v1/files/{file.public_id}", **bearer(keys["read"])).status_code == 200
    event = ApplicationEvent.objects.filter(application=file, to_state="in_review").get()
    assert event.actor == system
    assert file.notes.get().author == system
    assert AuditEvent.objects.filter(actor=system, action="api.step").exists()
    assert AuditEvent.objects.filter(actor=keys["read"].key.user, action__startswith="applications.").exists()
    with translation.override("en"):
        page = verified_client(officer).get(reverse("applications:office_file", kwargs={"public_id": file.public_id}))
    assert system.full_name == "MOI system (act)" and system.full_name in page.content.decode()


# --- 3. the per-address limit of the public endpoints --------------------------------------------

def _problem_429(response: Any) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "rate_limited" and body["status"] == 429 and body["title"] == "Too many requests"
    assert int(response["Retry-After"]) == 60


PUBLIC_CALLS = {
    "agencies": lambda client, **extra: client.get("/api/v1/catalog/agencies", **extra),
    "services": lambda client, **extra: client.get("/api/v1/catalog/services", **extra),
    "centres": lambda client, **extra: client.get("/api/v1/centers", **extra),
    "queue": lambda client, **extra: client.get("/api/v1/centers/nowhere/queue", **extra),
    "verify": lambda client, **extra: post(client, "/api/v1/documents/verify", {"code": "AK1.nothing"}, **extra),
}


@override_settings(API_PUBLIC_RATE=(3, 60), API_VERIFY_RATE=(100, 60))
@pytest.mark.parametrize("endpoint", list(PUBLIC_CALLS))
def test_every_public_endpoint_is_limited_per_address(api, passport, endpoint):
    call = PUBLIC_CALLS[endpoint]
    first = [call(api).status_code for _ in range(3)]
    assert 429 not in first and 500 not in first
    _problem_429(call(api))
    # another address is not slowed by this one
    assert call(api, REMOTE_ADDR="10.9.8.7").status_code == first[0]


@override_settings(API_PUBLIC_RATE=(3, 60))
def test_the_public_limit_is_one_budget_across_the_public_endpoints(api, passport):
    assert api.get("/api/v1/catalog/services").status_code == 200
    assert api.get("/api/v1/centers").status_code == 200
    assert api.get("/api/v1/catalog/agencies").status_code == 200
    _problem_429(api.get(f"/api/v1/catalog/services/{passport.slug}"))


@override_settings(API_PUBLIC_RATE=(100, 60), API_VERIFY_RATE=(2, 60))
def test_verification_has_its_own_tighter_limit(api, passport):
    verify = PUBLIC_CALLS["verify"]
    assert [verify(api).status_code for _ in range(2)] == [200, 200]
    _problem_429(verify(api))
    assert api.get("/api/v1/catalog/services").status_code == 200  # the catalog is not held back by it


@override_settings(API_PUBLIC_RATE=(2, 60), THROTTLE_TRUSTED_NETWORKS=[("10.20.0.0/16", 10)])
def test_a_trusted_network_gets_its_multiple(api, passport):
    statuses = [api.get("/api/v1/centers", REMOTE_ADDR="10.20.1.1").status_code for _ in range(20)]
    assert statuses == [200] * 20
    _problem_429(api.get("/api/v1/centers", REMOTE_ADDR="10.20.1.1"))


@override_settings(API_PUBLIC_RATE=(2, 60), API_VERIFY_RATE=(2, 60), API_KEY_RATE=(5, 60))
def test_a_call_with_a_key_counts_against_the_key_not_the_address(api, keys, passport, citizen):
    # the address's budget spent by people without a key…
    for _ in range(2):
        assert api.get("/api/v1/catalog/services").status_code == 200
    _problem_429(api.get("/api/v1/catalog/services"))
    # …an agency's system from the same address reads on its key's budget, public or not
    assert api.get("/api/v1/catalog/services", **bearer(keys["read"])).status_code == 200
    assert [PUBLIC_CALLS["verify"](api, **bearer(keys["read"])).status_code for _ in range(2)] == [200, 200]
    assert api.get("/api/v1/files", **bearer(keys["read"])).status_code == 200
    assert api.get("/api/v1/files", **bearer(keys["read"])).status_code == 200  # five calls: the key's limit
    keyed = api.get("/api/v1/catalog/services", **bearer(keys["read"]))
    assert keyed.status_code == 429 and keyed.json()["code"] == "rate_limited"
    # keyed calls spent nothing of another address's budget, and another key has its own
    assert api.get("/api/v1/catalog/services", REMOTE_ADDR="10.9.8.7").status_code == 200
    assert api.get("/api/v1/catalog/services", **bearer(keys["act"])).status_code == 200
    # a dead or made-up key is counted per address, like no key
    _problem_429(api.get("/api/v1/catalog/services", HTTP_AUTHORIZATION="Bearer ak_nope_nope"))


@override_settings(API_PUBLIC_RATE=(2, 60), API_KEY_RATE=(100, 60))
def test_keyed_endpoints_are_not_counted_per_address(api, keys, passport, citizen):
    for _ in range(5):
        assert api.get("/api/v1/files", **bearer(keys["read"])).status_code == 200
    assert api.get("/api/v1/catalog/services").status_code == 200  # the address's budget is untouched


@override_settings(API_PUBLIC_RATE=(1, 60))
def test_the_limit_fails_open_while_the_cache_is_away(api, passport, monkeypatch):
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisDown

    def down(*args: Any, **kwargs: Any) -> Any:
        raise RedisDown("cache restarting")

    for name in ("get_many", "add", "incr", "get", "set"):
        monkeypatch.setattr(cache, name, down)
    assert [api.get("/api/v1/centers").status_code for _ in range(3)] == [200, 200, 200]


def test_the_openapi_document_says_a_public_call_may_be_throttled(api):
    document = api.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/catalog/services"]["get"]
    assert "application/problem+json" in operation["responses"]["default"]["content"]
