"""What the HTTP benchmarks share: gunicorn serving a tree on a bench database, simulated
clients on plain `http.client`, the server's CPU time from /proc, and percentiles.

A server runs the production settings through `bench/control_settings.py`, which adds the
bench's bare control endpoints (`bench/control_urls.py`), its static root and, when asked, a
Celery queue of its own, and changes nothing else. Clients are
threads of the bench process; each keeps its own cookies, as a browser would.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SETTINGS_MODULE = "bench.control_settings"
CONTROL_FILES = ("control_settings.py", "control_urls.py")


# --- databases -----------------------------------------------------------------------------------

def database_url(base_url: str, name: str) -> str:
    """`base_url` (postgres://user@host:port/anything) pointing at database `name`."""
    return urlunsplit(urlsplit(base_url)._replace(path=f"/{name}"))


def _maintenance(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql", path="/postgres"))


def database_recreate(url: str) -> None:
    """Drop (forcing out any connection) and create the database `url` names: a bench's own."""
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    assert name.startswith(("khedmat_bench", "khedmat_fault")), f"refusing to drop {name}: not a bench database"
    with psycopg.connect(_maintenance(url), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_copy(source_url: str, target_url: str) -> None:
    """A fresh copy of a database (CREATE DATABASE … TEMPLATE): same rows, no re-seeding."""
    import psycopg
    from psycopg import sql

    source = urlsplit(source_url).path.lstrip("/")
    target = urlsplit(target_url).path.lstrip("/")
    assert target.startswith("khedmat_bench"), f"refusing to drop {target}: not a bench database"
    with psycopg.connect(_maintenance(source_url), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target)))
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(target),
                                                                         sql.Identifier(source)))


def postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(_maintenance(url)) as connection:
        row = connection.execute("SELECT version()").fetchone()
    return str(row[0]).split(" on ")[0] if row else "?"


# --- a broker of the bench's own -----------------------------------------------------------------------

def broker_queue() -> str:
    """A Celery queue of the bench's own (bench/control_settings.py reads BENCH_CELERY_QUEUE):
    its tasks, which no worker takes, can then be removed without touching anyone else's."""
    return f"khedmat-bench-{uuid.uuid4().hex[:12]}"


def broker_release(url: str, queue: str) -> int:
    """Remove the bench queue's keys from the Redis database `url`; how many tasks were in it."""
    import redis

    client = redis.Redis.from_url(url)
    tasks = 0
    for key in [*client.scan_iter(match=f"{queue}*"), *client.scan_iter(match=f"_kombu.binding*.{queue}*")]:
        if client.type(key) == b"list":
            tasks += int(client.llen(key))
        client.delete(key)
    return tasks


# --- CPU time from /proc ----------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the state on (the name may hold spaces)


def _cpu_ticks(fields: list[str], *, children: bool) -> int:
    # utime, stime (fields 14, 15), and cutime, cstime (16, 17) for children already reaped.
    ticks = int(fields[11]) + int(fields[12])
    return ticks + int(fields[13]) + int(fields[14]) if children else ticks


