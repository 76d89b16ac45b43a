"""A service definition: what an agency writes (in the admin or as YAML) to define a service.

Pure functions, no database: `validate_definition` checks a definition and returns it
normalised, or raises `DefinitionError` naming the first fault it finds. The format is
documented in docs/service-definitions.md; the demonstration services are examples.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections import deque
from collections.abc import Callable
from typing import Any

import yaml
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from khedmat.core.calendar import SOLAR_HIJRI_YEARS, DateBound
from khedmat.core.parsing import is_plain_number
from khedmat.core.spelling import fold
from khedmat.core.yaml_input import MAX_DEPTH, YamlRefused, load_yaml

LANGUAGES = ("en", "fa", "ps")
CHANNELS = {
    "online": gettext_lazy("Online"),
    "center": gettext_lazy("At a service center"),
    "sms": gettext_lazy("By SMS"),
}
EXEMPTION_CATEGORIES = {
    "persons_with_disabilities": gettext_lazy("Persons with disabilities"),
    "martyr_families": gettext_lazy("Families of martyrs"),
    "returnees": gettext_lazy("Returnees"),
    "students": gettext_lazy("Students"),
    "elderly": gettext_lazy("People over 65"),
}
# Who may take a workflow transition: a staff role, the applicant, or the platform itself
# (a payment arriving, a time limit passing).
WORKFLOW_ROLES = frozenset({
    "applicant", "operator", "officer", "approver", "agency_admin", "system",
})
FEE_KINDS = ("free", "fixed", "by_option")
# Given by the workflow engine to every service (khedmat/applications/workflow.py): a
# definition may not name these itself; a state named `withdrawn` it defines must be final.
CORRECTION_STATE = "correction_requested"
WITHDRAWN_STATE = "withdrawn"
RESERVED_STATES = frozenset({CORRECTION_STATE})
RESERVED_TRANSITIONS = frozenset({"request_correction", "submit_correction", "approver_reject",
                                  "approver_send_back"})
_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class DefinitionError(ValueError):
    """A definition was refused. `path` says where (e.g. "workflow.states"), the message why."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def validate_definition(data: Any) -> dict[str, Any]:
    """Check a whole definition; return a normalised deep copy, or raise DefinitionError.

    The copy is in the shape the database stores (mapping keys as text), so that comparing
    it with a published version's definition tells whether anything changed.
    """
    if not isinstance(data, dict):
        raise DefinitionError("", _("A service definition must be a mapping of fields."))
    _check_plain_data(data, "")
    definition = copy.deepcopy(data)
    _check_unknown_keys(definition, "", {
        "agency", "code", "slug", "category", "name", "summary", "description", "eligibility",
        "channels", "time_standard_days", "fee", "required_documents", "form", "workflow",
        "document", "handover",
    })
    _require_text(definition, "code", _CODE, _("an upper-case code of 2 to 10 letters or digits, e.g. PSP"))
    if "agency" in definition:
        _require_text(definition, "agency", _CODE, _("an agency code such as MOI"))
    _require_text(definition, "slug", _SLUG, _("lower-case words joined by hyphens"))
    _require_text(definition, "category", _SLUG, _("a category slug"))
    _require_trilingual(definition, "name")
    _require_trilingual(definition, "summary")
    _require_trilingual(definition, "eligibility")
    definition.setdefault("description", {"en": "", "fa": "", "ps": ""})
    _require_trilingual(definition, "description", allow_empty=True)
    _check_channels(definition)
    _check_time_standard(definition)
    _check_documents(definition)
    _check_form(definition)
    _check_fee(definition)
    _check_workflow(definition)
    _check_payment(definition)
    _check_issued_document(definition)
    _check_handover(definition)
    return _as_stored(definition)


def definition_from_yaml(text: str | bytes) -> dict[str, Any]:
    """Parse YAML text (within core.yaml_input's limits: no aliases, bounded size and depth)
    and validate it as a definition."""
    try:
        data = load_yaml(text)
    except YamlRefused as refused:
        where = _("line %(line)s") % {"line": refused.line} if refused.line else ""
        raise DefinitionError(where, refused.message) from None
    return validate_definition(data)


