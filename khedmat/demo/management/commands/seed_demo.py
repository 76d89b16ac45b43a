"""Load the demonstration data of demo/: categories, agencies, services, centers (with the
hall's paired screens) and users.

Everything goes through the domain services, the same path an administrator takes, and
everything is keyed on codes and slugs: a second run finds what the first created and
publishes no new service version, so `make run` can seed every time it starts.
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from khedmat.accounts import selectors as account_selectors
from khedmat.accounts import services as account_services
from khedmat.accounts.phone import normalize_mobile_number
from khedmat.accounts.roles import Role
from khedmat.applications import services as application_services
from khedmat.applications.selectors import citizen as application_selectors
from khedmat.catalog import selectors as catalog_selectors
from khedmat.catalog import services as catalog_services
from khedmat.catalog.definition import DefinitionError
from khedmat.centers import selectors as center_selectors
from khedmat.centers import services as center_services
from khedmat.centers.devices import device_add
from khedmat.complaints import selectors as complaint_selectors
from khedmat.complaints import services as complaint_services
from khedmat.core import services as core_services
from khedmat.core.errors import Refusal
from khedmat.payments import services as payment_services

if TYPE_CHECKING:
    from khedmat.accounts.models import User
    from khedmat.catalog.models import Agency, Category, Service
    from khedmat.centers.models import Center

DEMO_DIRECTORY = Path(settings.BASE_DIR, "demo")
# The tables the summary counts, by label: a census read from the app registry, so the seed
# reads no model of the apps it loads (it loads them through their services).
COUNTED = ("catalog.Category", "catalog.Agency", "catalog.Service", "catalog.ServiceVersion", "centers.Center",
           "centers.Counter", "centers.QueueGroup", "centers.AppointmentSchedule", "centers.Device", "accounts.User",
           "applications.Application", "complaints.Complaint", "core.Holiday")
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}


class Command(BaseCommand):
    help = "Load (or bring up to date) the demonstration agencies, services, centers and users."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="print nothing unless something fails")
        parser.add_argument("--directory", type=Path, default=DEMO_DIRECTORY,
                            help="where categories.yaml, agencies.yaml, services/ … are (default: demo/)")

    def handle(self, *args: Any, quiet: bool, directory: Path, **options: Any) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            # Accounts with passwords printed in the repository would be a way into a real service.
            raise CommandError(
                "Refused: these are production settings, and the demonstration accounts' passwords are published "
                "(demo/users.yaml). On a server that is itself a demonstration, set DEMO_SERVER=true.")
        before = _counts()
        try:
            with transaction.atomic():
                categories = _load_categories(_read(directory / "categories.yaml"))
                agencies = _load_agencies(_read(directory / "agencies.yaml"))
                services = _load_services(directory / "services", agencies)
                if (directory / "pictograms.yaml").exists():
                    _load_pictograms(_read(directory / "pictograms.yaml"), services)
                centers = _load_centers(_read(directory / "centers.yaml"), services)
                users = _load_users(_read(directory / "users.yaml"), agencies, centers)
                _load_devices(_read(directory / "centers.yaml"), centers, users)
                holidays = _read(directory / "holidays.yaml") if (directory / "holidays.yaml").exists() else []
                for holiday in holidays:
                    core_services.holiday_upsert(date=holiday["date"], name=holiday["name"])
                applicants: set[int] = set()
                files = 0
                if (directory / "applications.yaml").exists():
                    applicants, files = _load_applications(_read(directory / "applications.yaml"))
                complaints = 0
                if (directory / "complaints.yaml").exists():
                    complaints = _load_complaints(_read(directory / "complaints.yaml"), users)
        except (DefinitionError, ValidationError, Refusal, KeyError, ValueError) as error:
            raise CommandError(f"Demonstration data refused, nothing saved: {error}") from error
        if quiet:
            return
        after = _counts()
        new = {label: after[label] - before[label] for label in COUNTED}
        # Each number is of what the demonstration holds, counted as the "Created" line counts
        # it: the applicants of the demonstration files are users too.
        accounts = {user.pk for user in users} | applicants
        self.stdout.write(
            f"Demonstration data: {len(categories)} categories, {len(agencies)} agencies, "
            f"{len(services)} services ({new['catalog.ServiceVersion']} new versions), {len(centers)} centers "
            f"with {sum(center.counters.count() for center in centers.values())} counters, {len(accounts)} users "
            f"({len(users)} demonstration logins, {len(accounts) - len(users)} other applicants), "
            f"{files} applications, {complaints} complaints, {len(holidays)} public holidays."
        )
        created = ", ".join(f"{count} {apps.get_model(label)._meta.verbose_name_plural}"
                            for label, count in new.items() if count)
        self.stdout.write(f"Created: {created}." if created else "Nothing new: everything was already there.")


def _counts() -> dict[str, int]:
    return {label: apps.get_model(label)._default_manager.count() for label in COUNTED}


def _read(path: Path) -> Any:
    if not path.exists():
        raise CommandError(f"Missing {path}.")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _load_categories(entries: list[dict[str, Any]]) -> dict[str, Category]:
    return {
        entry["slug"]: catalog_services.category_upsert(slug=entry["slug"], name=entry["name"], position=position)
        for position, entry in enumerate(entries, start=1)
    }


def _load_agencies(entries: list[dict[str, Any]]) -> dict[str, Agency]:
    return {
        entry["code"]: catalog_services.agency_upsert(
            code=entry["code"], slug=entry["slug"], name=entry["name"],
            description=entry.get("description"), website=entry.get("website", ""),
        )
        for entry in entries
    }


def _load_services(directory: Path, agencies: dict[str, Agency]) -> dict[str, Service]:
    """Publish every definition in services/; the file name starts with the agency's code."""
    services: dict[str, Service] = {}
    for path in sorted(directory.glob("*.yaml")):
        code = path.stem.split("-", 1)[0].upper()
        if code not in agencies:
            raise CommandError(f"{path.name}: no agency {code} in agencies.yaml.")
        try:
            version = catalog_services.service_import_yaml(
                agency=agencies[code], text=path.read_text(encoding="utf-8"))
        except DefinitionError as error:
            raise CommandError(f"{path.name}: {error}") from error
        services[version.service.slug] = version.service
    return services


