"""The demonstration data: complete, valid, and loaded again without a single duplicate."""

from __future__ import annotations

import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from khedmat.accounts.models import SECOND_FACTOR_ROLES, Role, User
from khedmat.catalog.definition import definition_from_yaml
from khedmat.catalog.models import Agency, Category, Service, ServiceVersion
from khedmat.centers.models import Center, Counter

DEMO = Path(settings.BASE_DIR, "demo")
SERVICE_FILES = sorted((DEMO / "services").glob("*.yaml"))
# What issue 2 promises a visitor will find in the demonstration catalog.
NAMED_SERVICES = {
    "e-tazkira": "NSIA",
    "passport": "MOI",
    "business-licence": "MOCI",
    "export-permit-lapis-lazuli": "MOCI",
    "transit-declaration-lapis-lazuli": "ACD",
    "disability-registration": "MMDA",
    "martyr-family-pension": "MMDA",
    "birth-certificate": "NSIA",
    "driving-licence": "MOI",
    "vehicle-registration": "MOI",
    "scholarship": "MOHE",
    "returnee-registration": "MORR",
}


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    models = (Category, Agency, Service, ServiceVersion, Center, Counter, User, TOTPDevice)
    return {model.__name__: model._default_manager.count() for model in models}


@pytest.fixture
def seeded(db: None) -> str:
    return _seed()


@pytest.mark.parametrize("path", SERVICE_FILES, ids=lambda path: path.name)
def test_every_demo_service_definition_validates(path: Path) -> None:
    definition = definition_from_yaml(path.read_text(encoding="utf-8"))
    assert path.name == f"{definition['agency'].lower()}-{definition['code'].lower()}.yaml"


def test_the_demo_varies_fees_and_workflows() -> None:
    """The demonstration shows what a definition can say, not one shape 25 times."""
    definitions = [definition_from_yaml(path.read_text(encoding="utf-8")) for path in SERVICE_FILES]
    assert {definition["fee"]["kind"] for definition in definitions} == {"free", "fixed", "by_option"}
    assert any(definition["fee"]["exemptions"] for definition in definitions)
    roles = [{transition["role"] for transition in definition["workflow"]["transitions"]}
             for definition in definitions]
    assert sum("approver" in used for used in roles) >= 5  # two-person approval
    assert sum("system" in used for used in roles) >= 5  # a payment step
    assert sum(used == {"officer"} for used in roles) >= 1  # simple
    states = [{state["name"] for state in definition["workflow"]["states"]} for definition in definitions]
    assert sum("needs_information" in names for names in states) >= 10


def test_seed_loads_agencies_services_and_categories(seeded: str) -> None:
    assert Agency.objects.count() >= 8
    assert Service.objects.filter(current_version__isnull=False).count() >= 25
    assert Category.objects.count() >= 8
    for slug, agency_code in NAMED_SERVICES.items():
        service = Service.objects.select_related("agency").get(slug=slug)
        assert service.agency.code == agency_code, slug
    for agency in Agency.objects.all():
        assert agency.name_fa and agency.name_ps and agency.description_en and agency.website, agency.code


def test_seed_opens_three_centers_with_designated_counters(seeded: str) -> None:
    assert set(Center.objects.values_list("code", flat=True)) == {"KBL", "HRT", "MZR"}
    for center in Center.objects.all():
        counters = list(center.counters.all())
        assert 6 <= len(counters) <= 10, center.code
        designations = [counter.designation for counter in counters]
        assert Counter.Designation.WOMEN in designations, center.code
        assert Counter.Designation.PRIORITY in designations, center.code
        offered = set(center.services.values_list("slug", flat=True))
        assert 0 < len(offered) < Service.objects.count(), center.code  # most services, not all
        served: set[str] = set()
        for counter in counters:
            counter_services = set(counter.services.values_list("slug", flat=True))
            assert counter_services, f"{center.code} #{counter.number} serves nothing"
            assert counter_services <= offered, f"{center.code} #{counter.number}"
            served |= counter_services
        assert served == offered, f"{center.code}: a service no counter serves"