class _DefinitionDumper(yaml.SafeDumper):
    """Safe YAML, with short lists of plain values on one line (`channels: [online, center]`)
    as people write them."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    short = bool(data) and all(
        isinstance(item, int | float) or (isinstance(item, str) and len(item) <= 40 and "\n" not in item)
        for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=short)


_DefinitionDumper.add_representer(list, _represent_list)


def definition_to_yaml(definition: dict[str, Any]) -> str:
    """A definition as YAML, in the order it was written; `definition_from_yaml` reads it back."""
    return yaml.dump(definition, Dumper=_DefinitionDumper, allow_unicode=True, sort_keys=False, width=100)


def fee_range(definition: dict[str, Any]) -> tuple[int, int]:
    """The lowest and highest fee a non-exempt applicant can be charged, in AFN."""
    fee = definition["fee"]
    if fee["kind"] == "free":
        return 0, 0
    if fee["kind"] == "fixed":
        return fee["amount"], fee["amount"]
    amounts = list(fee["options"].values())
    return min(amounts), max(amounts)


def search_text(definition: dict[str, Any], agency_names: list[str]) -> str:
    """What the catalog search matches: names in all three languages, codes, agency names."""
    parts = [definition["code"], definition.get("agency", ""), definition["slug"].replace("-", " ")]
    parts += [definition["name"][lang] for lang in LANGUAGES]
    parts += agency_names
    return normalize_for_search(" ".join(parts))


def normalize_for_search(text: str) -> str:
    """Fold the spellings people type interchangeably (core.spelling) so that a search finds
    what it means."""
    return fold(text)


# --- the parts -------------------------------------------------------------------------

def _check_plain_data(value: Any, path: str, depth: int = 0) -> None:
    """Only what JSON can hold: a YAML date, a float that is not a number or a key that is
    not text would otherwise be stored changed, or fail deep in the database layer. Nested
    no deeper than YAML text may be (a deeper structure ran out of stack: a server error)."""
    if depth > MAX_DEPTH:
        raise DefinitionError(path, _("The definition is nested more than %(depth)s levels deep.") % {
            "depth": MAX_DEPTH})
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DefinitionError(path, _("A number here is not finite."))
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain_data(item, f"{path}[{index}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise DefinitionError(where, _("A field name must be text; put it in quotes."))
            _check_plain_data(item, where, depth + 1)
        return
    raise DefinitionError(path, _(
        "Use text, a whole number, true or false here, not %(kind)s; put a date in quotes.") % {
        "kind": type(value).__name__})


def _as_stored(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition exactly as the database gives it back (mapping keys become text)."""
    result: dict[str, Any] = json.loads(json.dumps(definition))
    return result


def _check_unknown_keys(mapping: dict[str, Any], path: str, allowed: set[str]) -> None:
    unknown = sorted((key for key in mapping if key not in allowed), key=str)
    if unknown:
        where = f"{path}.{unknown[0]}" if path else str(unknown[0])
        raise DefinitionError(where, _("Unknown field %(field)s.") % {"field": unknown[0]})


def _require_text(mapping: dict[str, Any], key: str, pattern: re.Pattern[str], expected: str,
                  path: str = "") -> str:
    where = f"{path}.{key}" if path else key
    value = mapping.get(key)
    if not isinstance(value, str) or not pattern.match(value):
        raise DefinitionError(where, _("Expected %(expected)s, got %(value)r.") % {
            "expected": expected, "value": value})
    return value


def _require_trilingual(mapping: dict[str, Any], key: str, path: str = "", allow_empty: bool = False) -> None:
    where = f"{path}.{key}" if path else key
    value = mapping.get(key)
    if not isinstance(value, dict):
        raise DefinitionError(where, _("Give the text in English, Dari and Pashto (en, fa, ps)."))
    for language in LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or (not allow_empty and not text.strip()):
            raise DefinitionError(f"{where}.{language}", _("This text is missing."))
    extra = sorted((key for key in value if key not in LANGUAGES), key=str)
    if extra:
        raise DefinitionError(f"{where}.{extra[0]}", _("Only en, fa and ps are used."))


def _check_channels(definition: dict[str, Any]) -> None:
    channels = definition.get("channels")
    if not isinstance(channels, list) or not channels:
        raise DefinitionError("channels", _("Name at least one channel: online, center or sms."))
    for channel in channels:
        if not isinstance(channel, str) or channel not in CHANNELS:
            raise DefinitionError("channels", _("Unknown channel %(channel)r; use online, center or sms.") % {
                "channel": channel})
    if len(set(channels)) != len(channels):
        raise DefinitionError("channels", _("A channel is listed twice."))


