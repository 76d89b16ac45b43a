"""Verify the audit trail: the hash chain, and every signed checkpoint against it. Never seals.

    manage.py audit_verify                                 # the database's and the copy file's checkpoints
    manage.py audit_verify --checkpoint saved-note.txt     # also a checkpoint kept elsewhere
    manage.py audit_verify --checkpoint https://khedmat.gov.af/audit/checkpoints.json \\
                           --keys pinned-keys.json         # trust only these keys (and their successors)

A checkpoint source is a signed note, a JSON file or URL holding one ("note", "checkpoint")
or many ("checkpoints": the public feed), or a copy file (one JSON line per checkpoint).
Exit status 1 names the first fault: the sequence number and event where the trail stops
being what was signed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

from django.core.management.base import BaseCommand, CommandError, CommandParser

from khedmat.audit import checkpoint
from khedmat.audit.verification import audit_verify

MAX_SOURCE_BYTES = 5_000_000


def read_source(source: str) -> str:
    """The text of a file, or of an http(s) URL (10 s, 5 MB at most)."""
    if urlsplit(source).scheme in ("http", "https"):
        try:
            with urlopen(source, timeout=10) as response:  # noqa: S310 (http and https only)
                return response.read(MAX_SOURCE_BYTES).decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {source}: {error}") from error
    try:
        return Path(source).read_text(encoding="utf-8")[:MAX_SOURCE_BYTES]
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Cannot read {source}: {error}") from error


def notes_in(text: str) -> list[str]:
    """Every checkpoint note a source holds: a note itself, or JSON (one object or JSON lines)."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return [text]
    documents: list[Any] = []
    try:
        documents.append(json.loads(stripped))
    except ValueError:
        try:
            documents.extend(json.loads(line) for line in stripped.splitlines() if line.strip())
        except ValueError as error:
            raise CommandError(f"Not JSON and not a checkpoint: {error}") from error
    notes = []
    for document in documents:
        if not isinstance(document, dict):
            continue
        for name in ("note", "checkpoint"):
            if isinstance(document.get(name), str):
                notes.append(document[name])
        entries = document.get("checkpoints")
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("note"), str):
                notes.append(entry["note"])
    return notes


class Command(BaseCommand):
    help = "Verify the audit trail against its signed checkpoints (exit status 1 names the first fault)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--checkpoint", action="append", default=[], metavar="FILE_OR_URL",
                            help="a checkpoint kept outside the database (repeatable)")
        parser.add_argument("--keys", metavar="FILE_OR_URL",
                            help="trust only these public keys (a JWK set, or the public feed) and their successors")

    def handle(self, *args: Any, **options: Any) -> None:
        outside = []
        for source in options["checkpoint"]:
            notes = notes_in(read_source(source))
            if not notes:
                raise CommandError(f"{source} holds no checkpoint.")
            outside += [(f"{source} ({number} of {len(notes)})" if len(notes) > 1 else source, note)
                        for number, note in enumerate(notes, start=1)]
        pinned = None
        if options["keys"]:
            try:
                pinned = checkpoint.keys_from_jwks(json.loads(read_source(options["keys"])))
            except ValueError as error:
                raise CommandError(f"{options['keys']} is not JSON: {error}") from error
            if not pinned:
                raise CommandError(f"{options['keys']} holds no Ed25519 key.")
        result = audit_verify(outside=outside, pinned=pinned)
        if not result.ok:
            where = f" at sequence {result.sequence}" if result.sequence else ""
            event = f" (event id {result.event_id})" if result.event_id else ""
            raise CommandError(f"Audit trail broken{where}{event}: {result.fault}.")
        newest = result.newest
        signed = (f" The newest of {result.checkpoints} checkpoint(s) covers {newest.size} event(s) "
                  f"({newest.source}).") if newest else " No checkpoint yet: run manage.py audit_checkpoint."
        self.stdout.write(self.style.SUCCESS(f"Audit trail verified: {result.sealed} sealed event(s).") + signed)
        for note in result.notes:
            self.stdout.write(note)
