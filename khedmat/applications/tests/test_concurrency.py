"""Many people at once: submissions get distinct gap-free references, a retried form files
once, and of two people acting on one file, one wins and the other is told.

Each thread works through its own database connection, as gunicorn workers do; the tests
are transactional so that what one thread commits the others see. The PostgreSQL tests
need DATABASE_URL to name PostgreSQL (CI runs the suite once on SQLite, then on
PostgreSQL, where they run); the SQLite test checks that writers queue instead of failing
with "database is locked".
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.models import Application, ApplicationEvent, ReferenceCounter
from khedmat.applications.services import (
    ApplicationError,
    application_draft_save,
    application_submit,
    application_transition,
)
from khedmat.audit.models import AuditEvent, AuditSeal
from khedmat.audit.selectors import audit_unsealed_count, audit_verify_chain
from khedmat.audit.services import audit_seal_pending
from khedmat.catalog.models import Agency, Service

from .conftest import PASSPORT_ANSWERS

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "concurrency tests need PostgreSQL (DATABASE_URL=postgres://…): this is the SQLite pass, "
        "CI runs them in its PostgreSQL pass" if os.environ.get("CI") else
        "concurrency tests need PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/khedmat"
    ),
)


def in_parallel(work: Callable[[int], Any], count: int) -> list[Any]:
    """Run work(0) … work(count - 1) in threads released at the same moment.

    Each thread has its own connection (Django's are per thread) and closes it at the end.
    Returns what each call returned or the exception it raised, in order.
    """
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            start.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # handed to the test to judge
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def _drafts(service: Service, applicant: User, count: int) -> list[Application]:
    return [application_draft_save(applicant=applicant, service=service, data=PASSPORT_ANSWERS)
            for _ in range(count)]


def _numbers(applications: list[Application]) -> list[int]:
    return sorted(int((application.reference or "").rsplit("-", 1)[1]) for application in applications)


def _assert_audit_chain_whole() -> None:
    # Every thread's commit ran a sealer; one at a time, the others giving way. The last
    # event may have committed just after the last sealer looked: the next sealer (the next
    # request's) takes it. Then one unbroken chain holds every event once.
    audit_seal_pending()
    assert audit_unsealed_count() == 0
    sequences = list(AuditSeal.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, AuditEvent.objects.count() + 1))
    assert audit_verify_chain() is None


# --- PostgreSQL ------------------------------------------------------------------------------

@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_submissions_get_fifty_gap_free_references(passport: Service, citizen: User) -> None:
    drafts = _drafts(passport, citizen, 50)
    results = in_parallel(lambda i: application_submit(application=drafts[i], idempotency_key=f"form-{i}",
                                                       actor=citizen), 50)
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors[:3]
    assert len({application.reference for application in results}) == 50
    assert _numbers(results) == list(range(1, 51))
    assert ReferenceCounter.objects.get(service=passport).last_number == 50
    assert ApplicationEvent.objects.filter(transition="submit").count() == 50
    assert AuditEvent.objects.filter(action="applications.submitted").count() == 50
    _assert_audit_chain_whole()


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_draft", [True, False], ids=["one-draft", "a-draft-each"])
def test_one_idempotency_key_sent_ten_times_at_once_files_once(passport: Service, citizen: User,
                                                               same_draft: bool) -> None:
    """A double click, a browser retry: the same key from ten requests at once."""
    drafts = _drafts(passport, citizen, 1 if same_draft else 10)
    results = in_parallel(lambda i: application_submit(application=drafts[0 if same_draft else i],
                                                       idempotency_key="one-form", actor=citizen), 10)
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors[:3]
    assert len({application.pk for application in results}) == 1
    assert all(application.reference and application.reference.endswith("-000001") for application in results)
    assert Application.objects.exclude(state=Application.DRAFT).count() == 1
    # The losers' numbers were given back: the next submission is number 2.
    assert ReferenceCounter.objects.get(service=passport).last_number == 1
    assert ApplicationEvent.objects.filter(transition="submit").count() == 1
    assert AuditEvent.objects.filter(action="applications.submitted").count() == 1
    _assert_audit_chain_whole()


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_complete_post_sent_ten_times_at_once_files_once_and_keeps_nothing_else(passport: Service,
                                                                                   citizen: User) -> None:
    """The citizen's page files a complete post in one transaction (drafts.application_file): the
    posts that lose the race on the key keep no draft, no document and no number."""
    from khedmat.applications.models import Document
    from khedmat.applications.services.drafts import application_file
    from khedmat.applications.uploads import upload_check

    from .citizen_helpers import pdf

    def post(index: int) -> Application:
        upload = upload_check(pdf(), max_bytes=10 * 1024 * 1024)
        return application_file(applicant=citizen, service=passport, data=PASSPORT_ANSWERS, idempotency_key="one-post",
                                uploads=[("tazkira_copy", upload)])

    results = in_parallel(post, 10)
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors[:3]
    assert len({application.pk for application in results}) == 1
    assert Application.objects.count() == 1 and Document.objects.count() == 1
    assert ReferenceCounter.objects.get(service=passport).last_number == 1
    assert AuditEvent.objects.filter(action="applications.submitted").count() == 1
    _assert_audit_chain_whole()


def _file_at(passport: Service, citizen: User, officer: User, state: str, key: str) -> Application:
    application = application_submit(application=_drafts(passport, citizen, 1)[0], idempotency_key=key,
                                     actor=citizen)
    walk = {"in_review": ["start_review"], "awaiting_approval": ["start_review", "recommend"]}[state]
    for step in walk:
        application = application_transition(application=application, actor=officer, transition=step,
                                             expected_state=application.state)
    assert application.state == state
    return application


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_approving_one_file_at_once_apply_it_once(passport: Service, moi: Agency, citizen: User,
                                                               officer: User, approver: User) -> None:
    second_approver = staff_user_create(username="approver2.test", password="pass-for-tests-1",
                                        role=Role.APPROVER, agency=moi)
    # A few rounds: the race is real only when both reach the row lock together.
    for round_number in range(5):
        application = _file_at(passport, citizen, officer, "awaiting_approval", key=f"race-{round_number}")
        def approve(index: int, application: Application = application) -> Application:
            return application_transition(application=application, actor=(approver, second_approver)[index],
                                          transition="approve", expected_state="awaiting_approval")

        results = in_parallel(approve, 2)
        won = [result for result in results if isinstance(result, Application)]
        refused = [result for result in results if isinstance(result, ApplicationError)]
        assert len(won) == 1 and len(refused) == 1, results
        assert refused[0].code == "stale"
        assert ApplicationEvent.objects.filter(application=application, transition="approve").count() == 1
        assert AuditEvent.objects.filter(action="applications.approve", target_id=application.reference).count() == 1
        assert Application.objects.get(pk=application.pk).state == "approved"
    _assert_audit_chain_whole()


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_taking_different_steps_at_once_apply_one(passport: Service, citizen: User, officer: User,
                                                              second_officer: User) -> None:
    application = _file_at(passport, citizen, officer, "in_review", key="two-officers")
    steps = ((officer, "recommend", ""), (second_officer, "reject", "The Tazkira copy cannot be read."))
    results = in_parallel(lambda i: application_transition(
        application=application, actor=steps[i][0], transition=steps[i][1], expected_state="in_review",
        reason_text=steps[i][2]), 2)
    won = [result for result in results if isinstance(result, Application)]
    refused = [result for result in results if isinstance(result, ApplicationError)]
    assert len(won) == 1 and len(refused) == 1 and refused[0].code == "stale", results
    events = ApplicationEvent.objects.filter(application=application, from_state="in_review")
    assert events.count() == 1
    assert Application.objects.get(pk=application.pk).state == events.get().to_state == won[0].state


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_file_being_worked_holds_up_no_other_file(passport: Service, citizen: User, other_citizen: User,
                                                   officer: User, second_officer: User) -> None:
    """Only the file itself is locked: not its service, agency or version, so while one
    submission or step is under way, others of the same service still go ahead at once."""
    waiting = _drafts(passport, citizen, 1)[0]
    busy = _file_at(passport, citizen, officer, "in_review", key="busy")
    other = _file_at(passport, citizen, officer, "in_review", key="other")
    held, done = threading.Event(), threading.Event()

    def work(index: int) -> str:
        if index == 0:  # a slow request: its locks stay held until the other has finished
            with transaction.atomic():
                application_submit(application=waiting, idempotency_key="slow", actor=citizen)
                application_transition(application=busy, actor=officer, transition="recommend",
                                       expected_state="in_review")
                held.set()
                done.wait(timeout=30)
            return "slow request done"
        held.wait(timeout=30)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '3s'")  # waiting on a lock fails the test
                application_draft_save(applicant=other_citizen, service=passport, data=PASSPORT_ANSWERS)
                application_transition(application=other, actor=second_officer, transition="recommend",
                                       expected_state="in_review")
            return "went ahead"
        finally:
            done.set()

    assert in_parallel(work, 2) == ["slow request done", "went ahead"]


# --- SQLite ----------------------------------------------------------------------------------

class SQLiteFile:
    """A file copy of SQLite's in-memory test database, and a way for a thread to use it.

    Threads sharing the in-memory database go through SQLite's shared cache, which answers
    a second writer "database table is locked" at once instead of letting it wait; the
    platform runs on a file (WAL, IMMEDIATE transactions, a busy timeout), so the threads
    here do too. The main thread's connection stays on the in-memory database.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.settings_dict = dict(connection.settings_dict)
        self.backend = type(connections[connection.alias])

    def copy(self) -> None:
        """Take the database as the main thread made it so far (call before the threads start)."""
        if not connection.is_in_memory_db():  # type: ignore[attr-defined]
            return  # already a file: the threads share it as it is
        connection.ensure_connection()
        copy = sqlite3.connect(self.path)
        try:
            connection.connection.backup(copy)
            # The copy starts in the rollback-journal mode of the in-memory original. Threads
            # switching it to WAL on connect while another holds a write lock would be told
            # "database is locked" at once (SQLite's deadlock guard skips the busy timeout).
            copy.execute("PRAGMA journal_mode=WAL")
        finally:
            copy.close()
        self.settings_dict["NAME"] = str(self.path)

    def use(self) -> None:
        """In a thread: work on the copy."""
        connections[connection.alias] = self.backend(dict(self.settings_dict), connection.alias)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> SQLiteFile:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; on PostgreSQL the tests above cover this")
    return SQLiteFile(tmp_path / "concurrency.sqlite3")


@pytest.mark.django_db(transaction=True)
def test_parallel_submissions_on_sqlite_queue_instead_of_failing(passport: Service, citizen: User,
                                                                 sqlite_file: SQLiteFile) -> None:
    drafts = _drafts(passport, citizen, 5)
    sqlite_file.copy()

    def submit(index: int) -> Application:
        sqlite_file.use()
        return application_submit(application=drafts[index], idempotency_key=f"form-{index}", actor=citizen)

    results = in_parallel(submit, 5)
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors  # above all no OperationalError("database is locked")
    assert _numbers(results) == [1, 2, 3, 4, 5]

    def check(_index: int) -> None:
        sqlite_file.use()
        assert ReferenceCounter.objects.get(service=passport).last_number == 5
        assert ApplicationEvent.objects.filter(transition="submit").count() == 5
        _assert_audit_chain_whole()

    assert in_parallel(check, 1) == [None]


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_on_sqlite_apply_once(passport: Service, moi: Agency, citizen: User, officer: User,
                                                    approver: User, sqlite_file: SQLiteFile) -> None:
    second_approver = staff_user_create(username="approver2.test", password="pass-for-tests-1",
                                        role=Role.APPROVER, agency=moi)
    application = _file_at(passport, citizen, officer, "awaiting_approval", key="race")
    approvers = (approver, second_approver)
    sqlite_file.copy()

    def approve(index: int) -> Application:
        sqlite_file.use()
        return application_transition(application=application, actor=approvers[index], transition="approve",
                                      expected_state="awaiting_approval")

    results = in_parallel(approve, 2)
    refused = [result for result in results if isinstance(result, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], ApplicationError) and refused[0].code == "stale", results

    def check(_index: int) -> None:
        sqlite_file.use()
        assert ApplicationEvent.objects.filter(application=application, transition="approve").count() == 1
        assert Application.objects.get(pk=application.pk).state == "approved"

    assert in_parallel(check, 1) == [None]
