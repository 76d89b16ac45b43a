"""(Re)build the public figures for a range of days: each day's rows are replaced whole."""

from __future__ import annotations

import datetime
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from khedmat.core.calendar import in_range
from khedmat.insights.services import figures_build_range

MAX_DAYS = 3660


def _day(text: str) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a day: {text!r}; write it as YYYY-MM-DD (Gregorian), e.g. 2026-11-28.") from None
    if not in_range(day):
        raise CommandError(f"{text} is outside the dates the platform reads.")
    return day


class Command(BaseCommand):
    help = "Rebuild the public figures (performance pages, open data) of a range of days; default yesterday and today."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--to", dest="last", help="last day, YYYY-MM-DD, included (default: today)")

    def handle(self, *args: Any, first: str | None, last: str | None, **options: Any) -> None:
        today = timezone.localdate()
        last_day = _day(last) if last else today
        first_day = _day(first) if first else min(last_day, today - datetime.timedelta(days=1))
        if first_day > last_day:
            raise CommandError("--from is after --to: nothing to build.")
        if (last_day - first_day).days >= MAX_DAYS:
            raise CommandError(f"At most {MAX_DAYS} days at once.")
        rows = figures_build_range(first=first_day, last=last_day)
        self.stdout.write(f"Built {(last_day - first_day).days + 1} days from {first_day} to {last_day}: {rows} rows.")
