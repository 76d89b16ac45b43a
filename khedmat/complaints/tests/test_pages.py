"""The complaint pages as people use them: filing on the web, following, rating and reopening,
and the staff's inbox and complaint page (object permissions, audited reads)."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from khedmat.accounts.models import User
from khedmat.applications.tests.office_helpers import submitted
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.centers.models import Center
from khedmat.complaints.models import Complaint
from khedmat.complaints.services import complaint_transition
from khedmat.notifications.models import Message

from .helpers import file

PDF = b"%PDF-1.4\n% evidence\n"


def post_new(client: Client, **fields: Any) -> Any:
    data = {"about": "service", "service": "passport", "category": "delay",
            "description": "Three weeks and no answer.", "phone": "0700 111 222",
            "form_token": secrets.token_urlsafe(24)}
    data.update(fields)
    return client.post(reverse("complaints:new"), data)


@pytest.fixture
def service_slug(passport: Service) -> str:
    return passport.slug


def test_anyone_files_with_only_a_phone_and_gets_the_sms(service_slug: str,  # type: ignore[no-untyped-def]
                                                          django_capture_on_commit_callbacks) -> None:
    client = Client()
    page = client.get(reverse("complaints:new") + f"?service={service_slug}")
    assert page.status_code == 200 and 'name="form_token"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_new(client, service=service_slug, anonymous="on")
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/complaints/{complaint.public_id}/")
    assert complaint.anonymous and complaint.complainant is None and complaint.channel == "web"
    [sms] = Message.objects.filter(template="complaint.filed")
    assert sms.to == "+93700111222" and complaint.reference in sms.body and str(complaint.public_id) in sms.body
    detail = client.get(response["Location"])
    assert complaint.reference in detail.content.decode()


def test_a_double_click_files_once(service_slug: str) -> None:
    client = Client()
    token = secrets.token_urlsafe(24)
    first = post_new(client, service=service_slug, form_token=token)
    second = post_new(client, service=service_slug, form_token=token)
    assert Complaint.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_bad_input_gets_a_message_and_files_nothing(service_slug: str) -> None:
    client = Client()
    for fields in ({"description": ""}, {"phone": "123"}, {"category": "nonsense"}, {"service": "no-such"},
                   {"about": "center", "center": ""}, {"description": "x" * 5000}):
        response = post_new(client, **({"service": service_slug} | fields))
        assert response.status_code == 400, fields
        assert 'class="error' in response.content.decode()
    assert not Complaint.objects.exists()


def test_attachments_are_checked(service_slug: str) -> None:
    client = Client()
    bad = post_new(client, service=service_slug, attachments=SimpleUploadedFile("x.pdf", b"MZ not a pdf"))
    assert bad.status_code == 400 and not Complaint.objects.exists()
    post_new(client, service=service_slug, attachments=SimpleUploadedFile("scan.pdf", PDF))
    assert Complaint.objects.get().attachments.count() == 1


def test_the_throttle_counts_per_phone(service_slug: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.THROTTLE_COMPLAINT_PER_PHONE = (2, 3600)
    client = Client()
    assert [post_new(client, service=service_slug).status_code for _ in range(3)] == [302, 302, 429]
    # Another number from the same address is not locked out.
    assert post_new(client, service=service_slug, phone="0700 333 444").status_code == 302


def test_a_citizen_complains_about_their_own_application_prefilled(passport: Service, citizen: User,
                                                                   other_citizen: User) -> None:
    application = submitted(passport, citizen)
    client = Client()
    client.force_login(citizen)
    page = client.get(reverse("complaints:new") + f"?application={application.public_id}")
    text = page.content.decode()
    assert str(application.reference) in text and 'value="+93700111222"' in text
    post_new(client, about="application", application=str(application.public_id), service="")
    complaint = Complaint.objects.get()
    assert complaint.application == application and complaint.complainant == citizen
    # Another citizen's link does not reach the file.
    stranger = Client()
    stranger.force_login(other_citizen)
    page = stranger.get(reverse("complaints:new") + f"?application={application.public_id}")
    assert str(application.reference) not in page.content.decode()
    mine = client.get(reverse("complaints:mine"))
    assert complaint.reference in mine.content.decode()


def test_my_complaints_include_those_made_from_my_number_without_signing_in(
        passport: Service, citizen: User, other_citizen: User) -> None:
    by_sms = file(service=passport, channel="sms", phone="+93700111222")
    anonymous_on_the_web = file(service=passport, phone="0700 111 222", anonymous=True)
    someone_elses = file(service=passport, phone="0700 333 444")
    client = Client()
    client.force_login(citizen)
    mine = client.get(reverse("complaints:mine")).content.decode()
    assert by_sms.reference in mine and anonymous_on_the_web.reference in mine
    assert someone_elses.reference not in mine
    other = Client()
    other.force_login(other_citizen)
    theirs = other.get(reverse("complaints:mine")).content.decode()
    assert someone_elses.reference in theirs and by_sms.reference not in theirs


def test_found_by_reference_and_phone(passport: Service) -> None:
    complaint = file(service=passport)
    client = Client()
    typed = complaint.reference.replace("-", " ").lower()
    found = client.post(reverse("complaints:find"), {"reference": typed, "phone": "۰۷۰۰۱۱۱۲۲۲"})
    assert found.status_code == 302 and str(complaint.public_id) in found["Location"]
    wrong = client.post(reverse("complaints:find"), {"reference": complaint.reference, "phone": "0700 333 444"})
    assert wrong.status_code == 200 and str(complaint.public_id) not in wrong.content.decode()


def test_the_complainant_rates_once_and_reopens(passport: Service, officer: User) -> None:
    complaint = file(service=passport)
    client = Client()
    url = reverse("complaints:rate", args=[complaint.public_id])
    assert client.post(url, {"rating": "5"}).status_code == 400  # not answered yet
    complaint_transition(complaint=complaint, step="answer", expected_state="received", actor=officer,
                         text="Your passport is ready.")
    page = client.get(reverse("complaints:detail", args=[complaint.public_id])).content.decode()
    assert "Your passport is ready." in page and 'name="rating"' in page
    assert client.post(url, {"rating": "9"}).status_code == 400
    assert client.post(url, {"rating": "۲"}).status_code == 302  # Eastern digits count
    assert client.post(url, {"rating": "5"}).status_code == 400
    complaint.refresh_from_db()
    assert complaint.rating == 2
    act = reverse("complaints:act", args=[complaint.public_id])
    assert client.post(act, {"step": "answer", "expected_state": "answered", "text": "x"}).status_code == 400
    assert client.post(act, {"step": "reopen", "expected_state": "answered", "text": ""}).status_code == 400
    assert client.post(act, {"step": "reopen", "expected_state": "answered",
                             "text": "The centre says no."}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.state == "in_progress"


def test_the_staff_inbox_shows_only_what_each_answers_for(  # type: ignore[no-untyped-def]
        passport: Service, center: Center, officer: User, approver: User, foreign_officer: User,
        manager: User) -> None:
    general = file(service=passport)
    about_officer = file(about="staff", officer=officer, service=passport, category="conduct")
    about_center = file(about="center", center=center, category="facilities")

    def listed(user: User) -> set[str]:
        text = verified_client(user).get(reverse("complaints:staff_inbox")).content.decode()
        return set(re.findall(r"C-\d{4}-\d{6}", text))

    assert listed(officer) == {general.reference}  # never the one about them
    assert listed(approver) == {general.reference, about_officer.reference}
    assert listed(foreign_officer) == set()
    assert listed(manager) == {about_center.reference}


def test_another_agency_gets_404_and_every_read_is_audited(passport: Service, officer: User,
                                                           foreign_officer: User, approver: User) -> None:
    complaint = file(service=passport)
    about_officer = file(about="staff", officer=officer, service=passport, category="conduct")
    url = reverse("complaints:staff_detail", args=[complaint.public_id])
    assert verified_client(foreign_officer).get(url).status_code == 404
    assert verified_client(officer).get(reverse("complaints:staff_detail",
                                                args=[about_officer.public_id])).status_code == 404
    act = reverse("complaints:staff_act", args=[complaint.public_id])
    assert verified_client(foreign_officer).post(act, {"step": "take", "expected_state": "received"}).status_code == 404
    assert not AuditEvent.objects.filter(action="complaints.viewed").exists()
    client = verified_client(officer)
    assert client.get(url).status_code == 200
    [read] = AuditEvent.objects.filter(action="complaints.viewed")
    assert read.actor == officer and read.target_id == complaint.reference
    assert client.post(act, {"step": "take", "expected_state": "received"}).status_code == 302
    stale = client.post(act, {"step": "take", "expected_state": "received"})
    assert stale.status_code == 409
    answered = client.post(act, {"step": "answer", "expected_state": "in_progress", "text": "Done."})
    assert answered.status_code == 302
    complaint.refresh_from_db()
    assert complaint.state == "answered" and complaint.answer == "Done."


def test_an_anonymous_complainant_is_not_named_to_staff(passport: Service, citizen: User, officer: User) -> None:
    complaint = file(service=passport, filed_by=citizen, anonymous=True)
    text = verified_client(officer).get(reverse("complaints:staff_detail", args=[complaint.public_id])).content
    assert b"700111222" not in text and b"700 111 222" not in text


def test_staff_page_refuses_citizens_and_anonymous_visitors(passport: Service, citizen: User) -> None:
    complaint = file(service=passport)
    url = reverse("complaints:staff_detail", args=[complaint.public_id])
    assert Client().get(url).status_code == 302
    client = Client()
    client.force_login(citizen)
    assert client.get(url).status_code == 404


def test_the_file_pages_show_the_complaints_history(passport: Service, citizen: User, officer: User) -> None:
    application = submitted(passport, citizen)
    complaint = file(about="application", application=application, filed_by=citizen)
    complaint_transition(complaint=complaint, step="take", expected_state="received", actor=officer)
    client = Client()
    client.force_login(citizen)
    page = client.get(reverse("applications:detail", args=[application.public_id])).content.decode()
    assert complaint.reference in page and "Taken by the agency" in page
    assert f"/complaints/new/?application={application.public_id}" in page  # "Complain about this"
    office = verified_client(officer).get(reverse("applications:office_file", args=[application.public_id]))
    assert complaint.reference in office.content.decode()


def test_the_service_page_links_to_the_form(passport: Service) -> None:
    page = Client().get(reverse("catalog:service", args=[passport.slug])).content.decode()
    assert f"/complaints/new/?service={passport.slug}" in page
