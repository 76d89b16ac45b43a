"""Abstract model pieces shared by the domain apps."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .i18n import pick


class TrilingualNameMixin(models.Model):
    """A name in English, Dari and Pashto, shown in the reader's language."""

    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fa = models.CharField(_("name (Dari)"), max_length=200)
    name_ps = models.CharField(_("name (Pashto)"), max_length=200)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        return pick(self, "name")


class Holiday(TrilingualNameMixin):
    """A public holiday: no working day for time standards, no slot for appointments.

    Fixed Solar Hijri holidays (Nowruz, Independence Day …) and the lunar ones (the Eids,
    whose dates move every year) are both entered by date; `seed_demo` loads the current year's.
    """

    date = models.DateField(_("date"), unique=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name_en}"


class EventRecord(models.Model):
    """A domain event as published (khedmat.core.events): what happened, when, to what.

    Written in the transaction of the change; read by people tracing a message or a
    webhook back to its cause. Old records are pruned (`EVENTS_KEEP_DAYS`).
    """

    name = models.CharField(max_length=60)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    payload = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["name", "occurred_at"], name="event_by_name")]

    def __str__(self) -> str:
        return f"{self.name} {self.occurred_at:%Y-%m-%d %H:%M:%S}"
