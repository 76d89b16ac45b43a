"""The curl lines of docs/api.md, run as written against a live server: if the documented
calls stop working, this fails. The webhooks' lines run with a real receiver, and the
documented verification snippet checks what it received."""

from __future__ import annotations

import json
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


def documented_blocks(language: str) -> list[str]:
    text = Path(settings.BASE_DIR, "docs/api.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def documented_calls(block: int = 0) -> list[str]:
    return [line for line in documented_blocks("sh")[block].splitlines() if line.startswith("curl ")]


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


def test_the_documented_webhook_calls_work_and_the_snippet_verifies_a_delivery(
        live_server: Any, moi: Any, passport: Any, citizen: Any) -> None:
    from standardwebhooks import WebhookVerificationError

    from khedmat.api.models import WebhookSubscription
    from khedmat.api.services import api_key_create

    from .receiver import receiver

    key = api_key_create(agency=moi, name="registry", scopes=["read", "webhooks"])
    namespace: dict[str, Any] = {}
    [snippet] = documented_blocks("python")
    exec(compile(snippet, "docs/api.md", "exec"), namespace)  # noqa: S102 (our own documentation)
    verified_event = namespace["verified_event"]
    calls = documented_calls(1)
    assert calls[0].startswith("curl -sf -X POST") and "/api/v1/webhooks" in calls[0] and "DELETE" in calls[-1]
    with receiver() as hook:
        environment = {**os.environ, "BASE": live_server.url, "KEY": key.token, "HOOK_URL": hook.url}
        outputs = []
        for call in calls:
            done = subprocess.run(["bash", "-c", call], env=environment, capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, (call, done.stdout, done.stderr)
            outputs.append(done.stdout)
            if call is calls[0]:
                made = json.loads(done.stdout)
                environment["WEBHOOK"] = made["id"]
                secret = made["secret"]
                # a real event: a file sent to the subscribed service reaches the receiver too
                submitted(passport, citizen)
            if call is calls[-2]:  # the deliveries, before the DELETE
                log = json.loads(done.stdout)
                assert log[0]["status"] == "delivered" and log[0]["event"] == "webhook.test"
        types = [verified_event(item.body, item.headers, secret)["type"] for item in hook.received]
        assert "webhook.test" in types and "application.submitted" in types
        for item in hook.received:
            try:
                verified_event(item.body, item.headers, "whsec_" + "B" * 43 + "=")
            except WebhookVerificationError:
                continue
            raise AssertionError("a wrong secret verified a delivery")
    assert "whsec_" not in "".join(outputs[1:])  # the secret is only in the POST's answer
    assert WebhookSubscription.objects.count() == 0
