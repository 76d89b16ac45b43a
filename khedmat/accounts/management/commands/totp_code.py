"""Print the current TOTP code of a staff member, for the demonstration logins.

Anyone who can run this holds every second factor, so it refuses to run on a production
configuration (DEBUG off) unless told --force.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from khedmat.accounts import selectors
from khedmat.accounts.models import User


class Command(BaseCommand):
    help = "Print the current authenticator (TOTP) code of a user's confirmed device (demonstrations only)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--force", action="store_true",
                            help="Run even though DEBUG is off (never on a real deployment).")

    def handle(self, *args: Any, username: str, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to print second-factor codes with DEBUG off; add --force if you must.")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        device = selectors.totp_device_confirmed(user=user)
        if device is None:
            raise CommandError(f"{username} has no confirmed authenticator device.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        code = str(totp.token()).zfill(device.digits)
        self.stdout.write(code)
        seconds_left = device.step - int(totp.time - device.t0) % device.step
        self.stderr.write(f"valid for about {seconds_left} more seconds")
