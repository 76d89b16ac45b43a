"""A service that hands something over at a center (the passport): the form asks where to
collect among the active centers offering it, the officer marks it ready and handed over,
the citizen is told by SMS where and when, and the file page shows where to collect."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.test import Client

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.services import application_transition
from khedmat.catalog.definition import DefinitionError, validate_definition
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import passport_definition, publish, verified_client
from khedmat.centers.models import Center
from khedmat.centers.services import center_offer_services, center_upsert
from khedmat.notifications.models import Message

from .citizen_helpers import pdf, token_of

pytestmark = pytest.mark.django_db

POST = {"f-full_name": "Ahmad Zia", "f-father_name": "Mohammad Nabi", "f-date_of_birth-day": "1",
        "f-date_of_birth-month": "1", "f-date_of_birth-year": "1369", "f-validity_years": "5"}


def _center(code: str, name: str, services: list[Service], *, active: bool = True) -> Center:
    names = {"en": name, "fa": f"{name} (fa)", "ps": f"{name} (ps)"}
    center = center_upsert(code=code, slug=code.lower(), name=names, city=names,
                           address={"en": f"{name} Road 1", "fa": "سرک ۱", "ps": "سړک ۱"},
                           opens_at=time(8), closes_at=time(16))
    center_offer_services(center=center, services=services)
    if not active:
        Center.objects.filter(pk=center.pk).update(is_active=False)
    return center


@pytest.fixture
def centers(passport: Service) -> dict[str, Center]:
    return {"KBL": _center("KBL", "Kabul Center", [passport]), "HRT": _center("HRT", "Herat Center", [passport]),
            "MZR": _center("MZR", "Mazar Center", []),  # does not offer passports
            "OLD": _center("OLD", "Closed Center", [passport], active=False)}


def _apply(client: Client, citizen: User, center_code: str, language: str = "en") -> Any:
    client.force_login(citizen)
    page = client.get(f"/{language}/apply/passport/")
    assert page.status_code == 200
    return page, client.post(f"/{language}/apply/passport/", {
        **POST, "f-collection_center": center_code, "submission_token": token_of(page.content.decode()),
        "action": "submit", "doc-tazkira_copy": pdf()})


def test_the_form_lists_only_active_centers_offering_the_service(client: Client, citizen: User,
                                                                 centers: dict[str, Center]) -> None:
    page, response = _apply(client, citizen, "KBL")
    html = page.content.decode()
    assert "Center where you will collect the passport" in html
    assert 'value="KBL"' in html and 'value="HRT"' in html and "Kabul Center" in html
    assert 'value="MZR"' not in html and 'value="OLD"' not in html
    assert response.status_code == 302
    application = Application.objects.get(applicant=citizen)
    assert not application.is_draft and application.data["collection_center"] == "KBL"
    dari = client.get("/fa/apply/passport/").content.decode()
    assert "Kabul Center (fa)" in dari


@pytest.mark.parametrize("code", ["MZR", "OLD", "ZZZ", "", "<b>KBL</b>", "ک" * 500])
def test_a_center_not_on_the_list_is_refused_on_the_server(client: Client, citizen: User,
                                                           centers: dict[str, Center], code: str) -> None:
    _page, response = _apply(client, citizen, code)
    assert response.status_code in (200, 400)
    assert not Application.objects.filter(applicant=citizen).exclude(state=Application.DRAFT).exists()
    assert "Center where you will collect the passport" in response.content.decode()


def test_ready_then_collected_with_an_sms_saying_where_and_when(
        client: Client, citizen: User, officer: User, approver: User, centers: dict[str, Center]) -> None:
    _apply(client, citizen, "HRT")
    application = Application.objects.get(applicant=citizen)
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    application = application_transition(application=application, actor=officer, transition="recommend",
                                         expected_state="in_review")
    application = application_transition(application=application, actor=approver, transition="approve",
                                         expected_state="awaiting_approval")
    assert application.state == "approved" and not application.is_final
    page = client.get(application.get_absolute_url()).content.decode()
    assert "Where to collect" in page and "Herat Center" in page and "Herat Center Road 1" in page

    application = application_transition(application=application, actor=officer, transition="mark_ready",
                                         expected_state="approved")
    [sms] = Message.objects.filter(to=citizen.phone_number, template="application.ready_for_collection")
    # In the citizen's language (Dari): the center's Dari name and address, hours in Dari digits.
    assert "Herat Center (fa)" in sms.body and "سرک ۱" in sms.body and "۰۸:۰۰" in sms.body
    assert "پاسپورت" in sms.body and str(application.reference) in sms.body
    page = client.get(application.get_absolute_url()).content.decode()
    assert "Your passport is ready to collect" in page

    # A retried step changes nothing and sends nothing more.
    with pytest.raises(Exception):  # noqa: B017 (the workflow's own refusal)
        application_transition(application=application, actor=officer, transition="mark_ready",
                               expected_state="approved")
    assert Message.objects.filter(template="application.ready_for_collection").count() == 1

    application = application_transition(application=application, actor=officer, transition="hand_over",
                                         expected_state="ready_for_collection")
    assert application.state == "collected" and application.is_final
    assert "The passport was collected" in client.get(application.get_absolute_url()).content.decode()


def test_the_officer_sees_the_collection_center(client: Client, citizen: User, officer: User,
                                                centers: dict[str, Center]) -> None:
    _apply(client, citizen, "KBL")
    application = Application.objects.get(applicant=citizen)
    page = verified_client(officer).get(f"/en/office/applications/{application.public_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Collection center" in html and "Kabul Center" in html


# --- the definition ---------------------------------------------------------------------------

def test_an_unknown_center_code_is_refused_when_the_definition_is_published(moi: Agency,
                                                                             centers: dict[str, Center]) -> None:
    with pytest.raises(DefinitionError) as caught:
        publish(moi, passport_definition(**{"handover.centers": ["KBL", "XYZ"]}))
    assert caught.value.path == "handover.centers"
    assert "XYZ" in caught.value.message and "KBL" in caught.value.message
    with pytest.raises(DefinitionError):
        publish(moi, passport_definition(**{"handover.centers": ["OLD"]}))  # not active


def test_a_narrowed_list_of_centers_is_what_the_form_offers(client: Client, citizen: User, moi: Agency,
                                                            centers: dict[str, Center]) -> None:
    publish(moi, passport_definition(**{"handover.centers": ["HRT"]}))
    page, _response = _apply(client, citizen, "KBL")
    assert 'value="HRT"' in page.content.decode() and 'value="KBL"' not in page.content.decode()
    assert not Application.objects.filter(applicant=citizen).exclude(state=Application.DRAFT).exists()


@pytest.mark.parametrize(("change", "path"), [
    ({"handover.field": "full_name"}, "handover.field"),
    ({"handover.field": "nope"}, "handover.field"),
    ({"form.required": ["full_name", "father_name", "date_of_birth", "validity_years"]}, "handover.field"),
    ({"handover.ready_state": "approved"}, "handover.ready_state"),
    ({"handover.collected_state": "ready_for_collection"}, "handover.collected_state"),
    ({"handover.centers": ["kabul"]}, "handover.centers"),
    ({"handover.centers": "KBL"}, "handover.centers"),
    ({"handover.what": {"en": "passport"}}, "handover.what.fa"),
    ({"handover.where": "KBL"}, "handover.where"),
])
def test_a_malformed_handover_is_refused_with_its_path(change: dict[str, Any], path: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        validate_definition(passport_definition(**change))
    assert caught.value.path.startswith(path), caught.value.path


def test_a_center_field_without_a_handover_is_refused() -> None:
    definition = passport_definition()
    del definition["handover"]
    with pytest.raises(DefinitionError) as caught:
        validate_definition(definition)
    assert caught.value.path == "form.properties.collection_center.x-widget"


def test_ready_for_collection_cannot_end_the_file() -> None:
    definition = passport_definition()
    state = next(s for s in definition["workflow"]["states"] if s["name"] == "ready_for_collection")
    state["final"] = True
    with pytest.raises(DefinitionError) as caught:
        validate_definition(definition)
    assert "milestone" in caught.value.path
