"""The open data: the public figures as CSV and JSON, each table described by a Frictionless
Table Schema in `datapackage.json` (docs/open-data.md). Every figure goes through `figures.Figures`,
so the files withhold exactly what the pages withhold (fewer than 5 cases: an empty cell, null in JSON).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .figures import Figures

LICENSE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
           "path": "https://creativecommons.org/licenses/by/4.0/"}
DAILY_DAYS = 31  # daily-figures.csv: the last 31 days; older days by their own URLs


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    constraints: dict[str, Any] | None = None


def _share(name: str, description: str) -> Field:
    return Field(name, "number", description, {"minimum": 0, "maximum": 1})


def _count(name: str, description: str) -> Field:
    return Field(name, "integer", description, {"minimum": 5})


SUBJECT_FIELDS = (
    Field("agency", "string", "The agency's slug (as in /<lang>/services/agencies/<slug>/).", {"required": True}),
    Field("service", "string", "The service's slug (as in /<lang>/services/<slug>/).", {"required": True}),
    Field("center", "string", "The service center's slug; empty for files sent online or by SMS."),
)
MEASURE_FIELDS = (
    _count("applications_received", "Applications sent."),
    _count("applications_online", "Applications sent online."),
    _count("applications_center", "Applications made at a service center (not assisted)."),
    _count("applications_assisted", "Applications filled by an operator for the applicant, with consent."),
    _count("applications_sms_ussd", "Applications sent by SMS or USSD."),
    _count("decisions", "Final decisions made."),
    _share("decisions_in_time_share", "Share of decisions made within the service's time standard."),
    Field("decision_days_median", "number", "Median working days from sending to decision.", {"minimum": 0}),
    Field("decision_days_p90", "number", "90th percentile of working days to decision.", {"minimum": 0}),
    _count("visits_served", "Visits served at a counter."),
    Field("wait_minutes_median", "number", "Median minutes from ticket to call.", {"minimum": 0}),
    Field("wait_minutes_p90", "number", "90th percentile of minutes from ticket to call.", {"minimum": 0}),
    _count("ratings", "Ratings given (1 to 5)."),
    Field("satisfaction_mean", "number", "Average rating, 1 to 5.", {"minimum": 1, "maximum": 5}),
    _share("satisfied_share", "Share of ratings of 4 or 5."),
    _count("complaints_received", "Complaints received."),
    _count("complaints_answered", "Complaints answered."),
    _share("complaints_answered_in_time_share", "Share of complaints answered within their time standard."),
)
DAILY_FIELDS = (
    Field("day", "date", "The day (Gregorian, ISO 8601).", {"required": True}),
    Field("solar_hijri_month", "string", "The Solar Hijri month the day falls in, YYYY-MM.",
          {"required": True, "pattern": r"\d{4}-\d{2}"}),
    *SUBJECT_FIELDS, *MEASURE_FIELDS,
)
MONTHLY_FIELDS = (
    Field("solar_hijri_month", "string", "The Solar Hijri month, YYYY-MM (01 = Hamal).",
          {"required": True, "pattern": r"\d{4}-\d{2}"}),
    *SUBJECT_FIELDS, *MEASURE_FIELDS,
)
SERVICE_FIELDS = (
    Field("slug", "string", "The service's slug.", {"required": True, "unique": True}),
    Field("agency", "string", "The agency's slug.", {"required": True}),
    Field("name_en", "string", "Name in English."),
    Field("name_fa", "string", "Name in Dari."),
    Field("name_ps", "string", "Name in Pashto."),
    Field("fee_min_afn", "integer", "The lowest fee, in afghani.", {"minimum": 0}),
    Field("time_standard_days", "integer", "The time standard, in working days.", {"minimum": 0}),
)
CENTER_FIELDS = (
    Field("slug", "string", "The service center's slug.", {"required": True, "unique": True}),
    Field("name_en", "string", "Name in English."),
    Field("name_fa", "string", "Name in Dari."),
    Field("name_ps", "string", "Name in Pashto."),
    Field("city_en", "string", "City, in English."),
)


def solar_month_text(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def measures(counts: dict[str, Any]) -> dict[str, Any]:
    """A row's published figures: withheld ones are None."""
    figures = Figures(counts)
    return {
        "applications_received": figures.received,
        **{f"applications_{channel.code if channel.code != 'sms' else 'sms_ussd'}": channel.count
           for channel in figures.channels},
        "decisions": figures.decided,
        "decisions_in_time_share": _rounded(figures.in_time_share),
        "decision_days_median": figures.decision_days_median,
        "decision_days_p90": figures.decision_days_p90,
        "visits_served": figures.served,
        "wait_minutes_median": figures.wait_minutes_median,
        "wait_minutes_p90": figures.wait_minutes_p90,
        "ratings": figures.rated,
        "satisfaction_mean": figures.satisfaction_mean,
        "satisfied_share": _rounded(figures.satisfied_share),
        "complaints_received": figures.complaints_received,
        "complaints_answered": figures.complaints_answered,
        "complaints_answered_in_time_share": _rounded(figures.complaints_in_time_share),
    }


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 3)


