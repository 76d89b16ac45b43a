"""The complainant hears of every step by SMS, in the language they filed in."""

from __future__ import annotations

from khedmat.accounts.models import User
from khedmat.catalog.models import Service
from khedmat.complaints.services import complaint_transition
from khedmat.core.formatting import format_date
from khedmat.notifications.models import Message

from .helpers import file


def test_an_sms_at_each_step(passport: Service, officer: User) -> None:
    complaint = file(service=passport, language="en")
    complaint = complaint_transition(complaint=complaint, step="take", expected_state="received", actor=officer)
    complaint = complaint_transition(complaint=complaint, step="open_investigation", expected_state="in_progress",
                                     actor=officer, text="Records needed.")
    complaint = complaint_transition(complaint=complaint, step="answer", expected_state="in_progress", actor=officer,
                                     text="Solved.")
    complaint = complaint_transition(complaint=complaint, step="reopen", expected_state="answered",
                                     as_complainant=True, text="Not solved.")
    complaint = complaint_transition(complaint=complaint, step="answer", expected_state="in_progress", actor=officer,
                                     text="Solved now.")
    complaint_transition(complaint=complaint, step="close", expected_state="answered", actor=officer)
    sent = list(Message.objects.filter(to="+93700111222").order_by("id").values_list("template", "body"))
    assert [template for template, _body in sent] == [
        "complaint.filed", "complaint.taken", "complaint.investigation_opened", "complaint.answered",
        "complaint.reopened", "complaint.answered", "complaint.closed"]
    assert all(complaint.reference in body for _template, body in sent)
    assert f"/en/complaints/{complaint.public_id}/" in sent[0][1]


def test_in_dari_with_solar_hijri_dates(passport: Service) -> None:
    complaint = file(service=passport, language="fa")
    [sms] = Message.objects.filter(template="complaint.filed")
    assert sms.language == "fa" and "شکایت" in sms.body
    assert format_date(complaint.due_date, language="fa") in sms.body
    assert f"/fa/complaints/{complaint.public_id}/" in sms.body
