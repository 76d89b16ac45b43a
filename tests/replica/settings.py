"""The test settings, plus two pages tests/test_replica.py needs to write and read as a user."""

from config.settings.test import *  # noqa: F403

ROOT_URLCONF = "tests.replica.urls"
ALLOWED_HOSTS = ["testserver"]  # Django's test client, outside the test runner
