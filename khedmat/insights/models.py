"""The public figures, pre-aggregated: what the performance pages and open data read (decisions/0034).

`DailyFigure` holds one day's counts for one service at one center (`center` empty: files sent
online or by SMS, with no center); `MonthlyFigure` the same summed over a Solar Hijri month, so a
page sums a dozen rows per service instead of a year of days. Both are rebuilt by
`insights.services.figures_build_day`, never edited; durations are bucket counts
(`histograms.py`) so medians and p90 stay computable over any sum of rows.
"""

from __future__ import annotations

from django.db import models


class FigureDay(models.Model):
    """A day whose figures were built: the lock two builds of the same day queue on, and when."""

    day = models.DateField(unique=True)
    built_at = models.DateTimeField()

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} built {self.built_at.isoformat()}"


class Measures(models.Model):
    """The counts one row holds; a sum of rows is again a valid set of counts."""

    # Files sent (applications), by channel: online, at a center (not assisted), assisted, SMS/USSD.
    received = models.PositiveIntegerField(default=0)
    received_online = models.PositiveIntegerField(default=0)
    received_center = models.PositiveIntegerField(default=0)
    received_assisted = models.PositiveIntegerField(default=0)
    received_sms = models.PositiveIntegerField(default=0)
    # Final decisions made, and those made by the file's deadline (its time standard).
    decided = models.PositiveIntegerField(default=0)
    decided_in_time = models.PositiveIntegerField(default=0)
    # Visits served at a counter, and ratings of them (sum of the 1–5 scores; 4 or 5 count as good).
    served = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rated_good = models.PositiveIntegerField(default=0)
    # Complaints received, answered, and answered by their due date (insights.complaints).
    complaints_received = models.PositiveIntegerField(default=0)
    complaints_answered = models.PositiveIntegerField(default=0)
    complaints_answered_in_time = models.PositiveIntegerField(default=0)
    # Working days to decision, counted in the buckets of histograms.DECISION_DAY_BOUNDS.
    decision_days_00 = models.PositiveIntegerField(default=0)
    decision_days_01 = models.PositiveIntegerField(default=0)
    decision_days_02 = models.PositiveIntegerField(default=0)
    decision_days_03 = models.PositiveIntegerField(default=0)
    decision_days_04 = models.PositiveIntegerField(default=0)
    decision_days_05 = models.PositiveIntegerField(default=0)
    decision_days_06 = models.PositiveIntegerField(default=0)
    decision_days_07 = models.PositiveIntegerField(default=0)
    decision_days_08 = models.PositiveIntegerField(default=0)
    decision_days_09 = models.PositiveIntegerField(default=0)
    decision_days_10 = models.PositiveIntegerField(default=0)
    decision_days_11 = models.PositiveIntegerField(default=0)
    decision_days_12 = models.PositiveIntegerField(default=0)
    decision_days_13 = models.PositiveIntegerField(default=0)
    decision_days_14 = models.PositiveIntegerField(default=0)
    decision_days_15 = models.PositiveIntegerField(default=0)
    decision_days_16 = models.PositiveIntegerField(default=0)
    decision_days_17 = models.PositiveIntegerField(default=0)
    decision_days_18 = models.PositiveIntegerField(default=0)
    decision_days_19 = models.PositiveIntegerField(default=0)
    # Minutes waited before being called, counted in the buckets of histograms.WAIT_MINUTE_BOUNDS.
    wait_minutes_00 = models.PositiveIntegerField(default=0)
    wait_minutes_01 = models.PositiveIntegerField(default=0)
    wait_minutes_02 = models.PositiveIntegerField(default=0)
    wait_minutes_03 = models.PositiveIntegerField(default=0)
    wait_minutes_04 = models.PositiveIntegerField(default=0)
    wait_minutes_05 = models.PositiveIntegerField(default=0)
    wait_minutes_06 = models.PositiveIntegerField(default=0)
    wait_minutes_07 = models.PositiveIntegerField(default=0)
    wait_minutes_08 = models.PositiveIntegerField(default=0)
    wait_minutes_09 = models.PositiveIntegerField(default=0)
    wait_minutes_10 = models.PositiveIntegerField(default=0)
    wait_minutes_11 = models.PositiveIntegerField(default=0)
    wait_minutes_12 = models.PositiveIntegerField(default=0)
    wait_minutes_13 = models.PositiveIntegerField(default=0)
    wait_minutes_14 = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class DailyFigure(Measures):
    day = models.DateField()
    month = models.PositiveIntegerField(help_text="Solar Hijri year × 100 + month, e.g. 140509")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    center = models.ForeignKey("centers.Center", on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["day", "service_id", "center_id"]
        constraints = [
            models.UniqueConstraint(fields=["day", "service", "center"], name="daily_figure_unique"),
            models.UniqueConstraint(fields=["day", "service"], condition=models.Q(center__isnull=True),
                                    name="daily_figure_unique_no_center"),
        ]
        indexes = [models.Index(fields=["month"], name="daily_figure_month")]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} service {self.service_id} center {self.center_id}"


class MonthlyFigure(Measures):
    month = models.PositiveIntegerField(help_text="Solar Hijri year × 100 + month, e.g. 140509")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    center = models.ForeignKey("centers.Center", on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["month", "service_id", "center_id"]
        constraints = [
            models.UniqueConstraint(fields=["month", "service", "center"], name="monthly_figure_unique"),
            models.UniqueConstraint(fields=["month", "service"], condition=models.Q(center__isnull=True),
                                    name="monthly_figure_unique_no_center"),
        ]
        indexes = [
            models.Index(fields=["service", "month"], name="monthly_figure_service"),
            models.Index(fields=["agency", "month"], name="monthly_figure_agency"),
            models.Index(fields=["center", "month"], name="monthly_figure_center"),
        ]

    def __str__(self) -> str:
        return f"{self.month} service {self.service_id} center {self.center_id}"
