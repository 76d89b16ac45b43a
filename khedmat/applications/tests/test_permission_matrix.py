"""The permission matrix: every URL of the applications app × every role, against real files.

The URLs come from `khedmat.applications.urls.urlpatterns` itself, so a new page is tested
the day it is added: a URL missing from MATRIX fails until someone writes down who may
reach it. For each (URL, file, role, method) the outcome must match the table exactly:

- allowed: 200, a redirect within the site that is not a sign-in page, or (a POST with an
  empty body) the form sent back with its errors: 400 or 409;
- refused: anonymous visitors are sent to a sign-in page; signed-in people without access
  get 404, never a hint that the file exists (staff who have not given their second factor
  yet may instead be sent to that step). A method the endpoint does not serve gets 405.

Every request runs in a savepoint that is rolled back, so each role meets the same files.
A refused request must change nothing at all (not even the audit trail). An empty POST to
an endpoint that needs input must change nothing either, for anyone; endpoints marked
EFFECT (claim, delete a draft…) act on an empty POST, so only refusals are checked there.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications import urls as application_urls
from khedmat.applications.models import Application, ApplicationEvent, Consent, Document, Message, Note
from khedmat.applications.services import application_submit, application_transition
from khedmat.applications.services.assisted import (
    assisted_answers_save,
    assisted_application_start,
    assisted_submit_with_signed_form,
)
from khedmat.applications.services.drafts import application_draft_store
from khedmat.applications.uploads import megabytes, upload_check
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.centers.models import Center
from khedmat.centers.services import center_offer_services, center_upsert
from khedmat.notifications.models import Message as Sms

from .conftest import PASSPORT_ANSWERS

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

# --- the roles ---------------------------------------------------------------------------------

ANONYMOUS = "anonymous"
OWNER = "citizen owner"
OTHER_CITIZEN = "other citizen"
FILING_OPERATOR = "operator who filed it"
OTHER_OPERATOR = "other operator (same center)"
OFFICER = "officer"
APPROVER = "approver"
AGENCY_ADMIN = "agency_admin"
FOREIGN_OFFICER = "officer of another agency"
FOREIGN_APPROVER = "approver of another agency"
FOREIGN_ADMIN = "agency_admin of another agency"
CENTER_MANAGER = "center_manager"
PLATFORM_ADMIN = "platform_admin"
# An officer of the file's own agency who signed in but has not given their second factor yet.
OFFICER_WITHOUT_OTP = "officer without second factor"

ROLES = (ANONYMOUS, OWNER, OTHER_CITIZEN, FILING_OPERATOR, OTHER_OPERATOR, OFFICER, APPROVER, AGENCY_ADMIN,
         FOREIGN_OFFICER, FOREIGN_APPROVER, FOREIGN_ADMIN, CENTER_MANAGER, PLATFORM_ADMIN, OFFICER_WITHOUT_OTP)

CITIZENS = frozenset({OWNER, OTHER_CITIZEN})
OWNER_ONLY = frozenset({OWNER})
OPERATORS = frozenset({FILING_OPERATOR, OTHER_OPERATOR})
FILER_ONLY = frozenset({FILING_OPERATOR})
THE_AGENCY = frozenset({OFFICER, APPROVER, AGENCY_ADMIN})
ANY_AGENCY = THE_AGENCY | {FOREIGN_OFFICER, FOREIGN_APPROVER, FOREIGN_ADMIN}
EVERYONE = frozenset(ROLES)

# --- the files ---------------------------------------------------------------------------------
# ONLINE: the owner's passport application, submitted online with a scan of their Tazkira,
#   now waiting for more information from them (so the answer form is open).
# DRAFT: the owner's own draft, not sent yet.
# ASSISTED: a passport application the filing operator submitted for the owner at a center,
#   with a scanned signed consent form (a document).
# ASSISTED_DRAFT: one the filing operator has filled in for the owner, waiting for their consent.
# NO_FILE: pages that are about no file (lists, the application form, the status check).
ONLINE, DRAFT, ASSISTED, ASSISTED_DRAFT, NO_FILE = "online", "draft", "assisted", "assisted draft", "-"

# What an empty POST is expected to do for a role that is let in.
INVALID = "an empty body is invalid: nothing changes"
EFFECT = "acts without input (claim, delete, send a code): only refusals are checked"


@dataclass(frozen=True)
class Case:
    """Who may reach one URL: `allowed` (the same for each file, or per file); every other
    role is refused. `get`/`post` say which methods the endpoint serves."""

    files: tuple[str, ...]
    allowed: frozenset[str] | dict[str, frozenset[str]]
    get: bool = True
    post: str | None = None

    def allowed_for(self, file: str) -> frozenset[str]:
        return self.allowed[file] if isinstance(self.allowed, dict) else self.allowed


MATRIX: dict[str, Case] = {
    # --- the citizen's side (citizen_urls.py)
    "apply": Case((NO_FILE,), CITIZENS, post=EFFECT),  # an empty POST saves an empty draft
    "mine": Case((NO_FILE,), CITIZENS),
    "detail": Case((ONLINE, ASSISTED), OWNER_ONLY),
    # A draft an operator is preparing for the citizen at a center is not the citizen's to edit,
    # discard or submit: it becomes theirs once the operator files it with their consent.
    "draft_edit": Case((DRAFT, ASSISTED_DRAFT), {DRAFT: OWNER_ONLY, ASSISTED_DRAFT: frozenset()},
                       post=EFFECT),  # an empty POST saves it emptied
    "draft_delete": Case((DRAFT, ASSISTED_DRAFT), {DRAFT: OWNER_ONLY, ASSISTED_DRAFT: frozenset()}, post=EFFECT),
    "submitted": Case((ONLINE, ASSISTED), OWNER_ONLY),
    "receipt": Case((ONLINE, ASSISTED), OWNER_ONLY),
    "answer": Case((ONLINE,), OWNER_ONLY, get=False, post=INVALID),
    # Correcting (only when sent back for correction; else back to the file) and withdrawing (asks first).
    "correct": Case((ONLINE, ASSISTED), OWNER_ONLY, post=INVALID),
    "withdraw": Case((ONLINE, ASSISTED), OWNER_ONLY, post=INVALID),
    "document_download": Case((ONLINE, ASSISTED), {
        ONLINE: OWNER_ONLY | THE_AGENCY,
        ASSISTED: OWNER_ONLY | THE_AGENCY | FILER_ONLY,
    }),
    "status": Case((NO_FILE,), EVERYONE, post=INVALID),
    # --- the back office (office_urls.py)
    "office_inbox": Case((NO_FILE,), ANY_AGENCY),  # each sees their own agency's inbox
    "office_assign_bulk": Case((NO_FILE,), ANY_AGENCY, get=False, post=INVALID),  # files of their own agency
    "office_workload": Case((NO_FILE,), frozenset({AGENCY_ADMIN, FOREIGN_ADMIN})),  # their own agency's supervisors
    "office_file": Case((ONLINE, ASSISTED), THE_AGENCY),
    "office_act": Case((ONLINE,), THE_AGENCY, get=False, post=INVALID),
    "office_correction": Case((ONLINE,), THE_AGENCY, get=False, post=INVALID),
    "office_claim": Case((ONLINE,), THE_AGENCY, get=False, post=EFFECT),
    "office_release": Case((ONLINE,), THE_AGENCY, get=False, post=EFFECT),
    "office_assign": Case((ONLINE,), THE_AGENCY, get=False, post=INVALID),
    "office_note_add": Case((ONLINE,), THE_AGENCY, get=False, post=INVALID),
    "office_message_send": Case((ONLINE,), THE_AGENCY, get=False, post=INVALID),
    # --- the assisted channel (assisted_urls.py)
    "assisted_start": Case((NO_FILE,), OPERATORS, post=INVALID),
    "assisted_form": Case((ASSISTED_DRAFT, ASSISTED), FILER_ONLY, post=EFFECT),  # saves what was typed
    "assisted_consent": Case((ASSISTED_DRAFT, ASSISTED), FILER_ONLY),
    "assisted_consent_code_send": Case((ASSISTED_DRAFT,), FILER_ONLY, get=False, post=EFFECT),
    "assisted_consent_by_code": Case((ASSISTED_DRAFT,), FILER_ONLY, get=False, post=INVALID),
    "assisted_consent_by_form": Case((ASSISTED_DRAFT,), FILER_ONLY, get=False, post=INVALID),
    "assisted_consent_print": Case((ASSISTED_DRAFT, ASSISTED), FILER_ONLY),
    "assisted_done": Case((ASSISTED_DRAFT, ASSISTED), FILER_ONLY),
    "assisted_slip": Case((ASSISTED_DRAFT, ASSISTED), FILER_ONLY),
    "access_log": Case((ONLINE, ASSISTED), OWNER_ONLY),
}


# --- the URLs, straight from the URLconf ---------------------------------------------------------

def _patterns(patterns: list[Any]) -> Iterator[URLPattern]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns)
        else:
            yield entry


URL_PATTERNS = list(_patterns(application_urls.urlpatterns))
URL_NAMES = [pattern.name or f"<unnamed: {pattern.pattern}>" for pattern in URL_PATTERNS]


def test_every_url_of_the_app_is_in_the_matrix() -> None:
    missing = [name for name in URL_NAMES if name not in MATRIX]
    assert not missing, ("These applications URLs are not in the permission matrix; add each to MATRIX in "
                         f"{__name__} with the roles that may reach it: {missing}")
    gone = sorted(set(MATRIX) - set(URL_NAMES))
    assert not gone, f"MATRIX names URLs that no longer exist: {gone}"
    assert len(set(URL_NAMES)) == len(URL_NAMES), "two URL patterns share a name"


def test_the_check_notices_a_url_left_out() -> None:
    """The first test's guard is real: a pattern added to the URLconf and not to MATRIX is caught."""
    from django.urls import path

    extra = path("office/secret/", lambda request: HttpResponse("x"), name="office_secret")
    names = [pattern.name for pattern in _patterns([*application_urls.urlpatterns, extra])]
    assert [name for name in names if name not in MATRIX] == ["office_secret"]