def _check_time_standard(definition: dict[str, Any]) -> None:
    days = definition.get("time_standard_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        raise DefinitionError("time_standard_days", _("Give the time standard as 1 to 365 working days."))


def _check_documents(definition: dict[str, Any]) -> None:
    documents = definition.setdefault("required_documents", [])
    if not isinstance(documents, list):
        raise DefinitionError("required_documents", _("Give a list of documents."))
    seen: set[str] = set()
    for index, document in enumerate(documents):
        path = f"required_documents[{index}]"
        if not isinstance(document, dict):
            raise DefinitionError(path, _("Each document needs a code and a name."))
        _check_unknown_keys(document, path, {"code", "name", "required", "max_size_mb"})
        code = _require_text(document, "code", _NAME, _("a lower-case code, e.g. tazkira_copy"), path)
        if code in seen:
            raise DefinitionError(path, _("The document code %(code)s is used twice.") % {"code": code})
        seen.add(code)
        _require_trilingual(document, "name", path)
        document.setdefault("required", True)
        document.setdefault("max_size_mb", 5)
        if not isinstance(document["required"], bool):
            raise DefinitionError(f"{path}.required", _("Use true or false."))
        size = document["max_size_mb"]
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 20:
            raise DefinitionError(f"{path}.max_size_mb", _("Give a size limit of 1 to 20 MB."))


def _check_form(definition: dict[str, Any]) -> None:
    schema = definition.get("form")
    if not isinstance(schema, dict):
        raise DefinitionError("form", _("The form must be a JSON Schema object."))
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        location = ".".join(str(part) for part in error.path) or "form"
        raise DefinitionError(f"form.{location}" if location != "form" else "form",
                              _("This is not valid JSON Schema: %(problem)s") % {"problem": error.message}) from error
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise DefinitionError("form", _('The form must have "type: object" and its fields under "properties".'))
    _check_form_object(schema, "form")


def _check_form_object(schema: dict[str, Any], path: str) -> None:
    properties: dict[str, Any] = schema.get("properties", {})
    if not properties:
        raise DefinitionError(f"{path}.properties", _("The form has no fields."))
    for name, field in properties.items():
        field_path = f"{path}.properties.{name}"
        if not isinstance(name, str) or not _NAME.match(name):
            raise DefinitionError(field_path, _("Field names are lower-case letters, digits and _."))
        if not isinstance(field, dict):
            raise DefinitionError(field_path, _("Describe each field with its type and titles."))
        if not isinstance(field.get("title"), str) or not field["title"].strip():
            raise DefinitionError(f"{field_path}.title", _("Each field needs an English title."))
        titles = field.get("x-title")
        if not isinstance(titles, dict) or not all(
                isinstance(titles.get(lang), str) and titles[lang].strip() for lang in ("fa", "ps")):
            raise DefinitionError(f"{field_path}.x-title", _("Each field needs titles in Dari and Pashto (fa, ps)."))
        if "x-enum-titles" in field:
            _check_enum_titles(field, field_path)
        _check_date_bounds(field, field_path)
        if field.get("type") == "array" and isinstance(field.get("items"), dict):
            _check_date_bounds(field["items"], f"{field_path}.items")
        if field.get("type") == "object":
            _check_form_object(field, field_path)
        if field.get("type") == "array" and isinstance(field.get("items"), dict) \
                and field["items"].get("type") == "object":
            _check_form_object(field["items"], f"{field_path}.items")
    for required in schema.get("required", []):
        if required not in properties:
            raise DefinitionError(f"{path}.required", _("The required field %(field)s is not defined.") % {
                "field": required})


DATE_BOUNDS = ("x-minimum", "x-maximum")


def _check_date_bounds(field: dict[str, Any], path: str) -> None:
    """`x-minimum` / `x-maximum` of a date field: the earliest and latest date the form takes,
    as "today", "today-120y", "today+30d" (y, m, d) or a Solar Hijri day ("1300-01-01")."""
    written = {key: field[key] for key in DATE_BOUNDS if key in field}
    if not written:
        return
    if field.get("format") != "date":
        key = next(iter(written))
        raise DefinitionError(f"{path}.{key}", _(
            "x-minimum and x-maximum limit date fields (format: date); a number's limits are minimum and maximum."))
    today = timezone.localdate()
    dates = {}
    for key, text in written.items():
        try:
            dates[key] = DateBound.parse(text).on(today)
        except ValueError:
            raise DefinitionError(f"{path}.{key}", _(
                "Write a date limit as today, today-120y, today+30d (y: years, m: months, d: days) or a Solar "
                "Hijri day such as 1300-01-01 (years %(first)s to %(last)s); got %(value)r.") % {
                "first": SOLAR_HIJRI_YEARS[0], "last": SOLAR_HIJRI_YEARS[1], "value": text}) from None
    if len(dates) == 2 and dates["x-minimum"] > dates["x-maximum"]:
        raise DefinitionError(f"{path}.x-minimum", _("The earliest date (x-minimum) is after the latest (x-maximum)."))


def _check_enum_titles(field: dict[str, Any], path: str) -> None:
    """`x-enum-titles` names each choice of a field in the three languages."""
    titles = field["x-enum-titles"]
    choices = [str(choice) for choice in field.get("enum", [])] if isinstance(field.get("enum"), list) else []
    if not isinstance(titles, dict):
        raise DefinitionError(f"{path}.x-enum-titles", _("Give each choice's title in English, Dari and Pashto."))
    for choice in titles:
        if str(choice) not in choices:
            raise DefinitionError(f"{path}.x-enum-titles.{choice}", _(
                "%(choice)s is not one of the field's choices (enum).") % {"choice": choice})
        _require_trilingual(titles, choice, f"{path}.x-enum-titles")


def _check_fee(definition: dict[str, Any]) -> None:
    fee = definition.get("fee")
    if not isinstance(fee, dict) or fee.get("kind") not in FEE_KINDS:
        raise DefinitionError("fee.kind", _("The fee kind must be free, fixed or by_option."))
    _check_unknown_keys(fee, "fee", {"kind", "amount", "option_field", "options", "exemptions", "exemption_field"})
    # A key that does not apply to the kind would mislead whoever reads the definition.
    for key, kinds in (("amount", ("fixed",)), ("option_field", ("by_option",)), ("options", ("by_option",))):
        if key in fee and fee["kind"] not in kinds:
            raise DefinitionError(f"fee.{key}", _("A fee of kind %(kind)s has no %(field)s.") % {
                "kind": fee["kind"], "field": key})
    if fee["kind"] == "fixed":
        if not _is_amount(fee.get("amount")) or fee["amount"] == 0:
            raise DefinitionError("fee.amount", _("A fixed fee is a whole number of afghani above 0."))
    elif fee["kind"] == "by_option":
        field_name = fee.get("option_field")
        field = definition["form"]["properties"].get(field_name) if isinstance(field_name, str) else None
        if field is None:
            raise DefinitionError("fee.option_field", _("The fee depends on a form field that does not exist."))
        options = fee.get("options")
        if not isinstance(options, dict) or not options or not all(_is_amount(v) for v in options.values()):
            raise DefinitionError("fee.options", _("Give each option's fee as a whole number of afghani."))
        choices = field.get("enum")
        if not isinstance(choices, list) or sorted(map(str, choices)) != sorted(map(str, options)):
            raise DefinitionError("fee.options", _("The fee options must match the choices of the field %(field)s.")
                                  % {"field": field_name})
        if field_name not in definition["form"].get("required", []):
            raise DefinitionError("fee.option_field", _(
                "The fee depends on the field %(field)s, so the form must require it.") % {"field": field_name})
    exemptions = fee.setdefault("exemptions", [])
    if not isinstance(exemptions, list) or any(
            not isinstance(e, str) or e not in EXEMPTION_CATEGORIES for e in exemptions):
        raise DefinitionError("fee.exemptions", _("Unknown exemption; exemptions must be among: %(names)s.") % {
            "names": ", ".join(EXEMPTION_CATEGORIES)})
    if len(set(exemptions)) != len(exemptions):
        raise DefinitionError("fee.exemptions", _("An exemption is listed twice."))


def _is_amount(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10_000_000


# What entering a state means to the applicant, who is told by SMS (docs/notifications.md).
# The first two wait for the applicant; "rejected" and "closed" end the file; "approved" ends
# it too unless something is then handed over at a center, where "ready_for_collection" tells
# the applicant where and when to collect it (a state that does not end the file).
MILESTONES = ("information_requested", "sent_back", "approved", "rejected", "closed", "ready_for_collection")
_OPEN_MILESTONES = ("information_requested", "sent_back")
_ENDING_MILESTONES = ("rejected", "closed")


def _check_milestone(state: dict[str, Any], path: str) -> None:
    milestone = state.get("milestone")
    if milestone is None:
        return
    if milestone not in MILESTONES:
        raise DefinitionError(f"{path}.milestone", _("Use one of: %(choices)s.") % {"choices": ", ".join(MILESTONES)})
    if milestone == "approved":
        return  # final, or followed by the handover's steps (_check_handover)
    if milestone == "ready_for_collection" and state.get("final"):
        raise DefinitionError(f"{path}.milestone", _(
            "“ready_for_collection” is for a state that waits for the applicant to collect, not one that "
            "ends the file."))
    if milestone in _OPEN_MILESTONES + _ENDING_MILESTONES \
            and (milestone in _OPEN_MILESTONES) == bool(state.get("final")):
        raise DefinitionError(f"{path}.milestone", _(
            "“%(milestone)s” is for a state that %(kind)s.") % {
                "milestone": milestone,
                "kind": _("waits for the applicant") if milestone in _OPEN_MILESTONES else _("ends the file")})


def _check_workflow(definition: dict[str, Any]) -> None:
    workflow = definition.get("workflow")
    if not isinstance(workflow, dict):
        raise DefinitionError("workflow", _("The workflow needs states and transitions."))
    _check_unknown_keys(workflow, "workflow", {"initial", "states", "transitions"})
    states = workflow.get("states")
    if not isinstance(states, list) or not states:
        raise DefinitionError("workflow.states", _("The workflow has no states."))
    names: list[str] = []
    finals: set[str] = set()
    for index, state in enumerate(states):
        path = f"workflow.states[{index}]"
        if not isinstance(state, dict):
            raise DefinitionError(path, _("Each state needs a name and a label."))
        _check_unknown_keys(state, path, {"name", "label", "final", "pauses_clock", "milestone"})
        name = _require_text(state, "name", _NAME, _("a lower-case state name"), path)
        if name in RESERVED_STATES:
            raise DefinitionError(f"{path}.name", _(
                "The state %(state)s is the platform's own (corrections): choose another name.") % {"state": name})
        if name == WITHDRAWN_STATE and state.get("final") is not True:
            raise DefinitionError(f"{path}.final", _(
                "The state %(state)s is where a withdrawn file ends: it must be final.") % {"state": name})
        if name in names:
            raise DefinitionError(path, _("The state %(state)s is defined twice.") % {"state": name})
        names.append(name)
        _require_trilingual(state, "label", path)
        state.setdefault("final", False)
        if not isinstance(state["final"], bool):
            raise DefinitionError(f"{path}.final", _("Use true or false."))
        if state["final"]:
            finals.add(name)
        # A state in which the file waits for the applicant (more information, a payment)
        # stops the time standard's clock.
        if not isinstance(state.get("pauses_clock", False), bool):
            raise DefinitionError(f"{path}.pauses_clock", _("Use true or false."))
    if not finals:
        raise DefinitionError("workflow.states", _("The workflow has no final state."))
    for index, state in enumerate(states):
        _check_milestone(state, f"workflow.states[{index}]")
    initial = workflow.get("initial")
    if not isinstance(initial, str) or initial not in names:
        raise DefinitionError("workflow.initial", _("The initial state %(state)r is not one of the states.") % {
            "state": initial})
    if initial in finals:
        raise DefinitionError("workflow.initial", _("The initial state cannot be final."))

    transitions = workflow.get("transitions")
    if not isinstance(transitions, list) or not transitions:
        raise DefinitionError("workflow.transitions", _("The workflow has no transitions."))
    edges: dict[str, set[str]] = {name: set() for name in names}
    transition_names: set[tuple[str, str]] = set()
    for index, transition in enumerate(transitions):
        path = f"workflow.transitions[{index}]"
        if not isinstance(transition, dict):
            raise DefinitionError(path, _("Each transition needs a name, from, to, role and label."))
        _check_unknown_keys(transition, path, {"name", "from", "to", "role", "label", "needs_reason", "four_eyes"})
        name = _require_text(transition, "name", _NAME, _("a lower-case transition name"), path)
        if name in RESERVED_TRANSITIONS:
            raise DefinitionError(f"{path}.name", _(
                "The step %(name)s is given by the platform to every service: choose another name.") % {
                "name": name})
        sources = transition.get("from")
        sources = [sources] if isinstance(sources, str) else sources
        if not isinstance(sources, list) or not sources:
            raise DefinitionError(f"{path}.from", _("Name the state or states this transition leaves."))
        transition["from"] = sources
        target = transition.get("to")
        for source in sources:
            if not isinstance(source, str) or source not in edges:
                raise DefinitionError(f"{path}.from", _("Unknown state %(state)r.") % {"state": source})
            if source in finals:
                raise DefinitionError(f"{path}.from", _("The final state %(state)s cannot be left.") % {
                    "state": source})
            if (source, name) in transition_names:
                raise DefinitionError(path, _("Two transitions named %(name)s leave %(state)s.") % {
                    "name": name, "state": source})
        if not isinstance(target, str) or target not in edges:
            raise DefinitionError(f"{path}.to", _("Unknown state %(state)r.") % {"state": target})
        role = transition.get("role")
        if not isinstance(role, str) or role not in WORKFLOW_ROLES:
            raise DefinitionError(f"{path}.role", _("Unknown role %(role)r; use one of: %(roles)s.") % {
                "role": role, "roles": ", ".join(sorted(WORKFLOW_ROLES))})
        _require_trilingual(transition, "label", path)
        transition.setdefault("needs_reason", False)
        if not isinstance(transition["needs_reason"], bool):
            raise DefinitionError(f"{path}.needs_reason", _("Use true or false."))
        # Two-person approval: whoever takes this transition must not have taken an earlier
        # step of the same file in another role (applications/services/core.py applies it).
        if not isinstance(transition.get("four_eyes", False), bool):
            raise DefinitionError(f"{path}.four_eyes", _("Use true or false."))
        for source in sources:
            edges[source].add(target)
            transition_names.add((source, name))

    reachable = _reachable_from(initial, edges)
    for name in names:
        if name not in reachable:
            raise DefinitionError("workflow.states", _("The state %(state)s cannot be reached from %(initial)s.") % {
                "state": name, "initial": initial})
    reversed_edges: dict[str, set[str]] = {name: set() for name in names}
    for source, targets in edges.items():
        for target in targets:
            reversed_edges[target].add(source)
    can_finish: set[str] = set()
    for final in finals:
        can_finish |= _reachable_from(final, reversed_edges)
    for name in names:
        if name not in can_finish:
            raise DefinitionError("workflow.states", _(
                "The state %(state)s is a dead end: no final state can be reached from it.") % {"state": name})


def _check_payment(definition: dict[str, Any]) -> None:
    """Payment keys (khedmat/payments): who is exempt by their answer, and the payment step.

    `fee.exemption_field` names a form field whose choices are exemption categories (or
    "none"): an applicant who picks one of `fee.exemptions` pays nothing. A transition named
    `record_payment` is taken by the platform when the fee is paid (or there is nothing to pay).
    """
    fee = definition["fee"]
    if "exemption_field" in fee:
        name = fee["exemption_field"]
        field = definition["form"]["properties"].get(name) if isinstance(name, str) else None
        if field is None or not isinstance(field.get("enum"), list):
            raise DefinitionError("fee.exemption_field", _("The exemption field must be a form field with choices."))
        if fee["kind"] == "free" or not fee["exemptions"]:
            raise DefinitionError("fee.exemption_field", _("An exemption field needs a fee and its exemptions."))
        unknown = [str(c) for c in field["enum"] if c != "none" and c not in fee["exemptions"]]
        if unknown:
            raise DefinitionError("fee.exemption_field", _(
                "The choice %(choice)s of the exemption field is not one of the fee's exemptions.") % {
                "choice": unknown[0]})
    for index, transition in enumerate(definition["workflow"]["transitions"]):
        if transition["name"] == "record_payment" and transition["role"] != "system":
            raise DefinitionError(f"workflow.transitions[{index}].role", _(
                "The step record_payment is taken by the platform when the fee is paid: its role is system."))


def _reachable_from(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for following in edges[queue.popleft()]:
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return seen


# --- the document issued (khedmat/documents) ---------------------------------------------

DOCUMENT_KINDS = ("certificate", "licence", "permit", "registration_card")
_DOCUMENT_MAX_FIELDS = 8


def _check_issued_document(definition: dict[str, Any]) -> None:
    """`document` (optional): the certificate, licence, permit or registration card issued
    when the workflow enters one of the `issue_in` states (docs/service-definitions.md)."""
    document = definition.get("document")
    if document is None:
        definition.pop("document", None)
        return
    if not isinstance(document, dict):
        raise DefinitionError("document", _("Describe the document with its kind, title and issuing states."))
    _check_unknown_keys(document, "document", {"kind", "title", "issue_in", "holder_field", "fields", "validity"})
    if document.get("kind") not in DOCUMENT_KINDS:
        raise DefinitionError("document.kind", _("The document kind must be one of: %(kinds)s.") % {
            "kinds": ", ".join(DOCUMENT_KINDS)})
    _require_trilingual(document, "title", "document")
    states = {state["name"] for state in definition["workflow"]["states"]}
    issue_in = document.get("issue_in")
    issue_in = [issue_in] if isinstance(issue_in, str) else issue_in
    if not isinstance(issue_in, list) or not issue_in:
        raise DefinitionError("document.issue_in", _("Name the state or states in which the document is issued."))
    for state in issue_in:
        if not isinstance(state, str) or state not in states:
            raise DefinitionError("document.issue_in", _("Unknown state %(state)r.") % {"state": state})
        if state == definition["workflow"]["initial"]:
            raise DefinitionError("document.issue_in", _("A document cannot be issued on submission."))
    document["issue_in"] = issue_in
    properties = definition["form"]["properties"]
    holder = document.get("holder_field")
    if not isinstance(holder, str) or properties.get(holder, {}).get("type") != "string":
        raise DefinitionError("document.holder_field", _(
            "Name the text field of the form that holds the holder's name."))
    fields = document.setdefault("fields", [])
    if not isinstance(fields, list) or len(fields) > _DOCUMENT_MAX_FIELDS:
        raise DefinitionError("document.fields", _("List at most %(count)s form fields to print.") % {
            "count": _DOCUMENT_MAX_FIELDS})
    seen: set[str] = set()
    for index, entry in enumerate(fields):
        path = f"document.fields[{index}]"
        entry = {"field": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict):
            raise DefinitionError(path, _("Give a form field's name, or a field and its label."))
        _check_unknown_keys(entry, path, {"field", "label"})
        name = entry.get("field")
        field = properties.get(name) if isinstance(name, str) else None
        if field is None or field.get("type") in ("object", "array"):
            raise DefinitionError(f"{path}.field", _("%(field)r is not a simple field of the form.") % {"field": name})
        if name in seen or name == holder:
            raise DefinitionError(f"{path}.field", _("The field %(field)s is printed twice.") % {"field": name})
        seen.add(str(name))
        if "label" in entry:
            _require_trilingual(entry, "label", path)
        fields[index] = entry
    _check_document_validity(document, definition)


def _check_document_validity(document: dict[str, Any], definition: dict[str, Any]) -> None:
    """`validity`: `{years: N}`, `{days: N}`, or `{years_field: <a required field whose
    choices are numbers of years>}`; left out, the document does not expire."""
    validity = document.get("validity")
    if validity is None:
        document.pop("validity", None)
        return
    if not isinstance(validity, dict) or len(validity) != 1:
        raise DefinitionError("document.validity", _("Give the validity as years, days or years_field."))
    _check_unknown_keys(validity, "document.validity", {"years", "days", "years_field"})
    (unit, value), = validity.items()
    if unit in ("years", "days"):
        limit = 100 if unit == "years" else 36_500
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
            raise DefinitionError(f"document.validity.{unit}", _("Give a whole number from 1 to %(limit)s.") % {
                "limit": limit})
        return
    field = definition["form"]["properties"].get(value) if isinstance(value, str) else None
    choices = field.get("enum") if isinstance(field, dict) else None
    if not isinstance(choices, list) or not all(is_plain_number(choice, minimum=1, maximum=100)
                                                for choice in choices):
        raise DefinitionError("document.validity.years_field", _(
            "The validity field must be a form field whose choices are numbers of years."))
    if value not in definition["form"].get("required", []):
        raise DefinitionError("document.validity.years_field", _(
            "The validity depends on the field %(field)s, so the form must require it.") % {"field": value})


# --- handover at a center ---------------------------------------------------------------------

# The form field that lets the applicant pick a center (`x-widget: center`): its choices are
# the active centers that offer the service, filled in when the form is shown and checked on
# the server (khedmat/applications/handover.py).
CENTER_WIDGET = "center"
_HANDOVER_STATES = ("ready_state", "collected_state")


def _check_handover(definition: dict[str, Any]) -> None:
    """`handover` (optional): the service hands something over (a passport, a card) at a center
    the applicant picks in the form. It names the form field (`x-widget: center`, required),
    what is handed over, the state in which it waits at the center (milestone
    `ready_for_collection`, which tells the applicant where and when) and the final state in
    which it was collected; `centers` may narrow the choice to some center codes (checked
    against the centers when the definition is published)."""
    handover = definition.get("handover")
    form = definition["form"]
    centre_fields = [name for name, field in form["properties"].items()
                     if isinstance(field, dict) and field.get("x-widget") == CENTER_WIDGET]
    if handover is None:
        definition.pop("handover", None)
        if centre_fields:
            raise DefinitionError(f"form.properties.{centre_fields[0]}.x-widget", _(
                "A center field is for a service that hands something over: describe it under handover."))
        return
    if not isinstance(handover, dict):
        raise DefinitionError("handover", _(
            "Describe the handover with its field, what is handed over and its states."))
    _check_unknown_keys(handover, "handover", {"field", "what", "ready_state", "collected_state", "centers"})
    name = handover.get("field")
    field = form["properties"].get(name) if isinstance(name, str) else None
    if not isinstance(field, dict) or field.get("type") != "string" or field.get("x-widget") != CENTER_WIDGET \
            or "enum" in field:
        raise DefinitionError("handover.field", _(
            "Name the form field where the applicant picks the center: type string, x-widget: center, "
            "without enum (the centers are listed by the platform)."))
    if name not in form.get("required", []):
        raise DefinitionError("handover.field", _(
            "The applicant must pick where to collect: the form must require the field %(field)s.") % {"field": name})
    for other in centre_fields:
        if other != name:
            raise DefinitionError(f"form.properties.{other}.x-widget", _("The form has only one center field."))
    _require_trilingual(handover, "what", "handover")
    states = {state["name"]: state for state in definition["workflow"]["states"]}
    ready_name, collected_name = handover.get("ready_state"), handover.get("collected_state")
    ready = states.get(ready_name) if isinstance(ready_name, str) else None
    if ready is None or ready.get("milestone") != "ready_for_collection" or ready.get("final"):
        raise DefinitionError("handover.ready_state", _(
            "Name the state in which it waits at the center: not final, with milestone ready_for_collection."))
    collected = states.get(collected_name) if isinstance(collected_name, str) else None
    if collected is None or not collected.get("final"):
        raise DefinitionError("handover.collected_state", _("Name the final state in which it was collected."))
    if not any(handover["ready_state"] in t["from"] and t["to"] == collected["name"]
               for t in definition["workflow"]["transitions"]):
        raise DefinitionError("handover.collected_state", _(
            "The workflow needs a step from %(ready)s to %(collected)s.") % {
                "ready": handover["ready_state"], "collected": collected["name"]})
    codes = handover.setdefault("centers", [])
    if not isinstance(codes, list) or not all(isinstance(code, str) and _CODE.match(code) for code in codes):
        raise DefinitionError("handover.centers", _(
            "List center codes such as KBL, or leave centers out for every center offering the service."))
    if len(set(codes)) != len(codes):
        raise DefinitionError("handover.centers", _("A center is listed twice."))


# What a pure check cannot know (which centers exist) is checked when a definition is
# published, by the apps that know it; they register here in their AppConfig.ready().
_PUBLISH_CHECKS: list[Callable[[dict[str, Any]], None]] = []


def register_publish_check(check: Callable[[dict[str, Any]], None]) -> None:
    """`check(definition)` raises DefinitionError for what refers to data it does not find."""
    if check not in _PUBLISH_CHECKS:
        _PUBLISH_CHECKS.append(check)


def check_references(definition: dict[str, Any]) -> None:
    for check in _PUBLISH_CHECKS:
        check(definition)
