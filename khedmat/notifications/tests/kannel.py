"""A real Kannel for tests: bearerbox, smsbox and the `fakesmsc` test SMSC, on free ports.

    with running_kannel(tmp_path, inbound_url="http://127.0.0.1:8001/sms/inbound/kannel/?key=k") as kannel:
        Gateway(name="kannel", options=kannel.gateway_options()).send(sms)
        wait_for(lambda: kannel.received_texts())

What fakesmsc shows (Kannel 1.4.5): each message bearerbox hands it is one log line
`... DEBUG: Got message <n>: <<sender> <receiver> <kind> <payload>>`, where kind is
- `text`: GSM-7 text, printed raw (Kannel keeps it as UTF-8 inside);
- `ucs-2`: UCS-2 text, the UTF-16BE bytes url-encoded (space as `+`);
- `data`: 8-bit binary, url-encoded;
- `udh`: one part of a long message, `udh <udh> data <payload>`, both url-encoded, the
  payload UTF-8 for GSM-7 or UTF-16BE for UCS-2: the line does not say which.
bearerbox splits long messages itself (153 GSM-7 / 67 UCS-2 characters a part), so the fake
SMSC sees the parts; `received_texts()` joins them again. The protocol is line based: a GSM-7
text with line breaks comes as several lines, joined back with "\n" (a "\r" is lost).

Inbound texts go the other way: fakesmsc, started without messages, reads lines in the
same format from its stdin (`ucs2` for Unicode, `text` for GSM-7). It reads stdin with one
fgets() per select(), so a line waits in stdio's buffer until more input comes; a thread
writes an empty line (which fakesmsc ignores) every 50 ms to move things along, which also
makes fakesmsc print received messages at once instead of once a second. A line takes at
most 255 bytes (fakesmsc's buffer): some 40 Dari characters in `ucs2` form. smsbox's
`mo-recode` turns the UCS-2 text into UTF-8 before it calls the inbound URL.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar

from khedmat.notifications.sms.encoding import needs_ucs2
from tests.availability import unavailable

# Debian installs bearerbox and smsbox in /usr/sbin and fakesmsc (kannel-extras) outside PATH.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/lib/kannel/test"])
BINARIES = ("bearerbox", "smsbox", "fakesmsc")
INSTALL = "apt-get install kannel kannel-extras (fakesmsc is in kannel-extras, in /usr/lib/kannel/test)"
# fakesmsc reads stdin into a 256-byte buffer: a longer line would reach bearerbox cut in two.
MAX_INJECTED_LINE = 255
POKE_INTERVAL = 0.05
GLOBAL_SENDER = "1234"

T = TypeVar("T")


def kannel_binary(name: str) -> str | None:
    return shutil.which(name, path=SEARCH_PATH)


def kannel_available() -> bool:
    """Whether bearerbox, smsbox and fakesmsc are installed."""
    return all(kannel_binary(name) for name in BINARIES)


def require_kannel() -> None:
    """Skip (fail in CI) when Kannel is not installed."""
    missing = [name for name in BINARIES if not kannel_binary(name)]
    if missing:
        unavailable(f"Kannel is not installed ({', '.join(missing)} missing)", install=INSTALL)


def wait_for(predicate: Callable[[], T], timeout: float = 5.0, *, interval: float = 0.02, what: str = "") -> T:
    """Poll until `predicate()` is truthy and return it; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class FakeSmscMessage:
    """One message as bearerbox handed it to the fake SMSC (one part of a long one)."""

    sender: str
    receiver: str
    kind: str  # "text", "ucs-2", "data" or "udh", as fakesmsc shows it
    payload: bytes  # UTF-8 for GSM-7 text, UTF-16BE for UCS-2, as bearerbox sent them
    udh: bytes = b""

    @property
    def concatenation(self) -> tuple[int, int, int] | None:
        """(reference, parts, this part) from a concatenation UDH (IE 0x00 or 0x08), else None."""
        udh = self.udh
        if len(udh) >= 6 and udh[1] == 0x00 and udh[2] == 3:
            return udh[3], udh[4], udh[5]
        if len(udh) >= 7 and udh[1] == 0x08 and udh[2] == 4:
            return udh[3] << 8 | udh[4], udh[5], udh[6]
        return None

    @property
    def text(self) -> str:
        return decode_payload(self.kind, self.payload)


