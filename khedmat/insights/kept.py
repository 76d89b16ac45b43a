"""Rendered bodies of the performance pages, kept in the cache until the figures change.

A page's body is the same for every visitor in a language until the figures are rebuilt (at
most hourly) or the catalog changes a name it shows, so it is kept through the catalog's
fragments (catalog/fragments.py: under the catalog's version) with the figures' own version in
its name. Every build of a day gives the figures a new version when it commits. While the cache
is away, every request renders (slower, never wrong).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import transaction

from khedmat.catalog import fragments
from khedmat.core.caching import CacheVersion

VERSION_KEY = "insights:figures:version"
_VERSION = CacheVersion(VERSION_KEY, "figures version")
T = TypeVar("T")


def figures_version() -> str | None:
    return _VERSION.current()


def figures_changed() -> None:
    """The figures were rebuilt: pages kept from the old ones are not shown once this commits."""
    transaction.on_commit(_VERSION.renew)


def kept(*parts: object, render: Callable[[], T]) -> T:
    """`render()`'s value under the current figures (and catalog) version."""
    version = figures_version()
    if version is None:
        return render()
    return fragments.cached("performance", version, *parts, render=render)
