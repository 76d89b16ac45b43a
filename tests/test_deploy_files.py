"""deploy/: what an operator installs is tested the way they would use it: the gunicorn
configuration loads with the values the topology needs, Debian's nginx accepts the site, systemd
accepts the units, Redis starts with each configuration (docs/deployment.md)."""

from __future__ import annotations

import configparser
import importlib.util
import multiprocessing
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from django.conf import settings

from tests.deploy_support import binary, free_port

BASE_DIR = Path(settings.BASE_DIR)
DEPLOY = BASE_DIR / "deploy"
UNITS = ("khedmat-web.service", "khedmat-worker.service", "khedmat-beat.service")
from scripts import serve  # noqa: E402  (renders the nginx site for make serve and the fault drill)


def load_gunicorn_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for name in [name for name in os.environ if name.startswith("GUNICORN_") or name == "PROMETHEUS_MULTIPROC_DIR"]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf", DEPLOY / "gunicorn.conf.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- gunicorn ------------------------------------------------------------------------------------

def test_gunicorn_runs_two_sync_workers_per_core_recycled_with_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_gunicorn_conf(monkeypatch)
    assert conf.worker_class == "sync"
    assert conf.workers == 2 * multiprocessing.cpu_count()
    assert conf.bind == ["127.0.0.1:8001"]  # the address nginx's upstream names
    assert conf.max_requests > 0 and 0 < conf.max_requests_jitter < conf.max_requests
    assert conf.timeout < 75, "nginx's proxy_read_timeout (75 s) must outlast gunicorn's worker timeout"
    assert conf.accesslog is None and conf.errorlog == "-"
    # Every gunicorn setting named here is one gunicorn knows (a typo would be silently ignored).
    from gunicorn.config import Config

    known = set(Config().settings)
    names = {name for name in vars(conf) if not name.startswith("_") and not callable(getattr(conf, name))
             and not isinstance(getattr(conf, name), ModuleType)}
    assert names - {"annotations"} <= known, sorted(names - known - {"annotations"})


def test_gunicorn_takes_bind_and_workers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_gunicorn_conf(monkeypatch, GUNICORN_BIND="10.0.0.5:8001", GUNICORN_WORKERS="3")
    assert conf.bind == ["10.0.0.5:8001"] and conf.workers == 3


def test_gunicorn_empties_the_prometheus_directory_and_marks_dead_workers(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    (directory / "counter_999.db").write_bytes(b"left by an earlier run")
    conf = load_gunicorn_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(directory))
    conf.on_starting(None)
    assert list(directory.iterdir()) == []
    pytest.importorskip("prometheus_client")
    (directory / "gauge_livesum_4242.db").write_bytes(b"")
    (directory / "counter_4242.db").write_bytes(b"")
    conf.child_exit(None, SimpleNamespace(pid=4242))
    # A dead worker's live gauges go; its counters stay (they still count towards the totals).
    assert sorted(path.name for path in directory.iterdir()) == ["counter_4242.db"]


# --- nginx ---------------------------------------------------------------------------------------

