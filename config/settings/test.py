"""Fast, deterministic settings for the test suite (pytest-django's default, see pyproject.toml).

The database is still DATABASE_URL's: SQLite by default, PostgreSQL when CI sets it.
"""

import atexit
import shutil
import tempfile

from .base import *  # noqa: F403

DEBUG = False
# Hashing is the slowest part of creating users; argon2 is checked in the deployment test.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
# Each test process has its own throttle counters; conftest.py clears them before every test.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions as production keeps them (a copy in the cache): one process per test worker shares it.
SESSION_ENGINE = "khedmat.accounts.sessions"
# Static files come from the apps' folders, as `make run` serves them: nothing is collected.
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Uploads (the "private" storage) go to a throwaway folder per test process, never var/private.
PRIVATE_STORAGE_ROOT = tempfile.mkdtemp(prefix="khedmat-test-private-")
atexit.register(shutil.rmtree, PRIVATE_STORAGE_ROOT, ignore_errors=True)
STORAGES = {
    **STORAGES,  # noqa: F405
    "private": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None}},
}

# The board's spoken parts (khedmat.centers.voice) go to a throwaway folder, never var/hall-voice.
HALL_VOICE_CACHE_DIR = tempfile.mkdtemp(prefix="khedmat-test-voice-")
atexit.register(shutil.rmtree, HALL_VOICE_CACHE_DIR, ignore_errors=True)

# --- observability (issue 11): no request line per test request (tests/test_observability.py
# turns it on where it is the subject); warnings and errors still come through.
LOGGING["loggers"]["khedmat.request"] = {"level": "WARNING"}  # noqa: F405

# The board feed answers from each process's own last answer in production (decision 0031);
# tests see every call at once, and test_board_feed_cache.py turns the memo on where it is the subject.
BOARD_MEMO_SECONDS = 0

# seed_demo's made-up public figures: two Solar Hijri months are enough for the pages' tests.
DEMO_FIGURES_DAYS = 40

# The tests' webhook receivers listen on 127.0.0.1 over plain http; the refusal is tested with
# this turned off (khedmat/api/tests/test_webhooks*.py).
WEBHOOK_ALLOW_PRIVATE_URLS = True
