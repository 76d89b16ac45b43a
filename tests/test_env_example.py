""".env.example lists every setting that config/settings reads from the environment."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
ENV_READ = re.compile(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")


def test_env_example_lists_every_setting_read_from_the_environment() -> None:
    read = {name for path in sorted((BASE_DIR / "config").rglob("*.py"))
            for name in ENV_READ.findall(path.read_text(encoding="utf-8"))}
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (BASE_DIR / ".env.example").read_text(encoding="utf-8"),
                            re.MULTILINE))
    assert "SECRET_KEY" in read and "DATABASE_URL" in read
    assert not read - listed, f"missing from .env.example: {sorted(read - listed)}"
