"""Sections that apps above the catalog add to its pages, so the catalog imports none of them.

An app registers a section in its `AppConfig.ready()`: the page it goes on, the template
that draws it, and a provider returning that template's context (the service page passes
`service=`, the agency page `agency=`). The page includes every registered section's template, in the order of
registration, with the provider's context as `section`. With nothing registered the page
simply has no such section. The centers add "Service centers" to the home page and
"Where to go" to a service's page this way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HOME = "home"
SERVICE = "service"
AGENCY = "agency"
PAGES = (HOME, SERVICE, AGENCY)


@dataclass(frozen=True)
class Section:
    template_name: str
    provider: Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class RenderedSection:
    template_name: str
    context: dict[str, Any]


_sections: dict[str, dict[str, Section]] = {page: {} for page in PAGES}


def register(*, page: str, template_name: str, provider: Callable[..., dict[str, Any]]) -> None:
    """Add a section to `page` (idempotent: the same template again replaces it)."""
    if page not in PAGES:
        raise ValueError(f"No catalog page {page!r}; one of {', '.join(PAGES)}.")
    _sections[page][template_name] = Section(template_name=template_name, provider=provider)


def sections_for(page: str, **kwargs: Any) -> list[RenderedSection]:
    """The page's sections with their context; querysets in it stay lazy until rendered."""
    return [RenderedSection(template_name=section.template_name, context=section.provider(**kwargs))
            for section in _sections[page].values()]
