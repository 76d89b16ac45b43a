"""A service's JSON Schema form: each kind of field read and checked on the server, Solar
Hijri dates, repeating rows, and every demonstration service's form."""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from khedmat.applications.formschema import (
    SchemaForm,
    answers_for_display,
    answers_problems,
    field_kind,
    raw_from_data,
)
from khedmat.applications.services.drafts import application_draft_store
from khedmat.applications.uploads import megabytes, upload_check
from khedmat.catalog.models import Agency
from khedmat.core.calendar import DateBound, to_solar_hijri
from khedmat.core.formatting import format_date

from .citizen_helpers import RICH_ANSWERS, RICH_FORM, RICH_POST, pdf, rich_service

DEMO_SERVICES = sorted(Path(settings.BASE_DIR, "demo/services").glob("*.yaml"))


def _form(post: dict[str, Any], language: str = "en", schema: dict[str, Any] | None = None) -> SchemaForm:
    with translation.override(language):
        form = SchemaForm(schema or RICH_FORM, language=language, post=post)
        form.is_valid()
    return form


def _errors(form: SchemaForm) -> dict[str, list[str]]:
    return {bound.name: bound.errors for bound in form.all_fields() if bound.errors}


def test_each_schema_field_is_shown_as_its_kind() -> None:
    kinds = {name: field_kind(schema) for name, schema in RICH_FORM["properties"].items()}
    assert kinds == {
        "full_name": "text", "hs_code": "text", "age": "integer", "grade": "number", "size": "radio",
        "province": "select", "agrees": "boolean", "date_of_birth": "date", "mobile": "phone",
        "tazkira": "tazkira", "address": "textarea", "children": "array",
    }
    assert field_kind({"type": "string", "format": "phone"}) == "phone"
    assert field_kind({"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}) == "checkboxes"


def test_a_complete_answer_is_read_into_typed_values() -> None:
    form = _form(RICH_POST)
    assert _errors(form) == {}
    assert form.cleaned_data == RICH_ANSWERS


def test_eastern_digits_are_accepted_everywhere() -> None:
    post = {**RICH_POST, "f-age": "۳۴", "f-grade": "۸۵٫۵", "f-hs_code": "۰۸۰۲۱۱", "f-mobile": "۰۷۰۰۱۲۳۴۵۶",
            "f-tazkira": "۱۴۰۰-۰۱۰۱-۱۲۳۴۵", "f-date_of_birth-day": "۱۵", "f-date_of_birth-year": "۱۳۷۰",
            "f-children-0-age": "٧"}
    form = _form(post, "fa")
    assert _errors(form) == {}
    assert form.cleaned_data == RICH_ANSWERS


def test_a_solar_hijri_date_is_stored_as_iso_gregorian_and_shown_back_in_solar_hijri() -> None:
    form = _form(RICH_POST)
    assert form.cleaned_data["date_of_birth"] == "1991-04-04"
    shown = SchemaForm(RICH_FORM, language="fa", data=form.cleaned_data)
    date_field = next(bound for bound in shown.fields if bound.kind == "date")
    assert (date_field.day, date_field.month, date_field.year) == ("15", "1", "1370")
    assert [choice.label for choice in date_field.choices][:2] == ["حمل (۱)", "ثور (۲)"]
    assert next(choice for choice in date_field.choices if choice.checked).value == "1"
    with translation.override("fa"):
        answers = {answer.label: answer.text for answer in answers_for_display(RICH_FORM, form.cleaned_data, "fa")}
    assert answers["تاریخ تولد"] == "۱۵ حمل ۱۳۷۰ (۱۹۹۱/۰۴/۰۴)"


@pytest.mark.parametrize(("day", "month", "year", "message"), [
    ("31", "7", "1370", "There is no such date: check the day and the month."),
    ("30", "12", "1402", "There is no such date: check the day and the month."),
    ("15", "", "1370", "Enter the day, the month and the year."),
    ("15", "1", "90", "Enter the year in the Solar Hijri calendar, for example 1370."),
    ("x", "1", "1370", "Enter the day and the year in digits."),
])
def test_a_wrong_date_is_refused_with_a_message(day: str, month: str, year: str, message: str) -> None:
    form = _form({**RICH_POST, "f-date_of_birth-day": day, "f-date_of_birth-month": month,
                  "f-date_of_birth-year": year})
    assert _errors(form) == {"f-date_of_birth": [message]}


def test_each_rule_of_the_schema_has_its_own_message() -> None:
    post = {**RICH_POST, "f-full_name": "A" * 25, "f-hs_code": "12AB", "f-age": "12", "f-grade": "abc",
            "f-size": "medium", "f-agrees": "", "f-mobile": "12345", "f-tazkira": "abc", "f-children-0-age": "40"}
    assert _errors(_form(post)) == {
        "f-full_name": ["Use at most 20 characters (you typed 25)."],
        "f-hs_code": ["Enter 6 to 10 digits, nothing else."],
        "f-age": ["Enter a number from 18 to 99."],
        "f-grade": ["Enter a number, in digits (for example 12.5)."],
        "f-size": ["Choose one of the options."],
        "f-agrees": ["Answer this question."],
        "f-mobile": ["Enter a valid Afghan mobile number such as 0700 123 456."],
        "f-tazkira": ["Enter the Tazkira number as it is printed on the card, digits and dashes only, "
                      "such as \u20661400-0101-12345\u2069."],  # the example isolated: it reads left to right
        "f-children-0-age": ["Enter a number from 0 to 18."],
    }


def test_messages_are_in_the_readers_language() -> None:
    form = _form({**RICH_POST, "f-full_name": "", "f-age": "۱۲"}, "fa")
    errors = _errors(form)
    with translation.override("fa"):
        required = gettext("Answer this question.")
        out_of_range = gettext("Enter a number from %(low)s to %(high)s.") % {"low": "۱۸", "high": "۹۹"}
    assert required != "Answer this question.", "the message is in the Dari catalog"
    assert errors == {"f-full_name": [required], "f-age": [out_of_range]}


def test_errors_appear_only_once_the_form_is_checked() -> None:
    form = SchemaForm(RICH_FORM, language="en", post={**RICH_POST, "f-age": "abc"})
    assert _errors(form) == {}
    assert not form.is_valid()
    assert _errors(form) == {"f-age": ["Enter a whole number, in digits (for example 12)."]}


def test_empty_rows_are_dropped_and_a_started_row_must_be_complete() -> None:
    post = {**RICH_POST, "f-children-count": "3", "f-children-1-name": "", "f-children-1-age": "",
            "f-children-2-name": "", "f-children-2-age": "4"}
    form = _form(post)
    assert _errors(form) == {"f-children-2-name": ["Answer this question."]}
    post["f-children-2-name"] = "Mina"
    assert _form(post).cleaned_data["children"] == [{"name": "Omid", "age": 7}, {"name": "Mina", "age": 4}]


def test_rows_are_added_and_removed_keeping_what_was_typed() -> None:
    post = {**RICH_POST, "f-children-count": "2", "f-children-1-name": "Mina"}
    added = SchemaForm(RICH_FORM, language="en", post=post, row_action=("add", ("children",)))
    children = next(bound for bound in added.fields if bound.kind == "array")
    assert [row.children[0].raw for row in children.rows] == ["Omid", "Mina", ""]
    assert children.rows[2].children[0].name == "f-children-2-name"
    removed = SchemaForm(RICH_FORM, language="en", post=post, row_action=("remove", ("children", 0)))
    children = next(bound for bound in removed.fields if bound.kind == "array")
    assert [row.children[0].raw for row in children.rows] == ["Mina"]
    assert removed.draft_data["children"] == [{"name": "Mina"}]


def test_an_optional_group_left_empty_is_not_an_answer() -> None:
    post = {**RICH_POST, "f-children-0-name": "", "f-children-0-age": ""}
    form = _form(post)
    assert _errors(form) == {}
    assert "children" not in form.cleaned_data


def test_a_rule_between_fields_is_still_enforced_by_the_schema_check() -> None:
    schema = copy.deepcopy(RICH_FORM)
    schema["dependentRequired"] = {"size": ["hs_code"]}
    form = _form({**RICH_POST, "f-hs_code": ""}, schema=schema)
    assert _errors(form) == {"f-hs_code": ["Answer this question."]}


def test_a_draft_keeps_even_the_answers_it_cannot_read() -> None:
    form = SchemaForm(RICH_FORM, language="en", post={**RICH_POST, "f-age": "thirty", "f-date_of_birth-day": "40"})
    draft = form.draft_data
    assert draft["age"] == "thirty"
    assert draft["date_of_birth"] == {"day": "40", "month": "1", "year": "1370"}
    shown = SchemaForm(RICH_FORM, language="en", data=draft)
    assert next(bound for bound in shown.fields if bound.name == "f-age").raw == "thirty"
    assert next(bound for bound in shown.fields if bound.kind == "date").day == "40"


def _valid_raw(schema: dict[str, Any], name: str, post: dict[str, str]) -> None:
    """Fill `post` with a valid answer to every field of `schema` (under `name`)."""
    kind = field_kind(schema)
    if kind == "object":
        for key, child in schema["properties"].items():
            _valid_raw(child, f"{name}-{key}", post)
    elif kind == "array":
        post[f"{name}-count"] = "1"
        _valid_raw(schema["items"], f"{name}-0", post)
    elif kind in ("radio", "select"):
        post[name] = str(schema["enum"][0])
    elif kind == "boolean":
        post[name] = "yes"
    elif kind == "date":
        # Halfway between the field's limits (a driving licence wants 18 years or more).
        today = timezone.localdate()
        earliest, latest = (DateBound.parse(schema.get(key, "today")).on(today) for key in ("x-minimum", "x-maximum"))
        solar = to_solar_hijri(earliest + (latest - earliest) / 2)
        post.update({f"{name}-day": str(solar.day), f"{name}-month": str(solar.month), f"{name}-year": str(solar.year)})
    elif kind in ("integer", "number"):
        post[name] = str(schema.get("minimum", 1))
    elif kind == "phone":
        post[name] = "0700123456"
    elif kind == "tazkira":
        post[name] = "1400-0101-12345"
    elif "pattern" in schema:
        post[name] = "1234567"
    else:
        post[name] = "Test"


@pytest.mark.parametrize("path", DEMO_SERVICES, ids=lambda path: path.stem)
@pytest.mark.parametrize("language", ["en", "fa", "ps"])
def test_every_demo_form_is_filled_checked_and_resumed(path: Path, language: str) -> None:
    schema = yaml.safe_load(path.read_text(encoding="utf-8"))["form"]
    post: dict[str, str] = {}
    _valid_raw(schema, "f", post)
    with translation.override(language):
        form = SchemaForm(schema, language=language, post=post)
        assert form.is_valid(), form.error_list()
        assert set(form.cleaned_data) == set(schema["properties"])
        assert all(bound.label for bound in form.all_fields())
        again = SchemaForm(schema, language=language, data=form.cleaned_data)
        assert again.is_valid() and again.cleaned_data == form.cleaned_data
        empty = SchemaForm(schema, language=language, post={})
        assert not empty.is_valid()
        assert {bound.path[0] for bound, _message in empty.error_list() if bound} == set(schema.get("required", []))


def test_stored_answers_are_shown_back_as_typed() -> None:
    raw = raw_from_data(RICH_FORM, RICH_ANSWERS)
    assert raw["mobile"] == "070 012 3456"
    assert raw["agrees"] == "yes"
    assert raw["children"] == [{"name": "Omid", "age": "7"}]
    assert raw_from_data(RICH_FORM)["children"] == [{"name": "", "age": ""}]


def test_answers_are_shown_in_the_readers_words() -> None:
    with translation.override("fa"):
        answers = answers_for_display(RICH_FORM, RICH_ANSWERS, "fa")
    shown = {answer.label: answer.text for answer in answers}
    assert shown["ولایت"] == "هرات"
    assert shown["موافقم"] == "بلی"
    assert shown["سن"] == "۳۴"
    assert shown["شماره موبایل"] == "۰۷۰ ۰۱۲ ۳۴۵۶"
    children = next(answer for answer in answers if answer.rows)
    assert [[(cell.label, cell.text) for cell in row] for row in children.rows] == [[("نام", "Omid"), ("سن", "۷")]]


def test_answers_problems_names_what_stops_a_draft(moi: Agency, citizen: Any) -> None:
    service = rich_service(moi)
    draft = application_draft_store(applicant=citizen, service=service, data={**RICH_ANSWERS, "age": 12})
    problems = answers_problems(application=draft)
    assert "Age: Enter a number from 18 to 99." in problems
    assert "Copy of the Tazkira: Attach this document." in problems
    draft = application_draft_store(applicant=citizen, service=service, data=RICH_ANSWERS, application=draft,
                                    uploads=[("tazkira_copy", upload_check(pdf(), max_bytes=megabytes(1)))])
    assert answers_problems(application=draft) == []
    assert datetime.date.fromisoformat(draft.data["date_of_birth"]) == datetime.date(1991, 4, 4)


# --- limits on dates (x-minimum, x-maximum in the definition) ------------------------------------

BOUNDED_FORM = {**RICH_FORM, "properties": {**RICH_FORM["properties"], "date_of_birth": {
    **RICH_FORM["properties"]["date_of_birth"], "x-minimum": "today-120y", "x-maximum": "today"}}}


def _date_post(day: datetime.date) -> dict[str, str]:
    solar = to_solar_hijri(day)
    return {**RICH_POST, "f-date_of_birth-day": str(solar.day), "f-date_of_birth-month": str(solar.month),
            "f-date_of_birth-year": str(solar.year)}


@pytest.mark.parametrize("language", ["en", "fa", "ps"])
def test_a_date_of_birth_in_the_future_is_refused_naming_today_in_solar_hijri(language: str) -> None:
    today = timezone.localdate()
    form = _form(_date_post(today + datetime.timedelta(days=1)), language, schema=BOUNDED_FORM)
    with translation.override(language):
        expected = gettext("Enter a date on or before %(date)s.") % {"date": format_date(today, language=language)}
    assert _errors(form) == {"f-date_of_birth": [expected]}
    assert "date_of_birth" not in form.cleaned_data


def test_a_date_before_the_earliest_is_refused_and_the_limits_themselves_are_accepted() -> None:
    today = timezone.localdate()
    earliest = DateBound.parse("today-120y").on(today)
    assert _errors(_form(_date_post(earliest - datetime.timedelta(days=1)), schema=BOUNDED_FORM)) == {
        "f-date_of_birth": [f"Enter a date on or after {format_date(earliest, language='en')}."]}
    for day in (earliest, today):
        form = _form(_date_post(day), schema=BOUNDED_FORM)
        assert _errors(form) == {}
        assert form.cleaned_data["date_of_birth"] == day.isoformat()


def test_a_draft_keeps_a_date_out_of_bounds_as_typed_to_be_corrected() -> None:
    post = _date_post(timezone.localdate() + datetime.timedelta(days=400))
    form = SchemaForm(BOUNDED_FORM, language="en", post=post)
    assert form.draft_data["date_of_birth"] == {key: post[f"f-date_of_birth-{key}"] for key in ("day", "month", "year")}


@pytest.mark.parametrize(("day", "month", "year"), [
    ("²", "1", "1370"), ("1", "1", "①③⑦⓪"), ("1", "²", "1370"), ("1", "1", "0001"), ("29", "12", "9999"),
    ("1", "1", "9" * 5000), ("\x00", "1", "1370"), ("31", "7", "1403"), ("-1", "1", "1370"), ("1", "13", "1370"),
])
def test_nonsense_in_a_date_is_refused_with_a_message_never_an_error(day: str, month: str, year: str) -> None:
    form = _form({**RICH_POST, "f-date_of_birth-day": day, "f-date_of_birth-month": month,
                  "f-date_of_birth-year": year}, schema=BOUNDED_FORM)
    assert list(_errors(form)) == ["f-date_of_birth"]
