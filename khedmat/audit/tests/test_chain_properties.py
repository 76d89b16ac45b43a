"""Properties of the audit hash chain, over random logs and random tampering.

The pure part (khedmat.audit.chain) is checked on generated chains: an untouched chain
verifies, and any one edit, deletion or swap is found at the first position it affects.
The database part records and seals in random interleavings and batch sizes: every event
is sealed once, the sequence has no gaps and the chain verifies; events that commit after
later ones were sealed are sealed next.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khedmat.audit.chain import GENESIS_HASH, event_payload, link_hash, verify_links
from khedmat.audit.models import AuditEvent, AuditSeal
from khedmat.audit.selectors import audit_unsealed_count, audit_verify_chain
from khedmat.audit.services import LOOKBACK_EVENTS, audit_record, audit_seal_pending
from khedmat.core import jobs

Link = tuple[int, str, str, dict[str, Any] | None, int | None]


@dataclass(frozen=True)
class FakeEvent:
    """Stands in for an AuditEvent row: event_payload reads only attributes."""

    pk: int
    occurred_at: datetime.datetime
    actor_id: int | None
    actor_role: str
    actor_agency_code: str
    action: str
    target_type: str
    target_id: str
    subject_id: int | None
    reason: str
    request_id: str
    ip_address: str | None
    data: dict[str, Any]


texts = st.text(max_size=12)
events = st.builds(
    FakeEvent,
    pk=st.integers(1, 10**9),
    occurred_at=st.datetimes(min_value=datetime.datetime(2020, 1, 1), max_value=datetime.datetime(2030, 1, 1),
                             timezones=st.just(datetime.UTC)),
    actor_id=st.none() | st.integers(1, 10**6),
    actor_role=st.sampled_from(["", "citizen", "officer", "approver"]),
    actor_agency_code=st.sampled_from(["", "MOI", "MOCI"]),
    action=st.sampled_from(["applications.submitted", "applications.approve", "applications.viewed"]),
    target_type=st.just("application"),
    target_id=texts,
    subject_id=st.none() | st.integers(1, 10**6),
    reason=texts,
    request_id=texts,
    ip_address=st.none() | st.ip_addresses(v=4).map(str),
    data=st.dictionaries(st.text(max_size=5), st.integers() | texts | st.booleans(), max_size=3),
)


def _chain(log: list[FakeEvent]) -> list[Link]:
    links: list[Link] = []
    previous = GENESIS_HASH
    for sequence, event in enumerate(log, start=1):
        payload = event_payload(event)
        digest = link_hash(sequence=sequence, previous_hash=previous, payload=payload)
        links.append((sequence, previous, digest, payload, event.pk))
        previous = digest
    return links


@given(st.lists(events, max_size=20))
def test_an_untouched_chain_verifies(log: list[FakeEvent]) -> None:
    assert verify_links(_chain(log)) is None


@given(st.lists(events, min_size=1, max_size=20), st.data())
def test_an_edited_event_is_found_where_it_is(log: list[FakeEvent], data: st.DataObject) -> None:
    links = _chain(log)
    position = data.draw(st.integers(0, len(links) - 1), label="position")
    sequence, previous, digest, payload, event_id = links[position]
    assert payload is not None
    edited = data.draw(st.sampled_from(["reason", "actor", "data", "occurred_at", "action"]), label="field")
    changed = dict(payload)
    changed[edited] = {"reason": payload["reason"] + "!", "actor": (payload["actor"] or 0) + 1,
                       "data": {**payload["data"], "extra": 1},
                       "occurred_at": payload["occurred_at"] + "x",
                       "action": payload["action"] + ".changed"}[edited]
    links[position] = (sequence, previous, digest, changed, event_id)
    fault = verify_links(links)
    assert fault is not None and fault.sequence == position + 1 and "altered" in fault.problem


@given(st.lists(events, min_size=2, max_size=20), st.data())
def test_a_deleted_event_is_found_unless_it_was_the_newest(log: list[FakeEvent], data: st.DataObject) -> None:
    links = _chain(log)
    position = data.draw(st.integers(0, len(links) - 2), label="position")  # the newest: see docs/audit.md
    del links[position]
    fault = verify_links(links)
    assert fault is not None and fault.sequence == position + 1 and "deleted" in fault.problem


@given(st.lists(events, min_size=2, max_size=20), st.data())
def test_swapped_events_are_found_at_the_first(log: list[FakeEvent], data: st.DataObject) -> None:
    links = _chain(log)
    first = data.draw(st.integers(0, len(links) - 2), label="first")
    second = data.draw(st.integers(first + 1, len(links) - 1), label="second")
    # Whole seals swapped, then renumbered so the sequence has no gap.
    a, b = links[first], links[second]
    links[first] = (a[0], *b[1:])
    links[second] = (b[0], *a[1:])
    fault = verify_links(links)
    assert fault is not None and fault.sequence == first + 1


@given(st.lists(events, min_size=2, max_size=20), st.data())
def test_a_resealed_chain_with_an_edit_is_found(log: list[FakeEvent], data: st.DataObject) -> None:
    """An attacker who edits an event and recomputes its own seal still breaks the next link."""
    position = data.draw(st.integers(0, len(log) - 2), label="position")
    tampered = list(log)
    tampered[position] = replace(log[position], reason=log[position].reason + " (edited)")
    honest, forged = _chain(log), _chain(tampered)
    links = [*honest[:position], forged[position], *honest[position + 1:]]
    fault = verify_links(links)
    assert fault is not None and fault.sequence == position + 2 and "broken link" in fault.problem


# --- the real tables ---------------------------------------------------------------------

@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 4)), min_size=1, max_size=8))
def test_recording_and_sealing_in_any_interleaving_keeps_one_chain(rounds: list[tuple[int, int]]) -> None:
    """Rounds of (events recorded, sealer batch size): rows from earlier examples stay, and
    the chain goes on over them."""
    for recorded, batch_size in rounds:
        for n in range(recorded):
            audit_record(action="catalog.viewed", target_type="service", target_id=n, reason="look",
                         data={"n": n})
        # In a test transaction on_commit never fires: seal as the next request would.
        audit_seal_pending(batch_size=batch_size)
        assert audit_unsealed_count() == 0
        assert audit_verify_chain() is None
    sequences = list(AuditSeal.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    assert AuditSeal.objects.count() == AuditEvent.objects.count()
    # Sealed in id order: the chain's order is the order the events were recorded in.
    event_ids = list(AuditSeal.objects.order_by("sequence").values_list("event_id", flat=True))
    assert event_ids == sorted(event_ids)


def _event_with_id(event_id: int) -> AuditEvent:
    """An event with a chosen id: how a transaction that committed late looks to the sealer."""
    return AuditEvent.objects.create(id=event_id, occurred_at=timezone.now(), action="catalog.viewed",
                                     target_type="service", target_id=str(event_id))


@pytest.mark.django_db
def test_an_event_committed_after_later_ones_were_sealed_is_sealed_next() -> None:
    first = audit_record(action="catalog.viewed", target_type="service", target_id=1)
    _event_with_id(first.pk + 20)
    assert audit_seal_pending() == 2
    late = _event_with_id(first.pk + 10)  # its transaction began before, and ended after, the sealing
    assert audit_seal_pending() == 1
    assert AuditSeal.objects.get(event=late).sequence == 3  # the chain's order is the order of sealing
    assert audit_unsealed_count() == 0 and audit_verify_chain() is None


@pytest.mark.django_db
def test_a_very_late_event_waits_for_a_full_pass() -> None:
    first = audit_record(action="catalog.viewed", target_type="service", target_id=1)
    _event_with_id(first.pk + LOOKBACK_EVENTS + 100)
    audit_seal_pending()
    straggler = _event_with_id(first.pk + 1)
    # A sealer after a commit looks only so far back: it stays cheap however long the log.
    assert audit_seal_pending() == 0 and audit_unsealed_count() == 1
    call_command("audit_verify", stdout=StringIO())  # verifies only: it never seals
    assert not AuditSeal.objects.filter(event=straggler).exists()
    jobs.run_job("audit_seal")  # the periodic full pass
    assert AuditSeal.objects.filter(event=straggler).exists()
    assert audit_unsealed_count() == 0 and audit_verify_chain() is None
