"""What a forger with a key, or with a real code, can no longer pass off as valid: a
correctly signed code the platform never issued, a real number with other content, a second
spelling of a real code, and anything signed by a key after it was marked compromised."""

from __future__ import annotations

import base64
import datetime
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.tests.office_helpers import agency_admin
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.documents import codec, keystore
from khedmat.documents.models import IssuedDocument, SigningKey
from khedmat.documents.selectors import document_verify
from khedmat.documents.services import DocumentError, signing_key_mark_compromised
from khedmat.documents.verifier import Verdict, verify

from .helpers import approved

pytestmark = pytest.mark.django_db
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
def document(passport: Service, citizen: User, officer: User, approver: User) -> IssuedDocument:
    return IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))


def verify_page(code: str) -> str:
    response = Client().get(f"/en/verify/?p={quote(code)}")
    assert response.status_code == 200
    return response.content.decode()


def signed_with_the_platforms_key(**changes: Any) -> str:
    """What someone holding the platform's private key (a leak, an insider) could sign."""
    key, private_key = keystore.active_signer()
    claims = {"n": "MOI-C-1405-999999", "k": "certificate", "a": "MOI", "s": "PSP", "h": "Karim Forger",
              "i": timezone.localdate().isoformat(), "f": {"father_name": "Nobody"}}
    claims.update(changes)
    return codec.sign(claims, private_key=private_key, kid=key.kid)


# --- signed, but never issued ----------------------------------------------------------------------

def test_a_correctly_signed_code_for_a_number_never_issued_is_not_valid(document: IssuedDocument) -> None:
    code = signed_with_the_platforms_key()
    keys = keystore.public_keys(kid=document.signing_key.kid)
    assert verify(code, keys=keys, today=timezone.localdate()).verdict == Verdict.VALID  # offline it would pass
    outcome = document_verify(code)
    assert (outcome.verdict, outcome.result.detail) == (Verdict.NOT_ISSUED, "unknown_number")
    html = verify_page(code)
    assert "Not issued by this platform" in html and "no document with this number was ever issued" in html
    assert ">Valid<" not in html and "Karim Forger" not in html and "MOI-C-1405-999999" not in html


def test_a_real_number_with_other_content_is_not_valid(document: IssuedDocument) -> None:
    issued = json.loads(codec.b64url_decode(document.payload.split(".")[2]))
    code = signed_with_the_platforms_key(**{**issued, "h": "Karim Forger"})
    outcome = document_verify(code)
    assert (outcome.verdict, outcome.result.detail) == (Verdict.NOT_ISSUED, "different_content")
    html = verify_page(code)
    assert "says something else" in html and "Karim Forger" not in html
    assert document_verify(document.payload).verdict == Verdict.VALID  # the real one still is


