"""Development on one machine: SQLite under var/, DEBUG on, in-process background work."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SMS_SIMULATOR_ENABLED = env.bool("SMS_SIMULATOR_ENABLED", default=True)
# A webhook receiver on this machine (http://127.0.0.1:…) may be subscribed while developing.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=True)
