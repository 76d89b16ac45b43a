"""The open data: every published file valid against its Table Schema (checked with frictionless,
as CI runs it), a JSON index of the datasets, stable URLs that refuse what is not a day or month."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from frictionless import Package, validate

from khedmat.insights.services import month_key


@pytest.fixture
def demo(db: None) -> None:
    call_command("seed_demo", quiet=True)


def _body(response: object) -> bytes:
    streamed = getattr(response, "streaming_content", None)
    return b"".join(streamed) if streamed is not None else response.content  # type: ignore[attr-defined]


def test_the_published_files_are_valid_against_their_datapackage(client: Client, demo: None, tmp_path: Path) -> None:
    response = client.get("/open-data/datapackage.json")
    assert response.status_code == 200
    package = json.loads(response.content)
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    (tmp_path / "datapackage.json").write_bytes(response.content)
    for resource in package["resources"]:
        fetched = client.get(f"/open-data/{resource['path']}")
        assert fetched.status_code == 200, resource["path"]
        assert fetched["Content-Type"].startswith("text/csv")
        (tmp_path / resource["path"]).write_bytes(_body(fetched))

    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
    rows = Package(str(tmp_path / "datapackage.json")).get_resource("monthly-figures").read_rows()  # type: ignore[attr-defined]
    assert len(rows) > 10  # the demonstration's made-up months are there, not only withheld cells


def test_no_published_count_is_under_five(client: Client, demo: None) -> None:
    """The schema says so (minimum 5), and the JSON of every day says so too."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    for day in (yesterday - datetime.timedelta(days=5), yesterday - datetime.timedelta(days=6)):
        rows = client.get(f"/open-data/daily/{day.isoformat()}.json").json()["rows"]
        assert rows
        counts = [value for row in rows for name, value in row.items()
                  if isinstance(value, int) and not name.endswith(("_median", "_p90"))]
        assert counts and min(counts) >= 5


def test_the_index_lists_every_dataset_with_its_urls(client: Client, demo: None) -> None:
    index = client.get("/open-data/").json()
    assert index["license"]["name"] == "CC-BY-4.0"
    assert [dataset["name"] for dataset in index["datasets"]] == [
        "services", "centers", "daily-figures", "monthly-figures"]
    for dataset in index["datasets"]:
        for url in dataset["formats"].values():
            assert client.get(url.removeprefix("http://testserver")).status_code == 200
    month = index["datasets"][3]["by_month"]["months"][-1]
    assert client.get(f"/open-data/monthly/{month}.json").json()["rows"]
    assert client.get(f"/open-data/monthly/{month}.csv").status_code == 200


@pytest.mark.parametrize("path", [
    "daily/2026-13-01.csv", "daily/2026-2-1.json", "daily/۲۰۲۶-۰۱-۰۱.csv", "daily/0001-01-01.json",
    "daily/1999-01-01.csv", "daily/" + "9" * 400 + ".csv", "monthly/1405-13.csv", "monthly/1405-00.json",
    "monthly/۱۴۰۵-۰۱.json", "monthly/0000-01.csv", "monthly/1300-01.csv",
])
def test_what_is_not_a_built_day_or_month_is_not_found(client: Client, demo: None, path: str) -> None:
    assert client.get(f"/open-data/{path}").status_code == 404


def test_a_months_file_is_at_its_solar_hijri_name(client: Client, demo: None) -> None:
    key = month_key(timezone.localdate())
    name = f"{key // 100:04d}-{key % 100:02d}"
    rows = client.get(f"/open-data/monthly/{name}.json").json()["rows"]
    assert {row["solar_hijri_month"] for row in rows} == {name}