def decode_payload(kind: str, payload: bytes) -> str:
    """The text of a payload. A `udh` line does not say its coding: it is GSM-7 (UTF-8) when
    it reads as UTF-8 text that GSM-7 can carry, else UCS-2. That matches how the Kannel
    gateway chooses the coding; UTF-16BE of text that needs UCS-2 practically never reads so
    (Dari and Pashto have 0x06 bytes, Latin letters 0x00)."""
    if kind == "ucs-2":
        return payload.decode("utf-16-be")
    if kind in ("udh", "data"):
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("utf-16-be")
        return payload.decode("utf-16-be") if needs_ucs2(text) else text
    return payload.decode("utf-8")


def _url_decoded(value: str) -> bytes:
    return urllib.parse.unquote_to_bytes(value.replace("+", " "))


def parse_fakesmsc_log(log: bytes) -> list[FakeSmscMessage]:
    """The messages in fakesmsc's output. A GSM-7 text with a line break arrives as several
    lines (the fake SMSC protocol is line based): the lines after the first come as "messages"
    that do not parse, and are joined back with "\\n" (a "\\r\\n" comes back as "\\n")."""
    marker = b"Got message "
    messages: list[FakeSmscMessage] = []
    for raw in log.split(b"\n"):
        start = raw.find(marker)
        if start < 0:
            continue
        line = raw[start + len(marker) :]
        _, _, line = line.partition(b": <")
        line = line.removesuffix(b">")
        text = line.decode("utf-8", "surrogateescape")
        parsed = _parse_line(text)
        if parsed is not None:
            messages.append(parsed)
        elif messages and messages[-1].kind == "text":
            last = messages[-1]
            payload = last.payload + b"\n" + line
            messages[-1] = FakeSmscMessage(last.sender, last.receiver, last.kind, payload)
    return messages


def _parse_line(line: str) -> FakeSmscMessage | None:
    sender, _, rest = line.partition(" ")
    receiver, _, rest = rest.partition(" ")
    kind, _, payload = rest.partition(" ")
    if not sender or not receiver:
        return None
    if kind == "text":
        return FakeSmscMessage(sender, receiver, kind, payload.encode("utf-8", "surrogateescape"))
    if kind in ("ucs-2", "data"):
        return FakeSmscMessage(sender, receiver, kind, _url_decoded(payload))
    if kind == "udh":
        udh, _, data = payload.partition(" data ")
        return FakeSmscMessage(sender, receiver, kind, _url_decoded(data), udh=_url_decoded(udh))
    return None


def join_parts(messages: list[FakeSmscMessage]) -> list[tuple[str, str, str]]:
    """(sender, receiver, text) per message, the parts of a long message joined in order
    (listed where its first part arrived; incomplete ones are left out)."""
    joined: list[tuple[str, str, str]] = []
    groups: dict[tuple[str, str, int, int], dict[int, FakeSmscMessage]] = {}
    slots: dict[tuple[str, str, int, int], int] = {}
    for message in messages:
        concatenation = message.concatenation
        if concatenation is None:
            joined.append((message.sender, message.receiver, message.text))
            continue
        reference, total, number = concatenation
        key = (message.sender, message.receiver, reference, total)
        if key not in groups:
            groups[key] = {}
            slots[key] = len(joined)
            joined.append(("", "", ""))
        groups[key][number] = message
    for key, parts in groups.items():
        sender, receiver, _, total = key
        if sorted(parts) == list(range(1, total + 1)):
            payload = b"".join(parts[number].payload for number in range(1, total + 1))
            joined[slots[key]] = (sender, receiver, decode_payload("udh", payload))
    return [entry for entry in joined if entry[0]]


