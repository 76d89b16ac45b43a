"""Test data for the catalog, made through the real services (`agency_upsert`, `service_publish`,
`staff_user_create`), and helpers that edit a definition or fill the admin's forms."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import factory
import yaml
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_totp_device_create, staff_user_create
from khedmat.catalog import services
from khedmat.catalog.forms import DOCUMENTS_PREFIX, ServiceDefinitionForm, documents_initial
from khedmat.catalog.models import Agency, Category, ServiceVersion

PASSPORT_YAML = Path(settings.BASE_DIR, "demo/services/moi-psp.yaml").read_text(encoding="utf-8")
PASSWORD = "correct horse battery staple"
_PASSPORT = yaml.safe_load(PASSPORT_YAML)


def passport_definition(**changes: Any) -> dict[str, Any]:
    """The reference passport definition (as written, not yet validated), with `changes`
    applied at dotted paths: `passport_definition(**{"fee.options": {...}})`."""
    definition = copy.deepcopy(_PASSPORT)
    for path, value in changes.items():
        set_path(definition, path, value)
    # A test that gives the passport another form has no center field: nothing handed over.
    handover = definition.get("handover")
    if "form" in changes and isinstance(handover, dict) \
            and handover.get("field") not in definition["form"].get("properties", {}):
        del definition["handover"]
    return definition


def set_path(data: Any, path: str, value: Any) -> None:
    """Set (or, with value DELETE, remove) `data[a][b][0]…` named by "a.b.0"."""
    *parents, last = path.split(".")
    for part in parents:
        data = data[int(part)] if isinstance(data, list) else data[part]
    key: Any = int(last) if isinstance(data, list) else last
    if value is DELETE:
        del data[key]
    else:
        data[key] = value


DELETE = object()


class AgencyFactory(factory.Factory[Agency]):
    class Meta:
        model = Agency

    code = factory.Sequence(lambda n: f"AG{n}")
    slug = factory.LazyAttribute(lambda agency: agency.code.lower())
    name = factory.LazyAttribute(lambda agency: {
        "en": f"Agency {agency.code}", "fa": f"اداره {agency.code}", "ps": f"اداره {agency.code}"})

    @classmethod
    def _create(cls, model_class: type[Agency], **kwargs: Any) -> Agency:
        return services.agency_upsert(**kwargs)


class CategoryFactory(factory.Factory[Category]):
    class Meta:
        model = Category

    slug = "identity-and-travel"
    name = factory.LazyFunction(lambda: {"en": "Identity and travel", "fa": "هویت و سفر", "ps": "هویت او سفر"})

    @classmethod
    def _create(cls, model_class: type[Category], **kwargs: Any) -> Category:
        return services.category_upsert(**kwargs)


class StaffFactory(factory.Factory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"staff{n}")
    password = PASSWORD
    role = Role.AGENCY_ADMIN
    full_name = factory.LazyAttribute(lambda user: user.username.title())

    @classmethod
    def _create(cls, model_class: type[User], **kwargs: Any) -> User:
        return staff_user_create(**kwargs)


def publish(agency: Agency, definition: dict[str, Any] | None = None, **changes: Any) -> ServiceVersion:
    """Publish the passport definition (or `definition`) for `agency`, with `changes`."""
    definition = definition if definition is not None else passport_definition(**changes)
    definition = {**definition, "agency": agency.code}
    return services.service_publish(agency=agency, definition=definition)


def verified_client(user: User) -> Client:
    """A client signed in as `user` with their second factor given, as after the TOTP step."""
    client = Client()
    client.force_login(user)
    device = staff_totp_device_create(user=user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def definition_form_data(definition: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
    """What a browser posts from the service page's form filled with `definition`, with `fields`
    changed (form field names: name_en, fee_amount, workflow…; documents as documents-0-code…)."""
    data: dict[str, Any] = {}
    for name, value in ServiceDefinitionForm.initial_for(definition).items():
        if value is None:
            continue
        data[name] = value
    documents = documents_initial(definition)
    data[f"{DOCUMENTS_PREFIX}-TOTAL_FORMS"] = str(len(documents))
    data[f"{DOCUMENTS_PREFIX}-INITIAL_FORMS"] = str(len(documents))
    data[f"{DOCUMENTS_PREFIX}-MIN_NUM_FORMS"] = "0"
    data[f"{DOCUMENTS_PREFIX}-MAX_NUM_FORMS"] = "1000"
    for index, document in enumerate(documents):
        for name, value in document.items():
            if name == "required":
                if value:
                    data[f"{DOCUMENTS_PREFIX}-{index}-required"] = "on"
            else:
                data[f"{DOCUMENTS_PREFIX}-{index}-{name}"] = value
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}
