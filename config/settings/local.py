"""Development on one machine: SQLite under var/, DEBUG on, in-process background work."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SMS_SIMULATOR_ENABLED = env.bool("SMS_SIMULATOR_ENABLED", default=True)
