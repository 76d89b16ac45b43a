"""Rendered bodies of the performance pages, kept in the cache until the figures change.

A page's body is the same for every visitor in a language until the figures are rebuilt (at
most hourly) or the catalog changes a name it shows, so it is kept through the catalog's
fragments (catalog/fragments.py: under the catalog's version) with the figures' own version in
its name. Every build of a day gives the figures a new version when it commits. While the cache
is away, every request renders (slower, never wrong).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

from khedmat.catalog import fragments
from khedmat.core.caching import CACHE_UNAVAILABLE, cache_unavailable

VERSION_KEY = "insights:figures:version"
T = TypeVar("T")


def figures_version() -> str | None:
    try:
        current = cache.get(VERSION_KEY)
        if current is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            current = cache.get(VERSION_KEY)
    except CACHE_UNAVAILABLE as error:
        cache_unavailable("figures version", error)
        return None
    return current


def _new_version() -> None:
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except CACHE_UNAVAILABLE as error:
        cache_unavailable("figures version not renewed", error)


def figures_changed() -> None:
    """The figures were rebuilt: pages kept from the old ones are not shown once this commits."""
    transaction.on_commit(_new_version)


def kept(*parts: object, render: Callable[[], T]) -> T:
    """`render()`'s value under the current figures (and catalog) version."""
    version = figures_version()
    if version is None:
        return render()
    return fragments.cached("performance", version, *parts, render=render)
