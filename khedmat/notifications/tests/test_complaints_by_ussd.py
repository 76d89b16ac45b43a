"""Complaining from the USSD menu: what about (a service, a centre, my application, staff), a
category, a short text, yes, the reference; in the caller's language, each screen on one page,
a retried request filing nothing more."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from khedmat.accounts.models import User
from khedmat.applications.services import application_draft_save, application_submit
from khedmat.centers.tests.conftest import Hall
from khedmat.complaints.models import Complaint
from khedmat.notifications.models import UssdSession
from khedmat.notifications.sms.encoding import fits_ussd_screen
from khedmat.notifications.ussd import UssdReply, ussd_reply

from .conftest import PASSPORT_ANSWERS

PHONE = "+93700444999"
TEXT = "The officer asked for 500 afghani more"
_sessions = itertools.count(1)
ENGLISH, DARI, PASHTO = "1", "2", "3"
COMPLAIN = "6"


def dial(*choices: str, phone: str = PHONE, session: str | None = None) -> UssdReply:
    reply = ussd_reply(session_id=session or f"c-{next(_sessions)}", service_code="*565#", phone_number=phone,
                       text="*".join(choices))
    assert fits_ussd_screen(reply.text), reply.text
    return reply


def test_complain_is_in_the_main_menu_of_every_language_and_the_menus_still_fit(db: None) -> None:
    assert dial(ENGLISH).text.splitlines()[-1] == "6 Complain"
    for language in (DARI, PASHTO):
        menu = dial(language)
        assert menu.text.splitlines()[-1].startswith("۶ ") and "Complain" not in menu.text
        wrong = dial(language, "8")  # the wrong-choice note and six options on one page
        assert len(wrong.text.splitlines()) == 7
    about = dial(ENGLISH, COMPLAIN)
    assert about.text.splitlines()[1:] == ["1 A service", "2 A center", "3 My application", "4 Staff conduct"]


def test_a_complaint_about_a_service_reaches_its_agency(hall: Hall) -> None:
    agencies = dial(ENGLISH, COMPLAIN, "1")
    assert "Interior" in agencies.text
    services = dial(ENGLISH, COMPLAIN, "1", "1")
    assert "Passport" in services.text or "passport" in services.text.lower()
    categories = dial(ENGLISH, COMPLAIN, "1", "1", "1")
    assert not categories.end and "Asked for money" in categories.text
    payment = next(line.split(" ", 1)[0] for line in categories.text.splitlines() if "Asked for money" in line)
    ask = dial(ENGLISH, COMPLAIN, "1", "1", "1", payment)
    assert not ask.end and "160" in ask.text
    confirm = dial(ENGLISH, COMPLAIN, "1", "1", "1", payment, TEXT)
    assert not confirm.end and confirm.text.splitlines()[-2:] == ["1 Yes", "2 No"]
    assert not Complaint.objects.exists()
    done = dial(ENGLISH, COMPLAIN, "1", "1", "1", payment, TEXT, "1", session="one-session")
    complaint = Complaint.objects.get()
    assert done.end and complaint.reference in done.text
    assert complaint.channel == "ussd" and complaint.about == "service" and complaint.category == "payment"
    assert complaint.service in (hall.passport, hall.licence) and complaint.agency == hall.passport.agency
    assert complaint.description == TEXT and complaint.phone == PHONE and complaint.language == "en"


def test_the_aggregator_sending_the_last_request_again_files_one_complaint(hall: Hall) -> None:
    choices = (DARI, COMPLAIN, "2", "1", "1", "صف سه ساعت حرکت نکرد", "1")
    first = dial(*choices, session="again")
    second = dial(*choices, session="again")
    assert first == second and Complaint.objects.count() == 1
    # A new session replaying the whole walk: the session is the key, so it is a new complaint,
    # as a person dialling again means it.
    dial(*choices, session="again-2")
    assert Complaint.objects.count() == 2


def test_a_complaint_about_a_centre_in_dari_goes_to_the_centre(hall: Hall) -> None:
    centres = dial(DARI, COMPLAIN, "2")
    assert "Kabul" in centres.text
    done = dial(DARI, COMPLAIN, "2", "1", "1", "صف سه ساعت حرکت نکرد")
    assert not done.end and done.text.splitlines()[-2:] == ["۱ بلی", "۲ نخیر"]
    filed = dial(DARI, COMPLAIN, "2", "1", "1", "صف سه ساعت حرکت نکرد", "1")
    complaint = Complaint.objects.get()
    assert filed.end and complaint.reference in filed.text and complaint.language == "fa"
    assert complaint.about == "center" and complaint.center == hall.center and complaint.agency is None
    assert "Complaint" not in filed.text  # said in Dari


def test_staff_conduct_goes_to_the_centre_where_it_happened(hall: Hall) -> None:
    text = dial(PASHTO, COMPLAIN, "4", "1")
    assert not text.end and "۱۶۰" in text.text
    dial(PASHTO, COMPLAIN, "4", "1", "کارکوونکي راته ښکنځل وکړې", "1")
    complaint = Complaint.objects.get()
    assert complaint.about == "staff" and complaint.category == "conduct" and complaint.center == hall.center
    assert complaint.agency is None and complaint.officer is None  # the centre's manager answers
    assert complaint.language == "ps"


def test_my_application_lists_only_the_callers_own_files(hall: Hall, dari_citizen: User,
                                                         english_citizen: User) -> None:
    empty = dial(ENGLISH, COMPLAIN, "3", phone=english_citizen.phone_number or "")
    assert empty.end and "No application" in empty.text
    mine = application_submit(application=application_draft_save(
        applicant=dari_citizen, service=hall.passport, data=PASSPORT_ANSWERS), idempotency_key="u-1",
        actor=dari_citizen)
    listing = dial(ENGLISH, COMPLAIN, "3", phone=english_citizen.phone_number or "")
    assert str(mine.reference) not in listing.text
    own = dial(ENGLISH, COMPLAIN, "3", phone=dari_citizen.phone_number or "")
    assert str(mine.reference) in own.text
    dial(ENGLISH, COMPLAIN, "3", "1", "1", "Three weeks and no answer yet", "1", phone=dari_citizen.phone_number or "")
    complaint = Complaint.objects.get()
    assert complaint.application == mine and complaint.agency_id == mine.agency_id


@pytest.mark.parametrize(("typed", "note"), [("bad", "Too short"), ("x" * 161, "Too long")])
def test_a_text_too_short_or_too_long_is_asked_again(hall: Hall, typed: str, note: str) -> None:
    again = dial(ENGLISH, COMPLAIN, "2", "1", "1", typed)
    assert not again.end and again.text.startswith(note)
    # The next text is read against the same question.
    confirm = dial(ENGLISH, COMPLAIN, "2", "1", "1", typed, TEXT)
    assert confirm.text.splitlines()[-2:] == ["1 Yes", "2 No"]
    assert not Complaint.objects.exists()


def test_no_files_nothing_and_eastern_digits_choose(hall: Hall) -> None:
    assert dial(ENGLISH, COMPLAIN, "2", "1", "1", TEXT, "2").text == "No complaint was filed."
    assert not Complaint.objects.exists()
    dial(DARI, "۶", "۲", "۱", "۱", "صف سه ساعت حرکت نکرد", "۱")
    assert Complaint.objects.count() == 1


def test_too_many_complaints_from_one_phone_are_refused_before_typing(hall: Hall, settings: Any) -> None:
    settings.THROTTLE_COMPLAINTS_BY_PHONE = (1, 24 * 60 * 60)
    dial(ENGLISH, COMPLAIN, "2", "1", "1", TEXT, "1")
    refused = dial(ENGLISH, COMPLAIN)
    assert refused.end and "Too many complaints" in refused.text
    assert Complaint.objects.count() == 1


def test_every_complaint_screen_fits_one_page_in_every_language(hall: Hall, dari_citizen: User) -> None:
    application_submit(application=application_draft_save(
        applicant=dari_citizen, service=hall.passport, data=PASSPORT_ANSWERS), idempotency_key="u-2",
        actor=dari_citizen)
    phone = dari_citizen.phone_number or ""
    for language in (ENGLISH, DARI, PASHTO):
        for path in [(), ("1",), ("1", "1"), ("1", "1", "1"), ("1", "1", "1", "1"), ("2",), ("2", "1"),
                     ("2", "1", "7"), ("3",), ("3", "1"), ("4",), ("4", "1"), ("4", "1", "x" * 160),
                     ("2", "1", "2", "y" * 160), ("9",)]:
            dial(language, COMPLAIN, *path, phone=phone)  # dial() asserts the fit
    assert not Complaint.objects.exists()
    assert UssdSession.objects.count() > 0


@settings_hypothesis(max_examples=40, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choices=st.lists(st.one_of(st.sampled_from(["1", "2", "3", "4", "9", "۱", "0", "", "99"]),
                                  st.text(max_size=200)), max_size=8),
       language=st.sampled_from([ENGLISH, DARI, PASHTO]))
def test_any_walk_through_complain_fits_and_never_fails(hall: Hall, choices: list[str], language: str) -> None:
    cache.clear()
    dial(language, COMPLAIN, *[choice.replace("*", "") for choice in choices])  # dial() asserts the fit


def test_control_characters_in_the_text_are_not_stored(hall: Hall) -> None:
    reply = dial(ENGLISH, COMPLAIN, "2", "1", "1", "The queue\x00 did not move\x07 at all", "1")
    complaint = Complaint.objects.get()
    assert reply.end and complaint.description == "The queue did not move at all"
    # A NUL anywhere in what the aggregator sends is no error (PostgreSQL refuses it in text).
    again = ussd_reply(session_id="s\x00n", service_code="*565\x00#", phone_number=PHONE, text="1\x00")
    assert not again.end


def test_a_star_typed_in_the_text_is_kept_when_the_dialogue_goes_screen_by_screen(hall: Hall) -> None:
    """The aggregator joins every input with "*": the session tells a "*" inside the text
    from the next choice. Shortcuts ("2*1" in one input) still work on the menus."""
    typed = "Counter *3* was closed all day, ask the guard"
    steps: list[str] = []
    for step in (ENGLISH, COMPLAIN + "*2", "1", "1", typed):
        steps.append(step)
        reply = dial(*steps, session="stars")
        assert not reply.end, reply.text
    assert reply.text.splitlines()[-2:] == ["1 Yes", "2 No"]
    done = dial(*steps, "1", session="stars")
    assert done.end and Complaint.objects.get().description == typed
