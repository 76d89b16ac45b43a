"""A definition's workflow is built once per definition object (Workflow.of): the same
object gives the same workflow; another definition, even one equal to it or one that took
a freed object's place, gets its own."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from django.conf import settings

from khedmat.applications import workflow as workflow_module
from khedmat.applications.workflow import Workflow

_PASSPORT: dict = {}


def _definition() -> dict:
    """A new object each time, as each read of a definition from the cache gives."""
    if not _PASSPORT:
        _PASSPORT.update(yaml.safe_load(Path(settings.BASE_DIR, "demo/services/moi-psp.yaml").read_text(
            encoding="utf-8")))
    return copy.deepcopy(_PASSPORT)


def test_the_same_definition_gives_the_same_workflow_and_another_its_own() -> None:
    definition = _definition()
    first = Workflow.of(definition)
    assert Workflow.of(definition) is first

    changed = copy.deepcopy(definition)
    changed["workflow"]["initial"] = changed["workflow"]["states"][1]["name"]
    other = Workflow.of(changed)
    assert other is not first
    assert other.initial == changed["workflow"]["initial"] != first.initial


def test_a_definition_never_gets_the_workflow_of_one_freed_before_it() -> None:
    """Keyed by the object's id, with the object held: a new definition at a reused address
    is not mistaken for the old one."""
    for _ in range(50):
        definition = _definition()
        definition["workflow"]["initial"] = definition["workflow"]["states"][2]["name"]
        assert Workflow.of(definition).initial == definition["workflow"]["states"][2]["name"]
        del definition
        fresh = _definition()
        assert Workflow.of(fresh).initial == fresh["workflow"]["initial"]


def test_the_kept_workflows_are_bounded() -> None:
    for _ in range(workflow_module._BUILT_KEPT + 20):
        Workflow.of(_definition())
    assert len(workflow_module._BUILT) <= workflow_module._BUILT_KEPT
