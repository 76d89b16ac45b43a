"""Forms of the citizen's pages.

`ApplicationForm` is the whole application page of a service: its fields (from the JSON
Schema, see formschema.py) and one file input per document the service asks for. It reads
a post (or a draft), checks each uploaded file, and says what to store and what is missing.
The assisted channel at a center uses it too, with the operator as uploader.
"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khedmat.accounts.phone import normalize_mobile_number
from khedmat.accounts.tazkira import normalize_tazkira_number
from khedmat.core.calendar import solar_hijri_date, to_solar_hijri
from khedmat.core.formatting import (
    PHONE_EXAMPLE,
    REFERENCE_EXAMPLE,
    format_number,
    isolate_ltr,
    western_digits,
    with_example,
)
from khedmat.core.i18n import pick

from .formschema import BoundField, SchemaForm, parse_row_path
from .models import Application, Document, Relationship
from .services.documents import OTHER_DOCUMENT
from .uploads import (
    ACCEPT_ATTRIBUTE,
    DEFAULT_MAX_SIZE_MB,
    CheckedUpload,
    UploadRefused,
    megabytes,
    too_big_message,
    upload_check,
)

DOCUMENT_PREFIX = "doc"
ANSWER_DOCUMENT_PREFIX = "answer-doc"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# Dashes of every keyboard (and the spaces or underscores people put instead) become one hyphen.
_SEPARATORS = str.maketrans({"‐": "-", "‑": "-", "–": "-", "—": "-", "−": "-", "ـ": "-", "_": "-", " ": "-"})


def new_submission_token() -> str:
    """A fresh idempotency key, put in a hidden field each time a form is shown."""
    return secrets.token_urlsafe(24)


def submission_token(post: Mapping[str, Any]) -> str | None:
    """The idempotency key the page was shown with, if it is one we could have made."""
    token = str(post.get("submission_token", ""))
    return token if _TOKEN.match(token) else None


# --- documents -----------------------------------------------------------------------------

@dataclass
class DocumentSlot:
    """One file input: a document the service asks for, with what is already stored."""

    code: str
    label: str
    required: bool
    max_size_mb: int
    input_name: str
    existing: list[Document] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"id_{self.input_name}"

    @property
    def focus_id(self) -> str:
        return self.id

    @property
    def hint_id(self) -> str:
        return f"{self.id}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def described_by(self) -> str:
        return " ".join([self.hint_id] + ([self.error_id] if self.errors else []))

    @property
    def max_bytes(self) -> int:
        return megabytes(self.max_size_mb)

    @property
    def hint(self) -> str:
        return _("PDF, JPEG or PNG, up to %(size)s MB.") % {"size": format_number(self.max_size_mb)}

    @property
    def accept(self) -> str:
        return ACCEPT_ATTRIBUTE


def document_slots(definition: Mapping[str, Any], *, prefix: str = DOCUMENT_PREFIX, with_other: bool = False,
                   all_optional: bool = False) -> list[DocumentSlot]:
    """A slot per document of the definition (and one for "another document" if asked)."""
    slots = [
        DocumentSlot(code=document["code"], label=pick(document["name"], None),
                     required=bool(document.get("required", True)) and not all_optional,
                     max_size_mb=int(document.get("max_size_mb") or DEFAULT_MAX_SIZE_MB),
                     input_name=f"{prefix}-{document['code']}")
        for document in definition.get("required_documents", [])
    ]
    if with_other:
        slots.append(DocumentSlot(code=OTHER_DOCUMENT, label=_("Another document"), required=False,
                                  max_size_mb=DEFAULT_MAX_SIZE_MB, input_name=f"{prefix}-{OTHER_DOCUMENT}"))
    return slots


def upload_field_limits(slots: Iterable[DocumentSlot]) -> dict[str, int]:
    """Input name → bytes, for `uploads.upload_limits_install`."""
    return {slot.input_name: slot.max_bytes for slot in slots}


def check_uploads(slots: Iterable[DocumentSlot], files: Mapping[str, Any],
                  refused: Mapping[str, str]) -> list[tuple[str, CheckedUpload]]:
    """Check each file sent; a refused one leaves its message on its slot."""
    accepted: list[tuple[str, CheckedUpload]] = []
    for slot in slots:
        if refused.get(slot.input_name) == "too_big":
            slot.errors.append(too_big_message(slot.max_bytes))
            continue
        upload = files.get(slot.input_name)
        if upload is None:
            continue
        try:
            accepted.append((slot.code, upload_check(upload, max_bytes=slot.max_bytes)))
        except UploadRefused as refusal:
            slot.errors.append(refusal.message)
    return accepted


# --- the application page --------------------------------------------------------------------

class ApplicationForm:
    """A service's application page, bound to a post or to a draft.

    The submit buttons say what to do: `action=submit`, `action=save`, `add_row=<path>`,
    `remove_row=<path-index>`, `remove_document=<document id>`.
    """

    def __init__(self, *, definition: Mapping[str, Any], language: str, draft: Application | None = None,
                 post: Mapping[str, Any] | None = None, files: Mapping[str, Any] | None = None,
                 refused: Mapping[str, str] | None = None) -> None:
        self.definition = definition
        self.language = language
        post_data: Mapping[str, Any] = post if post is not None else {}
        self.action = self._action(post_data) if post is not None else None
        row_action = None
        if self.action in ("add_row", "remove_row"):
            path = parse_row_path(str(post_data.get(self.action, "")))
            if path is not None:
                row_action = ("add" if self.action == "add_row" else "remove", path)
        self.schema_form = SchemaForm(definition["form"], language=language, post=post,
                                 data=draft.data if (draft is not None and post is None) else None,
                                 row_action=row_action)
        self.slots = document_slots(definition)
        self.remove_document_id = str(post_data.get("remove_document", "")) if self.action == "remove_document" \
            else ""
        self.uploads = check_uploads(self.slots, files or {}, refused or {}) if post is not None else []
        self.applicant_form: RelationshipForm | None = None  # who it is for (views_citizen sets it)
        if draft is not None:
            self.attach_stored(draft)

    @staticmethod
    def _action(post: Mapping[str, Any]) -> str:
        for name in ("add_row", "remove_row", "remove_document"):
            if post.get(name):
                return name
        action = str(post.get("action", ""))
        return action if action in ("save", "submit") else "save"

    @property
    def questions(self) -> list[BoundField]:
        """The form's top-level fields, in the order of the schema."""
        return self.schema_form.fields

    @property
    def draft_data(self) -> dict[str, Any]:
        return self.schema_form.draft_data

    @property
    def cleaned_data(self) -> dict[str, Any]:
        return self.schema_form.cleaned_data

    def documents_to_remove(self, draft: Application | None) -> list[Document]:
        if draft is None or not self.remove_document_id:
            return []
        return [document for slot in self.slots for document in slot.existing
                if str(document.public_id) == self.remove_document_id]

    def attach_stored(self, draft: Application, documents: Iterable[Document] | None = None) -> None:
        """Show the files already kept on the draft ("already uploaded"): `documents` when the
        caller knows them all (a draft made by this request), else those read from the draft."""
        stored: dict[str, list[Document]] = {}
        if documents is None:
            documents = draft.documents.filter(message__isnull=True).order_by("uploaded_at", "id")
        for document in documents:
            stored.setdefault(document.document_code, []).append(document)
        for slot in self.slots:
            slot.existing = stored.get(slot.code, [])

    @property
    def has_upload_errors(self) -> bool:
        return any(slot.errors for slot in self.slots)

    def is_valid(self) -> bool:
        """Every answer right and every required document kept (call after storing uploads)."""
        fields_valid = self.schema_form.is_valid()
        for slot in self.slots:
            if slot.required and not slot.existing and not slot.errors:
                slot.errors.append(_("Attach this document."))
        return fields_valid and not self.has_upload_errors

    def complete_as_sent(self) -> bool:
        """Whether this post alone makes a complete application, with nothing kept before: every
        answer right and every required document among the files it sends (then it can be
        filed in one go, `drafts.application_file`). Shows the answers' errors, like `is_valid`."""
        sent = {code for code, _upload in self.uploads}
        fields_valid = self.schema_form.is_valid()
        return fields_valid and not self.has_upload_errors and all(
            slot.code in sent for slot in self.slots if slot.required)

    def error_list(self) -> list[tuple[str, str]]:
        """(id to jump to, message) for the summary at the top of the page, in page order."""
        pairs: list[tuple[str, str]] = []
        if self.schema_form.show_errors:
            pairs += [(bound.focus_id, f"{bound.label}: {message}") if bound is not None else ("", message)
                      for bound, message in self.schema_form.error_list()]
        pairs += [(slot.focus_id, f"{slot.label}: {message}") for slot in self.slots for message in slot.errors]
        return pairs


