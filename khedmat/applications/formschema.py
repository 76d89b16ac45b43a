"""A service's application form, from the JSON Schema of its definition (`definition["form"]`):
turned into HTML fields and checked on the server, with a message per field in the reader's
language.

What a schema field becomes:

| schema | field |
|---|---|
| `type: string` (`minLength`, `maxLength`, `pattern`) | a text box (a text area from 200 characters) |
| `type: integer` / `number` (`minimum`, `maximum`, `exclusive…`, `multipleOf`) | a text box for digits |
| `enum` (titles from `x-enum-titles`) | radio buttons for up to 4 choices, a list beyond |
| `type: boolean` | yes / no radio buttons |
| `format: date` | day, month (Afghan month names) and year in the Solar Hijri calendar; stored as ISO Gregorian |
| `format: phone` or `x-widget: phone` | an Afghan mobile number, stored as +93… |
| `format: tazkira` or `x-widget: tazkira` | a Tazkira number, stored with Western digits |
| `format: email` | an e-mail address |
| `type: object` | a group of fields |
| `type: array` of objects (or of single values) | repeating rows, with "Add another row" |
| `type: array` whose `items` have an `enum` | check boxes |

Titles come from `title` (English) and `x-title` (Dari, Pashto), hints from `description`
and `x-description`. Digits may be typed in Eastern Arabic-Indic. Each field is checked
with its own friendly message; then the whole answer goes through the jsonschema validator,
so a rule the fields do not know (if/then, dependentRequired…) is still enforced.

Everything a person typed is kept as typed ("raw") so that a page sent back with errors, or
a draft resumed later, shows it again: a draft keeps an answer it could not read as the text
that was typed (a date as its three parts).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from jsonschema import Draft202012Validator, FormatChecker

from khedmat.accounts.phone import display_mobile_number, normalize_mobile_number
from khedmat.accounts.tazkira import normalize_tazkira_number
from khedmat.core.calendar import (
    MONTHS,
    SOLAR_HIJRI_YEARS,
    DateBound,
    from_solar_hijri,
    solar_hijri_date,
    to_solar_hijri,
)
from khedmat.core.formatting import (
    PHONE_EXAMPLE,
    TAZKIRA_EXAMPLE,
    current_language,
    format_date,
    format_number,
    isolate_ltr,
    localize_digits,
    western_digits,
)
from khedmat.core.i18n import pick
from khedmat.core.parsing import NotANumber, is_plain_number, parse_int

PREFIX = "f"
MAX_ROWS = 50
RADIO_LIMIT = 4
TEXTAREA_FROM = 200
_INTEGER = re.compile(r"^[-−]?\d+$")
_DECIMAL = re.compile(r"^[-−]?(\d+(\.\d*)?|\.\d+)$")
_DIGITS_ONLY = re.compile(r"^\^(?:\[0-9\]|\\d)\{(\d+)(?:,(\d+))?\}\$$")
_ROW_PATH = re.compile(r"^[a-z0-9_]+(?:-[a-z0-9_]+)*$")


class _Missing:
    """No answer (distinct from an answer of "", 0 or false)."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


# --- reading the schema ------------------------------------------------------------------

