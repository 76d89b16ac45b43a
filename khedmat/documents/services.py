"""Issuing and revoking documents. The only writes of this app (besides the key store)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from khedmat.accounts.roles import AGENCY_ROLES
from khedmat.applications import selectors as application_selectors
from khedmat.applications import services as application_services
from khedmat.applications.services import workflow_role
from khedmat.applications.workflow import Workflow
from khedmat.audit.services import audit_record
from khedmat.core.calendar import solar_hijri_year
from khedmat.core.errors import Refusal
from khedmat.core.events import publish
from khedmat.core.formatting import format_date, format_number
from khedmat.core.parsing import plain_text
from khedmat.core.public import public_base_url
from khedmat.core.sequences import sequence_next

from . import codec, keystore
from .events import DocumentIssued, DocumentRevoked
from .models import KIND_LETTERS, DocumentCounter, IssuedDocument, Revocation, SigningKey

if TYPE_CHECKING:
    from khedmat.accounts.models import User
    from khedmat.applications.models import Application

LANGUAGES = ("en", "fa", "ps")
HOLDER = gettext_noop("Holder")
YES, NO = gettext_noop("Yes"), gettext_noop("No")
QR_VALUE_MAX = 80  # characters of one answer carried in the QR code


class DocumentError(Refusal):
    """A refusal about a document; nothing was changed."""


def document_definition(application: Application) -> dict[str, Any] | None:
    """The `document` block of the definition the file was filed under, if it issues one."""
    block = application.service_version.definition.get("document")
    return block if isinstance(block, dict) else None


def document_issue_on_entering(*, application: Application, state: str, actor: User | None = None,
                               request: HttpRequest | None = None) -> IssuedDocument | None:
    """On every workflow step (subscribers.issue_on_entering), in its transaction: issue the
    service's document when the file enters one of its issuing states (once, however often
    it enters)."""
    block = document_definition(application)
    if block is None or state not in block["issue_in"]:
        return None
    return document_issue(application=application, actor=actor, request=request)


def document_issue(*, application: Application, actor: User | None = None,
                   request: HttpRequest | None = None) -> IssuedDocument:
    """Issue the file's document: number it, sign its QR payload, record it. Idempotent: a
    file has one document, and asking again returns it."""
    existing = _current(application)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _issue(application=application, actor=actor, request=request)
    except IntegrityError:
        existing = _current(application)
        if existing is None:
            raise
        return existing


def _current(application: Application) -> IssuedDocument | None:
    return (IssuedDocument.objects.filter(application=application, replaced_by__isnull=True)
            .order_by("-issued_at", "-id").first())


def _issue(*, application: Application, actor: User | None, request: HttpRequest | None,
           replaces: IssuedDocument | None = None) -> IssuedDocument:
    application = application_selectors.application_get(pk=application.pk)
    block = document_definition(application)
    if block is None:
        raise DocumentError(_("This service issues no document."), code="no_document")
    now = timezone.now()
    issued_on = timezone.localdate(now)
    year = solar_hijri_year(issued_on)
    serial = sequence_next(DocumentCounter, agency=application.agency, year=year)
    number = f"{application.agency.code}-{KIND_LETTERS[block['kind']]}-{year}-{serial:06d}"
    language = application.applicant.preferred_language
    language = language if language in ("fa", "ps") else "fa"
    holder = _holder_name(application, block)
    expires_on = _expiry(block, application.data, issued_on)
    key, private_key = keystore.active_signer()
    claims: dict[str, Any] = {
        "n": number, "k": block["kind"], "a": application.agency.code, "s": application.service.code,
        "h": holder, "i": issued_on.isoformat(),
        "f": {entry["field"]: str(application.data[entry["field"]])[:QR_VALUE_MAX]
              for entry in block["fields"] if application.data.get(entry["field"]) not in (None, "")},
    }
    if expires_on is not None:
        claims["e"] = expires_on.isoformat()
    document = IssuedDocument.objects.create(
        number=number, application=application, agency=application.agency, service=application.service,
        kind=block["kind"], language=language, holder_name=holder,
        content=_content(application, block, holder, language), issued_at=now, issued_on=issued_on,
        expires_on=expires_on, signing_key=key, payload=codec.sign(claims, private_key=private_key, kid=key.kid),
        replaces=replaces,
    )
    audit_record(action="documents.reissued" if replaces else "documents.issued", target_type="application",
                 target_id=application.reference, actor=actor, subject=application.applicant, request=request,
                 data={"document": number, "kind": block["kind"], "kid": key.kid,
                       "replaces": replaces.number if replaces else None,
                       "expires_on": expires_on.isoformat() if expires_on else None})
    publish(DocumentIssued(document=document), request=request)
    return document


def _holder_name(application: Application, block: dict[str, Any]) -> str:
    value = application.data.get(block["holder_field"])
    name = str(value).strip() if value else ""
    return (name or application.applicant.full_name or application.applicant.phone_number or "")[:200]


def _expiry(block: dict[str, Any], data: dict[str, Any], issued_on: datetime.date) -> datetime.date | None:
    validity = block.get("validity")
    if not validity:
        return None
    if "days" in validity:
        return issued_on + datetime.timedelta(days=validity["days"])
    years = validity.get("years")
    if years is None:
        try:
            years = int(str(data.get(validity["years_field"])))
        except ValueError:
            return None
    try:
        return issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February in a year that has none
        return issued_on.replace(year=issued_on.year + years, day=28)


def _content(application: Application, block: dict[str, Any], holder: str, language: str) -> dict[str, Any]:
    """What the document prints, in the three languages, fixed at issue."""
    definition = application.service_version.definition
    properties = definition["form"]["properties"]
    facts = [{"label": _each_language(HOLDER), "value": dict.fromkeys(LANGUAGES, holder)}]
    for entry in block["fields"]:
        field = properties[entry["field"]]
        label = entry.get("label") or {"en": field["title"], "fa": field["x-title"]["fa"],
                                       "ps": field["x-title"]["ps"]}
        raw = application.data.get(entry["field"])
        facts.append({"label": label, "value": {lang: _shown(field, raw, lang) for lang in LANGUAGES}})
    return {
        "title": block["title"],
        "agency": {lang: getattr(application.agency, f"name_{lang}", "") or application.agency.code
                   for lang in LANGUAGES},
        "service": definition["name"],
        "reference": application.reference or "",
        "facts": facts,
        "language": language,
    }


def _each_language(text: str) -> dict[str, str]:
    result = {}
    for language in LANGUAGES:
        with translation.override(language):
            result[language] = _(text)
    return result


def _shown(field: dict[str, Any], raw: Any, language: str) -> str:
    """An answer as the document prints it in `language`."""
    if raw is None or raw == "":
        return "—"
    titles = field.get("x-enum-titles", {}).get(str(raw))
    if titles:
        return str(titles.get(language) or titles["en"])
    if field.get("format") == "date" and isinstance(raw, str):
        try:
            return format_date(datetime.date.fromisoformat(raw), with_gregorian=True, language=language)
        except ValueError:
            return raw
    if isinstance(raw, bool):
        return _each_language(YES if raw else NO)[language]
    if isinstance(raw, int | float):
        return format_number(raw, language)
    return str(raw)


@transaction.atomic
def document_revoke(*, document: IssuedDocument, actor: User, reason: str,
                    request: HttpRequest | None = None) -> Revocation:
    """Withdraw a document, for a reason its holder and anyone checking it will read. Only
    the issuing agency's officers, approvers and administrators may."""
    if actor.role not in AGENCY_ROLES or actor.agency_id != document.agency_id:
        raise DocumentError(_("You may not revoke this document."), code="forbidden")
    reason = plain_text(reason)
    if not reason:
        raise DocumentError(_("Give the reason for revoking: whoever checks the document will read it."),
                            code="reason_needed")
    locked = IssuedDocument.objects.select_for_update(of=("self",)).select_related("application__applicant").get(
        pk=document.pk)
    if Revocation.objects.filter(document=locked).exists():
        raise DocumentError(_("This document was already revoked."), code="already_revoked")
    revocation = Revocation.objects.create(document=locked, revoked_at=timezone.now(), revoked_by=actor,
                                           reason=reason[:500])
    audit_record(action="documents.revoked", target_type="application", target_id=locked.application.reference,
                 actor=actor, subject=locked.application.applicant, reason=reason, request=request,
                 data={"document": locked.number})
    publish(DocumentRevoked(document=locked, revocation=revocation), request=request)
    return revocation


