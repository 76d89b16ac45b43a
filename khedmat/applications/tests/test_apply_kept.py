"""The application page keeps what is the same for everyone (docs/performance.md, issue 11):
the service read by its address, the collection centres of a version, and the fee schedule
and fields of a blank form in each language, all under the catalog version
(catalog/fragments.py). These tests say a kept part is never older than the last change that
shows on it (a new version, a withdrawn service, a centre closing, opening or no longer
offering the service), in every language, and holds nothing of the visitor."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.catalog import fragments
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.services import service_set_active
from khedmat.catalog.tests.factories import passport_definition, publish
from khedmat.centers.models import Center
from khedmat.centers.services import center_offer_services, center_upsert
from khedmat.centers.tests.test_hot_paths import statements

from .citizen_helpers import pdf, token_of

pytestmark = pytest.mark.django_db

APPLY = "/{language}/apply/passport/"
POST = {"f-full_name": "Ahmad Zia", "f-father_name": "Mohammad Nabi", "f-date_of_birth-day": "1",
        "f-date_of_birth-month": "1", "f-date_of_birth-year": "1369", "f-validity_years": "5"}
TOKENS = re.compile(r'name="(csrfmiddlewaretoken|submission_token)" value="[^"]+"')


def _center(code: str, name: str, services: list[Service]) -> Center:
    names = {"en": name, "fa": f"{name} (fa)", "ps": f"{name} (ps)"}
    center = center_upsert(code=code, slug=code.lower(), name=names, city=names,
                           address={"en": f"{name} Road 1", "fa": "سرک ۱", "ps": "سړک ۱"},
                           opens_at=time(8), closes_at=time(16))
    center_offer_services(center=center, services=services)
    return center


@pytest.fixture(autouse=True)
def _fee_paid_as_sent() -> None:
    """As in production: the submission opens a payment order, paid later (the package's
    conftest pays at once, for the review tests)."""


@pytest.fixture
def kabul(passport: Service) -> Center:
    return _center("KBL", "Kabul Center", [passport])


@pytest.fixture
def signed_in(client: Client, citizen: User) -> Client:
    client.force_login(citizen)
    return client


def _page(client: Client, language: str = "en") -> str:
    response = client.get(APPLY.format(language=language))
    assert response.status_code == 200
    return response.content.decode()


def _submit(client: Client, center_code: str, language: str = "en") -> int:
    page = _page(client, language)
    response = client.post(APPLY.format(language=language), {
        **POST, "f-collection_center": center_code, "submission_token": token_of(page), "action": "submit",
        "doc-tazkira_copy": pdf()})
    return response.status_code


def test_a_kept_blank_form_is_the_page_rendered_afresh(signed_in: Client, kabul: Center) -> None:
    for language in ("en", "fa", "ps"):
        cache.clear()
        fresh = TOKENS.sub("", _page(signed_in, language))
        kept = TOKENS.sub("", _page(signed_in, language))
        assert kept == fresh
    assert "Kabul Center (fa)" in _page(signed_in, "fa") and "Kabul Center (ps)" not in _page(signed_in, "fa")


def test_a_kept_form_holds_nothing_of_the_visitor(signed_in: Client, citizen: User, passport: Service,
                                                  kabul: Center) -> None:
    page = _page(signed_in)
    kept = cache.get("catalog:fragment:apply-page:passport:en")
    assert kept is not None and kept[0] == fragments.version()
    service, fee_box, fields = kept[1]
    assert service.pk == passport.pk
    text = fee_box + fields
    assert "Kabul Center" in fields and 'name="f-full_name"' in fields
    for personal in (token_of(page), "csrfmiddlewaretoken", citizen.phone_number, citizen.full_name, "sessionid"):
        assert not personal or personal not in text


def test_the_page_and_the_post_read_neither_the_service_nor_the_centres_again(signed_in: Client,
                                                                                kabul: Center) -> None:
    _page(signed_in)
    with CaptureQueriesContext(connection) as captured:
        page = _page(signed_in)
    sqls = statements(captured)
    # The user (the session from its copy in the cache) and the citizen's earlier draft of this
    # service: nothing else.
    assert len(sqls) == 2, "\n".join(sqls)
    assert not [sql for sql in sqls if "catalog_" in sql or "centers_" in sql]
    with CaptureQueriesContext(connection) as captured:
        response = signed_in.post(APPLY.format(language="en"), {
            **POST, "f-collection_center": "KBL", "submission_token": token_of(page), "action": "submit",
            "doc-tazkira_copy": pdf()})
    assert response.status_code == 302
    assert not [sql for sql in statements(captured) if '"catalog_service"' in sql or '"centers_center"' in sql]


def test_a_centre_closing_opening_or_leaving_the_service_shows_at_once(
        signed_in: Client, citizen: User, passport: Service, kabul: Center) -> None:
    herat = _center("HRT", "Herat Center", [passport])
    assert 'value="HRT"' in _page(signed_in) and 'value="HRT"' in _page(signed_in, "fa")
    herat.is_active = False
    herat.save()
    assert 'value="HRT"' not in _page(signed_in) and 'value="HRT"' not in _page(signed_in, "ps")
    assert _submit(signed_in, "HRT") == 200  # refused on the server too
    assert not Application.objects.filter(applicant=citizen).exclude(state=Application.DRAFT).exists()
    center_offer_services(center=kabul, services=[])
    assert 'value="KBL"' not in _page(signed_in)
    _center("MZR", "Mazar Center", [passport])
    assert 'value="MZR"' in _page(signed_in) and "Mazar Center (fa)" in _page(signed_in, "fa")
    assert _submit(signed_in, "MZR") == 302


def test_a_new_version_shows_at_once_in_every_language(signed_in: Client, moi: Agency, passport: Service,
                                                       kabul: Center) -> None:
    for language in ("en", "fa", "ps"):
        _page(signed_in, language)
    definition = passport_definition()
    definition["form"]["properties"]["father_name"]["title"] = "Name of the father"
    definition["form"]["properties"]["father_name"]["x-title"] = {"fa": "نام پدر تازه", "ps": "د پلار نوی نوم"}
    publish(moi, definition)
    assert "Name of the father" in _page(signed_in)
    assert "نام پدر تازه" in _page(signed_in, "fa") and "د پلار نوی نوم" in _page(signed_in, "ps")


def test_a_withdrawn_service_is_gone_at_once_and_comes_back(signed_in: Client, passport: Service,
                                                            kabul: Center) -> None:
    _page(signed_in)
    service_set_active(service=passport, is_active=False)
    assert signed_in.get(APPLY.format(language="en")).status_code == 404
    service_set_active(service=passport, is_active=True)
    assert "Kabul Center" in _page(signed_in)


def test_a_complete_post_is_filed_in_one_transaction_and_once(signed_in: Client, citizen: User,
                                                              passport: Service, kabul: Center) -> None:
    from khedmat.applications.models import Document
    from khedmat.applications.services.drafts import application_file
    from khedmat.applications.uploads import upload_check

    page = _page(signed_in)
    with CaptureQueriesContext(connection) as captured:
        response = signed_in.post(APPLY.format(language="en"), {
            **POST, "f-collection_center": "KBL", "submission_token": token_of(page), "action": "submit",
            "doc-tazkira_copy": pdf()})
    assert response.status_code == 302
    filed = Application.objects.get(applicant=citizen)
    assert not filed.is_draft and filed.documents.count() == 1
    # Made and submitted in one go: the row is neither locked nor read back in between.
    reads_of_the_row = [sql for sql in statements(captured)
                        if sql.startswith("SELECT") and '"applications_application"."id" = ' in sql]
    assert not reads_of_the_row
    # The same key again (a parallel post the view's look did not see): the filed one, nothing more kept.
    again = application_file(applicant=citizen, service=passport, data=filed.data,
                             idempotency_key=filed.idempotency_key or "",
                             uploads=[("tazkira_copy", upload_check(pdf(), max_bytes=10 * 1024 * 1024))])
    assert again.pk == filed.pk
    assert Application.objects.filter(applicant=citizen).count() == 1 and Document.objects.count() == 1


def test_the_offer_is_the_citizens_newest_draft_never_an_operators(signed_in: Client, citizen: User,
                                                                     passport: Service, kabul: Center) -> None:
    """The earlier-draft read (plain SQL): the citizen's own newest draft of this service; not one
    an operator is preparing for them at a centre, nor another citizen's."""
    from datetime import timedelta

    from khedmat.applications.services import application_draft_save

    operator = User.objects.create(username="+93700000991", phone_number="+93700000991", role="operator",
                                   center=kabul)
    other = User.objects.create(username="+93700000992", phone_number="+93700000992", role="citizen")
    application_draft_save(applicant=citizen, service=passport, data={}, filed_by=operator)
    application_draft_save(applicant=other, service=passport, data={})
    assert "You already started" not in _page(signed_in)
    older = application_draft_save(applicant=citizen, service=passport, data={})
    newer = application_draft_save(applicant=citizen, service=passport, data={})
    Application.objects.filter(pk=older.pk).update(updated_at=newer.updated_at - timedelta(days=1))
    page = _page(signed_in)
    assert f"/en/applications/{newer.public_id}/edit/" in page and str(older.public_id) not in page