def _children(root: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == root:
                found.append(int(entry.name))
    return found


def process_tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of `root` and its living children, plus children it reaped."""
    fields = _stat(root)
    if fields is None:
        return 0.0
    ticks = _cpu_ticks(fields, children=True)
    for child in _children(root):
        child_fields = _stat(child)
        if child_fields is not None:
            ticks += _cpu_ticks(child_fields, children=True)
    return ticks / CLOCK_TICKS


def _tcp_client_ports(pids: Iterable[int]) -> set[int]:
    """The local ports of the TCP sockets these processes hold (their database connections)."""
    inodes = set()
    for pid in pids:
        try:
            for fd in os.scandir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(fd.path)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
        except OSError:
            continue
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def postgres_backends_cpu(database: str, client_pids: Iterable[int]) -> dict[int, int]:
    """CPU ticks by process of the PostgreSQL backends serving these client processes on
    `database` (matched by process title, "postgres: … user database host(port) state", and
    the clients' socket ports: other programs using the same database are not counted)."""
    ports = _tcp_client_ports(client_pids)
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            title = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if not title.startswith("postgres: ") or f" {database} " not in title:
            continue
        match = re.search(r"\((\d+)\)", title)
        if match and int(match.group(1)) in ports:
            fields = _stat(int(entry.name))
            if fields is not None:
                ticks[int(entry.name)] = _cpu_ticks(fields, children=False)
    return ticks


def backends_cpu_between(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU seconds the backends used between two readings (a backend that ended in between
    is missed: the servers keep their connections for the whole run, CONN_MAX_AGE)."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items()) / CLOCK_TICKS


def machine_busy(seconds: float = 1.0) -> float | None:
    """How busy the machine's CPUs are, in percent, over `seconds`."""
    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return values[3] + values[4], sum(values)

    try:
        idle0, total0 = sample()
        time.sleep(seconds)
        idle1, total1 = sample()
    except (OSError, ValueError):
        return None
    return 100.0 * (1 - (idle1 - idle0) / (total1 - total0)) if total1 > total0 else None


def code_state(tree: Path = BASE_DIR) -> str:
    """The commit a tree is at and how many files differ from it (others edit the same tree)."""
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=tree, capture_output=True, text=True, check=False)
        return result.stdout.strip()

    changed = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line]
    return f"{git('rev-parse', '--short', 'HEAD')}" + (f" + {len(changed)} changed files" if changed else "")


# --- gunicorn ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def install_control_files(tree: Path) -> None:
    """Put the bench's settings and control URLs in another tree's bench/ (a temporary
    worktree of an older commit), so it is served exactly as this one."""
    if tree.resolve() == BASE_DIR:
        return
    (tree / "bench").mkdir(exist_ok=True)
    (tree / "bench" / "__init__.py").touch()
    for name in CONTROL_FILES:
        shutil.copyfile(BASE_DIR / "bench" / name, tree / "bench" / name)


@dataclass
class Server:
    """gunicorn serving `tree` with sync workers on 127.0.0.1:`port`."""

    name: str
    tree: Path
    database_url: str
    port: int
    log: Path
    env: dict[str, str]
    workers: int = 4
    process: subprocess.Popen[bytes] | None = None
    extra_args: tuple[str, ...] = ()  # more gunicorn options (the fault drill's --preload)
    app: str = "config.wsgi:application"  # bench/sampled_wsgi.py's for --profile-format sampler

    @property
    def database(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")

    def start(self) -> None:
        python = BASE_DIR / ".venv" / "bin" / "python"
        command = [str(python), "-m", "gunicorn", "--workers", str(self.workers), "--worker-class", "sync",
                   "--bind", f"127.0.0.1:{self.port}", "--chdir", str(self.tree), "--log-level", "warning",
                   "--timeout", "60", *self.extra_args, self.app]
        log = self.log.open("ab")
        self.process = subprocess.Popen(command, cwd=self.tree, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        log.close()

    def wait_ready(self, path: str = "/bench/control/hello/", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited ({self.process.returncode}); see {self.log}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("POST", path, body=b"", headers={"Host": "127.0.0.1"})
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name}: not answering on port {self.port} after {timeout:.0f} s; see {self.log}")

    def cpu(self) -> float:
        return process_tree_cpu(self.process.pid) if self.process is not None else 0.0

    def database_cpu(self) -> dict[int, int]:
        if self.process is None:
            return {}
        return postgres_backends_cpu(self.database, [self.process.pid, *_children(self.process.pid)])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop: the workers follow
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# The Redis the bench servers keep their cache in (throttles, consent codes), as production
# must (config/settings/production.py refuses a cache of one process); each run's keys carry a
# prefix of their own (BENCH_CACHE_PREFIX, bench/control_settings.py) and expire with their windows.
BENCH_CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/0")


def server_env(*, database_url: str, static_root: Path, private_root: Path, extra: dict[str, str] | None = None,
               secret_key: str | None = None) -> dict[str, str]:
    """The environment of a production server on plain HTTP (config/settings/production.py):
    a random secret, the loopback's names, Redis for the cache."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "USSD_", "SMS_", "CACHE_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "SECRET_KEY": secret_key or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CACHE_URL": BENCH_CACHE_URL,
        "BENCH_CACHE_PREFIX": f"khedmat-bench-{uuid.uuid4().hex[:12]}",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback: no proxy in front here
        "DATABASE_URL": database_url,
        "BENCH_STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(private_root / "media"),
        "PRIVATE_STORAGE_ROOT": str(private_root / "private"),
        # Connections kept for the whole run (production keeps them 60 s), so that no database
        # backend ends, taking its CPU time with it, while a round is measured.
        "CONN_MAX_AGE": "3600",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",  # the temporary worktree stays clean
    })
    env.update(extra or {})
    return env


def collect_static(tree: Path, env: dict[str, str], log: Path) -> None:
    """collectstatic for the manifest storage production uses (pages name hashed files)."""
    python = BASE_DIR / ".venv" / "bin" / "python"
    with log.open("ab") as out:
        subprocess.run([str(python), "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=tree,
                       env=env, stdout=out, stderr=subprocess.STDOUT, check=True)


# --- clients -------------------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


class Browser:
    """One client: its cookies, and a connection reopened whenever the server closes it
    (gunicorn's sync workers close after each response)."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 60.0) -> None:
        self.port = port
        self.host = host
        self.timeout = timeout  # seconds a request may take before it counts as hung (status 0)
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, *, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        sent = {"Host": self.host, "User-Agent": "khedmat-bench", "Accept-Encoding": "identity"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        sent.update(headers or {})
        began = time.perf_counter()
        try:
            if self._connection is None:
                self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self._connection.request(method, path, body=body, headers=sent)
            response = self._connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return Answer(status=0, headers={"error": repr(error)}, body=b"", seconds=time.perf_counter() - began)
        seconds = time.perf_counter() - began
        for cookie in response.msg.get_all("Set-Cookie") or []:
            self._keep_cookie(cookie)
        answer = Answer(status=response.status, headers={k.lower(): v for k, v in response.getheaders()},
                        body=data, seconds=seconds)
        if response.will_close:
            self.close()
        return answer

    def _keep_cookie(self, header: str) -> None:
        pair, _sep, attributes = header.partition(";")
        name, _eq, value = pair.strip().partition("=")
        lowered = attributes.lower()
        if not value or value == '""' or "max-age=0" in lowered or "1970" in lowered:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", path, body=urlencode(fields).encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    def post_multipart(self, path: str, fields: dict[str, str],
                       files: dict[str, tuple[str, str, bytes]]) -> Answer:
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content_type, content) in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
                         f"\r\nContent-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, body=b"".join(parts),
                            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def hidden_value(html: bytes, name: str) -> str:
    """The value of the form field `name` in a page ("" when absent)."""
    match = re.search(rb'name="' + re.escape(name.encode()) + rb'" value="([^"]*)"', html)
    return match.group(1).decode() if match else ""


# --- the figures -------------------------------------------------------------------------------------

@dataclass
class Tally:
    """What a round's clients saw: latencies and answers by kind of request."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    unexpected: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    completed: int = 0  # user paths finished (a ticket issued, an application submitted, a session ended)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, answer: Answer, *, expected: Iterable[int] = (200,), problem: str = "") -> bool:
        """Count one answer; False (and a note of what came) when it is not the one expected."""
        ok = answer.status in tuple(expected) and not problem
        with self.lock:
            self.latencies[kind].append(answer.seconds)
            self.statuses[kind][answer.status] += 1
            if not ok:
                note = problem or (answer.headers.get("error") or
                                   f"{answer.status} {answer.body[:120].decode(errors='replace')!r}")
                self.unexpected[kind][note[:160]] += 1
        return ok

    def finished(self) -> None:
        with self.lock:
            self.completed += 1

    def merge(self, other: Tally) -> None:
        for kind, values in other.latencies.items():
            self.latencies[kind].extend(values)
        for kind, counts in other.statuses.items():
            self.statuses[kind].update(counts)
        for kind, notes in other.unexpected.items():
            self.unexpected[kind].update(notes)
        self.completed += other.completed

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def every_latency(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]

    def not_2xx_3xx(self) -> int:
        return sum(count for counts in self.statuses.values() for status, count in counts.items()
                   if not 200 <= status < 400)

    def unexpected_count(self) -> int:
        return sum(sum(notes.values()) for notes in self.unexpected.values())


def percentile_ms(values: list[float], percentile: float) -> float:
    """Nearest-rank percentile of `values` (seconds), in milliseconds; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percentile / 100 * len(ordered)) - 1))
    return ordered[index] * 1000


