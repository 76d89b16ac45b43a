"""Verify a document's code or QR link: `manage.py verify_document <code-or-url> [--jwks FILE]`.

With --jwks the check is fully offline (the JWK set published at /.well-known/jwks.json,
saved to a file): signature, the keys' compromise dates and expiry only, as no revocation
and no record of what was issued can be known offline. Without it the keys, revocations
and the record of issued documents come from the database. Exit status: 0 valid,
1 expired or revoked, 2 forged, not issued or unreadable.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from khedmat.documents import codec
from khedmat.documents.selectors import document_verify
from khedmat.documents.verifier import Verdict, Verification, verify

EXIT = {Verdict.VALID: 0, Verdict.EXPIRED: 1, Verdict.REVOKED: 1, Verdict.FORGED: 2, Verdict.NOT_ISSUED: 2,
        Verdict.UNREADABLE: 2}


class Command(BaseCommand):
    help = "Print the verdict on a document code (or the URL in its QR code) and what it states."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="the code, or the verification URL from the QR code")
        parser.add_argument("--jwks", type=Path, help="verify offline against this JWK set file")
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="check expiry as of YYYY-MM-DD")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        if options["jwks"]:
            try:
                jwks = json.loads(options["jwks"].read_text(encoding="utf-8"))
                keys, compromised = codec.keys_from_jwks(jwks), codec.compromises_from_jwks(jwks)
            except (OSError, ValueError, AttributeError) as error:
                raise CommandError(f"Cannot read the JWK set: {error}") from error
            result = verify(options["code"], keys=keys, today=today, compromised=compromised)
            mode = "offline (signature, compromised keys and expiry; revocations are not known offline)"
        else:
            result = document_verify(options["code"], today=today).result
            mode = "online (keys and revocations from the database)"
        if options["json"]:
            self.stdout.write(json.dumps(_as_json(result), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(_as_text(result, mode))
        if EXIT[result.verdict]:
            raise SystemExit(EXIT[result.verdict])


def _as_json(result: Verification) -> dict[str, Any]:
    data: dict[str, Any] = {"verdict": result.verdict, "detail": result.detail, "kid": result.kid,
                            "content": result.content}
    if result.revocation is not None:
        data["revocation"] = {"revoked_on": result.revocation.revoked_on.isoformat(),
                              "reason": result.revocation.reason}
    return data


def _as_text(result: Verification, mode: str) -> str:
    lines = [f"Verdict: {result.verdict.upper()}" + (f" ({result.detail})" if result.detail else ""),
             f"Checked: {mode}"]
    if result.revocation is not None:
        lines.append(f"Revoked on {result.revocation.revoked_on.isoformat()}: {result.revocation.reason}")
    content = result.content
    if content:
        lines += [
            f"Number:      {content.get('n', '')}",
            f"Kind:        {content.get('k', '')}",
            f"Holder:      {content.get('h', '')}",
            f"Issuer:      {content.get('a', '')} / service {content.get('s', '')}",
            f"Issued on:   {content.get('i', '')}",
            f"Valid until: {content.get('e') or 'does not expire'}",
        ]
        lines += [f"  {name}: {value}" for name, value in sorted((content.get("f") or {}).items())]
    if result.kid:
        lines.append(f"Key id:      {result.kid}")
    if result.detail == "key_compromised_later":
        lines.append("Warning:     this key was compromised later; a forger holding it could have backdated "
                     "this code. Check it online.")
    return "\n".join(lines)
