"""What production refuses: a published or guessable secret, a host wildcard, a private cache.
(tests/test_deploy_check.py starts the production settings themselves with each.)"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks

from khedmat.core.deployment import (
    DEVELOPMENT_SECRET_KEY,
    allowed_hosts_problem,
    cache_problem,
    known_secret_keys,
    production_problems,
    secret_key_problem,
)

REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://r:6379/0"}}


# Made once per run, the same in every test process (pytest-xdist collects them in each).
RANDOM_KEYS = {"urlsafe 50": lambda: secrets.token_urlsafe(50), "hex 32": lambda: secrets.token_hex(32),
               "urlsafe 80": lambda: secrets.token_urlsafe(80),
               "a passphrase": lambda: "correct horse battery staple, and nine more words nobody will ever guess"}


@pytest.mark.parametrize("kind", RANDOM_KEYS)
def test_a_random_secret_is_accepted(kind: str) -> None:
    for _attempt in range(20):
        assert secret_key_problem(RANDOM_KEYS[kind]()) is None


@pytest.mark.parametrize(("key", "named"), [
    (DEVELOPMENT_SECRET_KEY, "published key"),
    ("", "empty"),
    (None, "empty"),
    ("django-insecure-" + "k3Jx9_Qm2LpVt7Wn4RbZ8cYh1AsDf6GuEoIi0-NlMePrSqTvUwXyz", "django-insecure"),
    ("k3Jx9_Qm2LpVt7Wn4RbZ8cYh1AsDf6GuEoIi0", "use at least 50"),
    ("a" * 80, "too little variety"),
    ("abcdefghij" * 8, "too little variety"),  # ten different characters, one pattern
    ("0123456789abcdef" * 4, "too little variety"),
])
def test_a_guessable_secret_is_refused_naming_how_to_make_one(key: str | None, named: str) -> None:
    problem = secret_key_problem(key)
    assert problem is not None and named in problem
    assert "secrets.token_urlsafe(50)" in problem


def test_every_key_written_in_env_example_counts_as_published(tmp_path: Path) -> None:
    assert DEVELOPMENT_SECRET_KEY in known_secret_keys(settings.BASE_DIR)
    written = secrets.token_urlsafe(50)
    (tmp_path / ".env.example").write_text(f"# A key\n#   SECRET_KEY = {written}\nDEBUG=false\n", encoding="utf-8")
    assert "published key" in (secret_key_problem(written, known=known_secret_keys(tmp_path)) or "")


@pytest.mark.parametrize(("hosts", "refused"), [
    (["khedmat.gov.af"], False), ([".khedmat.gov.af", "127.0.0.1"], False),
    (["*"], True), (["khedmat.gov.af", "*"], True), (["*.gov.af"], True), ([], True),
])
def test_a_host_wildcard_is_refused(hosts: list[str], refused: bool) -> None:
    assert (allowed_hosts_problem(hosts) is not None) == refused


@pytest.mark.parametrize(("backend", "refused"), [
    ("django.core.cache.backends.redis.RedisCache", False),
    ("django.core.cache.backends.db.DatabaseCache", False),
    ("django.core.cache.backends.memcached.PyMemcacheCache", False),
    ("django.core.cache.backends.locmem.LocMemCache", True),
    ("django.core.cache.backends.dummy.DummyCache", True),
    ("django.core.cache.backends.filebased.FileBasedCache", True),
])
def test_only_a_cache_every_process_shares_holds_the_throttles(backend: str, refused: bool) -> None:
    problem = cache_problem({"default": {"BACKEND": backend}})
    assert (problem is not None) == refused
    if problem is not None:
        assert "CACHE_URL" in problem and "redis://" in problem


def test_good_settings_have_no_problem_and_the_secret_is_never_repeated() -> None:
    assert production_problems(secret_key=secrets.token_urlsafe(50), allowed_hosts=["khedmat.gov.af"], caches=REDIS,
                               base_dir=settings.BASE_DIR) == []
    weak = "Zq81x" * 4
    problems = production_problems(secret_key=weak, allowed_hosts=["*"], caches={}, base_dir=settings.BASE_DIR)
    assert len(problems) == 3
    assert not any(weak in problem for problem in problems)


@pytest.mark.django_db  # the audit's deployment check reads the database roles on PostgreSQL
def test_the_deployment_check_reports_the_test_settings_own_weaknesses() -> None:
    """The test settings run on the development key and a process's memory: exactly what the
    deployment check exists to catch."""
    found = {message.id for message in run_checks(include_deployment_checks=True, tags=["security"])}
    assert {"core.E001", "core.E003"} <= found
