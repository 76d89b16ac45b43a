from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_openapi_document_lists_the_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/catalog/services" in paths
    assert "/api/v1/files/{file_id}/steps" in paths
