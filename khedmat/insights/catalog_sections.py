"""Links from the catalog's pages to the public figures (khedmat/catalog/sections.py).

The catalog keeps its pages' bodies in the cache until the catalog changes, so the sections
carry only links (which do not go stale), never the figures themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from khedmat.catalog import sections

if TYPE_CHECKING:
    from khedmat.catalog.models import Agency, Service


def home_link() -> dict[str, Any]:
    return {}


def service_link(*, service: Service) -> dict[str, Any]:
    return {"slug": service.slug}


def agency_link(*, agency: Agency) -> dict[str, Any]:
    return {"slug": agency.slug}


def register() -> None:
    sections.register(page=sections.HOME, template_name="insights/catalog/home_link.html", provider=home_link)
    sections.register(page=sections.SERVICE, template_name="insights/catalog/service_link.html",
                      provider=service_link)
    sections.register(page=sections.AGENCY, template_name="insights/catalog/agency_link.html",
                      provider=agency_link)
