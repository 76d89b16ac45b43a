"""Issue a second-factor set-up code from the command line, e.g. for the first platform
administrator (made with `createsuperuser`), who has nobody above them to issue one.

Whoever can run this already holds the server, so no administrator's permission is asked;
the code is still audited, and `--reset` (a lost phone) needs a reason.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import translation

from khedmat.accounts import selectors, services
from khedmat.core.formatting import format_datetime
from khedmat.core.public import public_base_url


class Command(BaseCommand):
    help = "Issue a one-time set-up code (and link) with which a staff member enrols an authenticator app."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", default="", help="Kept in the audit trail; required with --reset.")
        parser.add_argument("--reset", action="store_true",
                            help="Take away the account's authenticator and recovery codes first (a lost phone).")
        parser.add_argument("--base-url", default="", help="Where the site is reached (PUBLIC_BASE_URL by default).")

    def handle(self, *args: Any, username: str, reason: str, reset: bool, base_url: str, **options: Any) -> None:
        user = selectors.user_get_by_username(username=username)
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            if reset:
                issued = services.staff_second_factor_reset(user=user, reset_by=None, reason=reason)
            else:
                issued = services.staff_enrolment_code_issue(user=user, issued_by=None,
                                                             reason=reason or "command line")
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            path = reverse("accounts:staff_enrol_link", args=[issued.code])
        base = (base_url or public_base_url()).rstrip("/")
        self.stdout.write(f"Set-up code for {username}: {issued.display}")
        self.stdout.write(f"Link: {base}{path}")
        with translation.override("en"):
            self.stdout.write(f"Valid until {format_datetime(issued.enrolment.expires_at)}; it works once, "
                              "with the account's password.")
