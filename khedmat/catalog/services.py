"""Changing the catalog: agencies, categories, and publishing service definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from khedmat.audit.services import audit_record
from khedmat.core.pictograms import PICTOGRAMS

from .definition import (
    DefinitionError,
    check_references,
    definition_from_yaml,
    definition_to_yaml,
    fee_range,
    search_text,
    validate_definition,
)
from .models import Agency, Category, Service, ServiceVersion

if TYPE_CHECKING:
    from khedmat.accounts.models import User


def agency_upsert(*, code: str, slug: str, name: dict[str, str], description: dict[str, str] | None = None,
                  website: str = "") -> Agency:
    description = description or {}
    agency, _created = Agency.objects.update_or_create(
        code=code,
        defaults={
            "slug": slug, "website": website,
            **{f"name_{lang}": name[lang] for lang in ("en", "fa", "ps")},
            **{f"description_{lang}": description.get(lang, "") for lang in ("en", "fa", "ps")},
        },
    )
    return agency


def category_upsert(*, slug: str, name: dict[str, str], position: int = 0) -> Category:
    category, _created = Category.objects.update_or_create(
        slug=slug,
        defaults={"position": position, **{f"name_{lang}": name[lang] for lang in ("en", "fa", "ps")}},
    )
    return category


@transaction.atomic
def service_publish(*, agency: Agency, definition: dict[str, Any], published_by: User | None = None) -> ServiceVersion:
    """Publish a definition as the service's new current version.

    Refuses (DefinitionError, nothing saved) a malformed definition or one for another
    agency. Publishing what is already current creates nothing: re-running a seed or a
    second click on "publish" is harmless. Published versions are never altered.
    """
    definition = validate_definition(definition)
    check_references(definition)
    agency_code = definition.setdefault("agency", agency.code)
    if agency_code != agency.code:
        raise DefinitionError("agency", _("This definition belongs to %(other)s, not %(agency)s.") % {
            "other": agency_code, "agency": agency.code})
    category = Category.objects.filter(slug=definition["category"]).first()
    if category is None:
        raise DefinitionError("category", _("Unknown category %(category)r.") % {"category": definition["category"]})

    service = (
        Service.objects.select_for_update()
        .filter(agency=agency, code=definition["code"]).first()
    )
    if service is None:
        if Service.objects.filter(slug=definition["slug"]).exists():
            raise DefinitionError("slug", _("Another service already uses the address %(slug)r.") % {
                "slug": definition["slug"]})
        service = Service.objects.create(agency=agency, code=definition["code"], slug=definition["slug"])
    elif service.slug != definition["slug"]:
        raise DefinitionError("slug", _("A service's address (slug) cannot change once published."))

    current = service.current_version
    if current is not None and current.definition == definition:
        return current

    last_number = service.versions.order_by("-number").values_list("number", flat=True).first() or 0
    low_fee, _high_fee = fee_range(definition)
    version = ServiceVersion.objects.create(
        service=service,
        number=last_number + 1,
        category=category,
        definition=definition,
        name_en=definition["name"]["en"],
        name_fa=definition["name"]["fa"],
        name_ps=definition["name"]["ps"],
        search_text=search_text(definition, [agency.name_en, agency.name_fa, agency.name_ps]),
        fee_min_afn=low_fee,
        time_standard_days=definition["time_standard_days"],
        published_by=published_by,
    )
    service.current_version = version
    service.save(update_fields=["current_version"])
    audit_record(
        action="catalog.service_published", target_type="service", target_id=service.pk, actor=published_by,
        data={"agency": agency.code, "code": service.code, "version": version.number},
    )
    return version


def service_import_yaml(*, agency: Agency, text: str | bytes, published_by: User | None = None) -> ServiceVersion:
    """Publish a definition written as YAML (the agency admin's import)."""
    return service_publish(agency=agency, definition=definition_from_yaml(text), published_by=published_by)


def service_export_yaml(*, service: Service) -> str:
    """The service's current definition as YAML, ready to edit and import again."""
    if service.current_version is None:
        raise DefinitionError("", _("This service has no published version yet."))
    return definition_to_yaml(service.current_version.definition)


@transaction.atomic
def service_set_active(*, service: Service, is_active: bool) -> Service:
    """Withdraw a service from the catalog, or return it; its versions stay as they are."""
    if service.is_active != is_active:
        service.is_active = is_active
        service.save(update_fields=["is_active"])
    return service


def service_set_pictogram(*, service: Service, pictogram: str) -> Service:
    """Choose the picture the hall's kiosk shows for the service ("" for its queue group's)."""
    if pictogram and pictogram not in PICTOGRAMS:
        raise ValidationError(f"No pictogram {pictogram!r} (khedmat/core/pictograms.py).")
    if service.pictogram != pictogram:
        service.pictogram = pictogram
        service.save(update_fields=["pictogram"])
    return service
