"""SMS length and encoding, and the wordings administrators edit: the agency's own, previewed
with encoding, length and parts, refused when too long or naming an unknown value."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.catalog.models import Agency
from khedmat.catalog.services import agency_upsert
from khedmat.catalog.tests.factories import verified_client
from khedmat.notifications import message_templates
from khedmat.notifications.models import MessageTemplate
from khedmat.notifications.services import message_queue, wording
from khedmat.notifications.sms.encoding import GSM7, UCS2, fits_ussd_screen, sms_length

from .conftest import PASSWORD


@pytest.mark.parametrize(("text", "encoding", "units", "parts"), [
    ("a" * 160, GSM7, 160, 1),
    ("a" * 161, GSM7, 161, 2),
    ("a" * 306, GSM7, 306, 2),
    ("a" * 307, GSM7, 307, 3),
    ("€" * 80, GSM7, 160, 1),  # the euro sign is an extension character: two septets
    ("[" * 81, GSM7, 162, 2),
    ("ب" * 70, UCS2, 70, 1),
    ("ب" * 71, UCS2, 71, 2),
    ("ب" * 134, UCS2, 134, 2),
    ("ب" * 135, UCS2, 135, 3),
    ("a" * 69 + "😀", UCS2, 71, 2),  # outside the BMP: two UCS-2 units
    ("Asan Khedmat: ticket P-012", GSM7, 26, 1),
])
def test_the_length_of_an_sms(text: str, encoding: str, units: int, parts: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.parts) == (encoding, units, parts)


def test_a_ussd_page_holds_182_gsm_characters_or_80_in_ucs2() -> None:
    assert fits_ussd_screen("a" * 182) and not fits_ussd_screen("a" * 183)
    assert fits_ussd_screen("ب" * 80) and not fits_ussd_screen("ب" * 81)


def test_every_default_wording_fits_its_limit_in_every_language_and_keeps_its_names() -> None:
    for kind in message_templates.KINDS.values():
        for language in ("en", "fa", "ps"):
            text = message_templates.default_wording(kind, language)
            assert message_templates.placeholders(text) == message_templates.placeholders(kind.default), (
                kind.key, language)
            length = message_templates.check_wording(kind, text, max_parts=message_templates.DEFAULT_MAX_PARTS,
                                                     language=language)
            assert length.parts <= message_templates.DEFAULT_MAX_PARTS


def test_a_wording_naming_an_unknown_value_or_too_long_is_refused_with_the_count() -> None:
    kind = message_templates.KINDS["ticket.called"]
    with pytest.raises(message_templates.TemplateError, match=r"secret"):
        message_templates.check_wording(kind, "Ticket {number} {secret}", max_parts=3)
    with pytest.raises(message_templates.TemplateError, match=r"200 characters in UCS-2 make 3 SMS parts"):
        message_templates.check_wording(kind, "ب" * 200, max_parts=2)
    # Braces that name nothing of ours are text, never code.
    assert message_templates.fill("{number.__class__} {number}", {"number": "A-1"}) == "{number.__class__} A-1"


@pytest.fixture
def moi(db: None) -> Agency:
    return agency_upsert(code="MOI", slug="interior", name={"en": "Interior", "fa": "داخله", "ps": "کورنۍ"})


@pytest.fixture
def mof(db: None) -> Agency:
    return agency_upsert(code="MOF", slug="finance", name={"en": "Finance", "fa": "مالیه", "ps": "مالیه"})


def test_an_agencys_wording_is_used_for_its_files_only(moi: Agency, mof: Agency) -> None:
    MessageTemplate.objects.create(key="application.message_sent", language="en", agency=moi,
                                   body="Interior wrote about {reference}.")
    MessageTemplate.objects.create(key="application.message_sent", language="en", agency=None,
                                   body="The platform says: news on {reference}.")
    assert wording(key="application.message_sent", language="en",
                   agency_id=moi.pk) == "Interior wrote about {reference}."
    assert wording(key="application.message_sent", language="en", agency_id=mof.pk).startswith("The platform says")
    assert wording(key="application.message_sent", language="fa", agency_id=moi.pk) == \
        message_templates.default_wording(message_templates.KINDS["application.message_sent"], "fa")
    with transaction.atomic():
        message = message_queue(to="+93700123456", key="application.message_sent", language="en",
                                values={"reference": "MOI-PSP-1405-000001", "link": "x"}, agency_id=moi.pk)
    assert message is not None and message.body == "Interior wrote about MOI-PSP-1405-000001."


def _form(key: str, body: str, *, agency: Agency | None, language: str = "fa", max_parts: int = 3) -> dict[str, Any]:
    return {"key": key, "language": language, "agency": str(agency.pk) if agency else "", "body": body,
            "max_parts": str(max_parts)}


def test_an_agency_administrator_rewords_their_agencys_messages_with_a_preview(moi: Agency, mof: Agency) -> None:
    admin_moi = staff_user_create(username="admin.moi", password=PASSWORD, role=Role.AGENCY_ADMIN, agency=moi)
    client = verified_client(admin_moi)
    add = reverse("admin:notifications_messagetemplate_add")
    form = client.get(add).content.decode()
    assert "application.rejected" in form and "ticket.called" not in form  # centre texts are the platform's
    assert "GSM-7" in form and "UCS-2" in form and "SMS part" in form  # the defaults, previewed
    too_long = client.post(add, _form("application.rejected", "آسان خدمت " * 40 + "{reference}", agency=moi,
                                      max_parts=2))
    assert too_long.status_code == 200 and "Too long" in too_long.content.decode()
    unknown = client.post(add, _form("application.rejected", "{reference} {password}", agency=moi))
    assert "Unknown names in braces: password" in unknown.content.decode()
    other = client.post(add, _form("application.rejected", "رد شد {reference}", agency=mof))
    assert other.status_code == 200  # not their agency: refused by the form
    assert not MessageTemplate.objects.exists()
    default = wording(key="application.rejected", language="fa", agency_id=moi.pk)  # now cached
    saved = client.post(add, _form("application.rejected", "آسان خدمت: درخواست {reference} رد شد. {reason}",
                                   agency=moi))
    assert saved.status_code == 302
    reworded = wording(key="application.rejected", language="fa", agency_id=moi.pk)
    assert reworded != default and reworded.startswith("آسان خدمت: درخواست {reference} رد شد")
    template = MessageTemplate.objects.get()
    assert (template.agency, template.updated_by) == (moi, admin_moi)
    page = client.get(reverse("admin:notifications_messagetemplate_change", args=[template.pk])).content.decode()
    assert re.search(r"UCS-2 · \d+ characters · \d SMS part", page)
    foreign = MessageTemplate.objects.create(key="application.rejected", language="fa", agency=mof, body="x")
    assert client.get(reverse("admin:notifications_messagetemplate_change", args=[foreign.pk])).status_code == 404


def test_only_platform_administrators_see_the_outbox(moi: Agency, db: None) -> None:
    platform = staff_user_create(username="platform.test", password=PASSWORD, role=Role.PLATFORM_ADMIN)
    admin_moi = staff_user_create(username="admin.moi", password=PASSWORD, role=Role.AGENCY_ADMIN, agency=moi)
    with transaction.atomic():
        message_queue(to="+93700123456", key="ticket.called", language="en", values={"number": "A-1", "counter": "2"})
    outbox = reverse("admin:notifications_message_changelist")
    assert verified_client(admin_moi).get(outbox).status_code == 403
    page = verified_client(platform).get(outbox, {"q": "0700 123 456"}).content.decode()
    assert "+93700123456" in page and "ticket.called" in page
    assert "Messages shown, by status and gateway" in page and "<td>created</td>" in page


def test_a_platform_administrator_sends_failed_messages_again(db: None, settings: Any) -> None:
    from khedmat.notifications.delivery import deliver_messages
    from khedmat.notifications.models import Message, Status

    settings.SMS_GATEWAYS = [{"name": "x", "plugin": "scripted", "outcome": "refuse"}]
    with transaction.atomic():
        message = message_queue(to="+93700123456", key="ticket.called", language="en",
                                values={"number": "A-1", "counter": "2"})
    assert message is not None
    deliver_messages()
    assert Message.objects.get(pk=message.pk).status == Status.PERMANENT_FAILURE
    platform = staff_user_create(username="platform.test", password=PASSWORD, role=Role.PLATFORM_ADMIN)
    settings.SMS_GATEWAYS = [{"name": "x", "plugin": "scripted", "outcome": "accept"}]
    response = verified_client(platform).post(reverse("admin:notifications_message_changelist"), {
        "action": "retry", "_selected_action": [str(message.pk)]})
    assert response.status_code == 302
    retried = Message.objects.get(pk=message.pk)
    assert retried.status == Status.CREATED and retried.history.filter(detail__contains="platform.test").exists()
    deliver_messages()
    assert Message.objects.get(pk=message.pk).status == Status.DELIVERED


def test_users_of_other_roles_never_reach_wordings(moi: Agency) -> None:
    officer: User = staff_user_create(username="officer.moi", password=PASSWORD, role=Role.OFFICER, agency=moi)
    client: Client = verified_client(officer)
    response = client.get(reverse("admin:notifications_messagetemplate_changelist"))
    assert response.status_code in (302, 403)


@pytest.mark.django_db
def test_while_the_cache_is_away_the_wordings_come_from_the_database(moi: Agency, settings: Any) -> None:
    """A Redis restart must not stop a ticket's SMS (queued in the ticket's own transaction)."""
    MessageTemplate.objects.create(key="application.message_sent", language="en", agency=None,
                                   body="Read while Redis restarts: {reference}.")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0",
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2}}}
    with transaction.atomic():
        message = message_queue(to="+93700123457", key="application.message_sent", language="en",
                                values={"reference": "MOI-PSP-1405-000002", "link": "x"}, agency_id=moi.pk)
    assert message is not None and message.body == "Read while Redis restarts: MOI-PSP-1405-000002."
