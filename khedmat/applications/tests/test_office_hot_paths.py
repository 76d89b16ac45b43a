"""The officer's inbox and file page at the door (docs/performance.md, issue 11, officer round).

Statements pinned for both pages, and what the savings must not cost: the filter choices kept
under the catalog version are never older than the last change of the catalog, in every
language; a service version kept by the process is the one the file names; every opening of
a file is on the record at once, and sealed by the next pass when it does not run its own.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.audit import services as audit_services
from khedmat.audit.models import AuditEvent, AuditSeal
from khedmat.catalog import services as catalog_services
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.centers.services import center_offer_services, center_upsert
from khedmat.centers.tests.test_hot_paths import statements

from .office_helpers import submitted

INBOX = "/en/office/"
PASSPORT_YAML = Path(settings.BASE_DIR, "demo/services/moi-psp.yaml")


def _republish(agency: Agency, *, name_en: str, in_review_fa: str = "در حال بررسی") -> None:
    text = PASSPORT_YAML.read_text(encoding="utf-8")
    text = text.replace("  en: Passport issuance and renewal", f"  en: {name_en}", 1)
    text = text.replace("fa: در حال بررسی", f"fa: {in_review_fa}", 1)
    catalog_services.service_import_yaml(agency=agency, text=text)


def test_the_inbox_reads_three_statements(passport: Service, citizen: User, officer: User) -> None:
    client = verified_client(officer)
    for _ in range(3):
        submitted(passport, citizen)
    client.get(INBOX)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(INBOX)
    assert response.status_code == 200
    # User and second-factor device in one (the session from its copy in the cache); the colleagues;
    # the page of files with applicant and assignee. Not: the holidays (kept per version), the
    # services and states of the filters (kept under the catalog version), the service versions
    # of the rows (kept by the process), the agency.
    assert len(statements(captured)) == 3, "\n".join(statements(captured))
    body = response.content.decode()
    assert body.count('name="ticked"') == 3 and "Inbox of Ministry of Interior Affairs" in body
    assert body.count("Passport issuance and renewal") >= 3  # each row and the service filter


def test_the_inbox_filters_follow_a_published_version_at_once_in_every_language(
        moi: Agency, passport: Service, citizen: User, officer: User) -> None:
    client = verified_client(officer)
    submitted(passport, citizen)
    assert "Passport issuance and renewal" in client.get(INBOX).content.decode()
    client.get("/fa/office/")  # kept in Dari too
    _republish(moi, name_en="Passports, issued and renewed", in_review_fa="زیر بررسی")
    body = client.get(INBOX).content.decode()
    assert '">Passports, issued and renewed</option>' in body
    fa = client.get("/fa/office/").content.decode()
    assert ">زیر بررسی</option>" in fa and ">در حال بررسی</option>" not in fa
    # The file submitted before keeps its own version's name in its row.
    assert "<td data-label=\"Service\">Passport issuance and renewal</td>" in body


def test_the_inbox_title_follows_the_agency_renamed(moi: Agency, passport: Service, citizen: User,
                                                    officer: User) -> None:
    client = verified_client(officer)
    assert "Inbox of Ministry of Interior Affairs" in client.get(INBOX).content.decode()
    moi.name_en = "Ministry of the Interior"
    moi.save()
    assert "Inbox of Ministry of the Interior" in client.get(INBOX).content.decode()


def test_the_state_filter_lists_the_chosen_service_states(passport: Service, officer: User) -> None:
    client = verified_client(officer)
    body = client.get(INBOX, {"service": passport.pk}).content.decode()
    assert '<option value="in_review">In review</option>' in body
    assert f'<option value="{passport.pk}" selected>' in body


def test_opening_a_file_reads_twelve_statements_and_stays_on_the_record(
        passport: Service, citizen: User, officer: User) -> None:
    application = submitted(passport, citizen)
    client = verified_client(officer)
    url = f"/en/office/applications/{application.public_id}/"
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    # User and device in one (the session from its copy in the cache); the file with its service, version,
    # agency and people; the opening's audit event; documents; history; corrections; colleagues; messages;
    # notes; the collection centre (its box); the issued document; the complaints about the file
    # (complaints' template tag: one statement, their history only when there are some). Not: the officer's agency
    # again (it is the file's), the colleagues again for the assignment form, the centres
    # that title the collection answer (kept under the catalog version), the holidays (kept per version).
    assert len(statements(captured)) == 12, "\n".join(statements(captured))
    assert AuditEvent.objects.filter(action="applications.file_opened", actor=officer).count() == 2
    assert AuditEvent.objects.filter(action="applications.file_opened").latest("id").actor_agency_code == "MOI"
    assert f'<option value="{officer.pk}">' in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_opening_is_sealed_by_its_own_pass_or_by_the_next(
        passport: Service, citizen: User, officer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    application = submitted(passport, citizen)
    client = verified_client(officer)
    url = f"/en/office/applications/{application.public_id}/"
    monkeypatch.setattr(audit_services, "_last_pass_began", -1e9)
    assert client.get(url).status_code == 200  # no pass for a while: this one seals in line
    opened = AuditEvent.objects.filter(action="applications.file_opened")
    assert AuditSeal.objects.filter(event__in=opened).count() == 1
    assert client.get(url).status_code == 200  # a pass began a moment ago: on the record, not sealed yet
    assert opened.count() == 2 and AuditSeal.objects.filter(event__in=opened).count() == 1
    audit_services.audit_seal_pending()  # the next pass (any request's, or the minute's job)
    assert AuditSeal.objects.filter(event__in=opened).count() == 2


def test_an_ordinary_event_always_registers_its_pass(db: None, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    audit_services.audit_seal_pending()  # a pass has just begun
    with django_capture_on_commit_callbacks() as callbacks:
        audit_services.audit_record(action="test.write", target_type="test", target_id=1)
    assert audit_services.audit_seal_pending in callbacks
    with django_capture_on_commit_callbacks() as callbacks:
        audit_services.audit_record(action="test.read", target_type="test", target_id=1, seal_soon=True)
    assert audit_services.audit_seal_pending not in callbacks


def test_a_file_names_its_own_version_kept_by_the_process(moi: Agency, passport: Service, citizen: User,
                                                         officer: User) -> None:
    client = verified_client(officer)
    submitted(passport, citizen)
    client.get(INBOX)  # the first version kept
    _republish(moi, name_en="Passports, issued and renewed")
    passport.refresh_from_db()
    newer = submitted(passport, citizen)
    assert Application.objects.get(pk=newer.pk).service_version.name == "Passports, issued and renewed"
    body = client.get(INBOX).content.decode()
    assert "<td data-label=\"Service\">Passports, issued and renewed</td>" in body
    assert "<td data-label=\"Service\">Passport issuance and renewal</td>" in body


def _kabul(name: str, services: list[Service]) -> None:
    names = {"en": name, "fa": f"{name} (fa)", "ps": f"{name} (ps)"}
    center = center_upsert(code="KBL", slug="kbl", name=names, city=names,
                           address={"en": "Road 1", "fa": "سرک ۱", "ps": "سړک ۱"}, opens_at=time(8), closes_at=time(16))
    center_offer_services(center=center, services=services)


def test_the_collection_centre_answer_follows_the_centres_at_once(passport: Service, citizen: User,
                                                                   officer: User) -> None:
    _kabul("Kabul Center", [passport])
    application = submitted(passport, citizen)  # collects at KBL
    client = verified_client(officer)
    url = f"/en/office/applications/{application.public_id}/"

    def answers() -> str:
        body = client.get(url).content.decode()
        return body[body.index('id="answers-title"'):body.index('id="documents-title"')]

    assert "Kabul Center" in answers()
    assert "Kabul Center (fa)" in client.get(url.replace("/en/", "/fa/")).content.decode()
    _kabul("Kabul Passport Center", [passport])  # renamed
    assert "Kabul Passport Center" in answers()
    _kabul("Kabul Passport Center", [])  # no longer hands passports over: its code is shown
    shown = answers()
    assert "Kabul Passport Center" not in shown and "KBL" in shown
