"""Render the main pages in English and Dari, on a phone (360 px) and a desktop (1280 px).

    .venv/bin/python scripts/screenshots.py          # or: make screenshots

Serves the site from a scratch database (var/screenshots.sqlite3, migrated and seeded) on a
free port, and saves full-page PNGs from Debian's Chromium as
docs/screenshots/<page>-<lang>-<width>.png.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUTPUT_DIR = BASE_DIR / "docs" / "screenshots"
PAGES = {"home": "", "services": "services/", "passport": "services/passport/", "sign-in": "account/sign-in/"}
LANGUAGES = ("en", "fa")
WIDTHS = (360, 1280)
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(database_url: str) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "true",
            "DATABASE_URL": database_url}


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the development server stopped (exit {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own local server)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def take_screenshots(base_url: str, output_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 800}, device_scale_factor=1)
            page = context.new_page()
            for language in LANGUAGES:
                for name, path in PAGES.items():
                    response = page.goto(f"{base_url}/{language}/{path}", wait_until="load")
                    if response is None or response.status != 200:
                        raise RuntimeError(f"/{language}/{path} answered {response and response.status}")
                    target = output_dir / f"{name}-{language}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    saved.append(target)
            context.close()
        browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the main pages into docs/screenshots/.")
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM_PATH).exists():
        print(f"Chromium is not at {CHROMIUM_PATH}: sudo apt-get install chromium, or set CHROMIUM_PATH.",
              file=sys.stderr)
        return 2
    (BASE_DIR / "var").mkdir(exist_ok=True)
    args.output.mkdir(parents=True, exist_ok=True)
    env = server_env(f"sqlite:///{BASE_DIR / 'var' / 'screenshots.sqlite3'}")
    manage(env, "compile_translations", "--verbosity", "0")
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    manage(env, "seed_demo", "--quiet")

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                              cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"{base_url}/healthz", server)
        saved = take_screenshots(base_url, args.output)
    finally:
        server.terminate()
        server.wait(timeout=10)
    for path in saved:
        print(path.relative_to(BASE_DIR) if path.is_relative_to(BASE_DIR) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
