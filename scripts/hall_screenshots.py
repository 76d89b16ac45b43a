"""Screenshots of the hall (issue 10): the kiosk with its pictograms at 360 px and at a tablet's
width, and the printed ticket at 58 mm (220 px) and 80 mm (302 px), in Dari and Pashto.

Run against a server of this checkout with the demonstration data (it pairs a kiosk of Kabul
and takes a ticket through the database the server uses):

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python scripts/hall_screenshots.py \
        http://127.0.0.1:8106
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = BASE_DIR / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
TABLET = 800


def _pairing_code_and_ticket() -> tuple[str, str]:
    import django

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()
    from khedmat.accounts.models import User
    from khedmat.catalog.models import Service
    from khedmat.centers.devices import device_add
    from khedmat.centers.models import Center, Device
    from khedmat.centers.services import ticket_issue

    center = Center.objects.get(slug="kabul")
    manager = User.objects.filter(center=center, role="center_manager").first()
    issued = device_add(center=center, kind=Device.Kind.KIOSK, name="Screenshots kiosk", actor=manager)
    passport = Service.objects.get(slug="passport")
    for _ in range(3):
        ticket_issue(center=center, service=passport)
    ticket = ticket_issue(center=center, service=passport)
    return issued.code, str(ticket.public_id)


def main(base_url: str) -> int:
    from playwright.sync_api import sync_playwright

    code, ticket = _pairing_code_and_ticket()
    taken = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        kiosk = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1)
        page = kiosk.new_page()
        page.goto(f"{base_url}/fa/devices/pair/")
        page.fill("input[name=code]", code)
        page.click("form button[type=submit]")
        for language in ("fa", "ps"):
            for width, name in ((360, "360"), (TABLET, "tablet")):
                page.set_viewport_size({"width": width, "height": 900 if width > 360 else 740})
                page.goto(f"{base_url}/{language}/centers/kabul/kiosk/")
                path = OUT / f"kiosk-{language}-{name}.png"
                page.screenshot(path=str(path), full_page=width == 360)
                taken.append(path)
        kiosk.close()
        for language in ("fa", "ps"):
            for width, paper, suffix in ((220, "58", ""), (303, "80", "-80mm")):
                # The slip as the roll's width shows it (the print styles only hide the links below it).
                printer = browser.new_context(viewport={"width": width, "height": 600}, device_scale_factor=2)
                page = printer.new_page()
                page.goto(f"{base_url}/{language}/tickets/{ticket}/print/?paper={paper}")
                path = OUT / f"ticket-print-{language}{suffix}.png"
                page.locator("main.slip").screenshot(path=str(path))
                taken.append(path)
                printer.close()
        browser.close()
    for path in taken:
        print(path.relative_to(BASE_DIR))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8106"))