def test_the_lapis_lazuli_services_are_offered_in_herat_and_mazar(seeded: str) -> None:
    for slug in ("export-permit-lapis-lazuli", "transit-declaration-lapis-lazuli"):
        centers = set(Center.objects.filter(services__slug=slug).values_list("code", flat=True))
        assert {"HRT", "MZR"} <= centers, slug


def test_every_service_has_a_channel_and_center_services_have_a_center(seeded: str) -> None:
    for service in Service.objects.select_related("current_version").prefetch_related("centers"):
        assert service.current_version is not None
        channels = service.current_version.definition["channels"]
        assert channels, service.slug
        offered_at = list(service.centers.all())
        if "center" in channels:
            assert offered_at, f"{service.slug} is a center service that no center offers"
        else:
            assert not offered_at, f"{service.slug} is offered at a center but not by the center channel"


def test_seed_creates_one_user_per_role(seeded: str) -> None:
    users = list(User.objects.select_related("agency", "center").exclude(
        role=Role.CITIZEN, applications__idempotency_key__startswith="demo-", phone_number__gt="+93700000001"))
    # One demonstration login per role; the other citizens are the applicants of demo files.
    assert sorted(user.role for user in users) == sorted(Role.values)
    for user in users:
        has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        assert has_device == (user.role in SECOND_FACTOR_ROLES), user.username
    by_role = {user.role: user for user in users}
    assert by_role[Role.CITIZEN].phone_number == "+93700000001"
    assert getattr(by_role[Role.OPERATOR].center, "code", None) == "KBL"
    assert getattr(by_role[Role.CENTER_MANAGER].center, "code", None) == "KBL"
    assert getattr(by_role[Role.AGENCY_ADMIN].agency, "code", None) == "MOI"
    assert by_role[Role.OFFICER].agency is not None and by_role[Role.APPROVER].agency is not None
    password = yaml.safe_load((DEMO / "users.yaml").read_text(encoding="utf-8"))["password"]
    assert by_role[Role.PLATFORM_ADMIN].check_password(password)


def test_running_the_seed_twice_creates_nothing(seeded: str) -> None:
    counts = _counts()
    versions = set(ServiceVersion.objects.values_list("pk", flat=True))
    output = _seed()
    assert _counts() == counts
    assert set(ServiceVersion.objects.values_list("pk", flat=True)) == versions
    assert "Nothing new" in output


def test_the_seed_prints_a_summary_unless_quiet(seeded: str) -> None:
    assert f"{len(SERVICE_FILES)} services ({len(SERVICE_FILES)} new versions), 3 centers" in seeded
    assert "Created:" in seeded
    quiet = StringIO()
    call_command("seed_demo", "--quiet", stdout=quiet)
    assert quiet.getvalue() == ""


def test_a_broken_file_refuses_the_whole_seed(db: None, tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    shutil.copytree(DEMO, directory)
    broken = directory / "services" / "nsia-etz.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("role: operator", "role: minister"),
                      encoding="utf-8")
    with pytest.raises(CommandError, match=r"nsia-etz\.yaml: workflow\.transitions\[1\]\.role"):
        call_command("seed_demo", "--quiet", directory=directory)
    assert _counts() == dict.fromkeys(_counts(), 0)  # nothing saved, not even the agencies


def test_seed_loads_the_years_public_holidays_which_move_deadlines(seeded: str) -> None:
    import datetime

    from khedmat.core.models import Holiday
    from khedmat.core.workdays import add_working_days

    assert Holiday.objects.filter(date=datetime.date(2026, 8, 19), name_en="Independence Day").exists()
    # Independence Day 1405 is a Wednesday: one working day after Tuesday 18 August is Saturday.
    assert add_working_days(datetime.date(2026, 8, 18), 1) == datetime.date(2026, 8, 22)


def test_seed_fills_the_ministrys_inbox_with_files_in_several_states(seeded: str) -> None:
    from khedmat.applications.models import Application

    states = set(Application.objects.filter(agency__code="MOI").values_list("state", flat=True))
    assert {"submitted", "in_review", "needs_information", "awaiting_approval"} <= states
    # None is the demonstration citizen's: they start with an empty "My applications".
    assert not Application.objects.filter(applicant__phone_number="+93700000001").exists()


