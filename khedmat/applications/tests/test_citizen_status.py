"""The public status check: a reference and the mobile number it was filed with give the state
and its date; any wrong pair gets the same answer; attempts are limited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from khedmat.accounts.models import User
from khedmat.applications.forms import StatusCheckForm
from khedmat.applications.selectors.citizen import status_lookup
from khedmat.applications.services.drafts import application_draft_store
from khedmat.catalog.models import Service
from khedmat.centers.tests.test_hot_paths import statements

from .citizen_helpers import submitted, waiting_for_information

NOT_FOUND = "We found no application with this reference and this mobile number."


def _check(client: Client, reference: str, phone: str, language: str = "en", **extra: Any) -> tuple[int, str]:
    response = client.post(f"/{language}/status/", {"reference": reference, "phone_number": phone}, **extra)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    return response.status_code, html


def test_the_right_pair_shows_the_state_and_its_date(client: Client, passport: Service, citizen: User,
                                                     officer: User) -> None:
    application = waiting_for_information(submitted(passport, citizen), officer)
    status, html = _check(client, application.reference or "", "0700 111 222")
    assert status == 200
    assert "More information needed" in html and "Since" in html
    assert NOT_FOUND not in html
    # Only the state and its date: nothing the file says about the person or the request.
    assert "Send a clearer copy" not in html and "Ahmad" not in html and "Passport" not in html


def test_the_state_is_shown_in_the_readers_language_and_digits_may_be_eastern(
        client: Client, passport: Service, citizen: User) -> None:
    application = submitted(passport, citizen)
    reference = (application.reference or "").lower().replace("-", "–")
    eastern = reference.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    status, html = _check(client, eastern, "۰۷۰۰۱۱۱۲۲۲", "fa")
    assert status == 200 and "ارسال شد" in html


def test_every_wrong_pair_gets_the_same_answer(client: Client, passport: Service, citizen: User,
                                               other_citizen: User) -> None:
    application = submitted(passport, citizen)
    application_draft_store(applicant=citizen, service=passport, data={})
    answers = {
        "wrong number": _check(client, application.reference or "", "0700 333 444"),
        "no such reference": _check(client, "MOI-PSP-1405-999999", "0700 111 222"),
        "both wrong": _check(client, "MOF-TAX-1399-000001", "0799 999 999"),
    }
    assert {status for status, _html in answers.values()} == {200}
    pages = {html.replace("0700 333 444", "X").replace("0700 111 222", "X").replace("0799 999 999", "X")
             .replace(application.reference or "", "R").replace("MOI-PSP-1405-999999", "R")
             .replace("MOF-TAX-1399-000001", "R") for _status, html in answers.values()}
    assert len(pages) == 1
    assert NOT_FOUND in pages.pop()


def test_a_malformed_reference_or_number_is_told_without_looking_anything_up(client: Client, db: None) -> None:
    status, html = _check(client, "not a reference!", "12")
    assert status == 200
    assert "Enter the reference as it is printed" in html
    assert NOT_FOUND not in html


def test_attempts_on_one_reference_are_limited(client: Client, passport: Service, citizen: User,
                                               settings: Any) -> None:
    settings.THROTTLE_STATUS_CHECK_PER_REFERENCE = (3, 15 * 60)
    application = submitted(passport, citizen)
    reference = application.reference or ""
    for number in range(3):
        assert _check(client, reference, f"0700 000 00{number}", REMOTE_ADDR=f"10.0.0.{number}")[0] == 200
    status, html = _check(client, reference, "0700 111 222", REMOTE_ADDR="10.0.0.9")
    assert status == 429
    assert "Too many attempts. Try again in 15 minutes." in html
    assert "Submitted" not in html
    # Another reference from the same addresses is still answered.
    assert _check(client, "MOI-PSP-1405-000777", "0700 111 222", REMOTE_ADDR="10.0.0.9")[0] == 200


def test_attempts_from_one_address_are_limited(client: Client, db: None, settings: Any) -> None:
    settings.THROTTLE_STATUS_CHECK_PER_IP = (4, 15 * 60)
    for number in range(4):
        assert _check(client, f"MOI-PSP-1405-00000{number}", "0700 111 222")[0] == 200
    status, html = _check(client, "MOI-PSP-1405-000009", "0700 111 222")
    assert status == 429 and "Too many attempts." in html
    assert _check(client, "MOI-PSP-1405-000009", "0700 111 222", REMOTE_ADDR="10.9.9.9")[0] == 200


def test_the_status_page_works_without_signing_in_and_in_dari(client: Client, db: None) -> None:
    html = client.get("/fa/status/").content.decode()
    assert 'dir="rtl"' in html and 'name="reference"' in html and 'name="phone_number"' in html


def test_the_check_reads_one_statement_and_answers_as_the_file_says(client: Client, passport: Service,
                                                                     citizen: User, officer: User) -> None:
    """One plain statement (docs/performance.md, "Status check"): the state's label in the
    reader's language and the time of the file's last event, as the ORM gives them."""
    application = waiting_for_information(submitted(passport, citizen), officer)
    last = application.events.order_by("-occurred_at", "-id").first()
    assert last is not None
    found = status_lookup(reference=application.reference or "", phone_number="+93700111222")
    assert found is not None and found.since == last.occurred_at and found.since.tzinfo is not None
    assert found.state_label == "More information needed"
    assert status_lookup(reference=application.reference or "", phone_number="+93700111223") is None
    with CaptureQueriesContext(connection) as captured:
        status, html = _check(client, application.reference or "", "0700 111 222", "fa")
    assert status == 200 and (application.reference or "-") in html and "More information needed" not in html
    assert len(statements(captured)) == 1, statements(captured)


@pytest.mark.parametrize(("language", "data"), [
    ("en", None),
    ("en", {"reference": "moi-psp-1405-000001", "phone_number": "0700 111 222"}),
    ("fa", {"reference": 'bad <x> & "y"', "phone_number": "1"}),
    ("ps", {"reference": "", "phone_number": "0"}),
])
def test_the_fields_written_out_are_the_fields_the_form_renders(client: Client, db: None, language: str,
                                                                data: dict[str, str] | None) -> None:
    """status.html writes its two fields out (a fifth of the page's time was their widgets'
    templates): they must stay what accounts/_field.html and the form's widgets give."""
    response = client.post(f"/{language}/status/", data) if data is not None else client.get(f"/{language}/status/")
    page = response.content.decode()
    with translation.override(language):
        form = StatusCheckForm(data)
        form.is_valid()
        expected = [render_to_string("accounts/_field.html", {"field": form[name]})
                    for name in ("reference", "phone_number")]
    written = re.findall(r'<div class="field[^"]*">.*?</div>', page, flags=re.DOTALL)

    def normal(html: str) -> str:
        return re.sub(r">\s+<", "><", " ".join(html.split()))

    assert [normal(html) for html in written] == [normal(html) for html in expected]