@dataclass
class Round:
    """One timed run of `clients` simulated clients against a server."""

    tally: Tally
    seconds: float
    server_cpu: float
    database_cpu: float
    client_cpu: float

    @property
    def rate(self) -> float:
        return self.tally.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu / self.tally.requests if self.tally.requests else float("nan")

    @property
    def database_ms_per_request(self) -> float:
        return 1000 * self.database_cpu / self.tally.requests if self.tally.requests else float("nan")


def run_clients(server: Server, *, clients: int, seconds: float,
                client: Callable[[int, float, Tally], None]) -> Round:
    """Run `client(index, deadline, tally)` in `clients` threads for `seconds`; measure the
    server's CPU (gunicorn master and workers), its database backends' and this process's."""
    tally = Tally()
    start = threading.Barrier(clients + 1)
    deadline_box: list[float] = []

    def body(index: int) -> None:
        start.wait()
        try:
            client(index, deadline_box[0], tally)
        except Exception as error:  # a client that dies is reported, not silent
            with tally.lock:
                tally.unexpected["client crashed"][repr(error)[:160]] += 1

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    server_before, database_before = server.cpu(), server.database_cpu()
    own_before = time.process_time()
    began = time.perf_counter()
    deadline_box.append(began + seconds)
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    server_cpu, database_after = server.cpu() - server_before, server.database_cpu()
    return Round(tally=tally, seconds=elapsed, server_cpu=server_cpu,
                 database_cpu=backends_cpu_between(database_before, database_after),
                 client_cpu=time.process_time() - own_before)