def nginx_test(tmp_path: Path, site: Path) -> subprocess.CompletedProcess[str]:
    nginx = binary("nginx", package="nginx")
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""pid {tmp_path / 'nginx.pid'};
error_log {tmp_path / 'error.log'};
events {{}}
http {{
    include /etc/nginx/mime.types;
    include {site};
}}
""", encoding="utf-8")
    return subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True,
                          timeout=30, check=False)


def test_nginx_accepts_the_site_as_shipped(tmp_path: Path) -> None:
    result = nginx_test(tmp_path, DEPLOY / "nginx" / "khedmat.conf")
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_site_renders_for_one_machine_and_for_two_web_nodes(tmp_path: Path) -> None:
    template = (DEPLOY / "nginx" / "khedmat.conf").read_text(encoding="utf-8")
    site = serve.render_site(template, upstreams=["127.0.0.1:9001", "127.0.0.1:9002"], listen="127.0.0.1:9000",
                             static_parent=tmp_path / "var", log_dir=tmp_path)
    upstream = re.search(r"upstream khedmat_web \{(.*?)\}", site, re.DOTALL)
    assert upstream and upstream.group(1).split() == ["server", "127.0.0.1:9001;", "server", "127.0.0.1:9002;"]
    assert "listen 127.0.0.1:9000;" in site and "[::]:80" not in site
    assert f"root {tmp_path / 'var'};" in site and f"access_log {tmp_path / 'access.log'};" in site
    path = tmp_path / "khedmat.conf"
    path.write_text(site, encoding="utf-8")
    result = nginx_test(tmp_path, path)
    assert result.returncode == 0, result.stderr


def test_nginx_site_limits_per_address_with_429_and_lets_centre_networks_through() -> None:
    site = (DEPLOY / "nginx" / "khedmat.conf").read_text(encoding="utf-8")
    assert site.lstrip("# \n").find("upstream khedmat_web {") < site.find("server {"), "the upstream block comes first"
    assert "limit_req_status 429;" in site
    assert re.search(r"geo \$khedmat_centre_network \{", site)
    # A hall behind one address has its own, ten times higher, limit; the public one is still generous.
    rates = dict(re.findall(r"limit_req_zone \S+ zone=(\w+):\S+ rate=(\d+)r/s;", site))
    assert int(rates["khedmat_centre"]) >= 10 * int(rates["khedmat_public"]) and int(rates["khedmat_public"]) >= 10
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site  # one proxy: TRUSTED_PROXIES=1
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "client_max_body_size 21m;" in site  # the largest upload a service may allow is 20 MB


def hammer(tmp_path: Path, site_text: str, requests: int) -> list[tuple[int, dict[str, str], str]]:
    """Start nginx with this site (no web node behind it: pages answer 502) and send `requests`
    requests at once from one address, a page and a static file in turn; return each answer."""
    nginx = binary("nginx", package="nginx")
    import http.client

    port = free_port()
    site = serve.render_site(site_text, upstreams=["127.0.0.1:9"], listen=f"127.0.0.1:{port}",
                             static_parent=tmp_path, log_dir=tmp_path)
    (tmp_path / "static").mkdir(parents=True)
    (tmp_path / "static" / "hall.txt").write_text("hall", encoding="utf-8")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / name).mkdir(parents=True)
    (tmp_path / "nginx.conf").write_text(serve.main_conf(tmp_path / "site.conf", tmp_path), encoding="utf-8")
    process = subprocess.Popen([nginx, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    answers = []
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for _ in range(100):
            try:
                connection.connect()
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "error.log").read_text(encoding="utf-8")
                time.sleep(0.05)
        for index in range(requests):
            connection.request("GET", "/static/hall.txt" if index % 2 else "/en/")
            response = connection.getresponse()
            answers.append((response.status, {k.lower(): v for k, v in response.getheaders()},
                            response.read().decode("utf-8")))
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    return answers


def test_one_address_flooding_is_told_429_in_three_languages_and_a_centre_network_is_not(tmp_path: Path) -> None:
    """The public limit (20 a second, bursts of 100) stops a flood of pages from one address with
    429; static files are never limited; the same flood from a centre's network (here the
    machine itself, listed in the geo block) passes: a hall behind one NAT address is not
    locked out."""
    template = (DEPLOY / "nginx" / "khedmat.conf").read_text(encoding="utf-8")
    as_public = template.replace("127.0.0.0/8 1;", "127.0.0.0/8 0;").replace("::1 1;", "::1 0;")
    assert as_public != template
    answers = hammer(tmp_path / "public", as_public, 600)
    pages = [status for status, _headers, _body in answers[0::2]]
    files = [status for status, _headers, _body in answers[1::2]]
    assert pages[:100] == [502] * 100, "the burst of 100 must reach the (absent) web node"
    assert 429 in pages and 503 not in pages
    assert files == [200] * 300
    _status, headers, body = next(answer for answer in answers if answer[0] == 429)
    assert headers.get("retry-after") == "5"
    assert "لطفاً چند ثانیه صبر کنید" in body and "صبر وکړئ" in body and "Please wait" in body

    answers = hammer(tmp_path / "centre", template, 600)
    assert {status for status, _headers, _body in answers} == {200, 502}


# --- systemd -------------------------------------------------------------------------------------

def read_unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return parser


@pytest.mark.parametrize("name", UNITS)
def test_systemd_unit_runs_hardened_as_khedmat_from_the_virtualenv(name: str) -> None:
    unit = read_unit(name)
    service = unit["Service"]
    assert service["User"] == "khedmat" and service["Group"] == "khedmat"
    assert service["EnvironmentFile"] == "/etc/khedmat/khedmat.env"
    assert service["Restart"] == "always"
    assert service["NoNewPrivileges"] == "yes" and service["PrivateTmp"] == "yes"
    assert service["ProtectSystem"] == "strict" and service["ReadWritePaths"] == "/srv/khedmat/var"
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in service["Environment"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    # The command is the virtualenv's, in the layout the units describe: /srv/khedmat is a checkout.
    command = shlex.split(service["ExecStart"])
    assert command[0].startswith("/srv/khedmat/.venv/bin/")
    here = BASE_DIR / command[0].removeprefix("/srv/khedmat/")
    assert here.exists(), f"{command[0]} has no counterpart {here} in this checkout's virtualenv"
    for argument in command[1:]:
        if argument.startswith("/srv/khedmat/") and not argument.startswith("/srv/khedmat/var/"):
            assert (BASE_DIR / argument.removeprefix("/srv/khedmat/")).exists(), argument


def test_the_environment_file_example_names_only_settings_that_exist() -> None:
    """deploy/systemd/khedmat.env.example: every name in it is one .env.example documents (a
    misspelt setting would be silently ignored), and it holds no secret."""
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (BASE_DIR / ".env.example").read_text(encoding="utf-8"),
                                re.MULTILINE))
    text = (DEPLOY / "systemd" / "khedmat.env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "CACHE_URL", "DATABASE_URL", "CELERY_BROKER_URL"} <= named
    assert not named - documented, sorted(named - documented)
    assert re.search(r"^SECRET_KEY=$", text, re.MULTILINE), "the example must not carry a key"
    assert "DATABASE_OWNER_URL=" not in text


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` on copies whose /srv/khedmat is this checkout: it checks every
    key, and that each command exists and can run."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; the units were checked key by key above")
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("/srv/khedmat", str(BASE_DIR)), encoding="utf-8")
    result = subprocess.run([analyze, "verify", *(str(tmp_path / name) for name in UNITS)], capture_output=True,
                            text=True, timeout=60, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    complaints = [line for line in output.splitlines() if "khedmat-" in line and
                  ("Unknown" in line or "ignoring" in line or "not executable" in line)]
    assert not complaints, "\n".join(complaints)


# --- Redis ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "policy"), [("khedmat.conf", "noeviction"), ("khedmat-cache.conf", "allkeys-lru")])
def test_redis_starts_with_the_configuration_and_its_eviction_policy(tmp_path: Path, name: str, policy: str) -> None:
    """The broker never evicts (a queued message would vanish); the cache evicts the least used."""
    server = binary("redis-server", package="redis-server")
    import redis

    port = free_port()
    process = subprocess.Popen([server, str(DEPLOY / "redis" / name), "--port", str(port), "--dir", str(tmp_path),
                                "--bind", "127.0.0.1", "--daemonize", "no", "--logfile", str(tmp_path / "redis.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port, socket_connect_timeout=1)
        for _ in range(50):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None, (tmp_path / "redis.log").read_text(encoding="utf-8")
                time.sleep(0.1)
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == policy
        assert int(str(client.config_get("maxmemory")["maxmemory"])) > 0
        client.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
