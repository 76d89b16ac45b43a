"""The web worker's garbage collector (decision 0045): what the loaded application holds is
left out of the collector's scans, and young objects are collected less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from django.test import override_settings

from khedmat.core.collector import collector_tuned


@pytest.fixture
def collector_restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("collector_restored")
def test_the_loaded_application_is_frozen_and_young_objects_wait_longer() -> None:
    gc.unfreeze()
    assert collector_tuned((10_000, 10, 10)) == (10_000, 10, 10)
    # Django, its apps and ours, as loaded: none of it is scanned by a collection any more.
    assert gc.get_freeze_count() > 10_000
    held_by_app = len(gc.get_objects())
    assert held_by_app < gc.get_freeze_count()


@pytest.mark.usefixtures("collector_restored")
def test_the_setting_chooses_the_thresholds_and_empty_keeps_pythons() -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    with override_settings(GC_THRESHOLDS=(5_000, 20, 20)):
        assert collector_tuned() == (5_000, 20, 20)
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    with override_settings(GC_THRESHOLDS=()):
        assert collector_tuned() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("collector_restored")
def test_garbage_cycles_are_still_collected() -> None:
    """Collected less often is not never: a cycle made after tuning goes at the next pass."""
    collector_tuned((10_000, 10, 10))

    class Node:
        other: object = None

    first, second = Node(), Node()
    first.other, second.other = second, first
    del first, second
    assert gc.collect(0) >= 2
