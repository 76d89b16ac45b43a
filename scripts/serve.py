"""`make serve`: the production form on one machine, for a pilot centre.

nginx (deploy/nginx/khedmat.conf) on PORT in front of gunicorn (deploy/gunicorn.conf.py), a
Celery worker and Celery beat, all with config.settings.production, against PostgreSQL
(DATABASE_URL, required) and Redis (CACHE_URL and CELERY_BROKER_URL, local Redis by default).
Before starting it collects the static files and migrates. Ctrl-C (or SIGTERM) stops them all;
if one of them dies, the others are stopped too and this exits non-zero: nothing half-runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/khedmat make serve            # http://127.0.0.1:8080/
    DATABASE_URL=… PORT=9000 GUNICORN_WORKERS=2 make serve

What it keeps in SERVE_DIR (default var/serve/): the SECRET_KEY it made the first time (mode
0600, reused afterwards, so sessions survive a restart), the rendered nginx configuration and
its logs, and beat's schedule. TLS: not here. This serves plain HTTP on loopback for the pilot's
own machine; a hall's network reaches the site through nginx with TLS (docs/deployment.md,
docs/decisions/0025-production-topology.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SITE_TEMPLATE = BASE_DIR / "deploy" / "nginx" / "khedmat.conf"
GUNICORN_CONF = BASE_DIR / "deploy" / "gunicorn.conf.py"
STOP_SECONDS = 30
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Refused(Exception):
    """Something the operator must fix before serving; the message says what."""


# --- the nginx site, rendered for this machine (the "fault" drill reuses this) -------------------

def render_site(template: str, *, upstreams: Sequence[str], listen: str, static_parent: Path | str,
                log_dir: Path | str) -> str:
    """deploy/nginx/khedmat.conf with its four marked places replaced: the upstream's servers,
    the `listen` address (IPv4 only), the folder holding static/, and the access log's folder."""
    servers = "".join(f"    server {address};\n" for address in upstreams)
    text, count = re.subn(r"upstream khedmat_web \{\n(?:\s*server [^\n]*\n)+\}",
                          "upstream khedmat_web {\n" + servers + "}", template)
    assert count == 1, "deploy/nginx/khedmat.conf: the upstream khedmat_web block was not found"
    text = re.sub(r"^(\s*)listen 80;\n\s*listen \[::\]:80;\n", rf"\1listen {listen};\n", text, flags=re.MULTILINE)
    text = re.sub(r"^(\s*)root /srv/khedmat/var;", rf"\1root {static_parent};", text, flags=re.MULTILINE)
    text = text.replace("/var/log/nginx/khedmat.access.log", f"{Path(log_dir) / 'access.log'}")
    assert f"listen {listen};" in text and f"root {static_parent};" in text, "deploy/nginx/khedmat.conf changed shape"
    return text


def main_conf(site: Path, work: Path) -> str:
    """A whole nginx.conf around the site: nginx's own files (pid, logs, temporary folders) in
    `work`, so this nginx runs beside the system's without touching /etc/nginx or /var."""
    user = ""
    if os.geteuid() == 0:
        # As root, nginx's workers run as nobody by default, who may not read the checkout.
        owner = pwd.getpwuid(BASE_DIR.stat().st_uid).pw_name
        user = f"user {owner};\n"
    temp = "\n".join(f"    {name}_temp_path {work / 'tmp' / name};" for name in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}worker_processes 1;
pid {work / 'nginx.pid'};
error_log {work / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
{temp}
    include {site};
}}
"""


# --- settings --------------------------------------------------------------------------------------

def secret_key(serve_dir: Path) -> str:
    """The pilot's SECRET_KEY: made once, kept readable by its owner only."""
    path = serve_dir / "secret_key"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50) + "\n")
    os.chmod(path, 0o600)
    return path.read_text(encoding="utf-8").strip()


