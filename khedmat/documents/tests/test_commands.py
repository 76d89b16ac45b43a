"""`verify_document` against the database, and `documents_keygen`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from khedmat.accounts.models import User
from khedmat.catalog.models import Service
from khedmat.documents.models import IssuedDocument, SigningKey
from khedmat.documents.services import document_revoke

from .helpers import approved

pytestmark = pytest.mark.django_db


def test_verify_document_online(passport: Service, citizen: User, officer: User, approver: User,
                                capsys: pytest.CaptureFixture[str]) -> None:
    document = IssuedDocument.objects.get(application=approved(passport, citizen, officer, approver))
    call_command("verify_document", f"https://khedmat.example/verify/?p={document.payload}")
    out = capsys.readouterr().out
    assert "Verdict: VALID" in out and document.number in out and "Ahmad Zia" in out
    document_revoke(document=document, actor=officer, reason="Issued in error")
    with pytest.raises(SystemExit) as exit_status:
        call_command("verify_document", document.payload, "--json")
    assert exit_status.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "revoked" and result["revocation"]["reason"] == "Issued in error"


def test_keygen_rotates_and_exports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("documents_keygen")
    call_command("documents_keygen")
    assert list(SigningKey.objects.order_by("id").values_list("status", flat=True)) == ["retired", "active"]
    jwks_file = tmp_path / "jwks.json"
    call_command("documents_keygen", "--jwks-out", str(jwks_file))
    assert len(json.loads(jwks_file.read_text())["keys"]) == 2
    pem = tmp_path / "signing.pem"
    call_command("documents_keygen", "--pem-out", str(pem))
    assert pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert oct(pem.stat().st_mode & 0o777) == "0o600"
    active = SigningKey.objects.get(status="active")
    assert active.source == "file" and active.private_key == ""
    call_command("documents_keygen", "--list")
    assert active.kid in capsys.readouterr().out
