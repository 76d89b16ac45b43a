"""Figures made up for the demonstration and the bench: daily rows as the build would write them.

The demonstration has a handful of real files, all of today, so every figure would be withheld;
`seed_demo` fills the past year with these rows (days already built are left alone), and the
bench (`bench/performance_pages.py`) writes the rows a million files and a million visits would
leave. Deterministic for a given seed.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from khedmat.catalog import selectors as catalog_selectors
from khedmat.centers import selectors as center_selectors

from .histograms import DECISION_FIELDS, WAIT_FIELDS
from .kept import figures_changed
from .models import DailyFigure, FigureDay
from .services import figures_build_recent, month_key, month_rebuild

# Shares of decisions in each working-days bucket, and of waits in each minutes bucket.
DECISION_SHAPE = (2, 4, 6, 8, 10, 11, 10, 9, 8, 6, 5, 6, 5, 4, 2, 2, 1, 0.6, 0.3, 0.1)
WEEK_AVERAGE = (5 + 2 * 0.3) / 7
WAIT_SHAPE = (6, 6, 7, 10, 11, 13, 14, 11, 9, 6, 3, 2, 1, 0.6, 0.4)


def _binomial(count: int, chance: float, rng: random.Random) -> int:
    """How many of `count` cases happen, each with `chance` (a normal approximation when many)."""
    if count < 30:
        return sum(rng.random() < chance for _ in range(count))
    drawn = round(rng.gauss(count * chance, math.sqrt(count * chance * (1 - chance))))
    return min(max(drawn, 0), count)


def _spread(total: int, shape: Sequence[float], rng: random.Random) -> list[int]:
    """`total` cases spread over buckets in proportion to `shape` (drawn one by one when few)."""
    counts = [0] * len(shape)
    if total < 30:
        for index in rng.choices(range(len(shape)), weights=shape, k=total):
            counts[index] += 1
        return counts
    weights = [value * rng.uniform(0.8, 1.2) for value in shape]
    scale = total / sum(weights)
    counts = [int(weight * scale) for weight in weights]
    counts[max(range(len(counts)), key=counts.__getitem__)] += total - sum(counts)
    return counts


def synthetic_rows(*, days: Iterable[datetime.date], offers: Sequence[tuple[int, int, int | None]],
                   applications_per_day: int, visits_per_day: int, seed: int = 12) -> list[DailyFigure]:
    """Rows for `days` × `offers` ((service_id, agency_id, center_id or None) each)."""
    rng = random.Random(seed)  # noqa: S311 - made-up figures, not secrets
    at_centers = [offer for offer in offers if offer[2] is not None] or list(offers)
    quality = {offer: rng.uniform(0.7, 0.97) for offer in offers}
    made = []
    for day in days:
        # Thursday and Friday, the weekend, are slow; the week's average stays at the figures asked for.
        slow_day = (0.3 if day.weekday() in (3, 4) else 1.0) / WEEK_AVERAGE
        month = month_key(day)
        for offer in offers:
            service_id, agency_id, center_id = offer
            mean = applications_per_day / len(offers) * slow_day
            received = max(int(rng.gauss(mean, mean * 0.25)), 0)
            decided = _binomial(received, 0.95, rng)
            served = 0
            if center_id is not None:
                visits = visits_per_day / len(at_centers) * slow_day
                served = max(int(rng.gauss(visits, visits * 0.25)), 0)
            rated = _binomial(served, 0.3, rng)
            rated_good = _binomial(rated, quality[offer] - 0.05, rng)
            if center_id is None:
                online = _binomial(received, 0.8, rng)
                channels = {"received_online": online, "received_sms": received - online}
            else:
                assisted = _binomial(received, 0.4, rng)
                channels = {"received_assisted": assisted, "received_center": received - assisted}
            made.append(DailyFigure(
                day=day, month=month, service_id=service_id, agency_id=agency_id, center_id=center_id,
                received=received, decided=decided, decided_in_time=_binomial(decided, quality[offer], rng),
                served=served, rated=rated, rated_good=rated_good,
                rating_sum=round(rated_good * 4.6 + (rated - rated_good) * 2.4), **channels,
                **dict(zip(DECISION_FIELDS, _spread(decided, DECISION_SHAPE, rng), strict=True)),
                **dict(zip(WAIT_FIELDS, _spread(served, WAIT_SHAPE, rng), strict=True)),
            ))
    return made


@transaction.atomic
def figures_write_synthetic(*, days: Sequence[datetime.date], offers: Sequence[tuple[int, int, int | None]],
                            applications_per_day: int, visits_per_day: int, seed: int = 12,
                            skip_built: bool = True) -> int:
    """Write made-up rows for `days` (those already built skipped) and rebuild their months."""
    built = set(FigureDay.objects.filter(day__in=days).values_list("day", flat=True)) if skip_built else set()
    todo = [day for day in days if day not in built]
    if not todo:
        return 0
    DailyFigure.objects.filter(day__in=todo).delete()
    rows = synthetic_rows(days=todo, offers=offers, applications_per_day=applications_per_day,
                          visits_per_day=visits_per_day, seed=seed)
    DailyFigure.objects.bulk_create(rows, batch_size=2000)
    now = timezone.now()
    FigureDay.objects.bulk_create([FigureDay(day=day, built_at=now) for day in todo], ignore_conflicts=True)
    for month in sorted({month_key(day) for day in todo}):
        month_rebuild(month=month)
    figures_changed()
    return len(rows)


def demonstration_offers() -> list[tuple[int, int, int | None]]:
    """Every published service online (no center) and at each center that offers it."""
    offers: list[tuple[int, int, int | None]] = []
    for service in catalog_selectors.service_list():
        offers.append((service.pk, service.agency_id, None))
        offers.extend((service.pk, service.agency_id, center.pk)
                      for center in center_selectors.center_list(service=service))
    return offers


def figures_seed_demonstration(*, days: int | None = None) -> int:
    """A year of made-up figures up to the day before yesterday, then yesterday and today built
    from the real records (the job's own days). Run again, it leaves built days alone."""
    days = settings.DEMO_FIGURES_DAYS if days is None else days
    today = timezone.localdate()
    past = [today - datetime.timedelta(days=back) for back in range(days, 1, -1)]
    written = figures_write_synthetic(days=past, offers=demonstration_offers(), applications_per_day=120,
                                      visits_per_day=300)
    return written + figures_build_recent()
