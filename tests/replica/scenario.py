"""Run by tests/test_replica.py in a subprocess, with DATABASE_URL on a primary and
DATABASE_REPLICA_URL on its streaming replica: what pages show while the replica's replay is
paused. Prints one JSON object of observations; the test asserts on them."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import django
import psycopg

PIN_SECONDS = float(os.environ["REPLICA_PIN_SECONDS"])
CODE = "RPL"
OLD, NEW = "Replica Old Office", "Primary New Office"


def wait(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def main() -> None:
    django.setup()
    from django.db import connections
    from django.test import Client

    from khedmat.catalog.services import agency_upsert

    replica = psycopg.connect(os.environ["DATABASE_REPLICA_URL"], autocommit=True)

    def replica_name() -> str | None:
        row = replica.execute("SELECT name_en FROM catalog_agency WHERE code = %s", [CODE]).fetchone()
        return row[0] if row else None

    seen: dict[str, object] = {}
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        seen["replica_in_recovery"] = cursor.fetchone()[0]
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        seen["primary_in_recovery"] = cursor.fetchone()[0]

    agency_upsert(code=CODE, slug="rpl", name={"en": OLD, "fa": "اداره", "ps": "اداره"})
    wait(lambda: replica_name() == OLD, "the replica to receive the agency")

    citizen, writer = Client(), Client()
    page = "/en/services/agencies/"

    def shows(client: Client, url: str = page) -> str:
        body = client.get(url).content.decode()
        return "new" if NEW in body else "old" if OLD in body else "none"

    seen["before"] = shows(citizen)
    replica.execute("SELECT pg_wal_replay_pause()")
    wait(lambda: (replica.execute("SELECT pg_get_wal_replay_pause_state()").fetchone() or [""])[0] == "paused",
         "replay to pause")
    response = writer.post("/replica-test/rename/", {"code": CODE, "name": NEW})
    seen["write_status"] = response.status_code
    seen["writer_pinned"] = "khedmat_primary" in response.cookies
    written_at = time.monotonic()
    seen["writer_after_write"] = shows(writer)
    seen["citizen_while_paused"] = shows(citizen)
    seen["unlisted_page_while_paused"] = shows(citizen, f"/replica-test/name/?code={CODE}")
    seen["replica_row_while_paused"] = "new" if replica_name() == NEW else "old"
    time.sleep(max(0.0, PIN_SECONDS + 0.5 - (time.monotonic() - written_at)))
    seen["writer_after_window"] = shows(writer)
    replica.execute("SELECT pg_wal_replay_resume()")
    wait(lambda: replica_name() == NEW, "the replica to catch up")
    seen["citizen_after_resume"] = shows(citizen)
    replica.close()
    for connection in connections.all():
        connection.close()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
