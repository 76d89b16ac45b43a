"""Check the audit trail from outside, without the platform's code running or its database.

    python -m khedmat.audit.offline proof audit-proof-123.json [--keys keys.json]
        Is each event of a citizen's proof file in the signed checkpoint it carries?
    python -m khedmat.audit.offline watch https://khedmat.gov.af/audit/checkpoints.json \\
            --state saved-checkpoint.txt [--keys keys.json]
        Does the newest published checkpoint extend the one saved last time (nothing before
        it rewritten, reordered or cut off)? Then save the newest. Run it from cron anywhere.

Needs only Python and `cryptography`, with this file, merkle.py, chain.py and checkpoint.py
(copy the four). `--keys` names a JWK set ({"keys": [...]}) of the keys you trust, saved
once from the feed; without it the keys inside the file are used, and you should compare
their ids with the published ones. Exit status 0 when everything holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit
from urllib.request import urlopen

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import checkpoint, merkle
from .chain import SHOWN_FIELDS, link_hash


@dataclass(frozen=True)
class Verdict:
    event_id: Any
    holds: bool
    problem: str = ""


def keys_with_succession(document: Any, trusted: dict[str, Ed25519PublicKey] | None) -> dict[str, Ed25519PublicKey]:
    """The keys of a feed or proof file to trust: those pinned (and their vouched-for
    successors and predecessors), or, when none are pinned, all of the file's own."""
    listed = checkpoint.keys_from_jwks(document)
    if trusted is None:
        return listed
    records = [checkpoint.KeyRecord(kid=kid, public_key=key) for kid, key in trusted.items() if kid not in listed]
    for jwk in document.get("keys", []) if isinstance(document, dict) else []:
        try:
            key = checkpoint.public_key_from_jwk(jwk)
        except checkpoint.CheckpointError:
            continue
        records.append(checkpoint.KeyRecord(
            kid=checkpoint.key_id(key), public_key=key, predecessor=str(jwk.get("predecessor") or ""),
            succession_signature=str(jwk.get("succession_signature") or ""),
            predecessor_signature=str(jwk.get("predecessor_signature") or "")))
    good = checkpoint.trusted_by_succession(records, set(trusted))
    return {record.kid: record.public_key for record in records if record.kid in good}


def verify_proof(bundle: Any, *, trusted: dict[str, Ed25519PublicKey] | None = None) -> tuple[str, list[Verdict]]:
    """Check a proof file: ("", verdicts) or (the reason nothing could be checked, [])."""
    if not isinstance(bundle, dict) or not isinstance(bundle.get("checkpoint"), str):
        return "the file holds no checkpoint (its events are not in one yet)", []
    try:
        signed = checkpoint.parse(bundle["checkpoint"])
    except checkpoint.CheckpointError as error:
        return f"the checkpoint cannot be read: {error}", []
    if not checkpoint.signed_by(signed, keys_with_succession(bundle, trusted)):
        return "the checkpoint is not signed by a trusted key", []
    verdicts = []
    for proof in bundle.get("proofs", []):
        try:
            event = {name: proof["event"][name] for name in SHOWN_FIELDS}
            commitment = {**event, "withheld": proof["withheld"]}
            digest = link_hash(sequence=int(proof["sequence"]), previous_hash=str(proof["previous_hash"]),
                               payload=commitment)
            if digest != proof["hash"]:
                verdicts.append(Verdict(event.get("id"), False, "the event does not match its hash"))
                continue
            if int(proof["leaf_index"]) != int(proof["sequence"]) - 1:
                verdicts.append(Verdict(event.get("id"), False, "the leaf is not the event's place in the chain"))
                continue
            path = [bytes.fromhex(node) for node in proof["inclusion_path"]]
            leaf = merkle.leaf_hash(bytes.fromhex(digest))
            holds = merkle.verify_inclusion(int(proof["leaf_index"]), signed.size, leaf, path, signed.root)
            verdicts.append(Verdict(event.get("id"), holds, "" if holds else "not in the signed tree"))
        except (KeyError, TypeError, ValueError) as error:
            verdicts.append(Verdict(proof.get("event", {}).get("id") if isinstance(proof, dict) else None, False,
                                    f"the proof cannot be read ({error})"))
    return "", verdicts


