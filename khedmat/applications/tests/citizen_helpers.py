"""Test data for the citizen's side: files to upload, a service whose form has every kind of
field, and applications made through the real services."""

from __future__ import annotations

import copy
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.services import application_draft_save, application_submit, application_transition
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import passport_definition, publish

from .conftest import PASSPORT_ANSWERS

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def pdf(name: str = "tazkira.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def title(en: str, fa: str, ps: str) -> dict[str, Any]:
    return {"title": en, "x-title": {"fa": fa, "ps": ps}}


# A form with one field of every kind the renderer knows.
RICH_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["full_name", "age", "province", "date_of_birth", "mobile", "agrees"],
    "properties": {
        "full_name": {"type": "string", "maxLength": 20, **title("Full name", "نام کامل", "بشپړ نوم")},
        "hs_code": {"type": "string", "pattern": "^[0-9]{6,10}$",
                    **title("Tariff (HS) code", "کود تعرفه (HS)", "د تعرفې کوډ (HS)")},
        "age": {"type": "integer", "minimum": 18, "maximum": 99, **title("Age", "سن", "عمر")},
        "grade": {"type": "number", "minimum": 0, "maximum": 100,
                  **title("Grade average", "اوسط نمرات", "د نمرو اوسط")},
        "size": {"type": "string", "enum": ["small", "large"], **title("Size", "اندازه", "اندازه"),
                 "x-enum-titles": {"small": {"en": "Small", "fa": "کوچک", "ps": "کوچنی"},
                                   "large": {"en": "Large", "fa": "بزرگ", "ps": "لوی"}}},
        "province": {"type": "string", "enum": ["kabul", "herat", "balkh", "kandahar", "nangarhar"],
                     **title("Province", "ولایت", "ولایت"),
                     "x-enum-titles": {
                         "kabul": {"en": "Kabul", "fa": "کابل", "ps": "کابل"},
                         "herat": {"en": "Herat", "fa": "هرات", "ps": "هرات"},
                         "balkh": {"en": "Balkh", "fa": "بلخ", "ps": "بلخ"},
                         "kandahar": {"en": "Kandahar", "fa": "کندهار", "ps": "کندهار"},
                         "nangarhar": {"en": "Nangarhar", "fa": "ننگرهار", "ps": "ننګرهار"}}},
        "agrees": {"type": "boolean", **title("I agree", "موافقم", "موافق یم")},
        "date_of_birth": {"type": "string", "format": "date", **title("Date of birth", "تاریخ تولد", "د زېږېدو نېټه")},
        "mobile": {"type": "string", "x-widget": "phone", **title("Mobile number", "شماره موبایل", "د موبایل شمېره")},
        "tazkira": {"type": "string", "x-widget": "tazkira", "maxLength": 32,
                    **title("Tazkira number", "شمارهٔ تذکره", "د تذکرې شمېره")},
        "address": {"type": "string", "maxLength": 300, **title("Address", "آدرس", "پته")},
        "children": {
            "type": "array", **title("Children", "اطفال", "ماشومان"),
            "items": {"type": "object", "required": ["name"], **title("Child", "طفل", "ماشوم"),
                      "properties": {
                          "name": {"type": "string", "maxLength": 50, **title("Name", "نام", "نوم")},
                          "age": {"type": "integer", "minimum": 0, "maximum": 18, **title("Age", "سن", "عمر")},
                      }},
        },
    },
}

RICH_POST: dict[str, str] = {
    "f-full_name": "Ahmad Zia", "f-hs_code": "080211", "f-age": "34", "f-grade": "85.5", "f-size": "small",
    "f-province": "herat", "f-agrees": "yes", "f-date_of_birth-day": "15", "f-date_of_birth-month": "1",
    "f-date_of_birth-year": "1370", "f-mobile": "0700 123 456", "f-tazkira": "1400-0101-12345",
    "f-address": "Karte Char, Kabul", "f-children-count": "1", "f-children-0-name": "Omid", "f-children-0-age": "7",
}

RICH_ANSWERS: dict[str, Any] = {
    "full_name": "Ahmad Zia", "hs_code": "080211", "age": 34, "grade": 85.5, "size": "small", "province": "herat",
    "agrees": True, "date_of_birth": "1991-04-04", "mobile": "+93700123456", "tazkira": "1400-0101-12345",
    "address": "Karte Char, Kabul", "children": [{"name": "Omid", "age": 7}],
}


def rich_definition(**changes: Any) -> dict[str, Any]:
    definition = passport_definition(**{
        "code": "RCH", "slug": "rich-service", "form": copy.deepcopy(RICH_FORM),
        "fee": {"kind": "fixed", "amount": 250, "exemptions": []},
        "name": {"en": "Every kind of field", "fa": "همه نوع خانه", "ps": "هر ډول خانه"},
    })
    definition["required_documents"][0]["max_size_mb"] = 1
    definition.pop("document", None)  # the passport's document prints fields this form does not have
    for path, value in changes.items():
        definition[path] = value
    return definition


def rich_service(agency: Agency, **changes: Any) -> Service:
    return publish(agency, rich_definition(**changes)).service


def submitted(service: Service, citizen: User, key: str = "key-1",
              answers: dict[str, Any] | None = None) -> Application:
    draft = application_draft_save(applicant=citizen, service=service, data=answers or PASSPORT_ANSWERS)
    return application_submit(application=draft, idempotency_key=key, actor=citizen)


def waiting_for_information(application: Application, officer: User,
                            reason: str = "Send a clearer copy") -> Application:
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    return application_transition(application=application, actor=officer, transition="request_information",
                                  expected_state="in_review", reason_text=reason)


def token_of(html: str) -> str:
    found = re.search(r'name="submission_token" value="([^"]+)"', html)
    assert found, "the form carries an idempotency key"
    return found.group(1)