def _type(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def field_kind(schema: Mapping[str, Any]) -> str:
    """What a schema field is shown as (see the table above)."""
    kind = _type(schema)
    widget, fmt = schema.get("x-widget"), schema.get("format")
    if kind == "object":
        return "object"
    if kind == "array":
        items = schema.get("items")
        return "checkboxes" if isinstance(items, dict) and "enum" in items else "array"
    if isinstance(schema.get("enum"), list):
        return "radio" if len(schema["enum"]) <= RADIO_LIMIT else "select"
    if kind == "boolean":
        return "boolean"
    if kind in ("integer", "number"):
        return kind
    if "phone" in (widget, fmt):
        return "phone"
    if "tazkira" in (widget, fmt):
        return "tazkira"
    if fmt == "date":
        return "date"
    if fmt == "email":
        return "email"
    if widget == "textarea" or int(schema.get("maxLength") or 0) >= TEXTAREA_FROM:
        return "textarea"
    return "text"


def _text(schema: Mapping[str, Any], english_key: str, other_key: str, language: str) -> str:
    if language != "en":
        other = schema.get(other_key)
        if isinstance(other, dict) and other.get(language):
            return str(other[language])
    value = schema.get(english_key)
    return str(value) if isinstance(value, str) else ""


def field_title(schema: Mapping[str, Any], language: str, name: str = "") -> str:
    """The field's title in `language`: `title` in English, `x-title` in Dari and Pashto."""
    return _text(schema, "title", "x-title", language) or name.replace("_", " ").capitalize()


def choice_title(schema: Mapping[str, Any], value: Any, language: str) -> str:
    """A choice's title from `x-enum-titles`, in `language` then English; else the value."""
    titles = schema.get("x-enum-titles")
    if not isinstance(titles, dict) and isinstance(schema.get("items"), dict):
        titles = schema["items"].get("x-enum-titles")
    entry = titles.get(str(value)) if isinstance(titles, dict) else None
    if isinstance(entry, dict):
        return str(entry.get(language) or entry.get("en") or value)
    return str(value)


# --- what was typed, as a tree ("raw") ---------------------------------------------------
# object → {name: raw}; array → [raw per row]; checkboxes → [str]; date → {day, month, year};
# any other field → str.

def raw_from_post(schema: Mapping[str, Any], post: Any, name: str = PREFIX) -> Any:
    """What the browser sent for this schema (post: a QueryDict or a plain mapping)."""
    kind = field_kind(schema)
    if kind == "object":
        return {key: raw_from_post(child, post, f"{name}-{key}") for key, child in _properties(schema).items()}
    if kind == "array":
        count = _row_count(post.get(f"{name}-count"), schema)
        items = schema.get("items") or {}
        return [raw_from_post(items, post, f"{name}-{index}") for index in range(count)]
    if kind == "checkboxes":
        values = post.getlist(name) if hasattr(post, "getlist") else post.get(name, [])
        return [_typed(v) for v in (values if isinstance(values, list) else [values])]
    if kind == "date":
        return {part: _typed(post.get(f"{name}-{part}", "") or "") for part in ("day", "month", "year")}
    value = post.get(name, "")
    return _typed(value) if value is not None else ""


def _typed(value: Any) -> str:
    """A value as typed, without NUL characters: nobody types one, and a draft that kept one
    could not be stored (PostgreSQL's JSON refuses \\u0000)."""
    return str(value).replace("\x00", "")


def raw_from_data(schema: Mapping[str, Any], value: Any = MISSING) -> Any:
    """What to show for stored answers (a draft, or nothing yet)."""
    kind = field_kind(schema)
    if kind == "object":
        value = value if isinstance(value, dict) else {}
        return {key: raw_from_data(child, value.get(key, MISSING)) for key, child in _properties(schema).items()}
    if kind == "array":
        rows = value if isinstance(value, list) else []
        items = schema.get("items") or {}
        raw_rows = [raw_from_data(items, row) for row in rows[:MAX_ROWS]]
        while len(raw_rows) < _min_rows(schema):
            raw_rows.append(raw_from_data(items))
        return raw_rows
    if kind == "checkboxes":
        return [str(v) for v in value] if isinstance(value, list) else []
    if kind == "date":
        if isinstance(value, dict):
            return {part: str(value.get(part, "")) for part in ("day", "month", "year")}
        try:
            solar = to_solar_hijri(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return {"day": "", "month": "", "year": ""}
        return {"day": str(solar.day), "month": str(solar.month), "year": str(solar.year)}
    if value is MISSING or value is None:
        return ""
    if kind == "boolean":
        return "yes" if value is True else "no" if value is False else str(value)
    if kind == "phone" and isinstance(value, str) and value.startswith("+93"):
        try:
            return display_mobile_number(value, "en")
        except phonenumbers.NumberParseException:  # a draft keeps what was typed
            return value
    return str(value)


def _properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties")
    return properties if isinstance(properties, dict) else {}


def _min_rows(schema: Mapping[str, Any]) -> int:
    return max(1, int(schema.get("minItems") or 0))


def _max_rows(schema: Mapping[str, Any]) -> int:
    return min(MAX_ROWS, int(schema.get("maxItems") or MAX_ROWS))


def _row_count(text: Any, schema: Mapping[str, Any]) -> int:
    try:
        count = int(western_digits(str(text or "")))
    except ValueError:
        count = _min_rows(schema)
    return max(1, min(count, _max_rows(schema)))


# --- adding and removing rows (the "Add another row" and "Remove" buttons) ----------------

def parse_row_path(text: str) -> tuple[str | int, ...] | None:
    """The path a row button names ("children" or "children-2"), or None for nonsense."""
    if not text or not _ROW_PATH.match(text):
        return None
    return tuple(parse_int(part) if is_plain_number(part) else part for part in text.split("-"))


def _locate(schema: Mapping[str, Any], raw: Any, path: tuple[str | int, ...]) -> tuple[Any, Any] | None:
    """The (schema, raw) at `path`, or None when the path leads nowhere."""
    for part in path:
        kind = field_kind(schema)
        if kind == "object" and isinstance(part, str) and part in _properties(schema) and isinstance(raw, dict):
            schema, raw = _properties(schema)[part], raw.get(part)
        elif kind == "array" and isinstance(part, int) and isinstance(raw, list) and 0 <= part < len(raw):
            schema, raw = schema.get("items") or {}, raw[part]
        else:
            return None
    return schema, raw


def row_add(schema: Mapping[str, Any], raw: Any, path: tuple[str | int, ...]) -> bool:
    """Add an empty row to the array at `path` (in place); False if there is no room."""
    found = _locate(schema, raw, path)
    if found is None or field_kind(found[0]) != "array" or not isinstance(found[1], list):
        return False
    array_schema, rows = found
    if len(rows) >= _max_rows(array_schema):
        return False
    rows.append(raw_from_data(array_schema.get("items") or {}))
    return True


def row_remove(schema: Mapping[str, Any], raw: Any, path: tuple[str | int, ...]) -> bool:
    """Remove the row at `path` (array path + index), keeping at least the minimum rows."""
    if len(path) < 2 or not isinstance(path[-1], int):
        return False
    found = _locate(schema, raw, path[:-1])
    if found is None or field_kind(found[0]) != "array" or not isinstance(found[1], list):
        return False
    array_schema, rows = found
    if not 0 <= path[-1] < len(rows):
        return False
    rows.pop(path[-1])
    while len(rows) < _min_rows(array_schema):
        rows.append(raw_from_data(array_schema.get("items") or {}))
    return True


# --- the bound field: what the template shows and what the server read -------------------

@dataclass
class Choice:
    value: str
    label: str
    id: str
    checked: bool


@dataclass
class BoundField:
    kind: str
    schema: Mapping[str, Any]
    path: tuple[str | int, ...]
    name: str
    label: str
    required: bool
    raw: Any
    hint: str = ""
    errors: list[str] = field(default_factory=list)
    value: Any = MISSING
    children: list[BoundField] = field(default_factory=list)
    rows: list[BoundField] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    row_label: str = ""
    can_add: bool = False
    can_remove: bool = False
    max_length: int | None = None
    # Errors found while reading, shown only once the form is checked (SchemaForm.is_valid).
    pending_errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    @property
    def path_text(self) -> str:
        return "-".join(str(part) for part in self.path)

    @property
    def focus_id(self) -> str:
        """Where the error summary's link leads: the first input of the field."""
        if self.kind in ("radio", "boolean", "checkboxes") and self.choices:
            return self.choices[0].id
        if self.kind == "date":
            return f"{self.id}-day"
        if self.kind == "object" and self.children:
            return self.children[0].focus_id
        if self.kind == "array" and self.rows:
            return self.rows[0].focus_id
        return self.id

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def hint_id(self) -> str:
        return f"{self.id}-hint"

    @property
    def described_by(self) -> str:
        ids = ([self.hint_id] if self.hint else []) + ([self.error_id] if self.errors else [])
        return " ".join(ids)

    @property
    def is_group(self) -> bool:
        return self.kind in ("object", "array")

    @property
    def empty(self) -> bool:
        if self.kind == "object":
            return all(child.empty for child in self.children)
        if self.kind == "array":
            return all(row.empty for row in self.rows)
        if self.kind == "checkboxes":
            return not self.raw
        if self.kind == "date":
            return not any(str(part).strip() for part in self.raw.values())
        return not str(self.raw).strip()

    @property
    def day(self) -> str:
        return str(self.raw.get("day", "")) if isinstance(self.raw, dict) else ""

    @property
    def month(self) -> str:
        return western_digits(str(self.raw.get("month", ""))).strip() if isinstance(self.raw, dict) else ""

    @property
    def year(self) -> str:
        return str(self.raw.get("year", "")) if isinstance(self.raw, dict) else ""

    @property
    def input_mode(self) -> str:
        return {"integer": "numeric", "number": "decimal", "phone": "tel", "email": "email"}.get(self.kind, "")

    @property
    def is_ltr(self) -> bool:
        """Numbers, phone numbers and Tazkira numbers read left to right in every language."""
        return self.kind in ("phone", "tazkira", "email")

    def walk(self) -> list[BoundField]:
        """This field and every field inside it, in page order."""
        found = [self]
        for child in (*self.children, *self.rows):
            found += child.walk()
        return found


def _date_bound(written: Any, today: datetime.date) -> datetime.date | None:
    """A date field's bound on `today`, or None when there is none (or, in a definition
    published before bounds were checked, one that cannot be read)."""
    if written is None:
        return None
    try:
        return DateBound.parse(written).on(today)
    except ValueError:
        return None


def month_choices(language: str, selected: str) -> list[Choice]:
    names = MONTHS.get(language, MONTHS["en"])
    return [Choice(value=str(number), label=f"{name} ({localize_digits(str(number), language)})",
                   id="", checked=str(number) == selected)
            for number, name in enumerate(names, start=1)]


class _Binder:
    """Reads a raw tree against the schema: parsed values, and errors in `language`."""

    def __init__(self, language: str) -> None:
        self.language = language

    def bind(self, schema: Mapping[str, Any], raw: Any, path: tuple[str | int, ...], name: str,
             required: bool, label: str = "") -> BoundField:
        kind = field_kind(schema)
        bound = BoundField(
            kind=kind, schema=schema, path=path, name=name, required=required, raw=raw,
            label=label or field_title(schema, self.language, str(path[-1]) if path else ""),
            hint=self._hint(schema, kind),
        )
        if kind == "date" and not isinstance(raw, dict):
            bound.raw = {"day": "", "month": "", "year": ""}
        elif kind == "checkboxes" and not isinstance(raw, list):
            bound.raw = []
        if kind == "object":
            wanted = set(schema.get("required") or [])
            raw = raw if isinstance(raw, dict) else {}
            bound.raw = raw
            bound.children = [self.bind(child, raw.get(key, ""), (*path, key), f"{name}-{key}", key in wanted)
                              for key, child in _properties(schema).items()]
        elif kind == "array":
            raw = raw if isinstance(raw, list) else []
            bound.raw = raw
            items = schema.get("items") or {}
            item_title = field_title(items, self.language) if items.get("title") else ""
            for index, row_raw in enumerate(raw):
                number = format_number(index + 1, self.language)
                row_label = (_("%(label)s %(number)s") % {"label": item_title, "number": number} if item_title
                             else _("Row %(number)s") % {"number": number})
                row = self.bind(items, row_raw, (*path, index), f"{name}-{index}", True, label=row_label)
                row.row_label = row_label
                bound.rows.append(row)
            bound.can_add = len(bound.rows) < _max_rows(schema)
            bound.can_remove = len(bound.rows) > 1 or (bool(bound.rows) and not bound.rows[0].empty)
        else:
            self._scalar(bound)
        return bound

    def _hint(self, schema: Mapping[str, Any], kind: str) -> str:
        hint = _text(schema, "description", "x-description", self.language)
        if hint:
            return hint
        if kind == "date":
            return _("In the Solar Hijri calendar, for example %(example)s.") % {
                "example": format_date(from_solar_hijri(1370, 1, 15), language=self.language)}
        if kind == "phone":
            return _("An Afghan mobile number, for example %(example)s.") % {"example": isolate_ltr(PHONE_EXAMPLE)}
        if kind == "tazkira":
            return _("As printed on the card, for example %(example)s.") % {"example": isolate_ltr(TAZKIRA_EXAMPLE)}
        return ""

    # Scalars: parse the raw text, or leave an error.

    def _scalar(self, bound: BoundField) -> None:
        schema, kind = bound.schema, bound.kind
        if kind in ("radio", "select"):
            selected = str(bound.raw)
            bound.choices = [Choice(value=str(v), label=choice_title(schema, v, self.language),
                                    id=f"{bound.id}-{index}", checked=str(v) == selected)
                             for index, v in enumerate(schema["enum"])]
        elif kind == "boolean":
            bound.choices = [Choice("yes", _("Yes"), f"{bound.id}-yes", bound.raw == "yes"),
                             Choice("no", _("No"), f"{bound.id}-no", bound.raw == "no")]
        elif kind == "date":
            bound.choices = month_choices(self.language, bound.month)
        elif kind == "checkboxes":
            items = schema.get("items") or {}
            picked = set(bound.raw) if isinstance(bound.raw, list) else set()
            bound.choices = [Choice(value=str(v), label=choice_title(items, v, self.language),
                                    id=f"{bound.id}-{index}", checked=str(v) in picked)
                             for index, v in enumerate(items.get("enum", []))]
        if kind in ("text", "textarea", "email", "tazkira") and schema.get("maxLength"):
            bound.max_length = int(schema["maxLength"])
        if bound.empty:
            return
        parser: Callable[[BoundField], Any] = getattr(self, f"_parse_{kind}")
        try:
            bound.value = parser(bound)
        except ValidationError as error:
            bound.errors.extend(str(message) for message in error.messages)

    def _parse_text(self, bound: BoundField) -> str:
        schema = bound.schema
        text = str(bound.raw).strip()
        if bound.kind != "textarea":
            text = " ".join(text.split())
        length = len(text)
        if schema.get("maxLength") is not None and length > int(schema["maxLength"]):
            count = int(schema["maxLength"])
            raise ValidationError(ngettext(
                "Use at most %(count)s character (you typed %(typed)s).",
                "Use at most %(count)s characters (you typed %(typed)s).", count) % {
                "count": format_number(count, self.language), "typed": format_number(length, self.language)})
        if schema.get("minLength") is not None and length < int(schema["minLength"]):
            count = int(schema["minLength"])
            raise ValidationError(ngettext("Use at least %(count)s character.", "Use at least %(count)s characters.",
                                           count) % {"count": format_number(count, self.language)})
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            if re.search(pattern, text):
                return text
            western = western_digits(text)
            if re.search(pattern, western):
                return western
            raise ValidationError(self._pattern_message(schema, pattern))
        return text

    _parse_textarea = _parse_text

    def _pattern_message(self, schema: Mapping[str, Any], pattern: str) -> str:
        own = _text(schema, "x-pattern-message", "x-pattern-message", self.language) \
            if isinstance(schema.get("x-pattern-message"), str) else ""
        if isinstance(schema.get("x-pattern-message"), dict):
            messages = schema["x-pattern-message"]
            own = str(messages.get(self.language) or messages.get("en") or "")
        if own:
            return own
        digits = _DIGITS_ONLY.match(pattern)
        if digits:
            low = int(digits.group(1))
            high = int(digits.group(2)) if digits.group(2) else low
            if low == high:
                return ngettext("Enter exactly %(count)s digit.", "Enter exactly %(count)s digits.", low) % {
                    "count": format_number(low, self.language)}
            return _("Enter %(low)s to %(high)s digits, nothing else.") % {
                "low": format_number(low, self.language), "high": format_number(high, self.language)}
        return _("This is not written the way it should be; check it against the example.")

    def _parse_email(self, bound: BoundField) -> str:
        text = self._parse_text(bound)
        try:
            validate_email(text)
        except ValidationError as error:
            raise ValidationError(_("Enter an e-mail address such as name@example.af.")) from error
        return text

    def _parse_tazkira(self, bound: BoundField) -> str:
        number = normalize_tazkira_number(str(bound.raw))
        if bound.schema.get("maxLength") and len(number) > int(bound.schema["maxLength"]):
            raise ValidationError(_("This Tazkira number is too long; check it against the card."))
        return number

    def _parse_phone(self, bound: BoundField) -> str:
        return normalize_mobile_number(str(bound.raw))

    def _number_text(self, bound: BoundField) -> str:
        text = western_digits(str(bound.raw)).strip()
        # Thousands separators and spaces people type; the Arabic decimal separator.
        return re.sub(r"[\s,٬'’]", "", text).replace("٫", ".").replace("−", "-")

    def _parse_integer(self, bound: BoundField) -> int:
        text = self._number_text(bound)
        if not _INTEGER.match(text):
            raise ValidationError(_("Enter a whole number, in digits (for example 12)."))
        value = int(text)
        self._check_range(bound.schema, value)
        return value

    def _parse_number(self, bound: BoundField) -> int | float:
        text = self._number_text(bound)
        try:
            number = Decimal(text) if _DECIMAL.match(text) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValidationError(_("Enter a number, in digits (for example 12.5)."))
        value: int | float = int(number) if number == number.to_integral_value() else float(number)
        self._check_range(bound.schema, value)
        multiple = bound.schema.get("multipleOf")
        if isinstance(multiple, int | float) and multiple > 0:
            quotient = Decimal(str(value)) / Decimal(str(multiple))
            if quotient != quotient.to_integral_value():
                raise ValidationError(_("Enter a multiple of %(step)s.") % {
                    "step": format_number(multiple, self.language)})
        return value

    def _check_range(self, schema: Mapping[str, Any], value: int | float) -> None:
        low, high = schema.get("minimum"), schema.get("maximum")
        low_open, high_open = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        fits = ((low is None or value >= low) and (high is None or value <= high)
                and (low_open is None or value > low_open) and (high_open is None or value < high_open))
        if fits:
            return
        n = lambda number: format_number(number, self.language)  # noqa: E731
        if low is not None and high is not None:
            message = _("Enter a number from %(low)s to %(high)s.") % {"low": n(low), "high": n(high)}
        elif low is not None:
            message = _("Enter %(low)s or more.") % {"low": n(low)}
        elif high is not None:
            message = _("Enter %(high)s or less.") % {"high": n(high)}
        elif low_open is not None:
            message = _("Enter a number above %(low)s.") % {"low": n(low_open)}
        else:
            message = _("Enter a number below %(high)s.") % {"high": n(high_open)}
        raise ValidationError(message)

    def _parse_choice(self, bound: BoundField) -> Any:
        by_text = {str(v): v for v in bound.schema["enum"]}
        text = str(bound.raw)
        if text not in by_text:
            raise ValidationError(_("Choose one of the options."))
        return by_text[text]

    _parse_radio = _parse_choice
    _parse_select = _parse_choice

    def _parse_boolean(self, bound: BoundField) -> bool:
        if bound.raw not in ("yes", "no"):
            raise ValidationError(_("Answer yes or no."))
        return bound.raw == "yes"

    def _parse_checkboxes(self, bound: BoundField) -> list[Any]:
        items = bound.schema.get("items") or {}
        allowed = [v for v in items.get("enum", [])]
        picked = set(bound.raw)
        if not picked <= {str(v) for v in allowed}:
            raise ValidationError(_("Choose among the options shown."))
        value = [v for v in allowed if str(v) in picked]
        self._check_count(bound.schema, len(value), checkboxes=True)
        return value

    def _parse_date(self, bound: BoundField) -> str:
        parts = {key: western_digits(str(value)).strip() for key, value in bound.raw.items()}
        if not all(parts.get(key) for key in ("day", "month", "year")):
            raise ValidationError(_("Enter the day, the month and the year."))
        try:
            day, month, year = (parse_int(parts[key], maximum=99_999) for key in ("day", "month", "year"))
        except NotANumber:
            raise ValidationError(_("Enter the day and the year in digits.")) from None
        if not SOLAR_HIJRI_YEARS[0] <= year <= SOLAR_HIJRI_YEARS[1]:
            raise ValidationError(_("Enter the year in the Solar Hijri calendar, for example %(year)s.") % {
                "year": localize_digits("1370", self.language)})
        try:
            value = solar_hijri_date(year, month, day)
        except ValueError as error:
            raise ValidationError(_("There is no such date: check the day and the month.")) from error
        self._check_date_bounds(bound.schema, value)
        return value.isoformat()

    def _check_date_bounds(self, schema: Mapping[str, Any], value: datetime.date) -> None:
        """The definition's `x-minimum` and `x-maximum` (catalog/definition.py checked them):
        a date of birth in the future would otherwise be signed into a certificate."""
        today = timezone.localdate()
        earliest, latest = (_date_bound(schema.get(key), today) for key in ("x-minimum", "x-maximum"))
        if earliest is not None and value < earliest:
            raise ValidationError(_("Enter a date on or after %(date)s.") % {
                "date": format_date(earliest, language=self.language)})
        if latest is not None and value > latest:
            raise ValidationError(_("Enter a date on or before %(date)s.") % {
                "date": format_date(latest, language=self.language)})

    def _check_count(self, schema: Mapping[str, Any], count: int, *, checkboxes: bool = False) -> None:
        low, high = schema.get("minItems"), schema.get("maxItems")
        if low is not None and count < int(low):
            if checkboxes:
                text = ngettext("Choose at least %(count)s option.", "Choose at least %(count)s options.", int(low))
            else:
                text = ngettext("Fill in at least %(count)s row.", "Fill in at least %(count)s rows.", int(low))
            raise ValidationError(text % {"count": format_number(int(low), self.language)})
        if high is not None and count > int(high):
            if checkboxes:
                text = ngettext("Choose at most %(count)s option.", "Choose at most %(count)s options.", int(high))
            else:
                text = ngettext("Fill in at most %(count)s row.", "Fill in at most %(count)s rows.", int(high))
            raise ValidationError(text % {"count": format_number(int(high), self.language)})


# --- requirements between fields, and the answers ----------------------------------------

def _require(bound: BoundField, binder: _Binder, active: bool) -> None:
    """Add "answer this" errors where an answer is owed; `active` = this group is being filled."""
    if bound.kind == "object":
        for child in bound.children:
            child_active = active and (child.required or not child.empty)
            if active and child.required and child.empty and not child.is_group:
                child.errors.append(_("Answer this question."))
            _require(child, binder, child_active if child.is_group else active)
    elif bound.kind == "array":
        filled = [row for row in bound.rows if not row.empty]
        for row in filled:
            _require(row, binder, True)
        if not active:
            return
        if bound.required and not filled:
            bound.errors.append(_("Fill in at least one row."))
            return
        try:
            binder._check_count(bound.schema, len(filled))
        except ValidationError as error:
            bound.errors.extend(str(message) for message in error.messages)


def _value(bound: BoundField, *, draft: bool) -> Any:
    """The answer as stored; for a draft an unreadable answer is kept as typed."""
    if bound.kind == "object":
        result = {}
        for child in bound.children:
            value = _value(child, draft=draft)
            if value is not MISSING:
                result[child.path[-1]] = value
        return result if (result or bound.required) else MISSING
    if bound.kind == "array":
        rows = [_value(row, draft=draft) for row in bound.rows if not row.empty]
        rows = [row for row in rows if row is not MISSING]
        return rows if rows else MISSING
    if bound.value is not MISSING:
        return bound.value
    if draft and not bound.empty:
        return dict(bound.raw) if isinstance(bound.raw, dict) else bound.raw
    return MISSING


class SchemaForm:
    """A service's form, bound to what was posted or to stored answers.

    `SchemaForm(schema, language=…, post=request.POST)` reads a submission;
    `SchemaForm(schema, language=…, data=draft.data)` shows stored answers. `row_action`
    ("add" or "remove", path) applies an "Add another row" / "Remove" button first.
    """

    def __init__(self, schema: Mapping[str, Any], *, language: str, post: Any = None,
                 data: Mapping[str, Any] | None = None,
                 row_action: tuple[str, tuple[str | int, ...]] | None = None) -> None:
        self.schema = schema
        self.language = language
        raw = raw_from_post(schema, post) if post is not None else raw_from_data(schema, dict(data or {}))
        if row_action is not None:
            verb, path = row_action
            (row_add if verb == "add" else row_remove)(schema, raw, path)
        self._binder = _Binder(language)
        self.root = self._binder.bind(schema, raw, (), PREFIX, True, label="-")
        _require(self.root, self._binder, active=True)
        for bound in self.all_fields():
            bound.pending_errors, bound.errors = bound.errors, []
        self.show_errors = False
        self.non_field_errors: list[str] = []
        self._checked = False

    @property
    def fields(self) -> list[BoundField]:
        return self.root.children

    def all_fields(self) -> list[BoundField]:
        return [bound for bound in self.root.walk() if bound is not self.root]

    @property
    def draft_data(self) -> dict[str, Any]:
        """Everything typed, readable or not: what a draft keeps."""
        value = _value(self.root, draft=True)
        return value if isinstance(value, dict) else {}

    @property
    def cleaned_data(self) -> dict[str, Any]:
        value = _value(self.root, draft=False)
        return value if isinstance(value, dict) else {}

    def is_valid(self) -> bool:
        """Check every field, then the whole answer against the schema; show the errors."""
        self.show_errors = True
        if not self._checked:
            self._checked = True
            for bound in self.all_fields():
                bound.errors, bound.pending_errors = [*bound.pending_errors, *bound.errors], []
            if not self.has_field_errors():
                self._schema_check()
        return not (self.has_field_errors() or self.non_field_errors)

    def has_field_errors(self) -> bool:
        return any(bound.errors or bound.pending_errors for bound in self.all_fields())

    def error_list(self) -> list[tuple[BoundField | None, str]]:
        """(field, message) pairs in page order, for the summary at the top of the page."""
        pairs: list[tuple[BoundField | None, str]] = [(None, message) for message in self.non_field_errors]
        for bound in self.all_fields():
            pairs += [(bound, message) for message in bound.errors]
        return pairs

    def _schema_check(self) -> None:
        data = self.cleaned_data
        validator = Draft202012Validator(dict(self.schema), format_checker=FormatChecker())
        by_path = {bound.path: bound for bound in self.all_fields()}
        for error in validator.iter_errors(data):
            path = tuple(error.absolute_path)
            if error.validator in ("required", "dependentRequired") and isinstance(error.instance, dict):
                wanted = error.validator_value or []
                if error.validator == "dependentRequired":
                    wanted = [name for key, names in dict(wanted).items() if key in error.instance for name in names]
                missing = [name for name in wanted if name not in error.instance]
                targets = [by_path.get((*path, name)) for name in missing]
                if targets and all(targets):
                    for target in targets:
                        if target is not None and not target.errors:
                            target.errors.append(_("Answer this question."))
                    continue
            target = by_path.get(path)
            message = _("This answer is not accepted; check it against the question.")
            if target is not None:
                if message not in target.errors:
                    target.errors.append(message)
            elif message not in self.non_field_errors:
                self.non_field_errors.append(_("Some answers do not fit together; check them and send again."))


def answers_for_display(schema: Mapping[str, Any], data: Mapping[str, Any], language: str) -> list[Answer]:
    """Stored answers as label and text, in the order of the form (what the applicant sent)."""
    return [_answer(child, key, data.get(key, MISSING), language)
            for key, child in _properties(schema).items() if key in data]


@dataclass
class Answer:
    label: str
    text: str = ""
    is_ltr: bool = False
    children: list[Answer] = field(default_factory=list)
    rows: list[list[Answer]] = field(default_factory=list)


def _answer(schema: Mapping[str, Any], name: str, value: Any, language: str) -> Answer:
    kind = field_kind(schema)
    answer = Answer(label=field_title(schema, language, name))
    if kind == "object" and isinstance(value, dict):
        answer.children = [_answer(child, key, value[key], language)
                           for key, child in _properties(schema).items() if key in value]
    elif kind == "array" and isinstance(value, list):
        items = schema.get("items") or {}
        for row in value:
            if field_kind(items) == "object" and isinstance(row, dict):
                answer.rows.append([_answer(child, key, row[key], language)
                                    for key, child in _properties(items).items() if key in row])
            else:
                answer.rows.append([_answer(items, "", row, language)])
    else:
        answer.text, answer.is_ltr = display_value(schema, value, language)
    return answer


def display_value(schema: Mapping[str, Any], value: Any, language: str) -> tuple[str, bool]:
    """(text, reads left to right) for one stored answer."""
    kind = field_kind(schema)
    if kind in ("radio", "select"):
        return choice_title(schema, value, language), False
    if kind == "checkboxes" and isinstance(value, list):
        # Translators: separator between items of a list, e.g. "a, b, c".
        return _(", ").join(choice_title(schema, v, language) for v in value), False
    if kind == "boolean":
        return (_("Yes") if value is True else _("No") if value is False else str(value)), False
    if kind == "date":
        try:
            return format_date(datetime.date.fromisoformat(str(value)), with_gregorian=True, language=language), False
        except ValueError:
            return str(value), False
    if kind in ("integer", "number") and isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value):
        return format_number(value, language), False
    if kind == "phone" and isinstance(value, str) and value.startswith("+"):
        try:
            return display_mobile_number(value, language), True
        except phonenumbers.NumberParseException:
            return value, True
    if kind == "tazkira":
        return localize_digits(str(value), language), True
    return str(value), kind == "email"


def answers_problems(*, application: Any, documents: bool = True) -> list[str]:
    """What stops a draft from being submitted, as "question: message" lines in the active
    language: answers that fail the form's checks and (unless `documents` is False)
    required documents not attached. Empty when the draft is complete."""
    from .handover import form_definition  # the center field's choices come from the centers

    definition = form_definition(application.service_version.definition,
                                 service_id=application.service_version.service_id)
    form = SchemaForm(definition["form"], language=current_language(), data=application.data)
    problems: list[str] = []
    if not form.is_valid():
        problems += [f"{bound.label}: {message}" if bound is not None else message
                     for bound, message in form.error_list()]
    if documents:
        kept = set(application.documents.filter(message__isnull=True).values_list("document_code", flat=True))
        for document in definition.get("required_documents", []):
            if document.get("required", True) and document["code"] not in kept:
                problems.append(f"{pick(document['name'], None)}: {_('Attach this document.')}")
    return problems


def correctable_fields(definition: Mapping[str, Any], *, by_applicant: bool = True) -> dict[str, dict[str, Any]]:
    """The form's top-level fields that may be sent back for correction, in form order.

    Groups and repeated rows are corrected by asking for information instead; a field that
    sets the fee (its option or exemption field) is not the applicant's to change once the
    fee is set, so only staff correct it (at a document's reissue)."""
    properties = (definition.get("form") or {}).get("properties") or {}
    fee = definition.get("fee") or {}
    fee_fields = {fee.get("option_field"), fee.get("exemption_field")} if by_applicant else set()
    return {name: schema for name, schema in properties.items()
            if isinstance(schema, dict) and field_kind(schema) not in ("object", "array") and name not in fee_fields}