def fakesmsc_line(sender: str, receiver: str, text: str) -> str:
    """An inbound message in fakesmsc's format: UCS-2 (`ucs2`), as a phone sends Dari."""
    payload = urllib.parse.quote_plus(text.encode("utf-16-be"))
    return f"{sender} {receiver} ucs2 {payload}\n"


@dataclass
class Kannel:
    """A running Kannel; see running_kannel()."""

    workdir: Path
    admin_port: int
    smsbox_port: int
    sendsms_port: int
    fake_port: int
    username: str = "khedmat"
    password: str = field(default_factory=lambda: secrets.token_hex(8))
    admin_password: str = field(default_factory=lambda: secrets.token_hex(8))
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _stdin_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    @property
    def conf(self) -> Path:
        return self.workdir / "kannel.conf"

    def gateway_options(self, **extra: object) -> dict[str, object]:
        """Options for the Kannel gateway plug-in that point at this Kannel."""
        return {"url": self.sendsms_url, "username": self.username, "password": self.password, **extra}

    def received(self) -> list[FakeSmscMessage]:
        """Every message the fake SMSC got so far, long ones as their parts."""
        return parse_fakesmsc_log(self.log("fakesmsc"))

    def received_texts(self) -> list[tuple[str, str, str]]:
        """(sender, receiver, text) of every message the fake SMSC got, long ones joined."""
        return join_parts(self.received())

    def inject(self, sender: str, receiver: str, text: str) -> None:
        """A phone (`sender`) texts `receiver`: Kannel gets it from the fake SMSC as UCS-2."""
        self.inject_line(fakesmsc_line(sender, receiver, text))

    def inject_line(self, line: str) -> None:
        """Hand fakesmsc one line in its own format, e.g. "+93700123456 1234 text status"."""
        data = line.encode("utf-8")
        if not data.endswith(b"\n"):
            data += b"\n"
        if len(data) > MAX_INJECTED_LINE or b"\n" in data[:-1]:
            raise ValueError(f"fakesmsc takes one line of at most {MAX_INJECTED_LINE} bytes: {line!r}")
        self._write_stdin(data)

    def status(self) -> str:
        """bearerbox's status page ("" when it does not answer)."""
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?password={self.admin_password}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body: bytes = response.read()
                return body.decode("utf-8", "replace")
        except (OSError, urllib.error.URLError):
            return ""

    def log(self, name: str) -> bytes:
        """What a process (bearerbox, smsbox, fakesmsc) wrote to stdout and stderr."""
        path = self.workdir / f"{name}.out"
        return path.read_bytes() if path.exists() else b""

    def logs_tail(self, lines: int = 15) -> str:
        """The last lines of every log, for a failure message."""
        parts = []
        for path in sorted([*self.workdir.glob("*.out"), *self.workdir.glob("*-file.log")]):
            tail = path.read_bytes().decode("utf-8", "replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(parts)

    def _write_stdin(self, data: bytes) -> None:
        process = self.processes.get("fakesmsc")
        if process is None or process.stdin is None or process.poll() is not None:
            raise RuntimeError("fakesmsc is not running")
        with self._stdin_lock:
            os.write(process.stdin.fileno(), data)


def write_conf(kannel: Kannel, inbound_url: str | None) -> None:
    """A kannel.conf for one bearerbox, one fake SMSC and one smsbox, all on 127.0.0.1."""
    workdir = kannel.workdir
    lines = [
        "group = core",
        f"admin-port = {kannel.admin_port}",
        "admin-interface = 127.0.0.1",
        f'admin-password = "{kannel.admin_password}"',
        f"smsbox-port = {kannel.smsbox_port}",
        "smsbox-interface = 127.0.0.1",
        'box-allow-ip = "127.0.0.1"',
        f'log-file = "{workdir / "bearerbox-file.log"}"',
        "log-level = 0",
        f'access-log = "{workdir / "access.log"}"',
        "dlr-storage = internal",
        "",
        "group = smsc",
        "smsc = fake",
        "smsc-id = fake",
        f"port = {kannel.fake_port}",
        "our-host = 127.0.0.1",
        'connect-allow-ip = "127.0.0.1"',
        "",
        "group = smsbox",
        "bearerbox-host = 127.0.0.1",
        f"bearerbox-port = {kannel.smsbox_port}",
        f"sendsms-port = {kannel.sendsms_port}",
        "sendsms-interface = 127.0.0.1",
        f'global-sender = "{GLOBAL_SENDER}"',
        # A phone sends Dari as UCS-2; this makes smsbox turn it into UTF-8 before the get-url.
        "mo-recode = true",
        # Receipts and inbound texts in flight at once (512 by default): the live server opens a
        # database connection per request thread, and 300 receipts at once used up PostgreSQL's
        # 100 connections. Production sets the same bound (deploy/kannel/kannel.conf).
        "max-pending-requests = 8",
        f'log-file = "{workdir / "smsbox-file.log"}"',
        "log-level = 0",
        "",
        "group = sendsms-user",
        f'username = "{kannel.username}"',
        f'password = "{kannel.password}"',
        "concatenation = true",
        "max-messages = 10",
        # Lets a test provoke the "denied" answer: numbers starting +93799 are refused.
        'black-list-regex = "^\\+93799"',
        "",
    ]
    if inbound_url is not None:
        separator = "&" if urllib.parse.urlsplit(inbound_url).query else "?"
        lines += [
            "group = sms-service",
            "keyword = default",
            f'get-url = "{inbound_url}{separator}from=%p&text=%b&charset=%C&id=%I"',
            "max-messages = 0",  # the platform answers (or not) by its own SMS
            "catch-all = true",
            "",
        ]
    kannel.conf.write_text("\n".join(lines), encoding="utf-8")


class KannelExited(RuntimeError):
    """A box exited or found a port taken while starting (another program took it meanwhile)."""


@contextlib.contextmanager
def running_kannel(workdir: Path, *, inbound_url: str | None = None, timeout: float = 20.0) -> Iterator[Kannel]:
    """Start bearerbox, smsbox and fakesmsc on free ports; stop them all on the way out,
    also when the body raises.

    `inbound_url`: where smsbox sends inbound texts (from=%p&text=%b&charset=%C&id=%I are
    added). A box that exits or finds a port taken while starting is retried twice on other ports."""
    require_kannel()
    workdir.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):
        for old in [*workdir.glob("*.out"), *workdir.glob("*.log")]:
            old.unlink()  # a failed attempt's fakesmsc.out would count as received messages
        kannel = Kannel(workdir, free_port(), free_port(), free_port(), free_port())
        stop_poking = threading.Event()
        poker = threading.Thread(target=_poke, args=(kannel, stop_poking), daemon=True)
        try:
            write_conf(kannel, inbound_url)
            _start(kannel, timeout)
            poker.start()
        except KannelExited:
            _stop(kannel)
            if attempt == 2:
                raise
            continue
        except BaseException:
            _stop(kannel)
            raise
        try:
            yield kannel
        finally:
            stop_poking.set()
            poker.join(timeout=1)
            _stop(kannel)
        return


