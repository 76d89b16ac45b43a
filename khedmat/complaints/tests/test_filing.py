"""Filing a complaint: references, routing, refusals, idempotency."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from khedmat.accounts.models import User
from khedmat.applications.tests.office_helpers import submitted
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency, Service
from khedmat.centers.models import Center
from khedmat.complaints.models import Complaint
from khedmat.complaints.services import ComplaintError
from khedmat.core.calendar import solar_hijri_year
from khedmat.core.workdays import add_working_days

from .helpers import file

PDF = b"%PDF-1.4\n% a complaint's evidence\n"




def test_a_complaint_gets_a_short_gap_free_reference_and_a_due_date(passport: Service, moi: Agency) -> None:
    first = file(service=passport)
    second = file(service=passport)
    year = solar_hijri_year(first.clock_started_on)
    assert first.reference == f"C-{year}-000001" and second.reference == f"C-{year}-000002"
    assert first.agency == moi and first.state == "received"
    assert first.phone == "+93700111222"
    assert first.standard_days == 15
    assert first.due_date == add_working_days(first.clock_started_on, 15)
    assert AuditEvent.objects.filter(action="complaints.filed", target_id=first.reference).exists()
    assert list(first.events.values_list("step", flat=True)) == ["file"]


def test_routing_by_what_it_is_about(passport: Service, moi: Agency, citizen: User, center: Center,
                                     officer: User, operator: User) -> None:
    application = submitted(passport, citizen)
    about_file = file(about="application", application=application, filed_by=citizen)
    assert about_file.agency == moi and about_file.service == passport
    about_center = file(about="center", center=center)
    assert about_center.agency is None and about_center.center == center
    about_officer = file(about="staff", officer=officer, category="conduct")
    assert about_officer.agency == moi and about_officer.officer == officer
    about_operator = file(about="staff", officer=operator, category="conduct")
    assert about_operator.agency is None and about_operator.center == center


def test_only_the_applicant_complains_about_a_file(passport: Service, citizen: User, other_citizen: User) -> None:
    application = submitted(passport, citizen)
    with pytest.raises(ComplaintError) as refused:
        file(about="application", application=application, filed_by=other_citizen)
    assert refused.value.code == "not_yours"
    with pytest.raises(ComplaintError):  # by SMS: the phone must be the applicant's
        file(about="application", application=application, channel="sms", phone="0700 333 444")
    by_sms = file(about="application", application=application, channel="sms", phone="0700 111 222")
    assert by_sms.application == application
    assert Complaint.objects.count() == 1


@pytest.mark.parametrize(("change", "code"), [
    ({"about": "weather"}, "bad_about"), ({"category": "x"}, "bad_category"), ({"channel": "fax"}, "bad_channel"),
    ({"description": "   short "}, "too_short"), ({"description": "x" * 4001}, "too_long"),
    ({"phone": "12"}, "bad_phone"), ({"service": None}, "service_needed"),
    ({"about": "center"}, "center_needed"), ({"about": "staff", "service": None}, "place_needed"),
    ({"about": "application"}, "application_needed"), ({"channel": "center"}, "not_operator"),
])
def test_bad_input_is_refused_and_changes_nothing(passport: Service, change: dict, code: str) -> None:
    values = {"service": passport} | change
    with pytest.raises(ComplaintError) as refused:
        file(**values)
    assert refused.value.code == code
    assert not Complaint.objects.exists()


def test_a_citizen_is_not_an_officer(passport: Service, citizen: User) -> None:
    with pytest.raises(ComplaintError):
        file(about="staff", officer=citizen)


def test_eastern_digits_in_the_phone(passport: Service) -> None:
    assert file(service=passport, phone="۰۷۰۰۱۱۱۲۲۲").phone == "+93700111222"


def test_at_a_center_the_operator_records_consent(passport: Service, operator: User) -> None:
    with pytest.raises(ComplaintError) as refused:
        file(service=passport, channel="center", filed_by=operator)
    assert refused.value.code == "consent_needed"
    complaint = file(service=passport, channel="center", filed_by=operator, consent="sms_code")
    assert complaint.filed_by == operator and complaint.complainant is None and complaint.consent == "sms_code"


def test_the_same_key_files_once(passport: Service) -> None:
    first = file(service=passport, idempotency_key="k" * 40)
    again = file(service=passport, idempotency_key="k" * 40)
    assert again.pk == first.pk and Complaint.objects.count() == 1
    with pytest.raises(ComplaintError):  # someone else's key does not show them the complaint
        file(service=passport, idempotency_key="k" * 40, phone="0700 333 444")


def test_attachments_pass_the_same_checks_as_applications(passport: Service) -> None:
    with pytest.raises(ComplaintError) as refused:
        file(service=passport, attachments=[SimpleUploadedFile("a.pdf", b"<html>not a pdf</html>")])
    assert refused.value.code == "bad_type"
    assert not Complaint.objects.exists()
    complaint = file(service=passport, attachments=[SimpleUploadedFile("../../evil name.pdf", PDF)])
    [attachment] = complaint.attachments.all()
    assert attachment.content_type == "application/pdf" and attachment.original_name == "evil name.pdf"
    assert attachment.size == len(PDF)


def test_a_long_key_from_another_channel_still_files_once(passport: Service) -> None:
    key = "sms:gateway-a:" + "9" * 200
    first = file(service=passport, idempotency_key=key, channel="sms")
    assert file(service=passport, idempotency_key=key, channel="sms").pk == first.pk
    assert Complaint.objects.count() == 1
