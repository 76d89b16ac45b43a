"""Compile every gettext catalog (.po → .mo) with Babel, so no GNU gettext is needed.

`make run` and `make test` call this: catalogs are committed as .po, compiled by the build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the .po translation catalogs to .mo files (pure Python, no gettext tools)."

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        for locale_dir in map(Path, settings.LOCALE_PATHS):
            for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                with po_path.open("rb") as po_file:
                    catalog = read_po(po_file, locale=po_path.parent.parent.name)
                with mo_path.open("wb") as mo_file:
                    write_mo(mo_file, catalog, use_fuzzy=False)
                compiled += 1
        if options["verbosity"] > 0:
            self.stdout.write(f"Compiled {compiled} translation catalog(s).")