def _spawn(kannel: Kannel, name: str, *args: str, stdin: int | None = None) -> None:
    binary = kannel_binary(name)
    assert binary is not None
    with open(kannel.workdir / f"{name}.out", "ab") as output:
        kannel.processes[name] = subprocess.Popen(
            [binary, *args], stdin=stdin, stdout=output, stderr=subprocess.STDOUT, cwd=kannel.workdir
        )


def _start(kannel: Kannel, timeout: float) -> None:
    """bearerbox first (it listens for the others), then smsbox and fakesmsc; ready when the
    fake SMSC is online, smsbox is connected and sendsms answers."""
    deadline = time.monotonic() + timeout

    def wait(what: str, ready: Callable[[], bool]) -> None:
        while not ready():
            for name, process in kannel.processes.items():
                # bearerbox carries on without its admin port when the port is taken.
                if b"Address already in use" in kannel.log(name):
                    raise KannelExited(f"{name} found a port taken\n" + kannel.logs_tail())
                if process.poll() is not None:
                    raise KannelExited(f"{name} exited ({process.returncode}) while waiting for {what}\n"
                                       + kannel.logs_tail())
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kannel not ready after {timeout} s: {what}\n" + kannel.logs_tail())
            time.sleep(0.05)

    _spawn(kannel, "bearerbox", "-v", "1", str(kannel.conf))
    wait("bearerbox's fake SMSC listening", lambda: f"FAKE:{kannel.fake_port}" in kannel.status())
    _spawn(kannel, "smsbox", "-v", "1", str(kannel.conf))
    # No messages on the command line: fakesmsc reads them from stdin ("interactive mode").
    _spawn(kannel, "fakesmsc", "-H", "127.0.0.1", "-r", str(kannel.fake_port), "-i", "0", stdin=subprocess.PIPE)

    def online() -> bool:
        status = kannel.status()
        return "smsbox:" in status and f"FAKE:{kannel.fake_port} (online" in status

    wait("the fake SMSC online and smsbox connected", online)
    wait("sendsms answering", lambda: _answers(kannel.sendsms_url))


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 (our own URL)
    except urllib.error.HTTPError:
        return True  # 403 without a username: smsbox is there
    except (OSError, urllib.error.URLError):
        return False
    return True