def _load_pictograms(entries: dict[str, str], services: dict[str, Service]) -> None:
    """The kiosk's picture of each service, by slug (pictograms.yaml)."""
    for slug, pictogram in entries.items():
        catalog_services.service_set_pictogram(service=_services_named([slug], services, where="pictograms.yaml")[0],
                                               pictogram=pictogram)


def _load_centers(entries: list[dict[str, Any]], services: dict[str, Service]) -> dict[str, Center]:
    centers: dict[str, Center] = {}
    for entry in entries:
        center = center_services.center_upsert(
            code=entry["code"], slug=entry["slug"], name=entry["name"], city=entry["city"],
            address=entry["address"], opens_at=time.fromisoformat(entry["opens_at"]),
            closes_at=time.fromisoformat(entry["closes_at"]),
            open_weekdays=[WEEKDAYS[day] for day in entry["open_days"]] if "open_days" in entry else None,
            open_on_holidays=bool(entry.get("open_on_holidays", False)),
        )
        offered = _services_named(entry["services"], services, where=entry["code"])
        center_services.center_offer_services(center=center, services=offered)
        for counter in entry.get("counters", []):
            served = offered if counter["services"] == "all" else _services_named(
                counter["services"], services, where=f"{entry['code']} counter {counter['number']}")
            designation = {"designation": counter["designation"]} if "designation" in counter else {}
            center_services.counter_upsert(center=center, number=counter["number"], services=served, **designation)
        _load_queue_groups(center, entry.get("queue_groups", []), services, offered)
        for schedule in entry.get("appointments", []):
            center_services.appointment_schedule_upsert(
                center=center, service=_services_named([schedule["service"]], services, where=entry["code"])[0],
                starts_at=time.fromisoformat(schedule["starts_at"]), ends_at=time.fromisoformat(schedule["ends_at"]),
                slot_minutes=schedule.get("slot_minutes", 15), capacity=schedule.get("capacity", 2),
                days_ahead=schedule.get("days_ahead", 14),
            )
        centers[center.code] = center
    return centers


def _load_queue_groups(center: Center, groups: list[dict[str, Any]], services: dict[str, Service],
                       offered: list[Service]) -> None:
    """The center's queue groups, each with the services of its list the center offers;
    every offered service must be in exactly one group."""
    grouped: set[str] = set()
    for group in groups:
        named = _services_named(group["services"], services, where=f"{center.code} group {group['letter']}")
        kept = [service for service in named if service in offered]
        if kept:
            made = center_services.queue_group_upsert(center=center, letter=group["letter"], name=group["name"],
                                                      services=kept)
            center_services.queue_group_set_pictogram(group=made, pictogram=group.get("pictogram", ""))
        grouped.update(service.slug for service in kept)
    if groups and (ungrouped := sorted({service.slug for service in offered} - grouped)):
        raise CommandError(f"{center.code}: services in no queue group: {', '.join(ungrouped)}.")


def _services_named(slugs: list[str], services: dict[str, Service], *, where: str) -> list[Service]:
    unknown = sorted(set(slugs) - set(services))
    if unknown:
        raise CommandError(f"{where}: no demonstration service {', '.join(unknown)}.")
    return [services[slug] for slug in slugs]


def center_manager(users: list[User], center: Center) -> User | None:
    """The demonstration manager of `center` (who pairs its screens)."""
    return next((user for user in users if user.role == Role.CENTER_MANAGER and user.center_id == center.pk), None)