# --- corrections ------------------------------------------------------------------------------

def partial_form(definition: Mapping[str, Any], names: Iterable[str], *, language: str,
                 post: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None) -> SchemaForm:
    """The service's form cut down to the fields `names` (a correction, a document's facts):
    a post is read for those fields only, so nothing else can be changed through it."""
    schema = definition["form"]
    wanted = [name for name in schema.get("properties", {}) if name in set(names)]
    partial = {"type": "object", "properties": {name: schema["properties"][name] for name in wanted},
               "required": [name for name in schema.get("required", []) if name in wanted]}
    if post is not None:
        return SchemaForm(partial, language=language, post=post)
    return SchemaForm(partial, language=language, data={k: v for k, v in (data or {}).items() if k in wanted})


_SOLAR_WRITTEN = re.compile(r"^([0-9]{4})\s*[/.\-]\s*([0-9]{1,2})\s*[/.\-]\s*([0-9]{1,2})$")


def parse_solar_hijri_date(text: str) -> datetime.date | None:
    """A Solar Hijri day written year/month/day (any digits, / - or . between), or None."""
    match = _SOLAR_WRITTEN.match(western_digits(text).strip())
    if match is None:
        return None
    try:
        return solar_hijri_date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def format_solar_hijri_input(value: datetime.date) -> str:
    """A date as the applicant's date-of-birth input shows it: year/month/day, Solar Hijri."""
    day = to_solar_hijri(value)
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why are you withdrawing? (optional)"), required=False,
                             max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("The agency reads it. You may leave it empty."))
    confirm = forms.BooleanField(label=gettext_lazy("I am sure: withdraw this application. This cannot be undone."),
                                 error_messages={"required": gettext_lazy("Tick the box to confirm.")})


