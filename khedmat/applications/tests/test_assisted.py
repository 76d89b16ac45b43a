"""The assisted channel: an operator at a center files for a walk-in citizen, with consent."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.models import Application, Channel, Consent
from khedmat.applications.services import ApplicationError
from khedmat.applications.services.assisted import assisted_application_start
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Service
from khedmat.centers.models import Center
from khedmat.centers.services import center_offer_services, center_upsert
from khedmat.notifications.selectors import sms_last_to

from .conftest import PASSPORT_ANSWERS

WALK_IN = "+93700555666"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _center(code: str, name: str, services: list[Service]) -> Center:
    names = {"en": name, "fa": name, "ps": name}
    center = center_upsert(code=code, slug=code.lower(), name=names, city=names, address=names,
                           opens_at=time(8), closes_at=time(16))
    center_offer_services(center=center, services=services)
    return center



@pytest.fixture
def kabul(passport: Service) -> Center:
    return _center("KBL", "Kabul Center", [passport])


@pytest.fixture
def herat(db: None) -> Center:
    return _center("HRT", "Herat Center", [])


@pytest.fixture
def operator(kabul: Center) -> User:
    return staff_user_create(username="operator.kbl", password="pass-for-tests-1", role=Role.OPERATOR,
                             center=kabul, full_name="Nadia Rahimi")


@pytest.fixture
def herat_operator(herat: Center) -> User:
    return staff_user_create(username="operator.hrt", password="pass-for-tests-1", role=Role.OPERATOR,
                             center=herat)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _start(client: Client, service: Service, phone: str = "0700 555 666", name: str = "Gul Bibi") -> Application:
    response = client.post(reverse("applications:assisted_start"),
                           {"phone_number": phone, "full_name": name, "language": "fa", "service": service.pk})
    assert response.status_code == 302, response.content.decode()
    application = Application.objects.get(public_id=response["Location"].rstrip("/").split("/")[-1])
    assert response["Location"] == reverse("applications:assisted_form", kwargs={"public_id": application.public_id})
    return application


# PASSPORT_ANSWERS as the form asks for them: the date in the Solar Hijri calendar (1 Hamal 1369).
PASSPORT_POST = {
    "f-full_name": "Ahmad Zia", "f-father_name": "Mohammad Nabi", "f-date_of_birth-day": "1",
    "f-date_of_birth-month": "1", "f-date_of_birth-year": "1369", "f-validity_years": "5",
    "f-collection_center": "KBL",  # the passport is collected at a center (the operator's own here)
}


def _fill(client: Client, application: Application) -> None:
    """The operator fills in the service's form (the citizen's own renderer), scans the Tazkira
    and goes on to the consent step."""
    url = reverse("applications:assisted_form", kwargs={"public_id": application.public_id})
    page = client.get(url)
    assert page.status_code == 200 and 'name="f-full_name"' in page.content.decode()
    scan = SimpleUploadedFile("tazkira.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {**PASSPORT_POST, "doc-tazkira_copy": scan, "action": "submit"})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == reverse("applications:assisted_consent", kwargs={"public_id": application.public_id})


def _consent_key(client: Client, application: Application) -> str:
    page = client.get(reverse("applications:assisted_consent", kwargs={"public_id": application.public_id}))
    match = re.search(r'name="idempotency_key" value="([^"]+)"', page.content.decode())
    assert match
    return match.group(1)


def _send_code(client: Client, application: Application) -> str:
    response = client.post(reverse("applications:assisted_consent_code_send",
                                   kwargs={"public_id": application.public_id}))
    assert response.status_code == 302
    sms = sms_last_to(phone_number=WALK_IN)
    assert sms is not None
    match = re.search(r"\b(\d{6})\b", sms.body)
    assert match
    return match.group(1)


def test_operator_files_for_a_walk_in_with_an_sms_code(passport: Service, operator: User) -> None:
    client = _client(operator)
    start_page = client.get(reverse("applications:assisted_start"))
    assert start_page.status_code == 200 and "Passport issuance and renewal" in start_page.content.decode()

    application = _start(client, passport)
    citizen = application.applicant
    assert citizen.phone_number == WALK_IN and citizen.full_name == "Gul Bibi" and citizen.role == Role.CITIZEN
    _fill(client, application)
    key = _consent_key(client, application)
    code = _send_code(client, application)
    sms = sms_last_to(phone_number=WALK_IN)
    # Who files what, in the language the citizen reads (Dari here): the service's Dari name.
    assert sms is not None and "Kabul Center" in sms.body and "صدور و تمدید پاسپورت" in sms.body

    url = reverse("applications:assisted_consent_by_code", kwargs={"public_id": application.public_id})
    response = client.post(url, {"code": code, "idempotency_key": key})
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:assisted_done", kwargs={"public_id": application.public_id})

    application.refresh_from_db()
    assert application.reference and application.state == "submitted"
    assert application.channel == Channel.CENTER
    assert application.filed_by == operator and application.center == operator.center
    assert application.data["full_name"] == PASSPORT_ANSWERS["full_name"]
    assert application.data["date_of_birth"] == PASSPORT_ANSWERS["date_of_birth"]
    assert application.documents.get(document_code="tazkira_copy").uploaded_by == operator
    assert application.consent.method == Consent.Method.SMS_CODE
    assert AuditEvent.objects.filter(action="applications.consent_recorded", subject=citizen).count() == 1
    done = client.get(response["Location"])
    assert application.reference in done.content.decode()

    # The same form posted again (a double click) files nothing new.
    again = client.post(url, {"code": code, "idempotency_key": key})
    assert again.status_code == 302
    assert Application.objects.filter(applicant=citizen).exclude(state=Application.DRAFT).count() == 1
    assert Consent.objects.count() == 1


def test_a_wrong_code_is_refused_and_nothing_is_submitted(passport: Service, operator: User) -> None:
    client = _client(operator)
    application = _start(client, passport)
    _fill(client, application)
    key = _consent_key(client, application)
    code = _send_code(client, application)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(reverse("applications:assisted_consent_by_code",
                                   kwargs={"public_id": application.public_id}),
                           {"code": wrong, "idempotency_key": key})
    assert response.status_code == 400
    assert "That is not the code in the latest SMS" in response.content.decode()
    application.refresh_from_db()
    assert application.is_draft and application.reference is None
    assert not Consent.objects.exists()
    assert not AuditEvent.objects.filter(action="applications.submitted").exists()


def test_the_code_dies_after_too_many_wrong_tries(passport: Service, operator: User) -> None:
    client = _client(operator)
    application = _start(client, passport)
    _fill(client, application)
    key = _consent_key(client, application)
    code = _send_code(client, application)
    wrong = "000000" if code != "000000" else "111111"
    url = reverse("applications:assisted_consent_by_code", kwargs={"public_id": application.public_id})
    for _ in range(5):
        client.post(url, {"code": wrong, "idempotency_key": key})
    response = client.post(url, {"code": code, "idempotency_key": key})
    assert response.status_code == 400
    assert Application.objects.get(pk=application.pk).is_draft


def test_no_consent_no_submission(passport: Service, operator: User) -> None:
    client = _client(operator)
    application = _start(client, passport)
    _fill(client, application)
    key = _consent_key(client, application)
    url = reverse("applications:assisted_consent_by_code", kwargs={"public_id": application.public_id})
    response = client.post(url, {"code": "123456", "idempotency_key": key})  # no code was ever sent
    assert response.status_code == 400
    assert Application.objects.get(pk=application.pk).is_draft
    done = client.get(reverse("applications:assisted_done", kwargs={"public_id": application.public_id}))
    assert done.status_code == 302


def test_no_code_is_sent_and_nothing_submitted_before_the_form_is_complete(passport: Service,
                                                                           operator: User) -> None:
    client = _client(operator)
    application = _start(client, passport)
    form_url = reverse("applications:assisted_form", kwargs={"public_id": application.public_id})
    consent = client.get(reverse("applications:assisted_consent", kwargs={"public_id": application.public_id}))
    assert consent.status_code == 302 and consent["Location"] == form_url
    sent = client.post(reverse("applications:assisted_consent_code_send", kwargs={"public_id": application.public_id}))
    assert sent["Location"] == form_url
    assert sms_last_to(phone_number=WALK_IN) is None
    scan = SimpleUploadedFile("consent.pdf", PDF, content_type="application/pdf")
    by_form = reverse("applications:assisted_consent_by_form", kwargs={"public_id": application.public_id})
    response = client.post(by_form, {"signed_form": scan, "idempotency_key": "0123456789abcdef"})
    assert response["Location"] == form_url
    assert Application.objects.get(pk=application.pk).is_draft and not Consent.objects.exists()


def test_consent_by_a_scanned_signed_form(passport: Service, operator: User) -> None:
    client = _client(operator)
    application = _start(client, passport)
    _fill(client, application)
    key = _consent_key(client, application)
    printable = client.get(reverse("applications:assisted_consent_print", kwargs={"public_id": application.public_id}))
    assert printable.status_code == 200 and "Kabul Center" in printable.content.decode()

    url = reverse("applications:assisted_consent_by_form", kwargs={"public_id": application.public_id})
    not_a_scan = SimpleUploadedFile("consent.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    refused = client.post(url, {"signed_form": not_a_scan, "idempotency_key": key})
    assert refused.status_code == 400
    assert Application.objects.get(pk=application.pk).is_draft

    scan = SimpleUploadedFile("consent.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {"signed_form": scan, "idempotency_key": key})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.reference and application.state == "submitted"
    consent = application.consent
    assert consent.method == Consent.Method.SIGNED_FORM and consent.recorded_by == operator
    assert consent.signed_form is not None and consent.signed_form.document_code == "consent_form"
    assert consent.signed_form.content_type == "application/pdf"
    assert consent.signed_form.file.name != "consent.pdf"


def test_an_operator_files_only_services_of_their_own_center(passport: Service, operator: User,
                                                             herat_operator: User) -> None:
    client = _client(herat_operator)
    page = client.get(reverse("applications:assisted_start"))
    assert page.status_code == 200 and "Passport issuance" not in page.content.decode()
    response = client.post(reverse("applications:assisted_start"),
                           {"phone_number": "0700 555 666", "language": "fa", "service": passport.pk})
    assert response.status_code == 200
    assert not Application.objects.exists()
    with pytest.raises(ApplicationError) as refused:
        assisted_application_start(operator=herat_operator, phone_number=WALK_IN, service=passport)
    assert refused.value.code == "not_offered"

    # Nor may they touch a draft another center's operator started.
    draft = _start(_client(operator), passport)
    for name in ("assisted_form", "assisted_consent", "assisted_done"):
        assert client.get(reverse(f"applications:{name}", kwargs={"public_id": draft.public_id})).status_code == 404
    assert client.post(reverse("applications:assisted_consent_code_send",
                               kwargs={"public_id": draft.public_id})).status_code == 404


def test_a_service_not_offered_in_person_cannot_be_filed(passport: Service, kabul: Center, operator: User) -> None:
    from khedmat.catalog.tests.factories import publish

    online_only = publish(passport.agency, code="VIS", slug="visa", channels=["online"]).service
    center_offer_services(center=kabul, services=[passport, online_only])
    with pytest.raises(ApplicationError):
        assisted_application_start(operator=operator, phone_number=WALK_IN, service=online_only)


@pytest.mark.parametrize("role", ["citizen", "officer", "anonymous"])
def test_only_operators_reach_the_assisted_pages(role: str, citizen: User, officer: User, operator: User) -> None:
    client = Client()
    if role == "citizen":
        client.force_login(citizen)
    elif role == "officer":
        client.force_login(officer)
    response = client.get(reverse("applications:assisted_start"))
    if role == "anonymous":
        assert response.status_code == 302 and reverse("accounts:staff_login") in response["Location"]
    elif role == "officer":  # staff of another role: the gate's "not allowed" page (issue 10)
        assert response.status_code == 403 and reverse("applications:office_inbox") in response.content.decode()
    else:
        assert response.status_code == 404


def test_the_citizen_sees_it_was_filed_on_their_behalf(passport: Service, operator: User) -> None:
    client = _client(operator)
    application = _start(client, passport)
    _fill(client, application)
    key = _consent_key(client, application)
    code = _send_code(client, application)
    client.post(reverse("applications:assisted_consent_by_code", kwargs={"public_id": application.public_id}),
                {"code": code, "idempotency_key": key})
    citizen = User.objects.get(phone_number=WALK_IN)
    for url in (application.get_absolute_url(),  # the citizen's own file page
                reverse("applications:access_log", kwargs={"public_id": application.public_id})):
        page = _client(citizen).get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert "Filed on your behalf by a center operator of Kabul Center" in text
        assert "with a code sent to your phone" in text
        assert "Recorded your consent to file on your behalf" in text
        assert "Center operator" in text
        assert "Nadia" not in text and "Rahimi" not in text