# --- the world: one agency's files, the people around them ----------------------------------------

@dataclass
class World:
    files: dict[str, Application]
    documents: dict[str, Document]
    service: Service
    clients: dict[str, Client] = field(default_factory=dict)

    def url(self, name: str, file: str) -> str:
        pattern = next(pattern for pattern in URL_PATTERNS if pattern.name == name)
        kwargs: dict[str, Any] = {}
        for key in pattern.pattern.converters:  # type: ignore[union-attr]
            if key == "public_id":
                kwargs[key] = self.files[file].public_id
            elif key == "document_id":
                kwargs[key] = self.documents[file].public_id
            elif key == "slug":
                kwargs[key] = self.service.slug
            else:
                pytest.fail(f"{name}: no value for the URL argument {key!r}; teach World.url to fill it")
        return reverse(f"applications:{name}", kwargs=kwargs)


_keys = itertools.count(1)


def _scan(name: str = "scan.pdf") -> Any:
    return upload_check(SimpleUploadedFile(name, PDF, content_type="application/pdf"), max_bytes=megabytes(1))


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(passport: Service, moi: Agency, other_agency: Agency, citizen: User, other_citizen: User,
          officer: User, second_officer: User, approver: User, foreign_officer: User) -> World:
    center = _center("KBL", "Kabul Center", [passport])

    def staff(username: str, role: Role, **where: Any) -> User:
        return staff_user_create(username=username, password="pass-for-tests-1", role=role, **where)

    filing_operator = staff("operator.kbl", Role.OPERATOR, center=center)
    other_operator = staff("operator2.kbl", Role.OPERATOR, center=center)

    # The owner's online application, with a scan, now waiting for information from them.
    online = application_draft_store(applicant=citizen, service=passport, data=PASSPORT_ANSWERS,
                                     uploads=[("tazkira_copy", _scan("tazkira.pdf"))])
    online = application_submit(application=online, idempotency_key=f"matrix-{next(_keys)}", actor=citizen)
    online = application_transition(application=online, actor=officer, transition="start_review",
                                    expected_state="submitted")
    online = application_transition(application=online, actor=officer, transition="request_information",
                                    expected_state="in_review", reason_text="The scan is hard to read.")
    draft = application_draft_store(applicant=citizen, service=passport, data={"full_name": "Ahmad Zia"},
                                    uploads=[("tazkira_copy", _scan())])

    # Filed at the center for the same citizen: one submitted with a signed consent form, one in progress.
    assisted = assisted_application_start(operator=filing_operator, phone_number=citizen.phone_number or "",
                                          service=passport)
    assisted = assisted_answers_save(operator=filing_operator, application=assisted, data=PASSPORT_ANSWERS,
                                     uploads=[("tazkira_copy", _scan("tazkira.pdf"))])
    assisted = assisted_submit_with_signed_form(
        operator=filing_operator, application=assisted, idempotency_key=f"matrix-{next(_keys)}",
        upload=SimpleUploadedFile("consent.pdf", PDF, content_type="application/pdf"))
    assisted_draft = assisted_application_start(operator=filing_operator,
                                                phone_number=citizen.phone_number or "", service=passport)
    assisted_draft = assisted_answers_save(operator=filing_operator, application=assisted_draft,
                                           data=PASSPORT_ANSWERS, uploads=[("tazkira_copy", _scan())])

    files = {ONLINE: online, DRAFT: draft, ASSISTED: assisted, ASSISTED_DRAFT: assisted_draft}
    documents = {ONLINE: online.documents.get(document_code="tazkira_copy"),
                 ASSISTED: assisted.documents.get(document_code="tazkira_copy")}
    for name, application in files.items():
        assert application.applicant_id == citizen.pk, name
    assert assisted.filed_by_id == filing_operator.pk and not assisted.is_draft
    assert online.state == "needs_information"

    people = {
        OWNER: citizen, OTHER_CITIZEN: other_citizen,
        FILING_OPERATOR: filing_operator, OTHER_OPERATOR: other_operator,
        OFFICER: officer, APPROVER: approver,
        AGENCY_ADMIN: staff("admin.moi", Role.AGENCY_ADMIN, agency=moi),
        FOREIGN_OFFICER: foreign_officer,
        FOREIGN_APPROVER: staff("approver.mof", Role.APPROVER, agency=other_agency),
        FOREIGN_ADMIN: staff("admin.mof", Role.AGENCY_ADMIN, agency=other_agency),
        CENTER_MANAGER: staff("manager.kbl", Role.CENTER_MANAGER, center=center),
        PLATFORM_ADMIN: staff("platform.admin", Role.PLATFORM_ADMIN),
    }
    result = World(files=files, documents=documents, service=passport)
    result.clients[ANONYMOUS] = Client()
    for role, user in people.items():
        result.clients[role] = verified_client(user) if user.needs_second_factor else _signed_in(user)
    result.clients[OFFICER_WITHOUT_OTP] = _signed_in(second_officer)
    assert set(result.clients) == set(ROLES)
    return result


