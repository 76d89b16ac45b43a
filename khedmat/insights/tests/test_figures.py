"""Medians from bucket counts, small numbers withheld, and the service index's arithmetic."""

from __future__ import annotations

import pytest

from khedmat.insights.figures import Figures, service_index
from khedmat.insights.histograms import DECISION_DAY_BOUNDS, DECISION_FIELDS, WAIT_MINUTE_BOUNDS, bucket_of, percentile


def test_values_fall_in_the_bucket_whose_upper_bound_holds_them() -> None:
    assert bucket_of(0, DECISION_DAY_BOUNDS) == 0
    assert bucket_of(10, DECISION_DAY_BOUNDS) == DECISION_DAY_BOUNDS.index(10)
    assert bucket_of(11, DECISION_DAY_BOUNDS) == DECISION_DAY_BOUNDS.index(12)
    assert bucket_of(10_000, DECISION_DAY_BOUNDS) == len(DECISION_DAY_BOUNDS)  # the overflow bucket
    assert bucket_of(-3, WAIT_MINUTE_BOUNDS) == 0


def test_a_percentile_is_read_within_its_bucket() -> None:
    counts = [0] * (len(WAIT_MINUTE_BOUNDS) + 1)
    counts[bucket_of(12, WAIT_MINUTE_BOUNDS)] = 10  # ten waits between 10 and 15 minutes
    assert 10 <= percentile(counts, WAIT_MINUTE_BOUNDS, 0.5) <= 15  # type: ignore[operator]
    assert percentile(counts, WAIT_MINUTE_BOUNDS, 0.9) == pytest.approx(14.5)
    assert percentile([0] * len(counts), WAIT_MINUTE_BOUNDS, 0.5) is None
    counts[-1] = 100  # most waits beyond the last bound read as that bound
    assert percentile(counts, WAIT_MINUTE_BOUNDS, 0.9) == WAIT_MINUTE_BOUNDS[-1]


def test_sums_of_buckets_give_the_median_of_the_whole() -> None:
    january = {DECISION_FIELDS[bucket_of(2, DECISION_DAY_BOUNDS)]: 30}
    february = {DECISION_FIELDS[bucket_of(20, DECISION_DAY_BOUNDS)]: 70}
    both = Figures({name: january.get(name, 0) + february.get(name, 0) for name in DECISION_FIELDS})
    assert 15 < both.decision_days_median <= 20  # type: ignore[operator]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 0])
def test_fewer_than_five_cases_are_withheld_everywhere(count: int) -> None:
    figures = Figures({"received": count, "received_online": count, "decided": count, "decided_in_time": count,
                       "served": count, "wait_minutes_03": count, "rated": count, "rating_sum": 5 * count,
                       "rated_good": count, "complaints_received": count, "complaints_answered": count,
                       "complaints_answered_in_time": count, DECISION_FIELDS[2]: count})
    withheld = [figures.received, figures.decided, figures.served, figures.rated, figures.complaints_received,
                figures.complaints_answered, figures.in_time_share, figures.decision_days_median,
                figures.decision_days_p90, figures.wait_minutes_median, figures.wait_minutes_p90,
                figures.short_wait_share, figures.satisfaction_mean, figures.satisfied_share,
                figures.complaints_in_time_share, figures.digital_share,
                *(channel.count for channel in figures.channels), *(channel.share for channel in figures.channels)]
    assert withheld == [None] * len(withheld)
    assert service_index(figures).score is None


def test_five_cases_are_published() -> None:
    figures = Figures({"received": 5, "received_online": 5, "decided": 5, "decided_in_time": 4})
    assert figures.received == 5
    assert figures.in_time_share == pytest.approx(0.8)
    assert figures.digital_share == 1.0
    # a channel with 5 is shown; the others (0) are withheld
    assert [channel.count for channel in figures.channels] == [5, None, None, None]
    figures = Figures({"received": 25, "received_online": 10, "received_center": 6, "received_assisted": 5,
                       "received_sms": 4})
    # sms alone withheld would be 25 - 10 - 6 - 5: the smallest shown (assisted) goes with it
    assert [channel.count for channel in figures.channels] == [10, 6, None, None]


def test_the_index_weighs_the_measured_criteria_only() -> None:
    figures = Figures({"received": 10, "received_online": 5, "decided": 10, "decided_in_time": 10,
                       "rated": 10, "rated_good": 5, "rating_sum": 40})
    index = service_index(figures)
    values = {criterion.code: criterion.value for criterion in index.criteria}
    assert values == {"timeliness": 1.0, "satisfaction": 0.5, "waiting": None, "digital": 0.5, "complaints": None}
    # (30 × 1 + 25 × 0.5 + 15 × 0.5) / (30 + 25 + 15) = 0.714…
    assert index.score == 71
    assert sum(criterion.weight for criterion in index.criteria) == 100


def test_a_single_withheld_channel_cannot_be_worked_out_from_the_total() -> None:
    figures = Figures({"received": 100, "received_online": 60, "received_center": 30, "received_assisted": 7,
                       "received_sms": 3})
    counts = {channel.code: channel.count for channel in figures.channels}
    assert counts == {"online": 60, "center": 30, "assisted": None, "sms": None}