REISSUE_REASON_MAX = 500


def issuing_roles(application: Application) -> set[str]:
    """The workflow roles that take the file into a state where its document is issued: those
    may issue it anew (an officer who only reviews may revoke, not reissue)."""
    block = document_definition(application)
    if block is None:
        return set()
    workflow = Workflow.of(application.service_version.definition)
    return {t.role for t in workflow.transitions if t.target in block["issue_in"]}


def may_reissue(actor: User, application: Application) -> bool:
    return actor.agency_id == application.agency_id and workflow_role(actor, application) in issuing_roles(
        application)


@transaction.atomic
def document_reissue(*, document: IssuedDocument, actor: User, reason: str,
                     corrections: dict[str, Any] | None = None,
                     request: HttpRequest | None = None) -> IssuedDocument:
    """Issue a corrected document in place of `document`: correct the file's answers if asked
    (old and new values kept), revoke the old document with the reason (unless it already is),
    and sign a new one that replaces it. Only the issuing role of the issuing agency may.

    Idempotent: if `document` was already replaced, its successor is returned unchanged.
    """
    locked = IssuedDocument.objects.select_for_update(of=("self",)).select_related(
        "application__service_version", "application__applicant", "application__agency").get(pk=document.pk)
    application = locked.application
    if actor.role not in AGENCY_ROLES or actor.agency_id != locked.agency_id or not may_reissue(actor, application):
        raise DocumentError(_("Only those who approve this service's files may issue its document anew."),
                            code="forbidden")
    successor = IssuedDocument.objects.filter(replaces=locked).first()
    if successor is not None:
        return successor
    reason = plain_text(reason)
    if not reason:
        raise DocumentError(_("Say why the document is issued anew: whoever checks the old one will read it."),
                            code="reason_needed")
    if len(reason) > REISSUE_REASON_MAX:
        raise DocumentError(_("Say it in at most %(count)s characters.") % {"count": REISSUE_REASON_MAX},
                            code="reason_needed")
    block = document_definition(application)
    if block is None or application.state not in block["issue_in"]:
        raise DocumentError(_("This file is not in a state in which its document is issued."), code="not_issuing")
    if corrections:
        application_services.application_correct_by_officer(application=application, actor=actor,
                                                            answers=corrections, reason=reason, request=request)
    if not Revocation.objects.filter(document=locked).exists():
        revocation = Revocation.objects.create(document=locked, revoked_at=timezone.now(), revoked_by=actor,
                                               reason=reason)
        audit_record(action="documents.revoked", target_type="application", target_id=application.reference,
                     actor=actor, subject=application.applicant, reason=reason, request=request,
                     data={"document": locked.number, "reissue": True})
        publish(DocumentRevoked(document=locked, revocation=revocation), request=request)
    return _issue(application=application, actor=actor, request=request, replaces=locked)


