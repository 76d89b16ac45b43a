"""Staff's one-time codes: set-up codes for enrolling an authenticator and recovery codes.

Both are digits, so they can be read out over a phone and typed on any keyboard (Persian
and Arabic-Indic digits are read too, by the forms). Only keyed hashes are stored: a copy of
the database alone gives none of them away. The key is SECRET_KEY; codes hashed under a key
now in SECRET_KEY_FALLBACKS still work, so rotating the key does not void them at once.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

ENROLMENT_CODE_LENGTH = 12
RECOVERY_CODE_LENGTH = 10
# django-otp's StaticToken keeps 16 characters: 64 bits of the hash, plenty against
# collisions among ten codes, and the hash is keyed, so it cannot be searched offline.
RECOVERY_HASH_LENGTH = 16

_SALTS = {"enrolment": "khedmat.accounts.EnrolmentCode", "recovery": "khedmat.accounts.RecoveryCode"}


def new_code(length: int) -> str:
    return str(secrets.randbelow(10**length)).zfill(length)


def grouped(code: str, size: int = 4) -> str:
    """A code as people read it: 1234-5678-9012 (recovery codes: 12345-67890)."""
    return "-".join(code[i:i + size] for i in range(0, len(code), size))


def code_hashes(kind: str, code: str) -> list[str]:
    """The hashes of `code` under the current key and every fallback key, current first."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    hashes = [salted_hmac(_SALTS[kind], code, secret=key, algorithm="sha256").hexdigest() for key in keys]
    if kind == "recovery":
        hashes = [value[:RECOVERY_HASH_LENGTH] for value in hashes]
    return hashes


def code_hash(kind: str, code: str) -> str:
    """The hash to store: under the current key."""
    return code_hashes(kind, code)[0]
