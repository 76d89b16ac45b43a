"""The `document` block of a service definition (khedmat/catalog/definition.py)."""

from __future__ import annotations

from typing import Any

import pytest

from khedmat.catalog.definition import DefinitionError, validate_definition
from khedmat.catalog.tests.factories import passport_definition

BLOCK: dict[str, Any] = {
    "kind": "certificate", "title": {"en": "Passport", "fa": "پاسپورت", "ps": "پاسپورټ"},
    "issue_in": "approved", "holder_field": "full_name", "fields": ["father_name", {"field": "date_of_birth"}],
    "validity": {"years_field": "validity_years"},
}


def with_block(**changes: Any) -> dict[str, Any]:
    definition = passport_definition()
    definition["document"] = {**BLOCK, **changes}
    return definition


def test_the_demonstration_passport_issues_a_certificate_on_approval() -> None:
    document = validate_definition(passport_definition())["document"]
    assert document["kind"] == "certificate" and document["issue_in"] == ["approved"]


def test_a_block_is_stored_normalised() -> None:
    document = validate_definition(with_block())["document"]
    assert document["issue_in"] == ["approved"]
    assert document["fields"] == [{"field": "father_name"}, {"field": "date_of_birth"}]


def test_a_definition_without_a_document_issues_none() -> None:
    definition = passport_definition()
    del definition["document"]
    assert "document" not in validate_definition(definition)


@pytest.mark.parametrize(("changes", "path"), [
    ({"kind": "diploma"}, "document.kind"),
    ({"title": {"en": "Passport"}}, "document.title.fa"),
    ({"issue_in": ["archived"]}, "document.issue_in"),
    ({"issue_in": ["INITIAL"]}, "document.issue_in"),
    ({"issue_in": []}, "document.issue_in"),
    ({"holder_field": "is_renewal"}, "document.holder_field"),
    ({"holder_field": "nickname"}, "document.holder_field"),
    ({"fields": ["father_name", "father_name"]}, "document.fields[1].field"),
    ({"fields": ["full_name"]}, "document.fields[0].field"),
    ({"fields": ["shoe_size"]}, "document.fields[0].field"),
    ({"fields": [{"field": "father_name", "colour": "red"}]}, "document.fields[0].colour"),
    ({"fields": [{"field": "father_name", "label": {"en": "Father"}}]}, "document.fields[0].label.fa"),
    ({"validity": {"years": 0}}, "document.validity.years"),
    ({"validity": {"days": 40000}}, "document.validity.days"),
    ({"validity": {"years": 5, "days": 3}}, "document.validity"),
    ({"validity": {"years_field": "father_name"}}, "document.validity.years_field"),
    ({"stamp": True}, "document.stamp"),
])
def test_faults_are_named(changes: dict[str, Any], path: str) -> None:
    definition = with_block(**changes)
    if definition["document"]["issue_in"] == ["INITIAL"]:  # a document cannot be issued on submission
        definition["document"]["issue_in"] = [definition["workflow"]["initial"]]
    with pytest.raises(DefinitionError) as error:
        validate_definition(definition)
    assert error.value.path == path
