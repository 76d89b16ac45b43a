"""Production: secrets and hosts from the environment, HTTPS only, PostgreSQL, Redis.

`manage.py check --deploy` must be clean with these settings (a test runs it). They refuse to
load (so no server, worker or command starts) without SECRET_KEY, ALLOWED_HOSTS and CACHE_URL,
and with a published or weak secret, a host wildcard, or a cache each process keeps to itself
(khedmat/core/deployment.py says why each, and the message names the fix).
"""

from django.core.exceptions import ImproperlyConfigured

from khedmat.core.deployment import production_problems
from khedmat.core.logs import logging_config

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# Throttles and consent codes live in the cache: every process must share it (Redis).
CACHES = {"default": env.cache("CACHE_URL")}
# --- Fault drill (issue 11): a Redis that is away answers at once, never hangs a request ---
# Without timeouts a cache call waits on a dead host for the kernel's TCP timeout (minutes),
# holding a sync worker. Redis answers in well under a millisecond: 1 s to connect and 2 s to
# answer are generous. Throttles and copies then carry on without it (khedmat/core/caching.py,
# docs/decisions/0028-cache-outages.md).
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 1, "socket_timeout": 2})
# --- end fault drill ---
# Django's Redis cache with one client object per pool (khedmat/core/cache.py).
CACHES = with_reused_clients(CACHES)  # noqa: F405
# Sessions read from a copy in that shared cache, the database the record (docs/decisions/0030).
SESSION_ENGINE = "khedmat.accounts.sessions"
# A server open to the public as a demonstration may load the demonstration accounts.
DEMO_DATA_ALLOWED = env.bool("DEMO_SERVER", default=False)

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_AGE = 60 * 60 * 8

STORAGES = {
    **STORAGES,  # noqa: F405
    # Whitenoise's compressed, hashed files, each address looked up once (khedmat/core/static_storage.py).
    "staticfiles": {"BACKEND": "khedmat.core.static_storage.StaticFilesStorage"},
}

# --- observability (issue 11): every log line one JSON object, personal data masked ---
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env("LOG_LEVEL", default="INFO"))

_PROBLEMS = production_problems(secret_key=SECRET_KEY, allowed_hosts=ALLOWED_HOSTS, caches=CACHES, base_dir=BASE_DIR)
if _PROBLEMS:
    raise ImproperlyConfigured("Production settings refused:\n" + "\n".join(f"- {problem}" for problem in _PROBLEMS))
# Webhooks only to public https addresses, whatever the environment says (an SSRF guard).
WEBHOOK_ALLOW_PRIVATE_URLS = False
