"""Choosing the reader's language among the three stored for a piece of content."""

from __future__ import annotations

from typing import Any

from .formatting import current_language


def pick(source: Any, field: str | None, language: str | None = None) -> str:
    """The text in the active language, falling back to English, then to any language.

    `source` is either a model with `<field>_en/_fa/_ps` attributes (field given) or a
    mapping `{"en": …, "fa": …, "ps": …}` (field None).
    """
    language = language or current_language()
    order = [language, "en", "fa", "ps"]
    for code in order:
        value = source.get(code) if field is None else getattr(source, f"{field}_{code}", "")
        if value:
            return str(value)
    return ""
