"""Write a service's current definition as YAML: `manage.py export_service MOI PSP > moi-psp.yaml`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from khedmat.catalog.models import Service
from khedmat.catalog.services import service_export_yaml


class Command(BaseCommand):
    help = "Print a service's current published definition as YAML, ready to edit and import again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agency", help="the agency's code, e.g. MOI")
        parser.add_argument("service", help="the service's code, e.g. PSP")
        parser.add_argument("--output", "-o", help="write to this file instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        service = (
            Service.objects.select_related("agency", "current_version")
            .filter(agency__code=options["agency"].upper(), code=options["service"].upper()).first()
        )
        if service is None:
            raise CommandError(f"{options['agency']} has no service with the code {options['service']!r}.")
        if service.current_version is None:
            raise CommandError("This service has no published version yet.")
        text = service_export_yaml(service=service)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote version {service.current_version.number} to {options['output']}.")
        else:
            self.stdout.write(text, ending="")