def document_download_record(*, document: IssuedDocument, actor: User, request: HttpRequest | None = None) -> None:
    """Every download of a document's PDF goes to the audit trail, about its holder."""
    audit_record(action="documents.downloaded", target_type="application",
                 target_id=document.application.reference, actor=actor, subject=document.application.applicant,
                 request=request, data={"document": document.number})


COMPROMISE_REASON_MAX = 500
EARLIEST_YEAR = 2000  # no key is older; and far-off years overflow time-zone arithmetic


@transaction.atomic
def signing_key_mark_compromised(*, kid: str, since: datetime.datetime, reason: str, actor: User | None = None,
                                 request: HttpRequest | None = None) -> list[str]:
    """Mark a signing key compromised from `since`: it never signs again (retired if active),
    the verify page calls whatever it signed from then on forged, and the JWK set publishes
    the time to offline verifiers. Audited. Returns the numbers of the documents the platform
    itself issued with it since then: genuine, but now refused, so they must be issued anew.

    The time may later be moved earlier (a leak found to be older), never later: that would
    make trusted again codes already declared forged."""
    reason = " ".join(reason.split())
    if not reason:
        raise DocumentError(_("Say why the key is compromised: the audit trail keeps it."), code="reason_needed")
    if len(reason) > COMPROMISE_REASON_MAX:
        raise DocumentError(_("Say it in at most %(count)s characters.") % {"count": COMPROMISE_REASON_MAX},
                            code="reason_needed")
    if timezone.is_naive(since):
        raise DocumentError(_("Give the time with its time zone."), code="bad_time")
    now = timezone.now()
    if since.year < EARLIEST_YEAR:
        raise DocumentError(_("Give a time after %(year)s.") % {"year": EARLIEST_YEAR}, code="bad_time")
    if since > now:
        raise DocumentError(_("A key cannot be marked compromised from a time still to come."), code="bad_time")
    key = SigningKey.objects.select_for_update().filter(kid=kid).first()
    if key is None:
        raise DocumentError(_("No signing key has this id."), code="unknown_key")
    if key.compromised_at is not None and since >= key.compromised_at:
        raise DocumentError(_("This key is already compromised from %(time)s; only an earlier time may be given.")
                            % {"time": timezone.localtime(key.compromised_at).isoformat(timespec="minutes")},
                            code="already_compromised")
    earlier = key.compromised_at
    key.compromised_at = since
    key.compromise_reason = reason[:COMPROMISE_REASON_MAX]
    if key.status == SigningKey.Status.ACTIVE:
        key.status, key.retired_at = SigningKey.Status.RETIRED, now
    key.save(update_fields=["compromised_at", "compromise_reason", "status", "retired_at"])
    affected = list(IssuedDocument.objects.filter(signing_key=key, issued_at__gte=since)
                    .order_by("issued_at", "id").values_list("number", flat=True))
    audit_record(action="documents.key_compromised", target_type="signing_key", target_id=kid, actor=actor,
                 reason=reason, request=request,
                 data={"since": since.isoformat(), "earlier": earlier.isoformat() if earlier else None,
                       "documents_issued_since": len(affected)})
    return affected


def verification_base_url() -> str:
    """Where the QR code sends a phone: the site's public address unless verification is
    deliberately served elsewhere (DOCUMENTS_VERIFY_BASE_URL)."""
    return str(settings.DOCUMENTS_VERIFY_BASE_URL or "").rstrip("/") or public_base_url()
