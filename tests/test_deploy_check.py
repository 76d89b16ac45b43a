"""The security baseline: production settings pass Django's deployment checks, refuse to start
without a secret, and every page is served under a strict Content-Security-Policy."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from khedmat.core.deployment import DEVELOPMENT_SECRET_KEY

BASE_DIR = Path(settings.BASE_DIR)


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A clean environment for production settings: nothing leaks in from the developer's shell."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.gov.af",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "CACHE_URL": "redis://127.0.0.1:6379/0",  # nothing here connects to it
    }
    env.update(overrides)
    return env


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def skip_if_env_file_sets(name: str) -> None:
    """base.py reads .env; a developer's own value there would hide what the test looks for."""
    env_file = BASE_DIR / ".env"
    if env_file.exists() and f"{name}=" in env_file.read_text(encoding="utf-8"):
        pytest.skip(f".env sets {name}, so production settings cannot be seen to start without it")


def test_check_deploy_is_clean_under_production_settings(tmp_path: Path) -> None:
    result = run_manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name", ["SECRET_KEY", "ALLOWED_HOSTS", "CACHE_URL"])
def test_production_settings_refuse_to_start_without(tmp_path: Path, name: str) -> None:
    skip_if_env_file_sets(name)
    env = production_env(tmp_path)
    del env[name]
    result = run_manage(env, "check")
    assert result.returncode != 0
    assert f"Set the {name} environment variable" in result.stderr


@pytest.mark.parametrize(("variable", "value", "named"), [
    ("SECRET_KEY", DEVELOPMENT_SECRET_KEY, "SECRET_KEY is a published key"),
    ("SECRET_KEY", "short-but-random-Zq81x", "SECRET_KEY has 22 characters; use at least 50"),
    ("SECRET_KEY", "abcde" * 12, "SECRET_KEY has too little variety"),
    ("ALLOWED_HOSTS", "*", "ALLOWED_HOSTS holds the wildcard '*'"),
    ("ALLOWED_HOSTS", "khedmat.gov.af,*", "ALLOWED_HOSTS holds the wildcard '*'"),
    ("CACHE_URL", "locmemcache://khedmat", "The cache (LocMemCache) is not shared between processes"),
    ("CACHE_URL", "dummycache://", "The cache (DummyCache) is not shared between processes"),
])
def test_production_settings_refuse_to_start_with_a_known_secret_a_wildcard_or_a_private_cache(
        tmp_path: Path, variable: str, value: str, named: str) -> None:
    """`check --deploy` passed all of these; now nothing starts (a WSGI server runs no checks),
    and the message names the fix."""
    result = run_manage(production_env(tmp_path, **{variable: value}), "check", "--deploy")
    assert result.returncode != 0
    assert "Production settings refused:" in result.stderr
    assert named in result.stderr
    assert value not in result.stderr or variable != "SECRET_KEY"  # a secret is never printed


def test_check_deploy_names_the_same_problems_under_settings_derived_from_base(tmp_path: Path) -> None:
    """A deployment with settings of its own (base.py's defaults) hears about all three."""
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings.local", DEBUG="false",
                         ALLOWED_HOSTS="*", CACHE_URL="locmemcache://khedmat")
    del env["SECRET_KEY"]
    skip_if_env_file_sets("SECRET_KEY")
    result = run_manage(env, "check", "--deploy")
    assert result.returncode != 0
    for check_id in ("core.E001", "core.E002", "core.E003"):
        assert check_id in result.stderr, result.stderr


def test_seed_demo_refuses_production_settings_unless_the_server_is_a_demonstration(tmp_path: Path) -> None:
    env = production_env(tmp_path, CACHE_URL="dbcache://khedmat_cache")
    assert run_manage(env, "migrate", "--no-input", "--verbosity", "0").returncode == 0
    refused = run_manage(env, "seed_demo", "--quiet")
    assert refused.returncode != 0
    assert "set DEMO_SERVER=true" in refused.stderr
    assert run_manage(env, "createcachetable").returncode == 0
    demo = run_manage({**env, "DEMO_SERVER": "true"}, "seed_demo", "--quiet")
    assert demo.returncode == 0, demo.stderr


def test_production_settings_hash_with_argon2_and_keep_cookies_and_transport_secure(tmp_path: Path) -> None:
    script = ("import json; from django.conf import settings as s; print(json.dumps([s.PASSWORD_HASHERS[0], s.DEBUG, "
              "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS]))")
    result = run_manage(production_env(tmp_path), "shell", "--no-imports", "-c", script)
    assert result.returncode == 0, result.stderr
    hasher, debug, session_secure, csrf_secure, ssl_redirect, hsts_seconds = json.loads(result.stdout)
    assert hasher == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert (debug, session_secure, csrf_secure, ssl_redirect) == (False, True, True, True)
    assert hsts_seconds >= 60 * 60 * 24 * 365


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style attributes and elements,
    and inline event handlers (onclick=…)."""

    def __init__(self) -> None:
        super().__init__()
        self.faults: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _value in attrs}
        if tag == "script" and "src" not in names:
            self.faults.append("inline <script>")
        if tag == "style":
            self.faults.append("<style> element")
        if "style" in names:
            self.faults.append(f"style= attribute on <{tag}>")
        self.faults.extend(f"{name}= handler on <{tag}>" for name in names if name.startswith("on"))


def catalog_paths() -> list[str]:
    """Every kind of public HTML page, in each language, for the seeded demonstration data."""
    from khedmat.catalog.models import Agency, Category, Service

    service = Service.objects.filter(is_active=True).order_by("slug").first()
    category = Category.objects.order_by("slug").first()
    agency = Agency.objects.order_by("slug").first()
    assert service and category and agency, "seed_demo loaded no catalog"
    paths = ["", "services/", "services/?q=passport", "services/agencies/", f"services/agencies/{agency.slug}/",
             f"services/categories/{category.slug}/", f"services/{service.slug}/", "account/sign-in/"]
    return [f"/{language}/{path}" for language in ("en", "fa", "ps") for path in paths]


@pytest.fixture
def demo_catalog(db: None) -> list[str]:
    call_command("seed_demo", quiet=True)
    return catalog_paths()


def test_pages_carry_a_strict_content_security_policy(client: Client, demo_catalog: list[str]) -> None:
    for path in ["/healthz", *demo_catalog]:
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (path, policy)
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["script-src"] == "'self'", (path, policy)
        assert directives["style-src"] == "'self'", (path, policy)
        assert directives["object-src"] == "'none'", (path, policy)


def test_catalog_pages_have_no_inline_script_or_style(client: Client, demo_catalog: list[str]) -> None:
    faults = {}
    for path in demo_catalog:
        response = client.get(path)
        assert response.status_code == 200, path
        finder = InlineCodeFinder()
        finder.feed(response.content.decode())
        if finder.faults:
            faults[path] = sorted(set(finder.faults))
    assert not faults, faults


@pytest.mark.django_db
def test_healthz_answers_200_with_json(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