def test_verify_document_online_refuses_a_code_never_issued(document: IssuedDocument,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_status:
        call_command("verify_document", signed_with_the_platforms_key(), "--json")
    assert exit_status.value.code == 2
    assert json.loads(capsys.readouterr().out)["verdict"] == "not_issued"


# --- one spelling per code ------------------------------------------------------------------------

def _second_spelling(part: str) -> str:
    """The same bytes written with a leftover bit set in the last character: lenient decoders
    read it as the original."""
    last = ALPHABET.index(part[-1])
    assert last & 1 == 0  # canonical: the leftover bits are zero
    return part[:-1] + ALPHABET[last | 1]


def _lenient(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_non_canonical_variant_of_a_real_code_is_refused(document: IssuedDocument) -> None:
    version, kid, payload, signature = document.payload.split(".")
    variant = ".".join((version, kid, payload, _second_spelling(signature)))
    assert variant != document.payload and _lenient(_second_spelling(signature)) == _lenient(signature)
    outcome = document_verify(variant)
    assert outcome.verdict == Verdict.UNREADABLE and outcome.result.detail == "malformed"
    assert "Valid<" not in verify_page(variant)
    keys = keystore.public_keys(kid=kid)
    assert verify(variant, keys=keys, today=timezone.localdate()).verdict == Verdict.UNREADABLE
    padded = ".".join((version, kid, payload, signature + "=" * (-len(signature) % 4)))
    assert document_verify(padded).verdict == Verdict.UNREADABLE
    assert document_verify(document.payload).verdict == Verdict.VALID


@pytest.mark.parametrize(("text", "expected"), [("QUI", b"AB"), ("QUJD", b"ABC"), ("QQ", b"A"), ("", b"")])
def test_canonical_base64url_is_read(text: str, expected: bytes) -> None:
    assert codec.b64url_decode(text) == expected


@pytest.mark.parametrize("text", [
    "QUI=",     # padding
    "QU+/",     # the standard alphabet, not the URL-safe one
    "ＱＵＩ",   # letters that only look like ours
    "QUJD\n",   # anything around it
    "Q",        # a length no bytes have
    "QUJ",      # "AB" with a leftover bit set
    "QUL",      # "AB" with both leftover bits set
    "QU",       # "A" with leftover bits set
])
def test_anything_but_canonical_base64url_is_refused(text: str) -> None:
    with pytest.raises(codec.PayloadError):
        codec.b64url_decode(text)


# --- a key marked compromised -------------------------------------------------------------------------

def test_codes_signed_after_a_key_was_compromised_are_forged_online(
        passport: Service, citizen: User, other_citizen: User, officer: User, approver: User,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))
    after = IssuedDocument.objects.get(application=approved(passport, other_citizen, officer, approver, key="k-2"))
    kid = before.signing_key.kid
    assert after.signing_key.kid == kid
    forged_with_stolen_key = signed_with_the_platforms_key(n="MOI-C-1405-777777")
    call_command("documents_key_compromised", kid, "--since", after.issued_at.isoformat(),
                 "--reason", "The backup disk with the key was stolen.")
    out = capsys.readouterr().out
    assert after.number in out and before.number not in out  # to be issued anew
    assert document_verify(before.payload).verdict == Verdict.VALID
    outcome = document_verify(after.payload)
    assert (outcome.verdict, outcome.result.detail) == (Verdict.FORGED, "compromised_key")
    html = verify_page(after.payload)
    assert "stolen or leaked" in html and "Ahmad Zia" not in html
    assert document_verify(forged_with_stolen_key).result.detail == "compromised_key"
    # The JWK set says so for offline verifiers, and the key never signs again.
    jwk = next(key for key in Client().get("/.well-known/jwks.json").json()["keys"] if key["kid"] == kid)
    assert datetime.datetime.fromisoformat(jwk["compromised"]) == after.issued_at.replace(microsecond=0)
    assert jwk["status"] == "retired"
    key = SigningKey.objects.get(kid=kid)
    assert key.status == SigningKey.Status.RETIRED
    third = IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver, key="k-3"))
    assert third.signing_key.kid != kid and document_verify(third.payload).verdict == Verdict.VALID
    event = AuditEvent.objects.get(action="documents.key_compromised")
    assert event.target_id == kid and event.data["documents_issued_since"] == 1


