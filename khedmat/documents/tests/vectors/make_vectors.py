"""Write the committed test vectors, vectors.json, for document verifiers (ours and anyone's).

    .venv/bin/python khedmat/documents/tests/vectors/make_vectors.py   # rewrites vectors.json

Ed25519 signatures are deterministic, so running it again gives the same file
(test_vectors.py checks that). docs/documents.md describes the format the vectors exercise.

!!! The private keys below are TEST FIXTURES, published on purpose so that anyone can
!!! regenerate and extend the vectors. They sign nothing real; no installation may ever
!!! load them as signing keys.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))

from khedmat.documents import codec  # noqa: E402 (after the path is set)

OUTPUT = Path(__file__).with_name("vectors.json")
BASE_URL = "https://khedmat.example"
TODAY = "2026-11-28"


def _test_key(label: str) -> Ed25519PrivateKey:
    """A fixed key from a label: TEST ONLY (see the module's warning)."""
    seed = hashlib.sha256(f"asan-khedmat TEST VECTOR KEY {label}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


TEST_KEY = _test_key("active")          # published, active
RETIRED_TEST_KEY = _test_key("retired")  # published, retired: still verifies
COMPROMISED_TEST_KEY = _test_key("compromised")  # published, marked compromised from COMPROMISED_FROM
UNPUBLISHED_KEY = _test_key("attacker")  # never published
COMPROMISED_FROM = "2026-11-10T09:30:00+04:30"


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "n": "MOI-C-1405-000042", "k": "certificate", "a": "MOI", "s": "PSP", "h": "Ahmad Zia",
        "i": "2026-11-20", "e": "2036-11-20",
        "f": {"father_name": "Mohammad Nabi", "date_of_birth": "1990-03-21", "validity_years": "10"},
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def _kid(key: Ed25519PrivateKey) -> str:
    return codec.key_id(key.public_key())


def _altered(signed: str) -> str:
    """The same code with one byte of its content changed (Zia → Zib), signature kept."""
    version, kid, payload, signature = signed.split(".")
    content = codec.b64url_decode(payload).replace(b"Ahmad Zia", b"Ahmad Zib")
    return ".".join((version, kid, codec.b64url_encode(content), signature))


def _wrong_key(claims: dict[str, Any]) -> str:
    """Signed by an unpublished key but claiming the published key's id."""
    payload = codec.b64url_encode(codec.canonical_json(claims))
    signing_input = f"{codec.VERSION}.{_kid(TEST_KEY)}.{payload}".encode("ascii")
    return f"{codec.VERSION}.{_kid(TEST_KEY)}.{payload}.{codec.b64url_encode(UNPUBLISHED_KEY.sign(signing_input))}"


def _second_spelling(signed: str) -> str:
    """The same code with a leftover bit of the signature's last character set: a lenient
    base64 decoder reads the same signature, a canonical one refuses it."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    version, kid, payload, signature = signed.split(".")
    return ".".join((version, kid, payload, signature[:-1] + alphabet[alphabet.index(signature[-1]) | 1]))


def build() -> dict[str, Any]:
    kid = _kid(TEST_KEY)
    valid = codec.sign(_claims(), private_key=TEST_KEY, kid=kid)
    vectors = [
        ("valid", valid, "valid", ""),
        ("valid_as_url", codec.verification_url(BASE_URL, valid), "valid", ""),
        ("valid_dari_holder", codec.sign(_claims(n="MOI-C-1405-000043", h="احمد ضیا"), private_key=TEST_KEY, kid=kid),
         "valid", ""),
        ("valid_no_expiry", codec.sign(_claims(n="NSIA-C-1405-000007", k="certificate", a="NSIA", s="BRC", e=None),
                                       private_key=TEST_KEY, kid=kid), "valid", ""),
        ("retired_key_still_verifies", codec.sign(_claims(n="MOI-C-1404-000900", i="2025-06-01"),
                                                  private_key=RETIRED_TEST_KEY, kid=_kid(RETIRED_TEST_KEY)),
         "valid", ""),
        ("altered_byte", _altered(valid), "forged", "bad_signature"),
        ("wrong_key", _wrong_key(_claims()), "forged", "bad_signature"),
        ("unknown_key_id", codec.sign(_claims(), private_key=UNPUBLISHED_KEY, kid=_kid(UNPUBLISHED_KEY)),
         "forged", "unknown_key"),
        ("expired", codec.sign(_claims(n="MOI-C-1399-000001", i="2020-11-20", e="2025-11-20"),
                               private_key=TEST_KEY, kid=kid), "expired", ""),
        ("revoked", codec.sign(_claims(n="MOI-C-1405-000099"), private_key=TEST_KEY, kid=kid), "revoked", ""),
        ("not_a_code", "https://khedmat.example/verify/?p=hello", "unreadable", "malformed"),
        ("non_canonical_signature", _second_spelling(valid), "unreadable", "malformed"),
        ("compromised_key_after", codec.sign(_claims(n="MOI-C-1405-000050", i="2026-11-10"),
                                             private_key=COMPROMISED_TEST_KEY, kid=_kid(COMPROMISED_TEST_KEY)),
         "forged", "compromised_key"),
        ("compromised_key_before", codec.sign(_claims(n="MOI-C-1405-000030", i="2026-11-09"),
                                              private_key=COMPROMISED_TEST_KEY, kid=_kid(COMPROMISED_TEST_KEY)),
         "valid", "key_compromised_later"),
    ]
    return {
        "description": "Document verification test vectors (docs/documents.md). TEST KEYS ONLY.",
        "today": TODAY,
        "jwks": {"keys": [
            codec.jwk_from_public_key(TEST_KEY.public_key(), kid=kid, status="active"),
            codec.jwk_from_public_key(RETIRED_TEST_KEY.public_key(), kid=_kid(RETIRED_TEST_KEY), status="retired"),
            codec.jwk_from_public_key(COMPROMISED_TEST_KEY.public_key(), kid=_kid(COMPROMISED_TEST_KEY),
                                      status="retired", compromised=COMPROMISED_FROM),
        ]},
        "revocations": [{"number": "MOI-C-1405-000099", "revoked_on": "2026-11-25",
                         "reason": "Issued in error: the applicant's Tazkira was not genuine."}],
        "vectors": [{"name": name, "code": code, "expected": {"verdict": verdict, "detail": detail}}
                    for name, code, verdict, detail in vectors],
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"Wrote {OUTPUT}")
