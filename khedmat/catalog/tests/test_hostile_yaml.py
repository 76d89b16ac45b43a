"""YAML an attacker (or a careless paste) sends where an agency administrator defines a service:
a billion laughs, thousands of nesting levels, a huge file, values Python cannot hold. Each is
refused quickly, with a message that says why, and nothing is saved; none is a server error."""

from __future__ import annotations

import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from khedmat.accounts.models import User
from khedmat.catalog.definition import DefinitionError, definition_from_yaml, validate_definition
from khedmat.catalog.models import Agency, Category, Service, ServiceVersion

from .factories import PASSPORT_YAML, definition_form_data, passport_definition, verified_client


def billion_laughs(levels: int = 9) -> str:
    """The classic: each level an anchored list of nine aliases of the one before, so that
    `levels` lines stand for 9**levels strings once anything walks the result."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


def a_passport_bomb() -> str:
    """The passport definition carrying a billion laughs in a description (the shape a real
    attack takes: a definition that would otherwise be accepted)."""
    return PASSPORT_YAML + "\n" + billion_laughs().replace("a: &a", "x-bomb: &a", 1)


def deep_block(levels: int = 5_000) -> str:
    """Block sequences nested `levels` deep in one short line: "- - - - … end"."""
    return "- " * levels + "end\n"


def deep_flow(levels: int = 5_000) -> str:
    return "form: " + "[" * levels + "]" * levels + "\n"


@pytest.fixture
def moi_client(moi_admin: User) -> Client:
    return verified_client(moi_admin)


# --- the reader -----------------------------------------------------------------------------------

def test_a_billion_laughs_is_refused_in_milliseconds_naming_the_alias() -> None:
    began = time.process_time()
    with pytest.raises(DefinitionError) as refused:
        definition_from_yaml(a_passport_bomb())
    assert time.process_time() - began < 0.5
    assert "aliases" in refused.value.message and "write the value out in full" in refused.value.message
    assert refused.value.path.startswith("line ")


@pytest.mark.parametrize("text", [deep_block(), deep_flow(), deep_block(30)], ids=["block", "flow", "30 levels"])
def test_thousands_of_nesting_levels_are_refused(text: str) -> None:
    began = time.process_time()
    with pytest.raises(DefinitionError) as refused:
        definition_from_yaml(text)
    assert time.process_time() - began < 0.5
    assert refused.value.message == "The text is nested more than 24 levels deep."


def test_a_deep_structure_built_in_python_is_refused_too() -> None:
    """The check that walks a definition is bounded as well (the admin's form pieces and any
    caller of validate_definition never reach Python's recursion limit)."""
    nested: dict[str, Any] = {}
    inner = nested
    for _level in range(5_000):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(DefinitionError, match="nested more than"):
        validate_definition({**passport_definition(), "description": nested})


@pytest.mark.parametrize(("text", "message"), [
    ("code: " + "9" * 5_000 + "\n", "A value in the text cannot be read"),
    ("code: 2023-02-30\n", "A value in the text cannot be read"),
    ("code: !!python/object:os.system ls\n", "not valid YAML"),
    ("a: 1\n---\nb: 2\n", "not valid YAML"),
    ("a: [1, 2\n", "not valid YAML"),
    ("code: PSP\x00\n", "not valid YAML"),
    ("name: " + "x" * 200_000 + "\n", "larger than 128 KB"),
    ("- 1\n" * 20_001, "more than 20,000 values"),
])
def test_values_python_cannot_hold_and_other_nonsense_are_refused(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        definition_from_yaml(text)


def test_bytes_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(DefinitionError, match="not UTF-8"):
        definition_from_yaml(b"code: \xff\xfe\n")


# --- where administrators send it -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    (a_passport_bomb(), "YAML aliases (*name) are not allowed: write the value out in full."),
    (deep_block(), "The text is nested more than 24 levels deep."),
    (deep_flow(), "The text is nested more than 24 levels deep."),
])
def test_the_import_page_refuses_it_with_the_reason_and_saves_nothing(
        moi_client: Client, moi: Agency, category: Category, text: str, message: str) -> None:
    response = moi_client.post(reverse("admin:catalog_service_import"), {"agency": str(moi.pk), "text": text})
    assert response.status_code == 200
    page = response.content.decode()
    assert "refused and nothing was saved" in page
    assert message in page
    assert not Service.objects.exists() and not ServiceVersion.objects.exists()


@pytest.mark.parametrize(("field", "text", "message"), [
    ("form_schema", billion_laughs(), "YAML aliases (*name) are not allowed"),
    ("workflow", billion_laughs(), "YAML aliases (*name) are not allowed"),
    ("form_schema", deep_block(), "The text is nested more than 24 levels deep. (line 1)"),
    ("workflow", deep_flow(), "The text is nested more than 24 levels deep. (line 1)"),
])
def test_the_service_page_refuses_it_next_to_the_field(moi_client: Client, passport: Service, field: str,
                                                       text: str, message: str) -> None:
    passport.refresh_from_db()
    assert passport.current_version is not None
    data = definition_form_data(passport.current_version.definition, **{field: text})
    response = moi_client.post(reverse("admin:catalog_service_change", args=[passport.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ServiceVersion.objects.count() == 1


@pytest.mark.parametrize(("text", "message"), [
    (a_passport_bomb(), "aliases"),
    (deep_block(), "nested more than 24 levels"),
    (deep_flow(), "nested more than 24 levels"),
])
def test_the_import_command_refuses_it(tmp_path: Path, moi: Agency, category: Category, text: str,
                                       message: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=f"Refused, nothing saved: .*{message}"):
        call_command("import_service", str(path), "--agency", "MOI", stdout=StringIO())
    assert not ServiceVersion.objects.exists()
