"""Figures read from a sum of rows, with small numbers suppressed, and the service index.

Suppression (docs/open-data.md): no published figure is computed from fewer than
`MIN_CASES` cases. A count under it is withheld, and so is a share, mean or percentile whose
cases (decisions, waits, ratings, complaints) number fewer. Withheld figures are None here;
pages print "fewer than 5", open data leaves the cell empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .histograms import (
    DECISION_DAY_BOUNDS,
    DECISION_FIELDS,
    WAIT_FIELDS,
    WAIT_MINUTE_BOUNDS,
    percentile,
    share_within,
)

MIN_CASES = 5
# A wait counts as short up to this many minutes (one of histograms.WAIT_MINUTE_BOUNDS).
SHORT_WAIT_MINUTES = 30


def shown(count: int) -> int | None:
    """A count as it may be published: None (withheld) under MIN_CASES."""
    return count if count >= MIN_CASES else None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole >= MIN_CASES else None


@dataclass(frozen=True)
class Channel:
    code: str
    label: Promise
    count: int | None
    share: float | None


@dataclass(frozen=True)
class Figures:
    """The counts of one or more rows (`Measures` fields by name)."""

    counts: Mapping[str, int]

    # Not __getitem__: templates try item lookup first and would print the raw, unsuppressed count.
    def raw(self, name: str) -> int:
        return int(self.counts.get(name) or 0)

    @property
    def has_cases(self) -> bool:
        return any(self.raw(name) for name in ("received", "decided", "served", "rated", "complaints_received"))

    # Volume ---------------------------------------------------------------------------------
    @property
    def received(self) -> int | None:
        return shown(self.raw("received"))

    @property
    def decided(self) -> int | None:
        return shown(self.raw("decided"))

    @property
    def served(self) -> int | None:
        return shown(self.raw("served"))

    @property
    def rated(self) -> int | None:
        return shown(self.raw("rated"))

    @property
    def complaints_received(self) -> int | None:
        return shown(self.raw("complaints_received"))

    # Time standard and durations ----------------------------------------------------------------
    @property
    def in_time_share(self) -> float | None:
        return _ratio(self.raw("decided_in_time"), self.raw("decided"))

    def _decision_counts(self) -> list[int]:
        return [self.raw(name) for name in DECISION_FIELDS]

    def _wait_counts(self) -> list[int]:
        return [self.raw(name) for name in WAIT_FIELDS]

    def _percentile(self, counts: list[int], bounds: tuple[int, ...], fraction: float) -> float | None:
        return percentile(counts, bounds, fraction) if sum(counts) >= MIN_CASES else None

    @property
    def decision_days_median(self) -> float | None:
        return self._percentile(self._decision_counts(), DECISION_DAY_BOUNDS, 0.5)

    @property
    def decision_days_p90(self) -> float | None:
        return self._percentile(self._decision_counts(), DECISION_DAY_BOUNDS, 0.9)

    @property
    def wait_minutes_median(self) -> float | None:
        return self._percentile(self._wait_counts(), WAIT_MINUTE_BOUNDS, 0.5)

    @property
    def wait_minutes_p90(self) -> float | None:
        return self._percentile(self._wait_counts(), WAIT_MINUTE_BOUNDS, 0.9)

    @property
    def short_wait_share(self) -> float | None:
        short, total = share_within(self._wait_counts(), WAIT_MINUTE_BOUNDS, SHORT_WAIT_MINUTES)
        return _ratio(short, total)

    # Satisfaction and complaints -----------------------------------------------------------------
    @property
    def satisfaction_mean(self) -> float | None:
        return round(self.raw("rating_sum") / self.raw("rated"), 1) if self.raw("rated") >= MIN_CASES else None

    @property
    def satisfied_share(self) -> float | None:
        return _ratio(self.raw("rated_good"), self.raw("rated"))

    @property
    def complaints_answered(self) -> int | None:
        return shown(self.raw("complaints_answered")) if self.raw("complaints_received") >= MIN_CASES else None

    @property
    def complaints_in_time_share(self) -> float | None:
        return _ratio(self.raw("complaints_answered_in_time"), self.raw("complaints_received"))

    # Channels ------------------------------------------------------------------------------------
    @property
    def digital_share(self) -> float | None:
        return _ratio(self.raw("received_online") + self.raw("received_sms"), self.raw("received"))

    @property
    def channels(self) -> list[Channel]:
        total = self.raw("received")
        found = []
        for code, field, label in (("online", "received_online", _("Online")),
                                   ("center", "received_center", _("At a service center")),
                                   ("assisted", "received_assisted", _("Assisted by an operator")),
                                   ("sms", "received_sms", _("SMS and USSD"))):
            count = shown(self.raw(field))
            found.append(Channel(code=code, label=label, count=count,
                                 share=self.raw(field) / total if count is not None and total else None))
        # With the total published, one withheld channel would be the total less the others:
        # withhold the smallest shown one with it (complementary suppression).
        withheld = [channel for channel in found if channel.count is None]
        if len(withheld) == 1 and self.received is not None:
            smallest = min((channel for channel in found if channel.count is not None),
                           key=lambda channel: channel.count or 0)
            found = [Channel(code=channel.code, label=channel.label, count=None, share=None)
                     if channel is smallest else channel for channel in found]
        return found


# The service index (after the ASAN Index) -----------------------------------------------------

@dataclass(frozen=True)
class Criterion:
    code: str
    label: Promise
    explanation: Promise
    weight: int
    value: float | None  # 0…1, None when withheld (fewer than MIN_CASES cases)


@dataclass(frozen=True)
class ServiceIndex:
    score: int | None  # 0…100, None with fewer than MIN_CRITERIA criteria measured
    criteria: list[Criterion]


MIN_CRITERIA = 3

# code, label, what it measures, weight (the weights add up to 100).
INDEX_CRITERIA: tuple[tuple[str, Promise, Promise, int], ...] = (
    ("timeliness", _("Timeliness"), _("Share of decisions made within the service's time standard."), 30),
    ("satisfaction", _("Satisfaction"), _("Share of ratings of 4 or 5 out of 5."), 25),
    ("waiting", _("Waiting time"), _("Share of visitors called to a counter within 30 minutes."), 15),
    ("digital", _("Digital take-up"), _("Share of applications sent online or by SMS/USSD."), 15),
    ("complaints", _("Complaints answered in time"),
     _("Share of complaints answered within their time standard."), 15),
)


def service_index(figures: Figures) -> ServiceIndex:
    """A score out of 100: the weighted mean of the criteria that have enough cases."""
    values = {
        "timeliness": figures.in_time_share,
        "satisfaction": figures.satisfied_share,
        "waiting": figures.short_wait_share,
        "digital": figures.digital_share,
        "complaints": figures.complaints_in_time_share,
    }
    criteria = [Criterion(code=code, label=label, explanation=explanation, weight=weight, value=values[code])
                for code, label, explanation, weight in INDEX_CRITERIA]
    measured = [criterion for criterion in criteria if criterion.value is not None]
    if len(measured) < MIN_CRITERIA:
        return ServiceIndex(score=None, criteria=criteria)
    weights = sum(criterion.weight for criterion in measured)
    score = sum(criterion.weight * (criterion.value or 0.0) for criterion in measured) / weights
    return ServiceIndex(score=round(score * 100), criteria=criteria)