def _poke(kannel: Kannel, stop: threading.Event) -> None:
    """Keep fakesmsc's stdin loop turning (see the module's docstring)."""
    while not stop.wait(POKE_INTERVAL):
        try:
            kannel._write_stdin(b"\n")
        except (OSError, RuntimeError):
            return


def _stop(kannel: Kannel) -> None:
    """fakesmsc ends when its stdin closes; the boxes get SIGTERM, then SIGKILL after 5 s."""
    fakesmsc = kannel.processes.get("fakesmsc")
    if fakesmsc is not None and fakesmsc.stdin is not None:
        with kannel._stdin_lock, contextlib.suppress(OSError):
            fakesmsc.stdin.close()
    for name in ("fakesmsc", "smsbox", "bearerbox"):
        process = kannel.processes.get(name)
        if process is None or process.poll() is not None:
            continue
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
    for name in ("fakesmsc", "smsbox", "bearerbox"):
        process = kannel.processes.get(name)
        if process is None:
            continue
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class RecordingServer:
    """A local HTTP server that answers 200 to any GET and remembers each path it got."""

    url: str
    paths: list[str] = field(default_factory=list)

    def matching(self, predicate: Callable[[str], bool]) -> list[str]:
        return [path for path in list(self.paths) if predicate(path)]

    def wait_for_paths(self, predicate: Callable[[str], bool], count: int = 1, timeout: float = 5.0) -> list[str]:
        """The recorded paths for which `predicate` holds, once there are at least `count`."""

        def enough() -> list[str]:
            found = self.matching(predicate)
            return found if len(found) >= count else []

        return wait_for(enough, timeout, what=f"{count} request(s) to {self.url}")


@contextlib.contextmanager
def recording_server() -> Iterator[RecordingServer]:
    """Stands in for the platform's receipt and inbound URLs."""
    server_paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_paths.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield RecordingServer(url=f"http://127.0.0.1:{server.server_address[1]}", paths=server_paths)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)