def _center(code: str, name: str, services: list[Service]) -> Center:
    names = {"en": name, "fa": name, "ps": name}
    center = center_upsert(code=code, slug=code.lower(), name=names, city=names, address=names,
                           opens_at=time(8), closes_at=time(16))
    center_offer_services(center=center, services=services)
    return center


@pytest.fixture(autouse=True)
def _private_storage(settings: Any, tmp_path: Any) -> None:
    """Uploads go to a temporary folder."""
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path), "base_url": None}}}


# --- what changed ------------------------------------------------------------------------------------

def _domain_state() -> tuple[Any, ...]:
    """Everything a request could change about files, apart from the audit trail."""
    return (
        list(Application.objects.order_by("pk").values_list(
            "pk", "state", "is_final", "reference", "data", "assigned_to_id", "due_date", "clock_paused_on",
            "submitted_at", "decided_at")),
        list(ApplicationEvent.objects.order_by("pk").values_list("pk", flat=True)),
        list(Note.objects.order_by("pk").values_list("pk", flat=True)),
        list(Message.objects.order_by("pk").values_list("pk", flat=True)),
        list(Document.objects.order_by("pk").values_list("pk", flat=True)),
        list(Consent.objects.order_by("pk").values_list("pk", flat=True)),
        Sms.objects.count(),
    )


