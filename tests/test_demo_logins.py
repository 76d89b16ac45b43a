"""`make run` prints the demonstration logins, with how to get a second-factor code."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command


@pytest.mark.django_db
def test_demo_logins_lists_every_demonstration_account() -> None:
    call_command("seed_demo", quiet=True)
    output = io.StringIO()
    call_command("demo_logins", base_url="http://127.0.0.1:8765", stdout=output)
    text = output.getvalue()
    data = yaml.safe_load(Path(settings.BASE_DIR, "demo", "users.yaml").read_text(encoding="utf-8"))
    assert "http://127.0.0.1:8765/en/account/sign-in/" in text
    # Staff are sent to the staff sign-in page, and every staff login is listed under it.
    citizens, _sep, staff = text.partition("Staff sign in with username and password at "
                                           "http://127.0.0.1:8765/en/account/staff/sign-in/:")
    assert staff, text
    for entry in data["users"]:
        assert entry["username"] in (citizens if entry["role"] == "citizen" else staff), entry["username"]
    from django.test import Client

    client = Client()
    assert client.get("/en/account/staff/sign-in/").status_code == 200
    for entry in data["users"]:
        assert entry["username"] in text
    assert data["password"] in text
    assert "manage.py totp_code officer.moi" in text
    assert "manage.py totp_code operator.kbl" not in text  # operators have no second factor


@pytest.mark.django_db
def test_demo_logins_links_to_the_one_public_address_by_default(settings: object) -> None:
    """`make run PORT=8101` sets PUBLIC_BASE_URL; the sign-in and pairing links follow it."""
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8101"  # type: ignore[attr-defined]
    call_command("seed_demo", quiet=True)
    output = io.StringIO()
    call_command("demo_logins", stdout=output)
    text = output.getvalue()
    assert "http://127.0.0.1:8101/en/account/sign-in/" in text
    assert "http://127.0.0.1:8101/en/devices/pair/?code=" in text
    assert ":8000" not in text


@pytest.mark.django_db
def test_demo_logins_gives_each_demonstration_screen_a_pairing_link_that_pairs_it() -> None:
    """Someone trying the demonstration pairs the kiosk and the rating tablet from the links."""
    import re

    from django.test import Client

    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)  # seeding again adds no second kiosk
    output = io.StringIO()
    call_command("demo_logins", base_url="http://127.0.0.1:8765", stdout=output)
    links = dict(re.findall(r"^  (.+) \(Kabul Service Center\): http://127\.0\.0\.1:8765(/en/devices/pair/\?code=\d{8})$",
                            output.getvalue(), re.M))
    assert set(links) == {"Kiosk by the entrance", "Rating tablet at counter 3"}, output.getvalue()
    kiosk = Client()
    path, _sep, code = links["Kiosk by the entrance"].partition("?code=")
    assert code in kiosk.get(links["Kiosk by the entrance"]).content.decode()  # the form, filled in
    paired = kiosk.post(path, {"code": code})
    assert paired["Location"] == "/en/centers/kabul/kiosk/"
    assert "Take a ticket" in kiosk.get(paired["Location"]).content.decode()


@pytest.mark.django_db
def test_demo_logins_before_seeding_says_what_to_run() -> None:
    output = io.StringIO()
    call_command("demo_logins", stdout=output)
    assert "make seed" in output.getvalue()


@pytest.mark.django_db
def test_a_demonstration_account_without_an_authenticator_gets_a_set_up_link(settings) -> None:  # type: ignore[no-untyped-def]
    from khedmat.accounts import services
    from khedmat.accounts.models import User

    call_command("seed_demo", quiet=True)
    officer = User.objects.get(username="officer.moi")
    services.staff_second_factor_reset(user=officer, reset_by=None, reason="demonstration")
    settings.DEBUG = True
    output = io.StringIO()
    call_command("demo_logins", base_url="http://127.0.0.1:8765", stdout=output)
    text = output.getvalue()
    assert "manage.py totp_code officer.moi" not in text
    assert "officer.moi" in text
    assert "then set up an authenticator: http://127.0.0.1:8765/en/account/staff/set-up/" in text


def test_the_readme_sends_staff_to_the_staff_sign_in_page() -> None:
    from django.urls import reverse
    from django.utils import translation

    with translation.override("en"):
        staff_sign_in, citizen_sign_in = reverse("accounts:staff_login"), reverse("accounts:login")
    readme = Path(settings.BASE_DIR, "README.md").read_text(encoding="utf-8")
    table = readme.split("## Demonstration logins", 1)[1].split("\n\n", 3)[2]
    rows = [row for row in table.splitlines() if row.startswith("| ") and "`" in row]
    assert rows
    for row in rows:
        expected = citizen_sign_in if row.startswith("| citizen") else staff_sign_in
        assert f"`{expected}`" in row, row
