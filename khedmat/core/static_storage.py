"""Production's static files: whitenoise's compressed files under hashed names, each name's
address worked out once per process."""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """The manifest is read when the process starts and does not change under it, while
    looking a name up in it (cleaning the name, finding its hashed form, joining the address)
    cost some 40 µs on every `{% static %}` of every page (docs/performance.md, round eight)."""

    _URLS_KEPT = 1000  # names come from templates; a bound all the same

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or name is None:
            return super().url(name, force)
        found = self._urls.get(name)
        if found is None:
            found = super().url(name)
            if len(self._urls) < self._URLS_KEPT:
                self._urls[name] = found
        return found
