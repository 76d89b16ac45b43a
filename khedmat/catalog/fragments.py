"""Rendered parts of the public catalog pages, kept in the cache under one catalog version.

The home, the catalog lists and a service's page are the same for every visitor in a language
until someone changes what they show, so their rendered body is kept in the shared cache
(Redis in production) and the page only draws its shell (header, the visitor's menu, messages,
today's date) around it. Nothing per visitor goes in: no CSRF token, no user, no messages.

A kept body is used only while the catalog version it was rendered under is the current one.
Any save or delete of a model the pages show (the catalog's own; the centers add theirs with
`watch`) gives the catalog a new version at once and again when the transaction commits, so a
page rendered from the old rows just before the commit is not kept under the new version: a
visitor never sees a page older than the last committed change. One round trip to the cache
reads both the version and the body.

Kept values may be pickled model instances (a kept service), so the version's own key carries the
schema they were made under: after a deploy that changes a model (and so adds a migration) or
Django, nothing kept by the code before it is read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import django
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from khedmat.core.caching import CACHE_UNAVAILABLE, CacheVersion, cache_unavailable

PROJECT = Path(__file__).resolve().parent.parent


def schema_stamp(root: Path = PROJECT) -> str:
    """Django's version and the names of the project's migrations, shortly hashed."""
    names = sorted(path.relative_to(root).as_posix() for path in root.glob("*/migrations/0*.py"))
    return hashlib.sha256("\n".join([django.get_version(), *names]).encode()).hexdigest()[:12]


VERSION_KEY = f"catalog:fragments:version:{schema_stamp()}"
KEEP_SECONDS = 60 * 60 * 24
T = TypeVar("T")

_watched: set[type[models.Model]] = set()


_VERSION = CacheVersion(VERSION_KEY, "catalog version")


def version() -> str | None:
    """The current catalog version (a new one is made when the cache has none); None while the
    cache is away (decision 0028): then nothing is kept or read from what was kept."""
    return _VERSION.current()


def _new_version() -> None:
    # The change is saved; while the cache is away, what was kept may be shown until the cache
    # loses it or the next change (a restarted Redis keeps nothing: docs/decisions/0028).
    _VERSION.renew()


def bump() -> None:
    """Give the catalog a new version now and once more when the current transaction commits."""
    _new_version()
    transaction.on_commit(_new_version)


# This process's own copies of the fragments asked for `in_process`: key → (catalog version, value).
_in_process: dict[str, tuple[str, Any]] = {}


def cached(name: str, *parts: Any, render: Callable[[], T], in_process: bool = False) -> T:
    """The value `render()` gave under the current catalog version, rendered again when it changed.

    `parts` name the fragment (the language, a slug): keep them short and free of personal data.
    While the cache is away, every call renders (the page is slower, never wrong or refused).

    `in_process`: this process also keeps the value under the version it was read or rendered
    under, and while that is still the current version, the call reads the version alone (one
    round trip as before, without moving and unpickling the value). The value is then the same
    object for every request of this process: only for values its callers never change.
    """
    key = ":".join(["catalog:fragment", name, *(str(part) for part in parts)])
    mine = _in_process.get(key) if in_process else None
    try:
        found = cache.get_many([VERSION_KEY] if mine is not None else [VERSION_KEY, key])
        current = found.get(VERSION_KEY) or version()
        if mine is not None:
            if current is not None and mine[0] == current:
                return mine[1]
            found = cache.get_many([key])  # the catalog changed since: the shared copy, if any
    except CACHE_UNAVAILABLE as error:
        cache_unavailable("catalog fragment", error)
        return render()
    kept = found.get(key)
    if current is not None and kept is not None and kept[0] == current:
        value = kept[1]
    else:
        value = render()
        if current is not None:
            try:
                cache.set(key, (current, value), timeout=KEEP_SECONDS)
            except CACHE_UNAVAILABLE as error:
                cache_unavailable("catalog fragment", error)
    if in_process and current is not None:
        _in_process[key] = (current, value)
    return value


def watch(*watched: type[models.Model]) -> None:
    """Give the catalog a new version whenever a row of these models is saved or deleted, or a
    many-to-many link of theirs changes (a centre offering a service)."""
    _watched.update(model._meta.concrete_model or model for model in watched)


def _concrete(model: type[models.Model]) -> type[models.Model] | None:
    meta = getattr(model, "_meta", None)
    return meta.concrete_model if meta is not None else None


def _on_save_or_delete(sender: type[models.Model], **kwargs: Any) -> None:
    if _concrete(sender) in _watched:
        bump()


def _on_links_changed(sender: type[models.Model], instance: models.Model, action: str, **kwargs: Any) -> None:
    if action.startswith("post_") and _concrete(type(instance)) in _watched:
        bump()


post_save.connect(_on_save_or_delete, dispatch_uid="catalog-fragments-save")
post_delete.connect(_on_save_or_delete, dispatch_uid="catalog-fragments-delete")
m2m_changed.connect(_on_links_changed, dispatch_uid="catalog-fragments-links")
