"""The join form's POST, statement by statement (docs/performance.md, "Submission, join and
inbox"): a phone joining a queue reads the centre and the chosen service's own row, not the
whole hall layout the form shows; the form's answers on a refusal are unchanged."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from khedmat.centers.models import QueueGroup, Ticket
from khedmat.centers.selectors import ticket_choice
from khedmat.centers.services import ticket_issue
from khedmat.centers.tests.conftest import Hall
from khedmat.centers.tests.test_hot_paths import statements, touching

JOIN = "/en/centers/kabul/join/"


def test_joining_from_a_phone_reads_no_hall_layout(client: Client, hall: Hall) -> None:
    client.post(JOIN, {"service": hall.licence.pk, "phone": "0700 111 223", "token": "w" * 32})  # the day's number row
    with CaptureQueriesContext(connection) as captured:
        response = client.post(JOIN, {"service": hall.licence.pk, "phone": "0700 111 222", "token": "t" * 32})
    assert response.status_code == 302 and "/tickets/" in response["Location"]
    sqls = statements(captured)
    # The centre; the service with its queue group and the token's ticket if any (one statement);
    # the number, the ticket, its event; the SMS (its recipient's account, the message). The
    # holidays (open?) come from the process's copy under their version: no statement.
    assert len(sqls) == 7, "\n".join(sqls)
    assert not touching(sqls, "core_holiday"), "the holidays are read once per version, not per ticket"
    assert not touching(sqls, "centers_counter_services"), "joining builds no kiosk layout"
    assert not touching(sqls, "catalog_serviceversion"), "joining loads no definition"
    assert Ticket.objects.filter(phone__endswith="700111222").count() == 1


def test_joining_shows_the_form_again_with_what_went_wrong(client: Client, hall: Hall) -> None:
    """Reading less on the POST changed no answer: an unknown service, a bad number."""
    unknown = client.post(JOIN, {"service": 999999, "phone": "0700 111 222", "token": "u" * 32})
    assert unknown.status_code == 200 and "Select a valid choice" in unknown.content.decode()
    assert f'value="{hall.licence.pk}"' in unknown.content.decode()  # every service offered again
    bad = client.post(JOIN, {"service": hall.licence.pk, "phone": "12", "token": "v" * 32})
    assert bad.status_code == 200 and "mobile number" in bad.content.decode()
    assert not Ticket.objects.exists()


def test_joining_twice_with_one_form_gives_one_ticket(client: Client, hall: Hall) -> None:
    form = {"service": hall.licence.pk, "phone": "0700 111 222", "token": "t" * 32}
    first, second = client.post(JOIN, form), client.post(JOIN, form)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1


def test_a_service_offered_but_in_no_queue_group_is_refused(client: Client, hall: Hall) -> None:
    QueueGroup.services.through.objects.filter(service_id=hall.licence.pk).delete()
    refused = client.post(JOIN, {"service": hall.licence.pk, "phone": "0700 111 222", "token": "t" * 32})
    assert refused.status_code == 200 and "not served at this center" in refused.content.decode()
    assert not Ticket.objects.exists()


def test_what_was_read_for_another_ticket_is_not_used(hall: Hall) -> None:
    read = ticket_choice(center=hall.center, service_id=hall.licence.pk, token="t" * 32)
    assert read is not None and read.group is not None and read.issued is None
    with pytest.raises(ValueError, match="another"):
        ticket_issue(center=hall.center, service=hall.passport, idempotency_key="t" * 32, read=read)
    with pytest.raises(ValueError, match="another"):
        ticket_issue(center=hall.center, service=hall.licence, idempotency_key="u" * 32, read=read)
    issued = ticket_issue(center=hall.center, service=hall.licence, idempotency_key="t" * 32, read=read)
    again = ticket_choice(center=hall.center, service_id=hall.licence.pk, token="t" * 32)
    assert again is not None and again.issued == issued


def test_the_join_forms_services_are_kept_per_language_and_follow_the_queue_groups(client: Client, hall: Hall) -> None:
    """The form's services (selectors.join_choices) are read once per catalog version and
    language: a service leaving or joining a queue group shows at once, in every language."""
    version = hall.licence.current_version
    assert version is not None
    english, dari = client.get(JOIN).content.decode(), client.get("/fa/centers/kabul/join/").content.decode()
    assert f'value="{hall.licence.pk}"' in english and version.name_en in english
    assert f'value="{hall.licence.pk}"' in dari and version.name_fa in dari
    with CaptureQueriesContext(connection) as captured:
        assert client.get(JOIN).status_code == 200
    assert not touching(statements(captured), "centers_queuegroup"), "the layout is not built again"

    hall.licences.services.remove(hall.licence)
    for path in (JOIN, "/fa/centers/kabul/join/", "/ps/centers/kabul/join/"):
        assert f'value="{hall.licence.pk}"' not in client.get(path).content.decode()
    hall.licences.services.add(hall.licence)
    for path in (JOIN, "/fa/centers/kabul/join/", "/ps/centers/kabul/join/"):
        assert f'value="{hall.licence.pk}"' in client.get(path).content.decode()
