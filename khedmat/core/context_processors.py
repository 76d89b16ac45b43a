"""Values every page needs: the language as HTML writes it, and the languages to switch to."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from .formatting import current_language

_HTML_LANG = {"en": "en", "fa": "fa-AF", "ps": "ps-AF"}
_NATIVE_NAMES = {"en": "English", "fa": "دری", "ps": "پښتو"}


def site(request: HttpRequest) -> dict[str, object]:
    language = current_language()
    return {
        "html_lang": _HTML_LANG[language],
        "language_choices": [
            {"code": code, "name": _NATIVE_NAMES[code], "html_lang": _HTML_LANG[code]}
            for code, _name in settings.LANGUAGES
        ],
    }
