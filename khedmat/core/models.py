"""Abstract model pieces shared by the domain apps."""

from __future__ import annotations

from django.db import models
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
