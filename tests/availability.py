"""What a test does when something outside Python that it needs is missing.

In CI (`CI` set) a missing server or browser is a broken machine: the test fails loudly.
On a user's machine the test skips, saying what to install.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(what: str, *, install: str) -> NoReturn:
    """Fail in CI, skip elsewhere; `install` tells a user how to get what is missing."""
    if running_in_ci():
        pytest.fail(f"{what}. CI is set, so this is a failure, not a skip. To fix: {install}", pytrace=False)
    pytest.skip(f"{what}. To run this test: {install}")