def _load_devices(entries: list[dict[str, Any]], centers: dict[str, Center], users: list[User]) -> None:
    """The hall's screens of each center, added by its manager; one already there (not
    revoked) is kept with its pairing. Their codes are issued by `demo_logins`."""
    for entry in entries:
        if not entry.get("devices"):
            continue
        center = centers[entry["code"]]
        manager = center_manager(users, center)
        if manager is None:
            raise CommandError(f"{entry['code']}: devices need a center manager in users.yaml.")
        kept = {device.name for device in center_selectors.devices_of_center(center=center) if not device.is_revoked}
        for device in entry["devices"]:
            if device["name"] in kept:
                continue
            counter = next((c for c in center_selectors.counters_for_tablets(center=center)
                            if c.number == device.get("counter")), None)
            device_add(center=center, kind=device["kind"], name=device["name"], counter=counter, actor=manager)


def _load_users(data: dict[str, Any], agencies: dict[str, Agency], centers: dict[str, Center]) -> list[User]:
    """One account per entry; an account that exists already is left as its owner set it."""
    users = []
    for entry in data["users"]:
        if entry["role"] == Role.CITIZEN:
            phone_number = normalize_mobile_number(entry["phone_number"])
            user, _created = account_services.citizen_get_or_create(phone_number=phone_number)
            account_services.citizen_update_profile(
                user=user, full_name=entry["full_name"], tazkira_number=entry.get("tazkira_number", ""))
            users.append(user)
            continue
        existing = account_selectors.user_get_by_username(username=entry["username"])
        if existing is None:
            user = account_services.staff_user_create(
                username=entry["username"], password=entry.get("password", data["password"]),
                role=entry["role"], full_name=entry.get("full_name", ""),
                agency=agencies[entry["agency"]] if entry.get("agency") else None,
                center=centers[entry["center"]] if entry.get("center") else None,
                totp_key=entry.get("totp_key"),
            )
        else:
            user = existing
            if entry.get("totp_key") and account_selectors.totp_device_confirmed(user=user) is None:
                account_services.staff_totp_device_create(user=user, key=entry["totp_key"], confirmed=True)
        users.append(user)
    return users


def _load_applications(data: list[dict[str, Any]]) -> tuple[set[int], int]:
    """A few files in the Ministry of Interior's inbox, in various states, so that the back
    office has something to show. Each is keyed by its idempotency key: filed once.
    Returns the ids of their applicants and how many files there are."""
    applicants: set[int] = set()
    for entry in data:
        applicant, _created = account_services.citizen_get_or_create(
            phone_number=normalize_mobile_number(entry["phone_number"]))
        applicants.add(applicant.pk)
        if not applicant.full_name:
            account_services.citizen_update_profile(user=applicant, full_name=entry["full_name"])
        key = f"demo-{entry['key']}"
        if application_selectors.application_by_submission_token(applicant=applicant, token=key) is not None:
            continue
        service = catalog_selectors.service_get(slug=entry["service"])
        if service is None:
            raise CommandError(f"applications.yaml: no demonstration service {entry['service']}.")
        draft = application_services.application_draft_save(applicant=applicant, service=service,
                                                             data=entry["answers"])
        application = application_services.application_submit(application=draft, idempotency_key=key,
                                                               actor=applicant)
        for step in entry.get("steps", []):
            if step["by"] == "payment":  # the fee, paid through the demo payment provider
                application = payment_services.payment_demo_record(application=application, transaction_id=key)
                continue
            actor = applicant if step["by"] == "applicant" else account_selectors.user_get_by_username(
                username=step["by"])
            if actor is None:
                raise CommandError(f"applications.yaml: no demonstration account {step['by']}.")
            application = application_services.application_transition(
                application=application, actor=actor, transition=step["step"], expected_state=application.state,
                reason_text=step.get("reason", ""))
    return applicants, len(data)


def _load_complaints(data: list[dict[str, Any]], users: list[User]) -> int:
    """A few complaints, each filed once (keyed), with the steps staff took; the platform
    administrator sits on the ombudsman desk (decision 0033)."""
    for user in users:
        if user.role == Role.PLATFORM_ADMIN:
            complaint_services.ombudsman_desk_add(user=user)
    for entry in data:
        key = f"demo-complaint-{entry['key']}"
        if complaint_selectors.complaint_by_key(key=key) is not None:
            continue
        phone = normalize_mobile_number(entry["phone_number"])
        filed_by = account_selectors.user_by_phone(phone_number=phone) if entry.get("signed_in") else None
        complaint = complaint_services.complaint_file(
            about=entry["about"], category=entry["category"], description=entry["description"], phone=phone,
            channel=entry.get("channel", "web"), language=entry.get("language", "fa"), filed_by=filed_by,
            service=catalog_selectors.service_get(slug=entry["service"]) if entry.get("service") else None,
            center=center_selectors.center_by_code(code=entry["center"]) if entry.get("center") else None,
            anonymous=bool(entry.get("anonymous")), idempotency_key=key)
        for step in entry.get("steps", []):
            actor = None if step["by"] == "complainant" else account_selectors.user_get_by_username(
                username=step["by"])
            complaint = complaint_services.complaint_transition(
                complaint=complaint, step=step["step"], expected_state=complaint.state, actor=actor,
                as_complainant=step["by"] == "complainant", text=step.get("text", ""))
        if entry.get("rating"):
            complaint_services.complaint_rate(complaint=complaint, rating=int(entry["rating"]))
    return len(data)