def test_an_earlier_draft_is_offered_on_the_kept_page(signed_in: Client, citizen: User, kabul: Center) -> None:
    page = _page(signed_in)
    assert "You already started" not in page
    saved = signed_in.post(APPLY.format(language="en"), {**POST, "submission_token": token_of(page),
                                                         "action": "save"})
    assert saved.status_code == 302
    draft = Application.objects.get(applicant=citizen)
    with CaptureQueriesContext(connection) as captured:
        again = _page(signed_in)
    assert len(statements(captured)) == 2, "\n".join(statements(captured))
    assert "You already started this application on" in again and f"/en/applications/{draft.public_id}/edit/" in again


def test_the_page_and_the_post_each_read_the_kept_parts_once(signed_in: Client, kabul: Center,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """One cache round trip for what they need of the service: the page the catalog version alone
    (its blank form with the service is this process's copy while the version stays), the post
    the service with the definition it is checked against."""
    _page(signed_in)  # kept from here on
    reads: list[list[str]] = []
    get_many = cache.get_many

    def counted(keys: list[str], *args: object, **kwargs: object) -> dict[str, object]:
        if fragments.VERSION_KEY in keys:
            reads.append([key for key in keys if key != fragments.VERSION_KEY])
        return get_many(keys, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cache, "get_many", counted)
    page = _page(signed_in)
    assert reads == [[]]
    reads.clear()
    response = signed_in.post(APPLY.format(language="en"), {
        **POST, "f-collection_center": "KBL", "submission_token": token_of(page), "action": "submit",
        "doc-tazkira_copy": pdf()})
    assert response.status_code == 302 and response["Location"].endswith("/submitted/")
    assert reads == [["catalog:fragment:apply-post:passport"]]
