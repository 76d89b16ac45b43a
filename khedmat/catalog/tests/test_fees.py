"""The one fee function: fixed, by option, exempt by the applicant's answer, free."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from khedmat.catalog.definition import DefinitionError, validate_definition
from khedmat.catalog.fees import FeeError, fee_for, fee_schedule


def definition(file_name: str) -> dict[str, Any]:
    text = Path(settings.BASE_DIR, "demo/services", file_name).read_text(encoding="utf-8")
    return validate_definition(yaml.safe_load(text))


PASSPORT = definition("moi-psp.yaml")
VEHICLE = definition("moi-vhr.yaml")
TRADE = definition("km-trl.yaml")
CRIMINAL_RECORD = definition("moi-ncr.yaml")
BIRTH = definition("nsia-brc.yaml")


def test_the_fee_by_option_is_the_line_of_the_chosen_validity() -> None:
    five, ten = fee_for(PASSPORT, {"validity_years": "5"}), fee_for(PASSPORT, {"validity_years": "10"})
    assert (five.amount, ten.amount) == (5000, 8000)
    assert five.line is not None and five.line.label["en"] == "Passport issuance and renewal — 5 years"
    assert five.line.label["fa"].endswith("۵ سال") and five.line.label["ps"].endswith("۵ کاله")
    assert five.exemption == ""


def test_a_fixed_fee_applies_its_one_line() -> None:
    assessment = fee_for(CRIMINAL_RECORD, {})
    assert assessment.amount == 300 and assessment.line is not None and assessment.line.key == ""


def test_a_free_service_costs_nothing_and_has_no_line() -> None:
    assessment = fee_for(BIRTH, {})
    assert assessment.amount == 0 and assessment.line is None and fee_schedule(BIRTH) == []


def test_an_applicant_in_an_exempt_category_pays_nothing_and_the_record_says_why() -> None:
    exempt = fee_for(VEHICLE, {"vehicle_type": "car", "fee_exemption": "persons_with_disabilities"})
    assert exempt.amount == 0 and exempt.schedule_amount == 5000
    assert exempt.exemption == "persons_with_disabilities"
    assert exempt.exemption_label["en"] == "Persons with disabilities"
    assert exempt.as_record()["schedule_amount"] == 5000 and exempt.as_record()["amount"] == 0
    assert fee_for(VEHICLE, {"vehicle_type": "car", "fee_exemption": "none"}).amount == 5000


def test_a_category_the_service_does_not_exempt_pays() -> None:
    # The vehicle registration exempts persons with disabilities only.
    assert fee_for(VEHICLE, {"vehicle_type": "car", "fee_exemption": "martyr_families"}).amount == 5000


def test_without_the_choice_that_sets_it_the_fee_cannot_be_told() -> None:
    with pytest.raises(FeeError):
        fee_for(PASSPORT, {})


@given(choice=st.sampled_from(["small", "medium", "large"]),
       claimed=st.one_of(st.none(), st.sampled_from(["none", "persons_with_disabilities", "martyr_families",
                                                      "students", ""])))
def test_the_fee_is_always_a_schedule_amount_or_nothing_when_exempt(choice: str, claimed: str | None) -> None:
    answers = {"premises_size": choice} | ({"fee_exemption": claimed} if claimed is not None else {})
    assessment = fee_for(TRADE, answers)
    schedule = {line.key: line.amount for line in fee_schedule(TRADE)}
    assert isinstance(assessment.amount, int)
    assert assessment.schedule_amount == schedule[choice]
    exempt = claimed in TRADE["fee"]["exemptions"]
    assert assessment.amount == (0 if exempt else schedule[choice])
    assert bool(assessment.exemption) == exempt


def test_the_catalog_page_shows_the_same_schedule() -> None:
    lines = fee_schedule(PASSPORT)
    assert [(line.key, line.amount, line.option_label["en"]) for line in lines] == [
        ("5", 5000, "5 years"), ("10", 8000, "10 years")]


# --- the definition's payment keys -------------------------------------------------------------

def test_an_exemption_field_must_offer_only_the_fees_exemptions() -> None:
    text = Path(settings.BASE_DIR, "demo/services/moi-vhr.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["form"]["properties"]["fee_exemption"]["enum"].append("students")
    with pytest.raises(DefinitionError) as refused:
        validate_definition(data)
    assert refused.value.path == "fee.exemption_field"


def test_an_exemption_field_must_be_a_field_with_choices() -> None:
    data = yaml.safe_load(Path(settings.BASE_DIR, "demo/services/moi-vhr.yaml").read_text(encoding="utf-8"))
    data["fee"]["exemption_field"] = "owner_name"
    with pytest.raises(DefinitionError) as refused:
        validate_definition(data)
    assert refused.value.path == "fee.exemption_field"


def test_the_payment_step_is_taken_by_the_platform_only() -> None:
    data = yaml.safe_load(Path(settings.BASE_DIR, "demo/services/moi-psp.yaml").read_text(encoding="utf-8"))
    index = next(i for i, t in enumerate(data["workflow"]["transitions"]) if t["name"] == "record_payment")
    data["workflow"]["transitions"][index]["role"] = "officer"
    with pytest.raises(DefinitionError) as refused:
        validate_definition(data)
    assert refused.value.path == f"workflow.transitions[{index}].role"
