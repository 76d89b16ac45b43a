"""The administration site: agency administrators define their own agency's services, and
nothing of another agency; every other role sees only what it runs."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from khedmat.accounts.models import Role, User
from khedmat.catalog.models import Agency, Category, Service, ServiceVersion
from khedmat.centers.models import Center
from khedmat.notifications.services import message_queue

from .factories import StaffFactory, definition_form_data, passport_definition, publish, verified_client


def _change_url(service: Service) -> str:
    return reverse("admin:catalog_service_change", args=[service.pk])


def _current(service: Service) -> dict[str, Any]:
    service.refresh_from_db()
    assert service.current_version is not None
    # A copy: a published definition is shared by every row that loads it (core.fields), and
    # these tests edit what they read.
    return copy.deepcopy(service.current_version.definition)


@pytest.fixture
def moi_client(moi_admin: User) -> Client:
    return verified_client(moi_admin)


@pytest.fixture
def platform_client(platform_admin: User) -> Client:
    return verified_client(platform_admin)


# --- Who gets in -----------------------------------------------------------------------------

def test_roles_that_administer_something_get_staff_status(moi_admin: User, moi_officer: User,
                                                         platform_admin: User, kabul_manager: User) -> None:
    assert moi_admin.is_staff and platform_admin.is_staff and kabul_manager.is_staff
    assert not moi_officer.is_staff


def test_an_officer_cannot_open_the_admin(moi_officer: User, passport: Service) -> None:
    client = verified_client(moi_officer)
    response = client.get(reverse("admin:catalog_service_changelist"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_an_officer_made_staff_by_mistake_still_sees_no_catalog(moi_officer: User, passport: Service) -> None:
    moi_officer.is_staff = True
    moi_officer.save(update_fields=["is_staff"])
    client = verified_client(moi_officer)
    assert client.get(reverse("admin:catalog_service_changelist")).status_code == 403
    assert client.get(_change_url(passport)).status_code in (403, 404)
    assert client.get(reverse("admin:catalog_service_export", args=[passport.pk])).status_code in (403, 404)
    assert "Services" not in client.get(reverse("admin:index")).content.decode()


def test_an_administrator_without_the_second_factor_is_sent_to_give_it(moi_admin: User, passport: Service) -> None:
    client = Client()
    client.force_login(moi_admin)
    response = client.get(reverse("admin:catalog_service_changelist"))
    assert response.status_code == 302
    assert "/admin/catalog/" not in response["Location"]


# --- An agency administrator and another agency's services ----------------------------------

def test_agency_admin_lists_only_their_own_agencys_services(moi_client: Client, passport: Service,
                                                           tax_service: Service) -> None:
    page = moi_client.get(reverse("admin:catalog_service_changelist")).content.decode()
    assert "MOI-PSP" in page
    assert "MOF-TIN" not in page and "Tax identification number" not in page
    versions = moi_client.get(reverse("admin:catalog_serviceversion_changelist")).content.decode()
    assert "Passport issuance and renewal" in versions
    assert "Tax identification number" not in versions


@pytest.mark.parametrize("name", ["change", "history", "export"])
def test_agency_admin_cannot_view_another_agencys_service(moi_client: Client, tax_service: Service,
                                                          name: str) -> None:
    response = moi_client.get(reverse(f"admin:catalog_service_{name}", args=[tax_service.pk]))
    assert response.status_code == 404


def test_agency_admin_cannot_change_another_agencys_service(moi_client: Client, tax_service: Service) -> None:
    before = ServiceVersion.objects.count()
    data = definition_form_data(_current(tax_service), time_standard_days="3")
    assert moi_client.post(_change_url(tax_service), data).status_code == 404
    withdraw = reverse("admin:catalog_service_active", args=[tax_service.pk])
    assert moi_client.post(withdraw, {"is_active": "0"}).status_code == 404
    tax_service.refresh_from_db()
    assert tax_service.is_active
    assert ServiceVersion.objects.count() == before


def test_agency_admin_cannot_export_another_agencys_service_by_the_action(moi_client: Client, passport: Service,
                                                                        tax_service: Service) -> None:
    response = moi_client.post(reverse("admin:catalog_service_changelist"), {
        "action": "export_yaml", "_selected_action": [tax_service.pk]})
    assert "MOF" not in response.content.decode(errors="replace")
    assert "attachment" not in response.get("Content-Disposition", "")


def test_agency_admin_cannot_open_another_agencys_versions_or_agency(moi_client: Client, tax_service: Service,
                                                                    mof: Agency, moi: Agency) -> None:
    version = tax_service.current_version
    assert version is not None
    assert moi_client.get(reverse("admin:catalog_serviceversion_change", args=[version.pk])).status_code == 404
    assert moi_client.get(reverse("admin:catalog_agency_change", args=[mof.pk])).status_code == 404
    assert moi_client.get(reverse("admin:catalog_agency_change", args=[moi.pk])).status_code == 200
    agencies = moi_client.get(reverse("admin:catalog_agency_changelist")).content.decode()
    assert "Ministry of Finance" not in agencies


def test_agency_admin_cannot_create_a_service_for_another_agency(moi_client: Client, mof: Agency,
                                                                 category: Category) -> None:
    data = definition_form_data(None, **_new_service_fields(agency=str(mof.pk)))
    response = moi_client.post(reverse("admin:catalog_service_add"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Service.objects.filter(code="BRC").exists()


def test_agency_admin_cannot_import_for_another_agency(moi_client: Client, mof: Agency, moi: Agency,
                                                       category: Category) -> None:
    text = yaml.safe_dump(passport_definition(agency="MOF"), allow_unicode=True)
    response = moi_client.post(reverse("admin:catalog_service_import"), {"agency": str(mof.pk), "text": text})
    assert "Select a valid choice" in response.content.decode()
    response = moi_client.post(reverse("admin:catalog_service_import"), {"agency": str(moi.pk), "text": text})
    assert "belongs to MOF, not MOI" in response.content.decode()
    assert not Service.objects.exists()


# --- Publishing through the form --------------------------------------------------------------

def test_the_service_page_shows_the_published_definition_and_its_versions(moi_client: Client,
                                                                         passport: Service) -> None:
    publish(passport.agency, time_standard_days=7)
    page = moi_client.get(_change_url(passport)).content.decode()
    assert "Published definition — version 2" in page
    assert "Copy of the Tazkira" in page
    assert "5,000 AFN to 8,000 AFN" in page
    assert "Recommend approval" in page  # the workflow
    assert reverse("admin:catalog_service_export", args=[passport.pk]) in page
    for version in passport.versions.all():
        assert reverse("admin:catalog_serviceversion_change", args=[version.pk]) in page
    assert 'name="name_fa"' in page and 'dir="rtl"' in page
    assert "<script>" not in page and 'style="' not in page


def test_agency_admin_publishes_a_new_version_through_the_form(moi_client: Client, passport: Service,
                                                               moi_admin: User) -> None:
    first = passport.current_version
    assert first is not None
    published_before = first.definition
    data = definition_form_data(published_before, name_en="Passport issuance", fee_options="5 = 6000\n10 = ۹۰۰۰",
                                time_standard_days="7", fee_exemptions=["persons_with_disabilities"],
                                **{"documents-1-DELETE": "on"})
    response = moi_client.post(_change_url(passport), data)
    assert response.status_code == 302, response.content.decode()[:3000]

    definition = _current(passport)
    assert passport.current_version is not None
    assert passport.current_version.number == 2
    assert passport.current_version.published_by == moi_admin
    assert definition["name"]["en"] == "Passport issuance"
    assert definition["fee"] == {"kind": "by_option", "option_field": "validity_years",
                                 "options": {"5": 6000, "10": 9000}, "exemptions": ["persons_with_disabilities"]}
    assert definition["time_standard_days"] == 7
    assert [document["code"] for document in definition["required_documents"]] == ["tazkira_copy"]
    first.refresh_from_db()
    assert first.definition == published_before
    page = moi_client.get(response["Location"]).content.decode()
    assert "Version 2 of" in page


def test_an_unchanged_form_publishes_nothing(moi_client: Client, passport: Service) -> None:
    response = moi_client.post(_change_url(passport), definition_form_data(_current(passport)), follow=True)
    assert "Nothing changed" in response.content.decode()
    assert ServiceVersion.objects.filter(service=passport).count() == 1


def test_a_fixed_fee_and_a_new_document(moi_client: Client, passport: Service) -> None:
    data = definition_form_data(_current(passport), fee_kind="fixed", fee_amount="2500", **{
        "documents-TOTAL_FORMS": "3", "documents-2-code": "photo", "documents-2-name_en": "Photograph",
        "documents-2-name_fa": "عکس", "documents-2-name_ps": "عکس", "documents-2-max_size_mb": "2"})
    assert moi_client.post(_change_url(passport), data).status_code == 302
    definition = _current(passport)
    assert definition["fee"] == {"kind": "fixed", "amount": 2500, "exemptions": []}
    assert definition["required_documents"][2] == {
        "code": "photo", "name": {"en": "Photograph", "fa": "عکس", "ps": "عکس"}, "required": False,
        "max_size_mb": 2}


def test_a_malformed_definition_is_refused_with_the_message_and_nothing_saved(moi_client: Client,
                                                                             passport: Service) -> None:
    definition = _current(passport)
    workflow = definition["workflow"]
    workflow["states"].append({"name": "archived", "label": {"en": "Archived", "fa": "بایگانی", "ps": "آرشیف"},
                               "final": True})
    before = ServiceVersion.objects.count()
    response = moi_client.post(_change_url(passport), definition_form_data(
        definition, workflow=yaml.safe_dump(workflow, allow_unicode=True), fee_amount="100"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "refused and nothing was saved" in page
    assert "workflow.states: The state archived cannot be reached from awaiting_payment." in page
    assert ServiceVersion.objects.count() == before


@pytest.mark.parametrize(("fields", "message"), [
    ({"fee_kind": "fixed", "fee_amount": ""}, "A fixed fee is a whole number of afghani above 0."),
    ({"fee_options": "5 = 5000"}, "The fee options must match the choices of the field validity_years."),
    ({"name_ps": " "}, "This field is required."),
    ({"workflow": "states: [unclosed"}, "This is not valid YAML or JSON"),
    ({"form_schema": "type: object\nproperties:\n  full_name: {type: text, title: Name}\n"},
     "not valid JSON Schema"),
    ({"fee_options": "five thousand"}, "Line 1: write the choice"),
])
def test_faults_are_named_next_to_the_form(moi_client: Client, passport: Service, fields: dict[str, str],
                                          message: str) -> None:
    response = moi_client.post(_change_url(passport), definition_form_data(_current(passport), **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ServiceVersion.objects.count() == 1


def _new_service_fields(**changes: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "code": "brc", "slug": "birth-certificate", "category": "identity-and-travel",
        "name_en": "Birth certificate", "name_fa": "تصدیق تولد", "name_ps": "د زېږون تصدیق",
        "summary_en": "Register a birth.", "summary_fa": "ثبت تولد.", "summary_ps": "د زېږون ثبت.",
        "eligibility_en": "Parents.", "eligibility_fa": "والدین.", "eligibility_ps": "مور او پلار.",
    }
    fields.update(changes)
    return fields


def test_agency_admin_defines_a_new_service(moi_client: Client, moi: Agency, category: Category) -> None:
    page = moi_client.get(reverse("admin:catalog_service_add")).content.decode()
    assert "Define the new service" in page
    assert "Ministry of Finance" not in page
    data = definition_form_data(None, **_new_service_fields(agency=str(moi.pk)))
    response = moi_client.post(reverse("admin:catalog_service_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    service = Service.objects.get(agency=moi, code="BRC")
    assert service.current_version is not None and service.current_version.number == 1
    assert service.current_version.definition["fee"] == {"kind": "free", "exemptions": []}


# --- Versions are read-only ---------------------------------------------------------------------

def test_versions_can_be_read_but_not_changed_or_deleted(moi_client: Client, platform_client: Client,
                                                         passport: Service) -> None:
    version = passport.current_version
    assert version is not None
    for client in (moi_client, platform_client):
        url = reverse("admin:catalog_serviceversion_change", args=[version.pk])
        page = client.get(url).content.decode()
        assert "time_standard_days: 10" in page
        assert 'name="_save"' not in page
        assert client.post(url, {"time_standard_days": "1"}).status_code == 403
        assert client.post(reverse("admin:catalog_serviceversion_delete", args=[version.pk]),
                           {"post": "yes"}).status_code == 403
        assert client.get(reverse("admin:catalog_serviceversion_add")).status_code == 403
    version.refresh_from_db()
    assert version.time_standard_days == 10


def test_services_are_withdrawn_not_deleted(moi_client: Client, passport: Service) -> None:
    assert moi_client.post(reverse("admin:catalog_service_delete", args=[passport.pk]),
                           {"post": "yes"}).status_code == 403
    response = moi_client.post(reverse("admin:catalog_service_active", args=[passport.pk]), {"is_active": "0"})
    assert response.status_code == 302
    passport.refresh_from_db()
    assert passport.is_active is False
    assert passport.current_version is not None


# --- YAML export and import ------------------------------------------------------------------------

def test_export_downloads_the_current_definition(moi_client: Client, passport: Service) -> None:
    publish(passport.agency, time_standard_days=7)
    response = moi_client.get(reverse("admin:catalog_service_export", args=[passport.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert response["Content-Disposition"] == 'attachment; filename="moi-psp-v2.yaml"'
    assert yaml.safe_load(response.content.decode()) == _current(passport)


def test_the_export_action_downloads_one_file_or_an_archive(platform_client: Client, passport: Service,
                                                             tax_service: Service) -> None:
    url = reverse("admin:catalog_service_changelist")
    one = platform_client.post(url, {"action": "export_yaml", "_selected_action": [passport.pk]})
    assert one["Content-Disposition"] == 'attachment; filename="moi-psp-v1.yaml"'
    both = platform_client.post(url, {"action": "export_yaml", "_selected_action": [passport.pk, tax_service.pk]})
    assert both["Content-Type"] == "application/zip"


def test_import_page_publishes_pasted_yaml(moi_client: Client, passport: Service) -> None:
    url = reverse("admin:catalog_service_import")
    page = moi_client.get(url).content.decode()
    assert "Import a service from YAML" in page
    exported = moi_client.get(reverse("admin:catalog_service_export", args=[passport.pk])).content.decode()
    edited = exported.replace("time_standard_days: 10", "time_standard_days: 4")
    response = moi_client.post(url, {"agency": str(passport.agency_id), "text": edited})
    assert response.status_code == 302
    assert response["Location"] == _change_url(passport)
    assert _current(passport)["time_standard_days"] == 4


def test_import_page_takes_an_uploaded_file(moi_client: Client, moi: Agency, category: Category) -> None:
    upload = SimpleUploadedFile("moi-psp.yaml", yaml.safe_dump(passport_definition(), allow_unicode=True).encode(),
                                content_type="application/yaml")
    response = moi_client.post(reverse("admin:catalog_service_import"), {"agency": str(moi.pk), "file": upload})
    assert response.status_code == 302
    service = Service.objects.get(agency=moi, code="PSP")
    assert service.current_version is not None and service.current_version.number == 1


def test_import_page_names_the_fault_and_saves_nothing(moi_client: Client, moi: Agency, category: Category) -> None:
    definition = passport_definition()
    definition["workflow"]["transitions"][4]["role"] = "minister"
    response = moi_client.post(reverse("admin:catalog_service_import"), {
        "agency": str(moi.pk), "text": yaml.safe_dump(definition, allow_unicode=True)})
    page = response.content.decode()
    assert "refused and nothing was saved" in page
    assert "workflow.transitions[4].role: Unknown role &#x27;minister&#x27;" in page
    assert not Service.objects.exists() and not ServiceVersion.objects.exists()


def test_import_needs_something_to_import(moi_client: Client, moi: Agency) -> None:
    response = moi_client.post(reverse("admin:catalog_service_import"), {"agency": str(moi.pk), "text": ""})
    assert "Choose a YAML file or paste its text." in response.content.decode()


# --- The platform administrator --------------------------------------------------------------------

def test_platform_admin_sees_and_edits_every_agency(platform_client: Client, passport: Service,
                                                    tax_service: Service, mof: Agency) -> None:
    page = platform_client.get(reverse("admin:catalog_service_changelist")).content.decode()
    assert "MOI-PSP" in page and "MOF-TIN" in page
    assert platform_client.get(_change_url(tax_service)).status_code == 200
    response = platform_client.post(_change_url(tax_service), definition_form_data(
        _current(tax_service), time_standard_days="3"))
    assert response.status_code == 302
    assert _current(tax_service)["time_standard_days"] == 3
    import_page = platform_client.get(reverse("admin:catalog_service_import")).content.decode()
    assert "Ministry of Finance" in import_page and "Ministry of Interior Affairs" in import_page


def test_service_list_takes_a_fixed_number_of_queries(platform_client: Client, moi: Agency, category: Category,
                                                      django_assert_max_num_queries: Any) -> None:
    for index in range(8):
        publish(moi, passport_definition(code=f"S{index}", slug=f"service-{index}"))
    with django_assert_max_num_queries(12):
        assert platform_client.get(reverse("admin:catalog_service_changelist")).status_code == 200


def test_categories_are_read_only_for_agency_admins(moi_client: Client, platform_client: Client,
                                                    category: Category) -> None:
    url = reverse("admin:catalog_category_change", args=[category.pk])
    assert moi_client.get(url).status_code == 200
    assert moi_client.post(url, {"slug": "x", "position": "1", "name_en": "x", "name_fa": "x",
                                 "name_ps": "x"}).status_code == 403
    assert moi_client.get(reverse("admin:catalog_category_add")).status_code == 403
    assert platform_client.get(reverse("admin:catalog_category_add")).status_code == 200


# --- Centers, accounts and messages ------------------------------------------------------------------

def test_center_manager_runs_only_their_own_center(kabul_manager: User, kabul: Center, herat: Center,
                                                   passport: Service) -> None:
    client = verified_client(kabul_manager)
    page = client.get(reverse("admin:centers_center_changelist")).content.decode()
    assert "Kabul Service Center" in page and "Herat Service Center" not in page
    assert client.get(reverse("admin:centers_center_change", args=[herat.pk])).status_code == 404
    assert client.get(reverse("admin:centers_center_change", args=[kabul.pk])).status_code == 200
    assert client.get(reverse("admin:centers_center_add")).status_code == 403
    assert client.get(reverse("admin:catalog_service_changelist")).status_code == 403


def test_agency_admin_manages_only_their_agencys_staff(moi_client: Client, moi_officer: User, mof_admin: User,
                                                       platform_admin: User) -> None:
    page = moi_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert reverse("admin:accounts_user_change", args=[moi_officer.pk]) in page
    assert reverse("admin:accounts_user_change", args=[mof_admin.pk]) not in page
    assert reverse("admin:accounts_user_change", args=[platform_admin.pk]) not in page
    assert "Platform administrator" not in page  # not even as a role to filter by
    assert moi_client.get(reverse("admin:accounts_user_change", args=[mof_admin.pk])).status_code == 404
    assert moi_client.get(reverse("admin:accounts_user_change", args=[platform_admin.pk])).status_code == 404
    assert moi_client.get(reverse("admin:auth_user_password_change", args=[mof_admin.pk])).status_code == 404


def _new_staff(role: str, **fields: str) -> dict[str, str]:
    return {"username": "new.person", "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42", "full_name": "New Person", "email": "",
            "role": role, **fields}


def test_agency_admin_cannot_give_a_role_above_their_own(moi_client: Client, moi: Agency) -> None:
    url = reverse("admin:accounts_user_add")
    for role in (Role.PLATFORM_ADMIN, Role.CENTER_MANAGER, Role.CITIZEN):
        response = moi_client.post(url, _new_staff(role, agency=str(moi.pk)))
        assert "Select a valid choice" in response.content.decode()
    assert not User.objects.filter(username="new.person").exists()


def test_agency_admin_opens_an_officer_account_in_their_agency(moi_client: Client, moi: Agency,
                                                               mof: Agency) -> None:
    url = reverse("admin:accounts_user_add")
    response = moi_client.post(url, _new_staff(Role.OFFICER, agency=str(mof.pk)))
    assert "Select a valid choice" in response.content.decode()
    response = moi_client.post(url, _new_staff(Role.OFFICER, agency=str(moi.pk)))
    assert response.status_code == 302
    officer = User.objects.get(username="new.person")
    assert (officer.role, officer.agency, officer.is_staff, officer.is_superuser) == (Role.OFFICER, moi, False, False)


def test_agency_admin_cannot_promote_their_officer(moi_client: Client, moi_officer: User, moi: Agency) -> None:
    url = reverse("admin:accounts_user_change", args=[moi_officer.pk])
    page = moi_client.get(url).content.decode()
    assert 'value="platform_admin"' not in page
    response = moi_client.post(url, {"username": moi_officer.username, "full_name": "x", "role": "platform_admin",
                                     "agency": str(moi.pk), "is_active": "on", "preferred_language": "fa"})
    assert response.status_code == 200
    moi_officer.refresh_from_db()
    assert moi_officer.role == Role.OFFICER


def test_platform_admin_gives_admin_access_with_the_role(platform_client: Client, moi_officer: User,
                                                         moi: Agency) -> None:
    url = reverse("admin:accounts_user_change", args=[moi_officer.pk])
    response = platform_client.post(url, {"username": moi_officer.username, "full_name": "Promoted",
                                          "role": "agency_admin", "agency": str(moi.pk), "is_active": "on",
                                          "preferred_language": "fa", "change_reason": "promoted"})
    assert response.status_code == 302, response.content.decode()[:3000]
    moi_officer.refresh_from_db()
    assert (moi_officer.role, moi_officer.is_staff) == (Role.AGENCY_ADMIN, True)


def test_sent_messages_are_read_only_for_the_platform_admin(platform_client: Client, moi_client: Client) -> None:
    with transaction.atomic():
        message = message_queue(to="+93700987654", key="account.phone_code_requested", language="en",
                                values={"code": "123456", "minutes": "5"})
    assert message is not None
    listing = platform_client.get(reverse("admin:notifications_message_changelist")).content.decode()
    assert "+93700987654" in listing
    url = reverse("admin:notifications_message_change", args=[message.pk])
    page = platform_client.get(url).content.decode()
    assert "Asan Khedmat code: ••••••." in page and "123456" not in page  # the code itself is masked
    assert platform_client.post(url, {"body": "changed"}).status_code == 403
    assert moi_client.get(reverse("admin:notifications_message_changelist")).status_code == 403


def test_staff_of_each_role_are_made_through_the_factory(moi: Agency) -> None:
    approver = StaffFactory.create(role=Role.APPROVER, agency=moi)
    assert approver.agency == moi and not approver.is_staff
