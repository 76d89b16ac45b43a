"""The bench's production settings (bench/control_settings.py) as the fault drill serves them
(bench/fault_drill.py): every throttle still checked and counted in Redis, but the per-address
limits lifted, since every simulated citizen comes from the one loopback address. Bench only."""

from bench.control_settings import *  # noqa: F403

THROTTLE_QUEUE_JOIN_PER_IP = (10**9, 60 * 60)
# Static files collected without compressing them (the drill's set-up time; no page weighs
# differently: the drill serves no static file it measures).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}  # noqa: F405
