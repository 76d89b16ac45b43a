"""The one way to read YAML that people upload or paste (service definitions, their form and
workflow): plain data within limits of size, depth and count, or a refusal that says why.

`yaml.safe_load` alone is safe from code execution, not from cost: a kilobyte of nested
aliases (a "billion laughs") expands into a billion strings the moment anything walks the
result, and thousands of nesting levels end in a RecursionError (a server error). Aliases
are refused outright (a definition never needs them: write the value out); depth, size and
the number of values are bounded before anything is built. The text is read twice by
libyaml: once as a stream of events to check the limits, then into Python values.
"""

from __future__ import annotations

from typing import Any

import yaml
from django.utils.translation import gettext as _

from .formatting import format_number

# A demonstration definition is under 10 KB, 9 levels deep, with about 1,500 values.
MAX_BYTES = 128 * 1024
MAX_DEPTH = 24
MAX_VALUES = 20_000

# libyaml when PyYAML was built with it (the wheels are): it also parses in C, and refuses
# more than 1,000 levels itself. The pure-Python loader is the fallback.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlRefused(ValueError):
    """The text was not read. `message` says why, in the reader's language; `line` (from 1)
    says where, when one place is to blame; `problem` is the parser's own words when the text
    is not YAML at all (None when a limit refused it)."""

    def __init__(self, message: str, line: int | None = None, problem: str | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.message = message
        self.line = line
        self.problem = problem


def load_yaml(text: str | bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH,
              max_values: int = MAX_VALUES) -> Any:
    """The value the YAML `text` writes (one document), or YamlRefused."""
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            raise _too_large(max_bytes)
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise YamlRefused(_("The file is not UTF-8 text.")) from None
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise _too_large(max_bytes)
    try:
        _check_events(text, max_depth=max_depth, max_values=max_values)
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader: SafeLoader or CSafeLoader)
    except YamlRefused:
        raise
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        if "maximum nesting depth" in problem:  # libyaml's own limit, met while reading ahead
            raise _too_deep(max_depth, mark.line + 1 if mark is not None else None) from None
        raise YamlRefused(_("This is not valid YAML: %(problem)s") % {"problem": problem},
                          mark.line + 1 if mark is not None else None, problem=str(problem)) from None
    except (ValueError, OverflowError, RecursionError, MemoryError) as error:
        # A value YAML's syntax allows and Python cannot hold: a 5,000-digit number, 2023-02-30.
        raise YamlRefused(_("A value in the text cannot be read: %(problem)s") % {"problem": str(error)[:200]}) \
            from None


def _check_events(text: str, *, max_depth: int, max_values: int) -> None:
    depth = values = 0
    for event in yaml.parse(text, Loader=_LOADER):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused(_("YAML aliases (*name) are not allowed: write the value out in full."), line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise _too_deep(max_depth, line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            values += 1
            if values > max_values:
                raise YamlRefused(_("The text holds more than %(count)s values.") % {
                    "count": format_number(max_values)}, line)


def _too_large(max_bytes: int) -> YamlRefused:
    return YamlRefused(_("The text is larger than %(size)s KB.") % {"size": format_number(max_bytes // 1024)})


def _too_deep(max_depth: int, line: int | None) -> YamlRefused:
    return YamlRefused(_("The text is nested more than %(depth)s levels deep.") % {
        "depth": format_number(max_depth)}, line)
