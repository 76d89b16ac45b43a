"""CSV files for people to open in a spreadsheet: the one formula guard, and a streamed writer.

A cell that starts with "=", "+", "-" or "@" (or a tab or carriage return before one) is read
by Excel and LibreOffice as a formula: a service's name, a provider's transaction id or a
citizen's comment could then run one on the reader's machine (CSV injection). Such text is
written with a leading apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: object) -> str:
    """Text a spreadsheet will not take for a formula ("" for None)."""
    text = str(value if value is not None else "")
    return f"'{text}" if text[:1] in _FORMULA_STARTS else text


class _Line:
    """A file-like object that hands back what the csv writer writes (one row at a time)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Each row as one CSV line, as it is produced: for a StreamingHttpResponse, so a long
    export is never held in memory whole."""
    writer = csv.writer(_Line(), lineterminator="\n")
    for row in rows:
        yield writer.writerow(row)
