"""Checking a service definition: every fault is refused with a message that names it."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khedmat.catalog.definition import (
    DefinitionError,
    definition_from_yaml,
    definition_to_yaml,
    fee_range,
    validate_definition,
)

from .factories import DELETE, PASSPORT_YAML, passport_definition, set_path

FINAL = {"name": "archived", "label": {"en": "Archived", "fa": "بایگانی", "ps": "آرشیف"}, "final": True}
ON_HOLD = {"name": "on_hold", "label": {"en": "On hold", "fa": "معطل", "ps": "ځنډول شوی"}}


def _refused(definition: dict[str, Any]) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        validate_definition(definition)
    return caught.value


def _with_state(state: dict[str, Any], *transitions: dict[str, Any]) -> dict[str, Any]:
    definition = passport_definition()
    definition["workflow"]["states"].append(state)
    definition["workflow"]["transitions"].extend(transitions)
    return definition


def _transition(name: str, source: str | list[str], target: str, role: str = "officer") -> dict[str, Any]:
    return {"name": name, "from": source, "to": target, "role": role,
            "label": {"en": name, "fa": name, "ps": name}}


def test_the_passport_example_is_accepted_and_normalised() -> None:
    definition = definition_from_yaml(PASSPORT_YAML)
    assert definition["code"] == "PSP"
    assert fee_range(definition) == (5000, 8000)
    # Defaults are written out, so a stored definition says everything explicitly.
    assert definition["required_documents"][0]["required"] is True
    assert definition["required_documents"][0]["max_size_mb"] == 5
    assert definition["workflow"]["transitions"][0]["from"] == ["submitted"]
    assert definition["workflow"]["transitions"][0]["needs_reason"] is False


def test_validation_does_not_change_what_it_is_given() -> None:
    original = passport_definition()
    given_copy = copy.deepcopy(original)
    validate_definition(given_copy)
    assert given_copy == original


def test_yaml_export_reads_back_to_the_same_definition() -> None:
    definition = definition_from_yaml(PASSPORT_YAML)
    text = definition_to_yaml(definition)
    assert "channels: [online, center]" in text
    assert definition_from_yaml(text) == definition


# --- Each fault class the issue names ---------------------------------------------------------

def test_bad_json_schema_is_refused() -> None:
    error = _refused(passport_definition(**{"form.properties.full_name.type": "text"}))
    assert error.path.startswith("form")
    assert "not valid JSON Schema" in error.message


def test_a_form_that_is_not_an_object_schema_is_refused() -> None:
    error = _refused(passport_definition(form={"type": "string"}))
    assert error.path == "form"
    assert "type: object" in error.message


@pytest.mark.parametrize("language", ["fa", "ps"])
def test_a_form_field_without_its_dari_or_pashto_title_is_refused(language: str) -> None:
    error = _refused(passport_definition(**{f"form.properties.full_name.x-title.{language}": DELETE}))
    assert error.path == "form.properties.full_name.x-title"
    assert "titles in Dari and Pashto" in error.message


def test_a_form_field_without_its_english_title_is_refused() -> None:
    error = _refused(passport_definition(**{"form.properties.father_name.title": DELETE}))
    assert error.path == "form.properties.father_name.title"


@pytest.mark.parametrize("key", ["name", "summary", "eligibility"])
@pytest.mark.parametrize("language", ["en", "fa", "ps"])
def test_a_missing_translation_of_a_text_is_refused(key: str, language: str) -> None:
    error = _refused(passport_definition(**{f"{key}.{language}": "  "}))
    assert error.path == f"{key}.{language}"
    assert "missing" in error.message


def test_a_missing_translation_of_a_document_name_is_refused() -> None:
    error = _refused(passport_definition(**{"required_documents.0.name.ps": DELETE}))
    assert error.path == "required_documents[0].name.ps"


def test_an_unknown_channel_is_refused() -> None:
    error = _refused(passport_definition(channels=["online", "fax"]))
    assert error.path == "channels"
    assert "Unknown channel 'fax'" in error.message


def test_fee_options_that_do_not_match_the_fields_choices_are_refused() -> None:
    error = _refused(passport_definition(**{"fee.options": {"5": 5000, "20": 12000}}))
    assert error.path == "fee.options"
    assert "match the choices of the field validity_years" in error.message


def test_a_fee_on_a_field_that_does_not_exist_is_refused() -> None:
    error = _refused(passport_definition(**{"fee.option_field": "colour"}))
    assert error.path == "fee.option_field"


def test_a_fee_on_an_optional_field_is_refused() -> None:
    # An applicant could leave the field empty, and the fee would be unknown.
    error = _refused(passport_definition(**{"form.required": ["full_name", "father_name", "date_of_birth"]}))
    assert error.path == "fee.option_field"
    assert "must require it" in error.message


def test_an_unknown_exemption_is_refused() -> None:
    error = _refused(passport_definition(**{"fee.exemptions": ["veterans"]}))
    assert error.path == "fee.exemptions"
    assert "Unknown exemption" in error.message
    assert "persons_with_disabilities" in error.message  # says what is allowed


def test_a_fee_with_parts_of_another_kind_is_refused() -> None:
    error = _refused(passport_definition(fee={"kind": "free", "amount": 100}))
    assert error.path == "fee.amount"


def test_a_fixed_fee_needs_an_amount() -> None:
    error = _refused(passport_definition(fee={"kind": "fixed"}))
    assert error.path == "fee.amount"


def test_a_workflow_with_an_unreachable_state_is_refused() -> None:
    error = _refused(_with_state(FINAL))
    assert error.path == "workflow.states"
    assert "archived cannot be reached from awaiting_payment" in error.message


def test_a_workflow_with_a_dead_end_state_is_refused() -> None:
    error = _refused(_with_state(ON_HOLD, _transition("hold", "in_review", "on_hold")))
    assert error.path == "workflow.states"
    assert "on_hold is a dead end" in error.message


def test_a_workflow_with_no_final_state_is_refused() -> None:
    definition = passport_definition()
    for state in definition["workflow"]["states"]:
        state["final"] = False
    error = _refused(definition)
    assert error.path == "workflow.states"
    assert "no final state" in error.message


def test_a_transition_for_an_unknown_role_is_refused() -> None:
    error = _refused(passport_definition(**{"workflow.transitions.4.role": "minister"}))
    assert error.path == "workflow.transitions[4].role"
    assert "Unknown role 'minister'" in error.message


def test_a_transition_leaving_a_final_state_is_refused() -> None:
    definition = passport_definition()
    definition["workflow"]["transitions"].append(_transition("reopen", "rejected", "in_review"))
    error = _refused(definition)
    assert error.path == f"workflow.transitions[{len(definition['workflow']['transitions']) - 1}].from"
    assert "final state rejected cannot be left" in error.message


def test_an_initial_state_that_is_not_a_state_is_refused() -> None:
    error = _refused(passport_definition(**{"workflow.initial": "draft"}))
    assert error.path == "workflow.initial"
    assert "'draft' is not one of the states" in error.message


def test_a_transition_to_an_unknown_state_is_refused() -> None:
    error = _refused(passport_definition(**{"workflow.transitions.0.to": "limbo"}))
    assert error.path == "workflow.transitions[0].to"


# --- Tightened checks -------------------------------------------------------------------------

def test_a_yaml_date_is_refused_rather_than_stored_changed() -> None:
    error = _refused(passport_definition(**{"form.properties.date_of_birth.default": datetime.date(2000, 1, 1)}))
    assert error.path == "form.properties.date_of_birth.default"
    assert "date" in error.message


# --- Limits on date answers (x-minimum, x-maximum) ------------------------------------------------

DOB = "form.properties.date_of_birth"


@pytest.mark.parametrize(("minimum", "maximum"), [
    ("today-120y", "today"), ("1300-01-01", "today"), ("today-35y", "today-18y"), ("1300-01-01", "1400-12-29"),
    ("today", "today+30d"), ("TODAY - 6m", "today"),
])
def test_date_limits_are_accepted_as_written(minimum: str, maximum: str) -> None:
    definition = validate_definition(passport_definition(**{f"{DOB}.x-minimum": minimum, f"{DOB}.x-maximum": maximum}))
    field = definition["form"]["properties"]["date_of_birth"]
    assert (field["x-minimum"], field["x-maximum"]) == (minimum, maximum)


@pytest.mark.parametrize("written", ["tomorrow", "today-120 years", "today-500y", "2000-01-01", "1300-13-01",
                                     "1100-01-01", "today-٢y", 1300, True, None, ["today"]])
def test_a_date_limit_that_cannot_be_read_is_refused_with_the_syntax(written: Any) -> None:
    error = _refused(passport_definition(**{f"{DOB}.x-maximum": written}))
    assert error.path == f"{DOB}.x-maximum"
    assert "today-120y" in error.message and "1300-01-01" in error.message


def test_a_yaml_date_as_a_limit_must_be_quoted() -> None:
    error = _refused(passport_definition(**{f"{DOB}.x-minimum": datetime.date(1921, 3, 21)}))
    assert error.path == f"{DOB}.x-minimum" and "put a date in quotes" in error.message


def test_limits_the_wrong_way_round_are_refused() -> None:
    error = _refused(passport_definition(**{f"{DOB}.x-minimum": "today", f"{DOB}.x-maximum": "today-18y"}))
    assert error.path == f"{DOB}.x-minimum"
    assert "after the latest" in error.message


def test_date_limits_on_a_field_that_is_not_a_date_are_refused() -> None:
    error = _refused(passport_definition(**{"form.properties.full_name.x-maximum": "today"}))
    assert error.path == "form.properties.full_name.x-maximum"
    assert "format: date" in error.message


def test_every_date_of_birth_in_the_demonstration_is_limited_to_the_past() -> None:
    for path in sorted(Path(django_settings.BASE_DIR, "demo", "services").glob("*.yaml")):
        form = definition_from_yaml(path.read_text(encoding="utf-8"))["form"]["properties"]
        for name, field in form.items():
            if field.get("format") == "date":
                assert "x-minimum" in field, (path.name, name)
                assert field.get("x-maximum", "").startswith("today"), (path.name, name)


def test_final_must_be_true_or_false() -> None:
    error = _refused(passport_definition(**{"workflow.states.4.final": "yes"}))
    assert error.path == "workflow.states[4].final"


def test_choice_titles_must_name_real_choices_in_three_languages() -> None:
    error = _refused(passport_definition(**{"form.properties.validity_years.x-enum-titles.15": {
        "en": "15 years", "fa": "۱۵ سال", "ps": "۱۵ کاله"}}))
    assert error.path == "form.properties.validity_years.x-enum-titles.15"
    error = _refused(passport_definition(**{"form.properties.validity_years.x-enum-titles.5.ps": DELETE}))
    assert error.path == "form.properties.validity_years.x-enum-titles.5.ps"


def test_numeric_option_keys_are_stored_as_text() -> None:
    definition = passport_definition(**{"fee.options": {5: 5000, 10: 8000}})
    assert validate_definition(definition)["fee"]["options"] == {"5": 5000, "10": 8000}


def test_broken_yaml_names_the_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        definition_from_yaml("code: PSP\nname: [unclosed\n")
    assert "not valid YAML" in caught.value.message
    assert caught.value.path.startswith("line ")


@pytest.mark.parametrize("value", [None, [], "text", 42])
def test_a_definition_that_is_not_a_mapping_is_refused(value: Any) -> None:
    with pytest.raises(DefinitionError):
        validate_definition(value)


@pytest.mark.parametrize(("path", "value"), [
    ("channels", [["online"]]),
    ("fee.exemptions", [{"a": 1}]),
    ("workflow.transitions.0.from", [["submitted"]]),
    ("workflow.transitions.0.to", {"state": "in_review"}),
    ("workflow.transitions.0.role", ["officer"]),
    ("workflow.initial", ["submitted"]),
    ("form.properties.full_name", True),
    ("name", {"en": "x", "fa": "y", "ps": "z", 1: "w", "de": "v"}),
])
def test_values_of_the_wrong_shape_are_refused_not_crashed_on(path: str, value: Any) -> None:
    _refused(passport_definition(**{path: value}))


# --- Properties --------------------------------------------------------------------------------

@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_removing_any_transitions_never_crashes_the_validator(data: st.DataObject) -> None:
    definition = passport_definition()
    transitions = definition["workflow"]["transitions"]
    kept = data.draw(st.lists(st.sampled_from(range(len(transitions))), unique=True))
    definition["workflow"]["transitions"] = [transitions[index] for index in sorted(kept)]
    try:
        result = validate_definition(definition)
    except DefinitionError as error:
        assert error.message
    else:
        # Whatever is accepted has every state reachable and able to finish.
        assert len(result["workflow"]["transitions"]) == len(kept)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**8) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: str = "") -> list[str]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, f"{prefix}.{index}" if prefix else str(index))
    return found


_PASSPORT_PATHS = _paths(passport_definition())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(_PASSPORT_PATHS), _JSON)
def test_any_part_replaced_by_anything_is_accepted_or_refused_never_crashed_on(path: str, value: Any) -> None:
    definition = passport_definition()
    set_path(definition, path, value)
    try:
        validate_definition(definition)
    except DefinitionError as error:
        assert error.message
