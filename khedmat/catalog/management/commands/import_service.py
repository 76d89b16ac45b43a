"""Publish a service definition from a YAML file: `manage.py import_service moi-psp.yaml --agency MOI`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from khedmat.accounts import selectors as account_selectors
from khedmat.catalog.definition import DefinitionError
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.services import service_import_yaml
from khedmat.core.yaml_input import YamlRefused, load_yaml


class Command(BaseCommand):
    help = ("Check a service definition written in YAML and publish it as the service's new version "
            "(nothing is saved if it is refused). Publishing an unchanged definition creates nothing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the YAML file, or - to read standard input")
        parser.add_argument("--agency", help="the agency's code, e.g. MOI (default: the file's `agency`)")
        parser.add_argument("--by", metavar="USERNAME", help="record this account as the publisher")

    def handle(self, *args: Any, **options: Any) -> None:
        text = sys.stdin.read() if options["file"] == "-" else self._read(options["file"])
        agency_code = options["agency"] or _agency_in(text)
        if not agency_code:
            raise CommandError("Name the agency with --agency or an `agency:` line in the file.")
        agency = Agency.objects.filter(code=agency_code.upper()).first()
        if agency is None:
            raise CommandError(f"No agency has the code {agency_code!r}.")
        publisher = None
        if options["by"]:
            publisher = account_selectors.user_get_by_username(username=options["by"])
            if publisher is None:
                raise CommandError(f"No account is named {options['by']!r}.")
        before = dict(Service.objects.filter(agency=agency).values_list("pk", "current_version_id"))
        try:
            version = service_import_yaml(agency=agency, text=text, published_by=publisher)
        except DefinitionError as error:
            raise CommandError(f"Refused, nothing saved: {error}") from error
        label = f"{agency.code}-{version.service.code}"
        if before.get(version.service_id) == version.pk:
            self.stdout.write(f"No change: {label} version {version.number} is current.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Published {label} version {version.number}."))

    @staticmethod
    def _read(name: str) -> str:
        try:
            return Path(name).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {name}: {error}") from error


def _agency_in(text: str) -> str | None:
    """The `agency` of the file, if it names one (the full check happens when publishing)."""
    try:
        data = load_yaml(text)
    except YamlRefused:
        return None  # publishing reads the text again and says what is wrong with it
    agency = data.get("agency") if isinstance(data, dict) else None
    return agency if isinstance(agency, str) else None
