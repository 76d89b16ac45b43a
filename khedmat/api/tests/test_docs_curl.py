"""The curl lines of docs/api.md, run as written against a live server: if the documented
calls stop working, this fails."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from khedmat.applications.tests.office_helpers import submitted
from khedmat.payments import selectors as payment_selectors

pytestmark = pytest.mark.django_db(transaction=True)


def documented_calls() -> list[str]:
    text = Path(settings.BASE_DIR, "docs/api.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.DOTALL)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.startswith("curl ")]


def test_the_documented_curl_calls_work(live_server: Any, keys: dict[str, Any], passport: Any, citizen: Any) -> None:
    file = submitted(passport, citizen)
    order = payment_selectors.order_of(file)
    environment = {**os.environ, "BASE": live_server.url, "KEY": keys["act"].token, "FILE": str(file.public_id),
                   "ORDER": order.reference if order else ""}
    calls = documented_calls()
    assert len(calls) >= 6
    for call in calls:
        done = subprocess.run(["bash", "-c", call], env=environment, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, (call, done.stdout, done.stderr)
    assert file.notes.count() == 1
