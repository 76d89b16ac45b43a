"""What the busiest requests outside the hall read and write, statement by statement
(docs/performance.md, "Submission, join and inbox").

A citizen's submission, a phone joining a queue, an officer opening the inbox and a file: each
statement one of them gains is paid on every request at the door. These tests fail when one
comes back (the join form rebuilding the whole hall layout before issuing, a sealing pass per
audit event); the figures themselves live in bench/. What must stay is checked beside the
count: one application and one payment order per submission, the officer's read on the record.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from khedmat.accounts.models import User
from khedmat.api.selectors import agencies_with_webhooks
from khedmat.applications.models import Application
from khedmat.audit import services as audit_services
from khedmat.audit.models import AuditEvent, AuditSeal
from khedmat.audit.services import audit_record, audit_seal_pending, audit_written_together
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.centers.tests.test_hot_paths import statements
from khedmat.payments.models import PaymentOrder

from .citizen_helpers import RICH_POST, pdf, rich_service, token_of
from .office_helpers import submitted

APPLY = "/en/apply/rich-service/"


@pytest.fixture(autouse=True)
def _fee_paid_as_sent() -> None:
    """As in production: the submission opens a payment order, and the citizen pays later
    (the package's conftest pays at once, for the review tests)."""


@pytest.fixture
def rich(moi: Agency) -> Service:
    return rich_service(moi)


def test_a_submission_reads_and_writes_what_submitting_needs(client: Client, citizen: User, rich: Service) -> None:
    client.force_login(citizen)
    client.get(APPLY)  # the service and the blank form are kept from here on (catalog/fragments.py)
    agencies_with_webhooks()  # "no agency has webhooks", kept in the cache as a running site keeps it
    with CaptureQueriesContext(connection) as page:
        token = token_of(client.get(APPLY).content.decode())
    sqls = statements(page)
    # The user (the session from its copy in the cache); the citizen's earlier draft of this service.
    # The service, its form and fee schedule are kept under the catalog version (test_apply_kept.py
    # says they are never stale).
    assert len(sqls) == 2, "\n".join(sqls)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(APPLY, {**RICH_POST, "submission_token": token, "action": "submit",
                                       "doc-tazkira_copy": pdf()})
    assert response.status_code == 302 and response["Location"].endswith("/submitted/")
    sqls = statements(captured)
    # The user (the session is read from its copy in the cache); no look for the token's
    # application (a complete post relies on its unique constraint); then one transaction (a complete post:
    # drafts.application_file): the submission (holidays, number) written in one INSERT of the
    # application, already submitted (no draft row written first and updated), then its upload,
    # event; the payment order (number, row: no look for an existing one, the file is new); the
    # two audit events (submitted, order opened) in one INSERT; the SMS (wording, row).
    # Test settings count the counters' first row (INSERT OR IGNORE and the UPDATE again) twice.
    assert len(sqls) == 16, "\n".join(sqls)
    audit_inserts = [sql for sql in sqls if sql.startswith('INSERT INTO "audit_auditevent"')]
    assert len(audit_inserts) == 1 and audit_inserts[0].count("), (") == 1, "both events in one INSERT"
    assert not [sql for sql in sqls if sql.startswith('UPDATE "applications_application"')], "written once"
    assert not [sql for sql in sqls if '"catalog_' in sql and "JOIN" in sql], "no second read of the service"
    application = Application.objects.get()
    assert application.reference and PaymentOrder.objects.filter(application=application).count() == 1
    assert AuditEvent.objects.filter(action="applications.submitted").count() == 1


def test_the_inbox_reads_a_fixed_number_of_statements(passport: Service, citizen: User, officer: User) -> None:
    client = verified_client(officer)
    submitted(passport, citizen)
    client.get("/en/office/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/en/office/").status_code == 200
    for _ in range(4):
        submitted(passport, citizen)
    with CaptureQueriesContext(connection) as five:
        assert client.get("/en/office/").status_code == 200
    assert len(statements(five)) == len(statements(one)) <= 6, "\n".join(statements(five))


def test_opening_a_file_reads_a_fixed_number_of_statements_and_stays_on_the_record(
        passport: Service, citizen: User, officer: User) -> None:
    application = submitted(passport, citizen)
    client = verified_client(officer)
    url = f"/en/office/applications/{application.public_id}/"
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    # The first opening reads the collection centres once (then kept: test_office_hot_paths).
    assert len(statements(captured)) <= 15, "\n".join(statements(captured))
    assert AuditEvent.objects.filter(action="applications.file_opened").count() == 1


def test_a_transaction_with_several_audit_events_seals_once_after_commit(
        django_capture_on_commit_callbacks, citizen: User) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        audit_record(action="test.one", target_type="test", target_id=1, actor=citizen)
        with transaction.atomic():
            audit_record(action="test.two", target_type="test", target_id=2, actor=citizen)
        audit_record(action="test.three", target_type="test", target_id=3, actor=citizen)
    assert [callback for callback in callbacks if callback is audit_seal_pending] == [audit_seal_pending]


def test_events_written_together_are_one_insert_in_order_and_go_with_a_failed_block(citizen: User) -> None:
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured, audit_written_together():
            first = audit_record(action="test.one", target_type="test", target_id=1, actor=citizen)
            second = audit_record(action="test.two", target_type="test", target_id=2, actor=citizen)
            assert first.pk is None and not AuditEvent.objects.filter(action__startswith="test.").exists()
        assert len([sql for sql in statements(captured) if sql.startswith('INSERT INTO "audit_auditevent"')]) == 1
        assert first.pk is not None and second.pk is not None and first.pk < second.pk
        assert list(AuditEvent.objects.filter(action__startswith="test.").order_by("pk").values_list(
            "action", "target_id", "actor_id")) == [("test.one", "1", citizen.pk), ("test.two", "2", citizen.pk)]
        with pytest.raises(RuntimeError), audit_written_together():
            audit_record(action="test.failed", target_type="test", target_id=3, actor=citizen)
            raise RuntimeError
        assert not AuditEvent.objects.filter(action="test.failed").exists()


def test_an_event_in_a_savepoint_inside_a_block_goes_with_the_savepoint(citizen: User) -> None:
    """A savepoint opened inside the block may roll back alone: its events are written at once,
    so that they go with it; the block's own are written as it ends."""
    with transaction.atomic(), audit_written_together():
        audit_record(action="test.kept", target_type="test", target_id=1, actor=citizen)
        try:
            with transaction.atomic():
                audit_record(action="test.gone", target_type="test", target_id=2, actor=citizen)
                assert AuditEvent.objects.filter(action="test.gone").exists()
                raise RuntimeError
        except RuntimeError:
            pass
    assert list(AuditEvent.objects.filter(action__startswith="test.").values_list("action", flat=True)) == [
        "test.kept"]


@pytest.mark.django_db(transaction=True)
def test_events_are_written_together_only_inside_a_transaction() -> None:
    with pytest.raises(RuntimeError), audit_written_together():
        pass


def test_an_event_after_a_rolled_back_savepoint_is_still_sealed(
        django_capture_on_commit_callbacks, citizen: User) -> None:
    """The pass registered inside a savepoint goes if it rolls back: the next event registers its own."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                audit_record(action="test.gone", target_type="test", target_id=1, actor=citizen)
                raise RuntimeError
        except RuntimeError:
            pass
        audit_record(action="test.kept", target_type="test", target_id=2, actor=citizen)
    assert audit_seal_pending in callbacks
    assert AuditSeal.objects.filter(event__action="test.kept").exists()


@pytest.mark.django_db(transaction=True)
def test_a_submission_is_sealed_by_its_own_pass_or_by_the_next(
        client: Client, citizen: User, rich: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its events (submitted, order opened) are written in its transaction; the pass after
    commit runs only if this process began none in the last few seconds (audit_record)."""
    client.force_login(citizen)

    def submit() -> list[str]:
        token = token_of(client.get(APPLY).content.decode())
        with CaptureQueriesContext(connection) as captured:
            response = client.post(APPLY, {**RICH_POST, "submission_token": token, "action": "submit",
                                           "doc-tazkira_copy": pdf()})
        assert response.status_code == 302
        return statements(captured)

    ours = AuditEvent.objects.filter(action__in=("applications.submitted", "payments.order_opened"))
    monkeypatch.setattr(audit_services, "_last_pass_began", -1e9)
    first = submit()  # no pass for a while: this one seals in line, once for both events
    assert ours.count() == 2 and AuditSeal.objects.filter(event__in=ours).count() == 2
    assert len([sql for sql in first if "audit_auditseal" in sql and sql.startswith("INSERT")]) == 1
    second = submit()  # a pass began a moment ago: both on the record, not sealed yet
    assert not [sql for sql in second if "audit_auditseal" in sql]
    assert ours.count() == 4 and AuditSeal.objects.filter(event__in=ours).count() == 2
    audit_services.audit_seal_pending()  # the next pass (any request's, or the minute's job)
    assert AuditSeal.objects.filter(event__in=ours).count() == 4
