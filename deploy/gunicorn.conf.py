"""gunicorn's configuration for Asan Khedmat: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Used by the systemd unit (deploy/systemd/khedmat-web.service) and by `make serve`. Every value
can be changed from the environment (GUNICORN_*), so one file serves every node.

- Sync workers, about two per core: measured on this project's 2-core machines, gthread workers
  were slower on the write path and each sync worker keeps one persistent database connection
  (docs/performance.md, /work/shared/PERFORMANCE.md).
- nginx stands in front (deploy/nginx/khedmat.conf): it buffers slow clients, so a sync worker
  is never held by a phone on a slow link, and it serves the static files.
- Workers are recycled after a few thousand requests, with jitter so they do not all restart at
  once: a slow leak in a library cannot grow without bound.
- Access logs are off here (nginx keeps them); errors go to stderr, i.e. the journal.
- Prometheus (the "obs" work): when PROMETHEUS_MULTIPROC_DIR is set, the directory is emptied
  when the server starts and a dead worker's files are marked, as prometheus_client requires.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Where nginx reaches this node: loopback by default (nginx on the same machine). A second web
# node listens on its private address and is one more `server` line in nginx's upstream.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001").split(",")
worker_class = "sync"
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count())
# A request that takes longer than this is stuck (every page answers in well under a second):
# the worker is killed and replaced. nginx's proxy_read_timeout is a little longer (75 s).
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# nginx keeps no idle connections to the upstream here (HTTP/1.0 to the backend by default).
keepalive = _int("GUNICORN_KEEPALIVE", 2)
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# Loading the application before forking shares its memory between workers and shows an
# import error once, at start, instead of in every worker.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")
# Only nginx on this machine may set X-Forwarded-* (gunicorn's own check; Django reads them
# through TRUSTED_PROXIES and SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Logs: errors to stderr (the journal under systemd); access logs are nginx's.
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = None
capture_output = True
# The master's own lines (worker started, timed out, killed) as the same JSON lines as the
# application's, without personal data (docs/observability.md); LOG_FORMAT=console for reading.
try:
    from khedmat.core.logs import logging_config
except ImportError:  # started outside the checkout: gunicorn's plain lines
    pass
else:
    logconfig_dict = logging_config(fmt=os.environ.get("LOG_FORMAT", "json"),
                                    level=os.environ.get("GUNICORN_LOG_LEVEL", "info").upper())
# Heartbeat files in memory rather than on a disk that may stall (Docker and some VMs).
_SHM = "/dev/shm"  # noqa: S108 (gunicorn's own advice: only the workers' heartbeat files, made with mkstemp)
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", _SHM if Path(_SHM).is_dir() else None)
proc_name = "khedmat-web"


def on_starting(server: Any) -> None:
    """Start Prometheus's multiprocess directory empty: files left by an earlier run's workers
    would be added to this run's counters."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if not directory:
        return
    path = Path(directory)
    if path.is_dir():
        for child in path.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    path.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Tell prometheus_client that a worker is gone, so its live gauges stop counting."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    try:
        from prometheus_client import multiprocess
    except ImportError:
        return
    multiprocess.mark_process_dead(worker.pid)
