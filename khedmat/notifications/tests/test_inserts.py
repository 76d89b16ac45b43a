"""core.inserts.insert_new writes the row `save()` would (every column, defaults, the key read
back), sends pre_save/post_save as a creation, and leaves a model it cannot write exactly to
`save()`."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import signals
from django.forms.models import model_to_dict
from django.utils import timezone

from khedmat.core import inserts
from khedmat.core.inserts import insert_new
from khedmat.notifications.models import Message, MessageStatusChange

pytestmark = pytest.mark.django_db


NOW = timezone.now().replace(microsecond=123456)


def _message(**overrides: Any) -> Message:
    now = NOW
    values = {"to": "+93700000001", "body": "سلام", "language": "fa", "template": "ticket.issued",
              "reference": "A-001", "next_attempt_at": now, "created_at": now,
              "give_up_at": now + datetime.timedelta(hours=1), **overrides}
    return Message(**values)


def _row(message: Message) -> dict[str, Any]:
    return {key: value for key, value in model_to_dict(Message.objects.get(pk=message.pk)).items() if key != "id"}


def test_the_same_row_as_save() -> None:
    by_orm = Message.objects.create(**model_to_dict(_message(), exclude=["id", "idempotency_key"]))
    plain = insert_new(_message(to="+93700000002"))
    assert plain.pk and plain.pk != by_orm.pk and not plain._state.adding and plain._state.db == "default"
    assert _row(plain) == {**_row(by_orm), "to": "+93700000002"}
    stored = Message.objects.get(pk=plain.pk)
    assert stored.body == "سلام" and stored.idempotency_key == plain.idempotency_key
    MessageStatusChange.objects.create(message=plain, status="created")  # the key is the row's


def test_signals_sent_as_a_creation() -> None:
    seen: list[tuple[str, bool]] = []

    def before(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(("pre", instance.pk is None))

    def after(sender: Any, instance: Any, created: bool, update_fields: Any, raw: bool, **kwargs: Any) -> None:
        seen.append(("post", created and instance.pk is not None and update_fields is None and not raw))

    signals.pre_save.connect(before, sender=Message)
    signals.post_save.connect(after, sender=Message)
    try:
        insert_new(_message())
    finally:
        signals.pre_save.disconnect(before, sender=Message)
        signals.post_save.disconnect(after, sender=Message)
    assert seen == [("pre", True), ("post", True)]


def test_a_model_with_its_own_save_goes_through_save(monkeypatch: pytest.MonkeyPatch) -> None:
    saved: list[bool] = []

    class Special(Message):
        class Meta:
            proxy = True
            app_label = "notifications"

        def save(self, *args: Any, **kwargs: Any) -> None:
            saved.append(kwargs.get("force_insert", False))
            super().save(*args, **kwargs)

    try:
        monkeypatch.setattr(inserts, "_plans", {})
        message = _message()
        message.__class__ = Special
        insert_new(message)
        assert saved == [True] and Message.objects.filter(pk=message.pk).exists()
        assert inserts._plans[(Special, connection.vendor)] is None
    finally:  # out of the app registry again: a later makemigrations --check must not see it
        apps.all_models["notifications"].pop("special", None)
        apps.clear_cache()


def test_many_in_one_insert_as_each_would_be_written() -> None:
    """insert_new_many: the rows insert_new writes, one statement, keys read back in order."""
    from django.test.utils import CaptureQueriesContext

    from khedmat.core.inserts import insert_new_many

    single = insert_new(_message(to="+93700000009"))
    seen: list[str] = []

    def after(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
        seen.append(instance.to if created and instance.pk is not None else "?")

    signals.post_save.connect(after, sender=Message)
    try:
        with CaptureQueriesContext(connection) as captured:
            written = insert_new_many([_message(to=f"+9370000001{n}") for n in range(3)])
    finally:
        signals.post_save.disconnect(after, sender=Message)
    assert len(captured.captured_queries) == 1
    assert [message.to for message in written] == seen == ["+93700000010", "+93700000011", "+93700000012"]
    assert all(not message._state.adding for message in written)
    assert [message.pk for message in written] == sorted(message.pk for message in written)
    for message in written:
        assert _row(message) == {**_row(single), "to": message.to}