def test_every_book_link_of_a_service_leads_to_booking_it_at_that_center(seeded: str, client: Client) -> None:
    """Issue 10: Mazar-i-Sharif's "Book an appointment" led to a list without Mazar (the demo
    gave it no appointment hours, and every center linked to the list whatever it took)."""
    booked_at: dict[str, set[str]] = {}
    for slug in ("passport", "e-tazkira", "driving-licence", "birth-certificate"):
        page = client.get(f"/en/services/{slug}/").content.decode()
        links = re.findall(r'href="(/en/appointments/book/\d+/)"', page)
        for link in links:
            booking = client.get(link)
            assert booking.status_code == 200, link
            center = booking.context["schedule"].center
            assert center.name_en in booking.content.decode()
            booked_at.setdefault(slug, set()).add(center.code)
        assert len(links) == len(booked_at.get(slug, ())), slug  # one link per center that books it
    assert booked_at["passport"] == {"KBL", "HRT", "MZR"}
    assert "birth-certificate" not in booked_at  # booked nowhere: no link that leads nowhere
    listing = client.get("/en/appointments/").content.decode()
    assert "Mazar-i-Sharif Service Center" in listing


def test_kabul_is_open_every_day_and_holiday_and_the_others_keep_real_hours(seeded: str, client: Client) -> None:
    kabul, herat, mazar = (Center.objects.get(code=code) for code in ("KBL", "HRT", "MZR"))
    assert kabul.open_on_holidays and sorted(kabul.open_weekdays) == list(range(7))
    for center in (herat, mazar):
        assert not center.open_on_holidays and sorted(center.open_weekdays) == [0, 1, 2, 5, 6]
    home = client.get("/en/").content.decode()
    assert "Every day, holidays too, around the clock" in home
    assert home.count("Saturday to Wednesday, 08:00 to 16:00") == 2


def test_every_number_of_the_summary_is_what_the_database_holds(seeded: str) -> None:
    """On an empty database the seed creates all it describes: each number printed is counted."""
    from khedmat.applications.models import Application
    from khedmat.centers.models import AppointmentSchedule, Device, QueueGroup
    from khedmat.complaints.models import Complaint
    from khedmat.core.models import Holiday

    summary, created = seeded.strip().splitlines()[-2:]
    numbers = {label: int(count) for count, label in re.findall(r"(\d+) ([a-z][a-z ]*[a-z])", summary)}
    assert numbers == {
        "categories": Category.objects.count(), "agencies": Agency.objects.count(),
        "services": Service.objects.count(), "new versions": ServiceVersion.objects.count(),
        "centers with": Center.objects.count(), "counters": Counter.objects.count(),
        "users": User.objects.count(),
        "demonstration logins": len(yaml.safe_load((DEMO / "users.yaml").read_text(encoding="utf-8"))["users"]),
        "other applicants": User.objects.filter(role=Role.CITIZEN).exclude(phone_number="+93700000001").count(),
        "applications": Application.objects.exclude(state="draft").count(),
        "complaints": Complaint.objects.count(), "public holidays": Holiday.objects.count(),
    }, summary
    made = {label: int(count) for count, label in re.findall(r"(\d+) ([a-z][a-z ]*[a-z])", created)}
    assert made == {
        "categories": Category.objects.count(), "agencies": Agency.objects.count(),
        "services": Service.objects.count(), "service versions": ServiceVersion.objects.count(),
        "service centers": Center.objects.count(), "counters": Counter.objects.count(),
        "queue groups": QueueGroup.objects.count(), "appointment schedules": AppointmentSchedule.objects.count(),
        "paired devices": Device.objects.count(), "users": User.objects.count(),
        "applications": Application.objects.count(), "complaints": Complaint.objects.count(),
        "public holidays": Holiday.objects.count(),
    }, created


def test_the_demonstration_citizen_starts_with_no_applications_and_the_inbox_has_files(seeded: str) -> None:
    from khedmat.applications.models import Application

    citizen = User.objects.get(phone_number="+93700000001")
    assert not Application.objects.filter(applicant=citizen).exists()
    moi_files = Application.objects.filter(agency__code="MOI").exclude(state="draft")
    assert moi_files.count() >= 5 and moi_files.filter(is_final=False).count() >= 5
    assert moi_files.values("applicant").distinct().count() == moi_files.count()  # each someone else's
