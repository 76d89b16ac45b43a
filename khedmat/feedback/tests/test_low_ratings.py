"""The center manager's list of low ratings and their follow-up (issue 10): only a manager of
the rating's own center sees or follows one up; a retried form records once; each reading and
each follow-up is audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.audit.models import AuditEvent
from khedmat.catalog.tests.factories import verified_client
from khedmat.centers.selectors import LOW_RATING_AT_OR_BELOW, low_ratings_not_followed_up
from khedmat.centers.services import ticket_call_next, ticket_finish, ticket_issue, ticket_start
from khedmat.centers.tests.conftest import PASSWORD, Hall, make_center
from khedmat.feedback.models import Rating, RatingFollowUp
from khedmat.feedback.services import FollowUpError, rating_follow_up_record, rating_submit

LIST = "/en/center/ratings/"


def rated(hall: Hall, score: int, *, reason: str = "rude", comment: str = "", phone: str = "") -> Rating:
    ticket = ticket_issue(center=hall.center, service=hall.passport, phone=phone)
    counter = hall.open(3)
    ticket_call_next(counter=counter)
    ticket_start(counter=counter, ticket=ticket)
    ticket = ticket_finish(counter=counter, ticket=ticket)
    return rating_submit(ticket=ticket, score=score, reason=reason if score <= 2 else "", comment=comment,
                         channel="link")


def follow_up_post(client: Client, rating: Rating, *, method: str = "called_citizen", note: str = "",
                   key: str = "k1", language: str = "en") -> Any:
    prefix = f"r{rating.pk}"
    return client.post(f"/{language}/center/ratings/{rating.pk}/follow-up/",
                       {f"{prefix}-method": method, f"{prefix}-note": note, f"{prefix}-key": key})


@pytest.fixture
def herat_manager(db: None) -> User:
    center = make_center(code="HRT", slug="herat", name="Herat")
    return staff_user_create(username="manager.hrt", password=PASSWORD, role=Role.CENTER_MANAGER, center=center,
                             totp_key="3132333435363738393031323334353637383930")


def test_the_manager_sees_low_ratings_with_reason_ticket_operator_and_phone(hall: Hall, manager: User) -> None:
    low = rated(hall, 1, comment="Nobody told me which papers to bring", phone="+93700123456")
    rated(hall, 4)
    page = verified_client(manager).get(LIST).content.decode()
    assert "Nobody told me which papers to bring" in page and "The staff were not polite" in page
    assert low.ticket.display_number in page and "Passport issuance and renewal" in page
    assert "<bdi>Operator 3</bdi>" in page and 'href="tel:+93700123456"' in page
    assert page.count('class="card low-rating') == 1  # the 4 is not listed
    assert "Not followed up yet" in page
    read = AuditEvent.objects.get(action="feedback.low_ratings_read")
    assert read.actor == manager and read.data["ratings"] == [low.pk]


def test_a_follow_up_is_recorded_once_shown_and_audited(hall: Hall, manager: User) -> None:
    low = rated(hall, 2)
    client = verified_client(manager)
    for _ in range(2):  # a second click, a retried POST
        response = follow_up_post(client, low, note="Called back; the papers were explained.")
        assert response.status_code == 302 and response["Location"].endswith(f"#rating-{low.pk}")
    [done] = RatingFollowUp.objects.all()
    assert (done.rating, done.by, done.method) == (low, manager, "called_citizen")
    assert AuditEvent.objects.filter(action="feedback.rating_followed_up", target_id=str(low.pk)).count() == 1
    page = client.get(LIST).content.decode()
    assert "Center Manager — Called the citizen" in page and "Called back; the papers were explained." in page
    assert "Not followed up yet" not in page
    # Another form (a new key) records a second follow-up: speaking with the operator.
    follow_up_post(client, low, method="spoke_with_operator", key="k2")
    assert RatingFollowUp.objects.count() == 2
    assert low_ratings_not_followed_up(center=hall.center) == 0
    assert "Not followed up yet" not in client.get(f"{LIST}?open=1").content.decode()


def test_another_centers_manager_sees_nothing_and_cannot_follow_up(hall: Hall, manager: User,
                                                                    herat_manager: User) -> None:
    low = rated(hall, 1, comment="secret complaint", phone="+93700123456")
    client = verified_client(herat_manager)
    page = client.get(LIST).content.decode()
    assert "secret complaint" not in page and "700" not in page
    assert follow_up_post(client, low).status_code == 404
    for rating_id in (0, 999_999, 2**31):
        assert client.post(f"/en/center/ratings/{rating_id}/follow-up/", {}).status_code == 404
    with pytest.raises(FollowUpError):
        rating_follow_up_record(rating=low, by=herat_manager, method="other", note="x", key="k")
    assert not RatingFollowUp.objects.exists()


def test_operators_and_citizens_do_not_reach_the_list(hall: Hall, manager: User) -> None:
    low = rated(hall, 1)
    operator = verified_client(hall.operator(3))
    assert operator.get(LIST).status_code == 403  # staff of another role: the "not allowed" page
    assert follow_up_post(operator, low).status_code == 403
    assert not low.follow_ups.exists()
    assert Client().get(LIST).status_code == 302  # to the staff sign-in


def test_a_high_rating_is_not_followed_up_here(hall: Hall, manager: User) -> None:
    good = rated(hall, 3)
    assert follow_up_post(verified_client(manager), good).status_code == 404


@pytest.mark.parametrize("method, note, key, message", [
    ("", "", "k", "Choose how you followed up."),
    ("bribe", "", "k", "Choose how you followed up."),
    ("other", "   ", "k", "Say in the note how you followed up."),
    ("other", "x" * 1001, "k", "Ensure this value has at most 1000 characters"),
    ("called_citizen", "", "", "The form has expired: open the list again."),
])
def test_a_bad_follow_up_says_why_and_records_nothing(hall: Hall, manager: User, method: str, note: str, key: str,
                                                      message: str) -> None:
    low = rated(hall, 1)
    response = follow_up_post(verified_client(manager), low, method=method, note=note, key=key)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not RatingFollowUp.objects.exists()


def test_a_note_is_kept_as_plain_text(hall: Hall, manager: User) -> None:
    low = rated(hall, 1)
    assert follow_up_post(verified_client(manager), low, method="other", note="Met\x00", key="k0").status_code == 422
    follow_up_post(verified_client(manager), low, method="other", note="Met\x07 the citizen\n\n <b>at</b> the door")
    assert RatingFollowUp.objects.get().note == "Met the citizen <b>at</b> the door"
    page = verified_client(manager).get(LIST).content.decode()
    assert "&lt;b&gt;at&lt;/b&gt;" in page


def test_the_list_in_dari_takes_solar_hijri_days_with_eastern_digits(hall: Hall, manager: User) -> None:
    rated(hall, 1)
    client = verified_client(manager)
    page = client.get("/fa/center/ratings/", {"start": "۱۴۰۰/۰۱/۰۱", "end": "۱۴۰۰/۰۱/۱۰"}).content.decode()
    assert 'dir="rtl"' in page and 'class="card low-rating' not in page  # those days had none
    refused = client.get("/en/center/ratings/", {"start": "1395/01/01", "end": "1405/01/01"}).content.decode()
    assert "Choose at most 366 days" in refused
    assert re.search(r'class="card low-rating', refused)  # the last month is listed instead


def test_the_dashboard_links_to_the_list_with_the_number_to_follow_up(hall: Hall, manager: User) -> None:
    rated(hall, 1)
    rated(hall, 2)
    page = verified_client(manager).get("/en/center/dashboard/").content.decode()
    assert 'href="/en/center/ratings/">Low ratings to follow up</a> <span class="badge badge--danger">2</span>' in page


def test_the_dashboards_low_rating_threshold_is_the_feedback_apps() -> None:
    assert LOW_RATING_AT_OR_BELOW == Rating.REASON_REQUIRED_AT_OR_BELOW
