from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_answers_json_while_the_process_runs(client: Client) -> None:
    # Liveness only: the dependencies are /readyz's (tests/test_observability.py).
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-ID"]