class RelationshipForm(forms.Form):
    """Who the application is for: the account holder, or someone else (a child, a parent…)."""

    FOR_ME, FOR_SOMEONE = "me", "someone_else"
    applicant_for = forms.ChoiceField(
        label=gettext_lazy("Who is this application for?"), widget=forms.RadioSelect,
        choices=[(FOR_ME, gettext_lazy("Me")), (FOR_SOMEONE, gettext_lazy("Someone else"))], initial=FOR_ME,
        required=False)
    applicant_name = forms.CharField(label=gettext_lazy("Name of the person"), required=False, max_length=200,
                                     help_text=gettext_lazy("As written on their Tazkira, in Dari or Pashto script."))
    applicant_tazkira = forms.CharField(label=gettext_lazy("Their Tazkira number"), required=False, max_length=40,
                                        help_text=gettext_lazy("For example 1400-0101-12345."),
                                        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}))
    applicant_date_of_birth = forms.CharField(
        label=gettext_lazy("Their date of birth"), required=False, max_length=20,
        help_text=gettext_lazy("Solar Hijri, as year/month/day, for example 1395/04/12."),
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}))
    applicant_relationship = forms.ChoiceField(
        label=gettext_lazy("They are"), required=False,
        choices=[("", gettext_lazy("Choose")), *[(value, label) for value, label in Relationship.choices
                                                  if value != Relationship.SELF]])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("applicant_for") != self.FOR_SOMEONE:
            return {"applicant_relationship": Relationship.SELF, "applicant_name": "", "applicant_tazkira": "",
                    "applicant_date_of_birth": None, "applicant_for": self.FOR_ME}
        if not (data.get("applicant_name") or "").strip():
            self.add_error("applicant_name", _("Write the name of the person this application is for."))
        if not data.get("applicant_relationship"):
            self.add_error("applicant_relationship", _("Say who they are to you."))
        try:
            data["applicant_tazkira"] = normalize_tazkira_number(data.get("applicant_tazkira") or "")
        except ValidationError as error:
            self.add_error("applicant_tazkira", error)
        written = (data.get("applicant_date_of_birth") or "").strip()
        data["applicant_date_of_birth"] = None
        if written:
            parsed = parse_solar_hijri_date(written)
            if parsed is None or parsed > datetime.date.today():
                self.add_error("applicant_date_of_birth",
                               _("Write the date as year/month/day in the Solar Hijri calendar, for example "
                                 "1395/04/12."))
            else:
                data["applicant_date_of_birth"] = parsed
        data["applicant_name"] = " ".join((data.get("applicant_name") or "").split())
        return data


# --- answering the agency, and the public status check ------------------------------------

class AnswerForm(forms.Form):
    """The text of an answer to the agency; its files are DocumentSlots beside it."""

    text = forms.CharField(
        label=gettext_lazy("Your answer"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Write what the agency asked for. Attach new files below if needed."),
    )
    expected_state = forms.CharField(widget=forms.HiddenInput)
    transition = forms.CharField(widget=forms.HiddenInput, required=False)


def normalize_reference(text: str) -> str:
    """A reference as printed (MOI-PSP-1405-000123), whatever digits and dashes were typed."""
    return " ".join(western_digits(str(text)).split()).translate(_SEPARATORS).upper()[:40]


class StatusCheckForm(forms.Form):
    """A reference and the mobile number the application was filed with."""

    reference = forms.CharField(
        label=gettext_lazy("Reference number"), max_length=40,
        help_text=with_example(gettext_lazy("As on your receipt, for example %(example)s."), REFERENCE_EXAMPLE),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "dir": "ltr"}),
    )
    phone_number = forms.CharField(
        label=gettext_lazy("Mobile number"), max_length=30,
        help_text=with_example(gettext_lazy("The number the application was filed with, for example %(example)s."),
                               PHONE_EXAMPLE),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", "dir": "ltr"}),
    )

    def clean_reference(self) -> str:
        text = normalize_reference(self.cleaned_data["reference"])
        if not re.match(r"^[A-Z0-9]+(?:-[A-Z0-9]+)+$", text):
            raise ValidationError(_("Enter the reference as it is printed, for example %(example)s.") % {
                "example": isolate_ltr(REFERENCE_EXAMPLE)})
        return text

    def clean_phone_number(self) -> str:
        return normalize_mobile_number(self.cleaned_data["phone_number"])
