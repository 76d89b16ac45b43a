"""The production settings as benches serve them: the bench's control endpoints added to
the URLs (bench/control_urls.py), static files collected where the bench says, cache keys under
a prefix of the run's own and, when it asks, a Celery queue of its own. Bench only: never
deployed, nothing in the product imports it. (bench/http_support.server_env gives production
what it insists on: a random SECRET_KEY, the loopback's hosts, Redis as CACHE_URL.)"""

import os
from pathlib import Path

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.control_urls"
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", STATIC_ROOT))  # noqa: F405
# A Celery queue of the bench's own, so that the tasks it leaves (no worker runs) are its own to remove.
if os.environ.get("BENCH_CELERY_QUEUE"):
    CELERY_TASK_DEFAULT_QUEUE = os.environ["BENCH_CELERY_QUEUE"]
# The benches issue thousands of kiosk tickets a minute from one paired kiosk: the per-device
# limit (a real hall's kiosk never comes near it) would stop them. The check itself still runs.
THROTTLE_KIOSK_TICKETS_PER_DEVICE = (10**9, 5 * 60)
# The run's cache keys apart from anyone else's in the same Redis database.
if os.environ.get("BENCH_CACHE_PREFIX"):
    CACHES["default"]["KEY_PREFIX"] = os.environ["BENCH_CACHE_PREFIX"]  # noqa: F405
