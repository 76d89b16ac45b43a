"""Publishing service definitions: versions are created, never altered, and refusals save nothing."""

from __future__ import annotations

from typing import Any

import pytest

from khedmat.accounts.models import User
from khedmat.catalog import services
from khedmat.catalog.definition import DefinitionError
from khedmat.catalog.models import Agency, Category, Service, ServiceVersion

from .factories import DELETE, PASSPORT_YAML, passport_definition, publish


def _rows() -> tuple[int, int]:
    return Service.objects.count(), ServiceVersion.objects.count()


def test_publishing_a_new_service_creates_version_1(moi: Agency, category: Category, moi_admin: User) -> None:
    version = services.service_publish(agency=moi, definition=passport_definition(), published_by=moi_admin)
    service = Service.objects.get(agency=moi, code="PSP")
    assert version.number == 1
    assert service.current_version == version
    assert service.slug == "passport"
    assert version.published_by == moi_admin
    assert version.category == category
    assert (version.name_en, version.name_fa) == ("Passport issuance and renewal", "صدور و تمدید پاسپورت")
    assert version.fee_min_afn == 5000
    assert version.time_standard_days == 10
    assert "passport" in version.search_text and "ministry of interior affairs" in version.search_text
    assert version.definition["agency"] == "MOI"


def test_publishing_the_same_definition_again_creates_nothing(passport: Service) -> None:
    before = _rows()
    version = publish(passport.agency)
    assert version == passport.current_version
    assert _rows() == before


def test_publishing_the_same_yaml_with_numeric_keys_again_creates_nothing(moi: Agency, category: Category) -> None:
    # YAML reads `5: 5000` as a number; the database keeps it as text. Still the same definition.
    text = PASSPORT_YAML.replace('options: {"5": 5000, "10": 8000}', "options: {5: 5000, 10: 8000}")
    assert text != PASSPORT_YAML
    first = services.service_import_yaml(agency=moi, text=text)
    second = services.service_import_yaml(agency=moi, text=text)
    assert first == second
    assert ServiceVersion.objects.count() == 1


def test_a_change_creates_version_2_and_leaves_version_1_as_it_was(passport: Service) -> None:
    first = passport.current_version
    assert first is not None
    published_before = first.definition

    changes: dict[str, Any] = {"fee.options": {"5": 6000, "10": 9000}, "time_standard_days": 7}
    second = publish(passport.agency, **changes)

    passport.refresh_from_db()
    first.refresh_from_db()
    assert second.number == 2
    assert passport.current_version == second
    assert second.fee_min_afn == 6000 and second.time_standard_days == 7
    assert first.definition == published_before
    assert first.definition["fee"]["options"] == {"5": 5000, "10": 8000}
    assert (first.fee_min_afn, first.time_standard_days) == (5000, 10)


def test_going_back_to_an_earlier_definition_is_a_new_version(passport: Service) -> None:
    publish(passport.agency, time_standard_days=7)
    third = publish(passport.agency)
    assert third.number == 3
    assert ServiceVersion.objects.filter(service=passport).count() == 3


@pytest.mark.parametrize("changes", [
    {"channels": ["online", "fax"]},
    {"workflow.initial": "draft"},
    {"form.properties.full_name.x-title": DELETE},
    {"fee.options": {"5": 5000}},
    {"category": "no-such-category"},
])
def test_a_refused_new_service_saves_nothing(moi: Agency, category: Category, changes: dict[str, Any]) -> None:
    before = _rows()
    with pytest.raises(DefinitionError):
        services.service_publish(agency=moi, definition=passport_definition(**changes))
    assert _rows() == before


@pytest.mark.parametrize("changes", [
    {"workflow.transitions.4.role": "minister"},
    {"fee.exemptions": ["veterans"]},
    {"slug": "passports"},  # a published service's address cannot change
])
def test_a_refused_change_saves_nothing_and_keeps_the_current_version(passport: Service,
                                                                     changes: dict[str, Any]) -> None:
    current = passport.current_version
    before = _rows()
    with pytest.raises(DefinitionError):
        publish(passport.agency, **changes)
    passport.refresh_from_db()
    assert _rows() == before
    assert passport.current_version == current


def test_a_definition_of_another_agency_is_refused(moi: Agency, mof: Agency, category: Category) -> None:
    before = _rows()
    with pytest.raises(DefinitionError) as caught:
        services.service_publish(agency=moi, definition=passport_definition(agency="MOF"))
    assert caught.value.path == "agency"
    assert "belongs to MOF, not MOI" in caught.value.message
    assert _rows() == before


def test_an_address_already_used_by_another_service_is_refused(passport: Service, mof: Agency) -> None:
    before = _rows()
    with pytest.raises(DefinitionError) as caught:
        publish(mof)  # the same slug "passport" under another agency
    assert caught.value.path == "slug"
    assert _rows() == before


def test_yaml_export_then_import_creates_no_new_version(passport: Service) -> None:
    text = services.service_export_yaml(service=passport)
    assert text.startswith("agency: MOI\ncode: PSP\n")
    before = _rows()
    version = services.service_import_yaml(agency=passport.agency, text=text)
    assert version == passport.current_version
    assert _rows() == before


def test_an_edited_export_imports_as_the_next_version(passport: Service) -> None:
    text = services.service_export_yaml(service=passport).replace("time_standard_days: 10", "time_standard_days: 5")
    version = services.service_import_yaml(agency=passport.agency, text=text)
    assert (version.number, version.time_standard_days) == (2, 5)


def test_exporting_a_service_without_a_version_is_refused(moi: Agency) -> None:
    service = Service.objects.create(agency=moi, code="NEW", slug="new")
    with pytest.raises(DefinitionError):
        services.service_export_yaml(service=service)


def test_withdrawing_a_service_keeps_its_versions(passport: Service) -> None:
    services.service_set_active(service=passport, is_active=False)
    passport.refresh_from_db()
    assert passport.is_active is False
    assert passport.current_version is not None
    services.service_set_active(service=passport, is_active=True)
    passport.refresh_from_db()
    assert passport.is_active is True