def verify_extension(saved_note: str, feed: Any, *,
                     trusted: dict[str, Ed25519PublicKey] | None = None) -> tuple[str, str | None]:
    """Does the feed's newest checkpoint extend the saved one? ("", newest note) or (problem, None)."""
    keys = keys_with_succession(feed, trusted)
    try:
        old = checkpoint.parse(saved_note)
        entries = feed.get("checkpoints") or []
        new_note = max(entries, key=lambda entry: entry["tree_size"])["note"]
        new = checkpoint.parse(new_note)
    except (checkpoint.CheckpointError, AttributeError, KeyError, TypeError, ValueError) as error:
        return f"the checkpoints cannot be read ({error})", None
    if not checkpoint.signed_by(old, keys):
        return "the saved checkpoint is not signed by a trusted key", None
    if not checkpoint.signed_by(new, keys):
        return "the newest published checkpoint is not signed by a trusted key", None
    if new.size < old.size:
        return f"the log shrank from {old.size} to {new.size} events", None
    consistency = feed.get("consistency") or {}
    proof = [bytes.fromhex(node) for node in consistency.get("proof", [])] \
        if (consistency.get("from"), consistency.get("to")) == (old.size, new.size) else None
    if proof is None and new.size != old.size:
        return "the feed holds no consistency proof from the saved size (ask it with ?since=<size>)", None
    if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof or []):
        return (f"the newest checkpoint ({new.size} events) does not extend the saved one ({old.size}): "
                "something before it was rewritten"), None
    return "", new_note


def _read(source: str) -> str:
    if urlsplit(source).scheme in ("http", "https"):
        with urlopen(source, timeout=20) as response:  # noqa: S310 (http and https only)
            return response.read(5_000_000).decode("utf-8")
    return Path(source).read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m khedmat.audit.offline", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    proof_parser = commands.add_parser("proof", help="check a citizen's proof file")
    proof_parser.add_argument("file")
    watch_parser = commands.add_parser("watch", help="check that the newest checkpoint extends the saved one")
    watch_parser.add_argument("feed", help="the feed's URL or a saved copy")
    watch_parser.add_argument("--state", required=True, help="the file holding the checkpoint saved last time")
    for sub in (proof_parser, watch_parser):
        sub.add_argument("--keys", help="a JWK set of the keys you trust")
    options = parser.parse_args(argv)
    trusted = checkpoint.keys_from_jwks(json.loads(_read(options.keys))) if options.keys else None
    if options.command == "proof":
        problem, verdicts = verify_proof(json.loads(_read(options.file)), trusted=trusted)
        if problem:
            print(f"NOT VERIFIED: {problem}")
            return 1
        for verdict in verdicts:
            print(f"event {verdict.event_id}: " + ("recorded in the signed checkpoint" if verdict.holds
                                                   else f"NOT VERIFIED: {verdict.problem}"))
        return 0 if verdicts and all(verdict.holds for verdict in verdicts) else 1
    state = Path(options.state)
    feed_source = options.feed
    if state.exists() and urlsplit(feed_source).scheme in ("http", "https"):
        parts = urlsplit(feed_source)
        since = checkpoint.parse(state.read_text(encoding="utf-8")).size
        feed_source = urlunsplit(parts._replace(query=urlencode({"since": since})))
    feed = json.loads(_read(feed_source))
    if not state.exists():
        try:
            newest = max(feed["checkpoints"], key=lambda entry: entry["tree_size"])["note"]
            signed = checkpoint.signed_by(checkpoint.parse(newest), keys_with_succession(feed, trusted))
        except (checkpoint.CheckpointError, KeyError, TypeError, ValueError):
            newest, signed = None, []
        if not newest or not signed:
            print("NOT VERIFIED: the feed holds no checkpoint signed by a trusted key")
            return 1
        state.write_text(newest, encoding="utf-8")
        print("First checkpoint saved; the next run checks that the log only grows from it.")
        return 0
    problem, newest = verify_extension(state.read_text(encoding="utf-8"), feed, trusted=trusted)
    if problem or newest is None:
        print(f"NOT VERIFIED: {problem}")
        return 1
    state.write_text(newest, encoding="utf-8")
    print(f"The log extends the saved checkpoint; saved the newest ({checkpoint.parse(newest).size} events).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