def test_an_offline_verifier_with_the_new_jwk_set_refuses_what_the_key_signed_since(
        document: IssuedDocument, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kid = document.signing_key.kid
    signing_key_mark_compromised(kid=kid, since=timezone.now() - datetime.timedelta(hours=1), reason="Leaked.")
    jwks_file = tmp_path / "jwks.json"
    call_command("documents_keygen", "--jwks-out", str(jwks_file))
    with pytest.raises(SystemExit) as exit_status:
        call_command("verify_document", document.payload, "--jwks", str(jwks_file))
    assert exit_status.value.code == 2
    assert "Verdict: FORGED (compromised_key)" in capsys.readouterr().out


def test_marking_a_key_compromised_refuses_what_would_weaken_it(document: IssuedDocument) -> None:
    kid = document.signing_key.kid
    now = timezone.now()
    refusals = [
        (dict(kid=kid, since=now + datetime.timedelta(hours=1), reason="x"), "bad_time"),
        (dict(kid="nosuchky", since=now, reason="x"), "unknown_key"),
        (dict(kid=kid, since=now, reason="   "), "reason_needed"),
        (dict(kid=kid, since=datetime.datetime(1, 1, 1, tzinfo=datetime.UTC), reason="x"), "bad_time"),
    ]
    for arguments, code in refusals:
        with pytest.raises(DocumentError) as refused:
            signing_key_mark_compromised(**arguments)  # type: ignore[arg-type]
        assert refused.value.code == code
    assert SigningKey.objects.get(kid=kid).compromised_at is None
    first = now - datetime.timedelta(days=1)
    signing_key_mark_compromised(kid=kid, since=first, reason="Leaked.")
    with pytest.raises(DocumentError) as later:  # moving it later would trust again what was refused
        signing_key_mark_compromised(kid=kid, since=now, reason="Leaked, actually later.")
    assert later.value.code == "already_compromised"
    assert SigningKey.objects.get(kid=kid).compromised_at == first
    signing_key_mark_compromised(kid=kid, since=first - datetime.timedelta(days=2), reason="Leaked earlier.")
    assert SigningKey.objects.get(kid=kid).compromised_at == first - datetime.timedelta(days=2)
    with pytest.raises(CommandError):
        call_command("documents_key_compromised", kid, "--since", "yesterday", "--reason", "x")
    assert AuditEvent.objects.filter(action="documents.key_compromised").count() == 2


def test_a_key_file_marked_compromised_signs_nothing(tmp_path: Path, passport: Service, citizen: User,
                                                     officer: User, approver: User) -> None:
    path = tmp_path / "signing.pem"
    private_key = keystore.private_key_pem_write(path)
    kid = keystore.signing_key_register_file(private_key).kid
    signing_key_mark_compromised(kid=kid, since=timezone.now(), reason="The server was broken into.")
    with override_settings(DOCUMENTS_SIGNING_KEY_FILE=str(path), DOCUMENTS_AUTO_KEYGEN=False):
        with pytest.raises(keystore.KeyStoreError) as refused:
            approved(passport, citizen, officer, approver)
        with pytest.raises(keystore.KeyStoreError):
            keystore.signing_key_register_file(private_key)  # not made active again either
    assert refused.value.code == "key_compromised"
    assert not IssuedDocument.objects.exists()
    assert citizen.applications.get().state == "awaiting_approval"


def test_a_platform_administrator_marks_a_key_compromised_in_the_admin(document: IssuedDocument,
                                                                       moi: Any) -> None:
    platform_admin = staff_user_create(username="platform.admin", password="pass-for-tests-1",
                                       role=Role.PLATFORM_ADMIN)
    key = document.signing_key
    changelist = reverse("admin:documents_signingkey_changelist")
    client = verified_client(platform_admin)
    form = {"action": "mark_compromised", "_selected_action": [key.pk]}
    asked = client.post(changelist, form)
    assert asked.status_code == 200 and "Compromised from" in asked.content.decode()
    missing = client.post(changelist, {**form, "confirm": "yes", "reason": ""})
    assert missing.status_code == 200 and "Say why" in missing.content.decode()
    for bad in ("soon", "2026-11-20T08:00+04:30x", "0001-01-01T00:00"):
        bad_time = client.post(changelist, {**form, "confirm": "yes", "reason": "Leaked.", "since": bad})
        assert bad_time.status_code in (200, 302), bad  # asked again, or refused with a message
    with_offset = client.post(changelist, {**form, "confirm": "yes", "reason": "Leaked.",
                                           "since": "2999-01-01T00:00+04:30"})
    assert with_offset.status_code == 302  # refused (a time to come) with a message, not an error
    assert SigningKey.objects.get(pk=key.pk).compromised_at is None
    since = timezone.localtime(document.issued_at) - datetime.timedelta(minutes=5)
    done = client.post(changelist, {**form, "confirm": "yes", "reason": "Leaked.",
                                    "since": since.strftime("%Y-%m-%dT%H:%M")})
    assert done.status_code == 302
    assert SigningKey.objects.get(pk=key.pk).compromised_at is not None
    assert document_verify(document.payload).result.detail == "compromised_key"
    event = AuditEvent.objects.get(action="documents.key_compromised")
    assert event.actor == platform_admin
    # An agency administrator may not even see the keys, let alone mark them.
    outsider = verified_client(agency_admin(moi))
    assert outsider.get(changelist).status_code == 403
    assert outsider.post(changelist, {**form, "confirm": "yes", "reason": "x"}).status_code == 403
