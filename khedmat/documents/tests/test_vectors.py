"""The committed test vectors (vectors/vectors.json) against the verifier and the command."""

from __future__ import annotations

import contextlib
import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from khedmat.documents import codec
from khedmat.documents.verifier import RevocationInfo, Verdict, verify

from .vectors import make_vectors

VECTORS_FILE = Path(__file__).with_name("vectors") / "vectors.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))


def _revocations() -> dict[str, RevocationInfo]:
    return {entry["number"]: RevocationInfo(datetime.date.fromisoformat(entry["revoked_on"]), entry["reason"])
            for entry in VECTORS["revocations"]}


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda vector: vector["name"])
def test_each_vector_gets_its_expected_verdict(vector: dict[str, Any]) -> None:
    result = verify(vector["code"], keys=codec.keys_from_jwks(VECTORS["jwks"]),
                    today=datetime.date.fromisoformat(VECTORS["today"]), revocations=_revocations(),
                    compromised=codec.compromises_from_jwks(VECTORS["jwks"]))
    assert (result.verdict, result.detail) == (vector["expected"]["verdict"], vector["expected"]["detail"])


def test_every_verdict_the_issue_names_is_covered() -> None:
    names = {vector["name"] for vector in VECTORS["vectors"]}
    assert {"valid", "altered_byte", "wrong_key", "unknown_key_id", "expired", "revoked",
            "non_canonical_signature", "compromised_key_after", "compromised_key_before"} <= names


def test_a_valid_vector_states_the_document() -> None:
    vector = next(v for v in VECTORS["vectors"] if v["name"] == "valid_dari_holder")
    result = verify(vector["code"], keys=codec.keys_from_jwks(VECTORS["jwks"]), today=datetime.date(2026, 11, 28))
    assert result.content["h"] == "احمد ضیا"
    assert result.number == "MOI-C-1405-000043"
    assert result.expires_on == datetime.date(2036, 11, 20)


def test_a_forged_code_states_nothing() -> None:
    vector = next(v for v in VECTORS["vectors"] if v["name"] == "altered_byte")
    result = verify(vector["code"], keys=codec.keys_from_jwks(VECTORS["jwks"]), today=datetime.date(2026, 11, 28))
    assert result.verdict == Verdict.FORGED and result.content == {}


def test_the_revoked_vector_is_valid_offline_where_no_revocation_is_known() -> None:
    """Offline, only the signature and the expiry can be checked (docs/documents.md says so)."""
    vector = next(v for v in VECTORS["vectors"] if v["name"] == "revoked")
    result = verify(vector["code"], keys=codec.keys_from_jwks(VECTORS["jwks"]), today=datetime.date(2026, 11, 28))
    assert result.verdict == Verdict.VALID


def test_the_script_regenerates_the_committed_file_exactly() -> None:
    assert make_vectors.render() == VECTORS_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "status"), [("valid_as_url", 0), ("expired", 1), ("unknown_key_id", 2),
                                             ("compromised_key_after", 2), ("non_canonical_signature", 2)])
def test_verify_document_offline_with_a_jwks_file(name: str, status: int, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(VECTORS["jwks"]), encoding="utf-8")
    vector = next(v for v in VECTORS["vectors"] if v["name"] == name)
    with pytest.raises(SystemExit) if status else contextlib.nullcontext():
        call_command("verify_document", vector["code"], "--jwks", str(jwks), "--today", VECTORS["today"])
    out = capsys.readouterr().out
    assert f"Verdict: {vector['expected']['verdict'].upper()}" in out
    assert "offline" in out


@pytest.mark.parametrize("text", [
    "", "AK1", "AK1.kid.payload", "https://x.example/verify/", "AK1.a.b.c.d", "x" * 3000,
    "AK1.99758K0C.!!!.sig",
])
def test_garbage_is_unreadable_never_an_error(text: str) -> None:
    result = verify(text, keys=codec.keys_from_jwks(VECTORS["jwks"]), today=datetime.date(2026, 11, 28))
    assert result.verdict in (Verdict.UNREADABLE, Verdict.FORGED)


def test_a_code_after_a_hash_is_found_too() -> None:
    vector = next(v for v in VECTORS["vectors"] if v["name"] == "valid")
    result = verify(f"https://khedmat.example/verify/#{vector['code']}", keys=codec.keys_from_jwks(VECTORS["jwks"]),
                    today=datetime.date(2026, 11, 28))
    assert result.verdict == Verdict.VALID