def serve_env(environ: dict[str, str], *, port: int, gunicorn_port: int, serve_dir: Path) -> dict[str, str]:
    """The environment every process gets: production settings, with what a loopback pilot
    needs and nothing the operator set overridden."""
    database_url = environ.get("DATABASE_URL", "")
    if not database_url:
        raise Refused("Set DATABASE_URL to a PostgreSQL database, e.g. "
                      "DATABASE_URL=postgres://postgres@127.0.0.1:5432/khedmat make serve")
    scheme = urlsplit(database_url).scheme
    if not scheme.startswith(("postgres", "pgsql")):
        raise Refused(f"the production form runs on PostgreSQL only, not {scheme or database_url!r}: "
                      "SQLite lets one writer in at a time and the production form runs several processes "
                      "(make run serves SQLite for development).")
    env = dict(environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = secret_key(serve_dir)
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.setdefault("CACHE_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1")
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    # nginx is the one proxy in front, and it replaces X-Forwarded-For with the client's address.
    env.setdefault("TRUSTED_PROXIES", "1")
    # Plain HTTP on loopback: redirecting to https:// would reach nothing (TLS is nginx's, and
    # this nginx has no certificate). HSTS is sent over HTTPS only, so it needs no change.
    env.setdefault("SECURE_SSL_REDIRECT", "false")
    env["GUNICORN_BIND"] = f"127.0.0.1:{gunicorn_port}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def environment() -> dict[str, str]:
    """The real environment, completed from .env as the settings complete it (the real one wins)."""
    import environ

    env_file = BASE_DIR / ".env"
    if env_file.exists():
        environ.Env.read_env(env_file, overwrite=False)
    return dict(os.environ)


def check_redis(env: dict[str, str]) -> None:
    import redis

    for name in ("CACHE_URL", "CELERY_BROKER_URL"):
        url = env[name]
        if not url.startswith(("redis://", "rediss://")):
            continue
        try:
            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        except redis.RedisError as error:
            raise Refused(f"Redis is not reachable at {name}={url} ({error}). Start it "
                          f"(Debian: apt-get install redis-server) or set {name}.") from error


# --- processes ------------------------------------------------------------------------------------

def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM if this supervisor is killed outright (SIGKILL)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def run_step(command: list[str], env: dict[str, str], what: str) -> None:
    print(f"serve: {what}", flush=True)
    result = subprocess.run(command, cwd=BASE_DIR, env=env, check=False)
    if result.returncode:
        raise Refused(f"{what} failed (exit {result.returncode}): {' '.join(command)}")


def deploy_check(python: str, env: dict[str, str]) -> None:
    """Django's and the project's deployment checks, shown but not enforced: a pilot on one
    machine may serve as PostgreSQL's superuser, which audit.E001 reports (docs/audit.md)."""
    print("serve: manage.py check --deploy", flush=True)
    result = subprocess.run([python, "manage.py", "check", "--deploy"], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode or "no issues" not in result.stdout:
        print(f"serve: the deployment checks found this; the pilot starts anyway, production must not:\n"
              f"{result.stdout}{result.stderr}", flush=True)


def start(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True,
                               preexec_fn=_die_with_parent)
    print(f"serve: started {name} pid {process.pid}", flush=True)
    return process


def stop_all(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    """Front to back: nginx stops taking requests, gunicorn finishes the ones it holds, the
    worker finishes its tasks (unfinished ones go back to the queue), then beat."""
    graceful = {"nginx": signal.SIGQUIT, "gunicorn": signal.SIGTERM, "worker": signal.SIGTERM, "beat": signal.SIGTERM}
    for name, process in processes.items():
        if process.poll() is None:
            with_signal(process, graceful.get(name, signal.SIGTERM))
    deadline = time.monotonic() + STOP_SECONDS
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"serve: {name} did not stop in {STOP_SECONDS} s: killed", flush=True)
        # Whatever the process left in its group (gunicorn's workers, Celery's children) goes too.
        with_signal(process, signal.SIGKILL, group=True)
        process.wait()


def with_signal(process: subprocess.Popen[bytes], signum: int, *, group: bool = False) -> None:
    try:
        if group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
    except ProcessLookupError:
        pass


def wait_healthy(url: str, processes: dict[str, subprocess.Popen[bytes]], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise Refused(f"{name} exited (code {process.returncode}) while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own loopback URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise Refused(f"{url} did not answer 200 within {seconds:.0f} s")


def main() -> int:
    port = int(os.environ.get("PORT") or 8080)
    gunicorn_port = int(os.environ.get("GUNICORN_PORT") or port + 1)
    serve_dir = Path(os.environ.get("SERVE_DIR") or BASE_DIR / "var" / "serve").resolve()
    nginx_dir = serve_dir / "nginx"
    for folder in (serve_dir, nginx_dir, *(nginx_dir / "tmp" / name for name in
                                           ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))):
        folder.mkdir(parents=True, exist_ok=True)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    try:
        env = serve_env(environment(), port=port, gunicorn_port=gunicorn_port, serve_dir=serve_dir)
        if not Path(nginx).exists():
            raise Refused("nginx is not installed (Debian: apt-get install nginx).")
        check_redis(env)
        migrate_env = dict(env)
        if env.get("DATABASE_OWNER_URL"):
            # Two roles (docs/audit.md): the owner migrates; the serving role serves.
            migrate_env["DATABASE_URL"] = env["DATABASE_OWNER_URL"]
            migrate_env.pop("DATABASE_POOLER", None)
        python = str(VENV_BIN / "python")
        run_step([python, "manage.py", "migrate", "--no-input", "--verbosity", "1"], migrate_env, "migrating")
        if env.get("DATABASE_OWNER_URL"):
            serving_role = urlsplit(env["DATABASE_URL"]).username or ""
            run_step([python, "manage.py", "audit_grant_serving_role", serving_role], env,
                     f"granting the serving role {serving_role} its rights")
            env.pop("DATABASE_OWNER_URL")  # never where the application serves (audit.W001)
        deploy_check(python, env)
        run_step([python, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"], env,
                 "collecting static files into var/static/")
        site = nginx_dir / "khedmat.conf"
        site.write_text(render_site(SITE_TEMPLATE.read_text(encoding="utf-8"),
                                    upstreams=[f"127.0.0.1:{gunicorn_port}"], listen=f"127.0.0.1:{port}",
                                    static_parent=BASE_DIR / "var", log_dir=nginx_dir), encoding="utf-8")
        conf = nginx_dir / "nginx.conf"
        conf.write_text(main_conf(site, nginx_dir), encoding="utf-8")
        run_step([nginx, "-t", "-q", "-c", str(conf), "-p", str(nginx_dir)], env, "checking the nginx configuration")

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        processes["gunicorn"] = start("gunicorn", [str(VENV_BIN / "gunicorn"), "--config", str(GUNICORN_CONF),
                                                   "config.wsgi:application"], env)
        processes["worker"] = start("worker", [str(VENV_BIN / "celery"), "--app", "config.celery", "worker",
                                               "--loglevel", "INFO", "--hostname", f"serve-{port}@%h"], env)
        processes["beat"] = start("beat", [str(VENV_BIN / "celery"), "--app", "config.celery", "beat",
                                           "--loglevel", "INFO", "--schedule",
                                           str(serve_dir / "celerybeat-schedule")], env)
        processes["nginx"] = start("nginx", [nginx, "-c", str(conf), "-p", str(nginx_dir), "-g", "daemon off;"], env)
        wait_healthy(f"http://127.0.0.1:{port}/readyz", processes)
        print(f"\nAsan Khedmat (production form) is at http://127.0.0.1:{port}/  (Ctrl-C stops it)\n"
              f"  nginx :{port} → gunicorn :{gunicorn_port}, a Celery worker, Celery beat; logs of nginx in "
              f"{nginx_dir}\n", flush=True)
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise Refused(f"{name} exited (code {process.returncode}): stopping the others")
            time.sleep(0.5)
        print("serve: stopping", flush=True)
        return 0
    except Refused as refusal:
        print(f"make serve: {refusal}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(processes)
        if processes:
            print("serve: everything stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