def _everything() -> tuple[Any, ...]:
    return (_domain_state(), AuditEvent.objects.count())


# --- outcomes ----------------------------------------------------------------------------------------

def _sign_in_pages() -> tuple[str, ...]:
    return tuple(reverse(name) for name in
                 ("accounts:login", "accounts:staff_login", "accounts:staff_second_factor"))


def _to_sign_in(response: HttpResponse) -> bool:
    return response.status_code == 302 and response["Location"].startswith(_sign_in_pages())


def _describe(response: HttpResponse) -> str:
    if response.status_code in (301, 302, 303):
        return f"{response.status_code} → {response['Location']}"
    return str(response.status_code)


@dataclass
class Outcome:
    ok: bool
    seen: str


def _judge(role: str, method: str, allowed: bool, served: bool, response: HttpResponse) -> Outcome:
    seen = _describe(response)
    status = response.status_code
    if not served:
        # A method the endpoint does not take: nothing may come back but a refusal.
        return Outcome(status in (404, 405) or _to_sign_in(response) or _not_allowed(role, response), seen)
    if allowed:
        if status == 200:
            return Outcome(True, seen)
        if status == 302:
            location = response["Location"]
            return Outcome(location.startswith("/") and not _to_sign_in(response), seen)
        return Outcome(method == "POST" and status in (400, 409), seen)
    if role == ANONYMOUS:
        return Outcome(_to_sign_in(response), seen)
    if role == OFFICER_WITHOUT_OTP:
        return Outcome(status == 404 or _to_sign_in(response) or _not_allowed(role, response), seen)
    return Outcome(status == 404 or _not_allowed(role, response), seen)


