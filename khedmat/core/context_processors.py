"""Values every page needs: the language as HTML writes it, and the languages to switch to."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from .formatting import current_language

_HTML_LANG = {"en": "en", "fa": "fa-AF", "ps": "ps-AF"}
_NATIVE_NAMES = {"en": "English", "fa": "دری", "ps": "پښتو"}


# The same three languages on every page: built once, not per request.
_LANGUAGE_CHOICES = tuple(
    {"code": code, "name": _NATIVE_NAMES[code], "html_lang": _HTML_LANG[code]} for code, _name in settings.LANGUAGES
)


def site(request: HttpRequest) -> dict[str, object]:
    return {"html_lang": _HTML_LANG[current_language()], "language_choices": _LANGUAGE_CHOICES}
