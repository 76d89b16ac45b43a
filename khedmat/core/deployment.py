"""What production must not run with, in one place: a secret anyone can read, a host wildcard, a
cache that each process keeps for itself.

Django's own deployment checks pass all three: the published development key is long and
varied enough for `security.W009`, `ALLOWED_HOSTS=*` is not checked, and any cache will do.
Here each is a refusal that names the fix. `config/settings/production.py` calls
`production_problems` while the settings load, so a server with any of them never starts (a
WSGI server runs no system checks); `khedmat.core.checks` reports the same problems to
`manage.py check --deploy` under any settings module.

Pure functions of plain values: settings modules import this before Django is set up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

# The key config/settings/base.py falls back to: published in the repository, so it signs
# nothing in production.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me-in-production-0123456789"  # noqa: S105 (published)
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_CHARACTERS = 10
NEW_SECRET_KEY_COMMAND = """python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"""  # noqa: S105 (a command, not a key)
# Caches every process of every server shares, so that a throttle counts every attempt.
SHARED_CACHE_BACKENDS = frozenset({
    "django.core.cache.backends.redis.RedisCache",
    "khedmat.core.cache.RedisCache",  # Django's, with one client per pool
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
    "django.core.cache.backends.db.DatabaseCache",
})
_ENV_EXAMPLE_KEY = re.compile(r"^\s*#?\s*SECRET_KEY\s*=\s*(\S+)\s*$", re.MULTILINE)


def known_secret_keys(base_dir: Path | str) -> frozenset[str]:
    """Keys published with the code: the development default and any SECRET_KEY written in
    .env.example (commented out or not)."""
    keys = {DEVELOPMENT_SECRET_KEY}
    example = Path(base_dir, ".env.example")
    if example.exists():
        keys.update(value.strip("\"'") for value in _ENV_EXAMPLE_KEY.findall(example.read_text(encoding="utf-8")))
    return frozenset(keys)


def secret_key_problem(key: Any, *, known: Iterable[str] = (DEVELOPMENT_SECRET_KEY,)) -> str | None:
    """Why `key` must not sign sessions, CSRF tokens, one-time codes and SMS receipt URLs in
    production (and derive the documents' key-encryption key), or None when it may."""
    fix = f"Set SECRET_KEY to a new random value, e.g. the output of: {NEW_SECRET_KEY_COMMAND}"
    if not isinstance(key, str) or not key:
        return f"SECRET_KEY is empty. {fix}"
    if key in set(known):
        return f"SECRET_KEY is a published key (the development default or .env.example's). {fix}"
    if key.startswith("django-insecure"):
        return f"SECRET_KEY is one Django generated for development (django-insecure-…). {fix}"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"SECRET_KEY has {len(key)} characters; use at least {SECRET_KEY_MIN_LENGTH}. {fix}"
    # A short pattern repeated, or few different characters, is guessable however long it is.
    pairs = {key[index:index + 2] for index in range(len(key) - 1)}
    if len(set(key)) < SECRET_KEY_MIN_CHARACTERS or len(pairs) < len(key) // 2:
        return f"SECRET_KEY has too little variety (a repeated pattern or few different characters). {fix}"
    return None


def allowed_hosts_problem(hosts: Any) -> str | None:
    """Why ALLOWED_HOSTS lets the site answer for names it does not own (password-reset and
    QR links built from a forged Host header), or None."""
    fix = "Set ALLOWED_HOSTS to the site's own names, comma-separated, e.g. khedmat.gov.af,www.khedmat.gov.af."
    if not hosts:
        return f"ALLOWED_HOSTS is empty: the site would answer nobody. {fix}"
    wildcards = [host for host in hosts if "*" in str(host)]
    if wildcards:
        return f"ALLOWED_HOSTS holds the wildcard {wildcards[0]!r}: the site would answer for any name. {fix}"
    return None


def cache_problem(caches: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Why the default cache cannot hold the throttles and consent codes, or None: a cache of
    one process (or none at all) lets each worker count attempts on its own."""
    backend = str((caches.get("default") or {}).get("BACKEND", ""))
    if backend in SHARED_CACHE_BACKENDS:
        return None
    return (f"The cache ({backend.rsplit('.', 1)[-1] or 'none'}) is not shared between processes: sign-in, code "
            "and booking throttles would count each worker's attempts apart, and a dummy cache counts none. "
            "Set CACHE_URL to Redis, e.g. redis://redis.internal:6379/0.")


def production_problems(*, secret_key: Any, allowed_hosts: Any, caches: Mapping[str, Mapping[str, Any]],
                        base_dir: Path | str) -> list[str]:
    """Everything wrong with these settings for production, each naming its fix."""
    problems = [
        secret_key_problem(secret_key, known=known_secret_keys(base_dir)),
        allowed_hosts_problem(allowed_hosts),
        cache_problem(caches),
    ]
    return [problem for problem in problems if problem]
