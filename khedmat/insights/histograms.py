"""Durations kept as counts in fixed buckets, so a median or p90 over any set of rows can be read
from their summed counts (decisions/0034).

A bucket `i` holds values v with bounds[i-1] < v <= bounds[i] (the first from 0); the last bucket
holds everything above the last bound. A percentile is interpolated linearly inside its bucket,
so it is exact to within one bucket's width; above the last bound it reads as that bound.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

# Working days from sending a file to its decision (0: decided the day it was sent).
DECISION_DAY_BOUNDS: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 45, 60, 90)
# Minutes from taking a ticket (or checking in) to being called to a counter.
WAIT_MINUTE_BOUNDS: tuple[int, ...] = (1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60, 90, 120, 180)

DECISION_FIELDS: tuple[str, ...] = tuple(f"decision_days_{i:02d}" for i in range(len(DECISION_DAY_BOUNDS) + 1))
WAIT_FIELDS: tuple[str, ...] = tuple(f"wait_minutes_{i:02d}" for i in range(len(WAIT_MINUTE_BOUNDS) + 1))


def bucket_of(value: float, bounds: Sequence[int]) -> int:
    """The index of the bucket `value` falls in (negative values count as 0)."""
    return bisect.bisect_left(bounds, max(value, 0))


def percentile(counts: Sequence[int], bounds: Sequence[int], fraction: float) -> float | None:
    """The `fraction` percentile (0.5, 0.9) of the values counted in `counts`; None with no values."""
    total = sum(counts)
    if total == 0:
        return None
    rank = fraction * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            if index >= len(bounds):
                return float(bounds[-1])
            lower = float(bounds[index - 1]) if index else 0.0
            upper = float(bounds[index])
            return round(lower + (upper - lower) * max(rank - seen, 0) / count, 1)
        seen += count
    return float(bounds[-1])


def share_within(counts: Sequence[int], bounds: Sequence[int], limit: int) -> tuple[int, int]:
    """How many values are at most `limit` (a bound), and how many there are."""
    index = bounds.index(limit)
    return sum(counts[: index + 1]), sum(counts)