def _not_allowed(role: str, response: HttpResponse) -> bool:
    """Staff on a page not for their role get the gate's "not allowed" page (403, with the way
    to their own work); a citizen never learns that a staff page exists."""
    return (response.status_code == 403 and role not in (ANONYMOUS, OWNER, OTHER_CITIZEN)
            and b"Go to my own page" in response.content)


def _request(client: Client, method: str, url: str) -> HttpResponse:
    response = client.get(url) if method == "GET" else client.post(url, {})
    return response  # type: ignore[return-value]


def test_the_judge_refuses_what_it_should() -> None:
    """The outcome rules themselves: a page shown to someone refused is caught, and so is a
    sign-in redirect for someone who should have been let in."""
    shown, missing = HttpResponse(status=200), HttpResponse(status=404)
    assert not _judge(OTHER_CITIZEN, "GET", allowed=False, served=True, response=shown).ok
    assert not _judge(ANONYMOUS, "GET", allowed=False, served=True, response=missing).ok  # must go to sign in
    assert _judge(FOREIGN_OFFICER, "GET", allowed=False, served=True, response=missing).ok
    assert not _judge(OFFICER, "GET", allowed=True, served=True, response=missing).ok
    to_sign_in = HttpResponse(status=302)
    to_sign_in["Location"] = reverse("accounts:staff_login") + "?next=/en/office/"
    assert not _judge(OFFICER, "GET", allowed=True, served=True, response=to_sign_in).ok
    assert _judge(ANONYMOUS, "GET", allowed=False, served=True, response=to_sign_in).ok
    assert not _judge(OTHER_OPERATOR, "POST", allowed=False, served=False, response=shown).ok


# --- the matrix ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", URL_NAMES)
def test_permission_matrix(name: str, world: World) -> None:
    case = MATRIX.get(name)
    if case is None:
        pytest.fail(f"The URL {name!r} is not in the permission matrix: add it to MATRIX with the roles that "
                    "may reach it.")
    failures: list[str] = []
    for file, role, method in itertools.product(case.files, ROLES, ("GET", "POST")):
        served = case.get if method == "GET" else case.post is not None
        allowed = role in case.allowed_for(file)
        url = world.url(name, file)
        where = f"{method} {url} [{name}, file: {file}] as {role}"
        cache.clear()  # throttles and consent codes: each request starts afresh
        with transaction.atomic():
            before_domain, before_all = _domain_state(), _everything()
            try:
                response = _request(world.clients[role], method, url)
            except Exception as error:  # the report names every failing cell, not just the first
                failures.append(f"{where}: raised {type(error).__name__}: {error}")
                transaction.set_rollback(True)
                continue
            after_domain, after_all = _domain_state(), _everything()
            transaction.set_rollback(True)
        outcome = _judge(role, method, allowed, served, response)
        if not outcome.ok:
            expected = ("allowed" if allowed else "refused") if served else "refused (method not served)"
            failures.append(f"{where}: expected {expected}, got {outcome.seen}")
            continue
        let_in = allowed and served
        if not let_in and after_all != before_all:
            failures.append(f"{where}: refused, yet something changed in the database")
        elif let_in and method == "GET" and after_domain != before_domain:
            failures.append(f"{where}: a GET changed a file")
        elif let_in and method == "POST" and case.post == INVALID and after_domain != before_domain:
            failures.append(f"{where}: an empty POST changed a file")
    assert not failures, f"{len(failures)} unexpected outcome(s) for {name}:\n" + "\n".join(failures)
