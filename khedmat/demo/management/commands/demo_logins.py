"""Print the demonstration logins that `seed_demo` created, for `make run` to show, and a
fresh pairing link for each screen of the demonstration halls (the kiosk, the rating tablet).

Passwords come from demo/users.yaml (they are demonstration data, committed on purpose);
roles and second-factor devices come from the database, so the list shows what really exists.
A staff account that needs a second factor and has none (its factor was reset in the admin,
say) gets a fresh set-up link, as its administrator would issue one (DEBUG only).
The pairing codes are issued here, by each center's demonstration manager, as a manager does
on the staff page "Kiosks and tablets"; they are valid for DEMO_CODE_HOURS, and a screen
already paired keeps working until another screen uses its new code.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone, translation
from django_otp import devices_for_user

from khedmat.accounts import services as account_services
from khedmat.accounts.roles import Role
from khedmat.centers import selectors as center_selectors
from khedmat.centers.devices import device_pairing_code_issue
from khedmat.core.public import public_base_url

TOTP_COMMAND = ".venv/bin/python manage.py totp_code {username}"
DEMO_CODE_HOURS = 12


def demo_users(path: Path) -> list[dict[str, Any]]:
    """The entries of demo/users.yaml: a list, or a mapping with a `users` list (or username → entry)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    default_password = data.get("password", "") if isinstance(data, dict) else ""
    entries = data.get("users", data) if isinstance(data, dict) else data
    if isinstance(entries, dict):
        entries = [{"username": name, **(entry or {})} for name, entry in entries.items()
                   if isinstance(entry, dict | None)]
    users = []
    for entry in entries:
        if isinstance(entry, dict) and entry.get("username"):
            users.append({**entry, "password": entry.get("password", default_password)})
    return users


class Command(BaseCommand):
    help = "List the demonstration accounts with their passwords and how to get a second-factor code."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--base-url", default="", help="where the site is served (PUBLIC_BASE_URL by default)")
        parser.add_argument("--file", type=Path, default=Path(settings.BASE_DIR, "demo", "users.yaml"))
        parser.add_argument("--centers-file", type=Path, default=Path(settings.BASE_DIR, "demo", "centers.yaml"))

    def handle(self, *args: Any, base_url: str, file: Path, centers_file: Path, **options: Any) -> None:
        if not file.exists():
            self.stdout.write(f"No {file.name}: no demonstration logins.")
            return
        user_model = get_user_model()
        found = {user.get_username(): user for user in user_model.objects.filter(
            username__in=[entry["username"] for entry in demo_users(file)])}
        base_url = base = (base_url or public_base_url()).rstrip("/")  # the one public address (decision 0018)
        with translation.override("en"):
            citizen_sign_in = f"{base}{reverse('accounts:login')}"
            staff_sign_in = f"{base}{reverse('accounts:staff_login')}"
        citizens, staff = [], []
        for entry in demo_users(file):
            user = found.get(entry["username"])
            if user is None:
                continue
            role = user.get_role_display() if hasattr(user, "get_role_display") else entry.get("role", "")
            phone = getattr(user, "phone_number", None) or entry.get("phone_number") or entry.get("phone")
            if getattr(user, "role", "") == "citizen" and phone:
                citizens.append((str(role), str(phone), "(SMS code)", "the code is printed in this console"))
                continue
            second_factor = ""
            if any(True for _device in devices_for_user(user, confirmed=True)):
                second_factor = "then TOTP: " + TOTP_COMMAND.format(username=user.get_username())
            elif getattr(user, "needs_second_factor", False):
                second_factor = self._set_up_link(user, base_url)
            staff.append((str(role), user.get_username(), str(entry.get("password", "")), second_factor))
        if not citizens and not staff:
            self.stdout.write("No demonstration users yet: run `make seed`.")
            return
        # Citizens and staff sign in on different pages: a staff password typed into the
        # citizens' page (which asks for a mobile number) gets nowhere.
        for title, rows in ((f"Citizens sign in with their mobile number at {citizen_sign_in}", citizens),
                            (f"Staff sign in with username and password at {staff_sign_in}", staff)):
            if not rows:
                continue
            widths = [max(len(row[column]) for row in rows) for column in range(3)]
            self.stdout.write(f"{title}:")
            for row in rows:
                line = "  ".join(value.ljust(width) for value, width in zip(row[:3], widths, strict=True))
                self.stdout.write(f"  {line}  {row[3]}".rstrip())
        self._pairing_links(base_url, centers_file)

    def _pairing_links(self, base_url: str, centers_file: Path) -> None:
        """A new pairing code for each demonstration screen not revoked, as a link to open on it."""
        if not centers_file.exists():
            return
        entries = yaml.safe_load(centers_file.read_text(encoding="utf-8")) or []
        user_model = get_user_model()
        lines, until = [], None
        for entry in entries:
            names = {device["name"] for device in entry.get("devices") or []}
            center = next((c for c in center_selectors.center_list() if c.code == entry.get("code")), None)
            if not names or center is None:
                continue
            manager = user_model.objects.filter(role=Role.CENTER_MANAGER, center=center, is_active=True).first()
            if manager is None:
                continue
            for device in center_selectors.devices_of_center(center=center):
                if device.name not in names or device.is_revoked:
                    continue
                issued = device_pairing_code_issue(device=device, actor=manager, valid_minutes=DEMO_CODE_HOURS * 60)
                until = timezone.localtime(issued.expires_at)
                link = f"{base_url.rstrip('/')}/en/devices/pair/?code={issued.code}"
                lines.append(f"  {device.name} ({center.name_en}): {link}")
        if lines and until is not None:
            self.stdout.write(f"Screens of the hall (open the link on the screen, press Pair; valid until "
                              f"{until:%Y-%m-%d %H:%M}; a manager issues more under Center dashboard → Kiosks "
                              f"and tablets):")
            for line in lines:
                self.stdout.write(line)

    @staticmethod
    def _set_up_link(user: Any, base_url: str) -> str:
        """A new set-up code for an account without an authenticator, as a link to open."""
        if not settings.DEBUG:
            return "no authenticator yet: an administrator issues a set-up code"
        issued = account_services.staff_enrolment_code_issue(user=user, issued_by=None, reason="demonstration")
        with translation.override("en"):
            path = reverse("accounts:staff_enrol_link", args=[issued.code])
        return f"then set up an authenticator: {base_url.rstrip('/')}{path} (code {issued.display})"