def daily_record(row: dict[str, Any]) -> dict[str, Any]:
    return {"day": row["day"].isoformat(), "solar_hijri_month": solar_month_text(row["month"]),
            "agency": row["agency__slug"], "service": row["service__slug"], "center": row["center__slug"] or None,
            **measures(row)}


def monthly_record(row: dict[str, Any]) -> dict[str, Any]:
    return {"solar_hijri_month": solar_month_text(row["month"]), "agency": row["agency__slug"],
            "service": row["service__slug"], "center": row["center__slug"] or None, **measures(row)}


def csv_lines(fields: Iterable[Field], records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text line by line (None as an empty cell), for a streamed response."""
    names = [field.name for field in fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flushed() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(names)
    yield flushed()
    for record in records:
        writer.writerow(["" if record.get(name) is None else record[name] for name in names])
        yield flushed()


def table_schema(fields: Iterable[Field], primary_key: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"fields": [], "missingValues": [""]}
    for field in fields:
        described: dict[str, Any] = {"name": field.name, "type": field.type, "description": field.description}
        if field.type == "date":
            described["format"] = "%Y-%m-%d"
        if field.constraints:
            described["constraints"] = field.constraints
        schema["fields"].append(described)
    if primary_key:
        schema["primaryKey"] = primary_key
    return schema


def _resource(name: str, path: str, title: str, description: str, fields: Iterable[Field],
              primary_key: list[str] | None = None) -> dict[str, Any]:
    return {"name": name, "path": path, "title": title, "description": description, "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "schema": table_schema(fields, primary_key)}


def datapackage(*, updated: datetime.datetime | None) -> dict[str, Any]:
    """The description of every CSV file, with its Table Schema and the licence (paths are relative)."""
    return {
        "profile": "tabular-data-package",
        "name": "asan-khedmat-public-performance",
        "title": "Asan Khedmat: public performance",
        "description": ("Applications, decisions on time, waiting times, satisfaction and complaints of every "
                        "service, agency and service center, from pre-aggregated daily rows. No figure computed "
                        "from fewer than 5 cases is published (an empty cell)."),
        "licenses": [LICENSE],
        **({"updated": updated.isoformat()} if updated else {}),
        "resources": [
            _resource("services", "services.csv", "Services", "Every published service, its fee and time standard.",
                      SERVICE_FIELDS, ["slug"]),
            _resource("centers", "centers.csv", "Service centers", "Every active service center.", CENTER_FIELDS,
                      ["slug"]),
            _resource("daily-figures", "daily-figures.csv", "Daily figures",
                      f"A row per day, service and center, for the last {DAILY_DAYS} days; any day's rows at "
                      "daily/<YYYY-MM-DD>.csv and .json.", DAILY_FIELDS),
            _resource("monthly-figures", "monthly-figures.csv", "Monthly figures",
                      "A row per Solar Hijri month, service and center; one month's rows at "
                      "monthly/<YYYY-MM>.csv and .json.", MONTHLY_FIELDS),
        ],
    }
