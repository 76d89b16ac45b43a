"""A complaint filed for someone at a centre by its operator, with their consent by the SMS code
the assisted applications use: it reaches the agency or the centre that answers for it, records
who filed it, and nothing is filed without the code. As an attacker too: another operator's
draft, another person's application, replays, wrong codes, Eastern digits."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.tests.office_helpers import submitted
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Service
from khedmat.centers.models import Center
from khedmat.centers.services import center_upsert
from khedmat.complaints.models import Complaint
from khedmat.core.events import EventRecord
from khedmat.core.formatting import localize_digits
from khedmat.notifications.models import Message

WALK_IN = "+93700555777"
TOKEN = "a" * 32


@pytest.fixture
def herat(db: None) -> Center:
    names = {"en": "Herat center", "fa": "مرکز هرات", "ps": "د هرات مرکز"}
    return center_upsert(code="HRT", slug="herat", name=names, city=names, address=names,
                         opens_at=time(8), closes_at=time(16))


@pytest.fixture
def herat_operator(herat: Center) -> User:
    return staff_user_create(username="operator.hrt", password="pass-for-tests-1", role=Role.OPERATOR, center=herat)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post_start(client: Client, token: str = TOKEN, **fields: Any) -> Any:
    data = {"phone_number": "0700 555 777", "language": "fa", "about": "service", "category": "payment",
            "description": "The guard at the door asked for 200 afghani to let me in.", "form_token": token,
            **fields}
    return client.post(reverse("complaints_assisted:start"), data)


def _code() -> str:
    sms = Message.objects.filter(to=WALK_IN, template="complaint.consent_code_requested").order_by("-id").first()
    assert sms is not None
    match = re.search(r"\b(\d{6})\b", sms.body)
    assert match
    return match.group(1)


def _file(client: Client, code: str, token: str = TOKEN) -> Any:
    return client.post(reverse("complaints_assisted:file", kwargs={"token": token}), {"code": code})


def test_an_operator_files_a_complaint_with_consent_and_it_reaches_the_services_agency(
        operator: User, passport: Service, center: Center) -> None:
    client = _client(operator)
    page = client.get(reverse("complaints_assisted:start"))
    assert page.status_code == 200 and "Kabul center" in page.content.decode()
    started = _post_start(client, service=passport.pk)
    assert started.status_code == 302
    assert started["Location"] == reverse("complaints_assisted:consent", kwargs={"token": TOKEN})
    sms = Message.objects.get(to=WALK_IN, template="complaint.consent_code_requested")
    assert sms.language == "fa" and "مرکز کابل" in sms.body and "Kabul" not in sms.body
    assert not Complaint.objects.exists()  # nothing filed before consent
    consent = client.get(reverse("complaints_assisted:consent", kwargs={"token": TOKEN}))
    assert consent.status_code == 200 and "200 afghani" in consent.content.decode()
    filed = _file(client, localize_digits(_code(), "fa"))  # read out and typed in Eastern digits
    complaint = Complaint.objects.get()
    assert filed.status_code == 302
    assert complaint.channel == "center" and complaint.filed_by == operator and complaint.consent == "sms_code"
    assert complaint.agency == passport.agency and complaint.service == passport and complaint.phone == WALK_IN
    assert complaint.language == "fa"
    done = client.get(filed["Location"])
    assert done.status_code == 200 and complaint.reference in done.content.decode()
    assert AuditEvent.objects.filter(action="complaints.consent_code_sent", actor=operator).exists()
    assert AuditEvent.objects.filter(action="complaints.filed", actor=operator).exists()
    assert AuditEvent.objects.filter(action="complaints.viewed", actor=operator, target_id=complaint.reference).exists()
    # The code is a secret: never in the recorded event.
    record = EventRecord.objects.get(name="complaint.consent_code_requested")
    assert _code() not in str(record.payload)
    # The complainant is told it was filed, in their language.
    assert Message.objects.filter(to=WALK_IN, template="complaint.filed", reference=complaint.reference).exists()


def test_a_complaint_about_the_centre_or_its_staff_goes_to_the_centre(operator: User, center: Center) -> None:
    client = _client(operator)
    _post_start(client, about="staff", center=center.pk, category="conduct",
                description="The man at counter 3 shouted at my mother.")
    _file(client, _code())
    complaint = Complaint.objects.get()
    assert complaint.about == "staff" and complaint.center == center and complaint.agency is None


def test_a_complaint_about_the_complainants_own_application_only(operator: User, passport: Service,
                                                                  citizen: User) -> None:
    theirs = submitted(passport, citizen)  # someone else's file: not the walk-in's
    client = _client(operator)
    refused = _post_start(client, about="application", application_reference=str(theirs.reference))
    assert refused.status_code == 400
    assert "No application with this reference" in refused.content.decode()
    assert not Message.objects.filter(template="complaint.consent_code_requested").exists()
    # With the applicant's own number, typed with spaces and in lower case, it is found.
    own = _post_start(client, token="b" * 32, about="application", phone_number=citizen.phone_number,
                      application_reference=str(theirs.reference).lower().replace("-", " "))
    assert own.status_code == 302
    sms = Message.objects.filter(to=citizen.phone_number, template="complaint.consent_code_requested").get()
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)  # type: ignore[union-attr]
    _file(client, code, token="b" * 32)
    complaint = Complaint.objects.get()
    assert complaint.application == theirs and complaint.agency_id == theirs.agency_id


def test_nothing_is_filed_with_a_wrong_or_used_code_and_a_double_click_files_once(operator: User,
                                                                                 passport: Service) -> None:
    client = _client(operator)
    _post_start(client, service=passport.pk)
    code = _code()
    wrong = _file(client, "000000" if code != "000000" else "111111")
    assert wrong.status_code == 400 and not Complaint.objects.exists()
    assert "not the code" in wrong.content.decode()
    first = _file(client, code)
    again = _file(client, code)  # the same form posted twice: the same complaint
    assert first["Location"] == again["Location"] and Complaint.objects.count() == 1
    # Back to the consent page, or asking for a new code, after filing: the reference, no new SMS.
    consent_url = reverse("complaints_assisted:consent", kwargs={"token": TOKEN})
    assert client.get(consent_url)["Location"] == first["Location"]
    codes = Message.objects.filter(template="complaint.consent_code_requested").count()
    assert client.post(reverse("complaints_assisted:code_send", kwargs={"token": TOKEN}))["Location"] == \
        first["Location"]
    assert Message.objects.filter(template="complaint.consent_code_requested").count() == codes
    # The same start form sent twice sent one code, not two.
    _post_start(client, service=passport.pk)
    assert Message.objects.filter(template="complaint.consent_code_requested").count() == 1


def test_too_many_wrong_codes_kill_the_code(operator: User, passport: Service, settings: Any) -> None:
    client = _client(operator)
    _post_start(client, service=passport.pk)
    code = _code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.PHONE_CODE_MAX_ATTEMPTS):
        _file(client, wrong)
    assert _file(client, code).status_code == 400 and not Complaint.objects.exists()


def test_another_operator_or_session_finds_nothing(operator: User, herat_operator: User, passport: Service,
                                                   citizen: User) -> None:
    client = _client(operator)
    _post_start(client, service=passport.pk)
    code = _code()
    other = _client(herat_operator)
    assert other.get(reverse("complaints_assisted:consent", kwargs={"token": TOKEN})).status_code == 404
    assert _file(other, code).status_code == 404
    assert not Complaint.objects.exists()
    _file(client, code)
    complaint = Complaint.objects.get()
    done = reverse("complaints_assisted:done", kwargs={"public_id": complaint.public_id})
    assert other.get(done).status_code == 404
    # Not for citizens or agency staff either; a bad token is a 404, not an error.
    citizen_client = _client(citizen)
    assert citizen_client.get(reverse("complaints_assisted:start")).status_code in (302, 403, 404)
    assert client.get(reverse("complaints_assisted:consent", kwargs={"token": "x" * 5})).status_code == 404


def test_bad_input_changes_nothing(operator: User, passport: Service) -> None:
    client = _client(operator)
    bad: list[dict[str, Any]] = [{"phone_number": "12"}, {"description": "short"}, {"description": "x" * 5000},
                                 {"service": ""}, {"category": "bribe"}, {"about": "weather"}, {"form_token": "x"},
                                 {"service": 999999}, {"phone_number": "۰۷۰۰۱۲۳"}]
    for fields in bad:
        response = _post_start(client, **{"service": passport.pk, **fields})
        assert response.status_code == 400, fields
    assert not Message.objects.exists() and not Complaint.objects.exists()


def test_codes_to_one_phone_are_limited(operator: User, passport: Service, settings: Any) -> None:
    settings.THROTTLE_CODE_SEND_PER_PHONE = (2, 15 * 60)
    client = _client(operator)
    assert _post_start(client, token="c" * 32, service=passport.pk).status_code == 302
    resent = client.post(reverse("complaints_assisted:code_send", kwargs={"token": "c" * 32}))
    assert resent.status_code == 302
    refused = _post_start(client, token="d" * 32, service=passport.pk)
    assert refused.status_code == 429
    assert Message.objects.filter(template="complaint.consent_code_requested").count() == 2


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_operators_pages_are_within_the_budget(db: None, language: str) -> None:
    """With the demonstration's every service and centre to choose from."""
    from django.core.management import call_command

    from tests.test_page_weight import page_weight

    call_command("seed_demo", quiet=True)
    client = _client(User.objects.get(username="operator.kbl"))
    start = page_weight.measure_page(client, f"/{language}/center/complaints/new/")
    service = Service.objects.filter(is_active=True, current_version__isnull=False).first()
    assert service is not None
    _post_start(client, service=service.pk, phone_number="0700 555 777")
    consent = page_weight.measure_page(client, f"/{language}/center/complaints/{TOKEN}/consent/")
    _file(client, _code())
    filed = Complaint.objects.filter(channel="center").order_by("-id").first()
    assert filed is not None
    done = page_weight.measure_page(client, f"/{language}/center/complaints/filed/{filed.public_id}/")
    over = [(weight.url, weight.total) for weight in (start, consent, done)
            if weight.total > page_weight.BUDGET_BYTES]
    assert not over, over


def test_the_counter_screens_link_fills_in_the_ticket_holder(herat_operator: User) -> None:
    from khedmat.centers.services import ticket_issue
    from khedmat.centers.tests.conftest import build_hall

    hall = build_hall(counter_count=1)
    operator = staff_user_create(username="operator.hall", password="pass-for-tests-1", role=Role.OPERATOR,
                                 center=hall.center)
    ticket = ticket_issue(center=hall.center, service=hall.licence, phone=WALK_IN)
    url = f"{reverse('complaints_assisted:start')}?ticket={ticket.public_id}"
    html = _client(operator).get(url).content.decode()
    assert 'value="070 055 5777"' in html and f'<option value="{hall.licence.pk}" selected' in html
    # Another centre's operator with the same link: nothing of the ticket shows.
    other = _client(herat_operator).get(url).content.decode()
    assert "5777" not in other and f'<option value="{hall.licence.pk}" selected' not in other
    assert _client(operator).get(f"{reverse('complaints_assisted:start')}?ticket=nonsense").status_code == 200
