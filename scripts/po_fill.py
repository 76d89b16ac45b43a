"""Fill the Dari and Pashto catalogs from JSON files of translations, then let makemessages
rewrap them:

    .venv/bin/python scripts/po_fill.py translations.json [more.json …]
    make messages

A JSON file maps a msgid ("context|msgid" for pgettext) to {"fa": "…", "ps": "…"}, or for a
plural to {"plural": "msgid_plural", "fa": ["one", "other"], "ps": ["one", "other"]}. Filled
entries lose their fuzzy flag. Prints the keys the catalogs do not hold and the entries still
untranslated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def main(paths: list[str]) -> int:
    wanted: dict[str, dict] = {}
    for path in paths:
        wanted.update(json.loads(Path(path).read_text(encoding="utf-8")))
    for language in ("fa", "ps"):
        po_path = LOCALE / language / "LC_MESSAGES" / "django.po"
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        unknown = []
        for key, value in wanted.items():
            context, _, msgid = key.rpartition("|") if "|" in key else ("", "", key)
            message = catalog.get(msgid, context=context or None)
            if message is None:
                unknown.append(key)
                continue
            text = value.get(language)
            if text is None:
                continue
            message.string = tuple(text) if isinstance(message.id, (tuple, list)) else text
            message.flags.discard("fuzzy")
            message.previous_id = []
        with po_path.open("wb") as po_file:
            write_po(po_file, catalog, width=79, include_previous=False)
        # Keep the header as makemessages writes it.
        lines = po_path.read_text(encoding="utf-8").replace("Project-Id-Version:  ", "Project-Id-Version: ")
        po_path.write_text("".join(line for line in lines.splitlines(keepends=True)
                                   if not line.startswith('"Generated-By:')), encoding="utf-8")
        empty = [message.id for message in catalog if message.id and not any(
            message.string if isinstance(message.string, (tuple, list)) else [message.string])]
        fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
        print(f"{language}: {len(unknown)} keys not in the catalog, {len(empty)} untranslated, {len(fuzzy)} fuzzy")
        for key in unknown[:20]:
            print("   not in catalog:", key[:100])
        for pending in (empty + fuzzy)[:40]:
            print("   to do:", str(pending)[:100])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
